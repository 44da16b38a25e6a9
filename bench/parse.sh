#!/usr/bin/env bash
# Times `maildx parse --json` over the corpus directory and over a large
# generated mbox (the corpus repeated until it reaches MBOX_MB megabytes),
# reports the peak memory (max RSS) of both runs, and runs the parser
# benchmarks (BenchmarkParseCorpus on one core, BenchmarkParseLargeAttachment).
# The generated files stay in bench/out; do not commit them.
#
# Usage: bench/parse.sh [MBOX_MB]   (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-200}
out=bench/out
mkdir -p "$out"
go build -o "$out/maildx" ./cmd/maildx
corpus=dsn/testdata/set-of-emails/maildir

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# run LABEL MESSAGES CMD...: wall time, messages/s and max RSS of CMD.
run() {
	local label=$1 msgs=$2
	shift 2
	/usr/bin/time -f '%e %M' -o "$out/time.txt" "$@" || true
	read -r secs rss < "$out/time.txt"
	printf '%s: %d messages in %.2f s = %.0f messages/s, max RSS %.1f MB\n' \
		"$label" "$msgs" "$secs" "$(echo "$msgs / ($secs + 0.001)" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

msgs=$(ls "$corpus" | wc -l)
run "corpus directory" "$msgs" sh -c "'$out/maildx' parse --json '$corpus' > '$out/corpus.jsonl' 2>/dev/null"

# A large mbox: the corpus as one mbox chunk (each file behind a From_
# line, mboxrd quoting), the chunk repeated until the size is reached.
chunk="$out/chunk.mbox"
: > "$chunk"
for f in "$corpus"/*.eml; do
	printf 'From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n' >> "$chunk"
	grep -av '^From ' "$f" | sed 's/^>*From />&/' >> "$chunk"
	printf '\n' >> "$chunk"
done
per=$(grep -c '^From MAILER-DAEMON ' "$chunk")
size=$(stat -c %s "$chunk")
reps=$(( (mb * 1024 * 1024 + size - 1) / size ))
big="$out/big.mbox"
: > "$big"
for _ in $(seq "$reps"); do cat "$chunk"; done >> "$big"
n=$((reps * per))
echo "mbox: $n messages, $(du -h "$big" | cut -f1)"
run "mbox" "$n" sh -c "'$out/maildx' parse --json '$big' > '$out/big.jsonl' 2>/dev/null"
echo "mbox: $(wc -l < "$out/big.jsonl") results"
rm -f "$big" "$chunk"

go test -run '^$' -bench '^BenchmarkParseCorpus$' -benchtime 5x -count 5 -cpu 1 ./dsn | grep -E '^Benchmark'
go test -run '^$' -bench '^BenchmarkParseLargeAttachment$' -benchtime 5x -count 3 -cpu 1 ./dsn | grep -E '^Benchmark'
