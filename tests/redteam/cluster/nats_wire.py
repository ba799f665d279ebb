"""A minimal NATS client speaking the wire protocol directly (standard library, plus the
`cryptography` package to sign the server's nonce with an nkey seed), for the attacks in
cluster_auth_attack_test.py: it sends exactly what an attacker would and reports what the server
answered, including the -ERR lines a real client library would only log."""
import base64
import json
import socket
import time

B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def b32(data):
    return base64.b32encode(bytes(data)).decode().rstrip('=')


def seed_from_file(path):
    """The 32-byte Ed25519 seed of a likeness credential (a NATS user nkey seed file)."""
    for line in open(path).read().splitlines():
        line = line.strip()
        if line.startswith('SU'):
            raw = base64.b32decode(line + '=' * (-len(line) % 8))
            body, crc = raw[:-2], raw[-2] | (raw[-1] << 8)
            assert crc16(body) == crc, 'bad seed checksum'
            return body[2:34]
    raise ValueError(f'no seed in {path}')


def user_nkey(seed):
    """(public key 'U...', signer) for a 32-byte seed."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
    key = Ed25519PrivateKey.from_private_bytes(bytes(seed))
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = bytes([20 << 3]) + pub
    c = crc16(raw)
    return b32(raw + bytes([c & 0xFF, c >> 8])), key.sign


class Wire:
    """One connection. `errors` collects the server's -ERR texts, `msgs` the (subject, reply,
    payload) of delivered messages; `refused` is the -ERR that ended the CONNECT, if any."""

    def __init__(self, port, seed=None, name='attacker'):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=5)
        self.buf = b''
        self.errors, self.msgs = [], []
        info = json.loads(self._line().split(b' ', 1)[1])
        connect = {'verbose': False, 'pedantic': False, 'protocol': 1, 'headers': True,
                   'no_responders': True, 'name': name, 'lang': 'python-attack', 'version': '0'}
        if seed is not None:
            pub, sign = user_nkey(seed)
            connect['nkey'] = pub
            connect['sig'] = base64.urlsafe_b64encode(sign(info['nonce'].encode())).decode().rstrip('=')
        self.sock.sendall(b'CONNECT ' + json.dumps(connect).encode() + b'\r\nPING\r\n')
        self.refused = None
        self.pump(until_pong=True)
        if self.errors:
            self.refused = self.errors[0]

    def _line(self):
        while b'\r\n' not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError('closed')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError('closed')
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def pump(self, until_pong=False, seconds=0.0):
        """Reads what the server sends: until its PONG, or for `seconds`."""
        deadline = time.time() + (seconds if not until_pong else 5)
        while time.time() < deadline:
            try:
                self.sock.settimeout(max(0.05, deadline - time.time()))
                line = self._line()
            except (socket.timeout, TimeoutError):
                return
            except ConnectionError:
                return
            if line.startswith(b'-ERR'):
                self.errors.append(line[5:].decode().strip("'"))
            elif line == b'PING':
                self.sock.sendall(b'PONG\r\n')
            elif line == b'PONG' and until_pong:
                return
            elif line.startswith(b'MSG ') or line.startswith(b'HMSG '):
                parts = line.decode().split()
                size = int(parts[-1])
                payload = self._bytes(size)
                reply = parts[3] if len(parts) == (5 if parts[0] == 'MSG' else 6) else None
                self.msgs.append((parts[1], reply, payload))

    def sync(self):
        """Round trip: every -ERR for what was sent before has arrived."""
        self.sock.sendall(b'PING\r\n')
        self.pump(until_pong=True)

    def sub(self, subject, sid, queue=None):
        self.sock.sendall(f'SUB {subject} {queue + " " if queue else ""}{sid}\r\n'.encode())
        self.sync()

    def pub(self, subject, payload, reply=None):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        head = f'PUB {subject} {reply + " " if reply else ""}{len(data)}\r\n'.encode()
        self.sock.sendall(head + data + b'\r\n')
        self.sync()

    def denied(self, what, subject):
        """True when the server refused `what` ('Publish' or 'Subscription') to `subject`."""
        return any(e.startswith(f'Permissions Violation for {what} to "{subject}"')
                   for e in self.errors)

    def close(self):
        self.sock.close()
