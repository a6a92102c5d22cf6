#!/usr/bin/python3
"""Drives the dashboard of `minirun serve` in headless Chromium, for
tests/integration/dashboard.sh; the Python standard library only.

  dashboard.py browse URL [options]
      Starts chromedriver on a free port (which starts Chromium with a
      temporary profile), runs the checks the options ask for, saves a
      screenshot, and removes every process and file it made.  Prints one
      line per check; exits 0 when all passed, 1 when one failed, 2 when it
      could not drive the browser.

Chromium and chromedriver live in a process group of their own whose id is
recorded when it starts: the end kills that group and nothing else.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class Failed(Exception):
    """A check failed: the page does not do what it should."""


class Broken(Exception):
    """The browser could not be driven: not the page's fault."""


# --- WebDriver --------------------------------------------------------------


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Browser:
    """One chromedriver, one Chromium session."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.tmp = tempfile.mkdtemp(prefix="minirun-dashboard.")
        self.driver = None
        self.pgid = None
        self.session = None
        self.log = None

    def start(self):
        self.port = free_port()
        env = dict(os.environ)
        # Chromium's own scratch files go to the temporary directory too
        for k in ("TMPDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "HOME"):
            env[k] = self.tmp
        self.log = open(os.path.join(self.tmp, "chromedriver.log"), "w")
        self.driver = subprocess.Popen(
            [os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"), "--port=%d" % self.port],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            env=env,
            start_new_session=True,
        )
        self.pgid = self.driver.pid
        self.base = "http://127.0.0.1:%d" % self.port
        while True:
            try:
                if self.http("GET", "/status", timeout=1).get("ready"):
                    break
            except (OSError, Broken):
                pass
            if self.driver.poll() is not None:
                raise Broken("chromedriver exited with status %d" % self.driver.returncode)
            if time.monotonic() > self.deadline:
                raise Broken("chromedriver did not answer")
            time.sleep(0.05)
        args = [
            "--headless=new",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-breakpad",
            "--disable-crash-reporter",
            "--window-size=1400,1000",
            "--user-data-dir=" + os.path.join(self.tmp, "profile"),
        ]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "goog:chromeOptions": {
                        "binary": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                        "args": args,
                    },
                    "unhandledPromptBehavior": "ignore",
                }
            }
        }
        value = self.http("POST", "/session", caps, timeout=30)
        self.session = value["sessionId"]

    def http(self, method, path, body=None, timeout=10):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                doc = json.load(r)
        except urllib.error.HTTPError as e:
            try:
                doc = json.load(e)
            except ValueError:
                doc = {}
            v = doc.get("value") or {}
            raise Broken("%s %s: %s: %s" % (method, path, v.get("error", e.code), v.get("message", "")))
        return doc.get("value")

    def cmd(self, method, path, body=None, timeout=10):
        return self.http(method, "/session/%s%s" % (self.session, path), body, timeout)

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        els = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        if not els:
            raise Failed("no element matches %s" % css)
        ref = els[0]
        return ref.get(ELEMENT) or next(iter(ref.values()))

    def click(self, css):
        self.cmd("POST", "/element/%s/click" % self.find(css), {})

    def type(self, css, text):
        eid = self.find(css)
        self.cmd("POST", "/element/%s/clear" % eid, {})
        self.cmd("POST", "/element/%s/value" % eid, {"text": text})

    def wait(self, what, script, *args, timeout=10.0):
        """Polls script until it returns something true; returns that."""
        end = min(time.monotonic() + timeout, self.deadline)
        last = None
        while True:
            last = self.js(script, *args)
            if last:
                return last
            if time.monotonic() > end:
                raise Failed("timed out waiting for %s" % what)
            time.sleep(0.1)

    def screenshot(self, path):
        png = base64.b64decode(self.cmd("GET", "/screenshot", timeout=20))
        with open(path, "wb") as f:
            f.write(png)
        return len(png)

    def close(self):
        if self.session:
            try:
                self.http("DELETE", "/session/" + self.session, timeout=10)
            except (OSError, Broken):
                pass
            self.session = None
        if self.driver:
            try:
                os.killpg(self.pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.driver.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            # whatever Chromium left in the group goes too
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.driver.wait()
            self.driver = None
            # Chromium's crash handlers leave the group (they start a session
            # of their own) but name our directory: they end with their
            # clients, and are killed when they do not.
            end = time.monotonic() + 5
            while time.monotonic() < end and (group_alive(self.pgid) or using(self.tmp)):
                time.sleep(0.05)
            for pid in using(self.tmp):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.log:
            self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def driver_log(self):
        try:
            with open(os.path.join(self.tmp, "chromedriver.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""


def group_alive(pgid):
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # state, ppid, pgrp; a zombie is gone for our purpose
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def using(path):
    """The live processes whose command line names path."""
    found = []
    key = path.encode()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if key not in f.read():
                    continue
            with open("/proc/%s/stat" % d) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        found.append(int(d))
    return found


# --- the checks -------------------------------------------------------------

ROW = "document.querySelector('tr[data-name=\"' + CSS.escape(arguments[0]) + '\"]')"

STATE_IS = (
    "var r = " + ROW + "; if (!r) return null;"
    "var s = r.querySelector('.state').textContent;"
    "return arguments[1].indexOf(s) >= 0 ? s : null;"
)

# Counts the pixels of a canvas within 40 of its line colour.
INKED = """
var c = arguments[0] ? document.querySelector(arguments[0]) : null;
if (!c || !c.dataset.color) return 0;
var col = c.dataset.color, want = [1, 3, 5].map(function (i) { return parseInt(col.substr(i, 2), 16); });
var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
for (var i = 0; i < d.length; i += 4)
  if (d[i + 3] > 200 && Math.abs(d[i] - want[0]) + Math.abs(d[i + 1] - want[1]) + Math.abs(d[i + 2] - want[2]) < 40) n++;
return n;
"""


T0 = time.monotonic()


def say(msg):
    print("%s (%.1fs)" % (msg, time.monotonic() - T0), flush=True)


def check_charts(b, name):
    row_cpu = "tr[data-name=\"%s\"] canvas[data-kind=cpu]" % name
    row_mem = "tr[data-name=\"%s\"] canvas[data-kind=mem]" % name
    for css in ("#host-cpu-chart", "#host-mem-chart", row_cpu, row_mem):
        b.wait(
            "two samples on %s" % css,
            "var c = document.querySelector(arguments[0]); return c && +c.dataset.points >= 2;",
            css,
            timeout=12,
        )
        inked = b.js(INKED, css)
        if inked < 4:
            raise Failed("%s holds samples but shows no line" % css)
        say("ok: %s drew %d pixels of its line" % (css, inked))
    live = b.js("return document.getElementById('stats-status').textContent;")
    if live != "live":
        raise Failed("stats status is %r, not live" % live)


def token_steps(b, a):
    b.wait("the token form", "return !document.getElementById('token-form').hidden;")
    if b.js("return document.querySelectorAll('#rows tr').length"):
        raise Failed("containers listed without a token")
    say("ok: the page asks for the token")
    b.type("#token-input", "not-" + a.token)
    b.click("#token-submit")
    b.wait(
        "the wrong token to be refused",
        "var f = document.getElementById('token-form');"
        "return !f.hidden && document.getElementById('token-msg').textContent.indexOf('refused') >= 0;",
    )
    say("ok: a wrong token is refused and asked again")
    b.type("#token-input", a.token)
    b.click("#token-submit")
    b.wait("container %s listed" % a.running, STATE_IS, a.running, ["running"])
    if not b.js("return document.getElementById('token-form').hidden;"):
        raise Failed("the token form stays open")
    say("ok: with the token, %s is listed" % a.running)


def signal_file(path, what):
    with open(path + ".tmp", "w") as f:
        f.write(what + "\n")
    os.rename(path + ".tmp", path)


def restart_steps(b, a):
    """The server goes away and comes back: the page says so and recovers
    by itself.  The test's shell stops the server when PATH.stop appears
    and starts it again when PATH.start does."""
    signal_file(a.restart + ".stop", "stop")
    b.wait(
        "the page to see the server gone",
        "var s = document.getElementById('stats-status'), l = document.getElementById('list-status');"
        "return s.dataset.ok === 'false' && s.textContent.indexOf('unavailable') >= 0"
        " && l.dataset.ok === 'false' && l.textContent.length > 0;",
        timeout=15,
    )
    say("ok: with the server gone, the page says that stats and the list are unavailable")
    signal_file(a.restart + ".start", "start")
    want = "live" if a.stats else None
    b.wait(
        "the page to recover",
        "var s = document.getElementById('stats-status'), l = document.getElementById('list-status');"
        "return l.dataset.ok === 'true' && (!arguments[0] || s.textContent === arguments[0]);",
        want,
        timeout=20,
    )
    say("ok: the page recovers when the server is back")


def reload_steps(b, a):
    # kept for the session: a reload does not ask again
    b.cmd("POST", "/refresh", {})
    b.wait("the list after a reload", "return document.querySelectorAll('#rows tr').length > 0;")
    if not b.js("return document.getElementById('token-form').hidden;"):
        raise Failed("the token is asked again after a reload")
    say("ok: after a reload the token is still known")


def scenario_main(b, a):
    b.cmd("POST", "/url", {"url": a.url}, timeout=20)
    b.wait("the page's script", "return !!window.minirun;")
    if a.token:
        token_steps(b, a)
    b.wait("container %s shown running" % a.running, STATE_IS, a.running, ["running"])
    say("ok: %s is shown running" % a.running)
    if a.evil:
        shown = b.js(
            "var r = " + ROW + "; return r && r.querySelector('td.image').textContent;", a.evil
        )
        if shown != a.evil_image:
            raise Failed("image cell shows %r, not %r" % (shown, a.evil_image))
        if b.js("return document.querySelectorAll('#rows img, #rows script, #rows b').length"):
            raise Failed("text from the API became elements")
        if b.js("return window.pwned !== undefined"):
            raise Failed("text from the API ran as script")
        say("ok: markup in the API's strings is shown as text")
    if a.stats:
        check_charts(b, a.running)
    else:
        b.wait(
            "the page to say that stats are unavailable",
            "var s = document.getElementById('stats-status');"
            "return s.dataset.ok === 'false' && s.textContent.indexOf('unavailable') >= 0;",
        )
        say("ok: the page says the stats stream is unavailable")
    if a.restart:
        restart_steps(b, a)
    # the error envelope's message reaches the user
    b.js("window.minirun.action(arguments[0], 'start');", "no-such-" + a.running)
    msg = b.wait(
        "the error of a failed action",
        "var e = document.getElementById('error');"
        "return !e.hidden && e.textContent.indexOf(arguments[0]) >= 0 && e.textContent;",
        "no-such-" + a.running,
    )
    say("ok: a failed action shows %r" % msg.strip().splitlines()[0])
    b.click("#error-close")
    b.click("tr[data-name=\"%s\"] button[data-action=logs]" % a.running)
    if a.log_text:
        b.wait(
            "the log pane to show %r" % a.log_text,
            "return document.getElementById('log-text').textContent.indexOf(arguments[0]) >= 0;",
            a.log_text,
        )
        say("ok: the log pane shows the container's output")
    else:
        b.wait(
            "the log pane to report an error",
            "return document.getElementById('logs').dataset.state === 'error';",
        )
        say("ok: the log pane reports that logs cannot be read")
    b.click("tr[data-name=\"%s\"] button[data-action=stop]" % a.running)
    state = b.wait(
        "%s shown stopped" % a.running, STATE_IS, a.running, ["stopped", "exited"], timeout=15
    )
    say("ok: after stop, %s is shown %s" % (a.running, state))
    if b.js("return document.querySelector('tr[data-name=\"' + arguments[0] + '\"] button[data-action=start]').disabled;", a.running):
        raise Failed("start stays disabled on a stopped container")
    n = b.screenshot(a.screenshot)
    say("ok: screenshot %s (%d bytes)" % (a.screenshot, n))
    if a.remove:
        b.click("tr[data-name=\"%s\"] button[data-action=remove]" % a.remove)
        text = b.cmd("GET", "/alert/text")
        if a.remove not in text:
            raise Failed("the confirmation does not name %s: %r" % (a.remove, text))
        b.cmd("POST", "/alert/accept", {})
        b.wait(
            "the row of %s to go" % a.remove,
            "return !" + ROW + ";",
            a.remove,
            timeout=15,
        )
        say("ok: %s removed after the confirmation" % a.remove)
    if a.token:
        reload_steps(b, a)


def browse(a):
    deadline = time.monotonic() + a.timeout
    b = None

    def on_term(*_):
        raise Broken("terminated")

    signal.signal(signal.SIGTERM, on_term)
    try:
        b = Browser(deadline)
        b.start()
        say("# the browser is up")
        scenario_main(b, a)
        return 0
    except Failed as e:
        say("FAIL: %s" % e)
        if b:
            try:
                b.screenshot(a.screenshot)
                say("# screenshot of the failure: %s" % a.screenshot)
                say("# page text: %s" % b.js("return document.body.innerText;")[:2000])
            except (OSError, Broken):
                pass
        return 1
    except (Broken, OSError, ValueError, KeyError, TypeError) as e:
        say("BROKEN: %s: %s" % (type(e).__name__, e))
        if b:
            say("# chromedriver: %s" % b.driver_log())
        return 2
    finally:
        if b:
            b.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    w = sub.add_parser("browse")
    w.add_argument("url")
    w.add_argument("--running", required=True, help="a running container to find and stop")
    w.add_argument("--evil", help="a container whose image path holds markup")
    w.add_argument("--evil-image", help="that path")
    w.add_argument("--remove", help="a container to remove through the page")
    w.add_argument("--stats", action="store_true", help="the stats stream works: charts must draw")
    w.add_argument("--log-text", help="text the log pane must show (else it must show an error)")
    w.add_argument("--token", help="the server wants this token: the page must ask for it first")
    w.add_argument("--restart", metavar="PATH", help="have the server restarted (PATH.stop, PATH.start)")
    w.add_argument("--screenshot", required=True)
    w.add_argument("--timeout", type=float, default=50)
    a = p.parse_args()
    return browse(a)


if __name__ == "__main__":
    sys.exit(main())
