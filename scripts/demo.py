"""The main job (`make demo`): train or reuse the compact offline model (fine-tuned from the
shipped pretrained encoder; --config compact from random weights; --base to fine-tune PhoBERT), predict the corpus
test split and any files given, print scores and a summary."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-demo", description=__doc__)
    ap.add_argument("files", nargs="*", help="extra .txt/.jsonl files or folders to run the model on")
    ap.add_argument("--base", default=None, help="PhoBERT hub id or local folder to fine-tune instead")
    ap.add_argument("--config", default="compact_pretrained",
                    help="compact_pretrained (from the shipped encoder, default) or compact (random init)")
    ap.add_argument("--out", default="outputs/demo", type=Path)
    args = ap.parse_args(argv)

    from training.demo import DemoError, run_demo

    try:
        run_demo(args.base, args.files, args.out, config=args.config)
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
