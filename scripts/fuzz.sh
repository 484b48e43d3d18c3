#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (make fuzz), JOBS
# at a time (each with FUZZPARALLEL workers), and prints one summary line
# per target: package, target, executions, new corpus entries. Targets are
# found by name (func FuzzX in a _test.go file), so a new one is never left
# out. A crasher fails the run and stays in the package's testdata/fuzz/ as
# a regression seed.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-60s}
ONLY=${ONLY:-.}
JOBS=${JOBS:-1}
FUZZPARALLEL=${FUZZPARALLEL:-0}
cd "$(dirname "$0")/.."

run_one() {
	local pkg=$1 fn=$2 log par=()
	log=$(mktemp)
	[ "$FUZZPARALLEL" != 0 ] && par=(-parallel "$FUZZPARALLEL")
	if ! $GO test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "${par[@]}" "./$pkg" >"$log" 2>&1; then
		cat "$log"
		echo "FAIL ./$pkg $fn"
		rm -f "$log"
		return 1
	fi
	local last execs new
	last=$(grep -E '^fuzz: elapsed' "$log" | tail -1)
	execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
	new=$(sed -E 's/.*new interesting: ([0-9]+).*/\1/' <<<"$last")
	printf 'ok ./%-20s %-24s %12s execs %6s new  (%s)\n' "$pkg" "$fn" "$execs" "$new" "$FUZZTIME"
	rm -f "$log"
}

targets=$(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' . |
	sed -E 's|^\./(.*)/[^/]+_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]+)\(.*|\1 \2|' | sort -u | grep -E -- "$ONLY")

failed=0
running=0
while read -r pkg fn; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || failed=1
		running=$((running - 1))
	fi
	run_one "$pkg" "$fn" &
	running=$((running + 1))
done <<<"$targets"
while [ "$running" -gt 0 ]; do
	wait -n || failed=1
	running=$((running - 1))
done
exit "$failed"
