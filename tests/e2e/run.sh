#!/usr/bin/env bash
# End-to-end tests of the dashboard: builds the demo database, serves it from two processes
# behind nginx with TLS (deploy/nginx/sozialmonitor.conf, as docs/operations.md describes it),
# walks it through nginx in Debian's headless Chromium with axe-core, and leaves screenshots in
# tests-output/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
install() {
    apt-get install -y --no-install-recommends "$@" >/dev/null \
        || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "$@" >/dev/null; }
}
[ -x /usr/bin/chromium ] || install chromium fonts-dejavu-core
command -v nginx >/dev/null 2>&1 || install nginx-light
command -v openssl >/dev/null 2>&1 || install openssl
(cd tests/e2e && npm ci --no-audit --no-fund >/dev/null)
mkdir -p tests-output
db=tests-output/e2e.sqlite
cargo build --release --locked -p sozialmonitor
bin=${CARGO_TARGET_DIR:-target}/release/sozialmonitor
# The demo without the newest file of Anhalt-Bitterfeld (31.12.2025), which a planner then
# delivers through the workspace (workspace.mjs); the demo data is linked, not copied, and the
# catalogue sits where the demo looks for it (beside data/).
rm -rf "$db" tests-output/e2e-data && mkdir -p tests-output/e2e-data/data
cp -rs "$(pwd)/data/demo" tests-output/e2e-data/data/demo
rm -rf tests-output/e2e-data/data/demo/recent/stala-st-alter-2025
ln -s "$(pwd)/catalog" tests-output/e2e-data/catalog
"$bin" --db "$db" demo --no-serve --data tests-output/e2e-data/data/demo >tests-output/demo.log
ws_password=$(openssl rand -hex 16)
echo "$ws_password" | "$bin" --db "$db" user add planerin --name "Petra Planerin" --role admin --password-stdin >/dev/null
"$bin" --db "$db" serve --addr 127.0.0.1:8099 >tests-output/serve.log 2>&1 &
server=$!
"$bin" --db "$db" serve --addr 127.0.0.1:8098 >tests-output/serve2.log 2>&1 &
server2=$!
ng=$(pwd)/tests-output/nginx
trap 'kill $server $server2 2>/dev/null || true; [ -f "$ng/nginx.pid" ] && nginx -p "$ng" -c "$ng/nginx.conf" -s stop 2>/dev/null || true' EXIT
for port in 8099 8098; do
    for _ in $(seq 1 120); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break
        sleep 0.5
    done
done

# nginx with the configuration of the documentation; only addresses, certificate and cache
# folder differ.
rm -rf "$ng" && mkdir -p "$ng/cache" "$ng/temp"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$ng/key.pem" -out "$ng/cert.pem" 2>/dev/null
sed -e "s|listen 80;|listen 127.0.0.1:8180;|" \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:8443 ssl http2;|" \
    -e "s|127.0.0.1:8080 |127.0.0.1:8099 |; s|127.0.0.1:8081 |127.0.0.1:8098 |" \
    -e "s|/etc/ssl/certs/sozialmonitor.pem|$ng/cert.pem|; s|/etc/ssl/private/sozialmonitor.key|$ng/key.pem|" \
    -e "s|/var/cache/nginx/sozialmonitor|$ng/cache|" \
    deploy/nginx/sozialmonitor.conf >"$ng/site.conf"
cat >"$ng/nginx.conf" <<CONF
pid $ng/nginx.pid;
error_log $ng/error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events {}
http {
    access_log $ng/access.log;
    client_body_temp_path $ng/temp/body;
    proxy_temp_path $ng/temp/proxy;
    fastcgi_temp_path $ng/temp/fastcgi;
    uwsgi_temp_path $ng/temp/uwsgi;
    scgi_temp_path $ng/temp/scgi;
    include $ng/site.conf;
}
CONF
nginx -p "$ng" -c "$ng/nginx.conf" -t 2>"$ng/test.log" || { cat "$ng/test.log"; exit 1; }
nginx -p "$ng" -c "$ng/nginx.conf"
base=https://127.0.0.1:8443
for _ in $(seq 1 40); do
    curl -skf -o /dev/null "$base/healthz" && break
    sleep 0.25
done
# Through nginx: TLS, HSTS, the redirect from http, the cache, and both processes answering.
curl -skf -D "$ng/head1" -o /dev/null "$base/katalog"
curl -skf -D "$ng/head2" -o /dev/null "$base/katalog"
grep -qi '^strict-transport-security:' "$ng/head1" || { echo "no HSTS through nginx" >&2; exit 1; }
grep -qi '^x-cache-status: HIT' "$ng/head2" || { echo "nginx did not cache /katalog" >&2; cat "$ng/head2" >&2; exit 1; }
# The workspace is never cached by nginx: its pages are per person.
curl -sk -o /dev/null "$base/arbeitsbereich/anmelden"
curl -sk -D "$ng/head3" -o /dev/null "$base/arbeitsbereich/anmelden"
grep -qi '^x-cache-status' "$ng/head3" && { echo "nginx cached a workspace page" >&2; cat "$ng/head3" >&2; exit 1; }
grep -qi '^cache-control: no-store' "$ng/head3" || { echo "a workspace page without no-store" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8180/)" = 301 ] || { echo "no redirect to https" >&2; exit 1; }
for port in 8099 8098; do
    # Read whole before grep: `grep -q` stops at the first match, and under pipefail the
    # SIGPIPE curl then gets failed the check at random.
    metrics=$(curl -sf "http://127.0.0.1:$port/metrics") || metrics=
    grep -q '^sozialmonitor_data_version' <<<"$metrics" \
        || { echo "no metrics on $port" >&2; exit 1; }
done
# The planner's delivery first (the dashboard's walk expects the complete demo afterwards).
(cd tests/e2e && SM_LOGIN=planerin SM_PASSWORD="$ws_password" \
    SM_FILE="$(pwd)/../../data/demo/recent/stala-st-alter-2025/bevoelkerung-altersgruppen-15082-31122025.csv" \
    SM_PUBLIC_PATH=/gemeinde/15082005 SM_PUBLIC_TEXT="Aken (Elbe), Stadt am 31.12.2025" \
    node workspace.mjs "$base" ../../tests-output/screenshots)
(cd tests/e2e && node dashboard.mjs "$base" ../../tests-output/screenshots)

# The PDF reports of the demo, rendered to PNG pages for looking at (tests-output/reports/).
mkdir -p tests-output/reports
"$bin" --db "$db" report profile 14522010 -o tests-output/reports/gemeindeprofil-14522010.pdf
"$bin" --db "$db" report sozialbericht --kreis 14522 -o tests-output/reports/sozialbericht-14522.pdf
if command -v pdftoppm >/dev/null 2>&1; then
    pdftoppm -r 70 -png tests-output/reports/gemeindeprofil-14522010.pdf tests-output/reports/gemeindeprofil
    pdftoppm -r 50 -png -l 12 tests-output/reports/sozialbericht-14522.pdf tests-output/reports/sozialbericht
fi
