#!/usr/bin/env bash
# Builds an AssemblyScript function module with this SDK: build.sh ENTRY.ts OUT.wasm. The module
# imports the SDK as "wasmap"; asc runs in the SDK's folder with its asconfig.json (the WASI shim,
# abort reported through the Runtime API). Install the compiler first: npm ci (here).
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 ENTRY.ts OUT.wasm" >&2; exit 2; fi
sdk="$(cd "$(dirname "$0")" && pwd)"
entry="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
out="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/node_modules"
ln -s "$sdk" "$tmp/node_modules/wasmap"
cd "$sdk"
node node_modules/assemblyscript/bin/asc.js "$entry" --config asconfig.json --path "$tmp/node_modules" --outFile "$out"
