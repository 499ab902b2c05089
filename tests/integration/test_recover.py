"""Back from a lost disk without forking the log (issue 17, "Done when").

Two offices append all the time, each keeping its receipts in a directory
of its own.  A hot backup is taken meanwhile; appends go on; the test
records every checkpoint the log publishes.  Then the disk is lost (the
daemon stops, its data directory is deleted) and the backup, older than
the last published checkpoint, is restored:

- the daemon refuses to start on it;
- run 1: `pubtraild recover --from URL` of a mirror (the log's own tiles
  copied into a static tlog-tiles tree, served by a tiny HTTP server) brings
  it to the last published checkpoint; the daemon starts there;
- run 2 (from the backup again): the offices' receipt directories alone do
  the same;
- in both, the recovered log's checkpoint is the last one published and
  every checkpoint published before the loss is a prefix of its tree
  (checked here with an independent RFC 9162 implementation over the
  entries the recovered daemon serves), and its next checkpoint is
  consistent with the last published one (consistency proof);
- run 3: with one entry missing from every source, recover names its index
  and refuses: nothing is written, the daemon still refuses to start;
- a mirror that serves a different entry is refused too (the root does not
  match), and the restored store is unchanged; so is a checkpoint the log
  key signed at a published size with another root (a fork);
- a recovered log is not started without its private key (which backups do
  not hold unless asked): a new key would make another log.
"""
import base64
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, payment, submission  # noqa: E402


class Office(threading.Thread):
    """Appends until told to stop, saving each receipt as <id>.receipt."""

    def __init__(self, d, key, rdir):
        super().__init__(daemon=True)
        self.d, self.key, self.rdir = d, key, rdir
        os.makedirs(rdir, mode=0o755)
        self.acked = 0
        self.stop = threading.Event()
        self.error = None

    def run(self):
        i = 0
        try:
            while not self.stop.is_set():
                rid = "%s-%05d" % (self.key.name, i)
                r = self.d.post("/add", submission(payment(rid), self.key,
                                                   self.d.origin))
                if r.status != 200:
                    raise AssertionError("%s: %d %r" % (rid, r.status, r.body))
                with open(os.path.join(self.rdir, rid + ".receipt"), "wb") as f:
                    f.write(r.body)
                self.acked += 1
                i += 1
        except Exception as e:
            self.error = e


def wait_for(cond, timeout=120):
    end = time.time() + timeout
    while not cond():
        assert time.time() < end, "timed out"
        time.sleep(0.01)


def pt(*args, timeout=300):
    return subprocess.run([ptlib.PUBTRAILD] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def make_mirror(d, size, where):
    """The log's own checkpoint and entry bundles as a static tlog-tiles
    tree (what `pubtrail mirror` or any web server would publish)."""
    r = d.get("/checkpoint")
    os.makedirs(where)
    with open(os.path.join(where, "checkpoint"), "wb") as f:
        f.write(r.body)
    for n in range((size + 255) // 256):
        w = min(256, size - n * 256)
        path = "tile/entries/" + ptlib.tile_index(n) + ("" if w == 256 else ".p/%d" % w)
        r = d.get("/" + path)
        assert r.status == 200, (path, r.status)
        os.makedirs(os.path.dirname(os.path.join(where, path)), exist_ok=True)
        with open(os.path.join(where, path), "wb") as f:
            f.write(r.body)


class Mirror:
    """A tiny static HTTP server over a directory."""

    def __init__(self, root):
        h = functools.partial(_Quiet, directory=root)
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class World:
    """The log before the loss, and what survived it."""

    def __init__(self):
        self.base = ptlib.tmpdir("pt-recover-")
        self.a, self.b = Key("finance-office"), Key("permits-office")
        self.d = Daemon(submitters=[(self.a, ["payment"]), (self.b, ["payment"])])
        self.d.start()
        self.name, self.pub = self.d.logkey()
        self.published = {}
        ra = os.path.join(self.base, "receipts-finance")
        rb = os.path.join(self.base, "receipts-permits")
        self.offices = [Office(self.d, self.a, ra), Office(self.d, self.b, rb)]
        self.receipt_dirs = [ra, rb]
        for o in self.offices:
            o.start()
        try:
            self.run()
        finally:
            for o in self.offices:
                o.stop.set()
                o.join()
        for o in self.offices:
            assert o.error is None, o.error
        self.record()
        self.last = self.d.checkpoint()
        self.size = self.last[1]
        make_mirror(self.d, self.size, os.path.join(self.base, "mirror"))
        assert self.d.stop() == 0
        self.vkey = open(os.path.join(self.d.data, "log.vkey")).read()
        # The private key's offline copy (backups hold only log.vkey).
        self.offline_key = os.path.join(self.base, "offline-log.key")
        shutil.copy(os.path.join(self.d.data, "log.key"), self.offline_key)
        # The loss.
        shutil.rmtree(self.d.data)

    def record(self):
        o, size, root, _, raw = self.d.checkpoint()
        self.published[size] = root

    def run(self):
        wait_for(lambda: sum(o.acked for o in self.offices) >= 120)
        self.record()
        self.backup = os.path.join(self.base, "backup")
        r = pt("backup", "--data", self.d.data, "--out", self.backup)
        assert r.returncode == 0, r.stderr
        self.backup_size = int([ln for ln in open(os.path.join(
            self.backup, "BACKUP")).read().splitlines()
            if ln.startswith("size ")][0].split()[1])
        n = sum(o.acked for o in self.offices)
        # Enough after the backup for full and partial tiles to be needed.
        while sum(o.acked for o in self.offices) < max(n + 300, 560):
            time.sleep(0.02)
            self.record()

    def restore(self, name):
        data = os.path.join(self.base, name)
        shutil.copytree(self.backup, data)
        os.chmod(data, 0o700)
        return data


def put_key_back(w, data):
    dst = os.path.join(data, "log.key")
    shutil.copy(w.offline_key, dst)
    os.chmod(dst, 0o600)


def check_recovered(w, data):
    """The recovered log starts at the last published checkpoint, holds
    every earlier one as a prefix, and goes on consistently."""
    # Without its private key a log is not started (a new key would make
    # another log).
    d = Daemon(data=data, origin=w.d.origin)
    d.start(wait=False)
    assert d.proc.wait(timeout=30) == 1
    d.stop()
    assert "holds a log but no log.key" in d.logtext(), d.logtext()
    assert not os.path.exists(os.path.join(data, "log.key"))
    put_key_back(w, data)
    d = Daemon(data=data, origin=w.d.origin, submitters=[(w.a, ["payment"])])
    d.start()
    try:
        o, size, root, _, raw = d.checkpoint()
        assert (size, root) == (w.size, w.last[2]), (size, w.size)
        leaves = [ptlib.leaf_hash(e) for e in ptlib.fetch_entries(d, size)]
        assert ptlib.mth(leaves) == root
        for s, r in sorted(w.published.items()):
            assert ptlib.mth(leaves[:s]) == r, "checkpoint %d is not a prefix" % s
        # It appends again, consistently with what it published.
        r = d.post("/add", submission(payment("AFTER-1"), w.a, d.origin))
        assert r.status == 200, r.body
        o, size2, root2, _, _ = d.checkpoint()
        assert size2 == size + 1
        p = ptlib.unpackb(d.get("/proof/consistency?old=%d&new=%d" % (
            size, size2)).body)
        assert ptlib.verify_consistency(size, size2, root, root2, p["proof"])
        assert len(w.published) >= 3
    finally:
        assert d.stop() == 0


def refused_to_start(w, data):
    d = Daemon(data=data, origin=w.d.origin)
    d.start(wait=False)
    rc = d.proc.wait(timeout=30)
    d.stop()
    assert rc == 1 and "is a backup of" in d.logtext(), (rc, d.logtext())


_world = None


def world():
    global _world
    if _world is None:
        _world = World()
    return _world


def test_backup_is_behind_and_refused():
    w = world()
    assert w.backup_size < w.size, (w.backup_size, w.size)
    assert w.size >= w.backup_size + 300
    refused_to_start(w, w.restore("data-refused"))


def test_recover_from_mirror_url():
    w = world()
    data = w.restore("data-mirror")
    m = Mirror(os.path.join(w.base, "mirror"))
    try:
        r = pt("recover", "--data", data, "--from", m.url, "--json")
    finally:
        m.close()
    assert r.returncode == 0, r.stdout + r.stderr
    import json
    out = json.loads(r.stdout)
    assert out["before"] == w.backup_size and out["size"] == w.size, out
    assert out["sources"][0]["entries"] == w.size - w.backup_size
    assert base64.b64decode(out["root"]) == w.last[2]
    assert not os.path.exists(os.path.join(data, "BACKUP"))
    check_recovered(w, data)


def test_recover_from_receipts_alone():
    w = world()
    data = w.restore("data-receipts")
    r = pt("recover", "--data", data, "--from", w.receipt_dirs[0], "--from",
           w.receipt_dirs[1])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "re-appended" in r.stdout and "may be served again" in r.stdout
    check_recovered(w, data)


def test_recover_from_tiles_directory_and_copy():
    w = world()
    # A static tile tree on disk, and another copy of the data (a first
    # recovered one) as sources.
    data = w.restore("data-tiledir")
    r = pt("recover", "--data", data, "--from", os.path.join(w.base, "mirror"))
    assert r.returncode == 0, r.stdout + r.stderr
    data2 = w.restore("data-copy")
    r = pt("recover", "--data", data2, "--from", data)
    assert r.returncode == 0, r.stdout + r.stderr
    check_recovered(w, data2)


def test_lost_entry_named_and_refused():
    w = world()
    data = w.restore("data-lost")
    # One entry past the backup disappears from every source: its receipt
    # is deleted (the other office's receipts are all there).
    dirs = [os.path.join(w.base, "lost-" + os.path.basename(x)) for x in w.receipt_dirs]
    victim = None
    for src, dst in zip(w.receipt_dirs, dirs):
        shutil.copytree(src, dst)
    for f in sorted(os.listdir(dirs[0])):
        rec = ptlib.unpackb(open(os.path.join(dirs[0], f), "rb").read())
        if rec["index"] >= w.backup_size + 10:
            victim = rec["index"]
            os.unlink(os.path.join(dirs[0], f))
            break
    assert victim is not None
    r = pt("recover", "--data", data, "--from", dirs[0], "--from", dirs[1])
    assert r.returncode == 1, r.stdout + r.stderr
    assert ("LOST: entry %d is in no source" % victim) in r.stderr, r.stderr
    assert "nothing was written" in r.stderr
    assert os.path.exists(os.path.join(data, "BACKUP"))
    r = pt("--check-full", "--data", data)
    assert r.returncode == 0 and ("ok, %d entries" % w.backup_size) in r.stdout, r.stdout
    refused_to_start(w, data)


def test_wrong_entry_refused():
    w = world()
    data = w.restore("data-wrong")
    # A mirror whose first needed bundle has one entry changed (a valid
    # entry of the log, put at the wrong place): the rebuilt root cannot be
    # the published one.
    bad = os.path.join(w.base, "mirror-bad")
    shutil.copytree(os.path.join(w.base, "mirror"), bad)
    n = w.backup_size // 256
    w_ = min(256, w.size - n * 256)
    path = os.path.join(bad, "tile/entries/" + ptlib.tile_index(n) +
                        ("" if w_ == 256 else ".p/%d" % w_))
    b = open(path, "rb").read()
    ents, off = [], 0
    while off < len(b):
        ln = int.from_bytes(b[off:off + 2], "big")
        ents.append(b[off + 2:off + 2 + ln])
        off += 2 + ln
    k = w.backup_size % 256
    j = k + 1 if k + 1 < len(ents) else k - 1
    ents[k], ents[j] = ents[j], ents[k]
    with open(path, "wb") as f:
        f.write(b"".join(len(e).to_bytes(2, "big") + e for e in ents))
    r = pt("recover", "--data", data, "--from", bad)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not the published checkpoint's" in r.stderr, r.stderr
    r = pt("--check-full", "--data", data)
    assert r.returncode == 0 and ("ok, %d entries" % w.backup_size) in r.stdout
    refused_to_start(w, data)


def signed_checkpoint(w, size, root):
    """A checkpoint signed with the log's own (offline) key."""
    sk = open(w.offline_key).read().strip().split("+", 4)
    raw = base64.b64decode(sk[4])
    k = Key(sk[2], seed=raw[1:33])
    text = ("%s\n%d\n%s\n" % (w.d.origin, size,
                               base64.b64encode(root).decode())).encode()
    sig = base64.b64encode(k.hash + k.sign(text)).decode()
    return text + ("\n\u2014 %s %s\n" % (k.name, sig)).encode()


def test_fork_refused():
    w = world()
    data = w.restore("data-fork")
    # The log key signed another root at a published size (as a log that
    # re-signed after a bad restore would have): evidence, not a source.
    # At the backup's own size: two roots at one size.
    fake = os.path.join(w.base, "forked.checkpoint")
    with open(fake, "wb") as f:
        f.write(signed_checkpoint(w, w.backup_size, b"\x42" * 32))
    r = pt("recover", "--data", data, "--from", os.path.join(w.base, "mirror"),
           "--checkpoint", fake)
    assert r.returncode == 1, r.stdout + r.stderr
    assert ("FORK: the log signed two different roots at size %d" %
            w.backup_size) in r.stderr, r.stderr
    # At a size between the backup and the last checkpoint: not a prefix
    # of the rebuilt tree, so nothing is committed.
    size = [x for x in sorted(w.published) if w.backup_size < x < w.size][-1]
    with open(fake, "wb") as f:
        f.write(signed_checkpoint(w, size, b"\x42" * 32))
    r = pt("recover", "--data", data, "--from", os.path.join(w.base, "mirror"),
           "--checkpoint", fake)
    assert r.returncode == 1, r.stdout + r.stderr
    assert ("differs from the checkpoint of size %d" % size) in r.stderr, r.stderr
    assert os.path.exists(os.path.join(data, "BACKUP"))
    r = pt("--check-full", "--data", data)
    assert ("ok, %d entries" % w.backup_size) in r.stdout, r.stdout
    # The same checkpoint with the real root is accepted as a source.
    with open(fake, "wb") as f:
        f.write(signed_checkpoint(w, size, w.published[size]))
    r = pt("recover", "--data", data, "--from", os.path.join(w.base, "mirror"),
           "--checkpoint", fake)
    assert r.returncode == 0, r.stdout + r.stderr


def test_restored_in_place_rollback_then_recover():
    w = world()
    # The store restored under a surviving checkpoint copy (only data.mdb
    # was lost): refused as a rollback, as before this issue; recover takes
    # the copy's checkpoint as one to reach.
    done = w.restore("data-inplace-src")
    r = pt("recover", "--data", done, "--from", os.path.join(w.base, "mirror"))
    assert r.returncode == 0, r.stderr
    data = w.restore("data-inplace")
    os.unlink(os.path.join(data, "BACKUP"))
    shutil.copy(os.path.join(done, "checkpoint"), os.path.join(data, "checkpoint"))
    put_key_back(w, data)
    d = Daemon(data=data, origin=w.d.origin)
    d.start(wait=False)
    assert d.proc.wait(timeout=30) == 1
    d.stop()
    assert "rollback" in d.logtext(), d.logtext()
    # With no source that has the entries, the copy's checkpoint still
    # counts: the entries are named lost.
    empty = ptlib.tmpdir("pt-empty-")
    r = pt("recover", "--data", data, "--from", empty)
    assert r.returncode == 1 and "LOST: entries %d..%d" % (
        w.backup_size, w.size - 1) in r.stderr, r.stderr
    r = pt("recover", "--data", data, "--from", w.receipt_dirs[0], "--from",
           w.receipt_dirs[1])
    assert r.returncode == 0, r.stderr
    d = Daemon(data=data, origin=w.d.origin)
    d.start()
    assert d.checkpoint()[1] == w.size
    assert d.stop() == 0


def test_recover_busy_and_usage():
    w = world()
    r = pt("recover", "--data", w.backup)
    assert r.returncode == 2
    data = w.restore("data-busy")
    r = pt("recover", "--data", data, "--from", "/nonexistent-source")
    assert r.returncode == 4 and "neither" in r.stderr, r.stderr
    # A daemon running on the directory: busy.  (It cannot run on a
    # backup; a recovered directory is used.)
    r = pt("recover", "--data", data, "--from", os.path.join(w.base, "mirror"))
    assert r.returncode == 0
    put_key_back(w, data)
    d = Daemon(data=data, origin=w.d.origin)
    d.start()
    try:
        r = pt("recover", "--data", data, "--from", os.path.join(w.base, "mirror"))
        assert r.returncode == 3, (r.returncode, r.stderr)
    finally:
        assert d.stop() == 0
    # Recovering an up-to-date log: nothing to fetch, said so.
    r = pt("recover", "--data", data, "--from", os.path.join(w.base, "mirror"))
    assert r.returncode == 0 and "nothing to fetch" in r.stdout, r.stdout


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_backup_is_behind_and_refused,
        test_recover_from_mirror_url,
        test_recover_from_receipts_alone,
        test_recover_from_tiles_directory_and_copy,
        test_lost_entry_named_and_refused,
        test_wrong_entry_refused,
        test_fork_refused,
        test_restored_in_place_rollback_then_recover,
        test_recover_busy_and_usage,
    ]))
