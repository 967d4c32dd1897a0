"""The model card: a README.md with the hub's YAML front matter, written into a saved folder.

A folder handed to a colleague or pushed to a model hub must say by itself what it is:
base model, data (with hashes), training config, scores on every split it was evaluated
on, intended use, limits and the licences of what went into it. Training writes one into
every NER folder (`training/train.py`); the pretraining script writes one into masked-LM
encoder folders (`kind="fill-mask"`).

    write_model_card(folder, kind="token-classification", base_model="vinai/phobert-base-v2",
                     config=resolved_config, metrics=metrics, data_files={"train": "train.jsonl"},
                     extra={"sources": ["corpus v1: written for this project, MIT"]})
"""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml

from model.labels import ENTITY_TYPES

Kind = Literal["token-classification", "fill-mask"]
CARD_NAME = "README.md"
PACKAGE_LICENCE = "mit"
# Keys `extra` may carry; anything else is an error naming the key (a typo must not vanish).
EXTRA_KEYS = {
    "title": "heading of the card (default: the folder name)",
    "summary": "one paragraph on what the model is",
    "corpus": "name and version of the training corpus, e.g. 'vn-gov-ner corpus v1'",
    "datasets": "dataset names for the front matter (default: [corpus])",
    "sources": "licence notes, one per source of text or weights",
    "intended_use": "lines replacing the default intended-use list",
    "limits": "lines added to the default limits",
    "notes": "free text appended at the end",
}

_NER_INTENDED_USE = [
    "First-pass extraction of people (PERSON), offices (ROLE), bodies (ORG), legal and Party "
    "documents (DOC) and dates (DATE) from Vietnamese government news: ministry and provincial "
    "portals, Party and state newspapers, official decisions.",
    "Building tables of who holds which post, which documents are cited and when, for analysts "
    "who check the output (the report carries character offsets and scores for that).",
    "Not for decisions about a named person without a human reading the source text.",
]
_NER_LIMITS = [
    "Domain: government news in standard written Vietnamese. Social media, forums, speech "
    "transcripts, literature and text without diacritics were not in the training data.",
    "Five flat types only: no nested entities (the ORG inside a ROLE is not tagged separately), "
    "no places, money, quantities or clock times; a bare `ngày` or `năm nay` is never a DATE.",
    "Text is normalised (NFC, PhoBERT's old tone placement) and word-segmented with the segmenter "
    "saved in config.json (`ner_preprocessing`); running the raw model on unsegmented text, or "
    "through the stock token-classification pipeline, gives fragments. Use the package's "
    "Predictor or its `vn-gov-ner` pipeline.",
]
_MLM_INTENDED_USE = [
    "An encoder to fine-tune for Vietnamese token classification (the vn-gov-ner NER model) or "
    "other tasks; its masked-LM head fills `<mask>` on word-segmented Vietnamese.",
    "Not a finished NER model: it has no entity labels.",
]
_MLM_LIMITS = [
    "Input must be word-segmented like its pretraining text (syllables of a word joined by `_`, "
    "as PhoBERT expects); raw text gives poorer predictions.",
    "It reproduces the style and biases of its pretraining sources (news and encyclopedia/legal "
    "pages), including their time span; it knows nothing after them.",
]


def file_facts(path: str | Path) -> dict:
    """sha256, size and (for JSON lines, gzipped or not) the number of records of one file."""
    p = Path(path)
    if not p.is_file():
        return {"path": str(path), "sha256": None, "bytes": None, "records": None}
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    records = None
    if p.name.endswith((".jsonl", ".jsonl.gz")):
        opener = gzip.open if p.name.endswith(".gz") else open
        with opener(p, "rb") as fh:
            records = sum(1 for line in fh if line.strip())
    return {"path": str(path), "sha256": h.hexdigest(), "bytes": p.stat().st_size, "records": records}


def _score_splits(metrics: dict | None) -> dict[str, dict]:
    """Splits whose metrics carry per-type `scores` (training/evaluate.py's format)."""
    return {k: v for k, v in (metrics or {}).items() if isinstance(v, dict) and isinstance(v.get("scores"), dict)}


def _model_index(name: str, kind: Kind, metrics: dict | None, dataset: str) -> list[dict]:
    results = []
    for split, m in _score_splits(metrics).items():
        scores = m["scores"]
        rows = [{"type": key, "value": scores["micro"][key], "name": f"strict {key} (micro, character spans)"}
                for key in ("precision", "recall", "f1") if key in scores.get("micro", {})]
        rows += [{"type": "f1", "value": scores[t]["f1"], "name": f"F1 {t}"} for t in ENTITY_TYPES if t in scores]
        results.append({"task": {"type": kind, "name": "Named-entity recognition"},
                        "dataset": {"name": dataset, "type": dataset, "split": split}, "metrics": rows})
    return [{"name": name, "results": results}] if results else []


def _looks_like_hub_id(name: str | None) -> bool:
    return bool(name) and name.count("/") == 1 and not Path(name).exists() and not name.startswith((".", "/"))


def front_matter(name: str, kind: Kind, base_model: str | None, metrics: dict | None, datasets: list[str]) -> dict:
    meta: dict[str, Any] = {
        "language": ["vi"],
        "license": PACKAGE_LICENCE,
        "library_name": "transformers",
        "pipeline_tag": kind,
        "tags": ["vietnamese", "phobert", "vn-gov-ner"] + (["ner", "token-classification"]
                                                           if kind == "token-classification" else ["fill-mask"]),
        "datasets": datasets,
    }
    if kind == "token-classification":
        meta["metrics"] = ["precision", "recall", "f1"]
    if _looks_like_hub_id(base_model):  # the hub only links real repository ids
        meta["base_model"] = base_model
    index = _model_index(name, kind, metrics, datasets[0] if datasets else "unknown")
    if index:
        meta["model-index"] = index
    return meta


def _scores_table(scores: dict) -> str:
    lines = ["| type | precision | recall | F1 | gold | predicted |", "|---|---:|---:|---:|---:|---:|"]
    for t in (*ENTITY_TYPES, "micro"):
        if t in scores:
            s = scores[t]
            label = "**micro**" if t == "micro" else t
            lines.append(f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
                         f"| {s.get('support', '')} | {s.get('predicted', '')} |")
    return "\n".join(lines)


def _results_section(metrics: dict | None) -> str:
    if not metrics:
        return "No evaluation was recorded for this folder.\n"
    parts = []
    for split, m in _score_splits(metrics).items():
        docs = f", {m['documents']} documents" if "documents" in m else ""
        parts.append(f"**{split}** (strict match on character spans{docs}):\n\n{_scores_table(m['scores'])}\n")
    other = {k: v for k, v in metrics.items() if k not in _score_splits(metrics)}
    scalars = {k: v for k, v in other.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
    if scalars:
        parts.append("\n".join(f"- `{k}`: {v}" for k, v in scalars.items()) + "\n")
    for k, v in other.items():
        if isinstance(v, dict):
            parts.append(f"**{k}**:\n\n" + "\n".join(f"- `{a}`: {b}" for a, b in v.items()
                                                      if isinstance(b, (int, float, str))) + "\n")
    return "\n".join(parts) or "No evaluation was recorded for this folder.\n"


def _data_section(data_files: dict[str, str] | None, corpus: str | None) -> str:
    lines = [f"Corpus: {corpus}.\n"] if corpus else []
    if data_files:
        lines += ["| split | file | records | sha256 |", "|---|---|---:|---|"]
        for split, path in data_files.items():
            if not path:
                continue
            f = file_facts(path)
            sha = f"`{f['sha256']}`" if f["sha256"] else "missing when the card was written"
            lines.append(f"| {split} | `{Path(path).name}` | {f['records'] if f['records'] is not None else ''} | {sha} |")
    return "\n".join(lines) + "\n" if lines else "Not recorded.\n"


def _usage(kind: Kind, folder_name: str) -> str:
    if kind == "fill-mask":
        return ("```python\nfrom transformers import pipeline\n\n"
                f'fill = pipeline("fill-mask", model="{folder_name}")\n'
                'fill("Chủ_tịch <mask> tỉnh chủ_trì hội_nghị .")  # word-segmented input\n```\n')
    return ("```python\nimport model                      # the vn-gov-ner package registers its pipeline\n"
            "from transformers import pipeline\n\n"
            f'ner = pipeline("vn-gov-ner", model="{folder_name}")\n'
            'ner("Sáng 6/7, đồng chí Nguyễn Văn Đô, Phó Bí thư Thành ủy, chủ trì hội nghị.")\n'
            "# [{'entity_group': 'PERSON', 'word': 'Nguyễn Văn Đô', 'start': 19, 'end': 32, 'score': ...}, ...]\n```\n\n"
            "Or `Predictor.from_pretrained(folder)` for full reports (entities, people and their posts, parsed "
            f"documents and dates), `vn-ner-predict ... --model {folder_name}` for files and "
            f"`vn-ner-serve --model {folder_name}` for an HTTP service with a page to try it.\n")


def render_model_card(folder: Path, *, kind: Kind, base_model: str | None, config: dict,
                      metrics: dict | None = None, data_files: dict[str, str] | None = None,
                      extra: dict | None = None) -> str:
    """The card's text (front matter + markdown); see `write_model_card`."""
    if kind not in ("token-classification", "fill-mask"):
        raise ValueError(f"kind must be 'token-classification' or 'fill-mask', got {kind!r}")
    extra = dict(extra or {})
    unknown = sorted(set(extra) - set(EXTRA_KEYS))
    if unknown:
        raise ValueError(f"unknown model card key(s) {', '.join(unknown)}; known: {', '.join(sorted(EXTRA_KEYS))}")
    folder = Path(folder)
    title = extra.get("title") or folder.name
    corpus = extra.get("corpus")
    datasets = list(extra.get("datasets") or ([corpus] if corpus else []))
    meta = front_matter(title, kind, base_model, metrics, datasets)
    ner = kind == "token-classification"
    summary = extra.get("summary") or (
        "Named-entity recognition for Vietnamese government news with five flat types: "
        f"{', '.join(ENTITY_TYPES)}." if ner else
        "A RoBERTa encoder in PhoBERT's format pretrained with masked language modelling on Vietnamese text.")
    intended = extra.get("intended_use") or (_NER_INTENDED_USE if ner else _MLM_INTENDED_USE)
    limits = (_NER_LIMITS if ner else _MLM_LIMITS) + list(extra.get("limits") or [])
    sources = list(extra.get("sources") or [])
    base = base_model or "none recorded"
    if config.get("init") == "from_config":
        base = f"`{base_model}` architecture with random initial weights (no pretrained weights)"
    elif base_model:
        base = f"`{base_model}`"
    versions = config.get("versions") or {}
    body = [
        f"# {title}\n",
        f"{summary}\n",
        "## How to use\n", _usage(kind, folder.name),
        "## Base model\n", f"{base}.\n",
        "## Training data\n", _data_section(data_files, corpus),
        "## Results\n", _results_section(metrics),
        "## Training config\n",
        "The resolved config as run" + (f" (transformers {versions['transformers']}, torch {versions['torch']})"
                                        if {"transformers", "torch"} <= set(versions) else "") + ":\n",
        "```yaml\n" + yaml.safe_dump({k: v for k, v in config.items() if k not in ("versions", "data_sha256")},
                                     allow_unicode=True, sort_keys=False) + "```\n",
        "## Intended use\n", "\n".join(f"- {line}" for line in intended) + "\n",
        "## Limits\n", "\n".join(f"- {line}" for line in limits) + "\n",
        "## Licences\n",
        "\n".join(f"- {line}" for line in [
            "The model folder and the vn-gov-ner package that made it: MIT.", *sources]) + "\n",
    ]
    if extra.get("notes"):
        body += ["## Notes\n", f"{extra['notes']}\n"]
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{head}---\n\n" + "\n".join(body)


def write_model_card(folder: str | Path, *, kind: Kind, base_model: str | None, config: dict,
                     metrics: dict | None = None, data_files: dict[str, str] | None = None,
                     extra: dict | None = None) -> Path:
    """Write `folder/README.md`: hub front matter (language vi, licence, pipeline tag, datasets,
    metrics, model-index) and sections on base model, data (hashes), results per split and type,
    training config, intended use, limits and licences.

    `metrics` maps split -> {"scores": {TYPE: {precision, recall, f1, support, predicted}}, ...}
    (training/evaluate.py's format) plus any scalars (e.g. `train_seconds`, `eval_loss`);
    `data_files` maps a role (train, dev, test, or a pretraining source) -> path, hashed here;
    `extra` takes the keys of EXTRA_KEYS (licence notes of the sources go in `sources`).
    """
    folder = Path(folder)
    text = render_model_card(folder, kind=kind, base_model=base_model, config=config, metrics=metrics,
                             data_files=data_files, extra=extra)
    path = folder / CARD_NAME
    path.write_text(text, encoding="utf-8")
    return path


def read_front_matter(path: str | Path) -> dict:
    """The YAML front matter of a card (for tests and tools that check a folder)."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{path} has no YAML front matter")
    head = text[4:text.index("\n---\n", 4)]
    return yaml.safe_load(head) or {}
