"""Hostile HTTP clients against the real pubtraild: slow trickles, huge
headers and bodies, endless chunked bodies, too many connections.  Each
gets a fast refusal while normal clients are still served."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, payment, submission  # noqa: E402

ORIGIN = "test.example/log"


def conf(text):
    p = os.path.join(ptlib.tmpdir(), "h.conf")
    with open(p, "w") as f:
        f.write(text)
    return p


def raw(port, data, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    s.close()
    return out


def test_slow_trickle_cut_by_deadline_others_served():
    n = int(os.environ.get("PT_SLOW_CONNS", "300"))
    d = Daemon(extra=["--config", conf("request_deadline_ms = 1500\n"
                                       "idle_timeout_s = 30\n")])
    d.start()
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        s.sendall(b"GET /checkpoint HTTP/1.1\r\n")
        socks.append(s)
    # Normal clients are served while the slow ones trickle.
    t0 = time.time()
    for _ in range(20):
        assert d.get("/checkpoint").status == 200
    assert time.time() - t0 < 5
    # Trickle one header byte per 100 ms: inactivity never fires, the
    # whole-request deadline does.
    cut = 0
    end = time.time() + 4
    while time.time() < end and cut < n:
        cut = 0
        for s in socks:
            try:
                s.sendall(b"X")
            except OSError:
                cut += 1
        time.sleep(0.1)
    for s in socks:
        s.close()
    assert cut >= n * 0.9, (cut, n)
    m = d.get("/metrics").body.decode()
    assert "pubtrail_http_deadline_cuts_total" in m
    cuts = int([l for l in m.splitlines() if l.startswith("pubtrail_http_deadline_cuts_total ")][0].split()[1])
    assert cuts >= n * 0.9, cuts
    assert d.stop() == 0


def test_huge_headers_and_bodies():
    k = Key("office")
    d = Daemon(submitters=[(k, [])])
    d.start()
    r = raw(d.port, b"GET /checkpoint HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
    assert r == b"" or r.split(b" ")[1][:1] == b"4", r[:80]
    # (bodies up to add_batch_bytes, 4 MiB, are read: a POST /add batch
    # may be that large; beyond it refused from the headers)
    for size in ((4 << 20) + 1, 100 << 20):
        s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        s.sendall(b"POST /add HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
        try:
            s.sendall(b"x" * 65536)
        except OSError:
            pass
        out = s.recv(4096)
        s.close()
        assert out == b"" or b" 413 " in out.split(b"\r\n")[0], out[:80]
    # Endless chunked body: refused at max_body, never buffered forever.
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    s.sendall(b"POST /add HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    got = b""
    try:
        for i in range(2000):
            s.sendall(b"400\r\n" + b"y" * 1024 + b"\r\n")
    except OSError:
        pass
    try:
        got = s.recv(4096)
    except OSError:
        pass
    s.close()
    assert got == b"" or b" 413 " in got.split(b"\r\n")[0], got[:80]
    # Still healthy, nothing stored.
    assert d.post("/add", submission(payment("ok1"), k, ORIGIN)).status == 200
    assert d.checkpoint()[1] == d.base + 1
    assert d.stop() == 0


def test_connection_cap():
    d = Daemon(extra=["--config", conf("max_connections = 16\n")])
    d.start()
    # Hold more than the cap (the daemon's own readiness probes may still
    # count for a sweep period).
    socks = [socket.create_connection(("127.0.0.1", d.port)) for _ in range(20)]
    time.sleep(0.3)
    # The cap counts live connections: one of the held ones may have been
    # the probe's slot.  Of two more, at least one must be refused.
    results = []
    for _ in range(2):
        extra = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        socks.append(extra)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            got = extra.recv(100)
        except OSError:
            got = b""
        results.append(got)
    assert any(g == b"" or g.startswith(b"HTTP/1.1 503") for g in results), results
    for s in socks:
        s.close()
    time.sleep(0.4)
    assert d.get("/healthz").status == 200
    m = d.get("/metrics").body.decode()
    refused = int([l for l in m.splitlines() if l.startswith(
        "pubtrail_http_connections_refused_total ")][0].split()[1])
    assert refused >= 5, m
    assert d.stop() == 0


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_slow_trickle_cut_by_deadline_others_served,
        test_huge_headers_and_bodies,
        test_connection_cap,
    ]))
