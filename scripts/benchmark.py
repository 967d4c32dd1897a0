"""Benchmark end-to-end batch inference (see training/benchmark.py). The last line printed
is one JSON object: tokens_per_s, baseline_tokens_per_s, speedup, preprocess_share, workers,
model_share (the model's share of wall time), identical_entities, ...; with --device cuda also
gpu_tokens_per_s (tokens per second of GPU busy time) and gpu_busy_share (busy time / wall).

Parts can be left out: --baseline-docs 0 (no naive baseline), --compare with no value (no
other dtypes), --agreement-data with no value (no check against fp32), a --phobert or
--compact folder that does not exist (no run on it)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-benchmark", description=__doc__)
    ap.add_argument("inputs", nargs="*", help="documents (.jsonl/.txt/folders); default: the corpus test split")
    ap.add_argument("--docs", type=int, default=200, help="repeat the inputs to at least this many documents")
    ap.add_argument("--phobert", default=str(ROOT.parent / "shared" / "phobert-base"),
                    help="folder with PhoBERT's config.json, vocab.txt, bpe.codes (random weights)")
    ap.add_argument("--compact", default=str(ROOT / ".cache" / "compact" / "model"),
                    help="a trained model folder (the speed options are checked against fp32 on it)")
    ap.add_argument("--agreement-data", nargs="*",
                    default=[str(ROOT / "annotations" / "corpus" / f"{s}.jsonl") for s in ("dev", "test")],
                    help="documents on which each speed option is compared with fp32 (default: dev + test)")
    ap.add_argument("--dtype", default=None, help="speed setting to measure (default: the predictor's default)")
    ap.add_argument("--compare", nargs="*", default=["qint8", "int8"],
                    help="other settings also timed at phobert-base size (default: qint8 int8)")
    ap.add_argument("--check-models", nargs="*", default=[],
                    help="more trained model folders on which every setting is compared with fp32 "
                         "(the speed settings must hold on differently trained models, not one)")
    ap.add_argument("--batch-size", type=int, default=None, help="row cap per batch (default: the predictor's)")
    ap.add_argument("--batch-tokens", type=int, default=None, help="tokens per batch (default: the predictor's)")
    ap.add_argument("--baseline-docs", type=int, default=10, help="documents for the slow naive baseline")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N (the speed runs; agreement is checked on the CPU)")
    ap.add_argument("--workers", type=int, default=0,
                    help="processes that prepare documents and build reports while this one runs the model")
    ap.add_argument("--compile", action="store_true", help="run the model through torch.compile")
    ap.add_argument("--stream", type=int, default=0,
                    help="also stream this many documents through the compact model and print RSS every 100")
    ap.add_argument("--output", help="write all results as JSON")
    args = ap.parse_args(argv)

    import torch

    from model.predictor import Predictor, resolve_device, resolve_dtype
    from model.quantize import Int8Unsupported
    from training import benchmark as B

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.workers < 0:
        ap.error("--workers must be 0 or more")
    device = resolve_device(args.device)
    inputs = args.inputs or [str(ROOT / "annotations" / "corpus" / "test.jsonl")]
    docs = B.load_documents(inputs, args.docs)
    dtype = resolve_dtype(args.dtype, device)
    print(f"{len(docs)} documents, {sum(len(t) for _, t in docs):,} characters; device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")
          + f"; torch threads {torch.get_num_threads()}; workers {args.workers}; dtype: {dtype}")
    results: dict = {"documents": len(docs), "dtype": dtype, "device": str(device), "workers": args.workers}
    summary: dict = {"workers": args.workers}
    phobert = Path(args.phobert)

    def timed(pred: Predictor, name: str) -> dict:
        if args.batch_tokens:
            pred.batch_tokens = args.batch_tokens
        with pred:  # stops the worker processes afterwards
            B.run(pred, docs[:8], args.batch_size, "warm-up", args.workers)  # also starts the workers
            r = B.run(pred, docs, args.batch_size, name, args.workers).to_dict()
        print(B.format_run(r), flush=True)
        return r

    def gpu_fields(r: dict, prefix: str = "") -> dict:
        return {f"{prefix}{k}": r[k] for k in ("gpu_tokens_per_s", "gpu_busy_share") if k in r}

    if (phobert / "vocab.txt").is_file():
        p = B.phobert_random(phobert, device=str(device), dtype=dtype, compile=args.compile)
        main_run = timed(p, f"phobert-base size, {dtype}, {device}")
        st = main_run["stage_seconds"]
        pre = st["normalise"] + st["segment"] + st["tokenise"]
        summary.update(tokens_per_s=main_run["tokens_per_s"], model_share=main_run["model_share"],
                       preprocess_share=round(pre / main_run["seconds"], 4), **gpu_fields(main_run),
                       documents_per_s=main_run["documents_per_s"], padding_share=main_run["padding_share"])
        results.update(phobert=main_run, phobert_other={})
        if args.baseline_docs > 0:
            base = B.naive_baseline(p, docs[: args.baseline_docs]).to_dict()
            print(B.format_run(base))
            summary.update(baseline_tokens_per_s=base["tokens_per_s"],
                           speedup=round(main_run["tokens_per_s"] / base["tokens_per_s"], 2))
            results["baseline"] = base
            print(f"speedup over the naive baseline: {summary['speedup']}x")
        print(f"preprocessing {100 * summary['preprocess_share']:.1f}% of the wall time"
              + (" (in the workers, summed over them)" if args.workers else "")
              + f"; the model {100 * summary['model_share']:.1f}%")
        del p
        for other in (d for d in args.compare if d != dtype):
            if other in ("qint8", "int8") and device.type != "cpu":
                print(f"{other} runs on the CPU only: not compared on this device")
                continue
            try:
                pred = B.phobert_random(phobert, device=str(device), dtype=other)
            except Int8Unsupported as exc:
                print(f"phobert-base size, {other}: skipped ({exc})")
                continue
            r = timed(pred, f"phobert-base size, {other}")
            results["phobert_other"][other] = r
            summary[f"{other}_tokens_per_s"] = r["tokens_per_s"]
        summary.update(peak_rss_mb=round(B.peak_rss_mb()),
                       rss_growth_mb=main_run["rss_end_mb"] - main_run["rss_start_mb"])
    else:
        print(f"no PhoBERT files in {phobert}: skipping the phobert-base-size run")
    compact = Path(args.compact)
    if (compact / "config.json").is_file():
        c = Predictor.from_pretrained(str(compact), device=str(device), dtype=dtype, compile=args.compile)
        crun = timed(c, f"compact model, {dtype}, {device}")
        summary.update(compact_tokens_per_s=crun["tokens_per_s"], compact_model_share=crun["model_share"],
                       **gpu_fields(crun, "compact_"))
        summary.setdefault("model_share", crun["model_share"])
        results["compact"] = crun
    else:
        print(f"no trained model in {compact}: run `make demo` first to check speed options against fp32")
    summary["identical_entities"] = None
    if (compact / "config.json").is_file() and args.agreement_data and device.type == "cpu":
        # the CPU speed options against CPU fp32; CPU against GPU is scripts/check_devices.py
        unique = B.load_documents(args.agreement_data, 1)
        others = sorted({d for d in ("bfloat16", "qint8", "int8", *args.compare, dtype) if d != "float32"})

        def agreement(model_dir: str) -> dict:
            checks = B.check_settings(model_dir, unique, args.batch_size, others)
            print(f"identical entities vs fp32, {B.model_label(model_dir)}, {len(unique)} documents "
                  f"({checks['float32']['entities']} fp32 entities):")
            for name, r in checks.items():
                print(f"  {name:<9} {r['tokens_per_s']:>8.0f} tokens/s  identical entities vs fp32: "
                      f"{100 * r['identical_entities']:.2f}%")
            return checks

        checks = agreement(str(compact))
        summary["identical_entities"] = checks.get(dtype, checks["float32"])["identical_entities"]
        for name, r in checks.items():
            if name not in ("float32", dtype):
                summary[f"{name}_identical_entities"] = r["identical_entities"]
        results["settings_vs_fp32"] = checks
        by_model = {B.model_label(str(compact)): checks}
        for extra in args.check_models:
            by_model[B.model_label(extra)] = agreement(extra)
        if args.check_models:
            summary["identical_entities_by_model"] = {
                m: {k: r["identical_entities"] for k, r in c.items() if k != "float32"} for m, c in by_model.items()}
            results["settings_vs_fp32_by_model"] = by_model
    if (compact / "config.json").is_file() and args.stream:
        points = B.memory_over_stream(c, docs, args.stream)
        print("RSS over the stream (documents: MB): " + ", ".join(f"{n}: {mb:.0f}" for n, mb in points))
        summary["stream_rss_mb"] = [points[0][1], points[-1][1]]
        results["stream_rss"] = points
    results["summary"] = summary
    B.save(args.output, results)
    print(json.dumps(summary))
    return 0

if __name__ == "__main__":
    sys.exit(main())
