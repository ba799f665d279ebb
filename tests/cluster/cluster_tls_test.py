#!/usr/bin/env python3
"""The cluster over TLS, as an operator would configure it (docs/CLUSTER.md, "TLS"): nats-server
with the authorization `cluster init --auth-out` wrote plus a `tls {}` block whose certificate a
private CA signed; clients get the CA with $LIKENESS_NATS_TLS_CA and connect to tls://HOST:PORT.

Written as the attacks and mistakes it must hold against:
  - a client that trusts another CA (a man in the middle's certificate) is refused by the client;
  - a client that does not ask for TLS (nats://) still gets TLS (the server requires it) and, without
    the CA, refuses the server's certificate: no cleartext fallback;
  - a client with the CA but no credential is refused by the server;
  - with the CA and a credential, `cluster init` and `cluster status` work.
Needs nats-server and openssl; exits 77 (skipped) without them."""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print('  ok:', what, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(['openssl', *args], cwd=cwd, check=True, capture_output=True)


def make_ca(cwd, name):
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-keyout', f'{name}-key.pem', '-out', f'{name}.pem', '-days', '2',
            '-subj', f'/CN={name}', cwd=cwd)


def make_server_cert(cwd, ca):
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1', cwd=cwd)
    with open(os.path.join(cwd, 'san.ext'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1,DNS:localhost\n')
    openssl('x509', '-req', '-in', 'server.csr', '-CA', f'{ca}.pem', '-CAkey', f'{ca}-key.pem',
            '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext', cwd=cwd)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--bin', required=True)
    p.add_argument('--keep', action='store_true')
    a = p.parse_args()
    nats = shutil.which('nats-server') or ('/usr/sbin/nats-server'
                                           if os.path.exists('/usr/sbin/nats-server') else None)
    if nats is None or shutil.which('openssl') is None:
        print('skip: nats-server or openssl is not installed')
        return SKIP
    root = tempfile.mkdtemp(prefix='likeness-cluster-tls-')
    server = None
    try:
        auth = os.path.join(root, 'auth')
        env = {k: v for k, v in os.environ.items() if not k.startswith('LIKENESS_NATS')}
        env['LIKENESS_OPERATOR'] = 'tls-test'

        def cli(*args, creds=None, ca=None):
            e = dict(env)
            if creds:
                e['LIKENESS_NATS_CREDS'] = os.path.join(auth, f'{creds}.creds')
            if ca:
                e['LIKENESS_NATS_TLS_CA'] = os.path.join(auth, f'{ca}.pem')
            return subprocess.run([a.bin, '--data', os.path.join(root, 'data'), *args], env=e,
                                  capture_output=True, text=True, timeout=120)

        r = cli('cluster', 'init', '--auth-out', auth, '--shards', '1')
        check(r.returncode == 0 and os.path.exists(os.path.join(auth, 'nats-auth.conf')),
              'cluster init --auth-out wrote the authorization and the credentials')
        make_ca(auth, 'ca')
        make_ca(auth, 'rogue-ca')
        make_server_cert(auth, 'ca')
        conf = os.path.join(auth, 'nats-tls.conf')
        with open(conf, 'w') as f:
            f.write('include "nats-auth.conf"\n'
                    'tls {\n'
                    f'  cert_file: "{os.path.join(auth, "server.pem")}"\n'
                    f'  key_file: "{os.path.join(auth, "server-key.pem")}"\n'
                    '}\n')
        port = free_port()
        server = subprocess.Popen([nats, '-c', conf, '-js', '-sd', os.path.join(root, 'js'),
                                   '-a', '127.0.0.1', '-p', str(port)],
                                  stdout=open(os.path.join(root, 'nats.log'), 'ab'),
                                  stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise AssertionError('nats-server did not start with TLS: ' +
                                         open(os.path.join(root, 'nats.log')).read()[-1000:])
                time.sleep(0.2)
        tls_url = f'tls://127.0.0.1:{port}'
        plain_url = f'nats://127.0.0.1:{port}'

        r = cli('cluster', 'init', '--nats', tls_url, '--shards', '1', '--replicas', '1',
                creds='admin', ca='ca')
        check(r.returncode == 0, f'cluster init over TLS with the CA and the admin credential '
                                 f'(exit {r.returncode}: {r.stderr[-300:]})')
        r = cli('cluster', 'status', '--nats', tls_url, creds='router', ca='ca')
        check(r.returncode == 0 and json.loads(r.stdout)['shards'] == 1,
              f'cluster status over TLS (exit {r.returncode}: {r.stderr[-300:]})')

        r = cli('cluster', 'status', '--nats', tls_url, creds='router', ca='rogue-ca')
        check(r.returncode != 0 and ('SSL' in r.stderr or 'certificate' in r.stderr.lower()),
              f'a client trusting another CA refuses the server (exit {r.returncode}: '
              f'{r.stderr.strip()[-160:]})')
        r = cli('cluster', 'status', '--nats', plain_url, creds='router')
        check(r.returncode != 0 and '"shards"' not in r.stdout,
              f'nats:// to a TLS server gets TLS and, without the CA, no connection (exit '
              f'{r.returncode}: {r.stderr.strip()[-160:]})')
        r = cli('cluster', 'status', '--nats', tls_url, ca='ca')
        check(r.returncode != 0 and 'Authorization Violation' in r.stderr,
              f'TLS without a credential is refused by the server (exit {r.returncode})')
        print('cluster TLS test passed')
        return 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if a.keep:
            print('work folder kept:', root)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
