#!/usr/bin/env bash
# Builds a Rust function module with this SDK, with Debian's rustc for wasm32-wasi (no cargo, no
# crates): build.sh MAIN.rs OUT.wasm. RUSTC overrides the compiler (default /usr/bin/rustc: a
# rustup rustc earlier on PATH usually lacks the wasm32-wasi target).
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 MAIN.rs OUT.wasm" >&2; exit 2; fi
sdk="$(cd "$(dirname "$0")" && pwd)"
rustc="${RUSTC:-/usr/bin/rustc}"
out="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$rustc" --edition 2021 --crate-type rlib --crate-name wasmap --target wasm32-wasi -C opt-level=2 -C strip=debuginfo \
  "$sdk/src/lib.rs" -o "$tmp/libwasmap.rlib"
"$rustc" --edition 2021 --crate-type bin --target wasm32-wasi -C opt-level=2 -C strip=debuginfo \
  --extern wasmap="$tmp/libwasmap.rlib" -L "$tmp" "$1" -o "$out"
