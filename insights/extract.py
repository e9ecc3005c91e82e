"""The extraction stage: transcripts in, insights out (pure; the models are passed in).

Sentences are cheap-filtered (back-channels and fragments never become insights), embedded once, scored by the
classifier per kind, and kept above a per-kind threshold. Each insight keeps its verbatim quote and where it is.
Objections carry the other side's next turn as the response: how the rep handled it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from insights.classifier import InsightClassifier, bank_fingerprint, classifier_cached, load_classifier
from insights.features import fired
from insights.nlp import Embedder, load_spacy
from insights.records import INSIGHT_KINDS, Insight, SpeakerRole, Transcript
from insights.roles import infer_roles
from insights.sentences import Sentence, is_candidate, normalise, parse_utterances, sentences_of

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

# Probability a sentence must reach to be reported as an insight of a kind; chosen on the exemplar bank's
# cross-validation and checked on the dev set (see README "Extraction quality"). Objections moved from 0.6 to 0.7
# with the fine-tuned encoder, whose sharper scores made 0.6 too permissive (dev-set F1 0.46 at 0.6, 0.52 at 0.7).
THRESHOLDS = {"pain_point": 0.5, "objection": 0.7, "analogy": 0.65}
MAX_QUOTE_SENTENCES = 3
CONTINUE_SHARE = 0.3
CONTEXT_WORDS = 6
SELLER_FACTOR = 0.7
RESPONSE_MAX_SENTENCES = 3


class Models:
    """The collaborators of extraction, loaded once and passed to the stage.

    The classifier (with its tuned encoder, ~250 MB with torch) loads on first use: a weekly run whose calls are
    analysed by worker processes never needs it in the main process, which then holds only spaCy and the
    embedding cache (see ``run.analyse``)."""

    def __init__(self, nlp, embedder: Embedder, classifier: InsightClassifier | None = None):
        self.nlp = nlp
        self.embedder = embedder
        self._classifier = classifier

    @classmethod
    def load(cls, embedder: Embedder | None = None, *, lazy: bool = False) -> "Models":
        models = cls(nlp=load_spacy(), embedder=embedder or Embedder())
        if not lazy:
            models.classifier  # noqa: B018 - load (or train) it now
        return models

    @property
    def classifier(self) -> InsightClassifier:
        if self._classifier is None:
            self._classifier = load_classifier(self.nlp, self.embedder)
        return self._classifier

    @property
    def fingerprint(self) -> str:
        """The classifier's identity (stored insights are keyed by it), without loading it."""
        return self._classifier.fingerprint if self._classifier is not None else bank_fingerprint()

    def ensure_trained(self) -> None:
        """Train the classifier here if no cached copy exists, so worker processes load it rather than each
        training its own."""
        if self._classifier is None and not classifier_cached():
            self.classifier  # noqa: B018


@dataclass
class Scored:
    """Every candidate sentence with its embedding and probability per kind: extraction before thresholds.
    Sentences the gate set aside were not embedded: their vector is zero and their probabilities are 0."""

    sentences: list[Sentence]
    vectors: np.ndarray
    probs: dict[str, np.ndarray]
    sides: list[str | None]              # rep | buyer | host | guest | unknown, per sentence
    embedded: int = 0                    # how many sentences passed the gate and were embedded


def utterance_sides(t: Transcript, roles: Sequence[SpeakerRole]) -> list[str | None]:
    """The side of each utterance: by speaker, or per utterance for transcripts without speaker labels."""
    by_speaker = {r.speaker: r.role for r in roles if r.speaker is not None}
    by_utterance = {r.utterance: r.role for r in roles if r.speaker is None and r.utterance is not None}
    return [by_speaker.get(u.speaker) if u.speaker is not None else by_utterance.get(u.index)
            for u in t.utterances]


# Voices of the production, not of the conversation: a show's intro and outro, an announcer, an ad read.
PRODUCTION_VOICES = {"intro", "outro", "announcer", "narrator", "voiceover", "voice over", "ad", "ad read", "advert",
                     "sponsor", "promo"}


def production_voices(t: Transcript) -> set[int]:
    """Utterances spoken by a production voice ("INTRO: Building a company is a marathon…"): never insights."""
    return {u.index for u in t.utterances
            if u.speaker is not None and u.speaker.strip().casefold() in PRODUCTION_VOICES}


def score_sentences(transcripts: Sequence[Transcript], models: Models,
                    roles: dict[str, Sequence[SpeakerRole]] | None = None,
                    docs: dict[str, Sequence["Doc"]] | None = None, gate: bool = True) -> Scored:
    """Classify every candidate sentence. ``roles`` and parsed ``docs`` by transcript id, computed here when not
    given. Cheapest first: fillers are dropped by a word count, the gate (static token vectors, cues, n-grams)
    drops sentences it rules out for every kind (``gate=False`` embeds them all), and only the rest is embedded
    and fully scored."""
    roles, docs = dict(roles or {}), dict(docs or {})
    sides, sentences = {}, []
    for t in transcripts:
        if t.id not in docs:
            docs[t.id] = parse_utterances(t, models.nlp)
        if t.id not in roles:
            roles[t.id] = infer_roles(t, nlp=models.nlp, docs=docs[t.id])
        sides[t.id] = utterance_sides(t, roles[t.id])
        produced = production_voices(t)
        sentences += [s for s in sentences_of(t, docs[t.id]) if is_candidate(s) and s.utterance not in produced]
    n = len(sentences)
    vectors = np.zeros((n, models.embedder.dim), dtype=np.float32)
    probs = {k: np.zeros(n) for k in INSIGHT_KINDS}
    if not n:
        return Scored([], vectors, probs, [])
    cheap = models.classifier.cheap_features([s.span for s in sentences])
    done = np.zeros(n, dtype=bool)
    texts = [normalise(s.text) for s in sentences]

    def score(idx: np.ndarray) -> None:
        if len(idx):
            vectors[idx] = models.classifier.encode([texts[i] for i in idx])
            for kind, p in models.classifier.predict([sentences[i].span for i in idx], vectors[idx],
                                                     cheap[idx]).items():
                probs[kind][idx] = p
            done[idx] = True

    score(np.flatnonzero(models.classifier.gate(texts, cheap) if gate else np.ones(n, dtype=bool)))
    # A quote runs on over the next sentences of its turn that continue it (see _runs): score the gated-out
    # sentence right after each run, until no run could grow, so quotes are what they would be without the gate.
    for _ in range(MAX_QUOTE_SENTENCES - 1):
        grow = sorted({last + 1 for kind in INSIGHT_KINDS
                       for first, last in _runs(sentences, probs[kind], THRESHOLDS[kind])
                       if last + 1 < n and not done[last + 1] and last - first + 1 < MAX_QUOTE_SENTENCES
                       and _same_turn(sentences[last], sentences[last + 1])})
        if not grow:
            break
        score(np.array(grow, dtype=int))
    sides_of = [sides[s.transcript.id][s.utterance] for s in sentences]
    return Scored(sentences, vectors, probs, sides_of, int(done.sum()))


def select(scored: Scored, classifier: InsightClassifier, *, kinds: Iterable[str] = INSIGHT_KINDS,
           thresholds: dict[str, float] | None = None, min_confidence: float = 0.0) -> list[Insight]:
    """Insights from scored sentences: runs above each kind's threshold, with evidence."""
    thresholds = thresholds or THRESHOLDS
    sentences, vectors = scored.sentences, scored.vectors
    insights: list[Insight] = []
    for kind in [k for k in INSIGHT_KINDS if k in set(kinds)]:
        p = _seller_discount(scored, kind)
        for first, last in _runs(sentences, p, thresholds[kind]):
            confidence = float(p[first:last + 1].max())
            if confidence < min_confidence:
                continue
            best = first + int(np.argmax(p[first:last + 1]))
            insights.append(_insight(sentences[first], sentences[last], kind, confidence,
                                     classifier.nearest(vectors[best], kind), scored.sides[first]))
    return sorted(insights, key=lambda i: (i.transcript_id, i.utterance, i.span, i.kind))


def extract(transcripts: Sequence[Transcript], models: Models, *, kinds: Iterable[str] = INSIGHT_KINDS,
            min_confidence: float = 0.0, gate: bool = True) -> list[Insight]:
    """Every insight of the requested kinds in the transcripts, in transcript order."""
    scored = score_sentences(transcripts, models, gate=gate)
    return select(scored, models.classifier, kinds=kinds, min_confidence=min_confidence)


_REPORTED = re.compile(r"\b(customers?|clients?|buyers?|prospects?|people|they|folks|everyone|teams?)\b[^.?!]{0,40}"
                       r"\b(tell|tells|told|say|says|said|ask|asks|complain\w*|push(?:es)? back|worr\w*)\b"
                       r"|\b(i|we) (?:always |often |keep )?hear\b", re.I)


def _seller_discount(scored: Scored, kind: str) -> np.ndarray:
    """In sales calls the seller's own words are rarely the buyer's pain or objection: "the per-unit price is a
    little higher" is an offer, not pushback. Scale those down unless the rep reports what customers say."""
    p = scored.probs[kind]
    if kind == "analogy" or not len(p):
        return p
    factor = np.array([SELLER_FACTOR if side == "rep" and not _REPORTED.search(s.text) else 1.0
                       for s, side in zip(scored.sentences, scored.sides)])
    return p * factor


def _runs(sentences: Sequence[Sentence], p: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Index ranges of quotes, so that a quote carries its whole point (gold labels are 2 sentences 40% of the
    time): a sentence above the threshold, extended over the next sentences of the same turn that continue it
    (scored at least CONTINUE_SHARE of the threshold), up to MAX_QUOTE_SENTENCES; a short or anaphoric sentence
    ("It's duct tape.") takes the sentence before it as its context."""
    runs, i = [], 0
    while i < len(sentences):
        if p[i] < threshold:
            i += 1
            continue
        start = i
        if (i > 0 and _same_turn(sentences[i - 1], sentences[i]) and _needs_context(sentences[i])
                and (not runs or runs[-1][1] < i - 1)):
            start = i - 1
        j = i
        while (j + 1 < len(sentences) and j - start + 1 < MAX_QUOTE_SENTENCES
               and _same_turn(sentences[j], sentences[j + 1])
               and p[j + 1] >= CONTINUE_SHARE * threshold):
            j += 1
        runs.append((start, j))
        i = j + 1
    return runs


_ANAPHORIC = re.compile(r"^(it|it's|that|that's|this|they|those|which|so|and|but|because|or|then)\b", re.I)


def _needs_context(s: Sentence) -> bool:
    words = s.text.split()
    return len(words) <= CONTEXT_WORDS or bool(_ANAPHORIC.match(s.text.strip()))


def _same_turn(a: Sentence, b: Sentence) -> bool:
    return a.transcript.id == b.transcript.id and a.utterance == b.utterance


def _insight(s: Sentence, end: Sentence, kind: str, p: float, nearest: list[str], side: str | None) -> Insight:
    t = s.transcript
    u = t.utterances[s.utterance]
    speaker = t.speaker(u.speaker)
    cues = ",".join(fired(s.span)) or "none"
    near = " | ".join(n[:80] for n in nearest)
    response, responder = (_response(t, s.utterance) if kind == "objection" else (None, None))
    return Insight(kind=kind, quote=u.text[s.start:end.end], transcript_id=t.id, source=t.source,
                   utterance=s.utterance, span=(s.start, end.end), speaker=u.speaker, speaker_name=speaker.display if speaker else None,
                   role=side if side not in (None, "unknown") else (speaker.role if speaker else None), start=u.start, confidence=round(p, 4),
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
