"""Operating pubtraild (issue 17): what an operator sees and relies on.

- the service manager protocol: READY=1 through the NOTIFY_SOCKET the test
  provides (a Python AF_UNIX datagram socket), only once the log is
  verified and the port bound, never from a daemon that refuses to start;
  WATCHDOG=1 pings at half WATCHDOG_USEC; RELOADING=1/READY=1 on SIGHUP;
  STOPPING=1 on SIGTERM;
- a new log's origin: chosen, refused without one under --require-origin,
  or loudly named after the host.
"""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon  # noqa: E402


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


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_notify_ready_watchdog_reload_stop,
        test_no_ready_when_start_fails,
        test_origin_required_or_loud,
    ]))
