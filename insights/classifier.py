"""Which sentences are insights: one logistic regression per kind over [tuned sentence embedding, linguistic cues].

Trained on the exemplar bank shipped in ``insights/exemplars`` (varied sentences from many industries, with hard
negatives that share the cue words). Why this design: keyword trackers drown users in false positives, and
similarity to a few prototypes scores worse still; a linear model over MiniLM embeddings learns the boundary from
hundreds of examples per kind, runs on CPU, and its nearest exemplars explain each decision. The embedding is
MiniLM fine-tuned on the same bank (``insights.finetune``): the stock space mixes insights with talk on the same
topic. The trained model and its encoder are cached on disk, keyed by a hash of the bank and this code.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
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

MODEL_VERSION = "3"
FEATURE_WEIGHT = 0.35     # scale of the standardised cues relative to the unit-length embedding
NGRAM_WEIGHT = 1.0        # scale of the word n-gram TF-IDF block (stance words: "not convinced", "too long for us")
REGULARISATION = 1.0      # C of the logistic regressions (chosen by cross-validation on the bank)
# The gate: a cheap model (static token vectors, cues, n-grams; no transformer) that sets aside sentences before they are embedded, the
# costliest step. It is calibrated, on held-out folds of the bank, to pass GATE_RECALL of the sentences the full
# model scores at GATE_FLOOR or more for some kind; GATE_FLOOR is the lowest kind's threshold (extract.THRESHOLDS),
# so the gate can only cost an insight in the rare case it misjudges one. The sentences that may continue a quote
# are scored after the gate (extract.score_sentences), so quotes keep their length.
GATE_FLOOR = 0.5
GATE_RECALL = 0.99


@dataclass(frozen=True)
class Exemplar:
    text: str
    labels: frozenset[str]


def _bank_folder() -> Path:
    return Path(str(resources.files("insights") / "exemplars"))


def load_exemplars(nlp: "Language | None" = None) -> list[Exemplar]:
    """Every labelled sentence in the bank, sorted for determinism: the single sentences of ``*.jsonl`` and,
    when a spaCy pipeline is given, every sentence of the labelled training conversations."""
    folder = _bank_folder()
    items: list[Exemplar] = []
    for entry in sorted(folder.glob("*.jsonl")):
        for n, line in enumerate(entry.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                items.append(Exemplar(obj["text"], frozenset(obj["labels"])))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InsightsError.make("E501", f"exemplar bank {entry.name}:{n}: {exc}", file=entry.name, line=n)
    if nlp is not None:
        items += conversation_exemplars(nlp)
    return sorted(set(items), key=lambda e: (e.text, sorted(e.labels)))


def conversation_exemplars(nlp: "Language") -> list[Exemplar]:
    """Sentences of the labelled training conversations, labelled by the gold spans they fall in.

    These teach what the isolated sentences cannot: implicit and two-sentence insights, and the natural share of
    ordinary talk around them. A sentence that touches only a borderline item is left out."""
    from insights.evaluate import GOLD_SUFFIX, find_transcript, load_gold, offsets
    from insights.parse import load_transcript
    from insights.sentences import is_candidate, split_sentences

    out: list[Exemplar] = []
    for gold_path in sorted((_bank_folder() / "conversations").glob(f"*{GOLD_SUFFIX}")):
        t = load_transcript(find_transcript(gold_path))
        gold = load_gold(gold_path, t)
        starts = offsets(t)
        for s in split_sentences([t], nlp):
            if not is_candidate(s):
                continue
            span = (starts[s.utterance] + s.start, starts[s.utterance] + s.end)
            hits = [g for g in gold if _covers(g.span, span)]
            firm = frozenset(g.kind for g in hits if not g.borderline)
            if hits and not firm:
                continue
            out.append(Exemplar(s.text, firm))
    return out


def _covers(gold: tuple[int, int], sentence: tuple[int, int]) -> bool:
    overlap = max(0, min(gold[1], sentence[1]) - max(gold[0], sentence[0]))
    return overlap >= 0.5 * (sentence[1] - sentence[0]) or overlap >= 0.5 * (gold[1] - gold[0])


def bank_fingerprint() -> str:
    """A hash of the model settings and every file of the bank: a changed bank retrains the classifier."""
    h = hashlib.sha256(f"{MODEL_VERSION}|{FEATURE_NAMES}|{FEATURE_WEIGHT}|{NGRAM_WEIGHT}|{REGULARISATION}".encode())
    # The code that turns text into features is part of the model: a change to it must retrain.
    for module in ("features.py", "classifier.py", "sentences.py", "finetune.py"):
        h.update((Path(__file__).parent / module).read_bytes())
    for path in sorted(p for p in _bank_folder().rglob("*") if p.is_file()):
        h.update(path.relative_to(_bank_folder()).as_posix().encode() + b"\x00" + path.read_bytes())
    return h.hexdigest()[:16]


class InsightClassifier:
    """Probabilities per kind for spaCy sentence spans, plus the nearest positive exemplars as evidence."""

    def __init__(self, exemplars: list[Exemplar], models: dict, scaler_mean: np.ndarray, scaler_std: np.ndarray,
                 exemplar_vectors: np.ndarray, fingerprint: str, ngrams, encoder: "TunedEncoder"):
        self.exemplars = exemplars
        self.encoder = encoder               # the fine-tuned MiniLM (a folder in the cache); see encode()
        self.ngrams = ngrams
        self.models = models
        self.gates: dict = {}
        self.gate_thresholds: dict[str, float] = {}
        self.static = None                   # nlp.StaticVectors: the gate's cheap sense of meaning
        self.mean = scaler_mean
        self.std = scaler_std
        self.exemplar_vectors = exemplar_vectors
        self.fingerprint = fingerprint

    # --- training ----------------------------------------------------------------------------------------------

    @classmethod
    def train(cls, exemplars: list[Exemplar], nlp: "Language", embedder: "Embedder",
              encoder_dir: Path) -> "InsightClassifier":
        """Fine-tune the encoder into ``encoder_dir`` (minutes, once per bank), then fit the linear models."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        from insights.finetune import TunedEncoder, fine_tune

        texts = [e.text for e in exemplars]
        spans = [doc[:] for doc in nlp.pipe(texts, batch_size=256)]
        feats = np.vstack([sentence_features(s) for s in spans])
        mean, std = feats.mean(axis=0), feats.std(axis=0) + 1e-6
        encoder = TunedEncoder(fine_tune(texts, [e.labels for e in exemplars], INSIGHT_KINDS, encoder_dir))
        vectors = encoder.embed(texts)
        ngrams = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
        clf = cls(exemplars, {}, mean, std, vectors, bank_fingerprint(), ngrams, encoder)
        X = clf.design(spans, vectors)
        models = clf.models
        for kind in INSIGHT_KINDS:
            y = np.array([kind in e.labels for e in exemplars], dtype=int)
            model = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")
            model.fit(X, y)
            models[kind] = model
        from insights.nlp import StaticVectors

        clf.static = StaticVectors.distil(embedder)
        clf._train_gates(X, clf.gate_features(texts, clf.cheap_features(spans)), exemplars)
        return clf

    def _train_gates(self, X, cheap, exemplars: list[Exemplar]) -> None:
        """One cheap logistic regression per kind, and its threshold: the GATE_RECALL quantile of its
        cross-validated scores over the sentences the full model puts at GATE_FLOOR or above."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        for kind in INSIGHT_KINDS:
            y = np.array([kind in e.labels for e in exemplars], dtype=int)
            gate = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")
            folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
            held_out = cross_val_predict(gate, cheap, y, cv=folds, method="predict_proba")[:, 1]
            wanted = self.models[kind].predict_proba(X)[:, 1] >= GATE_FLOOR
            self.gates[kind] = gate.fit(cheap, y)
            self.gate_thresholds[kind] = float(np.quantile(held_out[wanted], 1 - GATE_RECALL)) if wanted.any() else 0.0

    # --- prediction --------------------------------------------------------------------------------------------

    def cheap_features(self, spans: Sequence["Span"]):
        """[weighted standardised cues | weighted n-gram TF-IDF], sparse: everything but the embedding."""
        import scipy.sparse as sp

        feats = np.vstack([sentence_features(s) for s in spans])
        grams = self.ngrams.transform([s.text for s in spans]) * NGRAM_WEIGHT
        return sp.hstack([sp.csr_matrix(FEATURE_WEIGHT * (feats - self.mean) / self.std), grams]).tocsr()

    def design(self, spans: Sequence["Span"], vectors: np.ndarray, cheap=None):
        """[embedding | weighted standardised cues | weighted n-gram TF-IDF], sparse."""
        import scipy.sparse as sp

        cheap = self.cheap_features(spans) if cheap is None else cheap
        return sp.hstack([sp.csr_matrix(vectors), cheap]).tocsr()

    def gate_features(self, texts: Sequence[str], cheap):
        """[static token-vector meaning | cues | n-grams]: what the gate judges by, all of it cheap."""
        import scipy.sparse as sp

        return sp.hstack([sp.csr_matrix(self.static(list(texts))), cheap]).tocsr()

    def gate(self, texts: Sequence[str], cheap) -> np.ndarray:
        """Which sentences are worth embedding: those the cheap model does not rule out for every kind."""
        features = self.gate_features(texts, cheap)
        keep = np.zeros(cheap.shape[0], dtype=bool)
        for kind, model in self.gates.items():
            keep |= model.predict_proba(features)[:, 1] >= self.gate_thresholds[kind]
        return keep

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The embedding the classifier reads: the tuned encoder's (not the stock one's)."""
        return self.encoder.embed(texts)

    def predict(self, spans: Sequence["Span"], vectors: np.ndarray, cheap=None) -> dict[str, np.ndarray]:
        if not len(spans):
            return {k: np.zeros(0) for k in INSIGHT_KINDS}
        X = self.design(spans, vectors, cheap)
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


def classifier_cached() -> bool:
    """Whether the classifier for the installed bank is in the cache (loading it will not train)."""
    from insights.finetune import TunedEncoder

    fingerprint = bank_fingerprint()
    return (cache_dir() / f"classifier-{fingerprint}.pkl").exists() and \
        TunedEncoder(cache_dir() / f"encoder-{fingerprint}").available()


def load_classifier(nlp: "Language", embedder: "Embedder") -> InsightClassifier:
    """The classifier for the installed bank: from the cache when its fingerprint matches, else trained now (the
    first run after installing or changing the bank: a few minutes, mostly fine-tuning the encoder)."""
    from insights.finetune import TunedEncoder

    fingerprint = bank_fingerprint()
    path = cache_dir() / f"classifier-{fingerprint}.pkl"
    encoder = TunedEncoder(cache_dir() / f"encoder-{fingerprint}")
    if path.exists() and encoder.available():
        try:
            with path.open("rb") as fh:
                clf = pickle.load(fh)
            if isinstance(clf, InsightClassifier) and clf.fingerprint == fingerprint:
                clf.encoder = encoder            # wherever the cache folder is now
                return clf
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a stale or broken cache is rebuilt below
    encoder_dir = Path(encoder.path)
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home still works, only slower: the encoder lives in a temporary folder
        encoder_dir = Path(tempfile.mkdtemp(prefix="insights-encoder-")) / encoder_dir.name
    clf = InsightClassifier.train(load_exemplars(nlp), nlp, embedder, encoder_dir)
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(clf, fh)
        os.replace(tmp, path)
        _prune(fingerprint)
    except OSError:
        pass
    return clf


def _prune(fingerprint: str) -> None:
    """Drop the models of earlier banks: each encoder is ~90 MB."""
    for old in cache_dir().glob("encoder-*"):
        if old.is_dir() and old.name != f"encoder-{fingerprint}" and not old.name.endswith(".tmp"):
            shutil.rmtree(old, ignore_errors=True)
    for old in cache_dir().glob("classifier-*.pkl"):
        if old.name != f"classifier-{fingerprint}.pkl":
            old.unlink(missing_ok=True)
