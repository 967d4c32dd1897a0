"""Batch NER: .txt files, folders, JSONL {"id","text"} or '-' (stdin) -> JSONL reports.

Resumable (ids already in the output are skipped); bad records go to the errors file
with their line number and reason. Exit code: 0 all records done, 1 some failed, 2 the
model could not be loaded.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-predict", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", help="files, folders, .jsonl files, or - for stdin")
    ap.add_argument("--model", required=True, help="trained model folder or hub id")
    ap.add_argument("--output", required=True, type=Path, help="JSONL reports (appended; resumable)")
    ap.add_argument("--errors", type=Path, help="bad records (default: OUTPUT.errors.jsonl)")
    ap.add_argument("--html", type=Path, help="also write an HTML view of this run's documents")
    ap.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    ap.add_argument("--dtype", default=None, help="float32, bfloat16, float16, int8, qint8 (default: fastest exact-enough)")
    ap.add_argument("--batch-size", type=int, default=None, help="most windows per batch (default 64)")
    ap.add_argument("--batch-tokens", type=int, default=None,
                    help="most tokens per batch, padding included (default 512 per CPU thread, 16384 on GPU)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--workers", type=int, default=0,
                    help="processes that prepare documents and build reports while this one runs the model "
                         "(default 0: all in one process)")
    ap.add_argument("--compile", action="store_true", help="run the model through torch.compile (inductor)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    if args.workers < 0:
        ap.error("--workers must be 0 or more")

    from model.batch import run_batch
    from model.predictor import ModelLoadError, Predictor

    try:
        predictor = Predictor.from_pretrained(args.model, device=args.device, dtype=args.dtype, threads=args.threads,
                                              compile=args.compile)
    except (ModelLoadError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    errors = args.errors or args.output.with_name(args.output.name + ".errors.jsonl")
    with predictor:
        s = run_batch(predictor, args.inputs, args.output, errors, args.batch_size, args.html,
                      progress=not args.no_progress, batch_tokens=args.batch_tokens, workers=args.workers)
    print(f"{s.written} written, {s.skipped} already done, {s.failed} failed "
          f"({s.docs_per_s:.2f} documents/s); reports: {args.output}"
          + (f"; errors: {errors}" if s.failed else ""), file=sys.stderr)
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
