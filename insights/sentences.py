"""Sentences with their place in the transcript: the unit the extractor classifies.

spaCy's statistical sentence recogniser splits punctuated speech; long unpunctuated ASR runs are cut further
at pauses in the text (commas, ``and``/``but``/``so``) so that a quote stays short.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from insights.records import Transcript

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc, Span

MIN_CONTENT_WORDS = 3   # fewer words that are not fillers: a back-channel, never an insight
MAX_WORDS = 45          # longer "sentences" are unpunctuated ASR runs: split them


@dataclass(frozen=True)
class Sentence:
    transcript: Transcript
    utterance: int
    start: int          # character offsets inside the utterance text
    end: int
    span: "Span"        # spaCy tokens, for linguistic features

    @property
    def text(self) -> str:
        return self.transcript.utterances[self.utterance].text[self.start:self.end]

    @property
    def speaker(self) -> str | None:
        return self.transcript.utterances[self.utterance].speaker


def parse_utterances(t: Transcript, nlp: "Language", batch_size: int = 128) -> list["Doc"]:
    """Every utterance parsed once; roles, personas and sentences all read these docs (parsing is the costliest
    step after embedding, so it is never repeated for the same call)."""
    return list(nlp.pipe((u.text for u in t.utterances), batch_size=batch_size))


def split_sentences(transcripts: Iterable[Transcript], nlp: "Language", batch_size: int = 128,
                    n_process: int = 1) -> Iterator[Sentence]:
    pairs = [(u.text, (t, u.index)) for t in transcripts for u in t.utterances]
    for doc, (t, index) in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size, n_process=n_process):
        yield from _doc_sentences(t, index, doc)


def sentences_of(t: Transcript, docs: Sequence["Doc"]) -> list[Sentence]:
    """The sentences of one call from its already parsed utterances."""
    return [s for index, doc in enumerate(docs) for s in _doc_sentences(t, index, doc)]


def _doc_sentences(t: Transcript, index: int, doc: "Doc") -> Iterator[Sentence]:
    for sent in doc.sents:
        for piece in _short_pieces(sent):
            if piece.text.strip():
                yield Sentence(t, index, piece.start_char, piece.end_char, piece)


_BREAK_WORDS = {"and", "but", "so", "because", "cause", "then", "or"}


def _short_pieces(sent: "Span") -> list["Span"]:
    """Split a run-on span at a comma or conjunction near its middle until each piece is short enough."""
    words = [t for t in sent if not t.is_punct]
    if len(words) <= MAX_WORDS:
        return [_trim(sent)]
    doc = sent.doc
    mid = sent.start + len(sent) // 2
    best = None
    for offset in range(0, len(sent) // 2 - 3):
        for i in (mid - offset, mid + offset):
            if sent.start + 3 < i < sent.end - 3:
                tok = doc[i]
                if tok.text == "," or tok.lower_ in _BREAK_WORDS:
                    best = i + 1 if tok.text == "," else i
                    break
        if best:
            break
    best = best or mid
    return _short_pieces(doc[sent.start:best]) + _short_pieces(doc[best:sent.end])


def _trim(span: "Span") -> "Span":
    """Drop leading punctuation/space tokens so a quote starts on a word."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (doc[start].is_space or doc[start].text in {",", ";", "-", "—", "–", "..."}):
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    return doc[start:end]


_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


def is_candidate(sentence: Sentence) -> bool:
    """Cheap filter before embedding: enough words that are not fillers or back-channels."""
    from insights.features import FILLERS

    words = re.findall(r"[A-Za-z']+", sentence.text.lower())
    return sum(w not in FILLERS for w in words) >= MIN_CONTENT_WORDS
