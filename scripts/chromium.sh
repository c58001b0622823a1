#!/usr/bin/env bash
# Headless Chromium for the report tests (tests/report_html.rs opens the HTML report in it).
#
# Usage:
#   scripts/chromium.sh install   install Debian's `chromium` package if /usr/bin/chromium is missing
#   scripts/chromium.sh path      print the browser's path (exit 1 when there is none)
#
# The tests find the browser through $AIDE_FLEET_CHROMIUM, else /usr/bin/chromium, and fail
# (they do not skip) when there is none, naming this script.
set -euo pipefail

find_browser() {
  for candidate in "${AIDE_FLEET_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

case "${1:-}" in
  install)
    if find_browser >/dev/null; then
      echo "chromium: $(find_browser)"
      exit 0
    fi
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    # Another apt-get (an unattended upgrade, a parallel install) may hold the dpkg lock:
    # wait for it up to 10 minutes instead of failing at once.
    lock=(-o DPkg::Lock::Timeout=600)
    $sudo apt-get "${lock[@]}" update -q
    $sudo apt-get "${lock[@]}" install -y -q --no-install-recommends chromium fonts-dejavu-core
    echo "chromium: $(find_browser)"
    ;;
  path)
    find_browser || { echo "no chromium: run scripts/chromium.sh install" >&2; exit 1; }
    ;;
  *)
    sed -n '2,9p' "$0"
    exit 2
    ;;
esac
