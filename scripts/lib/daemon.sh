# Shared by scripts/llm-server.sh and scripts/s3-server.sh: a background server with a pid
# file, a health URL and a stop that escalates. Before sourcing, a script defines `note`
# and sets:
#   pidfile          where the server's pid is kept
#   process_pattern  a string of the server's command line (guards against recycled pids)
#   health_url       answers 2xx once the server is up
#   url              printed by `status`

http_ok() {  # GET $1 succeeds with a 2xx
  if command -v curl >/dev/null 2>&1; then
    curl -sf -o /dev/null --max-time 5 "$1"
  else
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1" 2>/dev/null
  fi
}

our_pid() {  # the pid from the pid file when it is alive and is our server; else fails
  [[ -f "$pidfile" ]] || return 1
  local pid
  pid="$(cat "$pidfile" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guards against a recycled pid belonging to some other program.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$process_pattern" || return 1
  echo "$pid"
}

do_stop() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$pidfile"
    echo "stopped"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    note "server $pid ignored SIGTERM for 10 s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "stopped"
}

do_status() {
  local pid
  if pid="$(our_pid)" && http_ok "$health_url"; then
    echo "running $pid $url"
  elif [[ -n "${pid:-}" ]]; then
    echo "starting $pid $url"
  else
    echo "stopped"
    return 3
  fi
}
