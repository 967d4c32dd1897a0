"""vn-ner-serve: endpoints, 4xx errors, the page, concurrency, and the page in a real browser."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")  # FastAPI's test client and the load test use it

from model.html import COLOURS  # noqa: E402
from model.report import text_sha256, validate_report  # noqa: E402
from model.serve import Limits, create_app  # noqa: E402
from training.load_test import free_port  # noqa: E402

LIMITS = Limits(max_body_bytes=40_000, max_chars=5_000, max_documents=3, max_batch_chars=9_000)


@pytest.fixture(scope="module")
def client(tiny_predictor):
    from fastapi.testclient import TestClient

    with TestClient(create_app(tiny_predictor, LIMITS)) as c:
        yield c


def test_predict_returns_the_predictors_report(client, tiny_predictor, tiny_docs):
    doc = tiny_docs[0]
    r = client.post("/predict", json={"id": doc.id, "text": doc.text})
    assert r.status_code == 200
    validate_report(r.json(), doc.text)
    assert r.json() == tiny_predictor.predict(doc.text, doc_id=doc.id).to_dict()
    bare = client.post("/predict", json={"text": doc.text, "structure": False}).json()
    assert bare["doc_id"] is None and bare["structure"] is None and bare["entities"] == r.json()["entities"]


def test_predict_batch_keeps_order_and_ids(client, tiny_predictor, tiny_docs):
    docs = [{"id": d.id, "text": d.text} for d in tiny_docs[:3]]
    r = client.post("/predict_batch", json={"documents": docs})
    assert r.status_code == 200
    reports = r.json()["reports"]
    assert [x["doc_id"] for x in reports] == [d["id"] for d in docs]
    for x, d in zip(reports, docs):
        validate_report(x, d["text"])
        assert x["entities"] == tiny_predictor.predict(d["text"]).to_dict()["entities"]


def test_health(client, tiny_predictor):
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["schema_version"] == "1.2"
    assert h["model"]["weights_sha256"] == tiny_predictor.weights_hash
    assert h["limits"]["max_chars"] == 5_000 and h["waiting"] == 0


BAD = [
    ("/predict", b"{not json", 400, "not valid JSON"),
    ("/predict", b"", 400, "empty body"),
    ("/predict", b'{"text": "\xff\xfe"}', 400, "not UTF-8"),
    ("/predict", b"[1, 2]", 422, "expected an object"),
    ("/predict", b'{"txt": "Ngay 6/7"}', 422, "unknown field(s) txt"),
    ("/predict", b'{"id": "a"}', 422, "`text` is missing"),
    ("/predict", b'{"text": 5}', 422, "`text` must be a string"),
    ("/predict", b'{"text": "a", "id": [1]}', 422, "`id` must be a string"),
    ("/predict", b'{"text": "a", "structure": "yes"}', 422, "`structure` must be true or false"),
    ("/predict", b'{"text": "a\\ud800b"}', 422, "unpaired surrogate"),
    ("/predict", json.dumps({"text": "x" * 5_001}).encode(), 413, "the limit is 5,000"),
    ("/predict", json.dumps({"text": "x " * 25_000}).encode(), 413, "the limit is 40,000"),
    ("/predict_batch", b'{"docs": []}', 422, '{"documents"'),
    ("/predict_batch", b'{"documents": []}', 422, "`documents` is empty"),
    ("/predict_batch", b'{"documents": [{"text": "a"}, {"id": "b"}]}', 422, "documents[1]: `text` is missing"),
    ("/predict_batch", json.dumps({"documents": [{"text": "a"}] * 4}).encode(), 413, "limit is 3 per request"),
    ("/predict_batch", json.dumps({"documents": [{"text": "x" * 4_000}] * 3}).encode(), 413, "limit is 9,000"),
]


@pytest.mark.parametrize("path,body,status,message", BAD, ids=[f"{b[2]}-{b[3][:24]}" for b in BAD])
def test_bad_input_gets_a_clear_4xx(client, path, body, status, message):
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert message in r.json()["error"]


def test_wrong_method_and_form_type(client):
    assert client.get("/predict").status_code == 405
    r = client.post("/", json={"text": "a"})
    assert r.status_code == 415 and "x-www-form-urlencoded" in r.json()["error"]


def test_page_shows_entities_people_documents_and_dates(client, tiny_docs):
    empty = client.get("/")
    assert empty.status_code == 200 and "<textarea" in empty.text and 'class="legend"' in empty.text
    text = tiny_docs[0].text + "\n<script>alert(1)</script>"
    page = client.post("/", data={"text": text}).text
    for label in ("PERSON", "ROLE", "ORG", "DOC", "DATE"):
        assert f'<mark class="{label}"' in page
    assert "People and their posts" in page and "Trần Văn Khải" in page and "Phó Bí thư Tỉnh ủy" in page
    assert "1450-QĐ/TU" in page and "2024-03-15" in page  # parsed document, normalised date
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert client.get("/", params={"text": text}).text == page  # a link with ?text= shows the same
    too_long = client.post("/", data={"text": "x" * 5_001})
    assert too_long.status_code == 413 and "the limit is 5,000" in too_long.text


@pytest.fixture(scope="module")
def live_server(tiny_predictor, tiny_model_dir):
    """uvicorn on a free port in a thread; VN_NER_PAGE_MODEL serves another model folder instead
    (how docs/serve_page.png was made with a trained model)."""
    uvicorn = pytest.importorskip("uvicorn")
    predictor = tiny_predictor
    if os.environ.get("VN_NER_PAGE_MODEL"):
        from model.predictor import Predictor

        predictor = Predictor.from_pretrained(os.environ["VN_NER_PAGE_MODEL"], device="cpu")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(predictor, LIMITS), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", predictor
    server.should_exit = True
    thread.join(10)


def test_concurrent_requests_are_neither_lost_nor_mixed(live_server, tiny_docs):
    import httpx

    url, predictor = live_server
    items = [(f"req-{k}", f"Bản tin số {k}.\n" + tiny_docs[k % len(tiny_docs)].text) for k in range(24)]
    expected = {i: predictor.predict(t).to_dict()["entities"] for i, t in items}

    def call(item):
        with httpx.Client(timeout=60) as http:
            return item, http.post(f"{url}/predict", json={"id": item[0], "text": item[1]})

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(call, items))
    assert len(results) == len(items)
    for (doc_id, text), r in results:
        assert r.status_code == 200
        body = r.json()
        assert body["doc_id"] == doc_id and body["text_sha256"] == text_sha256(text)
        assert body["entities"] == expected[doc_id]


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_browser() is None, reason="no Chromium installed (apt-get install chromium)")
def test_page_in_headless_chromium(live_server, tiny_docs, tmp_path):
    """Headless Chromium renders the page for one article; the screenshot shows the entity colours.
    VN_NER_PAGE_SHOT=docs/serve_page.png keeps the screenshot (the README's)."""
    from tests.png import read_png

    url, predictor = live_server
    text = tiny_docs[0].text
    shot = tmp_path / "page.png"
    width, height = 1000, 1000
    cmd = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--force-color-profile=srgb", "--force-device-scale-factor=1", f"--window-size={width},{height}",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
           f"{url}/?{urllib.parse.urlencode({'text': text})}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert shot.is_file(), out.stderr[-2000:]
    pixels = read_png(shot)
    assert pixels.shape[:2] == (height, width)
    rgb = pixels[..., :3]
    assert len({tuple(c) for c in rgb.reshape(-1, 3)[::7]}) > 50  # text, marks, tables: not a blank page
    masks = {label: (rgb == [int(c[i:i + 2], 16) for i in (1, 3, 5)]).all(axis=2) for label, c in COLOURS.items()}
    rows = {label: m.any(axis=1).nonzero()[0] for label, m in masks.items()}
    assert all(len(r) for r in rows.values()), "the legend shows every colour"
    legend_top = min(int(r[0]) for r in rows.values())  # the legend is the first coloured line
    below = {label for label, m in masks.items() if m[legend_top + 40:].sum() > 100}
    labels = {e["label"] for e in predictor.predict(text).to_dict()["entities"]}
    assert labels and labels <= below, (labels, below)  # each predicted type is highlighted in the text
    if os.environ.get("VN_NER_PAGE_SHOT"):
        Path(os.environ["VN_NER_PAGE_SHOT"]).write_bytes(shot.read_bytes())


def test_load_test_counts_requests_and_catches_crossed_answers(live_server, tiny_docs):
    from training.load_test import check_response, request_items, run_load

    url, _ = live_server
    items = request_items([d.text for d in tiny_docs], 12)
    result = run_load(url, items, concurrency=4)
    assert result["requests"] == 12 and result["ok"] == 12 and result["failed"] == 0
    assert result["requests_per_s"] > 0 and result["latency_ms"]["p95"] >= result["latency_ms"]["p50"]
    (a, ta), (b, tb) = items[:2]
    answer_for_b = {"doc_id": b, "text_sha256": "x", "text_length": len(tb), "entities": []}
    assert "answered request" in check_response(a, ta, 200, answer_for_b)
    assert "another text" in check_response(a, ta, 200, {**answer_for_b, "doc_id": a})
    assert check_response(a, ta, 503, {"error": "busy"}) == "HTTP 503"
