#!/usr/bin/env bash
# install-deps.sh - installs the system packages odeon's build, tests and CI
# need (Debian). Idempotent: does nothing when everything is present.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcmocka-dev clang clang-format
      libclang-rt-dev python3-numpy)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
