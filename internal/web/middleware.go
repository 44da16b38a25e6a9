package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// contentSecurityPolicy allows resources from this origin only: no inline
// script or style, no plugins, no framing, forms post back here only.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// ServeHTTP adds the security headers every response carries and dispatches
// to the route table. Panics are recovered per route (see wrap); the
// recover here covers the mux itself.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic outside a route", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// newRequestPrefix returns a random prefix that distinguishes the request
// ids of different processes.
func newRequestPrefix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// wrap bounds one route: a context deadline (Options.Timeout; a handler
// that gives up because of it without answering gets 503), panic recovery
// (500), a request id, metrics and logging.
//
// The deadline is a context, not http.TimeoutHandler: that would run every
// request on a second goroutine and buffer its answer, which costs more
// than an explanation. The work a request can cause is bounded by the body
// limits, and the long loops (batches, multi-file uploads) check the context.
func (s *server) wrap(route string, api bool, h http.HandlerFunc) http.Handler {
	rm := s.metrics.route(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := s.reqPrefix + "-" + strconv.FormatUint(s.reqSeq.Add(1), 10)
		w.Header().Set("X-Request-Id", id)
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
		defer cancel()
		r = r.WithContext(ctx)
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic", "request_id", id, "route", route, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !rec.wrote {
					if api {
						writeError(rec, http.StatusInternalServerError, "internal error")
					} else {
						s.renderError(rec, r, http.StatusInternalServerError)
					}
				}
				rec.status = http.StatusInternalServerError
			}
			if !rec.wrote && ctx.Err() == context.DeadlineExceeded {
				if api {
					writeError(rec, http.StatusServiceUnavailable, "request timed out")
				} else {
					s.renderError(rec, r, http.StatusServiceUnavailable)
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			d := time.Since(start)
			path := r.URL.Path
			if strings.Contains(route, "{address}") {
				path = route // addresses are personal data: not logged
			}
			rm.observe(status, d)
			switch {
			case status >= 500:
				s.log.Error("request failed", "request_id", id, "route", route, "method", r.Method, "path", path, "status", status, "duration", d)
			case s.log.Enabled(ctx, slog.LevelDebug):
				s.log.Debug("request", "request_id", id, "route", route, "method", r.Method, "path", path, "status", status, "duration", d)
			}
		}()
		h(rec, r)
	})
}

// recorder remembers the status code written through it.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
