"""The citizen page and the log's own lists: the corrections index
(GET /corrections/N, GET /corrections) and the office keys (office_key
entries, GET /office-keys, /registrar.vkey), against a real pubtraild.

Phase 1, an honest log:
- a voided payment shows "voided by #N" found through the corrections
  index, each listed correction proven; the grant step says "signed by
  NAME+HASH (granted at #0 by registrar.test+HASH)";
- "Check the whole log" reads every entry and says the lists left nothing
  out; through a relay whose index leaves the void out, the page first
  shows the record current (the log's claim), then the whole read catches
  the omission (failed, "leaves out #N", status voided);
- a relay that lists a payment as a correction fails the corrections step;
- a static copy of the log (`pubtrail mirror`, served by a plain file
  server: no /entry, proofs, /corrections or /office-keys) verifies the
  same records from its tiles and bundles, the corrections and grants found
  by reading every entry with progress, and a receipt whose consistency is
  shown by the older root recomputed from the tiles;
- the registrar key pinned in the page's config.json is shown with its
  hash, and one that did not sign the log's grants fails the grant step.

Phase 2, entries written into the store behind the daemon's back
(tests/tools/store_forge, signed with the log's key), as a dishonest
operator could: a payment by an office after the registrar revoked its key,
and one by a key the log never granted.  Each shows the grant step failed
("REVOKED at #R, before this entry", "NO GRANT in this log"); the explorer
leaves both out as failed; the whole read of an honest record's log names
them.
"""
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Key, office_key, payment, submission, tmpdir, leaf_hash  # noqa: E402
import weblib  # noqa: E402
from weblib import Browser, Checks, Relay, failed_steps, step, web_daemon  # noqa: E402
from test_mirror import Static  # noqa: E402

ORIGIN = "lists.city.example/log"
FORGE = os.path.join(ptlib.BUILD, "tools", "store_forge")
PARKS = ("XI-TEST", "PRK", "Parks Department")


def correction(rid, target, entry_bytes, action, reason, replacement=None):
    r = {"type": "correction", "id": rid, "action": action, "reason": reason,
         "target_index": target, "target_leaf_hash": leaf_hash(entry_bytes)}
    if replacement is not None:
        r["replacement"] = replacement
    return r


def pubtrail(*args, check=0):
    p = subprocess.run([ptlib.PUBTRAIL] + [str(a) for a in args], capture_output=True,
                       timeout=300)
    assert p.returncode == check, (args, p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    return p


class Fixture:
    def __init__(self):
        self.a = Key("finance.city.example")
        self.b = Key("works.city.example")
        self.parks = Key("parks.city.example")
        self.stranger = Key("finance.city.examp1e")
        self.d = web_daemon(ORIGIN, [(self.a, []), (self.b, [])]).start()
        self.reg = self.d.registrar
        self.receipts, self.index, self.entry = {}, {}, {}
        for i in range(3):
            self.add(self.a, payment("PAY-%d" % i, amount=10000 + i))
        self.add(self.b, payment("W-0", amount=777))
        self.add(self.reg, office_key("grant", "G-PARKS", self.parks, name="Parks Office",
                                      types=["payment"], org=PARKS, reason="parks clerk 2026"))
        self.add(self.parks, payment("PK-1", amount=4200))
        self.add(self.a, correction("COR-V", self.index["PAY-1"], self.entry["PAY-1"], "void",
                                    "duplicate payment"))
        self.add(self.a, correction("COR-A", self.index["PAY-2"], self.entry["PAY-2"], "amend",
                                    "wrong amount", payment("PAY-2", amount=99)))
        self.add(self.reg, office_key("revoke", "R-PARKS", self.parks, name="Parks Office",
                                      org=PARKS, reason="clerk left"))
        self.dir = tmpdir("pt-weblists-")
        self.base = "http://127.0.0.1:%d/" % self.d.port

    def add(self, key, rec):
        r = self.d.post("/add", submission(rec, key, ORIGIN))
        assert r.status == 200, (rec["id"], r.status, r.body)
        rc = ptlib.unpackb(r.body)
        self.receipts[rec["id"]] = r.body
        self.index[rec["id"]] = rc["index"]
        self.entry[rec["id"]] = rc["entry"]

    def url(self, base=None, **params):
        return (base or self.base) + "#/verify?" + urllib.parse.urlencode(params)

    def file(self, name, body):
        p = os.path.join(self.dir, name)
        with open(p, "wb") as f:
            f.write(body)
        return p


# ---- phase 1: an honest log ----

def check_voided_via_index(fx, br):
    i, c = fx.index["PAY-1"], fx.index["COR-V"]
    st = br.send(cmd="verify", url=fx.url(index=i), shot="lists-voided-index")
    assert failed_steps(st) == [], st["steps"]
    assert st["status"] == "voided by #%d" % c, st["status"]
    cs = step(st, "corrections")
    assert "Voided by #%d" % c in cs["text"] and "duplicate payment" in cs["text"], cs
    assert "corrections index lists this correction" in cs["text"], cs
    assert "Check the whole log" in cs["text"], cs
    g = step(st, "grant")
    assert g["state"] == "ok", g
    assert "signed by finance.city.example+%s (granted at #0 by registrar.test+%s)" % (
        fx.a.hash.hex(), fx.reg.hash.hex()) in g["text"], g
    assert "office_key entries" in g["text"], g
    assert "registrar.test+%s" % fx.reg.hash.hex() in step(st, "key")["text"]
    assert "granted at #0 by registrar.test" in st["verdict"], st["verdict"]
    assert st["checkAll"] and "Check the whole log" in st["checkAll"], st
    # The amended one, and one never corrected.
    st = br.send(cmd="verify", url=fx.url(index=fx.index["PAY-2"]))
    assert st["status"] == "amended by #%d" % fx.index["COR-A"], st
    assert dict(st["effective"])["Amount"] == "EUR 0.99", st["effective"]
    st = br.send(cmd="verify", url=fx.url(index=fx.index["PAY-0"]))
    assert st["status"] == "current" and "lists no correction" in step(st, "corrections")["text"], st
    # An entry before the revoke of its office's key: granted, revoked later.
    st = br.send(cmd="verify", url=fx.url(index=fx.index["PK-1"]))
    g = step(st, "grant")
    assert g["state"] == "ok" and "granted at #%d by registrar.test+" % fx.index["G-PARKS"] in g["text"] and \
        "revoked at #%d" % fx.index["R-PARKS"] in g["text"], g
    # The registrar's own entries.
    st = br.send(cmd="verify", url=fx.url(index=fx.index["R-PARKS"]))
    assert failed_steps(st) == [] and "the log's registrar" in step(st, "grant")["text"], st["steps"]


def check_whole_log(fx, br):
    st = br.send(cmd="verify", url=fx.url(index=fx.index["PAY-1"]), checkAll=True,
                 shot="lists-whole-log")
    assert failed_steps(st) == [], st["steps"]
    assert st["status"] == "voided by #%d" % fx.index["COR-V"], st["status"]
    c = step(st, "complete")
    assert c["state"] == "ok" and "left nothing out" in c["text"], c
    assert "later entries was read and proven" in step(st, "corrections")["text"]
    assert "Read from every one of the" in step(st, "grant")["text"]
    assert "lists exactly the" in step(st, "grant")["text"]
    assert st["checkAll"] is None and "nothing was left out" in st["verdict"], st


def check_index_omits_correction(fx, br):
    """A relay whose corrections index leaves out the void: the page shows
    the log's claim (current), and the whole read catches it."""
    i, c = fx.index["PAY-1"], fx.index["COR-V"]
    relay = Relay(fx.d.port)
    try:
        def rewrite(path, r):
            if path.startswith("/corrections/%d" % i):
                return 200, r.headers, ptlib.packb({"corrections": [], "index": i, "more": 0})
            if path.startswith("/corrections") and not path.startswith("/corrections/"):
                real = ptlib.unpackb(r.body)
                real["corrections"] = [x for x in real["corrections"] if x[1] != c]
                return 200, r.headers, ptlib.packb(real)
            return None
        relay.rewrite = rewrite
        st = br.send(cmd="verify", url=fx.url(relay.url, index=i), checkAll=True,
                     shot="lists-index-omits")
        before = st["before"]
        assert before["status"] == "current" and failed_steps(before) == [], before["steps"]
        assert "The list is the log's claim" in step(before, "corrections")["text"]
        assert st["status"] == "failed", st["status"]
        cs = step(st, "corrections")
        assert cs["state"] == "fail" and "leaves out #%d" % c in cs["text"], cs
        assert "Voided by #%d" % c in cs["text"], cs
        assert step(st, "complete")["state"] == "fail"
        assert "NOT VERIFIED" in st["verdict"]
        # The explorer reads everything and compares the whole index.
        ex = br.send(cmd="explore", url=relay.url + "#/explore?auto=1&sigs=0")
        assert ex["lists"] == "fail" and "leaves out #%d" % c in ex["summary"], ex["summary"]
    finally:
        relay.kill()


def check_index_lists_non_correction(fx, br):
    i = fx.index["PAY-0"]
    relay = Relay(fx.d.port)
    try:
        def rewrite(path, r):
            if path.startswith("/corrections/%d" % i):
                return 200, r.headers, ptlib.packb({"corrections": [fx.index["W-0"]],
                                                    "index": i, "more": 0})
            return None
        relay.rewrite = rewrite
        st = br.send(cmd="verify", url=fx.url(relay.url, index=i))
        assert failed_steps(st) == ["corrections"], st["steps"]
        t = step(st, "corrections")["text"]
        assert "lists entry %d as a correction of entry %d, but it is not" % (fx.index["W-0"], i) in t, t
    finally:
        relay.kill()


def check_office_keys_list_omits_revoke(fx, br):
    """A relay whose /office-keys leaves out the revoke of the parks key:
    the quick way cannot see it; the whole read names the omission."""
    r_idx = fx.index["R-PARKS"]
    relay = Relay(fx.d.port)
    try:
        def rewrite(path, r):
            if path.startswith("/office-keys"):
                real = ptlib.unpackb(r.body)
                real["indexes"] = [x for x in real["indexes"] if x != r_idx]
                return 200, r.headers, ptlib.packb(real)
            return None
        relay.rewrite = rewrite
        st = br.send(cmd="verify", url=fx.url(relay.url, index=fx.index["PK-1"]), checkAll=True)
        g0 = step(st["before"], "grant")
        assert g0["state"] == "ok" and "revoked at" not in g0["text"], g0
        g = step(st, "grant")
        assert g["state"] == "fail" and "leaves out the office_key entry #%d" % r_idx in g["text"], g
    finally:
        relay.kill()


def check_pinned_registrar(fx, br):
    """The page's own config.json pins the registrar: shown as pinned with
    its hash; another registrar key fails the grant step."""
    for reg, ok in ((fx.reg, True), (Key("registrar.test"), False)):
        relay = Relay(fx.d.port)
        try:
            def rewrite(path, r, reg=reg):
                if path.split("?")[0] == "/config.json":
                    c = json.loads(r.body)
                    c["registrar_key"] = reg.vkey
                    del c["served_by_log"]
                    c["log"] = fx.base
                    return 200, r.headers, json.dumps(c).encode()
                return None
            relay.rewrite = rewrite
            st = br.send(cmd="verify", url=fx.url(relay.url, index=fx.index["PAY-0"]))
            k = step(st, "key")
            assert "registrar.test+%s" % reg.hash.hex() in k["text"] and \
                "pinned in this page's config.json" in k["text"], k
            g = step(st, "grant")
            if ok:
                assert g["state"] == "ok", g
            else:
                assert g["state"] == "fail" and "NO GRANT in this log" in g["text"], g
                assert "office_key entries are signed by this log's registrar registrar.test+%s, " \
                    "not by registrar.test+%s" % (reg.hash.hex(), fx.reg.hash.hex()) in g["text"], g
        finally:
            relay.kill()


def check_mirror(fx, br):
    """A static copy of the log: no /entry, proofs, corrections index or
    office-keys list.  The page reads the entry from its bundle and the
    whole log for corrections and grants, and says so."""
    out = os.path.join(fx.dir, "mirror")
    web = os.path.join(ptlib.BUILD, "web")
    pubtrail("mirror", "--log", fx.base, "--log-key", fx.d.vkey(), "--out", out, "--web", web)
    assert os.path.exists(os.path.join(out, "registrar.vkey"))
    st_srv = Static(out)
    try:
        base = st_srv.url + "/"
        # the static server answers none of the log's convenience routes
        for p in ("corrections/%d" % fx.index["PAY-1"], "office-keys?size=3", "entry/0"):
            assert br.send(cmd="get", url=base + p)["status"] == 404, p
        st = br.send(cmd="verify", url=fx.url(base, index=fx.index["PAY-1"]), shot="lists-mirror")
        assert failed_steps(st) == [], st["steps"]
        assert st["status"] == "voided by #%d" % fx.index["COR-V"], st["status"]
        assert "static copy" in step(st, "fetch")["text"], step(st, "fetch")
        assert "Proven from the log's tiles" in step(st, "inclusion")["text"]
        cs = step(st, "corrections")["text"]
        assert "lists no corrections index" in cs and "later entries was read and proven" in cs, cs
        g = step(st, "grant")
        assert g["state"] == "ok" and "granted at #0 by registrar.test+" in g["text"] and \
            "lists no office keys" in g["text"], g
        # The key is pinned by the copy's config.json; the registrar comes
        # from the copy's registrar.vkey.
        k = step(st, "key")
        assert k["state"] == "ok" and "registrar.test+%s" % fx.reg.hash.hex() in k["text"], k
        assert st["checkAll"] is None, st
        # A receipt from before: its checkpoint is a prefix of the copy's,
        # shown by the root recomputed from the copy's tiles.
        st = br.send(cmd="receipt", url=base, file=fx.file("pay0.receipt", fx.receipts["PAY-0"]))
        assert failed_steps(st) == [] and st["status"] == "current", st["steps"]
        c = step(st, "consistency")
        assert c["state"] == "ok" and "recomputed from the log's tiles" in c["text"], c
        # A damaged copy: one byte of a bundle changed.
        bundle = os.path.join(out, "tile", "entries", "000.p", "%d" % (fx.index["R-PARKS"] + 1))
        if not os.path.exists(bundle):
            bundle = os.path.join(out, "tile", "entries", "000")
        with open(bundle, "r+b") as f:
            b = bytearray(f.read())
            at = b.find(b"duplicate payment")
            b[at] ^= 0x20
            f.seek(0)
            f.write(b)
        st = br.send(cmd="verify", url=fx.url(base, index=fx.index["PAY-0"]))
        assert st["status"] == "failed", st["steps"]
        first = step(st, failed_steps(st)[0])
        assert "does not match its leaf hash" in first["text"], st["steps"]
    finally:
        st_srv.close()


# ---- phase 2: entries the log appended without a grant ----

def forged_entry(key, record):
    time_ms = int(time.time() * 1000) + 1000
    return ptlib.packb({"record": record, "sig": key.sign(ptlib.entry_message(ORIGIN, record)),
                        "submitter": key.vkey, "time": time_ms})


def forge(fx):
    fx.d.stop()
    for rid, key in (("PK-2", fx.parks), ("X-1", fx.stranger)):
        f = fx.file(rid + ".entry", forged_entry(key, payment(rid, amount=5000000)))
        p = subprocess.run([FORGE, fx.d.data, "append", f], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0, p.stderr
        fx.index[rid] = int(p.stdout)
    fx.d.start(port=fx.d.port)


def check_revoked_office(fx, br):
    st = br.send(cmd="verify", url=fx.url(index=fx.index["PK-2"]), shot="lists-revoked")
    assert st["status"] == "failed", st
    assert failed_steps(st) == ["grant"], st["steps"]
    g = step(st, "grant")["text"]
    assert "signed by parks.city.example+%s (granted at #%d, REVOKED at #%d, before this entry)" % (
        fx.parks.hash.hex(), fx.index["G-PARKS"], fx.index["R-PARKS"]) in g, g
    # its signature and proof are fine: only the grant fails
    assert step(st, "office")["state"] == "ok" and step(st, "inclusion")["state"] == "ok"


def check_no_grant(fx, br):
    st = br.send(cmd="verify", url=fx.url(index=fx.index["X-1"]), shot="lists-no-grant")
    assert failed_steps(st) == ["grant"], st["steps"]
    g = step(st, "grant")["text"]
    assert "signed by finance.city.examp1e+%s (NO GRANT in this log)" % fx.stranger.hash.hex() in g, g
    assert "NOT VERIFIED" in st["verdict"]


def check_explorer_and_whole_read(fx, br):
    ex = br.send(cmd="explore", url=fx.base + "#/explore?auto=1&sigs=0", shot="lists-explore-forged")
    assert ex["bad"] == "2", ex["summary"]
    assert "#%d (no grant: the key parks.city.example+" % fx.index["PK-2"] in ex["summary"], ex["summary"]
    assert "#%d (no grant: unknown submitter: this log has no grant for finance.city.examp1e+" % \
        fx.index["X-1"] in ex["summary"], ex["summary"]
    assert ex["lists"] == "ok", ex["summary"]
    # An honest record of this log: its own grant holds, and the whole read
    # names the entries appended without one.
    st = br.send(cmd="verify", url=fx.url(index=fx.index["PAY-0"]), checkAll=True)
    assert failed_steps(st["before"]) == [], st["before"]["steps"]
    g = step(st, "grant")
    assert g["state"] == "fail" and "granted at #0 by registrar.test" in g["text"] and \
        "break the rule elsewhere: #%d" % fx.index["PK-2"] in g["text"], g


def main():
    why = weblib.missing() or (None if os.path.exists(FORGE) else "tools/store_forge")
    if why:
        print("FAIL: %s missing" % why)
        print("0 passed, 1 failed")
        return 1
    checks = Checks()
    fx = Fixture()
    br = Browser()
    try:
        for fn in (check_voided_via_index, check_whole_log, check_index_omits_correction,
                   check_index_lists_non_correction, check_office_keys_list_omits_revoke,
                   check_pinned_registrar, check_mirror):
            checks.run(fn, fx, br)
        forge(fx)
        for fn in (check_revoked_office, check_no_grant, check_explorer_and_whole_read):
            checks.run(fn, fx, br)
    finally:
        br.kill()
        fx.d.kill()
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
