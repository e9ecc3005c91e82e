"""One call's analysis: the map step of the pipeline (roles, personas and insights of one transcript).

Every call is independent of every other, so this is what runs in parallel (see ``insights.executor``). The
utterances are parsed once and the docs shared by roles, personas and sentences. Input and output are plain
picklable records, and the models are passed in, so the same function runs in this process, in a worker process,
or on a worker of a distributed engine.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from insights.extract import score_sentences, select
from insights.personas import BUYER_SIDE, assign_personas
from insights.records import INSIGHT_KINDS, Insight, Persona, PersonaAssignment, SpeakerRole, Transcript
from insights.roles import infer_roles
from insights.sentences import normalise, parse_utterances
from insights.themes import quote_phrases

if TYPE_CHECKING:  # pragma: no cover
    from insights.extract import Models


@dataclass(frozen=True)
class CallJob:
    transcript: Transcript
    catalogue: tuple[Persona, ...]
    company_names: tuple[str, ...] = ()
    buyer_title: str | None = None          # the title a rep gave when submitting the call
    kinds: tuple[str, ...] = INSIGHT_KINDS
    min_confidence: float = 0.0
    extract: bool = True                    # False: roles and personas only (the insights are already stored)


@dataclass
class CallResult:
    transcript: Transcript                  # with the submitted buyer title applied
    roles: list[SpeakerRole]
    personas: list[PersonaAssignment]
    insights: list[Insight] | None          # None when the job did not extract
    words: int = 0
    sentences: int = 0                      # candidate sentences (fillers and back-channels are not counted)
    embedded: int = 0                       # candidates that passed the gate and were embedded
    seconds: dict[str, float] = field(default_factory=dict)   # time per step, for the benchmark
    phrases: dict[str, list[str]] = field(default_factory=dict)  # quote -> keyphrase candidates (for themes)


def with_buyer_title(t: Transcript, roles: list[SpeakerRole], title: str | None) -> Transcript:
    """The rep told us the buyer's title: give it to buyer-side speakers the metadata says nothing about."""
    if not title:
        return t
    buyers = {r.speaker for r in roles if r.role in BUYER_SIDE and r.speaker is not None}
    speakers = tuple(replace(s, title=title) if s.label in buyers and not s.title else s for s in t.speakers)
    return replace(t, speakers=speakers)


def analyse_call(job: CallJob, models: "Models") -> CallResult:
    """Roles, personas and (unless the job says not) insights of one call. The insights' quotes are embedded here
    too, while the models are warm, so the theme stage finds every vector in the cache."""
    t = job.transcript
    clock = _Stopwatch()
    docs = parse_utterances(t, models.nlp)
    clock.lap("parse")
    roles = infer_roles(t, job.company_names, docs=docs)
    titled = with_buyer_title(t, roles, job.buyer_title)
    clock.lap("roles")
    result = CallResult(titled, roles, [], None, words=t.words)
    if job.extract:
        scored = score_sentences([t], models, roles={t.id: roles}, docs={t.id: docs})
        clock.lap("score")
        result.insights = select(scored, models.classifier, kinds=job.kinds, min_confidence=job.min_confidence)
        models.embedder.embed([normalise(i.quote) for i in result.insights])
        result.phrases = {i.quote: quote_phrases(_quote_span(docs[i.utterance], i.span)) for i in result.insights}
        clock.lap("select")
        result.sentences, result.embedded = len(scored.sentences), scored.embedded
    # Personas read the stock model's embedding (cached by text), not the classifier's tuned one.
    result.personas = assign_personas(titled, roles, job.catalogue, models.embedder, docs=docs)
    clock.lap("personas")
    result.seconds = clock.laps
    return result


def _quote_span(doc, span: tuple[int, int]):
    """The quote's tokens inside its parsed utterance (tags in context, no second parse)."""
    return doc.char_span(span[0], span[1], alignment_mode="expand") or doc


class _Stopwatch:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now
