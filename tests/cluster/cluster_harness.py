"""Starts and drives a Likeness cluster on loopback: nats-server (JetStream, file store), shard
replicas, workers and a router (`likeness serve --cluster`), each its own process with its own
data folder under one root. Used by tests/cluster/cluster_test.py, tests/redteam/cluster/ and
bench/cluster/scaling.py. Standard library only.

Authenticated by default, as an operator would run it: `cluster init --auth-out ROOT/auth` writes
the nats-server authorization (one nkey user per role) and one credential per role; nats-server
starts with `-c ROOT/auth/nats-auth.conf`; `cluster init` then runs as admin, and every process
gets only its own role's credential (shards shard-<n>, workers worker, router and the admin
commands router). Workers read images only under `source_roots`."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise TimeoutError(f'timed out after {timeout:.0f} s waiting for {what}')


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    out = bytearray()
    for k, v in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    for k, (name, data) in files.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                f'Content-Type: application/octet-stream\r\n\r\n').encode() + data + b'\r\n'
    out += f'--{boundary}--\r\n'.encode()
    return bytes(out), f'multipart/form-data; boundary={boundary}'


class Cluster:
    def __init__(self, bin_path, root, shards, replicas, env=None, auth=True):
        self.bin = bin_path
        self.root = root
        self.shards = shards
        self.replicas = replicas
        self.port = free_port()
        self.url = f'nats://127.0.0.1:{self.port}'
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault('LIKENESS_OPERATOR', 'cluster-test')
        for k in ('LIKENESS_NATS_CREDS', 'LIKENESS_SOURCE_ROOTS'):
            self.env.pop(k, None)
        self.auth = auth
        self.auth_dir = os.path.join(root, 'auth')
        self.source_roots = [root]
        self.procs = {}  # name -> Popen
        self.nats = None
        self.router = None
        self.router_port = None

    # ---- processes ----
    def log(self, name):
        return open(os.path.join(self.root, f'{name}.log'), 'ab')

    def creds(self, role):
        """The credential file of a role (admin, router, worker, shard-<n>); None without auth."""
        return os.path.join(self.auth_dir, f'{role}.creds') if self.auth else None

    def role_env(self, role):
        env = dict(self.env)
        if self.auth and role:
            env['LIKENESS_NATS_CREDS'] = self.creds(role)
        return env

    def start_nats(self):
        exe = shutil.which('nats-server') or ('/usr/sbin/nats-server'
                                              if os.path.exists('/usr/sbin/nats-server') else None)
        if exe is None:
            raise FileNotFoundError('nats-server')
        args = [exe, '-js', '-sd', os.path.join(self.root, 'jetstream'), '-a', '127.0.0.1',
                '-p', str(self.port)]
        if self.auth:
            # The operator's order: write the authorization first, start the server with it.
            self.cli('cluster', 'init', '--auth-out', self.auth_dir, '--shards', str(self.shards),
                     role=None)
            args = [exe, '-c', os.path.join(self.auth_dir, 'nats-auth.conf')] + args[1:]
        self.nats = subprocess.Popen(args, stdout=self.log('nats'), stderr=subprocess.STDOUT)

        def up():
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=0.5):
                    return True
            except OSError:
                return False
        wait_for(up, 20, 'nats-server')

    def cli(self, *args, data=None, check=True, timeout=600, role='router'):
        """Runs the likeness CLI with `role`'s NATS credential (None: no credential)."""
        cmd = [self.bin]
        if data:
            cmd += ['--data', os.path.join(self.root, data)]
        cmd += list(args)
        r = subprocess.run(cmd, env=self.role_env(role), capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f'{" ".join(cmd)} exited {r.returncode}: {r.stderr[-2000:]}')
        return r

    def init(self, job_ack_wait=5):
        self.cli('cluster', 'init', '--nats', self.url, '--shards', str(self.shards),
                 '--replicas', str(self.replicas), '--job-ack-wait', str(job_ack_wait),
                 role='admin')

    def start_shard(self, s, r):
        name = f's{s}r{r}'
        self.procs[name] = subprocess.Popen(
            [self.bin, '--data', os.path.join(self.root, name), '--no-tiling', '-q', 'cluster',
             'shard', '--nats', self.url, '--shard', str(s), '--replica', str(r)],
            env=self.role_env(f'shard-{s}'), stdout=self.log(name), stderr=subprocess.STDOUT)
        return name

    def start_worker(self, name):
        self.procs[name] = subprocess.Popen(
            [self.bin, '--data', os.path.join(self.root, name), '--no-tiling', '-q', 'cluster',
             'worker', '--nats', self.url, '--name', name] +
            [a for r in self.source_roots for a in ('--source-root', r)],
            env=self.role_env('worker'), stdout=self.log(name), stderr=subprocess.STDOUT)
        return name

    def kill(self, name, sig=signal.SIGKILL):
        p = self.procs.pop(name)
        p.send_signal(sig)
        p.wait(timeout=30)

    def new_key(self, role='search'):
        return self.cli('keys', 'create', '--name', f'test-{uuid.uuid4().hex[:8]}', '--role', role,
                        data='router', role=None).stdout.strip()

    def start_router(self, threads=2):
        key = self.new_key()
        self.router = subprocess.Popen(
            [self.bin, '--data', os.path.join(self.root, 'router'), '--cluster', self.url, '-q',
             'serve', '--port', '0', '--threads', str(threads)],
            env=self.role_env('router'), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline and self.router_port is None:
            line = self.router.stderr.readline()
            m = re.search(r'http://127\.0\.0\.1:(\d+)/', line or '')
            if m:
                self.router_port = int(m.group(1))
            if self.router.poll() is not None:
                raise RuntimeError('the router exited')
        if self.router_port is None:
            raise TimeoutError('router did not start')
        import threading
        threading.Thread(target=lambda: [None for _ in self.router.stderr], daemon=True).start()
        return key

    def stop_all(self):
        for name in list(self.procs):
            p = self.procs.pop(name)
            p.send_signal(signal.SIGTERM)
        procs = [p for p in [self.router, self.nats] if p is not None]
        for p in procs:
            p.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    # ---- state ----
    def status(self):
        return json.loads(self.cli('cluster', 'status', '--nats', self.url).stdout)

    def replica_state(self, st=None):
        """{(shard, replica): heartbeat} for replicas whose process is alive."""
        st = st or self.status()
        out = {}
        for shard in st['shard_status']:
            for rep in shard['replicas']:
                hb = rep.get('heartbeat')
                name = f's{shard["shard"]}r{rep["replica"]}'
                if hb and name in self.procs and self.procs[name].poll() is None \
                        and hb.get('pid') == self.procs[name].pid:
                    hb = dict(hb, log_backlog=rep.get('log_backlog'))
                    out[(shard['shard'], rep['replica'])] = hb
        return out

    def wait_serving(self, names=None, timeout=120):
        want = names or [n for n in self.procs if re.fullmatch(r's\d+r\d+', n)]

        def ok():
            st = self.replica_state()
            for n in want:
                s, r = map(int, re.findall(r'\d+', n))
                if st.get((s, r), {}).get('state') != 'serving':
                    return False
            return True
        wait_for(ok, timeout, f'{want} serving', step=0.5)

    # ---- router HTTP ----
    def get(self, key, path, timeout=30):
        c = http.client.HTTPConnection('127.0.0.1', self.router_port, timeout=timeout)
        try:
            c.request('GET', path, headers={'Authorization': f'Bearer {key}'})
            r = c.getresponse()
            return r.status, r.getheader('Content-Type'), r.read()
        finally:
            c.close()

    def search(self, key, image_bytes, top=5, timeout=30):
        body, ctype = multipart({'purpose': 'cluster test', 'legal_basis': 'art6-1-e',
                                 'case_ref': 'CL-1', 'top_k': str(top)},
                                {'image': ('probe.jpg', image_bytes)})
        c = http.client.HTTPConnection('127.0.0.1', self.router_port, timeout=timeout)
        try:
            c.request('POST', '/api/v1/search', body,
                      {'Authorization': f'Bearer {key}', 'Content-Type': ctype})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()
