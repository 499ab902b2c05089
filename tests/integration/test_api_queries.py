"""Query strings of the read routes (issue 16), and HEAD answers: every value is seen whole,
by its decoded length.  An encoded NUL is a byte of the value (refused by
the value's own rule: 400), never an end that hides what follows it.  The
same requests without the junk are answered 200, so each refusal is the
junk's."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key, payment, submission, unpackb  # noqa: E402

ORIGIN = "test.example/log"


def start_with_entries():
    k = Key("office")
    d = Daemon(submitters=[(k, [])])
    d.start()
    for rid in ("P-1", "P+2", "P-3"):
        r = d.post("/add", submission(payment(rid), k, ORIGIN))
        assert r.status == 200, (r.status, r.body)
    return d, k


def expect(d, path, status):
    r = d.get(path)
    assert r.status == status, (path, r.status, r.body[:200])
    return r


def test_encoded_nul_refused():
    d, k = start_with_entries()
    try:
        sid = k.submitter_id.hex()
        # The three of the issue, and their clean twins.
        expect(d, "/proof/inclusion?index=0&size=1", 200)
        expect(d, "/proof/inclusion?index=0&size=1%00junk", 400)
        expect(d, "/proof/consistency?old=1&new=1", 200)
        expect(d, "/proof/consistency?old=1%00x&new=1%00y", 400)
        r = expect(d, "/lookup?submitter=%s&id=P-1" % sid, 200)
        assert unpackb(r.body)["index"] == d.base
        expect(d, "/lookup?submitter=%s&id=P-1%%00junk" % sid, 400)
        # A NUL anywhere in any value: first, last, alone.
        for path in ["/proof/inclusion?index=%00&size=1",
                     "/proof/inclusion?index=0%00&size=1",
                     "/proof/inclusion?index=0&size=%001",
                     "/proof/consistency?old=1&new=1%00",
                     "/proof/consistency?old=%001&new=1",
                     "/proof/inclusion?hash=%s%%00&size=1" % ("00" * 32),
                     "/lookup?submitter=%s%%00&id=P-1" % sid,
                     "/lookup?submitter=%s&id=%%00P-1" % sid,
                     "/lookup?submitter=%s&id=P-1%%00" % sid,
                     "/lookup?submitter=%s&id=%%00" % sid]:
            expect(d, path, 400)
        # The tree is what it was.
        assert d.checkpoint()[1] == d.base + 3
        assert d.stop() == 0
    finally:
        d.kill()


def test_values_are_decoded_keys_are_not():
    d, k = start_with_entries()
    try:
        sid = k.submitter_id.hex()
        # Percent-encoded digits are the digits.
        expect(d, "/proof/inclusion?index=%30&size=%33", 200)
        # '+' in a value is a space (as evhttp decodes queries): an id
        # with '+' is looked up as %2B; a space is never in an id (400).
        r = expect(d, "/lookup?submitter=%s&id=P%%2B2" % sid, 200)
        assert unpackb(r.body)["index"] == d.base + 1
        expect(d, "/lookup?submitter=%s&id=P+2" % sid, 400)
        expect(d, "/lookup?submitter=%s&id=P%%202" % sid, 400)
        # Control bytes and non-ASCII are never in an id.
        expect(d, "/lookup?submitter=%s&id=P%%0A1" % sid, 400)
        expect(d, "/lookup?submitter=%s&id=%%C3%%A9" % sid, 400)
        expect(d, "/lookup?submitter=%s&id=%s" % (sid, "a" * 128), 404)
        expect(d, "/lookup?submitter=%s&id=%s" % (sid, "a" * 129), 400)
        # Keys are matched as sent: an encoded key is an unknown one.
        expect(d, "/proof/inclusion?index=0&%73ize=1", 400)
        # Splitting: a trailing '&' is allowed, an empty parameter is not.
        expect(d, "/proof/inclusion?index=0&size=1&", 200)
        expect(d, "/proof/inclusion?&index=0&size=1", 400)
        expect(d, "/proof/inclusion?index=0&&size=1", 400)
        expect(d, "/proof/inclusion?index=0&size", 400)
        expect(d, "/proof/inclusion?index=0&=1&size=1", 400)
        # An '&' or '=' encoded inside a value is part of the value.
        expect(d, "/proof/inclusion?index=0%26size=1", 400)
        expect(d, "/proof/inclusion?index=0&size=1%3D1", 400)
        # Repeated, even with an equal value.
        expect(d, "/proof/consistency?old=1&new=2&new=2", 400)
        # Hex by decoded length: 64 digits exactly.
        leaf = ptlib.leaf_hash(ptlib.fetch_entries(d, 3)[2]).hex()
        r = expect(d, "/proof/inclusion?hash=%s&size=3" % leaf, 200)
        assert unpackb(r.body)["index"] == 2
        expect(d, "/proof/inclusion?hash=%s0&size=3" % leaf, 400)
        expect(d, "/proof/inclusion?hash=%s&size=3" % leaf[:-1], 400)
        assert d.stop() == 0
    finally:
        d.kill()


def test_head_answers_have_no_content():
    """HEAD: the GET answer's headers (Content-Length included), no
    content, so that the next answer on a keep-alive connection is read
    whole (the content used to be sent, and read as the next answer)."""
    import socket
    d, k = start_with_entries()
    try:
        get = d.get("/checkpoint")
        s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        f = s.makefile("rb")
        for method, path in [("HEAD", "/checkpoint"), ("HEAD", "/nope"),
                             ("GET", "/healthz")]:
            s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\n\r\n" %
                       (method, path)).encode())
            status = f.readline()
            headers = {}
            while True:
                line = f.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            n = int(headers["content-length"])
            if method == "HEAD":
                if path == "/checkpoint":
                    assert status.startswith(b"HTTP/1.1 200"), status
                    assert n == len(get.body), (n, len(get.body))
                else:
                    assert status.startswith(b"HTTP/1.1 404"), status
            else:
                assert status.startswith(b"HTTP/1.1 200"), status
                assert f.read(n) == b"ok\n"
        s.close()
        assert d.stop() == 0
    finally:
        d.kill()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_encoded_nul_refused,
        test_values_are_decoded_keys_are_not,
        test_head_answers_have_no_content,
    ]))
