package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrationLockID is the PostgreSQL advisory lock key held while migrating,
// so that several maildx processes starting together migrate once.
const migrationLockID = 0x6d61696c6478 // "maildx"

func openPostgres(ctx context.Context, dsn string, opts Options) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 10
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
	if err != nil {
		db.Close()
		return nil, err
	}
	sub, err := fs.Sub(sqlFiles, "migrations/postgres")
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker)); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrate postgres: %w", err)
	}
	q, err := loadQueries("postgres")
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &sqlStore{dialect: "postgres", w: db, r: db, q: q, opts: opts, retryable: pgRetryable}
	s.startWriter()
	return s, nil
}

// pgRetryable reports a deadlock (40P01) or serialization failure (40001):
// the transaction was rolled back and may be run again.
func pgRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
