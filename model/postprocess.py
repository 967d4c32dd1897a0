"""A prepared document plus its windows' logits -> its Report: the CPU stage after the model.

Picklable and free of weights, like the Preprocessor, so worker processes and Ray tasks
decode and build reports with exactly the single-process code while the model runs.
"""
from __future__ import annotations

import dataclasses
import time
from collections import Counter
from typing import Any, Sequence

import numpy as np

from model.decode import decode, word_probabilities
from model.preprocess import DocFailure, PreparedDoc
from model.report import Entity, Report, text_sha256
from model.structure import extract_structure

REPORT_STAGES = ("decode", "structure", "report")


class Reporter:
    """Decodes logits into entities, adds the structured section and wraps it all in a Report."""

    def __init__(self, id2label: dict[int, str], model_info: dict, device: str, dtype: str,
                 structure: bool = True, timings: Counter | None = None) -> None:
        self.id2label = dict(id2label)
        self.model_info = model_info
        self.device = device
        self.dtype = dtype
        self.structure = structure
        self.timings: Counter[str] = timings if timings is not None else Counter()

    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("id2label", "model_info", "device", "dtype", "structure")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def report(self, doc: PreparedDoc, logits: Sequence[np.ndarray], structure: bool | None = None) -> Report:
        """One document's report; `structure` None means this Reporter's setting."""
        t0 = time.perf_counter()
        probs = word_probabilities(doc.windows, logits, len(doc.words), len(self.id2label))
        spans = decode(doc.words, probs, self.id2label)
        t1 = time.perf_counter()
        self.timings["decode"] += t1 - t0
        entities = [Entity(s.label, doc.text[s.start:s.end], s.start, s.end, round(s.score, 6)) for s in spans]
        parsed = None
        if self.structure if structure is None else structure:
            parsed = extract_structure(doc.text, [dataclasses.asdict(e) for e in entities])
        t2 = time.perf_counter()
        self.timings["structure"] += t2 - t1
        report = Report(doc_id=doc.doc_id, model=self.model_info, device=self.device, dtype=self.dtype,
                        text_length=len(doc.text), text_sha256=text_sha256(doc.text), entities=entities,
                        warnings=doc.warnings, structure=parsed)
        self.timings["report"] += time.perf_counter() - t2
        return report

    def try_report(self, doc: PreparedDoc, logits: Sequence[np.ndarray],
                   structure: bool | None = None) -> Report | DocFailure:
        """`report`, with a failure returned (naming the document) instead of raised."""
        try:
            return self.report(doc, logits, structure)
        except Exception as exc:  # noqa: BLE001 - one bad document must not end the batch
            return DocFailure(doc.index, doc.doc_id, "report", exc)
