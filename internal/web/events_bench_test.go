package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/maildx/maildx/store"
	"github.com/maildx/maildx/store/storetest"
)

// BenchmarkEventsAPIPage measures GET /api/v1/events (a page of 50) over a
// real loopback connection with MAILDX_BENCH_ROWS stored events (default
// 1,000,000; skipped under -short without it) and reports p50/p99 latency as
// the client sees it: a mix of unfiltered, cursor, recipient, reason,
// provider+type, domain, date-range and three-filter pages, the same mix as
// store's BenchmarkListEventsPage. The SQLite database is shared with that
// benchmark ($TMPDIR/maildx-bench-ROWS.db). PostgreSQL runs when
// MAILDX_TEST_POSTGRES is set or a server answers on 127.0.0.1:5432.
// bench/store.sh runs it.
func BenchmarkEventsAPIPage(b *testing.B) {
	rows := storetest.Rows(b)
	backends := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store { return storetest.OpenSQLite(b, rows) }},
		{"postgres", func(b *testing.B) store.Store { return storetest.OpenPostgres(b, storetest.PostgresDSN(b), rows) }},
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			srv := httptest.NewServer(New(Options{Version: "bench", Store: st, APIToken: testToken}))
			defer srv.Close()
			client := srv.Client()
			get := func(query string) EventsResponse {
				req, err := http.NewRequest("GET", srv.URL+"/api/v1/events?"+query, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+testToken)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					msg, _ := io.ReadAll(resp.Body)
					b.Fatalf("GET %s: %s %s", query, resp.Status, msg)
				}
				var r EventsResponse
				if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
					b.Fatal(err)
				}
				return r
			}
			first := get("")
			if len(first.Events) != 50 || first.NextCursor == "" {
				b.Fatalf("first page: %d events, cursor %q", len(first.Events), first.NextCursor)
			}
			day := func(d int) string { return storetest.Base.Add(time.Duration(d) * 24 * time.Hour).Format(time.RFC3339) }
			queries := []string{
				"",
				url.Values{"cursor": {first.NextCursor}}.Encode(),
				url.Values{"recipient": {"user123@domain7.example"}}.Encode(),
				url.Values{"reason": {"userunknown"}}.Encode(),
				url.Values{"provider": {"ses"}, "type": {"bounced"}}.Encode(),
				url.Values{"domain": {"domain42.example"}}.Encode(),
				url.Values{"type": {"bounced"}, "since": {day(-40)}, "until": {day(-39)}}.Encode(),
				url.Values{"reason": {"blocked"}, "provider": {"mailgun"}, "domain": {"domain3.example"}}.Encode(),
			}
			var lat []time.Duration
			i := 0
			for b.Loop() {
				t := time.Now()
				get(queries[i%len(queries)])
				lat = append(lat, time.Since(t))
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(rows), "events")
		})
	}
}
