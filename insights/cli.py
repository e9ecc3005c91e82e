"""The ``insights`` command: a thin Typer layer over importable functions. Exit 1 when anything failed."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from insights.errors import InsightsError
from insights.parse import DEFAULT_MAX_BYTES
from insights.store import Store, default_db_path

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Mine sales calls and podcasts for objections, pain points and analogies, by buyer persona.")
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

DbOption = typer.Option(None, "--db", help="Corpus file (SQLite). Default: $INSIGHTS_DB, else ./insights.sqlite.")


def _store(db: Optional[Path]) -> Store:
    return Store(db or default_db_path())


def _fail(e: InsightsError) -> None:
    err.print(f"[red]error[/red] {e}", markup=True, highlight=False)
    raise typer.Exit(2)


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@app.command()
def ingest(paths: List[Path] = typer.Argument(..., help="Transcript files or folders (searched recursively)."),
           db: Optional[Path] = DbOption,
           max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, help="Refuse files larger than this many bytes."),
           ) -> None:
    """Parse transcripts in any supported format and add them to the corpus (re-running adds nothing)."""
    from insights.ingest import ingest_paths

    try:
        with _store(db) as store:
            with err.status("ingesting…") as status:
                results = ingest_paths(paths, store, max_bytes=max_bytes,
                                       progress=lambda name: status.update(f"ingesting {name}"))
    except InsightsError as e:
        _fail(e)
    ok = [r for r in results if not r.failed]
    bad = [r for r in results if r.failed]
    if ok:
        table = Table(title="Ingested", title_justify="left")
        for col in ("file", "status", "format", "kind", "date", "speakers", "utterances", "duration", "id"):
            table.add_column(col, overflow="fold")
        for r in ok:
            t = r.transcript
            names = ", ".join(s.display for s in t.speakers) or "(no speaker labels)"
            table.add_row(r.path, r.status, t.format, t.kind, t.date, names, str(len(t.utterances)),
                          _fmt_duration(t.duration), t.id[:10])
        out.print(table)
    if bad:
        table = Table(title="Failed", title_justify="left")
        table.add_column("file", overflow="fold")
        table.add_column("error", overflow="fold")
        for r in bad:
            table.add_row(r.path, f"{r.error.code} {r.error.message}. Fix: {r.error.hint}."
                          + (f" (line {r.error.line})" if r.error.line else ""))
        out.print(table)
        for r in bad:
            if r.trace:
                err.print(r.trace, markup=False)
    counts = {s: sum(r.status == s for r in results) for s in ("added", "new_version", "unchanged", "failed")}
    out.print(f"{counts['added']} added, {counts['new_version']} new versions, {counts['unchanged']} unchanged, "
              f"{counts['failed']} failed — corpus: {db or default_db_path()}")
    if bad:
        raise typer.Exit(1)


@app.command("list")
def list_(fmt: str = typer.Option("table", "--format", help="table or json"), db: Optional[Path] = DbOption) -> None:
    """List the transcripts in the corpus (current versions)."""
    if fmt not in ("table", "json"):
        _fail(InsightsError.make("E501", f"--format {fmt!r} is not one of table, json"))
    try:
        with _store(db) as store:
            rows = [
                {"id": t.id, "source": t.source, "kind": t.kind, "date": t.date, "title": t.title,
                 "format": t.format, "speakers": [s.display for s in t.speakers],
                 "utterances": len(t.utterances), "words": t.words, "duration": t.duration}
                for t in store.transcripts()
            ]
    except InsightsError as e:
        _fail(e)
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{len(rows)} transcripts", title_justify="left")
    for col in ("id", "date", "kind", "title", "speakers", "utterances", "words", "format"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["id"][:10], r["date"], r["kind"], r["title"], ", ".join(r["speakers"]) or "-",
                      str(r["utterances"]), str(r["words"]), r["format"])
    out.print(table)


@app.command()
def show(transcript: str = typer.Argument(..., help="Transcript id (or a unique prefix) or its source path."),
         db: Optional[Path] = DbOption) -> None:
    """Print a transcript as the tool sees it: normalised speakers, times and text."""
    try:
        with _store(db) as store:
            t = store.get(transcript)
    except InsightsError as e:
        _fail(e)
    out.print(f"# {t.title}", markup=False)
    out.print(f"id {t.id} · {t.kind} · {t.date} · {t.format} · {t.source}", markup=False)
    for s in t.speakers:
        extra = ", ".join(x for x in (s.role, s.title, s.company) if x)
        out.print(f"  speaker {s.label}" + (f" = {s.name}" if s.name and s.name != s.label else "")
                  + (f" ({extra})" if extra else ""), markup=False)
    out.print("")
    for u in t.utterances:
        when = f"[{_fmt_duration(u.start)}] " if u.start is not None else ""
        who = t.speaker(u.speaker).display if u.speaker else "?"
        out.print(f"{when}{who}: {u.text}", markup=False, soft_wrap=True)


@app.command()
def formats() -> None:
    """List the transcript formats the tool recognises (by content, not by file extension)."""
    from insights.parse import FORMATS

    table = Table(title="Supported formats", title_justify="left")
    table.add_column("format")
    table.add_column("looks like", overflow="fold")
    for name, example in FORMATS:
        table.add_row(name, example)
    out.print(table)


def main() -> None:  # pragma: no cover - entry point
    app()
