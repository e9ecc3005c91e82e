"""Linguistic features of a sentence, beside its embedding: the cues meaning alone blurs.

MiniLM places "I'd like a demo" near "it's like a fingerprint"; the tagger tells the verb ``like`` from the
preposition. Negation, questions, person and cue words separate a stated problem from advice about one.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Span

FILLERS = {"um", "uh", "uhm", "erm", "hmm", "mm", "mhm", "mm-hmm", "uh-huh", "yeah", "yes", "yep", "ok", "okay",
           "right", "sure", "so", "like", "you", "know", "i", "mean", "well", "oh", "ah", "great", "cool",
           "totally", "exactly", "absolutely", "got", "it", "sounds", "good", "perfect", "gotcha", "no", "alright",
           "all", "thanks", "thank", "nice", "wow", "true", "correct", "definitely", "awesome"}

_LEX = {
    "pain": re.compile(r"\b(problem|issue|struggl\w*|pain\w*|frustrat\w*|headache|nightmare|hard|difficult|"
                       r"tough|waste\w*|wasting|lose|losing|lost|miss\w*|broken|break\w*|fail\w*|slow|behind|"
                       r"manual\w*|mess\w*|chaos|stuck|stress\w*|burn\w*|overwhelm\w*|can't|cannot|unable|"
                       r"no (?:idea|visibility|time|way)|too (?:much|many|long)|never|drown\w*|blind|"
                       r"killing|kills|hurt\w*|risk\w*|churn\w*|complain\w*|bottleneck|backlog|short-?staffed)\b",
                       re.I),
    "objection": re.compile(r"\b(expensive|pric\w*|cost\w*|budget\w*|afford\w*|discount\w*|cheaper|pay\w*|"
                            r"contract|commit\w*|not sure|unsure|concern\w*|worr\w*|hesita\w*|skeptic\w*|"
                            r"doubt\w*|risk\w*|convinc\w*|already (?:have|use|using|got)|happy with|"
                            r"next (?:quarter|year|month|week)|later|not (?:now|ready|the right time)|"
                            r"run it by|sign-?off|approv\w*|security|complian\w*|legal|overkill|"
                            r"don't (?:need|think|see|want)|not (?:convinced|comfortable|interested)|"
                            r"why would|what if|guarantee\w*|proof|prove)\b", re.I),
    "reported": re.compile(r"\b(says?|said|saying|told|tells|keeps? (?:saying|asking|telling)|complain\w*|"
                           r"argue\w*|push(?:es|ed)? back)\b", re.I),
    "hedge": re.compile(r"\b(not sure|i don't know|maybe|i guess|i suppose|kind of|sort of|i think|probably)\b",
                        re.I),
    "contrast": re.compile(r"\b(but|however|although|though|yet|except)\b", re.I),
    "as_if": re.compile(r"\b(as if|as though)\b", re.I),
    "think_of": re.compile(r"\b(think of (?:it|this|that|us|them) as|imagine|picture (?:this|it)|"
                           r"it's (?:basically|essentially) a|the \w+ of (?:the )?\w+)\b", re.I),
    "advice": re.compile(r"^\s*(?:so,? )?(?:you (?:should|need to|have to|want to|gotta)|make sure|"
                         r"don't|always|never let|try to|start by|the key is|my advice)\b", re.I),
    "solution": re.compile(r"\b(we (?:solved|fixed|built|automat\w+)|that's why we|the way we|"
                           r"we help|helps you|lets you|we take care|out of the box)\b", re.I),
}

# No sentence-length feature: the bank's analogies run longer than its negatives, and a length cue then
# extrapolates to any long sentence in a real call.
FEATURE_NAMES = (
    "is_question", "first_person", "second_person", "third_person", "negation", "like_prep",
    "like_verb", "as_if", "think_of", "comparative", "pain_lex", "objection_lex", "reported", "hedge",
    "contrast", "filler_ratio", "backchannel", "past_tense", "modal", "exclamation", "number", "advice",
    "solution",
)


def sentence_features(span: "Span") -> np.ndarray:
    """A fixed-length vector of cues for one sentence (see FEATURE_NAMES)."""
    text = span.text
    words = [t for t in span if not t.is_punct and not t.is_space]
    n = max(len(words), 1)
    lowers = [t.lower_ for t in words]
    like_prep = like_verb = 0
    for t in span:
        if t.lower_ == "like":
            prev = t.doc[t.i - 1].lower_ if t.i > 0 else ""
            if t.tag_ in ("VB", "VBP", "VBD", "VBZ") or prev in {"would", "'d", "d"}:
                like_verb += 1
            elif t.doc[t.i - 1].lemma_ in {"look", "sound"} if t.i > 0 else False:
                continue  # "looks like we're on track", "sounds like a plan": inference, not comparison
            elif t.tag_ == "IN" and prev not in _NOT_COMPARING and not _filler_like(t):
                like_prep += 1
    f = {
        "is_question": float(text.rstrip().endswith("?")),
        "first_person": float(any(w in {"i", "we", "our", "my", "us", "me", "i'm", "we're"} for w in lowers)),
        "second_person": float(any(w in {"you", "your", "you're"} for w in lowers)),
        "third_person": float(any(w in {"they", "their", "them", "he", "she", "his", "her"} for w in lowers)),
        "negation": float(any(t.lower_ in {"not", "n't", "never", "no", "nothing", "nobody", "none", "cannot"}
                              for t in span)),
        "like_prep": float(min(like_prep, 2)),
        "like_verb": float(min(like_verb, 2)),
        "as_if": float(bool(_LEX["as_if"].search(text))),
        "think_of": float(bool(_LEX["think_of"].search(text))),
        "comparative": float(any(t.tag_ in ("JJR", "RBR") for t in span)),
        "pain_lex": float(min(len(_LEX["pain"].findall(text)), 3)),
        "objection_lex": float(min(len(_LEX["objection"].findall(text)), 3)),
        "reported": float(bool(_LEX["reported"].search(text))),
        "hedge": float(bool(_LEX["hedge"].search(text))),
        "contrast": float(bool(_LEX["contrast"].search(text))),
        "filler_ratio": sum(w in FILLERS for w in lowers) / n,
        "backchannel": float(n <= 6 and all(w in FILLERS for w in lowers)),
        "past_tense": float(any(t.tag_ in ("VBD", "VBN") for t in span)),
        "modal": float(any(t.tag_ == "MD" for t in span)),
        "exclamation": float("!" in text),
        "number": float(any(t.like_num for t in span)),
        "advice": float(bool(_LEX["advice"].search(text))),
        "solution": float(bool(_LEX["solution"].search(text))),
    }
    return np.array([f[name] for name in FEATURE_NAMES], dtype=np.float32)


# Words before "like" that make it a filler, a quotative or an example rather than a comparison:
# "there's like that tension", "having like a meeting", "was like, no way", "things like pricing".
_NOT_COMPARING = {",", "um", "uh", "just", "and", "so", "but", "or", "there's", "theres", "having", "have", "do",
                  "did", "does", "something", "things", "stuff", "anything", "everything",
                  "kinda", "maybe", "really"}


def _filler_like(tok) -> bool:
    """``like`` between commas or before a number is a filler: "it was, like, three weeks"."""
    doc = tok.doc
    nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    prev = doc[tok.i - 1] if tok.i > 0 else None
    return (nxt is not None and (nxt.text == "," or nxt.like_num)) or (prev is not None and prev.text == ",")


def fired(span: "Span") -> list[str]:
    """Names of the binary cues present, for the human-readable reason of an insight."""
    v = sentence_features(span)
    skip = {"filler_ratio"}
    return [name for name, x in zip(FEATURE_NAMES, v) if name not in skip and x > 0]
