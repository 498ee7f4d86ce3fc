#!/usr/bin/env bash
# Seeds every fuzz target's corpus with the repository's .floe files.
set -euo pipefail
cd "$(dirname "$0")/.."
for target in parse check compile fmt; do
  mkdir -p "fuzz/corpus/$target"
  find stdlib examples tests/data docs -name '*.floe' -print0 |
    while IFS= read -r -d '' file; do
      cp "$file" "fuzz/corpus/$target/$(sha1sum "$file" | cut -c1-16)"
    done
done
