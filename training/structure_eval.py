"""Scores the structure layer on its own: gold entities go in, so only the linking,
document parsing and date normalisation are measured, not the tagger.

Gold JSONL, one record per document, joined to the corpus by `id`:
    {"id", "links": [{"person": [s, e], "role": [s, e]}],
     "docs": [{"span": [s, e], "kind", "number", "year", "symbol", "identifier"}],
     "dates": [{"span": [s, e], "value"}]}
A doc field left out of a gold record is not scored; `"value": null` means the date
must be left unresolved.

    python3 -m training.structure_eval --data corpus.jsonl --gold gold.jsonl [--output m.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Iterable

from model.structure import extract_structure, find_anchor_date
from training.corpus import Document, read_jsonl

DOC_FIELDS = ("kind", "number", "year", "symbol", "identifier")


def load_gold(path: str | Path) -> dict[str, dict]:
    gold = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    record = json.loads(line)
                    gold[str(record["id"])] = record
                except (json.JSONDecodeError, KeyError) as exc:
                    raise ValueError(f"{path}:{n}: cannot read gold record: {exc}") from exc
    return gold


def _anchor(doc: Document) -> date | None:
    """The article's own dateline, else the corpus `date` metadata."""
    found = find_anchor_date(doc.text)
    if found or not doc.meta.get("date"):
        return found
    try:
        return date.fromisoformat(str(doc.meta["date"]))
    except ValueError:
        return None


def _structure(doc: Document) -> dict:
    entities = [{"label": s.label, "start": s.start, "end": s.end} for s in doc.entities]
    return extract_structure(doc.text, entities, _anchor(doc))


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _prf(tp: int, fp: int, fn: int) -> dict:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {"precision": p, "recall": r, "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn}


def _same(a, b) -> bool:
    """Field equality that does not care whether a year or number came as int or text."""
    if a is None or b is None:
        return a is None and b is None
    return str(a).strip() == str(b).strip()


class _Tally:
    """Counts across documents, turned into the metrics dict at the end."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0
        self.field_ok = {f: 0 for f in DOC_FIELDS}
        self.field_n = {f: 0 for f in DOC_FIELDS}
        self.docs = self.docs_ok = 0
        self.dates = self.dates_ok = self.abstained = self.wrong = 0

    def add_links(self, text: str, gold: list[dict], structure: dict) -> None:
        """(person text, role text) pairs, as sets per document."""
        want = {(text[slice(*g["person"])], text[slice(*g["role"])]) for g in gold}
        got = {(p["person"]["text"], p["role"]["text"]) for p in structure["post_holders"]}
        self.tp += len(want & got)
        self.fp += len(got - want)
        self.fn += len(want - got)

    def add_documents(self, gold: list[dict], structure: dict) -> None:
        by_span = {(d["start"], d["end"]): d for d in structure["documents"]}
        for g in gold:
            pred = by_span.get(tuple(g["span"]), {})
            fields = [f for f in DOC_FIELDS if f in g]
            ok = [_same(pred.get(f), g[f]) for f in fields]
            for f, good in zip(fields, ok):
                self.field_n[f] += 1
                self.field_ok[f] += good
            self.docs += 1
            self.docs_ok += all(ok)

    def add_dates(self, gold: list[dict], structure: dict) -> None:
        by_span = {(d["start"], d["end"]): d for d in structure["dates"]}
        for g in gold:
            value = by_span.get(tuple(g["span"]), {}).get("value")
            self.dates += 1
            if value == g.get("value"):
                self.dates_ok += 1
            elif value is None:
                self.abstained += 1
            else:
                self.wrong += 1

    def metrics(self) -> dict:
        return {
            "links": _prf(self.tp, self.fp, self.fn),
            "docs": {"n": self.docs, "whole": _ratio(self.docs_ok, self.docs),
                     "fields": {f: _ratio(self.field_ok[f], self.field_n[f])
                                for f in DOC_FIELDS if self.field_n[f]}},
            "dates": {"n": self.dates, "accuracy": _ratio(self.dates_ok, self.dates),
                      "abstained": self.abstained, "wrong": self.wrong},
        }


def evaluate(corpus: Iterable[Document], gold: dict[str, dict]) -> dict:
    """Metrics for the gold records whose document is in the corpus; the others are listed."""
    tally, used = _Tally(), set()
    for doc in corpus:
        record = gold.get(doc.id)
        if record is None:
            continue
        used.add(doc.id)
        structure = _structure(doc)
        tally.add_links(doc.text, record.get("links", []), structure)
        tally.add_documents(record.get("docs", []), structure)
        tally.add_dates(record.get("dates", []), structure)
    return {"documents": len(used), **tally.metrics(), "missing": sorted(set(gold) - used)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-structure-eval", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="corpus JSONL (id, text, entities)")
    ap.add_argument("--gold", required=True, help="structure gold JSONL")
    ap.add_argument("--output", help="write the metrics JSON here too")
    args = ap.parse_args(argv)
    metrics = evaluate(read_jsonl(args.data), load_gold(args.gold))
    out = json.dumps(metrics, ensure_ascii=False, indent=2)
    print(out)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(out + "\n", encoding="utf-8")
    if metrics["missing"]:
        print(f"warning: {len(metrics['missing'])} gold ids not in the corpus", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
