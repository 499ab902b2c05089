"""Client side of witnessing: `--policy FILE` makes verify, get, audit and
submit accept a checkpoint only when the policy's witness quorum cosigned
it (issue 5).  A log with two witnesses and a 2-of-2 quorum; receipts and
checkpoints verify under that policy, and fail under a policy whose quorum
they do not meet, or with a cosignature removed; `pubtrail mirror --policy`
publishes only a checkpoint the quorum cosigned."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import run_tests, tmpdir  # noqa: E402
import test_witness_log as twl  # noqa: E402
from witlib import Witness  # noqa: E402


def pt(*args):
    return subprocess.run([ptlib.PUBTRAIL] + list(args), capture_output=True, text=True,
                          timeout=60)


def write_policy(path, logvkey, ws, quorum_all=True, extra=None):
    with open(path, "w") as f:
        f.write("log %s\n" % logvkey)
        for w in ws:
            f.write("witness %s %s http://127.0.0.1:%d\n" % (w.name, w.vkey, w.port))
        names = " ".join(w.name for w in ws)
        if extra is not None:
            f.write("witness %s %s\n" % (extra.name, extra.vkey))
            names += " " + extra.name
        f.write("group g %s %s\nquorum g\n" % ("all" if quorum_all else "any", names))


def test_policy_quorum_for_receipts_and_checkpoints():
    k, d, w1, w2 = twl.setup(wait=1)
    w3 = None
    try:
        base = tmpdir()
        keyf = os.path.join(base, "office.key")
        with open(keyf, "w") as f:
            f.write(k.skey + "\n")
        os.chmod(keyf, 0o600)
        rec = os.path.join(base, "rec.json")
        with open(rec, "w") as f:
            f.write('{"type":"payment","id":"POL-1","date":"2026-02-01",'
                    '"amount_minor":100,"currency":"EUR",'
                    '"payer":{"kind":"organization","scheme":"XI-T","id":"F","name":"F"},'
                    '"payee":{"kind":"organization","scheme":"XI-T","id":"P","name":"P"},'
                    '"description":"policy test"}\n')
        url = "http://127.0.0.1:%d" % d.port
        # Served once the witnesses cosigned the start-up checkpoint.
        assert twl.wait_for(lambda: d.get("/checkpoint").status == 200)
        vkey = d.vkey()
        good = os.path.join(base, "good.policy")
        write_policy(good, vkey, [w1, w2])
        r = pt("submit", "--log", url, "--log-key", vkey, "--key", keyf,
               "--receipts", os.path.join(base, "rc"), "--policy", good, rec)
        assert r.returncode == 0, r.stderr
        receipt = os.path.join(base, "rc", "POL-1.receipt")
        r = pt("verify", "--log-key", vkey, "--policy", good, receipt)
        assert r.returncode == 0, r.stdout + r.stderr
        r = pt("get", "checkpoint", "--log", url, "--log-key", vkey, "--policy", good)
        assert r.returncode == 0, r.stdout + r.stderr
        r = pt("audit", "--log", url, "--log-key", vkey, "--policy", good)
        assert r.returncode == 0, r.stdout + r.stderr
        # A policy that also needs a witness that never cosigned: exit 1.
        w3 = Witness([vkey], name="w3.test").start()
        strict = os.path.join(base, "strict.policy")
        write_policy(strict, vkey, [w1, w2], extra=w3)
        r = pt("verify", "--log-key", vkey, "--policy", strict, receipt)
        assert r.returncode == 1 and "witness policy" in (r.stdout + r.stderr), r.stdout + r.stderr
        r = pt("get", "checkpoint", "--log", url, "--log-key", vkey, "--policy", strict)
        assert r.returncode == 1, r.stdout + r.stderr
        # A mirror publishes only a checkpoint the quorum cosigned: with
        # the good policy the tree and the cosigned checkpoint, with the
        # strict one nothing (exit 1).
        mg, ms = os.path.join(base, "mirror-good"), os.path.join(base, "mirror-strict")
        r = pt("mirror", "--log", url, "--log-key", vkey, "--policy", good,
               "--out", mg, "--no-web")
        assert r.returncode == 0, r.stdout + r.stderr
        with open(os.path.join(mg, "checkpoint")) as f:
            assert f.read().count("\n\u2014 ") >= 3      # the log and two witnesses
        r = pt("mirror", "--log", url, "--log-key", vkey, "--policy", strict,
               "--out", ms, "--no-web")
        assert r.returncode == 1, r.stdout + r.stderr
        assert not os.path.exists(os.path.join(ms, "checkpoint"))
        # Without --policy the log key alone suffices.
        assert pt("verify", "--log-key", vkey, receipt).returncode == 0
        # A malformed policy is a usage error.
        bad = os.path.join(base, "bad.policy")
        with open(bad, "w") as f:
            f.write("quorum nobody\n")
        r = pt("verify", "--log-key", vkey, "--policy", bad, receipt)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert d.stop() == 0
    finally:
        d.stop()
        w1.stop()
        w2.stop()
        if w3 is not None:
            w3.stop()


def test_client_remembers_each_log():
    """The client keeps the latest checkpoint it verified per log and
    accepts a new one only with a consistency proof from it: a log that
    shows it a different history (same key, forked data) is caught."""
    k = ptlib.Key("office.test")
    d = ptlib.Daemon(origin="memory.test/log", submitters=[(k, [])])
    d.start()
    d.stop()
    fork = os.path.join(tmpdir(), "fork")
    subprocess.check_call(["cp", "-a", d.data, fork])
    env = dict(os.environ, PUBTRAIL_STATE=tmpdir())

    def get_ck(port):
        return subprocess.run([ptlib.PUBTRAIL, "get", "checkpoint", "--log",
                               "http://127.0.0.1:%d" % port, "--log-key", d.vkey()],
                              capture_output=True, text=True, env=env, timeout=60)

    d.start()
    for i in range(3):
        assert d.post("/add", ptlib.submission(ptlib.payment("a%d" % i), k,
                                               "memory.test/log")).status == 200
    assert get_ck(d.port).returncode == 0
    for i in range(3, 5):
        d.post("/add", ptlib.submission(ptlib.payment("a%d" % i), k, "memory.test/log"))
    assert get_ck(d.port).returncode == 0        # grew consistently: fine
    d.stop()
    f = ptlib.Daemon(data=fork, origin="memory.test/log", submitters=[(k, [])])
    f.start()
    for i in range(7):
        f.post("/add", ptlib.submission(ptlib.payment("b%d" % i), k, "memory.test/log"))
    r = get_ck(f.port)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "rewrote its history" in r.stderr or "forked" in r.stderr, r.stderr
    # A client without that memory accepts the forked log: that is what
    # witnesses and gossip are for.
    r = subprocess.run([ptlib.PUBTRAIL, "get", "checkpoint", "--log",
                        "http://127.0.0.1:%d" % f.port, "--log-key", d.vkey()],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PUBTRAIL_STATE=tmpdir()))
    assert r.returncode == 0, r.stderr
    assert f.stop() == 0


if __name__ == "__main__":
    sys.exit(run_tests([test_policy_quorum_for_receipts_and_checkpoints,
                        test_client_remembers_each_log]))
