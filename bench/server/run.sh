#!/usr/bin/env bash
# Server load benchmark: concurrent searches and upload ingests against `likeness serve` on loopback.
#
#   bench/server/run.sh [BUILD_DIR] [-- load.py options, e.g. --duration 600 --search-clients 8]
#
# Gallery: the demo photos, plus ../shared/data/faces-dev when present (so searches run against a few
# thousand faces). Uploads are made unique with a little noise so each one is really ingested.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"; shift || true
[ "${1:-}" = "--" ] && shift
bin="$build/apps/likeness/likeness"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/likeness"
demo="${LIKENESS_DEMO:-$cache/demo}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LIKENESS_DATA="$work/data" LIKENESS_OPERATOR=bench
gallery=("$demo")
[ -d ../shared/data/faces-dev ] && gallery+=(../shared/data/faces-dev)
"$bin" -q ingest "${gallery[@]}" --source bench-gallery --basis art6-1-f,art9-2-e --jurisdiction DE \
  --retain-until 2030-12-31 --jobs 2 >/dev/null
"$bin" stats | head -3
# Probes and uploads: portrait photos (deepface's) when present, else the 1920-px demo group photos
# (those cost ~0.5 s each to analyse: the tile pyramid looks for 24-px faces).
if [ -d ../shared/data/faces-dev/deepface ]; then
  ls ../shared/data/faces-dev/deepface/img*.jpg > "$work/images.txt"
else
  ls "$demo"/*.jpg > "$work/images.txt"
fi
/usr/bin/python3 bench/server/load.py --bin "$bin" --data "$LIKENESS_DATA" --images "$work/images.txt" "$@"
