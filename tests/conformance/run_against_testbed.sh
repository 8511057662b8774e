#!/usr/bin/env bash
# The ctest entry of the conformance suite: brings up a testbed of the project's own servers in
# a fresh directory (with the suite's domain and a domain whose DNS cannot answer), runs
# im2k-conform against it, and always brings it down.
#   run_against_testbed.sh BIN_DIR
set -euo pipefail

bin=${1:?usage: $0 BIN_DIR}
here=$(cd "$(dirname "$0")" && pwd)
testbed="$here/../../deploy/testbed/testbed.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/im2k-conform.XXXXXX")
cleanup() {
  "$testbed" down "$dir" >/dev/null 2>&1 || true
  if [ -n "${IM2K_KEEP_TEST_DIRS:-}" ]; then
    echo "kept $dir" >&2
  else
    rm -rf "$dir"
  fi
}
trap cleanup EXIT

# A --net octet nobody uses now (other testbeds run concurrently under ctest -j).
net=""
for _ in $(seq 1 50); do
  n=$((100 + RANDOM % 150))
  if [ -z "$(ss -Hltun "src 127.$n.0.53" 2>/dev/null)" ] &&
    [ -z "$(ss -Hltn "src 127.$n.1.1" 2>/dev/null)" ]; then
    net=$n
    break
  fi
done
[ -n "$net" ] || {
  echo "no free --net octet" >&2
  exit 1
}

# A UDP port with no server behind it: unbound's forward to it fails, so SPF look-ups in
# tempfail.test end in SERVFAIL (temperror, [D-7]).
dead_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 9)

"$testbed" up "$dir" --net "$net" --extra-domain conform.test --retry-initial 1s --retry-max 2s \
  --forward "tempfail.test=$dead_port" --bin-dir "$bin" >/dev/null

"$bin/im2k-conform" --testbed "$dir" --temperror-domain tempfail.test
