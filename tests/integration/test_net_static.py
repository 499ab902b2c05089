#!/usr/bin/python3
"""nginx serving the reads from static trees (issue 13 points 4 and 5),
with the two configurations docs/OPERATIONS.md gives (read from that
file), over https:// with a throwaway CA:

- In front of pubtraild with publish_dir: tiles and entry bundles come
  from the published files (the daemon's tile route sees none of those
  requests), with the documented headers (full tiles immutable, partial
  ones a minute, bundles gzip from the .gz files to clients that ask,
  none for those that do not), the checkpoint from the daemon; a tile the
  publisher has not written yet falls through to the daemon; dot files are
  not served.  audit, get, monitor read through it, and `pubtrail mirror`
  copies the log through it.
- A mirror alone (no daemon behind): the checkpoint as text/plain for a
  second, the keys, tiles and bundles with the same headers, the page;
  audit, get (entry, consistency, lookup --scan) and monitor read it.
"""
import gzip
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import tmpdir  # noqa: E402
from test_client_roundtrip import Env  # noqa: E402
from test_mirror import same_as_daemon  # noqa: E402
from test_net_https import NginxTls, Pki, pt, substitute  # noqa: E402
from test_publish import env_with_publish, wait_published  # noqa: E402
from test_tiles_only import records, submit  # noqa: E402


def docs_nginx_blocks():
    text = open(os.path.join(ptlib.TOP, "docs", "OPERATIONS.md")).read()
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.S)
    assert len(blocks) >= 2, "docs/OPERATIONS.md: want two nginx blocks"
    return blocks


def front(pki, daemon_port, root):
    port = ptlib.free_port()
    block = substitute(docs_nginx_blocks()[0], [
        ("server 127.0.0.1:8640;", "server 127.0.0.1:%d;" % daemon_port),
        ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % port),
        ("/etc/ssl/pubtrail/fullchain.pem", pki.cert),
        ("/etc/ssl/pubtrail/privkey.pem", pki.key),
        ("root /srv/pubtrail/published;", "root %s;" % root),
    ])
    return NginxTls(pki, block, port, "/healthz")


def static(pki, root):
    port = ptlib.free_port()
    block = substitute(docs_nginx_blocks()[1], [
        ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % port),
        ("/etc/ssl/mirror/fullchain.pem", pki.cert),
        ("/etc/ssl/mirror/privkey.pem", pki.key),
        ("root /srv/mirror/payments;", "root %s;" % root),
    ])
    return NginxTls(pki, block, port, "/checkpoint")


def tile_requests(env):
    m = env.d.get("/metrics").body.decode()
    return sum(float(l.split()[1]) for l in m.splitlines()
               if l.startswith("pubtrail_http_requests_total{") and
               ('route="tile"' in l or 'route="entries"' in l))


def static_view(e):
    """An entry as a static tree shows it: it lists no corrections (the
    status is unknown there) and serves no /office-keys (no grant line),
    so those fields are left out."""
    e = dict(e)
    for k in ("status", "corrected_by", "corrections", "effective_record",
              "grant"):
        e.pop(k, None)
    return e


def check_tile_headers(ng):
    s, h, b = ng.get("/tile/0/000")
    assert s == 200 and len(b) == 8192, (s, h)
    assert h["cache-control"] == "public, max-age=31536000, immutable", h
    assert h.get("access-control-allow-origin") == "*", h
    s, h, b = ng.get("/tile/entries/000", {"Accept-Encoding": "gzip"})
    assert s == 200 and h.get("content-encoding") == "gzip", h
    plain = gzip.decompress(b)
    s, h, b = ng.get("/tile/entries/000")
    assert s == 200 and "content-encoding" not in h and b == plain, h
    assert h["cache-control"] == "public, max-age=31536000, immutable", h
    return plain


def test_nginx_in_front_of_publish_dir():
    pki = Pki()
    pub = os.path.join(tmpdir(), "published")
    env = env_with_publish(pub)
    ng = mir = None
    os.environ["PUBTRAIL_STATE"] = "-"
    try:
        submit(env, "a.jsonl", records("A", 700))
        wait_published(env, pub)
        B = env.d.base      # the bootstrap's grant comes first
        ng = front(pki, env.d.port, pub)
        T = ["--log", ng.url, "--log-key", env.logvkey, "--cacert", pki.ca[0]]
        before = tile_requests(env)
        check_tile_headers(ng)
        s, h, b = ng.get("/tile/0/002.p/%d" % (B + 188))
        assert s == 200 and h["cache-control"] == "public, max-age=60", h
        s = json.loads(pt("audit", *T, "--json", check=0).stdout)
        assert s["ok"] and s["entries_checked"] == B + 700, s
        a = json.loads(pt("get", "entry", *T, "--json", 650, check=0).stdout)
        assert a["index"] == 650
        assert tile_requests(env) == before, "tiles reached the daemon"
        # the checkpoint comes from the daemon (its 1-second lifetime)
        s, h, b = ng.get("/checkpoint")
        assert s == 200 and b == env.d.get("/checkpoint").body
        assert "max-age=1" in h["cache-control"], h
        # dot files are not served; a tile not yet published comes from
        # the daemon
        for p in ("/.pubtrail-mirror/lock", "/tile/.x"):
            assert ng.get(p)[0] == 404, p
        os.rename(os.path.join(pub, "tile/0/001"),
                  os.path.join(pub, "tile/0/001.away"))
        s, h, b = ng.get("/tile/0/001")
        assert tile_requests(env) == before + 1
        assert s == 200 and b == env.d.get("/tile/0/001").body
        os.rename(os.path.join(pub, "tile/0/001.away"),
                  os.path.join(pub, "tile/0/001"))
        # monitor, and the mirror, over https through it
        lines = pt("monitor", *T, "--once", "--from-start", "--type",
                   "permit_decision", check=0).stdout.splitlines()
        assert len(lines) == 175, len(lines)
        out = os.path.join(tmpdir(), "mirror")
        s = json.loads(pt("mirror", *T, "--out", out, "--gzip", "--no-web",
                          "--json", check=0).stdout)
        assert s["ok"] and s["tree_size"] == B + 700, s
        same_as_daemon(env, out, B + 700)

        # the mirror alone, served by the second configuration
        mir = static(pki, out)
        M = ["--log", mir.url, "--log-key", env.logvkey, "--cacert",
             pki.ca[0]]
        check_tile_headers(mir)
        s, h, b = mir.get("/checkpoint")
        assert s == 200 and h["content-type"] == "text/plain; charset=utf-8"
        assert h["cache-control"] == "public, max-age=1, must-revalidate", h
        assert b == open(os.path.join(out, "checkpoint"), "rb").read()
        s, h, b = mir.get("/log.vkey")
        assert s == 200 and h["content-type"].startswith("text/plain")
        assert mir.get("/.pubtrail-mirror/pending")[0] == 404
        assert mir.get("/proof/inclusion?index=1&size=2")[0] == 404
        s = json.loads(pt("audit", *M, "--json", check=0).stdout)
        assert s["ok"] and s["entries_checked"] == B + 700, s
        a = json.loads(pt("get", "entry", *M, "--json", 3, check=0).stdout)
        b = json.loads(pt("get", "entry", *T, "--json", 3, check=0).stdout)
        assert a["status"] == "unknown"
        assert static_view(a) == static_view(b), (a, b)
        sub = open(env.key + ".pub").read().strip()
        a = json.loads(pt("get", "lookup", *M, "--json", "--scan",
                          "--submitter", sub, "--id", "A-PER-3",
                          check=0).stdout)
        b = json.loads(pt("get", "lookup", *T, "--json", "--submitter", sub,
                          "--id", "A-PER-3", check=0).stdout)
        assert static_view(a) == static_view(b), (a, b)
        assert a["record"]["id"] == "A-PER-3"
        lines = pt("monitor", *M, "--once", "--from-start", "--type",
                   "permit_decision", check=0).stdout.splitlines()
        assert len(lines) == 175
        # a newer log, the mirror brought up to date over https, read again
        submit(env, "b.jsonl", records("B", 300))
        s = json.loads(pt("mirror", *T, "--out", out, "--gzip", "--no-web",
                          "--json", check=0).stdout)
        assert s["ok"] and s["tree_size"] == B + 1000, s
        s = json.loads(pt("audit", *M, "--json", check=0).stdout)
        assert s["ok"] and s["tree_size"] == B + 1000, s
    finally:
        os.environ["PUBTRAIL_STATE"] = "-"
        for n in (ng, mir):
            if n:
                n.kill()
        env.close()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_nginx_in_front_of_publish_dir]))
