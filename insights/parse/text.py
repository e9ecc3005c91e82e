"""Plain-text transcripts: speaker turns, Otter, Zoom, Descript, speaker blocks, timestamp lines, Q&A, prose.

Each line is classified once (a turn ``Name: text``, a header ``Name  0:42``, a lone time, ...), then the format is
chosen from which kinds of line form a consistent structure: labels must look like a cast (they recur), so prose
with a colon never becomes a speaker. Text copied from a web page keeps only the conversation: lines before the
first turn are dropped, and after the last turn only paragraphs that still read like speech are kept.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from insights.errors import InsightsError
from insights.parse import Parsed
from insights.parse.clean import is_footer_line
from insights.records import Speaker, Utterance

# --- timestamps ---------------------------------------------------------------------------------------------

_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIME_ONLY = re.compile(rf"[\[(]?\s*({_TS})\s*[\])]?")
_LEAD_TS = re.compile(rf"[\[(]\s*({_TS})\s*[\])]\s*")
_LEAD_BARE_TS = re.compile(rf"({_TS})\s+(?=\S)")
_ZOOM_HEADER = re.compile(r"\[([^\[\]]{1,60})\]\s+(\d{1,2}:\d{2}:\d{2})")
_OTTER_HEADER = re.compile(rf"(\S.{{0,59}}?)(?:\s{{2,}}|\t+)({_TS})")
_LABEL_TS_HEADER = re.compile(rf"(\S.{{0,59}}?)\s*(?:[\[(]\s*({_TS})\s*[\])]|\s({_TS}))\s*:?")
_BOLD_TURN = re.compile(r"(\*\*|__)([^*_\n]{1,60}?)(?::\s*\1|\1\s*:)\s*(.*)")
_BOLD_HEADER = re.compile(rf"(\*\*|__)([^*_:\n]{{1,60}}?)\1\s*(?:[\[(]\s*({_TS})\s*[\])]|({_TS}))?\s*")
_PAREN_TS_TURN = re.compile(rf"([^:\[\]()]{{1,60}}?)\s*[\[(]\s*({_TS})\s*[\])]\s*:\s*(.*)")
_PLAIN_TURN = re.compile(r"([^:\n]{1,60}?)\s*:(?:\s+(.*)|\s*$)")
_WHOLE_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(\S(?:.*\S)?)\1")


def parse_time(text: str) -> float:
    """Seconds from ``M:SS``, ``MM:SS``, ``H:MM:SS`` with an optional ``.mmm`` or ``,mmm`` fraction."""
    text = text.strip().strip("[]()").strip().replace(",", ".")
    parts = text.split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


# --- labels -------------------------------------------------------------------------------------------------

_HONORIFICS = {"dr.", "mr.", "mrs.", "ms.", "mx.", "prof.", "sr.", "jr.", "st.", "rev.", "sir", "dame"}
_PARTICLES = {"de", "da", "di", "del", "della", "der", "den", "van", "von", "la", "le", "du", "dos", "das",
              "bin", "ibn", "al", "el", "ten", "ter", "y", "of", "and", "&"}
# Words that end in a colon in ordinary writing, or start a sentence, but never name a speaker.
_NOT_LABELS = {
    "note", "notes", "nb", "n.b.", "ps", "p.s.", "update", "edit", "warning", "caution", "tip", "tips", "example",
    "examples", "summary", "source", "sources", "subject", "re", "fw", "fwd", "from", "to", "cc", "bcc", "date",
    "time", "sent", "when", "where", "location", "agenda", "attendees", "participants", "present", "title",
    "episode", "transcript", "transcription", "tags", "tag", "category", "categories", "posted", "published",
    "updated", "author", "by", "length", "duration", "runtime", "link", "links", "website", "web", "email",
    "e-mail", "phone", "tel", "fax", "address", "price", "pricing", "cost", "important", "disclaimer",
    "reminder", "fact", "chapter", "part", "section", "step", "pros", "cons", "problem", "solution",
    "challenge", "result", "results", "goal", "goals", "objective", "objectives", "outcome", "action",
    "actions", "action items", "next steps", "benefits", "features", "bottom line", "tl;dr", "tldr", "faq",
    "share", "download", "listen", "watch", "read", "follow", "subscribe", "comments", "reply", "resources",
    "mentioned", "show notes", "timestamps", "chapters", "highlights", "key takeaways", "takeaways",
    "key takeaway", "takeaway", "action item", "next step", "fun fact", "pro tip", "quick tip", "side note",
    "fyi", "recap", "update", "status", "owner", "due", "deadline",
    "yes", "no", "yeah", "yep", "nope", "ok", "okay", "right", "sure", "well", "so", "and", "but", "or", "now",
    "then", "first", "second", "third", "finally", "also", "however", "remember", "look", "listen", "thanks",
    "hello", "hi", "hey", "bye", "great", "cool", "wow", "exactly", "absolutely", "perfect", "alright",
    "hmm", "mm-hmm", "uh", "um", "oh", "ah", "because", "why", "what", "how", "who", "which", "this", "that",
    "these", "those", "here", "there", "it", "we", "you", "they", "he", "she", "my", "our", "your", "the",
    "an", "in", "on", "at", "for", "with", "if", "as", "is", "are", "was", "do", "does", "did",
    # days and months (not April, May, June or August: those are people's names too)
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "july", "september", "october", "november", "december", "today", "tomorrow", "yesterday",
    "morning", "afternoon", "evening", "pm", "http", "https", "www", "mailto",
}
# Q&A write-ups and research interviews (I: interviewer, R: respondent) label roles, not people.
# "Episode 18:", "Part 2:", "Step 3:" number sections of a page, not voices ("Speaker 2:" is a voice).
_SECTION_WORDS = {"episode", "ep", "ep.", "chapter", "part", "section", "step", "season", "week", "day", "module",
                  "lesson", "phase", "round", "stage", "level", "option", "tier", "plan", "table", "figure", "fig",
                  "slide", "page", "item", "volume", "vol", "issue", "no", "number", "q1", "q2", "q3", "q4"}
_QA_LABELS = {"q": "Interviewer", "question": "Interviewer", "i": "Interviewer",
              "a": "Interviewee", "answer": "Interviewee", "r": "Interviewee", "respondent": "Interviewee"}
_NAME_WORD = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’.\-]*|[A-Z][A-Z0-9_]*|\d{1,3}|[A-Z]\.", re.U)
_GENERIC_LABEL = re.compile(
    r"(?:speaker|spk|person|participant|voice|unknown|caller|interviewer|interviewee|host|co-?host|guest|"
    r"moderator|panelist|agent|rep|prospect|customer|client|buyer|seller|narrator|announcer|intro|outro)"
    r"(?:[ _-]?[\w]{1,3})?|[A-Z]|SPEAKER_?\d+|S\d+", re.I)
_ROLE_WORDS = {
    "agent": "rep", "rep": "rep", "sales rep": "rep", "salesperson": "rep", "seller": "rep", "ae": "rep",
    "sdr": "rep", "bdr": "rep", "account executive": "rep", "prospect": "buyer", "customer": "buyer",
    "client": "buyer", "buyer": "buyer", "lead": "buyer", "host": "host", "co-host": "host", "cohost": "host",
    "interviewer": "host", "moderator": "host", "guest": "guest", "interviewee": "guest",
}


def is_label(text: str, *, bare: bool = False) -> bool:
    """Does ``text`` read as a speaker's name or tag: 1-4 capitalised or upper-case words, no sentence punctuation?

    ``bare`` is for a name on a line of its own with no colon, where ordinary short lines compete: a stricter test.
    """
    text = text.strip()
    if not text or len(text) > 40 or text.casefold() in _NOT_LABELS:
        return False
    if re.search(r"[?!,;:\"“”()\[\]{}<>/\\|*#@=+%$~^`]", text):
        return False
    words = text.split()
    core = [w for w in words if w.casefold() not in _HONORIFICS]
    if not core or len(core) > 4 or (bare and len(words) > 4):
        return False
    if words[0].casefold() in _PARTICLES or words[-1].casefold() in _PARTICLES or words[0].isdigit():
        return False
    if words[0].casefold() in _SECTION_WORDS:
        return False
    for w in words:
        lw = w.casefold()
        if lw in _HONORIFICS or (lw in _PARTICLES and w.islower()):
            continue
        if not _NAME_WORD.fullmatch(w):
            return False
        if w.endswith(".") and not re.fullmatch(r"[A-Z]\.", w):
            return False                      # "Thanks." is a sentence; "J." is an initial
    if bare and len(words) == 1 and words[0].isdigit():
        return False
    return True


def display_name(label: str) -> str | None:
    """The label as a display name when it is a person's name; None for tags like ``Speaker 1`` or ``A``."""
    if _GENERIC_LABEL.fullmatch(label) or label.casefold() in _ROLE_WORDS:
        return None
    if label.isupper() and len(label) > 3:
        return " ".join(w.capitalize() if w.isalpha() else w for w in label.split())
    return label


def role_for(label: str) -> str | None:
    """A role the label itself states (``agent``, ``Prospect``, ``Interviewer``), else None."""
    return _ROLE_WORDS.get(label.casefold())


# --- line classification ------------------------------------------------------------------------------------

@dataclass
class Line:
    """One source line and every way it could be read; the chosen format decides which reading counts."""

    no: int                                  # 1-based line number
    text: str                                # stripped
    time_only: float | None = None           # "0:42", "[00:01:02]"
    turn: tuple[str, float | None, str] | None = None     # label, time, text: "Name: [00:01:02] text"
    turn_style: str = ""                     # plain | bold
    header: tuple[str, float | None] | None = None        # label, time on a line of its own
    header_style: str = ""                   # zoom | otter | bold | colon | bare | timed
    ts_text: tuple[float, str] | None = None  # "[00:01:02] text" without a speaker
    bare_ts_text: tuple[float, str] | None = None  # "0:42 text": only a structure when most lines look so

    @property
    def blank(self) -> bool:
        return not self.text


def _clean_label(label: str) -> str:
    return re.sub(r"\s+", " ", label.strip().strip("*_").strip())


def classify(raw: str, no: int) -> Line:
    """Every structural reading of one line (most lines have none: they are spoken text)."""
    s = raw.strip()
    line = Line(no=no, text=s)
    if not s:
        return line
    m = _TIME_ONLY.fullmatch(s)
    if m and (s[0] in "[(") == (s[-1] in "])"):
        line.time_only = parse_time(m.group(1))
        return line
    m = _ZOOM_HEADER.fullmatch(s)
    if m and is_label(m.group(1)):
        line.header, line.header_style = (_clean_label(m.group(1)), parse_time(m.group(2))), "zoom"
        return line

    lead_time: float | None = None
    rest = s
    m = _LEAD_TS.match(s)
    if m:
        lead_time, rest = parse_time(m.group(1)), s[m.end():]
    else:
        m = _LEAD_BARE_TS.match(s)
        if m and (_BOLD_TURN.fullmatch(s[m.end():]) or _PLAIN_TURN.fullmatch(s[m.end():])):
            lead_time, rest = parse_time(m.group(1)), s[m.end():]     # "00:01:02 Name: text"
        elif m:
            line.bare_ts_text = (parse_time(m.group(1)), s[m.end():])

    m = _BOLD_TURN.fullmatch(rest)
    if m and is_label(m.group(2)):
        text, t = _split_lead_time(m.group(3))
        label = _clean_label(m.group(2))
        if text:
            line.turn, line.turn_style = (label, lead_time if lead_time is not None else t, text), "bold"
        else:
            line.header, line.header_style = (label, lead_time if lead_time is not None else t), "bold"
        return line
    m = _BOLD_HEADER.fullmatch(rest)
    if m and is_label(m.group(2)):
        t = m.group(3) or m.group(4)
        line.header = (_clean_label(m.group(2)), parse_time(t) if t else lead_time)
        line.header_style = "bold"
        return line
    m = _PAREN_TS_TURN.fullmatch(rest)
    if m and is_label(m.group(1)):
        label, t, text = _clean_label(m.group(1)), parse_time(m.group(2)), m.group(3).strip()
        if text:
            line.turn, line.turn_style = (label, t, text), "plain"
        else:
            line.header, line.header_style = (label, t), "timed"
        return line
    m = _PLAIN_TURN.fullmatch(rest)
    if m and is_label(m.group(1)):
        label = _clean_label(m.group(1))
        text, t = _split_lead_time(m.group(2) or "")
        t = lead_time if lead_time is not None else t
        if text:
            line.turn, line.turn_style = (label, t, text), "plain"
        else:
            line.header, line.header_style = (label, t), "colon"
        return line
    if lead_time is not None:
        line.ts_text = (lead_time, rest)
        return line
    m = _OTTER_HEADER.fullmatch(s)
    if m and is_label(m.group(1)):
        line.header, line.header_style = (_clean_label(m.group(1)), parse_time(m.group(2))), "otter"
        return line
    m = _LABEL_TS_HEADER.fullmatch(s)
    if m and is_label(m.group(1)):
        line.header = (_clean_label(m.group(1)), parse_time(m.group(2) or m.group(3)))
        line.header_style = "timed"
        return line
    if is_label(s, bare=True):
        line.header, line.header_style = (_clean_label(s), None), "bare"
    return line


def _split_lead_time(text: str) -> tuple[str, float | None]:
    """``[00:01:02] text`` -> (``text``, 62.0); text without a leading time comes back as it was."""
    text = text.strip()
    m = re.match(rf"[\[(]\s*({_TS})\s*[\])]\s*", text)
    if m:
        return text[m.end():].strip(), parse_time(m.group(1))
    return text, None


# --- structure detection ------------------------------------------------------------------------------------

@dataclass
class _Plan:
    """The chosen format: which lines start an utterance, and the span of lines that holds the conversation."""

    format: str
    starts: dict[int, tuple[str | None, float | None, str]]   # line index -> (speaker, time, text on that line)
    first: int
    last: int                                                 # index one past the last line kept
    annotations: set[int] = field(default_factory=set)        # "Speaker: agent" lines under timestamp cues
    qa_paragraphs: bool = False


def sniff(text: str) -> bool:
    """Plain text is the last resort: anything with content is worth a try."""
    return bool(text.strip())


def parse(text: str) -> Parsed:
    """Parse a plain-text transcript; raises E206 when it holds no conversation at all."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [classify(raw, no) for no, raw in enumerate(text.split("\n"), start=1)]
    content = [ln for ln in lines if not ln.blank]
    if not content:
        raise InsightsError.make("E206", "the text is empty")
    plan = (_plan_zoom(lines) or _plan_otter(lines) or _plan_labelled(lines) or _plan_timestamps(lines)
            or _plan_qa_paragraphs(lines) or _plan_paragraphs(lines))
    if plan is None:
        first = content[0]
        raise InsightsError.make(
            "E206", f"no speaker turns, timestamps or readable paragraphs in {_words(lines):,} words "
                    f"starting with {first.text[:40]!r}", line=first.no)
    utterances = _build(lines, plan)
    utterances = merge_same_speaker(utterances)
    if not utterances:
        raise InsightsError.make("E206", f"the {plan.format} structure holds no spoken text",
                                 line=lines[plan.first].no)
    meta: dict[str, object] = {}
    before = sum(1 for ln in lines[:plan.first] if not ln.blank)
    after = sum(1 for ln in lines[plan.last:] if not ln.blank and not is_footer_line(ln.text))
    if before:
        meta["dropped_lines_before"] = before
    if after:
        meta["dropped_lines_after"] = after
    return Parsed(format=plan.format, utterances=utterances, speakers=speakers_of(utterances), meta=meta)


def _words(lines: list[Line]) -> int:
    return sum(len(ln.text.split()) for ln in lines)


def _plan_zoom(lines: list[Line]) -> _Plan | None:
    """Zoom "save transcript": ``[Name] 11:02:09`` headers; wall-clock times become seconds from the first."""
    idx = [i for i, ln in enumerate(lines) if ln.header_style == "zoom"]
    if len(idx) < 2:
        return None
    starts: dict[int, tuple[str | None, float | None, str]] = {}
    base: float | None = None
    day = 0.0
    previous = 0.0
    for i in idx:
        label, clock = lines[i].header  # type: ignore[misc]
        assert clock is not None
        if base is None:
            base = clock
        if clock + day < previous - 12 * 3600:       # the meeting ran past midnight
            day += 24 * 3600
        previous = clock + day
        starts[i] = (label, previous - base, "")
    return _Plan("zoom-txt", starts, idx[0], _end_of_conversation(lines, idx[-1], starts))


def _plan_otter(lines: list[Line]) -> _Plan | None:
    """Otter.ai export: ``Name  0:42`` (two or more spaces before the time) on its own line, then the text."""
    idx = [i for i, ln in enumerate(lines) if ln.header_style == "otter" and _text_follows(lines, i)]
    if len(idx) < 2:
        return None
    starts = {i: (lines[i].header[0], lines[i].header[1], "") for i in idx}  # type: ignore[index]
    return _Plan("otter", starts, idx[0], _end_of_conversation(lines, idx[-1], starts))


def _plan_labelled(lines: list[Line]) -> _Plan | None:
    """Speaker turns on one line, speaker lines above blocks, bold Descript labels or Q:/A: prefixes."""
    annotations = _annotation_lines(lines)
    inline = [(i, ln.turn[0]) for i, ln in enumerate(lines) if ln.turn and i not in annotations]
    headers = [(i, ln.header[0]) for i, ln in enumerate(lines)
               if ln.header and ln.header_style in {"bold", "colon", "timed"} and _text_follows(lines, i)]
    bare = [(i, ln.header[0]) for i, ln in enumerate(lines)
            if ln.header_style == "bare" and _bare_header_context(lines, i) and _text_follows(lines, i)]

    qa = [(i, lab) for i, lab in inline if lab.casefold() in _QA_LABELS]
    if len(qa) >= 2 and {_QA_LABELS[lab.casefold()] for _, lab in qa} == {"Interviewer", "Interviewee"}:
        others = [c for c in _cast(inline, lines) if c[1].casefold() not in _QA_LABELS]
        if len(qa) >= len(others):
            starts = {i: (_QA_LABELS[lab.casefold()], lines[i].turn[1], lines[i].turn[2])  # type: ignore[index]
                      for i, lab in qa}
            last = max(starts)
            return _Plan("qa-interview", starts, min(starts), _end_of_conversation(lines, last, starts))

    # A label ending in a colon (or with its time) is a turn whether its text is on the same line or below.
    labelled = _cast(sorted(inline + headers), lines)
    blocks = _cast(bare, lines, strong=False)
    timed_cues = sum(1 for ln in lines if ln.time_only is not None or ln.ts_text is not None)
    best = max(labelled, blocks, key=len)
    if len(best) < 2 or len(best) * 10 < timed_cues:
        return None
    spelling: dict[str, str] = {}          # one spelling per voice: the first seen ("KRISTA", then "Krista")
    starts = {}
    for i, label in best:
        ln = lines[i]
        name = spelling.setdefault(label.casefold(), label)
        if ln.turn:
            starts[i] = (name, ln.turn[1], ln.turn[2])
        else:
            starts[i] = (name, ln.header[1], "")  # type: ignore[index]
    styles = {lines[i].turn_style or lines[i].header_style for i, _ in best}
    on_own_line = sum(1 for i, _ in best if lines[i].turn is None)
    if "bold" in styles:
        fmt = "descript"
    elif on_own_line * 2 > len(best):
        fmt = "speaker-block"
    else:
        fmt = "speaker-turns"
    last = max(starts)
    return _Plan(fmt, starts, min(starts), _end_of_conversation(lines, last, starts))


def _plan_timestamps(lines: list[Line]) -> _Plan | None:
    """Machine transcripts: a time on its own line (or leading the text), text below; no speakers.

    Under each cue a ``Speaker: agent`` line, when present, names the speaker of that cue.
    """
    annotations = _annotation_lines(lines)
    starts: dict[int, tuple[str | None, float | None, str]] = {}
    bare = [i for i, ln in enumerate(lines) if ln.bare_ts_text is not None]
    use_bare = len(bare) >= 3 and len(bare) * 2 >= sum(1 for ln in lines if not ln.blank)
    for i, ln in enumerate(lines):
        if ln.time_only is not None and _text_follows(lines, i):
            starts[i] = (None, ln.time_only, "")
        elif ln.ts_text is not None:
            starts[i] = (None, ln.ts_text[0], ln.ts_text[1])
        elif use_bare and ln.bare_ts_text is not None:
            starts[i] = (None, ln.bare_ts_text[0], ln.bare_ts_text[1])
    if len(starts) < 2:
        return None
    last = max(starts)
    return _Plan("timestamp-lines", starts, min(starts), _end_of_conversation(lines, last, starts),
                 annotations=annotations)


def _plan_qa_paragraphs(lines: list[Line]) -> _Plan | None:
    """Interviews written as Q&A without labels: short question paragraphs, each followed by an answer."""
    paras = _paragraphs(lines)
    if len(paras) < 4:
        return None
    is_q = [_is_question(lines, p) for p in paras]
    questions = sum(is_q)
    answered = sum(1 for k, q in enumerate(is_q) if q and k + 1 < len(is_q) and not is_q[k + 1])
    if questions < 2 or answered < 0.75 * questions or not 0.2 <= questions / len(paras) <= 0.6:
        return None
    # An interviewer asks "you"; an interviewee answers "I"/"we". A blog's rhetorical subheadings rarely do both.
    first_q = is_q.index(True)
    asked = [_paragraph_text(lines, p) for p, q in zip(paras, is_q) if q]
    answers = [_paragraph_text(lines, p) for p, q in zip(paras[first_q:], is_q[first_q:]) if not q]
    if (sum(1 for t in asked if _YOU.search(t)) * 2 < len(asked)
            or sum(1 for t in answers if _FIRST_PERSON.search(t)) * 2 < len(answers)):
        return None
    starts: dict[int, tuple[str | None, float | None, str]] = {}
    previous: str | None = None
    for para, q in zip(paras[first_q:], is_q[first_q:]):
        speaker = "Interviewer" if q else "Interviewee"
        if speaker != previous:
            starts[para[0]] = (speaker, None, "")
            previous = speaker
    last_para = _trailing_speech(lines, paras[first_q:])
    return _Plan("qa-interview", starts, paras[first_q][0], last_para, qa_paragraphs=True)


def _plan_paragraphs(lines: list[Line]) -> _Plan | None:
    """Prose with no speakers and no times: one utterance a paragraph, if there is enough real language."""
    sample = "\n".join(ln.text for ln in lines)[:200_000]      # enough to judge, cheap on a 20 MB file
    words = sample.split()
    wordlike = [w for w in words if re.search(r"[^\W\d_]{2,}", w)]
    chars = "".join(words)
    letters = sum(c.isalpha() for c in chars)
    longest = max((len(ln.text.split()) for ln in lines), default=0)
    if len(wordlike) < 12 or not chars or letters / len(chars) < 0.6 or longest < 6:
        return None
    paras = _paragraphs(lines)
    starts = {p[0]: (None, None, "") for p in paras if not all(is_footer_line(lines[i].text) for i in p)}
    if not starts:
        return None
    return _Plan("paragraphs", starts, paras[0][0], paras[-1][-1] + 1)


# --- helpers for detection ----------------------------------------------------------------------------------

def _text_follows(lines: list[Line], i: int) -> bool:
    """The next non-blank line (skipping a lone time) is spoken text, not another header."""
    for k in range(i + 1, len(lines)):
        ln = lines[k]
        if ln.blank:
            continue
        if ln.time_only is not None and lines[i].header is not None and lines[i].header[1] is None:
            continue                      # "Travis:" / "0:00" / text (Podcasting 2.0 HTML)
        return ln.header is None and ln.time_only is None and not is_footer_line(ln.text)
    return False


def _bare_header_context(lines: list[Line], i: int) -> bool:
    """A name alone on a line starts a block only after a blank line (or at the top), never under a time."""
    prev = lines[i - 1] if i > 0 else None
    return prev is None or prev.blank


def _annotation_lines(lines: list[Line]) -> set[int]:
    """``Speaker: agent`` lines that close a timestamp cue (a dataset author's labels), when there are several."""
    found = set()
    for i, ln in enumerate(lines):
        if ln.turn and ln.turn[0].casefold() == "speaker" and len(ln.turn[2].split()) <= 3 and i > 0:
            prev = lines[i - 1]
            if not prev.blank and prev.time_only is None and prev.header is None:
                found.add(i)
    return found if len(found) >= 2 else set()


def _cast(cands: list[tuple[int, str]], lines: list[Line], strong: bool = True) -> list[tuple[int, str]]:
    """The candidate turns whose labels form a cast: recurring labels, plus one-off voices inside their span.

    ``strong`` candidates end in a colon; bare names on a line alone only count when they recur.
    """
    if len(cands) < 2:
        return []
    counts = Counter(lab.casefold() for _, lab in cands)
    cast = {lab for lab, c in counts.items() if c >= 2}
    if not cast:
        if strong and len(counts) >= 2 and len(cands) * 10 >= 6 * sum(1 for ln in lines if not ln.blank):
            return cands                  # "Alice: hi / Bob: hello": every line a turn
        return []
    accepted = [(i, lab) for i, lab in cands if lab.casefold() in cast]
    if strong:
        lo, hi = accepted[0][0], accepted[-1][0]
        ones = [(i, lab) for i, lab in cands if counts[lab.casefold()] == 1]
        accepted += [c for c in ones if lo < c[0] < hi]
        # A voice heard once right before the first or after the last turn (an announcer, a sign-off).
        inside = {i for i, _ in accepted}
        for i, lab in ones:
            if i in inside:
                continue
            if _adjacent(lines, i, lo) or _adjacent(lines, hi, i):
                accepted.append((i, lab))
        accepted.sort()
    if len(accepted) < 2:
        return []
    labels = {lab.casefold() for _, lab in accepted}
    lo, hi = accepted[0][0], accepted[-1][0]
    starts = {i for i, _ in accepted}
    paragraphs_in_span = sum(1 for k in range(lo, hi + 1) if not lines[k].blank
                             and (k == 0 or lines[k - 1].blank or k in starts))
    if len(labels) < 2 and (len(accepted) < 3 or len(accepted) * 2 < paragraphs_in_span):
        return []                         # one label only: a monologue must at least be mostly turns
    if len(accepted) < 8 and len(accepted) * 100 < 15 * paragraphs_in_span:
        return []                         # a few "Label: text" lines in a long essay are not a conversation
    return accepted


def _adjacent(lines: list[Line], a: int, b: int) -> bool:
    """Line ``b`` is the next turn after line ``a``: only the text of ``a``'s own paragraph lies between them."""
    if a >= b:
        return False
    k = a + 1
    while k < b and not lines[k].blank:   # a's own paragraph (a header's text under it counts too)
        k += 1
    if lines[a].header is not None:
        while k < b and lines[k].blank:
            k += 1
        while k < b and not lines[k].blank:
            k += 1
    return all(ln.blank for ln in lines[k:b])


def _paragraphs(lines: list[Line]) -> list[list[int]]:
    """Indexes of non-blank lines grouped by blank lines."""
    paras: list[list[int]] = []
    current: list[int] = []
    for i, ln in enumerate(lines):
        if ln.blank:
            if current:
                paras.append(current)
                current = []
        else:
            current.append(i)
    if current:
        paras.append(current)
    return paras


_YOU = re.compile(r"\b(you|your|yours|you're|you've|you'd|you'll)\b", re.I)
_FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|I'll|me|my|mine|we|we're|we've|we'd|we'll|us|our|ours)\b", re.I)


def _paragraph_text(lines: list[Line], para: list[int]) -> str:
    return " ".join(lines[i].text for i in para)


def _is_question(lines: list[Line], para: list[int]) -> bool:
    """A short paragraph ending in "?" or wholly in bold/italics (a question set off by the writer)."""
    text = _paragraph_text(lines, para)
    words = len(text.split())
    if words > 60:
        return False
    m = _WHOLE_EMPHASIS.fullmatch(text)
    if m and not m.group(2).startswith(("*", "_")):
        return True
    return text.rstrip("*_ ").endswith("?")


_FURNITURE = re.compile(
    r"\b(subscribe|share (this|on)|related (posts?|articles?|episodes?)|leave a (comment|reply|review)|"
    r"about the (author|host|guest|podcast|show)|posted (in|on|by)|filed under|tags?:|categor(y|ies)|"
    r"copyright|©|all rights reserved|newsletter|sign up|follow us|listen on|download|previous episode|"
    r"next episode|read more|comments?|privacy policy|cookie|terms of (use|service)|back to top|"
    r"you (may|might) also like|more episodes|apple podcasts|spotify|stitcher|rss)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*$")


def is_plausible_speech(paragraph: str) -> bool:
    """A trailing paragraph that still reads like speech: full sentences, not a heading, button or promo."""
    words = paragraph.split()
    if len(words) < 8 or not _SENTENCE_END.search(paragraph):
        return False
    if len(words) < 25 and _FURNITURE.search(paragraph):
        return False
    return not is_footer_line(paragraph)


def _end_of_conversation(lines: list[Line], last_start: int,
                         starts: dict[int, tuple[str | None, float | None, str]]) -> int:
    """One past the last line of the conversation: the last turn's first paragraph, then more paragraphs only
    while they read like speech. A short heading-like line ("Subscribe to Updates") ends it.

    When turns follow each other with no blank line between them, each line is a paragraph.
    """
    # A "[00:51:38] text" line after the last labelled turn still continues it.
    last_start = max([last_start] + [i for i in range(last_start, len(lines)) if lines[i].ts_text is not None])
    text_started = bool(starts[last_start][2]) if last_start in starts else True
    one_line_paragraphs = _turns_touch(lines, starts)
    i = last_start + 1
    while i < len(lines):                 # the last turn's own paragraph (for a header: its first text block)
        ln = lines[i]
        wrapped = i > 0 and _wraps(lines[i - 1], ln)
        if text_started and (ln.blank or (one_line_paragraphs and not wrapped)):
            break
        if is_footer_line(ln.text):
            break
        if not ln.blank and ln.time_only is None:
            text_started = True
        i += 1
    end = i
    rest = lines[end:]
    paras = _paragraphs(rest)
    if one_line_paragraphs:               # each line a paragraph, unless it is the wrapped tail of a sentence
        paras = []
        for k, ln in enumerate(rest):
            if ln.blank:
                continue
            prev = rest[k - 1] if k else lines[end - 1]
            if paras and _wraps(prev, ln):
                paras[-1].append(k)
            else:
                paras.append([k])
    for para in paras:
        if not is_plausible_speech(" ".join(rest[k].text for k in para)):
            break
        i = end + para[-1] + 1
    return i


def _wraps(prev: Line, line: Line) -> bool:
    """``line`` carries on the sentence ``prev`` broke off (a hard-wrapped line), rather than starting anew.

    A short line without a full stop followed by a capitalised one is a heading ("Head of Content"), not a wrap.
    """
    if prev.blank or line.blank or _SENTENCE_END.search(prev.text):
        return False
    return len(prev.text.split()) >= 6 or line.text[:1].islower()


def _turns_touch(lines: list[Line], starts: dict[int, tuple[str | None, float | None, str]]) -> bool:
    """Most turns start right under the previous line, with no blank line between: lines are paragraphs."""
    later = sorted(starts)[1:]
    touching = sum(1 for i in later if not lines[i - 1].blank)
    return bool(later) and touching * 2 > len(later)


def _trailing_speech(lines: list[Line], paras: list[list[int]]) -> int:
    """For Q&A prose: the answer after the last question keeps its first paragraph, then speech-like ones."""
    last_q = max(k for k, p in enumerate(paras) if _is_question(lines, p))
    if last_q + 1 >= len(paras):
        return paras[last_q][-1] + 1
    end = paras[last_q + 1][-1] + 1
    for p in paras[last_q + 2:]:
        if not is_plausible_speech(" ".join(lines[i].text for i in p)):
            break
        end = p[-1] + 1
    return end


# --- building utterances ------------------------------------------------------------------------------------

def _build(lines: list[Line], plan: _Plan) -> list[Utterance]:
    """Walk the conversation span once: a start opens an utterance, other lines are its text."""
    out: list[Utterance] = []
    speaker: str | None = None
    start: float | None = None
    paras: list[list[str]] = []
    is_open = False
    labelled = plan.format not in {"timestamp-lines", "paragraphs"}

    def flush() -> None:
        nonlocal is_open
        text = "\n".join(" ".join(p) for p in paras if p).strip()
        if is_open and text:
            out.append(Utterance(index=len(out), speaker=speaker, text=text, start=start))
        is_open = False

    for i in range(plan.first, plan.last):
        ln = lines[i]
        if i in plan.starts:
            flush()
            speaker, start, first_text = plan.starts[i]
            if plan.qa_paragraphs:
                first_text = _unwrap_question(ln.text) if speaker == "Interviewer" else ln.text
            elif plan.format == "paragraphs":
                first_text = ln.text
            paras = [[first_text]] if first_text else [[]]
            is_open = True
            continue
        if ln.blank:
            if paras and paras[-1]:
                paras.append([])
            continue
        if is_footer_line(ln.text):
            continue
        if i in plan.annotations:
            speaker = ln.turn[2].strip()  # type: ignore[index]
            continue
        if ln.time_only is not None:
            if is_open and start is None and not any(paras):
                start = ln.time_only      # "Travis:" then "0:00" then text
            continue                      # a time with no text of its own is structure, not speech
        if labelled and ln.ts_text is not None and is_open:
            flush()                       # "[00:00:30] text" continues the same speaker from a new time
            start, paras, is_open = ln.ts_text[0], [[ln.ts_text[1]]], True
            continue
        if plan.qa_paragraphs and speaker == "Interviewer":
            paras[-1].append(_unwrap_question(ln.text))
            continue
        if not is_open:
            continue
        paras[-1].append(ln.text)
    flush()
    return out


def _unwrap_question(text: str) -> str:
    m = _WHOLE_EMPHASIS.fullmatch(text.strip())
    return m.group(2) if m else text


def merge_same_speaker(utterances: list[Utterance]) -> list[Utterance]:
    """Join consecutive utterances of one known speaker into one turn: first start, last end, texts joined."""
    merged: list[Utterance] = []
    for u in utterances:
        prev = merged[-1] if merged else None
        if prev is not None and u.speaker is not None and u.speaker == prev.speaker:
            merged[-1] = Utterance(index=prev.index, speaker=prev.speaker, text=f"{prev.text} {u.text}",
                                   start=prev.start if prev.start is not None else u.start,
                                   end=u.end if u.end is not None else prev.end)
        else:
            merged.append(Utterance(index=len(merged), speaker=u.speaker, text=u.text, start=u.start, end=u.end))
    return merged


def speakers_of(utterances: list[Utterance]) -> list[Speaker]:
    """One Speaker per label, in order of first appearance, named when the label is a name."""
    seen: dict[str, Speaker] = {}
    for u in utterances:
        if u.speaker is not None and u.speaker not in seen:
            seen[u.speaker] = Speaker(label=u.speaker, name=display_name(u.speaker), role=role_for(u.speaker))
    return list(seen.values())
