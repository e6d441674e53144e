#!/usr/bin/env bash
# Builds a C function module with this SDK, with Debian's clang and wasi-libc:
# build.sh OUT.wasm FILE.c... (CC overrides the compiler; CFLAGS adds flags).
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 OUT.wasm FILE.c..." >&2; exit 2; fi
sdk="$(cd "$(dirname "$0")" && pwd)"
out="$1"
shift
# shellcheck disable=SC2086
"${CC:-clang}" --target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-debug ${CFLAGS:-} \
  -I "$sdk/include" "$sdk/src/wasmap.c" "$@" -o "$out"
