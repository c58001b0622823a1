#!/usr/bin/env bash
# Local S3-compatible server for tests and offline runs: moto's server (in-memory, any
# credentials accepted, SigV4 parsed but not verified). Installed into a cache directory
# outside the repository so fresh clones (and CI) reuse one venv.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/s3-server.sh <command>

Commands:
  install   install moto[server] into the cache venv (reused when present)
  start     start the server in the background if it is not running; print its URL
  stop      stop the server started by this script (for this port)
  status    print "running <pid> <url>" (exit 0) or "stopped" (exit 3)
  url       print the endpoint URL, e.g. http://127.0.0.1:5055
  help      show this text

Use it as: aide-fleet agent --store s3://BUCKET/PREFIX --s3-endpoint "$(scripts/s3-server.sh url)"
with AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 (moto accepts
any keys). moto keeps everything in memory: a restart loses every bucket, and buckets
must be created first (e.g. curl -X PUT "$(scripts/s3-server.sh url)/BUCKET").

The Rust tests (tests/store_*.rs, tests/agent_store.rs) start a private server per test
from the same venv ($AIDE_FLEET_CACHE/moto-venv/bin/moto_server); they only need `install`.

Environment:
  AIDE_FLEET_CACHE              cache root (default: $HOME/.cache/aide-fleet); holds
                                moto-venv/, s3-server-<port>.{pid,log}, moto-install.log
  AIDE_FLEET_S3_PORT            port on 127.0.0.1 (default: 5055)
  AIDE_FLEET_S3_START_TIMEOUT   seconds to wait for the server to answer (default: 60)

The install takes about half a minute (pip, wheels only).
USAGE
}

die() { echo "s3-server.sh: error: $*" >&2; exit 1; }
note() { echo "s3-server.sh: $*" >&2; }

process_pattern='moto_server'
# shellcheck source=lib/daemon.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"

# Pinned: the tests rely on its behaviour (5 MiB minimum part size, paging, errors).
MOTO_REQ='moto[server]==5.2.5'

cache="${AIDE_FLEET_CACHE:-$HOME/.cache/aide-fleet}"
port="${AIDE_FLEET_S3_PORT:-5055}"
start_timeout="${AIDE_FLEET_S3_START_TIMEOUT:-60}"
venv="$cache/moto-venv"
pidfile="$cache/s3-server-$port.pid"
logfile="$cache/s3-server-$port.log"
url="http://127.0.0.1:$port"

[[ "$port" =~ ^[0-9]+$ ]] || die "AIDE_FLEET_S3_PORT must be a number, got '$port'"

installed() {
  [[ -x "$venv/bin/moto_server" ]] \
    && "$venv/bin/python" -c 'import moto, flask, flask_cors' 2>/dev/null
}

do_install() {
  mkdir -p "$cache"
  # Serialise concurrent installs (two test runs starting at once) on one lock file.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/moto-install.lock"
    flock 9
  fi
  if ! installed; then
    command -v python3 >/dev/null 2>&1 || die "python3 not found on PATH"
    note "installing $MOTO_REQ into $venv (about 30 s; log: $cache/moto-install.log)"
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" || die "could not create venv $venv (apt-get install python3-venv?)"
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
         "$MOTO_REQ" >"$cache/moto-install.log" 2>&1; then
      tail -n 30 "$cache/moto-install.log" >&2
      die "pip install of $MOTO_REQ failed (full log: $cache/moto-install.log)"
    fi
    installed || die "installed, but moto_server or its imports are missing; see $cache/moto-install.log"
  fi
  if command -v flock >/dev/null 2>&1; then exec 9>&-; fi
}

do_start() {
  local pid
  # Parallel callers must not launch two servers on one port.
  if command -v flock >/dev/null 2>&1; then
    mkdir -p "$cache"
    exec 8>"$cache/s3-server-$port.lock"
    flock 8
  fi
  if pid="$(our_pid)"; then
    wait_ready "$pid"
    echo "$url"
    return 0
  fi
  rm -f "$pidfile"
  if http_ok "$url/moto-api/"; then
    die "port $port already answers /moto-api/ but was not started by this script (pid file $pidfile); stop it or set AIDE_FLEET_S3_PORT"
  fi
  do_install
  echo "=== $(date -u +%FT%TZ) starting: $venv/bin/moto_server -H 127.0.0.1 -p $port" >"$logfile"
  # setsid: the server outlives the calling shell and its process group (test harnesses
  # kill their group on exit); the pid stays moto_server's since setsid execs in place.
  local detach=(nohup)
  command -v setsid >/dev/null 2>&1 && detach=(setsid)
  # 8>&- 9>&-: the server must not inherit (and so hold forever) the lock descriptors.
  "${detach[@]}" "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >>"$logfile" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$pidfile"
  wait_ready "$pid"
  echo "$url"
}

wait_ready() {
  local pid="$1" waited=0
  while ! http_ok "$url/moto-api/"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      tail -n 20 "$logfile" >&2
      die "the server exited during start-up (log: $logfile)"
    fi
    if (( waited >= start_timeout * 5 )); then
      tail -n 20 "$logfile" >&2
      kill "$pid" 2>/dev/null || true
      rm -f "$pidfile"
      die "no answer from $url/moto-api/ after ${start_timeout}s (AIDE_FLEET_S3_START_TIMEOUT)"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
}

health_url="$url/moto-api/"

case "${1:-}" in
  install) do_install; echo "$venv/bin/moto_server" ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  url) echo "$url" ;;
  help|-h|--help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "s3-server.sh: unknown command '$1'" >&2; usage >&2; exit 2 ;;
esac
