"""C2SP fixes (issue 13): post-quantum signature lines and ML-DSA-44
witnesses, end to end with the real daemon, real witnesses and the client.

C2SP signed-note: a verifier MUST ignore signatures from unknown keys and
MUST accept at least 16 signatures, "post-quantum signatures can be up to
nearly 5kB".  Each test puts sixteen ML-DSA-44-sized lines (3,268 bytes:
random bytes under a well-formed name and key ID; unknown signers are
ignored, so nobody needs to verify them) where another signer could:

- in the answers of a witness to the log (a proxy in front of a real
  witness adds them around its Ed25519 line): the log keeps the valid
  cosignature and its quorum is met;
- in the checkpoint the log serves (a proxy in front of the daemon adds
  them to /checkpoint): get, audit and monitor under --policy accept it;
- in the tlog-proof of a receipt: verify --policy accepts it.

An ML-DSA-44 witness (key type 0x06) in the log's and the client's
policies: the policy loads, the log does not ask it, verify says it cannot
be verified here and does not count it; a quorum the Ed25519 witnesses meet
alone passes, one that needs it fails.

A witness whose clock is an hour ahead (the clock shim) dates its
cosignatures in the future: the log does not count them (the clients' rule,
pol_cosigs), so with witness_wait_quorum it hands out no receipt until the
quorum is met without it, and every receipt it hands out passes
verify --policy; a checkpoint carrying that cosignature instead fails it."""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import (Daemon, Key, packb, parse_tlog_proof, payment,  # noqa: E402
                   run_tests, submission, tmpdir, unpackb)
from witlib import (EM, Proxy, Witness, check_cosigned, mldsa_vkey,  # noqa: E402
                    pq_line)

ORIGIN = "pq.test/log"


def pt(*args, env=None):
    return subprocess.run([ptlib.PUBTRAIL] + list(args), capture_output=True,
                          text=True, timeout=120, env=env)


def wait_for(pred, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def log_key_of_new_daemon(k):
    """A log's data directory and key: start once (creates the key), stop."""
    d = Daemon(origin=ORIGIN, submitters=[(k, [])])
    d.start()
    vkey = d.vkey()
    d.stop()
    return d, vkey


def start_with_policy(d, policy_text, wait=1):
    base = tmpdir()
    pol = os.path.join(base, "log.policy")
    with open(pol, "w") as f:
        f.write(policy_text)
    cfg = os.path.join(base, "pubtraild.conf")
    with open(cfg, "w") as f:
        f.write("[pubtraild]\nwitness_policy = %s\nwitness_interval_ms = 100\n"
                "witness_timeout_ms = 3000\nwitness_wait_quorum = %d\n" %
                (pol, wait))
    d.extra = ["--config", cfg]
    d.start()
    return d


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def sixteen(names):
    """Sixteen post-quantum-sized lines; names[i] gives (name, key ID or
    None) for the first ones, the rest are random signers."""
    out = []
    for i in range(16):
        if i < len(names):
            out.append(pq_line(*names[i]))
        else:
            out.append(pq_line("pq%d.example/w" % i))
    assert all(len(x.encode()) >= 3250 for x in out)
    return out


def with_lines(note, lines):
    """The signed note with the lines added after its own signatures."""
    assert note.endswith("\n")
    return note + "".join(lines)


def receipt_with_note(receipt, fn):
    """A receipt whose tlog-proof's note is fn(note); canonical msgpack."""
    r = unpackb(receipt)
    head, sep, note = r["proof"].partition("\n\n")
    r["proof"] = head + sep + fn(note)
    return packb(r)


def test_pq_lines_and_mldsa_witness():
    k = Key("office.test")
    d, vkey = log_key_of_new_daemon(k)
    name, pub = ptlib.parse_vkey(vkey)
    w1 = Witness([vkey], name="w1.test").start()
    w2 = Witness([vkey], name="w2.test").start()
    pqkey, pqid = mldsa_vkey("pq.example/witness")
    # w1 answers through a proxy that puts 16 post-quantum-sized lines
    # around its Ed25519 line: 8 before, 8 after; one of them under w1's
    # own name with another key ID (as a witness with an ML-DSA-44 key
    # beside its Ed25519 one would answer).
    answers = []

    def pad_answer(method, path, status, body):
        if method == "POST" and status == 200:
            lines = sixteen([("w1.test", None)])
            body = ("".join(lines[:8]) + body.decode() +
                    "".join(lines[8:])).encode()
            answers.append(len(body))
        return body

    p1 = Proxy(w1.port, pad_answer).start()
    logpol = ("log %s\nwitness w1 %s http://127.0.0.1:%d\n"
              "witness w2 %s http://127.0.0.1:%d\n"
              "witness pq %s http://127.0.0.1:9\n"
              "group ed all w1 w2\nquorum ed\n" %
              (vkey, w1.vkey, p1.port, w2.vkey, w2.port, pqkey))
    lp = None
    try:
        start_with_policy(d, logpol)
        # The log does not ask the ML-DSA-44 witness, and says why.
        assert wait_for(lambda: "witness pq: ML-DSA-44 cosignature, cannot "
                        "be verified here" in d.logtext()), d.logtext()[-2000:]
        # A receipt: the quorum (w1 and w2) was met although every answer
        # of w1 held 16 lines of 3,268 bytes by other signers.
        r = d.post("/add", submission(payment("PQ-1"), k, ORIGIN), timeout=60)
        assert r.status == 200, (r.status, r.body, d.logtext()[-2000:])
        assert answers and min(answers) > 16 * 3260, answers
        rec = ptlib.verify_receipt(r.body, name, pub, ORIGIN)[0]
        note = parse_tlog_proof(rec["proof"])[2]
        check_cosigned(note, [w1, w2], name, pub)
        assert EM + "pq.example/witness " not in note
        assert "pubtrail_witness_quorum 1" in d.get("/metrics").body.decode()

        base = tmpdir()
        good = write(os.path.join(base, "ed.policy"), logpol.replace(
            "http://127.0.0.1:9", "https://pq.example/"))
        needs_pq = write(os.path.join(base, "pq.policy"), logpol.replace(
            "group ed all w1 w2", "group ed all w1 pq"))
        receipt = os.path.join(base, "PQ-1.receipt")
        with open(receipt, "wb") as f:
            f.write(r.body)
        # verify --policy: valid; the ML-DSA-44 witness is named as not
        # verifiable here and not counted.
        v = pt("verify", "--log-key", vkey, "--policy", good, receipt)
        assert v.returncode == 0, v.stdout + v.stderr
        assert "witness w1: cosigned at " in v.stdout, v.stdout
        assert "witness w2: cosigned at " in v.stdout, v.stdout
        assert "witness pq: ML-DSA-44 cosignature, cannot be verified here " \
            "(OpenSSL 3." in v.stdout and "not counted" in v.stdout, v.stdout
        # A tlog-proof whose note carries 16 post-quantum-sized lines
        # (one by the ML-DSA-44 witness's name and key ID, one under the
        # log's name with another key ID): still valid.
        padded = os.path.join(base, "padded.receipt")
        lines = sixteen([("pq.example/witness", pqid), (ORIGIN, None)])
        with open(padded, "wb") as f:
            f.write(receipt_with_note(r.body, lambda n: with_lines(n, lines)))
        assert os.path.getsize(padded) > os.path.getsize(receipt) + 16 * 3260
        v = pt("verify", "--log-key", vkey, "--policy", good, padded)
        assert v.returncode == 0, v.stdout + v.stderr
        assert "witness pq: ML-DSA-44 cosignature, cosigned, but cannot be " \
            "verified here" in v.stdout, v.stdout
        v = pt("verify", "--log-key", vkey, "--policy", good, "--json", padded)
        assert v.returncode == 0, v.stdout + v.stderr
        j = json.loads(v.stdout)
        st = {w["name"]: w["status"] for w in j["witnesses"]}
        assert st == {"w1": "counted", "w2": "counted", "pq": "unverifiable"}, j
        # Without a policy too (the log key alone).
        assert pt("verify", "--log-key", vkey, padded).returncode == 0
        # A quorum that needs the ML-DSA-44 witness: not met here.
        v = pt("verify", "--log-key", vkey, "--policy", needs_pq, padded)
        assert v.returncode == 1, v.stdout + v.stderr
        assert "pq: ML-DSA-44 cosignature cannot be verified here" in v.stderr, \
            v.stderr
        # A damaged w1 cosignature is still refused (a known key's line).
        def damage(n):
            out = []
            for line in n.splitlines(True):
                if line.startswith(EM + "w1.test "):
                    b = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
                    line = b
                out.append(line)
            return "".join(out)
        bad = os.path.join(base, "bad.receipt")
        with open(bad, "wb") as f:
            f.write(receipt_with_note(r.body, lambda n: damage(with_lines(n, lines))))
        v = pt("verify", "--log-key", vkey, "--policy", good, bad)
        assert v.returncode == 1, v.stdout + v.stderr

        # The checkpoint the log serves, with 16 post-quantum-sized lines
        # added by a proxy: get, audit and monitor accept it.
        def pad_checkpoint(method, path, status, body):
            if path == "/checkpoint" and status == 200:
                body = with_lines(body.decode(), sixteen(
                    [("pq.example/witness", pqid), (ORIGIN, None)])).encode()
            return body

        lp = Proxy(d.port, pad_checkpoint).start()
        url = "http://127.0.0.1:%d" % lp.port
        served = ptlib.request(lp.port, "GET", "/checkpoint").body
        assert len(served) > 16 * 3260 and served.count(EM.encode()) >= 19
        env = dict(os.environ, PUBTRAIL_STATE=tmpdir())
        g = pt("get", "checkpoint", "--log", url, "--log-key", vkey,
               "--policy", good, env=env)
        assert g.returncode == 0, g.stdout + g.stderr
        a = pt("audit", "--log", url, "--log-key", vkey, "--policy", good,
               "--state", os.path.join(base, "audit"), env=env)
        assert a.returncode == 0, a.stdout + a.stderr
        m = pt("monitor", "--log", url, "--log-key", vkey, "--once",
               "--from-start", "--policy", good, env=env)
        assert m.returncode == 0, m.stdout + m.stderr
        assert "PQ-1" in m.stdout, m.stdout
        g = pt("get", "checkpoint", "--log", url, "--log-key", vkey,
               "--policy", needs_pq, env=env)
        assert g.returncode == 1, g.stdout + g.stderr
        assert d.stop() == 0
    finally:
        if lp is not None:
            lp.stop()
        p1.stop()
        d.stop()
        w1.stop()
        w2.stop()


def test_future_dated_witness():
    k = Key("office.test")
    d, vkey = log_key_of_new_daemon(k)
    name, pub = ptlib.parse_vkey(vkey)
    w1 = Witness([vkey], name="w1.test").start()
    # w2: its key first (created on start), then down until later.
    w2 = Witness([vkey], name="w2.test").start()
    w2.stop()
    # wf: a witness whose clock is an hour ahead.
    # (Under ASan the shim is preloaded before the ASan runtime.)
    opts = os.environ.get("ASAN_OPTIONS", "")
    wf = Witness([vkey], name="wf.test", env={
        "LD_PRELOAD": ptlib.shlib("clock_shim"),
        "PT_CLOCK_BACK_MS": str(-3600 * 1000),
        "ASAN_OPTIONS": (opts + ":" if opts else "") +
        "verify_asan_link_order=0"}).start()
    logpol = ("log %s\nwitness w1 %s http://127.0.0.1:%d\n"
              "witness wf %s http://127.0.0.1:%d\n"
              "witness w2 %s http://127.0.0.1:%d\n"
              "group two 2 w1 wf w2\nquorum two\n" %
              (vkey, w1.vkey, w1.port, wf.vkey, wf.port, w2.vkey, w2.port))
    res = {}
    try:
        start_with_policy(d, logpol)

        def add():
            res["r"] = d.post("/add", submission(payment("FUT-1"), k, ORIGIN),
                              timeout=60)

        t = threading.Thread(target=add)
        t.start()
        # w1 and wf answered; wf's cosignature is dated an hour ahead, so
        # it does not count: no quorum, no receipt.
        assert wait_for(lambda: "witness wf: cosignature dated" in d.logtext()), \
            d.logtext()[-2000:]
        assert wait_for(lambda: 'pubtrail_witness_up{witness="wf"} 1' in
                        d.get("/metrics").body.decode())
        assert "pubtrail_witness_quorum 0" in d.get("/metrics").body.decode()
        assert "r" not in res
        # w2 comes back: w1 and w2 meet the quorum; the receipt carries
        # their cosignatures and not wf's.
        w2 = Witness([vkey], state=w2.state, keyfile=w2.keyfile,
                     name="w2.test", port=w2.port).start()
        t.join(60)
        assert res["r"].status == 200, (res["r"].status, d.logtext()[-2000:])
        rec = ptlib.verify_receipt(res["r"].body, name, pub, ORIGIN)[0]
        note = parse_tlog_proof(rec["proof"])[2]
        check_cosigned(note, [w1, w2], name, pub)
        assert EM + "wf.test " not in note
        base = tmpdir()
        pol = write(os.path.join(base, "p.policy"), logpol)
        receipt = os.path.join(base, "FUT-1.receipt")
        with open(receipt, "wb") as f:
            f.write(res["r"].body)
        v = pt("verify", "--log-key", vkey, "--policy", pol, receipt)
        assert v.returncode == 0, v.stdout + v.stderr
        assert "witness wf: no cosignature" in v.stdout, v.stdout
        # The same checkpoint with w1's and wf's lines (wf's fetched from
        # it now, dated an hour ahead) instead: the client refuses it, by
        # the same rule.
        _, size, _, text = ptlib.open_checkpoint(note, name, pub)
        logline = [x + "\n" for x in note.split("\n\n", 1)[1].splitlines()
                   if x.startswith(EM + name + " ")][0]
        w1line = [x + "\n" for x in note.split("\n\n", 1)[1].splitlines()
                  if x.startswith(EM + "w1.test ")][0]
        a = wf.add(size, [], text + "\n" + logline)
        assert a.status == 200, (a.status, a.body)
        future = receipt_with_note(res["r"].body, lambda n: text + "\n" +
                                   logline + w1line + a.body.decode())
        fpath = os.path.join(base, "future.receipt")
        with open(fpath, "wb") as f:
            f.write(future)
        v = pt("verify", "--log-key", vkey, "--policy", pol, fpath)
        assert v.returncode == 1, v.stdout + v.stderr
        assert "dated in the future" in v.stderr, v.stderr
        assert d.stop() == 0
    finally:
        d.stop()
        w1.stop()
        w2.stop()
        wf.stop()


def test_gossip_pq_lines():
    """Gossip: checkpoints carrying 16 post-quantum-sized lines (imported,
    posted by a peer) are accepted; gossip keeps them as the log signed
    them (its text and its line), so 64 logs always fit a gossip body."""
    import test_witness_gossip as twg
    from witlib import run_tool
    k = Key("office.test")
    d = Daemon(origin=ORIGIN, submitters=[(k, [])]).start()
    srv = None
    try:
        assert d.post("/add", submission(payment("G-1"), k, ORIGIN)).status == 200
        vkey = d.vkey()
        name = ptlib.parse_vkey(vkey)[0]
        st = tmpdir("pt-gpq-")
        padded = with_lines(d.get("/checkpoint").body.decode(), sixteen(
            [(ORIGIN, None)])).encode()
        assert len(padded) > 16 * 3250
        f = os.path.join(st, "ck")
        with open(f, "wb") as fh:
            fh.write(padded)
        srv = twg.GossipServer(os.path.join(st, "g1"), twg.url(d), vkey)
        rc, out, err = run_tool("gossip", "sync", "--peer", srv.url, "--state",
                                os.path.join(st, "g2"), "--checkpoint", f,
                                "--log-key", vkey)
        assert rc == 0, (rc, out, err)
        r = ptlib.request(srv.port, "POST", "/gossip/v1/checkpoints",
                          body=b"note %d\n" % len(padded) + padded)
        assert r.status == 200, (r.status, r.body)
        assert not twg.evidence_files(os.path.join(st, "g1"))
        g = ptlib.request(srv.port, "GET", "/gossip/v1/checkpoints")
        assert g.status == 200
        assert g.body.count(EM.encode()) == 1, g.body
        assert EM.encode() + name.encode() + b" " in g.body
        for root, _, files in os.walk(st):
            for fn in files:
                if fn == "checkpoint":
                    with open(os.path.join(root, fn), "rb") as fh:
                        assert fh.read().count(EM.encode()) == 1
        assert srv.kill() == 0
        srv = None
    finally:
        if srv is not None:
            srv.kill()
        d.stop()


if __name__ == "__main__":
    sys.exit(run_tests([test_pq_lines_and_mldsa_witness,
                        test_future_dated_witness, test_gossip_pq_lines]))
