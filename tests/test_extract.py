"""Extraction with the real models: what it finds, the evidence it keeps, and what it never reports."""
import json
from pathlib import Path

from typer.testing import CliRunner

from insights.cli import app
from insights.extract import extract
from insights.parse import load_transcript

CALL = Path(__file__).parent / "fixtures" / "extract" / "renewal_call.txt"


def kinds_of(found, fragment):
    return {i.kind for i in found if fragment in i.quote}


def test_a_call_yields_its_pain_objection_and_analogy(models):
    found = extract([load_transcript(CALL)], models)
    assert "pain_point" in kinds_of(found, "We lose about six appointments a week")
    assert "objection" in kinds_of(found, "twenty percent higher than last year")
    assert "analogy" in kinds_of(found, "feel like a junk drawer")


def test_every_quote_is_the_verbatim_text_at_its_span(models):
    t = load_transcript(CALL)
    for i in extract([t], models):
        assert t.utterances[i.utterance].text[i.span[0]:i.span[1]] == i.quote
        assert i.transcript_id == t.id and i.source == t.source
        assert 0 <= i.confidence <= 1 and i.reason.startswith("model p=")
        assert i.speaker in {"Priya", "Tom"}


def test_back_channels_and_small_talk_never_become_insights(models):
    found = extract([load_transcript(CALL)], models)
    quotes = " ".join(i.quote for i in found)
    assert "Yeah, right." not in quotes
    assert "thanks for hopping on" not in quotes


def test_an_objection_carries_the_reps_reply(models):
    found = extract([load_transcript(CALL)], models)
    objection = next(i for i in found if i.kind == "objection" and "twenty percent" in i.quote)
    assert objection.response.startswith("I hear you.")
    assert objection.response_speaker == "Priya"


def test_kinds_and_confidence_filter_the_output(models):
    t = load_transcript(CALL)
    only = extract([t], models, kinds=["analogy"], min_confidence=0.0)
    assert {i.kind for i in only} == {"analogy"}
    assert extract([t], models, min_confidence=1.01) == []


def test_extract_prints_one_json_object_per_insight_without_ingest(models, tmp_path):
    result = CliRunner().invoke(app, ["extract", str(CALL), "--format", "jsonl", "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert rows
    for field in ("kind", "quote", "speaker", "role", "transcript", "source", "utterance", "span", "start",
                  "confidence", "reason", "response"):
        assert field in rows[0]


def test_the_classifier_reads_its_own_fine_tuned_encoder_saved_in_the_cache(models):
    """The stock MiniLM serves themes and personas; the classifier reads a copy fine-tuned on the exemplar bank,
    trained once and then loaded from the cache (a second load does not train again)."""
    import numpy as np

    from insights.classifier import cache_dir, load_classifier

    clf = models.classifier
    assert clf.encoder.available() and Path(clf.encoder.path).parent == cache_dir()
    texts = ["Honestly the price is more than we can justify this year.", "The price includes onboarding."]
    tuned, stock = clf.encode(texts), models.embedder.embed(texts)
    assert tuned.shape == stock.shape == (2, 384)
    assert np.allclose(np.linalg.norm(tuned, axis=1), 1.0, atol=1e-4)
    assert (tuned * stock).sum(axis=1).max() < 0.99          # it was really trained, not the stock model
    again = load_classifier(models.nlp, models.embedder)
    assert np.allclose(again.encode(texts), tuned, atol=1e-5)


def test_a_shows_intro_voice_never_becomes_an_insight(models, tmp_path):
    page = tmp_path / "episode.txt"
    page.write_text(
        "INTRO: Growing a company is like climbing a mountain in the dark. Each week we interview revenue leaders.\n"
        "HOST: Welcome back. What keeps you up at night?\n"
        "GUEST: Honestly, running sales without clean data is like flying a plane at night with the instruments "
        "taped over. We lose deals we never even see.\n"
        "HOST: That sounds painful.\n"
        "GUEST: It is. Our reps waste two days a month reconciling spreadsheets.\n", encoding="utf-8")
    t = load_transcript(page)
    assert t.utterances[0].speaker == "INTRO"
    found = extract([t], models)
    assert found, "the guest's analogy and pains are found"
    assert all(i.utterance != 0 for i in found)
    assert "analogy" in kinds_of(found, "flying a plane")


def test_in_a_call_with_no_speaker_labels_the_advisors_reassurance_is_not_an_objection(models):
    """ASR calls often carry no speakers: the seller's "you"-lines are told apart per utterance (roles), so their
    reassurances are discounted like any rep's, while the prospect's pushback still comes through."""
    from insights.records import Transcript, Utterance

    lines = ["So you have not taken any mocks yet, and your test date is about March.",
             "Honestly, if you get a 695, that is more than good enough for your schools.",
             "I'm not pushing the course on you here, you don't have to buy it today.",
             "It's quite expensive as well, so I want to be totally sure before I pay.",
             "I have only around 17 days and my quant is still weak."]
    t = Transcript(id="asr", source="asr.txt", kind="sales_call", title="", date="2026-11-02", speakers=(),
                   format="text", utterances=tuple(Utterance(i, None, x) for i, x in enumerate(lines)))
    found = {(i.kind, i.utterance) for i in extract([t], models)}
    assert ("objection", 3) in found and ("pain_point", 4) in found
    assert not {u for kind, u in found if kind == "objection"} & {1, 2}
