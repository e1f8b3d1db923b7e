#!/usr/bin/env bash
# Builds every Carapace example function into examples/out/NAME.wasm (WASI preview 1).
#
#   examples/build.sh            build what is missing or older than its source
#
# C:    clang --target=wasm32-wasi -O2 -s   (Debian: clang, lld, wasi-libc, libclang-rt-N-dev-wasm32)
# Rust: /usr/bin/rustc --target wasm32-wasi (Debian: rustc, libstd-rust-dev-wasm32); Debian's
#       rustc is used on purpose, a rustup toolchain on PATH usually lacks the wasm32-wasi std.
# Real libraries: the sources of SQLite and cmark-gfm come from pinned npm packages (`npm pack`, checked
#       against a SHA-256 pinned here), unpacked into examples/.deps/ once; nothing of them is in the
#       repository. npm is needed only while .deps/ lacks a package (Debian: npm).
#
# Installs no system package: when a tool is missing it names the apt package and exits 1.
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

c_examples=(hello wordcount sha256 readfile memhog spin escape marker hostcall args clock echo notes fsbench)
rust_examples=(hello_rust)
# Examples built with a real third-party C library (see "third-party sources" below).
library_examples=(sqlite-query cmark-gfm)

# The npm packages whose tarballs carry those libraries' sources: NAME VERSION SHA-256 of the tarball.
npm_sqlite3=(sqlite3 6.0.1 ab8d044a93e05bd031d7ea75547c7fa60387cdc259d27f93c0e3e2832c4b1df9)
sqlite_autoconf=sqlite-autoconf-3520000 # deps/NAME.tar.gz inside the sqlite3 package: SQLite 3.52.0
npm_cmark_gfm=(cmark-gfm 0.9.0 510d6471f02a9dfa6ad154fff62ab1dc6ca097368b632e806ab037ca58696d7a) # cmark-gfm 0.29.0.gfm.0

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
deps="$here/.deps"
unpacked() { [ -f "$deps/$1-$2/.unpacked" ]; } # unpacked NAME VERSION
if ! unpacked "${npm_sqlite3[@]:0:2}" || ! unpacked "${npm_cmark_gfm[@]:0:2}"; then
  command -v npm >/dev/null 2>&1 || need "npm, to fetch the sources of SQLite and cmark-gfm once" npm
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "examples/build.sh: missing build tools:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi

# ---- third-party sources ------------------------------------------------------------------------
# fetch_npm NAME VERSION SHA256: unpacks the package's tarball into .deps/NAME-VERSION/ unless it is there already.
# The tarball is fetched with `npm pack` (the registry client's own cache and settings; no install scripts run) and
# must match the pinned SHA-256; a mismatch stops the build and leaves nothing unpacked.
fetch_npm() {
  local name=$1 version=$2 sum=$3
  local dir="$deps/$name-$version" tgz="$deps/$name-$version.tgz"
  unpacked "$name" "$version" && return 0
  mkdir -p "$deps"
  if [ ! -f "$tgz" ] || ! printf '%s  %s\n' "$sum" "$tgz" | sha256sum --check --status; then
    echo "fetching npm package $name@$version …" >&2
    rm -f "$tgz"
    local staging
    staging="$(mktemp -d "$deps/.fetch.XXXXXX")"
    (cd "$staging" && npm pack "$name@$version" --ignore-scripts --silent >/dev/null)
    mv -f "$staging/$name-$version.tgz" "$tgz"
    rm -rf "$staging"
    if ! printf '%s  %s\n' "$sum" "$tgz" | sha256sum --check --status; then
      echo "examples/build.sh: $name@$version from the npm registry has SHA-256 $(sha256sum "$tgz" | cut -d' ' -f1)," \
        "not the pinned $sum; refusing to build with it" >&2
      rm -f "$tgz"
      exit 1
    fi
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "$tgz" -C "$dir" --strip-components=1
  touch "$dir/.unpacked"
}

# Source paths that end up in a module (assert messages) are written relative to examples/, so a module's bytes do not
# depend on where the clone is.
prefix_map=("-ffile-prefix-map=$here/=")

# Each library is compiled once into .deps/obj/NAME.o (third-party code: its own warnings are not ours to fix);
# an example links its own source, compiled with -Wall -Wextra, against it.
sqlite_dir="$deps/$sqlite_autoconf"
sqlite_object() {
  local obj="$deps/obj/$sqlite_autoconf.o"
  [ -f "$obj" ] && return 0
  fetch_npm "${npm_sqlite3[@]}"
  if [ ! -f "$sqlite_dir/sqlite3.c" ]; then
    rm -rf "$sqlite_dir"
    tar -xzf "$deps/${npm_sqlite3[0]}-${npm_sqlite3[1]}/deps/$sqlite_autoconf.tar.gz" -C "$deps" \
      "$sqlite_autoconf/sqlite3.c" "$sqlite_autoconf/sqlite3.h"
  fi
  mkdir -p "$deps/obj"
  echo "compiling SQLite ($sqlite_autoconf) for wasm32-wasi …" >&2
  # SQLite configures itself for __wasi__: no threads, no extension loading, no WAL, dot-file locking.
  "$cc" --target=wasm32-wasi "${sysroot_flags[@]}" -O2 -w "${prefix_map[@]}" -c -o "$obj.tmp" "$sqlite_dir/sqlite3.c"
  mv -f "$obj.tmp" "$obj"
}

cmark_dir="$deps/${npm_cmark_gfm[0]}-${npm_cmark_gfm[1]}/vendor"
cmark_object() {
  local obj="$deps/obj/cmark-gfm-${npm_cmark_gfm[1]}.o"
  [ -f "$obj" ] && return 0
  fetch_npm "${npm_cmark_gfm[@]}"
  # The package flattens cmark-gfm's src/ and extensions/ into vendor/cmark; its command-line program (main.c)
  # still includes "../extensions/cmark-gfm-core-extensions.h", so that path is laid out again.
  mkdir -p "$cmark_dir/extensions"
  ln -sf ../cmark/cmark-gfm-core-extensions.h "$cmark_dir/extensions/cmark-gfm-core-extensions.h"
  mkdir -p "$deps/obj"
  echo "compiling cmark-gfm for wasm32-wasi …" >&2
  local sources=() f
  for f in "$cmark_dir"/cmark/*.c; do
    case "$(basename "$f")" in
      main.c | harness.c | cmark-fuzz.c | CMakeCCompilerId.c | CheckFileOffsetBits.c | feature_tests.c) ;;
      *) sources+=("$f") ;;
    esac
  done
  local objdir
  objdir="$(mktemp -d "$deps/obj/.cmark.XXXXXX")"
  (cd "$objdir" && "$cc" --target=wasm32-wasi "${sysroot_flags[@]}" -O2 -w "${prefix_map[@]}" -c -I"$cmark_dir/cmark" "${sources[@]}")
  "$cc" --target=wasm32-wasi -r -nostdlib -o "$obj.tmp" "$objdir"/*.o
  rm -rf "$objdir"
  mv -f "$obj.tmp" "$obj"
}

# library_object NAME: builds (once) and prints the library object the example NAME links.
library_object() {
  case "$1" in
    sqlite-query) sqlite_object && echo "$deps/obj/$sqlite_autoconf.o" ;;
    cmark-gfm) cmark_object && echo "$deps/obj/cmark-gfm-${npm_cmark_gfm[1]}.o" ;;
  esac
}
library_source() {
  case "$1" in
    sqlite-query) echo "$here/sqlite-query.c" ;;
    cmark-gfm) echo "$cmark_dir/cmark/main.c" ;; # the library's own program, unchanged
  esac
}
library_flags() {
  case "$1" in
    sqlite-query) echo "-I$sqlite_dir -Wall -Wextra" ;;
    cmark-gfm) echo "-I$cmark_dir/cmark -w" ;;
  esac
}

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

for name in "${library_examples[@]}"; do
  dst="$out/$name.wasm"
  src="$(library_source "$name")"
  # Up to date unless its source or this script changed (a third-party source not unpacked is the pinned one).
  if [ -f "$dst" ] && ! { [ -f "$src" ] && [ "$src" -nt "$dst" ]; } && [ ! "$here/build.sh" -nt "$dst" ]; then
    up_to_date=$((up_to_date + 1))
    continue
  fi
  obj="$(library_object "$name")"
  tmp="$out/.$name.wasm.tmp"
  # shellcheck disable=SC2046 # library_flags prints words on purpose
  "$cc" --target=wasm32-wasi "${sysroot_flags[@]}" -O2 -s "${prefix_map[@]}" $(library_flags "$name") -o "$tmp" "$src" "$obj"
  mv -f "$tmp" "$dst"
  report "$name"
done

if [ "$built" -eq 0 ]; then
  echo "all $up_to_date modules up to date in out/"
fi
