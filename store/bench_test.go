package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks run against SQLite always and PostgreSQL when a server is
// reachable (see backends_test.go). bench/store.sh runs them.

func benchPayloads(b *testing.B) (raw, diag []byte) {
	b.Helper()
	raw, err := os.ReadFile("testdata/sendgrid-bounce.json")
	if err != nil {
		b.Fatal(err)
	}
	diag, err = os.ReadFile("testdata/diagnosis.json")
	if err != nil {
		b.Fatal(err)
	}
	return raw, diag
}

var (
	benchReasons   = []string{"userunknown", "mailboxfull", "blocked", "spamdetected", "hostunknown", "expired", "suspend", "policyviolation", "authfailure", "speeding"}
	benchProviders = []string{"sendgrid", "mailgun", "ses", "postmark"}
)

// benchEvent returns the i-th synthetic event at about time t (events arrive
// roughly in time order, up to a minute late): 50,000 recipients over 200
// domains, 60% delivered, the rest bounced/deferred/complained.
func benchEvent(i int, raw, diag []byte, t time.Time) Event {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	rcpt := fmt.Sprintf("user%d@domain%d.example", r.IntN(50000), r.IntN(200))
	e := Event{
		ID: "bench-" + strconv.Itoa(i), Provider: benchProviders[r.IntN(len(benchProviders))],
		ProviderEventID: "bench-" + strconv.Itoa(i), Recipient: rcpt, MessageID: "<" + strconv.Itoa(i) + "@app.example>",
		SendingDomain: "app.example", Time: t.Add(-time.Duration(r.Int64N(int64(time.Minute)))),
		Raw: raw, Type: TypeDelivered,
	}
	switch p := r.IntN(100); {
	case p < 60:
	case p < 90:
		e.Type = TypeBounced
	case p < 98:
		e.Type = TypeDeferred
	default:
		e.Type = TypeComplained
	}
	if e.Type == TypeBounced || e.Type == TypeDeferred {
		e.Reason = benchReasons[r.IntN(len(benchReasons))]
		e.Category, e.Action, e.Fault, e.Status, e.ReplyCode = "mailbox-unknown", "retry", "recipient", "5.1.1", 550
		e.RemoteText = "550 5.1.1 The email account that you tried to reach does not exist."
		e.Diagnosis = diag
	}
	return e
}

type benchBackend struct {
	name string
	dsn  func(b *testing.B) string
}

func benchBackends() []benchBackend {
	return []benchBackend{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") }},
		{"postgres", func(b *testing.B) string { return newPostgresDB(b) }},
	}
}

// benchCallers is how many goroutines call AddEvents at once in the ingestion
// benchmarks: 2 per core, as internal/web's webhook benchmarks post (webhooks
// arrive concurrently; concurrent calls share a group commit).
const benchCallers = 2

func BenchmarkAddEventsBatch100(b *testing.B) {
	raw, diag := benchPayloads(b)
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			s := openT(b, be.dsn(b), Options{})
			benchLinger(s)
			ctx := context.Background()
			base := time.Now()
			var next atomic.Int64
			b.SetParallelism(benchCallers)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := int(next.Add(100)) - 100
					batch := make([]Event, 100)
					for i := range batch {
						batch[i] = benchEvent(n+i, raw, diag, base.Add(time.Duration(n+i)*time.Millisecond))
					}
					if _, err := s.AddEvents(ctx, batch); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkAddEventSingle(b *testing.B) {
	raw, diag := benchPayloads(b)
	for _, be := range benchBackends() {
		for _, sync := range []string{"normal", "full"} {
			if be.name == "postgres" && sync == "normal" {
				continue
			}
			name := be.name
			if be.name == "sqlite" {
				name += "-sync-" + sync
			}
			b.Run(name, func(b *testing.B) {
				s := openT(b, be.dsn(b), Options{SQLiteSynchronous: sync})
				benchLinger(s)
				ctx := context.Background()
				base := time.Now()
				var next atomic.Int64
				b.SetParallelism(benchCallers)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						n := int(next.Add(1)) - 1
						if _, err := s.AddEvents(ctx, []Event{benchEvent(n, raw, diag, base.Add(time.Duration(n)*time.Millisecond))}); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// benchRows is the number of stored events for BenchmarkListEventsPage and
// BenchmarkStorageBytesPerEvent: MAILDX_BENCH_ROWS, default 1,000,000.
func benchRows(b *testing.B) int {
	if v := os.Getenv("MAILDX_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("MAILDX_BENCH_ROWS=%q: want a positive number", v)
		}
		return n
	}
	if testing.Short() {
		b.Skip("-short: set MAILDX_BENCH_ROWS (e.g. 100000) to run with fewer than 1,000,000 events")
	}
	return 1_000_000
}

var benchBase = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// fill adds events [from, to) of rows in batches of 1000, spread evenly over
// the 90 days before benchBase.
func fill(b *testing.B, s Store, from, to, rows int) {
	step := 90 * 24 * time.Hour / time.Duration(rows)
	raw, diag := benchPayloads(b)
	ctx := context.Background()
	for i := from; i < to; i += 1000 {
		batch := make([]Event, 0, 1000)
		for j := i; j < min(i+1000, to); j++ {
			batch = append(batch, benchEvent(j, raw, diag, benchBase.Add(-90*24*time.Hour+time.Duration(j)*step)))
		}
		if _, err := s.AddEvents(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStore returns a store holding rows events. The SQLite file is kept in
// the temporary directory (maildx-bench-ROWS.db) and reused by later runs.
func benchStore(b *testing.B, be benchBackend, rows int) Store {
	var dsn string
	if be.name == "sqlite" {
		dsn = filepath.Join(os.TempDir(), fmt.Sprintf("maildx-bench-%d.db", rows))
	} else {
		dsn = be.dsn(b)
	}
	s := openT(b, dsn, Options{SQLiteSynchronous: "normal"})
	have := countEvents(b, s)
	if have < rows {
		start := time.Now()
		fill(b, s, have, rows, rows)
		b.Logf("%s: generated %d events in %v", be.name, rows-have, time.Since(start).Round(time.Second))
	}
	return s
}

func countEvents(b *testing.B, s Store) int {
	ss := s.(*sqlStore)
	var n int
	if err := ss.r.QueryRow("SELECT count(*) FROM events").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkListEventsPage measures one 50-event page of ListEvents over a
// mix of filters (none, recipient, reason, provider+type, domain, date range,
// and the page after a cursor) and reports p50/p99 latency.
func BenchmarkListEventsPage(b *testing.B) {
	rows := benchRows(b)
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			s := benchStore(b, be, rows)
			ctx := context.Background()
			first, cursor, err := s.ListEvents(ctx, Filter{})
			if err != nil || len(first) != 50 {
				b.Fatal(err)
			}
			filters := []Filter{
				{},
				{Cursor: cursor},
				{Recipient: "user123@domain7.example"},
				{Reason: "userunknown"},
				{Provider: "ses", Type: TypeBounced},
				{Domain: "domain42.example"},
				{Type: TypeBounced, Since: benchBase.Add(-40 * 24 * time.Hour), Until: benchBase.Add(-39 * 24 * time.Hour)},
				{Reason: "blocked", Provider: "mailgun", Domain: "domain3.example"},
			}
			var lat []time.Duration
			i := 0
			for b.Loop() {
				t := time.Now()
				if _, _, err := s.ListEvents(ctx, filters[i%len(filters)]); err != nil {
					b.Fatal(err)
				}
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

// BenchmarkStorageBytesPerEvent reports database size / stored events for the
// events of BenchmarkListEventsPage (realistic 500-byte raw payloads and a
// 700-byte diagnosis on 40% of them).
func BenchmarkStorageBytesPerEvent(b *testing.B) {
	rows := benchRows(b)
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			s := benchStore(b, be, rows)
			ss := s.(*sqlStore)
			var size int64
			if ss.dialect == "sqlite" {
				if _, err := ss.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
					b.Fatal(err)
				}
				fi, err := os.Stat(ss.path)
				if err != nil {
					b.Fatal(err)
				}
				size = fi.Size()
			} else if err := ss.r.QueryRow("SELECT pg_total_relation_size('events') + pg_total_relation_size('suppressions') + pg_total_relation_size('soft_failures')").Scan(&size); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(size)/float64(countEvents(b, s)), "bytes/event")
		})
	}
}

// benchLinger sets the group writer's linger (see groupLinger) from
// MAILDX_BENCH_GROUP_LINGER, e.g. "1ms", to compare.
func benchLinger(s Store) {
	if v := os.Getenv("MAILDX_BENCH_GROUP_LINGER"); v != "" {
		d, _ := time.ParseDuration(v)
		s.(*sqlStore).gw.linger = d
	}
}
