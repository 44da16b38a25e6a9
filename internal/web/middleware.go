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
	"sync"
	"time"
)

// contentSecurityPolicy allows resources from this origin only: no inline
// script or style, no plugins, no framing, forms post back here only.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders are the headers every response carries, as prepared
// header values: ServeHTTP stores these slices into the response header
// instead of allocating one per header and request (http.Header.Set would).
// Nothing modifies a header value in place; Set, Add and Del replace the
// slice (each has capacity 1, so an Add copies).
var securityHeaders = [...]struct {
	key   string // canonical form
	value []string
}{
	{"Content-Security-Policy", []string{contentSecurityPolicy}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
}

// explainPath is the path of the API's hottest route.
const explainPath = "/api/v1/explain"

// explainPattern is the route pattern of POST /api/v1/explain.
const explainPattern = http.MethodPost + " " + explainPath

// ServeHTTP adds the security headers every response carries and dispatches
// to the route table. Panics are recovered per route (see wrap); the
// recover here covers the mux itself.
//
// POST /api/v1/explain goes straight to its route: the mux would find the
// same handler (the path is clean and unescaped, and no route names a
// host), but its lookup – a read lock shared by all cores, path cleaning,
// a walk of the routing tree – cost 2.5% of the server's CPU time under
// bench/serve.sh.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for _, sh := range &securityHeaders {
		h[sh.key] = sh.value
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic outside a route", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
		}
	}()
	if r.Method == http.MethodPost && r.URL.Path == explainPath && r.URL.RawPath == "" {
		r.Pattern = explainPattern // as the mux sets it
		s.explain.ServeHTTP(w, r)
		return
	}
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
	return s.wrapRoute(route, api, true, h)
}

// wrapRoute is wrap; with deadline false the route gets no context
// deadline of its own, which saves a context, a timer and a copy of the
// request per request. Such a handler either cannot run long (its work is
// bounded by the body limit and the http.Server timeouts) or sets the
// deadline itself where it loops (see withDeadline).
func (s *server) wrapRoute(route string, api, deadline bool, h http.HandlerFunc) http.Handler {
	rm := s.metrics.route(route)
	personal := strings.Contains(route, "{address}") // addresses are personal data: not logged
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var idBuf [40]byte
		id := string(strconv.AppendUint(append(append(idBuf[:0], s.reqPrefix...), '-'), s.reqSeq.Add(1), 10))
		w.Header()["X-Request-Id"] = []string{id}
		ctx := r.Context()
		if deadline {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, start.Add(s.opts.Timeout))
			defer cancel()
			r = r.WithContext(ctx)
		}
		rec := recorderPool.Get().(*recorder)
		*rec = recorder{ResponseWriter: w, start: start}
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
			if deadline && !rec.wrote && ctx.Err() == context.DeadlineExceeded {
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
			*rec = recorder{}
			recorderPool.Put(rec)
			d := time.Since(start)
			rm.observe(status, d)
			switch {
			case status >= 500:
				s.log.Error("request failed", "request_id", id, "route", route, "method", r.Method, "path", logPath(r, route, personal), "status", status, "duration", d)
			case s.log.Enabled(ctx, slog.LevelDebug):
				s.log.Debug("request", "request_id", id, "route", route, "method", r.Method, "path", logPath(r, route, personal), "status", status, "duration", d)
			}
		}()
		h(rec, r)
	})
}

// logPath is the path a request is logged under: the route for routes
// whose path holds personal data.
func logPath(r *http.Request, route string, personal bool) string {
	if personal {
		return route
	}
	return r.URL.Path
}

// withDeadline returns the request's context bounded by Options.Timeout
// from the start of the request, for handlers of routes registered without
// a deadline (wrapRoute) that loop over a batch. The handler itself must
// then answer a timeout: see writeTimeout.
func (s *server) withDeadline(w http.ResponseWriter, r *http.Request) (context.Context, context.CancelFunc) {
	start := time.Now()
	if rec, ok := w.(*recorder); ok && !rec.start.IsZero() {
		start = rec.start
	}
	return context.WithDeadline(r.Context(), start.Add(s.opts.Timeout))
}

// writeTimeout answers an API request whose deadline (withDeadline) ended
// as wrap answers one whose route deadline did; it writes nothing when the
// context ended otherwise (the client went away).
func writeTimeout(w http.ResponseWriter, ctx context.Context) {
	if ctx.Err() == context.DeadlineExceeded {
		writeError(w, http.StatusServiceUnavailable, "request timed out")
	}
}

// recorderPool recycles the recorders of wrap: a recorder lives exactly
// as long as its request's handler.
var recorderPool = sync.Pool{New: func() any { return new(recorder) }}

// recorder remembers the status code written through it.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	start  time.Time // when wrap received the request
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
