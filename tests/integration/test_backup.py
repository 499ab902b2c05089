"""Hot backup (issue 17): `pubtraild backup` while appends go on.

A writer thread appends all the time; a backup taken meanwhile holds a
tree size between the sizes before and after it, verifies with
--check-full (the documented way to check a live log), records its size
and root in its manifest, carries log.vkey and the submitters but no
private key unless asked (then 0600), and the daemon refuses to serve it
as it is (it would fork the log).
"""
import os
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, payment, submission  # noqa: E402


class Writer(threading.Thread):
    """Appends until told to stop; remembers every acknowledged index."""

    def __init__(self, d, key, prefix):
        super().__init__(daemon=True)
        self.d, self.key, self.prefix = d, key, prefix
        self.acked = 0
        self.stop = threading.Event()
        self.error = None

    def run(self):
        i = 0
        try:
            while not self.stop.is_set():
                r = self.d.post("/add", submission(payment(
                    "%s-%d" % (self.prefix, i)), self.key, self.d.origin))
                if r.status != 200:
                    raise AssertionError("append %d: %d %r" % (i, r.status, r.body))
                self.acked += 1
                i += 1
        except Exception as e:  # reported by the test
            self.error = e


def test_hot_backup_while_appending():
    office = Key("finance-office")
    d = Daemon(submitters=[(office, ["payment"])])
    d.start()
    out = os.path.join(ptlib.tmpdir("pt-bk-"), "backup")
    try:
        w = Writer(d, office, "HOT")
        w.start()
        while w.acked < 200 and w.error is None:
            time.sleep(0.01)
        before = d.checkpoint()[1]
        r = subprocess.run([ptlib.PUBTRAILD, "backup", "--data", d.data,
                            "--out", out, "--json"], capture_output=True,
                           text=True, timeout=120)
        after = d.checkpoint()[1]
        n_then = w.acked
        while w.acked < n_then + 50 and w.error is None:
            time.sleep(0.01)
        w.stop.set()
        w.join()
        assert w.error is None, w.error
        assert r.returncode == 0, r.stderr
        import json
        info = json.loads(r.stdout)
        assert before <= info["size"] <= after, (before, info, after)
        assert info["private_key"] is False
        assert w.acked > info["size"], "appends went on during the backup"
        files = sorted(os.listdir(out))
        assert "log.key" not in files
        for f in ("BACKUP", "checkpoint", "data.mdb", "log.vkey", "submitters"):
            assert f in files, files
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
        man = open(os.path.join(out, "BACKUP")).read().splitlines()
        assert man[0] == "pubtrail-backup v1"
        assert "size %d" % info["size"] in man and "origin %s" % d.origin in man
        assert "root %s" % info["root"] in man
        # The live log goes on; the backup checks out whole.
        r = subprocess.run([ptlib.PUBTRAILD, "--check-full", "--data", out],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and ("ok, %d entries" % info["size"]) in r.stdout, \
            r.stdout + r.stderr
        # The backup's root is the log's own at that size.
        leaves = [ptlib.leaf_hash(e) for e in ptlib.fetch_entries(d, info["size"])]
        import base64
        assert base64.b64decode(info["root"]) == ptlib.mth(leaves)
    finally:
        assert d.stop() == 0
    # Served as it is, a backup is refused.
    b = Daemon(data=out)
    b.start(wait=False)
    assert b.proc.wait(timeout=30) == 1
    b.stop()
    assert "is a backup of" in b.logtext() and "pubtraild recover" in b.logtext()
    # An existing directory is never overwritten.
    r = subprocess.run([ptlib.PUBTRAILD, "backup", "--data", d.data, "--out",
                        out], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "new directory" in r.stderr, r.stderr


def test_backup_with_private_key():
    d = Daemon()
    d.start()
    d.stop()
    out = os.path.join(ptlib.tmpdir("pt-bk-"), "b")
    r = subprocess.run([ptlib.PUBTRAILD, "backup", "--data", d.data, "--out",
                        out, "--with-private-key"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    st = os.stat(os.path.join(out, "log.key"))
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert open(os.path.join(out, "log.key")).read() == \
        open(os.path.join(d.data, "log.key")).read()
    assert "private_key yes" in open(os.path.join(out, "BACKUP")).read()
    r = subprocess.run([ptlib.PUBTRAILD, "backup", "--out", out + "x"],
                       capture_output=True, text=True)
    assert r.returncode == 2


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_hot_backup_while_appending,
        test_backup_with_private_key,
    ]))
