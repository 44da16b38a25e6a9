package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Group commit. Every AddEvents call hands its events to one writer goroutine
// per Store, which gathers the calls that are waiting into one group, stores
// the whole group in one transaction and answers every caller after the
// commit. Under concurrent webhooks this turns many small transactions (each
// with its own BEGIN, statement binding and WAL commit) into few large ones;
// a lone caller is served at once.
//
// What a caller sees is unchanged: AddEvents returns after its events are
// committed, with the number of its events that were new. Idempotency and the
// suppression rules run inside the group's transaction exactly as they ran
// inside a per-call transaction; the group's events are applied in (time, id)
// order, as a single call's events always were. When a group fails, each of
// its calls is run again alone, so that one call whose events the database
// rejects does not fail the others: every caller gets the result of the
// transaction that actually held its events.
//
// On PostgreSQL up to pgGroupsInFlight groups commit at once, each on its own
// connection, as long as they share no recipient and no event (flight); a
// group that does waits for the groups in flight it shares them with.

const (
	// groupMaxEvents caps the events of one group (a group always takes at
	// least one call, whatever its size).
	groupMaxEvents = 2000
	// groupLinger is how long the writer would wait for more calls after
	// the ones already queued, when the previous group had several calls. It
	// is 0: the calls that arrive while a group commits form the next group
	// (natural batching), which measured better than waiting — with 4
	// concurrent single-event callers on SQLite ~2,500 events/s without
	// waiting against ~1,300-1,400/s with 0.2 ms or 1 ms (the writer idles
	// while the callers are still answering). A lone caller never waits.
	groupLinger = 0
	// groupQueue is the number of calls that may wait for the writer.
	groupQueue = 256
	// pgGroupsInFlight is how many groups may be committing at once on
	// PostgreSQL, each on its own connection (SQLite has one write
	// connection: 1). While group k waits for its COMMIT (PostgreSQL's WAL
	// flush), the next group is sent when the two share no recipient and no
	// event (see flight); PostgreSQL flushes the commit records that arrive
	// during a flush together, so small groups share flushes. With 4
	// concurrent single-event webhook posts, 4 measured better than 2 (which
	// measured no better than 1: two groups still take two flushes).
	pgGroupsInFlight = 4
)

// writerQueries are the statements of an AddEvents transaction on SQLite
// (PostgreSQL sends its own in a pipeline, pgwriter.go).
var writerQueries = []string{"insert_event", "insert_suppression", "soft_failure_add", "soft_failure_reset", "soft_failure_delete"}

// errClosed is returned by AddEvents after Close.
var errClosed = errors.New("store: closed")

// groupWriter is the group-commit state of a sqlStore.
type groupWriter struct {
	mu     sync.RWMutex // held for reading while enqueueing; Close takes it to close reqs
	closed bool
	reqs   chan *addReq
	done   chan struct{} // closed when the writer goroutine has ended

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared on s.w once, bound to each group's tx

	maxEvents int
	linger    time.Duration
	// inflight is how many groups may be committing at once (see
	// groupsInFlight); 1 makes the writer commit one group after the other.
	inflight int
	// testHook, when set, runs inside each group transaction before the
	// commit with the number of calls in the group; an error fails it.
	testHook func(calls int) error
}

// pendingEvent is an event prepared by its caller (ID, time and normalized
// address computed outside the writer).
type pendingEvent struct {
	e      Event
	norm   string
	domain string
	req    *addReq
}

// addReq is one AddEvents call waiting for the writer.
type addReq struct {
	ctx      context.Context
	evs      []pendingEvent
	received int64 // µs, when AddEvents was called
	inserted int   // set by the writer
	done     chan error
}

func (s *sqlStore) startWriter() {
	s.gw.reqs = make(chan *addReq, groupQueue)
	s.gw.done = make(chan struct{})
	s.gw.stmts = map[string]*sql.Stmt{}
	s.gw.maxEvents = groupMaxEvents
	s.gw.linger = groupLinger
	s.gw.inflight = 1
	if s.dialect == "postgres" {
		s.gw.inflight = pgGroupsInFlight
	}
	go s.writeLoop()
}

// stopWriter makes further AddEvents calls fail, lets the writer commit and
// answer every call already queued, and waits for it to end.
func (s *sqlStore) stopWriter() {
	g := &s.gw
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.reqs)
	}
	g.mu.Unlock()
	<-g.done
	g.stmtMu.Lock()
	for _, st := range g.stmts {
		st.Close()
	}
	clear(g.stmts)
	g.stmtMu.Unlock()
}

// stmt returns the store-wide prepared statement for the named query.
func (g *groupWriter) stmt(ctx context.Context, s *sqlStore, name string) (*sql.Stmt, error) {
	g.stmtMu.Lock()
	defer g.stmtMu.Unlock()
	if st := g.stmts[name]; st != nil {
		return st, nil
	}
	st, err := s.w.PrepareContext(ctx, s.q[name])
	if err != nil {
		return nil, fmt.Errorf("store: prepare %s: %w", name, err)
	}
	g.stmts[name] = st
	return st, nil
}

// AddEvents stores events in one transaction, shared with concurrent calls
// (group commit, see above). An event without ID gets
// Provider+":"+ProviderEventID, or when that is empty too, a hash of its
// provider, type, recipient, message id, time, remote text and raw payload.
// Events with a zero Time get the time of storage.
//
// When ctx ends before the call's group has begun, AddEvents returns
// ctx.Err() and the events are not stored; when it ends while the group is
// being committed, AddEvents returns ctx.Err() at once and the events may or
// may not be stored (storing them again is harmless: they are idempotent).
func (s *sqlStore) AddEvents(ctx context.Context, events []Event) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	now := time.Now()
	r := &addReq{ctx: ctx, evs: make([]pendingEvent, len(events)), received: toUS(now), done: make(chan error, 1)}
	for i, e := range events {
		if e.Time.IsZero() {
			e.Time = now
		}
		if e.ID == "" {
			e.ID = eventID(&e)
		}
		if e.Type == "" {
			return 0, fmt.Errorf("store: event %q has no type", e.ID)
		}
		norm := NormalizeAddress(e.Recipient)
		r.evs[i] = pendingEvent{e: e, norm: norm, domain: domainOf(norm), req: r}
	}
	// Time order makes the suppression rules see a batch as it happened, and
	// gives concurrent transactions one lock order (no deadlocks between
	// processes storing overlapping batches). The writer merges the sorted
	// calls of a group in the same order.
	slices.SortStableFunc(r.evs, comparePending)

	g := &s.gw
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return 0, errClosed
	}
	select {
	case g.reqs <- r:
		g.mu.RUnlock()
	case <-ctx.Done():
		g.mu.RUnlock()
		return 0, ctx.Err()
	}
	select {
	case err := <-r.done:
		if err != nil {
			return 0, err
		}
		return r.inserted, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func comparePending(a, b pendingEvent) int {
	if c := a.e.Time.Compare(b.e.Time); c != 0 {
		return c
	}
	return strings.Compare(a.e.ID, b.e.ID)
}

// writeLoop is the writer goroutine: it takes the first waiting call, adds
// the calls queued behind it (waiting up to linger for more when callers are
// concurrent), commits the group and answers its callers, until Close. With
// inflight > 1 (PostgreSQL) a group is committed in its own goroutine while
// the writer collects the next one (see flight).
func (s *sqlStore) writeLoop() {
	g := &s.gw
	var flying []*flight
	defer func() {
		for _, f := range flying {
			<-f.done
		}
		close(g.done)
	}()
	var group []*addReq
	concurrent := false
	for first := range g.reqs {
		group = append(group[:0], first)
		n := len(first.evs)
		var deadline <-chan time.Time
		var timer *time.Timer
	collect:
		for n < g.maxEvents {
			select {
			case r, ok := <-g.reqs:
				if !ok {
					break collect
				}
				group = append(group, r)
				n += len(r.evs)
				continue
			default:
			}
			if !concurrent || g.linger <= 0 {
				break
			}
			if timer == nil {
				timer = time.NewTimer(g.linger)
				deadline = timer.C
			}
			select {
			case r, ok := <-g.reqs:
				if !ok {
					break collect
				}
				group = append(group, r)
				n += len(r.evs)
			case <-deadline:
				break collect
			}
		}
		if timer != nil {
			timer.Stop()
		}
		concurrent = len(group) > 1
		if g.inflight <= 1 {
			s.runGroup(group)
			clear(group)
			continue
		}
		flying = s.launch(slices.Clone(group), flying)
		clear(group)
	}
}

// flight is a group being committed in its own goroutine (PostgreSQL).
//
// Overlapping groups keep the semantics of groups committed one after the
// other because a group starts only when it shares no key with a group still
// in flight: no normalized recipient (every suppression statement — the
// suppression list, the soft-failure run — is keyed by it, so a run sees
// the events of earlier groups in order, and a delivery ends a run only
// after the failures sent before it are committed) and no event id or
// provider event id (so the same event in two groups is not raced for: the
// later group starts after the earlier one committed it and finds it
// stored). Groups without a common key touch no common row, so they can
// neither wait for each other nor deadlock. A caller is still answered
// after the commit of the group that holds its events.
type flight struct {
	keys map[string]struct{}
	done chan struct{} // closed when the group's callers are answered
}

// launch starts group in its own goroutine once no flight conflicts with it
// and fewer than g.inflight groups are committing, and returns the flights
// still running, the new one included.
func (s *sqlStore) launch(group []*addReq, flying []*flight) []*flight {
	f := &flight{keys: groupKeys(group), done: make(chan struct{})}
	for {
		flying = slices.DeleteFunc(flying, func(o *flight) bool {
			select {
			case <-o.done:
				return true
			default:
				return false
			}
		})
		var wait *flight
		for _, o := range flying {
			if conflicts(f.keys, o.keys) {
				wait = o
				break
			}
		}
		if wait == nil && len(flying) >= s.gw.inflight {
			wait = flying[0]
		}
		if wait == nil {
			break
		}
		<-wait.done
		// The calls that came meanwhile join the group, as they would
		// have joined a group committed after the one waited for.
		group = s.topUp(group, f.keys)
	}
	go func() {
		defer close(f.done)
		s.runGroup(group)
	}()
	return append(flying, f)
}

// topUp adds the calls waiting in the queue to group, up to maxEvents
// events, and their keys to keys.
func (s *sqlStore) topUp(group []*addReq, keys map[string]struct{}) []*addReq {
	n := 0
	for _, r := range group {
		n += len(r.evs)
	}
	for n < s.gw.maxEvents {
		select {
		case r, ok := <-s.gw.reqs:
			if !ok {
				return group
			}
			group = append(group, r)
			n += len(r.evs)
			addKeys(keys, r)
		default:
			return group
		}
	}
	return group
}

// groupKeys returns the keys by which two groups may interfere: "r" and the
// normalized recipient, "i" and the event id, "p" and the provider with its
// event id.
func groupKeys(group []*addReq) map[string]struct{} {
	keys := map[string]struct{}{}
	for _, r := range group {
		addKeys(keys, r)
	}
	return keys
}

func addKeys(keys map[string]struct{}, r *addReq) {
	for i := range r.evs {
		pe := &r.evs[i]
		if pe.norm != "" {
			keys["r"+pe.norm] = struct{}{}
		}
		keys["i"+pe.e.ID] = struct{}{}
		if pe.e.ProviderEventID != "" {
			keys["p"+pe.e.Provider+"\x00"+pe.e.ProviderEventID] = struct{}{}
		}
	}
}

// conflicts reports whether the key sets a and b have a key in common.
func conflicts(a, b map[string]struct{}) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	for k := range a {
		if _, ok := b[k]; ok {
			return true
		}
	}
	return false
}

// runGroup commits one group and answers its callers.
func (s *sqlStore) runGroup(group []*addReq) {
	live := make([]*addReq, 0, len(group))
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- err // the caller has gone: store nothing for it
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	err := s.commitGroup(live)
	if err != nil && len(live) > 1 {
		// Run each call alone: the callers whose events are fine succeed,
		// each failing one gets its own error.
		for _, r := range live {
			r.done <- s.commitGroup([]*addReq{r})
		}
		return
	}
	for _, r := range live {
		r.done <- err
	}
}

// commitGroup stores the events of the calls in one transaction, retried up
// to three times when the backend says it may be (PostgreSQL deadlock or
// serialization failure), and sets each call's inserted count.
func (s *sqlStore) commitGroup(reqs []*addReq) error {
	var evs []*pendingEvent
	if len(reqs) == 1 {
		evs = make([]*pendingEvent, len(reqs[0].evs))
		for i := range reqs[0].evs {
			evs[i] = &reqs[0].evs[i]
		}
	} else {
		n := 0
		for _, r := range reqs {
			n += len(r.evs)
		}
		evs = make([]*pendingEvent, 0, n)
		for _, r := range reqs {
			for i := range r.evs {
				evs = append(evs, &r.evs[i])
			}
		}
		slices.SortStableFunc(evs, func(a, b *pendingEvent) int { return comparePending(*a, *b) })
	}
	for attempt := 1; ; attempt++ {
		for _, r := range reqs {
			r.inserted = 0
		}
		var err error
		if s.dialect == "postgres" {
			err = s.addEventsPG(len(reqs), evs)
		} else {
			err = s.addEvents(len(reqs), evs)
		}
		if err == nil || attempt == 3 || !s.retryable(err) {
			if err != nil {
				for _, r := range reqs {
					r.inserted = 0
				}
			}
			return err
		}
	}
}

// addEvents stores a group statement at a time, which costs nothing extra on
// SQLite (no network between the statements); PostgreSQL takes
// addEventsPG.
func (s *sqlStore) addEvents(calls int, evs []*pendingEvent) error {
	// The transaction does not follow any caller's context: it holds the
	// events of several callers (a caller that has gone is dropped before).
	ctx := context.Background()
	// Prepare (once per store) before BEGIN: on SQLite the transaction holds
	// the only write connection, which a prepare on s.w would wait for.
	var dbIns *sql.Stmt
	for _, name := range writerQueries {
		st, err := s.gw.stmt(ctx, s, name)
		if err != nil {
			return err
		}
		if name == "insert_event" {
			dbIns = st
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	ins := tx.StmtContext(ctx, dbIns)
	defer ins.Close()
	sup := newSuppressor(ctx, tx, s)
	defer sup.close()
	for _, pe := range evs {
		e := &pe.e
		res, err := ins.ExecContext(ctx, e.ID, e.Provider, e.ProviderEventID, e.Type, e.Recipient, pe.norm, pe.domain,
			e.MessageID, e.SendingDomain, toUS(e.Time), pe.req.received, e.RemoteText,
			e.Reason, e.Category, e.Action, e.Fault, e.HardBounce, e.Temporary, e.Status, e.ReplyCode,
			e.DiagnosisProvider, nullBytes(e.Diagnosis), nullBytes(e.Raw))
		if err != nil {
			return fmt.Errorf("store: insert event %q: %w", e.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: insert event %q: %w", e.ID, err)
		}
		if n == 0 {
			continue // already stored: its suppression effects were applied then
		}
		pe.req.inserted++
		if err := sup.apply(e, pe.norm); err != nil {
			return err
		}
	}
	if s.gw.testHook != nil {
		if err := s.gw.testHook(calls); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
