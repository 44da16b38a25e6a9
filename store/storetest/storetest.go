// Package storetest builds large synthetic event stores for the benchmarks
// of package store (store_test) and internal/web's API benchmarks, so that
// both read the same events: the SQLite file $TMPDIR/maildx-bench-ROWS.db is
// generated once and reused.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/maildx/maildx/store"
)

// Base is the end of the 90 days the events of Open are spread over.
var Base = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

var (
	reasons   = []string{"userunknown", "mailboxfull", "blocked", "spamdetected", "hostunknown", "expired", "suspend", "policyviolation", "authfailure", "speeding"}
	providers = []string{"sendgrid", "mailgun", "ses", "postmark"}
)

// Payloads returns the raw SendGrid bounce and the diagnosis JSON from
// store/testdata.
func Payloads(tb testing.TB) (raw, diag []byte) {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "testdata")
	raw, err := os.ReadFile(filepath.Join(dir, "sendgrid-bounce.json"))
	if err != nil {
		tb.Fatal(err)
	}
	diag, err = os.ReadFile(filepath.Join(dir, "diagnosis.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return raw, diag
}

// Event returns the i-th synthetic event at about time t (up to a minute
// earlier): 50,000 recipients userN@domainM.example over 200 domains, 60%
// delivered, 30% bounced, 8% deferred, 2% complained.
func Event(i int, raw, diag []byte, t time.Time) store.Event {
	r := mrand.New(mrand.NewPCG(uint64(i), 42))
	rcpt := fmt.Sprintf("user%d@domain%d.example", r.IntN(50000), r.IntN(200))
	e := store.Event{
		ID: "bench-" + strconv.Itoa(i), Provider: providers[r.IntN(len(providers))],
		ProviderEventID: "bench-" + strconv.Itoa(i), Recipient: rcpt, MessageID: "<" + strconv.Itoa(i) + "@app.example>",
		SendingDomain: "app.example", Time: t.Add(-time.Duration(r.Int64N(int64(time.Minute)))),
		Raw: raw, Type: store.TypeDelivered,
	}
	switch p := r.IntN(100); {
	case p < 60:
	case p < 90:
		e.Type = store.TypeBounced
	case p < 98:
		e.Type = store.TypeDeferred
	default:
		e.Type = store.TypeComplained
	}
	if e.Type == store.TypeBounced || e.Type == store.TypeDeferred {
		e.Reason = reasons[r.IntN(len(reasons))]
		e.Category, e.Action, e.Fault, e.Status, e.ReplyCode = "mailbox-unknown", "retry", "recipient", "5.1.1", 550
		e.RemoteText = "550 5.1.1 The email account that you tried to reach does not exist."
		e.Diagnosis = diag
	}
	return e
}

// Rows is the number of events for the large-store benchmarks:
// MAILDX_BENCH_ROWS, default 1,000,000. Under -short without
// MAILDX_BENCH_ROWS it skips tb.
func Rows(tb testing.TB) int {
	tb.Helper()
	if v := os.Getenv("MAILDX_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("MAILDX_BENCH_ROWS=%q: want a positive number", v)
		}
		return n
	}
	if testing.Short() {
		tb.Skip("-short: set MAILDX_BENCH_ROWS (e.g. 100000) to run with fewer than 1,000,000 events")
	}
	return 1_000_000
}

// OpenSQLite returns a store holding rows events in
// $TMPDIR/maildx-bench-ROWS.db, generating the missing ones (about 8 minutes
// for 1,000,000 on 2 cores). The file is kept for later runs.
func OpenSQLite(tb testing.TB, rows int) store.Store {
	tb.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("maildx-bench-%d.db", rows))
	return open(tb, "sqlite", path, rows)
}

// PostgresDSN returns the DSN of a PostgreSQL user allowed to create
// databases: MAILDX_TEST_POSTGRES, else the default server on
// 127.0.0.1:5432 when it answers. Without one it skips tb.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	if dsn := os.Getenv("MAILDX_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:5432", 500*time.Millisecond)
	if err != nil {
		tb.Skip("no PostgreSQL server on 127.0.0.1:5432; set MAILDX_TEST_POSTGRES (see docs/store.md)")
	}
	c.Close()
	return "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewPostgresDB creates an empty database on the server of admin (a DSN of
// a user allowed to create databases), drops it at the end of tb and
// returns its DSN.
func NewPostgresDB(tb testing.TB, admin string) string {
	tb.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "maildx_bench_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		db.Close()
		tb.Fatalf("creating benchmark database: %v", err)
	}
	tb.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			tb.Logf("dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// OpenPostgres creates a database on the PostgreSQL server of admin (see
// NewPostgresDB), fills it with rows events and drops it at the end of tb.
func OpenPostgres(tb testing.TB, admin string, rows int) store.Store {
	tb.Helper()
	return open(tb, "pgx", NewPostgresDB(tb, admin), rows)
}

func open(tb testing.TB, driver, dsn string, rows int) store.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := store.OpenWith(ctx, dsn, store.Options{SQLiteSynchronous: "normal"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var have int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&have); err != nil {
		tb.Fatal(err)
	}
	if have < rows {
		start := time.Now()
		if driver == "pgx" {
			fillPostgres(tb, db, have, rows, rows)
		} else {
			Fill(tb, s, have, rows, rows)
		}
		tb.Logf("%s: generated %d events in %v", s.Dialect(), rows-have, time.Since(start).Round(time.Second))
	}
	return s
}

// Fill adds events [from, to) of rows to s in batches of 1000, spread evenly
// over the 90 days before Base.
func Fill(tb testing.TB, s store.Store, from, to, rows int) {
	tb.Helper()
	step := 90 * 24 * time.Hour / time.Duration(rows)
	raw, diag := Payloads(tb)
	ctx := context.Background()
	for i := from; i < to; i += 1000 {
		batch := make([]store.Event, 0, 1000)
		for j := i; j < min(i+1000, to); j++ {
			batch = append(batch, Event(j, raw, diag, Base.Add(-90*24*time.Hour+time.Duration(j)*step)))
		}
		if _, err := s.AddEvents(ctx, batch); err != nil {
			tb.Fatal(err)
		}
	}
}

// fillPostgres adds events [from, to) of rows in one INSERT ... SELECT over
// generate_series on the server: 1,000,000 events in about a minute instead
// of the more than 6 minutes Fill takes through AddEvents. The events have
// Event's ids, times, payloads and distributions (recipients, domains,
// providers, types, reasons), drawn from a hash of the event number instead
// of Event's generator, so they are not the same draw as the SQLite file's.
// They bypass AddEvents and so the suppression rules (the suppressions and
// soft_failures tables stay empty). VACUUM ANALYZE then leaves the table as
// autovacuum would after a steady stream of inserts, and CHECKPOINT writes
// it all out before the benchmark starts.
func fillPostgres(tb testing.TB, db *sql.DB, from, to, rows int) {
	tb.Helper()
	raw, diag := Payloads(tb)
	step := (90 * 24 * time.Hour / time.Duration(rows)).Microseconds()
	start := Base.Add(-90 * 24 * time.Hour).UnixMicro()
	ctx := context.Background()
	// r(k) is the k-th pseudo-random number of event i, >= 0.
	const q = `
INSERT INTO events (id, provider, provider_event_id, type, recipient, recipient_norm, recipient_domain,
    message_id, sending_domain, time_us, received_us, remote_text,
    reason, category, action, fault, hard_bounce, temporary, status, reply_code, diag_provider, diagnosis, raw)
SELECT 'bench-' || i, (ARRAY['sendgrid','mailgun','ses','postmark'])[1 + r.prov], 'bench-' || i, t.type,
    a.rcpt, a.rcpt, a.dom, '<' || i || '@app.example>', 'app.example',
    $3::bigint + i * $4::bigint - r.late, $5::bigint,
    CASE WHEN t.failed THEN '550 5.1.1 The email account that you tried to reach does not exist.' ELSE '' END,
    CASE WHEN t.failed THEN (ARRAY['userunknown','mailboxfull','blocked','spamdetected','hostunknown','expired','suspend','policyviolation','authfailure','speeding'])[1 + r.reason] ELSE '' END,
    CASE WHEN t.failed THEN 'mailbox-unknown' ELSE '' END,
    CASE WHEN t.failed THEN 'retry' ELSE '' END,
    CASE WHEN t.failed THEN 'recipient' ELSE '' END,
    FALSE, FALSE,
    CASE WHEN t.failed THEN '5.1.1' ELSE '' END,
    CASE WHEN t.failed THEN 550 ELSE 0 END,
    '', CASE WHEN t.failed THEN $7::bytea END, $6::bytea
FROM generate_series($1::bigint, $2::bigint - 1) AS i
CROSS JOIN LATERAL (SELECT
    (hashint8extended(i, 1) & 9223372036854775807) % 50000 AS usr,
    (hashint8extended(i, 2) & 9223372036854775807) % 200 AS dom,
    (hashint8extended(i, 3) & 9223372036854775807) % 4 AS prov,
    (hashint8extended(i, 4) & 9223372036854775807) % 100 AS pct,
    (hashint8extended(i, 5) & 9223372036854775807) % 10 AS reason,
    (hashint8extended(i, 6) & 9223372036854775807) % 60000000 AS late) AS r
CROSS JOIN LATERAL (SELECT 'user' || r.usr || '@domain' || r.dom || '.example' AS rcpt,
    'domain' || r.dom || '.example' AS dom) AS a
CROSS JOIN LATERAL (SELECT CASE WHEN r.pct < 60 THEN 'delivered' WHEN r.pct < 90 THEN 'bounced'
    WHEN r.pct < 98 THEN 'deferred' ELSE 'complained' END AS type, r.pct >= 60 AND r.pct < 98 AS failed) AS t
ON CONFLICT DO NOTHING`
	if _, err := db.ExecContext(ctx, q, from, to, start, step, time.Now().UnixMicro(), raw, diag); err != nil {
		tb.Fatalf("generating events: %v", err)
	}
	if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE) events"); err != nil {
		tb.Fatalf("vacuum: %v", err)
	}
	// Writing the load and the vacuum out to disk takes the server half a
	// minute of checkpoints after 1,000,000 events; a benchmark that starts
	// during them measures the bulk load's I/O (p99 of GET /api/v1/events
	// 22.6 ms instead of 13). CHECKPOINT waits for it (superuser or
	// pg_checkpoint; without the right the benchmark runs anyway).
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		tb.Logf("CHECKPOINT after generating events: %v (the first seconds of the benchmark may measure the write-out)", err)
	}
}
