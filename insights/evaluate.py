"""Score extraction against hand labels: precision, recall and F1 per kind.

Gold: JSON Lines ``{"kind", "quote", "speaker", "borderline"}`` in ``<transcript stem>.gold.jsonl`` beside the
transcript. A prediction matches a gold item of the same kind when their character spans overlap by at least half
of the gold span and at least 30% of the predicted span; each gold item and each prediction match once; gold items
marked borderline are neither required nor penalised.
"""
from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from insights.errors import InsightsError
from insights.parse import SKIP_SUFFIXES, load_transcript
from insights.records import INSIGHT_KINDS, Insight, Transcript

GOLD_SUFFIX = ".gold.jsonl"
MIN_GOLD_COVER = 0.5
MIN_PRED_COVER = 0.3


@dataclass(frozen=True)
class GoldItem:
    kind: str
    quote: str
    speaker: str | None
    borderline: bool
    span: tuple[int, int]            # global character span in the transcript (see ``offsets``)
    line: int


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    ignored: int = 0                 # predictions that matched only borderline items
    misses: list = field(default_factory=list)
    false_alarms: list = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def offsets(t: Transcript) -> list[int]:
    """Start of each utterance in the transcript's text (utterances joined by one newline)."""
    out, pos = [], 0
    for u in t.utterances:
        out.append(pos)
        pos += len(u.text) + 1
    return out


def find_transcript(gold: Path) -> Path:
    stem = gold.name[: -len(GOLD_SUFFIX)]
    for candidate in sorted(gold.parent.glob(f"{glob.escape(stem)}.*")):
        name = candidate.name
        if candidate != gold and not name.endswith(SKIP_SUFFIXES) and candidate.suffix:
            if candidate.name[len(stem):].count(".") == 1:
                return candidate
    raise InsightsError.make("E101", f"no transcript named {stem}.* beside the gold file", file=str(gold))


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-"})


def _normalised_index(text: str) -> tuple[str, list[int]]:
    """Text with whitespace runs collapsed and curly quotes straightened, plus a map back to original offsets."""
    chars, where = [], []
    prev_space = False
    for i, c in enumerate(text.translate(_QUOTES)):
        if c.isspace():
            if prev_space:
                continue
            c, prev_space = " ", True
        else:
            prev_space = False
        chars.append(c.lower())
        where.append(i)
    return "".join(chars), where


def locate(t: Transcript, quote: str, speaker: str | None) -> tuple[int, int] | None:
    """Global span of a quote, preferring utterances of the named speaker."""
    starts = offsets(t)
    needle, _ = _normalised_index(quote.strip())
    order = sorted(range(len(t.utterances)), key=lambda i: not _same_speaker(t, i, speaker))
    for i in order:
        hay, where = _normalised_index(t.utterances[i].text)
        k = hay.find(needle)
        if k >= 0:
            return starts[i] + where[k], starts[i] + where[k + len(needle) - 1] + 1
    return None


def _same_speaker(t: Transcript, i: int, speaker: str | None) -> bool:
    if not speaker:
        return False
    label = t.utterances[i].speaker
    s = t.speaker(label)
    names = {x.casefold() for x in (label, s.name if s else None) if x}
    return speaker.casefold() in names


def load_gold(gold: Path, t: Transcript) -> list[GoldItem]:
    items = []
    for n, line in enumerate(gold.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            kind, quote = obj["kind"], obj["quote"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InsightsError.make("E201", f"gold label: {exc}", file=str(gold), line=n,
                                     hint='each line must be {"kind", "quote", "speaker", "borderline"}')
        if kind not in INSIGHT_KINDS:
            raise InsightsError.make("E501", f"gold kind {kind!r} is not one of {', '.join(INSIGHT_KINDS)}",
                                     file=str(gold), line=n)
        span = locate(t, quote, obj.get("speaker"))
        if span is None:
            raise InsightsError.make("E206", f"gold quote not found verbatim in {t.source}: {quote[:60]!r}",
                                     file=str(gold), line=n,
                                     hint="copy the quote from `insights show` output of the transcript")
        items.append(GoldItem(kind, quote, obj.get("speaker"), bool(obj.get("borderline")), span, n))
    return items


def prediction_span(t: Transcript, ins: Insight) -> tuple[int, int]:
    base = offsets(t)[ins.utterance]
    return base + ins.span[0], base + ins.span[1]


def score(gold: Sequence[GoldItem], predicted: Sequence[tuple[int, int, str, str]], kinds=INSIGHT_KINDS
          ) -> dict[str, Score]:
    """Match predictions ``(start, end, quote, kind)`` to gold items of their kind; greedy by overlap, one-to-one."""
    return {kind: _score_kind([g for g in gold if g.kind == kind], [p for p in predicted if p[3] == kind])
            for kind in kinds}


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _matches(g: tuple[int, int], p: tuple[int, int]) -> int:
    ov = _overlap(g, p)
    if ov >= MIN_GOLD_COVER * (g[1] - g[0]) and ov >= MIN_PRED_COVER * (p[1] - p[0]) and ov > 0:
        return ov
    return 0


def _score_kind(gold: list[GoldItem], preds: list[tuple]) -> Score:
    s = Score()
    pairs = sorted(((_matches(g.span, (p[0], p[1])), gi, pi) for gi, g in enumerate(gold)
                    for pi, p in enumerate(preds)), reverse=True)
    used_g, used_p = set(), set()
    for ov, gi, pi in pairs:
        if ov == 0:
            break
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        if gold[gi].borderline:
            s.ignored += 1
        else:
            s.tp += 1
    for gi, g in enumerate(gold):
        if gi not in used_g and not g.borderline:
            s.fn += 1
            s.misses.append(g.quote)
    for pi, p in enumerate(preds):
        if pi not in used_p:
            # a prediction overlapping a borderline item already matched elsewhere is not an error either
            if any(_matches(g.span, (p[0], p[1])) for g in gold if g.borderline):
                s.ignored += 1
            else:
                s.fp += 1
                s.false_alarms.append(p[2])
    return s


def merge(scores: Iterable[dict[str, Score]]) -> dict[str, Score]:
    total = {k: Score() for k in INSIGHT_KINDS}
    for sc in scores:
        for k, s in sc.items():
            t = total[k]
            t.tp += s.tp
            t.fp += s.fp
            t.fn += s.fn
            t.ignored += s.ignored
            t.misses += s.misses
            t.false_alarms += s.false_alarms
    return total


def gold_files(paths: Iterable[str | Path]) -> list[Path]:
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(p.rglob(f"*{GOLD_SUFFIX}"))
        elif p.name.endswith(GOLD_SUFFIX):
            found.append(p)
        else:
            raise InsightsError.make("E502", f"{p} is not a gold file (*{GOLD_SUFFIX}) or a folder", file=str(p))
    return found


# --- the reference a user would otherwise have: a keyword tracker ---------------------------------------------------

KEYWORDS = {
    "pain_point": r"\b(problem|issue|challenge|struggl\w*|pain|frustrat\w*|difficult|hard|manual|waste\w*|slow|"
                  r"headache)\b",
    "objection": r"\b(expensive|price|pricing|cost|budget|too much|not sure|concern\w*|competitor|contract|"
                 r"discount|later|next quarter|worried)\b",
    "analogy": r"\b(like a|like an|as if|it's like|similar to|think of it as|kind of like)\b",
}


def keyword_tracker(sentences) -> list[tuple[int, int, str, str]]:
    """Predictions of a plain keyword tracker over the same sentences: a sentence with a keyword is a hit."""
    out = []
    for s in sentences:
        for kind, pattern in KEYWORDS.items():
            if re.search(pattern, s.text, re.I):
                base = offsets(s.transcript)[s.utterance]
                out.append((base + s.start, base + s.end, s.text, kind))
    return out


@dataclass
class EvalReport:
    model: dict[str, Score]
    baseline: dict[str, Score] | None
    transcripts: int
    gold_items: int

    @staticmethod
    def macro_f1(scores: dict[str, Score]) -> float:
        return sum(s.f1 for s in scores.values()) / len(scores)


def evaluate(paths: Iterable[str | Path], models, *, baseline: bool = True) -> EvalReport:
    """Run the extractor (and the keyword tracker) on each labelled transcript and score both."""
    from insights.extract import extract
    from insights.sentences import split_sentences

    model_scores, base_scores, n_gold, n_t = [], [], 0, 0
    for gold_path in gold_files(paths):
        t = load_transcript(find_transcript(gold_path))
        gold = load_gold(gold_path, t)
        n_gold += sum(not g.borderline for g in gold)
        n_t += 1
        preds = [(*prediction_span(t, i), i.quote, i.kind) for i in extract([t], models)]
        model_scores.append(score(gold, preds))
        if baseline:
            sents = [s for s in split_sentences([t], models.nlp)]
            base_scores.append(score(gold, keyword_tracker(sents)))
    return EvalReport(merge(model_scores), merge(base_scores) if baseline else None, n_t, n_gold)
