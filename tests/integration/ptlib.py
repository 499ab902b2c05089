"""ptlib: helpers for pubtrail integration tests.

An independent implementation (Python's hashlib, the cryptography package's
Ed25519 and the msgpack package) of what the tests check, so that the
daemon is never verified only by its own code: canonical msgpack encoding,
C2SP keys and signed notes, RFC 9162 proof verification, tile hashing.

Daemons are started on free loopback ports with temporary data directories
and always stopped, also when a test fails (Daemon is a context manager and
registers an atexit hook).
"""
import atexit
import base64
import hashlib
import http.client
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import msgpack
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)
from cryptography.hazmat.primitives import serialization

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD") or os.path.join(TOP, "build")
PUBTRAILD = os.path.join(BUILD, "pubtraild")
PUBTRAIL = os.path.join(BUILD, "pubtrail")

_live = []

# The client remembers the latest checkpoint of every log it verified
# ($PUBTRAIL_STATE): give each test run its own memory, not the user's.
if "PUBTRAIL_STATE" not in os.environ:
    os.environ["PUBTRAIL_STATE"] = tempfile.mkdtemp(prefix="pt-clientstate-")
    atexit.register(shutil.rmtree, os.environ["PUBTRAIL_STATE"], True)


def _cleanup():
    for d in list(_live):
        d.kill()


atexit.register(_cleanup)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tmpdir(prefix="pt-"):
    d = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, d, True)
    return d


# ---------------------------------------------------------------- keys

def key_hash(name, alg, pub):
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + pub).digest()[:4]


class Key:
    """An Ed25519 signed-note key (alg 0x01)."""

    def __init__(self, name, seed=None):
        self.name = name
        self.sk = (Ed25519PrivateKey.from_private_bytes(seed) if seed
                   else Ed25519PrivateKey.generate())
        self.seed = self.sk.private_bytes(serialization.Encoding.Raw,
                                          serialization.PrivateFormat.Raw,
                                          serialization.NoEncryption())
        self.pub = self.sk.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.hash = key_hash(name, 1, self.pub)

    @property
    def vkey(self):
        return "%s+%s+%s" % (self.name, self.hash.hex(),
                             base64.b64encode(b"\x01" + self.pub).decode())

    @property
    def skey(self):
        return "PRIVATE+KEY+%s+%s+%s" % (self.name, self.hash.hex(),
                                         base64.b64encode(b"\x01" + self.seed).decode())

    def sign(self, msg):
        return self.sk.sign(msg)

    @property
    def submitter_id(self):
        return hashlib.sha256(self.vkey.encode()).digest()


def parse_vkey(s):
    name, h, b = s.strip().split("+", 2)
    raw = base64.b64decode(b, validate=True)
    assert raw[0] == 1 and len(raw) == 33
    assert key_hash(name, 1, raw[1:]).hex() == h
    return name, raw[1:]


# ------------------------------------------------------------ msgpack

def _canon(o):
    if isinstance(o, dict):
        return {k: _canon(o[k]) for k in sorted(o, key=lambda k: k.encode())}
    if isinstance(o, list):
        return [_canon(x) for x in o]
    return o


def packb(o):
    """Canonical msgpack: sorted keys, shortest forms (msgpack-python packs
    integers and headers in their shortest form), str vs bin kept apart."""
    return msgpack.packb(_canon(o), use_bin_type=True)


def unpackb(b):
    return msgpack.unpackb(b, raw=False, strict_map_key=True)


def payment(rid, amount=12345, payee_org=True, **extra):
    r = {
        "type": "payment",
        "id": rid,
        "date": "2026-03-01",
        "amount_minor": amount,
        "currency": "EUR",
        "payer": {"kind": "organization", "scheme": "XI-TEST", "id": "FIN-1",
                  "name": "Test Finance Office"},
        "payee": ({"kind": "organization", "scheme": "GB-COH", "id": "00000001",
                   "name": "Acme Roads Ltd"} if payee_org else
                  {"kind": "individual", "commitment": hashlib.sha256(rid.encode()).digest()}),
        "description": "Road resurfacing, phase 1",
    }
    r.update(extra)
    return r


def sign_message(origin, record_bytes):
    return b"pubtrail/submission/v1\n" + origin.encode() + b"\n" + record_bytes


def registrar_message(origin, record_bytes):
    """What a registrar signs for an office_key record (PROTOCOL.md 7.1)."""
    return b"pubtrail/office-key/v1\n" + origin.encode() + b"\n" + record_bytes


def entry_message(origin, record):
    """The message an entry's signature covers, by the record's type."""
    rb = packb(record)
    if record.get("type") == "office_key":
        return registrar_message(origin, rb)
    return sign_message(origin, rb)


def office_key(action, rid, key, name="Test Finance Office", types=None,
               org=("XI-TEST", "FIN-1", "Test Finance Office"),
               reason="test", valid_from=None):
    """An office_key record (PROTOCOL.md 6.6) for key (a Key or a vkey)."""
    r = {"type": "office_key", "action": action, "id": rid,
         "key": key if isinstance(key, str) else key.vkey, "name": name,
         "organization": {"kind": "organization", "scheme": org[0],
                          "id": org[1], "name": org[2]},
         "reason": reason}
    if types is not None:
        r["types"] = sorted(types, key=lambda t: t.encode())
    if valid_from is not None:
        r["valid_from"] = valid_from
    return r


def submission(record, key, origin, sig=None, submitter=None):
    rb = packb(record)
    s = sig if sig is not None else key.sign(entry_message(origin, record))
    # Embed the record's canonical bytes as the map value: pack by hand so
    # the nested map bytes are exactly rb.
    sub = submitter if submitter is not None else key.vkey
    out = b"\x83"
    out += packb("record") + rb
    out += packb("sig") + packb(s)
    out += packb("submitter") + packb(sub)
    return out


# ------------------------------------------------------- Merkle (RFC 9162)

def leaf_hash(d):
    return hashlib.sha256(b"\x00" + d).digest()


def node_hash(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def mth(leaves):
    """Reference root over leaf hashes (RFC 9162 2.1.1, recursive)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old, new, old_root, new_root, proof):
    """RFC 9162 2.1.4.2."""
    if old == 0 or old > new:
        return False
    if old == new:
        return not proof and old_root == new_root
    p = list(proof)
    if old & (old - 1) == 0:
        p = [old_root] + p
    if not p:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = p[0]
    for c in p[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# ------------------------------------------------------ notes, checkpoints

def open_checkpoint(note, name, pub):
    """Verify a signed checkpoint note with (name, pub); return
    (origin, size, root, text). Raises AssertionError when invalid."""
    if isinstance(note, bytes):
        note = note.decode()
    text, sep, sigs = note.partition("\n\n")
    assert sep and note.endswith("\n"), "note framing"
    text += "\n"
    want = key_hash(name, 1, pub)
    ok = False
    for line in sigs.splitlines():
        assert line.startswith("\u2014 "), "signature line"
        n, b = line[2:].split(" ")
        raw = base64.b64decode(b, validate=True)
        if n == name and raw[:4] == want:
            Ed25519PublicKey.from_public_bytes(pub).verify(raw[4:], text.encode())
            ok = True
    assert ok, "no signature by the log key"
    lines = text.split("\n")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    assert origin == name, "origin differs from key name"
    assert len(root) == 32
    return origin, size, root, text


def parse_tlog_proof(text):
    """C2SP tlog-proof: returns (index, [hashes], note)."""
    if isinstance(text, bytes):
        text = text.decode()
    head, sep, note = text.partition("\n\n")
    assert sep, "tlog-proof framing"
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1", lines[0]
    i = 1
    if lines[i].startswith("extra "):
        i += 1
    assert lines[i].startswith("index ")
    index = int(lines[i][6:])
    hashes = [base64.b64decode(l, validate=True) for l in lines[i + 1:]]
    return index, hashes, note


def verify_receipt(receipt_bytes, logname, logpub, origin, submitter=None):
    """Independent receipt check: entry signature, inclusion, checkpoint."""
    r = unpackb(receipt_bytes)
    assert set(r) == {"entry", "index", "proof"}, r.keys()
    index, hashes, note = parse_tlog_proof(r["proof"])
    assert index == r["index"]
    o, size, root, _ = open_checkpoint(note, logname, logpub)
    assert o == origin
    assert verify_inclusion(leaf_hash(r["entry"]), index, size, hashes, root), "inclusion"
    e = unpackb(r["entry"])
    assert set(e) == {"record", "sig", "submitter", "time"}
    name, pub = parse_vkey(e["submitter"])
    if submitter is not None:
        assert e["submitter"] == submitter
    Ed25519PublicKey.from_public_bytes(pub).verify(
        e["sig"], entry_message(origin, e["record"]))
    return r, e, size, root


# ------------------------------------------------------------ tiles

def tile_index(n):
    """C2SP tlog-tiles index path: 1234067 -> x001/x234/067."""
    groups = []
    while True:
        groups.insert(0, "%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def fetch_entries(d, size):
    """All entries of a tree of size via tlog-tiles entry bundles."""
    out = []
    for n in range((size + 255) // 256):
        w = min(256, size - n * 256)
        path = "/tile/entries/" + tile_index(n) + ("" if w == 256 else ".p/%d" % w)
        r = d.get(path)
        assert r.status == 200, (path, r.status, r.body)
        b, off = r.body, 0
        while off < len(b):
            (ln,) = struct.unpack(">H", b[off:off + 2])
            out.append(b[off + 2:off + 2 + ln])
            off += 2 + ln
        assert off == len(b)
    assert len(out) == size, (len(out), size)
    return out


# ----------------------------------------------------------------- HTTP

class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, k):
        for hk, hv in self.headers:
            if hk.lower() == k.lower():
                return hv
        return None


def request(port, method, path, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        c.close()


# --------------------------------------------------------------- daemon

class Daemon:
    """A real pubtraild on a free loopback port with its own data dir.

    Who may append is the log's own office_key grants: when submitters
    are given (or a test wrote DATA/submitters itself), the daemon's first
    start turns them into grants signed by the test registrar
    (self.registrar, a Key kept outside the data directory;
    --bootstrap-registrar-key), so the log's first entries (indexes 0 ..
    len(submitters) - 1) are those grants: self.base is the index of the
    first entry a test appends."""

    def __init__(self, data=None, origin="test.example/log", extra=(),
                 env=None, submitters=(), binary=None, registrar=None):
        self.data = data or os.path.join(tmpdir(), "data")
        self.origin = origin
        self.extra = list(extra)
        self.env = dict(os.environ, **(env or {}))
        self.binary = binary or PUBTRAILD
        self.proc = None
        self.port = None
        self.log = None
        self.submitters = list(submitters)
        self.registrar = registrar or Key("registrar.test")
        self.registrar_file = None
        self.bootstrapped = False
        self.bootstrap = True   # pass the registrar's key when DATA/submitters exists

    @property
    def base(self):
        """Entries the bootstrap appended before a test's first one: one
        grant per key of the submitters file."""
        if self.submitters:
            return len(self.submitters)
        try:
            with open(os.path.join(self.data, "submitters")) as f:
                return sum(1 for l in f if l.split("#")[0].strip())
        except OSError:
            return 0

    def write_registrar_key(self):
        """The registrar's private key, outside the data directory."""
        if self.registrar_file is None:
            self.registrar_file = os.path.join(tmpdir("pt-reg-"),
                                               "registrar.key")
            fd = os.open(self.registrar_file,
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(self.registrar.skey + "\n")
        return self.registrar_file

    def write_submitters(self, keys_and_types):
        os.makedirs(self.data, mode=0o700, exist_ok=True)
        with open(os.path.join(self.data, "submitters"), "w") as f:
            f.write("# test submitters\n")
            for k, types in keys_and_types:
                f.write("%s %s\n" % (k.vkey, " ".join(types)))

    def start(self, wait=True, port=None):
        boot = []
        if self.submitters and not self.bootstrapped:
            self.write_submitters(self.submitters)
            self.bootstrapped = True
        if self.bootstrap and self.base > 0:
            # Used only while the log has no grants (else a warning).
            boot = ["--bootstrap-registrar-key", self.write_registrar_key()]
        self.port = port or free_port()
        if not hasattr(self, "logdir"):
            self.logdir = tmpdir("pt-log-")
        self.logpath = os.path.join(self.logdir, "daemon-%d.log" % self.port)
        self.log = open(self.logpath, "ab")
        args = [self.binary, "--data", self.data, "--listen",
                "127.0.0.1:%d" % self.port, "--origin", self.origin] + boot + \
            self.extra
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log,
                                     env=self.env)
        _live.append(self)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("pubtraild exited %d:\n%s" % (
                    self.proc.returncode, self.logtext()))
            try:
                if request(self.port, "GET", "/healthz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("pubtraild not ready:\n" + self.logtext())

    def logtext(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def vkey(self):
        with open(os.path.join(self.data, "log.vkey")) as f:
            return f.read().strip()

    def logkey(self):
        return parse_vkey(self.vkey())

    def get(self, path, **kw):
        return request(self.port, "GET", path, **kw)

    def post(self, path, body, **kw):
        return request(self.port, "POST", path, body=body, **kw)

    def checkpoint(self):
        r = self.get("/checkpoint")
        assert r.status == 200, r.status
        name, pub = self.logkey()
        return open_checkpoint(r.body, name, pub) + (r.body,)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        if self in _live:
            _live.remove(self)
        self.log.close()
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.kill()


def shlib(name):
    """Build tests/fault/<name>.c into $BUILD/fault/<name>.so (once; built
    beside and renamed, so tests running at once never load a half-written
    file)."""
    src = os.path.join(TOP, "tests", "fault", name + ".c")
    outdir = os.path.join(BUILD, "fault")
    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, name + ".so")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        tmp = "%s.%d.tmp" % (out, os.getpid())
        subprocess.check_call(["cc", "-std=c11", "-O2", "-Wall", "-Wextra",
                               "-Werror", "-shared", "-fPIC", "-o", tmp, src,
                               "-ldl"])
        os.rename(tmp, out)
    return out


def run_tests(tests):
    """Run test functions; print one line each and the closing summary."""
    import traceback
    passed = failed = 0
    for t in tests:
        start = time.time()
        try:
            t()
            passed += 1
            print("ok   %s (%.1fs)" % (t.__name__, time.time() - start), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
        _cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
