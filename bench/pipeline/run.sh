#!/usr/bin/env bash
# Pipeline throughput against the reference Python+OpenCV pipeline, same images, same run.
#
#   bench/pipeline/run.sh [BUILD_DIR]
#
# Makes 250x250 single-face images (face crops with margin, like LFW) from ../shared/data/faces-dev when
# present, else from the demo photos; then runs the reference (one thread) and `likeness bench speed`
# with 1 and 2 workers, and prints images/s and the ratios. Also times the six 1920-px demo group photos.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
bin="$build/apps/likeness/likeness"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/likeness"
models="${LIKENESS_MODELS:-$cache/models}"
demo="${LIKENESS_DEMO:-$cache/demo}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. 250x250 crops: detect with our own CLI, crop a square of 2.2x the face around it.
sources=()
if [ -d ../shared/data/faces-dev/deepface ]; then
  for f in ../shared/data/faces-dev/deepface/img*.jpg ../shared/data/faces-dev/face_recognition/examples/*.jpg; do sources+=("$f"); done
else
  for f in "$demo"/sample*.jpg; do sources+=("$f"); done
fi
mkdir -p "$work/crops"
n=0
for f in "${sources[@]}"; do
  "$bin" -q faces "$f" --json > "$work/faces.json" 2>/dev/null || continue
  /usr/bin/python3 - "$f" "$work/faces.json" "$work/crops" <<'PY' || true
import json, sys, cv2
img = cv2.imread(sys.argv[1]); faces = json.load(open(sys.argv[2]))["faces"]
for i, f in enumerate(faces):
    b = f["box"]; cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
    side = 2.2 * max(b["width"], b["height"])
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    crop = img[y0:int(y0 + side), x0:int(x0 + side)]
    if crop.shape[0] < 100 or crop.shape[1] < 100: continue
    name = sys.argv[1].replace("/", "_").lstrip("._")
    cv2.imwrite(f"{sys.argv[3]}/{name}_{i}.jpg", cv2.resize(crop, (250, 250)), [cv2.IMWRITE_JPEG_QUALITY, 90])
PY
done
ls "$work"/crops/*.jpg > "$work/list1.txt"
# Repeat the list so each run lasts a few seconds.
for i in 1 2 3 4 5 6; do cat "$work/list1.txt"; done > "$work/list.txt"
count=$(wc -l < "$work/list.txt")
echo "== 250x250 single-face images: $count ($(wc -l < "$work/list1.txt") distinct)"

ref=$(/usr/bin/python3 ../shared/tools/reference_pipeline.py "$models" "$work/list.txt" 2>/dev/null || \
      /usr/bin/python3 bench/pipeline/reference_pipeline.py "$models" "$work/list.txt")
echo "reference (python3-opencv, 1 thread): $ref" | tr '\n' ' '; echo
ref_ips=$(echo "$ref" | sed -n 's/.*images_per_s=\([0-9.]*\).*/\1/p')
one=$("$bin" bench speed --list "$work/list.txt" --jobs 1 --json)
two=$("$bin" bench speed --list "$work/list.txt" --jobs 2 --json)
/usr/bin/python3 - "$ref_ips" "$one" "$two" <<'PY'
import json, sys
ref = float(sys.argv[1]); one = json.loads(sys.argv[2]); two = json.loads(sys.argv[3])
print(f"likeness 1 worker : {one['images_per_s']:.1f} images/s  ({one['images_per_s']/ref:.2f}x reference)  ms/image " +
      " ".join(f"{k}={v:.2f}" for k, v in one['ms_per_image'].items()))
print(f"likeness 2 workers: {two['images_per_s']:.1f} images/s  ({two['images_per_s']/ref:.2f}x reference one thread)")
PY

echo "== 1920-px demo group photos (3-6 faces each, tiles on)"
ls "$demo"/sample*.jpg > "$work/demo.txt"
for i in 1 2; do cat "$work/demo.txt"; done > "$work/demo2.txt"
ref=$(/usr/bin/python3 ../shared/tools/reference_pipeline.py "$models" "$work/demo2.txt" 2>/dev/null || true)
[ -n "$ref" ] && echo "reference (whole frame only, 1 face per image, 1 thread): $ref" | tr '\n' ' ' && echo
"$bin" bench speed --list "$work/demo2.txt" --jobs 1
"$bin" bench speed --list "$work/demo2.txt" --jobs 2
