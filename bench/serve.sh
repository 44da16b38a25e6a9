#!/usr/bin/env bash
# Load-tests the HTTP API: builds maildx, starts `maildx serve` on
# 127.0.0.1, drives POST /api/v1/explain with wrk (Debian package wrk) for a
# bounded time per configuration, prints requests/s, p50/p90/p99 latency,
# the server's CPU time per request and the load average for each, and
# stops the server. Target (issue 5): >= 20,000 requests/s with p99 < 10 ms,
# both in the same run, on the 2-core machine.
#
# Usage: bench/serve.sh [SECONDS] [CONFIG...]
#   SECONDS  measured time per configuration (default 10), after WARMUP
#   CONFIG   THREADSxCONNECTIONS of wrk, e.g. 1x32 2x64; a bare number is
#            CONNECTIONS with $THREADS threads. Default: 1x32, the
#            recommended configuration (below).
# Env:   PORT (default 18087), THREADS (default 1), WARMUP (seconds of
#        unmeasured load before each configuration, default 2),
#        MAILDX_BIN (use this binary instead of building ./cmd/maildx);
#        the server inherits the environment (GOGC, GOMAXPROCS, ...).
# Example: bench/serve.sh 10 1x16 1x32 1x64 2x32 2x64
#
# The recommended configuration is 1 wrk thread with 32 connections. wrk
# and the server share the machine's 2 cores: at 20,000 requests/s the
# server takes about 55 µs of CPU per request (1.1 cores) and one wrk
# thread about 20 µs (0.4 cores), which leaves a little room for scheduling.
# A second wrk thread raises requests/s (23,000-27,000 measured) but puts
# p99 at 18-25 ms: wrk then competes with the server for both cores, and
# the server's goroutines wait for a CPU more often. With one thread, 64
# connections put p99 at the 10 ms line (the queue is twice as long) and 16
# leave the server idle at times (19,500-22,600 requests/s).
# docs/api.md ("Performance") has the measurements behind this.
#
# The numbers are only as good as the machine is quiet: the load average is
# printed before each configuration (the previous configuration's own load
# decays in it). The CPU time per request of the server and of wrk shows how
# the cores were shared: at 20,000 requests/s the two together have 100 µs
# of the 2 cores per request.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(1x32)
port=${PORT:-18087}
threads=${THREADS:-1}
warmup=${WARMUP:-2}
out=bench/out
mkdir -p "$out"

command -v wrk >/dev/null || { echo "serve.sh: wrk not found; install it (Debian: apt-get install -y wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "serve.sh: curl not found (Debian: apt-get install -y curl)" >&2; exit 2; }
case $secs in ''|*[!0-9]*|0) echo "serve.sh: SECONDS must be a positive number, not '$secs'" >&2; exit 2 ;; esac
for c in "${configs[@]}"; do
	[[ $c =~ ^([0-9]+x)?[0-9]+$ ]] || { echo "serve.sh: configuration '$c': want THREADSxCONNECTIONS (e.g. 1x32) or CONNECTIONS" >&2; exit 2; }
done

bin=${MAILDX_BIN:-}
if [ -z "$bin" ]; then
	go build -o "$out/maildx" ./cmd/maildx
	bin=$out/maildx
fi

# The request bodies: a mix of real error strings, one per request in turn.
# done() prints one machine-readable line; the table below is made from it.
cat > "$out/explain.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {
  '{"text":"550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown"}',
  '{"text":"452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp gsmtp"}',
  '{"text":"550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP."}',
  '{"text":"421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints","lang":"de"}',
  '{"text":"0x800CCC0E"}',
  '{"text":"{\\"code\\":\\"EENVELOPE\\",\\"response\\":\\"421 4.3.0 Temporary System Problem. Try again later gsmtp\\",\\"responseCode\\":421,\\"command\\":\\"RCPT TO\\"}"}',
}
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.0f %.2f %.2f %.2f %.2f %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
LUA

"$bin" serve --addr "127.0.0.1:$port" > "$out/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	kill -0 "$server" 2>/dev/null || { echo "serve.sh: server exited:" >&2; cat "$out/serve.log" >&2; exit 1; }
	sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "serve.sh: server did not come up" >&2; exit 1; }

# cputicks prints the server's user+system time in clock ticks.
cputicks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
url="http://127.0.0.1:$port/api/v1/explain"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); wrk and the server share them"
echo "server: $bin (GOGC=${GOGC:-400 by default}, GOMAXPROCS=${GOMAXPROCS:-number of cores}); POST /api/v1/explain, ${warmup} s warm-up + ${secs} s per configuration"
table=()
for c in "${configs[@]}"; do
	t=$threads
	conns=$c
	if [[ $c == *x* ]]; then
		t=${c%x*}
		conns=${c#*x}
	fi
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	if [ "$warmup" -gt 0 ]; then
		wrk -t "$t" -c "$conns" -d "${warmup}s" -s "$out/explain.lua" "$url" >/dev/null
	fi
	c0=$(cputicks)
	# bash's time keyword reports wrk's own CPU time (user, system).
	res=$( { TIMEFORMAT='TIME %U %S'; time wrk -t "$t" -c "$conns" -d "${secs}s" -s "$out/explain.lua" "$url"; } 2>&1) ||
		{ echo "serve.sh: wrk failed ($t threads, $conns connections): $res" >&2; exit 1; }
	c1=$(cputicks)
	read -r _ n rps p50 p90 p99 max errs <<<"$(grep '^RESULT' <<<"$res")"
	read -r _ wu ws <<<"$(grep '^TIME' <<<"$res")"
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v n="$n" 'BEGIN {printf "%.0f", d / hz / n * 1e6}')
	wcpu=$(awk -v u="$wu" -v s="$ws" -v n="$n" 'BEGIN {printf "%.0f", (u + s) / n * 1e6}')
	met=no
	awk -v r="$rps" -v p="$p99" -v e="$errs" 'BEGIN {exit !(r >= 20000 && p < 10 && e == 0)}' && met=yes
	line=$(printf '%-22s %8s %8s %8s %8s %8s %7s %7s %7s  %-16s %s' "$t thread(s) $conns conns" "$rps" "$p50" "$p90" "$p99" "$max" "$errs" "$cpu" "$wcpu" "$load" "$met")
	echo "$line"
	table+=("$line")
done

echo
printf '%-22s %8s %8s %8s %8s %8s %7s %7s %7s  %-16s %s\n' "wrk" "req/s" "p50 ms" "p90 ms" "p99 ms" "max ms" "errors" "server" "wrk" "load before" "target met"
printf '%s\n' "${table[@]}"
echo "target: >= 20000 req/s and p99 < 10 ms in the same run, no errors"
echo "server, wrk: CPU time (user+system) per request in µs; 20000 req/s on $(nproc) cores leaves $(($(nproc) * 1000000 / 20000)) µs for both together"
