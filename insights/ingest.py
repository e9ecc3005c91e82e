"""Ingest files into the corpus: parse each, store it, record failures. One bad file never stops the batch."""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from insights.errors import InsightsError
from insights.parse import DEFAULT_MAX_BYTES, iter_transcript_files, load_transcript
from insights.records import Transcript
from insights.store import Store


@dataclass(frozen=True)
class IngestResult:
    path: str
    status: str                      # added | unchanged | new_version | failed
    transcript: Transcript | None = None
    error: InsightsError | None = None
    trace: str | None = None         # the traceback of an internal error (a bug), for the bug report

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def ingest_paths(paths: Iterable[str | Path], store: Store, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 progress: Callable[[str], None] | None = None, parse_unchanged: bool = True) -> list[IngestResult]:
    """Parse and store every transcript file under ``paths``; return one result per file, in order.

    ``parse_unchanged=False`` (the weekly run) recognises a file already stored by the hash of its bytes and its
    sidecar and skips parsing it: its result is ``unchanged`` without a transcript. A weekly folder re-read every
    week is mostly such files."""
    results: list[IngestResult] = []
    paths = list(paths)
    missing = [p for p in paths if not Path(p).exists()]
    for p in missing:
        err = InsightsError.make("E101", "no such file or folder", file=str(p))
        results.append(IngestResult(str(p), "failed", error=err))
    for path in iter_transcript_files([p for p in paths if p not in missing]):
        name = path.as_posix()
        if progress:
            progress(name)
        try:
            if not parse_unchanged and _stored(path, store, max_bytes):
                results.append(IngestResult(name, "unchanged"))
                continue
            transcript = load_transcript(path, max_bytes=max_bytes, source=name)
            status = store.add_transcript(transcript, source_key=str(path.resolve()))
            results.append(IngestResult(name, status, transcript=transcript))
        except InsightsError as err:
            err.with_file(name)
            store.record_failure(name, err)
            results.append(IngestResult(name, "failed", error=err))
        except Exception as exc:  # a bug: keep the batch going, keep the evidence
            err = InsightsError.make("E900", f"{type(exc).__name__}: {exc}", file=name)
            store.record_failure(name, err)
            results.append(IngestResult(name, "failed", error=err, trace=traceback.format_exc()))
    return results


def _stored(path: Path, store: Store, max_bytes: int) -> bool:
    """Whether this exact file (bytes and sidecar) is already in the store."""
    from insights.parse import stored_id

    try:
        if path.stat().st_size > max_bytes:
            return False                      # let the parse report it
        return store.has_transcript(stored_id(path))
    except OSError:
        return False
