package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/maildx/maildx/internal/web"
	"github.com/spf13/cobra"
)

// defaultAddr is loopback: the server holds no secrets yet, but nothing
// should be reachable from the network unless asked for.
const defaultAddr = "127.0.0.1:8025"

func (a *app) serveCmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT]",
		Short: "Run the web UI and the JSON API",
		Long: `Run maildx's HTTP server: the web UI (paste an error, upload a bounce,
browse the error library, in English and German) and the JSON API under
/api/v1 (documented in docs/api.md and served at /api/v1/openapi.json),
with /healthz and Prometheus /metrics.

The server listens on ` + defaultAddr + ` unless --addr says otherwise and
stops cleanly on Ctrl-C or SIGTERM.`,
		Example: "  maildx serve\n  maildx serve --addr :8080",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.serve(ctx, addr)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultAddr, "address to listen on")
	return cmd
}

func (a *app) serve(ctx context.Context, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("--addr %q: want HOST:PORT (for example 127.0.0.1:8025 or :8080)", addr)
	}
	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := web.NewHTTPServer(addr, web.New(web.Options{Logger: logger, Version: version}), logger)
	fmt.Fprintf(a.stdout, "maildx is serving on %s (Ctrl-C to stop)\n", urlFor(ln.Addr()))
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
