#!/usr/bin/env bash
# `pnpm test:all`: everything CI proves, in order, stopping at the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

steps=("db:generate" "typecheck" "lint" "test" "smoke:start")
for step in "${steps[@]}"; do
  printf '\n=== pnpm %s ===\n' "$step"
  started=$SECONDS
  if ! pnpm "$step"; then
    printf '\n=== test:all FAILED at "pnpm %s" (after %ss) ===\n' "$step" "$((SECONDS - started))" >&2
    exit 1
  fi
  printf '=== pnpm %s passed in %ss ===\n' "$step" "$((SECONDS - started))"
done
printf '\n=== test:all passed: %s ===\n' "${steps[*]}"
