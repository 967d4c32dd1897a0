"""The report: one schema for every document the predictor sees, on any device.

`model/report.schema.json` is the contract; `validate_report` checks a dict against it
(tests run it on real predictor output). Offsets index the caller's original string.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from model.labels import ENTITY_TYPES

SCHEMA_VERSION = "1.2"  # 1.1: the `structure` section; 1.2: links gain rule, subject, period, status
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


@dataclass(frozen=True)
class Entity:
    label: str
    text: str
    start: int
    end: int
    score: float


@dataclass
class Report:
    doc_id: str | None
    model: dict
    device: str
    dtype: str
    text_length: int
    text_sha256: str
    entities: list[Entity]
    warnings: list[str] = field(default_factory=list)
    structure: dict | None = None  # model.structure.extract_structure output; None if switched off
    schema_version: str = SCHEMA_VERSION

    @property
    def counts(self) -> dict[str, int]:
        c = {t: 0 for t in ENTITY_TYPES}
        for e in self.entities:
            c[e.label] = c.get(e.label, 0) + 1
        return c

    def to_dict(self) -> dict:
        return {
            "schema_version": self.schema_version,
            "doc_id": self.doc_id,
            "model": self.model,
            "device": self.device,
            "dtype": self.dtype,
            "text_length": self.text_length,
            "text_sha256": self.text_sha256,
            "entities": [asdict(e) for e in self.entities],
            "counts": self.counts,
            "warnings": list(self.warnings),
            "structure": self.structure,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_report(data: dict, text: str | None = None) -> None:
    """Raise ValueError if `data` breaks the schema (or, given the text, its offsets)."""
    import jsonschema

    try:
        jsonschema.validate(data, schema())
    except jsonschema.ValidationError as exc:
        raise ValueError(f"report does not match {SCHEMA_PATH.name}: {exc.message}") from exc
    if text is not None:
        for e in data["entities"]:
            if text[e["start"]:e["end"]] != e["text"]:
                raise ValueError(f"entity {e} does not index the original text")
