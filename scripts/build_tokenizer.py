"""Rebuild the compact model's tokenizer (vocab.txt + bpe.codes, PhoBERT's format)."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-build-tokenizer", description=__doc__)
    ap.add_argument("--train-file", default="annotations/corpus/train.jsonl")
    ap.add_argument("--out", default=".cache/compact/tokenizer")
    ap.add_argument("--segmenter", default="pyvi")
    ap.add_argument("--vocab-size", type=int, default=8000)
    ap.add_argument("--min-frequency", type=int, default=2)
    args = ap.parse_args(argv)

    from transformers import PhobertTokenizer

    from model.settings import PreprocessingSettings
    from training.tokenizer import build_tokenizer

    out = build_tokenizer(args.train_file, args.out, PreprocessingSettings(segmenter=args.segmenter),
                          args.vocab_size, args.min_frequency)
    print(f"{out}: {len(PhobertTokenizer.from_pretrained(str(out)))} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
