"""The labelled dev set: complete enough to measure with, findable in its transcripts, and kept strictly apart
from the exemplar bank the extractor learns from."""
import json
import re
from collections import Counter
from pathlib import Path

from insights.classifier import load_exemplars
from insights.evaluate import find_transcript, gold_files, load_gold
from insights.nlp import load_spacy
from insights.parse import load_transcript

ROOT = Path(__file__).parent.parent
DEV = [ROOT / "sample_transcripts", ROOT / "tests" / "devset"]


def sentences(text):
    return {re.sub(r"[^a-z0-9 ]", "", s.lower()).strip() for s in re.split(r"(?<=[.!?])\s+", text)} - {""}


def test_every_gold_quote_is_found_verbatim_in_its_transcript():
    files = gold_files(DEV)
    assert files
    for g in files:
        t = load_transcript(find_transcript(g))
        load_gold(g, t)  # raises E206 naming the line of any quote that is not there


def test_the_dev_set_has_sixty_firm_items_per_kind_over_eight_calls_and_podcasts():
    counts, transcripts, kinds = Counter(), set(), set()
    for g in gold_files(DEV):
        items = [json.loads(line) for line in g.read_text().splitlines() if line.strip()]
        counts.update(i["kind"] for i in items if not i.get("borderline"))
        transcripts.add(g)
        kinds.add(load_transcript(find_transcript(g)).kind)
    assert min(counts[k] for k in ("pain_point", "objection", "analogy")) >= 60, counts
    assert len(transcripts) >= 8
    assert {"sales_call", "podcast"} <= kinds


def test_no_sentence_is_both_a_training_exemplar_and_a_gold_label():
    bank = set().union(*(sentences(e.text) for e in load_exemplars(load_spacy())))
    overlap = []
    for g in gold_files(DEV):
        for line in g.read_text().splitlines():
            if line.strip():
                overlap += [s for s in sentences(json.loads(line)["quote"]) if len(s.split()) > 3 and s in bank]
    assert overlap == []
