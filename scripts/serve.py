"""HTTP service: POST /predict, POST /predict_batch (report schema), GET /health, and a page at /.

    vn-ner-serve --model .cache/compact/model --port 8000
    curl -s localhost:8000/predict -H 'content-type: application/json' \\
         -d '{"id": "a1", "text": "Sáng 6/7, đồng chí Nguyễn Văn Đô, Phó Bí thư Thành ủy, ..."}'

Needs the `serve` extra (pip install 'vn-gov-ner[serve]'): FastAPI and uvicorn.
Exit code 2 when the model cannot be loaded or the extra is missing.
"""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-serve", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="trained model folder or hub id")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    ap.add_argument("--dtype", default=None, help="float32, bfloat16, float16, int8, qint8 (default: fastest exact-enough)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--max-chars", type=int, default=None, help="longest document in characters (default 200,000)")
    ap.add_argument("--max-documents", type=int, default=None, help="most documents per /predict_batch (default 64)")
    ap.add_argument("--max-body-bytes", type=int, default=None, help="largest request body (default 8 MiB)")
    args = ap.parse_args(argv)

    try:
        import uvicorn

        from model.serve import Limits, create_app
    except ImportError as exc:
        print(f"error: {exc.name or exc} is not installed; install the extra: pip install 'vn-gov-ner[serve]'",
              file=sys.stderr)
        return 2
    from model.predictor import ModelLoadError, Predictor

    try:
        predictor = Predictor.from_pretrained(args.model, device=args.device, dtype=args.dtype, threads=args.threads)
    except (ModelLoadError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    given = {"max_chars": args.max_chars, "max_documents": args.max_documents, "max_body_bytes": args.max_body_bytes}
    limits = Limits(**{k: v for k, v in given.items() if v is not None})
    print(f"vn-ner-serve: {args.model} on {predictor.device} ({predictor.dtype}); "
          f"page at http://{args.host}:{args.port}/", file=sys.stderr)
    uvicorn.run(create_app(predictor, limits), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
