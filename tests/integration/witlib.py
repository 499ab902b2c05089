"""witlib: helpers for the witness and gossip integration tests.

Independent of the C code under test: checkpoints are signed, consistency
proofs computed and cosignatures verified here with Python's hashlib and
the cryptography package, following RFC 9162, C2SP signed-note,
tlog-checkpoint, tlog-cosignature and tlog-witness.
"""
import base64
import hashlib
import http.client
import http.server
import os
import signal
import socket
import subprocess
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import ptlib
from ptlib import BUILD, key_hash, leaf_hash, mth, request, tmpdir, free_port

def _pick_tool():
    """The pubtrail binary once it has the witness commands, else
    tests/tools/witness_tool (the same code, before cli.c wired it)."""
    try:
        if subprocess.run([ptlib.PUBTRAIL, "witness", "--help"],
                          capture_output=True, timeout=10).returncode == 0:
            return ptlib.PUBTRAIL
    except OSError:
        pass
    return os.path.join(BUILD, "tools", "witness_tool")


TOOL = _pick_tool()
EM = "\u2014 "


def run_tool(*args, timeout=60):
    """witness_tool gossip|evidence ... -> (rc, stdout, stderr)."""
    p = subprocess.run([TOOL] + list(args), capture_output=True,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


# ---------------------------------------------------------- tree and notes

def subproof(m, leaves, b):
    """RFC 9162 2.1.4.1 SUBPROOF over leaf hashes."""
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def cons_proof(m, leaves):
    return subproof(m, leaves, True)


def leaves(n, tag=b"x"):
    return [leaf_hash(tag + b"%d" % i) for i in range(n)]


def ckpt_text(origin, size, root):
    return "%s\n%d\n%s\n" % (origin, size, base64.b64encode(root).decode())


def sig_line(key, text):
    sig = key.sign(text.encode())
    return "%s%s %s\n" % (EM, key.name,
                          base64.b64encode(key.hash + sig).decode())


def signed_note(key, size, root, extra_keys=()):
    text = ckpt_text(key.name, size, root)
    note = text + "\n" + sig_line(key, text)
    for k in extra_keys:
        note += sig_line(k, text)
    return note


def witreq_body(old, proof, note):
    return ("old %d\n" % old + "".join(base64.b64encode(h).decode() + "\n"
                                       for h in proof) + "\n" + note).encode()


def parse_cosig_vkey(s):
    name, h, b = s.strip().split("+", 2)
    raw = base64.b64decode(b, validate=True)
    assert raw[0] == 4 and len(raw) == 33, "not a cosignature key"
    assert key_hash(name, 4, raw[1:]).hex() == h
    return name, raw[1:]


def check_cosigned(note, ws, logname, logpub):
    """note is a checkpoint signed by the log and cosigned (exactly one
    valid line each) by every Witness in ws."""
    _, _, _, text = ptlib.open_checkpoint(note, logname, logpub)
    lines = [l + "\n" for l in note.split("\n\n", 1)[1].splitlines()]
    for w in ws:
        mine = [l for l in lines if l.startswith(EM + w.wname + " ")]
        assert len(mine) == 1, (w.wname, lines)
        verify_cosig_line(mine[0], w.wname, w.wpub, text)


def verify_cosig_line(line, wname, wpub, text):
    """Independent tlog-cosignature v1 check; returns the timestamp."""
    assert line.startswith(EM) and line.endswith("\n"), repr(line)
    n, b = line[2:-1].split(" ")
    assert n == wname
    raw = base64.b64decode(b, validate=True)
    assert len(raw) == 4 + 72
    assert raw[:4] == key_hash(wname, 4, wpub)
    ts = int.from_bytes(raw[4:12], "big")
    msg = ("cosignature/v1\ntime %d\n" % ts + text).encode()
    Ed25519PublicKey.from_public_bytes(wpub).verify(raw[12:], msg)
    return ts


def pq_line(name, key_id=None):
    """A signature line of ML-DSA-44 cosignature size: key ID (random when
    None), 8-byte timestamp and 2,420 bytes of signature, random: 3,268
    bytes with a 19-byte name.  Nobody can verify it; a verifier that does
    not know the key must ignore it (C2SP signed-note)."""
    raw = (key_id if key_id is not None else os.urandom(4)) + \
        os.urandom(8 + 2420)
    return "%s%s %s\n" % (EM, name, base64.b64encode(raw).decode())


def mldsa_vkey(name):
    """A verifier key of type 0x06 (ML-DSA-44 cosignature, C2SP
    tlog-cosignature) with a made-up 1312-byte public key: (vkey, key ID)."""
    pub = os.urandom(1312)
    kid = key_hash(name, 6, pub)
    return "%s+%s+%s" % (name, kid.hex(), base64.b64encode(b"\x06" + pub).decode()), kid


class Proxy:
    """An HTTP/1.1 proxy on a free loopback port in front of 127.0.0.1:target
    (a log or a witness) that passes every request through and lets
    rewrite(method, path, status, body) -> body change an answer."""

    def __init__(self, target, rewrite):
        self.target = target
        proxy = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def relay(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                c = http.client.HTTPConnection("127.0.0.1", proxy.target,
                                               timeout=30)
                try:
                    hdrs = {k: v for k, v in self.headers.items()
                            if k.lower() in ("content-type", "accept",
                                             "content-length")}
                    c.request(self.command, self.path, body=body, headers=hdrs)
                    r = c.getresponse()
                    data = r.read()
                    ctype = r.getheader("Content-Type")
                    status = r.status
                finally:
                    c.close()
                data = proxy.rewrite(self.command, self.path, status, data)
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_HEAD = relay

        self.rewrite = rewrite
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       daemon=True)

    def start(self):
        self.thread.start()
        ptlib._live.append(self)
        return self

    def kill(self):
        if self in ptlib._live:
            ptlib._live.remove(self)
            self.srv.shutdown()
            self.srv.server_close()

    stop = kill


# ---------------------------------------------------------------- witness

class Witness:
    """`witness serve` through tests/tools/witness_tool on a free port."""

    def __init__(self, logvkeys, state=None, keyfile=None, name="w.test",
                 port=None, extra=(), env=None):
        self.state = state or os.path.join(tmpdir("pt-wit-"), "state")
        self.keyfile = keyfile or os.path.join(os.path.dirname(self.state),
                                               "witness.key")
        self.logvkeys = list(logvkeys)
        self.name = name
        self.proc = None
        self.err = None
        self.extra = list(extra)
        self.port = port or free_port()
        self.env = dict(os.environ, **(env or {}))

    def start(self):
        self.errpath = self.state + ".log"
        os.makedirs(os.path.dirname(self.errpath), exist_ok=True)
        self.err = open(self.errpath, "ab")
        self.proc = subprocess.Popen(
            [TOOL, "witness", "serve", "--key", self.keyfile, "--listen",
             "127.0.0.1:%d" % self.port, "--state", self.state, "--log",
             ",".join(self.logvkeys), "--name", self.name] + self.extra,
            stdout=subprocess.PIPE, stderr=self.err, env=self.env)
        ptlib._live.append(self)
        first = self.proc.stdout.readline().decode()
        assert first, "witness exited:\n" + self.logtext()
        self.vkey = first.strip()
        end = time.time() + 20
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                time.sleep(0.02)
        self.wname, self.wpub = parse_cosig_vkey(self.vkey)
        return self

    def logtext(self):
        if self.err is not None:
            self.err.flush()
        try:
            with open(self.errpath, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def add(self, old, proof, note, timeout=30):
        return request(self.port, "POST", "/add-checkpoint",
                       body=witreq_body(old, proof, note), timeout=timeout)

    def monitor(self, origin, timeout=30):
        """GET /<SHA-256 of origin, hex>/checkpoint (tlog-witness)."""
        return request(self.port, "GET", "/%s/checkpoint" % hashlib.sha256(
            origin.encode()).hexdigest(), timeout=timeout)

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.err.close()
        self.err = None
        if self in ptlib._live:
            ptlib._live.remove(self)
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def evidence(self):
        d = os.path.join(self.state, "evidence")
        if not os.path.isdir(d):
            return []
        return sorted(os.path.join(d, f) for f in os.listdir(d)
                      if f.endswith(".evidence"))
