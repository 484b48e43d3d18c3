#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (make fuzz), one
# at a time, and prints one summary line per target: package, target,
# executions, new corpus entries. Targets are found by name (func FuzzX in
# a _test.go file), so a new one is never left out. A crasher stops the run
# and stays in the package's testdata/fuzz/ as a regression seed.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-60s}
ONLY=${ONLY:-.}
cd "$(dirname "$0")/.."
grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' . |
	sed -E 's|^\./(.*)/[^/]+_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]+)\(.*|\1 \2|' | sort -u | grep -E -- "$ONLY" |
	while read -r pkg fn; do
		log=$(mktemp)
		if ! $GO test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "./$pkg" >"$log" 2>&1; then
			cat "$log"
			echo "FAIL ./$pkg $fn"
			rm -f "$log"
			exit 1
		fi
		last=$(grep -E '^fuzz: elapsed' "$log" | tail -1)
		execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
		new=$(sed -E 's/.*new interesting: ([0-9]+).*/\1/' <<<"$last")
		printf 'ok ./%-20s %-24s %12s execs %6s new\n' "$pkg" "$fn" "$execs" "$new"
		rm -f "$log"
	done
