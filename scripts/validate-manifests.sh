#!/usr/bin/env bash
# Validates every Kubernetes object in manifests/ and every rendered Job, strictly (unknown
# fields are errors) and offline, against the schemas of Kubernetes 1.33: the version the
# crate's k8s-openapi feature (v1_33) targets.
#
# Usage: scripts/validate-manifests.sh [DIR...]
#   DIR   more YAML files to validate, e.g. the Jobs that `cargo test --test integration kube_render::`
#         writes to target/rendered-jobs/ (or to $AIDE_FLEET_RENDERED_JOBS)
#
# With no DIR, renders the test Jobs first (cargo test --test integration kube_render::) and validates
# them too. The validator (kubernetes-validate, from PyPI) is installed once into
# ${AIDE_FLEET_CACHE:-$HOME/.cache/aide-fleet}/kv-venv and reused.
#
# Kueue's objects (kueue.x-k8s.io) are CRDs, which kubernetes-validate has no schema for:
# they are listed as skipped; any other object without a schema fails the check.
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION=1.33.0
KV_VERSION=1.37.0
cache="${AIDE_FLEET_CACHE:-$HOME/.cache/aide-fleet}"
venv="$cache/kv-venv"

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,15p' "$0"
  exit 0
fi

if ! "$venv/bin/kubernetes-validate" --version 2>/dev/null | grep -q "$KV_VERSION"; then
  echo "installing kubernetes-validate $KV_VERSION into $venv" >&2
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "kubernetes-validate==$KV_VERSION"
fi

dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
  rendered="$(mktemp -d)"
  trap 'rm -rf "$rendered"' EXIT
  echo "rendering test Jobs into $rendered" >&2
  AIDE_FLEET_RENDERED_JOBS="$rendered" cargo test --quiet --locked --test integration kube_render:: >/dev/null
  dirs=("$rendered")
fi

files=()
while IFS= read -r f; do files+=("$f"); done < <(
  { find manifests -maxdepth 1 -name '*.yaml' -o -maxdepth 1 -name '*.yml'
    for d in "${dirs[@]}"; do find "$d" -name '*.yaml' -o -name '*.yml'; done
  } | sort
)
if [ ${#files[@]} -eq 0 ]; then
  echo "validate-manifests: no YAML files found" >&2
  exit 1
fi

status=0
for f in "${files[@]}"; do
  out="$("$venv/bin/kubernetes-validate" --strict --kubernetes-version "$K8S_VERSION" "$f" 2>&1)" || status=1
  while IFS= read -r line; do
    case "$line" in
      "") ;;
      *"Couldn't find schema for kind"*"kueue.x-k8s.io/"*)
        echo "SKIP $f: ${line#*Couldn\'t find schema for kind } (a Kueue CRD: no schema offline)" ;;
      *"Couldn't find schema"*)
        echo "FAIL $line"; status=1 ;;
      ERROR*|*"did not validate"*)
        echo "FAIL $line"; status=1 ;;
      *) echo "$line" ;;
    esac
  done <<< "$out"
done

if [ "$status" = 0 ]; then
  echo "validate-manifests: ${#files[@]} files valid against Kubernetes $K8S_VERSION (strict)"
else
  echo "validate-manifests: some files are invalid" >&2
fi
exit "$status"
