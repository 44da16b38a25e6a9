// Package store keeps delivery events and the suppression list of maildx.
//
// It owns the database: an embedded SQLite file (modernc.org/sqlite, pure Go)
// by default, or PostgreSQL (pgx/v5 through database/sql) when the DSN starts
// with postgres:// or postgresql://. Both use the same schema, migrated with
// goose from the embedded migrations/{sqlite,postgres} directories, and the same
// queries (queries/{sqlite,postgres}.sql, $N placeholders in both).
//
// It does not own the normalisation of provider payloads (package event) nor
// the classifier: the caller fills the flattened diagnosis fields of Event and
// passes a function to Reclassify.
//
// Every write is committed before the method returns, so a webhook handler may
// answer 2xx as soon as AddEvents returned without error. Concurrent AddEvents
// calls share one transaction (group commit, writer.go).
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned when an event or suppression does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrBadCursor is returned by the list methods for a cursor they did not issue.
var ErrBadCursor = errors.New("store: invalid cursor")

// Event types. Types other than these are stored as given.
const (
	TypeDelivered    = "delivered"
	TypeBounced      = "bounced"
	TypeDeferred     = "deferred"
	TypeDropped      = "dropped"
	TypeComplained   = "complained"
	TypeUnsubscribed = "unsubscribed"
	TypeOpened       = "opened"
	TypeClicked      = "clicked"
)

// Event is one stored delivery event: the normalized event plus the
// classifier's diagnosis, flattened into the columns that are filtered and
// counted, and kept whole as JSON in Diagnosis.
type Event struct {
	// ID identifies the event and makes AddEvents idempotent. When empty,
	// AddEvents derives it (see AddEvents).
	ID              string
	Provider        string // mailgun, sendgrid, ses, postmark, generic, ...
	ProviderEventID string // the provider's own id; unique per provider when set
	Type            string // one of the Type constants
	Recipient       string // as received
	MessageID       string
	SendingDomain   string
	Time            time.Time // when the event happened (stored with microsecond precision, returned in UTC)
	RemoteText      string    // SMTP reply or provider description
	Raw             json.RawMessage

	// Flattened diagnosis (empty when the event was not diagnosed).
	Reason            string
	Category          string
	Action            string // suppress, retry, fix-sender, fix-request, contact-recipient, none
	Fault             string
	HardBounce        bool
	Temporary         bool
	Status            string
	ReplyCode         int
	DiagnosisProvider string
	// Diagnosis is the whole maildx.Diagnosis as JSON, nil when none.
	Diagnosis json.RawMessage

	// Received is set by the store: when the event was stored.
	Received time.Time
}

// Filter selects events for ListEvents. Zero fields do not filter.
type Filter struct {
	Recipient string // exact address; the domain part is compared case-insensitively
	Reason    string
	Provider  string
	Type      string
	Domain    string    // recipient domain, case-insensitive
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	Cursor    string    // from a previous page; "" for the first page
	Limit     int       // default 50, at most 1000
}

// Suppression reasons (Suppression.Reason).
const (
	SuppressBounce      = "bounce"      // an event whose diagnosis action is suppress
	SuppressComplaint   = "complaint"   // a complained event
	SuppressUnsubscribe = "unsubscribe" // an unsubscribed event
	SuppressSoftBounce  = "soft-bounce" // a run of soft failures, see Options
	SuppressManual      = "manual"      // AddSuppression
)

// Suppression is an address that must not be mailed again.
type Suppression struct {
	Address         string // as first seen
	Normalized      string // local part as is, domain lower-case
	Reason          string // one of the Suppress constants
	DiagnosisReason string // the classifier's reason of the causing event, e.g. userunknown
	EventID         string // the event that caused it; "" for manual entries
	Note            string
	Created         time.Time
}

// ReasonCount is one bar of FailuresByReason.
type ReasonCount struct {
	Bucket time.Time // start of the time bucket (UTC)
	Reason string
	Count  int
}

// DomainCount is one row of TopFailingDomains.
type DomainCount struct {
	Domain   string
	Failures int // bounced, dropped and deferred events
	Total    int // all events to the domain in the period
}

// Store is the event store and suppression list. Implementations are safe for
// concurrent use.
type Store interface {
	// AddEvents stores the events in one transaction and applies the
	// suppression rules to the newly stored ones. An event whose ID (or
	// provider and provider event id) is already stored is skipped. It returns
	// how many events were new; they are committed when it returns.
	AddEvents(ctx context.Context, events []Event) (inserted int, err error)
	// GetEvent returns one event or ErrNotFound.
	GetEvent(ctx context.Context, id string) (Event, error)
	// ListEvents returns a page of events, newest first, and the cursor of
	// the next page ("" on the last page).
	ListEvents(ctx context.Context, f Filter) (events []Event, next string, err error)
	// Reclassify calls fn for every stored event and stores the diagnosis
	// fields of its result where they changed. It returns how many changed.
	Reclassify(ctx context.Context, fn func(Event) Event) (changed int, err error)
	// Purge deletes events older than before and returns how many.
	Purge(ctx context.Context, before time.Time) (deleted int, err error)

	// ListSuppressions returns a page of suppressions, newest first. q
	// matches a substring of the address (case-insensitive), reason matches
	// Reason or DiagnosisReason.
	ListSuppressions(ctx context.Context, q, reason, cursor string, limit int) (list []Suppression, next string, err error)
	// GetSuppression returns the entry for address or ErrNotFound.
	GetSuppression(ctx context.Context, address string) (Suppression, error)
	// AddSuppression suppresses address by hand (reason "manual"). When the
	// address is already suppressed the existing entry is returned unchanged.
	AddSuppression(ctx context.Context, address, note string) (Suppression, error)
	// RemoveSuppression removes the entry and any soft-failure run for
	// address; ErrNotFound when there was none.
	RemoveSuppression(ctx context.Context, address string) error
	// ExportSuppressionsCSV writes all suppressions as CSV with a header row.
	ExportSuppressionsCSV(ctx context.Context, w io.Writer) error

	// FailuresByReason counts bounced, dropped and deferred events in
	// [since, until) per time bucket and reason.
	FailuresByReason(ctx context.Context, since, until time.Time, bucket time.Duration) ([]ReasonCount, error)
	// TopFailingDomains returns the n recipient domains with the most
	// failures since the given time.
	TopFailingDomains(ctx context.Context, since time.Time, n int) ([]DomainCount, error)

	// Dialect is "sqlite" or "postgres".
	Dialect() string
	// Close closes the database.
	Close() error
}

// Options tune a store. The zero value gives the documented defaults.
type Options struct {
	// SoftBounceRun is how many consecutive soft failures suppress an
	// address (default 3).
	SoftBounceRun int
	// SoftBounceSpan is the minimum time between the first and the last
	// failure of the run (default 72h). Set to a negative value for none.
	SoftBounceSpan time.Duration
	// ReadConns is the size of the SQLite read pool (default 4) or the
	// PostgreSQL pool (default 10).
	ReadConns int
	// SQLiteSynchronous is the SQLite synchronous pragma in WAL mode:
	// "normal" (default: a commit survives a crash or SIGKILL of the
	// process; after a power loss or kernel crash the last commits may be
	// rolled back, the file stays consistent) or "full" (each commit is
	// fsynced: survives power loss, costs one fsync per AddEvents call).
	SQLiteSynchronous string
}

func (o Options) withDefaults() Options {
	if o.SoftBounceRun <= 0 {
		o.SoftBounceRun = 3
	}
	if o.SoftBounceSpan == 0 {
		o.SoftBounceSpan = 72 * time.Hour
	}
	if o.SoftBounceSpan < 0 {
		o.SoftBounceSpan = 0
	}
	if o.SQLiteSynchronous == "" {
		o.SQLiteSynchronous = "normal"
	}
	return o
}

// Open opens (and creates or migrates) the store named by dsn with default
// Options. See OpenWith.
func Open(ctx context.Context, dsn string) (Store, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith opens the store named by dsn: a "postgres://" or "postgresql://"
// URL selects PostgreSQL, anything else is a SQLite file path (created with its
// parent directory when missing; a "file:" prefix is allowed). Pending
// migrations are applied before it returns; on PostgreSQL they run under an
// advisory lock, so several processes may open the same database at once.
func OpenWith(ctx context.Context, dsn string, opts Options) (Store, error) {
	opts = opts.withDefaults()
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn, opts)
	}
	return openSQLite(ctx, dsn, opts)
}

// IsPostgres reports whether dsn selects the PostgreSQL backend.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

//go:embed migrations queries
var sqlFiles embed.FS

// queries holds the named SQL blocks of one dialect.
type queries map[string]string

func loadQueries(dialect string) (queries, error) {
	b, err := sqlFiles.ReadFile("queries/" + dialect + ".sql")
	if err != nil {
		return nil, err
	}
	q := queries{}
	name := ""
	var sb strings.Builder
	flush := func() {
		if name != "" {
			q[name] = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(sb.String()), ";"))
		}
		sb.Reset()
	}
	for line := range strings.Lines(string(b)) {
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			flush()
			name = strings.TrimSpace(n)
			continue
		}
		if name != "" && !strings.HasPrefix(strings.TrimSpace(line), "--") {
			sb.WriteString(line)
		}
	}
	flush()
	for _, n := range []string{"insert_event", "select_events", "update_diagnosis", "purge_batch",
		"failures_by_reason", "top_failing_domains", "insert_suppression", "select_suppressions",
		"delete_suppression", "soft_failure_add", "soft_failure_reset", "soft_failure_delete"} {
		if q[n] == "" {
			return nil, fmt.Errorf("store: query %q missing in queries/%s.sql", n, dialect)
		}
	}
	return q, nil
}

// sqlStore implements Store on database/sql for both dialects.
type sqlStore struct {
	dialect string
	w       *sql.DB // writes (one connection for SQLite)
	r       *sql.DB // reads (== w for PostgreSQL)
	q       queries
	opts    Options
	path    string // SQLite file path, "" for PostgreSQL
	// retryable reports whether a failed write transaction may be retried
	// (PostgreSQL deadlock or serialization failure).
	retryable func(error) bool

	gw groupWriter // AddEvents group commit (writer.go)
}

var _ Store = (*sqlStore)(nil)

func (s *sqlStore) Dialect() string { return s.dialect }

// Close stops accepting AddEvents calls, waits until every call already
// queued has been committed (or failed) and answered, then closes the
// database.
func (s *sqlStore) Close() error {
	s.stopWriter()
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

func toUS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromUS(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// NormalizeAddress returns the address with the domain part lower-cased and
// the local part unchanged (RFC 5321 §2.4: the local part may be case
// sensitive), surrounding space and angle brackets removed.
func NormalizeAddress(addr string) string {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return addr
	}
	return addr[:i+1] + strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
}

func domainOf(norm string) string {
	if i := strings.LastIndexByte(norm, '@'); i >= 0 {
		return norm[i+1:]
	}
	return ""
}

// eventID derives an ID for an event that has none: provider:provider-event-id,
// else a hash of what identifies the event.
func eventID(e *Event) string {
	if e.ProviderEventID != "" {
		return e.Provider + ":" + e.ProviderEventID
	}
	h := sha256.New()
	for _, s := range []string{e.Provider, e.Type, e.Recipient, e.MessageID, strconv.FormatInt(e.Time.UnixNano(), 10), e.RemoteText} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(e.Raw)
	return e.Provider + ":h:" + hex.EncodeToString(h.Sum(nil)[:16])
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

type rowScanner interface{ Scan(...any) error }

func scanEvent(r rowScanner) (Event, error) {
	var e Event
	var t, recv int64
	var diag, raw []byte
	err := r.Scan(&e.ID, &e.Provider, &e.ProviderEventID, &e.Type, &e.Recipient, &e.MessageID, &e.SendingDomain,
		&t, &recv, &e.RemoteText, &e.Reason, &e.Category, &e.Action, &e.Fault, &e.HardBounce,
		&e.Temporary, &e.Status, &e.ReplyCode, &e.DiagnosisProvider, &diag, &raw)
	if err != nil {
		return Event{}, err
	}
	e.Time, e.Received = fromUS(t), fromUS(recv)
	if len(diag) > 0 {
		e.Diagnosis = json.RawMessage(diag)
	}
	if len(raw) > 0 {
		e.Raw = json.RawMessage(raw)
	}
	return e, nil
}

func (s *sqlStore) GetEvent(ctx context.Context, id string) (Event, error) {
	e, err := scanEvent(s.r.QueryRowContext(ctx, s.q["select_events"]+" WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, ErrNotFound
	}
	if err != nil {
		return Event{}, fmt.Errorf("store: get event: %w", err)
	}
	return e, nil
}

// cursor is the position after the last row of a page: the row's time and
// id (events) or created time and normalized address (suppressions).
func encodeCursor(us int64, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(us, 10) + ":" + key))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", ErrBadCursor
	}
	ts, key, ok := strings.Cut(string(b), ":")
	if !ok {
		return 0, "", ErrBadCursor
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", ErrBadCursor
	}
	return us, key, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// where collects conditions with $N placeholders.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for range args {
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)+1), 1)
		w.args = append(w.args, args[0])
		args = args[1:]
	}
	w.conds = append(w.conds, cond)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func (s *sqlStore) ListEvents(ctx context.Context, f Filter) ([]Event, string, error) {
	limit := clampLimit(f.Limit)
	var w where
	// The first filter in this order (most selective first) drives the
	// query through its (column, time_us, …) index. SQLite has no column
	// statistics unless ANALYZE ran and may pick a poor index for several
	// equality filters, so there the others are written as +column, which
	// SQLite never answers from an index. PostgreSQL's planner has
	// statistics and chooses itself.
	driven := false
	eq := func(col, v string) {
		if v == "" {
			return
		}
		if driven && s.dialect == "sqlite" {
			col = "+" + col
		}
		driven = true
		w.add(col+" = ?", v)
	}
	eq("recipient_norm", NormalizeAddress(f.Recipient))
	eq("recipient_domain", strings.ToLower(strings.TrimSpace(f.Domain)))
	eq("reason", f.Reason)
	eq("provider", f.Provider)
	eq("type", f.Type)
	if !f.Since.IsZero() {
		w.add("time_us >= ?", toUS(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("time_us < ?", toUS(f.Until))
	}
	if f.Cursor != "" {
		us, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		w.add("(time_us, id) < (?, ?)", us, id)
	}
	q := s.q["select_events"] + w.String() + " ORDER BY time_us DESC, id DESC"
	return queryPage(ctx, s, "list events", q, w.args, limit, scanEvent,
		func(e Event) string { return encodeCursor(toUS(e.Time), e.ID) })
}

// queryPage runs one page of a keyset-paginated query (q ends with its
// ORDER BY): it reads limit+1 rows, keeps limit, and makes the cursor of
// the next page from the last row kept when there is more.
func queryPage[T any](ctx context.Context, s *sqlStore, what, q string, args []any, limit int,
	scan func(rowScanner) (T, error), cursor func(T) string) ([]T, string, error) {
	rows, err := s.r.QueryContext(ctx, q+" LIMIT "+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, "", fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: %s: %w", what, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = cursor(out[limit-1])
	}
	return out, next, nil
}

const reclassifyBatch = 500

func diagnosisEqual(a, b *Event) bool {
	return a.Reason == b.Reason && a.Category == b.Category && a.Action == b.Action && a.Fault == b.Fault &&
		a.HardBounce == b.HardBounce && a.Temporary == b.Temporary && a.Status == b.Status &&
		a.ReplyCode == b.ReplyCode && a.DiagnosisProvider == b.DiagnosisProvider &&
		string(a.Diagnosis) == string(b.Diagnosis)
}

// Reclassify walks the events in id order in batches of 500, each batch
// updated in its own transaction. Only the diagnosis fields of fn's result are
// stored; the suppression list is not changed retroactively.
func (s *sqlStore) Reclassify(ctx context.Context, fn func(Event) Event) (int, error) {
	changed := 0
	after := ""
	for {
		rows, err := s.r.QueryContext(ctx, s.q["select_events"]+" WHERE id > $1 ORDER BY id LIMIT $2", after, reclassifyBatch)
		if err != nil {
			return changed, fmt.Errorf("store: reclassify: %w", err)
		}
		var batch []Event
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				rows.Close()
				return changed, fmt.Errorf("store: reclassify: %w", err)
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return changed, fmt.Errorf("store: reclassify: %w", err)
		}
		if len(batch) == 0 {
			return changed, nil
		}
		after = batch[len(batch)-1].ID
		var updates []Event
		for _, e := range batch {
			n := fn(e)
			if !diagnosisEqual(&e, &n) {
				n.ID = e.ID
				updates = append(updates, n)
			}
		}
		if len(updates) > 0 {
			if err := s.updateDiagnoses(ctx, updates); err != nil {
				return changed, err
			}
			changed += len(updates)
		}
		if len(batch) < reclassifyBatch {
			return changed, nil
		}
	}
}

func (s *sqlStore) updateDiagnoses(ctx context.Context, evs []Event) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: reclassify: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, s.q["update_diagnosis"])
	if err != nil {
		return fmt.Errorf("store: reclassify: %w", err)
	}
	defer st.Close()
	for _, e := range evs {
		if _, err := st.ExecContext(ctx, e.ID, e.Reason, e.Category, e.Action, e.Fault, e.HardBounce,
			e.Temporary, e.Status, e.ReplyCode, e.DiagnosisProvider, nullBytes(e.Diagnosis)); err != nil {
			return fmt.Errorf("store: reclassify %q: %w", e.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: reclassify: %w", err)
	}
	return nil
}

const purgeBatch = 5000

// Purge deletes in batches of 5000 events, each its own transaction, so that
// writers are not blocked for long. Suppressions are kept.
func (s *sqlStore) Purge(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		res, err := s.w.ExecContext(ctx, s.q["purge_batch"], toUS(before), purgeBatch)
		if err != nil {
			return total, fmt.Errorf("store: purge: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("store: purge: %w", err)
		}
		total += int(n)
		if n < purgeBatch {
			return total, nil
		}
	}
}

func (s *sqlStore) FailuresByReason(ctx context.Context, since, until time.Time, bucket time.Duration) ([]ReasonCount, error) {
	b := bucket.Microseconds()
	if b <= 0 {
		b = time.Hour.Microseconds()
	}
	if until.IsZero() {
		until = time.Now().Add(time.Hour)
	}
	rows, err := s.r.QueryContext(ctx, s.q["failures_by_reason"], toUS(since), toUS(until), b)
	if err != nil {
		return nil, fmt.Errorf("store: failures by reason: %w", err)
	}
	defer rows.Close()
	var out []ReasonCount
	for rows.Next() {
		var rc ReasonCount
		var us int64
		if err := rows.Scan(&us, &rc.Reason, &rc.Count); err != nil {
			return nil, fmt.Errorf("store: failures by reason: %w", err)
		}
		rc.Bucket = time.UnixMicro(us).UTC()
		out = append(out, rc)
	}
	return out, rows.Err()
}

func (s *sqlStore) TopFailingDomains(ctx context.Context, since time.Time, n int) ([]DomainCount, error) {
	if n <= 0 {
		n = 10
	}
	rows, err := s.r.QueryContext(ctx, s.q["top_failing_domains"], toUS(since), n)
	if err != nil {
		return nil, fmt.Errorf("store: top failing domains: %w", err)
	}
	defer rows.Close()
	var out []DomainCount
	for rows.Next() {
		var d DomainCount
		if err := rows.Scan(&d.Domain, &d.Failures, &d.Total); err != nil {
			return nil, fmt.Errorf("store: top failing domains: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
