#!/usr/bin/env python3
"""Open-set identification through the live search path (`likeness serve`, POST /api/v1/search),
raw cosine versus the hubness-corrected score, on a folder per identity (ROOT/<identity>/<images>).

Gallery: the first image (sorted) of each identity with 2+ images, ingested into a fresh data folder
with `likeness ingest`; probes: the other images, each searched once per scoring (largest face,
top 5). Reported per scoring: rank-1, rank-5, and DIR at FPIR 1 % / 0.1 %, where a probe's non-mated
score is the best score of a gallery face of another identity in its own search (the mate stays in
the gallery: unlike `bench identify`, no identity is left out, so this is the live engine's number),
plus the mean search latency. Usage: bench/live_identify.py ROOT [ROOT…] --likeness build/apps/likeness/likeness
"""
import argparse, hashlib, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request, uuid

IMAGE_EXT = {'.jpg', '.jpeg', '.png', '.pgm', '.bmp', '.gif', '.tif', '.tiff', '.webp', '.ppm'}


def identities(roots):
    out = {}
    for root in roots:
        for name in sorted(os.listdir(root)):
            d = os.path.join(root, name)
            if not os.path.isdir(d):
                continue
            files = sorted(os.path.join(d, f) for f in os.listdir(d)
                           if os.path.splitext(f)[1].lower() in IMAGE_EXT)
            if len(files) >= 2:
                out[f'{os.path.basename(root)}/{name}'] = files
    return out


def multipart(fields, file_field, path):
    boundary = uuid.uuid4().hex
    body = b''
    for k, v in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    with open(path, 'rb') as f:
        data = f.read()
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
             f'filename="probe"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
    body += data + f'\r\n--{boundary}--\r\n'.encode()
    return body, f'multipart/form-data; boundary={boundary}'


def search(port, key, path, scoring):
    body, ctype = multipart({'purpose': 'benchmark', 'legal_basis': 'art6-1-e', 'case_ref': 'BENCH',
                             'largest': 'true', 'top_k': '5', 'scoring': scoring}, 'image', path)
    while True:
        req = urllib.request.Request(f'http://127.0.0.1:{port}/api/v1/search', data=body,
                                     headers={'Authorization': f'Bearer {key}', 'Content-Type': ctype})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.load(r), time.perf_counter() - t0
        except urllib.error.HTTPError as e:
            if e.code == 429:
                time.sleep(float(e.headers.get('Retry-After', '1')))
                continue
            raise


def dir_at(mated, nonmated, fpir):
    """mated: (rank1_correct, score); nonmated: best non-mate scores. DIR at the threshold that
    leaves at most fpir of the non-mated searches above it."""
    s = sorted(nonmated, reverse=True)
    allowed = int(fpir * len(s))
    t = s[min(allowed, len(s) - 1)] + 1e-6
    return 100.0 * sum(1 for ok, sc in mated if ok and sc >= t) / len(mated), t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('roots', nargs='+')
    ap.add_argument('--likeness', required=True)
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    ids = identities(a.roots)
    tmp = tempfile.mkdtemp(prefix='likeness-live-')
    data, gallery = os.path.join(tmp, 'data'), os.path.join(tmp, 'gallery')
    os.makedirs(gallery)
    identity_of = {}  # sha256 of a gallery file -> identity
    for ident, files in ids.items():
        dst = os.path.join(gallery, ident.replace('/', '_') + os.path.splitext(files[0])[1])
        shutil.copy(files[0], dst)
        identity_of[hashlib.sha256(open(files[0], 'rb').read()).hexdigest()] = ident
    env = dict(os.environ, LIKENESS_OPERATOR='bench')
    lk = [a.likeness, '--data', data, '-q']
    subprocess.run(lk + ['ingest', gallery, '--source', 'bench', '--basis', 'art6-1-e,art9-2-g',
                         '--jurisdiction', 'DE'], check=True, env=env, stdout=subprocess.DEVNULL)
    key = subprocess.run(lk + ['keys', 'create', '--name', 'bench', '--role', 'search'], check=True,
                         env=env, capture_output=True, text=True).stdout.strip().split()[-1]
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(lk + ['serve', '--port', str(port), '--threads', '1'], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f'http://127.0.0.1:{port}/api/v1/healthz', timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        results = {}
        for scoring in ('cosine', 'hubness'):
            mated, nonmated, rank1, rank5, n, secs, noface = [], [], 0, 0, 0, 0.0, 0
            for ident, files in ids.items():
                for probe in files[1:]:
                    r, dt = search(port, key, probe, scoring)
                    secs += dt
                    if not r['faces']:
                        noface += 1
                        continue
                    n += 1
                    ms = r['faces'][0]['matches']
                    who = [identity_of.get(m['image_sha256']) for m in ms]
                    ok1 = bool(who) and who[0] == ident
                    rank1 += ok1
                    rank5 += ident in who[:5]
                    mate = [m['score'] for m, w in zip(ms, who) if w == ident]
                    non = [m['score'] for m, w in zip(ms, who) if w != ident]
                    mated.append((ok1, mate[0] if mate else -9))
                    nonmated.append(non[0] if non else -9)
            d2, t2 = dir_at(mated, nonmated, 0.01)
            d3, t3 = dir_at(mated, nonmated, 0.001)
            results[scoring] = {'probes': n, 'no_face': noface, 'rank1': 100.0 * rank1 / n,
                                'rank5': 100.0 * rank5 / n, 'dir_fpir_1e-2': d2, 't_1e-2': t2,
                                'dir_fpir_1e-3': d3, 't_1e-3': t3,
                                'ms_per_search': 1000.0 * secs / max(1, n + noface)}
        out = {'roots': a.roots, 'gallery': len(ids), 'results': results}
        if a.json:
            print(json.dumps(out, indent=2))
        else:
            print(f"gallery {len(ids)} identities, {results['cosine']['probes']} probes")
            for k, v in results.items():
                print(f"{k:8s} rank-1 {v['rank1']:.2f}%  rank-5 {v['rank5']:.2f}%  "
                      f"DIR@FPIR1% {v['dir_fpir_1e-2']:.2f}% (t {v['t_1e-2']:.3f})  "
                      f"DIR@FPIR0.1% {v['dir_fpir_1e-3']:.2f}% (t {v['t_1e-3']:.3f})  "
                      f"{v['ms_per_search']:.1f} ms/search")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
