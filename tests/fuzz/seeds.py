#!/usr/bin/python3
"""Write the seed inputs of the fuzz targets (run once before the first
fuzzing run; the committed corpora in corpus/<target>/ grew from these).

    python3 tests/fuzz/seeds.py OUTDIR      writes OUTDIR/<target>/seed-*

Independent of the C code: keys, signatures and notes come from
python3-cryptography, msgpack from python3-msgpack.  The keys are fixed test
keys (their verifier strings are compiled into fuzz_note.c); they sign
nothing outside the fuzz corpus.
"""
import base64
import hashlib
import os
import shutil
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
LOG_NAME = "fuzz.example/log"
WIT_NAME = "fuzz.example/witness"
LOG_SEED = hashlib.sha256(b"pubtrail fuzz log key").digest()
WIT_SEED = hashlib.sha256(b"pubtrail fuzz witness key").digest()


def pub(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def khash(name, alg, p):
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + p).digest()[:4]


def vkey(name, alg, seed):
    p = pub(seed)
    return "%s+%s+%s" % (name, khash(name, alg, p).hex(),
                         base64.b64encode(bytes([alg]) + p).decode())


def sign(seed, msg):
    return Ed25519PrivateKey.from_private_bytes(seed).sign(msg)


def ckpt(size, root, origin=LOG_NAME, ext=()):
    return "%s\n%d\n%s\n%s" % (origin, size, base64.b64encode(root).decode(),
                               "".join(e + "\n" for e in ext))


def sigline(name, h, raw):
    return "\u2014 %s %s\n" % (name, base64.b64encode(h + raw).decode())


def signed(text, cosign_ts=None, extra_lines=()):
    lh = khash(LOG_NAME, 1, pub(LOG_SEED))
    out = text + "\n" + sigline(LOG_NAME, lh, sign(LOG_SEED, text.encode()))
    if cosign_ts is not None:
        wh = khash(WIT_NAME, 4, pub(WIT_SEED))
        msg = ("cosignature/v1\ntime %d\n" % cosign_ts).encode() + text.encode()
        out += sigline(WIT_NAME, wh, struct.pack(">Q", cosign_ts) + sign(WIT_SEED, msg))
    for l in extra_lines:
        out += l
    return out


def leaf(d):
    return hashlib.sha256(b"\x00" + d).digest()


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def mth(ls):
    if not ls:
        return hashlib.sha256(b"").digest()
    if len(ls) == 1:
        return ls[0]
    k = 1
    while k * 2 < len(ls):
        k *= 2
    return node(mth(ls[:k]), mth(ls[k:]))


def path(m, ls):
    if len(ls) == 1:
        return []
    k = 1
    while k * 2 < len(ls):
        k *= 2
    if m < k:
        return path(m, ls[:k]) + [mth(ls[k:])]
    return path(m - k, ls[k:]) + [mth(ls[:k])]


def tproof(index, hashes, note, extra=None):
    s = "c2sp.org/tlog-proof@v1\n"
    if extra:
        s += "extra %s\n" % base64.b64encode(extra).decode()
    s += "index %d\n" % index
    s += "".join(base64.b64encode(h).decode() + "\n" for h in hashes)
    return s + "\n" + note


def pq_lines(n=16, sigbytes=8 + 2420):
    """n signature lines of ML-DSA-44 cosignature size (3,268 bytes with a
    19-byte name) by unknown signers: deterministic filler bytes."""
    out = []
    for i in range(n):
        raw = b"".join(hashlib.sha256(b"pq %d %d" % (i, j)).digest()
                       for j in range(sigbytes // 32 + 1))[:sigbytes]
        out.append(sigline("pq%d.example/w" % i, bytes([0xfe, 0, 0, i]), raw))
    return out


def note_seeds():
    ls = [leaf(b"entry %d" % i) for i in range(13)]
    root = mth(ls)
    t = ckpt(13, root)
    out = {
        "ckpt-signed": signed(t),
        "ckpt-cosigned": signed(t, cosign_ts=1767225600),
        "ckpt-ext": signed(ckpt(13, root, ext=["note: extension"])),
        "ckpt-empty": signed(ckpt(0, hashlib.sha256(b"").digest())),
        "ckpt-unknown-sig": signed(t, extra_lines=[sigline(
            "other.example", b"\x01\x02\x03\x04", b"\x00" * 64)]),
        "ckpt-body": t,
        "ckpt-wrong-origin": signed(ckpt(13, root, origin="evil.example/log")),
        "ckpt-17-sigs": signed(t, extra_lines=[sigline(
            "w%d.example" % i, bytes([i, 0, 0, 1]), b"\x00" * 64) for i in range(17)]),
        "tproof": tproof(5, path(5, ls), signed(t)),
        "tproof-extra": tproof(12, path(12, ls), signed(t, cosign_ts=1),
                               extra=b"opaque"),
        "tproof-bad": tproof(13, path(5, ls), signed(t)),
        "ckpt-pq16": signed(t, cosign_ts=1767225600, extra_lines=pq_lines()),
        "tproof-pq16": tproof(5, path(5, ls), signed(t, extra_lines=pq_lines())),
    }
    return {k: v.encode() for k, v in out.items()}


def consistency(m, ls, b=True):
    """SUBPROOF(m, D[n], b) (RFC 9162 2.1.4.1)."""
    n = len(ls)
    if m == n:
        return [] if b else [mth(ls)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return consistency(m, ls[:k], b) + [mth(ls[k:])]
    return consistency(m - k, ls[k:], False) + [mth(ls[:k])]


def witreq_seeds():
    ls = [leaf(b"entry %d" % i) for i in range(13)]
    t = ckpt(13, mth(ls))
    note = signed(t)
    wh = khash(WIT_NAME, 4, pub(WIT_SEED))
    ts = 1767225600
    msg = ("cosignature/v1\ntime %d\n" % ts).encode() + t.encode()
    cos = sigline(WIT_NAME, wh, struct.pack(">Q", ts) + sign(WIT_SEED, msg))
    other = sigline("other.example/w", b"\x01\x02\x03\x04", b"\x00" * 72)

    def req(old, proof):
        return ("old %d\n" % old + "".join(base64.b64encode(h).decode() + "\n"
                                          for h in proof) + "\n" + note)
    out = {
        "req-old0": req(0, []),
        "req-old5": req(5, consistency(5, ls)),
        "req-old8": req(8, consistency(8, ls)),
        "req-old13": req(13, []),
        "size": "13\n",
        "resp-cosig": cos,
        "resp-two": other + cos,
        "resp-bad": cos.replace("A", "B", 1),
        "resp-pq16": "".join(pq_lines()[:8]) + cos + "".join(pq_lines()[8:]),
        "req-old0-proof": ("old 0\n" + base64.b64encode(ls[0]).decode() +
                           "\n\n" + note),
    }
    return {k: v.encode() for k, v in out.items()}


def path_seeds():
    out = [
        "tile/0/000", "tile/0/000.p/5", "tile/1/x001/x234/067.p/8",
        "tile/entries/000", "tile/entries/x123/456.p/255", "tile/63/999",
        "/tile/0/001?x=1", "/proof/inclusion?index=3&size=10",
        "/proof/consistency?old=1&new=18446744073709551615",
        "/proof/inclusion?hash=00ff&size=1", "/lookup?submitter=ab&id=a%20b",
        "/entry/12345678901234567890", "/checkpoint", "0", "18446744073709551616",
    ]
    return {"p%02d" % i: s.encode() for i, s in enumerate(out)}


def proof_seeds():
    # Byte layouts are defined in fuzz_proof.c; a few shapes to start from.
    out = {}
    for i, (mode, a, b) in enumerate([(0, 5, 13), (1, 4, 8), (1, 3, 7), (0, 0, 1),
                                      (1, 1, 2), (2, 6, 6), (3, 1 << 40, 1 << 41)]):
        out["s%d" % i] = bytes([mode]) + struct.pack(">QQ", a, b) + bytes(range(64))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    top = os.path.dirname(os.path.dirname(HERE))
    sets = {"note": note_seeds(), "path": path_seeds(), "proof": proof_seeds(),
            "witreq": witreq_seeds()}
    for target, seeds in sets.items():
        d = os.path.join(outdir, target)
        os.makedirs(d, exist_ok=True)
        for k, v in seeds.items():
            with open(os.path.join(d, "seed-" + k), "wb") as f:
                f.write(v)
    # The submission target starts from the wire corpus of test_wire.
    d = os.path.join(outdir, "submission")
    os.makedirs(d, exist_ok=True)
    for sub in ("ok", "bad"):
        src = os.path.join(top, "tests", "corpus", "wire", sub)
        for fn in sorted(os.listdir(src)):
            if fn.endswith(".bin"):
                shutil.copy(os.path.join(src, fn), os.path.join(d, "seed-" + fn))
    print("log key:    ", vkey(LOG_NAME, 1, LOG_SEED))
    print("witness key:", vkey(WIT_NAME, 4, WIT_SEED))


if __name__ == "__main__":
    main()
