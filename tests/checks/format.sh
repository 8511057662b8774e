#!/usr/bin/env bash
# Every C++ file of the project is formatted with the root .clang-format.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
if ! command -v clang-format >/dev/null; then
  echo "format: clang-format is not installed (deploy/install-deps.sh installs it)"
  exit 1
fi
bad=$(git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror 2>&1 \
  | grep -oE '^[^:]+\.(cpp|hpp)' | sort -u || true)
if [ -n "$bad" ]; then
  echo "format: not formatted (run clang-format -i):"
  echo "$bad"
  exit 1
fi
echo "format: $(git ls-files '*.cpp' '*.hpp' | wc -l) files formatted"
