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
