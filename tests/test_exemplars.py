"""The labelled exemplar bank in insights/exemplars/ is training data: these tests keep it well-formed.

Every *.jsonl file in the folder is checked for shape and for duplicates across files (several people write
there); the pain-point, objection and hard-negative files are also checked for their size, their labels and
their spread over industries, because breadth is what lets the extractor generalise.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from insights.records import TRANSCRIPT_KINDS

EXEMPLARS = Path(__file__).resolve().parents[1] / "insights" / "exemplars"
ALLOWED_LABELS = frozenset({"pain_point", "objection", "analogy"})
ALL_FILES = sorted(EXEMPLARS.glob("*.jsonl"))

PAIN = EXEMPLARS / "pain_point.jsonl"
OBJECTION = EXEMPLARS / "objection.jsonl"
NEGATIVE = EXEMPLARS / "negative_pain_objection.jsonl"
# file -> (minimum items, label every item must carry; None means the item must have no labels)
OWN_FILES: dict[Path, tuple[int, str | None]] = {
    PAIN: (300, "pain_point"),
    OBJECTION: (300, "objection"),
    NEGATIVE: (300, None),
}
MAX_DOMAIN_SHARE = 0.15      # no single industry may dominate a file
MIN_DOMAINS = 15
MAX_WORDS = 60               # an exemplar is one sentence, or two short ones, as spoken


def load(path: Path) -> list[dict[str, Any]]:
    """The items of one JSON Lines file; a line that is not a JSON object fails with its line number."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{path.name}:{number}: invalid JSON ({exc})")
        if not isinstance(item, dict):
            pytest.fail(f"{path.name}:{number}: expected a JSON object, got {type(item).__name__}")
        items.append(item)
    return items


def problems(item: dict[str, Any]) -> list[str]:
    """What is wrong with one exemplar's shape (empty when it is well-formed)."""
    found = []
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        found.append("text must be a non-empty string")
    elif text != text.strip():
        found.append("text has leading or trailing whitespace")
    elif len(text.split()) > MAX_WORDS:
        found.append(f"text is longer than {MAX_WORDS} words")
    labels = item.get("labels")
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        found.append("labels must be a list of strings")
    else:
        if set(labels) - ALLOWED_LABELS:
            found.append(f"unknown labels {sorted(set(labels) - ALLOWED_LABELS)}")
        if len(set(labels)) != len(labels):
            found.append("labels repeat")
        if not labels and not (isinstance(item.get("why"), str) and item["why"].strip()):
            found.append("a negative (no labels) must say why it is not an insight")
    if not isinstance(item.get("domain"), str) or not item["domain"].strip():
        found.append("domain must be a non-empty string")
    if item.get("register") not in TRANSCRIPT_KINDS:
        found.append(f"register must be one of {TRANSCRIPT_KINDS}")
    return found


def normalised(text: str) -> str:
    """Case and spacing do not make a sentence new."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def test_the_shape_check_rejects_broken_items():
    """Guards the guard: the check below must be able to fail."""
    good = {"text": "We lose two days a week to rework.", "labels": ["pain_point"], "domain": "construction",
            "register": "sales_call"}
    assert problems(good) == []
    assert problems({**good, "text": "  "})
    assert problems({**good, "labels": ["pain"]})
    assert problems({**good, "labels": ["objection", "objection"]})
    assert problems({**good, "labels": []})                     # a negative without a reason
    assert problems({**good, "labels": [], "why": "advice"}) == []
    assert problems({**good, "register": "webinar"})
    assert problems({**good, "domain": ""})
    assert problems({**good, "text": "word " * (MAX_WORDS + 1)})


def test_the_folder_holds_the_pain_objection_and_negative_banks():
    assert {PAIN, OBJECTION, NEGATIVE} <= set(ALL_FILES)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_exemplar_file_parses_and_every_item_is_well_formed(path: Path):
    items = load(path)
    assert items, f"{path.name} is empty"
    bad = [f"{path.name} item {i + 1}: {', '.join(found)}"
           for i, item in enumerate(items) if (found := problems(item))]
    assert not bad, "\n".join(bad[:20])


def test_no_sentence_appears_twice_across_all_exemplar_files():
    """A duplicate, even in two different files, would weigh one sentence double (or contradict itself)."""
    first_seen: dict[str, str] = {}
    duplicates = []
    for path in ALL_FILES:
        for item in load(path):
            key = normalised(item["text"])
            if key in first_seen:
                duplicates.append(f"{item['text']!r} in {path.name} (first in {first_seen[key]})")
            first_seen.setdefault(key, path.name)
    assert not duplicates, "\n".join(duplicates[:20])


@pytest.mark.parametrize("path", list(OWN_FILES), ids=lambda p: p.name)
def test_each_bank_meets_its_minimum_size_and_carries_its_label(path: Path):
    minimum, label = OWN_FILES[path]
    items = load(path)
    assert len(items) >= minimum, f"{path.name} has {len(items)} items, needs {minimum}"
    if label is None:
        labelled = [item["text"] for item in items if item["labels"]]
        assert not labelled, f"hard negatives must have no labels: {labelled[:5]}"
    else:
        missing = [item["text"] for item in items if label not in item["labels"]]
        assert not missing, f"items in {path.name} without {label!r}: {missing[:5]}"


def test_pain_and_objection_banks_include_items_that_are_both():
    """A sentence can be both kinds ("we can't justify another tool, we're over budget"); the bank must teach it."""
    both = [item for path in (PAIN, OBJECTION) for item in load(path)
            if {"pain_point", "objection"} <= set(item["labels"])]
    assert len(both) >= 20


@pytest.mark.parametrize("path", list(OWN_FILES), ids=lambda p: p.name)
def test_each_bank_spreads_over_many_industries_and_both_registers(path: Path):
    items = load(path)
    domains = Counter(item["domain"] for item in items)
    assert len(domains) >= MIN_DOMAINS, f"{path.name} covers only {len(domains)} domains"
    domain, count = domains.most_common(1)[0]
    assert count / len(items) <= MAX_DOMAIN_SHARE, f"{domain!r} is {count}/{len(items)} of {path.name}"
    registers = Counter(item["register"] for item in items)
    assert registers["sales_call"] and registers["podcast"], f"{path.name} registers: {dict(registers)}"


def test_hard_negatives_cover_many_kinds_of_non_insight():
    """Negatives teach the boundary only if they come from many sides of it (advice, good news, pitches...)."""
    reasons = Counter(item["why"] for item in load(NEGATIVE))
    assert len(reasons) >= 8, dict(reasons)
    for needed in ("advice", "solution", "good_news", "neutral_description", "question", "agreement",
                   "rep_pitch", "negated_problem"):
        assert reasons[needed] >= 5, f"too few {needed!r} negatives: {reasons[needed]}"
