#!/usr/bin/env bash
# Times `maildx explain --lines --json` end to end on 1,000,000 lines made by
# repeating testdata/errors.txt (real-world error strings), and runs
# BenchmarkExplain (a new result per call) and BenchmarkExplainTo (one
# reused result, as explain --lines does) on one core. Target (issue 3):
# >= 100,000 lines/s end to end and >= 250,000 explanations/s in the
# benchmark.
#
# Usage: bench/explain.sh [LINES]
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

go test -run '^$' -bench '^BenchmarkExplain(To)?$' -benchtime 3s -cpu 1 . | grep -E 'Benchmark|ok'
