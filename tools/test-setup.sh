#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine (run as root or with sudo):
# Debian's chromium (the browser tests drive it through Playwright), CJK fonts, espeak-ng and sox
# (announcements), poppler-utils (PDF pages), postgresql (the second backend; tools/pg.sh runs a throwaway
# cluster); then a virtualenv in .venv with hallops and its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PKGS="chromium fonts-noto-cjk espeak-ng sox poppler-utils postgresql"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
# Another apt run (unattended-upgrades, a second developer) may hold dpkg's lock: wait for it (up to
# APT_LOCK_WAIT seconds, 10 minutes by default) instead of failing at once.
APT_LOCK_WAIT=${APT_LOCK_WAIT:-600}
apt_get() {
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" "$@"
}
if [ -n "$missing" ]; then
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends $missing >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
