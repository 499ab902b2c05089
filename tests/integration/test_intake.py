#!/usr/bin/python3
"""Office intake against the real daemon, as a finance clerk would use it.

Spreadsheet exports made with real locale conventions (semicolons, decimal
commas, thousands points, a byte order mark, CRLF and a trailing empty
column from a German Excel; tab-separated from an English one; a BLDS
permits CSV with StatusCurrentMapped; an office's own header mapped with a
map file) are submitted, and the records that reach the log are compared
byte for byte with records built here independently (ptlib.packb), so an
amount that was misread cannot pass.  Every ambiguous or contradictory
input is refused with the value quoted, and the log's size does not
change.  All or nothing (and --keep-going) on a file with one bad row in
the middle, with exact counts; --dry-run offline; receipts by default; a
log that stops answering, then a re-run that resumes without logging
anything twice; `pubtrail correct`; and the daemon's office rule for a
correction's replacement."""
import csv
import io
import json
import os
import stat
import pty
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402

PT = ptlib.PUBTRAIL
ARROW = "\u2192"


def run(*args, cwd, check=None, stdin=None, env=None):
    p = subprocess.run([PT] + [str(a) for a in args], input=stdin, cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300, env=env)
    if check is not None and p.returncode != check:
        raise AssertionError("pubtrail %s: rc=%d, want %d\nstdout: %s\n"
                             "stderr: %s" % (" ".join(map(str, args)),
                                             p.returncode, check,
                                             p.stdout.decode(errors="replace")[:3000],
                                             p.stderr.decode(errors="replace")[:3000]))
    return p


class Office:
    """A daemon and one office key; the office works in its own folder."""

    def __init__(self, types=("payment", "permit_decision", "correction"),
                 others=()):
        """others: names of more office keys (self.other[name], a key
        file) the log accepts with the same types."""
        self.dir = ptlib.tmpdir("pt-office-")
        self.key = os.path.join(self.dir, "office.key")
        p = run("keygen", "--name", "kasse.stadt.example", "--out", self.key,
                cwd=self.dir, check=0)
        self.vkey = p.stdout.decode().strip()
        vkeys = [self.vkey]
        self.other = {}
        for name in others:
            k = os.path.join(self.dir, name + ".key")
            p = run("keygen", "--name", name, "--out", k, cwd=self.dir,
                    check=0)
            self.other[name] = k
            vkeys.append(p.stdout.decode().strip())
        self.d = ptlib.Daemon()
        os.makedirs(self.d.data, mode=0o700, exist_ok=True)
        with open(os.path.join(self.d.data, "submitters"), "w") as f:
            for v in vkeys:
                f.write("%s %s\n" % (v, " ".join(types)))
        self.d.start()
        self.url = "http://127.0.0.1:%d" % self.d.port
        self.L = ["--log", self.url, "--log-key",
                  os.path.join(self.d.data, "log.vkey")]

    def write(self, name, data):
        p = os.path.join(self.dir, name)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return p

    def submit(self, *args, check=None):
        return run("submit", *self.L, "--key", self.key, *args,
                   cwd=self.dir, check=check)

    def size(self):
        """Entries the office logged: the log holds its bootstrap grant
        (self.d.base entries) before them."""
        return self.d.checkpoint()[1] - self.d.base

    def records(self):
        """Every record the office logged, in log order."""
        out = []
        for e in ptlib.fetch_entries(self.d, self.d.checkpoint()[1]):
            out.append(ptlib.unpackb(e)["record"])
        return out[self.d.base:]

    def entry_record_bytes(self, i):
        """The record's bytes exactly as logged (inside the entry)."""
        e = self.d.get("/entry/%d" % i).body
        return e, ptlib.unpackb(e)

    def close(self):
        self.d.kill()


def org(scheme, oid, name):
    return {"kind": "organization", "scheme": scheme, "id": oid, "name": name}


def pay(rid, date, minor, cur, payee, desc, payer=None):
    return {"type": "payment", "id": rid, "date": date, "amount_minor": minor,
            "currency": cur, "payer": payer or org("DE-HRB", "F1", "Stadtkasse"),
            "payee": payee, "description": desc}


def logged_bytes(o):
    """{id: canonical record bytes} of everything in the log."""
    out = {}
    for i in range(o.d.base, o.d.base + o.size()):
        e = ptlib.unpackb(o.d.get("/entry/%d" % i).body)
        rec = e["record"]
        out[rec["id"]] = ptlib.packb(rec)
    return out


def ids_out(p):
    """{id: index} from `ID → INDEX` lines."""
    out = {}
    for line in p.stdout.decode().splitlines():
        rid, arrow, idx = line.rsplit(" ", 2)
        assert arrow == ARROW, line
        out[rid] = int(idx)
    return out


# ---------------------------------------------------------------- exports

GERMAN = (
    "\ufeffBuchungs-Nr.;Buchungsdatum;Betrag;W\u00e4hrung;Kasse Schema;"
    "Kasse Nr.;Kasse;Empf\u00e4nger Schema;Empf\u00e4nger Nr.;Empf\u00e4nger;"
    "Verwendungszweck;\r\n"
    "2026-0001;2026-03-02;1.234,56;EUR;DE-HRB;F1;Stadtkasse;DE-HRB;HRB1;"
    "M\u00fcller & Schmidt GmbH;Stra\u00dfenbau, Los 1;\r\n"
    "2026-0002;2026-03-02;12,5;EUR;DE-HRB;F1;Stadtkasse;DE-HRB;HRB2;"
    "\"Acme; Br\u00fccken AG\";\"Gutachten\nTeil 2\";\r\n"
    "2026-0003;2026-03-03;-0,01;EUR;DE-HRB;F1;Stadtkasse;DE-HRB;HRB1;"
    "M\u00fcller & Schmidt GmbH;Rundung;\r\n"
    "2026-0004;2026-03-04;1.000.000,00;EUR;DE-HRB;F1;Stadtkasse;DE-HRB;"
    "HRB3;Bau GmbH;Schule;\r\n"
    ";;;;;;;;;;;\r\n")

GERMAN_MAP = (
    "# Spaltenzuordnung der Stadtkasse (pubtrail column map)\n"
    "Buchungs-Nr.   = id\n"
    "Buchungsdatum  = date\n"
    "Betrag         = amount\n"
    "W\u00e4hrung        = currency\n"
    "Kasse Schema   = payer.scheme\n"
    "Kasse Nr.      = payer.id\n"
    "Kasse          = payer.name\n"
    "Empf\u00e4nger Schema = payee.scheme\n"
    "Empf\u00e4nger Nr.  = payee.id\n"
    "Empf\u00e4nger      = payee.name\n"
    "Verwendungszweck = description\n")


def german_expected():
    kasse = org("DE-HRB", "F1", "Stadtkasse")
    return [
        pay("2026-0001", "2026-03-02", 123456, "EUR",
            org("DE-HRB", "HRB1", "M\u00fcller & Schmidt GmbH"),
            "Stra\u00dfenbau, Los 1", kasse),
        pay("2026-0002", "2026-03-02", 1250, "EUR",
            org("DE-HRB", "HRB2", "Acme; Br\u00fccken AG"),
            "Gutachten\nTeil 2", kasse),
        pay("2026-0003", "2026-03-03", -1, "EUR",
            org("DE-HRB", "HRB1", "M\u00fcller & Schmidt GmbH"), "Rundung",
            kasse),
        pay("2026-0004", "2026-03-04", 100000000, "EUR",
            org("DE-HRB", "HRB3", "Bau GmbH"), "Schule", kasse),
    ]


def test_spreadsheet_exports_reach_the_log_byte_for_byte():
    o = Office()
    try:
        de = o.write("buchungen.csv", GERMAN)
        mp = o.write("buchungen.map", GERMAN_MAP)
        # the clerk's first try, nothing said about the comma: refused,
        # every row, quoted, with the option that would read each; no
        # header mapping yet: the accepted names are listed
        p = o.submit(de, check=1)
        err = p.stderr.decode()
        assert "buchungen.csv:1:1: Buchungs-Nr.: unknown column; accepted: " \
            "id, type, date, amount" in err, err
        assert o.size() == 0
        p = o.submit("--map", mp, de, check=1)
        err = p.stderr.decode()
        assert 'buchungen.csv:2:3: Betrag: a comma may be a decimal or a ' \
            'thousands separator; --decimal-comma --thousands-sep . reads ' \
            'it as 1234.56 EUR ("1.234,56")' in err, err
        assert 'buchungen.csv:3:3: Betrag: a comma may be a decimal or a ' \
            'thousands separator; --decimal-comma reads it as 12.50 EUR ' \
            '("12,5")' in err, err
        assert "nothing sent: 4 of 4 records invalid" in err, err
        assert o.size() == 0
        # --decimal-comma alone: the thousands points are refused
        p = o.submit("--map", mp, "--decimal-comma", de, check=1)
        assert '("1.234,56")' in p.stderr.decode()
        assert o.size() == 0
        # said right: logged, every byte as meant
        p = o.submit("--map", mp, "--decimal-comma", "--thousands-sep", ".",
                     de, check=0)
        got = ids_out(p)
        assert sorted(got) == ["2026-0001", "2026-0002", "2026-0003",
                               "2026-0004"], got
        logged = logged_bytes(o)
        for r in german_expected():
            assert logged[r["id"]] == ptlib.packb(r), r["id"]
        # the same file run again: nothing new, and said so
        p = o.submit("--map", mp, "--decimal-comma", "--thousands-sep", ".",
                     "--json", de, check=0)
        assert b"4 records logged (all were in the log before this run: " \
            b"nothing new)" in p.stderr, p.stderr
        assert all(json.loads(ln)["already_logged"] is True
                   for ln in p.stdout.decode().splitlines())
        # the same export as a report: a title and an empty line above
        # the header.  Said once, naming the header's line, nothing sent;
        # read from there, the same four records (already logged: the
        # same bytes), and a row's problem keeps its line number
        rep = o.write("bericht.csv", "\ufeffBuchungsliste M\u00e4rz 2026;"
                      ";;\r\n;;;\r\n" + GERMAN[1:])
        opts = ("--map", mp, "--decimal-comma", "--thousands-sep", ".")
        p = o.submit(*opts, rep, check=1)
        err = p.stderr.decode()
        assert err.startswith(
            rep + ":1: csv: line 1 is not the header (none of its columns "
            "is known: a title above the header?); line 3 looks like it "
            '("Buchungs-Nr.;Buchungsdatum;Betrag;'), err
        assert ": --header-line 3 reads the file from there" in err, err
        assert "unknown column" not in err, err
        p = o.submit(*opts, "--header-line", "3", rep, check=0)
        assert b"4 records logged (all were in the log before this run: " \
            b"nothing new)" in p.stderr, p.stderr
        bad = o.write("bericht2.csv", open(rep, encoding="utf-8").read()
                      .replace("1.234,56", "1.234,5,6"))
        p = o.submit(*opts, "--header-line", "3", bad, check=1)
        assert bad + ":4:3: Betrag: " in p.stderr.decode(), p.stderr
        p = o.submit(*opts, "--header-line", "40", rep, check=1)
        assert b"csv: --header-line 40: the file has 9 lines" in p.stderr, \
            p.stderr
        assert o.size() == 4
        # a dry run shows each amount as it was read
        p = run("submit", "--dry-run", "--map", mp, "--decimal-comma",
                "--thousands-sep", ".", de, cwd=o.dir, check=0)
        out = p.stdout.decode()
        assert "2026-0001 %s valid (amount 1234.56 EUR)" % ARROW in out, out
        assert "2026-0003 %s valid (amount -0.01 EUR)" % ARROW in out, out
        assert "2026-0004 %s valid (amount 1000000.00 EUR)" % ARROW in out
        p = run("submit", "--dry-run", "--json", "--map", mp,
                "--decimal-comma", "--thousands-sep", ".", de, cwd=o.dir,
                check=0)
        recs = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
        assert recs[0]["record"]["amount_minor"] == 123456, recs[0]
        # the same export saved as Excel's plain "CSV" (Windows-1252):
        # the header is not UTF-8, said as such, and nothing is sent
        cp = o.write("cp1252.csv", GERMAN[1:].encode("cp1252"))
        p = o.submit("--map", mp, "--decimal-comma", "--thousands-sep", ".",
                     cp, check=1)
        err = p.stderr.decode()
        assert 'cp1252.csv:1:4: csv: the header is not UTF-8 text (byte ' \
            '0xE4 after "W")' in err and 'save the file as "CSV UTF-8"' \
            in err, err
        assert "unknown column" not in err, err
        # a map file saved so is refused too, naming its line
        bad = o.write("cp1252.map", GERMAN_MAP.encode("cp1252"))
        p = o.submit("--map", bad, "--decimal-comma", de, check=2)
        assert "cp1252.map:5: not UTF-8 text (byte 0xE4" in \
            p.stderr.decode(), p.stderr
        # an inline map cannot hold a comma in a value: said so
        p = o.submit("--map", "Betrag=amount,payer.name:=Stadt, Kasse",
                     de, check=2)
        err = p.stderr.decode()
        assert "--map: entry 3: want NAME = FIELD" in err and \
            "a value with a comma goes in a map file" in err, err
        assert o.size() == 4
        # the same map given inline
        o2 = o.write("b2.csv", GERMAN.replace("2026-000", "2026-100"))
        pairs = [ln.split("=") for ln in GERMAN_MAP.splitlines()
                 if ln and not ln.startswith("#")]
        inline = ",".join("%s=%s" % (a.strip(), b.strip()) for a, b in pairs)
        o.submit("--map", inline, "--decimal-comma", "--thousands-sep", ".",
                 o2, check=0)
        logged = logged_bytes(o)
        for r in german_expected():
            r["id"] = r["id"].replace("2026-000", "2026-100")
            assert logged[r["id"]] == ptlib.packb(r), r["id"]
        assert o.size() == 8
        # next month's export renamed a column the map names: refused,
        # naming the map's column and the header's unmapped ones, not
        # logged without its field; a column the map ignores may be gone
        ren = o.write("b3.csv", GERMAN.replace("2026-000", "2026-200")
                      .replace("Verwendungszweck;", "Zweck;"))
        p = o.submit("--map", mp, "--decimal-comma", "--thousands-sep",
                     ".", ren, check=1)
        err = p.stderr.decode()
        assert 'b3.csv:1: description: the map names column ' \
            '"Verwendungszweck" for it, and this file\'s header has no such ' \
            'column (renamed in this export? the columns the map does not ' \
            'name: "Zweck")' in err, err
        assert o.size() == 8
        gone = o.write("gone.map", GERMAN_MAP + "Storno = -\n")
        o.submit("--dry-run", "--map", gone, "--decimal-comma",
                 "--thousands-sep", ".", de, check=0)

        # tab-separated, English locale: thousands commas, decimal points
        tsv = o.write("payments.txt", (
            "id\tdate\tamount\tcurrency\tpayer.scheme\tpayer.id\tpayer.name\t"
            "payee.scheme\tpayee.id\tpayee.name\tdescription\r\n"
            "US-1\t2026-01-31\t1,234.50\tUSD\tUS-EIN\t100000001\tCity\t"
            "US-EIN\t100000002\tRoads, Inc.\tPaving, phase 1\r\n"
            "US-2\t2026-01-31\t500\tJPY\tUS-EIN\t100000001\tCity\t"
            "US-EIN\t100000002\tRoads, Inc.\tYen\r\n"
            "US-3\t2026-01-31\t0.125\tKWD\tUS-EIN\t100000001\tCity\t"
            "US-EIN\t100000002\tRoads, Inc.\tFils\r\n"))
        p = o.submit(tsv, check=1)
        assert '("1,234.50")' in p.stderr.decode(), p.stderr
        assert o.size() == 8
        o.submit("--decimal-point", "--thousands-sep", ",", tsv, check=0)
        logged = logged_bytes(o)
        city = org("US-EIN", "100000001", "City")
        roads = org("US-EIN", "100000002", "Roads, Inc.")
        for r in (pay("US-1", "2026-01-31", 123450, "USD", roads,
                      "Paving, phase 1", city),
                  pay("US-2", "2026-01-31", 500, "JPY", roads, "Yen", city),
                  pay("US-3", "2026-01-31", 125, "KWD", roads, "Fils", city)):
            assert logged[r["id"]] == ptlib.packb(r), r["id"]
        assert o.size() == 11

        # BLDS permits CSV with StatusCurrentMapped
        blds = o.write("permits.csv", (
            "PermitNum,Description,AppliedDate,IssuedDate,StatusCurrent,"
            "StatusCurrentMapped,StatusDate,OriginalAddress1,OriginalCity,"
            "OriginalState,OriginalZip,Jurisdiction,jurisdiction.scheme,"
            "jurisdiction.id,PermitType,EstProjectCost,Fee,PermitClass,"
            "Latitude\r\n"
            "BP-2026-1,New deck,2026-01-05,2026-02-01T00:00:00,Issued,"
            "Permit Issued,2026-02-01,1 Main St,Springfield,IL,62701,"
            "City of Springfield,US-EIN,123456789,Building,\"12,500.00\","
            "150.5,Residential,39.78\r\n"
            "BP-2026-2,Garage,2026-01-06,,Final,Permit Finaled,2026-02-03,"
            "2 Oak Ave,Springfield,IL,62702,City of Springfield,US-EIN,"
            "123456789,Building,9000,75,Residential,39.79\r\n"))
        o.submit("--currency", "USD", "--decimal-point", "--thousands-sep",
                 ",", blds, check=0)
        logged = logged_bytes(o)
        jur = org("US-EIN", "123456789", "City of Springfield")
        want1 = {"type": "permit_decision", "id": "BP-2026-1/issued/2026-02-01",
                 "permit_num": "BP-2026-1", "description": "New deck",
                 "applied_date": "2026-01-05", "issued_date": "2026-02-01",
                 "decision": "issued", "decision_date": "2026-02-01",
                 "address": {"line1": "1 Main St", "city": "Springfield",
                             "state": "IL", "zip": "62701"},
                 "jurisdiction": jur, "permit_type": "Building",
                 "est_project_cost_minor": 1250000, "fee_minor": 15050,
                 "currency": "USD"}
        want2 = {"type": "permit_decision",
                 "id": "BP-2026-2/finaled/2026-02-03",
                 "permit_num": "BP-2026-2", "description": "Garage",
                 "applied_date": "2026-01-06", "decision": "finaled",
                 "decision_date": "2026-02-03",
                 "address": {"line1": "2 Oak Ave", "city": "Springfield",
                             "state": "IL", "zip": "62702"},
                 "jurisdiction": jur, "permit_type": "Building",
                 "est_project_cost_minor": 900000, "fee_minor": 7500,
                 "currency": "USD"}
        for w in (want1, want2):
            assert logged[w["id"]] == ptlib.packb(w), (w["id"],
                                                       logged[w["id"]])
        assert o.size() == 13
    finally:
        o.close()


REFUSED = [
    # (file name, content, extra options, substring of the problem line)
    ("a.csv", "id,date,amount,currency\nX-1,2026-01-01,\"1234,56\",EUR\n",
     (), 'amount: a comma may be a decimal or a thousands separator; '
     '--decimal-comma reads it as 1234.56 EUR ("1234,56")'),
    ("b.csv", "id,date,amount,currency\nX-1,2026-01-01,\"12,5\",EUR\n",
     (), '("12,5")'),
    ("c.csv", "id,date,amount,currency\nX-1,2026-01-01,\"1,2,3.4\",EUR\n",
     (), '("1,2,3.4")'),
    ("d.csv", "id,date,amount,currency\nX-1,2026-01-01,1.234,KWD\n",
     (), 'a point before three digits in KWD may be a decimal or a '
     'thousands separator; --decimal-point reads it as 1.234 KWD'),
    ("e.csv", "id,date,amount,currency\nX-1,2026-01-01,1.234,EUR\n",
     (), 'EUR has 2 decimal places (ISO 4217), this has 3'),
    ("f.csv", "id,date,amount,currency\nX-1,2026-01-01,\"12,34\",USD\n",
     ("--decimal-point", "--thousands-sep", ","),
     'thousands separators must stand between groups of three digits'),
    ("g.csv", "id,date,amount,amount_minor,currency\n"
     "X-1,2026-01-01,1.00,100,EUR\n", (),
     'columns 3 (amount) and 4 (amount_minor) both set amount_minor'),
    ("h.csv", "id,date,amount,currency,Amount\nX-1,2026-01-01,1,EUR,2\n",
     (), 'both set amount_minor'),
    ("i.csv", "id;date,amount\nX-1;2026-01-01,1\n", (),
     "the header holds both ',' and ';'"),
    ("j.csv", "id,date,amount,currency\nX-1,2026-01-01,12.50,EUX\n", (),
     'currency: not an ISO 4217 currency code (EUR, USD, JPY, ...) '
     '("EUX")'),
    ("k.csv", "id,date,amount,currency\nX-1,2026-01-01,\u20ac 12.50,EUR\n",
     (), 'U+20AC is no digit, sign or separator (a currency symbol'),
    ("l.csv", "id,date,amount,currency\nX-1,2026-01-01,12.50-,EUR\n", (),
     'a minus sign after the number (as SAP writes negative amounts) is '
     'read only with --negative trailing'),
    ("m.json", '{"type": "payment", "id": "X-1", "amount": "12.50"}', (),
     'amount: JSON input takes amount_minor, an integer in minor units'),
    ("n.json", '{"type": "payment", "id": "X-1", "date": "2026-01-01", '
     '"amount_minor": 12.5, "currency": "EUR"}', (),
     'no fractions: amounts are integers in minor units'),
    ("o.jsonl", json.dumps(pay("X-1", "2026-01-01", 1, "EUR",
                               org("DE-HRB", "A", "A"), "x")) + "\n" +
     json.dumps(pay("X-1", "2026-01-01", 1, "EUR",
                    org("DE-HRB", "A", "A"), "x")) + "\n", (),
     ':2), the same record: take one of them out'),
    # a natural person's row pasted twice: the same record too (each
    # occurrence is committed to under its own salt)
    ("o2.jsonl", 2 * (json.dumps(pay(
        "X-1", "2026-01-01", 1, "EUR", {"kind": "individual",
                                        "name": "Anna Nowak"}, "x")) + "\n"),
     (), ':2), the same record: take one of them out'),
    ("o3.jsonl", "".join(json.dumps(pay(
        "X-1", "2026-01-01", 1, "EUR", {"kind": "individual", "name": nm},
        "x")) + "\n" for nm in ("Anna Nowak", "Jan Nowak")), (),
     ':2): if they are two records'),
    # a company's name with no register number: it would be logged as a
    # natural person's commitment, hidden
    ("o4.csv", "id,date,amount,currency,payee.name,description\n"
     "X-1,2026-01-01,1.00,EUR,Stadtwerke Musterstadt GmbH,Strom\n", (),
     'payee.name: reads as a company\'s name (GmbH), and the row has no '
     'payee.id: it would be logged as a natural person'),
    ("p.csv", "StatusCurrentMapped,PermitNum\nIn Review,BP-1\n", (),
     'not a decision: the permit is still in process'),
    ("q.csv", "id,date,amount,currency\nX-1,2026-01-01,12.50,EUR\n",
     ("--decimal-comma",), 'a point is not a separator here'),
    ("y.csv", "id,date,amount,currency\nX-1,2026-01-01,1234.0,JPY\n", (),
     'JPY has 0 decimal places (ISO 4217), this has 1 (only zeros: give '
     'the column a number format of that many decimal places'),
    ("s.csv", "StatusCurrent,PermitNum\nApproved,BP-1\n", (),
     'not a known decision (issued, finaled, cancelled, denied'),
    ("sr.csv", "StatusCurrent,PermitNum\nIn Review,BP-1\n", (),
     'StatusCurrent: not a decision: the permit is still in process'),
    # spreadsheet exports as they come: German dates undeclared, an error
    # value, a SIRET cut by scientific notation, a self-employed person's
    # NIF, a person under a scheme for every row
    ("da.csv", "id,date,amount,currency\nX-1,31.01.2026,1.00,EUR\n", (),
     'date: want a calendar date YYYY-MM-DD; --date-format DD.MM.YYYY '
     'reads it as 2026-01-31 ("31.01.2026")'),
    ("er.csv", "id,payee.name\nX-1,#REF!\n", (),
     "payee.name: a spreadsheet's error value"),
    ("sc.csv", "id,payee.id\nX-1,\"4,43062E+13\"\n", (),
     'payee.id: a number in scientific notation: the spreadsheet cut its '
     'digits'),
    ("nif.csv", "id,payee.scheme,payee.id,payee.name\n"
     "X-1,ES-NIF,12345678Z,Ana Ruiz\n", (),
     'payee.id: the number of a natural person (a Spanish person\'s NIF, a '
     'DNI or NIE: a self-employed person?)'),
    ("dt.json", json.dumps(pay("X-1", "2026-01-05T14:30:00", 1, "EUR",
                               org("DE-HRB", "A", "A"), "x")),
     (), 'date: want a calendar date YYYY-MM-DD: a date-time\'s date is its '
     'first ten characters (2026-01-05)'),
    ("zw.json", json.dumps(pay("X-1", "2026-01-05", 1, "EUR", {
        "kind": "individual", "name": "Max Beispiel\u200b"}, "x")), (),
     "payee.name: an invisible character, U+200B, at byte 12"),
    ("de.csv", "PermitNum,StatusCurrent,StatusDate\nBP-1,Genehmigt,"
     "2026-02-01\n", (), 'not a known decision (issued, finaled, '
     'cancelled, denied, expired, revoked, suspended, reinstated, '
     'withdrawn, appeal_decided); an office\'s own word goes in the map '
     'as: decision: WORD => issued (or another of these) ("Genehmigt")'),
    ("dm.csv", "PermitNum,StatusCurrent,StatusDate\nBP-1,Vertagt,"
     "2026-02-01\n", ("--map", "decision: Genehmigt => issued"),
     'not a known decision'),
    ("mon.csv", "id,date\nX-1,05-Mar-2026\n", (),
     "a month's name (05-Mar-2026): give the column a date format of "
     "numbers"),
    ("ser.csv", "id,date\nX-1,46086\n", (),
     "a spreadsheet's day number (days since 1900)"),
    ("bud.csv", "id,budget.economic\nX-1,Repairs & Maintenance\n", (),
     "a budget field holds a code of the office's classification"),
    ("coh.csv", "id,payee.scheme,payee.id,payee.name\n"
     "X-1,GB-COH,1234567,Expert Roads Ltd\n", (),
     "payee.id: a GB-COH number has 8 characters"),
    ("ssn.csv", "id,payee.scheme,payee.id,payee.name\n"
     "X-1,US-EIN,321-54-9876,John Q. Public\n", (),
     'payee.id: the number of a natural person'),
    ("kvk.csv", "id,payee.scheme,payee.id,payee.name\n"
     "X-1,NL-KVK,1234567,Acme\n", (),
     'payee.id: a NL-KVK number has 8 digits (01234567): leading zeros '
     'lost in a column of numbers? format it as Text'),
    ("ps.csv", "id,payee.id,payee.name\nX-1,,Ana Ruiz\n",
     ("--map", "payee.scheme:=FR-SIRET"), 'payee.id: missing required '
     'field (a natural person has none: give the row payee.kind '
     "individual, its scheme cell empty; a map's scheme constant is left "
     'out of such a row)'),
    # a register number as people write it, and a Greek document number:
    # each refused, with the form that would be taken
    ("hrb.csv", "id,payee.scheme,payee.id,payee.name\n"
     "X-1,DE-CR,HRB 4711,Muster GmbH\n", (),
     'payee.id: want 1..128 bytes of printable ASCII without spaces '
     '(without its spaces: HRB4711? write it so in the file) ("HRB 4711")'),
    ("gr.csv", "id,date\n\u0394\u0391-2026-001,2026-01-01\n", (),
     'id: want 1..128 bytes of printable ASCII without spaces (in Latin '
     'letters: DA-2026-001? write it so in the file, the same way in every '
     'file: an id finds its record again)'),
    ("ru.csv", "id,date\n\u0417\u0430\u043a\u0430\u0437 7,2026-01-01\n",
     (), '(in Latin letters: Zakaz7?'),
]


def test_sap_and_accounting_negatives():
    """An SAP export writes negative amounts with the minus after them, an
    accounting format in parentheses: refused until --negative says so,
    then logged negative, byte for byte; a Swiss whole amount's dash for
    the cents is never read as a minus; the Excel padding of no-break
    spaces is trimmed."""
    o = Office()
    try:
        payer = org("AT-GKZ", "30101", "Magistrat")
        sap = o.write("fbl1n.csv", (
            "id;date;amount;currency;payer.scheme;payer.id;payer.name;"
            "payee.scheme;payee.id;payee.name;description\n"
            "5100000123;2026-03-02;1.234,56-;EUR;AT-GKZ;30101;Magistrat;"
            "AT-FB;FN123456a;Bau GmbH;Gutschrift\n"
            "5100000124;2026-03-02;\u00a0987,00\u00a0;EUR;AT-GKZ;30101;"
            "Magistrat;AT-FB;FN123456a;Bau GmbH;Rechnung\n"))
        p = o.submit("--decimal-comma", "--thousands-sep", ".", sap, check=1)
        err = p.stderr.decode()
        assert "fbl1n.csv:2:3: amount: a minus sign after the number (as " \
            "SAP writes negative amounts) is read only with --negative " \
            'trailing ("1.234,56-")' in err, err
        assert o.size() == 0
        p = o.submit("--decimal-comma", "--thousands-sep", ".",
                     "--negative", "trailing", sap, check=0)
        logged = logged_bytes(o)
        for rid, minor, desc in (("5100000123", -123456, "Gutschrift"),
                                 ("5100000124", 98700, "Rechnung")):
            want = pay(rid, "2026-03-02", minor, "EUR",
                       org("AT-FB", "FN123456a", "Bau GmbH"), desc, payer)
            assert logged[rid] == ptlib.packb(want), rid
        acct = o.write("acct.csv", (
            "id,date,amount,currency,payer.scheme,payer.id,payer.name,"
            "payee.scheme,payee.id,payee.name,description\n"
            'R-1,2026-03-03,"(1,234.56)",USD,US-EIN,12-3456789,County,'
            "US-EIN,98-7654321,Acme Inc.,Refund\n"))
        o.submit("--thousands-sep", ",", acct, check=1)
        o.submit("--thousands-sep", ",", "--negative", "parentheses", acct,
                 check=0)
        want = pay("R-1", "2026-03-03", -123456, "USD",
                   org("US-EIN", "98-7654321", "Acme Inc."), "Refund",
                   org("US-EIN", "12-3456789", "County"))
        assert logged_bytes(o)["R-1"] == ptlib.packb(want)
        # a Swiss whole amount: never negative, whatever --negative says
        ch = o.write("ch.csv", (
            "id;date;amount;currency;payer.scheme;payer.id;payer.name;"
            "payee.scheme;payee.id;payee.name;description\n"
            "CH-1;2026-03-04;1'234.-;CHF;CH-UID;CHE-123.456.789;Gemeinde;"
            "CH-UID;CHE-987.654.321;Muster AG;Miete\n"))
        p = o.submit("--thousands-sep", "'", "--negative", "trailing", ch,
                     check=1)
        assert "a dash for the cents (a whole amount) is not read" in \
            p.stderr.decode(), p.stderr
        assert o.size() == 3
    finally:
        o.close()


def test_a_refused_id_says_what_differs():
    """A 409 names the fields that differ: a document number used again
    for another payment is told to get an id of its own; a person's
    record sent with another disclosures file (its salt not there) is
    told that, not to correct anything.  Dry run and real run alike."""
    o = Office()
    try:
        payer = org("AT-GKZ", "30101", "Magistrat")
        r1 = pay("5100000123", "2026-03-02", 123456, "EUR",
                 org("AT-FB", "FN123456a", "Bau GmbH"), "Rechnung", payer)
        r2 = pay("P-1", "2026-03-02", 5000, "EUR",
                 {"kind": "individual", "name": "Anna Nowak"}, "Zuschuss",
                 payer)
        idx = ids_out(o.submit(o.write("a.jsonl", json.dumps(r1) + "\n" +
                                       json.dumps(r2) + "\n"), check=0))
        again = o.write("b.jsonl", json.dumps(dict(
            r1, date="2027-01-05", amount_minor=99900,
            payee=org("AT-FB", "FN654321b", "Andere GmbH"))) + "\n")
        want = ("the log holds this id at index %d for other content ("
                "amount: 1234.56 EUR -> 999.00 EUR; date: 2026-03-02 -> "
                "2027-01-05; payee.id: FN123456a -> FN654321b; payee.name: "
                "Bau GmbH -> Andere GmbH): if this row is another record (an "
                "id used again, as document numbers that restart each "
                "year), give it an id of its own" % idx["5100000123"])
        p = o.submit("--dry-run", again, check=1)
        assert "b.jsonl:1: id: " + want in p.stderr.decode(), p.stderr
        p = o.submit(again, check=5)
        err = p.stderr.decode()
        assert "b.jsonl:1: log: POST /add: the log answered 409: " + want \
            in err, err
        assert "pubtrail correct --amend 5100000123 --with %s --reason " \
            "TEXT" % again in err, err
        # the whole command, with this run's options, is printed once:
        # run as it is printed, it amends the record
        cmd = [ln for ln in err.splitlines()
               if ln.startswith("  pubtrail correct ")]
        assert len(cmd) == 1, err
        import shlex
        argv = shlex.split(cmd[0])
        assert argv[-1] == "WHY" and "--log" in argv and "--key" in argv, argv
        run(*argv[1:-1], "Nachbuchung", cwd=o.dir, check=0)
        assert o.records()[-1]["replacement"]["amount_minor"] == 99900
        assert o.size() == 3
        # a CSV read with --type and a decimal comma: the command carries
        # them, and correct takes them
        head = "id;date;amount;currency;payer.scheme;payer.id;payer.name;" \
            "payee.scheme;payee.id;payee.name;description\n"
        row = "T-1;2026-03-02;%s;EUR;AT-GKZ;30101;Magistrat;AT-FB;FN1a;" \
            "X GmbH;a\n"
        o.submit("--type", "payment", "--decimal-comma",
                 o.write("t1.csv", head + row % "10,00"), check=0)
        p = o.submit("--type", "payment", "--decimal-comma",
                     o.write("t2.csv", head + row % "11,00"), check=5)
        cmd = [ln for ln in p.stderr.decode().splitlines()
               if ln.startswith("  pubtrail correct ")]
        argv = shlex.split(cmd[0])
        assert "--type" in argv and "--decimal-comma" in argv, argv
        run(*argv[1:-1], "Betrag", cwd=o.dir, check=0)
        assert o.records()[-1]["replacement"]["amount_minor"] == 1100
        other = os.path.join(o.dir, "laptop")
        os.makedirs(other, mode=0o700)
        person = o.write("c.jsonl", json.dumps(r2) + "\n")
        for args, rc in ((["--dry-run"], 1), ([], 5)):
            p = o.submit(*args, "--disclosures",
                         os.path.join(other, "d.jsonl"), person, check=rc)
            err = p.stderr.decode()
            assert "the log holds this record at index %d, a natural " \
                "person's name in it (payee) committed under another " \
                "salt: the disclosures file %s/d.jsonl lacks the salt the " \
                "log's record was made with" % (idx["P-1"], other) in \
                err and "nothing to correct" in err, err
            assert "pubtrail correct" not in err, err
        assert o.size() == 5
    finally:
        o.close()


def test_sap_ids_made_of_year_and_document_number():
    """SAP numbers its documents anew each fiscal year: with the document
    number alone as id, the two years' payments are one id twice (refused
    before anything is sent); a map constant made of both columns gives
    each an id of its own, logged byte for byte."""
    o = Office()
    try:
        payer = org("AT-GKZ", "30101", "Magistrat")
        sap = o.write("fbl1n.csv", (
            "Gesch\u00e4ftsjahr;Belegnummer;Buchungsdatum;Betrag;"
            "Firmenbuch;Lieferant;Text\n"
            "2026;5100000123;2026-12-30;1.234,56;FN123456a;Bau GmbH;"
            "Rechnung\n"
            "2027;5100000123;2027-01-04;99,00;FN123456a;Bau GmbH;"
            "Rechnung\n"))
        common = ("Buchungsdatum = date\nBetrag = amount\n"
                  "Firmenbuch = payee.id\nLieferant = payee.name\n"
                  "Text = description\ncurrency := EUR\n"
                  "payee.scheme := AT-FB\npayer.scheme := AT-GKZ\n"
                  "payer.id := 30101\npayer.name := Magistrat\n")
        alone = o.write("alone.map", common + "Belegnummer = id\n"
                        "Gesch\u00e4ftsjahr = -\n")
        p = o.submit("--map", alone, "--decimal-comma", "--thousands-sep",
                     ".", sap, check=1)
        assert "fbl1n.csv:3: id: the same id is used again in the input " \
            "(also at %s:2): if they are two records (document " \
            "numbers that restart each year), give each an id of its own " \
            "(a CSV's map can make one of two columns: id := {Jahr}-" \
            "{Belegnummer})" % sap in p.stderr.decode(), p.stderr
        assert o.size() == 0
        both = o.write("fbl1n.map", common + "id := {Gesch\u00e4ftsjahr}-"
                       "{Belegnummer}\n")
        idx = ids_out(o.submit("--map", both, "--decimal-comma",
                               "--thousands-sep", ".", sap, check=0))
        assert sorted(idx) == ["2026-5100000123", "2027-5100000123"], idx
        logged = logged_bytes(o)
        for rid, date, minor in (("2026-5100000123", "2026-12-30", 123456),
                                 ("2027-5100000123", "2027-01-04", 9900)):
            want = pay(rid, date, minor, "EUR",
                       org("AT-FB", "FN123456a", "Bau GmbH"), "Rechnung",
                       payer)
            assert logged[rid] == ptlib.packb(want), rid
        # a row without its document number: refused at that cell
        gap = o.write("gap.csv", (
            "Gesch\u00e4ftsjahr;Belegnummer;Buchungsdatum;Betrag;"
            "Firmenbuch;Lieferant;Text\n"
            "2027;;2027-01-05;5,00;FN123456a;Bau GmbH;Rechnung\n"))
        p = o.submit("--map", both, "--decimal-comma", gap, check=1)
        assert 'gap.csv:2:2: id: column "Belegnummer" is empty, and the ' \
            "map makes id of it" in p.stderr.decode(), p.stderr
        assert o.size() == 2
    finally:
        o.close()


def test_ambiguous_and_contradictory_inputs_are_refused():
    o = Office()
    try:
        for name, text, extra, want in REFUSED:
            f = o.write(name, text)
            p = o.submit(*extra, f, check=1)
            err = p.stderr.decode()
            assert want in err, (name, err)
            # one line per problem, FILE:LINE[:COL]: FIELD: PROBLEM
            first = err.splitlines()[0]
            assert re.match(r"^%s:\d+(:\d+)?: [^:]+: " % re.escape(f),
                            first), first
            assert "nothing sent" in err, err
            assert o.size() == 0, name
        # contradictory options are usage errors
        f = o.write("ok.csv", "id,amount\n")
        for extra in (("--decimal-comma", "--decimal-point"),
                      ("--decimal-comma", "--thousands-sep", ","),
                      ("--thousands-sep", "."),
                      ("--thousands-sep", "x"),
                      ("--delimiter", "|")):
            o.submit(*extra, f, check=2)
        assert o.size() == 0
    finally:
        o.close()


def rows_csv(n, bad_at=None):
    lines = ["id;date;amount;currency;payer.scheme;payer.id;payer.name;"
             "payee.scheme;payee.id;payee.name;description"]
    for i in range(1, n + 1):
        amount = "1234,56" if i != bad_at else "1.234,5,6"
        lines.append("R-%d;2026-04-01;%s;EUR;DE-HRB;F1;Kasse;DE-HRB;A%d;"
                     "Firma %d;Rechnung %d" % (i, amount, i, i, i))
    return "\r\n".join(lines) + "\r\n"


def test_all_or_nothing_and_keep_going_exact_counts():
    o = Office()
    try:
        f = o.write("nine.csv", rows_csv(9, bad_at=5))
        p = o.submit("--decimal-comma", f, check=1)
        err = p.stderr.decode().splitlines()
        # exactly one problem line, at the bad row (line 6, column 3)
        assert err[0].startswith(f + ':6:3: amount: ') and \
            err[0].endswith('("1.234,5,6")'), err
        assert err[1] == ("pubtrail: nothing sent: 1 of 9 records invalid "
                          "(1 problem above); --keep-going sends the valid "
                          "ones"), err
        assert len(err) == 2, err
        assert p.stdout == b""
        assert o.size() == 0
        assert not os.path.exists(os.path.join(o.dir, "receipts"))
        # --keep-going: the 8 valid rows, the bad one listed
        p = o.submit("--decimal-comma", "--keep-going", f, check=1)
        got = ids_out(p)
        assert sorted(got) == sorted("R-%d" % i for i in range(1, 10)
                                     if i != 5), got
        assert sorted(got.values()) == list(range(o.d.base, o.d.base + 8))
        err = p.stderr.decode().splitlines()
        assert err[0].startswith(f + ":6:3: amount: "), err
        assert err[-1] == ("pubtrail: 8 records logged (receipts in "
                           "receipts/), 1 invalid (not sent)"), err
        assert o.size() == 8
        assert len(os.listdir(os.path.join(o.dir, "receipts"))) == 8
        # JSON Lines with a syntax error in the middle, and a JSON array
        # with one bad element: every error found, nothing sent, counts
        # exact; keep-going sends the others
        recs = [pay("J-%d" % i, "2026-04-02", 100 + i, "EUR",
                    org("DE-HRB", "B", "B"), "json %d" % i) for i in range(7)]
        lines = [json.dumps(r) for r in recs]
        lines[3] = lines[3][:-1]          # a broken line
        jl = o.write("seven.jsonl", "\n".join(lines) + "\n")
        arr = [dict(r, id="K-%d" % i) for i, r in enumerate(recs)]
        arr[2]["date"] = "2026-02-30"
        arr[5]["currency"] = "eur"
        ja = o.write("seven.json", json.dumps(arr, indent=1))
        p = o.submit(jl, ja, check=1)
        err = p.stderr.decode().splitlines()
        assert err[0].startswith(jl + ":4:") and ": json: " in err[0], err
        assert any(e.startswith(ja + ":") and ": date: want a calendar "
                   "date" in e and e.endswith('("2026-02-30")')
                   for e in err), err
        assert any(": currency: " in e and e.endswith('("eur")')
                   for e in err), err
        assert err[-1] == ("pubtrail: nothing sent: 3 of 14 records invalid "
                           "(3 problems above); --keep-going sends the "
                           "valid ones"), err
        assert o.size() == 8
        p = o.submit("--keep-going", jl, ja, check=1)
        assert len(ids_out(p)) == 11
        assert p.stderr.decode().splitlines()[-1] == (
            "pubtrail: 11 records logged (receipts in receipts/), 3 invalid "
            "(not sent)"), p.stderr
        assert o.size() == 19
    finally:
        o.close()


def test_dry_run_is_offline_and_writes_nothing():
    o = Office()
    try:
        person = pay("D-1", "2026-05-01", 500, "EUR",
                     {"kind": "individual", "name": "Erika Mustermann"},
                     "Zuschuss")
        f = o.write("d.json", json.dumps([person, pay(
            "D-2", "2026-05-01", 700, "EUR", org("DE-HRB", "C", "C"), "x")]))
        before = sorted(os.listdir(o.dir))
        # no --log, no --log-key, no --key: reads and checks only
        p = run("submit", "--dry-run", f, cwd=o.dir, check=0)
        assert p.stdout.decode().splitlines() == [
            "D-1 %s valid (amount 5.00 EUR)" % ARROW,
            "D-2 %s valid (amount 7.00 EUR)" % ARROW], p.stdout
        assert "nothing was sent or written" in p.stderr.decode()
        # --json: each record as it would be logged; a natural person's
        # name only as its commitment
        p = run("submit", "--dry-run", "--json", f, cwd=o.dir, check=0)
        j = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
        assert [r["record"]["amount_minor"] for r in j] == [500, 700], j
        assert b"Erika" not in p.stdout and "commitment" in \
            j[0]["record"]["payee"], j[0]
        p = run("submit", "--dry-run", "--key", o.key, f, cwd=o.dir, check=0)
        assert sorted(os.listdir(o.dir)) == before    # no disclosures file
        assert o.size() == 0
        # every problem of a record at once, not one per round of fixing
        bp = o.write("bp.json", json.dumps({
            "type": "permit_decision", "id": "BP-9", "permit_num": "BP-9",
            "jurisdiction": org("DE-GV", "1", "Stadt"),
            "decision": "issued", "decision_date": "2026-13-01",
            "description": "x"}))
        p = run("submit", "--dry-run", bp, cwd=o.dir, check=1)
        err = p.stderr.decode()
        assert err.splitlines()[:3] == [
            '%s:1: decision_date: want a calendar date YYYY-MM-DD '
            '("2026-13-01")' % bp,
            "%s:1: address: missing required field" % bp,
            "%s:1: permit_type: missing required field" % bp], err
        assert "1 invalid (3 problems above)" in err, err
        # a CSV row with an unreadable cell: the rest of the row is checked
        # in the same run (its date, an empty required cell), and nothing
        # is said twice or made up about the unreadable cell's field
        # (amount_minor) or what follows from it (currency, id, decision)
        cr = o.write("cr.csv", "id,date,amount,currency,payer.scheme,"
                     "payer.id,payer.name,payee.scheme,payee.id,payee.name,"
                     "description\nC-1,2026-13-01,\"12,50\",EUR,DE-HRB,F,"
                     "F,DE-HRB,P,,x\n")
        p = run("submit", "--dry-run", cr, cwd=o.dir, check=1)
        err = p.stderr.decode()
        assert err.splitlines()[:3] == [
            '%s:2:3: amount: a comma may be a decimal or a thousands '
            'separator; --decimal-comma reads it as 12.50 EUR ("12,50")' % cr,
            '%s:2:2: date: want a calendar date YYYY-MM-DD ("2026-13-01")'
            % cr,
            '%s:2:10: payee.name: missing required field ("")' % cr], err
        assert "1 invalid (3 problems above)" in err, err
        pr = o.write("pr.csv", "StatusCurrentMapped,PermitNum,StatusDate,"
                     "Description,OriginalAddress1,OriginalCity,"
                     "OriginalState,OriginalZip,Jurisdiction,"
                     "jurisdiction.scheme,jurisdiction.id,PermitType\n"
                     "In Review,BP-1,2026-02-31,x,1 Main,Springfield,IL,"
                     "62701,City,US-EIN,100000001,Building\n")
        p = run("submit", "--dry-run", pr, cwd=o.dir, check=1)
        err = p.stderr.decode()
        assert err.splitlines()[:2] == [
            '%s:2:1: StatusCurrentMapped: not a decision: the permit is '
            'still in process (only decisions are logged) ("In Review")' % pr,
            '%s:2:3: StatusDate: want a calendar date YYYY-MM-DD '
            '("2026-02-31")' % pr], err
        assert "1 invalid (2 problems above)" in err, err
        # fields no column sets that the row lacks are its own problems,
        # also beside an unreadable cell (not so a permit's made id)
        nd = o.write("nd.csv", "PermitNum,StatusCurrentMapped,Description,"
                     "OriginalAddress1,OriginalCity,PermitType,Fee\n"
                     "BP-1,Permit Issued,x,1 Main,Springfield,Building,"
                     "\"1,5\"\n")
        p = run("submit", "--dry-run", "--currency", "USD", nd, cwd=o.dir,
                check=1)
        err = p.stderr.decode()
        assert err.splitlines()[:3] == [
            '%s:2:7: Fee: a comma may be a decimal or a thousands separator;'
            ' --decimal-comma reads it as 1.50 USD ("1,5")' % nd,
            "%s:2: decision_date: missing required field" % nd,
            "%s:2: jurisdiction: missing required field" % nd], err
        assert "(3 problems above)" in err, err
        # a JSON amount in major units: how it goes in minor units of its
        # own currency, said once
        kw = o.write("kw.jsonl", json.dumps(dict(pay(
            "K-1", "2026-05-01", 1, "KWD", org("DE-HRB", "C", "C"), "x"),
            amount_minor=None, amount=1234.5)).replace(
            '"amount_minor": null, ', ""))
        p = run("submit", "--dry-run", kw, cwd=o.dir, check=1)
        err = p.stderr.decode()
        assert err.splitlines()[0] == (
            "%s:1: amount: JSON input takes amount_minor, an integer in "
            "minor units (1234.5 KWD is 1234500) (1234.5)" % kw), err
        assert "(1 problem above)" in err, err
        p = run("submit", "--dry-run", "--json", kw, cwd=o.dir, check=1)
        j = json.loads(p.stdout.decode().splitlines()[0])
        assert j["error"] == "invalid" and j["field"] == "amount" and \
            j["where"] == "%s:1" % kw, j
        # a .tsv file is tab-separated by its name, though a header cell
        # holds a comma (the same text as .csv: refused, not guessed)
        tsv = "id\tdate\tBetrag (EUR, brutto)\tcurrency\n" \
            "T-9\t2026-01-01\t12.50\tEUR\n"
        hm = o.write("h.map", "Betrag (EUR, brutto) = amount\n")
        p = run("submit", "--dry-run", "--map", hm, o.write("h.tsv", tsv),
                cwd=o.dir, check=1)
        assert b"holds both" not in p.stderr and \
            b"payer: missing required field" in p.stderr, p.stderr
        p = run("submit", "--dry-run", "--map", hm, o.write("h.csv", tsv),
                cwd=o.dir, check=1)
        assert b"the header holds both ',' and tab" in p.stderr, p.stderr
        # a Windows file: CR LF in a quoted cell is the line break it means;
        # a row cut inside a quote counts as an invalid record
        cr = o.write("crlf.csv", "id,date,amount,currency,payer.scheme,"
                     "payer.id,payer.name,payee.scheme,payee.id,payee.name,"
                     "description\r\nC-1,2026-05-01,1,EUR,DE-HRB,F,F,DE-HRB,"
                     "P,P,\"Multi\r\nline\"\r\nC-2,2026-05-01,1,EUR,DE-HRB,"
                     "F,F,DE-HRB,P,P,\"open\r\n")
        p = run("submit", "--dry-run", "--json", cr, cwd=o.dir, check=1)
        recs = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
        assert [r["record"]["description"] for r in recs if "record" in r] \
            == ["Multi\nline"], recs
        assert "1 record valid, 1 invalid (1 problem above)" in \
            p.stderr.decode(), p.stderr
        # an empty file: nothing to send, said so
        p = o.submit(o.write("empty.jsonl", ""), check=0)
        assert b"no records in the input: nothing sent" in p.stderr, p.stderr
        # an id used twice is found by the dry run too
        g = o.write("twice.csv", "id,date,amount,currency,payer.scheme,"
                    "payer.id,payer.name,payee.scheme,payee.id,payee.name,"
                    "description\nT-1,2026-05-01,1,EUR,DE-HRB,F,F,DE-HRB,"
                    "P,P,x\nT-1,2026-05-01,2,EUR,DE-HRB,F,F,DE-HRB,P,P,y\n")
        p = run("submit", "--dry-run", g, cwd=o.dir, check=1)
        assert "twice.csv:2: id: the same id is used again in the input " \
            "(also at %s:3): if they are two records" % g in \
            p.stderr.decode(), p.stderr
        # with --log: which ids are in the log already
        o.submit(f, check=0)
        assert o.size() == 2
        changed = o.write("d2.json", json.dumps([person, pay(
            "D-2", "2026-05-01", 701, "EUR", org("DE-HRB", "C", "C"), "x"),
            pay("D-3", "2026-05-01", 9, "EUR", org("DE-HRB", "C", "C"),
                "new")]))
        p = o.submit("--dry-run", changed, check=1)
        out = p.stdout.decode().splitlines()
        B = o.d.base
        assert out[0] in ["D-1 %s %d (already logged; amount 5.00 EUR)" %
                          (ARROW, i) for i in (B, B + 1)], out
        assert out[-1] == "D-3 %s valid (amount 0.09 EUR)" % ARROW, out
        err = p.stderr.decode()
        assert "id: the log holds this id at index" in err and \
            "for other content (amount: 7.00 EUR -> 7.01 EUR): if this row " \
            "is another record" in err and '("D-2")' in err, err
        # new ids: whether the log has the route is asked once, not for
        # each id not found (each such ask is a refusal in the log's log)
        many = o.write("many.json", json.dumps([pay(
            "N-%d" % i, "2026-05-01", 9, "EUR", org("DE-HRB", "C", "C"),
            "new") for i in range(5)]))
        with open(o.d.logpath, "rb") as lf:
            before = lf.read().count(b"refused GET /lookup")
        o.submit("--dry-run", many, check=0)
        with open(o.d.logpath, "rb") as lf:
            after = lf.read().count(b"refused GET /lookup")
        assert after - before <= 1, (before, after)
        assert o.size() == 2
    finally:
        o.close()


def test_receipts_by_default_progress_and_consistency():
    o = Office()
    try:
        f = o.write("r.csv", rows_csv(40))
        # stderr on a terminal: a progress bar with rate and ETA
        mfd, sfd = pty.openpty()
        p = subprocess.Popen([PT, "submit", *o.L, "--key", o.key,
                              "--decimal-comma", f], cwd=o.dir,
                             stdout=subprocess.PIPE, stderr=sfd)
        os.close(sfd)
        term = b""
        while True:
            try:
                chunk = os.read(mfd, 4096)
            except OSError:
                break
            if not chunk:
                break
            term += chunk
        assert p.wait(timeout=120) == 0
        out = p.stdout.read().decode().splitlines()
        os.close(mfd)
        # one line per record, in the file's order; the indexes are the
        # 40 after the grants, in whatever order the log took them (a
        # batch answered 503 busy is sent again, after later ones)
        assert len(out) == 40, out
        got = [ln.split(" %s " % ARROW) for ln in out]
        assert [g[0] for g in got] == ["R-%d" % i for i in range(1, 41)], out
        assert sorted(int(g[1]) for g in got) == \
            list(range(o.d.base, o.d.base + 40)), out
        assert b"/s" in term and b"40/40" in term and b"100%" in term, term
        rdir = os.path.join(o.dir, "receipts")
        assert sorted(os.listdir(rdir)) == sorted(
            "R-%d.receipt" % i for i in range(1, 41))
        name, pub = o.d.logkey()
        for i in range(1, 41):
            rp = os.path.join(rdir, "R-%d.receipt" % i)
            # made whole (an unnamed file linked at its name), mode 0644
            assert stat.S_IMODE(os.stat(rp).st_mode) == 0o644, rp
            blob = open(rp, "rb").read()
            ptlib.verify_receipt(blob, name, pub, o.d.origin)
        # --no-receipts keeps none; --receipts DIR puts them there
        g = o.write("s.csv", rows_csv(3).replace("R-", "S-"))
        o.submit("--decimal-comma", "--no-receipts", g, check=0)
        assert len(os.listdir(rdir)) == 40
        h = o.write("t.csv", rows_csv(2).replace("R-", "T-"))
        o.submit("--decimal-comma", "--receipts", "elsewhere", h, check=0)
        assert sorted(os.listdir(os.path.join(o.dir, "elsewhere"))) == [
            "T-1.receipt", "T-2.receipt"]
        # a receipts directory anyone may write to is refused
        os.makedirs(os.path.join(o.dir, "open"))
        os.chmod(os.path.join(o.dir, "open"), 0o777)
        p = o.submit("--decimal-comma", "--receipts", "open",
                     o.write("u.csv", rows_csv(1).replace("R-", "U-")))
        assert p.returncode == 6 and b"anyone may write" in p.stderr, p.stderr
        assert b"chmod o-w" in p.stderr and b"output error" not in p.stderr
        # so is one with the sticky bit, as /tmp
        os.chmod(os.path.join(o.dir, "open"), 0o1777)
        p = o.submit("--decimal-comma", "--receipts", "open",
                     o.write("u.csv", rows_csv(1).replace("R-", "U-")))
        assert p.returncode == 6 and b"(mode 1777)" in p.stderr, p.stderr
        assert os.listdir(os.path.join(o.dir, "open")) == []
    finally:
        o.close()


def test_receipts_on_a_full_disk_then_resume():
    """Receipts are written on a thread of their own: one that cannot be
    written (a real full file system: a tmpfs of 8 inodes) is the record's
    failure, counted exactly, while the record itself is logged; a second
    run with room answers every record from the log, never twice."""
    o = Office()
    mnt = ptlib.tmpdir("pt-rfull-")
    subprocess.check_call(["mount", "-t", "tmpfs", "-o",
                           "size=1m,nr_inodes=8,mode=0755", "tmpfs", mnt])
    try:
        f = o.write("r.csv", rows_csv(20).replace("R-", "F-"))
        p = o.submit("--decimal-comma", "--json", "--receipts", mnt, f)
        err = p.stderr.decode()
        assert p.returncode == 6, (p.returncode, err)   # a local file
        saved = [n for n in os.listdir(mnt) if n.endswith(".receipt")]
        assert 0 < len(saved) < 20, saved
        assert "No space left on device" in err, err
        # every record is logged; those without a receipt are told so,
        # with their index, not as refused
        assert "20 records logged" in err and \
            "%d of them without a saved receipt" % (20 - len(saved)) in \
            err and "refused" not in err, err
        j = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
        assert len(j) == 20 and all("index" in r for r in j), j
        assert sorted(r["id"] + ".receipt" for r in j if "error" not in r) \
            == sorted(saved), j
        assert {r.get("error") for r in j} == {None, "receipt_not_saved"}, j
        assert o.size() == 20
        # as text: a logged record whose receipt was not saved says so
        mnt2 = ptlib.tmpdir("pt-rfull2-")
        subprocess.check_call(["mount", "-t", "tmpfs", "-o",
                               "size=1m,nr_inodes=8,mode=0755", "tmpfs",
                               mnt2])
        try:
            h = o.write("h.csv", rows_csv(20).replace("R-", "H-"))
            p = o.submit("--decimal-comma", "--receipts", mnt2, h, check=6)
        finally:
            subprocess.call(["umount", mnt2])
        out = p.stdout.decode().splitlines()
        bare = [ln for ln in out if not ln.endswith(" (receipt not saved)")]
        assert len(out) == 20 and 0 < len(bare) < 20, out
        assert o.size() == 40
        p = o.submit("--decimal-comma", "--receipts", "room", f, check=0)
        assert sorted(os.listdir(os.path.join(o.dir, "room"))) == sorted(
            "F-%d.receipt" % i for i in range(1, 21))
        assert o.size() == 40
        # a receipts directory that cannot be written: found before
        # anything is sent
        subprocess.check_call(["mount", "-o", "remount,ro", mnt])
        g = o.write("g.csv", rows_csv(3).replace("R-", "G-"))
        p = o.submit("--decimal-comma", "--receipts", mnt, g, check=6)
        assert b"cannot write a receipt there" in p.stderr and \
            b"nothing sent" in p.stderr, p.stderr
        assert o.size() == 40
    finally:
        subprocess.call(["umount", mnt])
        o.close()


def test_disclosures_on_a_full_disk_then_resume():
    """The disclosures file on a full disk (a real one: a small tmpfs):
    the records whose lines could not be written are not sent, counted as
    such (exit 6, not 'refused'), the repeated reason said once with its
    count; the file keeps whole lines only; with room, the same command
    logs the rest, nothing twice."""
    o = Office()
    mnt = ptlib.tmpdir("pt-dfull-")
    subprocess.check_call(["mount", "-t", "tmpfs", "-o",
                           "size=64k,mode=0700", "tmpfs", mnt])
    try:
        dis = os.path.join(mnt, "d.jsonl")
        recs = [pay("DF-%d" % i, "2026-05-01", 100 + i, "EUR", {
            "kind": "individual", "name": "Person %d %s" % (i, "x" * 60)},
            "x") for i in range(400)]
        f = o.write("df.jsonl", "\n".join(json.dumps(r) for r in recs))
        p = o.submit("--disclosures", dis, f)
        err = p.stderr.decode()
        assert p.returncode == 6, (p.returncode, err)
        assert "No space left on device" in err and "not sent (a local " \
            "error above)" in err and "refused" not in err, err
        assert "more records for the same reason" in err, err
        assert err.count("No space left on device") < 10, err
        text = open(dis).read()
        lines = [json.loads(ln) for ln in text.splitlines()]
        assert text.endswith("\n") and 0 < len(lines) < 400, len(lines)
        assert o.size() == len(lines)
        # no room even for the index: said, not a crash (LMDB maps a
        # new environment's pages before its writes of them fail)
        os.unlink(dis + ".idx")
        os.unlink(dis + ".idx-lock")
        try:
            with open(os.path.join(mnt, "fill"), "wb") as fh:
                while True:
                    fh.write(b"x" * 4096)
                    fh.flush()
        except OSError:
            pass
        p = run("disclose", "--disclosures", dis, "--key", o.key, "--id",
                lines[0]["id"], cwd=o.dir, check=6)
        assert b"no room to make the index of the disclosures file" in \
            p.stderr, p.stderr
        os.unlink(os.path.join(mnt, "fill"))
        subprocess.check_call(["mount", "-o", "remount,size=4m", mnt])
        p = o.submit("--disclosures", dis, f, check=0)
        assert o.size() == 400
        lines = [json.loads(ln) for ln in open(dis).read().splitlines()]
        assert sorted(ln["id"] for ln in lines) == sorted(
            "DF-%d" % i for i in range(400))
    finally:
        subprocess.call(["umount", mnt])
        o.close()


def test_two_runs_at_once_take_turns():
    """A nightly job started twice on one file: the runs take turns on
    the disclosures file (flock of its index), also when each was given
    the key at another path (cron's copy and an admin's), so the second
    reads the salts the first wrote: nothing refused, nothing logged
    twice, one disclosure line per person."""
    o = Office()
    try:
        recs = []
        for i in range(1000):
            payee = {"kind": "individual", "name": "Person %d" % i} \
                if i % 2 == 0 else org("DE-HRB", "P%d" % i, "Firma %d" % i)
            recs.append(pay("TW-%d" % i, "2026-05-01", 100 + i, "EUR",
                            payee, "x"))
        f = o.write("tw.jsonl", "\n".join(json.dumps(r) for r in recs))
        copy = os.path.join(o.dir, "admin")
        os.makedirs(copy, mode=0o700)
        shutil.copy2(o.key, copy)
        keys = [o.key, os.path.join(copy, os.path.basename(o.key))]
        # answers to files: the one waiting must not be read first while
        # the other fills its pipe
        outf = [open(os.path.join(o.dir, "out%d" % n), "w+b")
                for n in range(4)]
        ps = [subprocess.Popen([PT, "submit", *o.L, "--key", k,
                                "--disclosures",
                                o.key + ".disclosures.jsonl", "--json", f],
                               cwd=o.dir, stdout=outf[2 * n],
                               stderr=outf[2 * n + 1])
              for n, k in enumerate(keys)]
        for p in ps:
            p.wait(timeout=300)
        outs = []
        for fh in outf:
            fh.seek(0)
            outs.append(fh.read())
            fh.close()
        outs = [(outs[0], outs[1]), (outs[2], outs[3])]
        for p, (out, err) in zip(ps, outs):
            assert p.returncode == 0, (p.returncode, err)
            j = [json.loads(ln) for ln in out.decode().splitlines()]
            assert len(j) == 1000 and not any("error" in r for r in j), err
        # (one of them said it waited, unless the first ended before the
        # second began: not asserted, the machine decides)
        assert o.size() == 1000
        with open(o.key + ".disclosures.jsonl") as df:
            ids = [json.loads(ln)["id"] for ln in df if ln.strip()]
        assert sorted(ids) == sorted("TW-%d" % i for i in range(0, 1000, 2))
        # a file from before runs took turns: one field under two salts;
        # disclose prints both (check-disclosure tells the logged one)
        with open(o.key + ".disclosures.jsonl") as df:
            first = json.loads(df.readline())
        other = dict(first, salt="00" * 32, commitment="11" * 32)
        with open(o.key + ".disclosures.jsonl", "a") as df:
            df.write(json.dumps(other) + "\n")
        p = run("disclose", "--disclosures", o.key + ".disclosures.jsonl",
                "--key", o.key, "--id", first["id"], "--field", "payee",
                cwd=o.dir, check=1)
        lines = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
        assert sorted(ln["salt"] for ln in lines) == sorted(
            [first["salt"], "00" * 32]), lines
        assert b"with different salts" in p.stderr, p.stderr
        # the same without --field: the one field is named (a string
        # freed before the message was named once)
        p = run("disclose", "--disclosures", o.key + ".disclosures.jsonl",
                "--key", o.key, "--id", first["id"], cwd=o.dir, check=1)
        assert ("has 2 lines for field payee in") in p.stderr.decode(), \
            p.stderr
    finally:
        o.close()


def test_disclosures_file_cut_edited_and_indexed():
    """The disclosures file is read through its index (PATH.idx), brought
    up to date at every open.  A last line cut short (a full disk) is left
    out and cut away before the next line; a line deleted by hand (the
    docs allow it) is noticed, and the index built again; a file others
    can read is refused before it is read; a dry run writes nothing
    beside the file."""
    o = Office()
    try:
        dpath = o.key + ".disclosures.jsonl"
        recs = [pay("DC-%d" % i, "2026-05-01", 100 + i, "EUR",
                    {"kind": "individual", "name": "Person %d" % i}, "x")
                for i in range(3)]
        o.submit(o.write("a.jsonl", "\n".join(json.dumps(r) for r in recs)),
                 check=0)
        assert os.path.exists(dpath + ".idx")
        lines = open(dpath).read().splitlines()
        assert len(lines) == 3
        # a write cut short at the end: left out, then cut away
        with open(dpath, "a") as f:
            f.write('{"commitment":"b51b820eb1')
        p = run("disclose", "--disclosures", dpath, "--key", o.key, "--id",
                "DC-1", cwd=o.dir, check=0)
        assert json.loads(p.stdout)["value"] == "Person 1"
        more = pay("DC-9", "2026-05-02", 9, "EUR",
                   {"kind": "individual", "name": "Person 9"}, "x")
        o.submit(o.write("b.jsonl", json.dumps(more)), check=0)
        text = open(dpath).read()
        assert text.endswith("\n") and "b51b820eb1" not in text, text
        assert [json.loads(ln)["id"] for ln in text.splitlines()] == \
            ["DC-0", "DC-1", "DC-2", "DC-9"]
        # a name retyped by hand in its line (same length, in place):
        # disclose refuses to show a name the logged commitment is not of
        with open(dpath, "r+b") as f:
            raw = f.read()
            f.seek(raw.index(b'"Person 2"') + 1)
            f.write(b"Parson")
        p = run("disclose", "--disclosures", dpath, "--key", o.key, "--id",
                "DC-2", cwd=o.dir, check=1)
        assert p.stdout == b"" and b"does not match its own commitment" \
            in p.stderr, p.stderr
        with open(dpath, "r+b") as f:
            f.seek(raw.index(b'"Person 2"') + 1)
            f.write(b"Person")
        # the same month sent again: every salt found, nothing new
        p = o.submit(o.write("a2.jsonl", "\n".join(json.dumps(r)
                                                   for r in recs)), check=0)
        assert b"nothing new" in p.stderr, p.stderr
        # the same name in another Unicode form (a decomposed ü): the
        # same salt and commitment, nothing new; committed as NFC
        import unicodedata
        name = "J\u00fcrgen M\u00fcller"
        for i, form in enumerate(("NFD", "NFC", "NFD")):
            r = pay("DC-5", "2026-05-03", 5, "EUR", {
                "kind": "individual",
                "name": unicodedata.normalize(form, name)}, "x")
            p = o.submit(o.write("u%d.jsonl" % i, json.dumps(r)), check=0)
            assert i == 0 or b"nothing new" in p.stderr, p.stderr
        p = run("disclose", "--disclosures", dpath, "--key", o.key, "--id",
                "DC-5", cwd=o.dir, check=0)
        assert json.loads(p.stdout)["value"] == name, p.stdout
        # an export that changed its capitals: the same person, the name
        # as first written (the record reads as logged), no second line
        for i, v in enumerate((name.upper(), "j\u00fcrgen m\u00fcller")):
            r = pay("DC-5", "2026-05-03", 5, "EUR", {
                "kind": "individual", "name": v}, "x")
            p = o.submit(o.write("w%d.jsonl" % i, json.dumps(r)), check=0)
            assert b"nothing new" in p.stderr, p.stderr
        assert name.upper() not in open(dpath).read()
        # another name under the id is not the same person: refused
        r = pay("DC-5", "2026-05-03", 5, "EUR", {
            "kind": "individual", "name": "J\u00fcrgen M\u00fcllers"}, "x")
        o.submit(o.write("w9.jsonl", json.dumps(r)), check=5)
        # so is any text: a company's name and a description, logged NFC
        for i, form in enumerate(("NFD", "NFC")):
            r = pay("DC-6", "2026-05-03", 6, "EUR", org(
                "DE-HRB", "HRB9", unicodedata.normalize(form, "S\u00f6hne "
                                                          "& M\u00fcller")),
                unicodedata.normalize(form, "Geb\u00fchr"))
            p = o.submit(o.write("v%d.jsonl" % i, json.dumps(r)), check=0)
            assert i == 0 or b"nothing new" in p.stderr, p.stderr
        assert o.records()[-1]["payee"]["name"] == "S\u00f6hne & M\u00fcller"
        text = open(dpath).read()
        # a line deleted in place (same inode): the index is rebuilt
        keep = [ln for ln in text.splitlines() if '"DC-0"' not in ln]
        with open(dpath, "r+") as f:
            f.seek(0)
            f.write("\n".join(keep) + "\n")
            f.truncate()
        p = run("disclose", "--disclosures", dpath, "--key", o.key, "--id",
                "DC-2", cwd=o.dir, check=0)
        assert json.loads(p.stdout)["value"] == "Person 2"
        run("disclose", "--disclosures", dpath, "--key", o.key, "--id",
            "DC-0", cwd=o.dir, check=4)
        # a dry run writes nothing beside the file, even with no index
        os.unlink(dpath + ".idx")
        os.unlink(dpath + ".idx-lock")
        before = sorted(os.listdir(o.dir))
        p = o.submit("--dry-run", o.write("c.jsonl", json.dumps(recs[1])),
                     check=0)
        assert "DC-1 %s " % ARROW in p.stdout.decode(), p.stdout
        assert sorted(os.listdir(o.dir)) == sorted(before + ["c.jsonl"])
        # readable by others: refused before anything is read
        os.chmod(dpath, 0o644)
        p = o.submit(o.write("d.jsonl", json.dumps(recs[1])), check=6)
        assert b"not a private regular file (mode 0644)" in p.stderr, \
            p.stderr
        os.chmod(dpath, 0o600)
    finally:
        o.close()


def test_refused_person_lines_retracted():
    """A record the log refuses for good (409: its id holds other content)
    had its person's line written before it was sent: that line is
    retracted, so its salt is never taken again.  A renamed person sent
    as a new row is told the name changed; `correct --amend` then writes
    the correction's own line, and every logged person is disclosed and
    checked.  A line deleted by hand and put back is used again."""
    o = Office()
    try:
        dpath = o.key + ".disclosures.jsonl"

        def person(rid, name):
            return o.write(rid + name[:3] + ".jsonl", json.dumps(pay(
                rid, "2026-05-01", 100, "EUR",
                {"kind": "individual", "name": name}, "x")))

        def disclosed(rid):
            p = run("disclose", "--disclosures", dpath, "--key", o.key,
                    "--id", rid, cwd=o.dir, check=0)
            f = o.write("d.json", p.stdout)
            run("check-disclosure", *o.L, f, cwd=o.dir, check=0)
            return json.loads(p.stdout)["value"]

        o.submit(person("X2", "Ferrara Giuseppe"), check=0)
        p = o.submit(person("X2", "Ferrari Giuseppe"), check=5)
        assert b"with another person's name in it (payee: the disclosures " \
            b"file has the record under another name): if the name was " \
            b"corrected, pubtrail correct --amend" in p.stderr, p.stderr
        assert '"retract":' in open(dpath).read().splitlines()[-1]
        run("correct", *o.L, "--key", o.key, "--amend", "X2", "--with",
            person("X2", "Ferrari Giuseppe"), "--reason", "nome", cwd=o.dir,
            check=0)
        cid = o.records()[-1]["id"]
        assert disclosed("X2") == "Ferrara Giuseppe"
        assert disclosed(cid) == "Ferrari Giuseppe"
        # the record's own line is the name it was logged with; the
        # correction that renamed the person is pointed to
        p = run("disclose", "--key", o.key, "--id", "X2", cwd=o.dir, check=0)
        assert ("the correction %s gave payee of X2 another name: `pubtrail "
                "disclose --id %s --field replacement.payee`" % (cid, cid)
                ).encode() in p.stderr, p.stderr
        # a void's reason naming the person, as logged or as renamed:
        # refused before anything is sent
        n = o.size()
        for why in ("doppelt: FERRARA Giuseppe", "Ferrari Giuseppe verzogen",
                    "doppelt (Ferrara)", "Giuseppe verzogen"):
            p = run("correct", *o.L, "--key", o.key, "--void", "X2",
                    "--reason", why, cwd=o.dir, check=1)
            assert b"--reason: holds the name of the natural person in " \
                b"payee of X2 (" in p.stderr, p.stderr
        assert b'payee of X2 ("Giuseppe")' in p.stderr, p.stderr
        assert p.stderr.rstrip().endswith(
            b"take the name out of the reason"), p.stderr
        assert o.size() == n
        # a logged person's line deleted by hand: a new salt, refused,
        # retracted; the line put back is used again
        o.submit(person("X1", "Anna Bianchi"), check=0)
        lines = open(dpath).read().splitlines()
        orig = [ln for ln in lines if '"X1"' in ln]
        with open(dpath, "w") as f:
            f.write("".join(ln + "\n" for ln in lines if ln not in orig))
        p = o.submit(person("X1", "Anna Bianchi"), check=5)
        assert b"lacks the salt the log's record was made with" in \
            p.stderr, p.stderr
        with open(dpath, "a") as f:
            f.write(orig[0] + "\n")
        p = o.submit(person("X1", "Anna Bianchi"), check=0)
        assert b"nothing new" in p.stderr, p.stderr
        assert disclosed("X1") == "Anna Bianchi"
    finally:
        o.close()


def test_person_found_by_name_and_erased_on_request():
    """A person asks what the office keeps of them, then to be erased
    (GDPR Art. 15 and 17).  `disclose --name` finds their lines in any
    case; `disclose --erase` replaces a record's line by a mark that keeps
    the logged commitment without name or salt, and lists the lines of
    the same name it left; the month's file sent again then reads as
    logged, keeping no name; other content under the id is still
    refused."""
    o = Office()
    try:
        dpath = o.key + ".disclosures.jsonl"

        def row(rid, name, minor=100):
            return json.dumps(pay(rid, "2026-05-01", minor, "EUR",
                                  {"kind": "individual", "name": name},
                                  "Wohngeld"))

        month = o.write("m.jsonl", "\n".join([
            row("E1", "Anna Bianchi"), row("E2", "Anna Bianchi"),
            row("E3", "Carlo Rossi")]))
        o.submit(month, check=0)
        n = o.size()
        logged = [r for r in o.records()
                  if r["id"] == "E1"][0]["payee"]["commitment"]
        # what is kept of her, whatever case the request is written in
        p = run("disclose", "--key", o.key, "--name", "ANNA BIANCHI",
                cwd=o.dir, check=0)
        found = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
        assert sorted(x["id"] for x in found) == ["E1", "E2"], p.stdout
        run("disclose", "--key", o.key, "--name", "Nobody Here", cwd=o.dir,
            check=4)
        # erased from one record: its line becomes a mark; the other
        # line of her name is left, and said
        p = run("disclose", "--key", o.key, "--erase", "--id", "E1",
                cwd=o.dir, check=0)
        out = p.stdout.decode()
        assert "erased: E1 payee" in out and "kept: E2 payee holds the " \
            "same name" in out, out
        lines = [json.loads(ln) for ln in open(dpath).read().splitlines()]
        e1 = [x for x in lines if x["id"] == "E1"]
        assert len(e1) == 1 and "value" not in e1[0] and \
            "salt" not in e1[0], e1
        assert e1[0]["erased"] == logged.hex(), (e1, logged)
        p = run("disclose", "--key", o.key, "--id", "E1", cwd=o.dir,
                check=4)
        assert b"was erased on" in p.stderr, p.stderr
        # the month sent again: read as logged, no name written again
        p = o.submit(month, check=0)
        assert o.size() == n
        assert open(dpath).read().count("Anna Bianchi") == 1
        # the commitment of an export sent again is taken too
        rec = pay("E1", "2026-05-01", 100, "EUR", {
            "kind": "individual", "commitment": e1[0]["erased"]},
            "Wohngeld")
        o.submit(o.write("x.jsonl", json.dumps(rec)), check=0)
        assert o.size() == n
        # other content under the erased record's id: still refused
        o.submit(o.write("y.jsonl", row("E1", "Anna Bianchi", 999)),
                 check=5)
        assert o.size() == n
        assert open(dpath).read().count("Anna Bianchi") == 1
        # every line of her name, by name; machine-readable
        p = run("disclose", "--key", o.key, "--erase", "--name",
                "anna bianchi", "--json", cwd=o.dir, check=0)
        r = json.loads(p.stdout)
        assert [x["id"] for x in r["erased"]] == ["E2"] and \
            r["same_name_kept"] == [], r
        text = open(dpath).read()
        assert "Bianchi" not in text and "Carlo Rossi" in text
        p = run("disclose", "--key", o.key, "--erase", "--id", "E2",
                cwd=o.dir, check=4)
        assert b"nothing to erase" in p.stderr and b"was erased on" in \
            p.stderr, p.stderr
        # the index was built again: the file is read as it is
        p = run("disclose", "--key", o.key, "--id", "E3", cwd=o.dir,
                check=0)
        assert json.loads(p.stdout)["value"] == "Carlo Rossi"
        assert o.submit(month, check=0) and o.size() == n
        # an amendment of an erased record commits its person anew
        run("correct", *o.L, "--key", o.key, "--amend", "E1", "--with",
            o.write("z.jsonl", row("E1", "Anna Bianchi", 150)), "--reason",
            "Betrag", cwd=o.dir, check=0)
        cid = o.records()[-1]["id"]
        p = run("disclose", "--key", o.key, "--id", cid, cwd=o.dir, check=0)
        assert json.loads(p.stdout)["value"] == "Anna Bianchi"
        run("check-disclosure", *o.L, o.write("d.json", p.stdout), cwd=o.dir,
            check=0)
        # a refused record's line holds the name too (retracted): found,
        # and erased with the rest of the name's lines
        o.submit(o.write("q.jsonl", row("E5", "Maria Rossi")), check=0)
        o.submit(o.write("r.jsonl", row("E5", "Carlo Rossi")), check=5)
        assert open(dpath).read().count("Carlo Rossi") == 2
        p = run("disclose", "--key", o.key, "--name", "carlo rossi",
                cwd=o.dir, check=0)
        assert len(p.stdout.splitlines()) == 1 and b"records the log " \
            b"refused" in p.stderr, (p.stdout, p.stderr)
        p = run("disclose", "--key", o.key, "--erase", "--name",
                "Carlo Rossi", cwd=o.dir, check=0)
        assert b"erased: E3 payee" in p.stdout and b"removed: 1 line of " \
            b"records the log refused" in p.stdout, p.stdout
        assert "Carlo Rossi" not in open(dpath).read()
        assert o.size() == n + 2
    finally:
        o.close()


def test_two_offices_one_id_receipts_never_replaced():
    """Ids are per office: a second office's record with the same id is
    logged, but its receipt never replaces the first office's."""
    o = Office(others=("bauamt.stadt.example",))
    try:
        f = o.write("k.json", json.dumps(pay(
            "K-001", "2026-03-01", 500, "EUR", org("DE-HRB", "A", "A"), "x")))
        o.submit(f, check=0)
        path = os.path.join(o.dir, "receipts", "K-001.receipt")
        with open(path, "rb") as fh:
            first = fh.read()
        g = o.write("b.json", json.dumps(pay(
            "K-001", "2026-03-02", 700, "EUR", org("DE-HRB", "B", "B"), "y")))
        p = run("submit", *o.L, "--key", o.other["bauamt.stadt.example"], g,
                cwd=o.dir, check=6)
        assert b"receipts/K-001.receipt holds the receipt of another " \
            b"entry (index 2); not replaced: one --receipts DIR per office" \
            in p.stderr, p.stderr
        with open(path, "rb") as fh:
            assert fh.read() == first
        assert o.size() == 2          # logged all the same
        # its own directory: the receipt of the logged record, no new entry
        p = run("submit", *o.L, "--key", o.other["bauamt.stadt.example"],
                "--receipts", "bauamt", g, cwd=o.dir, check=0)
        assert b"nothing new" in p.stderr, p.stderr
        assert os.listdir(os.path.join(o.dir, "bauamt")) == ["K-001.receipt"]
        # the first office again: its own receipt is rewritten in place
        o.submit(f, check=0)
        with open(path, "rb") as fh:
            assert ptlib.unpackb(fh.read())["entry"] == \
                ptlib.unpackb(first)["entry"]
        # something else at a receipt's name is left alone
        with open(path, "wb") as fh:
            fh.write(b"notes of the clerk")
        p = o.submit(f, check=6)
        assert b"is there already and is not a receipt" in p.stderr
        with open(path, "rb") as fh:
            assert fh.read() == b"notes of the clerk"
        assert o.size() == 2
    finally:
        o.close()


def test_log_stops_answering_then_resume():
    o = Office()
    try:
        n = 300
        lines = ["id;date;amount;currency;payer.scheme;payer.id;payer.name;"
                 "payee.name;description"]
        for i in range(n):
            # natural persons: their salts must be reused on the re-run
            lines.append("Z-%03d;2026-06-01;%d,%02d;EUR;DE-HRB;F1;Kasse;"
                         "Person %d;Beihilfe" % (i, i, i % 100, i))
        f = o.write("big.csv", "\n".join(lines) + "\n")
        # a log that answers nothing from the start: the run gives up
        # after --give-up, the first checkpoint's wait included (not the
        # 30 s of the default request timeout; the bound is generous)
        o.d.proc.send_signal(signal.SIGSTOP)
        try:
            p = subprocess.run([PT, "submit", *o.L, "--key", o.key,
                                "--decimal-comma", "--give-up", "2", f],
                               cwd=o.dir, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=20)
        finally:
            o.d.proc.send_signal(signal.SIGCONT)
        assert p.returncode == 3 and b"nothing was sent" in p.stderr, \
            (p.returncode, p.stderr)
        assert o.size() == 0
        args = [PT, "submit", *o.L, "--key", o.key, "--decimal-comma",
                "--concurrency", "2", "--batch", "4", "--timeout", "1000",
                "--give-up", "3", f]
        p = subprocess.Popen(args, cwd=o.dir, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        seen = 0
        while seen < 20:
            line = p.stdout.readline()
            assert line, p.stderr.read()
            seen += 1
        o.d.proc.send_signal(signal.SIGSTOP)
        try:
            # (read through p.stdout: it holds what readline buffered)
            out = p.stdout.read()
            err = p.stderr.read()
            p.wait(timeout=120)
        finally:
            o.d.proc.send_signal(signal.SIGCONT)
        assert p.returncode == 3, (p.returncode, err)
        err = err.decode()
        m = re.search(r"stopped with (\d+) of 300 records not confirmed", err)
        assert m, err
        assert "run the same command again to resume" in err, err
        # the receipts' checkpoints could not be compared: not a fork
        assert "not consistent" not in err and "could not be checked" in \
            err, err
        assert int(m.group(1)) > 0
        logged_first = 20 + len(out.decode().splitlines())
        assert logged_first + int(m.group(1)) == n, (logged_first, err)
        # the re-run: everything logged, nothing twice
        p = subprocess.run(args[:-1] + ["--give-up", "60", f], cwd=o.dir,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=300)
        assert p.returncode == 0, p.stderr
        got = ids_out(p)
        assert sorted(got) == ["Z-%03d" % i for i in range(n)]
        assert sorted(got.values()) == \
            list(range(o.d.base, o.d.base + n)), "logged twice?"
        assert o.size() == n
        assert len(os.listdir(os.path.join(o.dir, "receipts"))) == n
        recs = o.records()
        assert len({r["id"] for r in recs}) == n
        assert all(r["amount_minor"] == int(r["id"][2:]) * 100 +
                   int(r["id"][2:]) % 100 for r in recs)
    finally:
        o.close()


def test_correct_void_and_amend():
    o = Office()
    try:
        f = o.write("p.json", json.dumps([
            pay("P-1", "2026-07-01", 1000, "EUR", org("DE-HRB", "A", "A"),
                "eins"),
            pay("P-2", "2026-07-01", 2000, "EUR", org("DE-HRB", "A", "A"),
                "zwei")]))
        idx = ids_out(o.submit(f, check=0))   # (the log's order)
        # a wrong amount sent again: 409, and the hint
        g = o.write("p2.json", json.dumps(pay(
            "P-2", "2026-07-01", 2100, "EUR", org("DE-HRB", "A", "A"),
            "zwei")))
        p = o.submit(g, check=5)
        assert b"409" in p.stderr and b"pubtrail correct --amend" in \
            p.stderr, p.stderr
        # beside an invalid record (--keep-going), the status is 1: the
        # most serious, 1 before the others (pubtrail(1), EXIT STATUS)
        gi = o.write("p2i.json", json.dumps([json.loads(open(g).read()),
                                             {"type": "payment"}]))
        p = o.submit("--keep-going", gi, check=1)
        assert b"409" in p.stderr, p.stderr
        # amend it, with the corrected record (its id may be left out)
        fixed = pay("P-2", "2026-07-01", 2100, "EUR",
                    org("DE-HRB", "A", "A"), "zwei")
        del fixed["id"]
        w = o.write("fixed.json", json.dumps(fixed))
        base = ["correct", *o.L, "--key", o.key]
        # first a dry run: what would change, as read; nothing sent or
        # written (no receipts directory, no lock, no disclosures)
        before = sorted(os.listdir(o.dir))
        p = run(*base, "--amend", "P-2", "--with", w, "--reason",
                "Betrag falsch erfasst", "--dry-run", cwd=o.dir, check=0)
        assert p.stdout.decode().splitlines() == [
            "P-2 (index %d) would be amended with P-2/amend:" % idx["P-2"],
            "  amount: 20.00 EUR -> 21.00 EUR"], p.stdout
        assert b"dry run: nothing was sent or written" in p.stderr
        p = run(*base, "--amend", "P-2", "--with", w, "--reason",
                "Betrag falsch erfasst", "--dry-run", "--json", cwd=o.dir,
                check=0)
        assert json.loads(p.stdout) == {
            "id": "P-2", "index": idx["P-2"], "action": "amend",
            "correction": "P-2/amend", "dry_run": True,
            "logged_already": False, "changes": [
                {"field": "amount", "from": "20.00 EUR",
                 "to": "21.00 EUR"}]}, p.stdout
        assert o.size() == 2 and sorted(os.listdir(o.dir)) == before
        # the CSV options submit takes, correct takes too
        p = run(*base, "--amend", "P-2", "--with", w, "--reason", "x",
                "--delimiter", "|", cwd=o.dir, check=2)
        assert b"--delimiter: want , ; or tab" in p.stderr, p.stderr
        sc = o.write("fixed.csv", "id;amount;currency;date;description;"
                     "payer.scheme;payer.id;payer.name;payee.scheme;"
                     "payee.id;payee.name\nP-2;21,00;EUR;01.07.2026;zwei, "
                     "Rest;DE-HRB;F1;Stadtkasse;DE-HRB;A;A\n")
        p = run(*base, "--amend", "P-2", "--with", sc, "--reason", "x",
                "--delimiter", ";", "--decimal-comma", "--date-format",
                "DD.MM.YYYY", "--dry-run", cwd=o.dir, check=0)
        assert p.stdout.decode().splitlines()[1:] == [
            "  amount: 20.00 EUR -> 21.00 EUR",
            "  description: zwei -> zwei, Rest"], p.stdout
        p = run(*base, "--amend", "P-2", "--with", w, "--reason",
                "Betrag falsch erfasst", cwd=o.dir, check=0)
        assert b"  amount: 20.00 EUR -> 21.00 EUR\n" in p.stderr, p.stderr
        B = o.d.base
        assert p.stdout.decode().strip() == "P-2/amend %s %d" % (ARROW, B + 2), \
            p.stdout
        e1, _ = o.entry_record_bytes(idx["P-2"])
        e2, d2 = o.entry_record_bytes(B + 2)
        c = d2["record"]
        assert c["type"] == "correction" and c["action"] == "amend"
        assert c["target_index"] == idx["P-2"]
        assert c["target_leaf_hash"] == ptlib.leaf_hash(e1)
        assert ptlib.packb(c["replacement"]) == ptlib.packb(
            dict(fixed, id="P-2"))
        assert c["reason"] == "Betrag falsch erfasst"
        # the same command again: logged once
        p = run(*base, "--amend", "P-2", "--with", w, "--reason",
                "Betrag falsch erfasst", cwd=o.dir, check=0)
        assert p.stdout.decode().strip() == "P-2/amend %s %d" % (ARROW, B + 2)
        assert o.size() == 3
        # a second, different amendment gets the next id
        fixed["amount_minor"] = 2200
        w2 = o.write("fixed2.json", json.dumps(fixed))
        p = run(*base, "--amend", "P-2", "--with", w2, "--reason",
                "nochmals", cwd=o.dir, check=0)
        assert p.stdout.decode().strip() == "P-2/amend-2 %s %d" % (ARROW, B + 3)
        # the record in effect already (as amended): refused, not logged
        p = run(*base, "--amend", "P-2", "--with", w2, "--reason",
                "noch einmal", cwd=o.dir, check=1)
        assert b"reads so already, as amended: nothing logged" in \
            p.stderr, p.stderr
        assert o.size() == 4
        # the original's receipt, verified against the log now: amended,
        # and the record as amended shown (in major units)
        p = run("verify", *o.L, os.path.join(o.dir, "receipts",
                                             "P-2.receipt"),
                cwd=o.dir, check=0)
        out = p.stdout.decode()
        assert "AMENDED by #%d" % (B + 3) in out and \
            "the record as amended" in out, out
        assert re.search(r"\n    amount +EUR 22\.00\n", out), out
        # --with a file of several records: the one with the id is taken;
        # none, or two, with it: refused
        month = o.write("month.json", json.dumps([
            pay("P-1", "2026-07-01", 1000, "EUR", org("DE-HRB", "A", "A"),
                "eins"), dict(fixed, id="P-2")]))
        p = run(*base, "--amend", "P-2", "--with", month, "--reason",
                "nochmals", cwd=o.dir, check=0)
        assert p.stdout.decode().strip() == "P-2/amend-2 %s %d" % (
            ARROW, B + 3), p.stdout   # the same amendment: logged once
        p = run(*base, "--amend", "P-9", "--with", month, "--reason", "x",
                cwd=o.dir, check=1)
        assert b"2 records, none with the id of the record amended" in \
            p.stderr, p.stderr
        two = o.write("two.json", json.dumps([dict(fixed, id="P-2"),
                                              dict(fixed, id="P-2")]))
        p = run(*base, "--amend", "P-2", "--with", two, "--reason", "x",
                cwd=o.dir, check=1)
        assert b"2 records with the id of the record amended" in p.stderr, \
            p.stderr
        assert o.size() == 4
        # an amendment to what the record says already: refused
        same = o.write("same.json", json.dumps(pay(
            "P-1", "2026-07-01", 1000, "EUR", org("DE-HRB", "A", "A"),
            "eins")))
        p = run(*base, "--amend", "P-1", "--with", same, "--reason", "x",
                cwd=o.dir, check=1)
        assert b'"P-1" (index %d) reads so already: nothing logged' % \
            idx["P-1"] in p.stderr, p.stderr
        assert o.size() == 4
        # void
        p = run(*base, "--void", "P-1", "--reason", "doppelt gebucht",
                cwd=o.dir, check=0)
        assert p.stdout.decode().strip() == "P-1/void %s %d" % (ARROW, B + 4)
        _, d4 = o.entry_record_bytes(B + 4)
        assert d4["record"]["action"] == "void" and \
            d4["record"]["target_index"] == idx["P-1"] and \
            "replacement" not in d4["record"]
        assert os.path.exists(os.path.join(o.dir, "receipts",
                                           "P-1%2Fvoid.receipt"))
        # the same void again: logged once; a second void with another
        # reason changes nothing the log shows: refused, saying by what
        p = run(*base, "--void", "P-1", "--reason", "doppelt gebucht",
                cwd=o.dir, check=0)
        assert p.stdout.decode().strip() == "P-1/void %s %d" % (ARROW, B + 4)
        assert b"(in the log before this run: nothing new)" in p.stderr, \
            p.stderr
        p = run(*base, "--json", "--void", "P-1", "--reason",
                "doppelt gebucht", cwd=o.dir, check=0)
        j = json.loads(p.stdout.decode().splitlines()[0])
        assert j["id"] == "P-1/void" and j["where"] == "correction" and \
            j["index"] == B + 4 and j["already_logged"] is True, j
        p = run(*base, "--void", "P-1", "--reason", "doppelt gebucht!",
                cwd=o.dir, check=1)
        err = p.stderr.decode()
        assert "is voided already: nothing logged" in err and \
            "VOIDED by #%d" % (B + 4) in err, err
        p = run(*base, "--json", "--void", "P-1", "--reason", "nochmal",
                cwd=o.dir, check=1)
        assert json.loads(p.stdout.decode()) == {
            "id": "P-1", "error": "nothing_to_correct", "index": idx["P-1"],
            "reason": "voided already"}, p.stdout
        # the month's file, corrected in place (P-2 as amended), sent
        # again by the nightly job: nothing new, exit 0, not a 409; the
        # dry run says how each stands (P-1 voided since)
        p = run("submit", "--dry-run", *o.L, "--key", o.key, month,
                cwd=o.dir, check=0)
        assert p.stdout.decode().splitlines() == [
            "P-1 %s %d (already logged, voided by #%d; amount 10.00 EUR)" % (
                ARROW, idx["P-1"], B + 4),
            "P-2 %s %d (already logged, as amended by #%d; amount 22.00 "
            "EUR)" % (ARROW, idx["P-2"], B + 3)], p.stdout
        for batch in ("100", "1"):
            p = o.submit("--batch", batch, month, check=0)
            assert p.stdout.decode().splitlines() == [
                "P-1 %s %d" % (ARROW, idx["P-1"]),
                "P-2 %s %d (as amended by #%d: nothing new)" % (
                    ARROW, idx["P-2"], B + 3)], (batch, p.stdout)
        p = o.submit("--json", month, check=0)
        j = [json.loads(x) for x in p.stdout.decode().splitlines()]
        assert j[1]["amended_by"] == B + 3 and j[1]["index"] == idx["P-2"] \
            and "error" not in j[1], j
        # the file as first logged, sent again: nothing new, and the run
        # says which of its records were corrected since
        p = o.submit(f, check=0)
        assert "records this run found in the log were corrected since, " \
            "as the log lists (pubtrail get lookup shows each, verified): " \
            "P-1 voided by #%d, P-2 amended by #%d\n" % (B + 4, B + 3) in \
            p.stderr.decode(), p.stderr
        # the file as first logged (P-2 before its amendment): the dry run
        # says it was amended since; a third content is still a conflict
        p = run("submit", "--dry-run", *o.L, "--key", o.key, f,
                cwd=o.dir, check=0)
        assert "P-2 %s %d (already logged, amended since by #%d; amount "\
            "20.00 EUR)" % (ARROW, idx["P-2"], B + 3) in \
            p.stdout.decode().splitlines(), p.stdout
        other = o.write("other.json", json.dumps(dict(fixed, id="P-2",
                                                      amount_minor=9)))
        p = o.submit(other, check=5)
        assert b"409" in p.stderr and b"pubtrail correct" in p.stderr
        assert o.size() == 5
        assert o.size() == 5
        # refusals: unknown target (4), a replacement of another type or
        # id (1), usage (2); nothing logged
        p = run(*base, "--void", "NOPE", "--reason", "x", cwd=o.dir,
                check=4)
        assert b"PermitNum/decision/StatusDate, e.g. NOPE/issued/" in \
            p.stderr and b"if it is a permit number" in p.stderr and \
            b"the receipts' file names" in p.stderr, p.stderr
        permit = o.write("permit.json", json.dumps({
            "type": "permit_decision", "id": "P-1", "permit_num": "B-1",
            "jurisdiction": org("US-EIN", "100000001", "City"),
            "decision": "issued", "decision_date": "2026-02-01",
            "permit_type": "Building", "description": "x",
            "address": {"line1": "1 Main", "city": "C"}}))
        p = run(*base, "--amend", "P-1", "--with", permit, "--reason", "x",
                cwd=o.dir, check=1)
        assert b"must have the type of the one it amends" in p.stderr
        other = o.write("other.json", json.dumps(pay(
            "P-9", "2026-07-01", 1, "EUR", org("DE-HRB", "A", "A"), "x")))
        p = run(*base, "--amend", "P-1", "--with", other, "--reason", "x",
                cwd=o.dir, check=1)
        assert b"keeps the id of the record it amends" in p.stderr
        run(*base, "--void", "P-1", cwd=o.dir, check=2)
        run(*base, "--amend", "P-1", "--reason", "x", cwd=o.dir, check=2)
        run(*base, "--void", "P-1", "--with", w, "--reason", "x", cwd=o.dir,
            check=2)
        assert o.size() == 5
    finally:
        o.close()


BLDS_HEAD = ("PermitNum,StatusCurrentMapped,StatusDate,Description,"
             "OriginalAddress1,OriginalAddress2,OriginalCity,OriginalState,"
             "OriginalZip,PermitType,Fee\r\n")
BLDS_MAP = ("Jurisdiction := City of Springfield\n"
            "jurisdiction.scheme := US-EIN\n"
            "jurisdiction.id := 123456789\n"
            "currency := USD\n")


def test_correct_keeps_a_persons_commitment():
    """An amendment of a self-employed person's amount: the person in the
    replacement keeps the salt of the record amended (the same name, the
    same commitment), so the change list shows the amount alone, and the
    month's file, corrected and sent again, reads as amended."""
    o = Office()
    try:
        head = ("id;date;amount;currency;payer.scheme;payer.id;payer.name;"
                "payee.kind;payee.name;description\n")
        row = ("NL-2;05.01.2026;%s;EUR;NL-KVK;01234567;Gemeente;"
               "individual;P. de Vries;Advies (ZZP)\n")
        opts = ("--decimal-comma", "--date-format", "DD.MM.YYYY")
        f = o.write("jan.csv", head + row % "850,00")
        idx = ids_out(o.submit(*opts, f, check=0))
        fixed = o.write("jan-fixed.csv", head + row % "875,00")
        base = ["correct", *o.L, "--key", o.key, *opts, "--amend", "NL-2",
                "--with", fixed, "--reason", "uurtarief"]
        p = run(*base, "--dry-run", cwd=o.dir, check=0)
        assert p.stdout.decode().splitlines()[1:] == [
            "  amount: 850.00 EUR -> 875.00 EUR"], p.stdout
        p = run(*base, cwd=o.dir, check=0)
        assert p.stderr.decode().count("\n  ") == 1, p.stderr
        recs = o.records()
        assert recs[-1]["replacement"]["payee"] == recs[0]["payee"], recs
        assert b"de Vries" not in o.d.get("/entry/%d" % (o.d.base + 1)).body
        p = o.submit(*opts, fixed, check=0)
        assert p.stdout.decode().strip() == \
            "NL-2 %s %d (as amended by #%d: nothing new)" % (
                ARROW, idx["NL-2"], o.d.base + 1), p.stdout
        # the person's name corrected: the re-sent file reads as amended
        # too (its salt found under the amendment's id)
        renamed = o.write("jan-renamed.csv", head + row.replace(
            "P. de Vries", "P. de Vries-Jansen") % "875,00")
        p = run(*base[:-4], "--with", renamed, "--reason", "naam", "--json",
                cwd=o.dir, check=0)
        out = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
        assert len(out) == 2 and out[1]["id"] == "NL-2" and \
            [c["field"] for c in out[1]["changes"]] == \
            ["payee.commitment"], out
        p = o.submit(*opts, renamed, check=0)
        assert p.stdout.decode().strip() == \
            "NL-2 %s %d (as amended by #%d: nothing new)" % (
                ARROW, idx["NL-2"], o.d.base + 2), p.stdout
        # ... and wrote no second line for the record's field: disclose
        # gives the name the record was logged with, one line
        p = run("disclose", "--disclosures", o.key + ".disclosures.jsonl",
                "--key", o.key, "--id", "NL-2", cwd=o.dir, check=0)
        assert json.loads(p.stdout)["value"] == "P. de Vries", p.stdout
        # a ready-made commitment: one this office keeps the salt of (as
        # an export of the log has it) is taken; any other is refused,
        # and nothing is logged
        line = json.loads(run("export", *o.L, "--format", "jsonl",
                              cwd=o.dir, check=0).stdout.splitlines()[0])
        kept = dict(line["record"], id="NL-3", amount_minor=100)
        other = dict(kept, id="NL-4", payee={"kind": "individual",
                                              "commitment": "00" * 32})
        f2 = o.write("ready.json", json.dumps([kept]))
        f3 = o.write("other.json", json.dumps([other]))
        o.submit(f2, check=0)
        p = o.submit(f3, check=1)
        assert b"payee.commitment: not one of this office's (no salt for " \
            b"it in the disclosures file)" in p.stderr, p.stderr
        assert o.size() == 4
    finally:
        o.close()


def test_permits_from_blds_as_exported_then_corrected():
    """A permit office's BLDS export as it is: a second address line, a
    date-time, a permit without a fee beside a map constant currency; a
    time that is no time refused; then a StatusDate corrected with
    `correct --amend` from a row of the same export (no id column: the id
    made of PermitNum/decision/StatusDate changes with the date)."""
    o = Office()
    try:
        m = o.write("county.map", BLDS_MAP)
        bad = o.write("bad.csv", BLDS_HEAD +
                      "BP-9,Permit Issued,2026-02-01T25:99:00,x,1 Elm St,,"
                      "Springfield,IL,62701,Building,\r\n")
        p = o.submit("--map", m, bad, check=1)
        assert b'bad.csv:2:3: StatusDate: want a date YYYY-MM-DD or an ISO ' \
            b'8601 date and time' in p.stderr, p.stderr
        f = o.write("permits.csv", BLDS_HEAD +
                    "BP-1,Permit Issued,2026-02-01T09:30:00-06:00,Deck,"
                    "123 Main St,Unit 2,Springfield,IL,62701,Building,\r\n"
                    "BP-2,Permit Finaled,2026-03-01,Garage,2 Oak Ave,,"
                    "Springfield,IL,62702,Building,75.00\r\n")
        idx = ids_out(o.submit("--map", m, f, check=0))
        recs = sorted(o.records(), key=lambda r: r["id"])
        assert recs[0] == {
            "type": "permit_decision", "id": "BP-1/issued/2026-02-01",
            "permit_num": "BP-1", "decision": "issued",
            "decision_date": "2026-02-01", "description": "Deck",
            "address": {"line1": "123 Main St, Unit 2",
                        "city": "Springfield", "state": "IL",
                        "zip": "62701"},
            "permit_type": "Building",
            "jurisdiction": {"kind": "organization", "scheme": "US-EIN",
                             "id": "123456789",
                             "name": "City of Springfield"}}, recs[0]
        assert recs[1]["fee_minor"] == 7500 and \
            recs[1]["currency"] == "USD", recs[1]
        # the StatusDate was wrong: the corrected row, from the export,
        # which a spreadsheet saved with its US dates and 12-hour clock
        fix = o.write("fix.csv", BLDS_HEAD +
                      "BP-1,Permit Issued,2/3/2026 4:15 PM,Deck,123 Main St,"
                      "Unit 2,Springfield,IL,62701,Building,\r\n")
        base = ["correct", *o.L, "--key", o.key, "--map", m]
        p = run(*base, "--amend", "BP-1/issued/2026-02-01", "--with", fix,
                "--reason", "wrong status date", cwd=o.dir, check=1)
        assert b"--date-format DD/MM/YYYY reads it as 2026-03-02, " \
            b"--date-format MM/DD/YYYY as 2026-02-03" in p.stderr, p.stderr
        # read without an id column, a permit decision is known by its
        # number, decision and date: a row of another date is another
        # decision, not an amendment (amended, the month's file sent again
        # would log it twice): refused, saying to void and submit it
        p = run(*base, "--amend", "BP-1/issued/2026-02-01", "--with", fix,
                "--date-format", "MM/DD/YYYY", "--reason",
                "wrong status date", cwd=o.dir, check=1)
        assert b'BP-1/issued/2026-02-03' in p.stderr and \
            b"another decision than BP-1/issued/2026-02-01" in p.stderr \
            and b"pubtrail correct --void BP-1/issued/2026-02-01" in \
            p.stderr, p.stderr
        run(*base, "--void", "BP-1/issued/2026-02-01", "--reason",
            "wrong status date", cwd=o.dir, check=0)
        idx.update(ids_out(o.submit("--map", m, "--date-format",
                                    "MM/DD/YYYY", fix, check=0)))
        # the month's file, corrected and sent again: nothing new
        month = o.write("permits-fixed.csv", BLDS_HEAD +
                        "BP-1,Permit Issued,2/3/2026 4:15 PM,Deck,"
                        "123 Main St,Unit 2,Springfield,IL,62701,Building,"
                        "\r\n"
                        "BP-2,Permit Finaled,3/1/2026,Garage,2 Oak Ave,,"
                        "Springfield,IL,62702,Building,75.00\r\n")
        n = o.size()
        p = o.submit("--map", m, "--date-format", "MM/DD/YYYY", month,
                     check=0)
        assert b"all were in the log before this run" in p.stderr, p.stderr
        assert o.size() == n
        # an amendment that keeps the id (the unit): the dry run shows it
        fix2 = o.write("fix2.csv", BLDS_HEAD +
                       "BP-1,Permit Issued,2/3/2026,Deck,123 Main St,"
                       "Unit 3,Springfield,IL,62701,Building,\r\n")
        am = [*base, "--amend", "BP-1/issued/2026-02-03", "--with", fix2,
              "--date-format", "MM/DD/YYYY", "--reason", "unit"]
        p = run(*am, "--dry-run", cwd=o.dir, check=0)
        assert p.stdout.decode().splitlines()[1:] == [
            "  address.line1: 123 Main St, Unit 2 -> 123 Main St, Unit 3"], \
            p.stdout
        p = run(*am, cwd=o.dir, check=0)
        rep = o.records()[-1]["replacement"]
        assert rep["id"] == "BP-1/issued/2026-02-03" and \
            rep["address"]["line1"] == "123 Main St, Unit 3", rep
        # the county's BLDS feed from the log: permits as they stand
        run(*base[:-2], "--void", "BP-2/finaled/2026-03-01", "--reason",
            "entered twice", cwd=o.dir, check=0)
        p = run("export", *o.L, "--format", "blds", cwd=o.dir, check=0)
        rows = list(csv.reader(io.StringIO(p.stdout.decode())))
        hdr = rows[0]
        assert [(r[hdr.index("PermitNum")], r[hdr.index("StatusDate")],
                 r[hdr.index("OriginalAddress1")]) for r in rows[1:]] == [
            ("BP-1", "2026-02-03", "123 Main St, Unit 3")], rows
    finally:
        o.close()


def test_worked_example_from_the_docs():
    """examples/stadtkasse-2026-03.csv with examples/stadtkasse.map, as
    docs/CLIENT.md and pubtrail(1) show it."""
    import hashlib
    import shutil
    o = Office()
    try:
        for f in ("stadtkasse-2026-03.csv", "stadtkasse.map"):
            shutil.copy(os.path.join(ptlib.TOP, "examples", f), o.dir)
        p = run("submit", "--dry-run", "--map", "stadtkasse.map",
                "stadtkasse-2026-03.csv", cwd=o.dir, check=1)
        err = p.stderr.decode()
        assert err.count("a comma may be a decimal") == 4, err
        assert err.count("want a calendar date YYYY-MM-DD; --date-format "
                         "DD.MM.YYYY reads it as 2026-03-0") == 4, err
        assert "MM.DD" not in err, err
        p = run("submit", "--dry-run", "--map", "stadtkasse.map",
                "--decimal-comma", "--thousands-sep", ".", "--date-format",
                "DD.MM.YYYY", "stadtkasse-2026-03.csv", cwd=o.dir, check=0)
        assert p.stdout.decode().splitlines()[0] == \
            "2026-03-0001 \u2192 valid (date 2026-03-02, amount 1234.56 EUR)"
        assert o.size() == 0
        p = o.submit("--map", "stadtkasse.map", "--decimal-comma",
                     "--thousands-sep", ".", "--date-format", "DD.MM.YYYY",
                     "stadtkasse-2026-03.csv", check=0)
        assert sorted(ids_out(p)) == ["2026-03-0001", "2026-03-0002",
                                      "2026-03-0003", "2026-03-0004"]
        kasse = org("DE-GV", "09162000-SK", "Stadt Musterstadt, Stadtkasse")
        ms = org("DE-HRB", "HRB4711", "M\u00fcller & Schmidt Tiefbau GmbH")
        # the natural person: her commitment from the disclosures file
        disc = [json.loads(x) for x in open(o.key + ".disclosures.jsonl")]
        assert len(disc) == 1 and disc[0]["value"] == "Erika Mustermann"
        salt = bytes.fromhex(disc[0]["salt"])
        commitment = hashlib.sha256(b"pubtrail commitment v1\n" + salt +
                                    "Erika Mustermann".encode()).digest()

        def bud(r):
            r["budget"] = {"economic": r.pop("_b")}
            return r
        want = [
            bud(dict(pay("2026-03-0001", "2026-03-02", 123456, "EUR", ms,
                         "Stra\u00dfenbau Lindenweg, Los 1", kasse),
                     _b="5410.9400")),
            bud(dict(pay("2026-03-0002", "2026-03-02", 1250000, "EUR",
                         org("DE-HRB", "HRB815", "Br\u00fcckenbau Nord AG"),
                         "Gutachten Br\u00fccke Am Hafen;\nTeil 2", kasse),
                     _b="5410.9400")),
            bud(dict(pay("2026-03-0003", "2026-03-05", 35000, "EUR",
                         {"commitment": commitment, "kind": "individual"},
                         "Zuschuss Ehrenamt", kasse), _b="3310.7180")),
            bud(dict(pay("2026-03-0004", "2026-03-06", -1250, "EUR", ms,
                         "Gutschrift Skonto", kasse), _b="5410.9400")),
        ]
        logged = logged_bytes(o)
        for w in want:
            assert logged[w["id"]] == ptlib.packb(w), (w["id"],
                                                       logged[w["id"]])
        for i in range(4):
            assert b"Mustermann" not in o.d.get("/entry/%d" % i).body
    finally:
        o.close()


def test_daemon_office_rule_for_corrections():
    """One rule, one function: an office allowed permits (and corrections)
    cannot log a payment inside a correction; the target must be its own."""
    ORIGIN = "test.example/log"
    permits = ptlib.Key("permits.example")
    finance = ptlib.Key("finance.example")
    both = ptlib.Key("both.example")
    d = ptlib.Daemon(submitters=[
        (permits, ["permit_decision", "correction"]), (finance, []),
        (both, ["payment", "permit_decision", "correction"])])
    d.start()
    try:
        name, pub = d.logkey()
        permit = {"type": "permit_decision", "id": "BP-1", "permit_num": "BP-1",
                  "jurisdiction": org("US-EIN", "100000001", "City"),
                  "decision": "issued", "decision_date": "2026-02-01",
                  "permit_type": "Building", "description": "deck",
                  "address": {"line1": "1 Main", "city": "C"}}
        r = d.post("/add", ptlib.submission(permit, permits, ORIGIN))
        assert r.status == 200, r.body
        rc, _, _, _ = ptlib.verify_receipt(r.body, name, pub, ORIGIN)
        lh = ptlib.leaf_hash(rc["entry"])
        pi = rc["index"]
        r = d.post("/add", ptlib.submission(ptlib.payment("PAY-1"), finance,
                                            ORIGIN))
        assert r.status == 200, r.body
        rc, _, _, _ = ptlib.verify_receipt(r.body, name, pub, ORIGIN)
        flh = ptlib.leaf_hash(rc["entry"])
        fi = rc["index"]

        def corr(cid, idx, h, replacement):
            return {"type": "correction", "id": cid, "action": "amend",
                    "reason": "r", "target_index": idx,
                    "target_leaf_hash": h, "replacement": replacement}

        # a payment inside a correction, by the permits office: 403
        r = d.post("/add", ptlib.submission(
            corr("C-1", pi, lh, ptlib.payment("BP-1")), permits, ORIGIN))
        assert r.status == 403, (r.status, r.body)
        assert b"may not append records of type payment (the replacement " \
            b"in a correction)" in r.body, r.body
        # a payment directly: 403 as before
        r = d.post("/add", ptlib.submission(ptlib.payment("P-2"), permits,
                                            ORIGIN))
        assert r.status == 403 and b"type payment" in r.body, r.body
        # another office's entry: 403
        r = d.post("/add", ptlib.submission(
            corr("C-2", fi, flh, dict(permit, id="X")), permits, ORIGIN))
        assert r.status == 403 and b"another office" in r.body, r.body
        # an amendment keeps the record's type and id: a payment office
        # allowed permits too may not turn its payment into a permit, nor
        # amend it into a record of another id (which would count twice)
        r = d.post("/add", ptlib.submission(
            corr("C-4", fi, flh, dict(permit, id="PAY-1")), both, ORIGIN))
        assert r.status == 403 and b"another office" in r.body, r.body
        r = d.post("/add", ptlib.submission(ptlib.payment("PAY-B"), both,
                                            ORIGIN))
        assert r.status == 200, r.body
        rc, _, _, _ = ptlib.verify_receipt(r.body, name, pub, ORIGIN)
        bi, blh = rc["index"], ptlib.leaf_hash(rc["entry"])
        r = d.post("/add", ptlib.submission(
            corr("C-5", bi, blh, dict(permit, id="PAY-B")), both, ORIGIN))
        assert r.status == 400 and b"entry %d is a payment, the " \
            b"replacement a permit_decision: an amendment keeps the " \
            b"record's type" % bi in r.body, r.body
        r = d.post("/add", ptlib.submission(
            corr("C-6", bi, blh, ptlib.payment("OTHER", amount=999999)),
            both, ORIGIN))
        assert r.status == 400 and b"the replacement's id is \"OTHER\", " \
            b"entry %d's \"PAY-B\": an amendment keeps the record's id" % \
            bi in r.body, r.body
        # its own permit, amended with a permit: fine
        r = d.post("/add", ptlib.submission(
            corr("C-3", pi, lh, dict(permit, decision="revoked")), permits,
            ORIGIN))
        assert r.status == 200, r.body
        assert d.checkpoint()[1] == d.base + 4
    finally:
        d.kill()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_spreadsheet_exports_reach_the_log_byte_for_byte,
        test_sap_and_accounting_negatives,
        test_a_refused_id_says_what_differs,
        test_sap_ids_made_of_year_and_document_number,
        test_ambiguous_and_contradictory_inputs_are_refused,
        test_all_or_nothing_and_keep_going_exact_counts,
        test_dry_run_is_offline_and_writes_nothing,
        test_receipts_by_default_progress_and_consistency,
        test_receipts_on_a_full_disk_then_resume,
        test_disclosures_on_a_full_disk_then_resume,
        test_two_runs_at_once_take_turns,
        test_disclosures_file_cut_edited_and_indexed,
        test_refused_person_lines_retracted,
        test_person_found_by_name_and_erased_on_request,
        test_two_offices_one_id_receipts_never_replaced,
        test_log_stops_answering_then_resume,
        test_correct_void_and_amend,
        test_correct_keeps_a_persons_commitment,
        test_permits_from_blds_as_exported_then_corrected,
        test_worked_example_from_the_docs,
        test_daemon_office_rule_for_corrections,
    ]))
