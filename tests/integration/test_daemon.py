"""Integration tests for pubtraild (issue 3): the real daemon on 127.0.0.1,
checked with an independent implementation (ptlib)."""
import base64
import concurrent.futures
import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, packb, unpackb, payment, submission  # noqa: E402

ORIGIN = "test.example/log"


def office(name="finance-office"):
    return Key(name)


def test_first_start_creates_log():
    d = Daemon()
    d.start()
    try:
        assert os.path.isdir(d.data)
        st = os.stat(os.path.join(d.data, "log.key"))
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        vk = d.vkey()
        assert vk.startswith(ORIGIN + "+")
        with open(os.path.join(d.data, "log.key")) as f:
            assert f.read().startswith("PRIVATE+KEY+" + ORIGIN + "+")
        o, size, root, _, raw = d.checkpoint()
        assert (o, size) == (ORIGIN, 0)
        assert root == ptlib.mth([])
        assert "created a new log" in d.logtext()
        r = d.get("/checkpoint")
        assert "no-store" not in (r.header("Cache-Control") or "")
        assert r.header("Cache-Control")
    finally:
        assert d.stop() == 0
    # A second start reuses the key and refuses a different --origin.
    d2 = Daemon(data=d.data)
    d2.start()
    assert d2.vkey() == vk
    d2.stop()
    d3 = Daemon(data=d.data, origin="other.example/log")
    d3.start(wait=False)
    assert d3.proc.wait(timeout=20) != 0
    assert "differs" in d3.logtext()


def test_concurrent_appends_verify_independently():
    keys = [office("office-%d" % i) for i in range(4)]
    d = Daemon(submitters=[(k, []) for k in keys])
    d.start()
    name, pub = d.logkey()
    acked = {}
    lock = threading.Lock()

    def work(ki):
        k = keys[ki]
        for i in range(40):
            rec = payment("p-%d-%d" % (ki, i), amount=ki * 1000 + i)
            r = d.post("/add", submission(rec, k, ORIGIN),
                       headers={"Content-Type": "application/msgpack"})
            assert r.status == 200, (r.status, r.body)
            rc, e, size, root = ptlib.verify_receipt(r.body, name, pub, ORIGIN, k.vkey)
            assert e["record"] == rec
            with lock:
                acked[rc["index"]] = rc["entry"]

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(work, range(4)))
    assert len(acked) == 160
    o, size, root, _, _ = d.checkpoint()
    assert size == 160 + d.base     # after the bootstrap's grants
    entries = ptlib.fetch_entries(d, size)
    for i, e in acked.items():
        assert entries[i] == e
    leaves = [ptlib.leaf_hash(e) for e in entries]
    assert ptlib.mth(leaves) == root
    # Hash tile level 0 (partial) holds the leaf hashes.
    r = d.get("/tile/0/000.p/%d" % size)
    assert r.status == 200 and r.body == b"".join(leaves)
    assert "immutable" not in r.header("Cache-Control")
    # Inclusion proofs, by index and by hash, msgpack and JSON.
    for i in random.sample(range(size), 20):
        sz = random.randint(i + 1, size)
        r = d.get("/proof/inclusion?index=%d&size=%d" % (i, sz))
        assert r.status == 200
        p = unpackb(r.body)
        assert p["index"] == i and p["size"] == sz
        assert ptlib.verify_inclusion(leaves[i], i, sz, p["proof"], ptlib.mth(leaves[:sz]))
        assert r.header("Cache-Control") == "no-store"
    r = d.get("/proof/inclusion?hash=%s&size=%d" % (leaves[7].hex(), size),
              headers={"Accept": "application/json"})
    assert r.status == 200, r.body
    j = json.loads(r.body)
    assert j["index"] == 7
    assert ptlib.verify_inclusion(leaves[7], 7, size,
                                  [base64.b64decode(x) for x in j["proof"]], root)
    # Consistency proofs.
    for _ in range(20):
        a = random.randint(1, size)
        b = random.randint(a, size)
        r = d.get("/proof/consistency?old=%d&new=%d" % (a, b))
        assert r.status == 200
        p = unpackb(r.body)
        assert ptlib.verify_consistency(a, b, ptlib.mth(leaves[:a]), ptlib.mth(leaves[:b]), p["proof"])
    # Entry and lookup (of a payment: entries from d.base on).
    i5 = d.base + 5
    r = d.get("/entry/%d" % i5)
    assert r.status == 200 and r.body == entries[i5]
    r = d.get("/entry/%d" % i5, headers={"Accept": "application/json"})
    j = json.loads(r.body)
    assert j["index"] == i5 and j["leaf_hash"] == leaves[i5].hex()
    e5 = unpackb(entries[i5])
    sub = [k for k in keys if k.vkey == e5["submitter"]][0]
    r = d.get("/lookup?submitter=%s&id=%s" % (sub.submitter_id.hex(), e5["record"]["id"]))
    assert r.status == 200, r.body
    assert unpackb(r.body) == {"corrections": [], "corrections_more": 0,
                               "entry": entries[i5], "index": i5}
    r = d.get("/lookup?submitter=%s&id=nope" % sub.submitter_id.hex())
    assert r.status == 404
    # Metrics.
    m = d.get("/metrics").body.decode()
    assert "pubtrail_tree_size %d" % size in m
    assert 'pubtrail_entries_total{type="payment"} 160' in m
    assert "pubtrail_commit_seconds_count" in m
    assert "pubtrail_lmdb_map_used_bytes" in m
    assert d.stop() == 0


def test_error_cases_leave_tree_unchanged():
    k = office()
    stranger = office("stranger")
    permits_only = office("permit-office")
    d = Daemon(submitters=[(k, []), (permits_only, ["permit_decision"])],
               extra=[])
    d.start()
    name, pub = d.logkey()
    r = d.post("/add", submission(payment("a1"), k, ORIGIN))
    assert r.status == 200
    base = d.checkpoint()[1]

    def expect(status, body, why=None):
        r = d.post("/add", body)
        assert r.status == status, (status, r.status, r.body)
        if why:
            assert why in r.body.decode(), r.body
        assert r.header("Content-Type").startswith("text/plain")

    expect(403, submission(payment("b1"), stranger, ORIGIN), "unknown submitter")
    bad = bytearray(k.sign(ptlib.sign_message(ORIGIN, packb(payment("b2")))))
    bad[0] ^= 1
    expect(403, submission(payment("b2"), k, ORIGIN, sig=bytes(bad)))
    expect(403, submission(payment("b3"), k, "other.example/log"))  # cross-log replay
    # A valid signature by one office claiming to be another.
    expect(403, submission(payment("b4"), stranger, ORIGIN, submitter=k.vkey))
    expect(403, submission(payment("b5"), permits_only, ORIGIN), "type")
    expect(400, b"\x00garbage")
    expect(400, b"")
    expect(400, b"\xdf\xff\xff\xff\xff")           # map of 2^32-1 pairs
    expect(400, b"\xdb\xff\xff\xff\xff")           # 4 GiB string
    expect(400, submission(payment("b6"), k, ORIGIN) + b"\x00")  # trailing
    expect(400, submission(payment("b7"), k, ORIGIN)[:-3])       # truncated
    rec = payment("b8")
    rec["amount_minor"] = 1.5
    expect(400, submission(rec, k, ORIGIN))
    rec = payment("b9")
    rec["surprise"] = "x"
    expect(400, submission(rec, k, ORIGIN))
    r = d.post("/add", b"x" * (1 << 20))
    assert r.status == 413, r.status
    # Same id, same content: the existing receipt; different content: 409.
    r = d.post("/add", submission(payment("a1"), k, ORIGIN))
    assert r.status == 200
    rc, _, _, _ = ptlib.verify_receipt(r.body, name, pub, ORIGIN)
    assert rc["index"] == d.base
    r = d.post("/add", submission(payment("a1", amount=999), k, ORIGIN))
    assert r.status == 409, r.status
    # ... but a forged one under a used id is 403, not 409.
    forged = bytearray(k.sign(ptlib.sign_message(ORIGIN, packb(payment("a1", amount=998)))))
    forged[3] ^= 4
    expect(403, submission(payment("a1", amount=998), k, ORIGIN, sig=bytes(forged)))
    # Reads: bounds answered with 400 before touching storage.
    size = d.checkpoint()[1]
    for path, st in [("/proof/inclusion?index=0&size=%d" % (size + 1), 400),
                     ("/proof/inclusion?index=%d&size=%d" % (size, size), 400),
                     ("/proof/inclusion?index=0", 400),
                     ("/proof/inclusion?index=0&size=1&index=0", 400),
                     ("/proof/inclusion?index=-1&size=1", 400),
                     ("/proof/inclusion?index=01&size=1", 400),
                     ("/proof/inclusion?index=0&size=99999999999999999999999", 400),
                     ("/proof/inclusion?hash=zz&size=1", 400),
                     ("/proof/consistency?old=2&new=1", 400),
                     ("/proof/consistency?old=0&new=1", 400),
                     ("/proof/consistency?old=1&new=%d" % (size + 1), 400),
                     ("/proof/inclusion?index=0&size=1&bogus=1", 400),
                     ("/entry/%d" % size, 404),
                     ("/entry/abc", 400),
                     ("/tile/0/x001", 400),
                     ("/tile/0/1000", 400),
                     ("/tile/0/001", 404),
                     ("/tile/0/0001", 400),
                     ("/tile/0/x000/001", 400),
                     ("/tile//000", 400),
                     ("/tile/64/000", 400),
                     ("/tile/0/000.p/0", 400),
                     ("/tile/0/000.p/256", 400),
                     ("/tile/0/001.p/1", 404),
                     ("/tile/0/000", 404),
                     ("/tile/entries/000.p/%d" % (size + 1), 404),
                     ("/nope", 404),
                     ("/checkpoint?x=1", 400)]:
        r = d.get(path)
        assert r.status == st, (path, r.status, r.body)
    assert ptlib.request(d.port, "DELETE", "/checkpoint").status in (405, 501)
    assert ptlib.request(d.port, "POST", "/checkpoint", body=b"x").status == 405
    assert ptlib.request(d.port, "GET", "/add").status == 405
    assert d.checkpoint()[1] == base
    m = d.get("/metrics").body.decode()
    assert 'pubtrail_rejections_total{reason="unknown_signer"}' in m
    assert 'pubtrail_rejections_total{reason="bad_signature"}' in m
    assert d.stop() == 0


def test_corrections_checked_against_the_log():
    k, other = office("office-a"), office("office-b")
    d = Daemon(submitters=[(k, []), (other, [])])
    d.start()
    name, pub = d.logkey()
    r = d.post("/add", submission(payment("orig"), k, ORIGIN))
    rc, _, _, _ = ptlib.verify_receipt(r.body, name, pub, ORIGIN)
    lh = ptlib.leaf_hash(rc["entry"])
    t = rc["index"]

    def corr(cid, idx, h, action="void", **kw):
        c = {"type": "correction", "id": cid, "action": action,
             "reason": "entered twice", "target_index": idx, "target_leaf_hash": h}
        c.update(kw)
        return c

    assert d.post("/add", submission(corr("c1", t, lh), k, ORIGIN)).status == 200
    r = d.post("/add", submission(corr("c2", t, b"\x00" * 32), k, ORIGIN))
    assert r.status == 400 and b"leaf hash" in r.body, r.body
    r = d.post("/add", submission(corr("c3", 99, lh), k, ORIGIN))
    assert r.status == 400 and b"not in the log" in r.body, r.body
    r = d.post("/add", submission(corr("c4", t, lh), other, ORIGIN))
    assert r.status == 403 and b"another office" in r.body, r.body
    amend = corr("c5", t, lh, action="amend", replacement=payment("orig", amount=54321))
    r = d.post("/add", submission(amend, k, ORIGIN))
    assert r.status == 200, r.body
    assert d.checkpoint()[1] == 3 + d.base
    # the corrections index lists exactly the accepted ones, in log order,
    # in /corrections, /entry's JSON and /lookup; and survives a restart
    # and --check-full
    want = {"corrections": [t + 1, t + 2], "index": t, "more": 0}
    assert unpackb(d.get("/corrections/%d" % t).body) == want
    assert unpackb(d.get("/corrections/%d" % (t + 1)).body)["corrections"] == []
    assert unpackb(d.get("/corrections/%d?from=%d" % (t, t + 2)).body)["corrections"] == [t + 2]
    assert d.get("/corrections/%d" % (t + 3)).status == 404
    assert d.get("/corrections/%d?x=1" % t).status == 400
    j = json.loads(d.get("/entry/%d" % t, headers={"Accept": "application/json"}).body)
    assert j["corrections"] == [t + 1, t + 2] and j["corrections_more"] is False
    lk = unpackb(d.get("/lookup?submitter=%s&id=orig" % k.submitter_id.hex()).body)
    assert lk["corrections"] == [t + 1, t + 2] and lk["corrections_more"] == 0
    r = d.get("/entry/%d" % t)
    assert r.header("Vary") == "Accept" and "immutable" in r.header("Cache-Control")
    r = d.get("/entry/%d" % t, headers={"Accept": "application/json"})
    assert r.header("Cache-Control") == "no-store"
    assert d.stop() == 0
    p = subprocess.run([ptlib.PUBTRAILD, "--data", d.data, "--check-full"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0 and b"corrections index matches" in p.stdout, p
    d.start()
    assert unpackb(d.get("/corrections/%d" % t).body) == want
    assert d.stop() == 0


def test_sighup_keeps_grants_and_config_check():
    """Who may append is the log's grants: a submitters file written later
    is not read (nor on SIGHUP); the registrar's grant lets a key in."""
    k = office()
    d = Daemon()
    d.start()
    assert d.post("/add", submission(payment("s1"), k, ORIGIN)).status == 403
    d.stop()
    d.write_submitters([(k, [])])
    d.bootstrap = False
    d.start()           # with the file, but without the registrar's key
    assert "--bootstrap-registrar-key" in d.logtext(), d.logtext()
    r = d.post("/add", submission(payment("s1"), k, ORIGIN))
    assert r.status == 403 and b"no office keys" in r.body, r.body
    d.proc.send_signal(signal.SIGHUP)
    end = time.time() + 10
    while "not read again" not in d.logtext() and time.time() < end:
        time.sleep(0.05)
    assert "not read again" in d.logtext(), d.logtext()
    assert d.post("/add", submission(payment("s1"), k, ORIGIN)).status == 403
    assert d.stop() == 0
    # -n checks a config file and exits.
    good = os.path.join(ptlib.tmpdir(), "good.conf")
    with open(good, "w") as f:
        f.write("[pubtraild]\nbatch_max = 64\nlisten = 127.0.0.1:9\n")
    out = subprocess.run([ptlib.PUBTRAILD, "-n", "--config", good], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for bad in ("batch_max = 0\n", "batch_max = 01\n", "nosuchkey = 1\n", "[other]\nx = 1\n",
                "max_body = 99999999\n", "garbage line\n"):
        with open(good, "w") as f:
            f.write(bad)
        out = subprocess.run([ptlib.PUBTRAILD, "-n", "--config", good], capture_output=True, text=True)
        assert out.returncode != 0 and "good.conf" in out.stderr, (bad, out.stderr)
    out = subprocess.run([ptlib.PUBTRAILD, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "request_deadline_ms" in out.stdout


def test_rate_limit_per_submitter():
    a, b = office("office-a"), office("office-b")
    d = Daemon(submitters=[(a, []), (b, [])])
    cfg = os.path.join(ptlib.tmpdir(), "pubtraild.conf")
    with open(cfg, "w") as f:
        f.write("[pubtraild]\nrate_limit = 1\nrate_burst = 5\n")
    d.extra = ["--config", cfg]
    d.start()
    codes = [d.post("/add", submission(payment("r%d" % i), a, ORIGIN)).status
             for i in range(10)]
    assert codes[:5] == [200] * 5, codes
    assert 429 in codes[5:], codes
    # The other office and reads are unaffected.
    assert d.post("/add", submission(payment("x1"), b, ORIGIN)).status == 200
    assert d.get("/checkpoint").status == 200
    assert d.stop() == 0


def test_sigterm_commits_and_exits_zero():
    k = office()
    d = Daemon(submitters=[(k, [])], extra=[])
    d.start()
    results = []

    def post(i):
        try:
            results.append(d.post("/add", submission(payment("t%d" % i), k, ORIGIN)).status)
        except OSError:
            results.append(None)

    ts = [threading.Thread(target=post, args=(i,)) for i in range(30)]
    for t in ts:
        t.start()
    time.sleep(0.05)
    rc = d.stop(signal.SIGTERM)
    for t in ts:
        t.join()
    assert rc == 0, d.logtext()
    acked = results.count(200)
    d.start()
    assert d.checkpoint()[1] >= acked
    assert d.stop() == 0


def test_second_daemon_refused():
    d = Daemon()
    d.start()
    d2 = Daemon(data=d.data)
    d2.start(wait=False)
    assert d2.proc.wait(timeout=20) != 0
    assert "lock" in d2.logtext().lower() or "another" in d2.logtext().lower(), d2.logtext()
    assert d.get("/checkpoint").status == 200
    assert d.stop() == 0


def test_rollback_refused():
    k = office()
    d = Daemon(submitters=[(k, [])])
    d.start()
    d.post("/add", submission(payment("old1"), k, ORIGIN))
    d.stop()
    backup = os.path.join(ptlib.tmpdir(), "backup")
    subprocess.check_call(["cp", "-a", d.data, backup])
    d.start()
    for i in range(3):
        assert d.post("/add", submission(payment("new%d" % i), k, ORIGIN)).status == 200
    d.stop()
    # Restore the old database under the newer checkpoint copy.
    for f in ("data.mdb", "lock.mdb"):
        subprocess.check_call(["cp", os.path.join(backup, f), os.path.join(d.data, f)])
    d.start(wait=False)
    assert d.proc.wait(timeout=20) != 0
    assert "rollback" in d.logtext(), d.logtext()


def test_crash_kill9_under_load():
    """kill -9 at random moments under load; every acked entry survives."""
    rounds = int(os.environ.get("PT_CRASH_ROUNDS", "20"))
    keys = [office("office-%d" % i) for i in range(3)]
    d = Daemon(submitters=[(k, []) for k in keys])
    d.start()
    name, pub = d.logkey()
    acked = {}
    checkpoints = []
    seq = [0]
    lock = threading.Lock()
    for rnd in range(rounds):
        stop = threading.Event()

        def load(ki):
            k = keys[ki]
            while not stop.is_set():
                with lock:
                    seq[0] += 1
                    rid = "c%d" % seq[0]
                try:
                    r = d.post("/add", submission(payment(rid), k, ORIGIN), timeout=10)
                except OSError:
                    continue
                if r.status == 200:
                    rc, e, size, root = ptlib.verify_receipt(r.body, name, pub, ORIGIN)
                    with lock:
                        acked[rc["index"]] = rc["entry"]
                        checkpoints.append((size, root))

        ts = [threading.Thread(target=load, args=(i,)) for i in range(3)]
        for t in ts:
            t.start()
        time.sleep(random.uniform(0.05, 0.4))
        d.kill()
        stop.set()
        for t in ts:
            t.join()
        d.start()
    o, size, root, _, _ = d.checkpoint()
    entries = ptlib.fetch_entries(d, size)
    for i, e in acked.items():
        assert i < size and entries[i] == e, i
    leaves = [ptlib.leaf_hash(e) for e in entries]
    assert ptlib.mth(leaves) == root
    # No submission appears twice.
    ids = [(unpackb(e)["submitter"], unpackb(e)["record"]["id"]) for e in entries]
    assert len(ids) == len(set(ids))
    # Every checkpoint ever served is consistent with the latest.
    for s, r in checkpoints:
        assert ptlib.mth(leaves[:s]) == r
    print("  crash: %d rounds, %d acked, final size %d" % (rounds, len(acked), size))
    assert d.stop() == 0


def test_map_full_then_resume():
    k = office()
    d = Daemon(submitters=[(k, [])])
    cfg = os.path.join(ptlib.tmpdir(), "small.conf")
    with open(cfg, "w") as f:
        f.write("map_size_mb = 1\nrate_limit = 0\n")
    d.extra = ["--config", cfg]
    d.start()
    name, pub = d.logkey()
    statuses = []
    big = "x" * 3000
    for i in range(400):
        r = d.post("/add", submission(payment("f%d" % i, description=big), k, ORIGIN))
        statuses.append(r.status)
        if r.status == 503:
            break
    assert 503 in statuses, statuses[-5:]
    size = d.checkpoint()[1]
    assert size == statuses.count(200) + d.base
    # Reads keep working.
    assert len(ptlib.fetch_entries(d, size)) == size
    assert d.get("/proof/inclusion?index=0&size=%d" % size).status == 200
    d.stop()
    with open(cfg, "w") as f:
        f.write("map_size_mb = 64\nrate_limit = 0\n")
    d.start()
    r = d.post("/add", submission(payment("after", description=big), k, ORIGIN))
    assert r.status == 200, r.body
    assert d.checkpoint()[1] == size + 1
    assert d.stop() == 0


def test_disk_full_on_tmpfs_then_resume():
    """A real full file system (small tmpfs): 503 to writers, reads keep
    working, appends resume once there is room."""
    mnt = ptlib.tmpdir("pt-tmpfs-")
    subprocess.check_call(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt])
    try:
        k = office()
        d = Daemon(data=os.path.join(mnt, "data"), submitters=[(k, [])])
        cfg = os.path.join(ptlib.tmpdir(), "t.conf")
        with open(cfg, "w") as f:
            f.write("map_size_mb = 64\nrate_limit = 0\n")
        d.extra = ["--config", cfg]
        d.start()
        statuses = []
        big = "y" * 3000
        for i in range(2000):
            r = d.post("/add", submission(payment("d%d" % i, description=big), k, ORIGIN))
            statuses.append(r.status)
            if r.status != 200:
                break
        assert statuses[-1] == 503, (statuses[-1], r.body, d.logtext()[-2000:])
        size = d.checkpoint()[1]
        assert size == statuses.count(200) + d.base
        assert len(ptlib.fetch_entries(d, size)) == size
        assert d.get("/proof/consistency?old=1&new=%d" % size).status == 200
        # Make room: grow the file system.
        subprocess.check_call(["mount", "-o", "remount,size=16m", mnt])
        r = d.post("/add", submission(payment("room", description=big), k, ORIGIN))
        assert r.status == 200, (r.status, r.body, d.logtext()[-2000:])
        entries = ptlib.fetch_entries(d, size + 1)
        assert ptlib.mth([ptlib.leaf_hash(e) for e in entries]) == d.checkpoint()[2]
        assert d.stop() == 0
    finally:
        subprocess.call(["umount", "-l", mnt])


def test_check_full_detects_bit_flip():
    k = office()
    d = Daemon(submitters=[(k, [])])
    d.start()
    marker = "MARKER-%d" % random.randint(0, 1 << 30)
    for i in range(20):
        desc = marker if i == 11 else "ordinary"
        assert d.post("/add", submission(payment("e%d" % i, description=desc), k, ORIGIN)).status == 200
    d.stop()
    out = subprocess.run([ptlib.PUBTRAILD, "--data", d.data, "--check-full"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    path = os.path.join(d.data, "data.mdb")
    with open(path, "r+b") as f:
        b = f.read()
        # LMDB is copy-on-write: stale copies of the page may exist too;
        # flip every copy so the live one is certainly hit.
        off = b.find(marker.encode())
        assert off > 0
        while off >= 0:
            f.seek(off)
            f.write(bytes([b[off] ^ 1]))
            off = b.find(marker.encode(), off + 1)
    out = subprocess.run([ptlib.PUBTRAILD, "--data", d.data, "--check-full"],
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "index %d" % (d.base + 11) in out.stdout, out.stdout
    # Start-up names it too and refuses to run (and so to sign over it).
    d.start(wait=False)
    assert d.proc.wait(timeout=20) != 0
    assert "entry %d" % (d.base + 11) in d.logtext(), d.logtext()


def test_check_full_detects_hash_flip():
    k = office()
    d = Daemon(submitters=[(k, [])])
    d.start()
    for i in range(20):
        assert d.post("/add", submission(payment("h%d" % i), k, ORIGIN)).status == 200
    entries = ptlib.fetch_entries(d, 20)
    d.stop()
    # The stored subtree hash (4, 0) over leaves 0 .. 15 (the store keeps
    # levels 0 and 4 and above; level 1 is hashed up from level 0 when read).
    target = ptlib.mth([ptlib.leaf_hash(e) for e in entries[0:16]])
    path = os.path.join(d.data, "data.mdb")
    with open(path, "r+b") as f:
        b = f.read()
        off = b.find(target)
        assert off > 0
        while off >= 0:
            f.seek(off + 5)
            f.write(bytes([b[off + 5] ^ 0x10]))
            off = b.find(target, off + 1)
    out = subprocess.run([ptlib.PUBTRAILD, "--data", d.data, "--check-full"],
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAILED" in out.stdout, out.stdout


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_first_start_creates_log,
        test_concurrent_appends_verify_independently,
        test_error_cases_leave_tree_unchanged,
        test_corrections_checked_against_the_log,
        test_sighup_keeps_grants_and_config_check,
        test_rate_limit_per_submitter,
        test_sigterm_commits_and_exits_zero,
        test_second_daemon_refused,
        test_rollback_refused,
        test_crash_kill9_under_load,
        test_map_full_then_resume,
        test_disk_full_on_tmpfs_then_resume,
        test_check_full_detects_bit_flip,
        test_check_full_detects_hash_flip,
    ]))
