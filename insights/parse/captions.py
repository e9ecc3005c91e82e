"""Caption files (WebVTT, SRT, SBV) → speaker turns.

One tolerant line-based reader for all three, because real exports bend the specs: Teams writes ``0:0:0.210``,
Zoom drops names into the cue text (``Frank: ...``), YouTube repeats every line in rolling cues, SRT files come
with or without index lines and with ``.`` or ``,`` before the milliseconds, VTT files lose their header.
It only refuses what would lose or misplace text: an unreadable timing, or text that follows no timing line.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from insights.errors import InsightsError
from insights.records import Speaker, Utterance

# -- timings ---------------------------------------------------------------------------------------------------

# [h:]m:s.f — hours optional, loose digit counts (Teams: 0:0:0.210), '.' or ',' before the fraction (SRT).
_TS = re.compile(r"(?:(\d+):)?(\d+):(\d+)[.,](\d+)")
# A line that means to be an arrow timing: starts with a time-ish token, then '-->'.
_ARROW_TIMINGISH = re.compile(r"^\s*\d[\w:.,]*\s*-->")
_SBV_TIMING = re.compile(r"^\s*(\d+:\d+:\d+\.\d+),(\d+:\d+:\d+\.\d+)\s*$")
_SBV_TIMINGISH = re.compile(r"^\s*\d+:[^\s,]*,[^\s,]*\d[^\s,]*\s*$")
_WEBVTT_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_BLOCK_KEYWORDS = re.compile(r"^(NOTE|STYLE|REGION)(?:[ \t].*)?$")
_HEADER_FIELD = re.compile(r"^([A-Za-z][\w-]*):[ \t]*(.*)$")

# -- cue text --------------------------------------------------------------------------------------------------

# <v Name>, <v.loud Name>, and the closing </v>.
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>|(</v\s*>)", re.I)
# Any other markup: <c.colorE5E5E5>, <i>, </b>, <font color=...>, karaoke <00:00:01.000>.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>")
_KARAOKE = re.compile(r"<\d+:\d+[\d:.]*>")
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")          # {\an8} positioning in SRT
# `Name: text` at the start of a cue (Zoom, podcast SRT). Letters first; no sentence punctuation in the name.
_NAME_PREFIX = re.compile(r"^(?P<name>[^\W\d_][^:?!;,\"“”<>\[\]]{0,48}?)\s*:(?:\s+(?P<rest>.*))?$")
_GENERIC_LABEL = re.compile(r"^(?:SPEAKER_?\d+|Speaker \d+|[A-Z])$", re.I)
# Words that open a sentence with a colon ("Note: ...") rather than name a speaker.
_NOT_NAMES = frozenset("""note notes warning caution well so now yes no okay ok look listen remember example
    step tip update important reminder disclaimer music applause laughter""".split())
_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")

_MAX_TIME_DIGITS = 9   # per field of a timing: 9 digits of hours is already 400,000 years
MAX_GAP_S = 2.0          # a pause this long starts a new unlabelled utterance
MAX_WORDS = 80           # and so does length: unpunctuated auto-captions would otherwise be one turn per hour
_NAME_PREFIX_SHARE = 0.5  # when at least half the cues start `Name:`, every such prefix is a speaker


@dataclass
class _Cue:
    start: float
    end: float
    line: int                       # line number of the timing line (1-based)
    lines: list[str] = field(default_factory=list)


@dataclass
class Piece:
    """A stretch of speech with one speaker (or none) and its times; turns are built by merging pieces."""

    speaker: str | None
    text: str
    start: float | None = None
    end: float | None = None


def sniff(text: str) -> bool:
    """True for a WEBVTT header, or a first block that is a cue (optional id line, then a timing line).

    A plain transcript that merely contains a timestamp somewhere is left to the text parser.
    """
    head = [ln.strip() for ln in text.lstrip("\ufeff").split("\n", 40)[:40]]
    while head and not head[0]:
        head.pop(0)
    if not head:
        return False
    first = head[0]
    if _WEBVTT_HEADER.match(first):
        return True
    if _is_arrow_timingish(first) or _SBV_TIMING.match(first):
        return True
    return len(head) > 1 and len(first) <= 100 and "-->" not in first and _is_arrow_timingish(head[1])


def parse(text: str) -> "Parsed":
    """Parse WebVTT, SRT or SBV text into utterances. Raises E203 for a broken timing, E204 with no speech."""
    from insights.parse import Parsed

    lines = text.lstrip("\ufeff").split("\n")
    meta: dict[str, object] = {}
    first = next((i for i, ln in enumerate(lines) if ln.strip()), len(lines))
    has_header = first < len(lines) and bool(_WEBVTT_HEADER.match(lines[first].strip()))
    body_from = first + 1 if has_header else first

    mode = _detect_mode(lines[body_from:])
    if mode is None:
        if has_header:
            raise InsightsError.make("E204")
        raise InsightsError.make("E203", "no line of the form `start --> end` or `start,end` was found",
                                 line=first + 1)
    if mode == "sbv":
        cues = _read_sbv(lines, body_from)
        fmt = "sbv"
    else:
        cues, header_fields, comma = _read_arrow(lines, body_from, has_header)
        if has_header:
            fmt = "webvtt"
        elif comma:
            fmt = "srt"
        else:
            fmt = "webvtt"
            meta["note"] = "no WEBVTT header; read as WebVTT"
        if "Language" in header_fields:
            meta["language"] = header_fields["Language"]

    pieces, stats = _cue_pieces(cues)
    if not any(p.text for p in pieces):
        raise InsightsError.make("E204")
    meta["cues"] = len(cues)
    meta.update(stats)
    utterances = merge_pieces(pieces)
    speakers = _speakers(utterances)
    return Parsed(format=fmt, utterances=utterances, speakers=speakers, meta=meta)


# -- reading blocks --------------------------------------------------------------------------------------------

def _is_arrow_timingish(line: str) -> bool:
    return "-->" in line and bool(_ARROW_TIMINGISH.match(line))


def _detect_mode(lines: list[str]) -> str | None:
    """'arrow' (VTT/SRT) or 'sbv', by the first line that looks like a timing."""
    for ln in lines:
        if _is_arrow_timingish(ln):
            return "arrow"
        if _SBV_TIMING.match(ln) or _SBV_TIMINGISH.match(ln):
            return "sbv"
    return None


def parse_timestamp(value: str) -> float | None:
    """Seconds for ``[h:]m:s.f`` / ``[h:]m:s,f`` (loose digit counts), None when it is not one."""
    m = _TS.fullmatch(value.strip())
    if not m:
        return None
    hours, minutes, seconds, fraction = m.groups()
    if any(g is not None and len(g) > _MAX_TIME_DIGITS for g in m.groups()):
        return None         # a run of digits this long is damage, and would overflow a float
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction) / 10 ** len(fraction)


def _bad_timing(line_no: int, line: str, expected: str) -> InsightsError:
    return InsightsError.make("E203", f"line {line_no}: {line.strip()!r} is not {expected}", line=line_no)


def _arrow_timing(line: str, line_no: int) -> tuple[float, float, bool]:
    """(start, end, uses_comma) of ``start --> end [settings]``; E203 naming the line when it is broken."""
    left, _, right = line.partition("-->")
    right_parts = right.split()
    start = parse_timestamp(left)
    end = parse_timestamp(right_parts[0]) if right_parts else None
    if start is None or end is None:
        raise _bad_timing(line_no, line, "`start --> end` with times like 00:01:02.500")
    return start, max(start, end), "," in left or "," in right_parts[0]


def _read_arrow(lines: list[str], body_from: int, has_header: bool) -> tuple[list[_Cue], dict[str, str], bool]:
    """Cues of a WebVTT or SRT body. Returns (cues, VTT header fields, whether timings use a comma)."""
    cues: list[_Cue] = []
    header: dict[str, str] = {}
    cur: _Cue | None = None
    empty: _Cue | None = None               # the previous block: a cue that closed without text
    pending: list[tuple[int, str]] = []     # non-blank lines outside a cue: an identifier, or stray text
    in_header = has_header
    skipping = False                        # inside a NOTE / STYLE / REGION block
    comma = False

    def settle(orphans: list[tuple[int, str]]) -> None:
        # Text right after a cue that closed empty is that cue's text (a YouTube cue whose blank first line was
        # trimmed by an editor); anywhere else it is text without a timing.
        if orphans and empty is not None:
            empty.lines.extend(line for _, line in orphans)
        else:
            _check_orphans(orphans)

    for n, raw in enumerate(lines[body_from:], start=body_from + 1):
        line = raw.rstrip()
        if in_header:
            if not line:
                in_header = False
                continue
            if not _is_arrow_timingish(line):
                field_match = _HEADER_FIELD.match(line.strip())
                if field_match:
                    header[field_match.group(1)] = field_match.group(2).strip()
                continue
            in_header = False
        if not line and not (cur is not None and not cur.lines and raw):
            # A blank line ends a block; a line of spaces right after a timing is the cue's (blank) first line.
            if cur is not None:
                cues.append(cur)
                empty, cur = (cur if not cur.lines else None), None
            elif pending:
                settle(pending)
                empty = None
            pending = []
            skipping = False
            continue
        if skipping:
            continue
        if _is_arrow_timingish(line):
            start, end, uses_comma = _arrow_timing(line, n)
            comma = comma or uses_comma
            if cur is not None:
                # A cue ran into the next timing without a blank line (YouTube does this); a bare number
                # right before the timing is the next cue's SRT index, not speech.
                if cur.lines and cur.lines[-1].strip().isdigit():
                    cur.lines.pop()
                cues.append(cur)
            else:
                settle(pending[:-1])
            pending = []
            empty = None
            cur = _Cue(start, end, n)
            continue
        if cur is not None:
            if line:
                cur.lines.append(line)
        elif not pending and has_header and _BLOCK_KEYWORDS.match(line.strip()):
            skipping = True
            empty = None
        else:
            pending.append((n, line))
    if cur is not None:
        cues.append(cur)
    settle(pending)
    return cues, header, comma


def _read_sbv(lines: list[str], body_from: int) -> list[_Cue]:
    """Cues of a YouTube SBV file: ``0:00:01.000,0:00:03.500`` then text, blocks separated by blank lines."""
    cues: list[_Cue] = []
    cur: _Cue | None = None
    pending: list[tuple[int, str]] = []
    for n, raw in enumerate(lines[body_from:], start=body_from + 1):
        line = raw.rstrip()
        if not line.strip():
            if cur is not None:
                cues.append(cur)
                cur = None
            _check_orphans(pending)
            pending = []
            continue
        m = _SBV_TIMING.match(line)
        if m or _SBV_TIMINGISH.match(line):
            start = parse_timestamp(m.group(1)) if m else None
            end = parse_timestamp(m.group(2)) if m else None
            if start is None or end is None:
                raise _bad_timing(n, line, "`start,end` with times like 0:01:02.500")
            if cur is not None:
                cues.append(cur)
            _check_orphans(pending)
            pending = []
            cur = _Cue(start, max(start, end), n)
            continue
        if cur is not None:
            cur.lines.append(line)
        else:
            pending.append((n, line))
    if cur is not None:
        cues.append(cur)
    _check_orphans(pending)
    return cues


def _check_orphans(pending: list[tuple[int, str]]) -> None:
    """Text outside any cue would be lost or glued to the wrong time: refuse it, naming its line.

    A lone number is tolerated: it is an SRT index whose cue was cut off at the end of the file.
    """
    if not pending or (len(pending) == 1 and pending[0][1].strip().isdigit()):
        return
    n, line = next((p for p in pending if not p[1].strip().isdigit()), pending[0])
    raise InsightsError.make(
        "E203", f"line {n}: {line.strip()[:60]!r} has no timing line before it (a cue lost its `start --> end`)",
        line=n)


# -- cue text → pieces -----------------------------------------------------------------------------------------

def _split_voices(raw: str) -> list[tuple[str | None, str]]:
    """Split cue text at ``<v Name>`` / ``</v>`` into (speaker or None, raw text) parts, in order."""
    parts: list[tuple[str | None, str]] = []
    speaker: str | None = None
    pos = 0
    for m in _VOICE.finditer(raw):
        parts.append((speaker, raw[pos:m.start()]))
        if m.group(2):                       # </v>
            speaker = None
        else:
            name = " ".join(html.unescape(m.group(1) or "").split())
            speaker = name or None
        pos = m.end()
    parts.append((speaker, raw[pos:]))
    return [(s, t) for s, t in parts if t.strip()]


def clean_cue_text(raw: str) -> list[str]:
    """Cue text without markup, entities decoded, whitespace collapsed; one string per non-empty line."""
    text = _TAG.sub("", _ASS_OVERRIDE.sub("", raw))
    text = html.unescape(text)
    return [" ".join(ln.split()) for ln in text.split("\n") if ln.strip()]


def _name_prefix(line: str) -> tuple[str, str] | None:
    """(name, rest) when a line opens with a plausible ``Name:`` speaker label."""
    m = _NAME_PREFIX.match(line)
    if not m:
        return None
    name = m.group("name").strip()
    if len(name.split()) > 5 or name.lower() in _NOT_NAMES:
        return None
    return name, (m.group("rest") or "").strip()


def _looks_like_name(label: str) -> bool:
    words = label.split()
    return (1 <= len(words) <= 4 and all(w[:1].isupper() for w in words)) or bool(_GENERIC_LABEL.match(label))


def _accepted_names(candidates: list[str], cue_count: int) -> set[str]:
    """Which ``Name:`` prefixes are speakers: all when most cues have one (Zoom); otherwise names that recur,
    and, once some name recurs, other name-like prefixes too (a guest who spoke once in a podcast SRT)."""
    if not candidates:
        return set()
    if len(candidates) >= _NAME_PREFIX_SHARE * cue_count:
        return set(candidates)
    recurring = {c for c in candidates if candidates.count(c) >= 2}
    if not recurring:
        return set()
    return recurring | {c for c in candidates if _looks_like_name(c)}


def _is_rolling(cues: list[_Cue], texts: list[list[str]]) -> bool:
    """YouTube auto-captions: karaoke timestamps, or most cues repeating the previous cue's last line."""
    if any(_KARAOKE.search(line) for cue in cues for line in cue.lines):
        return True
    repeats = sum(1 for prev, cur in zip(texts, texts[1:]) if prev and cur and cur[0] == prev[-1])
    return len(texts) >= 4 and repeats >= 0.4 * (len(texts) - 1)


def _drop_overlap(emitted: list[str], words: list[str]) -> list[str]:
    """The words of a rolling cue that were not already shown: drop the longest prefix that repeats the tail."""
    limit = min(len(words), len(emitted))
    for k in range(limit, 0, -1):
        if emitted[-k:] == words[:k]:
            return words[k:]
    return words


def _cue_pieces(cues: list[_Cue]) -> tuple[list[Piece], dict[str, object]]:
    """Turn cues into speaker pieces: voice tags, ``Name:`` prefixes, rolling-caption dedup, inheritance."""
    split = [[(spk, clean_cue_text(raw)) for spk, raw in _split_voices("\n".join(c.lines))] for c in cues]
    stats: dict[str, object] = {}
    empty = sum(1 for parts in split if not any(lines for _, lines in parts))
    if empty:
        stats["empty_cues"] = empty

    candidates: list[str] = []
    for parts in split:
        for speaker, lines in parts:
            prefix = _name_prefix(lines[0]) if speaker is None and lines else None
            if prefix:
                candidates.append(prefix[0])
    names = _accepted_names(candidates, sum(1 for parts in split if parts))

    rolling = _is_rolling(cues, [[ln for _, lines in parts for ln in lines] for parts in split])
    if rolling:
        stats["rolling_captions"] = True
    emitted: list[str] = []

    pieces: list[Piece] = []
    current: str | None = None            # a label carries over to following unlabelled cues
    labelled = False
    for cue, parts in zip(cues, split):
        for speaker, lines in parts:
            if not lines:
                continue
            if speaker is None and names:
                prefix = _name_prefix(lines[0])
                if prefix and prefix[0] in names:
                    speaker = prefix[0]
                    lines = ([prefix[1]] if prefix[1] else []) + lines[1:]
            if speaker is not None:
                labelled = True
                current = speaker
            elif labelled:
                speaker = current
            words = " ".join(lines).split()
            if rolling:
                fresh = _drop_overlap(emitted, words)
                emitted = (emitted + fresh)[-200:]
                words = fresh
            if words:
                pieces.append(Piece(speaker, " ".join(words), cue.start, cue.end))
    return pieces, stats


# -- merging ---------------------------------------------------------------------------------------------------

def merge_pieces(pieces: list[Piece], *, max_gap: float = MAX_GAP_S, max_words: int = MAX_WORDS) -> list[Utterance]:
    """Consecutive pieces of one speaker become one utterance (text joined by a space, first start, last end).

    Unlabelled pieces merge too, but a sentence end, a pause of ``max_gap`` seconds or ``max_words`` words
    closes the utterance, so a transcript without speakers still reads as sentence-sized turns.
    """
    turns: list[Piece] = []
    for p in pieces:
        text = p.text.strip()
        if not text:
            continue
        if turns and turns[-1].speaker == p.speaker and (p.speaker is not None or _continues(turns[-1], p,
                                                                                              max_gap, max_words)):
            last = turns[-1]
            last.text = f"{last.text} {text}"
            last.end = p.end if p.end is not None else last.end
            if last.start is None:
                last.start = p.start
        else:
            turns.append(Piece(p.speaker, text, p.start, p.end))
    return [Utterance(i, t.speaker, t.text, t.start, t.end) for i, t in enumerate(turns)]


def _continues(prev: Piece, nxt: Piece, max_gap: float, max_words: int) -> bool:
    if _SENTENCE_END.search(prev.text):
        return False
    if prev.end is not None and nxt.start is not None and nxt.start - prev.end >= max_gap:
        return False
    return len(prev.text.split()) < max_words


def _speakers(utterances: list[Utterance]) -> list[Speaker]:
    """One Speaker per label in order of appearance; a label that is a person's name is also their name."""
    seen: dict[str, Speaker] = {}
    for u in utterances:
        if u.speaker is not None and u.speaker not in seen:
            generic = bool(_GENERIC_LABEL.match(u.speaker))
            seen[u.speaker] = Speaker(label=u.speaker, name=None if generic else u.speaker)
    return list(seen.values())
