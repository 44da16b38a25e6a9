package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// groupHarness holds the group writer of a store inside the transaction of a
// "blocker" call, so that the calls made meanwhile queue up and form the next
// group together.
type groupHarness struct {
	ss      *sqlStore
	mu      sync.Mutex
	groups  []int // calls per group, in commit order
	hold    chan struct{}
	failAll error // returned by the hook for every group after the blocker's
	blocker chan error
}

// newGroupHarness installs the hook (before any AddEvents call on s, except
// those that have already returned) and starts the blocker call.
func newGroupHarness(t *testing.T, s Store) *groupHarness {
	t.Helper()
	h := &groupHarness{ss: s.(*sqlStore), hold: make(chan struct{}), blocker: make(chan error, 1)}
	// One group at a time, so that the calls queued behind the blocker
	// form one group (PostgreSQL would otherwise commit them alongside it).
	h.ss.gw.inflight = 1
	h.ss.gw.testHook = func(calls int) error {
		h.mu.Lock()
		h.groups = append(h.groups, calls)
		first := len(h.groups) == 1
		fail := h.failAll
		h.mu.Unlock()
		if first {
			<-h.hold
			return nil
		}
		return fail
	}
	go func() {
		_, err := s.AddEvents(context.Background(), []Event{ev("blocker", TypeDelivered, "blocker@x.de", time.Now())})
		h.blocker <- err
	}()
	h.waitFor(t, func() bool { return len(h.groups) == 1 })
	return h
}

func (h *groupHarness) waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		ok := cond()
		h.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the group writer")
		}
		time.Sleep(time.Millisecond)
	}
}

// release lets the blocker commit once n calls are queued behind it.
func (h *groupHarness) release(t *testing.T, n int) {
	t.Helper()
	h.waitFor(t, func() bool { return len(h.ss.gw.reqs) == n })
	close(h.hold)
	if err := <-h.blocker; err != nil {
		t.Fatalf("blocker: %v", err)
	}
}

type callResult struct {
	n   int
	err error
}

// callAll runs AddEvents for every batch concurrently and returns a function
// that waits for and returns the results.
func callAll(s Store, batches [][]Event) func() []callResult {
	res := make([]callResult, len(batches))
	var wg sync.WaitGroup
	for i, b := range batches {
		wg.Go(func() {
			n, err := s.AddEvents(context.Background(), b)
			res[i] = callResult{n, err}
		})
	}
	return func() []callResult { wg.Wait(); return res }
}

func TestGroupCommitCounts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		s := openT(t, dsn, opts)
		ctx := context.Background()
		t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		if n, err := s.AddEvents(ctx, []Event{ev("pre", TypeDelivered, "pre@x.de", t0)}); n != 1 || err != nil {
			t.Fatalf("pre: %d, %v", n, err)
		}
		h := newGroupHarness(t, s)
		const callers = 4
		var batches [][]Event
		for c := range callers {
			var b []Event
			for i := range 5 {
				id := fmt.Sprintf("c%d-%d", c, i)
				b = append(b, ev(id, TypeDelivered, id+"@x.de", t0.Add(time.Duration(i)*time.Second)))
			}
			// Hard bounces for one address from every caller: suppressed
			// once, by the earliest event.
			b = append(b, hard(ev(fmt.Sprintf("hb%d", c), TypeBounced, "dead@x.de", t0.Add(time.Duration(10-c)*time.Minute))))
			// The same redelivered event from every caller, and one stored before.
			b = append(b, ev("shared", TypeDelivered, "shared@x.de", t0), ev("pre", TypeDelivered, "pre@x.de", t0))
			batches = append(batches, b)
		}
		wait := callAll(s, batches)
		h.release(t, callers)
		res := wait()
		if len(h.groups) != 2 || h.groups[1] != callers {
			t.Fatalf("groups = %v, want [1 %d]", h.groups, callers)
		}
		sum := 0
		for c, r := range res {
			if r.err != nil {
				t.Fatalf("caller %d: %v", c, r.err)
			}
			if r.n != 6 && r.n != 7 {
				t.Errorf("caller %d inserted %d, want 6 (its own) or 7 (plus the shared event)", c, r.n)
			}
			sum += r.n
		}
		if sum != callers*6+1 {
			t.Errorf("inserted in total %d, want %d", sum, callers*6+1)
		}
		all, _, err := s.ListEvents(ctx, Filter{Limit: 1000})
		if err != nil || len(all) != 2+callers*6+1 {
			t.Fatalf("stored %d events (%v), want %d", len(all), err, 2+callers*6+1)
		}
		sup, err := s.GetSuppression(ctx, "dead@x.de")
		if err != nil || sup.EventID != "hb3" || sup.Reason != SuppressBounce {
			t.Errorf("suppression = %+v, %v; want caused by hb3 (the earliest)", sup, err)
		}
	})
}

func TestGroupCommitFailureReachesEveryCaller(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		s := openT(t, dsn, opts)
		ctx := context.Background()
		h := newGroupHarness(t, s)
		injected := errors.New("injected commit failure")
		h.failAll = injected
		const callers = 3
		var batches [][]Event
		for c := range callers {
			id := fmt.Sprintf("f%d", c)
			batches = append(batches, []Event{hard(ev(id, TypeBounced, id+"@x.de", time.Now()))})
		}
		wait := callAll(s, batches)
		h.release(t, callers)
		for c, r := range wait() {
			if !errors.Is(r.err, injected) || r.n != 0 {
				t.Errorf("caller %d: (%d, %v), want (0, %v)", c, r.n, r.err, injected)
			}
			id := fmt.Sprintf("f%d", c)
			if _, err := s.GetEvent(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("event %s of a failed group: %v, want ErrNotFound", id, err)
			}
			if _, err := s.GetSuppression(ctx, id+"@x.de"); !errors.Is(err, ErrNotFound) {
				t.Errorf("suppression from a failed group: %v, want ErrNotFound", err)
			}
		}
		if h.groups[1] != callers {
			t.Errorf("groups = %v, want the %d calls in one group first", h.groups, callers)
		}
		// The store keeps working after a failed group.
		h.mu.Lock()
		h.failAll = nil
		h.mu.Unlock()
		if n, err := s.AddEvents(ctx, batches[0]); n != 1 || err != nil {
			t.Errorf("after the failure: (%d, %v), want (1, nil)", n, err)
		}
	})
}

// A call whose events the database rejects fails alone; the other calls of
// its group are stored.
func TestGroupCommitIsolatesFailingCall(t *testing.T) {
	s := openT(t, backends[0].newDSN(t), Options{})
	ss := s.(*sqlStore)
	ctx := context.Background()
	if _, err := ss.w.ExecContext(ctx, `CREATE TRIGGER poison BEFORE INSERT ON events
		WHEN NEW.recipient = 'poison@x.de' BEGIN SELECT RAISE(ABORT, 'poisoned event'); END`); err != nil {
		t.Fatal(err)
	}
	h := newGroupHarness(t, s)
	now := time.Now()
	batches := [][]Event{
		{ev("ok1", TypeDelivered, "a@x.de", now), ev("ok2", TypeComplained, "b@x.de", now)},
		{ev("bad1", TypeDelivered, "c@x.de", now), ev("bad2", TypeDelivered, "poison@x.de", now)},
		{ev("ok3", TypeDelivered, "d@x.de", now)},
	}
	wait := callAll(s, batches)
	h.release(t, len(batches))
	res := wait()
	if res[0].n != 2 || res[0].err != nil || res[2].n != 1 || res[2].err != nil {
		t.Errorf("good callers: %+v, %+v", res[0], res[2])
	}
	if res[1].err == nil || !strings.Contains(res[1].err.Error(), "poisoned event") {
		t.Errorf("poisoned caller: %+v, want the trigger's error", res[1])
	}
	for _, id := range []string{"ok1", "ok2", "ok3"} {
		if _, err := s.GetEvent(ctx, id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if _, err := s.GetEvent(ctx, "bad1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("bad1 stored although its call failed: %v", err)
	}
	if _, err := s.GetSuppression(ctx, "b@x.de"); err != nil {
		t.Errorf("complaint of a good caller not suppressed: %v", err)
	}
}

// Close commits and answers the calls already queued, then refuses new ones.
func TestCloseDrainsQueuedCalls(t *testing.T) {
	dsn := backends[0].newDSN(t)
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	h := newGroupHarness(t, s)
	var batches [][]Event
	for c := range 5 {
		id := fmt.Sprintf("d%d", c)
		batches = append(batches, []Event{ev(id, TypeDelivered, id+"@x.de", time.Now())})
	}
	wait := callAll(s, batches)
	h.waitFor(t, func() bool { return len(h.ss.gw.reqs) == len(batches) })
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	// Close waits for the queued calls; AddEvents after it began fails.
	for !func() bool { h.ss.gw.mu.RLock(); defer h.ss.gw.mu.RUnlock(); return h.ss.gw.closed }() {
		time.Sleep(time.Millisecond)
	}
	h.release(t, len(batches))
	for c, r := range wait() {
		if r.n != 1 || r.err != nil {
			t.Errorf("queued caller %d: %+v, want (1, nil)", c, r)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddEvents(context.Background(), batches[0]); err == nil {
		t.Error("AddEvents after Close succeeded")
	}
	s2 := openT(t, dsn, Options{})
	for _, b := range batches {
		if _, err := s2.GetEvent(context.Background(), b[0].ID); err != nil {
			t.Errorf("%s after Close and reopen: %v", b[0].ID, err)
		}
	}
}

// TestGroupsInFlight: while a group waits for its commit, the next group is
// committed alongside it (PostgreSQL) when the two share no recipient and no
// event; a group that shares a recipient or an event with a group in flight
// waits for that group's commit, so the suppression rules see the groups in
// order. On SQLite (one group at a time) every later call waits; the stored
// result is the same.
func TestGroupsInFlight(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		s := openT(t, dsn, opts)
		ss := s.(*sqlStore)
		ctx := context.Background()
		t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		hooked := 0
		hold := make(chan struct{})
		release := sync.OnceFunc(func() { close(hold) })
		t.Cleanup(release) // before Close, which waits for the held group
		ss.gw.testHook = func(int) error {
			mu.Lock()
			hooked++
			first := hooked == 1
			mu.Unlock()
			if first {
				<-hold
			}
			return nil
		}
		hookedN := func() int { mu.Lock(); defer mu.Unlock(); return hooked }
		waitHooked := func(n int) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for hookedN() < n {
				if time.Now().After(deadline) {
					t.Fatalf("timed out waiting for group %d", n)
				}
				time.Sleep(time.Millisecond)
			}
		}
		call := func(evs ...Event) chan callResult {
			c := make(chan callResult, 1)
			go func() {
				n, err := s.AddEvents(ctx, evs)
				c <- callResult{n, err}
			}()
			return c
		}
		expect := func(what string, c chan callResult, n int) {
			t.Helper()
			select {
			case r := <-c:
				if r.n != n || r.err != nil {
					t.Errorf("%s: (%d, %v), want (%d, nil)", what, r.n, r.err, n)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: no answer", what)
			}
		}
		// Group 1: a soft failure of a@, held inside its transaction.
		a := call(soft(ev("a1", TypeBounced, "a@x.de", t0)))
		waitHooked(1)
		// Group 2: b@ only.
		b := call(ev("b1", TypeDelivered, "b@x.de", t0))
		pg := ss.dialect == "postgres"
		if pg {
			// Committed while group 1 is still open.
			expect("disjoint group", b, 1)
		}
		// Group 3 ends a@'s run (a delivery after the failure), group 4
		// redelivers group 1's event: both must wait for group 1.
		c := call(ev("c1", TypeDelivered, "a@X.DE", t0.Add(time.Hour)))
		time.Sleep(50 * time.Millisecond)
		d := call(soft(ev("a1", TypeBounced, "a@x.de", t0)))
		time.Sleep(200 * time.Millisecond)
		want := 1
		if pg {
			want = 2
		}
		if n := hookedN(); n != want {
			t.Fatalf("%d groups reached their commit while group 1 was open, want %d", n, want)
		}
		release()
		expect("held group", a, 1)
		if !pg {
			expect("disjoint group", b, 1)
		}
		expect("same recipient", c, 1)
		expect("same event", d, 0)
		var runs int
		if err := ss.r.QueryRowContext(ctx, "SELECT count(*) FROM soft_failures").Scan(&runs); err != nil {
			t.Fatal(err)
		}
		if runs != 0 {
			t.Errorf("%d soft-failure runs, want 0: the delivery of group 3 ends the run of group 1", runs)
		}
	})
}

func TestGroupKeysConflict(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	req := func(evs ...Event) []*addReq {
		r := &addReq{}
		for _, e := range evs {
			norm := NormalizeAddress(e.Recipient)
			r.evs = append(r.evs, pendingEvent{e: e, norm: norm, domain: domainOf(norm), req: r})
		}
		return []*addReq{r}
	}
	base := groupKeys(req(ev("e1", TypeDelivered, "a@x.de", t0), ev("e2", TypeDelivered, "b@x.de", t0)))
	withPEID := func(e Event, provider, peid string) Event { e.Provider, e.ProviderEventID = provider, peid; return e }
	for _, tc := range []struct {
		name string
		evs  []Event
		want bool
	}{
		{"disjoint", []Event{ev("e3", TypeDelivered, "c@x.de", t0)}, false},
		{"same recipient, other case of the domain", []Event{ev("e3", TypeDelivered, "b@X.DE", t0)}, true},
		{"same event id", []Event{ev("e1", TypeDelivered, "c@x.de", t0)}, true},
		{"same provider event id", []Event{withPEID(ev("e3", TypeDelivered, "c@x.de", t0), "test", "e2")}, true},
		{"provider event id of another provider", []Event{withPEID(ev("e3", TypeDelivered, "c@x.de", t0), "other", "e2")}, false},
		{"no recipient", []Event{ev("e3", TypeDelivered, "", t0)}, false},
	} {
		if got := conflicts(groupKeys(req(tc.evs...)), base); got != tc.want {
			t.Errorf("%s: conflicts = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestGroupsInFlightStress: many concurrent callers whose calls share
// recipients and events (redeliveries) in every combination, on a store that
// commits several groups at once (PostgreSQL). Every call succeeds, every
// event is stored once and counted once, and no group waits long (two groups
// in flight never wait for each other's rows, so they cannot deadlock).
func TestGroupsInFlightStress(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string, opts Options) {
		s := openT(t, dsn, opts)
		ctx := context.Background()
		t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		const callers, calls = 8, 60
		var mu sync.Mutex
		inserted := 0
		var wg sync.WaitGroup
		start := time.Now()
		for c := range callers {
			wg.Go(func() {
				for i := range calls {
					var evs []Event
					for j := range 1 + (c+i)%3 {
						k := (c*7 + i*3 + j*5) % 150 // ids repeat across callers
						rcpt := fmt.Sprintf("r%d@x.de", k%12)
						e := ev(fmt.Sprintf("e%d", k), TypeDelivered, rcpt, t0.Add(time.Duration(k)*time.Minute))
						switch k % 3 {
						case 0:
							e = soft(ev(e.ID, TypeBounced, rcpt, e.Time))
						case 1:
							e = hard(ev(e.ID, TypeBounced, rcpt, e.Time))
						}
						evs = append(evs, e)
					}
					n, err := s.AddEvents(ctx, evs)
					if err != nil {
						t.Errorf("caller %d call %d: %v", c, i, err)
						return
					}
					mu.Lock()
					inserted += n
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("took %v", d)
		}
		n, err := CountEvents(s)
		if err != nil {
			t.Fatal(err)
		}
		if n != inserted {
			t.Errorf("%d events stored, the calls counted %d new", n, inserted)
		}
	})
}
