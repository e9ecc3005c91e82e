"""Killed runs and concurrent jobs: the store stays consistent, nothing is duplicated, jobs wait or refuse clearly."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from insights.errors import InsightsError
from insights.store import Store

ROOT = Path(__file__).parent.parent
HOLD = """
import sys, time
from insights.store import Store
with Store(sys.argv[1]).exclusive("insights run"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(db, seconds):
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_a_second_job_refuses_clearly_while_another_holds_the_corpus(tmp_path):
    db = tmp_path / "c.sqlite"
    holder = hold_lock(db, 5)
    try:
        with pytest.raises(InsightsError) as info:
            with Store(db).exclusive("insights submit", timeout=0.5):
                pass
        assert info.value.code == "E403" and "insights run (pid" in str(info.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_second_job_waits_for_the_first_to_finish(tmp_path):
    db = tmp_path / "c.sqlite"
    holder = hold_lock(db, 1.5)
    start = time.monotonic()
    with Store(db).exclusive("insights submit", timeout=30):
        waited = time.monotonic() - start
    holder.wait()
    assert waited >= 1.0


def insights(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "insights", *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_lock(db, proc, timeout=120):
    lock = Path(str(db) + ".lock")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if lock.exists() and lock.read_text().strip():
            return
        time.sleep(0.2)
    raise AssertionError("the run never took the corpus lock")


def integrity(db):
    with sqlite3.connect(db) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


def test_a_run_killed_at_any_point_leaves_a_consistent_store_and_the_next_run_completes(models, tmp_path):
    db, out = tmp_path / "c.sqlite", tmp_path / "reports"
    args = ["run", "--db", db, "--out", out, "--source", ROOT / "sample_transcripts", "--week", "2026-W47"]
    for delay in (1.0, 4.0, 9.0):
        proc = insights(*args)
        wait_for_lock(db, proc)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert integrity(db) == "ok"
        for partial in out.glob("*/"):
            assert (partial / "index.html").exists() or partial.name.startswith(".")
    done = insights(*args)
    stdout, stderr = done.communicate(timeout=600)
    assert done.returncode == 0, stderr
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT COUNT(*) FROM transcripts").fetchone()[0] == 17
        total, distinct = c.execute("SELECT COUNT(*), COUNT(DISTINCT id || '|' || model) FROM insights").fetchone()
        assert total == distinct > 0
    assert (out / "2026-W47" / "index.html").exists()
    assert integrity(db) == "ok"


def test_a_submission_during_a_run_refuses_clearly_and_corrupts_nothing(models, tmp_path):
    db, out = tmp_path / "c.sqlite", tmp_path / "reports"
    run = insights("run", "--db", db, "--out", out, "--source", ROOT / "sample_transcripts")
    wait_for_lock(db, run)
    env = {**os.environ, "INSIGHTS_LOCK_TIMEOUT": "1"}
    sub = insights("submit", ROOT / "tests" / "fixtures" / "extract" / "renewal_call.txt", "--rep", "Priya",
                   "--db", db, env=env)
    _, sub_err = sub.communicate(timeout=300)
    run.communicate(timeout=600)
    assert run.returncode == 0
    assert sub.returncode == 2 and "E403" in sub_err and "insights run" in sub_err
    assert integrity(db) == "ok"
    with Store(db) as store:
        assert store.count() == 17 and store.submissions() == []


def test_a_run_killed_while_building_themes_or_writing_the_report_keeps_the_last_good_report(models, tmp_path):
    db, out = tmp_path / "c.sqlite", tmp_path / "reports"
    args = ["run", "--db", db, "--out", out, "--source", ROOT / "sample_transcripts", "--week", "2026-W47"]
    first = insights(*args)
    first.communicate(timeout=600)
    assert first.returncode == 0
    good = (out / "2026-W47" / "index.html").read_bytes()
    start = time.monotonic()
    again = insights(*args)                      # everything is cached now: the run is mostly themes and report
    again.communicate(timeout=600)
    late = time.monotonic() - start
    for share in (0.7, 0.85, 0.95):
        proc = insights(*args)
        time.sleep(late * share)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert integrity(db) == "ok"
        assert (out / "2026-W47" / "index.html").read_bytes() == good
        assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == ["2026-W47"]
