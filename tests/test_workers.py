"""Preprocessing and report building in worker processes: the same reports as one process,
in input order, bad records reported and the batch going on, memory bounded, resume kept."""
import itertools
import json

import pytest

from model import Predictor
from model.batch import run_batch
from scripts.predict import main


@pytest.fixture()
def predictor(tiny_model_dir):
    with Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32") as p:
        yield p  # leaving the block stops its worker processes


def _comparable(report: dict) -> tuple[dict, list]:
    entities = [dict(e) for e in report["entities"]]
    scores = [e.pop("score") for e in entities]
    return {**report, "entities": entities}, scores


def assert_same_reports(a: list[dict], b: list[dict]) -> None:
    assert [r["doc_id"] for r in a] == [r["doc_id"] for r in b]
    for x, y in zip(a, b):
        (rx, sx), (ry, sy) = _comparable(x), _comparable(y)
        assert rx == ry
        assert sx == pytest.approx(sy, abs=1e-5)


def test_workers_give_the_single_process_reports_in_order(predictor, tiny_docs):
    items = [(f"d{i}", d.text) for i, d in enumerate(tiny_docs * 3)]
    items[3:3] = [("not-text", None), ("empty", "")]
    items.append(("last-bad", 42))

    def collect(workers):
        failures = []
        reports = [r.to_dict() for r in predictor.predict_batch(
            items, max_windows_in_flight=3, workers=workers, on_error=failures.append)]  # many small flushes
        return reports, [(f.index, f.doc_id, f.stage, f.reason) for f in failures]

    single, single_failed = collect(0)
    pooled, pooled_failed = collect(2)
    assert [r["doc_id"] for r in single] == [i for i, t in items if isinstance(t, str)]
    assert_same_reports(single, pooled)
    assert single_failed == pooled_failed == [
        (3, "not-text", "preprocess", "preprocess failed: TypeError: document not-text: text must be str, got NoneType"),
        (len(items) - 1, "last-bad", "preprocess", "preprocess failed: TypeError: document last-bad: text must be str, got int")]
    assert sum(predictor.timings[s] for s in ("normalise", "segment", "tokenise")) > 0  # the workers' clocks
    assert predictor.timings["decode"] > 0


def test_without_on_error_the_failure_is_raised_and_names_the_record(predictor):
    with pytest.raises(TypeError, match="doc-7"):
        list(predictor.predict_batch([("a", "Ngày 6/7 họp."), ("doc-7", None)], workers=2))


def test_workers_read_the_input_stream_a_bounded_way_ahead(tiny_model_dir):
    with Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32") as p:
        p.windows_in_flight = 16  # a pool of 2 then keeps max(4 * 2, 16 // 8) = 8 chunks of 8 documents ahead
        pulled = itertools.count()

        def endless():
            for k in itertools.count():
                next(pulled)
                yield f"n{k}", f"Ngày {k % 28 + 1}/7, ông Trần Văn Khải dự họp tại Bộ Nội vụ."

        first = list(itertools.islice(p.predict_batch(endless(), workers=2), 5))
        assert [r.doc_id for r in first] == ["n0", "n1", "n2", "n3", "n4"]
        # the chunks ahead, plus two flushes (flush k's reports are read once flush k+1 has run)
        assert next(pulled) <= 8 * 8 + 2 * 16 + 8


def _write_bad_records(path):
    with open(path, "wb") as fh:
        fh.write(json.dumps({"id": "a", "text": "Ngày 6/7, ông Trần Văn Khải dự họp."}, ensure_ascii=False).encode() + b"\n")
        fh.write(b"{not json\n")
        fh.write(json.dumps({"id": "c"}).encode() + b"\n")
        fh.write(b'{"id": "s", "text": "half a character \\ud800 here"}\n')
        fh.write(json.dumps({"id": "f", "text": "Bộ Nội vụ ban hành Nghị định 30/2020/NĐ-CP."}, ensure_ascii=False).encode() + b"\n")
        for k in range(12):
            fh.write(json.dumps({"id": f"g{k}", "text": f"Ngày {k + 1}/3, Bộ Tài chính họp."}, ensure_ascii=False).encode() + b"\n")
        fh.write(json.dumps({"id": "a", "text": "duplicate"}).encode() + b"\n")


def _lines(path):
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines()]


def test_cli_workers_match_one_process_with_bad_records_and_resume(tiny_model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    _write_bad_records(src)
    runs = {}
    for workers in (0, 2):
        out, err = tmp_path / f"out{workers}.jsonl", tmp_path / f"err{workers}.jsonl"
        assert main([str(src), "--model", str(tiny_model_dir), "--output", str(out), "--errors", str(err),
                     "--dtype", "float32", "--no-progress", "--workers", str(workers)]) == 1
        runs[workers] = (_lines(out), _lines(err))
    assert_same_reports(runs[0][0], runs[2][0])
    assert runs[0][1] == runs[2][1]
    assert [(e["line"], e["reason"]) for e in runs[2][1]] == [
        (2, "invalid JSON: Expecting property name enclosed in double quotes (column 2)"),
        (3, "no 'text' field"), (4, "invalid Unicode: lone surrogate in text at character 17"),
        (18, "duplicate id 'a'")]

    # resume with workers: a torn last line is cut off and redone, finished ids are skipped
    out = tmp_path / "out2.jsonl"
    keep = out.read_text(encoding="utf-8").splitlines(keepends=True)[:5]
    out.write_text("".join(keep) + '{"doc_id": "g3", "partial', encoding="utf-8")
    assert main([str(src), "--model", str(tiny_model_dir), "--output", str(out), "--errors", str(tmp_path / "e3"),
                 "--no-progress", "--workers", "2", "--dtype", "float32"]) == 1
    assert_same_reports(_lines(out), runs[0][0])


def test_a_record_failing_inside_the_predictor_goes_to_the_errors_file(predictor, tmp_path, monkeypatch):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in
                             [("a", "Ngày 6/7 họp."), ("b", "BOOM"), ("c", "Bộ Nội vụ họp.")]) + "\n", encoding="utf-8")
    real = predictor.preprocessor.prepare

    def prepare(text, index=0, doc_id=None):
        if text == "BOOM":
            raise ValueError("segmenter gave up")
        return real(text, index, doc_id)

    monkeypatch.setattr(predictor.preprocessor, "prepare", prepare)
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    summary = run_batch(predictor, [str(src)], out, err, progress=False)
    assert (summary.written, summary.failed) == (2, 1)
    assert [r["doc_id"] for r in _lines(out)] == ["a", "c"]
    assert _lines(err) == [{"source": str(src), "line": 2, "id": "b",
                            "reason": "preprocess failed: ValueError: segmenter gave up"}]
