#!/bin/sh
# Browser end-to-end test of the web app. Needs Debian's chromium (apt-get install -y chromium),
# node, and the likeness binary. Installs the pinned playwright-core from package-lock.json
# (npm ci, once), then runs web_e2e.mjs; screenshots land in test-output/e2e/.
# Usage: tests/e2e/run.sh [path/to/likeness]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
exec node web_e2e.mjs "${1:-$here/../../build/apps/likeness/likeness}"
