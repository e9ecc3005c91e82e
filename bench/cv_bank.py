"""Cross-validate the extractor's classifier on the exemplar bank (chooses C and the cue weight).

    .venv/bin/python bench/cv_bank.py

Prints, per setting, F1 and average precision per kind from 5-fold cross-validation. The bank is balanced unlike
real transcripts, so these figures are an upper bound; the dev set (insights eval) is the honest measure.
It uses the stock MiniLM embedding: the extractor's fine-tuned encoder (insights.finetune) is trained on the whole
bank, so cross-validating it would mean fine-tuning once per fold (minutes each).
"""
from __future__ import annotations

import itertools
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score
from sklearn.model_selection import StratifiedKFold

from insights.classifier import load_exemplars
from insights.features import sentence_features
from insights.nlp import Embedder, load_spacy
from insights.records import INSIGHT_KINDS


def main() -> None:
    nlp = load_spacy()
    ex = load_exemplars(nlp)
    texts = [e.text for e in ex]
    feats = np.vstack([sentence_features(d[:]) for d in nlp.pipe(texts, batch_size=256)])
    feats = (feats - feats.mean(0)) / (feats.std(0) + 1e-6)
    vecs = Embedder().embed(texts)
    print(f"{len(ex)} exemplars; positives:", {k: sum(k in e.labels for e in ex) for k in INSIGHT_KINDS})
    grid_c = [float(x) for x in (sys.argv[1].split(",") if len(sys.argv) > 1 else ["0.3", "1", "3"])]
    grid_w = [float(x) for x in (sys.argv[2].split(",") if len(sys.argv) > 2 else ["0", "0.35", "0.7"])]
    for c, w in itertools.product(grid_c, grid_w):
        X = np.hstack([vecs, w * feats])
        row = []
        for kind in INSIGHT_KINDS:
            y = np.array([kind in e.labels for e in ex], dtype=int)
            p = np.zeros(len(y))
            for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
                m = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(X[tr], y[tr])
                p[te] = m.predict_proba(X[te])[:, 1]
            row.append(f"{kind}: F1 {f1_score(y, p >= 0.5):.3f} AP {average_precision_score(y, p):.3f}")
        print(f"C={c:<4} w={w:<4} " + " | ".join(row))


if __name__ == "__main__":
    main()
