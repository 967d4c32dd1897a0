"""Corpus <-> word-level CoNLL BIO and Label Studio JSON.

CoNLL: one word per line (`word<TAB>tag`), a blank line between sentences, and a
`# id = ...` line before each document. Words come from the same segmenter as training
(split at entity boundaries), so the tags are exactly what the model learns.

Label Studio: tasks `{"data": {"text", "id"}, "predictions"| "annotations": [{"result": [...]}]}`
with `labels` results over character offsets; export writes pre-annotated tasks (from gold
or from predictor reports), import reads a Label Studio export back into documents.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from model.decode import repair_bio, tags_to_word_spans
from model.settings import PreprocessingSettings
from training.corpus import Document, Span
from training.features import document_words

FROM_NAME, TO_NAME = "label", "text"


def to_conll(docs: Iterable[Document], settings: PreprocessingSettings | None = None) -> str:
    settings = settings or PreprocessingSettings()
    lines: list[str] = []
    for d in docs:
        words, tags = document_words(d, settings)
        lines.append(f"# id = {d.id}")
        prev_sentence = None
        for w, t in zip(words, tags):
            if prev_sentence is not None and w.sentence != prev_sentence:
                lines.append("")
            lines.append(f"{d.text[w.start:w.end].replace(chr(10), ' ')}\t{t}")
            prev_sentence = w.sentence
        lines.append("")
    return "\n".join(lines) + "\n"


def from_conll(text: str) -> list[Document]:
    """Rebuild documents from CoNLL: words joined by spaces, sentences by newlines."""
    docs: list[Document] = []
    doc_id, sentences, current = None, [], []

    def flush_doc():
        if doc_id is None and not sentences:
            return
        parts, tags, pos = [], [], 0
        offsets = []
        for k, sent in enumerate(sentences):
            for j, (word, tag) in enumerate(sent):
                if j:
                    parts.append(" ")
                    pos += 1
                offsets.append((pos, pos + len(word)))
                tags.append(tag)
                parts.append(word)
                pos += len(word)
            if k < len(sentences) - 1:
                parts.append("\n")
                pos += 1
        spans = [Span(offsets[a][0], offsets[b - 1][1], kind) for a, b, kind in tags_to_word_spans(repair_bio(tags))]
        docs.append(Document(id=doc_id or f"doc{len(docs)}", text="".join(parts), entities=spans,
                             meta={"source": "converted from CoNLL"}))

    for line in text.splitlines():
        if line.startswith("# id = "):
            if current:
                sentences.append(current)
                current = []
            flush_doc()
            doc_id, sentences = line[7:].strip(), []
        elif not line.strip():
            if current:
                sentences.append(current)
                current = []
        else:
            word, tag = line.rsplit("\t", 1)
            current.append((word, tag))
    if current:
        sentences.append(current)
    flush_doc()
    return docs


def _results(text: str, spans: Iterable[tuple[int, int, str, float | None]]) -> list[dict]:
    out = []
    for i, (s, e, label, score) in enumerate(spans):
        r = {"id": f"r{i}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
             "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]}}
        if score is not None:
            r["score"] = score
        out.append(r)
    return out


def to_label_studio(docs: Iterable[Document], reports: dict[str, dict] | None = None,
                    model_version: str = "vn-gov-ner") -> list[dict]:
    """Pre-annotated tasks: model predictions when reports are given, else the gold spans."""
    tasks = []
    for d in docs:
        task = {"data": {"id": d.id, "text": d.text}}
        if reports and d.id in reports:
            ents = [(e["start"], e["end"], e["label"], e["score"]) for e in reports[d.id]["entities"]]
            task["predictions"] = [{"model_version": model_version, "result": _results(d.text, ents)}]
        else:
            task["annotations"] = [{"result": _results(d.text, [(s.start, s.end, s.label, None) for s in d.entities])}]
        tasks.append(task)
    return tasks


def from_label_studio(export: list[dict]) -> Iterator[Document]:
    """Documents from a Label Studio JSON export (the latest annotation of each task)."""
    for n, task in enumerate(export):
        data = task.get("data", {})
        text = data.get("text")
        if not isinstance(text, str):
            raise ValueError(f"task {n} (id {task.get('id')}): no data.text")
        anns = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
        source = anns[-1]["result"] if anns else (task.get("predictions") or [{"result": []}])[-1]["result"]
        spans = []
        for r in source:
            if r.get("type") != "labels":
                continue
            v = r["value"]
            spans.append(Span(int(v["start"]), int(v["end"]), v["labels"][0]))
        doc_id = str(data.get("id", task.get("id", n)))
        yield Document(id=doc_id, text=text, entities=sorted(spans, key=lambda s: s.start),
                       meta={"source": "imported from Label Studio"})


def read_label_studio(path: str | Path) -> list[Document]:
    return list(from_label_studio(json.loads(Path(path).read_text(encoding="utf-8"))))
