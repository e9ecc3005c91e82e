"""The extraction stage: transcripts in, insights out (pure; the models are passed in).

Sentences are cheap-filtered (back-channels and fragments never become insights), embedded once, scored by the
classifier per kind, and kept above a per-kind threshold. Each insight keeps its verbatim quote and where it is.
Objections carry the other side's next turn as the response: how the rep handled it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from insights.classifier import InsightClassifier, load_classifier
from insights.features import FILLERS, fired
from insights.nlp import Embedder, load_spacy
from insights.records import INSIGHT_KINDS, Insight, Transcript
from insights.sentences import Sentence, normalise, split_sentences

# Probability a sentence must reach to be reported as an insight of a kind; chosen on the exemplar bank's
# cross-validation and checked on the dev set (see README "Extraction quality").
THRESHOLDS = {"pain_point": 0.5, "objection": 0.5, "analogy": 0.5}
MIN_CONTENT_WORDS = 3
MAX_QUOTE_SENTENCES = 3
CONTINUE_SHARE = 0.5
RESPONSE_MAX_SENTENCES = 3


@dataclass
class Models:
    """The collaborators of extraction, loaded once and passed to the stage."""

    nlp: object
    embedder: Embedder
    classifier: InsightClassifier

    @classmethod
    def load(cls, embedder: Embedder | None = None) -> "Models":
        nlp = load_spacy()
        embedder = embedder or Embedder()
        return cls(nlp=nlp, embedder=embedder, classifier=load_classifier(nlp, embedder))


def is_candidate(sentence: Sentence) -> bool:
    """Cheap filter before embedding: enough words that are not fillers or back-channels."""
    words = re.findall(r"[A-Za-z']+", sentence.text.lower())
    return sum(w not in FILLERS for w in words) >= MIN_CONTENT_WORDS


@dataclass
class Scored:
    """Every candidate sentence with its embedding and probability per kind: extraction before thresholds."""

    sentences: list[Sentence]
    vectors: np.ndarray
    probs: dict[str, np.ndarray]


def score_sentences(transcripts: Sequence[Transcript], models: Models, n_process: int = 1) -> Scored:
    sentences = [s for s in split_sentences(transcripts, models.nlp, n_process=n_process) if is_candidate(s)]
    if not sentences:
        return Scored([], np.zeros((0, models.embedder.dim), dtype=np.float32), {k: np.zeros(0) for k in INSIGHT_KINDS})
    vectors = models.embedder.embed([normalise(s.text) for s in sentences])
    return Scored(sentences, vectors, models.classifier.predict([s.span for s in sentences], vectors))


def select(scored: Scored, classifier: InsightClassifier, *, kinds: Iterable[str] = INSIGHT_KINDS,
           thresholds: dict[str, float] | None = None, min_confidence: float = 0.0) -> list[Insight]:
    """Insights from scored sentences: runs above each kind's threshold, with evidence."""
    thresholds = thresholds or THRESHOLDS
    sentences, vectors = scored.sentences, scored.vectors
    insights: list[Insight] = []
    for kind in [k for k in INSIGHT_KINDS if k in set(kinds)]:
        p = scored.probs[kind]
        for first, last in _runs(sentences, p, thresholds[kind]):
            confidence = float(p[first:last + 1].max())
            if confidence < min_confidence:
                continue
            best = first + int(np.argmax(p[first:last + 1]))
            insights.append(_insight(sentences[first], sentences[last], kind, confidence,
                                     classifier.nearest(vectors[best], kind)))
    return sorted(insights, key=lambda i: (i.transcript_id, i.utterance, i.span, i.kind))


def extract(transcripts: Sequence[Transcript], models: Models, *, kinds: Iterable[str] = INSIGHT_KINDS,
            min_confidence: float = 0.0, n_process: int = 1) -> list[Insight]:
    """Every insight of the requested kinds in the transcripts, in transcript order."""
    scored = score_sentences(transcripts, models, n_process=n_process)
    return select(scored, models.classifier, kinds=kinds, min_confidence=min_confidence)


def _runs(sentences: Sequence[Sentence], p: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Index ranges of quotes: a sentence above the threshold, extended over the next sentences of the same turn
    that continue it (scored at least CONTINUE_SHARE of the threshold, but not insights on their own), up to
    MAX_QUOTE_SENTENCES. "Think of it as a bathroom scale for the fleet. Nobody loves stepping on it…" is one quote."""
    runs, i = [], 0
    while i < len(sentences):
        if p[i] < threshold:
            i += 1
            continue
        j = i
        while (j + 1 < len(sentences) and j - i + 1 < MAX_QUOTE_SENTENCES
               and _same_turn(sentences[j], sentences[j + 1])
               and CONTINUE_SHARE * threshold <= p[j + 1] < threshold):
            j += 1
        runs.append((i, j))
        i = j + 1
    return runs


def _same_turn(a: Sentence, b: Sentence) -> bool:
    return a.transcript.id == b.transcript.id and a.utterance == b.utterance


def _insight(s: Sentence, end: Sentence, kind: str, p: float, nearest: list[str]) -> Insight:
    t = s.transcript
    u = t.utterances[s.utterance]
    speaker = t.speaker(u.speaker)
    cues = ",".join(fired(s.span)) or "none"
    near = " | ".join(n[:80] for n in nearest)
    response, responder = (_response(t, s.utterance) if kind == "objection" else (None, None))
    return Insight(kind=kind, quote=u.text[s.start:end.end], transcript_id=t.id, source=t.source,
                   utterance=s.utterance, span=(s.start, end.end), speaker=u.speaker, speaker_name=speaker.display if speaker else None,
                   role=speaker.role if speaker else None, start=u.start, confidence=round(p, 4),
                   reason=f"model p={p:.2f}; cues={cues}; nearest={near}",
                   response=response, response_speaker=responder)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _response(t: Transcript, index: int) -> tuple[str | None, str | None]:
    """The next turn by someone else, first few sentences, verbatim. Unknown when the source has no speakers."""
    who = t.utterances[index].speaker
    if who is None:
        return None, None
    for u in t.utterances[index + 1:index + 4]:
        if u.speaker is not None and u.speaker != who:
            ends = [m.start() for m in _SENTENCE_END.finditer(u.text)]
            cut = ends[RESPONSE_MAX_SENTENCES - 1] if len(ends) >= RESPONSE_MAX_SENTENCES else len(u.text)
            return u.text[:cut], u.speaker
    return None, None
