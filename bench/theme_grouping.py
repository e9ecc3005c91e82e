"""How well the theme stage reproduces the hand theme grouping of the sample corpus.

    .venv/bin/python bench/theme_grouping.py [sample_transcripts] [tests/data/corpus_truth_a.json ...]

Gold: every line of ``*.gold.jsonl`` that carries a ``theme`` key (borderline items included: their theme is not
debatable, only whether they are insights). Persona: the speaker's ``persona`` in the corpus truth files, looked up
by the gold item's speaker label; reps, hosts and transcripts without speaker labels fall under ``unassigned``.
Prints adjusted Rand index (per persona x kind group, averaged weighted by group size) and the unthemed share.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from insights.evaluate import find_transcript, gold_files, load_gold, offsets
from insights.parse import load_transcript
from insights.records import UNASSIGNED, Insight

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GOLD = (ROOT / "sample_transcripts",)
DEFAULT_TRUTH = (ROOT / "tests/data/corpus_truth_a.json", ROOT / "tests/data/corpus_truth_b.json")


@dataclass(frozen=True)
class GoldThemes:
    insights: list[Insight]
    persona_of: list[str]
    dates: list[str]
    themes: list[str]                # the hand theme key of each insight
    files: int                       # gold files that carried at least one theme key


def load_truth(paths: Iterable[str | Path]) -> dict[str, dict]:
    truth: dict[str, dict] = {}
    for p in paths:
        truth.update(json.loads(Path(p).read_text(encoding="utf-8")))
    return truth


def load_gold_themes(gold_paths: Iterable[str | Path] = DEFAULT_GOLD,
                     truth_paths: Iterable[str | Path] = DEFAULT_TRUTH) -> GoldThemes:
    """Gold items with a theme key, turned into Insight records located in their parsed transcripts."""
    truth = load_truth(truth_paths)
    out = GoldThemes([], [], [], [], 0)
    files = 0
    for g in gold_files(gold_paths):
        lines = [json.loads(x) for x in g.read_text(encoding="utf-8").splitlines() if x.strip()]
        if not any("theme" in x for x in lines):
            continue
        files += 1
        path = find_transcript(g)
        t = load_transcript(path)
        speakers = truth.get(path.name, {}).get("speakers", {})
        starts = offsets(t)
        for obj, item in zip(lines, load_gold(g, t)):
            if "theme" not in obj:
                continue
            u = max(i for i, s in enumerate(starts) if s <= item.span[0])
            span = (item.span[0] - starts[u], item.span[1] - starts[u])
            label = t.utterances[u].speaker
            spk = t.speaker(label)
            out.insights.append(Insight(
                kind=item.kind, quote=t.utterances[u].text[span[0]:span[1]], transcript_id=t.id, source=t.source,
                utterance=u, span=span, speaker=label, speaker_name=spk.name if spk else None,
                role=spk.role if spk else None, start=t.utterances[u].start, confidence=1.0, reason="gold"))
            out.persona_of.append(speakers.get(obj.get("speaker") or "", {}).get("persona") or UNASSIGNED)
            out.dates.append(t.date)
            out.themes.append(str(obj["theme"]))
    return GoldThemes(out.insights, out.persona_of, out.dates, out.themes, files)


def main(argv: Sequence[str]) -> None:
    from insights.nlp import Embedder, load_spacy
    from insights.themes import evaluate_grouping

    gold_args = [a for a in argv if not a.endswith(".json")] or DEFAULT_GOLD
    truth_args = [a for a in argv if a.endswith(".json")] or DEFAULT_TRUTH
    gold = load_gold_themes(gold_args, truth_args)
    if not gold.insights:
        print("no gold file carries a theme key yet")
        return
    vectors = Embedder().embed(i.quote for i in gold.insights)
    week = max(gold.dates)
    r = evaluate_grouping(gold.insights, vectors, gold.persona_of, gold.dates, gold.themes, nlp=load_spacy())
    print(f"{len(gold.insights)} insights from {gold.files} gold files, current date {week}")
    for g in r.groups:
        print(f"  {g.persona:>14} {g.kind:<10} n={g.size:3d} gold themes={g.gold_themes:2d} "
              f"themes={g.themes:2d} unthemed={g.unthemed:2d}  ARI {g.ari:.3f}")
    print(f"ARI (per persona x kind, weighted by size): {r.ari:.3f}")
    print(f"unthemed share, personas with 20+ insights: "
          + ", ".join(f"{p} {s:.0%}" for p, s in sorted(r.unthemed_share.items())))


if __name__ == "__main__":
    main(sys.argv[1:])
