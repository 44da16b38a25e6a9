package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/internal/web"
	"github.com/maildx/maildx/store"
	"github.com/spf13/cobra"
)

// defaultAddr is loopback: without MAILDX_API_TOKEN nothing may be
// reachable from the network.
const defaultAddr = "127.0.0.1:8025"

// serveConfig is what serve needs; flags fill it, with the environment
// variables as defaults.
type serveConfig struct {
	addr string
	db   string // "" = no event store
	web  web.Webhooks
	// apiToken guards POST /api/v1/events and the reading of events.
	apiToken string
}

func (a *app) serveCmd() *cobra.Command {
	var c serveConfig
	var sesTopics string
	defaultDB, err := store.DefaultPath()
	if err != nil {
		defaultDB = ""
	}
	env := func(k string) string { return strings.TrimSpace(a.getenv(k)) }
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--db PATH|postgres://...]",
		Short: "Run the web UI, the JSON API and the delivery webhooks",
		Long: `Run maildx's HTTP server: the web UI (paste an error, upload a bounce,
browse the error library, failed sends, suppression list and stats, in
English and German), the JSON API under /api/v1 (documented in docs/api.md
and served at /api/v1/openapi.json), the ESP webhooks under /webhooks/
(docs/webhooks.md), /healthz and Prometheus /metrics.

Delivery events are stored in --db: a SQLite file (default ` + defaultDB + `,
created on first start) or a postgres:// URL. The webhook keys come from the
flags or the environment: MAILDX_MAILGUN_SIGNING_KEY,
MAILDX_SENDGRID_PUBLIC_KEY, MAILDX_POSTMARK_USER and MAILDX_POSTMARK_PASSWORD,
MAILDX_SES_TOPIC_ARNS (comma-separated), MAILDX_SES_CONFIRM_SUBSCRIPTIONS=1;
an endpoint without its key refuses everything.

MAILDX_API_TOKEN guards POST /api/v1/events and reading events and the
suppression list (Authorization: Bearer, or the login form of the UI).
Without it the server holds personal data without a lock, so it listens on
loopback only and refuses any other --addr.

The server listens on ` + defaultAddr + ` unless --addr says otherwise and
stops cleanly on Ctrl-C or SIGTERM.`,
		Example: "  maildx serve\n  MAILDX_API_TOKEN=... maildx serve --addr :8080 --db postgres://maildx@db/maildx",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The environment is the default of each key flag; it is read
			// here, not as the flag's default, so that --help never shows
			// a secret.
			for _, kv := range []struct {
				v   *string
				env string
			}{
				{&c.web.MailgunSigningKey, event.EnvMailgunSigningKey},
				{&c.web.SendGridPublicKey, event.EnvSendGridPublicKey},
				{&c.web.PostmarkUser, event.EnvPostmarkUser},
				{&c.web.PostmarkPassword, event.EnvPostmarkPassword},
				{&sesTopics, event.EnvSESTopicARNs},
				{&c.apiToken, event.EnvAPIToken},
			} {
				if *kv.v == "" {
					*kv.v = env(kv.env)
				}
			}
			if !cmd.Flags().Changed("ses-confirm-subscriptions") {
				c.web.SESConfirmSubscriptions = envBool(env(event.EnvSESConfirmSubscription))
			}
			if sesTopics != "" {
				for _, t := range strings.Split(sesTopics, ",") {
					if t = strings.TrimSpace(t); t != "" {
						c.web.SESTopicARNs = append(c.web.SESTopicARNs, t)
					}
				}
			}
			if c.db == "" {
				return usagef("--db: no default database path could be found; give --db PATH")
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.serveWith(ctx, c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.addr, "addr", defaultAddr, "address to listen on")
	f.StringVar(&c.db, "db", defaultDB, "event store: a SQLite file path or a postgres:// URL")
	f.StringVar(&c.web.MailgunSigningKey, "mailgun-signing-key", "", "Mailgun HTTP webhook signing key (env "+event.EnvMailgunSigningKey+")")
	f.StringVar(&c.web.SendGridPublicKey, "sendgrid-public-key", "", "SendGrid Signed Event Webhook verification key (env "+event.EnvSendGridPublicKey+")")
	f.StringVar(&c.web.PostmarkUser, "postmark-user", "", "Postmark webhook basic auth user (env "+event.EnvPostmarkUser+")")
	f.StringVar(&c.web.PostmarkPassword, "postmark-password", "", "Postmark webhook basic auth password (env "+event.EnvPostmarkPassword+")")
	f.StringVar(&sesTopics, "ses-topic-arns", "", "accepted SNS topic ARNs, comma-separated (env "+event.EnvSESTopicARNs+")")
	f.BoolVar(&c.web.SESConfirmSubscriptions, "ses-confirm-subscriptions", false, "confirm SNS subscriptions of accepted topics (env "+event.EnvSESConfirmSubscription+")")
	f.StringVar(&c.apiToken, "api-token", "", "API token; prefer the environment variable "+event.EnvAPIToken+" (flags show in ps)")
	return cmd
}

func envBool(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// serve runs the server without an event store (tests of the UI and API).
func (a *app) serve(ctx context.Context, addr string) error {
	return a.serveWith(ctx, serveConfig{addr: addr})
}

// isLoopback reports whether host (of --addr) only accepts local
// connections: localhost or a loopback IP. "" (all interfaces) is not.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (a *app) serveWith(ctx context.Context, c serveConfig) error {
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return usagef("--addr %q: want HOST:PORT (for example 127.0.0.1:8025 or :8080)", c.addr)
	}
	if c.apiToken == "" && !isLoopback(host) {
		return usagef("refusing to listen on %s without %s: the server stores delivery events with email addresses (personal data), and without a token anybody who can reach it could read them. Set %s (a long random string), or listen on 127.0.0.1", c.addr, event.EnvAPIToken, event.EnvAPIToken)
	}
	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	opts := web.Options{Logger: logger, Version: version, Webhooks: c.web, APIToken: c.apiToken}
	if c.db != "" {
		st, err := store.Open(ctx, c.db)
		if err != nil {
			return fmt.Errorf("opening the event store %s: %w", redactDSN(c.db), err)
		}
		defer st.Close()
		opts.Store = st
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", c.addr, err)
	}
	srv := web.NewHTTPServer(c.addr, web.New(opts), logger)
	fmt.Fprintf(a.stdout, "maildx is serving on %s (Ctrl-C to stop)\n", urlFor(ln.Addr()))
	if c.db != "" {
		fmt.Fprintf(a.stdout, "event store: %s\n", redactDSN(c.db))
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	return nil
}

// redactDSN hides the password of a postgres:// URL.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}

// urlFor turns a listener address into a URL a browser can open.
func urlFor(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
