#!/bin/bash
# Installs every Debian package stp2bpf needs to build, test and run.  Idempotent and quiet:
# it does nothing when everything is installed, and needs root (or sudo) otherwise.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build clang g++ make pkg-config default-jre-headless
  antlr4 libantlr4-runtime-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev zlib1g-dev
  # BPF: libbpf, ELF, in-process LLVM/clang, tools used by tests and benchmarks
  libbpf-dev libelf-dev llvm-14-dev libclang-cpp14-dev libclang-14-dev libclang-rt-14-dev
  bpftool bpftrace
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev tmux
  # SystemTap's tapset library and its 201 example scripts (inputs of the corpus tests)
  systemtap systemtap-doc
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "install-deps: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
