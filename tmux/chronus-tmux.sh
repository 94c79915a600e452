#!/usr/bin/env bash
# Open Chronus in a tmux split layout:
#
#   +----------------------+------------------+
#   |                      | monitor          |
#   | REPL (bin/chronus)   | (chronus monitor)|
#   |                      +------------------+
#   |                      | log (events)     |
#   +----------------------+------------------+
#   | agent (with --agent): a shell where an  |
#   | agent types `bin/chronus send "…"`      |
#   +-----------------------------------------+
#
# usage: tmux/chronus-tmux.sh [--agent] [--session NAME] [--socket NAME] [--detached]
#                             [--osc-port N] [-- <bin/chronus options>]
#
# Outside tmux it creates session NAME (default "chronus") and attaches to it; inside tmux
# it opens a new window in the current session. --detached does not attach (scripts,
# tests); --socket uses a separate tmux server (tmux -L NAME). Also: `deno task tmux`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
session="chronus"
socket=""
agent=0
detached=0
port=57120
chronus_args=()

usage() {
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while (($# > 0)); do
  case "$1" in
    --agent) agent=1 ;;
    --detached) detached=1 ;;
    --session)
      session="${2:?--session needs a name}"
      shift
      ;;
    --socket)
      socket="${2:?--socket needs a name}"
      shift
      ;;
    --osc-port)
      port="${2:?--osc-port needs a port}"
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      chronus_args=("$@")
      break
      ;;
    *)
      echo "chronus-tmux: unknown option $1 (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done

if ! command -v tmux >/dev/null 2>&1; then
  echo "chronus-tmux: tmux is not installed (apt-get install --no-install-recommends tmux)" >&2
  exit 1
fi
if [[ ! "$port" =~ ^[0-9]+$ ]]; then
  echo "chronus-tmux: --osc-port must be a number, got $port" >&2
  exit 2
fi

tmux_() {
  if [[ -n "$socket" ]]; then tmux -L "$socket" "$@"; else tmux "$@"; fi
}

log="${TMPDIR:-/tmp}/chronus-${session}.log"
: >"$log"
quoted_args=""
if ((${#chronus_args[@]} > 0)); then quoted_args="$(printf ' %q' "${chronus_args[@]}")"; fi
chronus="$(printf '%q' "$ROOT/bin/chronus")"
repl="$chronus --osc-port $port$quoted_args 2>>$(printf '%q' "$log")"
monitor="$chronus monitor --osc-port $port"
tail_log="tail -n +1 -F $(printf '%q' "$log")"

if [[ -n "${TMUX:-}" && -z "$socket" ]]; then
  window="$(tmux_ new-window -P -F '#{session_name}:#{window_index}' -n chronus "$repl")"
else
  tmux_ new-session -d -s "$session" -n chronus -x 200 -y 50 "$repl"
  window="$session:chronus"
fi
tmux_ select-pane -t "$window.0" -T "REPL"
tmux_ split-window -h -t "$window.0" -l '40%' "$monitor"
tmux_ select-pane -t "$window.1" -T "monitor"
tmux_ split-window -v -t "$window.1" -l '30%' "$tail_log"
tmux_ select-pane -t "$window.2" -T "log"
if ((agent)); then
  tmux_ split-window -v -f -t "$window.0" -l '25%' \
    "echo 'agent pane: type e.g.  bin/chronus send \"/inst/lead/note C4\"'; cd $(printf '%q' "$ROOT") && exec bash"
  tmux_ select-pane -t "$window.3" -T "agent"
fi
tmux_ set-option -w -t "$window" pane-border-status top >/dev/null
tmux_ select-pane -t "$window.0"

if ((detached == 0)) && [[ -z "${TMUX:-}" || -n "$socket" ]]; then
  if [[ -n "$socket" ]]; then exec tmux -L "$socket" attach -t "$session"; fi
  exec tmux attach -t "$session"
fi
echo "$window"
