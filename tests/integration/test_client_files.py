"""Files the client creates are created safely (issue 17).

Keys, disclosures (names and salts), receipts and state are written through
a new temporary file (mkstemp in the target directory), fsynced and renamed
(or linked, when the file must not exist yet); a symbolic link planted at
the final path is replaced or refused, never written through, so a
private key never lands where the link points.  Private keys and state are
refused in a directory others can write, a key file others can write is
refused, and one others can read gets a warning; each message names the
command that fixes it.
"""
import os
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptlib  # noqa: E402
from ptlib import Daemon, Key  # noqa: E402

P = ptlib.PUBTRAIL
VICTIM = b"victim: must never change\n"


def pt(*args, **kw):
    return subprocess.run([P] + list(args), capture_output=True, text=True,
                          timeout=60, **kw)


def private_dir():
    d = ptlib.tmpdir("pt-files-")
    os.chmod(d, 0o700)
    return d


def victim(d):
    v = os.path.join(d, "victim")
    with open(v, "wb") as f:
        f.write(VICTIM)
    os.chmod(v, 0o644)
    return v


def test_keygen_modes_and_no_leftovers():
    d = private_dir()
    k = os.path.join(d, "office.key")
    r = pt("keygen", "--name", "finance-office", "--out", k)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(k).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(k + ".pub").st_mode) == 0o644
    assert sorted(os.listdir(d)) == ["office.key", "office.key.pub"]
    # Refuses to overwrite without --force.
    r = pt("keygen", "--name", "finance-office", "--out", k)
    assert r.returncode != 0 and "already exists" in r.stderr, r.stderr


def test_keygen_symlink_at_final_path():
    d = private_dir()
    v = victim(d)
    k = os.path.join(d, "office.key")
    os.symlink(v, k)
    r = pt("keygen", "--name", "finance-office", "--out", k)
    assert r.returncode != 0 and "already exists" in r.stderr, r.stderr
    assert open(v, "rb").read() == VICTIM
    # --force replaces the link itself with a new 0600 file.
    r = pt("keygen", "--name", "finance-office", "--out", k, "--force")
    assert r.returncode == 0, r.stderr
    assert open(v, "rb").read() == VICTIM, "the key went through the link"
    st = os.lstat(k)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert open(k).read().startswith("PRIVATE+KEY+finance-office+")
    # A link planted at the .pub path is replaced, not followed, too.
    os.unlink(k)
    os.unlink(k + ".pub")
    os.symlink(v, k + ".pub")
    r = pt("keygen", "--name", "finance-office", "--out", k)
    assert r.returncode == 0, r.stderr
    assert open(v, "rb").read() == VICTIM
    assert stat.S_ISREG(os.lstat(k + ".pub").st_mode)
    # A dangling link at the key path: refused, and nothing is created
    # where it points.
    k2 = os.path.join(d, "second.key")
    target = os.path.join(d, "where-the-link-points")
    os.symlink(target, k2)
    r = pt("keygen", "--name", "second", "--out", k2)
    assert r.returncode != 0 and not os.path.exists(target)
    assert not [f for f in os.listdir(d) if f.startswith(".")], os.listdir(d)


def test_key_directory_writable_by_others_refused():
    d = ptlib.tmpdir("pt-files-")
    os.chmod(d, 0o777)
    k = os.path.join(d, "office.key")
    r = pt("keygen", "--name", "finance-office", "--out", k)
    assert r.returncode == 6, (r.returncode, r.stderr)
    assert "writable by others" in r.stderr and ("chmod go-w %s" % d) in r.stderr
    assert not os.path.exists(k)
    # A key made elsewhere, then put in such a directory, is refused on use.
    ok = private_dir()
    r = pt("keygen", "--name", "finance-office", "--out", os.path.join(ok, "k"))
    assert r.returncode == 0
    os.rename(os.path.join(ok, "k"), k)
    r = pt("disclose", "--disclosures", os.path.join(ok, "none"), "--key", k,
           "--id", "X")
    assert r.returncode == 6 and ("chmod go-w %s" % d) in r.stderr, r.stderr


def test_key_file_modes_on_use():
    d = private_dir()
    k = os.path.join(d, "office.key")
    assert pt("keygen", "--name", "finance-office", "--out", k).returncode == 0
    dis = os.path.join(d, "none.jsonl")
    open(dis, "w").close()
    os.chmod(dis, 0o600)
    os.chmod(k, 0o666)
    r = pt("disclose", "--disclosures", dis, "--key", k, "--id", "X")
    assert r.returncode == 6, (r.returncode, r.stderr)
    assert "writable by others" in r.stderr and ("chmod 600 %s" % k) in r.stderr
    os.chmod(k, 0o644)
    r = pt("disclose", "--disclosures", dis, "--key", k, "--id", "X")
    assert "warning" in r.stderr and "readable by others" in r.stderr and \
        ("chmod 600 %s" % k) in r.stderr, r.stderr
    assert r.returncode == 4, (r.returncode, r.stderr)   # not found: it ran
    os.chmod(k, 0o600)
    r = pt("disclose", "--disclosures", dis, "--key", k, "--id", "X")
    assert "readable by others" not in r.stderr, r.stderr


def test_witness_key_readable_warned():
    d = private_dir()
    k = os.path.join(d, "witness.key")
    state = os.path.join(d, "state")
    log = Key("log.example/l")
    port = ptlib.free_port()

    def serve():
        p = subprocess.Popen([P, "witness", "serve", "--key", k, "--name",
                              "w.example", "--listen", "127.0.0.1:%d" % port,
                              "--state", state, "--log", log.vkey],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            # its verifier key on stdout: the key is loaded (and warned
            # about); a port probe alone can meet another test's server
            # on a port reused under load, before this one says anything
            p.stdout.readline()
            end = time.time() + 20
            while time.time() < end:
                try:
                    ptlib.request(port, "GET", "/", timeout=1)
                    break
                except OSError:
                    if p.poll() is not None:
                        break
                    time.sleep(0.05)
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=20)
        return p.returncode, err

    rc, err = serve()          # creates the key, 0600
    assert stat.S_IMODE(os.stat(k).st_mode) == 0o600, err
    assert "readable by others" not in err, err
    os.chmod(k, 0o644)
    rc, err = serve()
    assert "readable by others" in err and ("chmod 600 %s" % k) in err, err
    os.chmod(k, 0o664)
    rc, err = serve()
    assert rc != 0 and "writable by others" in err, (rc, err)


def test_submit_disclosures_and_receipts_not_through_links():
    office = Key("finance-office")
    d = Daemon(submitters=[(office, [])])
    d.start()
    try:
        w = private_dir()
        v = victim(w)
        kf = os.path.join(w, "office.key")
        with open(kf, "w") as f:
            f.write(office.skey + "\n")
        os.chmod(kf, 0o600)
        rec = os.path.join(w, "p.json")
        with open(rec, "w") as f:
            f.write('{"type": "payment", "id": "PAY-1", "date": "2026-03-01",'
                    ' "amount_minor": 100, "currency": "EUR",'
                    ' "payer": {"kind": "organization", "scheme": "XI-TEST",'
                    ' "id": "FIN-1", "name": "Finance"},'
                    ' "payee": {"kind": "individual", "name": "Jane Roe"},'
                    ' "description": "grant"}\n')
        log = "http://127.0.0.1:%d" % d.port
        vk = os.path.join(d.data, "log.vkey")
        # Disclosures (a person's name and salt) are not appended through a
        # link planted at their path.
        # (The link points at an empty file, which reads as an empty
        # disclosures file: the append is what must not follow it.)
        empty = os.path.join(w, "empty-victim")
        open(empty, "w").close()
        os.chmod(empty, 0o600)
        os.symlink(empty, kf + ".disclosures.jsonl")
        r = pt("submit", "--log", log, "--log-key", vk, "--key", kf,
               "--receipts", os.path.join(w, "receipts"), rec)
        assert r.returncode != 0 and "symbolic link" in r.stderr, r.stderr
        assert os.path.getsize(empty) == 0, "a name went through the link"
        os.unlink(kf + ".disclosures.jsonl")
        # A receipt path holding a link: the link is replaced.
        os.makedirs(os.path.join(w, "receipts"), mode=0o755, exist_ok=True)
        os.symlink(v, os.path.join(w, "receipts", "PAY-1.receipt"))
        r = pt("submit", "--log", log, "--log-key", vk, "--key", kf,
               "--receipts", os.path.join(w, "receipts"), rec)
        assert r.returncode == 0, r.stderr
        assert open(v, "rb").read() == VICTIM
        rp = os.path.join(w, "receipts", "PAY-1.receipt")
        assert stat.S_ISREG(os.lstat(rp).st_mode)
        st = os.stat(kf + ".disclosures.jsonl")
        assert stat.S_IMODE(st.st_mode) == 0o600
        assert "Jane Roe" in open(kf + ".disclosures.jsonl").read()
        # A disclosures file others can read is refused before more names
        # go into it.
        os.chmod(kf + ".disclosures.jsonl", 0o644)
        text = open(rec).read().replace("PAY-1", "PAY-2")
        with open(rec, "w") as f:
            f.write(text)
        r = pt("submit", "--log", log, "--log-key", vk, "--key", kf, rec)
        assert r.returncode != 0 and ("chmod 600 %s.disclosures.jsonl" % kf) \
            in r.stderr, r.stderr
    finally:
        d.stop()


if __name__ == "__main__":
    sys.exit(ptlib.run_tests([
        test_keygen_modes_and_no_leftovers,
        test_keygen_symlink_at_final_path,
        test_key_directory_writable_by_others_refused,
        test_key_file_modes_on_use,
        test_witness_key_readable_warned,
        test_submit_disclosures_and_receipts_not_through_links,
    ]))
