#!/usr/bin/env bash
# Load-tests the HTTP API: builds maildx, starts `maildx serve` on
# 127.0.0.1, drives POST /api/v1/explain with wrk (Debian package wrk) for a
# bounded time, prints requests/s and the latency distribution, and stops the
# server. Target (issue 5): >= 20,000 requests/s with p99 < 10 ms on the
# 2-core machine.
#
# Usage: bench/serve.sh [SECONDS] [CONNECTIONS]
# Env:   PORT (default 18087), THREADS (default: number of cores),
#        MAILDX_BIN (use this binary instead of building ./cmd/maildx)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
port=${PORT:-18087}
threads=${THREADS:-$(nproc)}
out=bench/out
mkdir -p "$out"

command -v wrk >/dev/null || { echo "serve.sh: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "serve.sh: curl not found" >&2; exit 2; }

bin=${MAILDX_BIN:-}
if [ -z "$bin" ]; then
	go build -o "$out/maildx" ./cmd/maildx
	bin=$out/maildx
fi

# The request bodies: a mix of real error strings, one per request in turn.
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
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("errors: connect %d, read %d, write %d, timeout %d, non-2xx %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
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

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg) (wrk shares the cores; other load skews the numbers)"
echo "wrk: $threads threads, $conns connections, ${secs} s, POST /api/v1/explain"
wrk -t "$threads" -c "$conns" -d "${secs}s" --latency -s "$out/explain.lua" "http://127.0.0.1:$port/api/v1/explain"
