#!/usr/bin/env bash
# Nightly regression run: runs the nightly suite with `aide-fleet run`, reports on it
# against the previous night's run (the one reports/latest.json in the store points to),
# publishes the report next to the run (runs/<run-id>/report/) and, unless it regressed,
# moves reports/latest.json to it. Runs in-cluster from manifests/cronjob-nightly.yaml, or
# anywhere with a store and LLM keys.
#
# Usage: scripts/nightly.sh [SUITE]        (default: $AIDE_FLEET_NIGHTLY_SUITE, else
#                                           benchmarks/suites/demo.yaml)
# Environment (all optional):
#   AIDE_FLEET_STORE          store directory or s3://bucket/prefix   [results]
#   AIDE_FLEET_S3_ENDPOINT    S3-compatible endpoint (MinIO, ...)
#   AIDE_FLEET_RUN_ID         the run's id                            [nightly-<UTC date>]
#   AIDE_FLEET_NIGHTLY_SEEDS  seeds per task (more seeds, more power) [3]
#   AIDE_FLEET_ALPHA          significance level of the regression test [0.05]
#   AIDE_FLEET_REPORT_OUT     also write the report files to this directory
#   AIDE_FLEET_BIN            the aide-fleet binary [aide-fleet on PATH, else target/release, target/debug]
# Exit: 0 no significant regression (failed runs are reported, not fatal), 3 significant
# regression against the previous night, anything else: the run or the report failed
# (2 bad suite or flags, 1 internal error, 130 interrupted).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,21p' "$0"
  exit 0
fi

suite="${1:-${AIDE_FLEET_NIGHTLY_SUITE:-benchmarks/suites/demo.yaml}}"
store="${AIDE_FLEET_STORE:-results}"
run_id="${AIDE_FLEET_RUN_ID:-nightly-$(date -u +%Y-%m-%d)}"
seeds="${AIDE_FLEET_NIGHTLY_SEEDS:-3}"
alpha="${AIDE_FLEET_ALPHA:-0.05}"

bin="${AIDE_FLEET_BIN:-}"
if [ -z "$bin" ]; then
  for candidate in "$(command -v aide-fleet || true)" target/release/aide-fleet target/debug/aide-fleet; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin="$candidate"; break; fi
  done
fi
if [ -z "$bin" ]; then
  echo "nightly: no aide-fleet binary (set AIDE_FLEET_BIN, or cargo build --release)" >&2
  exit 2
fi

store_args=(--store "$store")
if [ -n "${AIDE_FLEET_S3_ENDPOINT:-}" ]; then store_args+=(--s3-endpoint "$AIDE_FLEET_S3_ENDPOINT"); fi

echo "nightly: running $suite as $run_id ($seeds seeds) into $store" >&2
run_status=0
"$bin" run "$suite" "${store_args[@]}" --run-id "$run_id" --seeds "$seeds" --no-progress || run_status=$?
case "$run_status" in
  0) ;;
  5) echo "nightly: some runs failed after every retry; they count as failures in the report" >&2 ;;
  *) echo "nightly: aide-fleet run exited $run_status; no report" >&2; exit "$run_status" ;;
esac

report_args=("$run_id" "${store_args[@]}" --baseline latest --set-latest --alpha "$alpha" --format md)
if [ -n "${AIDE_FLEET_REPORT_OUT:-}" ]; then report_args+=(--out "$AIDE_FLEET_REPORT_OUT"); fi
report_status=0
"$bin" report "${report_args[@]}" || report_status=$?
case "$report_status" in
  0) echo "nightly: $run_id: no significant regression" >&2 ;;
  3) echo "nightly: $run_id: SIGNIFICANT REGRESSION against the previous night (report: runs/$run_id/report/)" >&2 ;;
  *) echo "nightly: aide-fleet report exited $report_status" >&2 ;;
esac
exit "$report_status"
