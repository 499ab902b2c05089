#!/usr/bin/python3
"""pubtraild's publish_dir (issue 13 point 4): the daemon writes the same
static tlog-tiles tree as `pubtrail mirror`, from its committed data, off
the sequencer thread.

- After appends in many batches the tree's checkpoint becomes the served
  one; every tile and bundle is byte for byte the daemon's answer, every
  tile of the tree is there, obsolete partials are gone, gzip copies
  decompress to the bundles; log.vkey and the page's config.json are
  there.
- Served by a plain static server: Go's sumdb/tlog verifies it unchanged,
  pubtrail audit and get read it.
- A restart goes on from the published checkpoint (the files already
  there are not rewritten); appends made while publish_dir is not
  writable are published once it is (the log never stopped); a
  publish_dir holding another log's tree is left alone, loudly, and the
  daemon keeps serving.
- A mirror of the daemon and its published tree are the same files.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from test_client_roundtrip import Env, run  # noqa: E402
from test_interop_daemon import build_go  # noqa: E402
from test_mirror import Static, files, same_as_daemon  # noqa: E402
from test_tiles_only import records, submit  # noqa: E402


def env_with_publish(pub, gz=1):
    conf = os.path.join(ptlib.tmpdir(), "pubtraild.conf")
    web = os.path.join(ptlib.BUILD, "web")
    with open(conf, "w") as f:
        f.write("[pubtraild]\nrate_limit = 0\npublish_dir = %s\n"
                "publish_gzip = %d\nweb_root = %s\n" % (
                    pub, gz, web if os.path.isdir(web) else ""))
    return Env(extra=["--config", conf])


def published_size(env):
    for ln in env.d.get("/metrics").body.decode().splitlines():
        if ln.startswith("pubtrail_published_tree_size "):
            return int(ln.split()[1])
    return None


def wait_published(env, pub, timeout=60):
    """Until the tree's checkpoint is the served one and the round is
    over (the partial tiles it replaced removed: the metric is set
    last)."""
    want = env.d.get("/checkpoint").body
    size = int(want.split(b"\n")[1])
    end = time.time() + timeout
    while time.time() < end:
        try:
            if open(os.path.join(pub, "checkpoint"), "rb").read() == want \
                    and published_size(env) == size:
                return want
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise AssertionError("publish_dir did not reach the served checkpoint")


def test_publish_dir():
    pub = os.path.join(ptlib.tmpdir(), "published")
    env = env_with_publish(pub)
    st = None
    os.environ["PUBTRAIL_STATE"] = "-"
    try:
        for i in range(5):
            submit(env, "a%d.jsonl" % i, records("A%d" % i, 150))
        wait_published(env, pub)
        B = env.d.base      # the bootstrap's grant comes first
        have = same_as_daemon(env, pub, B + 750)
        assert any(r.endswith(".gz") for r in have)
        assert open(os.path.join(pub, "log.vkey")).read().strip() == \
            open(env.logvkey).read().strip()
        if os.path.isdir(os.path.join(ptlib.BUILD, "web")):
            # the page, and its config.json as the daemon answers it
            assert os.path.exists(os.path.join(pub, "index.html"))
            cfg = json.load(open(os.path.join(pub, "config.json")))
            assert cfg["log_key"] == open(env.logvkey).read().strip()
            assert json.loads(env.d.get("/config.json").body) == cfg
        st = Static(pub)
        go = subprocess.run([build_go(), st.url, env.d.vkey(), "tiles-only"],
                            capture_output=True, text=True)
        assert go.returncode == 0, go.stdout + go.stderr
        print("  " + go.stdout.strip())
        M = ["--log", st.url, "--log-key", env.logvkey]
        s = json.loads(run("audit", *M, "--json", check=0).stdout)
        assert s["ok"] and s["entries_checked"] == B + 750
        a = json.loads(run("get", "entry", *M, "--json", 700, check=0).stdout)
        assert a["index"] == 700

        # a mirror of the daemon is the same tree
        mir = os.path.join(ptlib.tmpdir(), "mirror")
        run("mirror", *env.L, "--out", mir, "--no-web", "--gzip", check=0)
        fm = {r for r in files(mir) if r.startswith("tile/")}
        # the published tree also keeps the partial tiles of the earlier
        # checkpoints it published (until their full tiles exist)
        assert fm <= set(have), sorted(fm - set(have))[:5]
        assert all(".p/" in r for r in set(have) - fm)
        for r in fm:
            assert open(os.path.join(mir, r), "rb").read() == \
                open(os.path.join(pub, r), "rb").read(), r

        # restart: goes on from the published checkpoint
        env.d.stop()
        mtime = os.stat(os.path.join(pub, "tile/entries/000")).st_mtime_ns
        env.d.start(port=env.d.port)
        submit(env, "b.jsonl", records("B", 300))
        wait_published(env, pub)
        same_as_daemon(env, pub, B + 1050)
        assert os.stat(os.path.join(pub, "tile/entries/000")).st_mtime_ns \
            == mtime

        # a publish_dir that cannot be written (its tile/ replaced by a
        # file: root ignores permission bits): the log goes on, the tree
        # catches up once it can be written again
        published = open(os.path.join(pub, "checkpoint"), "rb").read()
        os.rename(os.path.join(pub, "tile"), os.path.join(pub, "tile.away"))
        open(os.path.join(pub, "tile"), "w").close()
        try:
            submit(env, "c.jsonl", records("C", 300))
            assert env.d.get("/checkpoint").body != published
            time.sleep(1.5)
            assert open(os.path.join(pub, "checkpoint"), "rb").read() == \
                published
        finally:
            os.remove(os.path.join(pub, "tile"))
            os.rename(os.path.join(pub, "tile.away"),
                      os.path.join(pub, "tile"))
        wait_published(env, pub)
        same_as_daemon(env, pub, B + 1350)
        log = env.d.logtext()
        assert "retrying every second" in log and "publishing again" in log, \
            log[-2000:]
    finally:
        if st:
            st.close()
        env.close()


def test_publish_dir_of_another_log():
    pub = os.path.join(ptlib.tmpdir(), "published")
    a = env_with_publish(pub, gz=0)
    try:
        submit(a, "a.jsonl", records("A", 300))
        wait_published(a, pub)
    finally:
        a.close()
    # another log (another key) pointed at the same directory: not
    # written over, said loudly, the log serves
    before = {r: open(p, "rb").read() for r, p in files(pub).items()
              if not r.startswith(".")}
    b = env_with_publish(pub, gz=0)
    try:
        submit(b, "b.jsonl", records("B", 300))
        log = b.d.logtext()
        assert "publish_dir" in log and "not one of this log" in log, \
            log[-2000:]
        assert b.d.get("/checkpoint").status == 200
        after = {r: open(p, "rb").read() for r, p in files(pub).items()
                 if not r.startswith(".")}
        assert after == before
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_publish_dir,
                              test_publish_dir_of_another_log]))
