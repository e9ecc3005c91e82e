"""Buyer personas: load the editable catalogue, and give each buyer or guest one persona with its evidence.

Evidence is tried from the most to the least reliable, and the first that decides wins:

1. ``metadata_title``: the job title in the metadata, matched against each persona's ``title_patterns``;
2. ``self_introduction`` / ``introduced_by_other``: the words that follow an introduction in the transcript
   ("I'm the CFO", "I head up security", "Greg Lindqvist, head of revenue operations") matched against the
   same patterns. The title must sit right after the introduction (only words like "the", "senior", "head of"
   may come between) and be followed by the end of the phrase or a word like "at", "for", "here", so that
   "I'm worried about security" is not taken for a security lead;
3. ``similarity``: the mean embedding of what the speaker says (sentences of 8 words or more) compared with each
   persona's description and concerns (centred: see DEFAULT_THRESHOLD); personas the speaker names as someone
   else ("my CFO will ask") are ruled out; the best must clear a threshold AND beat the runner-up by a margin;
4. otherwise ``unassigned`` with method ``none``.

When several personas' patterns match one title the longest match wins ("Sales Operations Manager": revops'
``sales op(eration)?s`` beats sales_leader's ``sales``).
"""
from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from insights.errors import InsightsError
from insights.records import UNASSIGNED, Persona, PersonaAssignment, SpeakerRole, Transcript

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

    from insights.nlp import Embedder

BUYER_SIDE = ("buyer", "guest")
# Similarity is a CENTRED cosine: the mean of all persona vectors is subtracted from the persona's and from the
# speaker's vector, so the talk every buyer shares (pricing, demos, "the pipeline") cancels out. On the sample
# corpus right answers scored 0.08-0.43 with margins 0.05-0.35; wrong ones had margins of 0.07 or less.
ON_TOPIC = 0.40             # plain cosine to the best persona: below, the speaker talked about something else
DEFAULT_THRESHOLD = 0.05     # the best persona's centred cosine must reach this ...
DEFAULT_MARGIN = 0.05        # ... and beat the runner-up by this much, else the speaker stays unassigned
MIN_SENTENCE_WORDS = 8       # shorter sentences are back-channels and logistics: they say nothing of the persona
MIN_SENTENCES = 3            # fewer long sentences than this is too little to judge by meaning
MAX_SIMILARITY_SENTENCES = 48  # a speaker's meaning is judged on at most this many sentences, spread over the call
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_CATALOGUE_HINT = "each [[persona]] needs key, name, description, title_patterns (regexes) and concerns; " \
                  "see the comments at the top of pipelines/personas.toml"


# --- the catalogue -------------------------------------------------------------------------------------------

def load_catalogue(path: str | Path) -> list[Persona]:
    """Read and check a persona catalogue (TOML, ``[[persona]]`` tables). Raises InsightsError E501 with the line."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InsightsError.make("E501", f"cannot read the persona catalogue: {exc.strerror or exc}", file=name,
                                 hint="give the path of a personas.toml, e.g. pipelines/personas.toml")
    except UnicodeDecodeError as exc:
        raise InsightsError.make("E501", f"the persona catalogue is not UTF-8 ({exc.reason})", file=name,
                                 hint="save the file as UTF-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InsightsError.make("E501", f"the persona catalogue is not valid TOML: {exc}", file=name,
                                 line=int(m.group(1)) if m else None,
                                 hint="check quotes and brackets on that line; write regexes as '...' literal "
                                      "strings so backslashes need no escaping")
    return parse_catalogue(data, text, name)


def parse_catalogue(data: dict, text: str = "", name: str = "<catalogue>") -> list[Persona]:
    """Check parsed TOML and build Persona records; ``text`` gives line numbers for the messages."""
    tables = data.get("persona")
    if not isinstance(tables, list) or not tables or not all(isinstance(p, dict) for p in tables):
        raise InsightsError.make("E501", "the persona catalogue has no [[persona]] tables", file=name,
                                 hint=_CATALOGUE_HINT)
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip().startswith("[[persona]]")]
    personas: list[Persona] = []
    seen: dict[str, int] = {}
    for n, table in enumerate(tables):
        line = starts[n] if n < len(starts) else None

        def fail(detail: str, at: int | None = line) -> InsightsError:
            return InsightsError.make("E501", f"persona #{n + 1} ({table.get('key', 'no key')}): {detail}",
                                      file=name, line=at, hint=_CATALOGUE_HINT)

        for fld in ("key", "name", "description"):
            if not isinstance(table.get(fld), str) or not table[fld].strip():
                raise fail(f"missing or empty field {fld!r} (a text)")
        key = table["key"].strip()
        if not _KEY.match(key):
            raise fail(f"key {key!r} must be lowercase letters, digits and underscores, starting with a letter")
        if key in seen:
            raise fail(f"key {key!r} is used twice (first by persona #{seen[key] + 1})")
        seen[key] = n
        for fld in ("title_patterns", "concerns"):
            value = table.get(fld)
            if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
                raise fail(f"missing or empty field {fld!r} (a list of texts)")
        for pattern in table["title_patterns"]:
            try:
                re.compile(pattern, re.I)
            except re.error as exc:
                raise fail(f"title pattern {pattern!r} is not a valid regular expression ({exc.msg})",
                           at=_line_of(text, pattern, line))
        personas.append(Persona(key=key, name=table["name"].strip(), description=" ".join(table["description"].split()),
                                title_patterns=tuple(table["title_patterns"]),
                                concerns=tuple(c.strip() for c in table["concerns"])))
    return personas


def _line_of(text: str, needle: str, default: int | None) -> int | None:
    for i, line in enumerate(text.splitlines()):
        if needle in line:
            return i + 1
    return default


# --- titles --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TitleMatch:
    persona: str
    start: int
    end: int
    pattern: str


def match_title(title: str, catalogue: Sequence[Persona]) -> TitleMatch | None:
    """The persona whose pattern matches the title most specifically (longest match; catalogue order on ties)."""
    best: TitleMatch | None = None
    for persona in catalogue:
        for pattern in persona.title_patterns:
            for m in re.finditer(pattern, title, re.I):
                if m.end() == m.start():
                    continue
                if best is None or (m.end() - m.start()) > (best.end - best.start):
                    best = TitleMatch(persona.key, m.start(), m.end(), pattern)
    return best


# Words that may stand between an introduction and the title, or follow the title within it.
_TITLE_WORDS = {"the", "a", "an", "our", "their", "your", "new", "interim", "acting", "current", "senior", "sr",
                "global", "head", "of", "vp", "svp", "evp", "vice", "president", "director", "manager", "lead",
                "chief", "deputy", "associate", "assistant", "principal", "executive", "officer", "team", "group",
                "department", "function", "whole", "all", "and", "&", "co", "-", "over", "up", "for", "here"}
# Words that may complete a title after the matched part ("IT director", "finance team", "security lead").
_TITLE_TAIL = {"director", "manager", "lead", "leader", "officer", "team", "group", "department", "function", "head",
               "executive", "admin", "administrator", "specialist", "analyst", "person", "guy", "side", "operations",
               "ops", "engineer", "partner", "owner"}
# What may follow a title inside the captured phrase: where they work, or the end of the clause.
_AFTER_TITLE = re.compile(r"^(?:,.*|[\s,]*(?:(?:at|of|for|from|with|here|over|on|in|who|and|so|joining|too|as well|"
                          r"now|today|by the way|actually)\b.*)?)?$", re.I | re.S)
_NAME = r"(?P<name>(?-i:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)(?: (?-i:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?))?)"
_PHRASE = r"(?P<phrase>[^.?!;:,\n]{1,80})"   # a clause: "Helen, our CFO, is joining" -> "our CFO"
_I_AM = r"\bI(?:'m|’m| am)"

_SELF = [
    re.compile(_I_AM + r",? (?:" + _NAME + r",? (?:and )?(?:I(?:'m|’m| am) |I'm also )?)?" + _PHRASE, re.I),
    re.compile(r"\bI (?:run|lead|head(?: up)?|own|manage|oversee|look after|handle|work in|sit in|sit on|"
               r"am in charge of|am responsible for|'m in charge of|'m responsible for)\b,? " + _PHRASE, re.I),
    re.compile(r"\bmy (?:title|role|job) is (?:officially )?" + _PHRASE, re.I),
    re.compile(r"\b(?:as|being) (?:the|a|an) " + _PHRASE, re.I),
    re.compile(r"\b" + _NAME + r" here,? (?:the |our )?" + _PHRASE),
]
# Introductions whose words name a role without a title: turned into a title the patterns know.
_SELF_IMPLIED = [
    (re.compile(r"\bI (?:co-?)?founded\b[^.?!]{0,40}|\bI started (?:the|this|my|our) (?:company|business)\b|"
                r"\bwhen I (?:co-?)?founded\b", re.I), "founder"),
]
_OTHER = [
    # "Greg Lindqvist, head of revenue operations at Freightline" / "Helen, our CFO, is joining"
    re.compile(_NAME + r", (?:who(?:'s| is) )?" + _PHRASE),
    # "Helen is our CFO" / "Sanjay's the head of IT"
    re.compile(_NAME + r"(?: is|'s) (?:our|the|their|your) " + _PHRASE),
    # "Sanjay, who heads up security" / "Jordan runs RevOps"
    re.compile(_NAME + r",? (?:who |she |he )?(?:runs|leads|heads(?: up)?|owns|manages|oversees|looks after)\b,? "
               + _PHRASE),
    # "Jordan from RevOps" / "Erin in IT"
    re.compile(_NAME + r" (?:from|in|on) (?:the |our )?" + _PHRASE),
    # "our CFO, Helen Park," / "their head of security Sanjay"
    re.compile(r"\b(?:our|their|my|your) (?P<phrase>(?:[\w&-]+ ){0,4}?[\w&-]+),? " + _NAME + r"\b"),
]


def title_in_phrase(phrase: str, catalogue: Sequence[Persona], *, whole: bool = False) -> TitleMatch | None:
    """A title at the head of the words after an introduction, and nothing but title words around it."""
    m = match_title(phrase, catalogue)
    if m is None:
        return None
    before = re.findall(r"[\w&-]+", phrase[:m.start])
    if any(w.lower() not in _TITLE_WORDS for w in before):
        return None
    rest = phrase[m.end:]
    words = re.findall(r"[\w&'-]+|,", rest)
    i = 0
    while i < len(words) and words[i].lower() in _TITLE_TAIL:
        i += 1
    tail = " ".join(words[i:])
    if whole:
        return m if not tail else None
    return m if _AFTER_TITLE.match(tail) else None


# --- speakers' names -----------------------------------------------------------------------------------------

_GENERIC_LABEL = re.compile(r"^(?:speaker[ _-]?\w+|spk[ _-]?\w+|[A-Z]|\d+|unknown|guest|host|interviewer|"
                            r"interviewee|participant\s*\d*)$", re.I)
_SELF_NAME = (re.compile(r"\b(?:I(?:'m|’m| am)|this is|my name is|it's)\s+" + _NAME + r"\b"),
              re.compile(r"^(?:hi|hey|hello)?[, ]*" + _NAME + r" here\b", re.I))


def speaker_names(t: Transcript) -> dict[str, set[str]]:
    """Lower-case names (full and first) that refer to each speaker: metadata, a name-like label, or "I'm Helen"."""
    names: dict[str, set[str]] = {s.label: set() for s in t.speakers}
    for s in t.speakers:
        for n in (s.name, s.label):
            if n and not _GENERIC_LABEL.match(n.strip()):
                names[s.label] |= {n.lower(), n.split()[0].lower()}
    unnamed = {label for label, ns in names.items() if not ns}
    for u in t.utterances:
        if u.speaker in unnamed:
            for m in (m for pat in _SELF_NAME for m in pat.finditer(u.text)):
                n = m.group("name")
                if n and n.split()[0].lower() not in {"not", "sure", "just", "really", "here", "so"}:
                    names[u.speaker] |= {n.lower(), n.split()[0].lower()}
    return names


def _who(name: str, names: dict[str, set[str]]) -> str | None:
    n = name.lower()
    hits = [label for label, ns in names.items() if n in ns or n.split()[0] in ns]
    return hits[0] if len(hits) == 1 else None


# --- assignment ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Intro:
    persona: str
    method: str
    quote: str


def find_introductions(t: Transcript, catalogue: Sequence[Persona],
                       speakers: Iterable[str | None]) -> dict[str | None, list[_Intro]]:
    """Introductions of the given speakers, by themselves or by others, with the verbatim words."""
    wanted = set(speakers)
    names = speaker_names(t)
    found: dict[str | None, list[_Intro]] = {s: [] for s in wanted}
    for u in t.utterances:
        if u.speaker in wanted:
            for pat in _SELF:
                for m in pat.finditer(u.text):
                    hit = title_in_phrase(m.group("phrase"), catalogue)
                    named = m.groupdict().get("name")
                    if named and u.speaker is not None and _who(named, names) not in (None, u.speaker):
                        continue    # "I'm with Helen, our CFO" is about someone else
                    if hit:
                        found[u.speaker].append(_Intro(hit.persona, "self_introduction", _quote(u.text, m)))
            for pat, implied in _SELF_IMPLIED:
                for m in pat.finditer(u.text):
                    hit = match_title(implied, catalogue)
                    if hit:
                        found[u.speaker].append(_Intro(hit.persona, "self_introduction", _quote(u.text, m)))
        if u.speaker is None:
            continue
        for pat in _OTHER:
            for m in pat.finditer(u.text):
                target = _who(m.group("name"), names)
                if target is None or target == u.speaker or target not in wanted:
                    continue
                phrase = m.group("phrase")
                # "our CFO, Helen": the title is the whole phrase; elsewhere it leads the phrase
                hit = title_in_phrase(phrase, catalogue, whole=pat is _OTHER[-1])
                if hit:
                    found[target].append(_Intro(hit.persona, "introduced_by_other", _quote(u.text, m)))
    return found


def assign_personas(t: Transcript, roles: Sequence[SpeakerRole], catalogue: Sequence[Persona],
                    embedder: "Embedder", *, threshold: float = DEFAULT_THRESHOLD, margin: float = DEFAULT_MARGIN,
                    nlp: "Language | None" = None, docs: Sequence["Doc"] | None = None) -> list[PersonaAssignment]:
    """One PersonaAssignment per buyer/guest speaker (or one for the buyer side of an unlabelled transcript).
    ``docs``: the utterances already parsed (one per utterance), reused instead of parsing again."""
    labelled = any(r.speaker is not None for r in roles)
    if labelled:
        targets: list[str | None] = [r.speaker for r in roles if r.speaker is not None and r.role in BUYER_SIDE]
        said = {s: [u.index for u in t.utterances if u.speaker == s] for s in targets}
    else:
        side = {r.utterance for r in roles if r.speaker is None and r.role in BUYER_SIDE}
        targets = [None] if roles else []
        said = {None: [u.index for u in t.utterances if u.index in side]}
    texts = {s: [t.utterances[i].text for i in idx] for s, idx in said.items()}
    if not targets:
        return []
    intros = _intros_unlabelled(t, catalogue, side) if not labelled else find_introductions(t, catalogue, targets)
    out: list[PersonaAssignment] = []
    pending: list[str | None] = []
    for s in targets:
        sp = t.speaker(s) if s is not None else None
        if sp is not None and sp.title:
            hit = match_title(sp.title, catalogue)
            if hit:
                out.append(PersonaAssignment(t.id, s, hit.persona, 0.95, "metadata_title",
                                             f"job title {sp.title!r} in the call's metadata"))
                continue
        if intros.get(s):
            out.append(_from_intros(t.id, s, intros[s]))
            continue
        pending.append(s)
    if pending:
        if docs is None:
            from insights.nlp import load_spacy
            from insights.sentences import parse_utterances

            docs = parse_utterances(t, nlp or load_spacy())
        sentences = {s: long_sentences([docs[i] for i in said.get(s, [])]) for s in pending}
        out.extend(_by_similarity(t, pending, texts, sentences, catalogue, embedder, threshold, margin))
    order = {s: i for i, s in enumerate(targets)}
    return sorted(out, key=lambda a: order[a.speaker])


def _intros_unlabelled(t: Transcript, catalogue: Sequence[Persona], side: set[int | None]) -> dict[None, list[_Intro]]:
    """No labels: only self-introductions in utterances judged to be the buyer side can count."""
    sub = [u for u in t.utterances if u.index in side]
    found: list[_Intro] = []
    for u in sub:
        for pat in _SELF:
            for m in pat.finditer(u.text):
                hit = title_in_phrase(m.group("phrase"), catalogue)
                if hit:
                    found.append(_Intro(hit.persona, "self_introduction", _quote(u.text, m)))
    return {None: found}


def _from_intros(tid: str, speaker: str | None, intros: list[_Intro]) -> PersonaAssignment:
    """Self-introductions outrank others' words; among equals the persona named most often wins."""
    own = [i for i in intros if i.method == "self_introduction"] or intros
    votes = Counter(i.persona for i in own)
    persona, n = votes.most_common(1)[0]
    first = next(i for i in own if i.persona == persona)
    conflict = len(votes) > 1
    conf = (0.9 if first.method == "self_introduction" else 0.85) - (0.2 if conflict else 0.0)
    extra = f" (+{n - 1} more)" if n > 1 else ""
    if conflict:
        extra += "; other introductions: " + ", ".join(f"{k}×{v}" for k, v in votes.items() if k != persona)
    return PersonaAssignment(tid, speaker, persona, round(conf, 3), first.method, f'"{first.quote}"{extra}')


def _by_similarity(t: Transcript, speakers: list[str | None], texts: dict[str | None, list[str]],
                   sentences: dict[str | None, list[str]], catalogue: Sequence[Persona], embedder: "Embedder",
                   threshold: float, margin: float) -> list[PersonaAssignment]:
    proto = persona_vectors(catalogue, embedder)
    centre = proto.mean(axis=0)
    proto_c = _unit_rows(proto - centre)
    out = []
    for s in speakers:
        sents = sentences.get(s, [])
        if len(sents) < MIN_SENTENCES:
            out.append(PersonaAssignment(t.id, s, UNASSIGNED, 0.0, "none",
                                         f"no title, no introduction, and only {len(sents)} sentence(s) of "
                                         f"{MIN_SENTENCE_WORDS}+ words to judge by meaning"))
            continue
        vec = embedder.embed(sents).mean(axis=0)
        vec = vec / (np.linalg.norm(vec) or 1.0)
        # Centred: what every persona shares (talk about buying B2B software) is removed from both sides, so the
        # comparison rests on what tells the personas apart.
        sims = proto_c @ _unit_rows((vec - centre)[None, :])[0]
        plain = float((proto @ vec).max())
        others = colleagues_titles(texts.get(s, []), catalogue)
        keys = [p.key for p in catalogue]
        for key in others:
            sims[keys.index(key)] = -1.0
        if len(others) >= len(catalogue):
            others = set()
        order = np.argsort(-sims)
        best, second = int(order[0]), int(order[1]) if len(order) > 1 else None
        b = float(sims[best])
        r = float(sims[second]) if second is not None else 0.0
        figures = (f"centred cosine {b:.2f} to {catalogue[best].key}"
                   + (f" vs {r:.2f} to {catalogue[second].key}" if second is not None else "")
                   + f" over {len(sents)} sentences (threshold {threshold:.2f}, margin {margin:.2f})")
        figures += f"; plain cosine {plain:.2f} (on topic from {ON_TOPIC:.2f})"
        if others:
            figures += "; not " + ", ".join(f"{k} ({q!r} is someone else)" for k, q in others.items())
        if b >= threshold and b - r >= margin and plain >= ON_TOPIC:
            conf = round(min(0.8, 0.4 + 2.0 * (b - r)), 3)
            out.append(PersonaAssignment(t.id, s, catalogue[best].key, conf, "similarity", figures))
        else:
            out.append(PersonaAssignment(t.id, s, UNASSIGNED, 0.0, "none", "too close to call by meaning: " + figures))
    return out


_COLLEAGUE = re.compile(r"\b(?:my|our) ((?:[\w&-]+ ?){1,4})", re.I)
_PERSON_WORD = re.compile(r"^(?:(?-i:C[A-Z]{1,2}O)|chief|head|director|vp|manager|officer|lead|leader|admin|"
                          r"administrator|controller|comptroller|founder|co-?founder|owner|president|treasurer)$", re.I)


def colleagues_titles(texts: Iterable[str], catalogue: Sequence[Persona]) -> dict[str, str]:
    """Personas the speaker names as someone else's job ("my CFO", "our IT director"): not the speaker's own.

    Only job titles count (a word like CFO, director, head, admin ends the phrase): "our CRM" or "my marketing
    team" name things, not people."""
    out: dict[str, str] = {}
    for text in texts:
        for m in _COLLEAGUE.finditer(text):
            words = m.group(1).split()
            for n in range(len(words), 0, -1):
                phrase = " ".join(words[:n])
                if not _PERSON_WORD.match(words[n - 1].rstrip("'’s")) and not _PERSON_WORD.match(words[n - 1]):
                    continue
                hit = title_in_phrase(phrase, catalogue, whole=True)
                if hit:
                    out.setdefault(hit.persona, f"{m.group(0).split()[0]} {phrase}")
                    break
    return out


def _unit_rows(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)


def persona_vectors(catalogue: Sequence[Persona], embedder: "Embedder") -> np.ndarray:
    """One unit vector per persona: the mean of its description's and its concerns' embeddings."""
    rows = []
    for p in catalogue:
        v = embedder.embed([p.description, *p.concerns]).mean(axis=0)
        rows.append(v / (np.linalg.norm(v) or 1.0))
    return np.vstack(rows).astype(np.float32)


def long_sentences(docs: Iterable["Doc"], limit: int | None = None) -> list[str]:
    """Sentences long enough to carry meaning (back-channels and logistics are short); at most ``limit`` of them
    (MAX_SIMILARITY_SENTENCES by default), spread evenly over the call: the mean of 48 sentences is as settled as
    the mean of 300, and embedding all of a talkative buyer's sentences would cost seconds per call."""
    limit = MAX_SIMILARITY_SENTENCES if limit is None else limit
    out = []
    for doc in docs:
        for sent in doc.sents:
            if sum(1 for tok in sent if not tok.is_punct and not tok.is_space) >= MIN_SENTENCE_WORDS:
                out.append(" ".join(sent.text.split()))
    if len(out) <= limit:
        return out
    step = len(out) / limit
    return [out[int(i * step)] for i in range(limit)]


def _quote(text: str, m: re.Match[str]) -> str:
    """The verbatim words of an introduction, cut at the end of its clause."""
    s = text[m.start():m.end()]
    return " ".join(s.split())[:120]
