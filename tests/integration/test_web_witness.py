"""The citizen page under a witness policy: a log with two real witnesses
(`pubtrail witness serve`) and a 2-of-2 quorum (witness_wait_quorum = 1).
The page reads the policy from the log's /config.json, accepts checkpoints
cosigned by both, and shows the witnesses step failed when a relay removes
one cosignature or damages one."""
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Key, payment, submission, tmpdir  # noqa: E402
import weblib  # noqa: E402
from weblib import Browser, Checks, Relay, failed_steps, step, web_daemon  # noqa: E402
from witlib import EM, Witness  # noqa: E402

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
        for fn in (check_quorum_met, check_missing_cosignature, check_bad_cosignature):
            checks.run(fn, fx, br)
    finally:
        br.kill()
        fx.stop()
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
