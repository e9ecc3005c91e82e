"""Typed records that flow between stages. Frozen: a stage returns new records, it never edits old ones."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

TRANSCRIPT_KINDS = ("sales_call", "podcast", "interview")


def iso_week(day: "date | str") -> str:
    """``2026-11-03`` -> ``2026-W45``: the week a transcript belongs to in reports and theme trends."""
    d = date.fromisoformat(str(day)[:10]) if isinstance(day, str) else day
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def clock(seconds: float | None) -> str:
    """A time in a recording as people read it: 4:05, 1:02:03; empty when the source has no times."""
    if seconds is None:
        return ""
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
ROLES = ("rep", "buyer", "host", "guest")


@dataclass(frozen=True)
class Speaker:
    """One voice in a transcript. ``label`` is how the source names it (``Frank``, ``SPEAKER_00``, ``A``)."""

    label: str
    name: str | None = None          # display name when known (metadata or the label itself when it is a name)
    role: str | None = None          # rep | buyer | host | guest, when known
    title: str | None = None         # job title, e.g. "VP Marketing"
    company: str | None = None

    @property
    def display(self) -> str:
        return self.name or self.label


@dataclass(frozen=True)
class Utterance:
    """A turn: consecutive speech of one speaker. ``speaker`` is a Speaker label, or None when the source has none."""

    index: int
    speaker: str | None
    text: str
    start: float | None = None       # seconds from the start of the recording
    end: float | None = None


@dataclass(frozen=True)
class Transcript:
    """A parsed transcript. ``id`` is a hash of the file's content, so the same content is always one transcript."""

    id: str
    source: str
    kind: str                        # sales_call | podcast | interview
    title: str
    date: str                        # ISO date YYYY-MM-DD
    speakers: tuple[Speaker, ...]
    utterances: tuple[Utterance, ...]
    format: str                      # the detected source format, e.g. "webvtt", "whisper-json"
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def words(self) -> int:
        return sum(len(u.text.split()) for u in self.utterances)

    @property
    def duration(self) -> float | None:
        """Seconds from the first to the last timestamp, None when the source has no times."""
        times = [t for u in self.utterances for t in (u.start, u.end) if t is not None]
        return max(times) - min(times) if times else None

    def speaker(self, label: str | None) -> Speaker | None:
        return next((s for s in self.speakers if s.label == label), None)


INSIGHT_KINDS = ("pain_point", "objection", "analogy")


@dataclass(frozen=True)
class Insight:
    """One thing a speaker said that marketing can use, with everything needed to find it again."""

    kind: str                        # pain_point | objection | analogy
    quote: str                       # verbatim: utterance.text[span[0]:span[1]]
    transcript_id: str
    source: str
    utterance: int                   # index of the utterance in the transcript
    span: tuple[int, int]            # character span inside that utterance's text
    speaker: str | None              # speaker label as in the transcript (None: no speaker labels)
    speaker_name: str | None
    role: str | None                 # rep | buyer | host | guest, when known
    start: float | None              # seconds, when the source has times
    confidence: float                # in [0, 1]
    reason: str                      # machine-readable: which signals fired, nearest exemplars
    response: str | None = None      # objections: what the other side said next, verbatim
    response_speaker: str | None = None

    @property
    def id(self) -> str:
        """Stable identity: the same sentence of the same transcript is the same insight on every run."""
        import hashlib

        key = f"{self.transcript_id}|{self.kind}|{self.utterance}|{self.span[0]}|{self.span[1]}"
        return hashlib.sha1(key.encode()).hexdigest()[:16]


SIDES = {"sales_call": ("rep", "buyer"), "podcast": ("host", "guest"), "interview": ("host", "guest")}
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class SpeakerRole:
    """Which side a speaker is on, how sure we are, and why. ``speaker`` None: one utterance of an unlabelled
    transcript (then ``utterance`` says which)."""

    transcript_id: str
    speaker: str | None
    role: str                        # rep | buyer | host | guest | unknown
    confidence: float
    evidence: str                    # e.g. "metadata" or "introduces the company: 'here at Lumen we…'"
    utterance: int | None = None


@dataclass(frozen=True)
class Persona:
    key: str                         # e.g. "cfo_finance"
    name: str                        # e.g. "CFO / Finance"
    description: str
    title_patterns: tuple[str, ...]  # regular expressions matched against job titles
    concerns: tuple[str, ...]        # typical concerns, in the buyer's words


@dataclass(frozen=True)
class PersonaAssignment:
    """The persona of one buyer/guest speaker in one transcript, with the evidence that decided it."""

    transcript_id: str
    speaker: str | None
    persona: str                     # a Persona.key, or UNASSIGNED
    confidence: float
    method: str                      # metadata_title | self_introduction | introduced_by_other | similarity | none
    evidence: str                    # the title, the quote, or the similarity figures


THEME_TRENDS = ("new", "rising", "steady", "falling")


@dataclass(frozen=True)
class Theme:
    """A recurring thing one persona says, of one kind: its quotes, how widely it is said, and how that changes.

    ``id`` and ``name`` carry over from last week's theme it matches (see ``insights.themes``). ``centroid`` is the
    unit-length mean embedding of the members, kept for that matching; it takes no part in equality or hashing.
    """

    id: str
    name: str
    persona: str                     # a Persona.key, or UNASSIGNED
    kind: str                        # pain_point | objection | analogy
    keywords: tuple[str, ...]        # distinctive lemmatised keyphrases, best first
    insight_ids: tuple[str, ...]     # Insight.id of every member, sorted
    size: int
    transcripts: int                 # distinct transcripts it was said in
    speakers: int                    # distinct speakers who said it
    first_seen: str                  # ISO date
    last_seen: str                   # ISO date
    weekly: tuple[tuple[str, int], ...]  # (ISO week "YYYY-Www", members said that week), by week
    trend: str                       # new | rising | steady | falling, for the run's current week
    quotes: tuple[str, ...]          # Insight.id of 1-3 representative quotes, most central first
    centroid: tuple[float, ...] = field(default=(), compare=False, hash=False, repr=False)
