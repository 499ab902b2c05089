"""Split view end to end: two pubtraild started from copies of one data
directory (same key) and given different new entries.  A witness cosigns
one branch and refuses the other with evidence; two clients that each
follow one branch detect the fork when they gossip (sync exits 1, both
sides write evidence); the evidence verifies offline with `evidence
verify`, a tampered copy does not; honest peers gossip with exit 0."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, payment, run_tests, submission, tmpdir  # noqa: E402
from witlib import TOOL, Witness, run_tool, witreq_body  # noqa: E402

ORIGIN = "gossip.test/log"


def submit(d, k, ids):
    for i in ids:
        r = d.post("/add", submission(payment(i), k, ORIGIN))
        assert r.status == 200, (r.status, r.body)


def url(d):
    return "http://127.0.0.1:%d" % d.port


class GossipServer:
    def __init__(self, state, log, vkey):
        self.port = ptlib.free_port()
        self.err = open(state + ".serve.log", "ab")
        self.proc = subprocess.Popen(
            [TOOL, "gossip", "serve", "--listen", "127.0.0.1:%d" % self.port,
             "--state", state, "--log", log, "--log-key", vkey],
            stdout=subprocess.DEVNULL, stderr=self.err)
        ptlib._live.append(self)
        end = time.time() + 20
        while time.time() < end:
            try:
                if ptlib.request(self.port, "GET", "/gossip/v1/checkpoints",
                                 timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gossip serve did not start")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def kill(self):
        rc = None
        if self.proc is not None:
            self.proc.terminate()
            rc = self.proc.wait(timeout=20)
            self.err.close()
            self.proc = None
        if self in ptlib._live:
            ptlib._live.remove(self)
        return rc


def evidence_files(state):
    d = os.path.join(state, "evidence")
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.endswith(".evidence")) if os.path.isdir(d) else []


def fork_setup():
    k = Key("office.test")
    base = tmpdir("pt-split-")
    d0 = Daemon(data=os.path.join(base, "d0"), origin=ORIGIN, submitters=[(k, [])]).start()
    submit(d0, k, ["P-1", "P-2", "P-3"])
    assert d0.stop() == 0
    shutil.copytree(d0.data, os.path.join(base, "A"))
    shutil.copytree(d0.data, os.path.join(base, "B"))
    dA = Daemon(data=os.path.join(base, "A"), origin=ORIGIN, submitters=[(k, [])]).start()
    dB = Daemon(data=os.path.join(base, "B"), origin=ORIGIN, submitters=[(k, [])]).start()
    assert dA.vkey() == dB.vkey()
    submit(dA, k, ["A-1", "A-2"])
    submit(dB, k, ["B-1", "B-2"])
    return k, base, dA, dB


def test_split_view():
    k, base, dA, dB = fork_setup()
    vkey = dA.vkey()
    try:
        _, sA, rA, _, noteA = dA.checkpoint()
        _, sB, rB, _, noteB = dB.checkpoint()
        S = dA.base + 5     # the bootstrap's grant, then 3 + 2 entries
        assert sA == sB == S and rA != rB
        # A witness cosigns branch A and refuses branch B with evidence.
        w = Witness([vkey]).start()
        r = w.add(0, [], noteA.decode())
        assert r.status == 200, (r.status, r.body)
        r = w.add(0, [], noteB.decode())
        assert r.status == 409 and r.body == b"%d\n" % S
        ev = w.evidence()
        assert len(ev) == 1
        rc, out, err = run_tool("evidence", "verify", "--log-key", vkey, ev[0])
        assert rc == 0, (out, err)
        w.stop()

        # Client A (follows branch A) serves gossip; client C also follows
        # A: honest peers, exit 0.
        gA = os.path.join(base, "gA")
        srv = GossipServer(gA, url(dA), vkey)
        gC = os.path.join(base, "gC")
        rc, out, err = run_tool("gossip", "sync", "--peer", srv.url, "--state", gC,
                                "--log", url(dA), "--log-key", vkey)
        assert rc == 0, (rc, out, err)
        assert not evidence_files(gC)
        # Client B (follows branch B) syncs with A: fork detected.
        gB = os.path.join(base, "gB")
        rc, out, err = run_tool("gossip", "sync", "--peer", srv.url, "--state", gB,
                                "--log", url(dB), "--log-key", vkey)
        assert rc == 1, (rc, out, err)
        assert "SPLIT VIEW" in err, err
        evB = evidence_files(gB)
        assert len(evB) == 1, evB
        # The server side recorded it too.
        evA = evidence_files(gA)
        assert len(evA) == 1, evA
        for f in evB + evA:
            rc, out, err = run_tool("evidence", "verify", "--log-key", vkey, f)
            assert rc == 0 and "PROVEN" in out, (f, rc, out, err)
        # Anyone can check it: not under another key, not tampered.
        rc, _, _ = run_tool("evidence", "verify", "--log-key", Key(ORIGIN).vkey, evB[0])
        assert rc == 1
        data = open(evB[0], "rb").read()
        for i, (a, b) in enumerate(((b"kind same-size", b"kind inconsistent"),
                                    (rB_b64(rB), rB_b64(rA)),
                                    (b"\n%d\n" % S, b"\n%d\n" % (S + 1)))):
            t = data.replace(a, b, 1)
            assert t != data, i
            p = os.path.join(base, "tampered-%d.evidence" % i)
            open(p, "wb").write(t)
            rc, _, err = run_tool("evidence", "verify", "--log-key", vkey, p)
            assert rc == 1, (i, err)
        # Clients that audited one branch each (pubtrail audit --state)
        # import what they verified and gossip: the fork is found.
        aA, aB = os.path.join(base, "auditA"), os.path.join(base, "auditB")
        for d, st in ((dA, aA), (dB, aB)):
            # Two different clients: each has its own memory of the log.
            p = subprocess.run([ptlib.PUBTRAIL, "audit", "--log", url(d), "--log-key",
                                vkey, "--state", st], capture_output=True,
                               env=dict(os.environ, PUBTRAIL_STATE=st + ".mem"))
            assert p.returncode == 0, p.stderr
        gA2, gB2 = os.path.join(base, "gA2"), os.path.join(base, "gB2")
        srv2 = GossipServer(gA2, url(dA), vkey)
        rc, out, err = run_tool("gossip", "sync", "--peer", srv2.url, "--state", gB2,
                                "--checkpoint", os.path.join(aB, "checkpoint"),
                                "--log-key", vkey)
        assert rc == 1 and "SPLIT VIEW" in err, (rc, out, err)
        ev2 = evidence_files(gB2)
        assert len(ev2) == 1
        rc, out, err = run_tool("evidence", "verify", "--log-key", vkey, ev2[0])
        assert rc == 0, (out, err)
        assert srv2.kill() == 0
        # Sync again, now B is ahead by one entry: sizes differ and the
        # log's proof fails between the two signed checkpoints.  The client
        # then finds an index where the two trees hold different entries
        # (its own log, and the peer relaying its log) and writes evidence
        # that proves the split view offline whatever the sizes.
        submit(dB, k, ["B-3"])
        rc, out, err = run_tool("gossip", "sync", "--peer", srv.url, "--state", gB)
        assert rc == 1, (rc, out, err)
        new = [f for f in evidence_files(gB) if f not in evB]
        assert len(new) == 1, (new, err)
        data = open(new[0], "rb").read()
        assert b"kind inclusion" in data, data[:300]
        rc, out, err = run_tool("evidence", "verify", "--log-key", vkey, new[0])
        assert rc == 0 and "different entries at index" in out, (out, err)
        # Tampered: a path hash, the index, a leaf.
        lines = data.split(b"\n")
        for i, ln in enumerate(lines[:12]):
            if ln.startswith((b"path ", b"leaf ", b"index ")):
                t = list(lines)
                if ln.startswith(b"index "):
                    t[i] = b"index %d" % (int(ln[6:]) ^ 1)
                else:
                    c = ln[10:11]
                    t[i] = ln[:10] + (b"A" if c != b"A" else b"B") + ln[11:]
                p = os.path.join(base, "tampered-incl-%d.evidence" % i)
                open(p, "wb").write(b"\n".join(t))
                rc, _, err = run_tool("evidence", "verify", "--log-key", vkey, p)
                assert rc == 1, (i, ln, err)
        # The server side, without a relay back, recorded what it saw: not
        # proof on its own, and evidence verify says so.
        newA = [f for f in evidence_files(gA) if f not in evA]
        assert len(newA) == 1, newA
        assert b"kind inconsistent" in open(newA[0], "rb").read()
        rc, _, err = run_tool("evidence", "verify", "--log-key", vkey, newA[0])
        assert rc == 1 and "does not prove" in err, err
        # Client C still agrees with A after A grows (consistent update).
        submit(dA, k, ["A-3", "A-4"])
        rc, out, err = run_tool("gossip", "sync", "--peer", srv.url, "--state", gC)
        assert rc == 0, (rc, out, err)
        assert srv.kill() == 0
    finally:
        dA.stop()
        dB.stop()


def rB_b64(root):
    import base64
    return base64.b64encode(root)


def test_checkpoint_import_and_garbage():
    k = Key("office.test")
    d = Daemon(origin=ORIGIN, submitters=[(k, [])]).start()
    try:
        submit(d, k, ["G-1", "G-2"])
        vkey = d.vkey()
        st = tmpdir("pt-g-")
        f = os.path.join(st, "ck")
        open(f, "wb").write(d.get("/checkpoint").body)
        g1 = os.path.join(st, "g1")
        srv = GossipServer(g1, url(d), vkey)
        g2 = os.path.join(st, "g2")
        rc, out, err = run_tool("gossip", "sync", "--peer", srv.url, "--state", g2,
                                "--checkpoint", f, "--log-key", vkey)
        assert rc == 0, (rc, out, err)
        assert os.path.exists(os.path.join(g2, "logs"))
        # A peer posting garbage gets 400; a note not signed by the log is
        # ignored (it proves nothing).
        r = ptlib.request(srv.port, "POST", "/gossip/v1/checkpoints", body=b"note 99\nxx")
        assert r.status == 400
        fake = Key(ORIGIN)
        from witlib import signed_note
        n = signed_note(fake, 2, b"\x00" * 32).encode()
        r = ptlib.request(srv.port, "POST", "/gossip/v1/checkpoints",
                          body=b"note %d\n" % len(n) + n)
        assert r.status == 200, (r.status, r.body)
        assert not evidence_files(g1)
        assert srv.kill() == 0
        # Usage errors exit 2.
        rc, _, _ = run_tool("gossip", "sync", "--state", g2)
        assert rc == 2
        rc, _, _ = run_tool("evidence", "verify", f)
        assert rc == 2
    finally:
        d.stop()


if __name__ == "__main__":
    sys.exit(run_tests([test_split_view, test_checkpoint_import_and_garbage]))
