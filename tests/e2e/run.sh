#!/bin/sh
# Browser end-to-end tests of the web app and the public self-check page: Debian's chromium driven
# by the pinned playwright-core (package-lock.json). Installs chromium from apt when it is missing
# (skipping, with a message and exit 0, only when it cannot be installed), `npm ci`s once, then
# runs web_e2e.mjs, ux_e2e.mjs (issue 14: what new users tripped over), selfcheck_e2e.mjs and
# video_e2e.mjs (issue 15: a video match played from its moment; needs the build's tests/make_slideshow).
# Screenshots land in test-output/e2e/.
# Usage: tests/e2e/run.sh [path/to/likeness]
# Env: CHROMIUM (browser binary, default /usr/bin/chromium), LIKENESS_SKIP_APT=1 (never apt-get).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cli="${1:-$here/../../build/apps/likeness/likeness}"
case "$cli" in /*) ;; *) cli="$PWD/$cli" ;; esac  # relative to the caller's folder
cd "$here"
browser="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$browser" ] && [ "${LIKENESS_SKIP_APT:-0}" != 1 ]; then
  echo "e2e: installing chromium from apt"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  { $sudo_cmd apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium; } ||
    echo "e2e: apt-get install chromium failed"
fi
if [ ! -x "$browser" ]; then
  echo "e2e: SKIPPED — no chromium at $browser and it could not be installed from apt"
  exit 0
fi
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
node web_e2e.mjs "$cli"
node ux_e2e.mjs "$cli"
node selfcheck_e2e.mjs "$cli"
node video_e2e.mjs "$cli"
