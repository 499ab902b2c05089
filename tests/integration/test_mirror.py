#!/usr/bin/python3
"""pubtrail mirror (issue 13 point 4) against the real daemon.

- A mirror of 700, then 1,000 entries: every tile and bundle it holds is
  byte for byte the daemon's; each tile of the tree is there (partial
  tiles the full ones replaced are gone, the others kept); only the new
  bundles are fetched; gzip copies decompress to the bundles; log.vkey,
  the citizen page and its config.json are there.
- The tree, served by a plain static file server, is a tlog-tiles log:
  Go's golang.org/x/mod/sumdb/tlog verifies it unchanged (proofs computed
  from the tiles), and get, audit, monitor and export read it.
- An interrupted run (the log stops answering after a few bundles) leaves
  the old checkpoint published and resumes after the last bundle written.
- Nothing unverified is published: a bundle changed in transit (exit 1,
  not written), a log with another history of the same size (exit 1, the
  same-size evidence, which `pubtrail evidence verify` accepts) or a larger
  inconsistent one (exit 1, evidence), a log serving an older checkpoint
  of the same history (exit 7, unchanged), a damaged local tree (exit 6).
"""
import functools
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from test_client_audit import restart_with_other_history  # noqa: E402
from test_client_roundtrip import Env, run  # noqa: E402
from test_interop_daemon import build_go  # noqa: E402
from test_tiles_only import records, submit  # noqa: E402


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class Static:
    """A plain static file server for a directory (no pubtrail routes)."""

    def __init__(self, root):
        h = functools.partial(Quiet, directory=root)
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class Proxy:
    """Forwards GETs to the daemon.  fail_after: answer 503 to every
    bundle request after that many; corrupt: a path whose answer gets its
    byte at offset flipped; checkpoint: bytes served for /checkpoint."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.fail_after = None
        self.corrupt = None
        self.checkpoint = None
        self.bundles = 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.startswith("/tile/entries/"):
                    outer.bundles += 1
                    if outer.fail_after is not None and \
                            outer.bundles > outer.fail_after:
                        return self.answer(503, b"try later\n")
                if self.path == "/checkpoint" and outer.checkpoint:
                    return self.answer(200, outer.checkpoint)
                try:
                    with urllib.request.urlopen(outer.upstream + self.path,
                                                timeout=30) as r:
                        status, body = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, body = e.code, e.read()
                if outer.corrupt and self.path == outer.corrupt[0]:
                    b = bytearray(body)
                    b[outer.corrupt[1]] ^= 1
                    body = bytes(b)
                self.answer(status, body)

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def files(root):
    out = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            rel = os.path.relpath(os.path.join(d, f), root)
            out[rel] = os.path.join(d, f)
    return out


def tiles_of(size):
    """Every tile path of the tree of size (C2SP tlog-tiles)."""
    def path(kind, n, w):
        g = []
        while True:
            g.append(n % 1000)
            n //= 1000
            if n == 0:
                break
        s = "/".join(("x%03d" if i > 0 else "%03d") % v
                     for i, v in reversed(list(enumerate(g))))
        return "tile/%s/%s%s" % (kind, s, "" if w == 256 else ".p/%d" % w)
    out = set()
    level = 0
    while (size >> (8 * level)) > 0:
        n = size >> (8 * level)
        for i in range(n // 256):
            out.add(path(str(level), i, 256))
            if level == 0:
                out.add(path("entries", i, 256))
        if n % 256:
            out.add(path(str(level), n // 256, n % 256))
            if level == 0:
                out.add(path("entries", n // 256, n % 256))
        level += 1
    return out


def mirror(env, out, *extra, check=0, log=None):
    p = run("mirror", "--log", log or env.url, "--log-key", env.logvkey,
            "--out", out, "--json", *extra, check=check)
    return json.loads(p.stdout), p


def same_as_daemon(env, out, size):
    """Every tile and bundle of the mirror is the daemon's, and every
    tile of the tree of size is in the mirror."""
    have = {r for r in files(out) if r.startswith("tile/")}
    for rel in have:
        if rel.endswith(".gz"):
            plain = open(os.path.join(out, rel[:-3]), "rb").read()
            assert gzip.decompress(open(os.path.join(out, rel), "rb")
                                   .read()) == plain, rel
            continue
        r = env.d.get("/" + rel)
        assert r.status == 200 and r.body == open(os.path.join(out, rel),
                                                  "rb").read(), rel
    missing = tiles_of(size) - have
    assert not missing, sorted(missing)[:5]
    return have


def test_mirror_copies_verifies_serves():
    env = Env()
    os.environ["PUBTRAIL_STATE"] = env.path("memory")
    st = None
    try:
        submit(env, "a.jsonl", records("A", 700))
        out = env.path("mirror")
        web = os.path.join(ptlib.BUILD, "web")
        webargs = ["--web", web] if os.path.isdir(web) else ["--no-web"]
        s, _ = mirror(env, out, "--gzip", *webargs)
        B = env.d.base      # the bootstrap's grant comes first
        assert s["ok"] and s["tree_size"] == B + 700 and s["previous_size"] == 0
        assert s["bundles_fetched"] == 3, s
        assert open(os.path.join(out, "checkpoint"), "rb").read() == \
            env.d.get("/checkpoint").body
        assert open(os.path.join(out, "log.vkey")).read() == \
            open(env.logvkey).read().strip() + "\n"
        same_as_daemon(env, out, B + 700)
        if webargs[0] == "--web":
            assert os.path.exists(os.path.join(out, "index.html"))
            cfg = json.load(open(os.path.join(out, "config.json")))
            assert cfg["log"] == "" and cfg["log_key"] == \
                open(env.logvkey).read().strip(), cfg
        # more entries: only the new bundles, old partials replaced
        submit(env, "b.jsonl", records("A", 300, start=700))
        s, _ = mirror(env, out, "--gzip", "--no-web")
        assert s["ok"] and s["previous_size"] == B + 700 and \
            s["tree_size"] == B + 1000 and s["bundles_fetched"] == 2, s
        have = same_as_daemon(env, out, B + 1000)
        assert "tile/0/002.p/%d" % (B + 188) not in have  # its full tile exists
        assert "tile/entries/002.p/%d.gz" % (B + 188) not in have
        assert "tile/1/000.p/2" in have            # no full tile yet
        # nothing new: nothing fetched, nothing changed
        before = {r: open(p, "rb").read() for r, p in files(out).items()}
        s, _ = mirror(env, out, "--gzip", "--no-web")
        assert s["ok"] and s["bundles_fetched"] == 0
        assert {r: open(p, "rb").read() for r, p in files(out).items()} \
            == before

        # served statically: Go's sumdb/tlog and every reading command
        st = Static(out)
        go = subprocess.run([build_go(), st.url, env.d.vkey(), "tiles-only"],
                            capture_output=True, text=True)
        assert go.returncode == 0, go.stdout + go.stderr
        print("  " + go.stdout.strip())
        M = ["--log", st.url, "--log-key", env.logvkey]
        a = json.loads(run("get", "entry", *M, "--json", 777, check=0).stdout)
        b = json.loads(run("get", "entry", *env.L, "--json", 777,
                           check=0).stdout)
        # a static copy lists no corrections: the status is unknown there
        assert a["status"] == "unknown" and b["status"] == "current"
        for k in ("status", "corrected_by", "corrections",
                  "effective_record"):
            a.pop(k)
            b.pop(k)
        b.pop("grant")      # the mirror serves no /office-keys
        assert a == b
        s = json.loads(run("audit", *M, "--json", check=0).stdout)
        assert s["ok"] and s["entries_checked"] == B + 1000
        lines = run("monitor", *M, "--once", "--from-start", "--type",
                    "permit_decision", check=0).stdout.splitlines()
        assert len(lines) == 250, len(lines)
        assert len(run("export", *M, "--format", "jsonl",
                       check=0).stdout.splitlines()) == 1000
        sub = open(env.key + ".pub").read().strip()
        run("get", "lookup", *M, "--submitter", sub, "--id", "A-PAY-5",
            check=5)
        run("get", "lookup", *M, "--scan", "--submitter", sub, "--id",
            "A-PAY-5", check=0)
    finally:
        os.environ["PUBTRAIL_STATE"] = "-"
        if st:
            st.close()
        env.close()


def test_mirror_resumes_and_refuses():
    os.environ["PUBTRAIL_STATE"] = "-"
    env = Env()
    px = Proxy(env.url)
    try:
        submit(env, "a.jsonl", records("A", 300))
        out = env.path("mirror")
        s, _ = mirror(env, out, "--no-web")
        B = env.d.base      # the bootstrap's grant comes first
        assert s["tree_size"] == B + 300
        first = open(os.path.join(out, "checkpoint"), "rb").read()

        # interrupted after 4 bundles: the old checkpoint stays published
        submit(env, "b.jsonl", records("A", 2700, start=300))
        px.fail_after = 4
        s, p = mirror(env, out, "--no-web", "--concurrency", "1", log=px.url,
                      check=3)
        assert open(os.path.join(out, "checkpoint"), "rb").read() == first
        assert os.path.exists(os.path.join(out, ".pubtrail-mirror",
                                           "pending"))
        px.fail_after = None
        px.bundles = 0
        s, _ = mirror(env, out, "--no-web", log=px.url)
        assert s["ok"] and s["tree_size"] == B + 3000, s
        assert s["resumed_at"] > B + 300 and s["resumed_at"] % 256 == 0, s
        assert px.bundles == (B + 3000 - s["resumed_at"] + 255) // 256, \
            (px.bundles, s)
        assert not os.path.exists(os.path.join(out, ".pubtrail-mirror",
                                               "pending"))
        same_as_daemon(env, out, B + 3000)

        # a bundle changed in transit: exit 1, not written, not published
        submit(env, "c.jsonl", records("A", 100, start=3000))
        good = open(os.path.join(out, "checkpoint"), "rb").read()
        px.corrupt = ("/tile/entries/012.p/%d" % (B + 28), -5)
        s, p = mirror(env, out, "--no-web", log=px.url, check=1)
        assert "does not match" in s["reason"] or \
            "disagrees" in s["reason"], s
        assert not os.path.exists(os.path.join(
            out, "tile/entries/012.p/%d" % (B + 28)))
        assert open(os.path.join(out, "checkpoint"), "rb").read() == good
        px.corrupt = None

        # an older checkpoint of the same history: stale, exit 7
        s, _ = mirror(env, out, "--no-web")
        assert s["tree_size"] == B + 3100
        px.checkpoint = first
        s, p = mirror(env, out, "--no-web", log=px.url, check=7)
        assert "stale" in s["reason"] or "prefix" in s["reason"], s
        px.checkpoint = None

        # a damaged local tree is not extended: exit 6 (a run checks the
        # right edge, O(log n) tiles; `audit` of the served tree checks
        # all of it)
        t = os.path.join(out, "tile/1/000.p/12")
        b = bytearray(open(t, "rb").read())
        b[7] ^= 1
        saved = open(t, "rb").read()
        open(t, "wb").write(bytes(b))
        s, p = mirror(env, out, "--no-web", check=6)
        assert "damaged" in s["reason"], s
        open(t, "wb").write(saved)

        # another history under the same key: same size (provable
        # evidence) and larger (inconsistent), exit 1, nothing published
        good = open(os.path.join(out, "checkpoint"), "rb").read()
        for other, kind in ((3100, "same-size"), (3400, "inconsistent")):
            restart_with_other_history(env, other, "B%d" % other)
            s, p = mirror(env, out, "--no-web", check=1)
            assert "cannot both be true" in s["reason"], s
            ev = s["evidence"]
            assert os.path.dirname(ev) == os.path.join(
                out, ".pubtrail-mirror", "evidence"), ev
            assert ("kind %s\n" % kind).encode() in open(ev, "rb").read()
            assert open(os.path.join(out, "checkpoint"), "rb").read() == \
                good
            run("evidence", "verify", "--log-key", env.logvkey, ev,
                check=0 if kind == "same-size" else 1)
    finally:
        px.close()
        env.close()


if __name__ == "__main__":
    os.environ["PUBTRAIL_STATE"] = "-"
    sys.exit(ptlib.run_tests([test_mirror_copies_verifies_serves,
                              test_mirror_resumes_and_refuses]))
