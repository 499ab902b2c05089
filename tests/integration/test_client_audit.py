#!/usr/bin/python3
"""pubtrail audit and monitor against the real daemon: a log of 10,000
entries audited in full; an audit after more appends fetches only the new
part; a log whose data directory was replaced by a different history under
the same key fails with exit 1 and says why (forked, rewritten, rolled
back); monitor prints only matching new entries."""
import http.server
import json
import os
import threading
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from test_client_roundtrip import Env, payment, permit, run  # noqa: E402

N = int(os.environ.get("PT_AUDIT_N", "10000"))


def records(prefix, n, start=0):
    out = []
    for i in range(start, start + n):
        if i % 5 == 4:
            out.append(permit("%s-PER-%d" % (prefix, i), "BP-%d" % i))
        else:
            out.append(payment("%s-PAY-%d" % (prefix, i), amount=100 + i))
    return "\n".join(json.dumps(r) for r in out) + "\n"


def submit_many(env, name, text):
    f = env.write(name, text)
    p = run("submit", *env.L, "--key", env.key, "--concurrency", "64",
            "--quiet", "--no-receipts", f, check=0)
    return [int(line.split()[-1]) for line in p.stdout.splitlines()]


def audit(env, state, check=0, extra=()):
    p = run("audit", *env.L, "--state", state, "--json", *extra, check=check)
    return json.loads(p.stdout), p


def test_audit_10000_then_incremental():
    env = Env()
    try:
        t = time.time()
        idx = submit_many(env, "big.jsonl", records("A", N))
        B = env.d.base      # the bootstrap's grant comes first
        assert sorted(idx) == list(range(B, B + N))
        print("  submitted %d in %.1fs" % (N, time.time() - t), flush=True)
        state = env.path("state")
        t = time.time()
        s, _ = audit(env, state)
        print("  audited %d in %.1fs" % (N, time.time() - t), flush=True)
        assert s["ok"] and s["tree_size"] == B + N and s["previous_size"] == 0
        assert s["entries_checked"] == B + N
        assert s["bundles_fetched"] == (B + N + 255) // 256
        assert s["tiles_fetched"] == (B + N + 255) // 256
        assert s["permit_decisions"] == N // 5
        assert s["payments"] == N - N // 5
        # the checkpoint saved is the one the daemon serves
        assert open(os.path.join(state, "checkpoint"), "rb").read() == \
            env.d.get("/checkpoint").body
        # nothing new: nothing fetched
        s, _ = audit(env, state)
        assert s["ok"] and s["entries_checked"] == 0
        assert s["bundles_fetched"] == 0
        # more appends: only the new part is fetched
        M = 300
        submit_many(env, "more.jsonl", records("A", M, start=N))
        s, _ = audit(env, state)
        assert s["ok"] and s["previous_size"] == B + N
        assert s["tree_size"] == B + N + M and s["entries_checked"] == M
        first, last = (B + N) // 256, (B + N + M - 1) // 256
        assert s["bundles_fetched"] == last - first + 1, s
        # text output and a human summary
        p = run("audit", *env.L, "--state", state, check=0)
        assert b"audit ok" in p.stdout and b"\x1b[" not in p.stdout
        # export agrees with the audit on the count
        p = run("export", *env.L, "--format", "jsonl", check=0)
        assert len(p.stdout.splitlines()) == N + M
        # a hashes-only pass checks the tree but not schema or signatures,
        # and never records its result as verified
        p = run("audit", *env.L, "--hashes-only", "--json", check=0)
        s = json.loads(p.stdout)
        assert s["ok"] and s["tree_size"] == B + N + M and \
            s["entries_checked"] == B + N + M
        assert s["payments"] == 0      # entries were not decoded
        run("audit", *env.L, "--hashes-only", "--state", state, check=2)
    finally:
        env.close()


def restart_with_other_history(env, n, prefix):
    """Replace the data directory by a fresh one holding the same log key
    and the same submitters, then append n different entries."""
    env.d.stop()
    data = env.d.data
    keep = {f: open(os.path.join(data, f), "rb").read()
            for f in ("log.key", "log.vkey", "submitters")}
    shutil.rmtree(data)
    os.makedirs(data, mode=0o700)
    for f, b in keep.items():
        with open(os.path.join(data, f), "wb") as fh:
            fh.write(b)
    os.chmod(os.path.join(data, "log.key"), 0o600)
    env.d.start(port=env.d.port)
    if n:
        # fed by another client: this one remembers the old history, and
        # submit refuses receipts inconsistent with it (checked below)
        mem = os.environ["PUBTRAIL_STATE"]
        os.environ["PUBTRAIL_STATE"] = env.path("feeder-memory-" + prefix)
        try:
            submit_many(env, prefix + ".jsonl", records(prefix, n))
        finally:
            os.environ["PUBTRAIL_STATE"] = mem


def test_replaced_history_fails():
    for other, want in ((400, b"rewrote its history"),
                        (300, b"forked"),
                        (100, b"rolled back")):
        env = Env()
        try:
            submit_many(env, "a.jsonl", records("A", 300))
            state = env.path("state")
            s, _ = audit(env, state)
            assert s["ok"] and s["tree_size"] == env.d.base + 300
            saved = open(os.path.join(state, "checkpoint"), "rb").read()
            restart_with_other_history(env, other, "B")
            s, p = audit(env, state, check=1)
            assert not s["ok"], s
            assert want in p.stderr, (other, p.stderr)
            # the state still holds the last good checkpoint
            assert open(os.path.join(state, "checkpoint"), "rb").read() == \
                saved
            # submit, as this client, refuses to call receipts from the
            # other history good: exit 1, the evidence on stderr
            f = env.write("c.jsonl", records("C", 3))
            p = run("submit", *env.L, "--key", env.key, "--no-receipts", f,
                    check=1)
            assert want in p.stderr or b"rewrote" in p.stderr or \
                b"rolled back" in p.stderr, (other, p.stderr)
            # a fresh audit of the new history alone passes: only the
            # state (or a witness, or gossip) can tell the histories apart
            # (a fresh client: no memory of the log either)
            mem = os.environ["PUBTRAIL_STATE"]
            os.environ["PUBTRAIL_STATE"] = env.path("fresh-memory")
            try:
                s, _ = audit(env, env.path("fresh"))
            finally:
                os.environ["PUBTRAIL_STATE"] = mem
            assert s["ok"] and s["tree_size"] == env.d.base + other
        finally:
            env.close()


def test_monitor_filters():
    env = Env()
    try:
        submit_many(env, "a.jsonl", records("A", 20))
        state = env.path("mstate")
        # from the start, only permits
        p = run("monitor", *env.L, "--once", "--from-start", "--state", state,
                "--json", "--type", "permit_decision", check=0)
        rows = [json.loads(x) for x in p.stdout.splitlines()]
        assert len(rows) == 4 and all(r["record"]["type"] ==
                                      "permit_decision" for r in rows)
        # only the new entries, filtered by amount range (EUR, in euros)
        submit_many(env, "b.jsonl", records("B", 10, start=100))
        run("monitor", *env.L, "--once", "--state", state,
            "--min-amount", "2.03", check=2)     # no currency: refused
        run("monitor", *env.L, "--once", "--state", state,
            "--currency", "EUR", "--min-amount", "2,03", check=2)
        p = run("monitor", *env.L, "--once", "--state", state, "--json",
                "--currency", "EUR", "--min-amount", "2.03",
                "--max-amount", "2,05", "--decimal-comma", check=2)
        p = run("monitor", *env.L, "--once", "--state", state, "--json",
                "--currency", "EUR", "--min-amount", "2.03",
                "--max-amount", "2.05", check=0)
        rows = [json.loads(x) for x in p.stdout.splitlines()]
        assert sorted(r["record"]["amount_minor"] for r in rows) == \
            [203, 205], rows
        p = run("monitor", *env.L, "--once", "--state", state, check=0)
        assert p.stdout == b""
        # without state: starts at the current size (from the hash tiles)
        submit_many(env, "c.jsonl", records("C", 3, start=200))
        p = run("monitor", *env.L, "--once", "--payer", "City Finance",
                check=0)
        assert p.stdout == b""
        # a monitor that runs until stopped sees new entries
        proc = subprocess.Popen([ptlib.PUBTRAIL, "monitor", *env.L,
                                 "--interval", "1", "--type", "payment"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(1.5)
            submit_many(env, "d.jsonl", records("D", 2, start=300))
            deadline = time.time() + 15
            lines = []
            os.set_blocking(proc.stdout.fileno(), False)
            while time.time() < deadline and len(lines) < 2:
                chunk = proc.stdout.read()
                if chunk:
                    lines += chunk.decode().splitlines()
                time.sleep(0.2)
            assert len(lines) == 2 and all(" payment D-PAY-30" in x
                                           for x in lines), lines
        finally:
            proc.terminate()
            assert proc.wait(timeout=10) == 0
    finally:
        env.close()


class Tamper(http.server.BaseHTTPRequestHandler):
    """Forwards to the daemon; flips one byte of answers whose path
    starts with server.prefix (at server.offset from the end)."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        r = ptlib.request(self.server.port, "GET", self.path,
                          headers={"Accept": self.headers.get("Accept", "*/*")})
        body = bytearray(r.body)
        if self.path.startswith(self.server.prefix) and body:
            if self.server.offset < 0:
                # the checkpoint: change the last digit of the size line
                # (still well-formed, no longer what the log signed)
                i = body.index(b"\n", body.index(b"\n") + 1) - 1
                body[i] ^= 0x01
            else:
                body[len(body) - self.server.offset] ^= 0x01
        self.send_response(r.status)
        self.send_header("Content-Length", str(len(body)))
        ct = r.header("Content-Type")
        if ct:
            self.send_header("Content-Type", ct)
        self.end_headers()
        self.wfile.write(bytes(body))

    def log_message(self, *a):
        pass


def test_tampered_answers_fail():
    env = Env()
    try:
        submit_many(env, "a.jsonl", records("A", 600))
        cases = (("/tile/entries/", 5, b"entry"),     # inside an entry
                 ("/tile/0/", 1, b"disagrees"),       # a leaf hash
                 ("/proof/consistency", 1, b"rewrote"),
                 ("/checkpoint", -1, b"signature"))
        for prefix, offset, want in cases:
            srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tamper)
            srv.port, srv.prefix, srv.offset = env.d.port, prefix, offset
            t = threading.Thread(target=srv.serve_forever, daemon=True)
            t.start()
            try:
                url = "http://127.0.0.1:%d" % srv.server_address[1]
                L = ["--log", url, "--log-key", env.logvkey]
                state = env.path("st-" + prefix.strip("/").replace("/", "-"))
                if prefix == "/proof/consistency":
                    # an honest audit first, so there is something to
                    # be consistent with
                    run("audit", *env.L, "--state", state, check=0)
                    submit_many(env, "b.jsonl", records("B", 10))
                p = run("audit", *L, "--state", state, check=1)
                assert want in p.stderr, (prefix, p.stderr)
                assert b"FAILED" in p.stderr
            finally:
                srv.shutdown()
                srv.server_close()
    finally:
        env.close()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_audit_10000_then_incremental,
                              test_replaced_history_fails,
                              test_monitor_filters,
                              test_tampered_answers_fail]))
