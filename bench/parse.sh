#!/usr/bin/env bash
# Times `maildx parse --json` over the corpus directory and over a large
# generated mbox (the corpus repeated), and runs BenchmarkParseCorpus.
#
# Usage: bench/parse.sh [MBOX_MESSAGES]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
out=bench/out
mkdir -p "$out"
go build -o "$out/maildx" ./cmd/maildx
corpus=dsn/testdata/set-of-emails/maildir

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
t() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

secs=$(t sh -c "'$out/maildx' parse --json '$corpus' > '$out/corpus.jsonl' 2>/dev/null || true")
msgs=$(ls "$corpus" | wc -l)
printf 'corpus directory: %d files in %.2f s = %.0f messages/s\n' "$msgs" "$secs" "$(echo "$msgs / $secs" | bc -l)"

# A large mbox: the corpus files repeated, each behind a From_ line.
: > "$out/big.mbox"
files=("$corpus"/*.eml)
i=0
while [ "$i" -lt "$n" ]; do
	for f in "${files[@]}"; do
		[ "$i" -ge "$n" ] && break
		printf 'From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n' >> "$out/big.mbox"
		grep -v '^From ' "$f" | sed 's/^>*From />&/' >> "$out/big.mbox"
		printf '\n' >> "$out/big.mbox"
		i=$((i + 1))
	done
done
echo "mbox: $n messages, $(du -h "$out/big.mbox" | cut -f1)"
secs=$(t sh -c "'$out/maildx' parse --json '$out/big.mbox' > '$out/big.jsonl' 2>/dev/null || true")
printf 'mbox: %d messages in %.2f s = %.0f messages/s, %d results\n' "$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(wc -l < "$out/big.jsonl")"

go test -run '^$' -bench '^BenchmarkParseCorpus$' -benchtime 3x ./dsn | grep -E 'Benchmark|ok'
