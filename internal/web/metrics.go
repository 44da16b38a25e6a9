package web

import (
	"bufio"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/maildx/maildx/kb"
)

// The metrics are few and fixed, so they are written in the Prometheus text
// exposition format (version 0.0.4) directly rather than through a client
// library: every counter is an atomic, and the set of routes and reasons is
// known when New returns.

// latencyBuckets are the upper bounds, in seconds, of the request latency
// histogram.
var latencyBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type metrics struct {
	version string
	start   time.Time
	routes  []*routeMetrics
	byRoute map[string]*routeMetrics
	reasons map[string]*atomic.Uint64 // one per kb.Reasons entry; read-only map
}

type routeMetrics struct {
	route   string
	status  [600]atomic.Uint64 // requests by status code
	buckets [len(latencyBuckets)]atomic.Uint64
	count   atomic.Uint64
	sumNano atomic.Uint64
}

func newMetrics(version string) *metrics {
	m := &metrics{version: version, start: time.Now(), byRoute: map[string]*routeMetrics{}, reasons: map[string]*atomic.Uint64{}}
	for _, r := range kb.Reasons {
		m.reasons[r] = new(atomic.Uint64)
	}
	return m
}

// route returns the metrics of a route, creating them. It is called only
// while the routes are registered, before the server serves.
func (m *metrics) route(name string) *routeMetrics {
	if rm, ok := m.byRoute[name]; ok {
		return rm
	}
	rm := &routeMetrics{route: name}
	m.byRoute[name] = rm
	m.routes = append(m.routes, rm)
	return rm
}

func (rm *routeMetrics) observe(status int, d time.Duration) {
	if status < 100 || status >= len(rm.status) {
		status = 500
	}
	rm.status[status].Add(1)
	secs := d.Seconds()
	for i, le := range latencyBuckets {
		if secs <= le {
			rm.buckets[i].Add(1)
			break
		}
	}
	rm.count.Add(1)
	rm.sumNano.Add(uint64(d.Nanoseconds()))
}

// explained counts one diagnosis by its reason.
func (m *metrics) explained(reason string) {
	if c, ok := m.reasons[reason]; ok {
		c.Add(1)
	}
}

func (s *server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	s.metrics.write(bw)
	_ = bw.Flush()
}

func (m *metrics) write(w *bufio.Writer) {
	fmt.Fprintf(w, "# HELP maildx_build_info The running maildx version.\n# TYPE maildx_build_info gauge\n")
	fmt.Fprintf(w, "maildx_build_info{version=%s,goversion=%s} 1\n", quote(m.version), quote(runtime.Version()))
	fmt.Fprintf(w, "# HELP maildx_start_time_seconds When the server started, in seconds since the Unix epoch.\n# TYPE maildx_start_time_seconds gauge\n")
	fmt.Fprintf(w, "maildx_start_time_seconds %d\n", m.start.Unix())

	fmt.Fprintf(w, "# HELP maildx_http_requests_total HTTP requests by route and status code.\n# TYPE maildx_http_requests_total counter\n")
	for _, rm := range m.routes {
		for code := range rm.status {
			if n := rm.status[code].Load(); n > 0 {
				fmt.Fprintf(w, "maildx_http_requests_total{route=%s,code=\"%d\"} %d\n", quote(rm.route), code, n)
			}
		}
	}

	fmt.Fprintf(w, "# HELP maildx_http_request_duration_seconds Time to answer HTTP requests, by route.\n# TYPE maildx_http_request_duration_seconds histogram\n")
	for _, rm := range m.routes {
		count := rm.count.Load()
		if count == 0 {
			continue
		}
		route := quote(rm.route)
		var cum uint64
		for i, le := range latencyBuckets {
			cum += rm.buckets[i].Load()
			fmt.Fprintf(w, "maildx_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", route, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "maildx_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", route, count)
		fmt.Fprintf(w, "maildx_http_request_duration_seconds_sum{route=%s} %s\n", route, strconv.FormatFloat(float64(rm.sumNano.Load())/1e9, 'g', -1, 64))
		fmt.Fprintf(w, "maildx_http_request_duration_seconds_count{route=%s} %d\n", route, count)
	}

	fmt.Fprintf(w, "# HELP maildx_explanations_total Diagnoses made (API, web UI and parsed bounces), by reason.\n# TYPE maildx_explanations_total counter\n")
	for _, reason := range kb.Reasons {
		fmt.Fprintf(w, "maildx_explanations_total{reason=%s} %d\n", quote(reason), m.reasons[reason].Load())
	}
}

// quote writes a label value: backslash, double quote and newline escaped.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
