"""Operating pubtraild (issue 17): what an operator sees and relies on.

- the service manager protocol: READY=1 through the NOTIFY_SOCKET the test
  provides (a Python AF_UNIX datagram socket), only once the log is
  verified and the port bound, never from a daemon that refuses to start;
  WATCHDOG=1 pings at half WATCHDOG_USEC; RELOADING=1/READY=1 on SIGHUP;
  STOPPING=1 on SIGTERM;
- a new log's origin: chosen, refused without one under --require-origin,
  or loudly named after the host;
- one log line per refused request (status, reason, submitter, peer),
  rate-limited: a flood logs a bounded number of lines and one count of
  the rest; -v / verbose = 1 adds a line per batch; SIGHUP logs the limits
  it applied;
- a port already taken: a clear error and nothing on disk;
- --check-full: 0 good, 3 busy (a live log, with the way to check it on a
  hot backup), 4 no log, and nothing created;
- a data directory, log.key or submitters file others may use is refused
  with the command that fixes it; log.key is never written through a
  planted link; an inline '#' comment never reaches a value.
"""
import os
import signal
import socket
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, payment, submission  # noqa: E402


class Notify:
    """The service manager's end of NOTIFY_SOCKET."""

    def __init__(self):
        self.path = os.path.join(ptlib.tmpdir("pt-notify-"), "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.msgs = []

    def wait_for(self, field, timeout=20, proc=None):
        """Messages until one has field (e.g. "READY=1"); returns it."""
        end = time.time() + timeout
        while time.time() < end:
            if proc is not None and proc.poll() is not None:
                self.sock.settimeout(0.2)
            else:
                self.sock.settimeout(max(0.01, min(0.5, end - time.time())))
            try:
                m = self.sock.recv(4096).decode()
            except socket.timeout:
                if proc is not None and proc.poll() is not None:
                    return None
                continue
            self.msgs.append(m)
            if field in m.split("\n"):
                return m
        return None

    def close(self):
        self.sock.close()


def test_notify_ready_watchdog_reload_stop():
    n = Notify()
    d = Daemon(env={"NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": "200000"})
    d.start(wait=False)
    try:
        m = n.wait_for("READY=1", proc=d.proc)
        assert m is not None, d.logtext()
        # READY means the socket is bound and the log verified: the first
        # request after it is answered.
        r = d.get("/checkpoint")
        assert r.status == 200 and r.body.startswith(b"test.example/log\n")
        assert "STATUS=serving" in m, m
        # Watchdog pings at ~100 ms: several within a second.
        t0 = time.time()
        pings = 0
        while time.time() - t0 < 1.0:
            if n.wait_for("WATCHDOG=1", timeout=0.5) is not None:
                pings += 1
        assert pings >= 3, n.msgs
        d.proc.send_signal(signal.SIGHUP)
        assert n.wait_for("RELOADING=1") is not None, n.msgs
        assert n.wait_for("READY=1") is not None, n.msgs
        d.proc.send_signal(signal.SIGTERM)
        assert n.wait_for("STOPPING=1") is not None, n.msgs
        assert d.proc.wait(timeout=30) == 0
    finally:
        d.stop()
        n.close()


def test_no_ready_when_start_fails():
    # A port already taken: the daemon exits non-zero and never says READY.
    n = Notify()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    d = Daemon(env={"NOTIFY_SOCKET": n.path})
    d.start(wait=False, port=busy.getsockname()[1])
    try:
        assert d.proc.wait(timeout=30) != 0
        assert n.wait_for("READY=1", timeout=0.5, proc=d.proc) is None, n.msgs
    finally:
        d.stop()
        busy.close()
        n.close()


def test_origin_required_or_loud():
    t = ptlib.tmpdir("pt-origin-")
    data = os.path.join(t, "data")
    r = subprocess.run([ptlib.PUBTRAILD, "--data", data, "--listen",
                        "127.0.0.1:0", "--require-origin"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "no origin was chosen" in r.stderr, r.stderr
    assert not os.path.exists(data), "refused, yet it created %s" % data
    # require_origin = 1 in a config does the same.
    conf = os.path.join(t, "c.conf")
    with open(conf, "w") as f:
        f.write("data = %s\nlisten = 127.0.0.1:0\nrequire_origin = 1\n" % data)
    r = subprocess.run([ptlib.PUBTRAILD, "--config", conf],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and conf in r.stderr, r.stderr
    assert not os.path.exists(data)
    # Without --require-origin: the host name, said loudly.
    d = Daemon(data=data)
    d.origin = None
    port = ptlib.free_port()
    log = open(os.path.join(t, "d.log"), "wb")
    p = subprocess.Popen([ptlib.PUBTRAILD, "--data", data, "--listen",
                          "127.0.0.1:%d" % port], stdout=log, stderr=log)
    try:
        d.proc, d.port, d.logpath = p, port, log.name
        d.wait_ready()
        text = d.logtext()
        host = socket.gethostname()
        assert ('no origin given: this new log is named "%s/pubtrail"' % host) in text, text
        assert "--origin NAME" in text
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
    # Once the log exists, --require-origin does not ask again.
    r = subprocess.Popen([ptlib.PUBTRAILD, "--data", data, "--listen",
                          "127.0.0.1:%d" % port, "--require-origin"],
                         stdout=log, stderr=log)
    try:
        d.proc = r
        d.wait_ready()
    finally:
        r.send_signal(signal.SIGTERM)
        assert r.wait(timeout=30) == 0


def refused_lines(text):
    return [ln for ln in text.splitlines() if "pubtraild: refused " in ln]


def test_refusals_logged():
    office = Key("finance-office")
    stranger = Key("stranger-office")
    d = Daemon(submitters=[(office, ["payment"])])
    d.start()
    try:
        o = d.origin
        assert d.post("/add", b"\x93garbage").status == 400
        assert d.post("/add", submission(payment("P-1"), stranger, o)).status == 403
        assert d.post("/add", submission(payment("P-1"), office, o)).status == 200
        r = d.post("/add", submission(payment("P-1", amount=1), office, o))
        assert r.status == 409, r.status
        assert d.get("/tile/0/999").status == 404      # a read's 404: not logged
    finally:
        assert d.stop() == 0
    lines = refused_lines(d.logtext())
    assert len(lines) == 3, lines
    assert ": 400 malformed submission" in lines[0] and "submitter -" in lines[0]
    assert ": 403 unknown submitter" in lines[1], lines[1]
    assert ("submitter %s+%s" % (stranger.name, stranger.hash.hex())) in lines[1]
    assert ": 409 " in lines[2] and ("submitter %s+%s" % (
        office.name, office.hash.hex())) in lines[2], lines[2]
    for ln in lines:
        assert "POST /add" in ln and "peer 127.0.0.1:" in ln, ln
        assert "\x1b" not in ln


def test_refusal_flood_bounded():
    d = Daemon()
    d.start()
    n = 1500
    t0 = time.time()
    try:
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        for i in range(n):
            c.request("POST", "/add", body=b"\xc1\x1b[2J", headers={
                "X-Forwarded-For": "10.0.0.%d\x1b[31m" % (i % 250)})
            r = c.getresponse()
            r.read()
            assert r.status == 400
        c.close()
        elapsed = time.time() - t0
    finally:
        assert d.stop() == 0
    text = d.logtext()
    lines = refused_lines(text)
    # At most the burst plus the rate over the time the flood took.
    bound = 100 + 10 * (elapsed + 1)
    assert 100 <= len(lines) <= bound, (len(lines), bound)
    assert "\x1b" not in text
    held = [ln for ln in text.splitlines() if "more refused requests not logged" in ln]
    assert held, text[-2000:]
    import re
    counted = sum(int(re.search(r"pubtraild: (\d+) more refused", ln).group(1))
                  for ln in held)
    assert counted + len(lines) == n, (counted, len(lines), n)


def test_verbose_batches_and_hup_limits():
    office = Key("finance-office")
    t = ptlib.tmpdir("pt-verbose-")
    conf = os.path.join(t, "c.conf")
    with open(conf, "w") as f:
        f.write("verbose = 1\nrate_limit = 7   # per second\n")
    d = Daemon(submitters=[(office, ["payment"])], extra=["--config", conf])
    d.start()
    try:
        for i in range(3):
            assert d.post("/add", submission(payment("V-%d" % i), office,
                                             d.origin)).status == 200
        assert "start-up: limits rate_limit=7/s" in d.logtext(), d.logtext()
        with open(conf, "w") as f:
            f.write("verbose = 1\nrate_limit = 9\nmax_connections = 99\n")
        d.proc.send_signal(signal.SIGHUP)
        end = time.time() + 20
        while "SIGHUP: limits rate_limit=9/s" not in d.logtext():
            assert time.time() < end, d.logtext()
            time.sleep(0.05)
        assert "max_connections=99" in d.logtext()
    finally:
        assert d.stop() == 0
    text = d.logtext()
    batches = [ln for ln in text.splitlines() if "pubtraild: batch: 1 new entries" in ln]
    assert len(batches) == 3 and all(ln.startswith("<7>") for ln in batches), text
    # Without -v: no batch lines.
    d2 = Daemon(submitters=[(office, ["payment"])])
    d2.start()
    assert d2.post("/add", submission(payment("W-1"), office, d2.origin)).status == 200
    assert d2.stop() == 0
    assert "batch:" not in d2.logtext()


def test_taken_port_creates_nothing():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    data = os.path.join(ptlib.tmpdir("pt-port-"), "data")
    d = Daemon(data=data)
    d.start(wait=False, port=busy.getsockname()[1])
    try:
        assert d.proc.wait(timeout=30) == 1
    finally:
        busy.close()
        d.stop()
    assert "cannot listen on" in d.logtext() and \
        "nothing was created" in d.logtext(), d.logtext()
    assert not os.path.exists(data), os.listdir(os.path.dirname(data))


def test_check_full_exit_codes():
    office = Key("finance-office")
    d = Daemon(submitters=[(office, ["payment"])])
    d.start()
    try:
        for i in range(5):
            assert d.post("/add", submission(payment("C-%d" % i), office,
                                             d.origin)).status == 200
        r = subprocess.run([ptlib.PUBTRAILD, "--check-full", "--data", d.data],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
        assert "busy" in r.stdout and "pubtraild backup --data" in r.stdout, r.stdout
    finally:
        assert d.stop() == 0
    r = subprocess.run([ptlib.PUBTRAILD, "--check-full", "--data", d.data],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "ok, %d entries" % (d.base + 5) in r.stdout, \
        r.stdout + r.stderr
    nolog = os.path.join(ptlib.tmpdir("pt-nolog-"), "none")
    r = subprocess.run([ptlib.PUBTRAILD, "--check-full", "--data", nolog],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 4 and not os.path.exists(nolog), (r.returncode, r.stdout)


def start_fails(d, want):
    d.start(wait=False)
    rc = d.proc.wait(timeout=30)
    d.stop()
    assert rc == 1 and want in d.logtext(), (rc, d.logtext())


def test_data_dir_and_key_permissions():
    base = ptlib.tmpdir("pt-perm-")
    data = os.path.join(base, "data")
    for mode in (0o777, 0o755, 0o750):
        os.makedirs(data, exist_ok=True)
        os.chmod(data, mode)
        start_fails(Daemon(data=data), "run `chmod 700 %s`" % data)
        assert os.listdir(data) == [], os.listdir(data)
    os.chmod(data, 0o700)
    d = Daemon(data=data)
    d.start()
    assert d.stop() == 0
    key = os.path.join(data, "log.key")
    os.chmod(key, 0o644)
    start_fails(Daemon(data=data), "run `chmod 600 %s`" % key)
    os.chmod(key, 0o600)
    sub = os.path.join(data, "submitters")
    with open(sub, "w") as f:
        f.write("")
    os.chmod(sub, 0o666)
    start_fails(Daemon(data=data), "run `chmod go-w %s`" % sub)
    os.chmod(sub, 0o644)
    d = Daemon(data=data)
    d.start()
    assert d.stop() == 0


def test_log_key_never_through_a_link():
    base = ptlib.tmpdir("pt-link-")
    victim = os.path.join(base, "victim")
    # A link at the final name: refused, nothing written where it points.
    data = os.path.join(base, "a")
    os.mkdir(data, 0o700)
    os.symlink(victim, os.path.join(data, "log.key"))
    start_fails(Daemon(data=data), "symbolic link")
    assert not os.path.exists(victim)
    # A link at log.vkey: the directory looks like a log without its key,
    # refused; nothing written through the link.
    data = os.path.join(base, "c")
    os.mkdir(data, 0o700)
    os.symlink(victim + "2", os.path.join(data, "log.vkey"))
    start_fails(Daemon(data=data), "holds a log but no log.key")
    assert not os.path.exists(victim + "2")
    # A link at the temporary name the daemon used to use: the key goes to
    # a new file of its own.
    data = os.path.join(base, "b")
    os.mkdir(data, 0o700)
    os.symlink(victim, os.path.join(data, ".log.key.tmp"))
    d = Daemon(data=data)
    d.start()
    assert d.stop() == 0
    assert not os.path.exists(victim)
    st = os.lstat(os.path.join(data, "log.key"))
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_ISREG(os.lstat(os.path.join(data, "log.vkey")).st_mode)


def test_inline_comment_not_in_value():
    base = ptlib.tmpdir("pt-comment-")
    conf = os.path.join(base, "c.conf")
    with open(conf, "w") as f:
        f.write("data = %s/data2 # the 2026 log\nlisten = 127.0.0.1:0 ; any\n"
                % base)
    r = subprocess.run([ptlib.PUBTRAILD, "-n", "--config", conf],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # Only the config names the directory and the port (0: any).
    log = open(os.path.join(ptlib.tmpdir("pt-comment-log-"), "d.log"), "w+")
    p = subprocess.Popen([ptlib.PUBTRAILD, "--config", conf, "--origin",
                          "comment.example/log"], stdout=log, stderr=log)
    try:
        end = time.time() + 20
        while "listening on" not in open(log.name).read():
            assert p.poll() is None and time.time() < end, open(log.name).read()
            time.sleep(0.05)
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 0
    assert sorted(os.listdir(base)) == ["c.conf", "data2"], os.listdir(base)
    assert os.path.isfile(os.path.join(base, "data2", "log.key"))


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_notify_ready_watchdog_reload_stop,
        test_no_ready_when_start_fails,
        test_origin_required_or_loud,
        test_refusals_logged,
        test_refusal_flood_bounded,
        test_verbose_batches_and_hup_limits,
        test_taken_port_creates_nothing,
        test_check_full_exit_codes,
        test_data_dir_and_key_permissions,
        test_log_key_never_through_a_link,
        test_inline_comment_not_in_value,
    ]))
