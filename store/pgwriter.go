package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL's AddEvents transaction. Statement at a time (as on SQLite), a
// group costs one network round trip per event and per suppression statement,
// a group of 100 events about 200. Here the whole transaction goes to the
// server as one pgx pipeline (pgx.Batch) — one round trip whatever the
// group's size: for each event in (time, id) order one statement that
// inserts it (INSERT … ON CONFLICT DO NOTHING RETURNING) and applies its
// suppression rule in data-modifying CTEs that act only on the row the
// insert returned (queries insert_event_suppress, _reset, _soft in
// queries/postgres.sql; a soft failure adds soft_run_end_new, which ends a
// run long enough to suppress). The pipeline needs no BEGIN and COMMIT: the
// statements up to its one Sync are one implicit transaction, which the
// server commits at the Sync — the Sync's answer arrives after the commit
// and its WAL flush — or rolls back at the first failed statement, whose
// error is returned. One statement per event instead of an insert followed
// by one to three suppression statements took the server's share of a group
// from up to four statements per event (plus BEGIN and COMMIT) to one or
// two (issue 7, docs/store.md).
//
// Semantics are those of the statement-at-a-time writer. Each event's
// statement answers whether the event was new (the first copy in a group
// wins; a copy being stored by another process is waited for and skipped).
// Only that answer is not known when the later statements are sent, so
// soft_run_end_new carries the event's id and has an effect only when this
// transaction inserted the event (its row's xmin is our transaction).
//
// That test cannot tell two copies with the same id in one group apart (a
// later copy may be inserted when the first conflicted on its provider event
// id). Such a group takes two round trips instead, in an explicit
// transaction: BEGIN and the plain inserts first, then the suppression
// statements (the *_new queries) of the events that were inserted, and
// COMMIT. A test hook (writer.go) also takes an explicit transaction.

// addEventsPG stores a group on PostgreSQL through the pgx connection beneath
// database/sql.
func (s *sqlStore) addEventsPG(calls int, evs []*pendingEvent) error {
	ctx := context.Background() // see addEvents
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: connection: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: driver connection is %T, not pgx", dc)
		}
		return s.pipelineGroup(ctx, c.Conn(), calls, evs)
	})
}

// pipelineGroup runs the group's transaction on c (see above).
func (s *sqlStore) pipelineGroup(ctx context.Context, c *pgx.Conn, calls int, evs []*pendingEvent) (err error) {
	// After an error the transaction is still open (aborted): roll it back.
	// If even that fails, the connection is closed and database/sql drops it.
	defer func() {
		if err != nil && c.PgConn().TxStatus() != 'I' {
			c.Exec(ctx, "ROLLBACK")
		}
	}()
	oneTrip := !repeatedID(evs)
	// In one trip without a test hook the pipeline is the transaction: the
	// statements up to its Sync form one implicit transaction, committed
	// when the server reaches the Sync (and rolled back at the first error),
	// so it needs no BEGIN and COMMIT statements. The answer to the Sync
	// arrives after the commit (and its WAL flush).
	explicit := !oneTrip || s.gw.testHook != nil
	var b pgx.Batch
	// Per queued statement, for errors: "" for an insert (its row count says
	// whether the event was new), "*" for an insert with its suppression
	// rule (queueEvent; its one row says so).
	var names []string
	if explicit {
		b.Queue("BEGIN")
		names = append(names, "begin")
	}
	for _, pe := range evs {
		if oneTrip {
			names = s.queueEvent(&b, names, pe)
			continue
		}
		b.Queue(s.q["insert_event"], insertArgs(pe)...)
		names = append(names, "")
	}

	var second pgx.Batch // two-trip mode: the suppression statements
	var secondNames []string
	br := c.SendBatch(ctx, &b)
	next := 0 // index into evs of the next insert's answer
	for _, name := range names {
		var n int64
		switch name {
		case "":
			var tag pgconn.CommandTag
			tag, err = br.Exec()
			n = tag.RowsAffected()
		case "*":
			err = br.QueryRow().Scan(&n)
		default:
			if _, err := br.Exec(); err != nil {
				br.Close()
				return fmt.Errorf("store: %s: %w", name, err)
			}
			continue
		}
		pe := evs[next]
		next++
		if err != nil {
			br.Close()
			return fmt.Errorf("store: insert event %q: %w", pe.e.ID, err)
		}
		if n == 0 {
			continue // already stored: its suppression effects were applied then
		}
		pe.req.inserted++
		if !oneTrip {
			secondNames = s.queueSuppression(&second, secondNames, &pe.e, pe.norm)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("store: add events: %w", err)
	}
	if explicit {
		if s.gw.testHook != nil {
			// The hook runs inside the transaction, after every statement.
			if second.Len() > 0 {
				if err := sendBatch(ctx, c, &second, secondNames); err != nil {
					return err
				}
				second, secondNames = pgx.Batch{}, nil
			}
			if err := s.gw.testHook(calls); err != nil {
				return err
			}
		}
		second.Queue("COMMIT")
		secondNames = append(secondNames, "commit")
		if err := sendBatch(ctx, c, &second, secondNames); err != nil {
			return err
		}
	}
	if st := c.PgConn().TxStatus(); st != 'I' {
		return fmt.Errorf("store: commit: transaction status %q after COMMIT", st)
	}
	return nil
}

// insertArgs returns the arguments of insert_event ($1..$23) for pe.
func insertArgs(pe *pendingEvent, extra ...any) []any {
	e := &pe.e
	return append([]any{e.ID, e.Provider, e.ProviderEventID, e.Type, e.Recipient, pe.norm, pe.domain,
		e.MessageID, e.SendingDomain, toUS(e.Time), pe.req.received, e.RemoteText,
		e.Reason, e.Category, e.Action, e.Fault, e.HardBounce, e.Temporary, e.Status, e.ReplyCode,
		e.DiagnosisProvider, nullBytes(e.Diagnosis), nullBytes(e.Raw)}, extra...)
}

// queueEvent queues the insert of pe together with its suppression rule,
// one statement (insert_event_suppress, _reset, _soft; a soft failure adds
// soft_run_end_new), and appends their names ("*" for the insert) to names.
func (s *sqlStore) queueEvent(b *pgx.Batch, names []string, pe *pendingEvent) []string {
	e := &pe.e
	eff, reason := effectNone, ""
	if pe.norm != "" {
		eff, reason = suppressionEffect(e)
	}
	switch eff {
	case effectSuppress:
		b.Queue(s.q["insert_event_suppress"], insertArgs(pe, strings.TrimSpace(e.Recipient), reason)...)
	case effectReset:
		b.Queue(s.q["insert_event_reset"], insertArgs(pe)...)
	case effectSoft:
		run, span := s.opts.SoftBounceRun, spanUS(s.opts.SoftBounceSpan)
		b.Queue(s.q["insert_event_soft"], insertArgs(pe, strings.TrimSpace(e.Recipient), SuppressSoftBounce, run, span)...)
		b.Queue(s.q["soft_run_end_new"], pe.norm, run, span, e.ID)
		return append(names, "*", "soft_run_end_new")
	default:
		b.Queue(s.q["insert_event"], insertArgs(pe)...)
		return append(names, "")
	}
	return append(names, "*")
}

// repeatedID reports whether two events of the group have the same id.
func repeatedID(evs []*pendingEvent) bool {
	seen := make(map[string]struct{}, len(evs))
	for _, pe := range evs {
		if _, ok := seen[pe.e.ID]; ok {
			return true
		}
		seen[pe.e.ID] = struct{}{}
	}
	return false
}

// sendBatch runs the statements of b, named by names, and returns the first
// error.
func sendBatch(ctx context.Context, c *pgx.Conn, b *pgx.Batch, names []string) error {
	br := c.SendBatch(ctx, b)
	for _, name := range names {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("store: %s: %w", name, err)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("store: %s: %w", names[len(names)-1], err)
	}
	return nil
}

// queueSuppression queues the suppression statements of the event e (see
// suppressor; each has an effect only if this transaction inserted e) and
// appends their names to names.
func (s *sqlStore) queueSuppression(b *pgx.Batch, names []string, e *Event, norm string) []string {
	if norm == "" {
		return names
	}
	q := func(name string, args ...any) {
		b.Queue(s.q[name], args...)
		names = append(names, name)
	}
	switch eff, reason := suppressionEffect(e); eff {
	case effectSuppress:
		q("insert_suppression_new", norm, strings.TrimSpace(e.Recipient), reason, e.Reason, e.ID, "", toUS(e.Time))
		q("soft_failure_delete_new", norm, e.ID)
	case effectReset:
		q("soft_failure_reset_new", norm, toUS(e.Time), e.ID)
	case effectSoft:
		run, span := s.opts.SoftBounceRun, spanUS(s.opts.SoftBounceSpan)
		q("soft_failure_add_new", norm, toUS(e.Time), e.ID)
		q("soft_run_suppress_new", norm, strings.TrimSpace(e.Recipient), SuppressSoftBounce, e.Reason, e.ID, "", toUS(e.Time), run, span)
		q("soft_run_end_new", norm, run, span, e.ID)
	}
	return names
}

// spanUS is the least number of microseconds between a run's first and last
// failure that is at least d (d >= 0): the suppressor's span test in SQL.
func spanUS(d time.Duration) int64 {
	us := int64(d / time.Microsecond)
	if d%time.Microsecond > 0 {
		us++
	}
	return us
}
