"""Who is the seller and who the buyer (or host and guest): from metadata when given, else from what they say."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from insights.records import SIDES, Speaker, Transcript, Utterance
from insights.roles import UNKNOWN, infer_roles

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "roles"
CORPUS = ROOT / "sample_transcripts"
TRUTH = sorted((Path(__file__).parent / "data").glob("corpus_truth_*.json"))


@pytest.fixture(scope="module")
def nlp():
    from insights.nlp import load_spacy

    return load_spacy()


def transcript(name: str, kind: str = "sales_call", speakers: dict[str, dict] | None = None) -> Transcript:
    """A Transcript from a fixture of `Name: text` lines (lines without a name: an unlabelled transcript)."""
    utterances, labels = [], []
    for line in (FIXTURES / name).read_text().splitlines():
        if not line.strip():
            continue
        m = re.match(r"^([A-Z][\w .'-]{0,30}): (.*)$", line)
        label, text = (m.group(1), m.group(2)) if m else (None, line)
        if label and label not in labels:
            labels.append(label)
        utterances.append(Utterance(index=len(utterances), speaker=label, text=text))
    meta = speakers or {}
    return Transcript(id=name, source=name, kind=kind, title=name, date="2026-11-02",
                      speakers=tuple(Speaker(label=lb, name=lb, **meta.get(lb, {})) for lb in labels),
                      utterances=tuple(utterances), format="speaker-turns")


def by_speaker(roles):
    return {r.speaker: r for r in roles}


def test_metadata_role_wins_even_against_the_conversation(nlp):
    # Grace is marked as the rep although Owen does all the selling: metadata is trusted as given.
    t = transcript("sales_discovery.txt", speakers={"Grace": {"role": "rep"}, "Owen": {"role": "buyer"}})
    roles = by_speaker(infer_roles(t, nlp=nlp))
    assert roles["Grace"].role == "rep" and roles["Owen"].role == "buyer"
    assert all(r.confidence == 1.0 and r.evidence == "metadata" for r in roles.values())


def test_rep_is_inferred_from_product_talk_and_discovery_questions(nlp):
    roles = by_speaker(infer_roles(transcript("sales_discovery.txt"), nlp=nlp))
    assert roles["Owen"].role == "rep"
    assert roles["Grace"].role == "buyer"
    assert roles["Owen"].confidence > 0.8
    # the evidence quotes the decisive words as said
    assert "our platform" in roles["Owen"].evidence.lower() or "share my screen" in roles["Owen"].evidence.lower()


def test_partial_metadata_fills_in_the_rest(nlp):
    t = transcript("sales_discovery.txt", speakers={"Grace": {"role": "buyer"}})
    roles = by_speaker(infer_roles(t, nlp=nlp))
    assert roles["Grace"].evidence == "metadata"
    assert roles["Owen"].role == "rep" and roles["Owen"].evidence != "metadata"


def test_solutions_engineer_who_speaks_of_our_product_is_a_second_rep(nlp):
    roles = by_speaker(infer_roles(transcript("sales_with_engineer.txt"), nlp=nlp))
    assert roles["Nadia"].role == "rep"
    assert roles["Felix"].role == "rep"
    assert roles["Tomas"].role == "buyer"


def test_own_company_named_with_we_marks_the_rep(nlp):
    t = Transcript(id="x", source="x", kind="sales_call", title="x", date="2026-11-02",
                   speakers=(Speaker("A"), Speaker("B")), format="speaker-turns",
                   utterances=(Utterance(0, "A", "Hi, sorry I'm late, back to back meetings today."),
                               Utterance(1, "B", "No worries. So at Northwind we built this for finance teams."),
                               Utterance(2, "A", "Okay, and what would it replace for us?"),
                               Utterance(3, "B", "Mostly the spreadsheet. Northwind connects to your ERP and we "
                                                 "handle the mapping.")))
    roles = by_speaker(infer_roles(t, own_company=["Northwind"], nlp=nlp))
    assert roles["B"].role == "rep"
    assert "Northwind" in roles["B"].evidence
    assert roles["A"].role == "buyer"


def test_podcast_host_welcomes_and_asks_while_the_guest_tells_the_story(nlp):
    roles = by_speaker(infer_roles(transcript("podcast_episode.txt", kind="podcast"), nlp=nlp))
    assert roles["Lena"].role == "host"
    assert roles["Marcus"].role == "guest"
    assert "having me" in roles["Marcus"].evidence


def test_interviews_use_host_and_guest(nlp):
    roles = infer_roles(transcript("podcast_episode.txt", kind="interview"), nlp=nlp)
    assert {r.role for r in roles} == set(SIDES["interview"])


def test_unlabelled_transcript_gets_one_role_per_utterance(nlp):
    t = transcript("unlabelled_call.txt")
    roles = infer_roles(t, nlp=nlp)
    assert [r.utterance for r in roles] == list(range(len(t.utterances)))
    assert all(r.speaker is None for r in roles)
    got = [r.role for r in roles]
    assert got[0] == "rep"            # let me share my screen
    assert got[1] == "buyer"          # I'm worried about ... my team
    assert got[2] == UNKNOWN          # Sounds good.
    assert got[3] == "rep"            # we offer ... our platform
    assert got[4] == "buyer"          # for our team we ...
    assert got[5] == UNKNOWN and roles[5].confidence == 0.0


def test_an_unlabelled_utterance_that_speaks_to_the_buyer_as_you_is_the_reps(nlp):
    t = Transcript(id="asr", source="asr.txt", kind="sales_call", title="", date="2026-11-02", speakers=(),
                   format="text", utterances=tuple(
        Utterance(i, None, text) for i, text in enumerate([
            "So you've not taken any mocks yet, and your test date is about March.",
            "If you get a 695, that's more than good enough for you.",
            "I have only around 17 days, and my quant is weak.",
            "Can you do anything on the price for my team? I worry about my budget.",
        ])))
    roles = infer_roles(t, nlp=nlp)
    assert [r.role for r in roles[:2]] == ["rep", "rep"]
    assert "speaks to the buyer as 'you'" in roles[1].evidence
    assert roles[2].role != "rep"     # first person: not the seller (the advisor says "I" too, so no side from it)
    assert roles[3].role == "buyer"   # "you" once, "my" twice: the buyer pushing back on the price


def test_every_role_has_evidence_and_a_confidence_in_range(nlp):
    for name, kind in [("sales_discovery.txt", "sales_call"), ("sales_with_engineer.txt", "sales_call"),
                       ("podcast_episode.txt", "podcast"), ("unlabelled_call.txt", "sales_call")]:
        for r in infer_roles(transcript(name, kind=kind), nlp=nlp):
            assert r.evidence.strip(), (name, r)
            assert 0.0 <= r.confidence <= 1.0
            assert r.role in (*SIDES[kind], UNKNOWN)


def test_a_speaker_listed_in_metadata_who_never_speaks_is_still_reported(nlp):
    t = transcript("sales_discovery.txt")
    t = dataclasses.replace(t, speakers=t.speakers + (Speaker("Silent Sam"),))
    roles = by_speaker(infer_roles(t, nlp=nlp))
    assert roles["Silent Sam"].role == "buyer" and "never speaks" in roles["Silent Sam"].evidence


# --- accuracy on the sample corpus -----------------------------------------------------------------------------

def corpus_cases():
    cases = []
    for path in TRUTH:
        for fname, info in json.loads(path.read_text()).items():
            if (CORPUS / fname).exists():
                cases.append((fname, info))
    return cases


def strip_metadata(t: Transcript, *, company: bool = True) -> Transcript:
    """The transcript as if it came without a sidecar: no roles, titles (and companies) on the speakers."""
    return dataclasses.replace(t, speakers=tuple(
        dataclasses.replace(s, role=None, title=None, company=None if company else s.company) for s in t.speakers))


def role_accuracy(nlp, *, strip: bool) -> tuple[int, int, list[str]]:
    from insights.parse import load_transcript

    right = total = 0
    wrong = []
    for fname, info in corpus_cases():
        t = load_transcript(CORPUS / fname)
        if strip:
            t = strip_metadata(t)
        got = {r.speaker: r.role for r in infer_roles(t, nlp=nlp) if r.speaker is not None}
        for label, sp in info["speakers"].items():
            if not label or sp.get("role") is None:
                continue       # unlabelled transcript: no per-speaker truth
            total += 1
            if got.get(label) == sp["role"]:
                right += 1
            else:
                wrong.append(f"{fname}:{label} {got.get(label)} != {sp['role']}")
    return right, total, wrong


@pytest.mark.skipif(not corpus_cases(), reason="the sample corpus and its truth files are not present")
@pytest.mark.parametrize("strip", [False, True], ids=["with_metadata", "metadata_removed"])
def test_roles_are_right_for_at_least_90_percent_of_corpus_speakers(nlp, strip):
    right, total, wrong = role_accuracy(nlp, strip=strip)
    assert total > 0
    assert right / total >= 0.9, f"{right}/{total} right; wrong: {wrong}"
