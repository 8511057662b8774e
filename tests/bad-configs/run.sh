#!/usr/bin/env bash
# Runs `--check-config` of the daemon on every case of this folder (see README.md): each must
# exit non-zero and print every line of its expected.txt on stderr; the valid/ configurations
# must pass. Usage: run.sh IM2K_OMS IM2K_IMS
set -uo pipefail

(($# == 2)) || {
  echo "usage: $0 IM2K_OMS IM2K_IMS" >&2
  exit 2
}
declare -A bin=([oms]=$1 [ims]=$2)
here=$(cd "$(dirname "$0")" && pwd)
failed=0
cases=0

for d in oms ims; do
  err=$("${bin[$d]}" --check-config "$here/valid/$d.toml" 2>&1 >/dev/null)
  rc=$?
  if ((rc != 0)) || [ -n "$err" ]; then
    echo "FAIL valid/$d.toml: exit $rc, stderr:" >&2
    echo "$err" >&2
    failed=1
  fi
done

for dir in "$here"/*/; do
  dir=${dir%/}
  name=$(basename "$dir")
  [ -f "$dir/expected.txt" ] || continue
  d=${name%%-*}
  if [ "$d" != oms ] && [ "$d" != ims ]; then
    echo "FAIL $name: a case name starts with oms- or ims-" >&2
    failed=1
    continue
  fi
  cases=$((cases + 1))
  err=$("${bin[$d]}" --check-config "$dir/$d.toml" 2>&1 >/dev/null)
  rc=$?
  ok=1
  if ((rc == 0)); then
    echo "FAIL $name: im2k-$d --check-config exited 0" >&2
    ok=0
  fi
  lines=0
  while IFS= read -r line || [ -n "$line" ]; do
    [ -n "$line" ] || continue
    lines=$((lines + 1))
    want=${line//\{dir\}/$dir}
    if ! grep -qxF -- "$want" <<<"$err"; then
      echo "FAIL $name: stderr lacks the line: $want" >&2
      ok=0
    fi
  done <"$dir/expected.txt"
  if ((lines == 0)); then
    echo "FAIL $name: expected.txt is empty" >&2
    ok=0
  fi
  if ((ok)); then
    echo "PASS $name"
  else
    echo "  stderr was:" >&2
    sed 's/^/    /' <<<"$err" >&2
    failed=1
  fi
done

if ((cases < 12)); then
  echo "FAIL only $cases cases found in $here" >&2
  failed=1
fi
echo "$cases cases"
exit $failed
