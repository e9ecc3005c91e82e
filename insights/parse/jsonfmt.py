"""JSON transcripts from speech-to-text services and call recorders, recognised by their keys.

Shapes: Whisper and WhisperX, AssemblyAI, Deepgram, Rev.ai, Podcasting 2.0 and Gong. Each reader turns its
shape into ``Piece``s (speaker, text, seconds) and the shared caption merge rules build the turns, so a turn means
the same thing whichever tool made the file. A shape that is recognised but broken is an E202, never a crash.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from insights.errors import InsightsError
from insights.parse.captions import Piece, merge_pieces
from insights.records import Speaker

_JSON_ARRAY_START = re.compile(r"\[\s*[\[{\]]")
_SENTENCE_BREAK = re.compile(r"(?<=[.?!…])\s+")
_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
_GENERIC = re.compile(r"^(?:SPEAKER_?\d+|Speaker \d+|[A-Z]|\d+)$", re.I)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_KNOWN_KEYS = "segments, utterances, results, monologues, callTranscripts"
_ROLE_BY_AFFILIATION = {"internal": "rep", "external": "buyer"}

Reader = Callable[[Any], tuple[list[Piece], list[Speaker], dict[str, Any]]]


def sniff(text: str) -> bool:
    """JSON object, or an array of objects/arrays. ``[00:01]`` or ``[Name]`` text transcripts are not claimed."""
    head = text.lstrip()
    return head.startswith("{") or bool(_JSON_ARRAY_START.match(head))


def parse(text: str) -> "Parsed":
    """Parse a JSON transcript. E201 for invalid JSON (line and column), E202 for a shape this tool does not know."""
    from insights.parse import Parsed

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InsightsError.make("E201", f"{exc.msg} at line {exc.lineno}, column {exc.colno}", line=exc.lineno)
    except RecursionError:
        raise InsightsError.make("E201", "the JSON is nested too deeply to read")
    except ValueError as exc:   # not a syntax error: a number too long to convert (Python's 4,300-digit cap)
        raise InsightsError.make("E201", f"a value cannot be read ({str(exc).split(':')[0]})")
    fmt, reader = _detect(data)
    try:
        pieces, speakers, meta = reader(data)
    except InsightsError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # The readers check shapes as they go; this is the backstop for a shape nobody foresaw.
        raise InsightsError.make("E202", f"{fmt} with an unexpected structure ({type(exc).__name__}: {exc})")
    utterances = merge_pieces(pieces)
    if not utterances:
        raise InsightsError.make("E206", f"the {fmt} file holds no transcribed text")
    return Parsed(format=fmt, utterances=utterances, speakers=_complete(speakers, utterances), meta=meta)


# -- shape detection -------------------------------------------------------------------------------------------

def _detect(data: Any) -> tuple[str, Reader]:
    if isinstance(data, list):
        if data and all(isinstance(s, dict) for s in data) and any("text" in s or "body" in s for s in data):
            return _segments_format(data), _read_segment_list
        raise InsightsError.make("E202", f"a top-level list of {_describe_items(data)}, expected a list of "
                                         "segments with text")
    if not isinstance(data, dict):
        raise InsightsError.make("E202", f"a single {type(data).__name__} value, expected an object")
    if "callTranscripts" in data:
        return "gong-json", _read_gong
    if "monologues" in data:
        return "revai-json", _read_revai
    if isinstance(data.get("results"), dict) and ({"utterances", "channels"} & data["results"].keys()):
        return "deepgram-json", _read_deepgram
    if "utterances" in data or "audio_url" in data or isinstance(data.get("sentences"), list) \
            or isinstance(data.get("paragraphs"), list):
        return "assemblyai-json", _read_assemblyai
    if "segments" in data:
        segments = data["segments"]
        if not isinstance(segments, list):
            raise InsightsError.make("E202", f"`segments` is a {type(segments).__name__}, expected a list")
        return _segments_format(segments, data), _read_segments_object
    keys = ", ".join(list(data)[:12]) or "none"
    raise InsightsError.make("E202", f"found keys {keys}; expected one of {_KNOWN_KEYS}")


def _describe_items(items: list[Any]) -> str:
    kinds = sorted({type(i).__name__ for i in items})
    return f"{len(items)} {'/'.join(kinds) or 'items'}"


def _segments_format(segments: list[Any], container: dict[str, Any] | None = None) -> str:
    dicts = [s for s in segments if isinstance(s, dict)]
    if any("body" in s or "startTime" in s for s in dicts) or (container and "version" in container
                                                                 and not container.get("text")):
        return "podcasting20-json"
    if any(s.get("speaker") is not None for s in dicts):
        return "whisperx-json"
    return "whisper-json"


# -- small, forgiving accessors --------------------------------------------------------------------------------

def _num(value: Any) -> float | None:
    """A number of seconds/ms, or None: booleans, blanks and non-numeric strings are no time at all."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        try:
            return _num(float(value))
        except ValueError:
            return None
    return None


def _ms(value: Any) -> float | None:
    seconds = _num(value)
    return None if seconds is None else seconds / 1000.0


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _items(container: Any, key: str, where: str) -> list[dict[str, Any]]:
    """The objects in ``container[key]``: a missing/null list is empty, anything else but a list is E202."""
    if not isinstance(container, dict):
        raise InsightsError.make("E202", f"{where} is a {type(container).__name__}, expected an object")
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InsightsError.make("E202", f"`{where}.{key}` is a {type(value).__name__}, expected a list")
    return [v for v in value if isinstance(v, dict)]


def _label(value: Any) -> str | None:
    """The speaker label as the source gives it; bare numbers read as ``Speaker 0`` (Deepgram, Rev.ai)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return f"Speaker {int(value)}" if float(value).is_integer() else f"Speaker {value}"
    text = str(value).strip() if isinstance(value, str) else ""
    if text.isdecimal() and len(text) <= 9:   # isdigit() also accepts "²", which int() refuses
        return f"Speaker {int(text)}"
    return text or None


def _sentences(text: str) -> list[Piece]:
    """Unlabelled, untimed sentences of a plain transcript text (the fallback when no segments exist)."""
    return [Piece(None, s) for s in _SENTENCE_BREAK.split(text.strip()) if s.strip()]


def _word_sentences(words: list[dict[str, Any]], key: str, times: Callable[[Any], float | None]) -> list[Piece]:
    """Group timed words into sentence pieces, also breaking where the speaker changes."""
    out: list[Piece] = []
    cur: list[str] = []
    speaker: str | None = None
    start = end = None
    for w in words:
        word = _text(w.get(key))
        if not word:
            continue
        label = _label(w.get("speaker"))
        if cur and label != speaker:
            out.append(Piece(speaker, " ".join(cur), start, end))
            cur = []
        if not cur:
            speaker, start = label, times(w.get("start"))
        cur.append(word)
        end = times(w.get("end"))
        if _SENTENCE_END.search(word):
            out.append(Piece(speaker, " ".join(cur), start, end))
            cur = []
    if cur:
        out.append(Piece(speaker, " ".join(cur), start, end))
    return out


def _complete(speakers: list[Speaker], utterances: list[Any]) -> list[Speaker]:
    """Described speakers plus any label the turns use, in order of first appearance."""
    known = {s.label: s for s in speakers}
    out: list[Speaker] = []
    for u in utterances:
        if u.speaker is not None and u.speaker not in {s.label for s in out}:
            out.append(known.get(u.speaker) or Speaker(label=u.speaker,
                                                         name=None if _GENERIC.match(u.speaker) else u.speaker))
    return out


# -- readers ---------------------------------------------------------------------------------------------------

def _segment_pieces(segments: list[dict[str, Any]]) -> list[Piece]:
    """Whisper/WhisperX ``{start, end, text[, speaker]}`` or Podcasting 2.0 ``{startTime, endTime, body, speaker}``."""
    pieces = []
    for s in segments:
        text = _text(s.get("text", s.get("body")))
        if "startTime" in s or "body" in s:
            start, end = _num(s.get("startTime")), _num(s.get("endTime"))
        else:
            start, end = _num(s.get("start")), _num(s.get("end"))
        pieces.append(Piece(_label(s.get("speaker")), text, start, end))
    return pieces


def _read_segment_list(data: list[Any]) -> tuple[list[Piece], list[Speaker], dict[str, Any]]:
    return _segment_pieces([s for s in data if isinstance(s, dict)]), [], {}


def _read_segments_object(data: dict[str, Any]) -> tuple[list[Piece], list[Speaker], dict[str, Any]]:
    segments = _items(data, "segments", "root")
    pieces = _segment_pieces(segments)
    if not any(p.text for p in pieces):
        pieces = _sentences(_text(data.get("text")))
    meta: dict[str, Any] = {}
    if isinstance(data.get("language"), str):
        meta["language"] = data["language"]
    return pieces, [], meta


def _read_assemblyai(data: dict[str, Any]) -> tuple[list[Piece], list[Speaker], dict[str, Any]]:
    """Utterances when diarized; else sentences/paragraphs endpoints; else words grouped into sentences; else text.

    AssemblyAI times are milliseconds.
    """
    meta: dict[str, Any] = {}
    if isinstance(data.get("language_code"), str):
        meta["language"] = data["language_code"]
    for key in ("utterances", "sentences", "paragraphs"):
        rows = _items(data, key, "root")
        pieces = [Piece(_label(r.get("speaker")), _text(r.get("text")), _ms(r.get("start")), _ms(r.get("end")))
                  for r in rows]
        if any(p.text for p in pieces):
            return pieces, [], meta
    pieces = _word_sentences(_items(data, "words", "root"), "text", _ms)
    return pieces or _sentences(_text(data.get("text"))), [], meta


def _read_deepgram(data: dict[str, Any]) -> tuple[list[Piece], list[Speaker], dict[str, Any]]:
    """``results.utterances`` (diarized, seconds); else the first alternative's paragraphs; else its transcript."""
    results = data["results"]
    multichannel = len(_items(results, "channels", "results")) > 1
    pieces = []
    for u in _items(results, "utterances", "results"):
        label = _label(u.get("speaker"))
        if label is None and multichannel and _num(u.get("channel")) is not None:
            label = f"Channel {int(_num(u.get('channel')) or 0)}"
        pieces.append(Piece(label, _text(u.get("transcript")), _num(u.get("start")), _num(u.get("end"))))
    if any(p.text for p in pieces):
        return pieces, [], {}
    channels = _items(results, "channels", "results")
    alternatives = _items(channels[0], "alternatives", "results.channels[0]") if channels else []
    best = alternatives[0] if alternatives else {}
    paragraphs = best.get("paragraphs")
    for p in _items(paragraphs, "paragraphs", "paragraphs") if isinstance(paragraphs, dict) else []:
        text = " ".join(_text(s.get("text")) for s in _items(p, "sentences", "paragraph") if _text(s.get("text")))
        pieces.append(Piece(_label(p.get("speaker")), text, _num(p.get("start")), _num(p.get("end"))))
    if any(p.text for p in pieces):
        return pieces, [], {}
    return _sentences(_text(best.get("transcript"))), [], {}


def _read_revai(data: dict[str, Any]) -> tuple[list[Piece], list[Speaker], dict[str, Any]]:
    """Monologues of elements: ``text`` words with ``ts``/``end_ts`` seconds, ``punct`` carrying spaces and stops."""
    pieces: list[Piece] = []
    names: dict[str, str] = {}
    for mono in _items(data, "monologues", "root"):
        label = _label(mono.get("speaker"))
        name = _text(mono.get("speaker_name"))
        if label is None and name:
            label = name
        if label is not None and name:
            names[label] = name
        elements = _items(mono, "elements", "monologue")
        text = "".join(e.get("value") if isinstance(e.get("value"), str) else "" for e in elements)
        times = [(_num(e.get("ts")), _num(e.get("end_ts"))) for e in elements if e.get("type") == "text"]
        starts = [s for s, _ in times if s is not None]
        ends = [e for _, e in times if e is not None]
        pieces.append(Piece(label, " ".join(text.split()), starts[0] if starts else None,
                            ends[-1] if ends else None))
    speakers = [Speaker(label=label, name=name) for label, name in names.items()]
    return pieces, speakers, {}


def _read_gong(data: dict[str, Any]) -> tuple[list[Piece], list[Speaker], dict[str, Any]]:
    """The first call of ``callTranscripts`` (times in ms); names, titles and sides from ``parties``."""
    calls = _items(data, "callTranscripts", "root")
    if not calls:
        raise InsightsError.make("E202", "gong-json whose `callTranscripts` holds no call")
    call = calls[0]
    call_id = _text(call.get("callId"))
    meta: dict[str, Any] = {"call_id": call_id} if call_id else {}
    if len(calls) > 1:
        meta["calls"] = len(calls)
        meta["note"] = f"the file holds {len(calls)} calls; only the first ({call_id or 'no id'}) was read"

    pieces: list[Piece] = []
    topics: list[str] = []
    for mono in _items(call, "transcript", "callTranscripts[0]"):
        label = _text(mono.get("speakerId")) or None     # Gong ids are long digit strings: keep them as they are
        topic = _text(mono.get("topic"))
        if topic and topic not in topics:
            topics.append(topic)
        for s in _items(mono, "sentences", "transcript[]"):
            pieces.append(Piece(label, _text(s.get("text")), _ms(s.get("start")), _ms(s.get("end"))))
    if topics:
        meta["topics"] = topics

    details = _gong_call_details(data, call_id)
    metadata = details.get("metaData") if isinstance(details.get("metaData"), dict) else {}
    if _text(metadata.get("title")):
        meta["title"] = _text(metadata.get("title"))
    started = _text(metadata.get("started")) or _text(metadata.get("scheduled"))
    if _ISO_DATE.match(started):
        meta["date"] = started[:10]
    parties = _items(data, "parties", "root") or _items(details, "parties", "calls[]")
    return pieces, _gong_speakers(parties), meta


def _gong_call_details(data: dict[str, Any], call_id: str) -> dict[str, Any]:
    """The ``calls[]`` entry (from /v2/calls/extensive) for this call id, else the first one."""
    calls = _items(data, "calls", "root")
    for c in calls:
        meta = c.get("metaData")
        if isinstance(meta, dict) and call_id and _text(meta.get("id")) == call_id:
            return c
    return calls[0] if calls else {}


def _gong_speakers(parties: list[dict[str, Any]]) -> list[Speaker]:
    speakers = []
    for p in parties:
        label = _text(p.get("speakerId")) or None
        if label is None:
            continue                      # invited but never spoke
        affiliation = _text(p.get("affiliation")).lower()
        speakers.append(Speaker(label=label, name=_text(p.get("name")) or None,
                                role=_ROLE_BY_AFFILIATION.get(affiliation),
                                title=_text(p.get("title")) or None))
    return speakers
