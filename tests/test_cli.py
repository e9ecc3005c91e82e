"""The command line: what a user types, what they see, and the exit status scripts rely on."""
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from insights.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "cli"
runner = CliRunner()


def run(*args, db):
    return runner.invoke(app, [*args, "--db", str(db)], catch_exceptions=False)


def test_ingest_prints_what_it_stored_and_exits_zero(tmp_path):
    db = tmp_path / "c.sqlite"
    result = run("ingest", str(FIXTURES / "discovery.txt"), str(FIXTURES / "followup.vtt"), db=db)
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output
    assert "webvtt" in result.output and "Omar" in result.output


def test_a_second_ingest_adds_nothing(tmp_path):
    db = tmp_path / "c.sqlite"
    run("ingest", str(FIXTURES / "discovery.txt"), db=db)
    again = run("ingest", str(FIXTURES / "discovery.txt"), db=db)
    assert again.exit_code == 0
    assert "0 added" in again.output and "1 unchanged" in again.output


def test_a_bad_file_is_reported_with_its_code_and_the_batch_goes_on(tmp_path):
    db = tmp_path / "c.sqlite"
    result = run("ingest", str(FIXTURES), db=db)
    assert result.exit_code == 1
    assert "E103" in result.output and "photo.txt" in result.output
    assert "2 added" in result.output and "1 failed" in result.output
    assert "Traceback" not in result.output


def test_a_missing_path_is_a_clear_failure(tmp_path):
    result = run("ingest", str(tmp_path / "nowhere"), db=tmp_path / "c.sqlite")
    assert result.exit_code == 1
    assert "E101" in result.output


def test_list_as_json_gives_one_object_per_transcript(tmp_path):
    db = tmp_path / "c.sqlite"
    run("ingest", str(FIXTURES / "discovery.txt"), str(FIXTURES / "followup.vtt"), db=db)
    result = run("list", "--format", "json", db=db)
    rows = json.loads(result.output)
    assert len(rows) == 2
    assert {"id", "source", "kind", "date", "speakers", "utterances", "words"} <= set(rows[0])
    first = next(r for r in rows if r["source"].endswith("discovery.txt"))
    assert first["date"] == "2026-11-02" and first["kind"] == "sales_call"
    assert first["speakers"] == ["Lena", "Omar"]


def test_show_prints_the_normalised_transcript(tmp_path):
    db = tmp_path / "c.sqlite"
    run("ingest", str(FIXTURES / "followup.vtt"), db=db)
    tid = json.loads(run("list", "--format", "json", db=db).output)[0]["id"]
    result = run("show", tid[:8], db=db)
    assert result.exit_code == 0
    assert "[0:04] Omar: I did. The price is higher" in result.output


def test_show_of_an_unknown_id_says_how_to_find_one(tmp_path):
    result = run("show", "zzzzzz", db=tmp_path / "c.sqlite")
    assert result.exit_code == 2
    assert "E402" in result.output and "insights list" in result.output


def test_the_module_runs_as_a_program():
    result = subprocess.run([sys.executable, "-m", "insights", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("ingest", "list", "show", "extract", "eval"):
        assert command in result.stdout
