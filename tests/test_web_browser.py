"""End to end, as a rep and a marketer would use it: `insights serve` runs (the real CLI, in its own process), a
real headless Chromium fills in the upload form and submits a transcript, the feedback page shows the persona and
quotes, then the weekly `insights run` puts the call in the report, which the browser then opens through the app.

Chromium cannot fill in forms from its command line, so it is driven over the DevTools protocol on a websocket
(`--remote-debugging-port=0`; the port is read from DevToolsActivePort in the profile folder). Skipped only when
no `chromium` binary is on PATH.
"""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from test_web import sales_call

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no `chromium` binary on PATH (apt-get install chromium)")


class DevTools:
    """A minimal DevTools-protocol client: one browser websocket, one flattened page session."""

    def __init__(self, ws):
        self.ws = ws
        self._id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def send(self, method: str, timeout: float = 30, **params) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            reply = self._next(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._next(deadline))

    def _next(self, deadline: float) -> dict:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("Chromium did not answer in time")
        return json.loads(self.ws.recv(timeout=left))

    def open_page(self) -> None:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def navigate(self, url: str, timeout: float = 30) -> None:
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired", timeout)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def text(self) -> str:
        return self.evaluate("document.body.innerText")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`insights serve` exited with {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise TimeoutError(f"`insights serve` did not answer within {timeout}s: {log.read_text()[-3000:]}")


@pytest.fixture
def server(tmp_path, models):
    """`insights serve` in its own process on a free loopback port (``models`` warms the classifier cache that the
    process then reads through INSIGHTS_CACHE)."""
    port = free_port()
    db, reports, log = tmp_path / "corpus.sqlite", tmp_path / "reports", tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "insights", "serve", "--port", str(port), "--db", str(db),
                                 "--reports", str(reports)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", proc, log)
        yield {"url": url, "db": db, "reports": reports, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def browser(tmp_path):
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with open(tmp_path / "chromium.log", "wb") as log:
        proc = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--remote-debugging-port=0", f"--user-data-dir={profile}", "--no-first-run",
                                 "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                                 "--disable-background-networking", "--disable-component-update", "about:blank"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (active.exists() and len(active.read_text().splitlines()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Chromium did not open its DevTools port: "
                                   + (tmp_path / "chromium.log").read_text(errors="replace")[-2000:])
            time.sleep(0.1)
        port, path = active.read_text().splitlines()[:2]
        with connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=20) as ws:
            devtools = DevTools(ws)
            devtools.open_page()
            yield devtools
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_a_rep_submits_a_call_in_the_browser_and_it_reaches_the_weekly_report(server, browser, tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    transcript = calls / "northwind-cfo-discovery.txt"
    transcript.write_text(sales_call(), encoding="utf-8")

    # 1. the form, filled in and submitted like a person would
    browser.navigate(server["url"] + "/")
    assert "Submit a standout call" in browser.text()
    browser.evaluate("""(() => {
        const f = document.querySelector('form');
        f.elements.rep.value = 'Dana Whitfield';
        f.elements.why.value = 'The CFO compared month-end reporting to steering a ship by its wake';
        f.elements.account.value = 'Northwind Freight';
        f.querySelector('input[name=outcome][value=won]').checked = true;
    })()""")
    root = browser.send("DOM.getDocument")["root"]["nodeId"]
    file_input = browser.send("DOM.querySelector", nodeId=root, selector="input[type=file]")["nodeId"]
    browser.send("DOM.setFileInputFiles", nodeId=file_input, files=[str(transcript)])
    assert browser.evaluate("document.querySelector('input[type=file]').files[0].name") == transcript.name
    browser.events.clear()
    browser.evaluate("document.querySelector('form').requestSubmit()")
    browser.wait_for("Page.loadEventFired", timeout=120)

    # 2. the instant feedback
    feedback = browser.text()
    assert browser.evaluate("location.pathname") == "/submit"
    assert "Thanks, Dana Whitfield" in feedback, feedback
    assert "CFO / Finance" in feedback
    assert "closing the books takes us 11 days every month" in feedback
    assert "steering a ship by looking at its wake" in feedback
    assert "reply:" in feedback
    week = re.search(r"show in the (\d{4}-W\d\d) report", feedback).group(1)

    # 3. the weekly job, on the same corpus, while the app keeps running
    run = subprocess.run([sys.executable, "-m", "insights", "run", "--source", str(calls), "--db", str(server["db"]),
                          "--out", str(server["reports"])], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout + run.stderr
    report = server["reports"] / week / "index.html"
    assert report.is_file(), run.stdout
    html = report.read_text(encoding="utf-8")
    assert "Submitted by Dana Whitfield" in html
    assert "steering a ship by its wake" in html                # the rep's reason, shown with the standout call

    # 4. the report, browsed through the app
    browser.navigate(server["url"] + "/reports/")
    assert week in browser.text()
    browser.navigate(f"{server['url']}/reports/{week}/")
    page = browser.text()
    assert "Standout calls" in page and "Submitted by Dana Whitfield" in page
