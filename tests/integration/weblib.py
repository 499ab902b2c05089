"""weblib: helpers for the browser tests of the citizen page (web/).

Browser: tests/browser/driver.mjs (puppeteer-core driving Debian's
/usr/bin/chromium headless with a fresh profile), one JSON command per line;
it only reports what the page shows, every assertion is made here.

Relay: a small HTTP server between the browser and a real pubtraild on
loopback that forwards every request and can rewrite chosen answers (a
checkpoint signed by another key, a cosignature removed, a lookup answered
with another entry), as a dishonest log or a man in the middle would.
"""
import http.server
import json
import os
import shutil
import subprocess
import threading
import time

import ptlib
from ptlib import BUILD, TOP, tmpdir, free_port

NODE = shutil.which("node") or "/usr/bin/node"
CHROMIUM = os.environ.get("PT_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.path.join(TOP, "tests", "browser", "driver.mjs")
MODULES = os.path.join(TOP, "web", "node_modules")
WEBROOT = os.path.join(BUILD, "web")
OUT = os.path.join(BUILD, "test-output", "web")


def missing():
    """Why the browser tests cannot run here, or None."""
    for p, what in ((NODE, "node"), (CHROMIUM, "chromium"),
                    (os.path.join(MODULES, "puppeteer-core"), "web/node_modules (make web)"),
                    (os.path.join(WEBROOT, "index.html"), "build/web (make web)")):
        if not os.path.exists(p):
            return what
    return None


class Browser:
    def __init__(self):
        os.makedirs(OUT, exist_ok=True)
        self.errlog = open(os.path.join(OUT, "driver.log"), "ab")
        env = dict(os.environ, PT_WEB_OUT=OUT, PT_CHROMIUM=CHROMIUM,
                   PT_WEB_MODULES=MODULES)
        self.proc = subprocess.Popen([NODE, DRIVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.errlog,
                                     env=env)
        ptlib._live.append(self)
        hello = self.proc.stdout.readline()
        if not hello:
            raise RuntimeError("browser driver did not start; see " +
                               os.path.join(OUT, "driver.log"))
        self.version = json.loads(hello)["version"]

    def send(self, **cmd):
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("browser driver died; see driver.log")
        ans = json.loads(line)
        if not ans["ok"]:
            raise RuntimeError("browser: " + ans["error"])
        return ans["result"]

    def kill(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.write(b'{"cmd": "quit"}\n')
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self.errlog.close()
        if self in ptlib._live:
            ptlib._live.remove(self)

    stop = kill


class Relay:
    """Forward everything to a daemon; rewrite(path, Resp) may change an
    answer (return a new (status, headers, body) or None to pass)."""

    def __init__(self, daemon_port):
        relay = self
        self.daemon_port = daemon_port
        self.rewrite = None

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                r = ptlib.request(relay.daemon_port, self.command, self.path,
                                  headers={k: v for k, v in self.headers.items()
                                           if k.lower() in ("accept",)})
                out = (r.status, r.headers, r.body)
                if relay.rewrite is not None:
                    new = relay.rewrite(self.path, r)
                    if new is not None:
                        out = new
                status, headers, body = out
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in ("content-length", "connection",
                                         "transfer-encoding", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_HEAD = do_GET

        self.port = free_port()
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.srv.daemon_threads = True
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()
        ptlib._live.append(self)

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.port

    def kill(self):
        if self.srv is None:
            return
        self.srv.shutdown()
        self.srv.server_close()
        self.srv = None
        if self in ptlib._live:
            ptlib._live.remove(self)

    stop = kill


def web_daemon(origin, submitters, extra_conf="", d=None):
    """A pubtraild serving build/web at / (d: reconfigure that one)."""
    d = d or ptlib.Daemon(origin=origin, submitters=submitters)
    conf = os.path.join(tmpdir(), "pubtraild.conf")
    with open(conf, "w") as f:
        f.write("[pubtraild]\nweb_root = %s\n%s" % (WEBROOT, extra_conf))
    d.extra = ["--config", conf]
    return d


class Checks:
    """Named checks against a shared fixture; prints one line each and the
    closing 'N passed, N failed' line."""

    def __init__(self):
        self.passed = self.failed = 0

    def run(self, fn, *a):
        import traceback
        t = time.time()
        try:
            fn(*a)
            self.passed += 1
            print("ok   %s (%.1fs)" % (fn.__name__, time.time() - t), flush=True)
        except Exception:
            self.failed += 1
            print("FAIL %s" % fn.__name__, flush=True)
            traceback.print_exc()

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def step(state, sid):
    for s in state["steps"]:
        if s["id"] == sid:
            return s
    raise AssertionError("no step %s in %s" % (sid, [s["id"] for s in state["steps"]]))


def failed_steps(state):
    return [s["id"] for s in state["steps"] if s["state"] == "fail"]
