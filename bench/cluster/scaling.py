#!/usr/bin/env python3
"""Cluster scaling on this machine: for 1, 2 and 4 shards (one replica each, two workers, one
nats-server, all on loopback), ingest the same generated single-face images and measure
  - ingest rate: images/s from queueing to every image committed in its shard;
  - scatter-gather search latency (`likeness cluster bench`): p50/p99 of an embedding search over
    every shard, without the probe's detection and embedding (measured separately once: the
    router's full HTTP search, probe analysis included).
Usage: bench/cluster/scaling.py --bin build/apps/likeness/likeness \\
           --make-images build/tests/cluster/make_face_images [--images 1000] [--shards 1,2,4]"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests',
                                'cluster'))
from cluster_harness import Cluster, wait_for  # noqa: E402


def one_run(a, shards, images, n):
    root = tempfile.mkdtemp(prefix=f'likeness-scale-{shards}-')
    c = Cluster(a.bin, root, shards=shards, replicas=1)
    try:
        c.start_nats()
        c.source_roots = [images]
        c.init()
        for s in range(shards):
            c.start_shard(s, 0)
        for w in range(a.workers):
            c.start_worker(f'w{w}')
        c.wait_serving(timeout=300)
        t0 = time.time()
        c.cli('cluster', 'ingest', images, '--nats', c.url, '--source', 'scale',
              '--basis', 'art6-1-f,art9-2-e', '--jurisdiction', 'DE', data='router')

        def stored():
            st = c.status()
            reps = c.replica_state(st)
            total = sum(h.get('images', 0) for h in reps.values())
            return st['jobs_pending'] == 0 and total >= n and \
                all(h.get('log_backlog') == 0 for h in reps.values())
        wait_for(stored, 1800, 'ingest', step=0.5)
        ingest_s = time.time() - t0
        for w in range(a.workers):
            c.kill(f'w{w}')  # idle workers poll; leave the cores to the searches
        time.sleep(1)
        bench = json.loads(c.cli('cluster', 'bench', '--nats', c.url, '--queries',
                                 str(a.queries)).stdout)
        key = c.start_router()
        probe = open(os.path.join(images, sorted(os.listdir(images))[0]), 'rb').read()
        lat = []
        for _ in range(a.http_queries):
            t = time.time()
            status, _ = c.search(key, probe)
            assert status == 200, status
            lat.append(time.time() - t)
            time.sleep(0.06)  # under the per-key rate limit
        lat.sort()
        return {'shards': shards, 'images': n, 'ingest_s': round(ingest_s, 1),
                'ingest_images_per_s': round(n / ingest_s, 1),
                'scatter_p50_ms': round(bench['p50_ms'], 2), 'scatter_p99_ms': round(bench['p99_ms'], 2),
                'http_search_p50_ms': round(lat[len(lat) // 2] * 1000, 1),
                'http_search_p99_ms': round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1),
                'gallery': bench['gallery_size']}
    finally:
        c.stop_all()
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', required=True)
    ap.add_argument('--make-images', required=True)
    ap.add_argument('--images', type=int, default=1000)
    ap.add_argument('--shards', default='1,2,4')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--queries', type=int, default=300)
    ap.add_argument('--http-queries', type=int, default=60)
    ap.add_argument('--json', help='also write the rows here')
    a = ap.parse_args()
    demo = os.environ.get('LIKENESS_DEMO') or os.path.expanduser('~/.cache/likeness/demo')
    work = tempfile.mkdtemp(prefix='likeness-scale-images-')
    try:
        images = os.path.join(work, 'images')
        subprocess.run([a.make_images, demo, images, str(a.images), os.path.join(work, 'gen')],
                       check=True, stdout=subprocess.DEVNULL)
        rows = []
        print(f'load average before: {os.getloadavg()}', flush=True)
        for shards in [int(x) for x in a.shards.split(',')]:
            row = one_run(a, shards, images, a.images)
            row['loadavg_1m'] = round(os.getloadavg()[0], 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
        base = rows[0]
        print('\n| shards | ingest images/s | vs 1 shard | scatter-gather p50 / p99 ms | '
              'HTTP search p50 / p99 ms | load avg |')
        print('| ---: | ---: | ---: | ---: | ---: | ---: |')
        for r in rows:
            print(f"| {r['shards']} | {r['ingest_images_per_s']} | "
                  f"{r['ingest_images_per_s'] / base['ingest_images_per_s']:.2f}x | "
                  f"{r['scatter_p50_ms']} / {r['scatter_p99_ms']} | "
                  f"{r['http_search_p50_ms']} / {r['http_search_p99_ms']} | {r['loadavg_1m']} |")
        if a.json:
            with open(a.json, 'w') as f:
                json.dump(rows, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
