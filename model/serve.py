"""HTTP service over one Predictor (FastAPI; the `serve` extra), used by `vn-ner-serve`.

    POST /predict        {"text": "...", "id": "a1"}                    -> one report (schema 1.2)
    POST /predict_batch  {"documents": [{"id": "a1", "text": "..."}]}   -> {"reports": [...]}, input order
    GET  /health                                                         -> model, device, limits, queue
    GET  /  and POST / (the page's form)                                 -> the page (model/serve_page.py)

Predictions run on one worker thread beside the event loop, so the loop keeps answering
(health, errors, new requests) while the model works: torch already spreads one batch
over every core, and one thread owning the Predictor means no two requests ever share its
state. Each request waits on its own future, so answers cannot cross between requests.
Bad input gets a 4xx with `{"error": "..."}` naming the problem: 400 not JSON, 413 over a
size limit, 422 wrong shape, 503 when too many requests are already waiting.
"""
from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from model.predictor import Predictor
from model.report import SCHEMA_VERSION
from model.serve_page import render_page


@dataclass(frozen=True)
class Limits:
    """Request size limits; each breach is a 413 (or 503 for the queue) naming the limit."""

    max_body_bytes: int = 8 * 1024 * 1024  # the whole request body, JSON or form
    max_chars: int = 200_000  # one document (a long news article is 5-30k characters)
    max_documents: int = 64  # documents in one /predict_batch
    max_batch_chars: int = 1_000_000  # all documents of one /predict_batch together
    max_waiting: int = 64  # requests queued for the model before new ones get 503


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to be over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"request body is {int(declared):,} bytes; the limit is {limit:,}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"request body is over the limit of {limit:,} bytes")
    return bytes(body)


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "empty body: send a JSON object")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise ApiError(400, "body is not UTF-8") from None
    except ValueError as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None


def _check_text(value: Any, where: str, max_chars: int) -> str:
    if not isinstance(value, str):
        raise ApiError(422, f"{where}: `text` must be a string, got {type(value).__name__}")
    if len(value) > max_chars:
        raise ApiError(413, f"{where}: text has {len(value):,} characters; the limit is {max_chars:,}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(422, f"{where}: text contains an unpaired surrogate (\\ud800-\\udfff escape)") from None
    return value


def _check_id(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ApiError(422, f"{where}: `id` must be a string, got {type(value).__name__}")


def parse_document(data: Any, where: str, max_chars: int, also: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """`{"text": str, "id": str?}` -> (id, text); unknown keys are named (a typo must not vanish)."""
    if not isinstance(data, dict):
        raise ApiError(422, f"{where}: expected an object like {{\"text\": \"...\", \"id\": \"a1\"}}, "
                            f"got {type(data).__name__}")
    known = ("text", "id", *also)
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ApiError(422, f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if "text" not in data:
        raise ApiError(422, f"{where}: `text` is missing")
    return _check_id(data.get("id"), where), _check_text(data["text"], where, max_chars)


def _structure_flag(data: Any) -> bool:
    value = data.get("structure", True) if isinstance(data, dict) else True
    if not isinstance(value, bool):
        raise ApiError(422, f"`structure` must be true or false, got {value!r}")
    return value


class Worker:
    """One thread owns the Predictor; requests queue for it and each gets its own future."""

    def __init__(self, predictor: Predictor, max_waiting: int) -> None:
        self.predictor = predictor
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vn-ner-model")
        self.max_waiting = max_waiting
        self.waiting = 0  # touched on the event loop thread only

    def _run(self, items: list[tuple[str | None, str]], structure: bool) -> list[dict]:
        pairs = [(i, t) if i is not None else t for i, t in items]
        return [r.to_dict() for r in self.predictor.predict_batch(pairs, structure=structure)]

    async def reports(self, items: list[tuple[str | None, str]], structure: bool = True) -> list[dict]:
        if self.waiting >= self.max_waiting:
            raise ApiError(503, f"{self.waiting} requests are already waiting for the model; retry shortly")
        self.waiting += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, self._run, items, structure)
        finally:
            self.waiting -= 1

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def create_app(predictor: Predictor, limits: Limits | None = None) -> FastAPI:
    """The FastAPI app serving one loaded Predictor."""
    limits = limits or Limits()
    worker = Worker(predictor, limits.max_waiting)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        worker.close()

    app = FastAPI(title="vn-gov-ner", version=SCHEMA_VERSION, lifespan=lifespan,
                  description="Vietnamese government-news NER: PERSON, ROLE, ORG, DOC, DATE, with the "
                              "people-and-posts, documents and dates of each text (report schema "
                              f"{SCHEMA_VERSION}).")
    app.state.worker = worker
    app.state.limits = limits
    model_line = (f"model {predictor.name} · weights sha256 {predictor.weights_hash[:12]} · "
                  f"{predictor.device} · {predictor.dtype}")

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "schema_version": SCHEMA_VERSION, "model": predictor.model_info(),
                "device": str(predictor.device), "dtype": predictor.dtype, "waiting": worker.waiting,
                "limits": asdict(limits)}

    @app.post("/predict")
    async def predict(request: Request) -> JSONResponse:
        data = parse_json(await read_body(request, limits.max_body_bytes))
        item = parse_document(data, "body", limits.max_chars, also=("structure",))
        (report,) = await worker.reports([item], _structure_flag(data))
        return JSONResponse(report)

    @app.post("/predict_batch")
    async def predict_batch(request: Request) -> JSONResponse:
        data = parse_json(await read_body(request, limits.max_body_bytes))
        if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
            raise ApiError(422, 'expected {"documents": [{"id": "a1", "text": "..."}, ...]}')
        unknown = sorted(set(data) - {"documents", "structure"})
        if unknown:
            raise ApiError(422, f"unknown field(s) {', '.join(unknown)}; the body has `documents` and `structure`")
        docs = data["documents"]
        if not docs:
            raise ApiError(422, "`documents` is empty")
        if len(docs) > limits.max_documents:
            raise ApiError(413, f"{len(docs)} documents; the limit is {limits.max_documents} per request")
        items = [parse_document(d, f"documents[{k}]", limits.max_chars) for k, d in enumerate(docs)]
        total = sum(len(t) for _, t in items)
        if total > limits.max_batch_chars:
            raise ApiError(413, f"the documents have {total:,} characters together; the limit is "
                                f"{limits.max_batch_chars:,}")
        return JSONResponse({"reports": await worker.reports(items, _structure_flag(data))})

    async def page(text: str | None) -> HTMLResponse:
        if text is None:
            return HTMLResponse(render_page(model_line=model_line, max_chars=limits.max_chars))
        try:
            _check_text(text, "the text", limits.max_chars)
            (report,) = await worker.reports([(None, text)])
        except ApiError as exc:
            return HTMLResponse(render_page(model_line=model_line, text=text[:limits.max_chars], error=exc.message,
                                            max_chars=limits.max_chars), status_code=exc.status)
        return HTMLResponse(render_page(model_line=model_line, text=text, report=report, max_chars=limits.max_chars))

    @app.get("/", response_class=HTMLResponse)
    async def page_get(text: str | None = None) -> HTMLResponse:
        return await page(text)

    @app.post("/", response_class=HTMLResponse)
    async def page_post(request: Request) -> HTMLResponse:
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        if kind != "application/x-www-form-urlencoded":
            raise ApiError(415, "the page's form posts application/x-www-form-urlencoded; "
                                "use POST /predict for JSON")
        body = await read_body(request, limits.max_body_bytes)
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise ApiError(400, "form body is not UTF-8") from None
        return await page(fields.get("text", [""])[0])

    return app
