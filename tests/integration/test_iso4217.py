#!/usr/bin/python3
"""The client's ISO 4217 table (client/amount.c) against two maintained
sources Debian ships, so that no minor unit is a guess:

  - the list of current codes: iso-codes (/usr/share/iso-codes/json/
    iso_4217.json), which has no minor units;
  - the minor units: OpenJDK's java.util.Currency (getDefaultFractionDigits,
    -1 for "no minor unit"), run with `java tests/interop/Iso4217.java`.

Every current code is in the table; every code in the table is current in
one of the two sources; every minor unit equals OpenJDK's.  The one code
OpenJDK does not know (UYW, ISO 4217 amendment 168, 4 decimals) is named
here, not skipped silently."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402

ISO_CODES = "/usr/share/iso-codes/json/iso_4217.json"
JAVA_SRC = os.path.join(ptlib.TOP, "tests", "interop", "Iso4217.java")
DUMP = os.path.join(ptlib.BUILD, "tools", "iso4217_dump")
# Known to ISO 4217, not to OpenJDK 17: (code, minor unit, why)
NOT_IN_JAVA = {"UYW": 4}


def ours():
    out = subprocess.run([DUMP], check=True, stdout=subprocess.PIPE,
                         timeout=60).stdout.decode()
    t = {}
    for line in out.splitlines():
        code, d = line.split()
        assert code not in t, code
        t[code] = -1 if d == "N.A." else int(d)
    return t


def java():
    out = subprocess.run(["java", JAVA_SRC], check=True,
                         stdout=subprocess.PIPE, timeout=120).stdout.decode()
    return {c: int(d) for c, d in (line.split() for line in out.splitlines())}


def test_table_matches_debian_sources():
    t = ours()
    iso = {c["alpha_3"] for c in json.load(open(ISO_CODES))["4217"]}
    jv = java()
    assert len(iso) > 150 and len(jv) > 150
    missing = sorted(iso - set(t))
    assert not missing, "current ISO 4217 codes missing: %s" % missing
    for code, d in sorted(t.items()):
        assert code in iso or code in jv, "%s: in no source" % code
        if code in jv:
            assert d == jv[code], "%s: table %d, OpenJDK %d" % (
                code, d, jv[code])
        else:
            assert NOT_IN_JAVA.get(code) == d, "%s: not checked" % code
    # codes newer than iso-codes that OpenJDK knows are in the table only
    # when current (OpenJDK also keeps withdrawn codes, e.g. DEM, FRF)
    assert "DEM" not in t and "FRF" not in t
    # the examples
    assert (t["JPY"], t["EUR"], t["BHD"], t["KWD"]) == (0, 2, 3, 3)


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_table_matches_debian_sources]))
