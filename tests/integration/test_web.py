"""The citizen page (web/) in headless Chromium against a real pubtraild.

A log with two offices gets payments, a permit decision and two corrections
(one void, one amend).  The page, served by the daemon at /, must:
verify a receipt green; show the failed step for a receipt with one changed
byte, a checkpoint signed by another key (relay), a lookup answered with
another office's entry (relay), and a link naming another entry hash; show
"voided by #N" and "amended by #N" with the effective record; be usable by
keyboard and at phone width.  The daemon's static file serving refuses path
tricks and sends fixed types, cache headers and CORS on read routes.
Screenshots go to build/test-output/web/.

The witness (2-of-2) and spending-totals scenarios are in test_web_witness.py
and test_web_explore.py.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Key, packb, payment, submission, tmpdir, leaf_hash  # noqa: E402
import weblib  # noqa: E402
from weblib import Browser, Checks, Relay, failed_steps, step, web_daemon  # noqa: E402

ORIGIN = "city.example/payments"


def permit(rid, num, decision="issued"):
    return {
        "type": "permit_decision", "id": rid, "permit_num": num,
        "permit_type": "Building", "decision": decision,
        "decision_date": "2026-02-10", "description": "Two-storey extension",
        "address": {"line1": "12 High Street", "city": "Example Town"},
        "jurisdiction": {"kind": "organization", "scheme": "XI-TEST", "id": "PLAN",
                         "name": "Example Planning Authority"},
    }


def correction(rid, target, entry_bytes, action, reason, replacement=None):
    r = {"type": "correction", "id": rid, "action": action, "reason": reason,
         "target_index": target, "target_leaf_hash": leaf_hash(entry_bytes)}
    if replacement is not None:
        r["replacement"] = replacement
    return r


class Fixture:
    def __init__(self):
        self.a = Key("finance.city.example")
        self.b = Key("works.city.example")
        self.d = web_daemon(ORIGIN, [(self.a, []), (self.b, [])]).start()
        self.name, self.pub = self.d.logkey()
        self.receipts = {}
        self.index = {}
        self.entry = {}
        for i in range(6):
            self.add(self.a, payment("PAY-%d" % i, amount=100000 + i * 2501,
                                     date="2026-0%d-15" % (i % 3 + 1)))
        self.add(self.b, payment("W-1", amount=777, description="Street lights"))
        self.add(self.a, permit("BP-1/issued", "BP-1"))
        self.add(self.a, correction("COR-1", self.index["PAY-3"], self.entry["PAY-3"],
                                    "void", "duplicate payment"))
        amended = payment("PAY-5", amount=99, description="Corrected amount")
        self.add(self.a, correction("COR-2", self.index["PAY-5"], self.entry["PAY-5"],
                                    "amend", "wrong amount", amended))
        self.dir = tmpdir("pt-web-")

    def add(self, key, rec):
        r = self.d.post("/add", submission(rec, key, ORIGIN))
        assert r.status == 200, (r.status, r.body)
        rc = ptlib.unpackb(r.body)
        self.receipts[rec["id"]] = r.body
        self.index[rec["id"]] = rc["index"]
        self.entry[rec["id"]] = rc["entry"]

    def receipt_file(self, rid, body=None):
        p = os.path.join(self.dir, rid.replace("/", "_") + ".receipt")
        with open(p, "wb") as f:
            f.write(body if body is not None else self.receipts[rid])
        return p

    def url(self, base=None, **params):
        return (base or "http://127.0.0.1:%d/" % self.d.port) + "#/verify?" + \
            urllib.parse.urlencode(params)


def check_receipt_valid(fx, br):
    st = br.send(cmd="receipt", url="http://127.0.0.1:%d/" % fx.d.port,
                 file=fx.receipt_file("PAY-0"), shot="verify-receipt-valid")
    assert st["status"] == "current", st
    assert failed_steps(st) == [], st["steps"]
    for sid in ("receipt", "entry", "checkpoint", "receipt-checkpoint", "inclusion",
                "consistency", "office", "corrections"):
        assert step(st, sid)["state"] == "ok", step(st, sid)
    # No witness policy: said so, as a note, not hidden and not a failure.
    w = step(st, "witnesses")
    assert w["state"] == "warn" and "no witness policy" in w["text"], w
    # Served by the log it checks: warned.
    assert step(st, "host")["state"] == "warn"
    fields = dict(st["fields"])
    assert fields["Amount"] == "EUR 1,000.00", fields
    assert fields["Paid to"].startswith("Acme Roads Ltd"), fields
    assert fields["Payment reference"] == "PAY-0"
    # The share link names the index and the entry hash.
    h = hashlib.sha256(b"\x00" + fx.entry["PAY-0"]).hexdigest()
    assert st["entryHash"] == h
    assert "index=%d" % fx.index["PAY-0"] in st["link"] and "hash=" + h in st["link"], st["link"]


def check_receipt_changed_byte(fx, br):
    body = bytearray(fx.receipts["PAY-1"])
    at = body.find(b"Road resurfacing")
    assert at > 0
    body[at] ^= 0x20            # "road resurfacing": still valid msgpack and UTF-8
    st = br.send(cmd="receipt", url="http://127.0.0.1:%d/" % fx.d.port,
                 file=fx.receipt_file("PAY-1-bad", bytes(body)), shot="verify-receipt-changed-byte")
    assert st["status"] == "failed", st
    assert "NOT VERIFIED" in st["verdict"]
    f = failed_steps(st)
    assert "inclusion" in f and "office" in f, st["steps"]
    # Checks that do not depend on the changed byte still pass.
    assert step(st, "checkpoint")["state"] == "ok"
    assert step(st, "receipt-checkpoint")["state"] == "ok"


def check_link_wrong_hash(fx, br):
    st = br.send(cmd="verify", url=fx.url(index=fx.index["PAY-2"], hash="00" * 32))
    assert st["status"] == "failed"
    assert failed_steps(st) == ["answer"], st["steps"]


def check_voided(fx, br):
    i = fx.index["PAY-3"]
    h = hashlib.sha256(b"\x00" + fx.entry["PAY-3"]).hexdigest()
    st = br.send(cmd="verify", url=fx.url(index=i, hash=h), shot="verify-voided")
    assert failed_steps(st) == [], st["steps"]
    want = "voided by #%d" % fx.index["COR-1"]
    assert st["status"] == want, st["status"]
    assert want.capitalize() in st["verdict"] or want in st["verdict"], st["verdict"]
    assert "Voided by #%d" % fx.index["COR-1"] in step(st, "corrections")["text"]
    assert "duplicate payment" in step(st, "corrections")["text"]


def check_amended(fx, br):
    st = br.send(cmd="verify", url=fx.url(index=fx.index["PAY-5"]))
    assert st["status"] == "amended by #%d" % fx.index["COR-2"], st["status"]
    eff = dict(st["effective"])
    assert eff["Amount"] == "EUR 0.99" and eff["What for"] == "Corrected amount", eff
    assert dict(st["fields"])["Amount"] == "EUR 1,125.05"


def check_lookup_and_keyboard(fx, br):
    # By office name (from the log's config.json offices) and reference,
    # typed and submitted with the keyboard.
    st = br.send(cmd="verify", url=fx.url(office="works.city.example", id="W-1"))
    assert st["status"] == "current" and failed_steps(st) == [], st["steps"]
    assert step(st, "answer")["state"] == "ok"
    st = br.send(cmd="keys", url="http://127.0.0.1:%d/" % fx.d.port,
                 index=fx.index["BP-1/issued"], shot="verify-keyboard")
    assert "q-index" in st["focus"] and "q-office" in st["focus"], st["focus"]
    assert st["status"] == "current", st
    assert dict(st["fields"])["Permit number"] == "BP-1"


def check_permit_search(fx, br):
    st = br.send(cmd="permit", url="http://127.0.0.1:%d/" % fx.d.port, permit="BP-1",
                 shot="verify-permit-search")
    assert "1 decision(s) on permit BP-1" in st["status"], st
    assert len(st["found"]) == 1 and "#%d" % fx.index["BP-1/issued"] in st["found"][0]["text"], st
    link = st["found"][0]["link"]
    assert link.startswith("http://127.0.0.1:%d/#/verify?index=" % fx.d.port), link
    v = br.send(cmd="verify", url=link)
    assert v["status"] == "current" and dict(v["fields"])["Decision"] == "issued", v
    st = br.send(cmd="permit", url="http://127.0.0.1:%d/" % fx.d.port, permit="NOPE-1")
    assert "0 decision(s)" in st["status"] and st["found"] == [], st


def check_phone_width(fx, br):
    st = br.send(cmd="verify", url=fx.url(index=fx.index["PAY-4"]), width=390,
                 shot="verify-phone")
    assert st["status"] == "current", st


def check_other_key(fx, br):
    """The relay answers /checkpoint with a checkpoint of the same origin
    signed by another key: the checkpoint step fails."""
    other = Key(ORIGIN)
    relay = Relay(fx.d.port)
    try:
        def rewrite(path, r):
            if path.split("?")[0] != "/checkpoint":
                return None
            text = r.body.decode().split("\n\n")[0] + "\n"
            sig = other.sign(text.encode())
            note = text + "\n\u2014 %s %s\n" % (other.name,
                                                base64.b64encode(other.hash + sig).decode())
            return r.status, r.headers, note.encode()
        relay.rewrite = rewrite
        st = br.send(cmd="verify", url=fx.url(relay.url, index=fx.index["PAY-0"]),
                     shot="verify-other-key")
        assert st["status"] == "failed"
        c = step(st, "checkpoint")
        assert c["state"] == "fail" and "no signature by the trusted log key" in c["text"], c
        assert "checkpoint" in st["verdict"].lower()
    finally:
        relay.kill()


def check_swapped_lookup(fx, br):
    """The relay answers a lookup of office A's PAY-0 with office B's W-1
    (a genuine entry with a valid proof): the answer step fails."""
    relay = Relay(fx.d.port)
    try:
        swap = "/lookup?submitter=%s&id=W-1" % fx.b.submitter_id.hex()

        def rewrite(path, r):
            if path.startswith("/lookup?"):
                r2 = ptlib.request(fx.d.port, "GET", swap)
                return r2.status, r2.headers, r2.body
            return None
        relay.rewrite = rewrite
        st = br.send(cmd="verify", url=fx.url(relay.url, office=fx.a.vkey, id="PAY-0"),
                     shot="verify-swapped-lookup")
        assert st["status"] == "failed"
        a = step(st, "answer")
        assert a["state"] == "fail" and "another office" in a["text"], a
        # The swapped entry itself is genuine: its proof and signature pass.
        assert step(st, "inclusion")["state"] == "ok"
        assert step(st, "office")["state"] == "ok"
    finally:
        relay.kill()


def check_static_serving(fx, br):
    d = fx.d
    r = d.get("/")
    assert r.status == 200 and r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Cache-Control") == "no-cache"
    assert "default-src 'none'" in r.header("Content-Security-Policy")
    assert r.header("X-Content-Type-Options") == "nosniff"
    r = d.get("/js/app.js")
    assert r.status == 200 and r.header("Content-Type") == "text/javascript; charset=utf-8"
    assert r.header("Cache-Control") == "public, max-age=300"
    r = d.get("/lib/msgpack/index.mjs")
    assert r.status == 200 and r.header("Content-Type") == "text/javascript; charset=utf-8"
    for bad in ("/../pubtraild.conf", "/js/../index.html", "/%2e%2e/etc/passwd",
                "/.hidden", "/js//app.js", "/js/", "/index.html/", "/lib/msgpack/LICENSE",
                "/web.conf", "/x" * 200, "/index.html%00.js", "/node_modules/x.js"):
        r = d.get(bad)
        assert r.status in (400, 404), (bad, r.status)
        assert r.header("Content-Type") == "text/plain; charset=utf-8", bad
    # A query string is ignored (symbolic links, directories and sizes:
    # tests/unit/test_webroot.c).
    r = d.get("/index.html?utm=1")
    assert r.status == 200
    assert d.post("/index.html", b"x").status == 405
    # The log's own config.json: its key, no policy, its offices.
    r = d.get("/config.json")
    assert r.status == 200 and r.header("Content-Type") == "application/json"
    c = json.loads(r.body)
    assert c["log_key"] == d.vkey() and c["served_by_log"] is True and c["policy"] is None
    assert sorted(c["offices"]) == sorted([fx.a.vkey, fx.b.vkey])
    # CORS on read routes, not on /add.
    for p in ("/checkpoint", "/tile/0/000.p/%d" % fx.d.checkpoint()[1], "/entry/0",
              "/proof/inclusion?index=0&size=2"):
        assert d.get(p).header("Access-Control-Allow-Origin") == "*", p
    assert d.post("/add", b"\x80").header("Access-Control-Allow-Origin") is None
    st = br.send(cmd="get", url="http://127.0.0.1:%d/lib/uPlot.esm.js" % d.port)
    assert st["status"] == 200


def pubtrail(*args, timeout=60):
    p = subprocess.run([ptlib.PUBTRAIL] + list(args), capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def check_receipt_show(fx, br):
    f = fx.receipt_file("PAY-0")
    rc, out, err = pubtrail("receipt", "show", "--log-key", fx.d.vkey(), f)
    assert rc == 0, (rc, out, err)
    h = hashlib.sha256(b"\x00" + fx.entry["PAY-0"]).hexdigest()
    for want in ("valid", "#%d" % fx.index["PAY-0"], h, "finance.city.example+",
                 "EUR 1,000.00", "payee.name", "Acme Roads Ltd",
                 "c2sp.org/tlog-proof@v1\nindex %d\n" % fx.index["PAY-0"]):
        assert want in out, (want, out)
    # An amount in major units is labelled without "_minor".
    assert re.search(r"\n    amount +EUR 1,000\.00\n", out), out
    assert "amount_minor" not in out, out
    # The tlog-proof text is the receipt's, verbatim.
    assert out.endswith(ptlib.unpackb(fx.receipts["PAY-0"])["proof"]), out
    rc, out, err = pubtrail("receipt", "show", "--json", "--page", "https://w.example/p/",
                            "--log-key", fx.d.vkey(), f)
    j = json.loads(out)
    assert rc == 0 and j["valid"] and j["entry"]["index"] == fx.index["PAY-0"], out
    assert j["link"] == "https://w.example/p/#/verify?index=%d&hash=%s" % (fx.index["PAY-0"], h)
    # Another key, a changed byte: not shown, exit 1.
    rc, out, err = pubtrail("receipt", "show", "--log-key", Key(ORIGIN).vkey, f)
    assert rc == 1 and "INVALID" in err and out == "", (rc, out, err)
    body = bytearray(fx.receipts["PAY-0"])
    body[body.find(b"Road")] ^= 0x20
    rc, out, err = pubtrail("receipt", "show", "--log-key", fx.d.vkey(),
                            fx.receipt_file("PAY-0-bad", bytes(body)))
    assert rc == 1 and "INVALID" in err, (rc, out, err)
    # a receipt file that is not there (in our own directory: a path such
    # as /nonexistent may exist on a shared machine)
    assert pubtrail("receipt", "show", "--log-key", fx.d.vkey(),
                    os.path.join(fx.dir, "no-such.receipt"))[0] == 4
    assert pubtrail("receipt", "qr", "--log-key", fx.d.vkey(), f)[0] == 2
    assert pubtrail("receipt", "qr", "--log-key", fx.d.vkey(), "--page", "ftp://x/",
                    "--out", os.path.join(fx.dir, "x.png"), f)[0] == 2


def zbar(path):
    p = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, (p.returncode, p.stderr)
    return p.stdout.strip()


def check_receipt_qr(fx, br):
    """The QR code of `pubtrail receipt qr`, decoded by zbarimg, opens the
    right record in the page: PNG for the log's own page, SVG (rendered by
    Chromium) for a copy of the page hosted elsewhere that names the log."""
    rid = "PAY-2"
    f = fx.receipt_file(rid)
    base = "http://127.0.0.1:%d/" % fx.d.port
    png = os.path.join(weblib.OUT, "receipt-qr.png")
    rc, out, err = pubtrail("receipt", "qr", "--log-key", fx.d.vkey(), "--page", base,
                            "--out", png, f)
    assert rc == 0, (rc, out, err)
    url = zbar(png)
    h = hashlib.sha256(b"\x00" + fx.entry[rid]).hexdigest()
    assert url == out.strip() == base + "#/verify?index=%d&hash=%s" % (fx.index[rid], h), url
    st = br.send(cmd="verify", url=url, shot="verify-from-qr")
    assert st["status"] == "current" and failed_steps(st) == [], st
    assert dict(st["fields"])["Payment reference"] == rid
    assert st["entryHash"] == h
    # A watchdog's copy (another origin: the relay) naming the log: the
    # page reads the log cross-origin (CORS).
    relay = Relay(fx.d.port)
    try:
        svg = os.path.join(weblib.OUT, "receipt-qr.svg")
        rc, out, err = pubtrail("receipt", "qr", "--log-key", fx.d.vkey(), "--page", relay.url,
                                "--log", base, "--out", svg, f)
        assert rc == 0, (rc, out, err)
        shot = br.send(cmd="render", url="file://" + svg, shot="receipt-qr-svg")
        url = zbar(shot["shot"])
        assert url == relay.url + "#/verify?log=" + base + "&index=%d&hash=%s" % (
            fx.index[rid], h), url
        st = br.send(cmd="verify", url=url)
        assert st["status"] == "current" and failed_steps(st) == [], st
        assert dict(st["fields"])["Payment reference"] == rid
        assert "127.0.0.1:%d" % fx.d.port in st["verdict"], st["verdict"]
    finally:
        relay.kill()


def main():
    why = weblib.missing()
    if why:
        # make check installs and builds all of these (make deps, make web).
        print("FAIL: %s missing" % why)
        print("0 passed, 1 failed")
        return 1
    checks = Checks()
    fx = Fixture()
    br = Browser()
    try:
        for fn in (check_static_serving, check_receipt_valid, check_receipt_changed_byte,
                   check_link_wrong_hash, check_voided, check_amended,
                   check_lookup_and_keyboard, check_permit_search, check_phone_width, check_other_key,
                   check_swapped_lookup, check_receipt_show, check_receipt_qr):
            checks.run(fn, fx, br)
    finally:
        br.kill()
        fx.d.kill()
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
