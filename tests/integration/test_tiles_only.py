#!/usr/bin/python3
"""Clients against a server that serves only C2SP tlog-tiles paths and
/checkpoint (issue 13 point 3): a proxy in front of the real daemon passes
GET /checkpoint and GET /tile/... and answers 404 to everything else
(/proof/*, /entry/*, /lookup), as a static mirror does.  get (checkpoint,
entry, inclusion, consistency), audit (first and incremental, with its
state), monitor and export work there, proofs computed from tiles with the
same verification: a tile or bundle with one byte changed fails with exit
1.  A lookup or an inclusion by leaf hash is refused (exit 5) with the
cost named, and --scan finds and proves it, or proves it absent (exit 4).
verify --log proves a receipt in the server's current checkpoint from
tiles, and --refresh rewrites it with a proof computed from them.
--tiles-only gives the same answers from the daemon itself, and requests
no other route."""
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from test_client_roundtrip import Env, payment, permit, receipt_path, run  # noqa: E402


class TilesProxy:
    """GET /checkpoint and /tile/... forwarded to the daemon; 404 for the
    rest.  corrupt: (path, offset) of a byte flipped in that answer."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.corrupt = None
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path != "/checkpoint" and \
                        not self.path.startswith("/tile/"):
                    body = b"<html>404 Not Found</html>\n"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                try:
                    with urllib.request.urlopen(outer.upstream + self.path,
                                                timeout=30) as r:
                        status, body = r.status, r.read()
                        ctype = r.headers.get("Content-Type", "")
                except urllib.error.HTTPError as e:
                    status, body, ctype = e.code, e.read(), "text/plain"
                if outer.corrupt is not None and \
                        self.path == outer.corrupt[0]:
                    b = bytearray(body)
                    b[outer.corrupt[1]] ^= 1
                    body = bytes(b)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def records(prefix, n, start=0):
    out = []
    for i in range(start, start + n):
        if i % 4 == 3:
            out.append(permit("%s-PER-%d" % (prefix, i), "BP-%d" % i))
        else:
            out.append(payment("%s-PAY-%d" % (prefix, i), amount=100 + i))
    return "\n".join(json.dumps(r) for r in out) + "\n"


def submit(env, name, text):
    f = env.write(name, text)
    run("submit", *env.L, "--key", env.key, "--concurrency", "16",
        "--quiet", "--receipts", env.receipts, f, check=0)


def jrun(*args, check=0):
    return json.loads(run(*args, check=check).stdout)


def test_tiles_only_server():
    env = Env()
    px = TilesProxy(env.url)
    os.environ["PUBTRAIL_STATE"] = env.path("memory")
    try:
        submit(env, "a.jsonl", records("A", 700))
        M = ["--log", px.url, "--log-key", env.logvkey]
        ck = jrun("get", "checkpoint", *M, "--json")
        B = env.d.base      # the bootstrap's grant comes first
        assert ck["tree_size"] == B + 700
        old = env.write("old.ckpt", ck["note"])
        # entries from bundles, proofs from tiles; the same answers as the
        # daemon's own routes
        # (a static mirror lists no corrections: the status is unknown
        # there, current from the daemon)
        st = ("status", "corrected_by", "corrections", "effective_record")
        for i in (0, 255, 256, 511, 699):
            a = jrun("get", "entry", *M, "--json", i)
            b = jrun("get", "entry", *env.L, "--json", i)
            assert a["status"] == "unknown" and b["status"] == "current"
            for k in st:
                a.pop(k)
                b.pop(k)
            # the proxy serves no /office-keys: the signer's grant is
            # shown only from the log itself
            assert "grant" not in a and b["grant"]["held"], (a, b)
            b.pop("grant")
            assert a == b and a["index"] == i, (a, b)
        a = jrun("get", "inclusion", *M, "--json", 600)
        assert a["included"] and a["tree_size"] == B + 700
        leaf = a["leaf_hash"]
        # a lookup needs /lookup: refused with the cost named, exit 5
        sub = open(env.key + ".pub").read().strip()
        p = run("get", "lookup", *M, "--submitter", sub, "--id", "A-PAY-601",
                check=5)
        assert b"--scan" in p.stderr and b"every entry bundle" in p.stderr, \
            p.stderr
        a = jrun("get", "lookup", *M, "--json", "--scan", "--submitter", sub,
                 "--id", "A-PAY-601")
        b = jrun("get", "lookup", *env.L, "--json", "--submitter", sub,
                 "--id", "A-PAY-601")
        for k in st:
            a.pop(k)
            b.pop(k)
        b.pop("grant")
        assert a == b and a["record"]["id"] == "A-PAY-601", (a, b)
        p = run("get", "lookup", *M, "--scan", "--submitter", sub, "--id",
                "NO-SUCH-ID", check=4)
        assert b"root recomputed" in p.stderr, p.stderr
        # inclusion by leaf hash: refused, then scanned
        p = run("get", "inclusion", *M, "--hash", leaf, check=5)
        assert b"--scan" in p.stderr
        a = jrun("get", "inclusion", *M, "--json", "--hash", leaf, "--scan")
        assert a["index"] == 600 and a["included"]
        run("get", "inclusion", *M, "--hash", "00" * 32, "--scan", check=4)
        run("get", "inclusion", *env.L, "--hash", "00" * 32, check=4)

        # audit with a state, then more entries: consistency from tiles
        state = env.path("audit-state")
        s = jrun("audit", *M, "--state", state, "--json")
        assert s["ok"] and s["tree_size"] == B + 700 and \
            s["entries_checked"] == B + 700
        mon = env.path("mon-state")
        run("monitor", *M, "--state", mon, "--once", check=0)
        submit(env, "b.jsonl", records("A", 300, start=700))
        s = jrun("audit", *M, "--state", state, "--json")
        assert s["ok"] and s["previous_size"] == B + 700 and \
            s["tree_size"] == B + 1000 and s["entries_checked"] == 300, s
        out = run("monitor", *M, "--state", mon, "--once", "--type",
                  "permit_decision", check=0).stdout.decode().splitlines()
        assert len(out) == 75 and all("permit_decision" in x for x in out), out
        a = jrun("get", "consistency", *M, "--json", "--from", old)
        assert a["consistent"] and a["old_size"] == B + 700
        # export reads the whole log from bundles
        p = run("export", *M, "--format", "jsonl", check=0)
        assert len(p.stdout.decode().splitlines()) == 1000

        # the same verification: one byte changed in a hash tile or an
        # entry bundle is evidence (exit 1)
        last = B + 999      # in the partial tile 3, of width B + 232
        px.corrupt = ("/tile/0/003.p/%d" % (B + 232), 40)  # the hash of 769
        p = run("get", "inclusion", *M, last, check=1)
        assert b"index %d" % last in p.stderr, p.stderr
        px.corrupt = ("/tile/entries/003.p/%d" % (B + 232), -10)  # the last
        run("get", "entry", *M, last, check=1)
        run("audit", *M, "--json", check=1)
        px.corrupt = None

        # --tiles-only against the daemon itself: the same answers, and
        # only tlog-tiles resources asked for (the daemon's metrics count
        # the routes)
        def routes():
            m = env.d.get("/metrics").body.decode()
            return {ln.split()[0]: float(ln.split()[1]) for ln in
                    m.splitlines()
                    if ln.startswith("pubtrail_http_requests_total{") and
                    any('route="%s"' % r in ln for r in
                        ("inclusion", "consistency", "entry", "lookup"))}
        b = jrun("get", "entry", *env.L, "--json", 999)
        before = routes()
        a = jrun("get", "entry", *env.L, "--tiles-only", "--json", 999)
        assert a["status"] == "unknown"	# no routes asked: not listed
        for k in st:
            a.pop(k)
            b.pop(k)
        b.pop("grant")      # --tiles-only reads no /office-keys
        assert a == b
        jrun("get", "consistency", *env.L, "--tiles-only", "--json", "--from",
             old)
        jrun("get", "lookup", *env.L, "--tiles-only", "--scan", "--json",
             "--submitter", sub, "--id", "A-PER-3")
        assert routes() == before, (before, routes())
        run("get", "lookup", *env.L, "--tiles-only", "--submitter", sub,
            "--id", "A-PER-3", check=5)

        # verify --log: a receipt of an older checkpoint proven in the
        # tiles-only server's current one, and --refresh rewrites it with
        # a proof computed from the tiles, which verifies offline
        rc = receipt_path(env, "R-1")
        env.submit(env.write("r.json", json.dumps(payment("R-1"))))
        submit(env, "c.jsonl", records("C", 20))
        v = jrun("verify", "--log", px.url, "--log-key", env.logvkey,
                 "--json", rc)
        assert v["valid"], v
        before = open(rc, "rb").read()
        jrun("verify", "--log", px.url, "--log-key", env.logvkey,
             "--refresh", "--json", rc)
        assert open(rc, "rb").read() != before
        v = jrun("verify", "--log-key", env.logvkey, "--json", rc)
        assert v["valid"] and v["tree_size"] == B + 1021, v
    finally:
        os.environ.pop("PUBTRAIL_STATE", None)
        px.close()
        env.close()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_tiles_only_server]))
