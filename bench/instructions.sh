#!/usr/bin/env bash
# Counts the CPU instructions one call of a Go benchmark takes, and the
# conditional branches it mispredicts, with valgrind's cachegrind: unlike
# ns/op, the counts do not change with the load of a shared machine, so two
# versions can be compared while other work runs (the wall-clock target
# still has to be checked on a quiet machine with bench/explain.sh). The
# garbage collector is switched off (GOGC=off) so that its timing does not
# blur the count; -benchmem shows what a version allocates. Setup is
# cancelled out by running the benchmark twice, for N1 and N2 iterations,
# and dividing the difference.
#
# With CACHE=1 it also simulates the caches and reports the first-level
# instruction and data misses and the data misses of a 256 KiB last level
# (half of a core's L2 on the 2-core EPYC VMs: what a call has left when
# another guest shares the core, where the time of an explanation goes
# when it is slow). The first-level caches are 32 KiB; I1KB=16 simulates
# an instruction cache of 16 KiB, about the share a call has when a
# neighbour runs on the same physical core: the classifier's hot code is
# some 26 KB per call, so that count is the one that follows the slow
# mode's time.
#
# The difference of two runs still holds what the Go runtime does in the
# background (the system monitor, timers), which under valgrind's slowdown
# moves the count by up to a hundred instructions per call between runs
# of the same binary. FUNC=name counts with callgrind only what runs inside
# that function (and what it calls) instead: exact to a few instructions,
# for comparing small changes; N2 calls, no cache simulation.
#
# Usage: [CACHE=1 [I1KB=16]] bench/instructions.sh [PACKAGE [BENCHMARK [N1 N2]]]
#        FUNC=github.com/maildx/maildx.Explain bench/instructions.sh
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
if [ -n "${FUNC:-}" ]; then
	total=$( (cd "$pkg" && GOGC=off GOMAXPROCS=1 valgrind --tool=callgrind --toggle-collect="$FUNC" \
		--callgrind-out-file=/dev/null "$OLDPWD/$out/instr.test" -test.run '^$' \
		-test.bench "$bench" -test.cpu 1 -test.benchtime "${n2}x" 2>&1) | tr -d , | awk '/Collected/ {print $NF}')
	# The benchmark runs once with b.N = 1 before the N2 iterations.
	echo "$bench in $pkg: $((total / (n2 + 1))) instructions per call inside $FUNC (callgrind, GOGC=off, $n2 iterations)"
	exit 0
fi
# count prints the instructions and the simulated conditional-branch
# mispredictions of N iterations. Mispredictions are the other half of the
# wall-clock story: a loop that stops at an unpredictable byte costs some
# fifteen cycles each time, whatever its instruction count.
cachesim=(--cache-sim=no)
if [ "${CACHE:-}" = 1 ]; then
	cachesim=(--cache-sim=yes --I1=$((${I1KB:-32} * 1024)),8,64 --D1=32768,8,64 --LL=262144,8,64)
fi
count() {
	(cd "$pkg" && GOGC=off GOMAXPROCS=1 valgrind --tool=cachegrind "${cachesim[@]}" --branch-sim=yes \
		--cachegrind-out-file=/dev/null "$OLDPWD/$out/instr.test" -test.run '^$' \
		-test.bench "$bench" -test.cpu 1 -test.benchtime "${1}x" 2>&1) |
		tr -d , | awk '/I *refs/ {i=$NF} /Mispredicts:/ {m=$5} /I1 *misses/ {i1=$NF} /D1 *misses/ {d1=$4} /LLd *misses/ {ll=$4}
			END {print i, m, i1 + 0, d1 + 0, ll + 0}'
}
read -r ia ma i1a d1a lla <<<"$(count "$n1")"
read -r ib mb i1b d1b llb <<<"$(count "$n2")"
n=$((n2 - n1))
echo "$bench in $pkg: $(((ib - ia) / n)) instructions and $(((mb - ma) / n)) branch mispredictions per op (cachegrind, GOGC=off, iterations $n1 → $n2)"
if [ "${CACHE:-}" = 1 ]; then
	echo "cache misses per op: first-level instructions $(((i1b - i1a) / n)) (${I1KB:-32} KiB), first-level data $(((d1b - d1a) / n)), 256 KiB last-level data $(((llb - lla) / n))"
fi
