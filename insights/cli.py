"""The ``insights`` command: a thin Typer layer over importable functions. Exit 1 when anything failed."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from insights.errors import InsightsError
from insights.parse import DEFAULT_MAX_BYTES
from insights.records import clock
from insights.store import Store, default_db_path

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Mine sales calls and podcasts for objections, pain points and analogies, by buyer persona.")
# Piped output (a file, CI, a pager) gets wide lines instead of rich's 80-column default.
out = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 240)
err = Console(stderr=True, highlight=False)

DbOption = typer.Option(None, "--db", help="Corpus file (SQLite). Default: $INSIGHTS_DB, else ./insights.sqlite.")


def _store(db: Optional[Path]) -> Store:
    return Store(db or default_db_path())


def _fail(e: InsightsError) -> None:
    err.print(f"[red]error[/red] {escape(str(e))}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _fmt_duration(seconds: float | None) -> str:
    return clock(seconds) or "-"


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
        out.print("Failed:")
        for r in bad:
            # one unwrapped line per file: easy to read, to grep and to paste into a ticket
            out.print(f"  {r.error}", markup=False, soft_wrap=True)
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


def _transcripts_for(refs: List[str], store_path: Optional[Path]) -> tuple[list, list]:
    """Files and folders are parsed directly; anything else is looked up in the corpus; nothing means the corpus."""
    from insights.ingest import IngestResult
    from insights.parse import iter_transcript_files, load_transcript

    transcripts, failures = [], []
    files = [r for r in refs if Path(r).exists()]
    others = [r for r in refs if not Path(r).exists()]
    for path in iter_transcript_files(files):
        try:
            transcripts.append(load_transcript(path, source=path.as_posix()))
        except InsightsError as e:
            failures.append(IngestResult(path.as_posix(), "failed", error=e.with_file(path.as_posix())))
    if others or not refs:
        with _store(store_path) as store:
            if not refs:
                transcripts += store.transcripts()
            for ref in others:
                try:
                    transcripts.append(store.get(ref))
                except InsightsError as e:
                    e.hint += " (or give a path to a transcript file)"
                    failures.append(IngestResult(ref, "failed", error=e))
    return transcripts, failures


def _parse_kinds(kinds: Optional[str]) -> list[str]:
    from insights.records import INSIGHT_KINDS

    if not kinds:
        return list(INSIGHT_KINDS)
    chosen = [k.strip() for k in kinds.split(",") if k.strip()]
    bad = [k for k in chosen if k not in INSIGHT_KINDS]
    if bad:
        _fail(InsightsError.make("E501", f"--kinds {','.join(bad)}: valid kinds are {', '.join(INSIGHT_KINDS)}"))
    return chosen


def insight_json(i) -> dict:
    """The JSON Lines contract of `insights extract` (later tooling depends on these names)."""
    return {"kind": i.kind, "quote": i.quote, "speaker": i.speaker_name or i.speaker, "speaker_label": i.speaker,
            "role": i.role, "transcript": i.transcript_id, "source": i.source, "utterance": i.utterance,
            "span": list(i.span), "start": i.start, "confidence": i.confidence, "reason": i.reason,
            "response": i.response, "response_speaker": i.response_speaker}


@app.command()
def extract(refs: List[str] = typer.Argument(None, help="Transcript files/folders, or corpus ids. None: the corpus."),
            fmt: str = typer.Option("table", "--format", help="table or jsonl"),
            kinds: Optional[str] = typer.Option(None, help="Comma-separated: pain_point,objection,analogy."),
            min_confidence: float = typer.Option(0.0, help="Only insights at least this confident (0–1)."),
            db: Optional[Path] = DbOption) -> None:
    """Find objections, pain points and analogies, each with its verbatim quote, speaker, source and time."""
    from insights.extract import Models, extract as run_extract

    if fmt not in ("table", "jsonl"):
        _fail(InsightsError.make("E501", f"--format {fmt!r} is not one of table, jsonl"))
    chosen = _parse_kinds(kinds)
    try:
        transcripts, failures = _transcripts_for(refs or [], db)
        with err.status("loading models…"):
            models = Models.load()
        with err.status(f"extracting from {len(transcripts)} transcripts…"):
            found = run_extract(transcripts, models, kinds=chosen, min_confidence=min_confidence)
    except InsightsError as e:
        _fail(e)
    if fmt == "jsonl":
        for i in found:
            sys.stdout.write(json.dumps(insight_json(i), ensure_ascii=False) + "\n")
    else:
        table = Table(title=f"{len(found)} insights in {len(transcripts)} transcripts", title_justify="left")
        for col in ("kind", "quote", "speaker", "at", "conf.", "source"):
            table.add_column(col, overflow="fold")
        for i in found:
            table.add_row(i.kind, i.quote, (i.speaker_name or "?") + (f" ({i.role})" if i.role else ""),
                          _fmt_duration(i.start), f"{i.confidence:.2f}", Path(i.source).name)
        out.print(table)
    for f in failures:
        err.print(f"error {f.error}", markup=False)
    if failures:
        raise typer.Exit(1)


@app.command("eval")
def eval_(gold: List[Path] = typer.Argument(..., help="Gold label files (*.gold.jsonl) or folders holding them."),
          baseline: bool = typer.Option(True, help="Also score a plain keyword tracker on the same labels."),
          details: bool = typer.Option(False, help="List every miss and false alarm."),
          fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """Precision, recall and F1 per kind against hand-labelled transcripts (and a keyword tracker's, side by side)."""
    from insights.evaluate import EvalReport, evaluate
    from insights.extract import Models

    try:
        with err.status("loading models…"):
            models = Models.load()
        with err.status("extracting and scoring…"):
            report = evaluate(gold, models, baseline=baseline)
    except InsightsError as e:
        _fail(e)
    systems = {"insights": report.model} | ({"keyword tracker": report.baseline} if report.baseline else {})
    if fmt == "json":
        payload = {name: {k: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                              "f1": round(s.f1, 4), "tp": s.tp, "fp": s.fp, "fn": s.fn}
                          for k, s in sc.items()} | {"macro_f1": round(EvalReport.macro_f1(sc), 4)}
                   for name, sc in systems.items()}
        payload["transcripts"], payload["gold_items"] = report.transcripts, report.gold_items
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    table = Table(title=f"{report.transcripts} labelled transcripts, {report.gold_items} gold items "
                        "(borderline excluded)", title_justify="left")
    for col in ("system", "kind", "precision", "recall", "F1", "TP", "FP", "FN"):
        table.add_column(col)
    for name, sc in systems.items():
        for k, s in sc.items():
            table.add_row(name, k, f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.f1:.2f}", str(s.tp), str(s.fp),
                          str(s.fn))
        table.add_row(name, "macro", "", "", f"{EvalReport.macro_f1(sc):.2f}", "", "", "", end_section=True)
    out.print(table)
    if details:
        for k, s in report.model.items():
            for q in s.misses:
                out.print(f"MISS  {k}: {q}", markup=False, soft_wrap=True)
            for q in s.false_alarms:
                out.print(f"FALSE {k}: {q}", markup=False, soft_wrap=True)


def _analysis(db: Optional[Path], pipeline: Optional[Path]):
    """Load the pipeline settings, the models and the corpus analysis (roles, personas, insights)."""
    from insights.config import load_pipeline
    from insights.extract import Models
    from insights.nlp import Embedder
    from insights.run import analyse

    config = load_pipeline(pipeline)
    store = _store(db or (None if not config.db or config.db == "insights.sqlite" else Path(config.db)))
    with err.status("loading models…"):
        models = Models.load(Embedder(cache=store.embedding_cache()))
    from insights.run import lock_timeout

    with err.status("analysing the corpus…") as status, store.exclusive("insights analysis", lock_timeout()):
        analysis = analyse(store, models, config,
                           progress=lambda what, n, total: status.update(f"{what} {n}/{total}"))
    return config, store, models, analysis


PipelineOption = typer.Option(None, "--pipeline", help="Pipeline file (default pipelines/weekly.toml).")


@app.command()
def personas(db: Optional[Path] = DbOption, pipeline: Optional[Path] = PipelineOption,
             fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """The persona catalogue with how many buyers and insights each has, and every speaker left unassigned."""
    from collections import Counter

    from insights.records import UNASSIGNED

    try:
        _config, store, _models, a = _analysis(db, pipeline)
        store.close()
    except InsightsError as e:
        _fail(e)
    buyers = [s for s in a.speakers if s.role in ("buyer", "guest")]
    speakers_per = Counter(s.persona or UNASSIGNED for s in buyers)
    insights_per = Counter(a.insight_persona.values())
    rows = [{"persona": p.key, "name": p.name, "description": p.description, "speakers": speakers_per[p.key],
             "insights": insights_per[p.key]} for p in a.catalogue]
    rows.append({"persona": UNASSIGNED, "name": "Unassigned", "description": "buyers whose persona is not known",
                 "speakers": speakers_per[UNASSIGNED], "insights": insights_per[UNASSIGNED]})
    unassigned = [{"transcript": s.transcript_id, "speaker": s.name, "evidence": s.persona_evidence}
                  for s in buyers if (s.persona or UNASSIGNED) == UNASSIGNED]
    if fmt == "json":
        sys.stdout.write(json.dumps({"personas": rows, "unassigned_speakers": unassigned,
                                     "speakers": [s.__dict__ for s in a.speakers]}, indent=2) + "\n")
        return
    table = Table(title="Personas", title_justify="left")
    for col in ("persona", "name", "buyers", "insights"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["persona"], r["name"], str(r["speakers"]), str(r["insights"]))
    out.print(table)
    table = Table(title="Buyers and guests", title_justify="left")
    for col in ("call", "speaker", "role", "persona", "how", "evidence"):
        table.add_column(col, overflow="fold")
    titles = {t.id: f"{t.date} {t.title}" for t in a.transcripts}
    for s in buyers:
        table.add_row(titles[s.transcript_id], s.name, s.role, s.persona or UNASSIGNED, s.persona_method,
                      s.persona_evidence[:160])
    out.print(table)


@app.command()
def themes(persona: Optional[str] = typer.Option(None, "--persona", help="Only this persona (key, e.g. cfo_finance)."),
           kind: Optional[str] = typer.Option(None, "--kind", help="Only this kind: pain_point, objection, analogy."),
           week: Optional[str] = typer.Option(None, "--week", help="ISO week the trends are for (default: latest)."),
           fmt: str = typer.Option("table", "--format", help="table or json"),
           db: Optional[Path] = DbOption, pipeline: Optional[Path] = PipelineOption) -> None:
    """Recurring themes per persona and kind, with size, reach, trend, keywords and representative quotes."""
    from insights.report import latest_week
    from insights.run import build_week_themes, lock_timeout

    if kind:
        _parse_kinds(kind)
    try:
        _config, store, models, a = _analysis(db, pipeline)
        with store, store.exclusive("insights themes", lock_timeout()):
            found, _cross = build_week_themes(a, models, store, week or latest_week(a.transcripts))
    except InsightsError as e:
        _fail(e)
    found = [t for t in found if (not persona or t.persona == persona) and (not kind or t.kind == kind)]
    quotes = {i.id: i for i in a.insights}
    rows = [{"id": t.id, "name": t.name, "persona": t.persona, "kind": t.kind, "size": t.size,
             "transcripts": t.transcripts, "speakers": t.speakers, "first_seen": t.first_seen,
             "last_seen": t.last_seen, "trend": t.trend, "weekly": [list(w) for w in t.weekly],
             "keywords": list(t.keywords),
             "quotes": [{"quote": quotes[q].quote, "speaker": quotes[q].speaker_name, "source": quotes[q].source,
                         "start": quotes[q].start} for q in t.quotes if q in quotes]} for t in found]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{len(rows)} themes", title_justify="left")
    for col in ("persona", "kind", "theme", "size", "calls", "trend", "example"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["persona"], r["kind"], r["name"], str(r["size"]), str(r["transcripts"]), r["trend"],
                      (r["quotes"][0]["quote"][:120] if r["quotes"] else ""))
    out.print(table)


@app.command()
def submit(file: Path = typer.Argument(..., help="The call's transcript, in any supported format."),
           rep: str = typer.Option(..., "--rep", help="Who submits it."),
           why: str = typer.Option("", "--why", help="What makes this call stand out."),
           account: Optional[str] = typer.Option(None, "--account", help="The customer account."),
           outcome: Optional[str] = typer.Option(None, "--outcome", help="won, lost or open."),
           buyer_title: Optional[str] = typer.Option(None, "--buyer-title", help="The buyer's job title."),
           db: Optional[Path] = DbOption, pipeline: Optional[Path] = PipelineOption) -> None:
    """Submit a standout call: it is stored, flagged for the weekly report, and what it holds is shown at once."""
    from insights.config import load_pipeline
    from insights.extract import Models
    from insights.nlp import Embedder
    from insights.run import lock_timeout
    from insights.submit import submit_file

    try:
        config = load_pipeline(pipeline)
        with _store(db) as store:
            with err.status("loading models…"):
                models = Models.load(Embedder(cache=store.embedding_cache()))
            with err.status("waiting for the corpus…"), store.exclusive("insights submit",
                                                                       timeout=lock_timeout(120.0)):
                fb = submit_file(file, store, models, config, rep=rep, why=why, account=account, outcome=outcome,
                                 buyer_title=buyer_title)
    except InsightsError as e:
        _fail(e)
    print_feedback(fb, rep)


def print_feedback(fb, rep: str) -> None:
    from insights.run import iso_week

    t = fb.transcript
    note = " (its content was already in the corpus; it is now flagged as a standout)" if fb.status == "existing" else ""
    out.print(f"Thanks, {rep}: “{t.title}” ({t.date}, id {t.id[:10]}) is in, and will show in the "
              f"{iso_week(t.date)} report{note}.", markup=False, soft_wrap=True)
    for p in fb.personas:
        who = t.speaker(p.speaker).display if p.speaker and t.speaker(p.speaker) else "the buyer side"
        out.print(f"Buyer: {who} — {fb.persona_names.get(p.persona, p.persona)} ({p.method}: {p.evidence[:100]})",
                  markup=False, soft_wrap=True)
    labels = {"pain_point": "Pain points", "objection": "Objections", "analogy": "Analogies"}
    for kind, label in labels.items():
        top = fb.top(kind)
        out.print(f"\n{label} ({sum(i.kind == kind for i in fb.insights)} found):", markup=False)
        for i in top:
            when = f"[{_fmt_duration(i.start)}] " if i.start is not None else ""
            out.print(f"  {when}{i.speaker_name or 'unknown speaker'}: “{i.quote}”", markup=False, soft_wrap=True)
            if i.response:
                out.print(f"      ↳ reply: “{i.response[:200]}”", markup=False, soft_wrap=True)
        if not top:
            out.print("  none found", markup=False)


@app.command()
def run(pipeline: Optional[Path] = typer.Argument(None, help="Pipeline file (default pipelines/weekly.toml)."),
        source: Optional[List[Path]] = typer.Option(None, "--source", help="Ingest these instead of the "
                                                    "pipeline's sources (repeatable)."),
        db: Optional[Path] = DbOption,
        out_dir: Optional[Path] = typer.Option(None, "--out", help="Write reports here instead of reports/."),
        week: Optional[str] = typer.Option(None, "--week", help="ISO week to report, e.g. 2026-W47 (default: "
                                           "the latest week in the corpus)."),
        since: Optional[str] = typer.Option(None, "--since", help="First day to report (YYYY-MM-DD); with --until "
                                            "instead of --week."),
        until: Optional[str] = typer.Option(None, "--until", help="Last day to report (YYYY-MM-DD)."),
        workers: Optional[int] = typer.Option(None, "--workers", min=0, help="Processes that analyse calls "
                                              "(0 = one per core; 1 = this process). Default: the pipeline's."),
        as_json: bool = typer.Option(False, "--json", help="Print the run's summary as JSON (counts, failures, "
                                     "seconds per stage) instead of text.")) -> None:
    """The weekly job: ingest the sources and the inbox, extract, find roles, personas and themes, and write the
    report and persona briefs to reports/<week>/."""
    from insights.config import load_pipeline
    from insights.run import run_pipeline

    try:
        config = load_pipeline(pipeline)
        if source:
            config.sources = [str(s) for s in source]
        if out_dir:
            config.out = str(out_dir)
        if week:
            config.week = week
        if workers is not None:
            config.workers = workers
        with _store(db or (Path(config.db) if config.db != "insights.sqlite" else None)) as store:
            with err.status("starting…") as status:
                summary = run_pipeline(store, config, since=since, until=until,
                                       progress=lambda what, n, total: status.update(f"{what} {n}/{total}"))
    except InsightsError as e:
        _fail(e)
    if as_json:
        from dataclasses import asdict

        typer.echo(json.dumps(asdict(summary), indent=2))
        return
    ins = summary.insights
    out.print(f"Week {summary.week}: {summary.transcripts} transcripts in the corpus "
              f"({summary.ingested.get('added', 0)} new, {summary.ingested.get('failed', 0)} failed"
              + (f"; inbox: {summary.inbox['submitted']} submitted, {summary.inbox['failed']} failed"
                 if sum(summary.inbox.values()) else "") + ")", markup=False)
    out.print(f"Insights: {ins.get('pain_point', 0)} pain points, {ins.get('objection', 0)} objections, "
              f"{ins.get('analogy', 0)} analogies; {summary.themes} themes.", markup=False)
    for f in summary.failures:
        out.print(f"  failed: {f['source']}: {f['code']} {f['message']}", markup=False, soft_wrap=True)
    out.print(f"Report: {summary.report_dir}/index.html", markup=False)


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
          port: int = typer.Option(8321, "--port", help="Port to listen on."),
          db: Optional[Path] = DbOption, pipeline: Optional[Path] = PipelineOption,
          token: Optional[str] = typer.Option(None, "--token", envvar="INSIGHTS_TOKEN", show_envvar=True,
                                              help="Require this token with every submission."),
          max_upload_mb: float = typer.Option(5.0, "--max-upload-mb", help="Refuse larger uploads (413)."),
          reports: Optional[Path] = typer.Option(None, "--reports", help="Folder of the weekly reports to browse "
                                                 "(default: the pipeline's report.out, i.e. reports/).")) -> None:
    """A local web app: reps upload standout calls through a form and see the feedback at once; the weekly reports
    and persona briefs can be browsed. Stop it with Ctrl+C."""
    import uvicorn

    from insights.config import load_pipeline
    from insights.web import LOCAL_HOSTS, create_app

    if max_upload_mb <= 0:
        _fail(InsightsError.make("E501", "--max-upload-mb must be more than 0"))
    wildcard = host in ("0.0.0.0", "::", "")
    if wildcard and not token:
        err.print("warning: listening on all interfaces without --token: anyone on the network can submit calls",
                  markup=False, soft_wrap=True)
    try:
        config = load_pipeline(pipeline)
        db_path = db or (Path(config.db) if config.db != "insights.sqlite" else Path(default_db_path()))
        web = create_app(db_path, pipeline, token=token, max_upload_bytes=int(max_upload_mb * 1024 * 1024),
                         reports_dir=reports or Path(config.out),
                         allowed_hosts=["*"] if wildcard else sorted({*LOCAL_HOSTS, host}))
    except InsightsError as e:
        _fail(e)
    err.print(f"loading models, then serving http://{host}:{port}/ (corpus {db_path}) — Ctrl+C stops",
              markup=False, soft_wrap=True)
    uvicorn.run(web, host=host, port=port, log_level="info", server_header=False)


def main() -> None:  # pragma: no cover - entry point
    app()
