"""Batch NER across a Ray cluster: .jsonl / .txt files and folders of them, local or on object
storage (s3://...), -> OUTPUT/reports.jsonl (one report per document, the vn-ner-predict schema)
and OUTPUT/errors.jsonl (bad records with source, line and reason). Resumable: a rerun skips
the documents already in OUTPUT/reports.jsonl.

Connects to the cluster named by --address or RAY_ADDRESS (after `ray start --head` on the
head node and `ray start --address=HEAD:6379` on the others); without either it starts a
Ray instance on this machine. Every node needs this package installed and the model folder
at the same path (or a hub id). Exit code: 0 all records done, 1 some failed, 2 Ray or the
model could not be used.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-predict-ray", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", help=".jsonl/.txt files or folders; local paths or s3://bucket/prefix/")
    ap.add_argument("--model", required=True, help="trained model folder (same path on every node) or hub id")
    ap.add_argument("--output", required=True, type=Path, help="folder for reports.jsonl and errors.jsonl")
    ap.add_argument("--address", default=None, help="Ray cluster address (default: RAY_ADDRESS, else a local instance)")
    ap.add_argument("--num-cpus", type=int, default=None, help="CPUs of a local instance (default: all)")
    ap.add_argument("--device", default="auto", help="auto (GPUs where the cluster has them), cpu or cuda")
    ap.add_argument("--dtype", default=None, help="float32, bfloat16, float16, int8, qint8 (default: the device's fast one)")
    ap.add_argument("--actors", type=int, default=None, help="model actors (default: one per GPU, else 1)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads per CPU model actor")
    ap.add_argument("--docs-per-batch", type=int, default=64, help="documents per preprocessing/report task batch")
    ap.add_argument("--compile", action="store_true", help="run the model through torch.compile")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)

    try:
        import ray
    except ImportError:
        print("error: Ray is not installed: pip install 'vn-gov-ner[ray]'", file=sys.stderr)
        return 2
    from model.ray_batch import run_ray

    started = False
    if not ray.is_initialized():
        local = {"num_cpus": args.num_cpus} if args.num_cpus else {}  # only for an instance started here
        try:
            ray.init(address=args.address, log_to_driver=not args.no_progress, **local)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            print(f"error: cannot start or reach Ray: {exc}", file=sys.stderr)
            return 2
        started = True
    try:
        s = run_ray(args.inputs, args.model, args.output, device=args.device, dtype=args.dtype, actors=args.actors,
                    threads=args.threads, docs_per_batch=args.docs_per_batch, progress=not args.no_progress,
                    compile=args.compile)
    except Exception as exc:  # noqa: BLE001 - Ray wraps what failed on the cluster (no such model, no GPU, a bucket)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if started:
            ray.shutdown()
    print(f"{s.written} written, {s.skipped} already done, {s.failed} failed ({s.docs_per_s:.2f} documents/s); "
          f"reports: {args.output / 'reports.jsonl'}" + (f"; errors: {args.output / 'errors.jsonl'}" if s.failed else ""),
          file=sys.stderr)
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
