package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL's AddEvents transaction. Statement at a time (as on SQLite), a
// group costs one network round trip per event and per suppression statement,
// a group of 100 events about 200. Here the whole transaction goes to the
// server as one pgx pipeline (pgx.Batch): BEGIN, for each event in (time, id)
// order its INSERT … ON CONFLICT DO NOTHING followed by its suppression
// statements, COMMIT — one round trip whatever the group's size.
//
// Semantics are those of the statement-at-a-time writer. Each insert is its
// own statement, so its row count says whether the event was new (the first
// copy in a group wins; a copy being stored by another process is waited for
// and skipped). The suppression statements are sent before that answer is
// known, so each one carries the event's id and has an effect only when this
// transaction inserted the event (queries *_new in queries/postgres.sql); the
// soft-bounce rule checks the run's length and span in SQL. A failed
// statement makes the server skip the rest of the pipeline, COMMIT included.
//
// The id test cannot tell two copies with the same id in one group apart (a
// later copy may be inserted when the first conflicted on its provider event
// id). Such a group takes two round trips instead: the inserts first, then
// the suppression statements of the events that were inserted, and COMMIT.

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
	var b pgx.Batch
	names := []string{"begin"} // per queued statement, for errors; "" for an insert
	b.Queue("BEGIN")
	for _, pe := range evs {
		e := &pe.e
		b.Queue(s.q["insert_event"], e.ID, e.Provider, e.ProviderEventID, e.Type, e.Recipient, pe.norm, pe.domain,
			e.MessageID, e.SendingDomain, toUS(e.Time), pe.req.received, e.RemoteText,
			e.Reason, e.Category, e.Action, e.Fault, e.HardBounce, e.Temporary, e.Status, e.ReplyCode,
			e.DiagnosisProvider, nullBytes(e.Diagnosis), nullBytes(e.Raw))
		names = append(names, "")
		if oneTrip {
			names = s.queueSuppression(&b, names, e, pe.norm)
		}
	}
	commitQueued := oneTrip && s.gw.testHook == nil
	if commitQueued {
		b.Queue("COMMIT")
		names = append(names, "commit")
	}

	var second pgx.Batch // two-trip mode: the suppression statements
	var secondNames []string
	br := c.SendBatch(ctx, &b)
	next := 0 // index into evs of the next insert's answer
	for _, name := range names {
		tag, err := br.Exec()
		if name != "" {
			if err != nil {
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
		if tag.RowsAffected() == 0 {
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
	if !commitQueued {
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
