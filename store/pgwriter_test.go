package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// TestPipelinedGroupMatchesSQLite runs the same AddEvents calls, each one
// group, on SQLite (statement at a time) and on PostgreSQL (pipelined,
// pgwriter.go) and compares the inserted counts, the suppression list and
// the soft-failure runs. The calls mix new and redelivered events,
// deliveries, hard and soft bounces for one address within a group, runs
// that are too short in count or span, and copies with one id in a group
// (PostgreSQL's two-trip path), one of which is stored only because the
// first copy conflicted on its provider event id.
func TestPipelinedGroupMatchesSQLite(t *testing.T) {
	h := func(d float64) time.Time { return t0.Add(time.Duration(d * float64(time.Hour))) }
	withPEID := func(e Event, peid string) Event { e.ProviderEventID = peid; return e }
	calls := [][]Event{
		// One group, no repeated id: PostgreSQL sends it in one trip.
		{
			// a@: a run, ended by a delivery, then a new run of 3 over 98 h.
			soft(ev("a1", TypeBounced, "a@x.de", h(0))),
			ev("a2", TypeDelivered, "a@x.de", h(1)),
			soft(ev("a3", TypeBounced, "a@x.de", h(2))),
			soft(ev("a4", TypeBounced, "a@x.de", h(50))),
			soft(ev("a5", TypeBounced, "a@x.de", h(100))),
			// r@: 3 failures over 20 h (too short), a 4th makes it 80 h.
			soft(ev("r1", TypeBounced, "r@x.de", h(0))),
			soft(ev("r2", TypeBounced, "r@x.de", h(10))),
			soft(ev("r3", TypeBounced, "r@x.de", h(20))),
			soft(ev("r4", TypeBounced, "r@x.de", h(80))),
			// s@: a run of 2 that stays.
			soft(ev("s1", TypeBounced, "s@x.de", h(0))),
			soft(ev("s2", TypeBounced, "s@x.de", h(1))),
			// k@: a soft failure, then a hard bounce ends the run.
			soft(ev("k1", TypeBounced, "k@x.de", h(0))),
			hard(ev("k2", TypeBounced, "k@x.de", h(1))),
			// p@: a run starting at 5 h.
			soft(ev("p1", TypeBounced, "p@x.de", h(5))),
			// An address already on the list keeps its first entry.
			ev("c1", TypeComplained, "c@x.de", h(0)),
			ev("c2", TypeUnsubscribed, "c@x.de", h(1)),
			ev("o1", TypeOpened, "o@x.de", h(0)),
			ev("n1", TypeBounced, "", h(0)),
		},
		// Redelivered events have no effect; a delivery before p@'s run
		// does not end it; repeated ids: PostgreSQL's two-trip path.
		{
			soft(ev("s2", TypeBounced, "s@x.de", h(1))),
			ev("p0", TypeDelivered, "p@x.de", h(1)),
			soft(ev("p2", TypeBounced, "p@x.de", h(6))),
			ev("d1", TypeDelivered, "d@x.de", h(0)),
			ev("d1", TypeDelivered, "d@x.de", h(0)),
			// The second copy of a stored soft failure does not count.
			soft(ev("q1", TypeBounced, "q@x.de", h(0))),
			soft(ev("q1", TypeBounced, "q@x.de", h(0))),
			// Same id: the first copy conflicts on its provider event id
			// (a1's), the second is new.
			withPEID(hard(ev("x1", TypeBounced, "x1@x.de", h(3))), "a1"),
			withPEID(ev("x1", TypeComplained, "x2@x.de", h(3)), "x1-other"),
		},
		// After k@ is removed from the list, its redelivered hard bounce
		// does not put it back; s@'s redelivered failure does not count.
		{
			hard(ev("k2", TypeBounced, "k@x.de", h(1))),
			soft(ev("s1", TypeBounced, "s@x.de", h(0))),
			soft(ev("s3", TypeBounced, "s@x.de", h(2))),
			ev("a6", TypeDelivered, "a@x.de", h(200)),
		},
	}
	type outcome struct {
		inserted []int
		csv      string
		runs     []string
	}
	run := func(t *testing.T, dsn string) outcome {
		ctx := context.Background()
		s := openT(t, dsn, Options{})
		var o outcome
		for i, c := range calls {
			if i == 2 {
				if err := s.RemoveSuppression(ctx, "k@x.de"); err != nil {
					t.Fatal(err)
				}
			}
			n, err := s.AddEvents(ctx, c)
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			o.inserted = append(o.inserted, n)
		}
		var b bytes.Buffer
		if err := s.ExportSuppressionsCSV(ctx, &b); err != nil {
			t.Fatal(err)
		}
		o.csv = b.String()
		rows, err := s.(*sqlStore).r.QueryContext(ctx,
			"SELECT address_norm, failures, first_us, last_us, last_event_id FROM soft_failures ORDER BY address_norm")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var addr, last string
			var n int
			var firstUS, lastUS int64
			if err := rows.Scan(&addr, &n, &firstUS, &lastUS, &last); err != nil {
				t.Fatal(err)
			}
			o.runs = append(o.runs, fmt.Sprintf("%s %d %s..%s %s", addr, n,
				fromUS(firstUS).Format(time.RFC3339), fromUS(lastUS).Format(time.RFC3339), last))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return o
	}
	var want outcome
	t.Run("sqlite", func(t *testing.T) { want = run(t, backends[0].newDSN(t)) })
	t.Logf("SQLite: inserted %v\n%s%q", want.inserted, want.csv, want.runs)
	// Spot checks of the reference itself.
	if fmt.Sprint(want.inserted) != "[18 5 2]" {
		t.Errorf("SQLite inserted %v, want [18 5 2]", want.inserted)
	}
	for _, line := range []string{"a@x.de,a@x.de,soft-bounce,mailboxfull,a5,", "r@x.de,r@x.de,soft-bounce,mailboxfull,r4,",
		"c@x.de,c@x.de,complaint,,c1,", "x2@x.de,x2@x.de,complaint,,x1,"} {
		if !bytes.Contains([]byte(want.csv), []byte(line)) {
			t.Errorf("SQLite suppressions lack %q", line)
		}
	}
	if bytes.Contains([]byte(want.csv), []byte("k@x.de")) || bytes.Contains([]byte(want.csv), []byte("x1@x.de")) {
		t.Errorf("SQLite suppressed k@ (removed, then its event redelivered) or x1@ (a copy not stored)")
	}
	if got := fmt.Sprint(want.runs); got != "[p@x.de 2 2026-11-01T17:00:00Z..2026-11-01T18:00:00Z p2 q@x.de 1 2026-11-01T12:00:00Z..2026-11-01T12:00:00Z q1 s@x.de 3 2026-11-01T12:00:00Z..2026-11-01T14:00:00Z s3]" {
		t.Errorf("SQLite runs %s", got)
	}
	t.Run("postgres", func(t *testing.T) {
		got := run(t, newPostgresDB(t))
		if fmt.Sprint(got.inserted) != fmt.Sprint(want.inserted) {
			t.Errorf("inserted %v, SQLite %v", got.inserted, want.inserted)
		}
		if got.csv != want.csv {
			t.Errorf("suppressions:\n%s\nSQLite:\n%s", got.csv, want.csv)
		}
		if fmt.Sprint(got.runs) != fmt.Sprint(want.runs) {
			t.Errorf("soft-failure runs %q, SQLite %q", got.runs, want.runs)
		}
	})
}

// TestPipelineFailureRollsBack: the one-trip pipeline has no BEGIN/COMMIT
// (its statements are one implicit transaction up to the Sync). A statement
// that fails must take the whole group with it — the events and the
// suppressions of the statements before it — and leave the connection
// usable.
func TestPipelineFailureRollsBack(t *testing.T) {
	s := openT(t, newPostgresDB(t), Options{})
	ss := s.(*sqlStore)
	ctx := context.Background()
	if _, err := ss.w.ExecContext(ctx, `CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.recipient = 'poison@x.de' THEN RAISE EXCEPTION 'poisoned event'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()`); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	call := []Event{
		hard(ev("h1", TypeBounced, "a@x.de", now)),
		soft(ev("s1", TypeBounced, "b@x.de", now)),
		ev("p1", TypeDelivered, "poison@x.de", now.Add(time.Second)),
	}
	for range 3 { // the same connections again and again
		if n, err := s.AddEvents(ctx, call); err == nil || !bytes.Contains([]byte(err.Error()), []byte("poisoned event")) {
			t.Fatalf("AddEvents = (%d, %v), want the trigger's error", n, err)
		}
	}
	if n, _ := CountEvents(s); n != 0 {
		t.Errorf("%d events stored by failed groups", n)
	}
	var sups, runs int
	if err := ss.r.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM suppressions), (SELECT count(*) FROM soft_failures)").Scan(&sups, &runs); err != nil {
		t.Fatal(err)
	}
	if sups != 0 || runs != 0 {
		t.Errorf("failed groups left %d suppressions and %d soft-failure runs", sups, runs)
	}
	if n, err := s.AddEvents(ctx, call[:2]); n != 2 || err != nil {
		t.Fatalf("after the failures: (%d, %v), want (2, nil)", n, err)
	}
	if _, err := s.GetSuppression(ctx, "a@x.de"); err != nil {
		t.Errorf("suppression of the hard bounce: %v", err)
	}
	if err := ss.r.QueryRowContext(ctx, "SELECT count(*) FROM soft_failures").Scan(&runs); err != nil || runs != 1 {
		t.Errorf("soft-failure runs = %d (%v), want 1", runs, err)
	}
}
