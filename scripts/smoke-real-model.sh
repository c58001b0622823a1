#!/usr/bin/env bash
# A 3-step search on the demo task against the real local model (scripts/llm-server.sh):
# the 270M base model writes mostly unusable answers, so this checks that the agent
# survives real garbage and records why each buggy node is buggy.
#
# Usage: scripts/smoke-real-model.sh [AIDE_FLEET_BIN]
# Needs the server running (scripts/llm-server.sh start); prints the run directory.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-target/debug/aide-fleet}"
[ -x "$bin" ] || { echo "smoke: no binary at $bin (cargo build first)" >&2; exit 2; }
url="$(scripts/llm-server.sh url)"
if ! state="$(scripts/llm-server.sh status)"; then
  case "$state" in
    dead*) echo "smoke: $state" >&2 ;;
    *) echo "smoke: the LLM server is not running (scripts/llm-server.sh start)" >&2 ;;
  esac
  exit 2
fi

out="$(mktemp -d)/smoke"
config="$out.config.yaml"
# Short answers keep the CPU-bound model within seconds per call.
cat > "$config" <<'YAML'
llm:
  max_tokens: 256
  request_timeout_s: 300
  retry:
    max_attempts: 2
    initial_delay_ms: 500
exec:
  timeout_s: 60
review:
  max_attempts: 2
YAML

echo "smoke: 3-step search against $url, output in $out" >&2
rc=0
OPENAI_BASE_URL="$url" OPENAI_API_KEY= "$bin" agent \
  --task-dir benchmarks/demo/demo-binary/prepared/public \
  --out "$out" --config "$config" --steps 3 --seed 1 \
  --model gemma3-270m --feedback-model gemma3-270m --no-progress || rc=$?
if [ "$rc" != 0 ]; then
  # A dead server is the usual reason; say so in one line instead of the agent's retries.
  state="$(scripts/llm-server.sh status || true)"
  case "$state" in
    dead*) echo "smoke: the agent exited with $rc; $state" >&2 ;;
    *) echo "smoke: the agent exited with $rc (LLM server: $state)" >&2 ;;
  esac
  exit 1
fi

python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
journal = json.loads((out / "journal.json").read_text())
nodes = sorted((json.loads(p.read_text()) for p in (out / "nodes").glob("*.json")), key=lambda n: n["step"])
assert len(journal["nodes"]) == 3, f"journal holds {len(journal['nodes'])} nodes, expected 3"
assert [n["step"] for n in nodes] == [0, 1, 2], "node records are not steps 0..2"
for n in nodes:
    if n["is_buggy"]:
        assert n["bug_reasons"], f"buggy node {n['step']} has no reason"
        reasons = ", ".join(f"{r['kind']}: {r['detail'][:80]}" for r in n["bug_reasons"])
    else:
        assert n["metric"] is not None, f"good node {n['step']} has no metric"
        reasons = f"metric {n['metric']}"
    print(f"smoke: node {n['step']} ({n['stage']}): {'buggy' if n['is_buggy'] else 'good'} - {reasons}")
for name in ["tree.html", "usage.json", "progress.json"]:
    assert (out / name).is_file(), f"missing {name}"
usage = json.loads((out / "usage.json").read_text())
assert usage["total"]["input_tokens"] > 0, "no token usage was read from the server"
print(f"smoke: ok, {usage['total']['input_tokens']} input and {usage['total']['output_tokens']} output tokens")
PY
