#!/usr/bin/python3
"""Client round trips against the real daemon: every record type from JSON,
JSON Lines and CSV; receipts verify (with pubtrail and independently with
ptlib); a receipt with any byte changed fails with exit 1; get, lookup,
disclosures; idempotent resubmission; export checked field by field; exit
codes for usage, not found, network and a server that answers garbage."""
import csv
import http.server
import io
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402

PT = ptlib.PUBTRAIL


# submit keeps receipts in ./receipts by default: run where that is harmless
CWD = ptlib.tmpdir("pt-cwd-")


def run(*args, stdin=None, check=None):
    p = subprocess.run([PT] + [str(a) for a in args], input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300, cwd=CWD)
    if check is not None and p.returncode != check:
        raise AssertionError("pubtrail %s: rc=%d, want %d\nstdout: %s\n"
                             "stderr: %s" % (" ".join(map(str, args)),
                                             p.returncode, check,
                                             p.stdout.decode(errors="replace")[:2000],
                                             p.stderr.decode(errors="replace")[:2000]))
    return p


class Env:
    """A daemon with one office key made by `pubtrail keygen`."""

    def __init__(self, extra=()):
        self.dir = ptlib.tmpdir("pt-client-")
        self.key = os.path.join(self.dir, "office.key")
        p = run("keygen", "--name", "finance.example-city.gov", "--out",
                self.key, check=0)
        self.vkey = p.stdout.decode().strip()
        assert open(self.key + ".pub").read().strip() == self.vkey
        assert os.stat(self.key).st_mode & 0o777 == 0o600
        self.d = ptlib.Daemon(extra=extra)
        os.makedirs(self.d.data, mode=0o700, exist_ok=True)
        with open(os.path.join(self.d.data, "submitters"), "w") as f:
            f.write("%s payment permit_decision correction\n" % self.vkey)
        self.d.start()
        self.url = "http://127.0.0.1:%d" % self.d.port
        self.logvkey = os.path.join(self.d.data, "log.vkey")
        self.L = ["--log", self.url, "--log-key", self.logvkey]
        self.receipts = os.path.join(self.dir, "receipts")

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def submit(self, *inputs, extra=(), check=0):
        """Submit; returns {id: index} from the --json output (indexes
        are assigned by the log's batches, not necessarily input order)."""
        p = run("submit", *self.L, "--key", self.key, "--receipts",
                self.receipts, "--json", *extra, *inputs, check=check)
        out = {}
        for line in p.stdout.decode().splitlines():
            o = json.loads(line)
            out[o["id"]] = o.get("index")
            if "receipt" in o:
                assert o["receipt"] == receipt_path(self, o["id"])
        return out

    def close(self):
        self.d.kill()


def payment(rid, amount=123456, person=None, **extra):
    r = {"type": "payment", "id": rid, "date": "2026-03-01",
         "amount_minor": amount, "currency": "EUR",
         "payer": {"kind": "organization", "scheme": "GB-GOR", "id": "PB1",
                   "name": "City Finance"},
         "payee": ({"kind": "individual", "name": person} if person else
                   {"kind": "organization", "scheme": "GB-COH",
                    "id": "01234567", "name": "Acme Ltd"}),
         "description": "Invoice %s" % rid}
    r.update(extra)
    return r


def permit(rid, num, decision="issued"):
    return {"type": "permit_decision", "id": rid, "permit_num": num,
            "jurisdiction": {"kind": "organization", "scheme": "US-EIN",
                             "id": "123456789", "name": "City of Springfield"},
            "decision": decision, "decision_date": "2026-02-01",
            "permit_type": "Building", "description": "New deck",
            "address": {"line1": "1 Main St", "city": "Springfield",
                        "state": "IL", "zip": "62701"},
            "fee_minor": 15050, "currency": "USD"}


BLDS_CSV = (
    "PermitNum,Description,AppliedDate,IssuedDate,StatusCurrent,StatusDate,"
    "OriginalAddress1,OriginalCity,OriginalState,OriginalZip,Jurisdiction,"
    "Jurisdiction.Scheme,Jurisdiction.ID,PermitType,EstProjectCost,Fee,Link,"
    "PermitClass\r\n"
    "BP-1,New deck,2026-01-05,2026-02-01T00:00:00,Issued,2026-02-01,"
    "1 Main St,Springfield,IL,62701,City of Springfield,US-EIN,123456789,"
    "Building,\"12,500.00\",150.5,https://permits.example/BP-1,Residential\r\n"
    "BP-2,Garage,2026-01-06,,Denied,2026-02-03,2 Oak Ave,Springfield,IL,"
    "62702,City of Springfield,US-EIN,123456789,Building,9000,75,,Residential\r\n")


def receipt_path(env, rid):
    safe = "".join(c if c.isalnum() or c in "-_." else "%%%02X" % ord(c)
                   for c in rid)
    return os.path.join(env.receipts, safe + ".receipt")


def test_roundtrip_every_type_and_format():
    env = Env()
    try:
        origin = env.d.origin
        name, pub = env.d.logkey()
        # JSON (one object)
        j = env.write("p1.json", json.dumps(payment("PAY-1", person="Jane Doe")))
        # JSON Lines
        jl = env.write("p.jsonl", "\n".join(json.dumps(r) for r in [
            payment("PAY-2", amount=-500), permit("PER-1", "BP-9"),
            payment("PAY-3", ocid="ocds-abc123-1", contract_id="C-7",
                    source_uri="https://city.example/p/3")]) + "\n")
        # CSV (payments, schema names) and CSV (permits, BLDS names)
        pc = env.write("pay.csv",
                       "id,date,amount,currency,payer.scheme,payer.id,"
                       "payer.name,payee.scheme,payee.id,payee.name,"
                       "description\r\nPAY-4,2026-04-01,99.95,USD,GB-GOR,PB1,"
                       "City Finance,GB-COH,00000777,\"Smith, Jones & Co\","
                       "\"Works, phase 2\"\r\n")
        bc = env.write("permits.csv", BLDS_CSV)
        idx = env.submit(j, jl, pc, bc, extra=(
            "--currency", "USD", "--decimal-point", "--thousands-sep", ","))
        B = env.d.base      # the bootstrap's grant comes first
        assert sorted(idx.values()) == list(range(B, B + 7)), idx
        assert set(idx) == {"PAY-1", "PAY-2", "PER-1", "PAY-3", "PAY-4",
                            "BP-1/issued/2026-02-01",
                            "BP-2/denied/2026-02-03"}, idx
        # correction of PAY-2 (index 1): needs its leaf hash
        rc1 = open(receipt_path(env, "PAY-2"), "rb").read()
        _, e, _, _ = ptlib.verify_receipt(rc1, name, pub, origin)
        leaf = ptlib.leaf_hash(ptlib.unpackb(rc1)["entry"])
        corr = {"type": "correction", "id": "COR-1", "action": "amend",
                "reason": "wrong amount", "target_index": idx["PAY-2"],
                "target_leaf_hash": leaf.hex(),
                "replacement": payment("PAY-2", amount=-5000)}
        c = env.write("c.json", json.dumps(corr))
        assert env.submit(c) == {"COR-1": B + 7}
        files = sorted(os.listdir(env.receipts))
        assert len(files) == 8, files
        # every receipt verifies, with pubtrail and independently
        for f in files:
            p = os.path.join(env.receipts, f)
            run("verify", "--log-key", env.logvkey, p, check=0)
            ptlib.verify_receipt(open(p, "rb").read(), name, pub, origin)
        out = run("verify", "--json", "--log-key", env.logvkey,
                  receipt_path(env, "PAY-4"), check=0).stdout
        v = json.loads(out)
        assert v["valid"] and v["index"] == idx["PAY-4"]
        rec = v["entry"]["record"]
        assert rec["amount_minor"] == 9995 and rec["currency"] == "USD"
        assert rec["payee"]["name"] == "Smith, Jones & Co"
        # the log key given as a string works as well as a file
        run("verify", "--log-key", env.d.vkey(), receipt_path(env, "PAY-1"),
            check=0)
        # a receipt of another log's key fails
        other = ptlib.Key("other.example/log")
        p = run("verify", "--log-key", other.vkey, receipt_path(env, "PAY-1"),
                check=1)
        assert b"not signed by" in p.stderr, p.stderr
        # any byte changed: exit 1 (every byte of one receipt)
        blob = open(receipt_path(env, "PER-1"), "rb").read()
        bad = env.path("bad.receipt")
        step = max(1, len(blob) // 400)
        positions = sorted(set(range(0, len(blob), step)) |
                           set(range(len(blob) - 8, len(blob))))
        for i in positions:
            b = bytearray(blob)
            b[i] ^= 0x01
            with open(bad, "wb") as f:
                f.write(b)
            p = run("verify", "--log-key", env.logvkey, bad)
            assert p.returncode == 1, (i, p.returncode, p.stderr)
            assert b"INVALID" in p.stderr
        # truncated and empty
        for cut in (0, 1, len(blob) // 2, len(blob) - 1):
            with open(bad, "wb") as f:
                f.write(blob[:cut])
            assert run("verify", "--log-key", env.logvkey, bad).returncode == 1
        # resubmitting the same inputs is idempotent (same indexes, same
        # salt for the individual, so no conflict)
        again = env.submit(j, jl)
        assert again == {k: idx[k] for k in again}, (again, idx)
        # same id, different content: the log refuses (exit 5, reason)
        j2 = env.write("p1b.json", json.dumps(payment("PAY-1", amount=1)))
        p = run("submit", *env.L, "--key", env.key, j2, check=5)
        assert b"409" in p.stderr, p.stderr
        assert b"pubtrail correct" in p.stderr, p.stderr
        # a wrong --log-key for this honest log: says which log it is,
        # claims nothing against it (exit 2)
        other = ptlib.Key("other.example/log")
        p = run("get", "checkpoint", "--log", env.L[1], "--log-key",
                other.vkey, check=2)
        assert b"not a fault of the log" in p.stderr, p.stderr
        assert ('origin "%s"' % origin).encode() in p.stderr, p.stderr
        assert b"other.example/log" in p.stderr, p.stderr
        # a local file that cannot be written or read: exit 6
        p = run("submit", *env.L, "--key", env.key, "--receipts",
                "/proc/no/such", j2, check=6)
        run("submit", *env.L, "--key", env.key, env.path("nonexistent.json"),
            check=6)
        # invalid record: refused locally, before signing (exit 1)
        bad_rec = env.write("bad.json", json.dumps(payment("PAY-X", amount=1.5)))
        p = run("submit", *env.L, "--key", env.key, bad_rec, check=1)
        assert b"amount_minor" in p.stderr, p.stderr
        bad_rec = env.write("bad2.json", json.dumps(dict(payment("PAY-Y"),
                                                         date="2026-02-30")))
        p = run("submit", *env.L, "--key", env.key, bad_rec, check=1)
        assert b"date" in p.stderr, p.stderr
        # stdin
        p = run("submit", *env.L, "--key", env.key, "-",
                stdin=json.dumps(payment("PAY-STDIN")).encode(), check=0)
        assert p.stdout.decode().split() == ["PAY-STDIN", "\u2192", str(B + 8)]
        # get: checkpoint, entry, inclusion, lookup, consistency
        ck = json.loads(run("get", "checkpoint", *env.L, "--json",
                            check=0).stdout)
        assert ck["tree_size"] == B + 9 and ck["origin"] == origin
        e = json.loads(run("get", "entry", *env.L, "--json",
                           idx["PER-1"], check=0).stdout)
        assert e["record"]["id"] == "PER-1"
        run("get", "entry", *env.L, "99", check=4)
        inc = json.loads(run("get", "inclusion", *env.L, "--json", "--hash",
                             leaf.hex(), check=0).stdout)
        assert inc["index"] == idx["PAY-2"] and inc["included"]
        lk = json.loads(run("get", "lookup", *env.L, "--json", "--submitter",
                            env.key + ".pub", "--id", "PAY-3",
                            check=0).stdout)
        assert lk["index"] == idx["PAY-3"]
        run("get", "lookup", *env.L, "--submitter", env.vkey, "--id",
            "NOPE", check=4)
        oldck = env.write("old.ckpt", "")
        with open(oldck, "wb") as f:
            f.write(env.d.get("/checkpoint").body)
        env.submit(env.write("p9.json", json.dumps(payment("PAY-9"))))
        c = json.loads(run("get", "consistency", *env.L, "--json", "--from",
                           oldck, check=0).stdout)
        assert c["consistent"] and c["old_size"] == B + 9 and \
            c["tree_size"] == B + 10
        # disclosures: only the individual's name, file mode 0600
        dfile = env.key + ".disclosures.jsonl"
        assert os.stat(dfile).st_mode & 0o777 == 0o600
        lines = [json.loads(x) for x in open(dfile)]
        assert len(lines) == 1 and lines[0]["value"] == "Jane Doe"
        disc = run("disclose", "--disclosures", dfile, "--key", env.key,
                   "--id", "PAY-1", check=0).stdout
        df = env.write("disc.json", disc.decode())
        run("check-disclosure", *env.L, df, check=0)
        run("check-disclosure", "--log-key", env.logvkey, "--receipt",
            receipt_path(env, "PAY-1"), df, check=0)
        d = json.loads(disc)
        d["value"] = "John Doe"
        run("check-disclosure", *env.L, env.write("d2.json", json.dumps(d)),
            check=1)
        d = json.loads(disc)
        d["salt"] = "00" * 32
        run("check-disclosure", *env.L, env.write("d3.json", json.dumps(d)),
            check=1)
        # the name is nowhere in the log
        for i in range(10):
            assert b"Jane Doe" not in env.d.get("/entry/%d" % i).body
        # export: field by field against the submitted records
        check_exports(env)
    finally:
        env.close()


def check_exports(env):
    recs = {}
    for i in range(env.d.base, env.d.base + 10):
        e = json.loads(run("get", "entry", *env.L, "--json", str(i),
                           check=0).stdout)
        recs[e["record"]["id"]] = (i, e)
    out = run("export", *env.L, "--format", "jsonl", check=0).stdout
    rows = [json.loads(x) for x in out.decode().splitlines()]
    assert len(rows) == 10
    for r in rows:
        i, e = recs[r["record"]["id"]]
        assert r["index"] == i
        assert r["record"] == e["record"], (r, e)
        assert r["leaf_hash"] == e["leaf_hash"]
    out = run("export", *env.L, "--format", "csv", check=0).stdout
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    assert len(rows) == 10
    for r in rows:
        i, e = recs[r["id"]]
        rec = e["record"]
        assert int(r["index"]) == i and r["type"] == rec["type"]
        assert r["leaf_hash"] == e["leaf_hash"]
        if rec["type"] == "payment":
            exp = 0 if rec["currency"] == "JPY" else 2
            assert int(r["amount_minor"]) == rec["amount_minor"]
            want = "%s%d.%02d" % ("-" if rec["amount_minor"] < 0 else "",
                                  abs(rec["amount_minor"]) // 100,
                                  abs(rec["amount_minor"]) % 100)
            assert exp == 2 and r["amount"] == want, (r["amount"], want)
            assert r["payer_name"] == rec["payer"]["name"]
            assert r["date"] == rec["date"] and r["currency"] == rec["currency"]
            assert r["description"] == rec["description"]
            if rec["payee"]["kind"] == "individual":
                assert r["payee_commitment"] == rec["payee"]["commitment"]
                assert r["payee_name"] == ""
            else:
                assert r["payee_name"] == rec["payee"]["name"]
        elif rec["type"] == "permit_decision":
            assert r["permit_num"] == rec["permit_num"]
            assert r["decision"] == rec["decision"]
            assert r["address_city"] == rec["address"]["city"]
        else:
            assert int(r["target_index"]) == rec["target_index"]
            assert r["action"] == rec["action"]
    out = run("export", *env.L, "--format", "blds", check=0).stdout
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    permits = [e["record"] for _, e in recs.values()
               if e["record"]["type"] == "permit_decision"]
    assert len(rows) == len(permits) == 3
    byid = {(p["permit_num"], p["decision"]): p for p in permits}
    for r in rows:
        p = byid[(r["PermitNum"], r["StatusCurrent"].lower())]
        assert r["OriginalAddress1"] == p["address"]["line1"]
        assert r["OriginalZip"] == p["address"].get("zip", "")
        assert r["StatusDate"] == p["decision_date"]
        assert r["Jurisdiction"] == p["jurisdiction"]["name"]
        if "fee_minor" in p:
            assert r["Fee"] == "%d.%02d" % (p["fee_minor"] // 100,
                                            p["fee_minor"] % 100)
    bp1 = [r for r in rows if r["PermitNum"] == "BP-1"][0]
    assert bp1["EstProjectCost"] == "12500.00" and bp1["Fee"] == "150.50"
    assert bp1["IssuedDate"] == "2026-02-01"
    out = run("export", *env.L, "--format", "ocds", check=0).stdout
    pkg = json.loads(out)
    pays = [e["record"] for _, e in recs.values()
            if e["record"]["type"] == "payment"]
    # one release per payment (tag implementation); corrections of
    # payments are implementationUpdate releases (test_reading.py)
    rels = [r for r in pkg["releases"] if r["tag"] == ["implementation"]]
    assert pkg["version"] == "1.1" and len(rels) == len(pays)
    for rel in rels:
        tx = rel["contracts"][0]["implementation"]["transactions"][0]
        p = [x for x in pays if x["id"] == tx["id"]][0]
        assert rel["ocid"].startswith("ocds-")
        if "ocid" in p:
            assert rel["ocid"] == p["ocid"]
        assert round(tx["value"]["amount"] * 100) == p["amount_minor"]
        assert tx["value"]["currency"] == p["currency"]
        assert tx["payer"]["name"] == p["payer"]["name"]
        roles = {x["id"]: x["roles"] for x in rel["parties"]}
        assert roles[tx["payer"]["id"]] == ["payer"]
    # --out appears only on success
    outf = env.path("export.csv")
    run("export", *env.L, "--format", "csv", "--out", outf, "--quiet", check=0)
    assert len(open(outf).read().splitlines()) == 11


class Garbage(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"\x00\xffgarbage\n" * 50
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def test_exit_codes_and_garbage_server():
    env_dir = ptlib.tmpdir()
    key = ptlib.Key("log.example")
    run(check=2)
    run("nosuch", check=2)
    run("--help", check=0)
    for cmd in ("keygen", "submit", "verify", "get", "audit", "monitor",
                "export", "disclose", "check-disclosure"):
        p = run(cmd, "--help", check=0)
        assert p.stdout.startswith(b"usage: pubtrail"), cmd
        run(cmd, "--no-such-option", check=2)
    # a receipt file that does not exist: a local file error
    run("verify", "--log-key", key.vkey, os.path.join(env_dir, "none"),
        check=6)
    run("verify", "--log-key", "garbage+", "x", check=2)
    run("audit", "--log-key", key.vkey, check=2)
    # nothing listening: network error
    port = ptlib.free_port()
    run("get", "checkpoint", "--log", "http://127.0.0.1:%d" % port,
        "--log-key", key.vkey, check=3)
    # a server that answers garbage: a clear error, never a crash
    srv = http.server.HTTPServer(("127.0.0.1", 0), Garbage)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = "http://127.0.0.1:%d" % srv.server_address[1]
        for args in (("get", "checkpoint"), ("audit",), ("get", "entry", "0"),
                     ("export", "--format", "csv"), ("monitor", "--once")):
            p = run(*args, "--log", url, "--log-key", key.vkey)
            assert p.returncode in (1, 3), (args, p.returncode, p.stderr)
            assert p.stderr.startswith(b"pubtrail: "), p.stderr
    finally:
        srv.shutdown()
        srv.server_close()
    # keygen refuses to overwrite
    k = os.path.join(env_dir, "k")
    run("keygen", "--name", "a.example", "--out", k, check=0)
    run("keygen", "--name", "a.example", "--out", k, check=2)
    run("keygen", "--name", "bad name", "--out", k + "2", check=2)


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_roundtrip_every_type_and_format,
                              test_exit_codes_and_garbage_server]))
