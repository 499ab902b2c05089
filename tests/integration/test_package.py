"""The Debian package (issue 17): `make deb` builds it from this tree, apt
installs it, and what it installed works.

Checked after `apt-get install ./pubtrail_*.deb`:
- the binaries run (`pubtraild --version`, `pubtrail --help`);
- the service user _pubtrail exists and owns /var/lib/pubtrail (0700);
- the config is a conffile and `pubtraild -n` accepts it;
- `systemd-analyze verify` accepts the installed unit;
- the service's command line refuses to create a log without an origin
  and leaves nothing behind; with an origin, the installed daemon runs as
  _pubtrail, serves a checkpoint and the citizen page from /usr/share;
- `apt-get purge` removes the package and keeps the data directory.

This test changes the machine it runs on (it installs and purges a
package, as root), one test run at a time (a lock in /var/lock).  It
removes the user and the data directory again when it created them, and it
will not touch a pubtrail package that was installed before it ran.
Building the package takes ~15 s on 2 CPUs, installing it ~5 s.
"""
import fcntl
import grp
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402

TOP = ptlib.TOP
BUILD = ptlib.BUILD
LOCK = "/var/lock/pubtrail-package-test.lock"
APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=600",
       "--no-install-recommends"]


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(args, **kw)


def installed(pkg):
    r = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", pkg])
    return r.returncode == 0 and r.stdout.startswith("ii")


def version():
    for line in open(os.path.join(TOP, "Makefile")):
        if line.startswith("VERSION"):
            return line.split(":=")[1].strip()
    raise AssertionError("no VERSION in the Makefile")


def build_deb():
    start = time.time()
    r = run(["make", "--no-print-directory", "-C", TOP, "BUILD=" + BUILD,
             "deb"], timeout=900)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    debs = [f for f in os.listdir(os.path.join(BUILD, "deb"))
            if f.startswith("pubtrail_%s_" % version()) and f.endswith(".deb")]
    assert len(debs) == 1, debs
    print("built %s in %.1f s" % (debs[0], time.time() - start), flush=True)
    return os.path.join(BUILD, "deb", debs[0])


def test_package():
    if os.geteuid() != 0:
        raise AssertionError("the package test installs a package: run as root")
    with open(LOCK, "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if installed("pubtrail"):
            print("SKIP: a pubtrail package is already installed on this "
                  "machine; the test will not replace it", flush=True)
            return
        had_user = True
        try:
            pwd.getpwnam("_pubtrail")
        except KeyError:
            had_user = False
        had_dir = os.path.exists("/var/lib/pubtrail")
        deb = build_deb()
        try:
            check_installed(deb)
        finally:
            run(APT + ["purge", "pubtrail"], timeout=600)
            if not had_user:
                run(["deluser", "--quiet", "--system", "_pubtrail"])
                try:
                    grp.getgrnam("_pubtrail")
                    run(["delgroup", "--quiet", "--system", "_pubtrail"])
                except KeyError:
                    pass
            if not had_dir:
                shutil.rmtree("/var/lib/pubtrail", ignore_errors=True)


def check_installed(deb):
    start = time.time()
    r = run(APT + ["install", deb], timeout=900,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    assert r.returncode == 0, r.stdout + r.stderr
    print("installed with apt in %.1f s" % (time.time() - start), flush=True)
    assert installed("pubtrail")

    r = run(["/usr/sbin/pubtraild", "--version"])
    assert r.returncode == 0 and r.stdout.strip() == "pubtraild " + version(), r
    r = run(["/usr/bin/pubtrail", "--help"])
    assert r.returncode == 0 and "usage" in (r.stdout + r.stderr).lower(), r
    assert run(["man", "-w", "pubtraild"]).returncode == 0 or \
        shutil.which("man") is None

    u = pwd.getpwnam("_pubtrail")
    assert u.pw_uid < 1000 and u.pw_dir == "/var/lib/pubtrail", u
    st = os.stat("/var/lib/pubtrail")
    assert st.st_uid == u.pw_uid and (st.st_mode & 0o777) == 0o700, oct(st.st_mode)

    conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", "pubtrail"]).stdout
    assert "/etc/pubtrail/pubtraild.conf" in conffiles, conffiles
    r = run(["/usr/sbin/pubtraild", "-n", "--config",
             "/etc/pubtrail/pubtraild.conf"])
    assert r.returncode == 0, r.stderr

    r = run(["systemd-analyze", "verify", "/lib/systemd/system/pubtraild.service"])
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    assert os.path.isfile("/usr/share/doc/pubtrail/README.Debian")

    # The unit's command line, as the service user: no origin, no log.
    before = sorted(os.listdir("/var/lib/pubtrail"))
    r = run(["setpriv", "--reuid=_pubtrail", "--regid=_pubtrail",
             "--clear-groups", "/usr/sbin/pubtraild", "--config",
             "/etc/pubtrail/pubtraild.conf", "--require-origin"], timeout=60)
    assert r.returncode != 0 and "no origin was chosen" in r.stderr, r
    assert sorted(os.listdir("/var/lib/pubtrail")) == before

    # With an origin: the installed daemon, as _pubtrail, serves a log and
    # the citizen page installed in /usr/share/pubtrail/web.
    data = "/var/lib/pubtrail/package-test-%d" % os.getpid()
    port = ptlib.free_port()
    log = open(os.path.join(ptlib.tmpdir("pt-pkg-"), "daemon.log"), "w+")
    p = subprocess.Popen(
        ["setpriv", "--reuid=_pubtrail", "--regid=_pubtrail",
         "--clear-groups", "/usr/sbin/pubtraild", "--config",
         "/etc/pubtrail/pubtraild.conf", "--require-origin", "--data", data,
         "--listen", "127.0.0.1:%d" % port, "--origin",
         "package-test.example/log"], stdout=log, stderr=log)
    try:
        end = time.time() + 30
        while True:
            assert p.poll() is None, open(log.name).read()
            try:
                if ptlib.request(port, "GET", "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.time() < end, open(log.name).read()
            time.sleep(0.05)
        r = ptlib.request(port, "GET", "/checkpoint")
        assert r.status == 200 and r.body.startswith(b"package-test.example/log\n0\n")
        r = ptlib.request(port, "GET", "/")
        assert r.status == 200 and b"<html" in r.body.lower(), r.status
        st = os.stat(os.path.join(data, "log.key"))
        assert st.st_uid == pwd.getpwnam("_pubtrail").pw_uid
        assert (st.st_mode & 0o777) == 0o600
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)
    assert rc == 0, open(log.name).read()

    r = run(APT + ["purge", "pubtrail"], timeout=600)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists("/usr/sbin/pubtraild")
    assert os.path.isdir("/var/lib/pubtrail"), "purge must keep the log's data"


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([test_package]))
