"""Bounded local load test of vn-ner-serve: requests/s, p50/p95 latency, lost or crossed answers.

    python -m scripts.load_test --model .cache/compact/model --requests 200 --concurrency 8
    python -m scripts.load_test --url http://127.0.0.1:8000 --requests 200 --concurrency 8

With --model a server is started in a child process on a free port (and stopped after);
with --url an already running one is used. Texts are the corpus test split, cycled, each
made unique. The last line is JSON. Exit code 1 if any answer failed or did not match its
request.
"""
from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-load-test", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--model", help="model folder: start vn-ner-serve for it")
    where.add_argument("--url", help="a running vn-ner-serve, e.g. http://127.0.0.1:8000")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--data", default="annotations/corpus/test.jsonl", help="JSONL documents with `text`")
    ap.add_argument("--dtype", default=None, help="passed to vn-ner-serve with --model")
    args = ap.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1:
        ap.error("--requests and --concurrency must be at least 1")

    from training.load_test import format_summary, health, request_items, run_load, start_server

    with open(args.data, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    proc = None
    if args.model:
        proc, url = start_server(args.model, ["--dtype", args.dtype] if args.dtype else [])
    else:
        url = args.url.rstrip("/")
    try:
        info = health(url)
        print(f"server {url}: model {info['model']['name']} on {info['device']} ({info['dtype']})", file=sys.stderr)
        result = run_load(url, request_items(texts, args.requests), args.concurrency)
        result.update({"model": info["model"]["name"], "device": info["device"], "dtype": info["dtype"],
                       "mean_chars": round(sum(map(len, texts)) / len(texts))})
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    print(format_summary(result))
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
