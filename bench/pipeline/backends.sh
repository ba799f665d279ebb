#!/usr/bin/env bash
# Issue 13: inference backends on one core, same images, same run.
#
#   bench/pipeline/backends.sh BIN MODEL_DIR IMAGE_LIST WORK_DIR      (run.sh calls it; PARTS=backends)
#
# Measures the one-thread sgemm peak of this core (OpenBLAS and oneDNN, bench/pipeline/sgemm_peak.c),
# then ROUNDS rounds (default 3) of, interleaved: the reference pipeline (python3-opencv, when
# installed), `likeness --backend opencv bench speed --jobs 1`, `--backend fast` with each image's
# faces in one pass, `--backend fast --embed-batch 16` (faces batched across images),
# `--precision bf16`, and fp32 / bf16 with `--jobs 2` (two workers: the two-core scaling). Each
# configuration's best round counts (the machine may be shared: the load average is printed
# with every run and next to every figure). Prints photos/s, ratios, and per model ms/item,
# GFLOP/s and the fraction of the sgemm peak.
set -euo pipefail
bin="$1" models="$2" list="$3" work="$4"
rounds="${ROUNDS:-3}"
here="$(dirname "$0")"
load() { uptime | sed 's/.*average: //; s/,.*//'; }

cc -O2 "$here/sgemm_peak.c" -o "$work/sgemm_peak" -lopenblas
cc -O2 -DWITH_DNNL "$here/sgemm_peak.c" -o "$work/sgemm_peak_dnnl" -ldnnl
peak=0 peak_dnnl=0
for i in 1 2 3; do  # best of three, as for the models
  p=$(OPENBLAS_NUM_THREADS=1 "$work/sgemm_peak")
  peak=$(/usr/bin/python3 -c "print(max($peak, $p))")
  p=$(OMP_NUM_THREADS=1 "$work/sgemm_peak_dnnl")
  peak_dnnl=$(/usr/bin/python3 -c "print(max($peak_dnnl, $p))")
done
echo "== inference backends, $(wc -l < "$list") 250x250 single-face images, best of $rounds interleaved rounds"
echo "one-thread sgemm peak, best of 3: OpenBLAS cblas_sgemm $peak GFLOP/s, oneDNN dnnl_sgemm $peak_dnnl GFLOP/s  (load $(load))"

have_ref=0
/usr/bin/python3 -c "import cv2, numpy" 2>/dev/null && have_ref=1
ref_script=../shared/tools/reference_pipeline.py
[ -f "$ref_script" ] || ref_script=bench/pipeline/reference_pipeline.py
: > "$work/backends.jsonl"
for round in $(seq "$rounds"); do
  if [ "$have_ref" = 1 ]; then
    l=$(load)
    out=$(/usr/bin/python3 "$ref_script" "$models" "$list" | tr '\n' ' ')
    ips=$(echo "$out" | sed -n 's/.*images_per_s=\([0-9.]*\).*/\1/p')
    echo "{\"config\": \"reference\", \"images_per_s\": $ips, \"load\": $l, \"round\": $round}" >> "$work/backends.jsonl"
  fi
  # backend, --embed-batch, --precision, --jobs
  for config in "opencv 0 fp32 1" "fast 0 fp32 1" "fast 16 fp32 1" "fast 0 bf16 1" "fast 0 fp32 2" \
                "fast 0 bf16 2"; do
    set -- $config
    l=$(load)
    "$bin" --backend "$1" --precision "$3" bench speed --list "$list" --jobs "$4" --embed-batch "$2" --json |
      /usr/bin/python3 -c "
import json, sys
r = json.load(sys.stdin)
r['config'] = '$1' + ('' if $2 == 0 else ' --embed-batch $2') + ('' if '$3' == 'fp32' else ' --precision $3') + ('' if $4 == 1 else ' --jobs $4')
r['load'] = $l; r['round'] = $round; print(json.dumps(r))" >> "$work/backends.jsonl"
  done
done

/usr/bin/python3 - "$work/backends.jsonl" "$peak" "$have_ref" "$peak_dnnl" <<'PY'
import json, sys
peak = float(sys.argv[2]); peak_dnnl = float(sys.argv[4]); best = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["config"] not in best or r["images_per_s"] > best[r["config"]]["images_per_s"]:
        best[r["config"]] = r
base = best["opencv"]["images_per_s"]
ref = best.get("reference", {}).get("images_per_s")
if not ref:
    print("reference pipeline: not run (python3-opencv is not installed here); ratios are against "
          "`--backend opencv`, the Likeness path that measured 1.00-1.04x the reference (bench/README.md)")
for name, r in best.items():
    ratio = f"{r['images_per_s'] / base:5.2f}x opencv" + (f", {r['images_per_s'] / ref:5.2f}x reference" if ref else "")
    print(f"{name:26s} {r['images_per_s']:7.1f} photos/s  ({ratio})  load {r['load']:.2f} (round {r['round']})")
    for m in r.get("inference", {}).get("models", []):
        if not m["items"]:
            continue
        fb = f"  [fallback: {m['fallback_reason']}]" if m["fallback_reason"] else ""
        print(f"    {m['role']:9s} {m['backend']:6s} {m.get('precision', 'fp32'):4s} "
              f"{m['gflop_per_item']:.3f} GFLOP/item  "
              f"{m['ms_per_item']:6.2f} ms/item  {m['gflop_per_s']:6.1f} GFLOP/s  "
              f"({100 * m['gflop_per_s'] / peak:5.1f} % of OpenBLAS, "
              f"{100 * m['gflop_per_s'] / peak_dnnl:5.1f} % of oneDNN sgemm peak){fb}")
one = {c: r["images_per_s"] for c, r in best.items()}
for c in ("fast", "fast --precision bf16"):
    if c in one and c + " --jobs 2" in one:
        print(f"two workers / one, {c}: {one[c + ' --jobs 2'] / one[c]:.2f}x")
PY
echo "   (end of block; load $(load))"
