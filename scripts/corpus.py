"""Corpus tools: build the splits from the inline-tag sources, validate, count, check
consistency, and convert to/from CoNLL BIO and Label Studio JSON.

    python -m scripts.corpus build                 # annotations/authoring -> annotations/corpus/*.jsonl
    python -m scripts.corpus validate              # all splits (exit 1 on any problem)
    python -m scripts.corpus stats
    python -m scripts.corpus consistency --output findings.json
    python -m scripts.corpus to-conll annotations/corpus/dev.jsonl dev.conll
    python -m scripts.corpus to-labelstudio dev.jsonl tasks.json [--reports reports.jsonl]
    python -m scripts.corpus from-labelstudio export.json corrected.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "annotations" / "authoring"
CORPUS = ROOT / "annotations" / "corpus"


def _split_files(paths: list[str]) -> list[Path]:
    return [Path(p) for p in paths] if paths else [CORPUS / f"{s}.jsonl" for s in ("train", "dev", "test")]


def _load(paths: list[str]):
    from training.authoring import ensure_splits
    from training.corpus import read_jsonl

    if not paths:
        ensure_splits(SRC, CORPUS)

    return [d for p in _split_files(paths) for d in read_jsonl(p)]


def cmd_build(args) -> int:
    from training.authoring import build_splits

    sizes, problems = build_splits(args.src, args.out, skip_bad=args.skip_bad)
    for p in problems:
        print("PROBLEM", p, file=sys.stderr)
    if problems and not args.skip_bad:
        return 1
    for split, n in sizes.items():
        print(f"{split}: {n} documents")
    return 0


def cmd_validate(args) -> int:
    from training.corpus import CorpusError, validate

    try:
        docs = _load(args.files)
    except CorpusError as exc:
        print("PROBLEM", exc)
        return 1
    problems = validate(docs)
    for p in problems:
        print("PROBLEM", p)
    print(f"{len(docs)} documents, {len(problems)} problems")
    return 1 if problems else 0


def cmd_stats(args) -> int:
    from training.corpus import statistics

    if args.by_split and not args.files:
        for f in _split_files([]):
            s = statistics(_load([str(f)]))
            print(f"{f.stem}: {s['documents']} documents, {s['sentences']} sentences, {s['entities']} entities "
                  + " ".join(f"{k}={v}" for k, v in s["entities_per_type"].items()))
    print(json.dumps(statistics(_load(args.files)), ensure_ascii=False, indent=1))
    return 0


def cmd_consistency(args) -> int:
    from training.consistency import date_without_ngay, label_conflicts, untagged_occurrences

    docs = _load(args.files)
    conflicts, untagged = label_conflicts(docs), untagged_occurrences(docs)
    ngay = date_without_ngay(docs)
    print(f"DATE spans leaving out a preceding 'ngày': {len(ngay)}")
    print(f"strings with several labels: {len(conflicts)}")
    for c in conflicts[: args.show]:
        print(f"  {c['text']!r}: {c['labels']}")
    print(f"untagged occurrences of strings tagged elsewhere: {len(untagged)}")
    for u in untagged[: args.show]:
        print(f"  {u['doc_id']} {u['text']!r} ({u['tagged_elsewhere_as']}): …{u['context']}…")
    if args.output:
        Path(args.output).write_text(json.dumps({"label_conflicts": conflicts, "untagged": untagged, "date_without_ngay": ngay},
                                                ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def cmd_to_conll(args) -> int:
    from model.settings import PreprocessingSettings
    from training.convert import to_conll

    Path(args.output).write_text(to_conll(_load([args.input]), PreprocessingSettings(segmenter=args.segmenter)),
                                 encoding="utf-8")
    return 0


def cmd_from_conll(args) -> int:
    from training.convert import from_conll
    from training.corpus import write_jsonl

    print(write_jsonl(from_conll(Path(args.input).read_text(encoding="utf-8")), args.output), "documents")
    return 0


def cmd_to_labelstudio(args) -> int:
    from training.convert import to_label_studio

    reports = None
    if args.reports:
        with open(args.reports, encoding="utf-8") as fh:
            reports = {r["doc_id"]: r for r in map(json.loads, fh) if r.get("doc_id")}
    tasks = to_label_studio(_load([args.input]), reports)
    Path(args.output).write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    print(len(tasks), "tasks")
    return 0


def cmd_from_labelstudio(args) -> int:
    from training.convert import read_label_studio
    from training.corpus import validate, write_jsonl

    docs = read_label_studio(args.input)
    for p in validate(docs, extra_check_keys=False):
        print("PROBLEM", p, file=sys.stderr)
    print(write_jsonl(docs, args.output), "documents")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-corpus", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="authoring sources -> train/dev/test JSONL")
    b.add_argument("--src", default=str(SRC))
    b.add_argument("--out", default=str(CORPUS))
    b.add_argument("--skip-bad", action="store_true", help="leave out files with problems (drafts) instead of failing")
    b.set_defaults(func=cmd_build)
    for name, fn, hlp in (("validate", cmd_validate, "check offsets, labels, overlaps, ids"),
                          ("stats", cmd_stats, "counts for the data card"),
                          ("consistency", cmd_consistency, "label conflicts and untagged occurrences")):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("files", nargs="*", help="JSONL files (default: the three splits)")
        if name == "stats":
            p.add_argument("--by-split", action="store_true")
        if name == "consistency":
            p.add_argument("--output")
            p.add_argument("--show", type=int, default=40)
        p.set_defaults(func=fn)
    for name, fn in (("to-conll", cmd_to_conll), ("from-conll", cmd_from_conll),
                     ("to-labelstudio", cmd_to_labelstudio), ("from-labelstudio", cmd_from_labelstudio)):
        p = sub.add_parser(name)
        p.add_argument("input")
        p.add_argument("output")
        if name == "to-conll":
            p.add_argument("--segmenter", default="pyvi")
        if name == "to-labelstudio":
            p.add_argument("--reports", help="JSONL predictor reports: pre-annotate with the model's output")
        p.set_defaults(func=fn)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
