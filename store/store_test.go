package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func TestNormalizeAddress(t *testing.T) {
	for in, want := range map[string]string{
		"User@Example.COM":     "User@example.com",
		" <a.B@Sub.Example.> ": "a.B@sub.example",
		"noat":                 "noat",
		"x@y@Z.de":             "x@y@z.de",
	} {
		if got := NormalizeAddress(in); got != want {
			t.Errorf("NormalizeAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/tmp/xdg")
	if got, err := DefaultPath(); err != nil || got != "/tmp/xdg/maildx/maildx.db" {
		t.Errorf("DefaultPath() = %q, %v, want /tmp/xdg/maildx/maildx.db", got, err)
	}
}

func TestOpenReopen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		s := openT(t, dsn, opts)
		if _, err := s.AddEvents(ctx, []Event{ev("a", TypeDelivered, "x@example.com", t0)}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s2 := openT(t, dsn, opts) // migrations already applied
		if _, err := s2.GetEvent(ctx, "a"); err != nil {
			t.Fatalf("GetEvent after reopen: %v", err)
		}
	})
}

func TestAddGetRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		s := openT(t, dsn, opts)
		e := hard(ev("mg:1", TypeBounced, "Bob@Example.COM", t0.Add(123456789*time.Nanosecond)))
		e.MessageID, e.SendingDomain, e.DiagnosisProvider, e.Fault = "<m1@app>", "app.example", "gmail", "recipient"
		n, err := s.AddEvents(ctx, []Event{e})
		if err != nil || n != 1 {
			t.Fatalf("AddEvents = %d, %v, want 1, nil", n, err)
		}
		got, err := s.GetEvent(ctx, "mg:1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Received.IsZero() {
			t.Error("Received not set")
		}
		want := e
		want.Time = e.Time.Truncate(time.Microsecond)
		want.Received = got.Received
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("GetEvent =\n%+v\nwant\n%+v", got, want)
		}
		if _, err := s.GetEvent(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetEvent(nope) = %v, want ErrNotFound", err)
		}
	})
}

func TestIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		s := openT(t, dsn, opts)
		batch := []Event{ev("1", TypeDelivered, "a@x.de", t0), ev("2", TypeBounced, "b@x.de", t0), ev("1", TypeDelivered, "a@x.de", t0)}
		if n, err := s.AddEvents(ctx, batch); err != nil || n != 2 {
			t.Fatalf("AddEvents = %d, %v, want 2 (duplicate in batch)", n, err)
		}
		if n, err := s.AddEvents(ctx, batch); err != nil || n != 0 {
			t.Fatalf("AddEvents again = %d, %v, want 0", n, err)
		}
		// Same provider event under another ID is also a duplicate.
		dup := ev("other-id", TypeDelivered, "a@x.de", t0)
		dup.ProviderEventID = "1"
		if n, err := s.AddEvents(ctx, []Event{dup}); err != nil || n != 0 {
			t.Fatalf("AddEvents(same provider event id) = %d, %v, want 0", n, err)
		}
		// Derived IDs: no ID, no provider event id.
		g := Event{Provider: "generic", Type: TypeBounced, Recipient: "c@x.de", Time: t0, RemoteText: "550 no"}
		for i, want := range []int{1, 0} {
			if n, err := s.AddEvents(ctx, []Event{g}); err != nil || n != want {
				t.Fatalf("AddEvents(generic) #%d = %d, %v, want %d", i, n, err, want)
			}
		}
		evs, _, err := s.ListEvents(ctx, Filter{})
		if err != nil || len(evs) != 3 {
			t.Fatalf("ListEvents = %d events, %v, want 3", len(evs), err)
		}
	})
}

// TestListEventsSameTime: events that share a time come in id order
// (descending), whatever order they were stored in, and pages that split
// such a run neither skip nor repeat one. On SQLite the indexes end in
// time_us (the rowid breaks ties there), so this is the sort ListEvents
// adds within each run of equal times (migration 00003).
func TestListEventsSameTime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		s := openT(t, dsn, opts)
		var all []Event
		for i := range 27 {
			// Stored in an order unlike the ids' (7 is prime to 27), two
			// runs of equal times.
			k := i * 7 % 27
			e := ev(fmt.Sprintf("s%02d", k), TypeBounced, fmt.Sprintf("u%d@same.example", k%3), t0.Add(time.Duration(k%2)*time.Second))
			all = append(all, hard(e))
		}
		for _, e := range all {
			if _, err := s.AddEvents(ctx, []Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		want := newestFirst(all)
		for _, f := range []Filter{{Limit: 4}, {Limit: 5, Type: TypeBounced}, {Limit: 4, Domain: "same.example"}, {Limit: 3, Reason: "userunknown"}} {
			if got := listAll(t, s, f); join(ids(got)) != join(ids(want)) {
				t.Errorf("%+v:\n got %v\nwant %v", f, ids(got), ids(want))
			}
		}
	})
}

func TestListEventsFiltersAndPagination(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		s := openT(t, dsn, opts)
		var all []Event
		for i := range 95 {
			typ := TypeDelivered
			if i%3 == 0 {
				typ = TypeBounced
			}
			e := ev(fmt.Sprintf("e%03d", i), typ, fmt.Sprintf("u%d@Dom%d.example", i%4, i%2), t0.Add(time.Duration(i/2)*time.Minute))
			if typ == TypeBounced {
				e = hard(e)
			}
			if i%5 == 0 {
				e.Provider = "sendgrid"
			}
			all = append(all, e)
		}
		if _, err := s.AddEvents(ctx, all); err != nil {
			t.Fatal(err)
		}
		want := newestFirst(all)
		var got []Event
		cursor := ""
		pages := 0
		for {
			page, next, err := s.ListEvents(ctx, Filter{Limit: 10, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			pages++
			if pages == 2 {
				// Newer events arriving between pages do not shift later pages.
				if _, err := s.AddEvents(ctx, []Event{ev("new", TypeDelivered, "n@x.de", t0.Add(time.Hour))}); err != nil {
					t.Fatal(err)
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if pages != 10 || join(ids(got)) != join(ids(want)) {
			t.Fatalf("paged %d pages:\n%v\nwant\n%v", pages, ids(got), ids(want))
		}

		check := func(f Filter, keep func(Event) bool) {
			t.Helper()
			var w []string
			for _, e := range want {
				if keep(e) {
					w = append(w, e.ID)
				}
			}
			f.Limit = 1000
			page, next, err := s.ListEvents(ctx, f)
			if err != nil || next != "" {
				t.Fatalf("ListEvents(%+v) = %v, %q", f, err, next)
			}
			if join(ids(page)) != join(w) {
				t.Errorf("ListEvents(%+v) = %v, want %v", f, ids(page), w)
			}
		}
		check(Filter{Recipient: "u1@DOM1.example"}, func(e Event) bool { return e.Recipient == "u1@Dom1.example" })
		check(Filter{Recipient: "U1@dom1.example"}, func(e Event) bool { return false }) // local part is exact
		check(Filter{Domain: "DOM0.EXAMPLE"}, func(e Event) bool { return e.Recipient[3:] == "Dom0.example" })
		check(Filter{Reason: "userunknown", Provider: "sendgrid"}, func(e Event) bool { return e.Reason == "userunknown" && e.Provider == "sendgrid" })
		check(Filter{Type: TypeBounced, Since: t0.Add(10 * time.Minute), Until: t0.Add(20 * time.Minute)}, func(e Event) bool {
			return e.Type == TypeBounced && !e.Time.Before(t0.Add(10*time.Minute)) && e.Time.Before(t0.Add(20*time.Minute))
		})
		if _, _, err := s.ListEvents(ctx, Filter{Cursor: "!!garbage"}); !errors.Is(err, ErrBadCursor) {
			t.Errorf("ListEvents(bad cursor) = %v, want ErrBadCursor", err)
		}
	})
}

func TestSuppressionRules(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		s := openT(t, dsn, opts)
		add := func(evs ...Event) {
			t.Helper()
			if _, err := s.AddEvents(ctx, evs); err != nil {
				t.Fatal(err)
			}
		}
		status := func(addr string) string {
			t.Helper()
			x, err := s.GetSuppression(ctx, addr)
			if errors.Is(err, ErrNotFound) {
				return "-"
			}
			if err != nil {
				t.Fatal(err)
			}
			return x.Reason + "/" + x.DiagnosisReason + "/" + x.EventID
		}
		// Hard bounce.
		add(hard(ev("h1", TypeBounced, "Hard@Example.com", t0)))
		if got := status("Hard@EXAMPLE.COM"); got != "bounce/userunknown/h1" {
			t.Errorf("hard bounce: %s", got)
		}
		if got := status("hard@example.com"); got != "-" {
			t.Errorf("local part must compare exactly: %s", got)
		}
		// Complaint and unsubscribe.
		add(ev("c1", TypeComplained, "c@example.com", t0), ev("u1", TypeUnsubscribed, "u@example.com", t0))
		if got := status("c@example.com"); got != "complaint//c1" {
			t.Errorf("complaint: %s", got)
		}
		if got := status("u@example.com"); got != "unsubscribe//u1" {
			t.Errorf("unsubscribe: %s", got)
		}
		// A sender-side failure never suppresses.
		for i := range 5 {
			e := ev(fmt.Sprintf("b%d", i), TypeBounced, "rep@example.com", t0.Add(time.Duration(i)*48*time.Hour))
			e.Reason, e.Action = "badreputation", "fix-sender"
			add(e)
		}
		if got := status("rep@example.com"); got != "-" {
			t.Errorf("fix-sender bounces suppressed: %s", got)
		}
		// Soft run: 3 failures within < 72h do not suppress; a 4th at ≥ 72h does.
		add(soft(ev("s1", TypeBounced, "soft@example.com", t0)),
			soft(ev("s2", TypeBounced, "soft@example.com", t0.Add(24*time.Hour))),
			soft(ev("s3", TypeBounced, "soft@example.com", t0.Add(48*time.Hour))))
		if got := status("soft@example.com"); got != "-" {
			t.Errorf("soft run under 72h suppressed: %s", got)
		}
		add(soft(ev("s4", TypeBounced, "soft@example.com", t0.Add(72*time.Hour))))
		if got := status("soft@example.com"); got != "soft-bounce/mailboxfull/s4" {
			t.Errorf("soft run: %s", got)
		}
		// Reset by delivered: two failures, a delivery, two more failures over 4 days → not suppressed.
		add(soft(ev("r1", TypeBounced, "reset@example.com", t0)),
			soft(ev("r2", TypeBounced, "reset@example.com", t0.Add(48*time.Hour))),
			ev("r3", TypeDelivered, "reset@EXAMPLE.com", t0.Add(50*time.Hour)))
		add(soft(ev("r4", TypeBounced, "reset@example.com", t0.Add(96*time.Hour))),
			soft(ev("r5", TypeBounced, "reset@example.com", t0.Add(100*time.Hour))))
		if got := status("reset@example.com"); got != "-" {
			t.Errorf("run not reset by delivered: %s", got)
		}
		add(soft(ev("r6", TypeBounced, "reset@example.com", t0.Add(200*time.Hour))))
		if got := status("reset@example.com"); got != "soft-bounce/mailboxfull/r6" {
			t.Errorf("run after reset: %s", got)
		}
		// A redelivered soft failure is not counted twice.
		for range 3 {
			add(soft(ev("d1", TypeBounced, "dup@example.com", t0)))
		}
		add(soft(ev("d2", TypeBounced, "dup@example.com", t0.Add(100*time.Hour))))
		if got := status("dup@example.com"); got != "-" {
			t.Errorf("redelivered soft failure counted: %s", got)
		}

		// Manual add/remove.
		x, err := s.AddSuppression(ctx, "Man@Example.ORG", "asked by phone")
		if err != nil || x.Reason != SuppressManual || x.Normalized != "Man@example.org" || x.Note != "asked by phone" {
			t.Fatalf("AddSuppression = %+v, %v", x, err)
		}
		if x2, err := s.AddSuppression(ctx, "Hard@example.com", ""); err != nil || x2.Reason != SuppressBounce {
			t.Errorf("AddSuppression(existing) = %+v, %v, want the bounce entry", x2, err)
		}
		if _, err := s.AddSuppression(ctx, "not-an-address", ""); err == nil {
			t.Error("AddSuppression(not-an-address) succeeded")
		}
		if err := s.RemoveSuppression(ctx, "man@example.org"); !errors.Is(err, ErrNotFound) {
			t.Errorf("RemoveSuppression(other local part) = %v, want ErrNotFound", err)
		}
		if err := s.RemoveSuppression(ctx, "Man@example.org"); err != nil {
			t.Errorf("RemoveSuppression = %v", err)
		}
		if got := status("Man@example.org"); got != "-" {
			t.Errorf("after remove: %s", got)
		}

		// List, search, paginate.
		list, next, err := s.ListSuppressions(ctx, "EXAMPLE.COM", "", "", 2)
		if err != nil || len(list) != 2 || next == "" {
			t.Fatalf("ListSuppressions page 1 = %d, %q, %v", len(list), next, err)
		}
		var all []string
		for _, x := range list {
			all = append(all, x.Normalized)
		}
		for next != "" {
			list, next, err = s.ListSuppressions(ctx, "EXAMPLE.COM", "", next, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range list {
				all = append(all, x.Normalized)
			}
		}
		sort.Strings(all)
		if w := "Hard@example.com,c@example.com,reset@example.com,soft@example.com,u@example.com"; join(all) != w {
			t.Errorf("ListSuppressions(q=example.com) = %v, want %s", all, w)
		}
		if list, _, _ := s.ListSuppressions(ctx, "", "userunknown", "", 0); len(list) != 1 || list[0].EventID != "h1" {
			t.Errorf("ListSuppressions(reason=userunknown) = %+v", list)
		}
		if list, _, _ := s.ListSuppressions(ctx, "%", "", "", 0); len(list) != 0 {
			t.Errorf("ListSuppressions(q=%%) = %+v, want none (LIKE escaped)", list)
		}

		var buf bytes.Buffer
		if err := s.ExportSuppressionsCSV(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(recs) != 6 || recs[0][0] != "address" {
			t.Errorf("ExportSuppressionsCSV: %d records, %v:\n%s", len(recs), err, buf.String())
		}
	})
}

func TestPurge(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		s := openT(t, dsn, opts)
		var evs []Event
		for i := range 120 {
			evs = append(evs, ev(fmt.Sprint(i), TypeBounced, "p@x.de", t0.Add(time.Duration(i)*time.Hour)))
		}
		evs[0] = hard(evs[0])
		if _, err := s.AddEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		n, err := s.Purge(ctx, t0.Add(100*time.Hour))
		if err != nil || n != 100 {
			t.Fatalf("Purge = %d, %v, want 100", n, err)
		}
		rest, _, _ := s.ListEvents(ctx, Filter{Limit: 1000})
		if len(rest) != 20 || !rest[len(rest)-1].Time.Equal(t0.Add(100*time.Hour)) {
			t.Errorf("after purge: %d events", len(rest))
		}
		if _, err := s.GetSuppression(ctx, "p@x.de"); err != nil {
			t.Errorf("suppression lost by purge: %v", err)
		}
	})
}

func TestReclassify(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		s := openT(t, dsn, opts)
		var evs []Event
		for i := range 1203 {
			e := ev(fmt.Sprintf("%05d", i), TypeBounced, "r@x.de", t0)
			e.RemoteText = "550 5.1.1 gone"
			if i%2 == 0 {
				e.Reason = "userunknown" // already right
			}
			evs = append(evs, e)
		}
		if _, err := s.AddEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		seen := 0
		n, err := s.Reclassify(ctx, func(e Event) Event {
			seen++
			if string(e.Raw) == "" {
				t.Errorf("raw payload missing for %s", e.ID)
			}
			e.Reason, e.Category = "userunknown", ""
			if e.RemoteText == "550 5.1.1 gone" {
				e.Diagnosis = nil
			}
			return e
		})
		if err != nil || n != 601 || seen != 1203 {
			t.Fatalf("Reclassify = %d, %v (saw %d), want 601 of 1203", n, err, seen)
		}
		got, _ := s.GetEvent(ctx, "00001")
		if got.Reason != "userunknown" {
			t.Errorf("after reclassify: reason %q", got.Reason)
		}
		if page, _, _ := s.ListEvents(ctx, Filter{Reason: "userunknown", Limit: 1000}); len(page) != 1000 {
			t.Errorf("ListEvents(reason) after reclassify = %d", len(page))
		}
	})
}

func TestStats(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		s := openT(t, dsn, opts)
		mk := func(id, typ, rcpt, reason string, h int) Event {
			e := ev(id, typ, rcpt, t0.Add(time.Duration(h)*time.Hour))
			e.Reason = reason
			return e
		}
		if _, err := s.AddEvents(ctx, []Event{
			mk("1", TypeBounced, "a@gmail.com", "userunknown", 0),
			mk("2", TypeBounced, "b@gmail.com", "userunknown", 1),
			mk("3", TypeDeferred, "c@GMX.de", "mailboxfull", 1),
			mk("4", TypeDelivered, "d@gmx.de", "delivered", 1),
			mk("5", TypeDelivered, "e@ok.org", "delivered", 1),
			mk("6", TypeBounced, "f@gmail.com", "blocked", 30),
		}); err != nil {
			t.Fatal(err)
		}
		rc, err := s.FailuresByReason(ctx, t0, t0.Add(48*time.Hour), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(rc)
		d1, d2 := t0.Truncate(24*time.Hour), t0.Truncate(24*time.Hour).Add(24*time.Hour)
		want := fmt.Sprint([]ReasonCount{{d1, "mailboxfull", 1}, {d1, "userunknown", 2}, {d2, "blocked", 1}})
		if got != want {
			t.Errorf("FailuresByReason = %s, want %s", got, want)
		}
		dc, err := s.TopFailingDomains(ctx, t0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(dc), fmt.Sprint([]DomainCount{{"gmail.com", 3, 3}, {"gmx.de", 1, 2}}); got != want {
			t.Errorf("TopFailingDomains = %s, want %s", got, want)
		}
	})
}

// TestConcurrentWriters runs several goroutines, each on its own Store (as
// separate serve processes would), adding overlapping batches: every event is
// stored exactly once and the inserted counts add up.
func TestConcurrentWriters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		ctx := context.Background()
		if !IsPostgres(dsn) {
			// goose locks migrations on PostgreSQL only (advisory lock); on
			// PostgreSQL the stores below start on an empty database together.
			openT(t, dsn, opts).Close()
		}
		const writers, batches, per = 4, 20, 25
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		errs := make(chan error, writers)
		stores := make([]Store, writers)
		for w := range writers {
			wg.Go(func() {
				s, err := Open(ctx, dsn)
				if err != nil {
					errs <- err
					return
				}
				stores[w] = s
			})
		}
		wg.Wait()
		for w := range writers {
			s := stores[w]
			if s == nil {
				t.Fatal(<-errs)
			}
			defer s.Close()
			wg.Go(func() {
				for b := range batches {
					var evs []Event
					for i := range per {
						// Writers w and w^1 send the same events (redelivery race).
						id := fmt.Sprintf("w%d-b%d-%d", w/2, b, i)
						evs = append(evs, hard(ev(id, TypeBounced, fmt.Sprintf("%s@x.de", id), t0.Add(time.Duration(b*per+i)*time.Second))))
					}
					n, err := s.AddEvents(ctx, evs)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					total += n
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		unique := writers / 2 * batches * per
		if total != unique {
			t.Errorf("inserted counts add up to %d, want %d", total, unique)
		}
		if n := len(listAll(t, stores[0], Filter{Limit: 1000})); n != unique {
			t.Errorf("stored %d events, want %d", n, unique)
		}
		list, _, _ := stores[1].ListSuppressions(ctx, "", "", "", 1000)
		if len(list) != unique {
			t.Errorf("%d suppressions, want %d", len(list), unique)
		}
	})
}

func TestSQLiteCreatesParentDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := openT(t, filepath.Join(dir, "m.db"), Options{})
	if s.Dialect() != "sqlite" {
		t.Errorf("Dialect() = %q", s.Dialect())
	}
	if _, err := os.Stat(filepath.Join(dir, "m.db")); err != nil {
		t.Error(err)
	}
}

// TestEventIndexes: after the migrations the events table has one index per
// ListEvents filter; the provider index carries the type (migration 00002).
func TestEventIndexes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		s := openT(t, dsn, opts).(*sqlStore)
		q := "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name"
		if s.dialect == "postgres" {
			q = "SELECT indexname FROM pg_indexes WHERE tablename = 'events' AND indexname <> 'events_pkey' ORDER BY indexname"
		}
		rows, err := s.r.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			got = append(got, name)
		}
		want := "events_domain,events_provider_event,events_provider_type,events_reason,events_recipient,events_time,events_type"
		if join(got) != want {
			t.Errorf("indexes on events = %s, want %s", join(got), want)
		}
	})
}

// TestSQLiteSynchronous: Options.SQLiteSynchronous sets the synchronous
// pragma of the writer connection (NORMAL = 1 by default, FULL = 2) and
// refuses other modes.
func TestSQLiteSynchronous(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want int
	}{{"", 1}, {"normal", 1}, {"full", 2}, {"FULL", 2}} {
		s := openT(t, filepath.Join(t.TempDir(), "s.db"), Options{SQLiteSynchronous: tc.mode}).(*sqlStore)
		var got int
		if err := s.w.QueryRow("PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("SQLiteSynchronous %q: PRAGMA synchronous = %d, want %d", tc.mode, got, tc.want)
		}
	}
	if s, err := OpenWith(context.Background(), filepath.Join(t.TempDir(), "s.db"), Options{SQLiteSynchronous: "off"}); err == nil {
		s.Close()
		t.Errorf("SQLiteSynchronous off: no error")
	}
}
