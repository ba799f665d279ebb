#!/usr/bin/env python3
"""Red-team test of the cluster's NATS authentication (issue 12, finding 5) and of its ingest audit.

A real cluster on loopback, as an operator runs it (`cluster init --auth-out`, nats-server with the
written authorization, one credential per role): 2 shards x 1 replica, one worker, 12 images. Then
the attacks, each of which the old cluster let through:

  * connect without a credential, or with a key the server does not know: refused;
  * use a credential file that others can read: the likeness CLI refuses it;
  * with the WORKER's credential (the most exposed role: it reads untrusted images): answer
    searches, send a search, write an erasure into a shard log, queue an ingest job, read a shard
    log or anyone's replies, purge or delete a stream: each refused by the server; write a forged
    erasure (or an image of a source no router declared) on the one subject it may write: the
    shard refuses it, keeps the image, and audits the attempt;
  * with a ROUTER credential: answer searches or write image entries: refused;
  * with SHARD 0's credential: consume shard 1's log, answer shard 1's searches, write any log or
    another shard's receipt: refused;
  * queue a job naming a path outside the worker's source roots (directly or through a symlink):
    the worker refuses to read it.

And the audit: the router's chain records the run (begin, queued, end: source, operator, batch id,
jobs), each shard's chain records the run's begin, what it applied (the images it stored, summing
to every image ingested) and its end.

Exit 77 (skip) when nats-server, the demo photos or Python's `cryptography` are missing."""
import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'cluster'))
from cluster_harness import Cluster, wait_for  # noqa: E402

SKIP = 77
failures = []


def check(cond, what):
    print(f'  {"ok" if cond else "FAILED"}: {what}', flush=True)
    if not cond:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', required=True)
    ap.add_argument('--make-images', required=True)
    ap.add_argument('--keep', action='store_true')
    a = ap.parse_args()
    demo = os.environ.get('LIKENESS_DEMO') or os.path.expanduser('~/.cache/likeness/demo')
    if not os.path.isdir(demo):
        print(f'skip: no demo photos at {demo} (run scripts/setup)')
        return SKIP
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print('skip: the Python cryptography package is missing (apt install python3-cryptography)')
        return SKIP
    root = tempfile.mkdtemp(prefix='likeness-redteam-cluster-')
    c = Cluster(a.bin, root, shards=2, replicas=1)
    try:
        c.start_nats()
    except FileNotFoundError:
        print('skip: nats-server is not installed (apt install nats-server)')
        shutil.rmtree(root, ignore_errors=True)
        return SKIP
    try:
        run(a, c, demo, root)
    finally:
        c.stop_all()
        if a.keep:
            print('work folder kept:', root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    if failures:
        print(f'{len(failures)} attack(s) succeeded or checks failed:', *failures, sep='\n  ')
        return 1
    print('cluster red-team test passed')
    return 0


def sha(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


def shard_of(h, shards=2):
    return int(h[:16], 16) % shards


def audit(c, data, action):
    r = c.cli('audit', 'show', '--action', action, '--limit', '100000', '--json', data=data,
              role=None)
    return json.loads(r.stdout)['entries']


def drained(c):
    """Every job taken and every shard log applied; returns {shard: images held}."""
    st = c.status()
    reps = c.replica_state(st)
    if st['jobs_pending'] != 0 or len(reps) != 2 or any(h.get('log_backlog') for h in reps.values()):
        return False
    return {s: reps[(s, 0)].get('images', 0) for s in range(2)}


def run(a, c, demo, root):
    from nats_wire import Wire
    import secrets

    images, outside = os.path.join(root, 'images'), os.path.join(root, 'outside')
    subprocess.run([a.make_images, demo, images, '13', os.path.join(root, 'gen')], check=True,
                   env=c.env, stdout=subprocess.DEVNULL)
    files = sorted(f for f in os.listdir(images) if f.endswith('.jpg'))
    os.makedirs(outside)
    secret = os.path.join(outside, 'not-for-ingest.jpg')
    shutil.move(os.path.join(images, files.pop()), secret)
    n = len(files)
    c.source_roots = [images]
    c.init()
    c.start_shard(0, 0)
    c.start_shard(1, 0)
    c.start_worker('w0')
    c.wait_serving(timeout=180)
    port = c.port

    print('-- authentication')
    w = Wire(port)
    check(w.refused is not None and 'Authorization Violation' in w.refused,
          f'a client without a credential is refused ({w.refused})')
    w = Wire(port, seed=secrets.token_bytes(32))
    check(w.refused is not None and 'Authorization Violation' in w.refused,
          f'a client with a key the server does not know is refused ({w.refused})')
    loose = os.path.join(root, 'loose-router.creds')
    shutil.copy(c.creds('router'), loose)
    os.chmod(loose, 0o644)
    env = dict(c.env, LIKENESS_NATS_CREDS=loose)
    r = subprocess.run([c.bin, 'cluster', 'status', '--nats', c.url], env=env,
                       capture_output=True, text=True)
    check(r.returncode != 0 and 'chmod 600' in r.stderr,
          f'a credential file others can read is refused by the CLI (exit {r.returncode})')

    print('-- ingest as the router, with a job outside the worker\'s roots')
    r = c.cli('cluster', 'ingest', images, '--nats', c.url, '--source', 'redteam', '--basis',
              'art6-1-f,art9-2-e', '--jurisdiction', 'DE', '--wait', data='router')
    batch = json.loads(r.stdout)['batch_id']
    held = wait_for(lambda: (lambda d: d if d and sum(d.values()) == n else False)(drained(c)),
                    300, f'{n} images stored')
    os.symlink(secret, os.path.join(images, 'zz-link.jpg'))
    for path in (secret, os.path.join(images, 'zz-link.jpg')):
        c.cli('cluster', 'ingest', path, '--nats', c.url, '--source', 'redteam', '--basis',
              'art6-1-f,art9-2-e', '--jurisdiction', 'DE', '--wait', data='router')
    after = wait_for(lambda: drained(c), 120, 'the jobs outside the roots handled')
    worker_log = open(os.path.join(root, 'w0.log'), errors='replace').read()
    check(sum(after.values()) == n and worker_log.count("outside this worker's source roots") >= 2,
          f'jobs naming a file outside the worker\'s source roots (directly and through a symlink) '
          f'are refused: {sum(after.values())} images held')
    os.remove(os.path.join(images, 'zz-link.jpg'))

    print('-- the worker credential')
    w = Wire(port, seed=seed_of(c, 'worker'))
    check(w.refused is None, 'the worker credential connects')
    for subject in ('lk.search.0', 'lk.media.1', 'lk.shard.0.ctl', 'lk.shard.1.store',
                    '_LK.router.>', '_LK.shard-0.>', '_INBOX.>', '>'):
        w.sub(subject, 1)
        check(w.denied('Subscription', subject), f'worker may not subscribe to {subject}')
    erase = {'op': 'erase', 'request_id': 'er-forged0000000001', 'kind': 'source',
             'value': 'redteam', 'why': {'operator': 'mallory', 'purpose': 'x', 'basis': 'art6-1-c',
                                         'case': 'X'}}
    for subject, payload in (('lk.search.0', {'embedding': [0.0] * 512, 'top_k': 5}),
                             ('lk.shard.0.ctl', erase), ('lk.shard.1.ctl', erase),
                             ('lk.jobs', {'location': '/etc/shadow', 'source': {}}),
                             ('$KV.LK_RECEIPTS.er-forged0000000001.s0.r0', {'faces_removed': 0}),
                             ('$JS.API.STREAM.PURGE.LK_SHARD_0', {}),
                             ('$JS.API.STREAM.DELETE.LK_SHARD_1', {}),
                             ('$JS.API.STREAM.MSG.GET.LK_SHARD_0', {'seq': 1}),
                             ('$JS.API.CONSUMER.MSG.NEXT.LK_SHARD_0.replica-0', {'batch': 1}),
                             ('$JS.API.CONSUMER.CREATE.LK_SHARD_0', {})):
        w.pub(subject, payload, reply='_LK.worker.x')
        check(w.denied('Publish', subject), f'worker may not publish to {subject}')

    # The one subject the worker may write: a forged erasure there, and an image of a source no
    # router declared, reach the shard's log but are refused by the shard.
    victim = os.path.join(images, files[0])
    vh = sha(victim)
    vs = shard_of(vh)
    forged_store = {'op': 'store', 'batch_id': 'ib-forged', 'worker': 'mallory',
                    'source': {'name': 'invented', 'legal_basis': 'art6-1-f',
                               'art9_condition': 'art9-2-e', 'jurisdiction': 'DE', 'kind': 'folder'},
                    'image': {'content_hash': hashlib.sha256(b'fake').hexdigest(), 'path': '/x',
                              'format': 'jpeg', 'width': 10, 'height': 10, 'bytes': 4},
                    'faces': []}
    fs = shard_of(forged_store['image']['content_hash'])
    erase_image = dict(erase, kind='image', value=vh)
    w.pub(f'lk.shard.{vs}.store', erase_image)
    w.pub(f'lk.shard.{fs}.store', forged_store)
    check(not w.denied('Publish', f'lk.shard.{vs}.store'), 'the worker may write image entries')
    w.close()
    after = wait_for(lambda: drained(c), 60, 'the forged entries applied')
    check(after == held, f'the forged erasure and the invented source changed nothing: {after}')

    print('-- the router credential')
    w = Wire(port, seed=seed_of(c, 'router'))
    w.sub('_LK.router.t', 1)
    w.pub('lk.search.0', {'embedding': [0.0] * 512, 'top_k': 1}, reply='_LK.router.t')
    w.pump(seconds=2)
    check(not w.errors and any(m[0] == '_LK.router.t' for m in w.msgs),
          'the router credential sends a search and receives the shard\'s answer')
    for subject in ('lk.search.0', 'lk.shard.0.ctl', '_LK.worker.>', '_LK.shard-1.>'):
        w.sub(subject, 2)
        check(w.denied('Subscription', subject), f'router may not subscribe to {subject}')
    for subject in ('lk.shard.0.store', '$JS.API.CONSUMER.MSG.NEXT.LK_SHARD_0.replica-0',
                    '$JS.API.STREAM.DELETE.LK_SHARD_0', '$KV.LK_RECEIPTS.er-1.s0.r0'):
        w.pub(subject, {}, reply='_LK.router.t')
        check(w.denied('Publish', subject), f'router may not publish to {subject}')
    w.close()

    print('-- shard 0\'s credential')
    w = Wire(port, seed=seed_of(c, 'shard-0'))
    for subject in ('lk.search.1', 'lk.media.1', '_LK.router.>'):
        w.sub(subject, 1)
        check(w.denied('Subscription', subject), f'shard 0 may not subscribe to {subject}')
    for subject in ('$JS.API.CONSUMER.MSG.NEXT.LK_SHARD_1.replica-0', 'lk.shard.0.ctl',
                    'lk.shard.0.store', 'lk.search.1', 'lk.jobs', '$KV.LK_RECEIPTS.er-1.s1.r0',
                    '$KV.LK_CLUSTER.replica.1.0'):
        w.pub(subject, {}, reply='_LK.shard-0.x')
        check(w.denied('Publish', subject), f'shard 0 may not publish to {subject}')
    w.close()

    print('-- the audit of the run')
    for name in [p for p in list(c.procs) if p.startswith('s')]:
        c.kill(name, signal.SIGTERM)
    rec = {act: [e for e in audit(c, 'router', act) if e['details'].get('batch_id') == batch]
           for act in ('cluster.ingest.begin', 'cluster.ingest.queued', 'cluster.ingest.end')}
    check(all(len(v) == 1 and v[0]['operator'] == 'cluster-test' and
              v[0]['details'].get('source') == 'redteam' for v in rec.values()) and
          rec['cluster.ingest.queued'][0]['details'].get('jobs_queued') == n and
          rec['cluster.ingest.end'][0]['details'].get('jobs_finished') == n,
          f'the router\'s chain holds the run: begin, queued ({n} jobs), end, with source and '
          f'operator ({ {k: len(v) for k, v in rec.items()} })')
    total = 0
    for s in range(2):
        begin = [e for e in audit(c, f's{s}r0', 'cluster.ingest.begin')
                 if e['details'].get('batch_id') == batch]
        applied = sum(e['details'].get('images', 0) for e in audit(c, f's{s}r0', 'cluster.ingest.applied')
                      if e['details'].get('batch_id') == batch)
        ended = [e for e in audit(c, f's{s}r0', 'cluster.ingest.end')
                 if e['details'].get('batch_id') == batch]
        total += applied
        check(len(begin) == 1 and begin[0]['operator'] == 'cluster-test' and
              begin[0]['details'].get('source') == 'redteam' and len(ended) == 1 and
              applied == held[s],
              f'shard {s}\'s chain holds the run\'s begin, the {applied} images it applied '
              f'(it holds {held[s]}) and its end')
    check(total == n, f'the shards\' chains account for every image ingested ({total} of {n})')
    refused = [e for e in audit(c, f's{vs}r0', 'cluster.entry.refused')
               if e['details'].get('subject') == f'lk.shard.{vs}.store']
    check(len(refused) == 1 and refused[0]['operator'] == 'mallory' and
          refused[0]['details'].get('entry') == 'image',
          f'shard {vs} audited the forged erasure it refused, naming who it claimed to be')
    invented = [e for e in audit(c, f's{fs}r0', 'cluster.ingest.applied')
                if e['details'].get('batch_id') == 'ib-forged']
    check(len(invented) == 1 and invented[0]['details'].get('refused') == 1 and
          invented[0]['details'].get('images') == 0,
          f'shard {fs} refused and audited the image of a source no router declared')


def seed_of(c, role):
    from nats_wire import seed_from_file
    return seed_from_file(c.creds(role))


if __name__ == '__main__':
    sys.exit(main())
