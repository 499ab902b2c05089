#!/usr/bin/python3
"""A person's national number as an organization's id (client/persnum.c)
against python-stdnum, an independent implementation Debian ships.

For each country the client knows, numbers are made from random digits and
stdnum says which check digit (or character) makes each valid; nothing of
our algorithms is used to make them.  Every number stdnum takes for a
person's must be refused as an organization's id; the same number with any
other check digit, and the numbers of companies that stdnum validates
(Swedish and Norwegian organisation numbers share the persons' length or
check), must be taken.  Then `pubtrail submit --dry-run` refuses a few of
them end to end, naming the number."""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402

from stdnum.at import uid as at_uid, vnr as at_vnr  # noqa: E402
from stdnum.be import nn as be_nn  # noqa: E402
from stdnum.ch import ssn as ch_ssn, uid as ch_uid  # noqa: E402
from stdnum.de import idnr as de_idnr  # noqa: E402
from stdnum.dk import cpr as dk_cpr, cvr as dk_cvr  # noqa: E402
from stdnum.es import cif as es_cif, dni as es_dni, nie as es_nie  # noqa: E402
from stdnum.fi import hetu as fi_hetu, ytunnus as fi_ytunnus  # noqa: E402
from stdnum.fr import nir as fr_nir, siren as fr_siren, siret as fr_siret  # noqa: E402,E501
from stdnum.it import codicefiscale as it_cf  # noqa: E402
from stdnum.no import fodselsnummer as no_fnr, orgnr as no_orgnr  # noqa: E402
from stdnum.pl import nip as pl_nip, pesel as pl_pesel, regon as pl_regon  # noqa: E402,E501
from stdnum.se import orgnr as se_orgnr, personnummer as se_pnr  # noqa: E402
from stdnum.us import ein as us_ein, ssn as us_ssn  # noqa: E402

CHECK = os.path.join(ptlib.BUILD, "tools", "persnum_check")
DIG = "0123456789"
R = random.Random(4217)


def ours(pairs):
    """[(scheme, id)] -> [bool]: does the client take id for a person's?"""
    text = "".join("%s %s\n" % p for p in pairs)
    out = subprocess.run([CHECK], input=text.encode(), check=True,
                         stdout=subprocess.PIPE, timeout=60).stdout.decode()
    got = [ln == "1" for ln in out.splitlines()]
    assert len(got) == len(pairs)
    return got


def digits(n):
    return "".join(R.choice(DIG) for _ in range(n))


def date6(order="DMY"):
    d, m, y = "%02d" % R.randint(1, 28), "%02d" % R.randint(1, 12), \
        "%02d" % R.randint(0, 99)
    return {"DMY": d + m + y, "YMD": y + m + d}[order]


# country: (scheme, stdnum module, a prefix maker, the check characters,
# where the check goes: "end" or an index)
PERSONS = {
    "PL": ("PL-NIP", pl_pesel,
           lambda: "%02d%02d%02d%s" % (R.randint(0, 99),
                                       R.choice([1, 21]) + R.randint(0, 11),
                                       R.randint(1, 28), digits(4)),
           DIG, "end"),
    "CH": ("CH-UID", ch_ssn, lambda: "756" + digits(9), DIG, "end"),
    "AT": ("AT-SVNR", at_vnr, lambda: R.choice("123456789") + digits(2) +
           "_" + date6(), DIG, 3),
    "DE": ("DE-HRB", de_idnr, lambda: R.choice("123456789") + digits(9),
           DIG, "end"),
    "BE": ("BE-BCE_KBO", be_nn,
           lambda: "%02d%02d%02d%s" % (R.randint(0, 24), R.randint(1, 12),
                                       R.randint(1, 28), digits(3)),
           None, "be"),
    "SE": ("SE-BLV", se_pnr, lambda: date6("YMD") + "-" + digits(3), DIG,
           "end"),
    "NO": ("NO-BRC", no_fnr,
           lambda: "%02d%02d%02d%s" % (R.randint(1, 28), R.randint(1, 12),
                                       R.randint(0, 20), digits(3)),
           None, "no"),
    "FI": ("FI-PRO", fi_hetu,
           lambda: date6() + R.choice("-A") + "%03d" % R.randint(2, 899),
           "0123456789ABCDEFHJKLMNPRSTUVWXY", "end"),
    "FR": ("FR-RCS", fr_nir,
           lambda: R.choice("12") + "%02d%02d" % (R.randint(0, 99),
                                                  R.randint(1, 12)) +
           R.choice(["%02d" % R.randint(1, 95), "2A", "2B"]) + digits(6),
           None, "fr"),
}


def variants(prefix, chars, where):
    """Every way of completing prefix with one check: (id, ...)."""
    if where == "end":
        return [prefix + c for c in chars]
    if where == "be" or where == "fr":
        return [prefix + "%02d" % k for k in range(100)]
    if where == "no":
        return [prefix + "%02d" % k for k in range(100)]
    return [prefix.replace("_", c) for c in chars]


def test_persons_numbers_as_stdnum_says():
    pairs, want = [], []
    for cc, (scheme, mod, make, chars, where) in sorted(PERSONS.items()):
        found = 0
        for _ in range(4000):
            vs = variants(make(), chars, where)
            ok = [mod.is_valid(v) for v in vs]
            if not any(ok):
                continue	# a date stdnum takes for none (a future one)
            found += 1
            pairs += [(scheme, v) for v in vs]
            want += ok
            if found == 60:
                break
        assert found == 60, "%s: only %d numbers made" % (cc, found)
    got = ours(pairs)
    bad = [(p, w) for p, w, g in zip(pairs, want, got) if w != g]
    assert not bad, "%d of %d disagree with stdnum, e.g. %s" % (
        len(bad), len(pairs), bad[:8])
    assert sum(want) >= 9 * 60


def valid_made(mod, make, chars, n=40):
    """n numbers mod validates, each completed by stdnum's choice."""
    out = []
    while len(out) < n:
        p = make()
        for c in chars:
            if mod.is_valid(p + c):
                out.append(p + c)
                break
    return out


def test_persons_of_es_it_us_and_companies():
    # persons: Spain's DNI and NIE, Italy's codice fiscale, US SSN
    dni = valid_made(es_dni, lambda: digits(8), "TRWAGMYFPDXBNJZSQVHLCKE")
    nie = valid_made(es_nie, lambda: R.choice("XYZ") + digits(7),
                     "TRWAGMYFPDXBNJZSQVHLCKE")
    up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    cfs = valid_made(it_cf, lambda: "".join(R.choice(up) for _ in range(6))
                     + "%02d%s%02d%s%03d" % (R.randint(0, 99),
                                             R.choice("ABCDEHLMPRST"),
                                             R.choice([R.randint(1, 28),
                                                       R.randint(41, 68)]),
                                             R.choice("ABHLZ"),
                                             R.randint(1, 999)), up, 20)
    ssns = [s for s in ("%03d-%02d-%04d" % (R.randint(1, 665),
                                            R.randint(1, 99),
                                            R.randint(1, 9999))
                        for _ in range(60)) if us_ssn.is_valid(s)]
    persons = [("ES-NIF", x) for x in dni + nie] + \
        [("IT-CF", x) for x in cfs] + [("US-SSA", x) for x in ssns] + \
        [("IT-IVA", x.lower()) for x in cfs] + \
        [("IT-IVA", "IT" + x) for x in cfs] + \
        [("PL-NIP", x) for x in ("44051401359",)] + \
        [("FI-PRO", "131052-308t")] + \
        [("GB-CHC", x) for x in ("QQ123456C", "AB 12 34 56 D")]
    assert all(ours(persons)), [p for p, g in zip(persons, ours(persons))
                                if not g]
    # companies: the numbers of the same countries' company registers
    comp = []
    comp += [("SE-BLV", x) for x in valid_made(
        se_orgnr, lambda: R.choice("25") + R.choice(DIG) +
        R.choice("23456789") + digits(6), DIG)]   # a third digit >= 2
    comp += [("NO-BRC", x) for x in valid_made(
        no_orgnr, lambda: R.choice("89") + digits(7), DIG)]
    comp += [("DK-CVR", x) for x in valid_made(
        dk_cvr, lambda: R.choice("123456789") + digits(6), DIG)]
    comp += [("PL-NIP", x) for x in valid_made(
        pl_nip, lambda: R.choice("123456789") + digits(8), DIG)]
    comp += [("PL-REGON", x) for x in valid_made(
        pl_regon, lambda: digits(8), DIG)]
    comp += [("PL-REGON", x) for x in valid_made(
        pl_regon, lambda: digits(13), DIG)]
    comp += [("FR-RCS", x) for x in valid_made(
        fr_siren, lambda: digits(8), DIG)]
    comp += [("FR-RCS", x) for x in valid_made(
        fr_siret, lambda: digits(13), DIG)]
    comp += [("FI-PRO", x) for x in valid_made(
        fi_ytunnus, lambda: digits(7) + "-", DIG)]
    comp += [("ES-NIF", x) for x in valid_made(
        es_cif, lambda: R.choice("ABCDEFGHJUV") + digits(7),
        DIG)]
    comp += [("US-EIN", x) for x in valid_made(
        us_ein, lambda: "%02d-" % R.choice([10, 12, 20, 45, 94]) +
        digits(6), DIG)]
    comp += [("CH-UID", x) for x in valid_made(
        ch_uid, lambda: "CHE" + digits(8), DIG)]
    comp += [("AT-UID", x) for x in valid_made(
        at_uid, lambda: "ATU" + digits(7), DIG)]
    comp += [("GB-COH", x) for x in ("01234567", "SC123456", "NI012345")]
    comp += [("DE-HRB", x) for x in ("HRB 12345", "123/456/78901",
                                     "12345678901"[:10])]
    comp += [("IT-CF", x) for x in ("01234567890", "12345678903",
                                    "IT01234567890")]
    assert len(comp) > 500
    got = ours(comp)
    bad = [p for p, g in zip(comp, got) if g]
    assert not bad, "companies taken for persons: %s" % bad[:8]
    # a few Danish CPR numbers as stdnum takes them (no check digit)
    cprs = [x for x in ("%02d%02d%02d%s" % (R.randint(1, 28),
                                            R.randint(1, 12),
                                            R.randint(30, 99), digits(4))
                        for _ in range(40)) if dk_cpr.is_valid(x)]
    assert len(cprs) > 20 and all(ours([("DK-CVR", x) for x in cprs]))


def test_submit_refuses_them_naming_the_number():
    d = ptlib.tmpdir("pt-persnum-")
    rows = []
    for i, (scheme, pid) in enumerate([("PL-NIP", "44051401359"),
                                       ("CH-UID", "756.1234.5678.97"),
                                       ("AT-SVNR", "1237 010180"),
                                       ("PL-NIP", "7010301024")]):
        rows.append({"type": "payment", "id": "PN-%d" % i,
                     "date": "2026-04-02", "amount_minor": 50000,
                     "currency": "PLN",
                     "payer": {"kind": "organization", "scheme": "PL-NIP",
                               "id": "9999999999", "name": "Gmina"},
                     "payee": {"kind": "organization", "scheme": scheme,
                               "id": pid, "name": "Anna Nowak"},
                     "description": "Zwrot wadium"})
    f = os.path.join(d, "p.jsonl")
    with open(f, "w") as fh:
        fh.write("\n".join(json.dumps(r) for r in rows) + "\n")
    p = subprocess.run([ptlib.PUBTRAIL, "submit", "--dry-run", f],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    err = p.stderr.decode()
    assert p.returncode == 1, (p.returncode, err)
    for line, what in ((1, "a Polish PESEL"), (2, "a Swiss AHV/AVS number"),
                       (3, "an Austrian social insurance number")):
        assert "p.jsonl:%d: payee.id: the number of a natural person " \
            "(%s: a self-employed person?)" % (line, what) in err, err
    assert "p.jsonl:4:" not in err, err	# a NIP: a company's
    assert "3 invalid" in err, err


if __name__ == "__main__":
    ptlib.run_tests([test_persons_numbers_as_stdnum_says,
                     test_persons_of_es_it_us_and_companies,
                     test_submit_refuses_them_naming_the_number])
