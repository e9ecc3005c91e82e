"""The main job end to end on the sample corpus: the report exists, every quote is verbatim, a re-run gives
identical files, and the inbox is taken once with its failures reported."""
import html
import json
import re
import shutil
from pathlib import Path

import pytest

from insights.config import load_pipeline
from insights.parse import iter_transcript_files, load_transcript
from insights.run import run_pipeline
from insights.store import Store

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def runs(models, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    inbox = tmp / "inbox"
    inbox.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "extract" / "renewal_call.txt", inbox / "renewal_call.txt")
    (inbox / "renewal_call.meta.toml").write_text('rep = "Priya"\nwhy = "price increase handled well"\n')
    (inbox / "broken.json").write_text('{"segments": [')
    config = load_pipeline(ROOT / "pipelines" / "weekly.toml")
    config.sources = [str(ROOT / "sample_transcripts")]
    config.inbox = str(inbox)
    config.out = str(tmp / "reports")
    config.week = "2026-W47"
    outputs = []
    with Store(tmp / "c.sqlite") as store:
        for _ in range(2):
            summary = run_pipeline(store, config, models=models)
            folder = Path(summary.report_dir)
            outputs.append((summary, {p.relative_to(folder).as_posix(): p.read_bytes()
                                      for p in sorted(folder.rglob("*")) if p.is_file()}))
        submissions = store.submissions()
    return outputs, submissions


def corpus_text():
    texts = [u.text for p in iter_transcript_files([ROOT / "sample_transcripts"])
             for u in load_transcript(p).utterances]
    texts += [u.text for u in load_transcript(ROOT / "tests" / "fixtures" / "extract" / "renewal_call.txt").utterances]
    return squash("\n".join(texts))


def squash(text):
    """Whitespace runs as one space: HTML and Markdown lay out line breaks inside a quote as they like."""
    return re.sub(r"\s+", " ", text)


def test_the_report_has_an_index_and_a_brief_for_each_persona_present(runs):
    summary, files = runs[0][0]
    assert "index.html" in files and "report.md" in files
    report = json.loads(files["themes.json"])
    personas = {t["persona"] for t in report} if isinstance(report, list) else set()
    for persona in personas:
        assert f"persona-{persona}.html" in files
    assert summary.insights["pain_point"] > 0 and summary.themes > 0


def test_every_quote_in_the_html_and_markdown_is_verbatim_from_a_transcript(runs):
    files = runs[0][0][1]
    corpus = corpus_text()
    quotes = []
    for name, data in files.items():
        if name.endswith(".html") and not name.startswith("transcripts/"):
            quotes += [html.unescape(q) for q in re.findall(r'<blockquote[^>]*>\s*<p[^>]*>(.*?)</p>', data.decode(),
                                                            re.S)]
        if name.endswith(".md"):
            quotes += [re.sub(r"\\(.)", r"\1", q) for q in re.findall(r"^> “(.*)”\s*$", data.decode(), re.M)]
    assert len(quotes) > 100
    for q in quotes:
        q = squash(re.sub(r"<[^>]+>", " ", q)).strip().strip("“”").strip()
        assert q in corpus, q


def test_the_inbox_call_is_a_standout_and_the_broken_file_is_reported(runs):
    summary, files = runs[0][0]
    submissions = runs[1]
    assert [s["rep"] for s in submissions] == ["Priya"]
    assert summary.inbox == {"submitted": 1, "skipped": 0, "failed": 1}
    assert runs[0][1][0].inbox == {"submitted": 0, "skipped": 2, "failed": 0}
    index = files["index.html"].decode()
    assert "broken.json" in index and "E201" in index


def test_a_second_run_writes_byte_identical_files(runs):
    first, second = runs[0][0][1], runs[0][1][1]
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
