#!/usr/bin/env bash
# End-to-end tests of the dashboard: builds the demo database, serves it, walks it in Debian's
# headless Chromium with axe-core, and leaves screenshots in tests-output/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x /usr/bin/chromium ]; then
    apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null \
        || { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
fi
(cd tests/e2e && npm ci --no-audit --no-fund >/dev/null)
mkdir -p tests-output
db=tests-output/e2e.sqlite
cargo build --release --locked -p sozialmonitor
./target/release/sozialmonitor --db "$db" demo --no-serve >tests-output/demo.log
./target/release/sozialmonitor --db "$db" serve --addr 127.0.0.1:8099 >tests-output/serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf -o /dev/null http://127.0.0.1:8099/ && break
    sleep 0.5
done
(cd tests/e2e && node dashboard.mjs http://127.0.0.1:8099 ../../tests-output/screenshots)

# The PDF reports of the demo, rendered to PNG pages for looking at (tests-output/reports/).
mkdir -p tests-output/reports
./target/release/sozialmonitor --db "$db" report profile 14522010 -o tests-output/reports/gemeindeprofil-14522010.pdf
./target/release/sozialmonitor --db "$db" report sozialbericht --kreis 14522 -o tests-output/reports/sozialbericht-14522.pdf
if command -v pdftoppm >/dev/null 2>&1; then
    pdftoppm -r 70 -png tests-output/reports/gemeindeprofil-14522010.pdf tests-output/reports/gemeindeprofil
    pdftoppm -r 50 -png -l 12 tests-output/reports/sozialbericht-14522.pdf tests-output/reports/sozialbericht
fi
