"""Witness (`pubtrail witness serve`, C2SP tlog-witness, current text):
every status code, cosignatures checked independently, the monitoring
endpoint, signature lines of post-quantum size by unknown signers, evidence
of conflicting requests, concurrent requests, and kill -9 right after an
answer."""
import base64
import hashlib
import os
import random
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Key, mth, request, run_tests  # noqa: E402
from witlib import (Witness, ckpt_text, cons_proof, leaves, run_tool,  # noqa: E402
                    signed_note, verify_cosig_line, witreq_body, EM)

LOG = "log.test/witnessed"


def test_status_codes():
    k = Key(LOG)
    w = Witness([k.vkey]).start()
    L = leaves(20)
    try:
        # 404: origin the witness does not know.
        other = Key("other.test/log")
        r = w.add(0, [], signed_note(other, 5, mth(L[:5])))
        assert r.status == 404, r.status
        # 403: same origin, another key; and no signature line by the log.
        imp = Key(LOG)
        r = w.add(0, [], signed_note(imp, 5, mth(L[:5])))
        assert r.status == 403, r.status
        # 400: malformed bodies, old > size.
        for body in (b"", b"old 1\n", b"old 01\n\n" + signed_note(k, 5, mth(L[:5])).encode(),
                     b"old 0\nAAAA\n\n" + signed_note(k, 5, mth(L[:5])).encode(),
                     b"garbage"):
            r = request(w.port, "POST", "/add-checkpoint", body=body)
            assert r.status == 400, (body, r.status)
        r = w.add(6, [], signed_note(k, 5, mth(L[:5])))
        assert r.status == 400, r.status
        # 405, 404 path.
        assert request(w.port, "GET", "/add-checkpoint").status == 405
        assert request(w.port, "GET", "/nothing").status == 404
        # 413: a body over the limit (PT_WITREQ_MAX_BODY, 151,553 bytes).
        r = request(w.port, "POST", "/add-checkpoint", body=b"old 0\n\n" + b"a" * 160000)
        assert r.status == 413, r.status
        # Nothing cosigned yet: the monitoring endpoint has nothing.
        assert w.monitor(LOG).status == 404
        # 200: first checkpoint, old 0.
        note5 = signed_note(k, 5, mth(L[:5]))
        r = w.add(0, [], note5)
        assert r.status == 200, (r.status, r.body)
        line = r.body.decode()
        assert line.count("\n") == 1
        verify_cosig_line(line, w.wname, w.wpub, ckpt_text(LOG, 5, mth(L[:5])))
        with open(os.path.join(w.state, "witness.vkey")) as f:
            assert f.read().strip() == w.vkey
        # 409 with the stored size when old is wrong.
        r = w.add(0, [], signed_note(k, 8, mth(L[:8])))
        assert r.status == 409 and r.body == b"5\n", (r.status, r.body)
        assert r.header("Content-Type") == "text/x.tlog.size"
        r = w.add(3, cons_proof(3, L[:8]), signed_note(k, 8, mth(L[:8])))
        assert r.status == 409 and r.body == b"5\n"
        # 422: a proof that does not verify (damaged, too short, empty).
        good = cons_proof(5, L[:8])
        bad = list(good)
        bad[0] = bytes(32)
        for p in (bad, good[:-1], []):
            r = w.add(5, p, signed_note(k, 8, mth(L[:8])))
            assert r.status == 422, r.status
        # Damaged proofs are kept as (unprovable) evidence.
        ev = w.evidence()
        assert len(ev) == 3, ev
        rc, out, err = run_tool("evidence", "verify", "--log-key", k.vkey, ev[0])
        assert rc == 1 and "not proof" in err, (rc, out, err)
        # 200 with a good proof; the same checkpoint again is fine too.
        note8 = signed_note(k, 8, mth(L[:8]))
        r = w.add(5, good, note8)
        assert r.status == 200, r.status
        verify_cosig_line(r.body.decode(), w.wname, w.wpub, ckpt_text(LOG, 8, mth(L[:8])))
        r = w.add(8, [], note8)
        assert r.status == 200, r.status
        # 422: old == size needs an empty proof.
        r = w.add(8, [L[0]], note8)
        assert r.status == 422, r.status
        # 422 (tlog-witness since v1.0.0: not 409, which is kept for "old is
        # not my size" and always carries a size) and provable evidence:
        # same size, another root, signed by the log.
        forked = L[:7] + [ptlib.leaf_hash(b"forked")]
        r = w.add(8, [], signed_note(k, 8, mth(forked)))
        assert r.status == 422, r.status
        assert r.header("Content-Type").startswith("text/plain")
        ev = [e for e in w.evidence() if e not in ev]
        assert len(ev) == 1, ev
        rc, out, err = run_tool("evidence", "verify", "--log-key", k.vkey, ev[0])
        assert rc == 0 and "PROVEN" in out, (rc, out, err)
        # ... but not under another log's key, nor when tampered with.
        rc, _, _ = run_tool("evidence", "verify", "--log-key", other.vkey, ev[0])
        assert rc == 1
        data = open(ev[0], "rb").read()
        t = data.replace(base64_root(mth(forked)), base64_root(mth(L[:8])))
        assert t != data
        tp = ev[0] + ".tampered"
        open(tp, "wb").write(t)
        rc, _, err = run_tool("evidence", "verify", "--log-key", k.vkey, tp)
        assert rc == 1, err
        # A cosignature for a smaller tree is never given.
        r = w.add(8, [], signed_note(k, 7, mth(L[:7])))
        assert r.status == 400
        # Extra signatures (unknown keys) are ignored; a second log key works.
        note12 = signed_note(k, 12, mth(L[:12]), extra_keys=[Key("x.test")])
        r = w.add(8, cons_proof(8, L[:12]), note12)
        assert r.status == 200, r.status
        # The monitoring endpoint: the checkpoint with the log's signature
        # and the cosignature just returned, nothing else.
        m = w.monitor(LOG)
        assert m.status == 200, m.status
        text = ckpt_text(LOG, 12, mth(L[:12]))
        assert m.body.decode() == text + "\n" + sig_line_of(note12, LOG) + \
            r.body.decode(), m.body
        ptlib.open_checkpoint(m.body, LOG, k.pub)
        assert w.monitor("other.test/log").status == 404
        assert request(w.port, "GET", "/" + "A" * 64 + "/checkpoint").status == 404
        assert request(w.port, "POST", monitor_path(LOG)).status == 405
        # A clean stop (under ASan: no leak, no error report).
        rc = w.stop()
        assert rc == 0 and "Sanitizer" not in w.logtext(), (rc, w.logtext())
    finally:
        w.stop()


def base64_root(root):
    return base64.b64encode(root)


def monitor_path(origin):
    return "/%s/checkpoint" % hashlib.sha256(origin.encode()).hexdigest()


def sig_line_of(note, name):
    """The signature line by name in a signed note."""
    for line in note.split("\n\n")[-1].splitlines():
        if line.startswith(EM + name + " "):
            return line + "\n"
    raise AssertionError("no line by " + name)


def pq_line(name, not_id=b""):
    """An ML-DSA-44-sized cosignature line (3,268 bytes with a 19-byte
    name): key ID (never not_id), timestamp and 2,420 bytes of signature,
    random."""
    raw = os.urandom(4 + 8 + 2420)
    if raw[:4] == not_id:
        raw = bytes([raw[0] ^ 1]) + raw[1:]
    return "%s%s %s\n" % (EM, name, base64.b64encode(raw).decode())


def test_concurrent_never_backwards():
    k = Key(LOG)
    w = Witness([k.vkey]).start()
    N = 60
    L = leaves(N)
    notes = {n: signed_note(k, n, mth(L[:n])) for n in range(1, N + 1)}
    ok = []
    errors = []
    lock = threading.Lock()

    def worker(seed):
        rnd = random.Random(seed)
        for _ in range(15):
            target = rnd.randint(1, N)
            old = 0
            for _ in range(5):
                proof = cons_proof(old, L[:target]) if 0 < old < target else []
                try:
                    r = w.add(old, proof, notes[target])
                except OSError as e:
                    errors.append(repr(e))
                    return
                if r.status == 200:
                    with lock:
                        ok.append(target)
                    break
                if r.status == 409:
                    old = int(r.body)
                    if old > target:
                        break
                    continue
                if r.status == 400 and old > target:
                    break
                errors.append((r.status, r.body, old, target))
                return

    try:
        ts = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert not errors, errors[:3]
        assert ok
        # The stored size is the largest size ever cosigned.
        r = w.add(0, [], notes[1])
        assert r.status == 409 and int(r.body) == max(ok), (r.body, max(ok))
        rc = w.stop()
        assert rc == 0 and "Sanitizer" not in w.logtext(), (rc, w.logtext())
    finally:
        w.stop()


def test_kill9_after_answer():
    k = Key(LOG)
    L = leaves(40)
    w = Witness([k.vkey]).start()
    state, keyfile = w.state, w.keyfile
    size = 0
    try:
        for step in (3, 7, 8, 15, 16, 31, 40):
            proof = cons_proof(size, L[:step]) if size else []
            r = w.add(size, proof, signed_note(k, step, mth(L[:step])))
            assert r.status == 200, (r.status, r.body)
            w.kill()                          # right after the answer
            w = Witness([k.vkey], state=state, keyfile=keyfile).start()
            # It remembers the size it cosigned...
            r = w.add(0, [], signed_note(k, step, mth(L[:step])))
            assert r.status == 409 and int(r.body) == step, (r.status, r.body)
            # ... never cosigns a smaller tree ...
            if step > 1:
                r = w.add(step, [], signed_note(k, step - 1, mth(L[:step - 1])))
                assert r.status == 400
                r = w.add(step - 1, [], signed_note(k, step - 1, mth(L[:step - 1])))
                assert r.status == 409
            # ... nor another tree of the same size.
            r = w.add(step, [], signed_note(k, step, mth(leaves(step, b"fork"))))
            assert r.status == 422, r.status
            size = step
        assert len(w.evidence()) == 7
    finally:
        w.stop()


def test_size_zero():
    """The empty tree: cosigned like any other; from it nothing needs (or
    may be) proven, so the next request carries old 0 and no proof.  A
    size-0 checkpoint must have the empty tree's root (422)."""
    k = Key(LOG)
    w = Witness([k.vkey]).start()
    L = leaves(4)
    try:
        # Size 0 with another root: 422, before anything is stored.
        r = w.add(0, [], signed_note(k, 0, mth(L)))
        assert r.status == 422, (r.status, r.body)
        r = w.add(0, [L[0]], signed_note(k, 4, mth(L)))
        assert r.status == 422, r.status          # old 0 with a proof
        r = w.add(0, [], signed_note(k, 0, mth([])))
        assert r.status == 200, (r.status, r.body)
        r = w.add(0, [], signed_note(k, 0, mth([])))
        assert r.status == 200, (r.status, r.body)
        r = w.add(0, [L[0]], signed_note(k, 4, mth(L)))
        assert r.status == 422, r.status          # old 0 with a proof
        r = w.add(0, [], signed_note(k, 4, mth(L)))
        assert r.status == 200, (r.status, r.body)
        assert not w.evidence()
        r = w.add(0, [], signed_note(k, 0, mth([])))
        assert r.status == 409 and r.body == b"4\n"
        assert w.stop() == 0
    finally:
        w.stop()


def test_post_quantum_lines():
    """C2SP signed-note: signatures from unknown keys are ignored whatever
    their size, and at least 16 are accepted.  Sixteen ML-DSA-44-sized lines
    by other signers (one of them under the log's own name with another key
    ID), before and after the log's line: cosigned, 200.  The stored and
    served checkpoint keeps only the log's line and the cosignature."""
    k = Key(LOG)
    w = Witness([k.vkey]).start()
    L = leaves(6)
    try:
        text = ckpt_text(LOG, 6, mth(L))
        lines = [pq_line(LOG, k.hash)] + [pq_line("pq%d.example/w" % i)
                                          for i in range(15)]
        assert all(len(x.encode()) >= 3260 for x in lines)
        good = sig_line_of(signed_note(k, 6, mth(L)), LOG)
        note = text + "\n" + "".join(lines[:8]) + good + "".join(lines[8:])
        assert len(note.encode()) > 16 * 3260
        r = w.add(0, [], note)
        assert r.status == 200, (r.status, r.body)
        verify_cosig_line(r.body.decode(), w.wname, w.wpub, text)
        m = w.monitor(LOG)
        assert m.status == 200
        assert m.body.decode() == text + "\n" + good + r.body.decode()
        # A line by the log's key (name and ID) that does not verify, or
        # two by it: 403.
        bad = good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:]
        for sigs in ([bad], [good, bad], [bad, good], [good, good]):
            r = w.add(6, [], text + "\n" + "".join(sigs))
            assert r.status == 403, (sigs, r.status)
        rc = w.stop()
        assert rc == 0 and "Sanitizer" not in w.logtext(), (rc, w.logtext())
    finally:
        w.stop()


def test_slow_and_many_connections():
    """A client trickling its request is cut at the whole-request deadline;
    connections over the cap are refused; normal requests still work."""
    import socket
    import time
    k = Key(LOG)
    w = Witness([k.vkey], extra=["--request-deadline", "500",
                                 "--max-connections", "4"]).start()
    L = leaves(3)
    try:
        s = socket.create_connection(("127.0.0.1", w.port))
        s.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\n")
        t0 = time.time()
        cut = False
        while time.time() - t0 < 5:
            try:
                s.sendall(b"X-a: b\r\n")
            except OSError:
                cut = True
                break
            s.settimeout(0.2)
            try:
                if s.recv(100) == b"":
                    cut = True
                    break
            except socket.timeout:
                pass
        assert cut and time.time() - t0 < 3, time.time() - t0
        s.close()
        hold = [socket.create_connection(("127.0.0.1", w.port)) for _ in range(8)]
        time.sleep(0.3)
        closed = 0
        for h in hold:
            h.settimeout(0.5)
            try:
                if h.recv(10) == b"":
                    closed += 1
            except (socket.timeout, OSError):
                pass
        for h in hold:
            h.close()
        assert closed >= 4, closed
        time.sleep(0.3)
        r = w.add(0, [], signed_note(k, 3, mth(L)))
        assert r.status == 200, r.status
        rc = w.stop()
        assert rc == 0 and "Sanitizer" not in w.logtext(), (rc, w.logtext())
    finally:
        w.stop()


if __name__ == "__main__":
    sys.exit(run_tests([test_status_codes, test_concurrent_never_backwards,
                        test_kill9_after_answer, test_size_zero,
                        test_post_quantum_lines,
                        test_slow_and_many_connections]))
