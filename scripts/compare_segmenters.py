"""Measure each word segmenter on the corpus: how often an annotated entity boundary falls
inside a segmented word (dev split), and the dev/test F1 of a compact model trained with it.
The project's default segmenter was chosen with this script."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="compare_segmenters", description=__doc__)
    ap.add_argument("--segmenters", default="pyvi,underthesea,syllable")
    ap.add_argument("--config", default=str(ROOT / "training" / "configs" / "compact.yaml"))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="training overrides for every run (e.g. epochs=4)")
    ap.add_argument("--no-train", action="store_true", help="only the boundary-crossing rates")
    ap.add_argument("--out", default=".cache/segmenters")
    args = ap.parse_args(argv)

    import yaml

    from model.settings import PreprocessingSettings
    from training.corpus import read_jsonl
    from training.features import AlignmentStats, document_words
    from training.tokenizer import build_tokenizer
    from training.train import load_config, train

    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    results = {}
    for seg in args.segmenters.split(","):
        cfg = load_config(args.config, overrides)
        dev = list(read_jsonl(ROOT / cfg.dev_file))
        stats = AlignmentStats()
        settings = PreprocessingSettings(segmenter=seg)
        for d in dev:
            document_words(d, settings, stats)
        row = {"crossing_rate_dev": round(stats.crossing_rate, 4), "entities_dev": stats.entities,
               "words_dev": stats.words}
        if not args.no_train:
            out = Path(args.out) / seg
            tok = build_tokenizer(ROOT / cfg.train_file, out / "tokenizer", settings)
            overrides_seg = {**overrides, "segmenter": seg, "tokenizer": str(tok), "output_dir": str(out / "model")}
            m = train(load_config(args.config, overrides_seg))
            row.update(dev_f1=m["dev"]["scores"]["micro"]["f1"], test_f1=m["test"]["scores"]["micro"]["f1"],
                       train_seconds=m["train_seconds"])
        results[seg] = row
        print(seg, json.dumps(row), flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
