"""The rendered report in a real headless Chromium: pages load with no console errors and no network fetches,
the key sections are on screen, and a quote carrying a script tag stays text (no script runs, no dialog opens).

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: fd 3 in, fd 4 out), so the
test needs no Python dependency beyond the standard library. It is skipped only when no ``chromium`` binary exists;
CI installs the Debian ``chromium`` package.

Set ``INSIGHTS_DOCS_SCREENSHOT=1`` to also refresh ``docs/persona-brief.png`` (the README picture) from this run.
"""
from __future__ import annotations

import base64
import fcntl
import importlib.util
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from insights.render import render_report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no `chromium` binary on PATH (apt-get install chromium)")


def _fixture():
    spec = importlib.util.spec_from_file_location("report_fixture", ROOT / "tests/fixtures/report/viewmodel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Chromium:
    """A minimal DevTools-protocol client for one headless Chromium over a pipe."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 2000):
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def child_fds() -> None:       # runs in the child: the protocol expects fd 3 (in) and fd 4 (out)
            a = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        profile.mkdir(parents=True, exist_ok=True)
        self.log = profile / "chromium-stderr.log"       # a file, not a pipe: a full pipe would stall Chromium
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--no-default-browser-check",
                 "--disable-extensions", "--disable-sync", "--mute-audio", "--hide-scrollbars",
                 f"--user-data-dir={profile}", "--remote-debugging-pipe", f"--window-size={width},{height}",
                 "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, pass_fds=(3, 4),
                preexec_fn=child_fds)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        self.size = (width, height)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        my_id = self._post(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._next(deadline)
            if reply.get("id") == my_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._event(reply)

    def _post(self, method: str, params: dict | None, session: str | None) -> int:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        return self._id

    def _event(self, event: dict) -> None:
        """Record an event; dismiss any JavaScript dialog at once so a page that ran alert() cannot hang the test."""
        self.events.append(event)
        if event.get("method") == "Page.javascriptDialogOpening":
            self._post("Page.handleJavaScriptDialog", {"accept": False}, event.get("sessionId"))

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for e in self.events:
            if e.get("method") == method:
                return e
        while True:
            e = self._next(deadline)
            self._event(e)
            if e.get("method") == method:
                return e

    def _next(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                err = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Chromium closed the pipe: {err}")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def open(self, url: str) -> "Page":
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        width, height = self.size
        page.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.events.clear()
        page.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return page

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass


class Page:
    def __init__(self, browser: Chromium, session: str):
        self.browser, self.session = browser, session

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, session=self.session)

    def evaluate(self, expression: str):
        out = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in out:
            raise RuntimeError(out["exceptionDetails"])
        return out["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, failed loads and any JavaScript dialog, as readable lines."""
        out = []
        for e in self.browser.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("uncaught: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                out.append(f"console.{p['type']}: " + json.dumps(p.get("args", []))[:300])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                out.append(f"log {p['entry']['level']}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.loadingFailed":
                out.append(f"failed load: {p.get('errorText')}")
            elif m == "Page.javascriptDialogOpening":
                out.append(f"dialog: {p.get('message')}")
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.browser.events
                if e.get("method") == "Network.requestWillBeSent"]


DOM_SUMMARY = """JSON.stringify({
  title: document.title,
  h1: [...document.querySelectorAll('h1')].map(e => e.innerText.trim()),
  h2: [...document.querySelectorAll('h2')].filter(e => e.getBoundingClientRect().height > 0).map(e => e.innerText.trim()),
  landmarks: ['header', 'nav', 'main', 'footer'].filter(t => document.querySelector(t)),
  scripts: document.scripts.length,
  text: document.body.innerText,
  width: document.documentElement.scrollWidth,
})"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    fixture = _fixture()
    out = tmp_path_factory.mktemp("site") / "2026-W47"
    render_report(fixture.build_report(), out)
    return out, fixture


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def _visit(browser: Chromium, page_path: Path, shot: Path) -> tuple[dict, Page]:
    page = browser.open(page_path.as_uri())
    summary = json.loads(page.evaluate(DOM_SUMMARY))
    page.screenshot(shot)
    return summary, page


def test_weekly_report_loads_cleanly_and_shows_every_section(browser, site, tmp_path):
    out, _ = site
    dom, page = _visit(browser, out / "index.html", tmp_path / "index.png")
    assert page.problems() == []
    assert all(u.startswith("file://") for u in page.requests()), page.requests()
    assert dom["h1"] == ["What buyers said in 2026-W47"]
    assert dom["h2"] == ["This week in numbers", "By persona", "New and rising themes", "Across personas",
                         "Standout calls", "Data quality"]
    assert dom["landmarks"] == ["header", "nav", "main", "footer"]
    assert dom["width"] <= 1280, "the page scrolls sideways on a laptop screen"
    for text in ("CFO / Finance", "↑ rising", "✦ new", "↓ falling", "Maya Chen", "inbox/q3-all-hands.m4a"):
        assert text in dom["text"]
    assert (tmp_path / "index.png").stat().st_size > 10_000


def test_persona_brief_loads_cleanly_and_shows_every_section(browser, site, tmp_path):
    out, _ = site
    dom, page = _visit(browser, out / "persona-cfo_finance.html", tmp_path / "persona-cfo_finance.png")
    assert page.problems() == []
    assert all(u.startswith("file://") for u in page.requests()), page.requests()
    assert dom["h1"] == ["CFO / Finance"]
    assert dom["h2"] == ["Who they are", "Top pains", "Top objections", "Analogies worth reusing", "What changed",
                         "Messaging angles"]
    assert "SUGGESTION" in dom["text"]
    assert "how reps answered, best first" in dom["text"].casefold()      # h4s are shown in capitals
    assert "We'd rather pay quarterly while we prove it out." in dom["text"]
    charts = page.evaluate("document.querySelectorAll('svg.chart rect.bar').length")
    assert charts == 3 * 3, "one bar per week for each of the three themes"
    assert dom["width"] <= 1280
    if os.environ.get("INSIGHTS_DOCS_SCREENSHOT") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(tmp_path / "persona-cfo_finance.png", ROOT / "docs" / "persona-brief.png")


def test_quote_link_lands_on_its_highlight_in_the_transcript(browser, site, tmp_path):
    out, _ = site
    link = browser.open((out / "persona-cfo_finance.html").as_uri()).evaluate(
        "document.querySelector('#th-1a2b3c4d figure.quote a').href")
    page = browser.open(link)
    found = json.loads(page.evaluate(
        "JSON.stringify({tag: document.querySelector(':target')?.tagName, text: document.querySelector(':target')"
        "?.textContent, top: document.querySelector(':target')?.getBoundingClientRect().top})"))
    assert found["tag"] == "MARK"
    assert found["text"] == "the annual upfront payment is the sticking point for us. We'd rather pay quarterly " \
                            "while we prove it out."
    assert 0 <= found["top"] < 2000, "the browser scrolled the quote into view"
    page.screenshot(tmp_path / "transcript.png")
    assert page.problems() == []


def test_quoted_script_tag_shows_as_text_and_never_runs(browser, site, tmp_path):
    out, fx = site
    hostile = [fx.SCRIPT, fx.TITLE_SCRIPT, fx.JINJA, fx.MD_LINK, fx.MD_IMAGE]
    pages = {"persona-it_security.html": hostile, "persona-unassigned.html": [fx.FORMULA],
             "transcripts/b81d44c0e2a97f13.html": hostile + [fx.FORMULA]}
    for name, texts in pages.items():
        dom, page = _visit(browser, out / name, tmp_path / f"{Path(name).stem}.png")
        assert page.problems() == [], "an alert() dialog or error means the quote ran as code"
        assert dom["scripts"] == 0
        assert dom["title"] != "pwned" and "·" in dom["title"]
        for text in texts:
            assert text in dom["text"], f"{text!r} should be shown as plain text on {name}"
        assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
