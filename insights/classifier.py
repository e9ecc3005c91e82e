"""Which sentences are insights: one logistic regression per kind over [sentence embedding, linguistic cues].

Trained on the exemplar bank shipped in ``insights/exemplars`` (varied sentences from many industries, with hard
negatives that share the cue words). Why this design: keyword trackers drown users in false positives, and
similarity to a few prototypes scores worse still; a linear model over MiniLM embeddings learns the boundary from
hundreds of examples per kind in a second, runs on CPU, and its nearest exemplars explain each decision.
The trained model is cached on disk, keyed by a hash of the bank and this code's feature set.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from insights.errors import InsightsError
from insights.features import FEATURE_NAMES, sentence_features
from insights.records import INSIGHT_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Span

    from insights.nlp import Embedder

MODEL_VERSION = "2"
FEATURE_WEIGHT = 0.35     # scale of the standardised cues relative to the unit-length embedding
NGRAM_WEIGHT = 1.0        # scale of the word n-gram TF-IDF block (stance words: "not convinced", "too long for us")
REGULARISATION = 3.0      # C of the logistic regressions (chosen by cross-validation on the bank)


@dataclass(frozen=True)
class Exemplar:
    text: str
    labels: frozenset[str]


def load_exemplars() -> list[Exemplar]:
    """Every labelled sentence in the bank, sorted for determinism."""
    folder = resources.files("insights") / "exemplars"
    items: list[Exemplar] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".jsonl"):
            continue
        for n, line in enumerate(entry.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                items.append(Exemplar(obj["text"], frozenset(obj["labels"])))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InsightsError.make("E501", f"exemplar bank {entry.name}:{n}: {exc}", file=entry.name, line=n)
    return sorted(set(items), key=lambda e: (e.text, sorted(e.labels)))


def bank_fingerprint(exemplars: Sequence[Exemplar]) -> str:
    h = hashlib.sha256(f"{MODEL_VERSION}|{FEATURE_NAMES}|{FEATURE_WEIGHT}|{NGRAM_WEIGHT}|{REGULARISATION}".encode())
    for e in exemplars:
        h.update(f"{e.text}\x00{','.join(sorted(e.labels))}\n".encode())
    return h.hexdigest()[:16]


class InsightClassifier:
    """Probabilities per kind for spaCy sentence spans, plus the nearest positive exemplars as evidence."""

    def __init__(self, exemplars: list[Exemplar], models: dict, scaler_mean: np.ndarray, scaler_std: np.ndarray,
                 exemplar_vectors: np.ndarray, fingerprint: str, ngrams):
        self.exemplars = exemplars
        self.ngrams = ngrams
        self.models = models
        self.mean = scaler_mean
        self.std = scaler_std
        self.exemplar_vectors = exemplar_vectors
        self.fingerprint = fingerprint

    # --- training ----------------------------------------------------------------------------------------------

    @classmethod
    def train(cls, exemplars: list[Exemplar], nlp: "Language", embedder: "Embedder") -> "InsightClassifier":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts = [e.text for e in exemplars]
        spans = [doc[:] for doc in nlp.pipe(texts, batch_size=256)]
        feats = np.vstack([sentence_features(s) for s in spans])
        mean, std = feats.mean(axis=0), feats.std(axis=0) + 1e-6
        vectors = embedder.embed(texts)
        ngrams = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
        clf = cls(exemplars, {}, mean, std, vectors, bank_fingerprint(exemplars), ngrams)
        X = clf.design(spans, vectors)
        models = clf.models
        for kind in INSIGHT_KINDS:
            y = np.array([kind in e.labels for e in exemplars], dtype=int)
            model = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")
            model.fit(X, y)
            models[kind] = model
        return clf

    # --- prediction --------------------------------------------------------------------------------------------

    def design(self, spans: Sequence["Span"], vectors: np.ndarray):
        """[embedding | weighted standardised cues | weighted n-gram TF-IDF], sparse."""
        import scipy.sparse as sp

        feats = np.vstack([sentence_features(s) for s in spans])
        dense = np.hstack([vectors, FEATURE_WEIGHT * (feats - self.mean) / self.std])
        grams = self.ngrams.transform([s.text for s in spans]) * NGRAM_WEIGHT
        return sp.hstack([sp.csr_matrix(dense), grams]).tocsr()

    def predict(self, spans: Sequence["Span"], vectors: np.ndarray) -> dict[str, np.ndarray]:
        if not len(spans):
            return {k: np.zeros(0) for k in INSIGHT_KINDS}
        X = self.design(spans, vectors)
        return {k: m.predict_proba(X)[:, 1] for k, m in self.models.items()}

    def nearest(self, vector: np.ndarray, kind: str, k: int = 2) -> list[str]:
        """The k most similar exemplars of ``kind``: why the model thinks so, in words."""
        mask = np.array([kind in e.labels for e in self.exemplars])
        idx = np.flatnonzero(mask)
        sims = self.exemplar_vectors[idx] @ vector
        best = idx[np.argsort(-sims)[:k]]
        return [self.exemplars[i].text for i in best]


def cache_dir() -> Path:
    return Path(os.environ.get("INSIGHTS_CACHE") or Path.home() / ".cache" / "insights")


def load_classifier(nlp: "Language", embedder: "Embedder") -> InsightClassifier:
    """The classifier for the installed bank: from the cache when its fingerprint matches, else trained now."""
    exemplars = load_exemplars()
    fingerprint = bank_fingerprint(exemplars)
    path = cache_dir() / f"classifier-{fingerprint}.pkl"
    if path.exists():
        try:
            with path.open("rb") as fh:
                clf = pickle.load(fh)
            if isinstance(clf, InsightClassifier) and clf.fingerprint == fingerprint:
                return clf
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a stale or broken cache is rebuilt below
    clf = InsightClassifier.train(exemplars, nlp, embedder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(clf, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home still works, only slower
    return clf
