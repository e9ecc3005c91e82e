"""Reps submit standout calls: parse, store with who/why/when, and show at once what the tool found in it."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from insights.config import PipelineConfig
from insights.errors import InsightsError
from insights.extract import Models, score_sentences, select
from insights.parse.metadata import OUTCOMES
from insights.parse import load_transcript
from insights.personas import BUYER_SIDE, assign_personas, load_catalogue
from insights.records import Insight, PersonaAssignment, SpeakerRole, Transcript
from insights.roles import infer_roles
from insights.store import Store


@dataclass
class Feedback:
    """What a rep sees right after submitting: who the buyer is and the best quotes of each kind."""

    transcript: Transcript
    status: str                                  # added | existing
    personas: list[PersonaAssignment]
    persona_names: dict[str, str]
    insights: list[Insight]

    def top(self, kind: str, n: int = 3) -> list[Insight]:
        return sorted((i for i in self.insights if i.kind == kind), key=lambda i: (-i.confidence, i.id))[:n]


def with_buyer_title(t: Transcript, roles: list[SpeakerRole], title: str | None) -> Transcript:
    """The rep told us the buyer's title: give it to buyer-side speakers the metadata says nothing about."""
    if not title:
        return t
    buyers = {r.speaker for r in roles if r.role in BUYER_SIDE and r.speaker is not None}
    speakers = tuple(replace(s, title=title) if s.label in buyers and not s.title else s for s in t.speakers)
    return replace(t, speakers=speakers)


def submit_file(path: str | Path, store: Store, models: Models, config: PipelineConfig, *, rep: str,
                why: str = "", account: str | None = None, outcome: str | None = None,
                buyer_title: str | None = None, channel: str = "cli", source: str | None = None) -> Feedback:
    """Store a submitted call (refusing duplicates, storing nothing on a parse error) and analyse it at once."""
    if not rep.strip():
        raise InsightsError.make("E501", "--rep must name the rep who submits the call")
    if outcome is not None and outcome not in OUTCOMES:
        raise InsightsError.make("E501", f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    path = Path(path)
    t = load_transcript(path, max_bytes=config.max_file_bytes, source=source or path.as_posix())
    extra = {k: v for k, v in (("account", account), ("outcome", outcome)) if v}
    if extra:
        t = replace(t, metadata={**t.metadata, **extra})
    status = store.submit(t, rep=rep.strip(), why=why.strip(), account=account, outcome=outcome,
                          buyer_title=buyer_title, channel=channel, source_key=str(path.resolve()))
    return analyse_one(t, status, models, config, buyer_title)


def analyse_one(t: Transcript, status: str, models: Models, config: PipelineConfig,
                buyer_title: str | None = None) -> Feedback:
    catalogue = load_catalogue(config.catalogue)
    roles = infer_roles(t, config.company_names, nlp=models.nlp)
    titled = with_buyer_title(t, roles, buyer_title)
    personas = assign_personas(titled, roles, catalogue, models.embedder, nlp=models.nlp)
    found = select(score_sentences([t], models, roles={t.id: roles}), models.classifier, kinds=config.kinds,
                   min_confidence=config.min_confidence)
    return Feedback(titled, status, personas, {p.key: p.name for p in catalogue}, found)
