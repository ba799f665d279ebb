#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS from a seed corpus; fails if it finds a crash, a leak, a
# timeout or an invariant violation (the target aborts). Crash inputs are kept in WORK/artifacts.
#
#   tests/fuzz/run.sh FUZZER SECONDS WORK
set -euo pipefail
fuzzer="$1" seconds="$2" work="$3"
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
# Seeds: the request fuzzer writes its own (well-formed requests with the key placeholder); the
# decode fuzzer starts from the demo photos and small generated images of every format.
LIKENESS_FUZZ_SEEDS="$work/seeds" "$fuzzer" -runs=0 >/dev/null 2>&1 || true
demo="${LIKENESS_DEMO:-${XDG_CACHE_HOME:-$HOME/.cache}/likeness/demo}"
if [ -z "$(ls -A "$work/seeds")" ] && [ -d "$demo" ]; then cp "$demo"/*.jpg "$work/seeds/"; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
exec "$fuzzer" "$work/corpus" "$work/seeds" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
  -max_len=262144 -artifact_prefix="$work/artifacts/" -print_final_stats=1
