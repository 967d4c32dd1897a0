"""CPU/GPU agreement and GPU throughput for a trained model (run where a GPU is present).

Runs the same documents through the predictor on the CPU (fp32, the reference) and on
the GPU (fp32 and the GPU's fast dtype), and reports the share of identical entities, the
largest score difference and whether the report shapes match. With --speed it also times
a phobert-base-sized encoder (random weights) on the GPU. The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="check_devices", description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="JSONL documents {id, text}")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--repeat", type=int, default=20, help="documents repeated this often for --speed")
    args = ap.parse_args(argv)

    import torch

    from model.predictor import Predictor
    from training.benchmark import identical_share

    docs = []
    with open(args.data, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            docs.append((r["id"], r["text"]))
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to compare", file=sys.stderr)
        return 2

    def run(device: str, dtype: str):
        p = Predictor.from_pretrained(args.model, device=device, dtype=dtype)
        reps = [r.to_dict() for r in p.predict_batch(docs, batch_size=args.batch_size)]
        return reps

    def keys(reps):
        return [{(e["start"], e["end"], e["label"]) for e in r["entities"]} for r in reps]

    cpu = run("cpu", "float32")
    out: dict = {"documents": len(docs), "gpu": torch.cuda.get_device_name(0)}
    for dtype in ("float32", "bfloat16", "float16"):
        gpu = run("cuda", dtype)
        diffs = [abs(a["score"] - b["score"]) for x, y in zip(cpu, gpu) for a, b in zip(x["entities"], y["entities"])
                 if (a["start"], a["end"], a["label"]) == (b["start"], b["end"], b["label"])]
        out[f"cuda_{dtype}"] = {
            "identical_entities": round(identical_share(keys(cpu), keys(gpu)), 4),
            "max_score_diff": round(max(diffs, default=0.0), 6),
            "same_shape": all(set(a) == set(b) and a["schema_version"] == b["schema_version"] for a, b in zip(cpu, gpu)),
        }
        print(dtype, out[f"cuda_{dtype}"], flush=True)
    if args.speed:
        from transformers import RobertaConfig, RobertaForTokenClassification

        from model.labels import BIO_TAGS, id2label, label2id

        base = Predictor.from_pretrained(args.model, device="cpu", dtype="float32")
        cfg = RobertaConfig(vocab_size=64001, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                            intermediate_size=3072, max_position_embeddings=258, pad_token_id=1, bos_token_id=0,
                            eos_token_id=2, type_vocab_size=1, num_labels=len(BIO_TAGS), id2label=id2label(),
                            label2id=label2id())
        cfg.ner_preprocessing = base.settings.to_dict()
        for dtype in ("bfloat16", "float32"):
            p = Predictor(RobertaForTokenClassification(cfg), base.tokenizer, base.settings,
                          name="phobert-base size (random)", device="cuda", dtype=dtype,
                          structure=False)  # random tags would make the structure stage measure noise
            many = [(f"{i}#{k}", t) for k in range(args.repeat) for i, t in docs]
            list(p.predict_batch(many[:64], batch_size=args.batch_size))
            p.timings.clear()
            p.tokens_run = 0
            t0 = time.perf_counter()
            for _ in p.predict_batch(many, batch_size=args.batch_size):
                pass
            secs = time.perf_counter() - t0
            st = {k: round(v, 2) for k, v in p.timings.items()}
            out[f"phobert_size_{dtype}"] = {"tokens_per_s": round(p.tokens_run / secs), "documents_per_s":
                                            round(len(many) / secs, 1), "seconds": round(secs, 1), "stages": st}
            print(dtype, out[f"phobert_size_{dtype}"], flush=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
