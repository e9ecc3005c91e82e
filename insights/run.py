"""The main job, stage by stage. The only module that touches both the store and the pure stages: it loads inputs,
calls a stage, saves what the stage returns, and hands the results to the report.

Work already done is not redone: insights are stored per transcript and model, roles and personas per transcript
and settings, embeddings per text. A re-run after a few new calls only reads those calls.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from insights.config import PipelineConfig
from insights.executor import Executor, make_executor
from insights.extract import Models
from insights.per_call import CallJob, CallResult, analyse_call
from insights.personas import BUYER_SIDE, load_catalogue
from insights.records import (UNASSIGNED, Insight, Persona, PersonaAssignment, SpeakerRole, Transcript,
                              iso_week)
from insights.sentences import normalise
from insights.store import Store

EXTRACT_VERSION = "1"       # bump when the selection of insights from scored sentences changes
ANALYSIS_VERSION = "1"      # bump when role or persona inference changes
STRONG_METHODS = ("metadata_title", "self_introduction", "introduced_by_other")
GENERIC_LABEL = ("speaker", "spk", "a", "b", "c", "d", "interviewer", "interviewee", "agent", "prospect", "host",
                 "guest", "unknown")

Progress = Callable[[str, int, int], None]


@dataclass
class SpeakerInfo:
    """Everything the report says about one speaker in one call, with the evidence."""

    transcript_id: str
    label: str | None
    name: str
    role: str
    role_confidence: float
    role_evidence: str
    persona: str | None = None
    persona_confidence: float = 0.0
    persona_method: str = ""
    persona_evidence: str = ""
    title: str | None = None
    company: str | None = None


@dataclass
class Analysis:
    transcripts: list[Transcript]
    insights: list[Insight]
    speakers: list[SpeakerInfo]
    insight_persona: dict[str, str]            # insight id -> persona key (or UNASSIGNED)
    catalogue: list[Persona]
    failures: list[dict] = field(default_factory=list)
    work: "WorkStats | None" = None

    def transcript(self, tid: str) -> Transcript:
        return next(t for t in self.transcripts if t.id == tid)


def _catalogue_hash(path: str) -> str:
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:10]


def analyse(store: Store, models: Models, config: PipelineConfig, progress: Progress | None = None,
            executor: Executor | None = None) -> Analysis:
    """Roles, personas and insights for every current transcript in the corpus, reusing what is stored. Calls
    with nothing stored go to the executor (worker processes for a big batch); results are saved as they come."""
    catalogue = load_catalogue(config.catalogue)
    transcripts = store.transcripts()
    model_key = f"{models.fingerprint}-x{EXTRACT_VERSION}"
    analysis_key = f"a{ANALYSIS_VERSION}|{','.join(config.company_names)}|{_catalogue_hash(config.catalogue)}"
    done = store.extracted_ids(model_key)
    roles: dict[str, list[SpeakerRole]] = {}
    personas: dict[str, list[PersonaAssignment]] = {}
    jobs, keys, frozen = [], {}, tuple(catalogue)
    for t in transcripts:
        sub = store.submission(t.id)
        title = sub["buyer_title"] if sub else None
        keys[t.id] = analysis_key + (f"|title={title}" if title else "")
        cached = store.get_analysis(t.id, keys[t.id])
        if cached and t.id in done:
            roles[t.id] = [SpeakerRole(**r) for r in cached["roles"]]
            personas[t.id] = [PersonaAssignment(**p) for p in cached["personas"]]
        else:
            jobs.append(CallJob(t, frozen, tuple(config.company_names), title,
                                extract=t.id not in done))
    work = WorkStats(calls=len(jobs))
    own = executor is None
    if own:
        executor = make_executor(config.workers, len(jobs), models, cache_db=store.path,
                                 sink=models.embedder.cache)
    if executor.workers > 1 and any(j.extract for j in jobs):
        models.ensure_trained()      # once, here, rather than in every worker
    work.workers = executor.workers
    try:
        for n, result in enumerate(executor.map(analyse_call, jobs), 1):
            if progress:
                progress("analysing calls", n, len(jobs))
            tid = result.transcript.id
            roles[tid], personas[tid] = result.roles, result.personas
            store.save_analysis(tid, keys[tid], {"roles": [asdict(r) for r in result.roles],
                                                 "personas": [asdict(p) for p in result.personas]})
            if result.insights is not None:
                store.save_insights(tid, model_key, result.insights)
                store.save_phrases(result.phrases)
            work.add(result)
    finally:
        if own:
            executor.close()
    if hasattr(models.embedder.cache, "flush"):
        models.embedder.cache.flush()
    personas = recognise_known_people(transcripts, personas)
    insights = [i for i in store.insights(model_key) if i.kind in config.kinds
                and i.confidence >= config.min_confidence]
    speakers = _speakers(transcripts, roles, personas)
    return Analysis(transcripts, insights, speakers, persona_of_insights(insights, transcripts, roles, personas),
                    catalogue, store.failures(), work)


@dataclass
class WorkStats:
    """What the analysis stage did in this run: calls analysed, words read, sentences embedded, time per step
    (summed over workers), for the benchmark and the run summary."""

    calls: int = 0
    workers: int = 1
    words: int = 0
    sentences: int = 0
    embedded: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, result: CallResult) -> None:
        self.words += result.words
        self.sentences += result.sentences
        self.embedded += result.embedded
        for step, s in result.seconds.items():
            self.seconds[step] = self.seconds.get(step, 0.0) + s


def recognise_known_people(transcripts: list[Transcript], personas: dict[str, list[PersonaAssignment]]
                           ) -> dict[str, list[PersonaAssignment]]:
    """A buyer whose title is known in one call (metadata, an introduction) keeps that persona in calls where
    the title is not said: "Rachel Owens" of Brightwave is the VP Marketing in every Brightwave call."""
    by_id = {t.id: t for t in transcripts}
    known: dict[tuple[str, str], PersonaAssignment] = {}
    for tid, items in sorted(personas.items()):
        for a in items:
            key = _person_key(by_id[tid], a.speaker)
            if key and a.method in STRONG_METHODS and key not in known:
                known[key] = a
    out = {}
    for tid, items in personas.items():
        updated = []
        for a in items:
            key = _person_key(by_id[tid], a.speaker)
            prior = known.get(key) if key else None
            if prior and a.method not in STRONG_METHODS and prior.transcript_id != tid:
                src = by_id[prior.transcript_id]
                a = PersonaAssignment(tid, a.speaker, prior.persona, prior.confidence * 0.95, "known_person",
                                      f"same person as in {src.title!r} ({src.date}): {prior.method}, "
                                      f"{prior.evidence}")
            updated.append(a)
        out[tid] = updated
    return out


def _person_key(t: Transcript, label: str | None) -> tuple[str, str] | None:
    """Who a speaker is across calls: their name (not a generic label like "Speaker 1") and the account."""
    if label is None:
        return None
    s = t.speaker(label)
    name = (s.name if s and s.name else label).strip()
    first = name.split(" ")[0].casefold() if name else ""
    if not name or first in GENERIC_LABEL or name.replace("_", "").isdigit() or len(name) < 3 or \
            any(ch.isdigit() for ch in name):
        return None
    account = str(t.metadata.get("account") or (s.company if s else "") or "").casefold()
    return name.casefold(), account


def persona_of_insights(insights: list[Insight], transcripts: list[Transcript],
                        roles: dict[str, list[SpeakerRole]], personas: dict[str, list[PersonaAssignment]]
                        ) -> dict[str, str]:
    """Each insight's persona: the speaker's own for buyers and guests; for reps and hosts, the persona of the
    main buyer they were speaking to (the buyer who said the most)."""
    by_id = {t.id: t for t in transcripts}
    out, main_buyer = {}, {}
    for i in insights:
        by_speaker = {a.speaker: a.persona for a in personas.get(i.transcript_id, [])}
        side = {r.speaker: r.role for r in roles.get(i.transcript_id, []) if r.speaker is not None}
        if i.speaker is not None and side.get(i.speaker) in BUYER_SIDE:
            out[i.id] = by_speaker.get(i.speaker, UNASSIGNED)
        elif i.speaker is None and None in by_speaker:
            out[i.id] = by_speaker[None]
        else:
            if i.transcript_id not in main_buyer:   # once per call, not once per insight
                main_buyer[i.transcript_id] = _main_buyer_persona(by_id[i.transcript_id], side, by_speaker)
            out[i.id] = main_buyer[i.transcript_id]
    return out


def _main_buyer_persona(t: Transcript, side: dict, by_speaker: dict) -> str:
    words: dict[str, int] = {}
    for u in t.utterances:
        if u.speaker is not None and side.get(u.speaker) in BUYER_SIDE and by_speaker.get(u.speaker, UNASSIGNED) \
                != UNASSIGNED:
            words[u.speaker] = words.get(u.speaker, 0) + len(u.text.split())
    if not words:
        return by_speaker.get(None, UNASSIGNED)
    return by_speaker[max(sorted(words), key=words.get)]


def _speakers(transcripts: list[Transcript], roles: dict[str, list[SpeakerRole]],
              personas: dict[str, list[PersonaAssignment]]) -> list[SpeakerInfo]:
    out = []
    for t in transcripts:
        ps = {p.speaker: p for p in personas.get(t.id, [])}
        for r in roles.get(t.id, []):
            if r.speaker is None:
                continue
            s = t.speaker(r.speaker)
            p = ps.get(r.speaker)
            out.append(SpeakerInfo(t.id, r.speaker, s.display if s else r.speaker, r.role, r.confidence,
                                   r.evidence, p.persona if p else None, p.confidence if p else 0.0,
                                   p.method if p else "", p.evidence if p else "",
                                   s.title if s else None, s.company if s else None))
        if None in ps:
            p = ps[None]
            out.append(SpeakerInfo(t.id, None, "(buyer side, no speaker labels)", "buyer", 0.0,
                                   "unlabelled transcript", p.persona, p.confidence, p.method, p.evidence))
    return out


# --- the whole job ---------------------------------------------------------------------------------------------

@dataclass
class RunSummary:
    week: str
    report_dir: str | None
    ingested: dict[str, int]
    inbox: dict[str, int]
    transcripts: int
    insights: dict[str, int]
    themes: int
    failures: list[dict]
    seconds: dict[str, float] = field(default_factory=dict)   # wall time per stage of this run
    work: WorkStats | None = None


def take_inbox(store: Store, config: PipelineConfig, models: Models) -> dict[str, int]:
    """New files in the inbox folder become standout submissions; each file (by content) is processed once, and
    failures are recorded for the report's data-quality notes."""
    from insights.errors import InsightsError
    from insights.parse import content_id, iter_transcript_files
    from insights.parse.metadata import read_sidecar
    from insights.submit import submit_file

    counts = {"submitted": 0, "skipped": 0, "failed": 0}
    if not config.inbox or not Path(config.inbox).is_dir():
        return counts
    for path in iter_transcript_files([config.inbox]):
        cid = content_id(path.read_bytes())
        name = path.as_posix()
        if store.processed(name, cid):
            counts["skipped"] += 1
            continue
        try:
            meta, _ = read_sidecar(path)
            submit_file(path, store, models, config, rep=str(meta.get("rep") or meta.get("submitted_by") or "inbox"),
                        why=str(meta.get("why") or "dropped in the inbox"), account=meta.get("account"),
                        outcome=meta.get("outcome"), buyer_title=meta.get("buyer_title"), channel="inbox",
                        source=name)
            store.mark_processed(name, cid, "submitted")
            counts["submitted"] += 1
        except InsightsError as err:
            err.with_file(name)
            store.record_failure(name, err)
            store.mark_processed(name, cid, f"failed {err.code}")
            counts["failed"] += 1
    return counts


def redactor(config: PipelineConfig, models: Models):
    """Personal data out of every quote in reports and exports, as the pipeline says (the store keeps originals)."""
    from functools import partial

    from insights.redact import load_ner, redact

    if not config.redact_contacts and not config.redact_names:
        return None
    if config.redact_names:
        return partial(redact, names=True, nlp=load_ner())
    return redact


def run_pipeline(store: Store, config: PipelineConfig, *, since: str | None = None, until: str | None = None,
                 progress: Progress | None = None, models: Models | None = None,
                 executor: Executor | None = None) -> RunSummary:
    """Ingest, take the inbox, analyse, theme, and write the report for one week (or a --since/--until period).
    Holds the corpus's writer lock for the whole run: a second run or a submission waits, or refuses clearly.
    ``executor``: where the per-call analysis runs (default: worker processes per the pipeline's ``workers``)."""
    with store.exclusive("insights run", timeout=lock_timeout()):
        return _run_pipeline(store, config, since=since, until=until, progress=progress, models=models,
                             executor=executor)


def lock_timeout(default: float = 300.0) -> float:
    """Seconds a job waits for another run to finish (INSIGHTS_LOCK_TIMEOUT overrides)."""
    import os

    try:
        return float(os.environ.get("INSIGHTS_LOCK_TIMEOUT", default))
    except ValueError:
        return default


def _run_pipeline(store: Store, config: PipelineConfig, *, since: str | None, until: str | None,
                  progress: Progress | None, models: Models | None, executor: Executor | None) -> RunSummary:
    from insights.errors import InsightsError
    from insights.ingest import ingest_paths
    from insights.nlp import Embedder
    from insights.render import render_report
    from insights.report import ReportBuilder, Submission, latest_week, period_label

    clock = _StageClock()
    results = ingest_paths(config.sources, store, max_bytes=config.max_file_bytes, parse_unchanged=False,
                           progress=(lambda name: progress("ingesting", 0, 0)) if progress else None)
    ingested = {s: sum(r.status == s for r in results) for s in ("added", "new_version", "unchanged", "failed")}
    clock.stage("ingest")
    if progress:
        progress("loading models", 0, 0)
    models = models or Models.load(Embedder(cache=store.embedding_cache()), lazy=True)
    clock.stage("load models")
    inbox = take_inbox(store, config, models)
    clock.stage("inbox")
    analysis = analyse(store, models, config, progress, executor)
    clock.stage("analyse calls")
    if not analysis.transcripts:
        raise InsightsError.make("E502", "the corpus is empty and no source gave a transcript",
                                 hint="check [sources] paths in the pipeline or pass --source PATH")
    if since or until:
        start = since or min(t.date for t in analysis.transcripts)
        end = until or max(t.date for t in analysis.transcripts)
        week = period_label(start, end)
    else:
        week = config.week or latest_week(analysis.transcripts)
        start = end = None
    if progress:
        progress("building themes", 0, 0)
    themes, cross = build_week_themes(analysis, models, store, week)
    clock.stage("themes")
    submissions = [Submission(s["transcript_id"], s["rep"], s["why"], s["outcome"], s["submitted_at"][:10])
                   for s in store.submissions()]
    report = ReportBuilder(analysis, themes, week, top_themes=config.top_themes, submissions=submissions,
                           cross_persona=cross, start=start, end=end, redact=redactor(config, models)).build()
    clock.stage("build report")
    if progress:
        progress("writing the report", 0, 0)
    out = Path(config.out) / week
    render_report(report, out, templates=Path(config.templates) if config.templates else None)
    clock.stage("write report")
    return RunSummary(week, str(out), ingested, inbox, len(analysis.transcripts),
                      {k: sum(i.kind == k for i in analysis.insights) for k in config.kinds}, len(themes),
                      [dict(f) for f in analysis.failures], clock.seconds, analysis.work)


class _StageClock:
    def __init__(self) -> None:
        import time

        self._now = time.perf_counter
        self._last = self._now()
        self.seconds: dict[str, float] = {}

    def stage(self, name: str) -> None:
        now = self._now()
        self.seconds[name] = round(now - self._last, 3)
        self._last = now


def build_week_themes(analysis: Analysis, models: Models, store: Store, week: str):
    """Themes over every insight up to the report's end, mapped onto the last run's so ids and names persist;
    saved for the next run. Returns (themes, cross-persona view as report dicts)."""
    from insights.records import Theme
    from insights.report import week_bounds
    from insights.themes import cross_persona
    from insights.themes import build_themes

    _, end = week_bounds(week)
    dates = {t.id: t.date for t in analysis.transcripts}
    insights = [i for i in analysis.insights if dates[i.transcript_id] <= end]
    vectors = models.embedder.embed([normalise(i.quote) for i in insights])
    previous = [Theme(**{**d, "keywords": tuple(d["keywords"]), "insight_ids": tuple(d["insight_ids"]),
                         "weekly": tuple(tuple(w) for w in d["weekly"]), "quotes": tuple(d["quotes"]),
                         "centroid": tuple(d["centroid"])}) for d in store.previous_themes(week)]
    current = week if "_to_" not in week else iso_week(end)
    themes = build_themes(insights, vectors, [analysis.insight_persona.get(i.id, UNASSIGNED) for i in insights],
                          [dates[i.transcript_id] for i in insights], current_week=current, previous=previous,
                          nlp=models.nlp, phrases=store.phrases([i.quote for i in insights]))
    if hasattr(models.embedder.cache, "flush"):
        models.embedder.cache.flush()
    store.save_themes(week, [asdict(t) for t in themes])
    names = {p.key: p.name for p in analysis.catalogue} | {UNASSIGNED: "Unassigned"}
    cross = [{"name": c.name, "kind": c.kind,
              "personas": [{"persona": p, "name": names.get(p, p), "count": n} for p, n in c.counts]}
             for c in cross_persona(themes)]
    return themes, cross
