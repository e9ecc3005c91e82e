"""Precision/recall per kind at a range of thresholds on labelled transcripts (one extraction pass).

    .venv/bin/python bench/sweep_thresholds.py tests/devset sample_transcripts

Used to choose insights.extract.THRESHOLDS; the figures quoted in the README come from `insights eval`.
"""
from __future__ import annotations

import sys

from insights import extract as ex
from insights.evaluate import find_transcript, gold_files, load_gold, merge, prediction_span, score
from insights.parse import load_transcript
from insights.records import INSIGHT_KINDS


def main(paths: list[str]) -> None:
    models = ex.Models.load()
    runs = []
    for g in gold_files(paths):
        t = load_transcript(find_transcript(g))
        runs.append((load_gold(g, t), t, ex.score_sentences([t], models)))
    for thr in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        scores = []
        for gold, t, scored in runs:
            kept = ex.select(scored, models.classifier, thresholds={k: thr for k in INSIGHT_KINDS})
            scores.append(score(gold, [(*prediction_span(t, i), i.quote, i.kind) for i in kept]))
        total = merge(scores)
        print(f"thr {thr:.2f}  " + "  ".join(f"{k[:4]} P {s.precision:.2f} R {s.recall:.2f} F {s.f1:.2f}"
                                          for k, s in total.items()))


if __name__ == "__main__":
    main(sys.argv[1:] or ["tests/devset"])
