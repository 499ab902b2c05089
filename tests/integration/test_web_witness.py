"""The citizen page under a witness policy: a log with two real witnesses
(`pubtrail witness serve`) and a 2-of-2 quorum (witness_wait_quorum = 1).
The page reads the policy from the log's /config.json, accepts checkpoints
cosigned by both, and shows the witnesses step failed when a relay removes
one cosignature or damages one.

Post-quantum sizes (C2SP signed-note, tlog-cosignature; proto/ptlimits.h):
a checkpoint (and a receipt's) carrying 16 ML-DSA-44-sized lines by
unknown signers verifies, the lines ignored; an ML-DSA-44 witness (key type
0x06) in the policy is verified by Chromium's WebCrypto and counted toward
the quorum (its cosignature made by Chromium's ML-DSA-44 over the C2SP
cosigned_message built here), a damaged one fails the step, a missing one
is named while the Ed25519 witnesses meet the quorum."""
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Key, payment, submission, tmpdir  # noqa: E402
import weblib  # noqa: E402
from weblib import Browser, Checks, Relay, failed_steps, step, web_daemon  # noqa: E402
from witlib import EM, Witness, pq_line  # noqa: E402
from ptlib import key_hash  # noqa: E402

ORIGIN = "witnessed.city.example/log"


class Fixture:
    def __init__(self):
        self.k = Key("finance.city.example")
        d = web_daemon(ORIGIN, [(self.k, [])])
        d.start()
        vkey = d.vkey()
        d.stop()
        self.w1 = Witness([vkey], name="w1.test").start()
        self.w2 = Witness([vkey], name="w2.test").start()
        pol = os.path.join(tmpdir(), "policy")
        with open(pol, "w") as f:
            f.write("log %s\nwitness w1 %s http://127.0.0.1:%d\n"
                    "witness w2 %s http://127.0.0.1:%d\n"
                    "group both all w1 w2\nquorum both\n" %
                    (vkey, self.w1.vkey, self.w1.port, self.w2.vkey, self.w2.port))
        self.d = web_daemon(ORIGIN, [(self.k, [])], d=d, extra_conf=(
            "witness_policy = %s\nwitness_interval_ms = 100\nwitness_timeout_ms = 5000\n"
            "witness_wait_quorum = 1\nwitness_receipt_timeout_ms = 120000\n" % pol))
        self.d.start()
        self.receipts = []
        for i in range(3):
            r = self.d.post("/add", submission(payment("WP-%d" % i), self.k, ORIGIN), timeout=150)
            assert r.status == 200, (r.status, r.body, self.d.logtext(),
                                     self.w1.logtext(), self.w2.logtext())
            self.receipts.append(r.body)
        self.index = ptlib.unpackb(self.receipts[1])["index"]
        self.file = os.path.join(tmpdir(), "wp.receipt")
        with open(self.file, "wb") as f:
            f.write(self.receipts[1])

    def stop(self):
        self.d.kill()
        self.w1.kill()
        self.w2.kill()


def url(base, index):
    return base + "#/verify?index=%d" % index


def check_quorum_met(fx, br):
    base = "http://127.0.0.1:%d/" % fx.d.port
    st = br.send(cmd="verify", url=url(base, fx.index), shot="verify-witnessed")
    assert failed_steps(st) == [], st["steps"]
    w = step(st, "witnesses")
    assert w["state"] == "ok" and "both of w1, w2" in w["text"], w
    st = br.send(cmd="receipt", url=base, file=fx.file)
    assert failed_steps(st) == [] and step(st, "witnesses")["state"] == "ok", st["steps"]


def strip_line(note, wname):
    return "".join(l for l in note.splitlines(True) if not l.startswith(EM + wname + " "))


def check_missing_cosignature(fx, br):
    relay = Relay(fx.d.port)
    try:
        def rewrite(path, r):
            if path.split("?")[0] != "/checkpoint":
                return None
            note = r.body.decode()
            assert EM + "w2.test " in note, note
            return r.status, r.headers, strip_line(note, "w2.test").encode()
        relay.rewrite = rewrite
        st = br.send(cmd="verify", url=url(relay.url, fx.index), shot="verify-missing-cosignature")
        assert st["status"] == "failed", st
        assert failed_steps(st) == ["witnesses"], st["steps"]
        w = step(st, "witnesses")
        assert "quorum (both of w1, w2) is not met" in w["text"] and "w2: missing" in w["text"], w
        assert step(st, "checkpoint")["state"] == "ok"
    finally:
        relay.kill()


def check_bad_cosignature(fx, br):
    relay = Relay(fx.d.port)
    try:
        def rewrite(path, r):
            if path.split("?")[0] != "/checkpoint":
                return None
            out = []
            for l in r.body.decode().splitlines(True):
                if l.startswith(EM + "w1.test "):
                    name, b = l[2:-1].split(" ")
                    raw = bytearray(base64.b64decode(b))
                    raw[-1] ^= 1
                    l = EM + name + " " + base64.b64encode(bytes(raw)).decode() + "\n"
                out.append(l)
            return r.status, r.headers, "".join(out).encode()
        relay.rewrite = rewrite
        st = br.send(cmd="verify", url=url(relay.url, fx.index))
        assert failed_steps(st) == ["witnesses"], st["steps"]
        assert "does not verify" in step(st, "witnesses")["text"]
    finally:
        relay.kill()


def sixteen():
    lines = [pq_line("pq%d.example/witness" % i) for i in range(16)]
    assert all(len(x.encode()) >= 3250 for x in lines)
    return "".join(lines)


def check_pq_lines(fx, br):
    """16 ML-DSA-44-sized lines by unknown signers in the checkpoint and in
    the receipt's tlog-proof: ignored, the quorum still met."""
    relay = Relay(fx.d.port)
    pad = sixteen()
    try:
        def rewrite(path, r):
            if path.split("?")[0] != "/checkpoint":
                return None
            return r.status, r.headers, r.body + pad.encode()
        relay.rewrite = rewrite
        st = br.send(cmd="verify", url=url(relay.url, fx.index), shot="verify-pq-lines")
        assert failed_steps(st) == [], st["steps"]
        w = step(st, "witnesses")
        assert w["state"] == "ok" and "both of w1, w2" in w["text"], w
        rec = ptlib.unpackb(fx.receipts[1])
        head, sep, note = rec["proof"].partition("\n\n")
        rec["proof"] = head + sep + note + pad
        f = os.path.join(tmpdir(), "pq.receipt")
        with open(f, "wb") as fh:
            fh.write(ptlib.packb(rec))
        assert len(open(f, "rb").read()) > 50000
        st = br.send(cmd="receipt", url=relay.url, file=f)
        assert failed_steps(st) == [], st["steps"]
        assert step(st, "receipt-checkpoint")["state"] == "ok"
    finally:
        relay.kill()


def cosigned_message(name, ts, origin, size, root):
    """C2SP tlog-cosignature: what an ML-DSA-44 cosigner signs for a
    checkpoint (start 0, end = size)."""
    n, o = name.encode(), origin.encode()
    return (b"subtree/v1\n\x00" + bytes([len(n)]) + n + ts.to_bytes(8, "big") +
            bytes([len(o)]) + o + (0).to_bytes(8, "big") + size.to_bytes(8, "big") + root)


def check_mldsa_witness(fx, br):
    base = "http://127.0.0.1:%d/" % fx.d.port
    note = fx.d.get("/checkpoint").body.decode()
    text = note.split("\n\n")[0] + "\n"
    origin, size, root = text.splitlines()[:3]
    name = "w3.pq.test"
    ts = int(time.time())
    msg = cosigned_message(name, ts, origin, int(size), base64.b64decode(root))
    ans = br.send(cmd="mldsa", url=base + "healthz", msg=base64.b64encode(msg).decode())
    pub, sig = base64.b64decode(ans["pub"]), base64.b64decode(ans["sig"])
    assert len(pub) == 1312 and len(sig) == 2420
    kid = key_hash(name, 6, pub)
    vkey = "%s+%s+%s" % (name, kid.hex(), base64.b64encode(b"\x06" + pub).decode())
    good = EM + name + " " + base64.b64encode(kid + ts.to_bytes(8, "big") + sig).decode() + "\n"
    bad = bytearray(sig)
    bad[100] ^= 1
    damaged = EM + name + " " + base64.b64encode(kid + ts.to_bytes(8, "big") + bytes(bad)).decode() + "\n"
    for quorum, line, want in (("group all3 all w1 w2 w3\nquorum all3\n", good, "ok"),
                               ("group all3 all w1 w2 w3\nquorum all3\n", damaged, "bad"),
                               ("group both all w1 w2\nquorum both\n", "", "missing")):
        relay = Relay(fx.d.port)
        try:
            def rewrite(path, r, quorum=quorum, line=line):
                p = path.split("?")[0]
                if p == "/config.json":
                    c = json.loads(r.body)
                    pol = "".join(l for l in c["policy"].splitlines(True)
                                  if not l.startswith(("group", "quorum")))
                    c["policy"] = pol + "witness w3 %s\n" % vkey + quorum
                    return 200, r.headers, json.dumps(c).encode()
                if p == "/checkpoint" and r.body.decode().startswith(text + "\n"):
                    return r.status, r.headers, r.body + line.encode()
                return None
            relay.rewrite = rewrite
            st = br.send(cmd="verify", url=url(relay.url, fx.index),
                         shot="verify-mldsa-witness" if want == "ok" else None)
            w = step(st, "witnesses")
            if want == "ok":
                assert failed_steps(st) == [], st["steps"]
                assert "all of w1, w2, w3" in w["text"] and "w3: cosigned (ML-DSA-44)" in w["text"], w
            elif want == "bad":
                assert failed_steps(st) == ["witnesses"], st["steps"]
                assert "w3: cosignature does not verify" in w["text"], w
            else:
                assert failed_steps(st) == [] and "w3: missing" in w["text"], w
        finally:
            relay.kill()


def main():
    why = weblib.missing()
    if why:
        print("FAIL: %s missing" % why)
        print("0 passed, 1 failed")
        return 1
    checks = Checks()
    fx = Fixture()
    br = Browser()
    try:
        for fn in (check_quorum_met, check_missing_cosignature, check_bad_cosignature,
                   check_pq_lines, check_mldsa_witness):
            checks.run(fn, fx, br)
    finally:
        br.kill()
        fx.stop()
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
