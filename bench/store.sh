#!/usr/bin/env bash
# Runs the store benchmarks (package store): AddEvents in batches of 100
# (target >= 5,000 events/s on SQLite, 2-core machine) and single-event
# AddEvents, both from 4 concurrent callers (group commit, see
# docs/store.md), ListEvents page latency with ROWS stored events (p50/p99, target
# p99 < 20 ms with 1,000,000), storage bytes per event, and GET /api/v1/events
# page latency over loopback HTTP with the same ROWS events (package
# internal/web, BenchmarkEventsAPIPage, issue 7). PostgreSQL runs
# too when MAILDX_TEST_POSTGRES is set or a server answers on 127.0.0.1:5432
# (see docs/store.md).
#
# The ROWS-event SQLite file is generated once into $TMPDIR/maildx-bench-ROWS.db
# (about 1.5 GB for 1,000,000, ~8 minutes) and reused by later runs; delete it
# to regenerate. On PostgreSQL each large benchmark generates its ROWS events in
# a fresh database with one INSERT ... SELECT (1,000,000: ~1.5-2.5 minutes)
# and drops it afterwards (store/storetest). Record `nproc` and `uptime` with
# the numbers: on a shared 2-core machine p99 follows the load.
#
# Usage: bench/store.sh [ROWS]     (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
export MAILDX_BENCH_ROWS=${1:-1000000}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(uptime)"
go test -run '^$' -bench 'BenchmarkAddEventsBatch100|BenchmarkAddEventSingle' -benchtime 3s ./store | grep -E 'Benchmark|ok|FAIL'
go test -run '^$' -bench 'BenchmarkListEventsPage|BenchmarkStorageBytesPerEvent' -benchtime 2000x -timeout 60m ./store | grep -E 'Benchmark|generated|ok|FAIL'
go test -run '^$' -bench 'BenchmarkEventsAPIPage' -benchtime 2000x -timeout 60m ./internal/web | grep -E 'Benchmark|generated|ok|FAIL'
