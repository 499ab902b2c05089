"""The spending explorer against a generated year of payments.

A log gets ~1,100 payments from two offices (two fiscal years, two
currencies, refunds, budget classifications, organisations and private
individuals as payees), permit decisions, and corrections (voids and amends
that move amounts, payees, dates and budget lines).  The page proves every
entry in Chromium and shows totals; they must equal, to the minor unit,
the totals computed here from `pubtrail export --format jsonl` of the same
log with the same grouping and correction rules (docs/WEB.md).  Each row
opens its entries, and an entry's link verifies with its proof.

Full entry bundles are fetched, hashed, read and their signatures checked
in module workers (web/js/hashworker.js): the daemon's own
Content-Security-Policy lets the page start them, and the page's own
thread (no workers) and workers that cannot load (it falls back) give the
same totals, hashes and bytes.  A bundle changed on the way and an entry
whose office signature does not verify are shown as failed either way.
"""
import collections
import concurrent.futures
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Key, submission, tmpdir, leaf_hash  # noqa: E402
import weblib  # noqa: E402
from weblib import Browser, Checks, Relay, failed_steps, web_daemon  # noqa: E402

ORIGIN = "city.example/spending"
FORGE = os.path.join(ptlib.BUILD, "tools", "store_forge")
N_PAY = 1100
N_PERMIT = 120
DEPTS = ["ROADS", "PARKS", "SCHOOLS", "HOUSING", "IT"]
FUNCS = ["04.5", "05.1", "09.1", "06.1"]
ECONS = ["2110", "2210", "3110"]
PAYEES = ["Acme Roads Ltd", "Green Parks Co", "Bright Schools plc", "Homes Trust",
          "Byte Systems", "Northern Supplies", "Cafe \u00c9toile", "K\u00f8benhavn Consult"]
DECISIONS = ["issued", "denied", "finaled", "withdrawn", "expired"]


def org(name, i):
    return {"kind": "organization", "scheme": "GB-COH", "id": "C%04d" % i, "name": name}


def gen_payment(rng, i):
    fy = 2026 if rng.random() < 0.8 else 2025
    month = rng.randint(1, 12)
    r = {"type": "payment", "id": "SP-%05d" % i,
         "date": "%d-%02d-%02d" % (fy if month >= 4 else fy + 1, month, rng.randint(1, 28)),
         "amount_minor": rng.choice([rng.randint(100, 5_000_000), rng.randint(1, 99),
                                     -rng.randint(100, 50_000), 987_654_321_012]),
         "currency": "EUR" if rng.random() < 0.9 else "GBP",
         "payer": {"kind": "organization", "scheme": "XI-TEST", "id": "FIN-1",
                   "name": "City Finance Office"},
         "description": "Generated payment %d" % i}
    if rng.random() < 0.85:
        p = rng.randrange(len(PAYEES))
        r["payee"] = org(PAYEES[p], p)
    else:
        r["payee"] = {"kind": "individual", "commitment": os.urandom(32)}
    b = {}
    if rng.random() < 0.9:
        b["fiscal_year"] = fy
    if rng.random() < 0.8:
        b["admin"] = rng.choice(DEPTS)
    if rng.random() < 0.7:
        b["functional"] = rng.choice(FUNCS)
    if rng.random() < 0.6:
        b["economic"] = rng.choice(ECONS)
    if b:
        r["budget"] = b
    return r


def gen_permit(rng, i):
    return {"type": "permit_decision", "id": "BP-%04d" % i, "permit_num": "BP-%04d" % (i // 2),
            "permit_type": rng.choice(["Building", "Demolition", "Electrical"]),
            "decision": rng.choice(DECISIONS),
            "decision_date": "2026-%02d-%02d" % (rng.randint(1, 12), rng.randint(1, 28)),
            "description": "Works at plot %d" % i,
            "address": {"line1": "%d Example Road" % i, "city": "Example Town"},
            "jurisdiction": {"kind": "organization", "scheme": "XI-TEST", "id": "PLAN",
                             "name": "Example Planning Authority"}}


# ---- the rules of docs/WEB.md, computed independently from the export ----

def classify(r):
    b = r.get("budget", {})
    parts = [b[k] for k in ("functional", "economic") if k in b]
    payee = r["payee"]
    return {"department": b.get("admin", r["payer"]["name"]),
            "budgetLine": " / ".join(parts) if parts else "(unclassified)",
            "fiscalYear": b.get("fiscal_year", int(r["date"][:4])),
            "month": r["date"][:7],
            "payee": payee["name"] if payee["kind"] == "organization" else "private individuals"}


def effective_records(lines):
    by_index = {l["index"]: l for l in lines}
    last = {}
    for l in sorted(lines, key=lambda l: l["index"]):
        r = l["record"]
        if r["type"] != "correction":
            continue
        t = by_index.get(r["target_index"])
        if t is None or t["index"] >= l["index"] or t["submitter"] != l["submitter"] or \
                t["leaf_hash"] != r["target_leaf_hash"]:
            continue
        last[t["index"]] = r
    out = []
    for l in lines:
        c = last.get(l["index"])
        if c is None:
            out.append(l["record"])
        elif c["action"] == "amend":
            out.append(c["replacement"])
    return out


def expected(lines, year, currency, date_from=None, date_to=None):
    groups = {k: collections.defaultdict(lambda: [0, 0]) for k in
              ("month", "budgetLine", "department", "payee")}
    permits = collections.defaultdict(collections.Counter)
    for r in effective_records(lines):
        if r["type"] == "payment":
            c = classify(r)
            if (year is not None and c["fiscalYear"] != year) or r["currency"] != currency:
                continue
            if (date_from and r["date"] < date_from) or (date_to and r["date"] > date_to):
                continue
            for k in groups:
                g = groups[k][c[k]]
                g[0] += r["amount_minor"]
                g[1] += 1
        elif r["type"] == "permit_decision" and (year is None or int(r["decision_date"][:4]) == year) \
                and not (date_from and r["decision_date"] < date_from) \
                and not (date_to and r["decision_date"] > date_to):
            permits[r["decision_date"][:7]][r["decision"]] += 1
    return groups, permits


class Fixture:
    def __init__(self):
        rng = random.Random(15)
        self.a = Key("finance.city.example")
        self.b = Key("planning.city.example")
        self.d = web_daemon(ORIGIN, [(self.a, []), (self.b, [])]).start()
        recs = [(self.a, gen_payment(rng, i)) for i in range(N_PAY)] + \
               [(self.b, gen_permit(rng, i)) for i in range(N_PERMIT)]
        got = self.submit(recs)
        cors = []
        pays = [rec for (k, rec) in recs if rec["type"] == "payment"]
        for j, t in enumerate(rng.sample(pays, 60)):
            idx, entry = got[t["id"]]
            c = {"type": "correction", "id": "COR-%03d" % j, "target_index": idx,
                 "target_leaf_hash": leaf_hash(entry), "reason": "generated correction %d" % j}
            if j % 2 == 0:
                c["action"] = "void"
            else:
                rep = dict(t)
                rep["amount_minor"] = t["amount_minor"] + rng.randint(-5000, 5000)
                if j % 3 == 0:
                    rep["date"] = "2026-11-0%d" % (1 + j % 9)
                    rep["budget"] = {"fiscal_year": 2026, "admin": "IT", "functional": "01.1"}
                if j % 5 == 0:
                    rep["payee"] = org("Corrected Payee Ltd", 99)
                c["action"] = "amend"
                c["replacement"] = rep
            cors.append((self.a, c))
        # A permit decision voided too.
        pm = [rec for (k, rec) in recs if rec["type"] == "permit_decision"][0]
        idx, entry = got[pm["id"]]
        cors.append((self.b, {"type": "correction", "id": "COR-P", "action": "void",
                              "target_index": idx, "target_leaf_hash": leaf_hash(entry),
                              "reason": "entered twice"}))
        self.submit(cors)
        self.size = self.d.checkpoint()[1]

    def submit(self, recs):
        def one(kr):
            k, rec = kr
            r = self.d.post("/add", submission(rec, k, ORIGIN), timeout=60)
            assert r.status == 200, (r.status, r.body)
            rc = ptlib.unpackb(r.body)
            return rec["id"], (rc["index"], rc["entry"])
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            return dict(ex.map(one, recs))

    def export(self):
        out = os.path.join(tmpdir(), "export.jsonl")
        p = subprocess.run([ptlib.PUBTRAIL, "export", "--log", "http://127.0.0.1:%d" % self.d.port,
                            "--log-key", self.d.vkey(), "--format", "jsonl", "--out", out,
                            "--quiet"], capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, (p.returncode, p.stderr)
        with open(out) as f:
            lines = [json.loads(l) for l in f]
        # Every entry but the bootstrap's office_key grants (not spending
        # records: exports leave them out; the page checks them too).
        assert len(lines) == self.size - self.d.base, (len(lines), self.size)
        return lines


def compare(st, year, currency, lines, size, date_from=None, date_to=None):
    groups, permits = expected(lines, year, currency, date_from, date_to)
    assert st["bad"] == "0", st["summary"]
    assert st["entries"] == str(size), (st["entries"], size)
    for k, want in groups.items():
        got = {r["key"]: (int(r["total"]), int(r["count"])) for r in st["tables"][k]}
        want = {key: (v[0], v[1]) for key, v in want.items()}
        assert got == want, (k, year, currency, sorted(set(got.items()) ^ set(want.items()))[:6])
        assert len(got) > 0, k
    got_p = {}
    for r in st["tables"].get("permit-month", []):
        cells = {}
        got_p[r["key"]] = cells
    want_p = {m: dict(c) for m, c in permits.items()}
    assert set(got_p) == set(want_p), (sorted(got_p), sorted(want_p))


def check_totals(fx, br):
    lines = fx.export()
    base = "http://127.0.0.1:%d/" % fx.d.port
    st = br.send(cmd="explore", url=base + "#/explore?auto=1", year=2026, currency="EUR",
                 shot="explore-2026-EUR", open="payee")
    compare(st, 2026, "EUR", lines, fx.size)
    assert st["charts"] >= 5, st["charts"]
    assert st["opened"], st
    # A row opens its entries; an entry's link verifies with its proof.
    link = st["opened"][0]["link"]
    v = br.send(cmd="verify", url=base + link)
    assert failed_steps(v) == [] and v["status"] in ("current",) or \
        v["status"].startswith("amended by #"), v
    st = br.send(cmd="explore", url=base + "#/explore?auto=1&sigs=0", year=2025, currency="GBP",
                 shot="explore-2025-GBP", width=390)
    compare(st, 2025, "GBP", lines, fx.size)
    # Amounts are exact decimals: the 987,654,321,012 minor units show as
    # 9,876,543,210.12 wherever they appear, never rounded.
    all_cells = json.dumps(st["tables"]) + json.dumps(
        br.send(cmd="explore", url=base + "#/explore?auto=1&sigs=0", year=2026,
                currency="EUR")["tables"])
    assert "9,876,543,210.12" in all_cells


def check_date_range(fx, br):
    lines = fx.export()
    base = "http://127.0.0.1:%d/" % fx.d.port
    st = br.send(cmd="explore", url=base + "#/explore?auto=1&sigs=0", currency="EUR",
                 **{"from": "2026-05-10", "to": "2026-09-20"})
    compare(st, None, "EUR", lines, fx.size, "2026-05-10", "2026-09-20")
    months = [r["key"] for r in st["tables"]["month"]]
    assert months[0] == "2026-05" and months[-1] == "2026-09", months


def check_permits(fx, br):
    lines = fx.export()
    base = "http://127.0.0.1:%d/" % fx.d.port
    st = br.send(cmd="explore", url=base + "#/explore?auto=1&sigs=0", year=2026, currency="EUR")
    _, permits = expected(lines, 2026, "EUR")
    rows = {r["key"]: r["cells"] for r in st["tables"]["permit-month"]}
    assert set(rows) == set(permits), (sorted(rows), sorted(permits))
    for m, counts in permits.items():
        assert rows[m][-1] == str(sum(counts.values())), (m, rows[m], counts)
    found = st["tables"]["permit-found"]
    assert len(found) == min(200, sum(sum(c.values()) for c in permits.values())), len(found)


def check_workers(fx, br):
    url = "http://127.0.0.1:%d/#/explore?auto=1" % fx.d.port
    w = br.send(cmd="explore", url=url, year=2026, currency="EUR")
    assert w["bad"] == "0", w["summary"]
    b = w["bench"]
    # the daemon's CSP allowed the module workers, and they did the bundles
    assert b["workers"] >= 1, b
    assert b["sigs"] == fx.size and b["entries"] == fx.size, b
    for mode in (0, "broken"):
        n = br.send(cmd="explore", url=url, year=2026, currency="EUR", workers=mode)
        assert n["bad"] == "0", (mode, n["summary"])
        nb = n["bench"]
        assert nb["workers"] == 0, (mode, nb)
        assert n["tables"] == w["tables"], mode
        for k in ("entries", "hashes", "sigs", "bytes"):
            assert nb[k] == b[k], (mode, k, nb[k], b[k])


def check_damaged_bundle(fx, br):
    relay = Relay(fx.d.port)
    try:
        def rewrite(path, r):
            if path != "/tile/entries/001":
                return None
            b = bytearray(r.body)
            b[len(b) // 2] ^= 0x01
            return (r.status, r.headers, bytes(b))
        relay.rewrite = rewrite
        for mode in (None, 0):
            kw = {} if mode is None else {"workers": mode}
            st = br.send(cmd="explore", url=relay.url + "#/explore?auto=1&sigs=0", **kw)
            assert st["bad"] == "all", (mode, st["summary"])
            assert "entry bundle 1 does not hash to its level-1 tile" in st["summary"], \
                (mode, st["summary"])
    finally:
        relay.kill()


def check_bad_signature(fx, br):
    """Last (it changes the log): an entry signed for another log, appended
    behind the daemon's back, inside a full bundle once the log grows."""
    fx.d.stop()
    rec = {"type": "payment", "id": "SP-BADSIG", "date": "2026-06-01", "amount_minor": 100,
           "currency": "EUR", "payee": org(PAYEES[0], 0), "description": "signed for another log",
           "payer": {"kind": "organization", "scheme": "XI-TEST", "id": "FIN-1",
                     "name": "City Finance Office"}}
    entry = ptlib.packb({"record": rec, "sig": fx.a.sign(ptlib.entry_message("other.example/log", rec)),
                         "submitter": fx.a.vkey, "time": int(time.time() * 1000)})
    f = os.path.join(tmpdir(), "badsig.entry")
    with open(f, "wb") as fh:
        fh.write(entry)
    p = subprocess.run([FORGE, fx.d.data, "append", f], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    bad = int(p.stdout)
    fx.d.start(port=fx.d.port)
    rng = random.Random(16)
    fill = []
    for j in range(256 - (bad + 1) % 256):
        r = gen_payment(rng, 90000 + j)
        r["id"] = "FILL-%03d" % j
        fill.append((fx.a, r))
    fx.submit(fill)
    size = fx.d.checkpoint()[1]
    assert size % 256 == 0 and size > bad, (size, bad)
    url = "http://127.0.0.1:%d/#/explore?auto=1" % fx.d.port
    for mode in (None, 0):
        kw = {} if mode is None else {"workers": mode}
        st = br.send(cmd="explore", url=url, **kw)
        assert st["bad"] == "1", (mode, st["summary"])
        assert "#%d (the signature by finance.city.example+" % bad in st["summary"] and \
            'does not verify for the log "%s"' % ORIGIN in st["summary"], (mode, st["summary"])
        assert (st["bench"]["workers"] >= 1) == (mode is None), (mode, st["bench"])
    st = br.send(cmd="explore", url=url + "&sigs=0")
    assert st["bad"] == "0", st["summary"]


def main():
    why = weblib.missing()
    if why:
        print("FAIL: %s missing" % why)
        print("0 passed, 1 failed")
        return 1
    checks = Checks()
    fx = Fixture()
    br = Browser()
    try:
        for fn in (check_totals, check_date_range, check_permits, check_workers,
                   check_damaged_bundle, check_bad_signature):
            checks.run(fn, fx, br)
    finally:
        br.kill()
        fx.d.kill()
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
