"""Typed records that flow between stages. Frozen: a stage returns new records, it never edits old ones."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TRANSCRIPT_KINDS = ("sales_call", "podcast", "interview")
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
