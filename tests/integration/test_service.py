"""Service files (issue 17): the systemd unit, the sample pubtraild.conf and
`make install`, checked with systemd's own tools and the real daemon.

- `make install` into a temporary PREFIX (and with DESTDIR) puts every file
  where it says, with the paths of that install in the unit;
- `systemd-analyze verify` accepts the unit without a word (the binary and
  the man pages it names exist), and `systemd-analyze security --offline`
  rates its exposure at most 2.0 ("OK");
- the sample config names every key of `pubtraild --help`, each commented
  default is the daemon's default, and `pubtraild -n` accepts it as
  shipped and with every key uncommented;
- the system calls the daemon makes while it serves, appends, reloads and
  stops (traced with strace) are all allowed by the unit's
  SystemCallFilter= (expanded by `systemd-analyze syscall-filter`).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, payment, submission  # noqa: E402

TOP = ptlib.TOP
BUILD = ptlib.BUILD


def make_install(prefix, destdir="", extra=()):
    args = ["make", "-s", "--no-print-directory", "-C", TOP,
            "BUILD=" + BUILD, "PREFIX=" + prefix, "install"]
    if destdir:
        args.append("DESTDIR=" + destdir)
    args += list(extra)
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def help_keys():
    """{key: default text} from `pubtraild --help`'s config key list."""
    out = subprocess.run([ptlib.PUBTRAILD, "--help"], capture_output=True,
                         text=True, check=True).stdout
    keys = {}
    for line in out.split("Config keys", 1)[1].splitlines():
        m = re.match(r"^  (\w+)\s.*\(default (\"[^\"]*\"|\d+)(, [\d.]+)?\)$",
                     line)
        if m:
            keys[m.group(1)] = m.group(2).strip('"')
    return keys


def test_install_layout():
    t = ptlib.tmpdir("pt-inst-")
    prefix = os.path.join(t, "usr")
    make_install(prefix, extra=("SYSCONFDIR=" + os.path.join(t, "etc"),))
    want = ["sbin/pubtraild", "bin/pubtrail",
            "lib/systemd/system/pubtraild.service",
            "lib/sysusers.d/pubtrail.conf",
            "share/pubtrail/pubtraild.conf.example",
            "share/man/man8/pubtraild.8", "share/man/man5/pubtraild.conf.5",
            "share/man/man1/pubtrail.1", "share/pubtrail/web/index.html"]
    for w in want:
        assert os.path.isfile(os.path.join(prefix, w)), w
    conf = os.path.join(t, "etc", "pubtrail", "pubtraild.conf")
    assert os.path.isfile(conf)
    unit = open(os.path.join(prefix, "lib/systemd/system/pubtraild.service")).read()
    assert ("ExecStart=%s/sbin/pubtraild --config %s --require-origin"
            % (prefix, conf)) in unit, unit
    assert "@" not in re.sub(r"(?m)^#.*$|@system-service|@privileged|@resources",
                             "", unit)
    sample = open(conf).read()
    assert "# web_root = %s/share/pubtrail/web" % prefix in sample
    # The daemon installed accepts the config installed.
    r = subprocess.run([os.path.join(prefix, "sbin/pubtraild"), "-n",
                        "--config", conf], capture_output=True, text=True)
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stderr
    # An operator's edited config is kept by a second install.
    with open(conf, "a") as f:
        f.write("origin = kept.example/log\n")
    out = make_install(prefix, extra=("SYSCONFDIR=" + os.path.join(t, "etc"),))
    assert "kept" in out
    assert "origin = kept.example/log" in open(conf).read()

    # DESTDIR: nothing outside it, the unit names the final paths.
    dd = ptlib.tmpdir("pt-destdir-")
    make_install("/opt/pt", destdir=dd)
    unit = open(os.path.join(dd, "opt/pt/lib/systemd/system/pubtraild.service")).read()
    assert "ExecStart=/opt/pt/sbin/pubtraild --config /opt/pt/etc/pubtrail/pubtraild.conf" in unit
    assert os.path.isfile(os.path.join(dd, "opt/pt/etc/pubtrail/pubtraild.conf"))
    assert sorted(os.listdir(dd)) == ["opt"]


def test_unit_verifies():
    t = ptlib.tmpdir("pt-unit-")
    make_install(t, extra=("SYSCONFDIR=" + os.path.join(t, "etc"),))
    unit = os.path.join(t, "lib/systemd/system/pubtraild.service")
    env = dict(os.environ, MANPATH=os.path.join(t, "share/man"))
    r = subprocess.run(["systemd-analyze", "verify", unit],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0 and r.stdout.strip() == "" and \
        r.stderr.strip() == "", "verify: rc %d\n%s%s" % (
            r.returncode, r.stdout, r.stderr)
    # verify does fail on a broken unit (the check is not vacuous).
    bad = os.path.join(t, "lib/systemd/system/pubtraild-bad.service")
    with open(bad, "w") as f:
        f.write(open(unit).read().replace(
            "ExecStart=" + t, "ExecStart=" + t + "/nonexistent"))
    r = subprocess.run(["systemd-analyze", "verify", bad],
                       capture_output=True, text=True, env=env)
    assert r.returncode != 0 or "not executable" in r.stderr, r.stderr
    os.unlink(bad)
    text = open(unit).read()
    for need in ("Type=notify", "User=_pubtrail", "ProtectSystem=strict",
                 "ReadWritePaths=/var/lib/pubtrail", "NoNewPrivileges=yes",
                 "SystemCallFilter=@system-service", "WatchdogSec=",
                 "--require-origin"):
        assert need in text, need
    r = subprocess.run(["systemd-analyze", "security", "--offline=true",
                        "--threshold=20", unit], capture_output=True,
                       text=True, env=env)
    m = re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout)
    assert r.returncode == 0 and m and float(m.group(1)) <= 2.0, r.stdout[-600:]


def test_sample_config_complete():
    keys = help_keys()
    assert len(keys) >= 20, keys
    sample = open(os.path.join(TOP, "dist", "pubtraild.conf.in")).read()
    sample = sample.replace("@SYSCONFDIR@", "/etc").replace(
        "@WEBROOT@", keys["web_root"])
    seen = {}
    for line in sample.splitlines():
        m = re.match(r"^#? ?(\w+) =\s*(.*)$", line)
        if m and m.group(1) in keys:
            seen[m.group(1)] = m.group(2)
    missing = set(keys) - set(seen)
    assert not missing, "sample lacks %s" % sorted(missing)
    t = ptlib.tmpdir("pt-conf-")
    asis = os.path.join(t, "asis.conf")
    with open(asis, "w") as f:
        f.write(sample)
    r = subprocess.run([ptlib.PUBTRAILD, "-n", "--config", asis],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # Every commented key is shown with the daemon's own default, and the
    # daemon accepts each of them uncommented.
    for k, v in seen.items():
        if k in ("data", "listen"):
            continue
        assert v == keys[k], "%s: sample %r, daemon default %r" % (k, v, keys[k])
    allk = os.path.join(t, "all.conf")
    with open(allk, "w") as f:
        f.write(re.sub(r"(?m)^# (\w+ =)", r"\1", sample))
    r = subprocess.run([ptlib.PUBTRAILD, "-n", "--config", allk],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def filter_set(unit_text):
    """The syscalls a unit's SystemCallFilter= lines allow."""
    def expand(name, seen):
        if not name.startswith("@"):
            return {name}
        if name in seen:
            return set()
        seen.add(name)
        out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                             capture_output=True, text=True, check=True).stdout
        s = set()
        for line in out.splitlines()[1:]:
            w = line.strip()
            if not w or w.startswith("#"):
                continue
            s |= expand(w, seen)
        return s
    allowed = None
    for line in unit_text.splitlines():
        if not line.startswith("SystemCallFilter="):
            continue
        v = line.split("=", 1)[1].strip()
        deny = v.startswith("~")
        names = set()
        for w in v.lstrip("~").split():
            names |= expand(w, set())
        if deny:
            allowed -= names
        else:
            allowed = names if allowed is None else allowed | names
    return allowed


def test_syscalls_within_filter():
    if shutil.which("strace") is None:
        raise AssertionError("strace is missing (make deps installs it)")
    unit = open(os.path.join(TOP, "dist", "pubtraild.service.in")).read()
    allowed = filter_set(unit)
    assert "write" in allowed and "setuid" not in allowed and \
        "setrlimit" not in allowed
    t = ptlib.tmpdir("pt-strace-")
    trace = os.path.join(t, "trace")
    # strace -f follows the verify threads and the sequencer.
    wrap = os.path.join(t, "pubtraild-traced")
    with open(wrap, "w") as f:
        f.write('#!/bin/sh\nexec strace -f -qq -o "%s" "%s" "$@"\n'
                % (trace, ptlib.PUBTRAILD))
    os.chmod(wrap, 0o755)
    k = Key("finance-office")
    d = Daemon(submitters=[(k, ["payment"])], binary=wrap, extra=["-v"])
    if "asan" in os.path.basename(ptlib.BUILD.rstrip("/")):
        # LeakSanitizer stops the process it finds traced (it works by
        # ptrace itself); leaks are checked by every other test of make asan.
        opts = d.env.get("ASAN_OPTIONS", "")
        d.env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=0"
    d.start(wait=False)
    d.wait_ready(timeout=60)
    for i in range(20):
        r = d.post("/add", submission(payment("PAY-%d" % i), k, d.origin))
        assert r.status == 200, (r.status, r.body)
    for path in ("/checkpoint", "/tile/0/000.p/20", "/tile/entries/000.p/20",
                 "/metrics", "/healthz", "/"):
        d.get(path)
    # Signals go to the daemon (strace's child), not to strace; strace
    # exits with the daemon's status.
    with open("/proc/%d/task/%d/children" % (d.proc.pid, d.proc.pid)) as f:
        pid = int(f.read().split()[0])
    os.kill(pid, signal.SIGHUP)
    d.get("/healthz")
    os.kill(pid, signal.SIGTERM)
    assert d.proc.wait(timeout=60) == 0, d.logtext()
    d.stop()
    used = set()
    for line in open(trace, errors="replace"):
        m = re.match(r"^\d+\s+(?:<\.\.\. )?([a-z_0-9]+)[( ]", line)
        if m and not line.split(None, 1)[1].startswith("+++") and \
                not line.split(None, 1)[1].startswith("---"):
            used.add(m.group(1))
    # execve is the exec of pubtraild itself (the manager allows it).
    used.discard("execve")
    assert len(used) > 20, sorted(used)
    outside = sorted(used - allowed)
    assert not outside, "system calls outside the unit's filter: %s" % outside


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_install_layout,
        test_unit_verifies,
        test_sample_config_complete,
        test_syscalls_within_filter,
    ]))
