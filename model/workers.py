"""Preprocessing and report building in worker processes; the model stays in the caller's.

`Predictor.predict_batch(..., workers=N)` hands documents to N processes in chunks and
reads the prepared documents back in input order, with at most `chunks_ahead` chunks in
flight (memory stays bounded however long the input stream is, and the workers keep
that far ahead of the model). After each model batch the documents and their logits go
back to the pool to be decoded into reports, so the caller's process only runs the model.
Workers run the same `Preprocessor` and `Reporter` code as the single-process path; a
document that fails in a worker comes back as a `DocFailure`, so the batch goes on.

Processes start with 'forkserver' (Linux, macOS) or 'spawn': never plain fork, which
would copy a parent that already runs torch's thread pool.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from model.postprocess import Reporter
from model.preprocess import DocFailure, PreparedDoc, Preprocessor, portable_error
from model.report import Report

Job = tuple[int, "str | None", Any]  # (index in the stream, doc id, text)

_pre: Preprocessor | None = None
_rep: Reporter | None = None


def start_method() -> str:
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


def _init(pre: Preprocessor, rep: Reporter) -> None:
    global _pre, _rep
    _pre, _rep = pre, rep
    if "torch" in sys.modules:  # workers do no tensor work: keep them off the model's cores
        sys.modules["torch"].set_num_threads(1)
    pre.warm_up()


def _ready() -> int:
    return os.getpid()


def _portable(results: list) -> list:
    for r in results:
        if isinstance(r, DocFailure):
            r.error = portable_error(r.error)
    return results


def _prepare_chunk(jobs: list[Job]) -> tuple[list[PreparedDoc | DocFailure], dict]:
    assert _pre is not None
    _pre.timings.clear()
    out = [_pre.try_prepare(text, index, doc_id) for index, doc_id, text in jobs]
    return _portable(out), dict(_pre.timings)


def _report_chunk(items: list[tuple[PreparedDoc, list[np.ndarray]]],
                  structure: bool | None) -> tuple[list[Report | DocFailure], dict]:
    assert _rep is not None
    _rep.timings.clear()
    out = [_rep.try_report(doc, logits, structure) for doc, logits in items]
    return _portable(out), dict(_rep.timings)


class WorkerPool:
    """A process pool for the CPU stages around the model, fed in order with bounded chunks."""

    def __init__(self, preprocessor: Preprocessor, reporter: Reporter, workers: int,
                 chunk_docs: int = 8, chunks_ahead: int | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.chunk_docs = chunk_docs
        # enough prepared documents waiting to cover one model flush (a hundred-odd articles)
        self.chunks_ahead = chunks_ahead or max(4 * workers, 32)
        ctx = mp.get_context(start_method())
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(["model.workers", "transformers.models.phobert.tokenization_phobert"])
        self._pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init,
                                         initargs=(preprocessor, reporter))
        # start every process now (the executor would start them one task at a time), so the
        # first documents do not wait for process start-up and the segmenter's model
        for f in [self._pool.submit(_ready) for _ in range(workers)]:
            f.result()

    def prepare(self, jobs: Iterable[Job], timings: Counter) -> Iterator[PreparedDoc | DocFailure]:
        """Prepared documents (or failures) in input order; stage seconds summed into `timings`."""
        source = iter(jobs)
        ahead: deque[Future] = deque()

        def submit() -> bool:
            chunk = list(islice(source, self.chunk_docs))
            if chunk:
                ahead.append(self._pool.submit(_prepare_chunk, chunk))
            return bool(chunk)

        try:
            while len(ahead) < self.chunks_ahead and submit():
                pass
            while ahead:
                t0 = time.perf_counter()
                results, spent = ahead.popleft().result()
                timings["wait_preprocess"] += time.perf_counter() - t0
                timings.update(spent)
                submit()
                yield from results
        finally:
            for f in ahead:
                f.cancel()

    def report(self, docs: Sequence[PreparedDoc], logits: Sequence[list[np.ndarray]],
               structure: bool | None) -> list[Future]:
        """Submit reports for `docs`; each future gives (reports or failures, stage seconds)."""
        items = list(zip(docs, logits))
        size = max(1, min(self.chunk_docs, -(-len(items) // self.workers)))
        return [self._pool.submit(_report_chunk, items[k:k + size], structure)
                for k in range(0, len(items), size)]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
