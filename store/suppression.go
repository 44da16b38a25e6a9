package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// suppressor applies the suppression rules to newly stored events inside the
// AddEvents transaction:
//
//   - diagnosis action "suppress" (hard bounce, disabled account) on any event
//     that is not delivered/opened/clicked → reason "bounce";
//   - type complained → "complaint"; type unsubscribed → "unsubscribe";
//   - a soft failure (type bounced whose action is not suppress, fix-sender or
//     fix-request: the problem is not the sender's) extends the address's run;
//     when the run has Options.SoftBounceRun failures spanning at least
//     Options.SoftBounceSpan → "soft-bounce";
//   - a delivered event at or after the run's first failure ends the run.
//
// An address already on the list keeps its first entry.
type suppressor struct {
	ctx   context.Context
	tx    *sql.Tx
	s     *sqlStore
	stmts map[string]*sql.Stmt // bound to tx once per transaction
}

func newSuppressor(ctx context.Context, tx *sql.Tx, s *sqlStore) *suppressor {
	return &suppressor{ctx: ctx, tx: tx, s: s, stmts: map[string]*sql.Stmt{}}
}

func (p *suppressor) stmt(name string) (*sql.Stmt, error) {
	if st := p.stmts[name]; st != nil {
		return st, nil
	}
	// The statement is prepared once per store (by the group writer, the
	// only user) and bound to each transaction without preparing again.
	dbst, err := p.s.gw.stmt(p.ctx, p.s, name)
	if err != nil {
		return nil, err
	}
	st := p.tx.StmtContext(p.ctx, dbst)
	p.stmts[name] = st
	return st, nil
}

func (p *suppressor) exec(name string, args ...any) error {
	st, err := p.stmt(name)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(p.ctx, args...); err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	return nil
}

// close releases the prepared statements.
func (p *suppressor) close() {
	for _, st := range p.stmts {
		st.Close()
	}
}

// isSoftFailure reports whether e counts towards a soft-bounce run.
func isSoftFailure(e *Event) bool {
	if e.Type != TypeBounced {
		return false
	}
	switch e.Action {
	case "suppress", "fix-sender", "fix-request":
		return false
	}
	return true
}

// effect is what the suppression rules do with one newly stored event.
type effect int

const (
	effectNone     effect = iota
	effectSuppress        // put the address on the list (with the reason returned alongside)
	effectReset           // a delivery: end the run of soft failures that began at or before it
	effectSoft            // a soft failure: extend the run, suppress when it is long enough
)

// suppressionEffect returns the effect of the newly stored event e and, for
// effectSuppress, the reason. Both writers (the statement-at-a-time one and
// PostgreSQL's pipeline) apply the rules through it.
func suppressionEffect(e *Event) (effect, string) {
	switch {
	case e.Type == TypeComplained:
		return effectSuppress, SuppressComplaint
	case e.Type == TypeUnsubscribed:
		return effectSuppress, SuppressUnsubscribe
	case e.Type == TypeDelivered:
		return effectReset, ""
	case e.Type == TypeOpened || e.Type == TypeClicked:
		return effectNone, ""
	case e.Action == "suppress":
		return effectSuppress, SuppressBounce
	case isSoftFailure(e):
		return effectSoft, ""
	}
	return effectNone, ""
}

func (p *suppressor) apply(e *Event, norm string) error {
	if norm == "" {
		return nil
	}
	switch eff, reason := suppressionEffect(e); eff {
	case effectSuppress:
		return p.suppress(e, norm, reason)
	case effectReset:
		return p.exec("soft_failure_reset", norm, toUS(e.Time))
	case effectSoft:
		var n int
		var first, last int64
		st, err := p.stmt("soft_failure_add")
		if err != nil {
			return err
		}
		if err := st.QueryRowContext(p.ctx, norm, toUS(e.Time), e.ID).Scan(&n, &first, &last); err != nil {
			return fmt.Errorf("store: soft failure: %w", err)
		}
		if n >= p.s.opts.SoftBounceRun && time.Duration(last-first)*time.Microsecond >= p.s.opts.SoftBounceSpan {
			return p.suppress(e, norm, SuppressSoftBounce)
		}
	}
	return nil
}

func (p *suppressor) suppress(e *Event, norm, reason string) error {
	if err := p.exec("insert_suppression", norm, strings.TrimSpace(e.Recipient), reason, e.Reason, e.ID, "", toUS(e.Time)); err != nil {
		return err
	}
	return p.exec("soft_failure_delete", norm)
}

func scanSuppression(r rowScanner) (Suppression, error) {
	var x Suppression
	var us int64
	if err := r.Scan(&x.Normalized, &x.Address, &x.Reason, &x.DiagnosisReason, &x.EventID, &x.Note, &us); err != nil {
		return Suppression{}, err
	}
	x.Created = fromUS(us)
	return x, nil
}

func (s *sqlStore) getSuppression(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, address string) (Suppression, error) {
	x, err := scanSuppression(db.QueryRowContext(ctx, s.q["select_suppressions"]+" WHERE address_norm = $1", NormalizeAddress(address)))
	if errors.Is(err, sql.ErrNoRows) {
		return Suppression{}, ErrNotFound
	}
	if err != nil {
		return Suppression{}, fmt.Errorf("store: get suppression: %w", err)
	}
	return x, nil
}

func (s *sqlStore) GetSuppression(ctx context.Context, address string) (Suppression, error) {
	return s.getSuppression(ctx, s.r, address)
}

func (s *sqlStore) AddSuppression(ctx context.Context, address, note string) (Suppression, error) {
	norm := NormalizeAddress(address)
	if !strings.Contains(norm, "@") {
		return Suppression{}, fmt.Errorf("store: %q is not an email address", address)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Suppression{}, fmt.Errorf("store: add suppression: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q["insert_suppression"], norm, strings.TrimSpace(address), SuppressManual,
		"", "", note, toUS(time.Now())); err != nil {
		return Suppression{}, fmt.Errorf("store: add suppression: %w", err)
	}
	x, err := s.getSuppression(ctx, tx, address)
	if err != nil {
		return Suppression{}, err
	}
	if err := tx.Commit(); err != nil {
		return Suppression{}, fmt.Errorf("store: add suppression: %w", err)
	}
	return x, nil
}

func (s *sqlStore) RemoveSuppression(ctx context.Context, address string) error {
	norm := NormalizeAddress(address)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: remove suppression: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.q["delete_suppression"], norm)
	if err != nil {
		return fmt.Errorf("store: remove suppression: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: remove suppression: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q["soft_failure_delete"], norm); err != nil {
		return fmt.Errorf("store: remove suppression: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: remove suppression: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (s *sqlStore) ListSuppressions(ctx context.Context, q, reason, cursor string, limit int) ([]Suppression, string, error) {
	limit = clampLimit(limit)
	var w where
	if q = strings.TrimSpace(q); q != "" {
		w.add(`lower(address_norm) LIKE ? ESCAPE '\'`, "%"+likeEscape(strings.ToLower(q))+"%")
	}
	if reason != "" {
		w.add("(reason = ? OR diagnosis_reason = ?)", reason, reason)
	}
	if cursor != "" {
		us, key, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		w.add("(created_us, address_norm) < (?, ?)", us, key)
	}
	query := s.q["select_suppressions"] + w.String() + " ORDER BY created_us DESC, address_norm DESC"
	return queryPage(ctx, s, "list suppressions", query, w.args, limit, scanSuppression,
		func(x Suppression) string { return encodeCursor(toUS(x.Created), x.Normalized) })
}

// ExportSuppressionsCSV writes the columns address, normalized, reason,
// diagnosis_reason, event_id, note, created (RFC 3339, UTC), oldest first.
func (s *sqlStore) ExportSuppressionsCSV(ctx context.Context, w io.Writer) error {
	rows, err := s.r.QueryContext(ctx, s.q["select_suppressions"]+" ORDER BY created_us, address_norm")
	if err != nil {
		return fmt.Errorf("store: export suppressions: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"address", "normalized", "reason", "diagnosis_reason", "event_id", "note", "created"}); err != nil {
		return err
	}
	for rows.Next() {
		x, err := scanSuppression(rows)
		if err != nil {
			return fmt.Errorf("store: export suppressions: %w", err)
		}
		if err := cw.Write([]string{csvSafe(x.Address), csvSafe(x.Normalized), x.Reason, x.DiagnosisReason,
			csvSafe(x.EventID), csvSafe(x.Note), x.Created.Format(time.RFC3339)}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export suppressions: %w", err)
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses spreadsheet formula injection: a cell starting with = + - @
// gets a leading apostrophe (OWASP CSV injection guidance).
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
