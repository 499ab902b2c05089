"""The README's first steps work as written (issue 17).

`make run ORIGIN=... DATA=...` (the README's line, on a free port) starts
the daemon; the README's "Try it" block then runs as it stands, in bash
with `set -e`, with only its demo directory (D=demo) and port replaced.
Checked: the SIGHUP it sends reaches this daemon through the pid in the
lock file (the log takes its registrar, who grants the office's key), every command succeeds, and
everything the demo made (keys, disclosures with a person's name, receipts,
state) is inside the demo directory: the work tree is unchanged.
"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402

TOP = ptlib.TOP


def readme_blocks():
    text = open(os.path.join(TOP, "README.md")).read()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    run = [b for b in blocks if "make run ORIGIN=" in b]
    tryit = text.split("## Try it", 1)[1]
    tryit = re.search(r"```sh\n(.*?)```", tryit, re.S).group(1)
    assert run and tryit
    line = [ln for ln in run[0].splitlines() if ln.startswith("make run ")][0]
    return line.split("#")[0].strip(), tryit


def worktree_state():
    r = subprocess.run(["git", "-C", TOP, "status", "--porcelain",
                        "--untracked-files=all", "--ignored"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return sorted(ln for ln in r.stdout.splitlines()
                  if not re.match(r"^.. (build|build-[^/]*|web/node_modules|"
                                  r"tests/.*__pycache__)/", ln)
                  and "__pycache__" not in ln)


def test_readme_demo():
    runline, tryit = readme_blocks()
    assert "D=demo" in tryit and "pkill" not in tryit
    t = ptlib.tmpdir("pt-readme-")
    demo = os.path.join(t, "demo")
    port = ptlib.free_port()
    before = worktree_state()
    # The README's make line, with the demo directory and a free port.
    args = runline.split()[2:]
    args = [a.replace("DATA=demo/", "DATA=%s/" % demo) for a in args]
    assert any(a.startswith("ORIGIN=") for a in args), args
    log = open(os.path.join(t, "make-run.log"), "wb")
    mk = subprocess.Popen(["make", "-s", "--no-print-directory", "-C", TOP,
                           "BUILD=" + ptlib.BUILD, "run",
                           "LISTEN=127.0.0.1:%d" % port] + args,
                          stdout=log, stderr=log)
    lock = os.path.join(demo, "log", "pubtraild.lock")
    try:
        end = time.time() + 120
        while True:
            assert mk.poll() is None, open(log.name).read()
            try:
                if ptlib.request(port, "GET", "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.time() < end, open(log.name).read()
            time.sleep(0.05)
        assert (os.stat(demo).st_mode & 0o777) == 0o700
        script = "set -e\n" + tryit.replace("D=demo", "D=" + demo, 1) \
            .replace("127.0.0.1:8640", "127.0.0.1:%d" % port)
        r = subprocess.run(["bash", "-c", script], cwd=TOP, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr + open(log.name).read()
        text = open(log.name).read()
        assert "SIGHUP: reloading" in text and "registrar registrar.demo+" in text, text
        assert 'created a new log "demo.example/payments"' in text, text
        assert "no origin given" not in text
        made = sorted(os.listdir(demo))
        for want in ("office.key", "office.key.pub", "registrar.key",
                     "office.key.disclosures.jsonl", "receipts", "log"):
            assert want in made, made
        assert (os.stat(os.path.join(demo, "office.key")).st_mode & 0o777) == 0o600
        assert (os.stat(os.path.join(demo, "office.key.disclosures.jsonl"))
                .st_mode & 0o777) == 0o600
        assert os.listdir(os.path.join(demo, "receipts"))
        assert worktree_state() == before, "the demo changed the work tree"
    finally:
        try:
            pid = int(open(lock).read().split()[0])
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError, IndexError):
            mk.kill()
        rc = mk.wait(timeout=60)
    assert rc == 0, open(log.name).read()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_readme_demo]))
