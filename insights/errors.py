"""The one exception type the tool raises on purpose, with coded, actionable messages.

Every message says what happened, where (file and line when known), what was expected and how to fix it.
Anything else that escapes is a bug and keeps its traceback.
"""
from __future__ import annotations

from dataclasses import dataclass

# code -> (what went wrong, how to fix it). Messages are templates filled by ``InsightsError.make``.
CODES: dict[str, tuple[str, str]] = {
    # E1xx: reading and recognising files
    "E101": ("cannot read the file: {detail}",
             "check that the path exists and is readable"),
    "E102": ("the file is empty or holds only whitespace",
             "export the transcript again; an empty file has nothing to ingest"),
    "E103": ("the file is binary, not text ({detail})",
             "give a transcript export (txt, vtt, srt, sbv, json, docx, html, md), not audio, images or archives"),
    "E104": ("the text encoding could not be recognised ({detail})",
             "save the file as UTF-8 and try again"),
    "E105": ("the file is larger than the size cap ({detail})",
             "split the file, or raise the cap with --max-bytes / max_file_bytes in the pipeline"),
    "E106": ("the format of the file was not recognised: {detail}",
             "use one of the supported formats listed by `insights formats`, or add speaker turns like `Name: text`"),
    # E2xx: a recognised format with a broken shape
    "E201": ("invalid JSON: {detail}",
             "the export looks truncated or hand-edited; export it again from the tool that made it"),
    "E202": ("the JSON is not a transcript this tool knows: {detail}",
             "supported JSON: Whisper, WhisperX, AssemblyAI, Deepgram, Rev.ai, Podcasting 2.0, Gong"),
    "E203": ("invalid caption timing: {detail}",
             "each cue needs a line `start --> end` with times like 00:01:02.500 (or 0:01:02,500 in SRT)"),
    "E204": ("the caption file has no cues with text",
             "the export holds no speech; check that the recording was transcribed"),
    "E205": ("invalid document: {detail}",
             "open the document in its editor and export it again"),
    "E206": ("no transcript text found: {detail}",
             "the file must hold the conversation itself, e.g. turns like `Name: text` or timestamped lines"),
    # E3xx: metadata
    "E301": ("invalid metadata: {detail}",
             "fix the sidecar (.meta.toml / .meta.json) or front matter; see README 'Metadata' for the fields"),
    # E4xx: store and corpus
    "E401": ("the corpus store cannot be opened: {detail}",
             "check --db / INSIGHTS_DB points to a writable SQLite file"),
    "E402": ("no transcript matches {detail}",
             "run `insights list` to see the ids; a unique prefix of an id is enough"),
    "E403": ("the store is busy: {detail}",
             "another run holds the corpus; wait for it to finish and try again"),
    "E404": ("duplicate submission: {detail}",
             "nothing was stored twice; the earlier submission stands and will appear in the weekly report"),
    # E5xx: configuration and command-line use
    "E501": ("invalid setting: {detail}",
             "see the comments in pipelines/weekly.toml for valid values"),
    "E502": ("nothing to do: {detail}",
             "give at least one transcript file or folder"),
    # E9xx: our fault
    "E900": ("unexpected internal error ({detail})",
             "this is a bug in insights; the batch went on without this file. Please report it with the file"),
}


@dataclass
class InsightsError(Exception):
    """A failure the user can act on: a code, what happened, where, and how to fix it."""

    code: str
    message: str
    hint: str = ""
    file: str | None = None
    line: int | None = None

    @classmethod
    def make(cls, code: str, detail: str = "", *, file: str | None = None, line: int | None = None,
             hint: str | None = None) -> "InsightsError":
        what, fix = CODES[code]
        return cls(code=code, message=what.format(detail=detail), hint=hint or fix, file=file, line=line)

    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        place = self.where()
        head = f"{self.code} {place}: {self.message}" if place else f"{self.code} {self.message}"
        return f"{head}. Fix: {self.hint}." if self.hint else head

    def with_file(self, file: str) -> "InsightsError":
        """The same error, naming the file (parsers raise without knowing the path)."""
        if self.file is None:
            self.file = file
        return self
