#!/usr/bin/env bash
# Create (or reuse) the project venv .venv/ at the repository root and install
# scripts/requirements.txt into it. The agent runs generated solution scripts with this
# Python. A stamp file holding the hash of the requirements (and the interpreter version)
# makes a re-run a no-op in well under a second when nothing changed.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/setup-python.sh [--force] [--quiet] [--help]

Creates .venv/ at the repository root (python3, 3.9+) and installs the pinned packages in
scripts/requirements.txt (numpy, pandas, scipy, scikit-learn). Re-running is cheap: it
skips the install when .venv/.requirements.stamp matches the requirements hash.

Options:
  --force   reinstall even when the stamp matches
  --quiet   print nothing on success (default prints the venv's python path)
  --help    show this text

Environment:
  PYTHON    interpreter used to create the venv (default: python3); to switch the
            interpreter of an existing venv, delete .venv/ first

On success the last line of output is the absolute path of .venv/bin/python.
USAGE
}

force=0
quiet=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --quiet) quiet=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup-python.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "setup-python.sh: error: $*" >&2; exit 1; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.venv"
req="$repo_root/scripts/requirements.txt"
stamp="$venv/.requirements.stamp"
py_base="${PYTHON:-python3}"

[[ -f "$req" ]] || die "missing $req"

# The stamp hashes the requirements and the venv's pyvenv.cfg (which records the base
# Python's version), so editing the pins or rebuilding the venv triggers a reinstall. The
# fast path runs no base interpreter (pyenv shims alone cost ~0.3 s).
stamp_hash() { cat "$req" "$venv/pyvenv.cfg" 2>/dev/null | sha256sum | cut -d' ' -f1; }

if [[ $force -eq 0 && -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$(stamp_hash)" ]] \
   && "$venv/bin/python" -c 'pass' 2>/dev/null; then
  [[ $quiet -eq 1 ]] || echo "$venv/bin/python"
  exit 0
fi

command -v "$py_base" >/dev/null 2>&1 || die "'$py_base' not found on PATH (set PYTHON=/path/to/python3.9+)"
"$py_base" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
  || die "$py_base is $("$py_base" -V 2>&1); need Python 3.9 or newer"

# A venv whose interpreter no longer runs (e.g. the base Python was removed) is rebuilt.
if [[ -d "$venv" ]] && ! "$venv/bin/python" -c 'pass' 2>/dev/null; then
  echo "setup-python.sh: $venv is broken; recreating it" >&2
  rm -rf "$venv"
fi
if [[ ! -x "$venv/bin/python" ]]; then
  "$py_base" -m venv "$venv" \
    || die "could not create $venv with $py_base (on Debian/Ubuntu: apt-get install python3-venv)"
fi

rm -f "$stamp"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req" >"$log" 2>&1; then
  echo "setup-python.sh: error: pip install -r $req failed; last lines:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
"$venv/bin/python" -c 'import numpy, pandas, sklearn, scipy' 2>"$log" || {
  echo "setup-python.sh: error: packages installed but do not import:" >&2
  cat "$log" >&2
  exit 1
}
stamp_hash >"$stamp"
[[ $quiet -eq 1 ]] || echo "$venv/bin/python"
