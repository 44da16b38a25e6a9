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
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/maildx/maildx/check"
	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/internal/web"
	"github.com/maildx/maildx/store"
	"github.com/spf13/cobra"
)

// envSQLiteSynchronous is the default of serve's --sqlite-synchronous.
const envSQLiteSynchronous = "MAILDX_SQLITE_SYNCHRONOUS"

// defaultAddr is loopback: without MAILDX_API_TOKEN nothing may be
// reachable from the network.
const defaultAddr = "127.0.0.1:8025"

// serveConfig is what serve needs; flags fill it, with the environment
// variables as defaults.
type serveConfig struct {
	addr string
	db   string // "" = no event store
	// sqliteSync is the SQLite synchronous mode of db, "normal" or "full"
	// ("" = store's default, normal); see docs/store.md, "Durability".
	sqliteSync string
	web        web.Webhooks
	// apiToken guards POST /api/v1/events and the reading of events.
	apiToken string
	// The domain and address checks (docs/check.md, "Server").
	resolver     string // DNS resolver HOST:PORT; "" = /etc/resolv.conf
	allowProbe   bool   // POST /api/v1/check/address may probe (SMTP)
	probeHELO    string // EHLO name of the probe
	allowPrivate bool   // tests only: MTA-STS fetches and probes may reach private addresses
	trustProxy   bool   // rate-limit by the X-Forwarded-For entry of the proxy
	probeDial    func(ctx context.Context, network, addr string) (net.Conn, error)
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

The domain and address checks (pages /check/domain and /check/address,
API GET /api/v1/check/domain/{domain} and POST /api/v1/check/address) use
the resolver of --resolver or /etc/resolv.conf and are rate-limited per
client IP: the connection's remote address, or with --trust-proxy the
address the reverse proxy appends to X-Forwarded-For (give it only behind a
proxy that sets that header, or clients can pick their own identity). The
server refuses private, loopback and link-local targets (MTA-STS policy
hosts, probed MX hosts). The SMTP probe ("probe": true) is off unless
--allow-probe is given: with it the server opens SMTP connections to port
25 of other people's mail servers for anybody who can reach it, from this
host's IP address, which can get that address blocklisted.
--allow-private-targets lifts the private-target refusal for tests only
(and only on a loopback --addr).

A webhook is answered 2xx only after its events are committed. On SQLite
--sqlite-synchronous normal (the default; env ` + envSQLiteSynchronous + `)
keeps every answered event through a crash or kill of maildx, but an
operating system crash or power loss may lose the last ones; full syncs
every commit to disk (survives power loss, costs one fsync per commit).
PostgreSQL's durability is the server's (synchronous_commit).

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
			if !cmd.Flags().Changed("sqlite-synchronous") {
				c.sqliteSync = env(envSQLiteSynchronous)
				if store.IsPostgres(c.db) {
					c.sqliteSync = "" // a default for SQLite stores only
				}
			}
			if err := checkSQLiteSync(c.sqliteSync, c.db); err != nil {
				return err
			}
			if _, set := os.LookupEnv("GOGC"); !set {
				debug.SetGCPercent(serveGCPercent)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.serveWith(ctx, c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.addr, "addr", defaultAddr, "address to listen on")
	f.StringVar(&c.db, "db", defaultDB, "event store: a SQLite file path or a postgres:// URL")
	f.StringVar(&c.sqliteSync, "sqlite-synchronous", "", "SQLite --db: normal (default: survives a crash of maildx, not of the machine) or full (fsync every commit: survives power loss) (env "+envSQLiteSynchronous+")")
	f.StringVar(&c.web.MailgunSigningKey, "mailgun-signing-key", "", "Mailgun HTTP webhook signing key (env "+event.EnvMailgunSigningKey+")")
	f.StringVar(&c.web.SendGridPublicKey, "sendgrid-public-key", "", "SendGrid Signed Event Webhook verification key (env "+event.EnvSendGridPublicKey+")")
	f.StringVar(&c.web.PostmarkUser, "postmark-user", "", "Postmark webhook basic auth user (env "+event.EnvPostmarkUser+")")
	f.StringVar(&c.web.PostmarkPassword, "postmark-password", "", "Postmark webhook basic auth password (env "+event.EnvPostmarkPassword+")")
	f.StringVar(&sesTopics, "ses-topic-arns", "", "accepted SNS topic ARNs, comma-separated (env "+event.EnvSESTopicARNs+")")
	f.BoolVar(&c.web.SESConfirmSubscriptions, "ses-confirm-subscriptions", false, "confirm SNS subscriptions of accepted topics (env "+event.EnvSESConfirmSubscription+")")
	f.StringVar(&c.apiToken, "api-token", "", "API token; prefer the environment variable "+event.EnvAPIToken+" (flags show in ps)")
	f.StringVar(&c.resolver, "resolver", "", "DNS resolver HOST:PORT for the checks (default: the nameservers of /etc/resolv.conf)")
	f.BoolVar(&c.allowProbe, "allow-probe", false, "let POST /api/v1/check/address probe with SMTP RCPT TO (off: the server would open SMTP connections for anyone)")
	f.StringVar(&c.probeHELO, "helo", defaultHELO(), "EHLO name of --allow-probe probes (this host's name with reverse DNS)")
	f.BoolVar(&c.trustProxy, "trust-proxy", false, "rate-limit checks by the last X-Forwarded-For address (only behind a reverse proxy that sets it)")
	f.BoolVar(&c.allowPrivate, "allow-private-targets", false, "testing only: let check MTA-STS fetches and probes reach private/loopback addresses (loopback --addr only)")
	return cmd
}

// serveGCPercent is the garbage collector's target (GOGC) of maildx serve
// unless the environment sets GOGC. The server's live heap is small and
// nearly all of it lives as long as the process (the knowledge base and
// its indexes, about 7 MB), while a request allocates about 3 KB that is
// garbage as soon as it is answered. With Go's default of 100 the
// collector starts whenever 7 MB more are allocated, every 2,000 requests,
// and each time marks the whole knowledge base again: under bench/serve.sh
// (GODEBUG=gctrace=1) that was 8 ms of collector CPU per 1,000 requests, 8%
// of the 2-core machine at 20,000 requests/s, plus a stop of every request
// at the start and end of each cycle. With 400 the heap grows to about
// 35 MB between collections, which run every 9,000 requests and cost 2–3.5
// ms of CPU per 1,000 requests.
const serveGCPercent = 400

// checkSQLiteSync accepts the --sqlite-synchronous modes for a SQLite
// store: "" (the default), normal or full.
func checkSQLiteSync(mode, db string) error {
	switch strings.ToLower(mode) {
	case "":
		return nil
	case "normal", "full":
		if store.IsPostgres(db) {
			return usagef("--sqlite-synchronous applies to a SQLite --db; PostgreSQL's durability is set on the server (synchronous_commit)")
		}
		return nil
	}
	return usagef("SQLite synchronous mode %q (--sqlite-synchronous or %s): want normal or full", mode, envSQLiteSynchronous)
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
	if c.allowPrivate && !isLoopback(host) {
		return usagef("--allow-private-targets is for tests only and needs a loopback --addr: on a reachable server it would let anybody make it connect to private addresses (SSRF)")
	}
	checks, err := c.checkHandler()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	opts := web.Options{Logger: logger, Version: version, Webhooks: c.web, APIToken: c.apiToken, Check: checks}
	if c.db != "" {
		st, err := store.OpenWith(ctx, c.db, store.Options{SQLiteSynchronous: strings.ToLower(c.sqliteSync)})
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
	if c.db != "" && store.IsPostgres(c.db) {
		fmt.Fprintf(a.stdout, "event store: %s\n", redactDSN(c.db))
	} else if c.db != "" {
		mode := strings.ToLower(c.sqliteSync)
		if mode == "" {
			mode = "normal"
		}
		fmt.Fprintf(a.stdout, "event store: %s (SQLite, synchronous=%s)\n", c.db, mode)
	}
	if c.allowProbe {
		fmt.Fprintf(a.stdout, "SMTP probes enabled (--allow-probe, EHLO %s)\n", c.probeHELO)
	}
	if c.allowPrivate {
		fmt.Fprintln(a.stderr, "warning: --allow-private-targets: checks may connect to private and loopback addresses (tests only)")
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

// Check timeouts of the server: below web.DefaultTimeout, the deadline of
// every request, so that a slow check still answers (with "unknown"
// findings) instead of a 503.
const (
	serveCheckTimeout   = web.DefaultTimeout - 2*time.Second // all DNS lookups of one domain check
	serveHandlerTimeout = web.DefaultTimeout - time.Second   // one check request
)

// checkHandler builds the check API and pages of the server.
func (c serveConfig) checkHandler() (http.Handler, error) {
	f := checkFlags{resolver: c.resolver, timeout: serveCheckTimeout, allowPrivate: c.allowPrivate}
	checker, err := f.checker()
	if err != nil {
		return nil, err
	}
	// The checker's caches expire (check's default TTL, 5 minutes), so a
	// domain fixed after a first check shows its new records soon after.
	o := check.HandlerOptions{
		Checker:      checker,
		AllowPrivate: c.allowPrivate,
		Timeout:      serveHandlerTimeout,
		ClientIP:     web.ClientIP(c.trustProxy),
	}
	if c.allowProbe {
		if c.probeHELO == "" || strings.ContainsAny(c.probeHELO, " \t<>@") {
			return nil, usagef("--helo must be a host name")
		}
		// Short waits: a probe must fit in one request. A greylisting
		// server is then usually reported "unknown" (the CLI waits longer).
		o.Probe = &check.ProbeOptions{HELO: c.probeHELO, Timeout: 3 * time.Second, GreylistDelay: 3 * time.Second, MaxMX: 1, Dial: c.probeDial}
	}
	return check.NewHandler(o), nil
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
