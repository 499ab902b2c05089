"""The log's witness client (daemon/witc.c) against real witnesses, driven
by tests/tools/witc_tool on a real pubtraild's store: a 2-of-2 policy is
met and both cosignatures verify independently; after the log grows the
witnesses are asked again (409 with their size, then a consistency proof
from the store); with one witness down the quorum is not met and the
metrics say so; a bad policy is refused naming the line."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import BUILD, Daemon, Key, payment, run_tests, submission, tmpdir  # noqa: E402
from witlib import Witness, check_cosigned, EM  # noqa: E402

ORIGIN = "witc.test/log"
TOOL = os.path.join(BUILD, "tools", "witc_tool")


def witc(data, policy, wait_ms=8000):
    p = subprocess.run([TOOL, data, policy, str(wait_ms), "200", "2000"],
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_two_of_two():
    k = Key("office.test")
    d = Daemon(origin=ORIGIN, submitters=[(k, [])]).start()
    try:
        for i in range(5):
            assert d.post("/add", submission(payment("W-%d" % i), k, ORIGIN)).status == 200
        w1 = Witness([d.vkey()], name="w1.test").start()
        w2 = Witness([d.vkey()], name="w2.test").start()
        pol = os.path.join(tmpdir(), "policy")
        with open(pol, "w") as f:
            f.write("log %s\nwitness w1 %s http://127.0.0.1:%d\n"
                    "witness w2 %s http://127.0.0.1:%d/\n"
                    "group both all w1 w2\nquorum both\n" %
                    (d.vkey(), w1.vkey, w1.port, w2.vkey, w2.port))
        name, pub = d.logkey()
        rc, out, err = witc(d.data, pol)
        assert rc == 0, (rc, out, err)
        check_cosigned(out, [w1, w2], name, pub)
        assert "pubtrail_witness_quorum 1" in err, err
        # The log grows: witc starts from old 0, gets 409 with the size
        # each witness cosigned, retries with a proof from the store.
        for i in range(5, 12):
            assert d.post("/add", submission(payment("W-%d" % i), k, ORIGIN)).status == 200
        rc, out, err = witc(d.data, pol)
        assert rc == 0, (rc, out, err)
        check_cosigned(out, [w1, w2], name, pub)
        assert ptlib.open_checkpoint(out, name, pub)[1] == d.base + 12
        # One witness down: no quorum, published without it, metrics say so.
        w2.stop()
        for i in range(12, 14):
            assert d.post("/add", submission(payment("W-%d" % i), k, ORIGIN)).status == 200
        rc, out, err = witc(d.data, pol, wait_ms=3000)
        assert rc == 1, (rc, out, err)
        check_cosigned(out, [w1], name, pub)
        assert EM + "w2.test " not in out
        assert 'pubtrail_witness_up{witness="w2"} 0' in err, err
        assert "pubtrail_witness_quorum 0" in err, err
        # A witness that accepts connections and never answers: the
        # whole-request deadline ends the round, counted as a time-out.
        import socket
        mute = socket.socket()
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)
        with open(pol, "w") as f:
            f.write("witness w1 %s http://127.0.0.1:%d\n"
                    "witness mute %s http://127.0.0.1:%d\n"
                    "group both all w1 mute\nquorum both\n" %
                    (w1.vkey, w1.port, w2.vkey, mute.getsockname()[1]))
        rc, out, err = witc(d.data, pol, wait_ms=4500)
        mute.close()
        assert rc == 1, (rc, out, err)
        check_cosigned(out, [w1], name, pub)
        assert 'pubtrail_witness_requests_total{witness="mute",result="timeout"} ' in err, err
        assert 'result="timeout"} 0' in err      # w1 never timed out
        assert "no answer within" in err, err
        w1.stop()
        # A bad policy names the line.
        with open(pol, "w") as f:
            f.write("witness w1 %s http://x\nquorum w2\n" % w1.vkey)
        rc, out, err = witc(d.data, pol)
        assert rc == 2 and "line 2" in err, (rc, err)
    finally:
        d.stop()


if __name__ == "__main__":
    sys.exit(run_tests([test_two_of_two]))
