#!/usr/bin/env bash
# The whole test suite, with every service it needs: installs and starts the local LLM
# server (scripts/llm-server.sh), installs moto (S3 tests start private servers from it)
# and headless Chromium (report tests), runs every Rust test with cargo-nextest (black-box
# tests start their scripted LLM servers and fake Kubernetes API on 127.0.0.1 themselves),
# validates every Kubernetes object with kubernetes-validate, then the real-model smoke
# run. Stops what it started. `.ci/run` runs exactly this.
#
# Usage: scripts/test.sh [--no-real-model]
#   --no-real-model   skip the local model (its first install compiles llama.cpp, ~7 min)
set -euo pipefail
cd "$(dirname "$0")/.."

real_model=1
for arg in "$@"; do
  case "$arg" in
    --no-real-model) real_model=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

started_server=0
cleanup() {
  if [ "$started_server" = 1 ]; then scripts/llm-server.sh stop || true; fi
}
trap cleanup EXIT

if [ "$real_model" = 1 ]; then
  step "local LLM server (install on first use, then start)"
  if ! scripts/llm-server.sh status >/dev/null 2>&1; then started_server=1; fi
  scripts/llm-server.sh start
fi

step "test services: project venv, S3-compatible server (moto), headless Chromium"
# The venv runs generated scripts and RE scorers (numpy); the S3 tests start private moto
# servers from their venv; the report tests open HTML in Chromium.
scripts/setup-python.sh --quiet
scripts/s3-server.sh install
scripts/chromium.sh install

# What git says of tests/ and benchmarks/ (edits of your own included), to compare after.
tree_state() {
  git status --porcelain --untracked-files=all -- tests benchmarks 2>/dev/null || true
  git diff --no-ext-diff -- tests benchmarks 2>/dev/null | sha256sum
}
tree_before=$(tree_state)

step "build"
cargo build --all-targets --locked

step "cargo nextest run"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast
else
  echo "cargo-nextest is not installed; falling back to cargo test" >&2
  cargo test --locked --no-fail-fast
fi

step "the tests left the source tree as they found it"
# A test that writes into tests/data (a fixture store it reports on, say) would pass here
# and change what the next run reads.
if [ "$(tree_state)" != "$tree_before" ]; then
  echo "test.sh: the tests changed files under tests/ or benchmarks/:" >&2
  diff <(echo "$tree_before") <(tree_state) >&2 || true
  exit 1
fi

step "Kubernetes objects: manifests/ and rendered Jobs, kubernetes-validate --strict"
scripts/validate-manifests.sh target/rendered-jobs

step "formatting"
cargo fmt --check

if [ "$real_model" = 1 ]; then
  step "real-model smoke run (3 steps on the demo task)"
  scripts/smoke-real-model.sh target/debug/aide-fleet
fi

step "all tests passed"
