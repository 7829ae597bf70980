#!/usr/bin/env bash
# Soak: the dashboard at saturation for a set time on loopback (default 600 s), with a mix of
# pages, downloads, API calls and ever-new query strings (which must not grow the server's
# memory past its cache budget). Prints errors (must be 0) and the server's resident memory
# sampled every 30 s (must stay flat). Bounded: wrk stops after the duration, the server is
# stopped on exit. Usage: bash bench/soak.sh [DB] [SECONDS]   (needs wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-sozialmonitor.sqlite}
secs=${2:-600}
out=bench/out/soak
mkdir -p "$out"
bin=./target/release/sozialmonitor
[ -x "$bin" ] || cargo build --release --locked -p sozialmonitor
[ -f "$db" ] || "$bin" --db "$db" demo --no-serve >/dev/null
port=8191
SOZIALMONITOR_LOG=warn "$bin" --db "$db" serve --addr 127.0.0.1:$port >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null http://127.0.0.1:$port/ && break; sleep 0.5; done

cat >"$out/mix.lua" <<'LUA'
-- A mix of what the public asks for; every 10th request carries a query string never seen
-- before (its year varies), so the response cache keeps admitting and evicting.
local paths = {
  "/", "/gemeinde/14522010", "/gemeinde/14522", "/indikator/anteil_65_plus",
  "/indikator/anteil_65_plus?gebiet=14522&methode=jenks&klassen=5",
  "/indikator/arbeitslose_je_1000/daten.csv", "/katalog", "/suche?q=Frei",
  "/vergleich?r=14522010&r=14522020", "/api/v1/values?indicator=anteil_65_plus&region=14522",
}
local n = 0
request = function()
  n = n + 1
  local p = paths[(n % #paths) + 1]
  if n % 10 == 0 then
    p = "/indikator/anteil_65_plus?gebiet=14&jahr=" .. (1995 + (n % 31)) .. "&unbekannt=" .. n
  end
  return wrk.format("GET", p, { ["Accept-Encoding"] = (n % 2 == 0) and "gzip" or "identity" })
end
LUA

rss() { awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$server/status; }
echo "soak: ${secs} s, wrk -t2 -c32, mixed requests; resident memory (MB) every 30 s:"
wrk -t2 -c32 -d"${secs}s" --timeout 5s -s "$out/mix.lua" "http://127.0.0.1:$port" >"$out/wrk.txt" &
load=$!
samples="$(rss)"
while kill -0 $load 2>/dev/null; do
    sleep 30
    kill -0 $server 2>/dev/null || { echo "the server died" >&2; exit 1; }
    samples="$samples $(rss)"
done
wait $load
echo "memory: $samples"
cat "$out/wrk.txt"
errors=$(awk '/Socket errors/ {gsub(",", ""); print $4+$6+$8+$10} /Non-2xx/ {print $NF}' "$out/wrk.txt" | awk '{s+=$1} END {print s+0}')
echo "errors (socket errors + non-2xx/3xx responses): $errors"
[ "$errors" -eq 0 ]
