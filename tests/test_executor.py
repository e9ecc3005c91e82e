"""What the speed work must not change: the gate before embedding, one parse per call, and worker processes all
give exactly what the plain path gives. (How fast they are is measured in bench/performance.py, not here.)"""
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from insights.classifier import GATE_FLOOR
from insights.cli import app
from insights.config import load_pipeline
from insights.errors import InsightsError
from insights.executor import LocalExecutor, ProcessExecutor, make_executor
from insights.extract import THRESHOLDS, extract, score_sentences
from insights.parse import load_transcript
from insights.per_call import CallJob, analyse_call
from insights.personas import MAX_SIMILARITY_SENTENCES, load_catalogue, long_sentences
from insights.roles import infer_roles
from insights.sentences import parse_utterances

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "sample_transcripts"
CALLS = ["2026-11-16_oakridge_negotiation.txt", "2026-11-12_cartwell_pricing_assemblyai.json",
         "2026-11-18_growth_ops_podcast.srt"]


@pytest.fixture(scope="module")
def transcripts():
    return [load_transcript(SAMPLES / name) for name in CALLS]


def _as_rows(insights):
    return [(i.id, i.kind, i.quote, i.span, i.confidence, i.response) for i in insights]


def test_the_gate_protects_every_sentence_that_could_become_an_insight():
    assert GATE_FLOOR <= min(THRESHOLDS.values())


def test_the_gate_changes_no_insight_and_spares_some_embedding(models, transcripts):
    for t in transcripts:
        assert _as_rows(extract([t], models, gate=True)) == _as_rows(extract([t], models, gate=False))
    scored = score_sentences(transcripts, models)
    assert 0 < scored.embedded < len(scored.sentences)


def test_roles_from_shared_docs_equal_roles_parsed_on_their_own(models, transcripts):
    for t in transcripts:
        assert infer_roles(t, ["Lumen"], docs=parse_utterances(t, models.nlp)) == infer_roles(t, ["Lumen"],
                                                                                          nlp=models.nlp)


def test_persona_similarity_reads_at_most_its_limit_of_sentences_spread_over_the_call(models):
    text = " ".join(f"Sentence number {n} talks about our budget and the board this quarter." for n in range(120))
    docs = [models.nlp(text)]
    picked = long_sentences(docs)
    assert len(picked) == MAX_SIMILARITY_SENTENCES
    assert picked[0].startswith("Sentence number 0 ") and "number 11" in picked[-1]
    assert len(long_sentences(docs, limit=500)) == 120


def test_worker_processes_give_what_this_process_gives(models, transcripts):
    catalogue = tuple(load_catalogue(ROOT / "pipelines" / "personas.toml"))
    jobs = [CallJob(t, catalogue, ("Lumen",)) for t in transcripts]
    here = list(LocalExecutor(models).map(analyse_call, jobs))
    sink: dict = {}
    pool = ProcessExecutor(2, sink=sink)
    try:
        there = list(pool.map(analyse_call, jobs))
    finally:
        pool.close()
    assert [r.transcript.id for r in there] == [t.id for t in transcripts]
    for a, b in zip(here, there):
        assert _as_rows(a.insights) == _as_rows(b.insights)
        assert a.roles == b.roles and a.personas == b.personas
    assert sink, "the vectors the workers computed come back to the parent's cache"


def test_a_few_calls_stay_in_this_process(models):
    assert isinstance(make_executor(0, 3, models), LocalExecutor)
    assert isinstance(make_executor(1, 500, models), LocalExecutor)
    many = make_executor(2, 40, models)
    try:
        assert isinstance(many, ProcessExecutor) and many.workers == 2
    finally:
        many.close()


def test_a_negative_worker_count_is_refused_with_the_file_named(tmp_path):
    bad = tmp_path / "weekly.toml"
    bad.write_text("[run]\nworkers = -2\n")
    with pytest.raises(InsightsError) as err:
        load_pipeline(bad)
    assert err.value.code == "E501" and "run.workers" in str(err.value) and str(bad) in str(err.value)


def test_run_json_reports_the_time_of_every_stage(models, tmp_path):
    src = tmp_path / "calls"
    src.mkdir()
    for name in CALLS[:2]:
        (src / name).write_bytes((SAMPLES / name).read_bytes())
    result = CliRunner().invoke(app, ["run", "--db", str(tmp_path / "c.sqlite"), "--source", str(src),
                                      "--out", str(tmp_path / "reports"), "--workers", "1", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert list(summary["seconds"]) == ["ingest", "load models", "inbox", "analyse calls", "themes",
                                        "build report", "write report"]
    assert summary["work"]["calls"] == 2 and summary["work"]["workers"] == 1
    assert summary["work"]["words"] > 1000 and summary["transcripts"] == 2


def test_when_workers_analyse_the_calls_the_main_process_never_loads_the_classifier(models, transcripts, tmp_path):
    """The main process of a weekly run holds spaCy and the embedding cache only; the classifier and its tuned
    encoder (~250 MB with torch) live in the workers that use them."""
    from insights.config import PipelineConfig
    from insights.extract import Models
    from insights.ingest import ingest_paths
    from insights.run import analyse
    from insights.store import Store

    src = tmp_path / "calls"
    src.mkdir()
    for name in CALLS:
        (src / name).write_bytes((SAMPLES / name).read_bytes())
    stores = [Store(tmp_path / "here.sqlite"), Store(tmp_path / "workers.sqlite")]
    for store in stores:
        ingest_paths([src], store)
    here = analyse(stores[0], models, PipelineConfig(), executor=LocalExecutor(models))
    main = Models(models.nlp, models.embedder)           # as `insights run` loads them: classifier on first use
    assert main.fingerprint == models.classifier.fingerprint
    pool = ProcessExecutor(2, cache_db=stores[1].path, sink=models.embedder.cache)
    try:
        there = analyse(stores[1], main, PipelineConfig(), executor=pool)
    finally:
        pool.close()
    assert main._classifier is None
    assert [i.id for i in there.insights] == [i.id for i in here.insights] and here.insights
