"""The performance benchmark: the whole weekly job on 10, 100 and 500 generated calls, beside two references.

    make bench                      # installs bench/requirements.txt, then runs this with the defaults
    .venv/bin/python bench/performance.py [--sizes 10 100 500] [--work /tmp/insights-bench] [--no-references]

For each size: a deterministic corpus (bench/corpus.py: sales calls of 4,500-7,000 words built from the sample
corpus's speakers and sentences with variation), a fresh store, and one cold ``insights run`` in a subprocess
(models loaded from the installed packages, the trained classifier from its cache: what a second week costs a
team, not the one-off training). It prints per-stage wall time, end-to-end time, words/s and the peak memory of
the whole process tree (the run and its workers, sampled every 0.1 s), then on the same input:

- a plain ``en_core_web_sm`` parse of all the text (full default pipeline, ``nlp.pipe``, two processes), and our
  end-to-end time as a multiple of it;
- BERTopic fitted on the run's insight quotes with the same embeddings our theme stage used, against our theme
  stage's time;
- for the largest size, an incremental run: 10 new calls added to the corpus, the job run again.

Results go to <work>/results.json and a Markdown table to <work>/results.md (the README quotes it).
Timings are of one run on a shared 2-core machine: expect +-15% between runs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import generate_corpus  # noqa: E402
from references import bertopic_reference, spacy_reference  # noqa: E402

INSIGHTS = [sys.executable, "-m", "insights"]


class TreeMemory:
    """Peak memory of a process and all its descendants, sampled from /proc, two ways: resident memory summed
    (counts the shared libraries, ~240 MB of torch and friends, once per process) and proportional set size
    summed (shared pages split between the processes that map them: what the machine really holds)."""

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.every, self.peak_mb, self.peak_pss_mb = pid, every, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            tree = _tree(self.pid)
            self.peak_mb = max(self.peak_mb, sum(_status_mb(p, "VmRSS:") for p in tree))
            self.peak_pss_mb = max(self.peak_pss_mb, sum(_pss_mb(p) for p in tree))
            time.sleep(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _status_mb(pid: int, field: str, name: str = "status") -> float:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _pss_mb(pid: int) -> float:
    return _status_mb(pid, "Pss:", "smaps_rollup")


def run_job(db: Path, sources: list[Path], out: Path, workers: int | None) -> dict:
    """One ``insights run`` in a subprocess: its JSON summary, wall time and peak tree memory."""
    cmd = [*INSIGHTS, "run", "--db", str(db), "--out", str(out), "--json"]
    for s in sources:
        cmd += ["--source", str(s)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    memory = TreeMemory(proc.pid)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - began
    memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"insights run failed ({proc.returncode}):\n{stderr[-3000:]}")
    summary = json.loads(stdout)
    return {"wall_s": round(wall, 1), "peak_mb": round(memory.peak_mb, 1), "peak_pss_mb": round(memory.peak_pss_mb, 1),
            "summary": summary}


def corpus_texts(folder: Path) -> list[str]:
    from insights.parse import iter_transcript_files, load_transcript

    return [u.text for p in iter_transcript_files([folder]) for u in load_transcript(p).utterances]


def stored_quotes(db: Path):
    """The insight quotes the run's theme stage grouped, with the vectors it used (from the store's cache)."""
    import numpy as np

    from insights.nlp import text_key
    from insights.sentences import normalise
    from insights.store import Store

    with Store(db) as store:
        keys = sorted({k for (k,) in store.conn.execute("SELECT model FROM insights")})
        quotes = [i.quote for k in keys[-1:] for i in store.insights(k)]
        cache = store.embedding_cache()
        vectors = np.vstack([cache[text_key(normalise(q))] for q in quotes]) if quotes else None
    return quotes, vectors


def bench_size(n: int, work: Path, references: bool, workers: int | None, incremental: int) -> dict:
    corpus = work / f"corpus-{n}"
    if not corpus.exists():
        generate_corpus(corpus, n)
    run_dir = work / f"run-{n}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    db = run_dir / "insights.sqlite"
    print(f"\n== {n} calls: cold run", flush=True)
    cold = run_job(db, [corpus], run_dir / "reports", workers)
    s = cold["summary"]
    words = s["work"]["words"]
    row = {"calls": n, "words": words, "wall_s": cold["wall_s"], "peak_mb": cold["peak_mb"],
           "peak_pss_mb": cold["peak_pss_mb"],
           "words_per_s": round(words / cold["wall_s"]), "stages_s": s["seconds"], "work": s["work"],
           "insights": sum(s["insights"].values()), "themes": s["themes"]}
    _show(row)
    if references:
        print("   reference: en_core_web_sm, nlp.pipe, 2 processes ...", flush=True)
        ref = spacy_reference(corpus_texts(corpus), n_process=2)
        row["spacy"] = ref
        row["ratio_to_spacy"] = round(cold["wall_s"] / ref["seconds"], 2)
        print(f"   spaCy parse {ref['seconds']:.1f} s ({ref['words_per_s']:.0f} words/s); "
              f"ours / spaCy = {row['ratio_to_spacy']:.2f}", flush=True)
        quotes, vectors = stored_quotes(db)
        print(f"   reference: BERTopic on the {len(quotes)} insight quotes ...", flush=True)
        topic = bertopic_reference(quotes, vectors)
        row["bertopic"] = {k: v for k, v in topic.items() if k not in ("labels", "topic_names")}
        ours = s["seconds"]["themes"]
        fit = topic["seconds_fit"] + topic.get("seconds_warmup", 0.0)
        row["themes_vs_bertopic"] = round(ours / fit, 3) if fit else None
        print(f"   themes {ours:.1f} s vs BERTopic {fit:.1f} s (fit {topic['seconds_fit']:.1f} + numba warm-up "
              f"{topic.get('seconds_warmup', 0.0):.1f}); ratio {row['themes_vs_bertopic']}", flush=True)
    if incremental:
        extra = work / f"new-{n}"
        if not extra.exists():
            generate_corpus(extra, incremental, first_index=n)
        print(f"   incremental: {incremental} new calls added to the {n}", flush=True)
        again = run_job(db, [corpus, extra], run_dir / "reports", workers)
        row["incremental"] = {"calls": incremental, "wall_s": again["wall_s"], "peak_mb": again["peak_mb"],
                              "peak_pss_mb": again["peak_pss_mb"], "stages_s": again["summary"]["seconds"],
                              "work": again["summary"]["work"]}
        print(f"   incremental run {again['wall_s']:.1f} s, peak {again['peak_mb']:.0f} MB RSS / "
              f"{again['peak_pss_mb']:.0f} MB PSS; stages "
              f"{again['summary']['seconds']}", flush=True)
    return row


def _show(row: dict) -> None:
    w = row["work"]
    print(f"   {row['words']:,} words in {row['wall_s']:.1f} s = {row['words_per_s']:,} words/s; "
          f"peak {row['peak_mb']:.0f} MB RSS / {row['peak_pss_mb']:.0f} MB PSS; "
          f"{row['insights']} insights, {row['themes']} themes", flush=True)
    print(f"   stages (wall): {row['stages_s']}", flush=True)
    print(f"   per-call steps (summed over {w['workers']} worker(s)): "
          f"{ {k: round(v, 1) for k, v in w['seconds'].items()} }; "
          f"{w['sentences']:,} candidate sentences, {w['embedded']:,} embedded", flush=True)


def markdown(rows: list[dict]) -> str:
    lines = ["| calls | words | end-to-end | words/s | peak memory (RSS / PSS summed) | analyse / themes / report | "
             "ours ÷ spaCy parse | themes ÷ BERTopic | +10 calls |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        st = r["stages_s"]
        report = st.get("build report", 0) + st.get("write report", 0)
        inc = r.get("incremental")
        lines.append(
            f"| {r['calls']} | {r['words']:,} | {r['wall_s']:.0f} s | {r['words_per_s']:,} | "
            f"{r['peak_mb']:,.0f} / {r['peak_pss_mb']:,.0f} MB | "
            f"{st['analyse calls']:.0f} / {st['themes']:.1f} / {report:.1f} s | "
            f"{r.get('ratio_to_spacy', '–')} | {r.get('themes_vs_bertopic', '–')} | "
            f"{(str(inc['wall_s']) + ' s') if inc else '–'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    ap.add_argument("--work", type=Path, default=Path("/tmp/insights-bench"))
    ap.add_argument("--workers", type=int, default=None, help="passed to insights run (default: the pipeline's)")
    ap.add_argument("--no-references", action="store_true", help="skip the spaCy and BERTopic references")
    ap.add_argument("--incremental", type=int, default=10, help="new calls added to the largest corpus (0: skip)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args.work.mkdir(parents=True, exist_ok=True)
    print("warming the classifier cache (trained once per install; not part of any timing) ...", flush=True)
    subprocess.run([*INSIGHTS, "extract", str(ROOT / "sample_transcripts" / "2026-11-13_fernhill_discovery.txt"),
                    "--format", "jsonl"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    rows = []
    largest = max(args.sizes)
    for n in sorted(args.sizes):
        rows.append(bench_size(n, args.work, not args.no_references, args.workers,
                               args.incremental if n == largest else 0))
        (args.work / "results.json").write_text(json.dumps(rows, indent=2))
    table = markdown(rows)
    (args.work / "results.md").write_text(table)
    print("\n" + table)


if __name__ == "__main__":
    main()
