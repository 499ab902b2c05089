#!/usr/bin/python3
"""POST /add with a batch (docs/API.md): an array of submissions answered
once, when every item is durable or refused, with one result per item in
order; one bad item never sinks the others; the limits (add_batch_max,
add_batch_bytes) refuse a batch before its items are looked at, and an
oversized body before it is read whole.  Receipts are checked with ptlib's
own verifier; results are decoded with the msgpack package.  `pubtrail
submit` sends batches by default (--batch), and one submission a request
with --batch 1."""
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import msgpack  # noqa: E402
import ptlib  # noqa: E402

ORIGIN = "test.example/log"


def arr(items):
    n = len(items)
    if n < 16:
        h = bytes([0x90 | n])
    elif n < 65536:
        h = b"\xdc" + n.to_bytes(2, "big")
    else:
        h = b"\xdd" + n.to_bytes(4, "big")
    return h + b"".join(items)


def results(r):
    assert r.status == 200, (r.status, r.body)
    return msgpack.unpackb(r.body, raw=False)


def config(d, text):
    cfg = os.path.join(ptlib.tmpdir(), "pubtraild.conf")
    with open(cfg, "w") as f:
        f.write("[pubtraild]\n" + text)
    d.extra = ["--config", cfg]


def test_one_result_per_item():
    a, b = ptlib.Key("office-a"), ptlib.Key("office-b")
    stranger = ptlib.Key("stranger")
    d = ptlib.Daemon(submitters=[(a, ["payment", "correction"]),
                                 (b, ["permit_decision"])])
    d.start()
    try:
        name, pub = d.logkey()
        first = d.post("/add", ptlib.submission(ptlib.payment("P-0"), a,
                                                ORIGIN))
        assert first.status == 200
        items = [
            ptlib.submission(ptlib.payment("P-1"), a, ORIGIN),       # 200
            ptlib.submission(ptlib.payment("P-2"), a, ORIGIN,
                             sig=b"\x00" * 64),                       # 403
            msgpack.packb("not a submission"),                        # 400
            ptlib.submission(ptlib.payment("P-0"), a, ORIGIN),       # 200 (old)
            ptlib.submission(ptlib.payment("P-0", amount=1), a,
                             ORIGIN),                                 # 409
            ptlib.submission(ptlib.payment("P-3"), stranger, ORIGIN),  # 403
            ptlib.submission(ptlib.payment("P-4"), b, ORIGIN),       # 403
            ptlib.submission(ptlib.payment("P-5"), a, ORIGIN),       # 200
            ptlib.submission(ptlib.payment("P-1"), a, ORIGIN),       # 200 (dup)
        ]
        res = results(d.post("/add", arr(items)))
        assert [x["status"] for x in res] == \
            [200, 403, 400, 200, 409, 403, 403, 200, 200], res
        assert all(set(x) == ({"status", "receipt"} if x["status"] == 200
                              else {"status", "error"}) for x in res)
        assert b"signature" in res[1]["error"].encode()
        assert "type payment" in res[6]["error"]
        idx = {}
        for i in (0, 3, 7, 8):
            rc, entry, _, _ = ptlib.verify_receipt(res[i]["receipt"], name,
                                                   pub, ORIGIN)
            rec = ptlib.unpackb(rc["entry"])["record"]
            idx[i] = rc["index"]
            assert rec["id"] == ("P-1", "P-0", "P-5", "P-1")[(0, 3, 7, 8).index(i)]
        assert idx[3] == d.base           # the entry logged before
        assert idx[0] == idx[8]           # one entry for both P-1
        assert d.checkpoint()[1] == d.base + 3  # P-0, P-1, P-5
        # the same batch again: the same answers, nothing new
        res2 = results(d.post("/add", arr(items)))
        assert [x["status"] for x in res2] == [x["status"] for x in res]
        assert d.checkpoint()[1] == d.base + 3
    finally:
        d.kill()


def test_limits():
    a = ptlib.Key("office-a")
    d = ptlib.Daemon(submitters=[(a, [])])
    config(d, "add_batch_max = 10\nadd_batch_bytes = 16384\n")
    d.start()
    try:
        subs = [ptlib.submission(ptlib.payment("L-%d" % i), a, ORIGIN)
                for i in range(11)]
        r = d.post("/add", arr(subs))                  # 11 > 10 items
        assert r.status == 413 and b"at most 10" in r.body, r.body
        r = d.post("/add", arr(subs[:10]))             # fine, < 16 KiB
        assert [x["status"] for x in results(r)] == [200] * 10
        big = [ptlib.submission(ptlib.payment("B-%d" % i,
                                              description="x" * 1500), a,
                                ORIGIN) for i in range(10)]
        r = d.post("/add", arr(big))                   # > 16 KiB
        assert r.status == 413, (r.status, r.body)
        for bad in (b"\x90", arr([b"\xc1"]), arr(subs[:2])[:-3],
                    b"\xdc\x00\x02" + subs[0] + subs[1],
                    arr(subs[:2]) + b"\x00"):
            r = d.post("/add", bad)
            assert r.status == 400 and b"batch" in r.body, (bad[:8], r.body)
        # a body over the limit is refused from its headers: the server
        # answers 413 without reading it
        s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        s.sendall(b"POST /add HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  b"application/msgpack\r\nContent-Length: 100000000\r\n\r\n"
                  b"\x91")
        t0 = time.time()
        got = s.recv(200)
        s.close()
        assert got.startswith(b"HTTP/1.1 413"), got
        assert time.time() - t0 < 5
        assert d.checkpoint()[1] == d.base + 10
    finally:
        d.kill()
    # batches switched off: arrays refused, single submissions as before
    d = ptlib.Daemon(submitters=[(a, [])])
    config(d, "add_batch_max = 0\n")
    d.start()
    try:
        r = d.post("/add", arr([ptlib.submission(ptlib.payment("X"), a,
                                                 ORIGIN)]))
        assert r.status == 400 and b"add_batch_max" in r.body, r.body
        r = d.post("/add", ptlib.submission(ptlib.payment("X"), a, ORIGIN))
        assert r.status == 200
    finally:
        d.kill()


def test_submit_sends_batches():
    o = ptlib.tmpdir("pt-batch-")
    key = os.path.join(o, "k.key")
    pt = ptlib.PUBTRAIL
    vk = subprocess.run([pt, "keygen", "--name", "batcher", "--out", key],
                        capture_output=True, check=True).stdout.decode().strip()
    d = ptlib.Daemon()
    os.makedirs(d.data, mode=0o700, exist_ok=True)
    with open(os.path.join(d.data, "submitters"), "w") as f:
        f.write(vk + "\n")
    d.start()
    try:
        L = ["--log", "http://127.0.0.1:%d" % d.port, "--log-key",
             os.path.join(d.data, "log.vkey"), "--key", key]
        f = os.path.join(o, "r.jsonl")
        with open(f, "w") as fh:
            for i in range(50):
                fh.write(json.dumps(ptlib.payment("S-%d" % i)) + "\n")
        for batch, sub in (("7", "a"), ("1", "b")):
            p = subprocess.run([pt, "submit", *L, "--batch", batch,
                                "--receipts", os.path.join(o, sub), f],
                               capture_output=True, cwd=o, timeout=120)
            assert p.returncode == 0, p.stderr
            lines = p.stdout.decode().splitlines()
            assert len(lines) == 50
            assert len(os.listdir(os.path.join(o, sub))) == 50
        assert d.checkpoint()[1] == d.base + 50  # the second run logged nothing
        m = d.get("/metrics").body.decode()
        assert "pubtrail" in m
        p = subprocess.run([pt, "submit", *L, "--batch", "0", f],
                           capture_output=True, cwd=o)
        assert p.returncode == 2
    finally:
        d.kill()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_one_result_per_item, test_limits,
                               test_submit_sends_batches]))
