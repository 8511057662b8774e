#!/usr/bin/env bash
# The CI smoke of every libFuzzer target: each runs for a few seconds over its seed corpus
# (findings go to a scratch directory, never into the repository). Usage: smoke.sh BIN_DIR
# [SECONDS]. Exits non-zero when a target crashes or a sanitizer reports.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$(cd "${1:?usage: smoke.sh BIN_DIR [SECONDS]}" && pwd)
seconds=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in frame_fuzz spf_fuzz dns_wire_fuzz config_fuzz header_fuzz; do
  corpus="$here/${target}_corpus"
  [ "$target" = frame_fuzz ] && corpus="$here/corpus"
  mkdir -p "$work/$target"
  echo "fuzz smoke: $target (${seconds}s)"
  (cd "$work" && "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/$target-" "$work/$target" "$corpus") >"$work/$target.log" 2>&1 || {
    tail -n 60 "$work/$target.log"
    ls "$work" | grep -- "$target-" || true
    echo "fuzz smoke: $target FAILED" >&2
    exit 1
  }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target.log" | tr '\n' ' '
  echo
done
