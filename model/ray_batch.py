"""Batch inference across machines on Ray Data: the single-machine CLI's records, reports and
errors, with the work spread over a Ray cluster (the optional extra `vn-gov-ner[ray]`).

    read_binary_files(INPUTS)      .jsonl and .txt files, folders of them; local paths or
                                   s3://, gs://, ... (pyarrow filesystems, usual credentials)
    -> flat_map(records)           the CLI's reader (model/batch.py): bad records marked, ids
                                   already in the output skipped, duplicates in a file caught
    -> map_batches(prepare)        normalise, segment, tokenise, windows (CPU tasks)
    -> map_batches(ModelActor)     the model: one actor per GPU (num_gpus=1) or CPU actors
    -> map_batches(build_reports)  decode, structured section, report (CPU tasks)
    -> the driver appends each report to OUTPUT/reports.jsonl, each failure to OUTPUT/errors.jsonl

Each stage runs the same code as `vn-ner-predict` (Preprocessor, Predictor, Reporter). The
driver writes the output line by line and flushes it, as the single-machine CLI does, so a
rerun skips every document already written (a torn last line is cut off and redone); the
reports carry all the computed work, so writing them in one place costs little beside the
model. Documents are not written in input order. Prepared documents and logits travel between
stages as pickled bytes (the report schema itself is the CLI's).
"""
from __future__ import annotations

import json
import os
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from model.batch import BadRecord, BatchSummary, done_ids, records_in_file
from model.preprocess import DocFailure, Preprocessor

COLUMNS = ("status", "id", "source", "line", "reason")  # carried through every stage
OK, BAD, SKIPPED = "ok", "bad", "skipped"
# rows per block: small enough that one input file becomes many tasks for the later stages
BLOCK_BYTES = 4 << 20


def _scheme_free(path: str) -> str:
    return path.split("://", 1)[1] if "://" in path else os.path.abspath(path)


def input_roots(inputs: list[str]) -> tuple[list[str], list[dict]]:
    """Paths for Ray to read, and how to name what it finds (as the CLI names it); missing
    local paths are bad records."""
    paths, missing = [], []
    for item in inputs:
        if "://" not in item and not Path(item).exists():
            missing.append(BadRecord(item, None, "no such file or folder").to_dict())
        else:
            paths.append(item)
    return paths, missing


def _name(path: str, inputs: list[str]) -> tuple[str, str]:
    """(source as the user wrote it, id for a text file) for a file Ray read at `path`."""
    for given in inputs:
        root = _scheme_free(given).rstrip("/")
        if path == root:
            return given, Path(path).name
        if path.startswith(root + "/"):
            rel = path[len(root) + 1:]
            return given.rstrip("/") + "/" + rel, rel
    return path, Path(path).name


@lru_cache(maxsize=2)
def _done(ref) -> set[str]:
    import ray

    return ray.get(ref)


def records(row: dict, inputs: list[str], done_ref) -> list[dict]:
    """One file's rows: its records, its bad records, and the ids already done (skipped)."""
    done = _done(done_ref)  # the ids already written, once per worker process from the object store
    source, text_id = _name(row["path"], inputs)
    seen: set[str] = set()
    out = []
    for rec in records_in_file(row["bytes"], source, text_id):
        line = -1 if rec.line is None else rec.line
        if isinstance(rec, BadRecord):
            out.append(dict(status=BAD, id=rec.id or "", source=rec.source, line=line, reason=rec.reason, text=""))
        elif rec.id in done:
            out.append(dict(status=SKIPPED, id=rec.id, source=rec.source, line=line, reason="", text=""))
        elif rec.id in seen:
            out.append(dict(status=BAD, id=rec.id, source=rec.source, line=line,
                            reason=f"duplicate id {rec.id!r}", text=""))
        elif not rec.text.strip():
            out.append(dict(status=BAD, id=rec.id, source=rec.source, line=line, reason="empty text", text=""))
        else:
            seen.add(rec.id)
            out.append(dict(status=OK, id=rec.id, source=rec.source, line=line, reason="", text=rec.text))
    return out


def _carry(batch: dict, **new: list) -> dict:
    return {**{k: batch[k] for k in COLUMNS}, **{k: np.array(v, dtype=object) for k, v in new.items()}}


def _fail(batch: dict, k: int, failure: DocFailure) -> None:
    batch["status"][k], batch["reason"][k] = BAD, failure.reason


@lru_cache(maxsize=2)
def _preprocessor(model: str) -> Preprocessor:
    pre = Preprocessor.from_pretrained(model)
    pre.warm_up()
    return pre


def prepare(batch: dict, model: str) -> dict:
    """Rows with text -> rows with a pickled PreparedDoc (the Preprocessor of `model`)."""
    pre = _preprocessor(model)
    batch = {k: np.array(v, dtype=object) for k, v in batch.items()}
    payload = []
    for k, (status, doc_id, text) in enumerate(zip(batch["status"], batch["id"], batch["text"])):
        result = pre.try_prepare(str(text), 0, str(doc_id)) if status == OK else None
        if isinstance(result, DocFailure):
            _fail(batch, k, result)
            result = None
        payload.append(b"" if result is None else pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return _carry(batch, payload=payload)


class ModelActor:
    """Holds one Predictor (on a GPU where the actor has one) and runs the model over batches
    of prepared documents; decoding is left to the next stage so the device keeps working."""

    def __init__(self, model: str, device: str = "auto", dtype: str | None = None, threads: int | None = None,
                 compile: bool = False) -> None:
        from model.predictor import Predictor

        self.predictor = Predictor.from_pretrained(model, device=device, dtype=dtype, threads=threads,
                                                   compile=compile)
        self.reporter = pickle.dumps(self.predictor.reporter, protocol=pickle.HIGHEST_PROTOCOL)

    def __call__(self, batch: dict) -> dict:
        batch = {k: np.array(v, dtype=object) for k, v in batch.items()}
        todo = [k for k, s in enumerate(batch["status"]) if s == OK]
        docs = [pickle.loads(batch["payload"][k]) for k in todo]
        payload = [b""] * len(batch["status"])
        for k, doc, logits in zip(todo, docs, self.predictor.logits_per_doc(docs)):
            payload[k] = pickle.dumps((doc, logits), protocol=pickle.HIGHEST_PROTOCOL)
        return _carry(batch, payload=payload, reporter=[self.reporter] * len(payload))


@lru_cache(maxsize=4)
def _reporter(blob: bytes):
    return pickle.loads(blob)


def build_reports(batch: dict) -> dict:
    """Rows with a document and its logits -> rows with the report as one JSON line."""
    batch = {k: np.array(v, dtype=object) for k, v in batch.items()}
    reports = []
    for k, status in enumerate(batch["status"]):
        result = None
        if status == OK:
            doc, logits = pickle.loads(batch["payload"][k])
            result = _reporter(bytes(batch["reporter"][k])).try_report(doc, logits)
            if isinstance(result, DocFailure):
                _fail(batch, k, result)
                result = None
        reports.append("" if result is None else result.to_json())
    return _carry(batch, report=reports)


def pipeline(inputs: list[str], model: str, done: set[str], device: str = "auto", dtype: str | None = None,
             actors: int | None = None, threads: int | None = None, docs_per_batch: int = 64,
             compile: bool = False):
    """The Ray Dataset of result rows (not yet run): read -> records -> prepare -> model -> reports."""
    import ray

    gpus = int(ray.cluster_resources().get("GPU", 0)) if device in ("auto", "cuda") else 0
    if device == "cuda" and not gpus:
        raise ValueError("device 'cuda' requested but the Ray cluster has no GPU")
    ds = ray.data.read_binary_files(inputs, include_paths=True, file_extensions=["jsonl", "txt"])
    ds = ds.flat_map(records, fn_kwargs={"inputs": inputs, "done_ref": ray.put(done)})
    # Ray fuses a task stage into the actor stage after it when their resources match, which
    # would run the preprocessing inside the model actors, one batch after another; an
    # operator with a ray_remote_args_fn is never fused, so preprocessing stays in its own
    # tasks on every CPU of the cluster, ahead of the model
    ds = ds.map_batches(prepare, fn_kwargs={"model": model}, batch_size=docs_per_batch,
                        ray_remote_args_fn=lambda: {"num_cpus": 1})
    ds = ds.map_batches(ModelActor, fn_constructor_kwargs={"model": model, "device": "cuda" if gpus else "cpu",
                                                           "dtype": dtype, "threads": threads, "compile": compile},
                        batch_size=docs_per_batch * (4 if gpus else 1),
                        compute=ray.data.ActorPoolStrategy(size=actors or max(gpus, 1)),
                        num_gpus=1 if gpus else 0, num_cpus=1 if gpus else (threads or 1))
    return ds.map_batches(build_reports, batch_size=docs_per_batch, num_cpus=1)


def _rows(batch: dict) -> Iterator[dict[str, Any]]:
    for k in range(len(batch["status"])):
        yield {c: batch[c][k] for c in (*COLUMNS, "report")}


def run_ray(inputs: list[str], model: str, output_dir: Path, device: str = "auto", dtype: str | None = None,
            actors: int | None = None, threads: int | None = None, docs_per_batch: int = 64,
            progress: bool = True, compile: bool = False) -> BatchSummary:
    """Run the pipeline on the Ray instance this process is connected to (ray.init first);
    reports to OUTPUT/reports.jsonl, failures to OUTPUT/errors.jsonl; returns counts."""
    import time

    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.enable_progress_bars = progress
    ctx.target_max_block_size = BLOCK_BYTES
    output_dir.mkdir(parents=True, exist_ok=True)
    reports, errors = output_dir / "reports.jsonl", output_dir / "errors.jsonl"
    already = done_ids(reports)
    paths, missing = input_roots(inputs)
    summary = BatchSummary()
    t0 = time.perf_counter()
    with open(reports, "a", encoding="utf-8") as out, open(errors, "a", encoding="utf-8") as err:

        def fail(bad: dict) -> None:
            summary.failed += 1
            err.write(json.dumps(bad, ensure_ascii=False) + "\n")
            err.flush()

        for bad in missing:
            fail(bad)
        written: set[str] = set()
        if paths:
            ds = pipeline(paths, model, already, device, dtype, actors, threads, docs_per_batch, compile)
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                for row in _rows(batch):
                    doc_id, line = str(row["id"]), int(row["line"])
                    where = {"source": str(row["source"]), "line": None if line < 0 else line}
                    if row["status"] == SKIPPED:
                        summary.skipped += 1
                    elif row["status"] == BAD:
                        fail({**where, "id": doc_id or None, "reason": str(row["reason"])})
                    elif doc_id in written:  # the same id in two input files
                        fail({**where, "id": doc_id, "reason": f"duplicate id {doc_id!r}"})
                    else:
                        written.add(doc_id)
                        out.write(str(row["report"]) + "\n")
                        out.flush()
                        summary.written += 1
    summary.seconds = time.perf_counter() - t0
    return summary

