"""The scoring rule of `insights eval`: span overlap, one-to-one matching, borderline items neither required nor
penalised. Pure: no models."""
import json

import pytest

from insights.errors import InsightsError
from insights.evaluate import GoldItem, find_transcript, load_gold, locate, score
from insights.records import Speaker, Transcript, Utterance


def gold(kind, start, end, borderline=False):
    return GoldItem(kind, "q", None, borderline, (start, end), 1)


def pred(kind, start, end):
    return (start, end, "q", kind)


def test_a_prediction_covering_half_the_gold_and_thirty_percent_of_itself_matches():
    s = score([gold("objection", 0, 100)], [pred("objection", 50, 200)])["objection"]
    assert (s.tp, s.fp, s.fn) == (1, 0, 0)


def test_a_prediction_covering_less_than_half_the_gold_does_not_match():
    s = score([gold("objection", 0, 100)], [pred("objection", 51, 100)])["objection"]
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)


def test_a_long_prediction_that_is_mostly_elsewhere_does_not_match():
    # overlap 100 covers all of the gold but only 25% of the prediction
    s = score([gold("pain_point", 0, 100)], [pred("pain_point", 0, 400)])["pain_point"]
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)


def test_each_gold_item_matches_once():
    s = score([gold("analogy", 0, 100)], [pred("analogy", 0, 100), pred("analogy", 10, 100)])["analogy"]
    assert (s.tp, s.fp, s.fn) == (1, 1, 0)


def test_kinds_are_scored_separately():
    s = score([gold("analogy", 0, 100)], [pred("objection", 0, 100)])
    assert (s["analogy"].fn, s["objection"].fp) == (1, 1)


def test_borderline_items_are_neither_required_nor_penalised():
    s = score([gold("objection", 0, 100, borderline=True), gold("objection", 200, 300, borderline=True)],
              [pred("objection", 0, 100)])["objection"]
    assert (s.tp, s.fp, s.fn, s.ignored) == (0, 0, 0, 1)


def transcript():
    return Transcript(id="t1", source="t.txt", kind="sales_call", title="t", date="2026-11-02",
                      speakers=(Speaker("Ana"), Speaker("Ben")),
                      utterances=(Utterance(0, "Ana", "What is slowing you down?"),
                                  Utterance(1, "Ben", "Honestly,  the pricing scares me.\nIt’s a lot.")),
                      format="speaker-turns")


def test_gold_quotes_are_found_despite_spacing_and_curly_quotes():
    t = transcript()
    start, end = locate(t, "the pricing scares me. It's a lot.", "Ben")
    text = "\n".join(u.text for u in t.utterances)
    assert text[start:end] == "the pricing scares me.\nIt’s a lot."


def test_a_gold_quote_that_is_not_in_the_transcript_is_a_coded_error(tmp_path):
    g = tmp_path / "t.gold.jsonl"
    g.write_text(json.dumps({"kind": "objection", "quote": "never said", "speaker": "Ben"}) + "\n")
    with pytest.raises(InsightsError) as info:
        load_gold(g, transcript())
    assert info.value.code == "E206" and info.value.line == 1


def test_the_transcript_beside_a_gold_file_is_found(tmp_path):
    (tmp_path / "call.vtt").write_text("WEBVTT\n")
    (tmp_path / "call.meta.toml").write_text("")
    g = tmp_path / "call.gold.jsonl"
    g.write_text("")
    assert find_transcript(g).name == "call.vtt"
