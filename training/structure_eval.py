"""Scores the structure layer on its own: gold entities go in, so only the linking,
document parsing and date normalisation are measured, not the tagger (or, with
`--predictions`, a tagger's entities go in and the whole pipeline is measured).

Gold JSONL, one record per document, joined to the corpus by `id`:
    {"id", "links": [{"person": [s, e], "role": [s, e], "pattern": "apposition"}],
     "docs": [{"span": [s, e], "kind", "number", "year", "symbol", "identifier", "date": [s, e] | null}],
     "dates": [{"span": [s, e], "value"}]}
A doc field left out of a gold record is not scored; `"value": null` means the date
must be left unresolved. Links are (person text, role text) pairs per document, so a
link to another mention of the same name with the same post text counts as the same.

The report adds, per link `pattern`, recall over the gold links of that pattern and
precision over the predicted links of that pattern; the DOC issuing dates (a predicted
DOC date must be the gold DATE span, or none where the gold has null); and a calibration
table of the predicted links binned by confidence.

    python3 -m training.structure_eval --data corpus.jsonl --gold gold.jsonl [--output m.json]
        [--predictions reports.jsonl]   # entities from a tagger's reports (doc_id, entities)
        [--fit-confidence]              # also print the per-pattern confidence table to paste
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Iterable

from model.structure import extract_structure, find_anchor_date
from model.structure.confidence import fit
from training.corpus import Document, read_jsonl

DOC_FIELDS = ("kind", "number", "year", "symbol", "identifier")
CONFIDENCE_BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)


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


def _structure(doc: Document, entities: list[dict] | None = None) -> dict:
    if entities is None:
        entities = [{"label": s.label, "start": s.start, "end": s.end} for s in doc.entities]
    return extract_structure(doc.text, entities, _anchor(doc))


def load_predictions(path: str | Path) -> dict[str, list[dict]]:
    """doc_id -> entities from JSONL reports (the batch CLI's output)."""
    from model.structure.table import read_reports

    return {str(r.get("doc_id") or r.get("id")): r.get("entities", []) for r in read_reports([path])}


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


def _bin(confidence: float) -> str:
    for low, high in zip(CONFIDENCE_BINS, CONFIDENCE_BINS[1:]):
        if confidence < high or high == CONFIDENCE_BINS[-1]:
            if confidence >= low:
                return f"{low:.2f}-{high:.2f}"
    return f"{CONFIDENCE_BINS[0]:.2f}-{CONFIDENCE_BINS[1]:.2f}"


class _Tally:
    """Counts across documents, turned into the metrics dict at the end."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0
        self.gold_by_pattern: dict[str, list[int]] = {}   # pattern -> [found, gold]
        self.pred_by_pattern: dict[str, list[int]] = {}   # pattern -> [right, predicted]
        self.bins: dict[str, list[int]] = {}               # confidence bin -> [right, predicted]
        self.field_ok = {f: 0 for f in DOC_FIELDS}
        self.field_n = {f: 0 for f in DOC_FIELDS}
        self.docs = self.docs_ok = 0
        self.doc_dates = {"n": 0, "right": 0, "predicted": 0, "predicted_right": 0, "gold": 0, "found": 0}
        self.dates = self.dates_ok = self.abstained = self.wrong = 0

    def add_links(self, text: str, gold: list[dict], structure: dict) -> None:
        """(person text, role text) pairs, as sets per document; a pair's gold pattern is its
        first gold link's, its predicted pattern and confidence those of its surest link."""
        want: dict[tuple[str, str], str] = {}
        for g in gold:
            want.setdefault((text[slice(*g["person"])], text[slice(*g["role"])]), g.get("pattern") or "unmarked")
        got: dict[tuple[str, str], dict] = {}
        for p in structure["post_holders"]:
            key = (p["person"]["text"], p["role"]["text"])
            if key not in got or p["confidence"] > got[key]["confidence"]:
                got[key] = p
        self.tp += len(want.keys() & got.keys())
        self.fp += len(got.keys() - want.keys())
        self.fn += len(want.keys() - got.keys())
        for key, pattern in want.items():
            counts = self.gold_by_pattern.setdefault(pattern, [0, 0])
            counts[0] += key in got
            counts[1] += 1
        for key, link in got.items():
            right = key in want
            for table, name in ((self.pred_by_pattern, link.get("pattern", "?")), (self.bins, _bin(link["confidence"]))):
                counts = table.setdefault(name, [0, 0])
                counts[0] += right
                counts[1] += 1

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
            if "date" in g:
                self._add_doc_date(g["date"], pred.get("date"))

    def _add_doc_date(self, want: list[int] | None, got: dict | None) -> None:
        """The DOC's issuing DATE: the same span as the gold's, or none where the gold has none."""
        got_span = [got["start"], got["end"]] if got else None
        want_span = list(want) if want else None
        d = self.doc_dates
        d["n"] += 1
        d["right"] += got_span == want_span
        d["predicted"] += got_span is not None
        d["predicted_right"] += got_span is not None and got_span == want_span
        d["gold"] += want_span is not None
        d["found"] += want_span is not None and got_span == want_span

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

    def _pattern_row(self, pattern: str) -> dict:
        found, gold = self.gold_by_pattern.get(pattern, [0, 0])
        right, predicted = self.pred_by_pattern.get(pattern, [0, 0])
        return {"gold": gold, "found": found, "recall": _ratio(found, gold) if gold else None,
                "predicted": predicted, "right": right, "precision": _ratio(right, predicted) if predicted else None}

    def metrics(self) -> dict:
        d = self.doc_dates
        docs = {"n": self.docs, "whole": _ratio(self.docs_ok, self.docs),
                "fields": {f: _ratio(self.field_ok[f], self.field_n[f]) for f in DOC_FIELDS if self.field_n[f]}}
        if d["n"]:
            docs["date"] = {"n": d["n"], "accuracy": _ratio(d["right"], d["n"]),
                            "precision": _ratio(d["predicted_right"], d["predicted"]),
                            "recall": _ratio(d["found"], d["gold"]), "gold_dated": d["gold"]}
        return {
            "links": _prf(self.tp, self.fp, self.fn),
            "links_by_pattern": {p: self._pattern_row(p) for p in sorted(set(self.gold_by_pattern) | set(self.pred_by_pattern))},
            "calibration": [{"confidence": b, "links": n, "precision": _ratio(right, n)}
                            for b, (right, n) in sorted(self.bins.items())],
            "docs": docs,
            "dates": {"n": self.dates, "accuracy": _ratio(self.dates_ok, self.dates),
                      "abstained": self.abstained, "wrong": self.wrong},
        }


def _cell(value) -> str:
    return "–" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def markdown_table(metrics: dict) -> str:
    """The per-pattern and calibration tables, for the README."""
    lines = ["| pattern | gold links | recall | predicted | precision |", "|---|---:|---:|---:|---:|"]
    for p, row in metrics["links_by_pattern"].items():
        lines.append(f"| {p} | {row['gold']} | {_cell(row['recall'])} | {row['predicted']} | {_cell(row['precision'])} |")
    links = metrics["links"]
    lines.append(f"| **all** | {links['tp'] + links['fn']} | {links['recall']:.2f} | {links['tp'] + links['fp']} "
                 f"| {links['precision']:.2f} |")
    lines += ["", "| confidence | links | precision |", "|---|---:|---:|"]
    lines += [f"| {b['confidence']} | {b['links']} | {b['precision']:.2f} |" for b in metrics["calibration"]]
    return "\n".join(lines)


def evaluate(corpus: Iterable[Document], gold: dict[str, dict],
             predictions: dict[str, list[dict]] | None = None) -> dict:
    """Metrics for the gold records whose document is in the corpus; the others are listed.
    With `predictions` (doc_id -> entities), those entities replace the gold ones."""
    tally, used = _Tally(), set()
    for doc in corpus:
        record = gold.get(doc.id)
        if record is None:
            continue
        if predictions is not None and doc.id not in predictions:
            raise ValueError(f"{doc.id}: no prediction for this document")
        used.add(doc.id)
        structure = _structure(doc, predictions.get(doc.id) if predictions is not None else None)
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
    ap.add_argument("--predictions", help="JSONL reports whose entities replace the gold entities (end to end)")
    ap.add_argument("--markdown", action="store_true",
                    help="also print the per-pattern and calibration tables as Markdown (stderr)")
    ap.add_argument("--fit-confidence", action="store_true",
                    help="also print the per-pattern confidence table learnt from these counts")
    args = ap.parse_args(argv)
    predictions = load_predictions(args.predictions) if args.predictions else None
    metrics = evaluate(read_jsonl(args.data), load_gold(args.gold), predictions)
    out = json.dumps(metrics, ensure_ascii=False, indent=2)
    print(out)
    if args.markdown:
        print(markdown_table(metrics), file=sys.stderr)
    if args.fit_confidence:
        counts = {p: (v["right"], v["predicted"]) for p, v in metrics["links_by_pattern"].items() if v["predicted"]}
        print("confidence table (pattern: right/predicted -> value):", file=sys.stderr)
        for p, value in fit(counts).items():
            print(f"    {p!r}: {value},  # {counts[p][0]}/{counts[p][1]}", file=sys.stderr)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(out + "\n", encoding="utf-8")
    if metrics["missing"]:
        print(f"warning: {len(metrics['missing'])} gold ids not in the corpus", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
