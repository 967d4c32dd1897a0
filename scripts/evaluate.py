"""Score a trained model on annotated documents: strict P/R/F1 per type on character spans,
a seqeval cross-check, and an error listing (JSON and a readable table)."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-evaluate", description=__doc__)
    ap.add_argument("--model", required=True, help="trained model folder or hub id")
    ap.add_argument("--data", required=True, help="JSONL documents with gold character spans")
    ap.add_argument("--output", help="write metrics and the full error listing as JSON")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--dtype", default="float32", help="float32 (reference), bfloat16, int8, qint8, ...")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--errors", type=int, default=30, help="errors to print (0: none)")
    args = ap.parse_args(argv)

    from training.evaluate import evaluate_model, format_errors, format_table

    m = evaluate_model(args.model, args.data, args.output, args.device, args.dtype, args.batch_size)
    print(format_table(m["scores"]))
    sq = m["seqeval_word_level"]
    print(f"seqeval (strict IOB2, word level): P {sq['precision']:.3f} R {sq['recall']:.3f} F1 {sq['f1']:.3f}; "
          f"gold entities not on word edges: {sq['gold_entities_not_on_word_edges']}")
    print("errors:", ", ".join(f"{k} {v}" for k, v in sorted(m["error_counts"].items())) or "none")
    if args.errors:
        print(format_errors(m["errors"], args.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
