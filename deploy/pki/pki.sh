#!/usr/bin/env bash
# A small private CA for im2k: EC P-256 keys, TLS server/client certificates with DNS
# subjectAltNames, revocation and CRLs. Only bash and the openssl command line; no network.
set -euo pipefail

prog=$(basename "$0")

usage() {
  cat <<EOF
Usage:
  $prog init DIR
      Create a CA in DIR: ca.key (EC P-256), ca.pem (self-signed, 10 years), the openssl ca
      database (index.txt, serial, crlnumber) and ca.cnf. Re-running on an existing CA changes
      nothing and prints the same paths.
  $prog issue DIR NAME --dns HOST[,HOST...] [--email ADDRESS[,ADDRESS...]] [--server] [--client]
              [--days N | --not-before T --not-after T] [--self-signed]
      Issue NAME.key (EC P-256) and NAME.pem in DIR with the given DNS subjectAltNames,
      and rfc822Name subjectAltNames for --email (a user certificate: --dns may then be
      omitted; use --client),
      keyUsage digitalSignature and extendedKeyUsage serverAuth and/or clientAuth (both when
      neither flag is given). Validity: --days N (default 365) from now, or an explicit
      --not-before/--not-after (either may be omitted: now / now+365d). --self-signed makes a
      certificate signed by its own key instead of the CA (for tests; --days only).
      NAME may not be issued twice.
  $prog revoke DIR NAME
      Mark NAME revoked in the CA database (run 'crl' afterwards to publish it).
      Revoking an already revoked certificate is not an error.
  $prog crl DIR [--out FILE] [--days N | --hours N | --next-update T] [--last-update T]
      Write a fresh PEM CRL (default DIR/crl.pem, next update in 7 days). A --next-update in
      the past makes a stale CRL (for tests).

Times T: YYYYMMDDHHMMSSZ (UTC, openssl's form) or relative to now: [+-]N followed by
s, m, h or d, for example -2d, +1h, +30m.

Every command prints the paths it wrote, one per line, on standard output.
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

# Converts T (absolute or relative, see usage) to YYYYMMDDHHMMSSZ.
to_time() {
  local t=$1
  if [[ $t =~ ^[0-9]{14}Z$ ]]; then
    echo "$t"
  elif [[ $t =~ ^([+-])([0-9]+)([smhd])$ ]]; then
    local n=${BASH_REMATCH[2]} unit=${BASH_REMATCH[3]} mult=1
    case $unit in
      m) mult=60 ;;
      h) mult=3600 ;;
      d) mult=86400 ;;
    esac
    local secs=$((n * mult))
    if [ "${BASH_REMATCH[1]}" = "-" ]; then secs=$((-secs)); fi
    date -u -d "@$(($(date -u +%s) + secs))" +%Y%m%d%H%M%SZ
  else
    misuse "bad time '$t' (want YYYYMMDDHHMMSSZ or [+-]N[smhd])"
  fi
}

check_name() {
  [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || misuse "bad NAME '$1' (letters, digits, . _ -)"
  case $1 in ca | crl) misuse "NAME '$1' is reserved" ;; esac
}

check_ca() {
  [ -f "$1/ca.pem" ] && [ -f "$1/ca.key" ] && [ -f "$1/ca.cnf" ] ||
    die "$1 is not a CA directory (run '$prog init $1' first)"
}

write_ca_config() {
  local dir=$1
  cat >"$dir/ca.cnf" <<EOF
# Written by pki.sh; paths are relative to this directory (pki.sh runs openssl ca from it).
[ ca ]
default_ca = im2k_ca

[ im2k_ca ]
dir = .
database = \$dir/index.txt
new_certs_dir = \$dir/issued
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 7
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
}

cmd_init() {
  [ $# -eq 1 ] || misuse "init takes exactly one argument: DIR"
  local dir=$1
  if [ -f "$dir/ca.pem" ]; then
    check_ca "$dir"
    echo "$prog: $dir already holds a CA; nothing changed" >&2
  else
    mkdir -p "$dir/issued"
    write_ca_config "$dir"
    : >"$dir/index.txt"
    echo 1000 >"$dir/serial"
    echo 1000 >"$dir/crlnumber"
    (
      umask 077
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
    )
    openssl req -config "$dir/ca.cnf" -new -x509 -key "$dir/ca.key" -subj "/CN=im2k test CA $(basename "$dir")" \
      -days 3650 -extensions v3_ca -out "$dir/ca.pem"
  fi
  printf '%s\n' "$dir/ca.key" "$dir/ca.pem" "$dir/ca.cnf" "$dir/index.txt" "$dir/serial" "$dir/crlnumber"
}

cmd_issue() {
  [ $# -ge 2 ] || misuse "issue needs DIR and NAME"
  local dir=$1 name=$2
  shift 2
  check_name "$name"
  local dns="" email="" server=0 client=0 days="" not_before="" not_after="" self_signed=0
  while [ $# -gt 0 ]; do
    case $1 in
      --dns) [ $# -ge 2 ] || misuse "--dns needs a value"; dns=$2; shift 2 ;;
      --email) [ $# -ge 2 ] || misuse "--email needs a value"; email=$2; shift 2 ;;
      --server) server=1; shift ;;
      --client) client=1; shift ;;
      --days) [ $# -ge 2 ] || misuse "--days needs a value"; days=$2; shift 2 ;;
      --not-before) [ $# -ge 2 ] || misuse "--not-before needs a value"; not_before=$(to_time "$2"); shift 2 ;;
      --not-after) [ $# -ge 2 ] || misuse "--not-after needs a value"; not_after=$(to_time "$2"); shift 2 ;;
      --self-signed) self_signed=1; shift ;;
      *) misuse "issue: unknown option '$1'" ;;
    esac
  done
  [ -n "$dns$email" ] || misuse "issue needs --dns HOST[,HOST...] or --email ADDRESS[,ADDRESS...]"
  if [ -n "$days" ]; then
    [[ $days =~ ^[0-9]+$ ]] && [ "$days" -gt 0 ] || misuse "--days wants a positive number"
    [ -z "$not_before$not_after" ] || misuse "--days excludes --not-before/--not-after"
  fi
  if [ $self_signed = 1 ] && [ -n "$not_before$not_after" ]; then
    misuse "--self-signed supports --days only"
  fi
  check_ca "$dir"
  [ ! -e "$dir/$name.pem" ] || die "$dir/$name.pem exists: NAME '$name' was already issued"

  local san="" host address
  local hosts=() addresses=()
  [ -z "$dns" ] || IFS=',' read -r -a hosts <<<"$dns"
  for host in "${hosts[@]}"; do
    [[ $host =~ ^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || misuse "bad DNS name '$host'"
    san+="${san:+,}DNS:$host"
  done
  [ -z "$email" ] || IFS=',' read -r -a addresses <<<"$email"
  for address in "${addresses[@]}"; do
    [[ $address =~ ^[A-Za-z0-9._+-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] ||
      misuse "bad email address '$address'"
    san+="${san:+,}email:$address"
  done
  # The subject CN is informational only (names come from subjectAltName).
  local cn=${hosts[0]:-${addresses[0]}}
  local eku=""
  if [ $server = 0 ] && [ $client = 0 ]; then server=1 client=1; fi
  [ $server = 1 ] && eku+="serverAuth"
  [ $client = 1 ] && eku+="${eku:+,}clientAuth"

  # Globals, so that the EXIT trap still sees them after this function returns.
  cleanup_ext=$(mktemp "$dir/.ext.XXXXXX")
  cleanup_csr="$dir/$name.csr"
  trap 'rm -f "$cleanup_ext" "$cleanup_csr"' EXIT
  local ext=$cleanup_ext
  cat >"$ext" <<EOF
[ leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = $eku
subjectAltName = $san
subjectKeyIdentifier = hash
EOF
  [ $self_signed = 1 ] || echo "authorityKeyIdentifier = keyid:always" >>"$ext"

  (
    umask 077
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>/dev/null
  )
  if [ $self_signed = 1 ]; then
    # openssl req has no -extfile: the leaf section goes after the CA configuration.
    cat "$dir/ca.cnf" >>"$ext"
    openssl req -config "$ext" -new -x509 -key "$dir/$name.key" -subj "/CN=$cn" \
      -days "${days:-365}" -extensions leaf -out "$dir/$name.pem" 2>/dev/null ||
      { rm -f "$dir/$name.key"; die "openssl req failed for $name"; }
  else
    openssl req -config "$dir/ca.cnf" -new -key "$dir/$name.key" -subj "/CN=$cn" \
      -out "$dir/$name.csr"
    local validity=()
    if [ -n "$not_before$not_after" ]; then
      validity=(-startdate "${not_before:-$(to_time +0s)}" -enddate "${not_after:-$(to_time +365d)}")
    else
      validity=(-days "${days:-365}")
    fi
    (cd "$dir" && openssl ca -batch -notext -config ca.cnf "${validity[@]}" -extfile "$(basename "$ext")" \
      -extensions leaf -in "$name.csr" -out "$name.pem" 2>/dev/null) ||
      { rm -f "$dir/$name.key"; die "openssl ca failed to issue $name (bad dates?)"; }
  fi
  printf '%s\n' "$dir/$name.key" "$dir/$name.pem"
}

cmd_revoke() {
  [ $# -eq 2 ] || misuse "revoke takes DIR and NAME"
  local dir=$1 name=$2
  check_name "$name"
  check_ca "$dir"
  [ -f "$dir/$name.pem" ] || die "no certificate $dir/$name.pem"
  [ "$(openssl x509 -in "$dir/$name.pem" -noout -issuer_hash)" = \
    "$(openssl x509 -in "$dir/ca.pem" -noout -subject_hash)" ] ||
    die "$name was not issued by the CA in $dir"
  local serial
  serial=$(openssl x509 -in "$dir/$name.pem" -noout -serial | cut -d= -f2)
  if grep -q "^R[[:space:]].*[[:space:]]${serial}[[:space:]]" "$dir/index.txt"; then
    echo "$prog: $name (serial $serial) is already revoked" >&2
  else
    (cd "$dir" && openssl ca -batch -config ca.cnf -revoke "$name.pem" 2>/dev/null) ||
      die "openssl ca failed to revoke $name (self-signed or not issued by this CA?)"
  fi
  printf '%s\n' "$dir/index.txt"
}

cmd_crl() {
  [ $# -ge 1 ] || misuse "crl needs DIR"
  local dir=$1
  shift
  local out="" next=() last=()
  while [ $# -gt 0 ]; do
    case $1 in
      --out) [ $# -ge 2 ] || misuse "--out needs a value"; out=$2; shift 2 ;;
      --days) [[ ${2:-} =~ ^[0-9]+$ ]] || misuse "--days wants a number"; next=(-crldays "$2"); shift 2 ;;
      --hours) [[ ${2:-} =~ ^[0-9]+$ ]] || misuse "--hours wants a number"; next=(-crlhours "$2"); shift 2 ;;
      --next-update) [ $# -ge 2 ] || misuse "--next-update needs a value"; next=(-crl_nextupdate "$(to_time "$2")"); shift 2 ;;
      --last-update) [ $# -ge 2 ] || misuse "--last-update needs a value"; last=(-crl_lastupdate "$(to_time "$2")"); shift 2 ;;
      *) misuse "crl: unknown option '$1'" ;;
    esac
  done
  check_ca "$dir"
  [ -n "$out" ] || out="$dir/crl.pem"
  # A stale CRL needs a lastUpdate before its nextUpdate.
  if [ ${#next[@]} -gt 0 ] && [ "${next[0]}" = -crl_nextupdate ] && [ ${#last[@]} -eq 0 ]; then
    last=(-crl_lastupdate "$(to_time -30d)")
  fi
  local abs_out tmp
  abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
  tmp=$(mktemp "$abs_out.XXXXXX")
  # Written to a temporary name, then renamed: a reader never sees half a CRL.
  (cd "$dir" && openssl ca -batch -config ca.cnf -gencrl -crlexts crl_ext "${next[@]}" "${last[@]}" \
    -out "$tmp" 2>/dev/null) || { rm -f "$tmp"; die "openssl ca failed to write the CRL"; }
  chmod 644 "$tmp"
  mv -f "$tmp" "$abs_out"
  printf '%s\n' "$out"
}

[ $# -ge 1 ] || misuse "missing command"
command=$1
shift
case $command in
  -h | --help | help) usage ;;
  init) cmd_init "$@" ;;
  issue) cmd_issue "$@" ;;
  revoke) cmd_revoke "$@" ;;
  crl) cmd_crl "$@" ;;
  *) misuse "unknown command '$command'" ;;
esac
