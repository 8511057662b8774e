#!/usr/bin/env bash
# Every requirement ID that a test or the conformance suite cites ("[F-2]") must be defined in
# proto/SPEC.md (in bold, "**[F-2]**", or as the first cell of a table row, "| [X-1] |"), and no
# ID may be defined twice. Prints how many IDs no test cites.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
spec="$root/proto/SPEC.md"

defined=$( { grep -oE '\*\*\[[A-Z]-[0-9]+\]\*\*' "$spec"
  grep -oE '^\| \[[A-Z]-[0-9]+\] \|' "$spec"; } | grep -oE '[A-Z]-[0-9]+' | sort)
dupes=$(printf '%s\n' "$defined" | uniq -d)
if [ -n "$dupes" ]; then
  echo "spec_ids: defined more than once in proto/SPEC.md: $(echo $dupes)"
  exit 1
fi

cited=$(grep -rhoE '\[[A-Z]-[0-9]+\]' "$root/tests" --include='*.cpp' --include='*.hpp' \
  | tr -d '[]' | sort -u)
undefined=$(comm -23 <(printf '%s\n' "$cited") <(printf '%s\n' "$defined" | sort -u))
if [ -n "$undefined" ]; then
  echo "spec_ids: tests cite IDs that proto/SPEC.md does not define: $(echo $undefined)"
  exit 1
fi

uncited=$(comm -13 <(printf '%s\n' "$cited") <(printf '%s\n' "$defined" | sort -u) | wc -l)
echo "spec_ids: $(printf '%s\n' "$defined" | wc -l) IDs defined, $(printf '%s\n' "$cited" | wc -l) cited by tests, $uncited not cited yet"
