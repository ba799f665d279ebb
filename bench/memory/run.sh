#!/usr/bin/env bash
# Peak memory while ingesting N small single-face images (default 10,000): memory must stay flat.
#
#   bench/memory/run.sh [BUILD_DIR] [N]
#
# Makes N distinct JPEG files (faces from ../shared/data/faces-dev/orl when present, else crops of the
# demo photos; copies made distinct by bytes appended after the JPEG end marker), ingests them with two
# workers, samples the process's resident set every second and prints RSS after 10 %, 50 % and 100 %.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
n="${2:-10000}"
bin="$PWD/$build/apps/likeness/likeness"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/files"
if [ -d ../shared/data/faces-dev/orl ]; then
  /usr/bin/python3 - ../shared/data/faces-dev/orl "$work/src" <<'PY'
import cv2, glob, sys
for i, p in enumerate(sorted(glob.glob(sys.argv[1] + "/s*/*.pgm"))):
    cv2.imwrite(f"{sys.argv[2]}/{i:04d}.jpg", cv2.resize(cv2.imread(p), (184, 224)))
PY
else
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/likeness"
  cp "${LIKENESS_DEMO:-$cache/demo}"/sample*.jpg "$work/src/"
fi
/usr/bin/python3 - "$work/src" "$work/files" "$n" <<'PY'
import os, sys
srcs = sorted(os.listdir(sys.argv[1])); n = int(sys.argv[3])
data = [open(os.path.join(sys.argv[1], s), "rb").read() for s in srcs]
for i in range(n):
    with open(os.path.join(sys.argv[2], f"f{i:06d}.jpg"), "wb") as f:
        f.write(data[i % len(data)] + b"copy%d" % i)
PY
echo "made $n files from $(ls "$work/src" | wc -l) distinct photos"
"$bin" --data "$work/data" -q ingest "$work/files" --source mem --basis art6-1-e,art9-2-g --jurisdiction DE \
  --jobs 2 --json > "$work/summary.json" &
pid=$!
: > "$work/rss.txt"
while kill -0 "$pid" 2>/dev/null; do
  rss=$(ps -o rss= -p "$pid" 2>/dev/null || true)
  imgs=$(sqlite3 "$work/data/catalog.db" "select count(*) from images" 2>/dev/null || echo 0)
  [ -n "$rss" ] && echo "$imgs $rss" >> "$work/rss.txt"
  sleep 1
done
wait "$pid"
/usr/bin/python3 - "$work/rss.txt" "$work/summary.json" "$n" <<'PY'
import json, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
s = json.load(open(sys.argv[2])); n = int(sys.argv[3])
def at(frac):
    target = n * frac
    cands = [r for r in rows if r[0] >= target]
    return (cands[0] if cands else rows[-1])[1] / 1024
peak = max(r[1] for r in rows) / 1024
print(f"ingested {s['images']} images, {s['faces']} faces, {s['errors']} errors in {s['seconds']:.0f} s ({s['images_per_s']:.1f} images/s, 2 workers)")
print(f"RSS MiB: at 10% {at(0.1):.0f}, at 50% {at(0.5):.0f}, at 100% {at(1.0):.0f}, peak {peak:.0f}; growth 10%->100%: {at(1.0)-at(0.1):+.0f} MiB")
PY
