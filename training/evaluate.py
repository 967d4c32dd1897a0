"""Strict entity scoring on character spans, a seqeval cross-check and an error listing.

Scores are computed on (document, start, end, label) tuples in the raw text, so a
segmentation difference cannot hide an error. The seqeval cross-check projects gold and
predicted spans onto the inference words and scores them in strict IOB2 mode; the two
agree except for gold entities whose boundary falls inside a word, which are counted.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Iterable, Sequence

from model.labels import ENTITY_TYPES, OUTSIDE
from model.segment import to_words
from model.settings import PreprocessingSettings
from training.corpus import Document, Span

Key = tuple[str, int, int, str]  # doc id, start, end, label


def prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "support": n_gold, "predicted": n_pred, "correct": tp}


def score_spans(gold: Iterable[Key], pred: Iterable[Key]) -> dict:
    """Per-type and micro-averaged strict P/R/F1."""
    gold, pred = set(gold), set(pred)
    tp = gold & pred
    out = {t: prf(sum(k[3] == t for k in tp), sum(k[3] == t for k in pred), sum(k[3] == t for k in gold))
           for t in ENTITY_TYPES}
    out["micro"] = prf(len(tp), len(pred), len(gold))
    return out


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    left = text[max(0, start - width):start].replace("\n", " ")
    right = text[end:end + width].replace("\n", " ")
    return f"{left}[{text[start:end]}]{right}"


def error_listing(doc: Document, predicted: Sequence[Span]) -> list[dict]:
    """Each disagreement once: missed, spurious, wrong_type, wrong_boundary (with context)."""
    gold = {(s.start, s.end, s.label) for s in doc.entities}
    pred = {(s.start, s.end, s.label) for s in predicted}
    errors, explained = [], set()
    for ps, pe, pl in sorted(pred - gold):
        overlap = [(gs, ge, gl) for gs, ge, gl in gold - pred if gs < pe and ps < ge]
        if not overlap:
            kind, g = "spurious", None
        else:
            g = overlap[0]
            explained.update(overlap)
            kind = "wrong_type" if (g[0], g[1]) == (ps, pe) else "wrong_boundary"
        errors.append({"doc_id": doc.id, "kind": kind, "predicted": {"start": ps, "end": pe, "label": pl,
                       "text": doc.text[ps:pe]},
                       "gold": None if g is None else {"start": g[0], "end": g[1], "label": g[2],
                                                       "text": doc.text[g[0]:g[1]]},
                       "context": _context(doc.text, ps, pe)})
    for gs, ge, gl in sorted(gold - pred - explained):
        errors.append({"doc_id": doc.id, "kind": "missed", "predicted": None,
                       "gold": {"start": gs, "end": ge, "label": gl, "text": doc.text[gs:ge]},
                       "context": _context(doc.text, gs, ge)})
    return sorted(errors, key=lambda e: (e["gold"] or e["predicted"])["start"])


def _project(words, spans: Sequence[Span]) -> tuple[list[str], int]:
    """Tags for words from character spans; counts spans not aligned to word edges."""
    tags = [OUTSIDE] * len(words)
    misaligned = 0
    starts = {w.start: i for i, w in enumerate(words)}
    ends = {w.end: i for i, w in enumerate(words)}
    for s in spans:
        if s.start not in starts or s.end not in ends:
            misaligned += 1
            continue
        a, b = starts[s.start], ends[s.end]
        tags[a] = "B-" + s.label
        for i in range(a + 1, b + 1):
            tags[i] = "I-" + s.label
    return tags, misaligned


def seqeval_crosscheck(docs: Sequence[Document], predicted: dict[str, list[Span]],
                       settings: PreprocessingSettings) -> dict:
    """Strict IOB2 seqeval scores on the inference words, for comparison."""
    from seqeval.metrics import f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    y_true, y_pred, misaligned = [], [], 0
    for d in docs:
        words = to_words(d.text, settings.segmenter, settings.normalization)
        g, m = _project(words, d.entities)
        p, _ = _project(words, predicted.get(d.id, []))
        misaligned += m
        y_true.append(g)
        y_pred.append(p)
    kw = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
    return {"precision": round(float(precision_score(y_true, y_pred, **kw)), 4),
            "recall": round(float(recall_score(y_true, y_pred, **kw)), 4),
            "f1": round(float(f1_score(y_true, y_pred, **kw)), 4),
            "gold_entities_not_on_word_edges": misaligned}


def evaluate_documents(docs: Sequence[Document], predicted: dict[str, list[Span]],
                       settings: PreprocessingSettings | None = None) -> dict:
    """Scores, cross-check and errors for predictions keyed by document id."""
    gold = [(d.id, s.start, s.end, s.label) for d in docs for s in d.entities]
    pred = [(d.id, s.start, s.end, s.label) for d in docs for s in predicted.get(d.id, [])]
    metrics = {"documents": len(docs), "scores": score_spans(gold, pred)}
    if settings is not None:
        metrics["seqeval_word_level"] = seqeval_crosscheck(docs, predicted, settings)
    errors = [e for d in docs for e in error_listing(d, predicted.get(d.id, []))]
    metrics["error_counts"] = dict(Counter(e["kind"] for e in errors))
    metrics["errors"] = errors
    return metrics


def format_table(scores: dict) -> str:
    """Per-type P/R/F1 as a fixed-width table."""
    lines = [f"{'type':<8}{'P':>8}{'R':>8}{'F1':>8}{'gold':>8}{'pred':>8}"]
    for t in (*ENTITY_TYPES, "micro"):
        s = scores[t]
        lines.append(f"{t:<8}{s['precision']:>8.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"
                     f"{s['support']:>8}{s['predicted']:>8}")
    return "\n".join(lines)


def format_errors(errors: Sequence[dict], limit: int = 50) -> str:
    rows = []
    for e in errors[:limit]:
        g = e["gold"] and f"{e['gold']['label']}:{e['gold']['text']}"
        p = e["predicted"] and f"{e['predicted']['label']}:{e['predicted']['text']}"
        rows.append(f"{e['kind']:<15}{e['doc_id']:<14} gold={g or '-'} | pred={p or '-'}\n    {e['context']}")
    more = len(errors) - limit
    return "\n".join(rows) + (f"\n... {more} more errors in the JSON output" if more > 0 else "")


def predict_documents(predictor, docs: Sequence[Document], batch_size: int | None = None) -> dict[str, list[Span]]:
    """Run the predictor over corpus documents; spans keyed by document id."""
    out = {}
    for d, rep in zip(docs, predictor.predict_batch(((d.id, d.text) for d in docs), batch_size=batch_size)):
        out[d.id] = [Span(e.start, e.end, e.label) for e in rep.entities]
    return out


def evaluate_model(model_dir: str, data: str, output: str | None = None, device: str = "auto",
                   dtype: str | None = "float32", batch_size: int | None = None) -> dict:
    """Load a model, predict a JSONL corpus file, score it; optionally write the metrics JSON."""
    from model.predictor import Predictor
    from training.corpus import read_jsonl

    predictor = Predictor.from_pretrained(model_dir, device=device, dtype=dtype)
    docs = list(read_jsonl(data))
    metrics = evaluate_documents(docs, predict_documents(predictor, docs, batch_size), predictor.settings)
    metrics.update({"model": model_dir, "data": data, "dtype": predictor.dtype})
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            json.dump(metrics, fh, ensure_ascii=False, indent=1)
    return metrics
