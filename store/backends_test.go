package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// defaultPostgresDSN is tried when MAILDX_TEST_POSTGRES is not set. The
// password is ignored by servers that trust loopback connections.
const defaultPostgresDSN = "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"

var pgProbe struct {
	once sync.Once
	dsn  string // admin DSN, "" when unavailable
	why  string
}

// postgresAdminDSN returns the DSN of a PostgreSQL server for tests, or skips
// t. MAILDX_TEST_POSTGRES set but unreachable fails the test.
func postgresAdminDSN(t testing.TB) string {
	t.Helper()
	pgProbe.once.Do(func() {
		dsn := os.Getenv("MAILDX_TEST_POSTGRES")
		explicit := dsn != ""
		if !explicit {
			c, err := net.DialTimeout("tcp", "127.0.0.1:5432", 500*time.Millisecond)
			if err != nil {
				pgProbe.why = "no PostgreSQL server on 127.0.0.1:5432; set MAILDX_TEST_POSTGRES=postgres://user:pass@host:port/db to run the PostgreSQL store tests (see docs/store.md)"
				return
			}
			c.Close()
			dsn = defaultPostgresDSN
		}
		db, err := sql.Open("pgx", dsn)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
		}
		if err != nil {
			pgProbe.why = "PostgreSQL at " + redact(dsn) + " not usable (" + err.Error() + "); set MAILDX_TEST_POSTGRES to a DSN of a superuser or a user with CREATEDB (see docs/store.md)"
			if explicit {
				pgProbe.why = "MAILDX_TEST_POSTGRES: " + pgProbe.why
				pgProbe.dsn = "!"
			}
			return
		}
		pgProbe.dsn = dsn
	})
	switch pgProbe.dsn {
	case "":
		t.Skip(pgProbe.why)
	case "!":
		t.Fatal(pgProbe.why)
	}
	return pgProbe.dsn
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}

// newPostgresDB creates an empty database for one test and drops it at the
// end; it returns its DSN.
func newPostgresDB(t testing.TB) string {
	t.Helper()
	admin := postgresAdminDSN(t)
	b := make([]byte, 6)
	rand.Read(b)
	name := "maildx_test_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		db.Close()
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("dropping %s: %v", name, err)
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

// backend is one database kind the shared test suite runs against.
type backend struct {
	name string
	// newDSN returns the DSN of a fresh, empty store.
	newDSN func(t testing.TB) string
}

var backends = []backend{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "sub", "maildx.db") }},
	{"postgres", newPostgresDB},
}

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, dsn string, opts Options)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f(t, b.newDSN(t), Options{})
		})
	}
}

// openT opens a store and closes it at the end of the test.
func openT(t testing.TB, dsn string, opts Options) Store {
	t.Helper()
	s, err := OpenWith(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("OpenWith(%q) = %v", redactPath(dsn), err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func redactPath(dsn string) string {
	if IsPostgres(dsn) {
		return redact(dsn)
	}
	return dsn
}

// ev builds a test event.
func ev(id, typ, rcpt string, t time.Time) Event {
	return Event{ID: id, Provider: "test", ProviderEventID: id, Type: typ, Recipient: rcpt, Time: t,
		Raw: []byte(`{"id":"` + id + `"}`)}
}

func hard(e Event) Event {
	e.Reason, e.Category, e.Action, e.HardBounce, e.Status, e.ReplyCode = "userunknown", "mailbox-unknown", "suppress", true, "5.1.1", 550
	e.RemoteText = "550 5.1.1 user unknown"
	e.Diagnosis = []byte(`{"reason":"userunknown"}`)
	return e
}

func soft(e Event) Event {
	e.Reason, e.Category, e.Action, e.Temporary, e.Status, e.ReplyCode = "mailboxfull", "mailbox-full", "retry", true, "4.2.2", 452
	return e
}

func ids(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func join(s []string) string { return strings.Join(s, ",") }

// newestFirst returns a copy of evs in ListEvents' order: time, then id,
// both descending.
func newestFirst(evs []Event) []Event {
	out := append([]Event(nil), evs...)
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// listAll pages through ListEvents with f from the start and returns every
// event.
func listAll(t *testing.T, s Store, f Filter) []Event {
	t.Helper()
	var all []Event
	for {
		page, next, err := s.ListEvents(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		f.Cursor = next
	}
}
