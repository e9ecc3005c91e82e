"""Where the per-call work runs: the seam between the pipeline and the machine(s).

The pipeline hands an executor a function ``fn(job, models)`` and a list of jobs and gets the results back in
order. ``LocalExecutor`` runs them here with the models already loaded (a few calls, a submission, the tests).
``ProcessExecutor`` runs them on worker processes that each load the models once, so a week of calls uses every
core. A distributed engine is one more class with the same ``map`` (see docs/scaling.md).

Workers read the embedding cache but never write the store: vectors they compute travel back with the results
and the parent stores them, so SQLite keeps a single writer.
"""
from __future__ import annotations

import os
import sys
from collections import deque
from typing import Callable, Iterator, MutableMapping, Protocol, Sequence, TypeVar

J = TypeVar("J")
R = TypeVar("R")

MIN_JOBS_PER_WORKER = 4     # below this, starting workers (5-10 s each to load the models) costs more than it saves
JOBS_PER_WORKER_LIFE = 40   # a worker is replaced after this many calls: a long-lived one grows (allocator
                            # fragmentation under torch) from 0.9 to 1.8 GB over 250 calls; reloading costs ~5 s
_NO_MORE = object()


class Executor(Protocol):
    workers: int

    def map(self, fn: Callable[[J, object], R], jobs: Sequence[J]) -> Iterator[R]:
        """``fn(job, models)`` for every job, results in the order of the jobs."""

    def close(self) -> None: ...


class LocalExecutor:
    """Runs every job in this process, one after the other, with models the caller loaded."""

    workers = 1

    def __init__(self, models):
        self.models = models

    def map(self, fn, jobs):
        for job in jobs:
            yield fn(job, self.models)

    def close(self) -> None:
        pass


class ProcessExecutor:
    """A pool of worker processes (spawned, so no thread state is inherited from a parent that already runs torch),
    each loading the models once and using one thread: N workers keep N cores busy on separate calls, which beats
    one process whose parser runs on one core. New embeddings are written to ``sink`` (the store's cache)."""

    def __init__(self, workers: int, *, cache_db: str | None = None,
                 sink: MutableMapping | None = None):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self.sink = sink
        recycle = {"max_tasks_per_child": JOBS_PER_WORKER_LIFE} if sys.version_info >= (3, 11) else {}
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start_worker, initargs=(cache_db,), **recycle)

    def map(self, fn, jobs):
        # Keep at most a few jobs in flight per worker: results stream back and memory stays flat.
        waiting = iter(jobs)
        in_flight = deque(self.pool.submit(_run_job, fn, job) for _, job in zip(range(2 * self.workers), waiting))
        while in_flight:
            result, fresh = in_flight.popleft().result()
            job = next(waiting, _NO_MORE)
            if job is not _NO_MORE:
                in_flight.append(self.pool.submit(_run_job, fn, job))
            if self.sink is not None:
                for key, vector in fresh.items():
                    self.sink[key] = vector
            yield result

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def make_executor(workers: int, n_jobs: int, models, *, cache_db: str | None = None,
                  sink: MutableMapping | None = None) -> Executor:
    """``workers`` from the pipeline (0 = one per core); a run with few jobs stays in this process."""
    wanted = workers or available_cores()
    wanted = min(wanted, n_jobs // MIN_JOBS_PER_WORKER)
    if wanted <= 1:
        return LocalExecutor(models)
    return ProcessExecutor(wanted, cache_db=cache_db, sink=sink)


# --- inside a worker process ---------------------------------------------------------------------------------

_MODELS = None


def _start_worker(cache_db: str | None) -> None:
    """Load the models once per worker, limited to one thread (the other workers use the other cores)."""
    global _MODELS
    _die_with_parent()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)
    from insights.extract import Models
    from insights.nlp import Embedder
    from insights.store import ReadOnlyEmbeddingCache

    _MODELS = Models.load(Embedder(cache=ReadOnlyEmbeddingCache(cache_db)))


def _die_with_parent() -> None:
    """A killed run must not leave workers behind burning the cores (Linux: the kernel signals them)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _run_job(fn, job):
    result = fn(job, _MODELS)
    fresh = _MODELS.embedder.cache.take_new()
    _release_memory()
    return result, fresh


def _release_memory() -> None:
    """Hand freed heap pages back to the system between calls (glibc keeps them otherwise)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass

