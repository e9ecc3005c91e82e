"""The classifier's own sentence encoder: MiniLM fine-tuned once on the exemplar bank.

Why: the stock all-MiniLM-L6-v2 space is built for topical similarity, so "the price is too high for us" sits
next to "the price includes onboarding", and a linear model over it stalled at macro-F1 0.52 on the dev set. A few
epochs of supervised fine-tuning of the whole model (the bank's three labels, multi-label) move
insight-bearing sentences apart from ordinary talk about the same topic; the same linear model over the tuned space
scores markedly better (README, "Extraction quality").

Costs: training runs once per bank on the CPU (about 9 minutes on 2 cores, cached beside the classifier, keyed
by its fingerprint, never downloaded; freezing the lower 3 layers saved only 35% of it and scored worse); the stock
model is still what themes and personas use, because those need topical similarity.
"""
from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

EPOCHS = 3
LEARNING_RATE = 5e-5
BATCH_SIZE = 32
LOGIT_SCALE = 20.0           # the encoder's output is unit length; the head sees it scaled, as cosine classifiers do
SEED = 0


def fine_tune(texts: Sequence[str], labels: Sequence[frozenset[str]], kinds: Sequence[str], out_dir: Path) -> Path:
    """Fine-tune a fresh copy of the packaged MiniLM to tell the ``kinds`` apart; save it under ``out_dir``.

    Deterministic for a given machine: seeded weights, seeded batch order. The head is thrown away afterwards: the
    classifier reads the tuned embedding, so its nearest exemplars still explain each decision."""
    import torch

    from insights.nlp import load_base_sentence_transformer

    torch.manual_seed(SEED)
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    try:
        model = load_base_sentence_transformer(fresh=True)
        model.train()
        y = torch.tensor([[k in lab for k in kinds] for lab in labels], dtype=torch.float32)
        positives = y.sum(0).clamp(min=1)
        loss_of = torch.nn.BCEWithLogitsLoss(pos_weight=(len(y) - positives) / positives)
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        head = torch.nn.Linear(dimension(), len(kinds))
        params = list(model.parameters()) + list(head.parameters())
        optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
        steps = EPOCHS * -(-len(texts) // BATCH_SIZE)
        warmup = max(1, steps // 10)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps))
        tokenize = getattr(model, "preprocess", None) or model.tokenize
        order = torch.Generator().manual_seed(SEED)
        for _ in range(EPOCHS):
            perm = torch.randperm(len(texts), generator=order).tolist()
            for b in range(0, len(perm), BATCH_SIZE):
                idx = perm[b:b + BATCH_SIZE]
                features = tokenize([texts[i] for i in idx])
                embedding = model(features)["sentence_embedding"]
                loss = loss_of(head(LOGIT_SCALE * embedding), y[idx])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
        model.eval()
        tmp = out_dir.with_name(f"{out_dir.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        model.save(str(tmp))
        shutil.rmtree(out_dir, ignore_errors=True)
        os.replace(tmp, out_dir)
        return out_dir
    finally:
        torch.set_num_threads(threads)


@lru_cache(maxsize=2)
def _load(path: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu", local_files_only=True)


class TunedEncoder:
    """Unit-length embeddings from the fine-tuned encoder saved at ``path`` (loaded on first use, once per
    process). Not cached by text: these vectors only feed the classifier, and each call is read once per model."""

    dim = 384

    def __init__(self, path: Path | str, batch_size: int = 64):
        self.path = str(path)
        self.batch_size = batch_size

    def available(self) -> bool:
        return Path(self.path, "config.json").exists()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _load(self.path).encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                       show_progress_bar=False, convert_to_numpy=True).astype(np.float32)
