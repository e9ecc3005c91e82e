"""Reps submit standout calls: stored once with who/why, feedback at once, nothing stored on bad input."""
from pathlib import Path

import pytest
from typer.testing import CliRunner

from insights.cli import app
from insights.config import load_pipeline
from insights.errors import InsightsError
from insights.store import Store
from insights.submit import submit_file

CALL = Path(__file__).parent / "fixtures" / "extract" / "renewal_call.txt"
ROOT = Path(__file__).parent.parent


@pytest.fixture()
def config():
    return load_pipeline(ROOT / "pipelines" / "weekly.toml")


def test_a_submission_is_stored_with_who_and_why_and_shows_what_was_found(models, config, tmp_path):
    with Store(tmp_path / "c.sqlite") as store:
        fb = submit_file(CALL, store, models, config, rep="Priya", why="handled the price increase",
                         outcome="won", buyer_title="Practice Owner")
        sub = store.submission(fb.transcript.id)
        assert store.count() == 1
    assert fb.status == "added"
    assert sub["rep"] == "Priya" and sub["why"] == "handled the price increase" and sub["outcome"] == "won"
    assert fb.transcript.metadata["outcome"] == "won"
    assert any("six appointments" in i.quote for i in fb.top("pain_point"))
    assert fb.personas and fb.personas[0].speaker == "Tom"


def test_a_duplicate_submission_is_refused_and_points_to_the_first(models, config, tmp_path):
    with Store(tmp_path / "c.sqlite") as store:
        submit_file(CALL, store, models, config, rep="Priya")
        with pytest.raises(InsightsError) as info:
            submit_file(CALL, store, models, config, rep="Someone else")
        assert store.count() == 1 and len(store.submissions()) == 1
    assert info.value.code == "E404" and "Priya" in str(info.value)


def test_an_unreadable_file_gets_the_ingest_error_and_nothing_is_stored(models, config, tmp_path):
    bad = tmp_path / "call.vtt"
    bad.write_bytes(b"%PDF-1.7 not a transcript")
    with Store(tmp_path / "c.sqlite") as store:
        with pytest.raises(InsightsError) as info:
            submit_file(bad, store, models, config, rep="Priya")
        assert store.count() == 0 and store.submissions() == []
    assert info.value.code == "E103" and info.value.file.endswith("call.vtt")


def test_submit_on_the_command_line_prints_feedback_and_refuses_a_duplicate(tmp_path, models):
    runner = CliRunner()
    args = ["submit", str(CALL), "--rep", "Priya", "--why", "price", "--db", str(tmp_path / "c.sqlite")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Thanks, Priya" in first.output and "Pain points" in first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 2 and "E404" in second.output
