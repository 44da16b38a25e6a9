package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/store"
	"github.com/maildx/maildx/store/storetest"
)

// BenchmarkAPIExplain measures POST /api/v1/explain through the whole
// handler stack (headers, routing, timeout, metrics, JSON) without the
// network; bench/serve.sh measures it over loopback.
func BenchmarkAPIExplain(b *testing.B) {
	h := New(Options{})
	body := `{"text":"` + userUnknown + `"}`
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/explain", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// serveBodies are the request bodies of bench/serve.sh, one per request in
// turn.
var serveBodies = []string{
	`{"text":"550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown"}`,
	`{"text":"452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp gsmtp"}`,
	`{"text":"550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP."}`,
	`{"text":"421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints","lang":"de"}`,
	`{"text":"0x800CCC0E"}`,
	`{"text":"{\"code\":\"EENVELOPE\",\"response\":\"421 4.3.0 Temporary System Problem. Try again later gsmtp\",\"responseCode\":421,\"command\":\"RCPT TO\"}"}`,
}

// discardWriter is a ResponseWriter that keeps only the status code and
// reuses its header map, so that the handler benchmark measures the
// handler and not the test's recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkExplainHandler calls the handler's ServeHTTP directly with the
// bodies of bench/serve.sh: no httptest request building, no recording.
func BenchmarkExplainHandler(b *testing.B) {
	h := New(Options{})
	reqs := make([]*http.Request, len(serveBodies))
	readers := make([]*strings.Reader, len(serveBodies))
	for i, body := range serveBodies {
		readers[i] = strings.NewReader(body)
		reqs[i] = httptest.NewRequest("POST", "/api/v1/explain", readers[i])
		reqs[i].Header.Set("Content-Type", "application/json")
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % len(reqs)
		i++
		readers[k].Seek(0, io.SeekStart)
		r := *reqs[k] // the handler replaces Body
		r.Body = io.NopCloser(readers[k])
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, &r)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

// BenchmarkExplainLoopback posts the bodies of bench/serve.sh to a server
// on 127.0.0.1 (NewHTTPServer's settings) from 2 goroutines per core over
// keep-alive connections; client and server share the machine.
func BenchmarkExplainLoopback(b *testing.B) {
	srv := httptest.NewUnstartedServer(New(Options{}))
	srv.Config = NewHTTPServer("", srv.Config.Handler, nil)
	srv.Start()
	defer srv.Close()
	url := srv.URL + "/api/v1/explain"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := serveBodies[next.Add(1)%int64(len(serveBodies))]
			resp, err := client.Post(url, "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// TestServeUnderLoad serves the site with NewHTTPServer's settings on
// $MAILDX_LOAD_ADDR for $MAILDX_LOAD_SECONDS (default 20) so that an
// outside load generator can drive it, and reports what the server
// allocated and collected per POST /api/v1/explain meanwhile; without
// MAILDX_LOAD_ADDR it is skipped. With -cpuprofile it profiles the server
// under real connections, for example:
//
//	MAILDX_LOAD_ADDR=127.0.0.1:18099 go test ./internal/web -run TestServeUnderLoad -v -cpuprofile cpu.prof &
//	sleep 3; wrk -t1 -c32 -d15s -s bench/out/explain.lua http://127.0.0.1:18099/api/v1/explain
//
// (bench/serve.sh writes explain.lua; GOGC=400 collects as maildx serve
// does.) The counting starts 2 s after the server, so a 2 s wrk warm-up is
// not counted.
func TestServeUnderLoad(t *testing.T) {
	addr := os.Getenv("MAILDX_LOAD_ADDR")
	if addr == "" {
		t.Skip("MAILDX_LOAD_ADDR is not set")
	}
	secs := 20
	if v := os.Getenv("MAILDX_LOAD_SECONDS"); v != "" {
		var err error
		if secs, err = strconv.Atoi(v); err != nil || secs <= 0 {
			t.Fatalf("MAILDX_LOAD_SECONDS=%q: want a number of seconds", v)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{}).(*server)
	srv := NewHTTPServer(addr, s, nil)
	go srv.Serve(ln)
	defer srv.Close()
	time.Sleep(2 * time.Second)
	rm := s.metrics.byRoute[explainPattern]
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n0 := rm.count.Load()
	time.Sleep(time.Duration(secs) * time.Second)
	runtime.ReadMemStats(&after)
	n := rm.count.Load() - n0
	if n == 0 {
		t.Fatal("no POST /api/v1/explain arrived")
	}
	t.Logf("%d requests in %d s: %.1f allocations and %.0f bytes per request; %d collections (every %d requests), %v stopped in all, heap %d MB",
		n, secs, float64(after.Mallocs-before.Mallocs)/float64(n), float64(after.TotalAlloc-before.TotalAlloc)/float64(n),
		after.NumGC-before.NumGC, n/uint64(max(1, after.NumGC-before.NumGC)), time.Duration(after.PauseTotalNs-before.PauseTotalNs), after.HeapAlloc>>20)
}

// newBenchServer serves the site with a fresh store on 127.0.0.1: a SQLite
// file, or for backend "postgres" a throwaway PostgreSQL database (skipped
// when no server is reachable; see store/storetest).
func newBenchServer(b *testing.B, backend string) *httptest.Server {
	b.Helper()
	dsn := filepath.Join(b.TempDir(), "bench.db")
	if backend == "postgres" {
		dsn = storetest.NewPostgresDB(b, storetest.PostgresDSN(b))
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	h := New(Options{Store: st, Webhooks: Webhooks{MailgunSigningKey: testMailgunKey, SendGridPublicKey: testSGKey().pub}})
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv
}

// postAll sends the prepared requests from 4 goroutines (2 per core) over
// keep-alive connections and reports events/s.
func postAll(b *testing.B, url string, bodies [][]byte, headers []map[string]string, perRequest int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var next atomic.Int64
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[i]))
			for k, v := range headers[i] {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N*perRequest)/b.Elapsed().Seconds(), "events/s")
}

// benchBackends runs a benchmark against SQLite and PostgreSQL.
func benchBackends(b *testing.B, f func(b *testing.B, backend string)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) { f(b, backend) })
	}
}

// BenchmarkWebhookSendGridBatch100 posts signed SendGrid batches of 100
// events over HTTP on 127.0.0.1 into SQLite and PostgreSQL (target on
// SQLite ≥ 5,000 events/s).
func BenchmarkWebhookSendGridBatch100(b *testing.B) { benchBackends(b, benchSendGridBatch100) }

func benchSendGridBatch100(b *testing.B, backend string) {
	srv := newBenchServer(b, backend)
	key := testSGKey()
	bodies := make([][]byte, b.N)
	headers := make([]map[string]string, b.N)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	for i := range b.N {
		bodies[i] = sendgridBatch(100, i)
		headers[i] = map[string]string{event.SendGridSignatureHeader: key.sign(ts, bodies[i]), event.SendGridTimestampHeader: ts, "Content-Type": "application/json"}
	}
	postAll(b, srv.URL+"/webhooks/sendgrid", bodies, headers, 100)
}

// BenchmarkWebhookMailgunSingle posts single signed Mailgun events over HTTP
// on 127.0.0.1 into SQLite and PostgreSQL (target on SQLite ≥ 1,500
// events/s).
func BenchmarkWebhookMailgunSingle(b *testing.B) { benchBackends(b, benchMailgunSingle) }

func benchMailgunSingle(b *testing.B, backend string) {
	srv := newBenchServer(b, backend)
	raw := eventTestdata(b, "mailgun/failed-permanent.json")
	bodies := make([][]byte, b.N)
	headers := make([]map[string]string, b.N)
	now := time.Now().Unix()
	for i := range b.N {
		var m map[string]any
		json.Unmarshal(raw, &m)
		ed := m["event-data"].(map[string]any)
		ed["id"] = fmt.Sprintf("bench-%d", i)
		ed["recipient"] = fmt.Sprintf("kunde%d@example.de", i)
		body, _ := json.Marshal(m)
		bodies[i] = signMailgun(b, body, testMailgunKey, now, "")
		headers[i] = map[string]string{"Content-Type": "application/json"}
	}
	postAll(b, srv.URL+"/webhooks/mailgun", bodies, headers, 1)
}
