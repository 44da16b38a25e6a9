package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/store"
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

// newBenchServer serves the site with a fresh SQLite store on 127.0.0.1.
func newBenchServer(b *testing.B) *httptest.Server {
	b.Helper()
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
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

// BenchmarkWebhookSendGridBatch100 posts signed SendGrid batches of 100
// events over HTTP on 127.0.0.1 into SQLite (target ≥ 5,000 events/s).
func BenchmarkWebhookSendGridBatch100(b *testing.B) {
	srv := newBenchServer(b)
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
// on 127.0.0.1 into SQLite (target ≥ 1,500 events/s).
func BenchmarkWebhookMailgunSingle(b *testing.B) {
	srv := newBenchServer(b)
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
