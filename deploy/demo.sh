#!/usr/bin/env bash
# The im2k demo: on a fresh Debian 12 machine, install what is missing, build, bring up the
# two-domain testbed on loopback, send a message from alice@alpha.test to bob@beta.test, and
# show it in bob's mailbox and as `pulled` on alice's side. See README.md.
set -euo pipefail

prog=$(basename "$0")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

usage() {
  cat <<EOF
Usage: $prog [--dir DIR] [--net N] [--skip-install] [--skip-build] [--bin-dir DIR]
  --dir DIR       where the testbed lives (default ./demo; must be new or empty)
  --net N         the testbed's second address octet, 127.N.x.x (default 0)
  --skip-install  do not run deploy/install-deps.sh
  --skip-build    do not build (the binaries must be in --bin-dir already)
  --bin-dir DIR   where im2k-oms, im2k-ims and im2k are (default $repo/build/bin)
Tear the testbed down afterwards with: deploy/testbed/testbed.sh down DIR
EOF
}

die() {
  echo "$prog: $*" >&2
  exit 1
}

dir=./demo
net=0
install=1
build=1
bin_dir=$repo/build/bin
while (($#)); do
  case $1 in
    --dir) dir=${2:?--dir wants a directory}; shift 2 ;;
    --net) net=${2:?--net wants a number}; shift 2 ;;
    --skip-install) install=0; shift ;;
    --skip-build) build=0; shift ;;
    --bin-dir) bin_dir=${2:?--bin-dir wants a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }

if ((install)); then
  step "Installing what is missing (deploy/install-deps.sh)"
  "$repo/deploy/install-deps.sh"
fi

if ((build)); then
  step "Building im2k-oms, im2k-ims and im2k into $repo/build"
  cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$repo/build" -j"$(nproc)" --target im2k-oms im2k-ims im2k
  bin_dir=$repo/build/bin
fi
for b in im2k-oms im2k-ims im2k; do
  [ -x "$bin_dir/$b" ] || die "no $b in $bin_dir (build it, or drop --skip-build)"
done
bin_dir=$(cd "$bin_dir" && pwd)
im2k=$bin_dir/im2k

step "Bringing up the testbed in $dir (alpha.test and beta.test on 127.$net.x.x)"
# Short retry delays: should a first notify or pull fail, the demo still ends in seconds.
"$repo/deploy/testbed/testbed.sh" up "$dir" --net "$net" --bin-dir "$bin_dir" \
  --retry-initial 1s --retry-max 2s >/dev/null
dir=$(cd "$dir" && pwd)
state=$dir/state.json
alice=$(jq -r '.domains[].users[] | select(.address == "alice@alpha.test") | .client_config' "$state")
bob=$(jq -r '.domains[].users[] | select(.address == "bob@beta.test") | .client_config' "$state")
echo "testbed up: $state"

step "alice@alpha.test sends a message to bob@beta.test"
echo "\$ im2k send --config $alice --subject 'Hello from alice' bob@beta.test"
msg=$(printf 'Hi Bob,\n\nthis message stayed on alpha.test until beta.test pulled it.\n\nAlice\n' |
  "$im2k" send --config "$alice" --subject "Hello from alice" bob@beta.test)
echo "$msg"

step "Waiting for it in bob's mailbox (60 s at most)"
id=""
for _ in $(seq 1 120); do
  id=$("$im2k" list --config "$bob" --json |
    jq -r '[.messages[] | select(.from == "alice@alpha.test" and .state == "stored")] | last | .id // empty') || true
  [ -n "$id" ] && break
  sleep 0.5
done
[ -n "$id" ] || die "the message did not reach bob's mailbox within 60 s (logs: $dir/logs)"

step "bob@beta.test: im2k list"
"$im2k" list --config "$bob"

step "bob@beta.test: im2k fetch $id"
"$im2k" fetch --config "$bob" "$id"

step "alice@alpha.test: im2k status $msg"
# The IMS acknowledges the pull right after storing: wait (bounded) for `pulled`.
for _ in $(seq 1 60); do
  "$im2k" status --config "$alice" --json "$msg" | jq -e '.recipients | all(.state == "pulled")' \
    >/dev/null && break
  sleep 0.5
done
"$im2k" status --config "$alice" "$msg"

cat <<EOF

Done. The testbed keeps running; try more as alice, bob or carol@beta.test with the configs in
$dir/users/ (e.g. $im2k sent --config $alice).
Tear it down with:
  $repo/deploy/testbed/testbed.sh down $dir
EOF
