#!/usr/bin/env bash
# Installs every Debian 12 package that the build, the tests and the testbed need.
# Idempotent: when everything is already installed it only runs dpkg-query and exits.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libboost1.81-dev libssl-dev libc-ares-dev libsqlite3-dev sqlite3
  nlohmann-json3-dev libgtest-dev libgmock-dev googletest
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libyaml-cpp-dev
  unbound openssl procps iproute2 python3 jq systemd curl
  dovecot-core dovecot-imapd dovecot-lmtpd
  clang clang-format clang-tidy libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# libboost1.81-dev replaces the 1.74 headers; apt resolves the conflict itself.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
