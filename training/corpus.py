"""The annotated corpus: documents with character spans, read, validated, counted.

One document per JSONL line: `id`, `text` (raw), `entities` [{start, end, label}] and
metadata (`topic`, `region`, `genre`, `date`, `source`).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from model.labels import ENTITY_TYPES
from model.text import sentence_spans

SPLITS = ("train", "dev", "test")
CORPUS_DIR = Path(__file__).resolve().parents[1] / "annotations" / "corpus"
DATA_CARD = CORPUS_DIR.parent / "README.md"


def corpus_version() -> str:
    """The version the data card's title names (`# Data card: ..., v2`), so it cannot drift."""
    try:
        title = DATA_CARD.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return "unknown version"
    found = re.search(r"\bv(\d+)\b", title)
    return f"v{found.group(1)}" if found else "unknown version"
META_KEYS = ("topic", "region", "genre", "date", "source")
_EDGE_OK = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


@dataclass
class Document:
    id: str
    text: str
    entities: list[Span]
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out = {"id": self.id, "text": self.text,
               "entities": [{"start": s.start, "end": s.end, "label": s.label,
                             "text": self.text[s.start:s.end]} for s in self.entities]}
        out.update(self.meta)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Document":
        ents = [Span(int(e["start"]), int(e["end"]), str(e["label"])) for e in data.get("entities", [])]
        meta = {k: v for k, v in data.items() if k not in ("id", "text", "entities")}
        return cls(id=str(data["id"]), text=data["text"], entities=sorted(ents, key=lambda s: (s.start, s.end)), meta=meta)


class CorpusError(ValueError):
    """A record that cannot be read; the message names the file, line and reason."""


def read_jsonl(path: str | Path) -> Iterator[Document]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                yield Document.from_json(data)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise CorpusError(f"{path}:{n}: cannot read document: {exc}") from exc


def write_jsonl(docs: Iterable[Document], path: str | Path) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d.to_json(), ensure_ascii=False) + "\n")
            n += 1
    return n


def span_problems(text: str, span: Span) -> list[str]:
    """Why one span is malformed (empty list when it is fine)."""
    s, e, label = span.start, span.end, span.label
    if label not in ENTITY_TYPES:
        return [f"unknown label {label!r} (known: {', '.join(ENTITY_TYPES)})"]
    if not (0 <= s < e <= len(text)):
        return [f"{label} span [{s}, {e}) out of range (text length {len(text)})"]
    surface = text[s:e]
    problems = []
    if not _EDGE_OK.match(surface[0]):
        problems.append(f"{label} {surface!r} at {s} starts with {surface[0]!r}")
    last = surface[-1]
    if not (_EDGE_OK.match(last) or (last == ")" and "(" in surface)):
        problems.append(f"{label} {surface!r} at {s} ends with {last!r}")
    return problems


def document_problems(doc: Document) -> list[str]:
    """Everything wrong with one document, each message naming the document."""
    out = []
    if not doc.text.strip():
        out.append(f"{doc.id}: empty text")
    prev: Span | None = None
    for span in sorted(doc.entities, key=lambda s: (s.start, s.end)):
        out += [f"{doc.id}: {p}" for p in span_problems(doc.text, span)]
        if prev is not None and span.start < prev.end:
            out.append(f"{doc.id}: {span.label} [{span.start}, {span.end}) overlaps "
                       f"{prev.label} [{prev.start}, {prev.end})")
        prev = span
    return out


def validate(docs: Iterable[Document], extra_check_keys: bool = True) -> list[str]:
    """Problems across a set of documents: per-document ones plus duplicate ids."""
    problems, seen = [], Counter()
    for d in docs:
        seen[d.id] += 1
        problems += document_problems(d)
        if extra_check_keys:
            missing = [k for k in META_KEYS if k not in d.meta]
            if missing:
                problems.append(f"{d.id}: missing metadata {', '.join(missing)}")
    problems += [f"{i}: id used by {c} documents" for i, c in seen.items() if c > 1]
    return problems


def statistics(docs: Iterable[Document]) -> dict:
    """Counts the data card reports: documents, sentences, entities, surface forms, coverage."""
    docs = list(docs)
    per_type, forms = Counter(), {t: set() for t in ENTITY_TYPES}
    topics, regions, genres = Counter(), Counter(), Counter()
    sentences = chars = 0
    for d in docs:
        sentences += len(sentence_spans(d.text))
        chars += len(d.text)
        for s in d.entities:
            per_type[s.label] += 1
            forms[s.label].add(d.text[s.start:s.end])
        topics[d.meta.get("topic", "?")] += 1
        regions[d.meta.get("region", "?")] += 1
        genres[d.meta.get("genre", "?")] += 1
    return {
        "documents": len(docs), "sentences": sentences, "characters": chars,
        "entities": sum(per_type.values()),
        "entities_per_type": {t: per_type[t] for t in ENTITY_TYPES},
        "distinct_surface_forms": {t: len(forms[t]) for t in ENTITY_TYPES},
        "topics": dict(sorted(topics.items())), "regions": dict(sorted(regions.items())),
        "genres": dict(sorted(genres.items())),
    }


def assign_splits(docs: Iterable[Document], dev: float = 0.1, test: float = 0.1) -> dict[str, list[Document]]:
    """Fixed document-level split, balanced by topic: ~80/10/10 inside every topic.

    The order inside a topic comes from a hash of the id, so adding documents never moves
    an existing one unless its topic's counts change.
    """
    import hashlib

    by_topic: dict[str, list[Document]] = {}
    for d in docs:
        by_topic.setdefault(str(d.meta.get("topic", "?")), []).append(d)
    out: dict[str, list[Document]] = {s: [] for s in SPLITS}
    for topic in sorted(by_topic):
        group = sorted(by_topic[topic], key=lambda d: hashlib.sha1(d.id.encode()).hexdigest())
        n = len(group)
        n_test = max(1, round(n * test)) if n >= 5 else 0
        n_dev = max(1, round(n * dev)) if n >= 5 else 0
        out["test"] += group[:n_test]
        out["dev"] += group[n_test:n_test + n_dev]
        out["train"] += group[n_test + n_dev:]
    for s in SPLITS:
        out[s].sort(key=lambda d: d.id)
    return out
