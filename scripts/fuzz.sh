#!/usr/bin/env bash
# Runs every Fuzz target in the module for a short time each: FUZZTIME is
# a count of executions (30000x) or a duration (5m).
#
# A duration can end in Go 1.26's coordinator race (go.dev/issue/75804):
# the target "fails" with a bare "context deadline exceeded" and no input
# written. Such a run is retried once; a run that wrote a failing input, or
# failed any other way, fails the script.
set -euo pipefail
fuzztime="${1:-30000x}"
found=0
while IFS= read -r file; do
  pkg="./$(dirname "$file")"
  for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    found=1
    for try in 1 2; do
      echo "fuzz: $pkg $fn ($fuzztime)"
      log=$(mktemp)
      if go test -run='^$' -fuzz="^${fn}\$" -fuzztime="$fuzztime" "$pkg" 2>&1 | tee "$log"; then
        rm -f "$log"
        break
      fi
      if [ "$try" -eq 1 ] && grep -q 'context deadline exceeded' "$log" && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
        echo "fuzz: $fn stopped on Go's fuzztime deadline race without a failing input; running it again"
        rm -f "$log"
        continue
      fi
      rm -f "$log"
      exit 1
    done
  done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' 2>/dev/null || true)
[ "$found" -eq 1 ] || echo "fuzz: no fuzz targets"
