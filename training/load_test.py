"""A bounded local load test of vn-ner-serve: a fixed number of requests from a few threads.

Every request carries its own id and a text made unique by a numbered first line, and every
answer is checked against its own request (doc_id, text_sha256, text_length, entity
offsets), so a lost or crossed answer is counted, not just a slow one. Reports requests/s
and latency percentiles. The server runs in its own process (`start_server`) so the load
threads do not share its interpreter.
"""
from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

from model.report import text_sha256

ROOT = Path(__file__).resolve().parents[1]


def request_items(texts: Sequence[str], count: int) -> list[tuple[str, str]]:
    """`count` (id, text) pairs cycling over `texts`, each text unique (numbered first line)."""
    return [(f"load-{k}", f"Bản tin số {k}.\n{texts[k % len(texts)]}") for k in range(count)]


def check_response(doc_id: str, text: str, status: int, body: dict | None) -> str | None:
    """None when the answer belongs to this request and is well formed, else what is wrong."""
    if status != 200 or body is None:
        return f"HTTP {status}"
    if body.get("doc_id") != doc_id:
        return f"doc_id {body.get('doc_id')!r} answered request {doc_id!r}"
    if body.get("text_sha256") != text_sha256(text) or body.get("text_length") != len(text):
        return f"{doc_id}: the report is of another text"
    for e in body.get("entities", []):
        if text[e["start"]:e["end"]] != e["text"]:
            return f"{doc_id}: entity {e['text']!r} does not index the request's text"
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def run_load(url: str, items: Sequence[tuple[str, str]], concurrency: int, timeout: float = 300.0) -> dict:
    """POST every item to `url`/predict from `concurrency` threads; timings and checks."""
    import httpx

    def one(item: tuple[str, str]) -> tuple[float, str | None]:
        doc_id, text = item
        t0 = time.perf_counter()
        try:
            r = client.post(f"{url}/predict", json={"id": doc_id, "text": text})
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") else None
            status = r.status_code
        except httpx.HTTPError as exc:
            return time.perf_counter() - t0, f"{doc_id}: {type(exc).__name__}: {exc}"
        return time.perf_counter() - t0, check_response(doc_id, text, status, body)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(timeout=timeout, limits=limits) as client:  # httpx clients are thread-safe
        one(items[0])  # warm-up (first-call allocations), not counted
        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(one, items))
        wall = time.perf_counter() - t0
    latencies = [lat for lat, _ in results]
    problems = [p for _, p in results if p]
    chars = sum(len(t) for _, t in items)
    return {"requests": len(items), "concurrency": concurrency, "ok": len(items) - len(problems),
            "failed": len(problems), "problems": problems[:10], "seconds": round(wall, 2),
            "requests_per_s": round(len(items) / wall, 2), "chars_per_s": round(chars / wall),
            "latency_ms": {"p50": round(1000 * percentile(latencies, 50)), "p95": round(1000 * percentile(latencies, 95)),
                           "max": round(1000 * max(latencies))}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str, extra_args: Sequence[str] = (), wait: float = 180.0) -> tuple[subprocess.Popen, str]:
    """`vn-ner-serve` in a child process on a free port; returns it once /health answers."""
    import httpx

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scripts.serve", "--model", model, "--port", str(port),
                             *extra_args], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + wait
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vn-ner-serve exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"vn-ner-serve did not answer /health within {wait:.0f} s")


def health(url: str) -> dict:
    import httpx

    return httpx.get(f"{url}/health", timeout=10).json()


def format_summary(result: dict) -> str:
    lat = result["latency_ms"]
    return (f"{result['requests']} requests, {result['concurrency']} at a time: {result['requests_per_s']} requests/s, "
            f"latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, max {lat['max']} ms; "
            f"{result['ok']} ok, {result['failed']} failed or mismatched\n" + json.dumps(result, ensure_ascii=False))
