"""Batch inference over files, folders, JSONL or stdin: resumable, bad records set aside.

Each report is written as one whole JSONL line and flushed, so an interrupted run loses
nothing; a rerun skips the ids already in the output. A record that cannot be read
(invalid JSON, no text, undecodable bytes, empty text, duplicate id) goes to the errors
file with its source, line number and reason, and the run goes on; so does a record that
fails later, in preprocessing or decoding (reason "preprocess failed: ..." or "report failed: ...").
With `workers` > 0 documents are prepared and decoded in that many processes
(`Predictor.predict_batch(workers=N)`); reports, order and resume are the same.
"""
from __future__ import annotations

import io
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Iterator

from model.html import HtmlWriter


@dataclass(frozen=True)
class Record:
    id: str
    text: str
    source: str
    line: int | None = None


@dataclass(frozen=True)
class BadRecord:
    source: str
    line: int | None
    reason: str
    id: str | None = None

    def to_dict(self) -> dict:
        return {"source": self.source, "line": self.line, "id": self.id, "reason": self.reason}


def _jsonl_records(lines: Iterable[bytes], source: str) -> Iterator[Record | BadRecord]:
    for n, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            yield BadRecord(source, n, f"undecodable bytes: {exc.reason} at byte {exc.start}")
            continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadRecord(source, n, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(data, dict):
            yield BadRecord(source, n, f"expected a JSON object, got {type(data).__name__}")
            continue
        doc_id = data.get("id")
        doc_id = str(doc_id) if doc_id is not None else f"{Path(source).name}:{n}"
        text = data.get("text")
        if text is None:
            yield BadRecord(source, n, "no 'text' field", doc_id)
        elif not isinstance(text, str):
            yield BadRecord(source, n, f"'text' is {type(text).__name__}, not a string", doc_id)
        elif (where := _lone_surrogate(doc_id, text)) is not None:
            # JSON's \ud800 escapes decode to half a character: no segmenter or output file takes it
            yield BadRecord(source, n, f"invalid Unicode: lone surrogate in {where}", doc_id.encode(
                "utf-8", "backslashreplace").decode("utf-8"))
        else:
            yield Record(doc_id, text, source, n)


def _lone_surrogate(doc_id: str, text: str) -> str | None:
    """Where a string holds half a surrogate pair ('id' or 'text at character N'), else None."""
    for name, value in (("id", doc_id), ("text", text)):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return name if name == "id" else f"text at character {exc.start}"
    return None


def _text_file(path: Path, doc_id: str) -> Record | BadRecord:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return BadRecord(str(path), None, f"cannot read: {exc.strerror}", doc_id)
    return _text_record(data, str(path), doc_id)


def _text_record(data: bytes, source: str, doc_id: str) -> Record | BadRecord:
    try:
        return Record(doc_id, data.decode("utf-8"), source)
    except UnicodeDecodeError as exc:
        return BadRecord(source, None, f"undecodable bytes: {exc.reason} at byte {exc.start}", doc_id)


def records_in_file(data: bytes, source: str, text_id: str) -> Iterator[Record | BadRecord]:
    """The records of one file's bytes, as `read_inputs` reads that file: a .jsonl file line by
    line, anything else as one text document called `text_id` (for readers that fetch the
    bytes themselves, such as the Ray path reading object storage)."""
    if source.endswith(".jsonl"):
        yield from _jsonl_records(io.BytesIO(data), source)
    else:
        yield _text_record(data, source, text_id)


def read_inputs(inputs: list[str], stdin: IO[bytes] | None = None) -> Iterator[Record | BadRecord]:
    """Records from .txt files, folders of .txt, .jsonl files, or '-' for stdin."""
    for item in inputs:
        if item == "-":
            data = (stdin or sys.stdin.buffer).read()
            first = data.lstrip()[:1]
            if first == b"{":
                yield from _jsonl_records(data.splitlines(), "<stdin>")
            else:
                try:
                    yield Record("stdin", data.decode("utf-8"), "<stdin>")
                except UnicodeDecodeError as exc:
                    yield BadRecord("<stdin>", None, f"undecodable bytes: {exc.reason} at byte {exc.start}")
            continue
        path = Path(item)
        if path.is_dir():
            for f in sorted(path.rglob("*.txt")):
                yield _text_file(f, str(f.relative_to(path)))
        elif path.suffix == ".jsonl":
            with open(path, "rb") as fh:
                yield from _jsonl_records(fh, str(path))
        elif path.exists():
            yield _text_file(path, path.name)
        else:
            yield BadRecord(str(path), None, "no such file or folder")


def done_ids(output: Path) -> set[str]:
    """Ids already written; a torn last line (interrupted write) is cut off first."""
    if not output.exists():
        return set()
    data = output.read_bytes()
    keep = data[: data.rfind(b"\n") + 1]
    ids, good = set(), 0
    for line in keep.splitlines(keepends=True):
        try:
            ids.add(json.loads(line)["doc_id"])
            good += len(line)
        except (json.JSONDecodeError, KeyError, TypeError):
            break
    if good != len(data):
        with open(output, "r+b") as fh:
            fh.truncate(good)
    return ids


@dataclass
class BatchSummary:
    written: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def docs_per_s(self) -> float:
        return self.written / self.seconds if self.seconds else 0.0


def run_batch(predictor, inputs: list[str], output: Path, errors: Path, batch_size: int | None = None,
              html: Path | None = None, progress: bool = True, stdin=None,
              batch_tokens: int | None = None, workers: int = 0) -> BatchSummary:
    """Predict every readable record not yet in `output`; returns counts."""
    from tqdm import tqdm

    output.parent.mkdir(parents=True, exist_ok=True)
    already = done_ids(output)
    this_run: set[str] = set()
    in_flight: dict[str, Record] = {}  # records handed to the predictor, by id, until reported or failed
    view = HtmlWriter(html) if html is not None else None
    summary = BatchSummary()
    t0 = time.perf_counter()
    bar = tqdm(unit="doc", disable=not progress, desc="predict")
    with open(output, "a", encoding="utf-8") as out, open(errors, "a", encoding="utf-8") as err:

        def fail(bad: BadRecord) -> None:
            summary.failed += 1
            err.write(json.dumps(bad.to_dict(), ensure_ascii=False) + "\n")
            err.flush()

        def good_records() -> Iterator[tuple[str, str]]:
            for rec in read_inputs(inputs, stdin):
                if isinstance(rec, BadRecord):
                    fail(rec)
                elif rec.id in already:
                    summary.skipped += 1
                elif rec.id in this_run:
                    fail(BadRecord(rec.source, rec.line, f"duplicate id {rec.id!r}", rec.id))
                elif not rec.text.strip():
                    fail(BadRecord(rec.source, rec.line, "empty text", rec.id))
                else:
                    this_run.add(rec.id)
                    in_flight[rec.id] = rec
                    yield rec.id, rec.text

        def failed_later(failure) -> None:
            rec = in_flight.pop(failure.doc_id)
            fail(BadRecord(rec.source, rec.line, failure.reason, rec.id))

        for report in predictor.predict_batch(good_records(), batch_size=batch_size, batch_tokens=batch_tokens,
                                                workers=workers, on_error=failed_later):
            out.write(report.to_json() + "\n")
            out.flush()
            rec = in_flight.pop(report.doc_id)
            if view is not None:
                view.add(rec.text, report.to_dict())
            summary.written += 1
            bar.update(1)
    bar.close()
    if view is not None:
        view.close()
    summary.seconds = time.perf_counter() - t0
    return summary
