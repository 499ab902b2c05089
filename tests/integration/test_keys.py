"""Office keys in the log (issue 14): who may sign for an office is the
log's own public record.

Every check is made as a fresh client would: a new client memory
($PUBTRAIL_STATE) and only the log's URL, its verifier key and the
registrar's verifier key (as /log.vkey and /registrar.vkey serve them).

- test_grants_end_to_end: a submitters file bootstraps the first office's
  grant; the registrar grants a second office with `pubtrail keys grant`;
  both submit; the second is revoked and its next submission is 403; `keys
  list`, `audit`, `verify --log`, `get` and `monitor --office` show each
  step from the log alone.  Refusals: a key name taken, the registrar's
  domain, an office signing a grant, a revoked key granted again.
- test_unauthorised_entry_found: an entry signed by a key without a grant,
  written into the store behind the daemon's back (tests/tools/store_forge,
  through the store's API, signed with the log's key): `audit`, `keys list`
  and `get` exit 1 naming its index; a forged grant by another key stops
  the daemon at start; one left out of the office_keys index is found by
  the audit's check of /office-keys.
- test_legacy_log_migrates: a store made before office keys (entries, no
  office_keys database) starts with its submitters file and the
  registrar's key, turns the file into grants once and says so; its old
  entries are judged by those grants (an old entry by a key the migration
  does not grant is named by the audit); a second start migrates nothing.
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, payment, submission, office_key  # noqa: E402

FORGE = os.path.join(ptlib.BUILD, "tools", "store_forge")
ORIGIN = "keys.test/log"


def run(*args, check=0, env=None):
    p = subprocess.run([ptlib.PUBTRAIL] + [str(a) for a in args],
                       capture_output=True, timeout=300, env=env)
    if check is not None and p.returncode != check:
        raise AssertionError("pubtrail %s: rc=%d, want %d\nstdout: %s\n"
                             "stderr: %s" % (" ".join(map(str, args)),
                                             p.returncode, check,
                                             p.stdout.decode()[:3000],
                                             p.stderr.decode()[:3000]))
    return p


def fresh_client():
    """The environment of a client that never saw this log."""
    return dict(os.environ, PUBTRAIL_STATE=ptlib.tmpdir("pt-fresh-"))


def permit(rid):
    return {"type": "permit_decision", "id": rid, "permit_num": rid,
            "jurisdiction": {"kind": "organization", "scheme": "XI-TEST",
                             "id": "PLN", "name": "Planning"},
            "decision": "issued", "decision_date": "2026-02-01",
            "permit_type": "Building", "description": "deck",
            "address": {"line1": "1 Main", "city": "C"}}


def keyfiles(dirname, key):
    """key's private and verifier key files (as pubtrail keygen makes)."""
    sk = os.path.join(dirname, key.name + ".key")
    with open(sk, "w") as f:
        f.write(key.skey + "\n")
    os.chmod(sk, 0o600)
    with open(sk + ".pub", "w") as f:
        f.write(key.vkey + "\n")
    return sk


class Log:
    """A daemon bootstrapped from a submitters file holding office A, and
    a fresh client's view of it (only the URL and the two verifier keys,
    taken from the routes that publish them and checked against the files
    the operator gave out)."""

    def __init__(self):
        self.dir = ptlib.tmpdir("pt-keys-")
        self.a = Key("finance-office")
        self.d = Daemon(origin=ORIGIN)
        os.makedirs(self.d.data, mode=0o700)
        with open(os.path.join(self.d.data, "submitters"), "w") as f:
            f.write("%s payment correction | XI-TEST FIN-1 Finance Office\n"
                    % self.a.vkey)
        self.d.start()
        self.url = "http://127.0.0.1:%d" % self.d.port
        logv = self.d.get("/log.vkey").body.decode().strip()
        regv = self.d.get("/registrar.vkey").body.decode().strip()
        assert logv == self.d.vkey(), logv
        assert regv == self.d.registrar.vkey, (regv, self.d.registrar.vkey)
        self.L = ["--log", self.url, "--log-key", logv]
        self.R = ["--registrar-key-pub", regv]
        self.reg = self.d.write_registrar_key()
        self.akey = keyfiles(self.dir, self.a)

    def path(self, n):
        return os.path.join(self.dir, n)

    def write(self, name, records):
        p = self.path(name)
        with open(p, "w") as f:
            f.write("\n".join(json.dumps(r) for r in records) + "\n")
        return p

    def submit(self, key, records, name, check=0):
        return run("submit", *self.L, "--key", key, "--receipts",
                   self.path("rcpt-" + name), "--json",
                   self.write(name, records), check=check,
                   env=fresh_client())

    def list(self, *extra, check=0):
        p = run("keys", "list", *self.L, *self.R, "--json", *extra,
                check=check, env=fresh_client())
        return json.loads(p.stdout), p

    def close(self):
        self.d.kill()


def by_name(listing):
    return {k["name"]: k for k in listing["keys"]}


def test_grants_end_to_end():
    lg = Log()
    try:
        text = lg.d.logtext()
        assert "bootstrapped: the 1 key of" in text and \
            "is now logged grants #0..#0" in text, text
        # 1. from the log alone: A granted at #0 by the registrar
        ls, _ = lg.list()
        assert ls["ok"] and ls["registrar"] == lg.d.registrar.vkey, ls
        a = by_name(ls)["Finance Office"]
        assert a["granted_at"] == 0 and a["key"] == lg.a.vkey
        assert a["types"] == ["correction", "payment"]
        assert a["organization"] == {"id": "FIN-1", "kind": "organization",
                                     "name": "Finance Office",
                                     "scheme": "XI-TEST"}, a
        # 2. the registrar grants office B (planning) with the CLI
        bkey = lg.path("planning.key")
        bv = run("keygen", "--name", "planning-office", "--out",
                 bkey).stdout.decode().strip()
        p = run("keys", "grant", *lg.L, "--registrar-key", lg.reg, "--key",
                bkey + ".pub", "--name", "Planning Office", "--org",
                "XI-TEST/PLN", "--types", "permit_decision", "--reason",
                "the planning office's key", "--json", env=fresh_client())
        g = json.loads(p.stdout)
        assert g["action"] == "grant" and g["index"] == 1, g
        # the same command again: answered from the log (same id), no new
        # entry
        p = run("keys", "grant", *lg.L, "--registrar-key", lg.reg, "--key",
                bkey + ".pub", "--name", "Planning Office", "--org",
                "XI-TEST/PLN", "--types", "permit_decision", "--reason",
                "the planning office's key", "--json")
        assert json.loads(p.stdout)["index"] == 1
        # 3. both submit
        out = lg.submit(lg.akey, [payment("PAY-1")], "a").stdout
        ia = json.loads(out.splitlines()[0])["index"]
        out = lg.submit(bkey, [permit("BP-1")], "b").stdout
        ib = json.loads(out.splitlines()[0])["index"]
        assert (ia, ib) == (2, 3), (ia, ib)
        # B may not append payments: 403 from the log, exit 5
        p = lg.submit(bkey, [payment("PAY-B")], "b2", check=5)
        assert b"may not append records of type payment" in p.stderr, p.stderr
        ls, _ = lg.list()
        assert set(by_name(ls)) == {"Finance Office", "Planning Office"}
        assert by_name(ls)["Planning Office"]["granted_at"] == 1
        # verify --log and get show who granted the key
        rb = os.path.join(lg.path("rcpt-b"), "BP-1.receipt")
        p = run("verify", *lg.L, *lg.R, rb, env=fresh_client())
        want = "signed by planning-office+%s (granted at #1 by " \
            "registrar.test+%s)" % (bv.split("+")[1],
                                    lg.d.registrar.hash.hex())
        assert want.encode() in p.stdout, p.stdout
        p = run("get", "entry", *lg.L, *lg.R, ia, env=fresh_client())
        assert b"signed by finance-office+%s (granted at #0 by registrar" % \
            lg.a.hash.hex().encode() in p.stdout, p.stdout
        j = json.loads(run("get", "entry", *lg.L, "--json", ib,
                           env=fresh_client()).stdout)
        assert j["grant"]["held"] and j["grant"]["granted_at"] == 1, j
        # monitor --office: the grant naming the planning office
        mstate = lg.path("monitor")
        p = run("monitor", *lg.L, "--office", "planning", "--from-start",
                "--once", "--state", mstate, env=fresh_client())
        lines = p.stdout.decode().splitlines()
        assert len(lines) == 1 and "ALERT grant of planning-office+" in \
            lines[0] and '"Planning Office" (XI-TEST/PLN)' in lines[0], lines
        # 4. revoke B: its next submission is 403
        p = run("keys", "revoke", *lg.L, "--registrar-key", lg.reg, "--key",
                bv, "--reason", "key retired", "--json", env=fresh_client())
        ir = json.loads(p.stdout)["index"]
        assert ir == 4
        p = lg.submit(bkey, [permit("BP-2")], "b3", check=5)
        assert b"was revoked at #4" in p.stderr, p.stderr
        # the monitor's next poll alerts on the revoke
        p = run("monitor", *lg.L, "--office", "Planning Office", "--once",
                "--state", mstate, "--json")
        rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
        assert [(r["index"], r["record"]["action"]) for r in rows] == \
            [(4, "revoke")], rows
        # keys list: B is gone, --all shows it revoked
        ls, _ = lg.list()
        assert set(by_name(ls)) == {"Finance Office"}, ls
        ls, _ = lg.list("--all")
        pb = by_name(ls)["Planning Office"]
        assert pb["revoked_at"] == 4 and not pb["in_force"], pb
        ls, p = lg.list("--quick")
        assert set(by_name(ls)) == {"Finance Office"}
        # text output
        p = run("keys", "list", *lg.L, *lg.R, "--all", env=fresh_client())
        t = p.stdout.decode()
        assert "granted at #1" in t and "REVOKED at #4" in t, t
        assert "1 key in force, 1 revoked" in t, t
        # B's receipt from before the revoke still verifies; the revoke is
        # shown
        p = run("verify", *lg.L, rb, env=fresh_client())
        assert b"revoked at #4)" in p.stdout, p.stdout
        # 5. audit: every entry's signer held a grant; incremental
        state = lg.path("audit")
        s = json.loads(run("audit", *lg.L, *lg.R, "--state", state, "--json",
                           env=fresh_client()).stdout)
        assert s["ok"] and s["office_keys"] == 3 and s["tree_size"] == 5, s
        lg.submit(lg.akey, [payment("PAY-2")], "a2")
        s = json.loads(run("audit", *lg.L, *lg.R, "--state", state, "--json",
                           env=fresh_client()).stdout)
        assert s["ok"] and s["entries_checked"] == 1, s
        # under another registrar every office_key entry fails: exit 1
        p = run("audit", *lg.L, "--registrar-key-pub", lg.a.vkey, check=1,
                env=fresh_client())
        assert b"entry #0: office_key entries are signed by this log's " \
            b"registrar finance-office+" in p.stderr, p.stderr
        # exports show the signer with its key hash
        csv = run("export", *lg.L, "--format", "csv",
                  env=fresh_client()).stdout.decode()
        assert ("finance-office+%s" % lg.a.hash.hex()) in csv, csv[:500]
        assert "office_key" not in csv
        # 6. refusals
        # a key named like the finance office's key, in force: 409
        twin = Key("finance-office")
        p = run("keys", "grant", *lg.L, "--registrar-key", lg.reg, "--key",
                twin.vkey, "--name", "Finance Office", "--org", "XI-TEST/FIN-1",
                "--types", "payment", "--reason", "a second key", check=5)
        assert b"409" in p.stderr and b"key name finance-office is already " \
            b"granted" in p.stderr, p.stderr
        # B's revoked key granted again: 403
        p = run("keys", "grant", *lg.L, "--registrar-key", lg.reg, "--key",
                bv, "--name", "Planning Office", "--org", "XI-TEST/PLN",
                "--types", "permit_decision", "--reason", "again",
                "--id", "grant-again", check=5)
        assert b"never granted again" in p.stderr, p.stderr
        # an office signing a grant (in the registrar's domain): 403
        c = Key("c-office")
        r = lg.d.post("/add", submission(office_key(
            "grant", "G-C", c, types=["payment"]), lg.a, ORIGIN))
        assert r.status == 403 and b"registrar" in r.body, r.body
        # the registrar's signature in the office's domain: 403
        rec = office_key("grant", "G-C2", c, types=["payment"])
        sig = lg.d.registrar.sign(ptlib.sign_message(ORIGIN, ptlib.packb(rec)))
        r = lg.d.post("/add", submission(rec, lg.d.registrar, ORIGIN, sig=sig))
        assert r.status == 403 and b"signature" in r.body, r.body
        # the registrar appending a payment: 403
        r = lg.d.post("/add", submission(payment("PAY-R"), lg.d.registrar,
                                         ORIGIN))
        assert r.status == 403 and b"office_key entries only" in r.body, \
            r.body
        assert lg.d.checkpoint()[1] == 6
        # the grants survive a restart (rebuilt from the office_keys index)
        lg.d.stop()
        lg.d.start(port=lg.d.port)
        assert "3 office_key entries from #0: 2 keys granted" in \
            lg.d.logtext(), lg.d.logtext()
        p = lg.submit(bkey, [permit("BP-3")], "b4", check=5)
        lg.submit(lg.akey, [payment("PAY-3")], "a3")
        # /office-keys: the indexes, paged by from
        r = ptlib.unpackb(lg.d.get("/office-keys?size=7").body)
        assert r == {"indexes": [0, 1, 4], "size": 7}, r
        r = ptlib.unpackb(lg.d.get("/office-keys?size=7&from=2").body)
        assert r["indexes"] == [4]
        assert lg.d.get("/office-keys?size=99").status == 400
        assert lg.d.get("/office-keys").status == 400
        assert lg.d.get("/office-keys?size=1&x=1").status == 400
    finally:
        lg.close()


def forged_entry(key, record, later=0):
    """An entry signed by key (its own valid signature) as the daemon
    would store it: what an operator can write behind its back.  Its time
    is now (and later ms): a log's times never go back."""
    time_ms = int(time.time() * 1000) + later
    return ptlib.packb({"record": record,
                        "sig": key.sign(ptlib.entry_message(ORIGIN, record)),
                        "submitter": key.vkey, "time": time_ms})


def forge(data, entry, office_key_mark=False, correction=False):
    f = os.path.join(ptlib.tmpdir("pt-forge-"), "entry")
    with open(f, "wb") as fh:
        fh.write(entry)
    args = [FORGE, data, "append", f] + (["--office-key"] if
                                         office_key_mark else []) + \
        (["--correction"] if correction else [])
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return int(p.stdout)


def test_unauthorised_entry_found():
    lg = Log()
    try:
        lg.submit(lg.akey, [payment("PAY-1")], "a")
        lg.d.stop()
        base = lg.d.data + ".orig"
        shutil.copytree(lg.d.data, base)
        # an entry signed by a key the log never granted
        stranger = Key("finance-0ffice")
        i = forge(lg.d.data, forged_entry(stranger, payment("PAY-X")))
        assert i == 2
        lg.d.start(port=lg.d.port)
        p = run("audit", *lg.L, *lg.R, "--json", check=1, env=fresh_client())
        s = json.loads(p.stdout)
        assert not s["ok"] and "entry #2" in s["reason"], s
        assert b"entry #2: unknown submitter: this log has no grant for " \
            b"finance-0ffice+" in p.stderr, p.stderr
        ls, p = lg.list(check=1)
        assert [v["index"] for v in ls["violations"]] == [2], ls
        p = run("get", "entry", *lg.L, 2, check=1, env=fresh_client())
        assert b"(NO GRANT in this log)" in p.stdout, p.stdout
        assert b"entry 2: its signer held no grant" in p.stderr, p.stderr
        # the honest entries before it still show their grants
        p = run("get", "entry", *lg.L, 1, env=fresh_client())
        assert b"granted at #0" in p.stdout, p.stdout
        lg.d.stop()
        # a grant signed by another key than the registrar, in the
        # office_keys index: the daemon refuses to start on it
        d2 = lg.d.data + ".2"
        shutil.copytree(base, d2)
        forge(d2, forged_entry(stranger, office_key(
            "grant", "G-X", stranger, types=["payment"])), True)
        dd = Daemon(data=d2, origin=ORIGIN, registrar=lg.d.registrar)
        dd.bootstrap = False
        dd.start(wait=False)
        assert dd.proc.wait(timeout=30) == 1
        assert "office keys: entry 2: office_key entries are signed by " \
            "this log's registrar registrar.test+" in dd.logtext(), \
            dd.logtext()
        dd.stop()
        # the same grant left out of the index: the daemon starts, but
        # the audit finds the entry and the index that leaves it out
        d3 = lg.d.data + ".3"
        shutil.copytree(base, d3)
        forge(d3, forged_entry(stranger, office_key(
            "grant", "G-X", stranger, types=["payment"])))
        forge(d3, forged_entry(stranger, payment("PAY-Y"), 10))
        dd = Daemon(data=d3, origin=ORIGIN, registrar=lg.d.registrar)
        dd.bootstrap = False
        dd.start()
        L = ["--log", "http://127.0.0.1:%d" % dd.port, "--log-key",
             dd.vkey()]
        p = run("audit", *L, *lg.R, check=1, env=fresh_client())
        err = p.stderr.decode()
        assert "entry #2: office_key entries are signed by this log's " \
            "registrar" in err and "entry #3: unknown submitter" in err and \
            "/office-keys leaves out the office_key entry #2" in err, err
        dd.stop()
    finally:
        lg.close()


def test_correction_by_another_office_found():
    """Only the office that logged an entry may correct it: the daemon
    refuses the others (test_intake), and an auditor finds one that an
    operator wrote behind the daemon's back, listed in the log's
    corrections index so that every reader would apply it."""
    lg = Log()
    try:
        b = Key("planning-office")
        bkey = keyfiles(lg.dir, b)
        run("keys", "grant", *lg.L, "--registrar-key", lg.reg, "--key",
            bkey + ".pub", "--name", "Planning Office", "--org",
            "XI-TEST/PLN", "--types", "payment,correction", "--reason",
            "the planning office's key", env=fresh_client())
        out = lg.submit(lg.akey, [payment("PAY-1")], "a").stdout
        ia = json.loads(out.splitlines()[0])["index"]
        leaf = ptlib.leaf_hash(lg.d.get("/entry/%d" % ia).body)
        void = {"type": "correction", "id": "C-B", "action": "void",
                "reason": "not ours to void", "target_index": ia,
                "target_leaf_hash": leaf}
        # honest logs refuse it
        r = lg.d.post("/add", submission(void, b, ORIGIN))
        assert r.status == 403 and b"another office" in r.body, r.body
        s = json.loads(run("audit", *lg.L, *lg.R, "--json",
                           env=fresh_client()).stdout)
        assert s["ok"], s
        lg.d.stop()
        ic = forge(lg.d.data, forged_entry(b, void), correction=True)
        lg.d.start(port=lg.d.port)
        assert ptlib.unpackb(lg.d.get("/corrections?target=%d" % ia).body)
        p = run("audit", *lg.L, *lg.R, "--json", check=1, env=fresh_client())
        s = json.loads(p.stdout)
        assert not s["ok"], s
        assert ("entry %d is signed by another office than entry %d"
                % (ic, ia)).encode() in p.stderr, p.stderr
    finally:
        lg.close()


def test_legacy_log_migrates():
    reg = Key("registrar.old")
    a, c = Key("finance-office"), Key("old-office")
    d = Daemon(origin=ORIGIN, registrar=reg)
    d.start()               # a new, empty log: nobody may append yet
    assert "no office_key grants yet" in d.logtext(), d.logtext()
    assert d.post("/add", submission(payment("P"), a, ORIGIN)).status == 403
    d.stop()
    # its entries, as the private list of an older version let them in
    base = d.data + ".legacy"
    shutil.copytree(d.data, base)
    for n in range(2):
        forge(d.data, forged_entry(a, payment("OLD-%d" % n), n))
    bad = d.data + ".c"
    shutil.copytree(d.data, bad)
    forge(bad, forged_entry(c, payment("OLD-C"), 9))
    for data in (d.data, bad):
        p = subprocess.run([FORGE, data, "drop-office-keys"],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        with open(os.path.join(data, "submitters"), "w") as f:
            f.write("%s payment | XI-TEST FIN-1 Finance Office\n" % a.vkey)
    # the upgrade: started once with the registrar's key
    d.start()
    text = d.logtext()
    assert "migrated: this log was made before office keys; the 1 key of " \
        in text and "is now logged grants #2..#2" in text, text
    try:
        url = "http://127.0.0.1:%d" % d.port
        L = ["--log", url, "--log-key", d.vkey(), "--registrar-key-pub",
             reg.vkey]
        s = json.loads(run("audit", *L, "--json", env=fresh_client()).stdout)
        assert s["ok"] and s["tree_size"] == 3 and s["office_keys"] == 1, s
        p = run("get", "entry", *L, 0, env=fresh_client())
        assert b"granted at #2 by registrar.old+" in p.stdout and \
            b"in the log's migration (this entry predates office keys)" in \
            p.stdout, p.stdout
        assert d.post("/add", submission(payment("NEW"), a, ORIGIN)).status \
            == 200
        # a second start migrates nothing
        d.stop()
        d.start()
        text = d.logtext()      # this start's log
        assert "migrated:" not in text, text
        assert "1 office_key entry from #2: 1 key granted" in text, text
        assert "--bootstrap-registrar-key not used" in text, text
    finally:
        d.stop()
    # the log whose old entries include a key its migration does not grant
    dc = Daemon(data=bad, origin=ORIGIN, registrar=reg)
    dc.start()
    try:
        L = ["--log", "http://127.0.0.1:%d" % dc.port, "--log-key",
             dc.vkey(), "--registrar-key-pub", reg.vkey]
        p = run("audit", *L, check=1, env=fresh_client())
        assert b"entry #2: signed by old-office+" in p.stderr and \
            b"its migration grants no such key" in p.stderr, p.stderr
    finally:
        dc.stop()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_grants_end_to_end,
        test_unauthorised_entry_found,
        test_correction_by_another_office_found,
        test_legacy_log_migrates,
    ]))
