#!/usr/bin/python3
"""Generate the wire/record corpus replayed by tests/unit/test_wire.c.

Independent of the C code: canonical msgpack comes from python3-msgpack with
map keys sorted here, signatures from python3-cryptography.  Non-canonical
and hostile inputs are written byte by byte.

File names:  ok/<decoder>.<desc>.bin          must decode (and re-encode to
                                               the same bytes for messages)
             bad/<decoder>.<error>.<desc>.bin must fail with pt_errname() ==
                                               <error>
decoders: canonical, record, submission, entry, receipt, inclusion,
consistency.

Run from anywhere: python3 tests/corpus/wire/gen.py  (rewrites ok/ and bad/).
"""
import base64
import hashlib
import os
import shutil
import struct

import msgpack
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN = "log.example.org/pubtrail/2026"
KEY_NAME = "finance.example.gov"
SEED = bytes(range(32))
SALT = bytes([0x11]) * 32


def canon(obj):
    """Canonical msgpack: keys sorted by UTF-8 bytes, shortest forms."""
    def norm(o):
        if isinstance(o, dict):
            items = sorted(o.items(), key=lambda kv: kv[0].encode())
            return {k: norm(v) for k, v in items}
        if isinstance(o, list):
            return [norm(v) for v in o]
        return o
    return msgpack.packb(norm(obj), use_bin_type=True)


def raw_map(pairs):
    """A map from (key, encoded value bytes) in the order given."""
    out = bytearray()
    n = len(pairs)
    out += bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
    for k, v in pairs:
        out += msgpack.packb(k) + v
    return bytes(out)


def vkey_string(name, alg, pub):
    h = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + pub).digest()[:4]
    return "%s+%s+%s" % (name, h.hex(), base64.b64encode(bytes([alg]) + pub).decode())


PRIV = Ed25519PrivateKey.from_private_bytes(SEED)
PUB = PRIV.public_key().public_bytes(serialization.Encoding.Raw,
                                     serialization.PublicFormat.Raw)
VKEY = vkey_string(KEY_NAME, 1, PUB)


def sign(record_bytes, origin=ORIGIN):
    msg = b"pubtrail/submission/v1\n" + origin.encode() + b"\n" + record_bytes
    return PRIV.sign(msg)


def commitment(salt, name):
    return hashlib.sha256(b"pubtrail commitment v1\n" + salt + name.encode()).digest()


def org(scheme, id_, name):
    return {"kind": "organization", "scheme": scheme, "id": id_, "name": name}


PAYER = org("GB-GOR", "EA1234", "Department for Example")
PAYEE = org("GB-COH", "01234567", "Example Supplies Ltd")
PERSON = {"kind": "individual", "commitment": commitment(SALT, "Jane Doe")}

PAYMENT_MIN = {
    "type": "payment", "id": "PAY-2023-0001", "date": "2023-03-31",
    "amount_minor": 125000, "currency": "GBP", "payer": PAYER,
    "payee": PAYEE, "description": "Stationery",
}
PAYMENT_MAX = dict(PAYMENT_MIN, **{
    "id": "PAY-2024-0002", "date": "2024-02-29", "amount_minor": -4999,
    "payee": PERSON, "description": "Refund of overpaid fee\nline two \u00e9\u20ac",
    "ocid": "ocds-213czf-000-00001", "contract_id": "CON-77",
    "budget": {"admin": "DFE-01", "economic": "5010", "functional": "09.1",
               "fiscal_year": 2023},
    "source_uri": "https://data.example.gov/spend/2024-02.csv",
})
PERMIT_MIN = {
    "type": "permit_decision", "id": "BP-2023-000123",
    "permit_num": "BP2023-000123",
    "jurisdiction": org("US-EIN", "91-6001275", "City of Seattle"),
    "decision": "issued", "decision_date": "2023-06-01",
    "permit_type": "Building", "description": "New single-family residence",
    "address": {"line1": "400 Pine St", "city": "Seattle"},
}
PERMIT_MAX = dict(PERMIT_MIN, **{
    "id": "BP-2023-000124", "decision": "appeal_decided",
    "address": {"line1": "400 Pine St", "city": "Seattle", "state": "WA",
                "zip": "98101"},
    "applicant": PERSON, "applied_date": "2023-01-15",
    "issued_date": "2023-06-01", "expires_date": "2024-12-31",
    "est_project_cost_minor": 45000000, "fee_minor": 123456,
    "currency": "USD", "link": "https://permits.example.gov/BP2023-000124",
})
LEAF = hashlib.sha256(b"\x00entry").digest()
CORR_VOID = {
    "type": "correction", "id": "COR-1", "target_index": 41,
    "target_leaf_hash": LEAF, "action": "void", "reason": "Duplicate entry",
}
CORR_AMEND = {
    "type": "correction", "id": "COR-2", "target_index": 2**40,
    "target_leaf_hash": LEAF, "action": "amend",
    "reason": "Wrong amount", "replacement": PAYMENT_MAX,
}


def submission(rec_bytes, sig=None, submitter=VKEY, extra=None):
    pairs = [("record", rec_bytes),
             ("sig", msgpack.packb(sig if sig is not None else sign(rec_bytes),
                                   use_bin_type=True)),
             ("submitter", msgpack.packb(submitter))]
    if extra:
        pairs += extra
        pairs.sort(key=lambda kv: kv[0].encode())
    return raw_map(pairs)


def entry(rec_bytes, time_ms=1700000000123):
    return raw_map([("record", rec_bytes),
                    ("sig", msgpack.packb(sign(rec_bytes), use_bin_type=True)),
                    ("submitter", msgpack.packb(VKEY)),
                    ("time", msgpack.packb(time_ms))])


def without(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


def main():
    for sub in ("ok", "bad"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
        os.makedirs(os.path.join(HERE, sub))

    def ok(name, data):
        with open(os.path.join(HERE, "ok", name + ".bin"), "wb") as f:
            f.write(data)

    def bad(dec, err, desc, data):
        with open(os.path.join(HERE, "bad", "%s.%s.%s.bin" % (dec, err, desc)), "wb") as f:
            f.write(data)

    # ------------------------------------------------------------- ok
    for name, rec in (("payment-min", PAYMENT_MIN), ("payment-max", PAYMENT_MAX),
                      ("permit-min", PERMIT_MIN), ("permit-max", PERMIT_MAX),
                      ("correction-void", CORR_VOID),
                      ("correction-amend", CORR_AMEND)):
        rb = canon(rec)
        ok("record." + name, rb)
        ok("submission." + name, submission(rb))
        ok("entry." + name, entry(rb))
    ok("canonical.nesting-6", b"\x91" * 5 + b"\x80")
    ok("canonical.scalars", canon([0, 127, 128, 255, 256, 65535, 65536,
                                   2**32 - 1, 2**32, 2**64 - 1, -1, -32, -33,
                                   -128, -129, -32768, -32769, -2**31,
                                   -2**31 - 1, -2**63]))
    ok("canonical.strings", canon(["", "a" * 31, "b" * 32, "c" * 255,
                                   "d" * 256, "\u00e9\u20ac\U0010ffff"]))
    ok("canonical.bins", canon([b"", b"x" * 255, b"y" * 256]))
    ok("canonical.keys-prefix-order", canon({"a": 1, "aa": 2, "b": 3, "": 0}))
    ok("canonical.array16", canon(list(range(16))))
    ok("canonical.map16", canon({"k%02d" % i: i for i in range(16)}))
    eb = entry(canon(PAYMENT_MIN))
    proof_text = "c2sp.org/tlog-proof@v1\nindex 7\n" + \
        base64.b64encode(LEAF).decode() + "\n\nexample checkpoint\n"
    ok("receipt.basic", canon({"entry": eb, "index": 7, "proof": proof_text}))
    hashes = [hashlib.sha256(bytes([i])).digest() for i in range(3)]
    ok("inclusion.three", canon({"index": 5, "size": 8, "proof": hashes}))
    ok("inclusion.single-leaf", canon({"index": 0, "size": 1, "proof": []}))
    ok("consistency.three", canon({"old": 3, "new": 8, "proof": hashes}))

    # ------------------------------------------------ bad: canonical
    C = "canonical"
    bad(C, "too_big", "str32-4gib", b"\xdb\xff\xff\xff\xff")
    bad(C, "too_big", "bin32-4gib", b"\xc6\xff\xff\xff\xff")
    bad(C, "too_big", "array32-4gib", b"\xdd\xff\xff\xff\xff")
    bad(C, "too_big", "map32-4gib", b"\xdf\xff\xff\xff\xff")
    bad(C, "too_big", "nested-array32-4gib", b"\x91\xdd\xff\xff\xff\xff")
    bad(C, "too_big", "str-4097", b"\xda\x10\x01" + b"a" * 4097)
    bad(C, "too_big", "bin-4097", b"\xc5\x10\x01" + b"a" * 4097)
    bad(C, "too_big", "map-33-pairs", canon({"k%02d" % i: i for i in range(33)}))
    bad(C, "too_big", "array-65", canon(list(range(65))))
    bad(C, "truncated", "empty", b"")
    bad(C, "truncated", "str8-past-end", b"\xd9\xff\x61")
    bad(C, "truncated", "bin8-past-end", b"\xc4\x10\x00")
    bad(C, "truncated", "array16-past-end", b"\xdc\x00\x20\x01\x02")
    bad(C, "truncated", "map-past-end", b"\x82\xa1\x61\x01")
    bad(C, "truncated", "uint16-header", b"\xcd\x01")
    bad(C, "truncated", "str32-header", b"\xdb\x00\x01")
    bad(C, "truncated", "fixstr-past-end", b"\xa5abc")
    bad(C, "too_deep", "nesting-7", b"\x91" * 6 + b"\x80")
    bad(C, "too_deep", "nesting-10000", b"\x91" * 10000)
    bad(C, "too_deep", "maps-7", b"\x81\xa1k" * 7 + b"\x01")
    bad(C, "trailing_bytes", "two-values", b"\x01\x02")
    bad(C, "trailing_bytes", "map-then-byte", b"\x80\x00")
    bad(C, "duplicate_key", "a-a", b"\x82\xa1a\x01\xa1a\x02")
    bad(C, "duplicate_key", "nested", b"\x81\xa1m\x83\xa1a\x01\xa1b\x02\xa1b\x03")
    bad(C, "non_canonical", "unsorted-keys", b"\x82\xa1b\x01\xa1a\x02")
    bad(C, "non_canonical", "longer-key-first", b"\x82\xa2aa\x01\xa1a\x02")
    bad(C, "non_canonical", "uint8-5", b"\xcc\x05")
    bad(C, "non_canonical", "uint16-200", b"\xcd\x00\xc8")
    bad(C, "non_canonical", "uint32-65535", b"\xce\x00\x00\xff\xff")
    bad(C, "non_canonical", "uint64-1", b"\xcf" + struct.pack(">Q", 1))
    bad(C, "non_canonical", "int8-5", b"\xd0\x05")
    bad(C, "non_canonical", "int8-0", b"\xd0\x00")
    bad(C, "non_canonical", "int8-minus1", b"\xd0\xff")
    bad(C, "non_canonical", "int16-minus100", b"\xd1\xff\x9c")
    bad(C, "non_canonical", "int16-positive", b"\xd1\x01\x00")
    bad(C, "non_canonical", "int32-minus129", b"\xd2\xff\xff\xff\x7f")
    bad(C, "non_canonical", "int64-minus1", b"\xd3" + b"\xff" * 8)
    bad(C, "non_canonical", "int64-positive", b"\xd3" + struct.pack(">q", 2**40))
    bad(C, "non_canonical", "str8-len1", b"\xd9\x01a")
    bad(C, "non_canonical", "str16-len32", b"\xda\x00\x20" + b"a" * 32)
    bad(C, "non_canonical", "str32-len5", b"\xdb\x00\x00\x00\x05hello")
    bad(C, "non_canonical", "bin16-len1", b"\xc5\x00\x01\x00")
    bad(C, "non_canonical", "bin32-len1", b"\xc6\x00\x00\x00\x01\x00")
    bad(C, "non_canonical", "array16-len1", b"\xdc\x00\x01\x01")
    bad(C, "non_canonical", "array32-len1", b"\xdd\x00\x00\x00\x01\x01")
    bad(C, "non_canonical", "map16-len1", b"\xde\x00\x01\xa1a\x01")
    bad(C, "non_canonical", "map-key-str8", b"\x81\xd9\x01a\x01")
    bad(C, "wrong_type", "float32", b"\xca\x00\x00\x00\x00")
    bad(C, "wrong_type", "float64", b"\xcb" + struct.pack(">d", 1.5))
    bad(C, "wrong_type", "nil", b"\xc0")
    bad(C, "wrong_type", "true", b"\xc3")
    bad(C, "wrong_type", "false-in-map", b"\x81\xa1a\xc2")
    bad(C, "wrong_type", "fixext1", b"\xd4\x01\x00")
    bad(C, "wrong_type", "ext8", b"\xc7\x01\x05\x00")
    bad(C, "wrong_type", "int-key", b"\x81\x01\x01")
    bad(C, "wrong_type", "bin-key", b"\x81\xc4\x01a\x01")
    bad(C, "wrong_type", "map-key", b"\x81\x80\x01")
    bad(C, "malformed", "c1", b"\xc1")
    bad(C, "bad_utf8", "overlong-nul", b"\xa2\xc0\x80")
    bad(C, "bad_utf8", "overlong-slash", b"\xa3\xe0\x80\xaf")
    bad(C, "bad_utf8", "overlong-4byte", b"\xa4\xf0\x8f\xbf\xbf")
    bad(C, "bad_utf8", "surrogate", b"\xa3\xed\xa0\x80")
    bad(C, "bad_utf8", "above-10ffff", b"\xa4\xf4\x90\x80\x80")
    bad(C, "bad_utf8", "f5", b"\xa4\xf5\x80\x80\x80")
    bad(C, "bad_utf8", "lone-continuation", b"\xa1\x80")
    bad(C, "bad_utf8", "cut-sequence", b"\xa2\xe2\x82")
    bad(C, "bad_utf8", "latin1-key", b"\x81\xa1\xe9\x01")

    # --------------------------------------------------- bad: record
    R = "record"

    def rb(desc, err, rec):
        bad(R, err, desc, canon(rec))

    rb("top-level-array", "wrong_type", [PAYMENT_MIN])
    rb("top-level-str", "wrong_type", "payment")
    rb("unknown-field", "unknown_key", dict(PAYMENT_MIN, colour="red"))
    rb("unknown-field-in-payer", "unknown_key",
       dict(PAYMENT_MIN, payer=dict(PAYER, email="x@example.gov")))
    rb("individual-with-name", "unknown_key",
       dict(PAYMENT_MIN, payee=dict(PERSON, name="Jane Doe")))
    rb("unknown-address-field", "unknown_key",
       dict(PERMIT_MIN, address={"line1": "1 A St", "city": "X", "country": "US"}))
    for k in ("type", "id", "date", "amount_minor", "currency", "payer",
              "payee", "description"):
        rb("missing-" + k, "schema", without(PAYMENT_MIN, k))
    for k in ("permit_num", "jurisdiction", "decision", "decision_date",
              "permit_type", "description", "address"):
        rb("permit-missing-" + k.replace("_", "-"), "schema", without(PERMIT_MIN, k))
    rb("address-missing-city", "schema", dict(PERMIT_MIN, address={"line1": "1 A St"}))
    for d in ("2023-02-29", "2023-13-01", "2023-00-10", "2023-04-31",
              "0000-01-01", "2023-1-01", "2023/01/01", "23-01-01",
              "2023-01-01T00:00:00Z", "1900-02-29", ""):
        rb("date-" + (d.replace("/", "_").replace(":", "_") or "empty"),
           "schema", dict(PAYMENT_MIN, date=d))
    rb("date-int", "wrong_type", dict(PAYMENT_MIN, date=20230101))
    rb("date-bin", "wrong_type", dict(PAYMENT_MIN, date=b"2023-01-01"))
    for c in ("gbp", "GBPX", "GB", "G1P", "\u00c9UR"):
        rb("currency-" + c.encode().hex(), "schema", dict(PAYMENT_MIN, currency=c))
    rb("amount-string", "wrong_type", dict(PAYMENT_MIN, amount_minor="1250"))
    rb("amount-over-int64", "schema", dict(PAYMENT_MIN, amount_minor=2**63))
    rb("amount-max-uint64", "schema", dict(PAYMENT_MIN, amount_minor=2**64 - 1))
    bad(R, "wrong_type", "amount-float",
        canon(PAYMENT_MIN).replace(b"\xce\x00\x01\xe8\x48", b"\xcb" + struct.pack(">d", 1250.0)))
    rb("description-empty", "schema", dict(PAYMENT_MIN, description=""))
    rb("description-control", "schema", dict(PAYMENT_MIN, description="a\x07b"))
    rb("description-c1-control", "schema", dict(PAYMENT_MIN, description="a\u0085b"))
    rb("name-newline", "schema", dict(PAYMENT_MIN, payer=dict(PAYER, name="A\nB")))
    rb("id-empty", "schema", dict(PAYMENT_MIN, id=""))
    rb("id-129", "schema", dict(PAYMENT_MIN, id="x" * 129))
    rb("id-space", "schema", dict(PAYMENT_MIN, id="PAY 1"))
    rb("id-non-ascii", "schema", dict(PAYMENT_MIN, id="PAY-\u00e9"))
    rb("id-int", "wrong_type", dict(PAYMENT_MIN, id=17))
    rb("type-unknown", "schema", dict(PAYMENT_MIN, type="invoice"))
    rb("type-int", "wrong_type", dict(PAYMENT_MIN, type=1))
    rb("payer-individual", "schema", dict(PAYMENT_MIN, payer=PERSON))
    rb("payee-missing-kind", "schema", dict(PAYMENT_MIN, payee=without(PAYEE, "kind")))
    rb("payee-kind-person", "schema", dict(PAYMENT_MIN, payee=dict(PAYEE, kind="person")))
    rb("payee-string", "wrong_type", dict(PAYMENT_MIN, payee="Example Supplies Ltd"))
    rb("org-missing-scheme", "schema", dict(PAYMENT_MIN, payer=without(PAYER, "scheme")))
    rb("commitment-31", "schema",
       dict(PAYMENT_MIN, payee=dict(PERSON, commitment=b"\x00" * 31)))
    rb("commitment-str", "wrong_type",
       dict(PAYMENT_MIN, payee=dict(PERSON, commitment="00" * 32)))
    for s in ("gb-gor", "GBGOR", "G-GOR", "GB-", "GB--GOR", "GB-G_R", "GB-" + "A" * 30):
        rb("scheme-" + s.encode().hex(), "schema",
           dict(PAYMENT_MIN, payer=dict(PAYER, scheme=s)))
    rb("budget-empty", "schema", dict(PAYMENT_MIN, budget={}))
    rb("budget-year-0", "schema", dict(PAYMENT_MIN, budget={"fiscal_year": 0}))
    rb("budget-year-str", "wrong_type", dict(PAYMENT_MIN, budget={"fiscal_year": "2023"}))
    rb("ocid-no-prefix", "schema", dict(PAYMENT_MIN, ocid="213czf-000-00001"))
    rb("uri-ftp", "schema", dict(PAYMENT_MIN, source_uri="ftp://example.gov/x"))
    rb("uri-space", "schema", dict(PAYMENT_MIN, source_uri="https://example.gov/a b"))
    rb("permit-decision-approved", "schema", dict(PERMIT_MIN, decision="approved"))
    rb("permit-fee-without-currency", "schema", dict(PERMIT_MIN, fee_minor=100))
    rb("permit-currency-without-amount", "schema", dict(PERMIT_MIN, currency="USD"))
    rb("permit-negative-fee", "schema", dict(PERMIT_MIN, fee_minor=-1, currency="USD"))
    rb("permit-jurisdiction-individual", "schema", dict(PERMIT_MIN, jurisdiction=PERSON))
    rb("correction-amend-no-replacement", "schema", without(CORR_AMEND, "replacement"))
    rb("correction-void-with-replacement", "schema",
       dict(CORR_VOID, replacement=PAYMENT_MIN))
    rb("correction-of-correction", "schema", dict(CORR_AMEND, replacement=CORR_VOID))
    rb("correction-bad-replacement", "schema",
       dict(CORR_AMEND, replacement=without(PAYMENT_MIN, "payee")))
    rb("correction-replacement-unknown-key", "unknown_key",
       dict(CORR_AMEND, replacement=dict(PERMIT_MIN, colour="red")))
    rb("correction-action-delete", "schema", dict(CORR_VOID, action="delete"))
    rb("correction-hash-31", "schema", dict(CORR_VOID, target_leaf_hash=LEAF[:31]))
    rb("correction-index-negative", "wrong_type", dict(CORR_VOID, target_index=-1))
    rb("correction-index-2-62", "schema", dict(CORR_VOID, target_index=2**62))
    rb("correction-reason-empty", "schema", dict(CORR_VOID, reason=""))
    big = "x" * 4000
    rb("over-16k", "too_big", dict(PERMIT_MIN, description=big, permit_type=big,
       address={"line1": big, "city": big, "state": big}))

    # ----------------------------------------------- bad: submission
    S = "submission"
    pm = canon(PAYMENT_MIN)
    bad(S, "unknown_key", "extra-field", submission(pm, extra=[("time", b"\x01")]))
    bad(S, "schema", "missing-sig",
        raw_map([("record", pm), ("submitter", msgpack.packb(VKEY))]))
    bad(S, "schema", "missing-record",
        raw_map([("sig", msgpack.packb(sign(pm))), ("submitter", msgpack.packb(VKEY))]))
    bad(S, "schema", "sig-63", submission(pm, sig=sign(pm)[:63]))
    bad(S, "wrong_type", "sig-str", raw_map([
        ("record", pm), ("sig", msgpack.packb(sign(pm).hex())),
        ("submitter", msgpack.packb(VKEY))]))
    bad(S, "malformed", "submitter-garbage", submission(pm, submitter="not a key"))
    bad(S, "malformed", "submitter-bad-hash",
        submission(pm, submitter="+".join(
            [VKEY.split("+")[0], "%08x" % (int(VKEY.split("+")[1], 16) ^ 1),
             VKEY.split("+")[2]])))
    bad(S, "schema", "submitter-cosig-alg",
        submission(pm, submitter=vkey_string(KEY_NAME, 4, PUB)))
    bad(S, "wrong_type", "submitter-bin", raw_map([
        ("record", pm), ("sig", msgpack.packb(sign(pm))),
        ("submitter", msgpack.packb(VKEY.encode(), use_bin_type=True))]))
    bad(S, "schema", "record-bad-date", submission(canon(dict(PAYMENT_MIN, date="2023-02-29"))))
    bad(S, "wrong_type", "record-not-map", submission(msgpack.packb("payment")))
    bad(S, "non_canonical", "record-unsorted",
        submission(raw_map([("type", msgpack.packb("payment"))] +
                           [(k, canon(v)) for k, v in sorted(PAYMENT_MIN.items())
                            if k != "type"])))
    bad(S, "trailing_bytes", "extra-byte", submission(pm) + b"\x00")
    bad(S, "truncated", "cut", submission(pm)[:-10])
    bad(S, "wrong_type", "array", canon([pm]))

    # --------------------------------------------- bad: entry, receipt, proofs
    bad("entry", "schema", "missing-time", submission(pm))
    bad("entry", "wrong_type", "time-negative", entry(pm, time_ms=-1))
    bad("entry", "unknown_key", "extra",
        raw_map([("extra", b"\x01"), ("record", pm), ("sig", msgpack.packb(sign(pm))),
                 ("submitter", msgpack.packb(VKEY)), ("time", b"\x01")]))
    bad("receipt", "out_of_range", "index-2-62",
        canon({"entry": eb, "index": 2**62, "proof": proof_text}))
    bad("receipt", "wrong_type", "entry-str",
        canon({"entry": "x", "index": 1, "proof": proof_text}))
    bad("receipt", "schema", "missing-proof", canon({"entry": eb, "index": 1}))
    bad("receipt", "too_big", "entry-24577",
        canon({"entry": b"e" * 24577, "index": 1, "proof": proof_text}))
    bad("inclusion", "out_of_range", "index-eq-size",
        canon({"index": 8, "size": 8, "proof": hashes}))
    bad("inclusion", "out_of_range", "size-2-62-plus-1",
        canon({"index": 0, "size": 2**62 + 1, "proof": hashes}))
    bad("inclusion", "schema", "hash-31",
        canon({"index": 5, "size": 8, "proof": [LEAF[:31]]}))
    bad("inclusion", "wrong_type", "hash-str",
        canon({"index": 5, "size": 8, "proof": ["00" * 32]}))
    bad("inclusion", "too_big", "65-hashes",
        canon({"index": 5, "size": 8, "proof": [LEAF] * 65}))
    bad("consistency", "out_of_range", "old-gt-new",
        canon({"old": 9, "new": 8, "proof": hashes}))
    bad("consistency", "unknown_key", "size",
        canon({"old": 3, "new": 8, "proof": hashes, "size": 8}))

    with open(os.path.join(HERE, "vectors.txt"), "w") as f:
        f.write("# Known answers shared with tests/unit/test_wire.c and test_record.c\n")
        f.write("origin %s\n" % ORIGIN)
        f.write("seed %s\n" % SEED.hex())
        f.write("vkey %s\n" % VKEY)
        f.write("submitter_id %s\n" % hashlib.sha256(VKEY.encode()).hexdigest())
        f.write("salt %s\n" % SALT.hex())
        f.write("commitment_jane_doe %s\n" % commitment(SALT, "Jane Doe").hex())
        f.write("sig_payment_min %s\n" % sign(pm).hex())


if __name__ == "__main__":
    main()
