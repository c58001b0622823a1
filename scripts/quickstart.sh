#!/usr/bin/env bash
# Quickstart on a fresh machine: installs what is needed, runs the demo suite end to end
# (one AIDE search per demo task, local executor, results in results/), grades every run,
# and prints where the results are.
#
# The LLM: with OPENAI_API_KEY set, OpenAI's API (model from AIDE_FLEET_MODEL, default
# gpt-4o-mini); with ANTHROPIC_API_KEY set, Anthropic (default claude-3-5-haiku-20241022);
# otherwise the small local model from scripts/llm-server.sh (offline; its answers are
# mostly unusable: it shows the machinery, not the quality; 2 steps per search).
#
# Usage: scripts/quickstart.sh [--steps N]
set -euo pipefail
cd "$(dirname "$0")/.."

steps=""
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "quickstart: unknown argument $1" >&2; exit 2 ;;
  esac
done

echo "==> Python environment for the generated scripts (.venv)"
scripts/setup-python.sh --quiet

echo "==> building aide-fleet"
cargo build --locked --quiet
bin=target/debug/aide-fleet

extra=()
if [ -n "${OPENAI_API_KEY:-}" ]; then
  model="${AIDE_FLEET_MODEL:-gpt-4o-mini}"
elif [ -n "${ANTHROPIC_API_KEY:-}" ]; then
  model="${AIDE_FLEET_MODEL:-claude-3-5-haiku-20241022}"
else
  echo "==> no API key configured: starting the local model (its first install compiles llama.cpp, ~7 min)"
  scripts/llm-server.sh start >/dev/null
  model=gemma3-270m
  export OPENAI_BASE_URL="$(scripts/llm-server.sh url)"
  export OPENAI_API_KEY=
  steps="${steps:-2}"
  extra+=(--max-tokens 512)
fi
[ -n "$steps" ] && extra+=(--steps "$steps")

run_id="quickstart-$(date -u +%Y%m%d-%H%M%S)"
echo "==> the demo suite (benchmarks/suites/demo.yaml) with $model, run $run_id"
rc=0
"$bin" run benchmarks/suites/demo.yaml --run-id "$run_id" \
  --model "$model" --feedback-model "$model" "${extra[@]}" || rc=$?

echo
"$bin" status "$run_id"
echo
"$bin" report "$run_id" --format md || true
echo
echo "Results: results/runs/$run_id"
echo "  report:          results/runs/$run_id/report/report.html (also .md, .json, .csv, .parquet)"
echo "  grading report:  results/runs/$run_id/grading_report.json"
echo "  each search:     results/runs/$run_id/tasks/<task>/seed-0/agent/tree.html"
echo "  status:          $bin status $run_id"
exit "$rc"
