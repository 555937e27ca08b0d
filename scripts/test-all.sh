#!/usr/bin/env bash
# `pnpm test:all`: everything CI proves, in order, stopping at the first failure. Ends
# with one line "N passed, N failed" totalling every vitest suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

steps=("db:generate" "typecheck" "lint" "test" "smoke:start")
for step in "${steps[@]}"; do
  printf '\n=== pnpm %s ===\n' "$step"
  started=$SECONDS
  if [ "$step" = test ]; then
    pnpm test 2>&1 | tee "$log" && status=0 || status=$?
  else
    pnpm "$step" && status=0 || status=$?
  fi
  if [ "$status" -ne 0 ]; then
    printf '\n=== test:all FAILED at "pnpm %s" (after %ss) ===\n' "$step" "$((SECONDS - started))" >&2
    exit 1
  fi
  printf '=== pnpm %s passed in %ss ===\n' "$step" "$((SECONDS - started))"
done
printf '\n=== test:all passed: %s ===\n' "${steps[*]}"

# Vitest prints "Tests  12 passed (12)" or "Tests  1 failed | 11 passed (12)" per suite.
totals=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\S*:? *Tests +' | awk '
  { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  END { printf "%d passed, %d failed\n", p, f }')
echo "$totals"
