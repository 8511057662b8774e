#!/usr/bin/env bash
# ctest `demo`: runs deploy/demo.sh without installing or building (BIN_DIR holds the programs)
# on testbed net 212 in a fresh directory, checks what it shows, and always tears it down.
# Usage: demo_test.sh SOURCE_DIR BIN_DIR
set -uo pipefail

src=$1
bin=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/im2k-demo.XXXXXX")
trap '"$src/deploy/testbed/testbed.sh" down "$dir/demo" >/dev/null 2>&1; rm -rf "$dir"' EXIT

out=$(timeout 300 "$src/deploy/demo.sh" --skip-install --skip-build --bin-dir "$bin" --net 212 \
  --dir "$dir/demo" 2>&1)
rc=$?
echo "$out"
if ((rc != 0)); then
  echo "FAIL: demo.sh exited $rc" >&2
  exit 1
fi
failed=0
expect() {
  grep -qE -- "$1" <<<"$out" || {
    echo "FAIL: the demo's output lacks /$1/" >&2
    failed=1
  }
}
expect '^[0-9a-z]{26}$'                                    # the message id send printed
expect 'stored .*alice@alpha\.test'                        # bob's list
expect '^Subject: Hello from alice'                        # bob's fetch: the message itself
expect 'this message stayed on alpha\.test until beta\.test pulled it\.'
expect '^bob@beta\.test +pulled'                           # alice's status
expect "testbed/testbed\.sh down $dir/demo\$"              # how to tear down
exit $failed
