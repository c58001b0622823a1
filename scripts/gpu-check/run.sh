#!/usr/bin/env bash
# The local executor on a machine with NVIDIA GPUs: GPU discovery through nvidia-smi, one
# GPU per run through CUDA_VISIBLE_DEVICES (two runs, one GPU: the second waits), a script
# that uses CUDA through PyTorch inside the agent's scrubbed environment, GPU-hours in the
# report, and a run asking for more GPUs than exist refused at plan time. The model is
# scripts/gpu-check/scripted_llm.py on 127.0.0.1; nothing is fetched.
#
# Usage: scripts/gpu-check/run.sh BIN OUT   (BIN: an aide-fleet binary; OUT: where the
# findings go). Needs nvidia-smi and a python3 with PyTorch built for CUDA.
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=$1
out=$2
work=$(mktemp -d)
mkdir -p "$out"

nvidia-smi -L | tee "$out/nvidia-smi.txt"
python3 scripts/gpu-check/scripted_llm.py 18089 &
llm=$!
trap 'kill $llm 2>/dev/null' EXIT
sleep 1
export OPENAI_BASE_URL=http://127.0.0.1:18089/v1 OPENAI_API_KEY=scripted
unset AIDE_FLEET_GPUS

cat >"$work/suite.yaml" <<'YAML'
name: gpu-check
benchmark: demo
tasks: [demo-binary]
seeds: 2
agent: {steps: 1, num_drafts: 1, model: scripted, feedback_model: scripted}
resources: {cpus: 2, memory: 16Gi, gpus: 1}
executor: {local: {concurrency: 2}}
YAML
"$bin" run "$work/suite.yaml" --store "$work/store" --run-id gpu --no-progress 2>&1 | tee "$out/run.log"
echo "run exit: ${PIPESTATUS[0]}" | tee -a "$out/run.log"
"$bin" status gpu --store "$work/store" | tee "$out/status.txt"
"$bin" report gpu --store "$work/store" --format md >"$out/report.md"
cp "$work/store/runs/gpu/report/summary.json" "$out/summary.json" 2>/dev/null
for seed in 0 1; do
  run="$work/store/runs/gpu/tasks/demo-binary/seed-$seed"
  echo "== seed $seed: status"
  cat "$run/status.json"
  echo "== seed $seed: node 0 output"
  python3 -c 'import json,sys; n=json.load(open(sys.argv[1])); print("".join(n["term_out"])); print("buggy:", n["is_buggy"], n.get("bug_reasons"))' \
    "$run/agent/nodes/00000.json"
done >"$out/nodes.txt" 2>&1

sed 's/gpus: 1/gpus: 2/' "$work/suite.yaml" >"$work/suite2.yaml"
"$bin" run "$work/suite2.yaml" --store "$work/store" --run-id gpu2 --no-progress >"$out/refused.txt" 2>&1
echo "exit: $?" >>"$out/refused.txt"
