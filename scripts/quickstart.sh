#!/usr/bin/env bash
# Quickstart on a fresh machine: installs what is needed and runs an AIDE search on the
# demo task end to end (local executor, results in results/), then grades the best
# submission against the demo's private answers.
#
# The LLM: with OPENAI_API_KEY set, OpenAI's API (model from AIDE_FLEET_MODEL, default
# gpt-4o-mini); with ANTHROPIC_API_KEY set, Anthropic (default claude-3-5-haiku-20241022);
# otherwise the small local model from scripts/llm-server.sh (offline, answers are mostly
# unusable: it shows the machinery, not the quality).
#
# Usage: scripts/quickstart.sh [--steps N] [--task demo-binary|demo-multiclass|demo-regression]
set -euo pipefail
cd "$(dirname "$0")/.."

steps=5
task=demo-binary
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --task) task="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "quickstart: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -d "benchmarks/demo/$task" ] || { echo "quickstart: no demo task $task" >&2; exit 2; }

echo "==> Python environment for the generated scripts (.venv)"
scripts/setup-python.sh --quiet

echo "==> building aide-fleet"
cargo build --release --locked --quiet
bin=target/release/aide-fleet

llm_args=()
if [ -n "${OPENAI_API_KEY:-}" ]; then
  model="${AIDE_FLEET_MODEL:-gpt-4o-mini}"
elif [ -n "${ANTHROPIC_API_KEY:-}" ]; then
  model="${AIDE_FLEET_MODEL:-claude-3-5-haiku-20241022}"
else
  echo "==> no API key configured: starting the local model (first install compiles llama.cpp, ~7 min)"
  scripts/llm-server.sh start >/dev/null
  model=gemma3-270m
  llm_args=(--base-url "$(scripts/llm-server.sh url)" --exec-timeout 10m)
  export OPENAI_API_KEY=
fi

out="results/quickstart/$task-$(date +%Y%m%d-%H%M%S)"
echo "==> AIDE search: $steps steps on $task with $model"
"$bin" agent --task-dir "benchmarks/demo/$task/prepared/public" --out "$out" \
  --steps "$steps" --model "$model" --feedback-model "$model" "${llm_args[@]}"

echo "==> grading the best submission against the private answers"
if [ -f "$out/best_submission/submission.csv" ]; then
  "$bin" grade --task "benchmarks/demo/$task" --submission "$out/best_submission/submission.csv"
else
  echo "no node produced a valid solution, so there is nothing to grade (see the tree view)"
fi

echo
echo "Results: $out"
echo "  tree view:        $out/tree.html"
echo "  journal:          $out/journal.json"
echo "  best solution:    $out/best_solution.py"
echo "  tokens and cost:  $out/usage.json"
