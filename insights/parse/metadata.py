"""Metadata beside or inside a transcript: ``call.meta.toml``/``call.meta.json`` sidecars and front matter.

Fields: kind, date, title, account, outcome (won|lost|open), and participants, each with the label the
transcript uses (or the name), role (rep|buyer|host|guest), title and company.
"""
from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from insights.errors import InsightsError
from insights.records import ROLES, Speaker, Utterance

OUTCOMES = ("won", "lost", "open")
_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?)\n\1[ \t]*(?:\n|\Z)", re.S)


def sidecar_paths(path: Path) -> list[Path]:
    base = path.with_suffix("")
    return [base.with_name(base.name + ".meta.toml"), base.with_name(base.name + ".meta.json")]


def read_sidecar(path: Path) -> tuple[dict[str, Any], bytes]:
    """The sidecar's fields and raw bytes (the bytes join the content hash: new metadata, new version)."""
    for side in sidecar_paths(path):
        if side.exists():
            raw = side.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
                data = tomllib.loads(text) if side.suffix == ".toml" else json.loads(text)
            except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
                line = getattr(exc, "lineno", None)
                raise InsightsError.make("E301", f"{side.name}: {exc}", file=str(side), line=line)
            except (ValueError, RecursionError) as exc:   # a number over 4,300 digits; nesting too deep
                raise InsightsError.make("E301", f"{side.name}: {_unreadable(exc)}", file=str(side))
            if not isinstance(data, dict):
                raise InsightsError.make("E301", f"{side.name} must hold a table/object of fields", file=str(side))
            return validate(data, str(side)), raw
    return {}, b""


def split_front_matter(text: str, source: str = "<text>") -> tuple[dict[str, Any], str]:
    """Split YAML (``---``) or TOML (``+++``) front matter off the top of a text file."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    fence, body = m.group(1), m.group(2)
    try:
        data = tomllib.loads(body) if fence == "+++" else yaml.safe_load(body)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        raise InsightsError.make("E301", f"front matter: {exc}", file=source, line=line)
    except (ValueError, RecursionError) as exc:
        # YAML builds dates and numbers after parsing (`date: 2026-13-45`, `!!float abc`), and both readers
        # refuse a number over 4,300 digits or recurse on deep nesting: raised as ValueError/RecursionError.
        raise InsightsError.make("E301", f"front matter: {_unreadable(exc)}", file=source)
    if not isinstance(data, dict):
        return {}, text    # a horizontal rule, not front matter
    rest = text[m.end():]
    return validate(data, source), rest


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    return f"a value cannot be read ({str(exc).split(':')[0]})"


_PARTICIPANT_TEXT = ("label", "name", "role", "title", "company")


def validate(data: dict[str, Any], source: str) -> dict[str, Any]:
    """Check the fields a later stage relies on; keep unknown fields as they are."""
    out = dict(data)
    if "outcome" in out and out["outcome"] is not None:
        outcome = str(out["outcome"]).lower()
        if outcome not in OUTCOMES:
            raise InsightsError.make("E301", f"outcome {out['outcome']!r} is not one of {', '.join(OUTCOMES)}",
                                     file=source)
        out["outcome"] = outcome
    if "date" in out:
        out["date"] = normalise_date(out["date"], source)
    parts = out.get("participants")
    if parts is not None:
        if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
            raise InsightsError.make("E301", "participants must be a list of tables with label/name, role, title",
                                     file=source)
        for p in parts:
            wrong = [k for k in _PARTICIPANT_TEXT if p.get(k) is not None and not isinstance(p[k], str)]
            if wrong:
                raise InsightsError.make("E301", f"participant {wrong[0]} {p[wrong[0]]!r} must be text "
                                         "(put it in quotes)", file=source)
            if not (p.get("label") or p.get("name")):
                raise InsightsError.make("E301", "each participant needs a label or a name", file=source)
            role = p.get("role")
            if role is not None and str(role).lower() not in ROLES:
                raise InsightsError.make("E301", f"role {role!r} is not one of {', '.join(ROLES)}", file=source)
    return out


def normalise_date(value: Any, source: str) -> str | None:
    """ISO date string from a date, datetime or common date text; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%d %B %Y", "%B %d, %Y",
                "%b %d, %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text[:len(text)], fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        raise InsightsError.make("E301", f"date {text!r} is not a date like 2026-11-20", file=source)


def apply_participants(speakers: list[Speaker], participants: Any, source: str) -> list[Speaker]:
    """Give speakers the name, role, title and company the metadata states for them."""
    if not participants:
        return speakers
    out = []
    for s in speakers:
        p = _match(s, participants)
        if p is None:
            out.append(s)
            continue
        role = p.get("role")
        out.append(Speaker(label=s.label, name=p.get("name") or s.name or s.label,
                           role=str(role).lower() if role else s.role,
                           title=p.get("title") or s.title, company=p.get("company") or s.company))
    return out


def _match(s: Speaker, participants: list[dict[str, Any]]) -> dict[str, Any] | None:
    keys = {k.casefold() for k in (s.label, s.name) if k}
    for p in participants:
        if str(p.get("label", "")).casefold() in keys or str(p.get("name", "")).casefold() in keys:
            return p
    # "Dana" in the transcript, "Dana Ruiz" in the metadata
    for p in participants:
        first = str(p.get("name", "")).split(" ")[0].casefold()
        if first and first in keys:
            return p
    return None


_PODCAST_CUES = re.compile(r"\b(podcast|episode|listeners?|subscribe|welcome (back )?to the show)\b", re.I)


def guess_kind(fmt: str, utterances: list[Utterance], meta: dict[str, Any]) -> str:
    """Without metadata: podcasts announce themselves early; Q&A write-ups are interviews; else a sales call."""
    if fmt == "qa-interview":
        return "interview"
    if fmt in {"podcasting20-json"}:
        return "podcast"
    opening = " ".join(u.text for u in utterances[:12])[:4000]
    if _PODCAST_CUES.search(opening) or _PODCAST_CUES.search(str(meta.get("title", ""))):
        return "podcast"
    return "sales_call"
