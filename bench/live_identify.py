#!/usr/bin/env python3
"""Open-set identification through the live search path (`likeness serve`, POST /api/v1/search),
raw cosine versus the hubness-corrected score, on a folder per identity (ROOT/<identity>/<images>).

Open set with true strangers: identities with 2+ images are sorted and alternately enrolled or kept
out. Gallery: the first image (sorted) of each enrolled identity (or its first --templates images),
ingested into a fresh data folder with `likeness ingest`. Mated probes: the enrolled identities'
other images; non-mated probes: every image of the identities kept out (nobody in the gallery).
Each probe is searched once per scoring (largest face, top 5). Reported per scoring: rank-1,
rank-5, and DIR at FPIR 1 % / 0.1 % (thresholds from the strangers' best scores), plus the mean
search latency. Usage: bench/live_identify.py ROOT [ROOT…] --likeness build/apps/likeness/likeness
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
    ap.add_argument('--templates', type=int, default=1, help='gallery images per enrolled identity')
    a = ap.parse_args()
    all_ids = identities(a.roots)
    names = sorted(all_ids)
    ids = {n: all_ids[n] for n in names[0::2] if len(all_ids[n]) > a.templates}
    strangers = {n: all_ids[n] for n in names[1::2]}
    tmp = tempfile.mkdtemp(prefix='likeness-live-')
    data, gallery = os.path.join(tmp, 'data'), os.path.join(tmp, 'gallery')
    os.makedirs(gallery)
    identity_of = {}  # sha256 of a gallery file -> identity
    for ident, files in ids.items():
        for i, f in enumerate(files[:a.templates]):
            dst = os.path.join(gallery, f"{ident.replace('/', '_')}_{i}{os.path.splitext(f)[1]}")
            shutil.copy(f, dst)
            identity_of[hashlib.sha256(open(f, 'rb').read()).hexdigest()] = ident
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
                for probe in files[a.templates:]:
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
                    mated.append((ok1, ms[0]['score'] if ms else -9))
            for ident, files in strangers.items():
                for probe in files:
                    r, dt = search(port, key, probe, scoring)
                    secs += dt
                    if not r['faces']:
                        noface += 1
                        continue
                    ms = r['faces'][0]['matches']
                    nonmated.append(ms[0]['score'] if ms else -9)
            d2, t2 = dir_at(mated, nonmated, 0.01)
            d3, t3 = dir_at(mated, nonmated, 0.001)
            results[scoring] = {'probes': n, 'strangers': len(nonmated), 'no_face': noface, 'rank1': 100.0 * rank1 / n,
                                'rank5': 100.0 * rank5 / n, 'dir_fpir_1e-2': d2, 't_1e-2': t2,
                                'dir_fpir_1e-3': d3, 't_1e-3': t3,
                                'ms_per_search': 1000.0 * secs / max(1, n + len(nonmated) + noface)}
        out = {'roots': a.roots, 'enrolled': len(ids), 'templates': a.templates,
               'stranger_identities': len(strangers), 'results': results}
        if a.json:
            print(json.dumps(out, indent=2))
        else:
            print(f"gallery {len(ids)} identities x {a.templates}, {results['cosine']['probes']} "
                  f"mated probes, {results['cosine']['strangers']} stranger probes")
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
