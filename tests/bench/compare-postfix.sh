#!/usr/bin/env bash
# Postfix and im2k on the same load, one after the other in one run (tests/bench/README.md):
# the Postfix -> Postfix relay with verified TLS of ../shared/bench/postfix/run.sh, then
# im2k-bench against a fresh testbed, both with the same message count, size and concurrency.
# Prints both end-to-end rates and their ratio. A benchmark, run on demand; never in tests/run.sh.
# Needs root (run.sh adds loopback addresses and mounts its store). Stops and removes all it
# started, whatever happens.
set -euo pipefail

prog=$(basename "$0")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage() {
  cat <<EOF
Usage: $prog [--build-dir DIR] [--messages N] [--size SIZE] [--concurrency C]
             [--postfix-run PATH] [--net N] [--keep-output DIR]
  --build-dir DIR     the build with bin/im2k-oms, bin/im2k-ims, bin/im2k-bench (default build)
  --messages N        messages on each side (default 5000)
  --size SIZE         octets per message: 1024, 100KiB, 1MiB (default 1024). Postfix gets it as
                      smtp-source -l (body octets), im2k-bench as --size (the whole message)
  --concurrency C     Postfix: smtp-source sessions; im2k: senders (default 20)
  --postfix-run PATH  the Postfix benchmark (default ../shared/bench/postfix/run.sh beside the
                      repository, else /work/shared/bench/postfix/run.sh)
  --net N             the im2k testbed's --net octet (default: a free one from 100-249)
  --keep-output DIR   also write postfix.txt and im2k.json (the raw results) into DIR
Environment: FS=jfs|root|tmpfs is passed to run.sh (where Postfix keeps its queues).
EOF
}

misuse() {
  echo "$prog: $*" >&2
  echo "Try '$prog --help'." >&2
  exit 2
}

die() {
  echo "$prog: $*" >&2
  exit 1
}

log() { echo "[$(date +%T)] $*" >&2; }

build=build
messages=5000
size_text=1024
concurrency=20
postfix_run=""
net=""
keep=""
while (($#)); do
  case $1 in
    --build-dir) build=${2:?--build-dir wants a directory}; shift 2 ;;
    --messages) messages=${2:?--messages wants a number}; shift 2 ;;
    --size) size_text=${2:?--size wants a size}; shift 2 ;;
    --concurrency) concurrency=${2:?--concurrency wants a number}; shift 2 ;;
    --postfix-run) postfix_run=${2:?--postfix-run wants a path}; shift 2 ;;
    --net) net=${2:?--net wants 100-249}; shift 2 ;;
    --keep-output) keep=${2:?--keep-output wants a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) misuse "unknown option '$1'" ;;
  esac
done

[[ $messages =~ ^[1-9][0-9]{0,6}$ ]] || misuse "--messages wants 1-9999999, not '$messages'"
[[ $concurrency =~ ^[1-9][0-9]{0,2}$ ]] || misuse "--concurrency wants 1-999, not '$concurrency'"
if [[ $size_text =~ ^([1-9][0-9]*)(B|KiB|MiB)?$ ]]; then
  case ${BASH_REMATCH[2]} in
    KiB) size=$((BASH_REMATCH[1] << 10)) ;;
    MiB) size=$((BASH_REMATCH[1] << 20)) ;;
    *) size=${BASH_REMATCH[1]} ;;
  esac
else
  misuse "--size wants octets or a size in KiB or MiB (100KiB), not '$size_text'"
fi
((size <= 1 << 30)) || misuse "--size: at most 1GiB"
if [ -n "$net" ]; then
  if ! [[ $net =~ ^[0-9]{1,3}$ ]] || ((10#$net < 1 || 10#$net > 255)); then
    misuse "--net wants 1-255, not '$net'"
  fi
fi

case $build in /*) ;; *) build=$repo/$build ;; esac
bin=$build/bin
for b in im2k-oms im2k-ims im2k-bench; do
  [ -x "$bin/$b" ] || die "no $bin/$b: build it first (cmake --build $build --target im2k-oms im2k-ims im2k-bench)"
done
if [ -z "$postfix_run" ]; then
  postfix_run=$repo/../shared/bench/postfix/run.sh
  [ -x "$postfix_run" ] || postfix_run=/work/shared/bench/postfix/run.sh
fi
[ -x "$postfix_run" ] || die "no Postfix benchmark at $postfix_run (--postfix-run)"
[ "$(id -u)" = 0 ] || die "must run as root: $postfix_run adds loopback addresses and mounts a file system"
for tool in jq ss awk; do
  command -v "$tool" >/dev/null || die "needs $tool"
done

# run.sh keeps everything under this directory (its BASE).
readonly pf_base=/tmp/pfbench

install_postfix() { # as run.sh does: Debian's package, left unconfigured
  if ! command -v postfix >/dev/null || ! command -v smtp-source >/dev/null; then
    log "installing Postfix (apt-get)"
    apt-get update -qq
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
  fi
}

# Someone else's run of run.sh is not ours to stop.
pf_running() {
  local d
  for d in "$pf_base/a" "$pf_base/b"; do
    if [ -f "$d/main.cf" ] && postfix -c "$d" status >/dev/null 2>&1; then
      return 0
    fi
  done
  return 1
}

work=""
tb=""
pf_started=no
pf_base_existed=yes
readonly pf_addresses="127.0.1.1 127.0.2.1" # run.sh's A and B, added to lo as /32
pf_addresses_before=""

lo_has() { # ADDRESS: whether lo carries ADDRESS/32 (read whole: no early-closed pipe)
  local lo
  lo=$(ip -4 -o addr show dev lo 2>/dev/null) || return 1
  [[ $lo == *"inet $1/32 "* ]]
}

# Stops run.sh's instances (it also unmounts its store and removes its lo addresses), then
# removes what it left of ours: its address check can miss under pipefail, and /tmp/pfbench.
stop_postfix() {
  "$postfix_run" stop >/dev/null 2>&1 || log "WARNING: '$postfix_run stop' failed"
  local a
  for a in $pf_addresses; do
    if [[ " $pf_addresses_before " != *" $a "* ]] && lo_has "$a"; then
      ip addr del "$a/32" dev lo || log "WARNING: cannot remove $a/32 from lo"
    fi
  done
  if [ "$pf_base_existed" = no ] && ! mountpoint -q "$pf_base/store"; then
    rm -rf "$pf_base"
  fi
  pf_started=no
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$tb" ] && [ -f "$tb/state.json" ]; then
    "$repo/deploy/testbed/testbed.sh" down "$tb" >/dev/null 2>&1 || true
  fi
  if [ "$pf_started" = yes ]; then
    stop_postfix
  fi
  [ -z "$work" ] || rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "$net" ]; then
  for _ in $(seq 1 50); do
    n=$((100 + RANDOM % 150))
    if [ -z "$(ss -Hltun "src 127.$n.0.53" 2>/dev/null)" ] &&
      [ -z "$(ss -Hltn "src 127.$n.1.1" 2>/dev/null)" ]; then
      net=$n
      break
    fi
  done
  [ -n "$net" ] || die "no free --net octet"
fi

install_postfix
pf_running && die "Postfix instances of $pf_base are running already (another run?); stop them with '$postfix_run stop'"
[ -e "$pf_base" ] || pf_base_existed=no
for a in $pf_addresses; do
  if lo_has "$a"; then
    pf_addresses_before+=" $a"
  fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/im2k-compare.XXXXXX")

# ---- Postfix --------------------------------------------------------------------------------
log "Postfix: setup ($postfix_run setup)"
pf_started=yes
"$postfix_run" setup >"$work/postfix-setup.txt" 2>&1 || {
  tail -n 20 "$work/postfix-setup.txt" >&2
  die "Postfix setup failed"
}
log "Postfix: $messages x $size octets, $concurrency sessions, TLS verify, end to end"
"$postfix_run" bench tls "$size" "$messages" "$concurrency" e2e >"$work/postfix.txt" 2>"$work/postfix-err.txt" || {
  cat "$work/postfix-err.txt" >&2
  die "the Postfix benchmark failed"
}
pf_line=$(grep 'mode=e2e' "$work/postfix.txt" | tail -n 1)
[ -n "$pf_line" ] || die "no result line from the Postfix benchmark: $(cat "$work/postfix.txt")"
stop_postfix

# "... | e2e 4.50s = 222 msg/s (delivered 1000) | CPU ... cpu-s A=2.1 B=1.9 smtp-source=0.3 | ..."
pf_e2e=$(sed -n 's/.*| e2e \([0-9.]*\)s = .*/\1/p' <<<"$pf_line")
pf_delivered=$(sed -n 's/.*(delivered \([0-9]*\)).*/\1/p' <<<"$pf_line")
pf_cpu_a=$(sed -n 's/.*cpu-s A=\([0-9.]*\) .*/\1/p' <<<"$pf_line")
pf_cpu_b=$(sed -n 's/.*cpu-s A=[0-9.]* B=\([0-9.]*\) .*/\1/p' <<<"$pf_line")
if [ -z "$pf_e2e" ] || [ -z "$pf_delivered" ]; then
  die "cannot read the Postfix result: $pf_line"
fi

# ---- im2k -----------------------------------------------------------------------------------
tb=$work/testbed
# Room for the message plus a margin for the IMS's own limits.
max_size=$(((size + (1 << 20) - 1) / (1 << 20) + 1))MiB
log "im2k: testbed on 127.$net.x.x (--bin-dir $bin)"
"$repo/deploy/testbed/testbed.sh" up "$tb" --net "$net" --bin-dir "$bin" \
  --retry-initial 1s --retry-max 2s --max-message-size "$max_size" >"$work/testbed.txt" 2>&1 || {
  tail -n 20 "$work/testbed.txt" >&2
  die "the testbed did not come up"
}
log "im2k: $messages x $size octets, $concurrency senders"
im2k_rc=0
"$bin/im2k-bench" --testbed "$tb" --messages "$messages" --size "$size" \
  --concurrency "$concurrency" --json >"$work/im2k.json" 2>"$work/im2k-err.txt" || im2k_rc=$?
jq -e 'has("messages_per_second")' "$work/im2k.json" >/dev/null 2>&1 || {
  cat "$work/im2k-err.txt" "$work/im2k.json" >&2
  die "im2k-bench gave no report (exit $im2k_rc)"
}
"$repo/deploy/testbed/testbed.sh" down "$tb" >/dev/null 2>&1 || log "WARNING: testbed down failed"
tb=""

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$work/postfix.txt" "$work/im2k.json" "$keep/"
fi

# ---- figures --------------------------------------------------------------------------------
im2k_rate=$(jq -r '.messages_per_second' "$work/im2k.json")
im2k_rate=$(awk -v r="$im2k_rate" 'BEGIN { printf "%.1f", r }')
# (In awk a bare '>' after printf's arguments would redirect: hence the parentheses.)
pf_rate=$(awk -v n="$messages" -v s="$pf_e2e" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
echo "compare-postfix: $messages messages x $size octets, concurrency $concurrency, TLS verify, on $(nproc) cores"
echo "postfix (run.sh): $pf_line"
jq -r '"im2k-bench: \(.delivered) of \(.messages) stored (nothing lost: \(.nothing_lost)); " +
  "submit -> stored ms p50 \(.stored_latency_ms.p50) p90 \(.stored_latency_ms.p90) " +
  "p99 \(.stored_latency_ms.p99) max \(.stored_latency_ms.max); " +
  "cpu ms/msg oms \(.per_message.oms.cpu_ms) ims \(.per_message.ims.cpu_ms); " +
  "fsyncs/msg oms \(.per_message.oms.fsyncs.total // "-") ims \(.per_message.ims.fsyncs.total // "-"); " +
  "bench cpu \(.bench_cpu_seconds) s"' "$work/im2k.json"
awk -v n="$messages" -v a="$pf_cpu_a" -v b="$pf_cpu_b" -v d="$pf_delivered" -v s="$pf_e2e" 'BEGIN {
  printf "postfix: %d of %d delivered in %.2f s; cpu ms/msg A %.3f B %.3f\n", d, n, s, 1000 * a / n, 1000 * b / n }'
echo "postfix msg/s end to end: $pf_rate"
echo "im2k    msg/s end to end: $im2k_rate"
ok=yes
[ "$pf_delivered" = "$messages" ] || { ok=no; echo "WARNING: Postfix delivered $pf_delivered of $messages"; }
[ "$(jq -r '.nothing_lost' "$work/im2k.json")" = true ] || { ok=no; echo "WARNING: im2k did not store every message (see im2k-bench's report)"; }
awk -v i="$im2k_rate" -v p="$pf_rate" 'BEGIN {
  if (p > 0) { printf "ratio im2k / postfix: %.2f\n", i / p } else { print "ratio im2k / postfix: -" } }'
[ "$ok" = yes ]
