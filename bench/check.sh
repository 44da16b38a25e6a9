#!/usr/bin/env bash
# Benchmarks `maildx check` offline against the in-process DNS server:
# BenchmarkAddress (check address without --probe, warm DNS cache; target,
# issue 9: >= 100,000 addresses/s on one core) and BenchmarkDomain (a full
# check domain with --ip on local zones, cold cache; target < 2 s).
#
# Usage: bench/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
go test -run '^$' -bench '^(BenchmarkAddress|BenchmarkDomain)$' -benchtime 3s -cpu 1 ./check | grep -E 'Benchmark|ok'
