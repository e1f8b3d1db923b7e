#!/usr/bin/env bash
# Runs bounded afl-fuzz campaigns against Carapace's parsers (see fuzz/README.md). Not run by CI.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: fuzz/run.sh [TARGET...] [--minutes N] [--timeout MS] [--list] [--help]

Builds fuzz/Carapace.Fuzz, instruments the Carapace assemblies (and System.Formats.Cbor) with the sharpfuzz tool
(restored from .config/dotnet-tools.json), then runs afl-fuzz on each TARGET in turn (all targets when none is
named), one at a time, each for N minutes (default 10), starting from fuzz/corpus/TARGET/ plus the regression inputs
in fuzz/crashes/TARGET/.

Every input afl-fuzz saves as a crash or a hang is copied to fuzz/crashes/TARGET/ (named by its SHA-256), where
./test.sh replays it as a regression test: fix the parser, then commit the input. When afl-fuzz stops early (an
input killed the .NET process: stack overflow, timeout), the input it was running is saved the same way.

Options:
  --minutes N    minutes per target (default 10; fractions allowed, e.g. 0.5)
  --timeout MS   afl-fuzz per-input timeout in milliseconds (default 5000; generous, since a timeout ends
                 the in-process fork server and so the target's campaign)
  --list         print the targets and exit
  --help         this text

Needs: the .NET SDK, and afl++ (installed with apt-get when afl-fuzz is missing).
Work files: fuzz/.work/ (published harness, afl-fuzz output and logs per target; ignored by git).
Prints, per target: executions, executions per second, crashes and hangs (from afl-fuzz's fuzzer_stats).
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/fuzz/.work"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

minutes=10
timeout_ms=5000
list=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="${2:?--minutes needs a number}"; shift 2 ;;
    --timeout) timeout_ms="${2:?--timeout needs milliseconds}"; shift 2 ;;
    --list) list=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ! [[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]] || ! [[ "$timeout_ms" =~ ^[0-9]+$ ]]; then
  echo "run.sh: --minutes takes a positive number and --timeout whole milliseconds" >&2
  exit 2
fi
seconds="$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); print (s < 10 ? 10 : s) }')"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "run.sh: the .NET 10 SDK is required, but 'dotnet' is not on PATH" >&2
  exit 127
fi

if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "run.sh: installing afl++ …" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq afl++ >/dev/null
fi

cd "$root"
echo "run.sh: restoring the sharpfuzz tool …" >&2
dotnet tool restore >/dev/null

bin="$work/bin"
echo "run.sh: publishing the harness …" >&2
rm -rf "$bin"
dotnet publish fuzz/Carapace.Fuzz/Carapace.Fuzz.csproj -c Release -o "$bin" --nologo -v quiet >&2
harness="$bin/Carapace.Fuzz.dll"

if [ "$list" -eq 1 ]; then
  dotnet "$harness" --list
  exit 0
fi
mapfile -t known < <(dotnet "$harness" --list | awk '{ print $1 }')
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${known[@]}")
fi
for t in "${targets[@]}"; do
  if ! printf '%s\n' "${known[@]}" | grep -qx -- "$t"; then
    echo "run.sh: no target '$t'; --list shows them" >&2
    exit 2
  fi
done

# The parsers under test live in the Carapace assemblies; System.Formats.Cbor is instrumented too, since several
# formats are CBOR and the fuzzer should see which of its branches an input reaches.
echo "run.sh: instrumenting …" >&2
for dll in "$bin"/Carapace.*.dll "$bin"/System.Formats.Cbor.dll; do
  [ -e "$dll" ] || continue
  [ "$(basename "$dll")" = "Carapace.Fuzz.dll" ] && continue
  dotnet sharpfuzz "$dll" >/dev/null
done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_MAP_SIZE=65536 AFL_FORKSRV_INIT_TMOUT=120000

stat_of() { [ -f "$2" ] && awk -F' *: *' -v k="$1" '$1 == k { print $2; exit }' "$2" || true; }

save() { # save FILE TARGET KIND: copy an input into fuzz/crashes/TARGET/, named by content
  local file="$1" target="$2" kind="$3" dest="$root/fuzz/crashes/$2" hash
  mkdir -p "$dest"
  hash="$(sha256sum "$file" | cut -c1-16)"
  cp "$file" "$dest/$kind-$hash"
  echo "$dest/$kind-$hash"
}

dotnet="$(command -v dotnet)"
summary=()
status=0
for t in "${targets[@]}"; do
  out="$work/findings/$t"
  input="$work/input/$t"
  log="$work/logs/$t.log"
  rm -rf "$out" "$input"
  mkdir -p "$input" "$(dirname "$out")" "$(dirname "$log")"
  cp "$root/fuzz/corpus/$t"/* "$input/"
  # Past crashes are good seeds once fixed; afl-fuzz refuses to start on one that still crashes, so those stay out.
  if compgen -G "$root/fuzz/crashes/$t/*" >/dev/null; then
    while read -r verdict file; do
      if [ "$verdict" = "CRASH" ]; then
        echo "run.sh: $t: ${file#"$root"/} still crashes (not fixed yet); it is left out of the seeds" >&2
      elif [ -f "$file" ]; then
        cp "$file" "$input/"
      fi
    done < <(dotnet "$harness" --replay "$t" "$root/fuzz/crashes/$t" 2>/dev/null | awk '$1 ~ /^(accepted|refused|CRASH)$/ { print $1, $2 }')
  fi

  echo "run.sh: fuzzing $t for $seconds s (log: ${log#"$root"/}) …" >&2
  set +e
  afl-fuzz -i "$input" -o "$out" -m none -t "$timeout_ms" -V "$seconds" -- "$dotnet" "$harness" "$t" >"$log" 2>&1
  code=$?
  set -e

  stats="$out/default/fuzzer_stats"
  execs="$(stat_of execs_done "$stats")"
  rate="$(stat_of execs_per_sec "$stats")"
  crashes="$(stat_of saved_crashes "$stats")"
  hangs="$(stat_of saved_hangs "$stats")"
  note="ok"
  for f in "$out"/default/crashes/id:* "$out"/default/hangs/id:*; do
    [ -e "$f" ] || continue
    kind="crash"
    [[ "$f" == */hangs/* ]] && kind="hang"
    echo "run.sh: $t: saved $(save "$f" "$t" "$kind")" >&2
  done
  if [ "$code" -ne 0 ]; then
    note="afl-fuzz stopped (exit $code), see the log"
    status=1
    if [ -s "$out/default/.cur_input" ]; then
      echo "run.sh: $t: saved the input it stopped on: $(save "$out/default/.cur_input" "$t" "abort")" >&2
    fi
  elif [ "${crashes:-0}" != "0" ] || [ "${hangs:-0}" != "0" ]; then
    note="crashes saved in fuzz/crashes/$t/"
    status=1
  fi
  summary+=("$(printf '%-22s %8s %14s %10s %8s %6s  %s' "$t" "$minutes" "${execs:-0}" "${rate:-0}" "${crashes:-0}" "${hangs:-0}" "$note")")
done

echo
printf '%-22s %8s %14s %10s %8s %6s  %s\n' "target" "minutes" "executions" "exec/s" "crashes" "hangs" "status"
printf '%s\n' "${summary[@]}"
exit "$status"
