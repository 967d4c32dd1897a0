"""Fine-tune a PhoBERT-format token classifier from a YAML/JSON config.

    python -m scripts.train --config configs/compact.yaml --set epochs=5 --set output_dir=models/x
"""
from __future__ import annotations

import argparse
import json
import logging
import sys


def _value(text: str):
    import yaml

    return yaml.safe_load(text)


def parse_overrides(items: list[str]) -> dict:
    """`--set KEY=VALUE` pairs -> a dict, values read as YAML (numbers, booleans, lists)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"error: --set takes KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = _value(v)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="YAML or JSON file; keys are TrainConfig fields")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    from training.evaluate import format_table
    from training.train import load_config, train

    overrides = parse_overrides(args.set)
    try:
        cfg = load_config(args.config, overrides)
    except (ValueError, TypeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    metrics = train(cfg)
    for split in ("dev", "test"):
        if split in metrics:
            print(f"\n{split}:\n" + format_table(metrics[split]["scores"]))
    print(json.dumps({"output_dir": cfg.output_dir, "train_seconds": metrics["train_seconds"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
