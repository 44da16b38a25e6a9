package store_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maildx/maildx/store"
	"github.com/maildx/maildx/store/storetest"
)

// The store benchmarks, over storetest's synthetic events (the same ones
// internal/web's API benchmark reads). They run against SQLite always and
// PostgreSQL when a server is reachable (storetest.PostgresDSN).
// bench/store.sh runs them.

// benchCallers is how many goroutines call AddEvents at once in the ingestion
// benchmarks: 2 per core, as internal/web's webhook benchmarks post (webhooks
// arrive concurrently; concurrent calls share a group commit).
const benchCallers = 2

// openEmpty returns an empty store of the backend ("sqlite" or "postgres"),
// closed at the end of b.
func openEmpty(b *testing.B, backend string, opts store.Options) store.Store {
	b.Helper()
	dsn := filepath.Join(b.TempDir(), "bench.db")
	if backend == "postgres" {
		dsn = storetest.NewPostgresDB(b, storetest.PostgresDSN(b))
	}
	s, err := store.OpenWith(context.Background(), dsn, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	// MAILDX_BENCH_GROUP_LINGER, e.g. "1ms", sets the group writer's linger
	// (see groupLinger) to compare.
	if v := os.Getenv("MAILDX_BENCH_GROUP_LINGER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("MAILDX_BENCH_GROUP_LINGER=%q: %v", v, err)
		}
		store.SetGroupLinger(s, d)
	}
	return s
}

// benchIngest calls AddEvents with batches of n new events from
// benchCallers goroutines and reports events/s.
func benchIngest(b *testing.B, s store.Store, n int) {
	raw, diag := storetest.Payloads(b)
	ctx := context.Background()
	base := time.Now()
	var next atomic.Int64
	b.SetParallelism(benchCallers)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			first := int(next.Add(int64(n))) - n
			batch := make([]store.Event, n)
			for i := range batch {
				batch[i] = storetest.Event(first+i, raw, diag, base.Add(time.Duration(first+i)*time.Millisecond))
			}
			if _, err := s.AddEvents(ctx, batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkAddEventsBatch100(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			benchIngest(b, openEmpty(b, backend, store.Options{}), 100)
		})
	}
}

func BenchmarkAddEventSingle(b *testing.B) {
	for _, name := range []string{"sqlite-sync-normal", "sqlite-sync-full", "postgres"} {
		b.Run(name, func(b *testing.B) {
			switch name {
			case "postgres":
				benchIngest(b, openEmpty(b, "postgres", store.Options{}), 1)
			case "sqlite-sync-normal":
				benchIngest(b, openEmpty(b, "sqlite", store.Options{SQLiteSynchronous: "normal"}), 1)
			case "sqlite-sync-full":
				benchIngest(b, openEmpty(b, "sqlite", store.Options{SQLiteSynchronous: "full"}), 1)
			}
		})
	}
}

// largeStores are the stores with storetest.Rows events: SQLite's file is
// kept and reused ($TMPDIR/maildx-bench-ROWS.db); PostgreSQL's database is
// generated for the run and dropped after it.
var largeStores = []struct {
	name string
	open func(b *testing.B, rows int) store.Store
}{
	{"sqlite", func(b *testing.B, rows int) store.Store { return storetest.OpenSQLite(b, rows) }},
	{"postgres", func(b *testing.B, rows int) store.Store {
		return storetest.OpenPostgres(b, storetest.PostgresDSN(b), rows)
	}},
}

// BenchmarkListEventsPage measures one 50-event page of ListEvents over a
// mix of filters (none, recipient, reason, provider+type, domain, date range,
// and the page after a cursor) and reports p50/p99 latency.
func BenchmarkListEventsPage(b *testing.B) {
	rows := storetest.Rows(b)
	for _, be := range largeStores {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b, rows)
			ctx := context.Background()
			first, cursor, err := s.ListEvents(ctx, store.Filter{})
			if err != nil || len(first) != 50 {
				b.Fatal(err)
			}
			filters := []store.Filter{
				{},
				{Cursor: cursor},
				{Recipient: "user123@domain7.example"},
				{Reason: "userunknown"},
				{Provider: "ses", Type: store.TypeBounced},
				{Domain: "domain42.example"},
				{Type: store.TypeBounced, Since: storetest.Base.Add(-40 * 24 * time.Hour), Until: storetest.Base.Add(-39 * 24 * time.Hour)},
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
	rows := storetest.Rows(b)
	for _, be := range largeStores {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b, rows)
			size, err := store.StorageBytes(s)
			if err != nil {
				b.Fatal(err)
			}
			n, err := store.CountEvents(s)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(size)/float64(n), "bytes/event")
		})
	}
}
