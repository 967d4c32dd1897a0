"""Inline-tag authoring format <-> corpus documents, so no offset is ever typed by hand.

A source file holds a header of `key: value` lines, a `---` line, then the body with
`<PERSON>…</PERSON>`-style tags. The body minus its tags is the raw text, exactly.

    python3 -m training.authoring check annotations/authoring/h1      # problems + counts
    python3 -m training.authoring build annotations/authoring out.jsonl
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from model.labels import ENTITY_TYPES
from model.text import sentence_spans
from training.corpus import Document, Span, document_problems

_TAG = re.compile(r"<(/?)([A-Za-z]+)>")
HEADER_END = "---"


class AuthoringError(ValueError):
    """A source file that cannot be converted; the message names the file and place."""


def parse_body(body: str, where: str = "<text>") -> tuple[str, list[Span]]:
    """Strip inline tags, returning the raw text and the entity spans."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    length = 0
    open_label: str | None = None
    open_at = 0
    for m in _TAG.finditer(body):
        chunk = body[pos:m.start()]
        out.append(chunk)
        length += len(chunk)
        pos = m.end()
        closing, label = m.group(1) == "/", m.group(2)
        line = body.count("\n", 0, m.start()) + 1
        if label not in ENTITY_TYPES:
            raise AuthoringError(f"{where}: line {line}: unknown tag <{m.group(1)}{label}>")
        if not closing:
            if open_label is not None:
                raise AuthoringError(f"{where}: line {line}: <{label}> opened inside <{open_label}> (tags are flat)")
            open_label, open_at = label, length
        else:
            if open_label != label:
                raise AuthoringError(f"{where}: line {line}: </{label}> closes {'<' + open_label + '>' if open_label else 'nothing'}")
            if length == open_at:
                raise AuthoringError(f"{where}: line {line}: empty <{label}>")
            spans.append(Span(open_at, length, label))
            open_label = None
    if open_label is not None:
        raise AuthoringError(f"{where}: <{open_label}> opened at offset {open_at} is never closed")
    out.append(body[pos:])
    text = "".join(out)
    for ch in "<>":
        if ch in text:
            line = text[: text.index(ch)].count("\n") + 1
            raise AuthoringError(f"{where}: line {line}: stray {ch!r} outside a tag")
    return text, spans


def parse_source(source: str, where: str = "<source>") -> Document:
    """One authoring file's content -> a Document."""
    lines = source.split("\n")
    try:
        end = next(i for i, l in enumerate(lines) if l.strip() == HEADER_END)
    except StopIteration:
        raise AuthoringError(f"{where}: no '{HEADER_END}' line after the header") from None
    meta: dict = {}
    for i, line in enumerate(lines[:end], 1):
        if not line.strip():
            continue
        if ":" not in line:
            raise AuthoringError(f"{where}: header line {i} is not 'key: value': {line!r}")
        k, v = line.split(":", 1)
        meta[k.strip()] = v.strip()
    body = "\n".join(lines[end + 1:]).strip("\n")
    text, spans = parse_body(body, where)
    if "id" not in meta:
        raise AuthoringError(f"{where}: header has no id")
    doc_id = meta.pop("id")
    meta.setdefault("source", "written for this corpus")
    return Document(id=doc_id, text=text, entities=spans, meta=meta)


def to_source(doc: Document) -> str:
    """A Document back to the authoring format (round-trips with parse_source)."""
    head = [f"id: {doc.id}"] + [f"{k}: {v}" for k, v in doc.meta.items() if k != "source"]
    parts, pos = [], 0
    for s in sorted(doc.entities, key=lambda s: s.start):
        parts += [doc.text[pos:s.start], f"<{s.label}>", doc.text[s.start:s.end], f"</{s.label}>"]
        pos = s.end
    parts.append(doc.text[pos:])
    return "\n".join(head) + f"\n{HEADER_END}\n" + "".join(parts) + "\n"


def source_files(paths: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(p.rglob("*.txt")) if p.is_dir() else [p]
    return files


def load_sources(paths: list[str | Path]) -> tuple[list[Document], list[str]]:
    """Parse every source file; unreadable files become problems, the rest go on."""
    docs, problems = [], []
    for f in source_files(paths):
        try:
            docs.append(parse_source(f.read_text(encoding="utf-8"), str(f)))
        except (AuthoringError, UnicodeDecodeError) as exc:
            problems.append(str(exc))
    return docs, problems


def build_splits(src: str | Path, out: str | Path, skip_bad: bool = False) -> tuple[dict[str, int], list[str]]:
    """Sources -> `out/{train,dev,test}.jsonl` (the fixed split); returns documents per split
    and the problems found. With problems and not `skip_bad`, nothing is written."""
    from training.corpus import assign_splits, validate, write_jsonl

    docs, problems = load_sources([src])
    problems += validate(docs)
    if problems and not skip_bad:
        return {}, problems
    bad = {d.id for d in docs if any(p.startswith(f"{d.id}:") for p in problems)}
    sizes = {split: write_jsonl(group, Path(out) / f"{split}.jsonl")
             for split, group in assign_splits([d for d in docs if d.id not in bad]).items()}
    return sizes, problems


def ensure_splits(src: str | Path, out: str | Path) -> bool:
    """Build the split files when missing or older than a source file (they are derived data,
    not kept in git); returns whether it built. A broken source is an error naming it."""
    if not Path(src).is_dir():
        return False  # no sources here (an installed package): a missing split is named by its reader
    targets = [Path(out) / f"{s}.jsonl" for s in ("train", "dev", "test")]
    sources = source_files([src])
    if all(t.is_file() for t in targets) and \
            min(t.stat().st_mtime for t in targets) >= max((f.stat().st_mtime for f in sources), default=0):
        return False
    _, problems = build_splits(src, out)
    if problems:
        raise AuthoringError(f"cannot build the corpus splits from {src}: " + "; ".join(problems[:5]))
    return True


def _check(args: argparse.Namespace) -> int:
    docs, problems = load_sources(args.paths)
    for d in docs:
        problems += document_problems(d)
    seen = Counter(d.id for d in docs)
    problems += [f"{i}: id used by {c} files" for i, c in seen.items() if c > 1]
    per_type: Counter = Counter()
    sentences = 0
    for d in docs:
        per_type.update(s.label for s in d.entities)
        n_sent = len(sentence_spans(d.text))
        sentences += n_sent
        if args.verbose:
            c = Counter(s.label for s in d.entities)
            print(f"{d.id}: {n_sent} sentences, {len(d.entities)} entities "
                  + " ".join(f"{t}={c[t]}" for t in ENTITY_TYPES))
    for p in problems:
        print("PROBLEM", p)
    print(f"documents={len(docs)} sentences={sentences} entities={sum(per_type.values())} "
          + " ".join(f"{t}={per_type[t]}" for t in ENTITY_TYPES) + f" problems={len(problems)}")
    return 1 if problems else 0


def _build(args: argparse.Namespace) -> int:
    docs, problems = load_sources(args.paths[:-1])
    for p in problems:
        print("PROBLEM", p, file=sys.stderr)
    out = Path(args.paths[-1])
    with open(out, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d.to_json(), ensure_ascii=False) + "\n")
    print(f"wrote {len(docs)} documents to {out}")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.authoring", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="report problems and counts for source files or folders")
    c.add_argument("paths", nargs="+")
    c.add_argument("-v", "--verbose", action="store_true", help="one line per document")
    c.set_defaults(func=_check)
    b = sub.add_parser("build", help="convert source files/folders to one JSONL file (last path)")
    b.add_argument("paths", nargs="+")
    b.set_defaults(func=_build)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
