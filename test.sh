#!/usr/bin/env bash
# Installs what the tests need (idempotently), builds, runs every test project, and ends with the line
#   N passed, N failed, N skipped
# computed from the TRX result files. Exit status 0 only when the build succeeded and no test failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# System packages the test suite needs beyond the .NET SDK, installed only when missing: clang + wasi-libc build the
# example functions (C → wasm32-wasi), Debian's rustc with its wasm32 standard library builds the Rust example,
# chromium is the headless browser the web action tests drive (PuppeteerSharp, /usr/bin/chromium; none is downloaded),
# postgresql gives the cluster-mode tests the server binaries (/usr/lib/postgresql/NN/bin) of the private PostgreSQL
# server they start themselves (tests/Shared/PostgresServer.cs: own data directory, free loopback port; never the
# system service, which the tests neither need nor start).
apt_packages=(clang lld wasi-libc libclang-rt-14-dev-wasm32 rustc libstd-rust-dev-wasm32 chromium postgresql)
# npm fetches the pinned sources of the real-library examples (SQLite, cmark-gfm) once; any npm on PATH will do (a
# Node.js distribution's own npm is not a Debian package, so installing Debian's over it could clash).
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
ensure_apt() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "test.sh: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
if [ ${#apt_packages[@]} -gt 0 ]; then
  ensure_apt "${apt_packages[@]}"
fi

# Node.js and npm run the official OpenWhisk JavaScript client in the compatibility tests. Checked by command rather
# than by Debian package: a machine may have Node.js from another source, whose npm is not Debian's package.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  ensure_apt nodejs npm
fi

# The OpenWhisk client, pinned by its package-lock.json; installed again only when the lock file changed.
clients="$root/tests/clients/openwhisk-js"
if [ ! -f "$clients/node_modules/.package-lock.json" ] || [ "$clients/package-lock.json" -nt "$clients/node_modules/.package-lock.json" ]; then
  echo "test.sh: installing the npm openwhisk client for the compatibility tests …" >&2
  npm ci --prefix "$clients" --no-audit --no-fund --loglevel=error >&2
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required, but 'dotnet' is not on PATH" >&2
  exit 127
fi

if [ -x "$root/examples/build.sh" ]; then
  echo "test.sh: building the example functions …" >&2
  "$root/examples/build.sh" >&2
fi

results="$root/.test-results"
rm -rf "$results"
mkdir -p "$results"

summary() {
  local passed=0 failed=0 skipped=0 total=0 f counters get
  for f in "$results"/*.trx; do
    [ -e "$f" ] || continue
    counters="$(grep -o '<Counters [^>]*>' "$f" | head -n 1)"
    get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
    total=$((total + $(get total)))
    passed=$((passed + $(get passed)))
    failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  done
  skipped=$((total - passed - failed))
  echo "$passed passed, $failed failed, $skipped skipped"
}

echo "test.sh: restoring and building (Release) …" >&2
if ! dotnet build Carapace.slnx -c Release --nologo -v quiet; then
  echo "test.sh: the build failed" >&2
  echo "0 passed, 0 failed, 0 skipped"
  exit 1
fi

echo "test.sh: running tests …" >&2
set +e
dotnet test Carapace.slnx -c Release --no-build --nologo -v quiet \
  --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 10m
status=$?
set -e

line="$(summary)"
echo "$line"
failed="$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit 1
fi
