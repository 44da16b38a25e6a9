#!/usr/bin/env bash
# Counts the CPU instructions one call of a Go benchmark takes, and the
# conditional branches it mispredicts, with valgrind's cachegrind: unlike
# ns/op, the counts do not change with the load of a shared machine, so two
# versions can be compared while other work runs (the wall-clock target still has to be checked on a quiet
# machine with bench/explain.sh). The garbage collector is switched off
# (GOGC=off) so that its timing does not blur the count; -benchmem shows
# what a version allocates. Setup is cancelled out by running the benchmark
# twice, for N1 and N2 iterations, and dividing the difference.
#
# Usage: bench/instructions.sh [PACKAGE [BENCHMARK [N1 N2]]]
#        bench/instructions.sh . '^BenchmarkExplain$'      (the default)
#        bench/instructions.sh ./dsn '^BenchmarkParseCorpus$' 200 1200
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${1:-.}
bench=${2:-'^BenchmarkExplain$'}
n1=${3:-20000}
n2=${4:-120000}
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }
out=bench/out
mkdir -p "$out"
go test -c -o "$out/instr.test" "$pkg"
# count prints the instructions and the simulated conditional-branch
# mispredictions of N iterations. Mispredictions are the other half of the
# wall-clock story: a loop that stops at an unpredictable byte costs some
# fifteen cycles each time, whatever its instruction count.
count() {
	(cd "$pkg" && GOGC=off GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no --branch-sim=yes \
		--cachegrind-out-file=/dev/null "$OLDPWD/$out/instr.test" -test.run '^$' \
		-test.bench "$bench" -test.cpu 1 -test.benchtime "${1}x" 2>&1) |
		tr -d , | awk '/I *refs/ {i=$NF} /Mispredicts:/ {m=$5} END {print i, m}'
}
read -r ia ma <<<"$(count "$n1")"
read -r ib mb <<<"$(count "$n2")"
echo "$bench in $pkg: $(((ib - ia) / (n2 - n1))) instructions and $(((mb - ma) / (n2 - n1))) branch mispredictions per op (cachegrind, GOGC=off, iterations $n1 → $n2)"
