#!/usr/bin/env bash
# Pipeline throughput against the reference Python+OpenCV pipeline, same images, same run.
#
#   bench/pipeline/run.sh [BUILD_DIR]
#
# Makes 250x250 single-face images (face crops with margin, like LFW) from ../shared/data/faces-dev
# ($LIKENESS_FACES_DEV) when present, else from the demo photos; then runs the reference (one thread)
# and `likeness bench speed` with 1 and 2 workers, and prints images/s and the ratios. Also times the
# six 1920-px demo group photos.
#
# Ingest throughput (issue 5), for both image sets in the same run: the single-threaded unbatched
# path (1 worker, one face per embedding pass) against 2 workers embedding each image on its own and
# against 2 workers with the batched, pipelined embedding stage (--embed-batch $EMBED_BATCHES, faces
# gathered across images); ratios against the first. Then JPEG decode at full and reduced scale for
# a 4800-px photo. Run it under `flock /tmp/likeness-bench.lock` on a shared machine; the load average
# is printed with every block.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
bin="$build/apps/likeness/likeness"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/likeness"
models="${LIKENESS_MODELS:-$cache/models}"
demo="${LIKENESS_DEMO:-$cache/demo}"
faces_dev="${LIKENESS_FACES_DEV:-../shared/data/faces-dev}"
embed_batches="${EMBED_BATCHES:-4 8 16}"
parts="${PARTS:-backends groups reference ingest decode}"  # which blocks to run (the 250x250 crops are always made)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. 250x250 crops: detect with our own CLI, crop a square of 2.2x the face around it.
sources=()
if [ -d "$faces_dev/deepface" ]; then
  for f in "$faces_dev"/deepface/img*.jpg "$faces_dev"/face_recognition/examples/*.jpg; do sources+=("$f"); done
else
  for f in "$demo"/sample*.jpg; do sources+=("$f"); done
fi
mkdir -p "$work/crops"
n=0
have_cv2=0
/usr/bin/python3 -c "import cv2, numpy" 2>/dev/null && have_cv2=1
for f in "${sources[@]}"; do
  "$bin" -q faces "$f" --json > "$work/faces.json" 2>/dev/null || continue
  if [ "$have_cv2" = 0 ]; then  # no python3-opencv: the same crops with ImageMagick
    /usr/bin/python3 - "$f" "$work/faces.json" "$work/crops" <<'PY' | while read -r args; do convert $args || true; done
import json, sys
faces = json.load(open(sys.argv[2]))["faces"]
for i, f in enumerate(faces):
    b = f["box"]; cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
    side = 2.2 * max(b["width"], b["height"])
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    if side < 100: continue
    name = sys.argv[1].replace("/", "_").lstrip("._")
    print(f"{sys.argv[1]} -crop {int(side)}x{int(side)}+{x0}+{y0} +repage -resize 250x250! -quality 90 {sys.argv[3]}/{name}_{i}.jpg")
PY
    continue
  fi
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
# Repeat the list so each run lasts several seconds (REPEAT, default 12: with the fast backend a
# 6x list ran 1.5 s on two workers, and start-up and the last image's tail showed in the scaling).
for i in $(seq "${REPEAT:-12}"); do cat "$work/list1.txt"; done > "$work/list.txt"
count=$(wc -l < "$work/list.txt")
echo "== 250x250 single-face images: $count ($(wc -l < "$work/list1.txt") distinct); load: $(uptime | sed 's/.*average: //')"

ls "$demo"/sample*.jpg > "$work/demo.txt"
if [[ " $parts " == *" backends "* ]]; then
  ROUNDS="${ROUNDS:-3}" bench/pipeline/backends.sh "$bin" "$models" "$work/list.txt" "$work"
fi
if [[ " $parts " == *" reference "* ]]; then
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

echo "== 1920-px demo group photos (3-6 faces each, tiles on); load: $(uptime | sed 's/.*average: //')"
ls "$demo"/sample*.jpg > "$work/demo.txt"
for i in 1 2; do cat "$work/demo.txt"; done > "$work/demo2.txt"
ref=$(/usr/bin/python3 ../shared/tools/reference_pipeline.py "$models" "$work/demo2.txt" 2>/dev/null || true)
[ -n "$ref" ] && echo "reference (whole frame only, 1 face per image, 1 thread): $ref" | tr '\n' ' ' && echo
"$bin" bench speed --list "$work/demo2.txt" --jobs 1
"$bin" bench speed --list "$work/demo2.txt" --jobs 2
fi

# Issue 13: 1920-px group photos with the tile pyramid, one worker, OpenCV DNN (what Likeness ran
# before the fast backend) against the fast backend in fp32 and bf16; rounds interleaved, best counts.
if [[ " $parts " == *" groups "* ]]; then
  echo "== 1920-px demo group photos, tile pyramid, 1 worker, best of ${ROUNDS:-3} interleaved rounds; load: $(uptime | sed 's/.*average: //')"
  for i in 1 2 3 4; do cat "$work/demo.txt"; done > "$work/demo4.txt"
  : > "$work/groups.jsonl"
  for round in $(seq "${ROUNDS:-3}"); do
    for config in "opencv fp32" "fast fp32" "fast bf16"; do
      set -- $config
      "$bin" --backend "$1" --precision "$2" bench speed --list "$work/demo4.txt" --jobs 1 --json |
        /usr/bin/python3 -c "import json, sys; r = json.load(sys.stdin); r['config'] = '$1 $2'; print(json.dumps(r))" \
        >> "$work/groups.jsonl"
    done
  done
  /usr/bin/python3 - "$work/groups.jsonl" <<'PY'
import json, sys
best = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["config"] not in best or r["images_per_s"] > best[r["config"]]["images_per_s"]: best[r["config"]] = r
base = best["opencv fp32"]["images_per_s"]
for c, r in best.items():
    ms = r["ms_per_image"]
    print(f"{c:12s} {r['images_per_s']:6.2f} photos/s  {r['images_per_s'] / base:5.2f}x opencv   ms/photo decode "
          f"{ms['decode']:.1f} detect {ms['detect']:.1f} landmarks {ms['landmarks']:.1f} embed {ms['embed']:.1f}")
PY
fi

# Ingest throughput: same lists, same run. A = the single-threaded unbatched path.
ingest_table() {  # LABEL LIST; every configuration twice, interleaved; the faster run counts
  local label="$1" list="$2" round batch
  local configs=("1 1" "2 0")
  for batch in $embed_batches; do configs+=("2 $batch"); done
  echo "== ingest throughput, $label; load: $(uptime | sed 's/.*average: //')"
  : > "$work/runs.jsonl"
  for round in 1 2; do
    for c in "${configs[@]}"; do
      set -- $c
      "$bin" bench speed --list "$list" --jobs "$1" --embed-batch "$2" --json | tr -d '\n' >> "$work/runs.jsonl"
      echo >> "$work/runs.jsonl"
    done
  done
  /usr/bin/python3 - "$work/runs.jsonl" <<'PY'
import json, sys
best = {}
for line in open(sys.argv[1]):
    r = json.loads(line); key = (r["jobs"], r["embed_batch"])
    if key not in best or r["images_per_s"] > best[key]["images_per_s"]: best[key] = r
base = best[(1, 1)]["images_per_s"]
for (jobs, b), r in best.items():
    how = ("1 worker, 1 face per embedding pass (unbatched)" if jobs == 1 else
           f"{jobs} workers, " + ("each image's faces in one pass" if b == 0 else
                                  f"batched+pipelined, {b} faces per pass"))
    ms = r["ms_per_image"]
    print(f"{how:50s} {r['images_per_s']:7.2f} images/s  {r['images_per_s'] / base:5.2f}x   "
          f"ms/image (summed over workers) decode {ms['decode']:.2f} detect {ms['detect']:.2f} "
          f"landmarks {ms['landmarks']:.2f} embed {ms['embed']:.2f}")
PY
  echo "   (end of block; load: $(uptime | sed 's/.*average: //'))"
}
if [[ " $parts " == *" ingest "* ]]; then
echo "== embedder forward pass alone, one thread (python3-opencv 4.6): ms per face by batch size; load: $(uptime | sed 's/.*average: //')"
/usr/bin/python3 - "$models/fr_feature.onnx" <<'PY'
import cv2, numpy as np, sys, time
cv2.setNumThreads(1)
net = cv2.dnn.readNetFromONNX(sys.argv[1]); out = []
for n in (1, 2, 4, 8, 16):
    x = np.random.rand(n, 3, 112, 112).astype(np.float32); net.setInput(x); net.forward()
    reps = max(4, 64 // n); t = time.perf_counter()
    for _ in range(reps): net.setInput(x); net.forward()
    out.append(f"batch {n}: {(time.perf_counter() - t) / reps / n * 1000:.2f}")
print("   ".join(out))
PY
ingest_table "250x250 single-face images ($count)" "$work/list.txt"
for i in 1 2 3; do cat "$work/demo.txt"; done > "$work/demo3.txt"
ingest_table "1920-px group photos ($(wc -l < "$work/demo3.txt"))" "$work/demo3.txt"
fi
[[ " $parts " == *" decode "* ]] || exit 0

# Reduced-scale JPEG decode: a 4800-px photo (sample1 enlarged 2.5x) decoded at full scale and as ingest
# decodes it (DCT-scaled to 1/2 by libjpeg, longer side >= 2400).
/usr/bin/python3 - "$demo/sample1.jpg" "$work/big.jpg" <<'PY'
import cv2, sys
img = cv2.imread(sys.argv[1]); big = cv2.resize(img, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)
cv2.imwrite(sys.argv[2], big, [cv2.IMWRITE_JPEG_QUALITY, 90])
PY
for i in $(seq 10); do echo "$work/big.jpg"; done > "$work/big.txt"
echo "== decode of a 4800x3200 JPEG (10 runs, 1 worker, whole pipeline); load: $(uptime | sed 's/.*average: //')"
for reduce in 0 2400; do
  "$bin" bench speed --list "$work/big.txt" --jobs 1 --reduce-above "$reduce" --json | /usr/bin/python3 -c "
import json, sys; r = json.load(sys.stdin); ms = r['ms_per_image']
print(f\"reduce above {r['reduce_above']:4d} px: decode {ms['decode']:6.1f} ms  detect {ms['detect']:6.1f} ms  {r['images_per_s']:.2f} images/s\")"
done
