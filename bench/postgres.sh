#!/usr/bin/env bash
# PostgreSQL against SQLite on the demo database, in the same run: moving the database there
# (`copy`), `compute --all`, loading the dashboard, page throughput (wrk), backup, sizes and
# memory. A throwaway PostgreSQL server with durable settings (scripts/pg-test-server,
# PG_DURABLE=1) on port 55433; everything stays on 127.0.0.1 and stops by itself.
# Usage: bash bench/postgres.sh [SQLITE_DB]   (needs postgresql, wrk: apt-get install postgresql wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-bench/out/demo.sqlite}
out=$PWD/bench/out/postgres
bin=./target/release/sozialmonitor
[ -x "$bin" ] || cargo build --release --locked -p sozialmonitor
[ -f "$db" ] || "$bin" --db "$db" demo --no-serve >/dev/null
rm -rf "$out" && mkdir -p "$out" && chmod 755 "$out"
url=$(PG_DURABLE=1 scripts/pg-test-server start "$out/pg" 55433)
servers=()
cleanup() {
    for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; done
    scripts/pg-test-server stop "$out/pg" || true
}
trap cleanup EXIT
timed() { # label, command...: prints seconds and peak memory
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$out/time" "$@" >"$out/last.log" 2>&1 || { cat "$out/last.log"; exit 1; }
    read -r secs kb <"$out/time"
    printf '%-44s %8.2f s %8.0f MB peak\n' "$label" "$secs" "$((kb / 1024))"
}
echo "machine: $(nproc) cores; PostgreSQL $(psql --version | awk '{print $3}') with durable defaults; demo database $db ($(du -m "$db" | cut -f1) MB)"
timed "copy SQLite → PostgreSQL" "$bin" copy --from "$db" --to "$url"
cp "$db" "$out/sqlite.sqlite"
timed "compute --all, SQLite" "$bin" --db "$out/sqlite.sqlite" compute --all
timed "compute --all, PostgreSQL" "$bin" --db "$url" compute --all
timed "backup, SQLite (VACUUM INTO)" "$bin" --db "$out/sqlite.sqlite" backup "$out/b1.sqlite"
timed "backup, PostgreSQL (snapshot → SQLite file)" "$bin" --db "$url" backup "$out/b2.sqlite"
timed "restore into PostgreSQL (--replace)" "$bin" --db "$url" restore "$out/b1.sqlite" --replace
pgsize=$(psql "$url" -Atc "select pg_database_size(current_database())")
echo "sizes: SQLite $(du -m "$out/sqlite.sqlite" | cut -f1) MB, PostgreSQL $((pgsize / 1000000)) MB, backup file $(du -m "$out/b2.sqlite" | cut -f1) MB"

port=8191
for target in "SQLite:$out/sqlite.sqlite" "PostgreSQL:$url"; do
    name=${target%%:*}; where=${target#*:}
    SOZIALMONITOR_LOG=warn "$bin" --db "$where" serve --addr 127.0.0.1:$port >"$out/serve-$name.log" 2>&1 &
    servers+=($!)
    for _ in $(seq 1 240); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.5; done
    echo "$name: $(grep -m1 'dashboard loaded' "$out/serve-$name.log")"
    port=$((port + 1))
done
echo "wrk -t2 -c32 -d10s after a 3 s warm-up"
printf '%-44s %12s %10s %10s\n' "target" "requests/s" "p50" "p99"
for page in /gemeinde/14522010 /indikator/anteil_65_plus; do
    port=8191
    for name in SQLite PostgreSQL; do
        wrk -t2 -c32 -d3s "http://127.0.0.1:$port$page" >/dev/null
        res=$(wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$port$page")
        printf '%-44s %12s %10s %10s\n' "$name $page" "$(awk '/Requests\/sec/ {print $2}' <<<"$res")" \
            "$(awk '$1=="50%" {print $2}' <<<"$res")" "$(awk '$1=="99%" {print $2}' <<<"$res")"
        port=$((port + 1))
    done
done
i=0
for name in SQLite PostgreSQL; do
    echo "$name server resident memory: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/${servers[$i]}/status)"
    i=$((i + 1))
done
