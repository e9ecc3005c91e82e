"""Turn a transcript file into a ``Transcript``: detect the format by content, parse, clean, attach metadata.

Each format module exposes ``sniff(text) -> bool`` and ``parse(text) -> Parsed`` (``docx`` takes bytes).
Detection runs the sniffers in a fixed order, most specific first, so a file's extension is only a tie-breaker.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

from insights.errors import InsightsError
from insights.records import TRANSCRIPT_KINDS, Speaker, Transcript, Utterance
from insights.parse.decode import decode

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Extensions worth trying when walking a folder. Sidecars and gold labels are skipped.
TRANSCRIPT_EXTENSIONS = {".txt", ".vtt", ".srt", ".sbv", ".json", ".docx", ".html", ".htm", ".md", ".markdown"}
SIDECAR_SUFFIXES = (".meta.toml", ".meta.json")
SKIP_SUFFIXES = SIDECAR_SUFFIXES + (".gold.jsonl",)


# What `insights formats` lists: the format name a parse reports, and what the file looks like.
FORMATS: list[tuple[str, str]] = [
    ("speaker-turns", "Name: text · NAME: text · Name: [00:01:02] text · [00:01:02] Name: text · Name (00:01:02): text"),
    ("speaker-block", "a speaker's name on its own line, then their paragraphs"),
    ("otter", "Otter.ai text/docx export: `Name  0:42` then the text"),
    ("zoom-txt", "Zoom saved transcript: `[Name] 11:02:09` then the text"),
    ("descript", "Descript/Sonix Markdown: `[00:01:02] **Name:** text`"),
    ("qa-interview", "an interview written as questions and answers, without speaker labels"),
    ("timestamp-lines", "ASR text with no speakers: a `M:SS` or `HH:MM:SS` line, then the text"),
    ("paragraphs", "plain paragraphs, no speakers or times"),
    ("webvtt", "WebVTT captions: Zoom `Name: text`, Teams `<v Name>`, YouTube captions"),
    ("srt", "SubRip captions, optional `Name:` prefixes"),
    ("sbv", "YouTube SBV captions"),
    ("whisper-json", "OpenAI Whisper JSON (`segments`)"),
    ("whisperx-json", "diarized Whisper/WhisperX JSON (`speaker: SPEAKER_00`)"),
    ("assemblyai-json", "AssemblyAI JSON (`utterances`, milliseconds)"),
    ("deepgram-json", "Deepgram JSON (`results.utterances`, seconds)"),
    ("revai-json", "Rev.ai JSON (`monologues` / `elements`)"),
    ("podcasting20-json", "Podcasting 2.0 JSON (`segments` with speaker, startTime, endTime, body)"),
    ("gong-json", "Gong API JSON (`callTranscripts`, optional `parties` for names)"),
    ("docx:<inner>", "Word export (Otter, Rev) holding any of the text formats above"),
    ("html:<inner>", "a web page with the transcript inside (navigation and promos removed)"),
    ("markdown:<inner>", "a Markdown page with the transcript inside"),
]


@dataclass
class Parsed:
    """What a format parser returns: utterances in order, speakers it knows, metadata found inside the file."""

    format: str
    utterances: list[Utterance]
    speakers: list[Speaker] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def _text_parsers() -> list[tuple[str, Callable[[str], bool], Callable[[str], Parsed]]]:
    # Imported here so a broken optional module names itself in the traceback of the one format that needs it.
    from insights.parse import captions, jsonfmt, markup, text

    return [
        ("json", jsonfmt.sniff, jsonfmt.parse),
        ("captions", captions.sniff, captions.parse),
        ("markup", markup.sniff, markup.parse),
        ("text", text.sniff, text.parse),
    ]


def parse_text(content: str, name: str = "<text>") -> Parsed:
    """Detect the format of decoded text and parse it. Raises InsightsError naming ``name``."""
    from insights.parse.metadata import split_front_matter

    if not content.strip():
        raise InsightsError.make("E102", file=name)
    front, content = split_front_matter(content, name)
    for _label, sniff, parse in _text_parsers():
        if sniff(content):
            try:
                parsed = parse(content)
            except InsightsError as err:
                raise err.with_file(name)
            parsed.meta = {**parsed.meta, **front}
            return parsed
    raise InsightsError.make("E106", "no speaker turns, timestamps, captions or known JSON shape", file=name)


def parse_bytes(data: bytes, name: str = "<bytes>") -> Parsed:
    """Decode and parse raw file content (docx included)."""
    from insights.parse import docx

    if not data.strip():
        raise InsightsError.make("E102", file=name)
    if docx.sniff_bytes(data):
        try:
            return docx.parse_bytes(data)
        except InsightsError as err:
            raise err.with_file(name)
    try:
        content, encoding = decode(data)
    except InsightsError as err:
        raise err.with_file(name)
    parsed = parse_text(content, name)
    parsed.meta.setdefault("encoding", encoding)
    return parsed


def content_id(data: bytes) -> str:
    """The transcript id: a hash of the file's bytes, so identical content is one transcript wherever it lies."""
    return hashlib.sha256(data).hexdigest()[:16]


def load_transcript(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                    source: str | None = None) -> Transcript:
    """Read, parse and assemble one transcript file with its sidecar metadata."""
    from insights.parse.metadata import read_sidecar

    path = Path(path)
    name = source or str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InsightsError.make("E105", f"{size:,} bytes > {max_bytes:,}", file=name)
        data = path.read_bytes()
    except OSError as exc:
        raise InsightsError.make("E101", exc.strerror or str(exc), file=name)
    parsed = parse_bytes(data, name)
    sidecar, sidecar_bytes = read_sidecar(path)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).date()
    return assemble(parsed, data + sidecar_bytes, name, sidecar, fallback_date=mtime)


def stored_id(path: Path) -> str:
    """The id ``load_transcript`` gives this file, without parsing it: the hash of its bytes and its sidecar's."""
    from insights.parse.metadata import sidecar_paths

    sidecar = next((p.read_bytes() for p in sidecar_paths(path) if p.exists()), b"")
    return content_id(path.read_bytes() + sidecar)


def assemble(parsed: Parsed, data: bytes, source: str, sidecar: dict[str, Any] | None = None,
             fallback_date: date | None = None) -> Transcript:
    """Combine a parse with metadata (sidecar wins over what the file says) into a Transcript."""
    from insights.parse.clean import clean_utterance_text
    from insights.parse.metadata import apply_participants, guess_kind, normalise_date

    meta: dict[str, Any] = {**parsed.meta, **(sidecar or {})}
    utterances: list[Utterance] = []
    for u in parsed.utterances:
        text = clean_utterance_text(u.text)
        if not text:
            continue
        utterances.append(replace(u, index=len(utterances), text=text))
    if not utterances:
        raise InsightsError.make("E206", "every line was empty or an artefact", file=source)

    speakers = _speakers_for(parsed.speakers, utterances)
    speakers = apply_participants(speakers, meta.get("participants"), source)

    when = normalise_date(meta.get("date"), source)
    if when is None:
        when = (fallback_date or date.today()).isoformat()
        meta["date_source"] = "file modification time (no date in the file or its metadata)"
    else:
        meta.setdefault("date_source", "metadata")
    kind = meta.get("kind") or guess_kind(parsed.format, utterances, meta)
    if kind not in TRANSCRIPT_KINDS:
        raise InsightsError.make("E301", f"kind {kind!r} is not one of {', '.join(TRANSCRIPT_KINDS)}",
                                 file=source)
    label = re.sub(r"^[a-z]+:(?!/)", "", source)      # "upload:call.vtt" names the file call.vtt
    title = str(meta.get("title") or Path(label).stem.replace("_", " ").replace("-", " "))
    meta = {k: v for k, v in meta.items() if k not in {"title", "date", "kind", "participants"}}
    if sidecar and sidecar.get("participants"):
        meta["participants"] = sidecar["participants"]
    return Transcript(id=content_id(data), source=source, kind=kind, title=title, date=when,
                      speakers=tuple(speakers), utterances=tuple(utterances), format=parsed.format,
                      metadata=meta)


def _speakers_for(known: list[Speaker], utterances: list[Utterance]) -> list[Speaker]:
    """Known speakers first, then any label the utterances use that the parser did not describe, in order."""
    by_label = {s.label: s for s in known}
    ordered: list[Speaker] = []
    for u in utterances:
        if u.speaker is not None and u.speaker not in {s.label for s in ordered}:
            ordered.append(by_label.get(u.speaker, Speaker(label=u.speaker)))
    return ordered


def iter_transcript_files(paths: list[str | Path]) -> list[Path]:
    """Files to ingest under the given paths (folders recursively), sorted, sidecars and labels skipped."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    fp = Path(root) / f
                    if _wanted(fp):
                        found.append(fp)
        else:
            found.append(p)   # named explicitly: always tried, so a wrong file gets a clear error
    return found


# Project files that sit beside transcripts in shared folders; skipped when walking a folder, tried when named.
NOT_TRANSCRIPTS = {"readme", "license", "licence", "source", "sources", "changelog", "notice", "copying",
                   "contributing", "authors"}


def _wanted(path: Path) -> bool:
    name = path.name.lower()
    if name.startswith(".") or name.endswith(SKIP_SUFFIXES) or name.split(".")[0] in NOT_TRANSCRIPTS:
        return False
    return path.suffix.lower() in TRANSCRIPT_EXTENSIONS
