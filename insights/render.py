"""Turn the report view model (``insights.report``) into files: HTML and Markdown pages, and data exports.

Everything is rendered in memory first, written to a temporary sibling folder, and only then swapped into place,
so a failure at any step leaves the previous report untouched. Output is a pure function of the view model: the
same dict gives byte-identical files.

All strings in the view model are raw transcript text. HTML is escaped by Jinja2's autoescape; Markdown and CSV get
their own escaping here (``md_escape``, ``csv_cell``) because each has its own active characters.
"""
from __future__ import annotations

import csv
import ctypes
import io
import json
import os
import re
import shutil
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any, Iterable

import jinja2

from insights.errors import InsightsError

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
KIND_LABELS = {"pain_point": "Pain points", "objection": "Objections", "analogy": "Analogies"}
KIND_SINGULAR = {"pain_point": "Pain point", "objection": "Objection", "analogy": "Analogy"}
TRENDS = {"new": "✦", "rising": "↑", "steady": "→", "falling": "↓"}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# --- escaping -------------------------------------------------------------------------------------------------------

_MD_ACTIVE = re.compile(r"([\\`*_\[\]()<>#!|{}~&])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])")
_MD_AUTOLINK = re.compile(r"(?<=[A-Za-z])(:)(?=//)|(?<![\w.])(www)(\.)", re.I)


def md_escape(value: Any) -> str:
    """Markdown-inert text: every character CommonMark/GFM act on is backslash-escaped, so a quoted link, image, HTML
    tag, table pipe or ``{{ }}`` shows as the literal text. Line breaks become spaces and the ends are trimmed: a quote
    stays one inline run and can never start a heading, list, code block or block of its own."""
    if value is None:
        return ""
    text = re.sub(r"\s*[\r\n]+\s*", " ", str(value)).strip()
    text = _MD_ACTIVE.sub(r"\\\1", text)
    text = _MD_AUTOLINK.sub(lambda m: "\\:" if m.group(1) else m.group(2) + "\\.", text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A spreadsheet-safe cell: text a spreadsheet would run as a formula gets a leading apostrophe (OWASP)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _safe_name(name: str, what: str) -> str:
    """File names come from persona keys and transcript ids: refuse anything that could leave the report folder."""
    if not _SAFE_NAME.match(name or ""):
        raise InsightsError.make("E900", f"{what} {name!r} cannot be used as a file name")
    return name


# --- helpers the templates call --------------------------------------------------------------------------------------

def bars(weekly: list, width: int = 150, height: int = 56) -> dict:
    """Geometry of a small bar chart of weekly counts: one bar per week, scaled to the busiest week, with room for
    the count above each bar and the week under it."""
    n = max(len(weekly), 1)
    top = max([c for _, c in weekly] + [1])
    slot = width / n
    plot = height - 14                      # baseline; the week labels go under it
    out = []
    for k, (week, count) in enumerate(weekly):
        h = round((plot - 12) * count / top, 1) if count else 0
        out.append({"x": round(k * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1), "y": round(plot - h, 1),
                    "h": h, "count": count, "week": week, "short": week.split("-")[-1],
                    "cx": round(k * slot + slot / 2, 1)})
    summary = ", ".join(f"{w}: {c}" for w, c in weekly)
    return {"width": width, "height": height, "plot": plot, "bars": out, "summary": summary}


def period(week: str) -> str:
    """How a report period reads: an ISO week as is, a ``--since/--until`` label (``A_to_B``) as "A to B"."""
    return week.replace("_to_", " to ")


def md_page(page: str) -> str:
    """The Markdown sibling of an HTML page link (``persona-x.html#th-1`` -> ``persona-x.md#th-1``)."""
    path, sep, frag = page.partition("#")
    return (path[:-5] + ".md" if path.endswith(".html") else path) + sep + frag


def md_url(link: str) -> str:
    """A link destination Markdown cannot misread: spaces, brackets and parentheses percent-encoded."""
    return urllib.parse.quote(link, safe="/#:?=&-_.~%+,;@!$'*")


def _environment(templates: Path | None, *, html: bool) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        if not Path(templates).is_dir():
            raise InsightsError.make("E501", f"templates folder {str(templates)!r} does not exist")
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=html, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = md_escape
    env.filters["md_page"] = md_page
    env.filters["period"] = period
    env.filters["md_url"] = md_url
    env.globals.update(bars=bars, kind_labels=KIND_LABELS, kind_singular=KIND_SINGULAR, trends=TRENDS)
    return env


# --- exports ---------------------------------------------------------------------------------------------------------

def _quote_contexts(report: dict) -> Iterable[tuple[dict, dict | None]]:
    """Every quote the report shows, with the theme it is shown under (None outside a theme)."""
    for p in report["personas"]:
        for kind_themes in p["themes"].values():
            for th in kind_themes:
                for q in th["quotes"]:
                    yield q, th
        for a in p["angles"]:
            for q in a["quotes"]:
                yield q, None
        for side in ("buyers", "reps"):
            for q in p["analogies"][side]:
                yield q, None
        for q in p["unthemed"]:
            yield q, None
    for s in report["standouts"]:
        for q in s["insights"]:
            yield q, None


def _reading_order(report: dict) -> dict[str, int]:
    """insight id -> its position in the transcripts, so exports list quotes in the order they were said."""
    order: dict[str, int] = {}
    for t in report["transcripts"]:
        for u in t["utterances"]:
            for seg in u["segments"]:
                if seg["insight"]:
                    order.setdefault(seg["insight"]["id"], len(order))
    return order


def quote_rows(report: dict) -> list[dict]:
    """One flat record per distinct quote in the report (a quote shown in several places is one row)."""
    names = {p["key"]: p["name"] for p in report["personas"]}
    rows: dict[str, dict] = {}
    for q, th in _quote_contexts(report):
        row = rows.get(q["id"])
        if row is None:
            t = q["transcript"]
            row = rows[q["id"]] = {
                "id": q["id"], "kind": q["kind"], "quote": q["quote"], "speaker": q["speaker"], "role": q["role"],
                "persona": q["persona"], "persona_name": names.get(q["persona"], q["persona"]),
                "date": q["date"], "start": q["start"], "start_label": q["start_label"],
                "confidence": q["confidence"], "response": q["response"], "response_speaker": q["response_speaker"],
                "transcript_id": t["id"], "transcript_title": t["title"], "transcript_date": t["date"],
                "transcript_kind": t["kind"], "transcript_source": t["source"], "link": q["link"],
                "theme_ids": [], "theme_names": []}
        if th is not None and th["id"] not in row["theme_ids"]:
            row["theme_ids"].append(th["id"])
            row["theme_names"].append(th["name"])
    order = _reading_order(report)
    return sorted(rows.values(), key=lambda r: (r["transcript_date"], r["transcript_id"],
                                                order.get(r["id"], len(order)), r["id"]))


CSV_COLUMNS = ["id", "kind", "quote", "speaker", "role", "persona", "persona_name", "date", "start_label",
               "confidence", "theme_names", "response", "response_speaker", "transcript_title", "transcript_source",
               "transcript_id", "link"]


def insights_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        w.writerow([csv_cell("; ".join(r[c]) if isinstance(r[c], list) else r[c]) for c in CSV_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def insights_jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def themes_json(report: dict) -> bytes:
    themes = [dict(th, persona_name=p["name"]) for p in report["personas"]
              for k in (k["key"] for k in report["kinds"]) for th in p["themes"].get(k, [])]
    doc = {"week": report["week"], "start": report["start"], "end": report["end"], "themes": themes}
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- anchors ---------------------------------------------------------------------------------------------------------

def _extra_anchors(report: dict) -> dict[str, dict[int, list[str]]]:
    """Quotes whose own ``i-<id>`` mark is missing from their transcript (an overlapping insight took the mark):
    transcript id -> utterance index -> ids to anchor there, found by the quote's text, so every quote link lands."""
    marked = {seg["insight"]["id"] for t in report["transcripts"] for u in t["utterances"]
              for seg in u["segments"] if seg["insight"]}
    by_id = {t["id"]: t for t in report["transcripts"]}
    extra: dict[str, dict[int, list[str]]] = {}
    for q, _ in _quote_contexts(report):
        t = by_id.get(q["transcript"]["id"])
        if q["id"] in marked or t is None:
            continue
        for u in t["utterances"]:
            if q["quote"] in "".join(s["text"] for s in u["segments"]):
                ids = extra.setdefault(t["id"], {}).setdefault(u["index"], [])
                if q["id"] not in ids:
                    ids.append(q["id"])
                break
    return extra


# --- rendering -------------------------------------------------------------------------------------------------------

def render_files(report: dict, *, templates: Path | None = None) -> dict[str, bytes]:
    """Every output file as relative path -> bytes, without touching the disk."""
    html = _environment(templates, html=True)
    md = _environment(templates, html=False)
    shown = {th["id"] for p in report["personas"] for ths in p["themes"].values() for th in ths}
    base = {"report": report, "persona_names": {p["key"]: p["name"] for p in report["personas"]},
            "shown_themes": shown}
    files: dict[str, bytes] = {}

    def put(name: str, text: str) -> None:
        files[name] = text.encode("utf-8")

    put("index.html", html.get_template("index.html.j2").render(base, root=""))
    put("report.md", md.get_template("index.md.j2").render(base, root=""))
    for p in report["personas"]:
        key = _safe_name(p["key"], "persona key")
        put(f"persona-{key}.html", html.get_template("persona.html.j2").render(base, persona=p, root=""))
        put(f"persona-{key}.md", md.get_template("persona.md.j2").render(base, persona=p, root=""))
    extra = _extra_anchors(report)
    for t in report["transcripts"]:
        tid = _safe_name(t["id"], "transcript id")
        put(f"transcripts/{tid}.html", html.get_template("transcript.html.j2").render(
            base, t=t, extra_anchors=extra.get(tid, {}), root="../"))
    rows = quote_rows(report)
    files["insights.jsonl"] = insights_jsonl(rows)
    files["insights.csv"] = insights_csv(rows)
    files["themes.json"] = themes_json(report)
    return files


def render_report(report: dict, out_dir: Path, *, templates: Path | None = None) -> list[Path]:
    """Write the weekly report, persona briefs, transcript pages and exports to ``out_dir``, replacing what was
    there only once everything has been written. Returns the written files, sorted."""
    files = render_files(report, templates=templates)
    out_dir = Path(out_dir)
    _write_atomically(files, out_dir)
    return [out_dir / name for name in sorted(files)]


def _write_atomically(files: dict[str, bytes], out_dir: Path) -> None:
    parent = out_dir.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    if out_dir.exists() and not out_dir.is_dir():
        raise InsightsError.make("E501", f"the report folder {str(out_dir)!r} is a file")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    try:
        for name, data in sorted(files.items()):
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.chmod(tmp, 0o755)
        if not out_dir.exists():
            os.rename(tmp, out_dir)
        elif _exchange(tmp, out_dir):
            pass                                  # tmp now holds the previous report
        else:
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            os.rmdir(old)
            os.rename(out_dir, old)
            try:
                os.rename(tmp, out_dir)
            except OSError:
                os.rename(old, out_dir)           # put the previous report back
                raise
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE), so readers never see the report missing.
    False where the platform or file system cannot; the caller then renames in two steps."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):                       # EINVAL, ENOSYS, EOPNOTSUPP: not supported here
        return False
    raise OSError(err, os.strerror(err), str(b))
