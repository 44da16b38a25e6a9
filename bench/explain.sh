#!/usr/bin/env bash
# Times `maildx explain --lines --json` end to end on 1,000,000 lines made by
# repeating testdata/errors.txt (real-world error strings), and runs
# BenchmarkExplain (a new result per call) and BenchmarkExplainTo (one
# reused result, as explain --lines does) on one core. Target (issue 3):
# >= 100,000 lines/s end to end and >= 250,000 explanations/s in the
# benchmark.
#
# Usage: [COUNT=N] bench/explain.sh [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
out=bench/out
mkdir -p "$out"

go build -o "$out/maildx" ./cmd/maildx
grep -v '^#' testdata/errors.txt | grep -v '^$' | sed 's/\\n/ /g' > "$out/errors.one"
awk -v n="$lines" '{a[NR] = $0} END {for (i = 0; i < n; i++) print a[i % NR + 1]}' "$out/errors.one" > "$out/input.txt"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "input: $(wc -l < "$out/input.txt") lines, $(du -h "$out/input.txt" | cut -f1)"
start=$(date +%s.%N)
"$out/maildx" explain --lines --json < "$out/input.txt" > "$out/output.jsonl"
end=$(date +%s.%N)
got=$(wc -l < "$out/output.jsonl")
secs=$(echo "$end - $start" | bc -l)
printf 'explain --lines --json: %d results in %.2f s = %.0f lines/s\n' "$got" "$secs" "$(echo "$got / $secs" | bc -l)"

# Ten one-second runs of each benchmark, interleaved by -count: on a
# shared machine the time per explanation swings from minute to minute,
# so the spread says more than one number.
go test -run '^$' -bench '^BenchmarkExplain(To)?$' -benchtime 1s -count "${COUNT:-10}" -cpu 1 . |
	tee "$out/bench.txt" | grep -E '^Benchmark' |
	awk '{ns[$1] = ns[$1] " " $3} END {
		for (b in ns) {
			n = split(ns[b], v, " "); asort_(v, n)
			over = 0; for (i = 1; i <= n; i++) if (v[i] > 4000) over++
			printf "%-20s ns/op: min %d, median %d, max %d (%d runs, %d above the target of 4000)\n", b, v[1], v[int((n + 1) / 2)], v[n], n, over
		}
	}
	function asort_(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }' | sort
