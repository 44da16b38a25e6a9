#!/usr/bin/env bash
# Times `maildx logs --json` end to end on a generated 1,000,000-line
# Postfix log (typical mix: per message connect, client=, message-id,
# from=, one delivery – 94% sent, 4% deferred, 2% bounced –, removed,
# disconnect, and IMAP noise; the shape of genLog in
# maillog/bench_test.go), reports lines/s and peak memory, and runs
# BenchmarkReader on one core. Target (issue 8): >= 500,000 lines/s on one
# core, peak memory < 50 MB.
#
# Usage: bench/logs.sh [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
out=bench/out
mkdir -p "$out"

go build -o "$out/maildx" ./cmd/maildx
awk -v n="$lines" 'BEGIN {
	split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mon, " ")
	for (i = 0; c < n; i++) {
		s = i % 60; m = int(i / 60) % 60; h = int(i / 3600) % 24; d = 1 + int(i / 86400) % 28
		ts = sprintf("%s %2d %02d:%02d:%02d", mon[3], d, h, m, s)
		id = sprintf("4A%08X", i)
		ip = sprintf("198.51.%d.%d", i % 200, i % 250 + 1)
		printf "%s mx1 postfix/smtpd[%d]: connect from client%d.example.org[%s]\n", ts, 2000 + i % 500, i % 1000, ip
		printf "%s mx1 postfix/smtpd[%d]: %s: client=client%d.example.org[%s]\n", ts, 2000 + i % 500, id, i % 1000, ip
		printf "%s mx1 postfix/cleanup[%d]: %s: message-id=<%d.%d@example.org>\n", ts, 3000 + i % 300, id, i, i * 7
		printf "%s mx1 postfix/qmgr[1044]: %s: from=<sender%d@example.org>, size=%d, nrcpt=1 (queue active)\n", ts, id, i % 5000, 1000 + i % 50000
		printf "%s mx1 postfix/smtpd[%d]: disconnect from client%d.example.org[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n", ts, 2000 + i % 500, i % 1000, ip
		if (i % 50 == 7)
			printf "%s mx1 postfix/smtp[%d]: %s: to=<user%d@example.net>, relay=mx.example.net[192.0.2.20]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.20] said: 550 5.1.1 <user%d@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))\n", ts, 4000 + i % 800, id, i, i
		else if (i % 25 == 3)
			printf "%s mx1 postfix/smtp[%d]: %s: to=<user%d@example.com>, relay=mx.example.com[192.0.2.30]:25, delay=1.3, delays=0.1/0/0.5/0.7, dsn=4.7.1, status=deferred (host mx.example.com[192.0.2.30] said: 451 4.7.1 Greylisting in action, please come back later (in reply to RCPT TO command))\n", ts, 4000 + i % 800, id, i
		else
			printf "%s mx1 postfix/smtp[%d]: %s: to=<user%d@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.27.27]:25, delay=0.9, delays=0.1/0/0.3/0.5, dsn=2.0.0, status=sent (250 2.0.0 OK  1740787200 ffacd0b85a97d-%d - gsmtp)\n", ts, 4000 + i % 800, id, i, i
		printf "%s mx1 postfix/qmgr[1044]: %s: removed\n", ts, id
		printf "%s mx1 dovecot: imap(user%d@example.org)<%d><abc>: Logged out in=100 out=2000\n", ts, i % 300, 7000 + i
		c += 8
	}
}' | head -n "$lines" > "$out/mail.log"
touch -d '2025-03-31 00:00' "$out/mail.log"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "input: $(wc -l < "$out/mail.log") lines, $(du -h "$out/mail.log" | cut -f1)"
timer=()
if /usr/bin/time -v true 2>/dev/null; then timer=(/usr/bin/time -v -o "$out/time.txt"); fi
start=$(date +%s.%N)
"${timer[@]}" "${MAILDX:-$out/maildx}" logs --json "$out/mail.log" > "$out/outcomes.jsonl" 2> "$out/summary.txt"
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc -l)
n=$(wc -l < "$out/mail.log")
printf 'logs --json: %d lines in %.2f s = %.0f lines/s, %d outcomes\n' "$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(wc -l < "$out/outcomes.jsonl")"
if [ -s "$out/time.txt" ]; then grep -E 'Maximum resident' "$out/time.txt"; fi
cat "$out/summary.txt"

go test -run '^$' -bench '^BenchmarkReader$' -benchtime 3s -cpu 1 ./maillog | grep -E 'Benchmark|ok'
