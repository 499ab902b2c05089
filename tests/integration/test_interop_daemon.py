"""The real daemon's checkpoint, tiles, entry bundles and proofs verified
by golang.org/x/mod/sumdb (tlog, note), unchanged (Debian's
golang-golang-x-mod-dev)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, payment, submission  # noqa: E402

ORIGIN = "interop.example/log"


def build_go():
    out = os.path.join(ptlib.BUILD, "interop", "daemon_tiles")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
               GOCACHE=os.path.join(ptlib.BUILD, "gocache"), GOFLAGS="")
    subprocess.check_call(["go", "build", "-o", out, "."],
                          cwd=os.path.join(ptlib.TOP, "tests", "interop", "daemon_tiles"),
                          env=env)
    return out


def test_go_sumdb_verifies_daemon():
    prog = build_go()
    k = Key("office")
    d = Daemon(origin=ORIGIN, submitters=[(k, [])],
               extra=["--config", os.path.join(ptlib.tmpdir(), "none.conf")])
    with open(d.extra[1], "w") as f:
        f.write("rate_limit = 0\n")
    d.start()
    url = "http://127.0.0.1:%d" % d.port
    # Sizes that exercise partial and full tiles at levels 0 and 1.
    n = 0
    for target in (1, 7, 256, 300, 600):
        while n < target:
            assert d.post("/add", submission(payment("g%d" % n), k, ORIGIN)).status == 200
            n += 1
        out = subprocess.run([prog, url, d.vkey()], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        print("  " + out.stdout.strip())
    assert d.stop() == 0


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_go_sumdb_verifies_daemon]))
