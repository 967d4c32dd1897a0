"""Masked-LM pretraining of the offline encoder on raw Vietnamese text (resumable).

    python -m scripts.pretrain --config training/configs/pretrain_compact.yaml
    python -m scripts.pretrain --config ... --set max_steps=8000      # continue further
    python -m scripts.pretrain --config ... --stage data              # segment, tokenizer, pack only
    python -m scripts.pretrain --config ... --export models/NAME      # ship the encoder with its card
    python -m scripts.pretrain --config ... --stage export --export models/NAME   # a finished run, no training
"""
from __future__ import annotations

import argparse
import json
import logging
import sys

from scripts.train import parse_overrides


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-pretrain", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="YAML or JSON pretraining config")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    ap.add_argument("--device", default=None, help="auto | cpu | cuda (overrides the config)")
    ap.add_argument("--stage", choices=("data", "all", "export"), default="all",
                    help="data: segment, tokenizer, pack only; export: copy the finished encoder to --export")
    ap.add_argument("--no-resume", action="store_true", help="start again instead of resuming")
    ap.add_argument("--export", metavar="DIR", help="after training, copy the encoder and its model card to DIR")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    from training.pretrain import export_encoder, load_pretrain_config, prepare_data, pretrain

    overrides = parse_overrides(args.set)
    if args.device:
        overrides["device"] = args.device
    try:
        cfg = load_pretrain_config(args.config, overrides)
    except (OSError, ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.stage == "data":
        tokenizer, train_rows, held_rows = prepare_data(cfg)
        print(json.dumps({"vocab": len(tokenizer), "train_rows": len(train_rows), "heldout_rows": len(held_rows)}))
        return 0
    if args.stage == "export":
        if not args.export:
            print("error: --stage export needs --export DIR", file=sys.stderr)
            return 2
        try:
            print(f"encoder and model card in {export_encoder(cfg, args.export)}")
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    print(json.dumps(pretrain(cfg, resume=not args.no_resume), ensure_ascii=False))
    if args.export:
        print(f"encoder and model card in {export_encoder(cfg, args.export)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
