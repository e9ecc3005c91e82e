"""Web pages and Markdown documents with a transcript inside.

HTML: page furniture (scripts, navigation, headers, footers, sidebars) is removed, block elements become
paragraphs, and the text goes to the plain-text parser, which finds the conversation and trims what is left of
the page around it. Markdown: only documents whose speaker labels are wrapped in Markdown (``*Frank:*``,
``- **Frank:** text``, ``### Frank``) are handled here; the labels are unwrapped, the spoken text is kept as it is
(links become their text), and the plain-text parser does the rest.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag
from bs4.element import CData

from insights.errors import InsightsError
from insights.parse import Parsed
from insights.parse import text as plain

# --- HTML ---------------------------------------------------------------------------------------------------

_HTML_TAGS = {
    "html", "head", "body", "title", "meta", "link", "script", "style", "div", "span", "p", "br", "hr", "a",
    "b", "i", "em", "strong", "u", "small", "sup", "sub", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3",
    "h4", "h5", "h6", "table", "thead", "tbody", "tr", "td", "th", "img", "figure", "figcaption", "section",
    "article", "main", "nav", "header", "footer", "aside", "blockquote", "pre", "code", "cite", "time", "q",
    "form", "input", "button", "label", "iframe", "audio", "video", "source", "noscript", "svg", "abbr", "mark",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_DROP = ["script", "style", "noscript", "template", "head", "nav", "header", "footer", "aside", "form", "button",
         "select", "input", "textarea", "svg", "canvas", "iframe", "audio", "video", "object", "embed", "menu"]
_BLOCK = {"p", "div", "section", "article", "main", "body", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3",
          "h4", "h5", "h6", "blockquote", "pre", "table", "thead", "tbody", "tfoot", "tr", "figure", "figcaption",
          "address", "details", "summary", "hr", "center", "fieldset", "caption"}
# cite/time stand alone in Podcasting 2.0 HTML (<cite>Travis:</cite><time>0:00</time><p>...</p>); inside a
# paragraph they are ordinary inline text.
_STANDALONE_INLINE = {"cite", "time"}
_CONTAINERS = {"[document]", "body", "div", "section", "article", "main", "html"}
_FURNITURE_CLASS = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|navigation|menu|sidebar|breadcrumbs?|share|sharing|social|related|comments?|"
    r"newsletter|subscribe|cookies?|widget|advert|ads|promo|banner|popup|modal)(?:$|[-_\s])", re.I)


def sniff_html(text: str) -> bool:
    """HTML by content: a doctype or <html>/<body>, or lines that are mostly known tags."""
    head = text.lstrip()[:2000].lower()
    if head.startswith(("<!doctype html", "<html")):
        return True
    tags = [m.group(2).lower() for m in _TAG.finditer(text[:200000])]
    known = [t for t in tags if t in _HTML_TAGS]
    if len(known) < 3:
        return False
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    tag_lines = sum(1 for ln in lines if (m := _TAG.match(ln)) and m.group(2).lower() in _HTML_TAGS)
    if head.startswith("<") and re.search(r"<body\b", text[:20000], re.I):
        return True                       # a page saved without its doctype
    # A fragment: most lines are elements. (Markdown with an HTML snippet in a code block is not.)
    return head.startswith("<") and tag_lines * 10 >= 4 * len(lines)


def html_to_text(html: str) -> tuple[str, dict[str, str]]:
    """The readable text of a page, one paragraph per block element, and the page's title and date if stated."""
    soup = BeautifulSoup(html, "html.parser")
    meta = _page_meta(soup)
    for tag in soup(_DROP):
        tag.decompose()
    total = len(soup.get_text(" ", strip=True)) or 1
    for tag in soup.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        marks = " ".join([tag.get("id") or ""] + list(tag.get("class") or []) + [tag.get("role") or ""])
        if _FURNITURE_CLASS.search(marks) and len(tag.get_text(" ", strip=True)) * 2 < total:
            tag.decompose()
    pieces: list[str] = []
    _render(soup, pieces)
    raw = "".join(pieces)
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in raw.split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return out, meta


def _render(root: Tag, out: list[str]) -> None:
    """Append the text of ``root``'s children to ``out``, block elements set off by blank lines.

    A walk with an explicit stack rather than recursion: a page nested thousands of elements deep (generated or
    broken markup) must not exhaust Python's call stack.
    """
    stack: list[str | tuple[Tag, object]] = [(root, c) for c in reversed(list(root.children))]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node, child = item
        if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction, CData)):
            continue
        if isinstance(child, NavigableString):
            out.append(re.sub(r"\s+", " ", str(child)))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name == "br":
            out.append("\n")
        elif name == "pre":
            out.append("\n\n" + child.get_text() + "\n\n")
        elif name == "tr":
            out.append("\n\n" + _row_text(child) + "\n\n")
        else:
            block = name in _BLOCK or (name in _STANDALONE_INLINE and node.name in _CONTAINERS)
            if block:
                out.append("\n\n")
                stack.append("\n\n")      # emitted after the children, which sit above it on the stack
            stack.extend((child, c) for c in reversed(list(child.children)))


def _row_text(row: Tag) -> str:
    """A table row as a turn: ``Name | 00:01:02 | text`` reads as ``Name: [00:01:02] text``."""
    found = row.find_all(["td", "th"])
    if found and all(c.name == "th" for c in found):
        return ""                         # a header row: "Speaker | Time | Text" is not a turn
    cells = [re.sub(r"\s+", " ", c.get_text(" ", strip=True)) for c in found]
    cells = [c for c in cells if c]
    out: list[str] = []
    for k, cell in enumerate(cells):
        if re.fullmatch(r"[\[(]?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?[\])]?", cell):
            out.append(cell if cell.startswith(("[", "(")) else f"[{cell}]")
        elif k == 0 and len(cells) > 1 and plain.is_label(cell.rstrip(":")):
            out.append(cell.rstrip(":") + ":")
        else:
            out.append(cell)
    return " ".join(out)


def _page_meta(soup: BeautifulSoup) -> dict[str, str]:
    """Title (og:title, <title>, first <h1>) and publication date (YYYY-MM-DD only) when the page states them."""
    meta: dict[str, str] = {}
    og = soup.find("meta", attrs={"property": "og:title"})
    title = og.get("content") if isinstance(og, Tag) else None
    if not title and soup.title and soup.title.string:
        title = soup.title.string
    if not title and (h1 := soup.find("h1")):
        title = h1.get_text(" ", strip=True)
    if title and str(title).strip():
        meta["title"] = re.sub(r"\s+", " ", str(title)).strip()
    published = soup.find("meta", attrs={"property": "article:published_time"})
    stamp = published.get("content") if isinstance(published, Tag) else None
    if not stamp and (t := soup.find("time", attrs={"datetime": True})):
        stamp = t.get("datetime")
    if stamp and (m := re.match(r"\d{4}-\d{2}-\d{2}", str(stamp))):
        meta["date"] = m.group(0)
    return meta


# --- Markdown -----------------------------------------------------------------------------------------------

_MD_STRUCTURE = re.compile(
    r"^(?:#{1,6}\s+\S|>\s?|\s*[-*+]\s+\S|\s*\d+[.)]\s+\S|(?:=+|-{3,}|\*{3,}|_{3,})\s*$|```)|\[[^\]\n]+\]\([^)\n]+\)",
    re.M)
_EMPH = r"(?:\*\*|__|\*|_)"
# A label wrapped in emphasis at the start of a line, after an optional list/quote marker or leading time:
# "**Frank:** text", "*Frank*: text", "- __Frank:__ text", "> **[00:01:02] Frank:** text".
_MD_LABEL = re.compile(
    rf"^(?P<lead>\s*(?:(?:[-*+]|\d+[.)]|>)\s+)*(?:[\[(][\d:.,]+[\])]\s*)?)"
    rf"(?P<open>{_EMPH})(?P<inner>[^*_\n:]{{1,60}}?)(?P<colon1>:?)(?P=open)(?P<colon2>\s*:)?(?P<rest>.*)$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?=\S)")
_MD_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_MD_RULE = re.compile(r"^\s*(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|=+)\s*$")
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^()\n]|\([^)\n]*\))*\)")
_MD_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s+\S+.*$")
_MD_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^>\s]+)>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _md_label_lines(text: str) -> tuple[int, bool]:
    """How many lines carry a Markdown-wrapped speaker label, and whether plain text could not read them alone."""
    count = 0
    needs_help = False
    headings: list[str] = []
    for line in text.split("\n"):
        m = _MD_LABEL.match(line)
        if m and plain.is_label(m.group("inner")) and (m.group("colon1") or m.group("colon2")
                                                        or not m.group("rest").strip()):
            count += 1
            if m.group("open") in {"*", "_"} or m.group("lead").strip(" [](:.,0123456789"):
                needs_help = True         # single emphasis or a list/quote marker: text.py reads neither
            continue
        h = _MD_HEADING.match(line)
        if h and plain.is_label(h.group(1).strip("*_ ").rstrip(":")):
            headings.append(h.group(1).strip("*_ ").rstrip(":").casefold())
            continue
        body = _MD_QUOTE.sub("", _MD_LIST.sub("", line, count=1), count=1)
        if body != line and re.match(r"[^:\n]{1,40}:\s+\S", body) and plain.is_label(body.split(":", 1)[0]):
            count += 1
            needs_help = True
    # "### Frank" names a speaker only when it recurs; "### Introduction" once is a section heading.
    recurring = [h for h in headings if headings.count(h) >= 2]
    if len(recurring) >= 2 and len(set(recurring)) >= 2:
        count += len(recurring)
        needs_help = True
    return count, needs_help


def sniff_markdown(text: str) -> bool:
    """Markdown whose speaker turns need unwrapping first; plain Descript-style ``**Name:**`` stays with text."""
    labels, needs_help = _md_label_lines(text)
    if labels < 2:
        return False
    return needs_help or bool(_MD_STRUCTURE.search(text))


def markdown_to_text(md: str) -> str:
    """Markdown as plain text: labels unwrapped, markers and link targets dropped, spoken words left alone."""
    md = _HTML_COMMENT.sub("", md)
    out: list[str] = []
    in_fence = False
    for line in md.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(line)
            continue
        if _MD_RULE.match(line) or _MD_REF_DEF.match(line):
            out.append("")
            continue
        h = _MD_HEADING.match(line)
        if h:
            out.extend(["", _unwrap_label(h.group(1).strip()), ""])
            continue
        line = _MD_QUOTE.sub("", line, count=1)
        line = _MD_LIST.sub("", line, count=1)
        line = _unwrap_label(line)
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_REF_LINK.sub(r"\1", line)
        line = _MD_AUTOLINK.sub(r"\1", line)
        out.append(line.rstrip())
    return "\n".join(out)


def _unwrap_label(line: str) -> str:
    """``**Frank:** text`` -> ``Frank: text``; ``**Frank**`` alone -> ``Frank``; other lines as they are."""
    m = _MD_LABEL.match(line)
    if not m or not plain.is_label(m.group("inner")):
        return line
    colon = ":" if (m.group("colon1") or m.group("colon2")) else ""
    rest = m.group("rest")
    if not colon and rest.strip() and not re.match(r"\s*[\[(][\d:.,]+[\])]\s*$", rest):
        return line                       # "**Important** point" is emphasis in speech, not a label
    lead = m.group("lead")
    sep = " " if rest and not rest.startswith(" ") else ""
    return f"{lead}{m.group('inner').strip()}{colon}{sep}{rest}".rstrip()


# --- entry points -------------------------------------------------------------------------------------------

def sniff(text: str) -> bool:
    return sniff_html(text) or sniff_markdown(text)


def parse(text: str) -> Parsed:
    """Parse an HTML page or a Markdown document; the format names the inner layout, e.g. ``html:speaker-turns``."""
    if sniff_html(text):
        body, meta = html_to_text(text)
        kind = "html"
    else:
        body, meta = markdown_to_text(text), {}
        kind = "markdown"
    if not body.strip():
        raise InsightsError.make("E206", f"the {kind} holds no text outside scripts, menus and page furniture")
    try:
        inner = plain.parse(body)
    except InsightsError as err:
        err.line = None                   # a line of the converted text would mislead about the source file
        raise
    return Parsed(format=f"{kind}:{inner.format}", utterances=inner.utterances, speakers=inner.speakers,
                  meta={**meta, **inner.meta})
