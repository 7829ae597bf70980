#!/usr/bin/env bash
# Dashboard speed: wrk against the municipal profile page and an indicator page of the demo,
# side by side in the same run with nginx serving the same bytes as static files, each page
# once plain and once with `Accept-Encoding: gzip` (sozialmonitor serves the bytes it
# compressed once when it cached the page; nginx on 8182 compresses on every request,
# `gzip on`, and on 8183 serves files compressed ahead of time, `gzip_static on`).
# Usage: bash bench/web.sh [DB]   (needs wrk and nginx: apt-get install wrk nginx-light)
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-sozialmonitor.sqlite}
out=bench/out/web
mkdir -p "$out/static/gemeinde" "$out/static/indikator"
bin=./target/release/sozialmonitor
[ -x "$bin" ] || cargo build --release --locked -p sozialmonitor
[ -f "$db" ] || "$bin" --db "$db" demo --no-serve >/dev/null

port=8181
# nginx runs with access_log off, so the server runs without its request log (warnings stay).
SOZIALMONITOR_LOG=warn "$bin" --db "$db" serve --addr 127.0.0.1:$port >"$out/serve.log" 2>&1 &
server=$!
cleanup() { kill $server 2>/dev/null || true; [ -f "$out/nginx.pid" ] && kill "$(cat "$out/nginx.pid")" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null http://127.0.0.1:$port/ && break; sleep 0.5; done

profile=/gemeinde/14522010
indicator=/indikator/anteil_65_plus
curl -sf "http://127.0.0.1:$port$profile" -o "$out/static/gemeinde/14522010.html"
curl -sf "http://127.0.0.1:$port$indicator" -o "$out/static/indikator/anteil_65_plus.html"

gzip -9 -k -f "$out/static/gemeinde/14522010.html" "$out/static/indikator/anteil_65_plus.html"
cat >"$out/nginx.conf" <<NGINX
worker_processes 2;
pid $PWD/$out/nginx.pid;
error_log $PWD/$out/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    types { text/html html; }
    gzip on;
    gzip_vary on;
    server {
        listen 127.0.0.1:8182;
        root $PWD/$out/static;
        location = $profile { try_files /gemeinde/14522010.html =404; }
        location = $indicator { try_files /indikator/anteil_65_plus.html =404; }
    }
    # The strongest peer: the same bytes compressed ahead of time (gzip_static), as we serve them.
    server {
        listen 127.0.0.1:8183;
        root $PWD/$out/static;
        gzip_static on;
        location = $profile { try_files /gemeinde/14522010.html =404; }
        location = $indicator { try_files /indikator/anteil_65_plus.html =404; }
    }
}
NGINX
nginx -c "$PWD/$out/nginx.conf"
sleep 0.5

# First renders (not yet in the response cache): distinct views of the indicator and profiles.
first=""
for u in "/indikator/arbeitslose_je_1000?gebiet=14" "/indikator/anteil_65_plus?gebiet=14522&methode=jenks&klassen=4" \
         "/gemeinde/14522020" "/gemeinde/14522" "/katalog?feld=Demografie%20und%20Sozialstruktur"; do
    first="$first $(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$u")"
done
echo "first render of five uncached pages (s):$first"
# Both must compress, or the gzip rows compare nothing.
for p in $port 8182 8183; do
    enc=$(curl -s -o /dev/null -D - -H 'Accept-Encoding: gzip' "http://127.0.0.1:$p$profile" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding" {print $2}')
    [ "$enc" = gzip ] || { echo "port $p does not answer with gzip" >&2; exit 1; }
done
echo "machine: $(nproc) cores; wrk -t2 -c32 -d10s, each page after a 3 s warm-up"
printf '%-52s %12s %10s %10s\n' "target" "requests/s" "p50" "p99"
for page in "$profile" "$indicator"; do
    for enc in plain gzip; do
        hdr=()
        [ "$enc" = gzip ] && hdr=(-H 'Accept-Encoding: gzip')
        for target in "sozialmonitor:$port" "nginx (same bytes, static):8182" "nginx gzip_static (precompressed):8183"; do
            name=${target%%:*}; p=${target##*:}
            wrk -t2 -c32 -d3s ${hdr[@]+"${hdr[@]}"} "http://127.0.0.1:$p$page" >/dev/null
            res=$(wrk -t2 -c32 -d10s --latency ${hdr[@]+"${hdr[@]}"} "http://127.0.0.1:$p$page")
            rps=$(awk '/Requests\/sec/ {print $2}' <<<"$res")
            p50=$(awk '$1=="50%" {print $2}' <<<"$res")
            p99=$(awk '$1=="99%" {print $2}' <<<"$res")
            printf '%-52s %12s %10s %10s\n' "$name $page ($enc)" "$rps" "$p50" "$p99"
        done
    done
done
echo "sozialmonitor resident memory after the runs: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$server/status) (peak $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$server/status))"
