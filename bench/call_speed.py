"""Seconds to extract the insights of one ~6,000-word sales call once the models are loaded (issue: under 10 s).

    .venv/bin/python bench/call_speed.py [--calls 3] [--words 6000]

Generates calls of about that length with bench/corpus.py (deterministic), loads the models once, then times
``insights.extract.extract`` on each call with an empty embedding cache (every sentence is new to the model), in
this process with torch's default threads (2 on this machine). Prints each call's words, seconds and words/s and
the median. A benchmark, not a test: shared machines are noisy, so read the median, and compare runs made together.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate_corpus  # noqa: E402  (bench/ is not a package)

from insights.extract import Models, extract  # noqa: E402
from insights.parse import iter_transcript_files, load_transcript  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=3)
    ap.add_argument("--words", type=int, default=6000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        generate_corpus(Path(tmp), args.calls, seed=7, words_per_call=(args.words - 100, args.words + 100))
        calls = [load_transcript(p) for p in iter_transcript_files([tmp])]
    began = time.perf_counter()
    models = Models.load()
    extract(calls[:1], models)                        # first use: lazy imports, the tuned encoder, the gate
    print(f"models loaded and warmed in {time.perf_counter() - began:.1f} s")
    seconds = []
    for t in calls:
        models.embedder.cache.clear()
        start = time.perf_counter()
        found = extract([t], models)
        seconds.append(time.perf_counter() - start)
        print(f"{t.source.rsplit('/', 1)[-1]:<40} {t.words:6,d} words {seconds[-1]:6.2f} s "
              f"{t.words / seconds[-1]:6,.0f} words/s  {len(found)} insights")
    print(f"median {statistics.median(seconds):.2f} s per call")


if __name__ == "__main__":
    main()
