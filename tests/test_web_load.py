"""A bounded load test of `insights serve` on loopback: a second process sends 200 page views and 24 uploads at
once (20 distinct calls, plus three more copies of one of them) through a thread pool. No submission may be lost
or stored twice, and every request must be answered; the single writer thread queues the uploads.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time

import uvicorn

from insights.store import Store
from insights.web import create_app
from test_web import sales_call

CLIENT = textwrap.dedent("""
    import json, sys, time
    from concurrent.futures import ThreadPoolExecutor
    import httpx

    base, folder, n_calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
    gets = [("get", "/" if i % 2 else "/reports/", None) for i in range(200)]
    posts = [("post", "/submit", f"call-{n:02d}.txt") for n in range(n_calls)]
    posts[1:1] = [("post", "/submit", "call-00.txt")] * 3      # the same call again, at the same time
    jobs = []
    for i, post in enumerate(posts):                            # page views and uploads interleaved
        jobs += [post] + gets[i * 8:(i + 1) * 8]
    jobs += gets[len(posts) * 8:]

    def one(job):
        kind, path, name = job
        started = time.monotonic()
        with httpx.Client(base_url=base, timeout=120) as c:
            if kind == "get":
                r = c.get(path)
            else:
                with open(f"{folder}/{name}", "rb") as f:
                    r = c.post(path, data={"rep": "Load Tester", "why": "load test", "outcome": "open"},
                               files={"file": (name, f, "text/plain")})
        ok = f"from {name}" in r.text if kind == "post" and r.status_code == 200 else None
        return {"kind": kind, "name": name, "status": r.status_code, "seconds": time.monotonic() - started,
                "names_its_file": ok}

    with ThreadPoolExecutor(max_workers=16) as pool:
        print(json.dumps(list(pool.map(one, jobs))))
""")


class ServerThread:
    """uvicorn serving the app on a loopback socket the test opened itself (so no port race)."""

    def __init__(self, app):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


def test_concurrent_page_views_and_uploads_lose_no_submission_and_store_none_twice(tmp_path, models):
    calls = tmp_path / "calls"
    calls.mkdir()
    for n in range(20):
        (calls / f"call-{n:02d}.txt").write_text(sales_call(n), encoding="utf-8")
    app = create_app(tmp_path / "corpus.sqlite", models=models, reports_dir=tmp_path / "reports")
    started = time.monotonic()
    with ServerThread(app) as server:
        out = subprocess.run([sys.executable, "-c", CLIENT, server.url, str(calls), "20"], capture_output=True,
                             text=True, timeout=120)
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)

    gets = [r for r in results if r["kind"] == "get"]
    posts = [r for r in results if r["kind"] == "post"]
    assert len(gets) == 200 and {r["status"] for r in gets} == {200}
    assert sorted(r["status"] for r in posts) == [200] * 20 + [409] * 3      # one of the four copies got in
    assert all(r["names_its_file"] for r in posts if r["status"] == 200)
    with Store(tmp_path / "corpus.sqlite") as store:
        subs = store.submissions()
        assert len(subs) == 20 and len({s["transcript_id"] for s in subs}) == 20
        assert sorted(t.source for t in store.transcripts()) == [f"upload:call-{n:02d}.txt" for n in range(20)]
    assert len(list((tmp_path / "uploads").iterdir())) == 20                   # refused copies are not kept
    assert elapsed < 90, f"the load test took {elapsed:.0f}s"
