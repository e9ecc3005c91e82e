"""Reps submit standout calls: parse, store with who/why/when, and show at once what the tool found in it."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from insights.config import PipelineConfig
from insights.errors import InsightsError
from insights.extract import Models
from insights.parse import load_transcript
from insights.parse.metadata import OUTCOMES
from insights.per_call import CallJob, analyse_call
from insights.personas import load_catalogue
from insights.records import Insight, PersonaAssignment, Transcript
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
    job = CallJob(t, tuple(catalogue), tuple(config.company_names), buyer_title, tuple(config.kinds),
                  config.min_confidence)
    result = analyse_call(job, models)
    return Feedback(result.transcript, status, result.personas, {p.key: p.name for p in catalogue}, result.insights)
