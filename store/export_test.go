package store

import (
	"os"
	"time"
)

// Hooks for the benchmarks in package store_test (bench_test.go), which use
// storetest's generator and so cannot be in package store: storetest
// imports store.

// SetGroupLinger sets the group writer's linger of s (see groupLinger).
func SetGroupLinger(s Store, d time.Duration) { s.(*sqlStore).gw.linger = d }

// CountEvents returns the number of stored events.
func CountEvents(s Store) (int, error) {
	var n int
	err := s.(*sqlStore).r.QueryRow("SELECT count(*) FROM events").Scan(&n)
	return n, err
}

// StorageBytes returns the space s takes: the SQLite file after a WAL
// checkpoint, or PostgreSQL's three tables with their indexes and TOAST.
func StorageBytes(s Store) (int64, error) {
	ss := s.(*sqlStore)
	if ss.dialect == "sqlite" {
		if _, err := ss.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return 0, err
		}
		fi, err := os.Stat(ss.path)
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
	var size int64
	err := ss.r.QueryRow("SELECT pg_total_relation_size('events') + pg_total_relation_size('suppressions') + pg_total_relation_size('soft_failures')").Scan(&size)
	return size, err
}
