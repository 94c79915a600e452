# shellcheck shell=bash
# Shared set-up for bin/chronus, bin/test and .ci/run. Source it, do not run it:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
#   DENO="$(chronus_deno)"
#   chronus_need_packages --required
#   chronus_start_jack
#
# Safe under `set -euo pipefail`. Messages go to stderr, one line each, prefixed
# with "chronus:"; only chronus_deno writes to stdout (the path it found).

# The repository root, resolved from this file's location so callers work from any cwd.
CHRONUS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# The Deno release the project is developed and tested with, installed from npm when needed.
CHRONUS_DENO_VERSION="2.9.6"
# Oldest Deno on PATH that is used instead of installing the pinned one (major minor).
CHRONUS_DENO_MIN_MAJOR=2
CHRONUS_DENO_MIN_MINOR=9
# The JACK dummy server used by the tests: a real-time device without a sound card.
# Real-time scheduling first (as on a real audio machine: without it, any CPU burst
# on a 2-core box stalls JACK's cycle); without the privilege, a normal-priority one.
CHRONUS_JACK_COMMAND=(jackd --realtime --realtime-priority 70 -d dummy -r 48000 -p 128)
CHRONUS_JACK_FALLBACK_COMMAND=(jackd --no-realtime -d dummy -r 48000 -p 128)
# V8 flags for real-time playing (see engine/_v8_flags.ts, which a test keeps equal).
CHRONUS_V8_FLAGS="--no-memory-reducer,--min-semi-space-size=16"
# How long to wait for a JACK server we started to answer, in tenths of a second.
CHRONUS_JACK_WAIT_TENTHS=100

_chronus_exit_hooks=()
CHRONUS_JACK_PID=""
CHRONUS_JACK_LOG=""

# Print a one-line message to stderr.
chronus_say() {
  printf 'chronus: %s\n' "$*" >&2
}

# Run the function named $1 when the calling script exits (normally, on error, on INT/TERM).
# Hooks run in the order they were added and must be quiet. This owns the EXIT, INT and
# TERM traps: callers add hooks here instead of setting their own.
chronus_at_exit() {
  _chronus_exit_hooks+=("$1")
  trap _chronus_run_exit_hooks EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

_chronus_run_exit_hooks() {
  local hook
  for hook in "${_chronus_exit_hooks[@]}"; do
    "$hook" || true
  done
}

# True when the deno at $1 runs and is at least CHRONUS_DENO_MIN_MAJOR.MINOR.
_chronus_deno_usable() {
  local version major minor
  version="$("$1" --version 2>/dev/null)" || return 1
  # First line: "deno 2.9.6 (stable, release, x86_64-unknown-linux-gnu)"
  version="${version%%$'\n'*}"
  [[ "$version" =~ ^deno\ ([0-9]+)\.([0-9]+)\. ]] || return 1
  major="${BASH_REMATCH[1]}"
  minor="${BASH_REMATCH[2]}"
  ((major > CHRONUS_DENO_MIN_MAJOR ||
    (major == CHRONUS_DENO_MIN_MAJOR && minor >= CHRONUS_DENO_MIN_MINOR)))
}

# Print the path of a usable deno: the one on PATH, else the project-local one in
# .tools/deno, else install the pinned release there from npm first (one line of output).
# Returns 1 (with a message) when none can be found or installed.
chronus_deno() {
  local local_deno="$CHRONUS_ROOT/.tools/deno/node_modules/.bin/deno"
  local on_path log
  on_path="$(command -v deno || true)"
  if [[ -n "$on_path" ]] && _chronus_deno_usable "$on_path"; then
    printf '%s\n' "$on_path"
    return 0
  fi
  if [[ -x "$local_deno" ]] && _chronus_deno_usable "$local_deno"; then
    printf '%s\n' "$local_deno"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    chronus_say "Deno ${CHRONUS_DENO_MIN_MAJOR}.${CHRONUS_DENO_MIN_MINOR}+ is not installed" \
      "and npm is missing; install Node.js and npm (apt-get install nodejs npm) or Deno itself"
    return 1
  fi
  chronus_say "installing Deno $CHRONUS_DENO_VERSION from npm into .tools/deno (once)"
  log="$(mktemp "${TMPDIR:-/tmp}/chronus-npm.XXXXXX")" || return 1
  if ! npm install --prefix "$CHRONUS_ROOT/.tools/deno" --no-audit --no-fund \
    --loglevel=error "deno@$CHRONUS_DENO_VERSION" >"$log" 2>&1; then
    chronus_say "npm install deno@$CHRONUS_DENO_VERSION failed; its last lines:"
    tail -n 20 "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  if ! _chronus_deno_usable "$local_deno"; then
    chronus_say "installed Deno does not run: $local_deno --version failed"
    return 1
  fi
  printf '%s\n' "$local_deno"
}

# True when the dynamic linker knows libportaudio.so.2.
_chronus_have_portaudio() {
  local ldconfig
  ldconfig="$(command -v ldconfig || true)"
  [[ -n "$ldconfig" ]] || ldconfig=/sbin/ldconfig
  # grep without -q reads all input, so ldconfig never dies of SIGPIPE under pipefail.
  "$ldconfig" -p 2>/dev/null | grep -F 'libportaudio.so.2' >/dev/null
}

# Print, space-separated, the Debian packages whose files are missing: libportaudio2
# (the audio backend), jackd2 (dummy server and test clients jack_rec, jack_lsp), sox;
# with CHRONUS_TEST_TOOLS=1 (bin/test) also tmux, which the tmux-layout test drives.
_chronus_missing_packages() {
  local missing=()
  _chronus_have_portaudio || missing+=(libportaudio2)
  local tool jack_missing=0
  for tool in jackd jack_rec jack_lsp; do
    command -v "$tool" >/dev/null 2>&1 || jack_missing=1
  done
  ((jack_missing == 0)) || missing+=(jackd2)
  command -v sox >/dev/null 2>&1 || missing+=(sox)
  if [[ "${CHRONUS_TEST_TOOLS:-0}" == 1 ]]; then
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)
  fi
  if ((${#missing[@]} > 0)); then
    printf '%s\n' "${missing[*]}"
  fi
}

# Make sure PortAudio, JACK 2 and SoX are installed. As root, installs what is
# missing with apt-get (one progress line). Otherwise prints the exact command to
# run; with --required it then exits 1, without it returns 0 (Chronus falls back to
# its null backend when PortAudio is missing).
chronus_need_packages() {
  local required=0 missing log
  if [[ "${1:-}" == "--required" ]]; then required=1; fi
  missing="$(_chronus_missing_packages)"
  [[ -n "$missing" ]] || return 0
  local command="sudo apt-get install --no-install-recommends $missing"
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    if ((required)); then
      chronus_say "missing $missing; install with: $command"
      exit 1
    fi
    chronus_say "missing $missing (audio falls back to the null backend); install with: $command"
    return 0
  fi
  chronus_say "installing $missing with apt-get"
  log="$(mktemp "${TMPDIR:-/tmp}/chronus-apt.XXXXXX")"
  # shellcheck disable=SC2086 # $missing is a space-separated list of package names
  if ! { apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing; } \
    >"$log" 2>&1 </dev/null; then
    chronus_say "apt-get install $missing failed; its last lines:"
    tail -n 20 "$log" >&2
    rm -f "$log"
    if ((required)); then exit 1; fi
    return 0
  fi
  rm -f "$log"
  missing="$(_chronus_missing_packages)"
  if [[ -n "$missing" ]]; then
    chronus_say "still missing after apt-get install: $missing"
    if ((required)); then exit 1; fi
  fi
}

# True when a JACK server answers. Never starts one as a side effect.
chronus_jack_running() {
  JACK_NO_START_SERVER=1 timeout 5 jack_lsp >/dev/null 2>&1
}

# Start the JACK dummy server in the background unless one already runs, wait until
# it answers, and stop it when the calling script exits. A server that was already
# running is left alone. Tries real-time scheduling first and falls back to a
# normal-priority server (with a warning) when that one does not come up. Exits 1
# with the server's log tail when neither starts.
chronus_start_jack() {
  if chronus_jack_running; then return 0; fi
  chronus_at_exit _chronus_stop_jack
  if _chronus_try_jack "${CHRONUS_JACK_COMMAND[@]}"; then
    if grep -qi "cannot use real-time\|cannot lock down\|AcquireSelfRealTime error" \
      "$CHRONUS_JACK_LOG"; then
      chronus_say "JACK runs without real-time scheduling here: expect xruns under load"
    fi
    return 0
  fi
  chronus_say "JACK would not start with real-time scheduling; trying without:" \
    "$(tail -n 1 "$CHRONUS_JACK_LOG")"
  _chronus_stop_jack
  if _chronus_try_jack "${CHRONUS_JACK_FALLBACK_COMMAND[@]}"; then
    chronus_say "JACK runs without real-time scheduling: expect xruns under load"
    return 0
  fi
  chronus_say "JACK dummy server did not start (${CHRONUS_JACK_FALLBACK_COMMAND[*]}); its log:"
  tail -n 20 "$CHRONUS_JACK_LOG" >&2
  exit 1
}

# Start one JACK server command in the background; return 0 once it answers, 1 when
# it exits or does not answer within CHRONUS_JACK_WAIT_TENTHS.
_chronus_try_jack() {
  CHRONUS_JACK_LOG="$(mktemp "${TMPDIR:-/tmp}/chronus-jackd.XXXXXX")"
  "$@" >"$CHRONUS_JACK_LOG" 2>&1 </dev/null &
  CHRONUS_JACK_PID=$!
  local tenths
  for ((tenths = 0; tenths < CHRONUS_JACK_WAIT_TENTHS; tenths++)); do
    if ! kill -0 "$CHRONUS_JACK_PID" 2>/dev/null; then return 1; fi
    if chronus_jack_running; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Stop the JACK server that chronus_start_jack started, quietly; kill it after 5 s.
_chronus_stop_jack() {
  local pid="$CHRONUS_JACK_PID" tenths
  CHRONUS_JACK_PID=""
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((tenths = 0; tenths < 50; tenths++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [[ -n "$CHRONUS_JACK_LOG" ]]; then rm -f "$CHRONUS_JACK_LOG"; fi
}
