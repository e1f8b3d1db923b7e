#!/usr/bin/env bash
# Builds every Carapace example function into examples/out/NAME.wasm (WASI preview 1).
#
#   examples/build.sh            build what is missing or older than its source
#
# C:    clang --target=wasm32-wasi -O2 -s   (Debian: clang, lld, wasi-libc, libclang-rt-N-dev-wasm32)
# Rust: /usr/bin/rustc --target wasm32-wasi (Debian: rustc, libstd-rust-dev-wasm32); Debian's
#       rustc is used on purpose, a rustup toolchain on PATH usually lacks the wasm32-wasi std.
#
# Installs nothing: when a tool is missing it names the apt package and exits 1.
# Overrides: CC (default clang), RUSTC_WASI (default /usr/bin/rustc),
#            WASI_SYSROOT (default: clang's built-in Debian paths).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
out="$here/out"

cc="${CC:-clang}"
rustc="${RUSTC_WASI:-/usr/bin/rustc}"
sysroot_flags=()
[ -n "${WASI_SYSROOT:-}" ] && sysroot_flags=(--sysroot "$WASI_SYSROOT")

c_examples=(hello wordcount sha256 readfile memhog spin escape marker hostcall args clock echo notes)
rust_examples=(hello_rust)

# Extra compiler/linker flags for the few sources that need wasi-libc's emulation
# libraries (-D_WASI_EMULATED_... / -lwasi-emulated-...). None needs them today.
extra_flags() {
  case "$1" in
    *) ;;
  esac
}

# ---- tool checks --------------------------------------------------------------------------------
missing=()
need() { # need DESCRIPTION APT_PACKAGE
  missing+=("$1 (apt package: $2)")
}
if ! command -v "$cc" >/dev/null 2>&1; then
  need "$cc" clang
else
  clang_major="$("$cc" -dumpversion 2>/dev/null | cut -d. -f1)"
  command -v wasm-ld >/dev/null 2>&1 || command -v "wasm-ld-$clang_major" >/dev/null 2>&1 ||
    need "wasm-ld" lld
  if [ -z "${WASI_SYSROOT:-}" ]; then
    [ -f /usr/include/wasm32-wasi/stdio.h ] && [ -f /usr/lib/wasm32-wasi/libc.a ] ||
      need "the WASI sysroot (/usr/include/wasm32-wasi, /usr/lib/wasm32-wasi)" wasi-libc
  elif [ ! -d "$WASI_SYSROOT" ]; then
    missing+=("WASI_SYSROOT=$WASI_SYSROOT (no such directory)")
  fi
  builtins="$("$cc" --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null || true)"
  [ -n "$builtins" ] && [ -f "$builtins" ] ||
    need "the wasm32 compiler-rt builtins${builtins:+ ($builtins)}" "libclang-rt-${clang_major:-N}-dev-wasm32"
fi
if [ ${#rust_examples[@]} -gt 0 ]; then
  [ -x "$rustc" ] || need "$rustc" rustc
  [ -d /usr/lib/rustlib/wasm32-wasi/lib ] || [ "$rustc" != /usr/bin/rustc ] ||
    need "the Rust standard library for wasm32-wasi (/usr/lib/rustlib/wasm32-wasi)" libstd-rust-dev-wasm32
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "examples/build.sh: missing build tools:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi

# ---- build --------------------------------------------------------------------------------------
mkdir -p "$out"
built=0
up_to_date=0

report() { # report NAME
  echo "built out/$1.wasm ($(wc -c <"$out/$1.wasm") bytes)"
  built=$((built + 1))
}

for name in "${c_examples[@]}"; do
  src="$here/$name.c" dst="$out/$name.wasm"
  if [ -f "$dst" ] && [ ! "$src" -nt "$dst" ]; then
    up_to_date=$((up_to_date + 1))
    continue
  fi
  tmp="$out/.$name.wasm.tmp"
  # shellcheck disable=SC2046 # extra_flags prints words on purpose
  "$cc" --target=wasm32-wasi "${sysroot_flags[@]}" -O2 -s -Wall -Wextra \
    $(extra_flags "$name") -o "$tmp" "$src"
  mv -f "$tmp" "$dst"
  report "$name"
done

for name in "${rust_examples[@]}"; do
  src="$here/rust/$name.rs" dst="$out/$name.wasm"
  if [ -f "$dst" ] && [ ! "$src" -nt "$dst" ]; then
    up_to_date=$((up_to_date + 1))
    continue
  fi
  tmp="$out/.$name.wasm.tmp"
  "$rustc" --edition 2021 --target wasm32-wasi -C opt-level=2 -C strip=symbols \
    --crate-name "$name" --crate-type bin -o "$tmp" "$src"
  mv -f "$tmp" "$dst"
  report "$name"
done

if [ "$built" -eq 0 ]; then
  echo "all $up_to_date modules up to date in out/"
fi
