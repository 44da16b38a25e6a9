package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultPath returns the default SQLite file: $XDG_DATA_HOME/maildx/maildx.db
// when XDG_DATA_HOME is set, else on Linux and other Unix systems
// ~/.local/share/maildx/maildx.db, on macOS
// ~/Library/Application Support/maildx/maildx.db and on Windows
// %AppData%\maildx\maildx.db (os.UserConfigDir).
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "maildx", "maildx.db"), nil
	}
	switch runtime.GOOS {
	case "darwin", "windows", "ios", "plan9":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("store: default path: %w", err)
		}
		return filepath.Join(d, "maildx", "maildx.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("store: default path: %w", err)
	}
	return filepath.Join(home, ".local", "share", "maildx", "maildx.db"), nil
}

func sqliteDSN(path string, writer bool, opts Options) string {
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_pragma", "synchronous("+strings.ToUpper(opts.SQLiteSynchronous)+")")
	if writer {
		// Take the write lock at BEGIN, so that a transaction never fails
		// half-way when another process holds it (it waits busy_timeout).
		v.Set("_txlock", "immediate")
		v.Add("_pragma", "cache_size(-32768)") // 32 MiB: keeps the hot index pages of the writer in memory
		// Checkpoint every ~40 MB of WAL instead of 4 MB: index pages changed by
		// many commits are copied into the database file once.
		v.Add("_pragma", "wal_autocheckpoint(10000)")
	} else {
		v.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + v.Encode()
}

func openSQLite(ctx context.Context, dsn string, opts Options) (Store, error) {
	path := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		var err error
		if path, err = DefaultPath(); err != nil {
			return nil, err
		}
	}
	switch strings.ToLower(opts.SQLiteSynchronous) {
	case "full", "normal", "extra":
	default:
		return nil, fmt.Errorf("store: SQLiteSynchronous %q: want full, normal or extra", opts.SQLiteSynchronous)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: creating %s: %w", dir, err)
		}
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, true, opts))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	sub, err := fs.Sub(sqlFiles, "migrations/sqlite")
	if err != nil {
		w.Close()
		return nil, err
	}
	if err := migrate(ctx, goose.DialectSQLite3, w, sub); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: migrate %s: %w", path, err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 4
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, false, opts))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	q, err := loadQueries("sqlite")
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	s := &sqlStore{dialect: "sqlite", w: w, r: r, q: q, opts: opts, path: path,
		retryable: func(error) bool { return false }}
	s.startWriter()
	return s, nil
}

func migrate(ctx context.Context, dialect goose.Dialect, db *sql.DB, fsys fs.FS, opts ...goose.ProviderOption) error {
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}
