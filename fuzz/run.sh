#!/usr/bin/env bash
# Fuzzes every importer for a set time per target and prints the cases run and the panics found.
# The targets are the property tests in crates/import/tests/it/fuzz.rs (stable Rust: cargo-fuzz
# would need nightly). A target is one parser; its sub-targets (arbitrary bytes, mutated real
# files, ...) each run for SECONDS.
#
#   bash fuzz/run.sh                 # 60 s per sub-target, release build
#   bash fuzz/run.sh 600             # 10 minutes per sub-target
#   bash fuzz/run.sh 30 xls xlsx     # only these targets
#   FUZZ_PROFILE=dev bash fuzz/run.sh 10   # debug build (no release build needed; slower cases)
#   FUZZ_SEED=123 bash fuzz/run.sh   # repeat a run (the seed is printed per sub-target)
#
# Exit status 1 when any target panicked, hung or failed; its output is kept in
# target/fuzz-logs/TARGET.log.
set -uo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
all=(ffcsv oldflat table cube gv100ad inkar longcsv ortsteile catalog formula xls xlsx geojson shapefile detect_and_read)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

case "${FUZZ_PROFILE:-release}" in
    release) profile=(--release) ;;
    dev) profile=() ;;
    *) echo "FUZZ_PROFILE is release or dev" >&2; exit 2 ;;
esac
# Cases per batch; batches repeat until the time is up.
export PROPTEST_CASES=${PROPTEST_CASES:-256}
export FUZZ_SECONDS=$secs

# Build once and run the test binary directly, so that no cargo lock is held while fuzzing.
bin=$(cargo test "${profile[@]}" -p sozialmonitor-import --test it --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    cargo test "${profile[@]}" -p sozialmonitor-import --test it --no-run
    echo "could not build the test binary" >&2
    exit 1
fi

logs=target/fuzz-logs
mkdir -p "$logs"
failed=0
total_cases=0
printf '%-16s %-44s %10s %8s  %s\n' target sub-target cases panics status
for t in "${targets[@]}"; do
    log="$logs/$t.log"
    # Up to four sub-targets per target run one after another; a hang is stopped well after that.
    limit=$((secs * 4 + 300))
    timeout --signal=KILL "$limit" "$bin" "fuzz::${t}_" --nocapture --test-threads 1 >"$log" 2>&1
    status=$?
    found=0
    while IFS= read -r line; do
        # "fuzz NAME: N cases, 0 panics (S s, seed B)"
        name=${line#fuzz }
        name=${name%%: *}
        n=$(sed -E 's/.*: ([0-9]+) cases.*/\1/' <<<"$line")
        total_cases=$((total_cases + n))
        found=1
        printf '%-16s %-44s %10s %8s  %s\n' "$t" "$name" "$n" 0 ok
    done < <(grep -oE 'fuzz [^:]*: [0-9]+ cases, 0 panics.*' "$log")
    while IFS= read -r line; do
        name=${line#fuzz }
        name=${name%%: PANIC*}
        n=$(sed -E 's/.*after ([0-9]+) cases.*/\1/' <<<"$line")
        total_cases=$((total_cases + n))
        printf '%-16s %-44s %10s %8s  %s\n' "$t" "$name" "$n" 1 "PANIC (see $log)"
    done < <(grep -oE 'fuzz [^:]*: PANIC found after [0-9]+ cases.*' "$log")
    if [ "$status" -eq 137 ]; then
        printf '%-16s %-44s %10s %8s  %s\n' "$t" "-" "-" "-" "HANG: killed after ${limit} s (see $log)"
        failed=1
    elif [ "$status" -ne 0 ]; then
        grep -q 'PANIC found' "$log" || printf '%-16s %-44s %10s %8s  %s\n' "$t" "-" "-" "?" "FAILED with status $status (see $log)"
        failed=1
    elif [ "$found" -eq 0 ]; then
        printf '%-16s %-44s %10s %8s  %s\n' "$t" "-" 0 0 "no such target"
        failed=1
    fi
done
echo "total: $total_cases cases"
exit "$failed"
