#!/usr/bin/env bash
# A multi-domain im2k testbed on loopback: a real unbound serving the zones, a private CA, and
# per domain an OMS and an IMS on their own addresses. See deploy/testbed/README.md.
set -euo pipefail

prog=$(basename "$0")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage() {
  cat <<EOF
Usage:
  $prog up DIR [--net N] [--extra-domain NAME]... [--retry-initial D] [--retry-max D]
               [--spf DOMAIN=RECORD]... [--forward ZONE=PORT]... [--bin-dir DIR]
               [--oms-append FILE] [--ims-append FILE] [--max-message-size SIZE]
      Bring up a testbed in DIR (created; must not hold a testbed already): unbound on
      127.N.0.53:5300, a CA in DIR/ca with a CRL, and domains alpha.test, beta.test and every
      extra domain, domain k (1, 2, ...) with oms.<domain> on 127.N.k.1 and mx.<domain> on
      127.N.k.2. Users: alice@alpha.test, bob@beta.test, carol@beta.test, dave@<extra>.
      Writes DIR/state.json. Waits until every listener accepts; on failure stops all it started.
        --net N            second octet of every address, 0-255 (default 0)
        --retry-initial D  first retry delay of notifies and pulls (default 1m); --retry-max (1h)
        --spf DOMAIN=REC   the domain's SPF TXT record instead of "v=spf1 ip4:<oms> -all";
                           REC "none" publishes no TXT record
        --forward Z=PORT   forward zone Z to 127.0.0.1@PORT (e.g. a server that never answers)
        --bin-dir DIR      where im2k-oms and im2k-ims are (default \$IM2K_BIN_DIR, else
                           $repo/build/bin)
        --oms-append FILE  TOML appended verbatim to every OMS config (start with a [table]
                           header); --ims-append FILE the same for every IMS config
        --max-message-size SIZE  max_message_size of every OMS and IMS (default 10MiB)
  $prog down DIR             stop every process the testbed started (SIGTERM, then SIGKILL)
  $prog status DIR           one line per service; exit 0 if all run, 3 otherwise
  $prog stop DIR SERVICE     SIGTERM and wait (bounded); SERVICE: a host name or dns
  $prog start DIR SERVICE    start a stopped service and wait until it listens
  $prog kill DIR SERVICE     SIGKILL (crash tests)
  $prog set-spf DIR DOMAIN RECORD|none
                             change a domain's SPF record and restart dns if it runs
EOF
}

die() {
  echo "$prog: $*" >&2
  exit 1
}

misuse() {
  echo "$prog: $*" >&2
  echo "Try '$prog --help'." >&2
  exit 2
}

readonly dns_port=5300
readonly metrics_port=9100 # on every server's own address
readonly ttl=1 # short, so that a changed record is seen at once
readonly start_timeout=20
readonly stop_timeout=15

# ---- processes ------------------------------------------------------------------------------

# The start time of PID (field 22 of /proc/PID/stat), empty if there is no such process.
start_time_of() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# Whether the pid file of SERVICE names a live process that is the one we started (same start
# time, not a zombie). Prints the pid if so.
live_pid() {
  local file="$dir/run/$1.pid" pid started state
  [ -f "$file" ] || return 1
  read -r pid started <"$file" || return 1
  [ -n "$pid" ] || return 1
  [ "$(start_time_of "$pid")" = "$started" ] || return 1
  state=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] || return 1
  echo "$pid"
}

# Starts the command in its own session (so it outlives this script and a test's process
# group), logging to LOG, and records it as SERVICE.
spawn() {
  local service=$1 log=$2
  shift 2
  setsid "$@" </dev/null >>"$log" 2>&1 9>&- &
  local pid=$!
  local started=""
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    started=$(start_time_of "$pid")
    [ -n "$started" ] && break
    sleep 0.05
  done
  echo "$pid $started" >"$dir/run/$service.pid"
}

listening() { # ADDRESS PORT
  [ -n "$(ss -Hltn "src $1:$2" 2>/dev/null)" ]
}

all_listening() { # ADDRESS PORT...
  local address=$1 port
  shift
  for port in "$@"; do
    listening "$address" "$port" || return 1
  done
}

dns_listening() {
  [ -n "$(ss -Hlun "src $dns_address:$dns_port" 2>/dev/null)" ]
}

# Waits until SERVICE listens on all its endpoints; fails if the process dies or time runs out.
wait_ready() {
  local service=$1 deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    if ! live_pid "$service" >/dev/null; then
      echo "$prog: $service exited during start; its output:" >&2
      tail -n 20 "$(output_of "$service")" >&2 || true
      return 1
    fi
    if service_ready "$service"; then
      return 0
    fi
    sleep 0.1
  done
  echo "$prog: $service did not listen within ${start_timeout}s; its output:" >&2
  tail -n 20 "$(output_of "$service")" >&2 || true
  return 1
}

service_ready() {
  local service=$1
  case $service in
    dns) dns_listening ;;
    oms.*) all_listening "$(address_of "$service")" 4653 4652 "$metrics_port" ;;
    mx.*) all_listening "$(address_of "$service")" 4650 4651 "$metrics_port" ;;
  esac
}

# SIGTERM, wait up to stop_timeout, then SIGKILL. Quiet if not running.
stop_service() {
  local service=$1 pid
  pid=$(live_pid "$service") || {
    rm -f "$dir/run/$service.pid"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + stop_timeout))
  while ((SECONDS < deadline)) && live_pid "$service" >/dev/null; do
    sleep 0.1
  done
  if live_pid "$service" >/dev/null; then
    echo "$prog: $service (pid $pid) ignored SIGTERM for ${stop_timeout}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$service"
  fi
  rm -f "$dir/run/$service.pid"
}

kill_service() {
  local service=$1 pid
  pid=$(live_pid "$service") || die "$service is not running"
  kill -KILL "$pid"
  wait_gone "$service"
  rm -f "$dir/run/$service.pid"
}

wait_gone() {
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)) && live_pid "$1" >/dev/null; do
    sleep 0.05
  done
  ! live_pid "$1" >/dev/null || die "$1 is still running after SIGKILL"
}

# ---- layout ---------------------------------------------------------------------------------

# Loads DIR/testbed.conf (written by up): net, domains, retry settings, bin_dir, spf, forwards.
load() {
  [ -f "$dir/testbed.conf" ] || die "$dir holds no testbed (no testbed.conf)"
  # shellcheck disable=SC1091
  source "$dir/testbed.conf"
  max_message_size=${max_message_size:-10MiB} # a testbed.conf older than the option
  dns_address="127.$net.0.53"
}

services() {
  echo dns
  local d
  for d in "${domains[@]}"; do
    echo "mx.$d"
    echo "oms.$d"
  done
}

index_of_domain() {
  local i
  for i in "${!domains[@]}"; do
    if [ "${domains[$i]}" = "$1" ]; then
      echo $((i + 1))
      return 0
    fi
  done
  return 1
}

address_of() { # SERVICE
  local service=$1 k
  case $service in
    dns) echo "$dns_address" ;;
    oms.*) k=$(index_of_domain "${service#oms.}") && echo "127.$net.$k.1" ;;
    mx.*) k=$(index_of_domain "${service#mx.}") && echo "127.$net.$k.2" ;;
    *) return 1 ;;
  esac
}

check_service() {
  [ "$1" = dns ] && return 0
  address_of "$1" >/dev/null || die "unknown service '$1' (want dns or one of: $(services | tr '\n' ' '))"
}

output_of() { echo "$dir/logs/$1.out"; }

users_of() { # DOMAIN
  case $1 in
    alpha.test) echo alice ;;
    beta.test) echo bob carol ;;
    *) echo dave ;;
  esac
}

spf_of() { # DOMAIN: the record ("none": no record)
  local d=$1 i
  for i in "${!spf_overrides[@]}"; do
    if [ "${spf_overrides[$i]%%=*}" = "$d" ]; then
      echo "${spf_overrides[$i]#*=}"
      return
    fi
  done
  echo "v=spf1 ip4:$(address_of "oms.$d") -all"
}

# ---- files ----------------------------------------------------------------------------------

write_testbed_conf() {
  {
    echo "net=$net"
    printf 'domains=(%s)\n' "$(printf '%q ' "${domains[@]}")"
    printf 'retry_initial=%q\nretry_max=%q\nbin_dir=%q\n' "$retry_initial" "$retry_max" "$bin_dir"
    printf 'max_message_size=%q\n' "$max_message_size"
    printf 'spf_overrides=(%s)\n' "$(printf '%q ' "${spf_overrides[@]+"${spf_overrides[@]}"}")"
    printf 'forwards=(%s)\n' "$(printf '%q ' "${forwards[@]+"${forwards[@]}"}")"
  } >"$dir/testbed.conf"
}

write_unbound_conf() {
  local f="$dir/dns/unbound.conf" d k oms mx spf z
  {
    echo "server:"
    echo "  verbosity: 1"
    echo "  num-threads: 1"
    echo "  interface: $dns_address@$dns_port"
    echo "  port: $dns_port"
    echo "  do-ip4: yes"
    echo "  do-ip6: no"
    echo "  do-daemonize: no"
    echo "  use-syslog: no"
    echo "  logfile: \"\""
    echo "  chroot: \"\""
    echo "  username: \"\""
    echo "  directory: \"$dir/dns\""
    echo "  pidfile: \"\""
    echo "  module-config: \"iterator\""
    echo "  access-control: 127.0.0.0/8 allow"
    echo "  do-not-query-localhost: no"
    echo "  so-reuseport: no"
    echo "  rrset-roundrobin: no"
    echo "  minimal-responses: no"
    echo "  cache-max-ttl: $ttl"
    echo "  cache-max-negative-ttl: $ttl"
    echo "  local-zone: \"test.\" nodefault"
    echo "  local-zone: \".\" refuse"
    for z in "${forwards[@]+"${forwards[@]}"}"; do
      echo "  local-zone: \"${z%%=*}\" transparent"
    done
    for d in "${domains[@]}"; do
      k=$(index_of_domain "$d")
      oms="127.$net.$k.1"
      mx="127.$net.$k.2"
      echo "  local-zone: \"$d.\" static"
      echo "  local-data: \"$d. $ttl IN SOA ns.$d. hostmaster.$d. 1 3600 600 86400 $ttl\""
      echo "  local-data: \"$d. $ttl IN MX 10 mx.$d.\""
      spf=$(spf_of "$d")
      if [ "$spf" != none ]; then
        echo "  local-data: '$d. $ttl IN TXT \"$spf\"'"
      fi
      echo "  local-data: \"oms.$d. $ttl IN A $oms\""
      echo "  local-data: \"mx.$d. $ttl IN A $mx\""
    done
    echo "remote-control:"
    echo "  control-enable: no"
    for z in "${forwards[@]+"${forwards[@]}"}"; do
      echo "forward-zone:"
      echo "  name: \"${z%%=*}\""
      echo "  forward-addr: 127.0.0.1@${z#*=}"
    done
  } >"$f"
}

write_tls_section() { # HOST
  cat <<EOF
[control]
socket = "$dir/$1/state/control.sock"

[metrics]
listen = "$(address_of "$1"):$metrics_port"

[tls]
cert = "$dir/ca/$1.pem"
key = "$dir/ca/$1.key"
ca_file = "$dir/ca/ca.pem"
crl_files = ["$dir/ca/crl.pem"]
crl = "require"

[dns]
servers = ["$dns_address:$dns_port"]

[log]
level = "info"
file = "$dir/logs/$1.log"
EOF
}

# The --oms-append / --ims-append text (copied into DIR/append at up), verbatim.
append_file() { # oms|ims
  local f="$dir/append/$1.toml"
  if [ -f "$f" ]; then
    echo
    cat "$f"
  fi
}

write_oms_conf() { # DOMAIN
  local d=$1 host="oms.$1" a
  a=$(address_of "$host")
  mkdir -p "$dir/$host"
  {
    cat <<EOF
host = "$host"
domains = ["$d"]
state_dir = "$dir/$host/state"
max_message_size = "$max_message_size"
retention = "7d"
grace = "1d"
bind_address = "$a"

[submit]
listen = "$a:4653"

[pull]
listen = "$a:4652"

[notify]
port = 4650
retry_initial = "$retry_initial"
retry_max = "$retry_max"
connect_timeout = "5s"

EOF
    write_tls_section "$host"
    append_file oms
  } >"$dir/$host/oms.toml"
}

write_ims_conf() { # DOMAIN
  local d=$1 host="mx.$1" a
  a=$(address_of "$host")
  mkdir -p "$dir/$host"
  {
    cat <<EOF
host = "$host"
domains = ["$d"]
state_dir = "$dir/$host/state"
max_message_size = "$max_message_size"
bind_address = "$a"

[notify]
listen = "$a:4650"

[mailbox]
listen = "$a:4651"

[pull]
port = 4652
connect_timeout = "5s"
retry_initial = "$retry_initial"
retry_max = "$retry_max"

EOF
    write_tls_section "$host"
    append_file ims
  } >"$dir/$host/ims.toml"
}

config_of() { # SERVICE
  case $1 in
    dns) echo "$dir/dns/unbound.conf" ;;
    oms.*) echo "$dir/$1/oms.toml" ;;
    mx.*) echo "$dir/$1/ims.toml" ;;
  esac
}

write_user_files() { # DOMAIN USER
  local d=$1 u="$2@$1" pw
  pw="$dir/users/$u.password"
  (umask 077 && openssl rand -hex 16 >"$pw")
  chmod 600 "$pw"
  cat >"$dir/users/$u.toml" <<EOF
# im2k client configuration for $u (testbed $dir)
user = "$u"
password_file = "$pw"
ca_file = "$dir/ca/ca.pem"

[submit]
server = "oms.$d"
address = "$(address_of "oms.$d"):4653"

[mailbox]
server = "mx.$d"
address = "$(address_of "mx.$d"):4651"
EOF
}

json_or_null() { if [ -n "$1" ]; then echo "$1"; else echo null; fi; }

# DIR/state.json from the layout and the live pids (rewritten after every change).
write_state() {
  local d k doms="[]" users oms_pid mx_pid dns_pid u
  for d in "${domains[@]}"; do
    k=$(index_of_domain "$d")
    users="[]"
    for u in $(users_of "$d"); do
      users=$(jq -c --arg a "$u@$d" --arg p "$dir/users/$u@$d.password" \
        --arg c "$dir/users/$u@$d.toml" \
        '. + [{address: $a, password_file: $p, client_config: $c}]' <<<"$users")
    done
    oms_pid=$(json_or_null "$(live_pid "oms.$d" || true)")
    mx_pid=$(json_or_null "$(live_pid "mx.$d" || true)")
    doms=$(jq -c --arg name "$d" --arg dir "$dir" --argjson k "$k" --argjson net "$net" \
      --arg spf "$(spf_of "$d")" --argjson users "$users" \
      --argjson oms_pid "$oms_pid" --argjson mx_pid "$mx_pid" --argjson metrics_port "$metrics_port" '
      def server($host; $address; $kind; $ports; $pid): {
        host: $host, address: $address, ports: $ports,
        cert: "\($dir)/ca/\($host).pem", key: "\($dir)/ca/\($host).key",
        config: "\($dir)/\($host)/\($kind).toml", state_dir: "\($dir)/\($host)/state",
        control_socket: "\($dir)/\($host)/state/control.sock",
        metrics: "\($address):\($metrics_port)",
        log: "\($dir)/logs/\($host).log", output: "\($dir)/logs/\($host).out",
        pid: $pid};
      . + [{
        name: $name,
        spf: (if $spf == "none" then null else $spf end),
        oms: server("oms.\($name)"; "127.\($net).\($k).1"; "oms";
                    {submit: 4653, pull: 4652}; $oms_pid),
        ims: server("mx.\($name)"; "127.\($net).\($k).2"; "ims";
                    {notify: 4650, mailbox: 4651}; $mx_pid),
        users: $users}]' <<<"$doms")
  done
  dns_pid=$(json_or_null "$(live_pid dns || true)")
  jq -n --arg dir "$dir" --argjson net "$net" --arg dns "$dns_address" \
    --argjson port "$dns_port" --argjson dns_pid "$dns_pid" --argjson domains "$doms" \
    --arg bin "$bin_dir" --arg ri "$retry_initial" --arg rm "$retry_max" '{
      dir: $dir, net: $net, bin_dir: $bin, retry_initial: $ri, retry_max: $rm,
      dns: {address: $dns, port: $port, server: "\($dns):\($port)",
            config: "\($dir)/dns/unbound.conf", output: "\($dir)/logs/dns.out", pid: $dns_pid},
      ca: {dir: "\($dir)/ca", cert: "\($dir)/ca/ca.pem", key: "\($dir)/ca/ca.key",
           crl: "\($dir)/ca/crl.pem"},
      domains: $domains}' >"$dir/state.json.tmp"
  mv "$dir/state.json.tmp" "$dir/state.json"
}

# ---- services -------------------------------------------------------------------------------

start_service() { # SERVICE
  local service=$1
  if live_pid "$service" >/dev/null; then
    return 0
  fi
  case $service in
    dns) spawn dns "$(output_of dns)" unbound -d -c "$dir/dns/unbound.conf" ;;
    oms.*) spawn "$service" "$(output_of "$service")" "$bin_dir/im2k-oms" --config "$(config_of "$service")" ;;
    mx.*) spawn "$service" "$(output_of "$service")" "$bin_dir/im2k-ims" --config "$(config_of "$service")" ;;
  esac
  wait_ready "$service"
}

# Each user in both daemons of its domain (one user db per daemon). The commands run in
# parallel: each waits mostly for its durable commit.
add_users() {
  local d u pids=() pid
  for d in "${domains[@]}"; do
    for u in $(users_of "$d"); do
      write_user_files "$d" "$u"
      "$bin_dir/im2k-oms" user add --config "$dir/oms.$d/oms.toml" "$u@$d" \
        --password-file "$dir/users/$u@$d.password" >/dev/null 9>&- &
      pids+=($!)
      "$bin_dir/im2k-ims" user add --config "$dir/mx.$d/ims.toml" "$u@$d" \
        --password-file "$dir/users/$u@$d.password" >/dev/null 9>&- &
      pids+=($!)
    done
  done
  local failed=0
  for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
  done
  ((failed == 0)) || die "adding the users failed"
}

any_running() {
  local s
  for s in $(services); do
    if live_pid "$s" >/dev/null; then return 0; fi
  done
  return 1
}

stop_all() {
  local s
  # Servers first, so that none logs DNS failures while stopping.
  for s in $(services | grep -v '^dns$'); do
    stop_service "$s"
  done
  stop_service dns
}

cmd_up() {
  net=0
  domains=(alpha.test beta.test)
  retry_initial=1m
  retry_max=1h
  max_message_size=10MiB
  bin_dir=${IM2K_BIN_DIR:-$repo/build/bin}
  spf_overrides=()
  forwards=()
  local oms_append="" ims_append=""
  while (($#)); do
    case $1 in
      --net) net=${2:?}; shift 2 ;;
      --extra-domain) domains+=("${2:?}"); shift 2 ;;
      --retry-initial) retry_initial=${2:?}; shift 2 ;;
      --retry-max) retry_max=${2:?}; shift 2 ;;
      --spf) spf_overrides+=("${2:?}"); shift 2 ;;
      --forward) forwards+=("${2:?}"); shift 2 ;;
      --bin-dir) bin_dir=${2:?}; shift 2 ;;
      --oms-append) oms_append=${2:?}; shift 2 ;;
      --ims-append) ims_append=${2:?}; shift 2 ;;
      --max-message-size) max_message_size=${2:?}; shift 2 ;;
      *) misuse "up: unknown option '$1'" ;;
    esac
  done
  if ! [[ $net =~ ^[0-9]{1,3}$ ]] || ((10#$net > 255)); then
    misuse "--net wants 0-255, not '$net'"
  fi
  net=$((10#$net))
  [[ $max_message_size =~ ^[1-9][0-9]*(B|KiB|MiB|GiB)?$ ]] ||
    misuse "--max-message-size wants a size like 10MiB or 52428800, not '$max_message_size'"
  local d
  for d in "${domains[@]:2}"; do
    [[ $d =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$ ]] ||
      misuse "--extra-domain wants a lower-case domain name, not '$d'"
  done
  [ "$(printf '%s\n' "${domains[@]}" | sort | uniq -d)" = "" ] || misuse "a domain is given twice"
  ((${#domains[@]} <= 250)) || misuse "too many domains"
  for d in "${spf_overrides[@]+"${spf_overrides[@]}"}"; do
    [[ $d == *=* ]] || misuse "--spf wants DOMAIN=RECORD, not '$d'"
    [[ $d != *\"* && $d != *\'* ]] || misuse "--spf: no quotes in the record"
  done
  for d in "${forwards[@]+"${forwards[@]}"}"; do
    [[ $d =~ ^[a-z0-9.-]+=[0-9]+$ ]] ||
      misuse "--forward wants ZONE=PORT, not '$d'"
  done
  local f
  for f in "$oms_append" "$ims_append"; do
    [ -z "$f" ] || [ -f "$f" ] || misuse "no such file '$f' (--oms-append / --ims-append)"
  done
  [ -x "$bin_dir/im2k-oms" ] || die "no im2k-oms in $bin_dir (build it, or pass --bin-dir)"
  [ -x "$bin_dir/im2k-ims" ] || die "no im2k-ims in $bin_dir (build it, or pass --bin-dir)"
  command -v unbound >/dev/null || die "unbound is not installed"
  command -v jq >/dev/null || die "jq is not installed"

  if [ -f "$dir/testbed.conf" ]; then
    (load && any_running) && die "a testbed is already running in $dir ('$prog down $dir' first)"
    die "$dir already holds a testbed (stopped); remove it or use another directory"
  fi
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    die "$dir is not empty"
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  dns_address="127.$net.0.53"

  # Nothing else may hold our addresses: a testbed with the same --net elsewhere.
  local s
  if [ -n "$(ss -Hlun "src $dns_address:$dns_port" 2>/dev/null)" ]; then
    die "$dns_address:$dns_port is in use (another testbed with --net $net?)"
  fi
  for d in "${domains[@]}"; do
    local k=$(($(index_of_domain "$d")))
    for s in "127.$net.$k.1:4652" "127.$net.$k.1:4653" "127.$net.$k.1:$metrics_port" \
      "127.$net.$k.2:4650" "127.$net.$k.2:4651" "127.$net.$k.2:$metrics_port"; do
      [ -z "$(ss -Hltn "src $s" 2>/dev/null)" ] || die "$s is in use (another testbed with --net $net?)"
    done
  done

  mkdir -p "$dir/ca" "$dir/dns" "$dir/logs" "$dir/run" "$dir/users" "$dir/append"
  chmod 700 "$dir/users"
  # Copied, so that start after a change of the original still writes the same configs.
  [ -z "$oms_append" ] || cp "$oms_append" "$dir/append/oms.toml"
  [ -z "$ims_append" ] || cp "$ims_append" "$dir/append/ims.toml"
  write_testbed_conf

  up_done=0
  trap 'if [ "$up_done" = 0 ]; then echo "$prog: up failed; stopping what it started" >&2; stop_all; write_state || true; fi' EXIT
  "$repo/deploy/pki/pki.sh" init "$dir/ca" >/dev/null
  for d in "${domains[@]}"; do
    "$repo/deploy/pki/pki.sh" issue "$dir/ca" "oms.$d" --dns "oms.$d" >/dev/null
    "$repo/deploy/pki/pki.sh" issue "$dir/ca" "mx.$d" --dns "mx.$d" >/dev/null
  done
  "$repo/deploy/pki/pki.sh" crl "$dir/ca" --days 30 >/dev/null
  write_unbound_conf
  for d in "${domains[@]}"; do
    write_oms_conf "$d"
    write_ims_conf "$d"
  done
  add_users
  start_service dns
  for d in "${domains[@]}"; do
    start_service "mx.$d"
    start_service "oms.$d"
  done
  write_state
  up_done=1
  echo "$dir/state.json"
}

cmd_status() {
  local s pid all=0
  for s in $(services); do
    if pid=$(live_pid "$s"); then
      echo "$s $(address_of "$s") running pid $pid"
    else
      echo "$s $(address_of "$s") stopped"
      all=3
    fi
  done
  return $all
}

main() {
  (($#)) || {
    usage >&2
    exit 2
  }
  case $1 in
    -h | --help | help)
      usage
      exit 0
      ;;
  esac
  local command=$1
  (($# >= 2)) || misuse "$command: DIR is missing"
  dir=$2
  shift 2
  case $command in
    up) ;;
    *)
      [ -d "$dir" ] || die "no directory $dir"
      dir=$(cd "$dir" && pwd)
      ;;
  esac
  if [ "$command" != up ]; then
    load
    # One change at a time per testbed.
    exec 9>"$dir/run/.lock"
    flock -w 60 9 || die "$dir is locked by another $prog"
  fi
  case $command in
    up) cmd_up "$@" ;;
    down)
      (($# == 0)) || misuse "down takes no options"
      stop_all
      write_state
      ;;
    status)
      (($# == 0)) || misuse "status takes no options"
      cmd_status
      ;;
    stop | start | kill)
      (($# == 1)) || misuse "$command: SERVICE is missing"
      check_service "$1"
      case $command in
        stop) stop_service "$1" ;;
        start) start_service "$1" ;;
        kill) kill_service "$1" ;;
      esac
      write_state
      ;;
    set-spf)
      (($# == 2)) || misuse "set-spf: DOMAIN RECORD"
      index_of_domain "$1" >/dev/null || die "unknown domain '$1'"
      [[ $2 != *\"* && $2 != *\'* ]] || misuse "set-spf: no quotes in the record"
      local kept=() o
      for o in "${spf_overrides[@]+"${spf_overrides[@]}"}"; do
        [ "${o%%=*}" = "$1" ] || kept+=("$o")
      done
      spf_overrides=("${kept[@]+"${kept[@]}"}" "$1=$2")
      write_testbed_conf
      write_unbound_conf
      if live_pid dns >/dev/null; then
        stop_service dns
        start_service dns
      fi
      write_state
      ;;
    *) misuse "unknown command '$command'" ;;
  esac
}

main "$@"
