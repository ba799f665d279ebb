#!/usr/bin/env python3
"""Load benchmark for `likeness serve` on loopback: concurrent searches and upload ingests.

    load.py --bin BIN --data DIR --images LIST [--search-clients 4] [--ingest-clients 1]
            [--duration 120] [--json]

Starts the server on a free loopback port over DATA (which must already hold a gallery), creates one key
per client (rate limits are per key), then runs two phases in the same process:
  1. baseline: one client, sequential searches, no other load (unloaded latency);
  2. load: N search clients and M ingest clients for DURATION seconds. Each ingest upload is a unique
     JPEG (the pool's images re-encoded with a little noise), so the engine really ingests it.
Reports throughput and p50/p99 latency per kind, status counts, and the server's RSS sampled every
second (first and last tenth of the run, peak), so a leak shows as drift. Traffic goes only to
127.0.0.1; every loop is bounded by count and time.
"""
import argparse, http.client, json, os, random, re, subprocess, sys, threading, time, uuid

def multipart(fields, files):
    boundary = uuid.uuid4().hex
    out = bytearray()
    for k, v in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    for k, name, data in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                f'Content-Type: image/jpeg\r\n\r\n').encode() + data + b'\r\n'
    out += f'--{boundary}--\r\n'.encode()
    return bytes(out), f'multipart/form-data; boundary={boundary}'

class Client:
    def __init__(self, port, key):
        self.port, self.key, self.conn = port, key, None
    def post(self, path, body, ctype):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
                self.conn.request('POST', path, body, {'Authorization': f'Bearer {self.key}',
                                                       'Content-Type': ctype})
                r = self.conn.getresponse(); data = r.read()
                return r.status, data
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn = None
                if attempt: return 0, b''
    def get(self, path):
        c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        c.request('GET', path, headers={'Authorization': f'Bearer {self.key}'})
        r = c.getresponse(); return r.status, r.read()

def pct(xs, p):
    if not xs: return float('nan')
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def rss_mib(pid):
    try:
        for line in open(f'/proc/{pid}/status'):
            if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024
    except OSError:
        return None

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', required=True); ap.add_argument('--data', required=True)
    ap.add_argument('--images', required=True, help='file with one image path per line')
    ap.add_argument('--search-clients', type=int, default=4)
    ap.add_argument('--ingest-clients', type=int, default=1)
    ap.add_argument('--duration', type=float, default=120)
    ap.add_argument('--baseline-searches', type=int, default=30)
    ap.add_argument('--threads', type=int, default=2, help="server's face analyzers")
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    paths = [l.strip() for l in open(a.images) if l.strip()]
    probes = [open(p, 'rb').read() for p in paths]
    env = dict(os.environ, LIKENESS_DATA=a.data)

    def make_key(name, role):
        out = subprocess.run([a.bin, 'keys', 'create', '--name', name, '--role', role],
                             env=env, check=True, capture_output=True, text=True)
        return out.stdout.strip()
    tag = time.strftime('%H%M%S')
    search_keys = [make_key(f'load-search-{tag}-{i}', 'search') for i in range(max(1, a.search_clients))]
    ingest_keys = [make_key(f'load-ingest-{tag}-{i}', 'ingest') for i in range(max(1, a.ingest_clients))]

    srv = subprocess.Popen([a.bin, 'serve', '--port', '0', '--threads', str(a.threads)], env=env,
                           stderr=subprocess.PIPE, text=True)
    port = None
    deadline = time.time() + 60
    while time.time() < deadline and port is None:
        line = srv.stderr.readline()
        m = re.search(r'http://127\.0\.0\.1:(\d+)/', line or '')
        if m: port = int(m.group(1))
        if srv.poll() is not None: break
    if port is None:
        srv.kill(); sys.exit('server did not start')
    threading.Thread(target=lambda: [None for _ in srv.stderr], daemon=True).start()

    try:
        # A source for the uploads.
        admin = Client(port, ingest_keys[0])
        st, body = admin.post('/api/v1/sources', json.dumps({
            'name': f'load-{tag}', 'legal_basis': 'art6-1-f', 'art9_condition': 'art9-2-e',
            'jurisdiction': 'DE', 'retain_until': '2030-12-31', 'collector': 'bench/server'}),
            'application/json')
        if st not in (200, 201): sys.exit(f'cannot create the upload source: {st} {body[:200]!r}')
        source_id = json.loads(body)['source']['id'] if 'source' in json.loads(body) else json.loads(body)['id']

        why = {'purpose': 'load benchmark', 'legal_basis': 'art6-1-f', 'case_ref': f'BENCH-{tag}',
               'top_k': '10'}
        def search_once(c, i):
            body, ctype = multipart(why, [('image', 'probe.jpg', probes[i % len(probes)])])
            t = time.perf_counter(); st, _ = c.post('/api/v1/search', body, ctype)
            return st, (time.perf_counter() - t) * 1000

        # Phase 1: unloaded baseline.
        c0 = Client(port, search_keys[0]); base = []
        for i in range(a.baseline_searches):
            st, ms = search_once(c0, i)
            if st == 200: base.append(ms)

        # Unique upload images: re-encode with noise (cv2 from Debian's python3-opencv).
        import cv2, numpy as np
        rng = np.random.default_rng(7)
        def unique_jpeg(i):
            img = cv2.imread(paths[i % len(paths)])
            noise = rng.integers(-3, 4, img.shape, dtype=np.int16)
            img = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
            return cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()

        stop = time.time() + a.duration
        lock = threading.Lock()
        lat = {'search': [], 'ingest': []}; codes = {'search': {}, 'ingest': {}}
        counter = [0]
        def run_search(k):
            c = Client(port, search_keys[k]); i = k
            while time.time() < stop:
                st, ms = search_once(c, i); i += 1
                with lock:
                    codes['search'][st] = codes['search'].get(st, 0) + 1
                    if st == 200: lat['search'].append(ms)
                if st == 429: time.sleep(0.2)
        def run_ingest(k):
            c = Client(port, ingest_keys[k])
            while time.time() < stop:
                with lock: counter[0] += 1; n = counter[0]
                body, ctype = multipart({}, [('images', f'up{n}.jpg', unique_jpeg(n))])
                t = time.perf_counter()
                st, _ = c.post(f'/api/v1/sources/{source_id}/images', body, ctype)
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    codes['ingest'][st] = codes['ingest'].get(st, 0) + 1
                    if st == 200: lat['ingest'].append(ms)
                if st == 429: time.sleep(0.2)
        rss = []
        def sample():
            while time.time() < stop:
                r = rss_mib(srv.pid)
                if r: rss.append(r)
                time.sleep(1)
        threads = [threading.Thread(target=run_search, args=(k,)) for k in range(a.search_clients)]
        threads += [threading.Thread(target=run_ingest, args=(k,)) for k in range(a.ingest_clients)]
        threads.append(threading.Thread(target=sample))
        t0 = time.time()
        for t in threads: t.start()
        for t in threads: t.join()
        elapsed = time.time() - t0
        tenth = max(1, len(rss) // 10)
        res = {
            'duration_s': round(elapsed, 1), 'search_clients': a.search_clients,
            'ingest_clients': a.ingest_clients, 'server_analyzers': a.threads,
            'baseline_search_ms': {'p50': pct(base, 50), 'p99': pct(base, 99), 'n': len(base)},
            'search': {'per_s': len(lat['search']) / elapsed, 'p50_ms': pct(lat['search'], 50),
                       'p99_ms': pct(lat['search'], 99), 'status': codes['search']},
            'ingest': {'images_per_s': len(lat['ingest']) / elapsed, 'p50_ms': pct(lat['ingest'], 50),
                       'p99_ms': pct(lat['ingest'], 99), 'status': codes['ingest']},
            'rss_mib': {'first_tenth': sum(rss[:tenth]) / tenth if rss else None,
                        'last_tenth': sum(rss[-tenth:]) / tenth if rss else None,
                        'peak': max(rss) if rss else None, 'samples': len(rss),
                        'every_10s': [round(r) for r in rss[::10]]},
        }
        st, _ = Client(port, search_keys[0]).get('/api/v1/healthz')
        res['healthy_after'] = st == 200
    finally:
        srv.terminate()
        try: srv.wait(30)
        except subprocess.TimeoutExpired: srv.kill()
    res['server_exit'] = srv.returncode
    if a.json:
        print(json.dumps(res, indent=2)); return
    b = res['baseline_search_ms']; s = res['search']; g = res['ingest']; m = res['rss_mib']
    print(f"baseline (1 client, unloaded): search p50 {b['p50']:.0f} ms  p99 {b['p99']:.0f} ms  ({b['n']} searches)")
    print(f"load {res['duration_s']} s, {a.search_clients} search + {a.ingest_clients} ingest clients, "
          f"{a.threads} analyzers:")
    print(f"  search: {s['per_s']:.1f}/s  p50 {s['p50_ms']:.0f} ms  p99 {s['p99_ms']:.0f} ms  "
          f"({s['p50_ms'] / b['p50']:.1f}x unloaded p50)  status {s['status']}")
    print(f"  ingest: {g['images_per_s']:.1f} images/s  p50 {g['p50_ms']:.0f} ms  p99 {g['p99_ms']:.0f} ms  "
          f"status {g['status']}")
    print(f"  server RSS: first tenth {m['first_tenth']:.0f} MiB, last tenth {m['last_tenth']:.0f} MiB, "
          f"peak {m['peak']:.0f} MiB ({m['samples']} samples)")
    print(f"  server RSS every 10 s (MiB): {' '.join(str(r) for r in m['every_10s'])}")
    print(f"  healthy after: {res['healthy_after']}, graceful exit code {res['server_exit']}")

if __name__ == '__main__':
    main()
