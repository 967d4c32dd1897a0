"""scripts/predict.py: inputs of every kind, resume, bad records, exit code, HTML view."""
import io
import json

from model.report import validate_report
from scripts.predict import main


def _records(path):
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_with_bad_records_then_resume(tiny_model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    with open(src, "wb") as fh:
        fh.write(json.dumps({"id": "a", "text": "Ngày 6/7, ông Trần Văn Khải dự họp."}, ensure_ascii=False).encode() + b"\n")
        fh.write(b"{not json\n")
        fh.write(json.dumps({"id": "c"}).encode() + b"\n")
        fh.write(b'{"id": "d", "text": "\xff\xfe bad bytes"}\n')
        fh.write(json.dumps({"id": "e", "text": "   "}).encode() + b"\n")
        fh.write(json.dumps({"id": "f", "text": "Bộ Nội vụ ban hành Nghị định 30/2020/NĐ-CP."}, ensure_ascii=False).encode() + b"\n")
        fh.write(json.dumps({"id": "a", "text": "duplicate"}).encode() + b"\n")
    out, err, html = tmp_path / "out.jsonl", tmp_path / "errors.jsonl", tmp_path / "view.html"
    args = [str(src), "--model", str(tiny_model_dir), "--output", str(out), "--errors", str(err),
            "--html", str(html), "--dtype", "float32", "--no-progress"]
    assert main(args) == 1  # some records failed
    reports = _records(out)
    assert [r["doc_id"] for r in reports] == ["a", "f"]
    for r in reports:
        validate_report(r)
    errors = _records(err)
    assert [(e["line"], e["reason"].split(":")[0]) for e in errors] == [
        (2, "invalid JSON"), (3, "no 'text' field"), (4, "undecodable bytes"), (5, "empty text"),
        (7, "duplicate id 'a'")]
    assert "<mark class=" in html.read_text(encoding="utf-8")

    # an interrupted run leaves a torn last line: it is cut off and redone
    with open(out, "a", encoding="utf-8") as fh:
        fh.write('{"doc_id": "g", "partial')
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps({"id": i, "text": f"Ngày {k}/7 họp"}) for k, i in enumerate("afg", 1)) + "\n")
    assert main([str(good), "--model", str(tiny_model_dir), "--output", str(out), "--errors", str(tmp_path / "e2"),
                 "--no-progress"]) == 0
    assert [r["doc_id"] for r in _records(out)] == ["a", "f", "g"]


def test_text_files_folders_and_stdin(tiny_model_dir, tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("Ông Trần Văn Khải dự họp ngày 12/3.", encoding="utf-8")
    (folder / "sub" / "two.txt").write_text("Bộ Nội vụ ban hành văn bản.", encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00")
    out = tmp_path / "out.jsonl"
    assert main([str(folder), "--model", str(tiny_model_dir), "--output", str(out), "--no-progress"]) == 1
    assert sorted(r["doc_id"] for r in _records(out)) == ["one.txt", "sub/two.txt"]

    class FakeStdin:
        buffer = io.BytesIO("Ngày 6/7 họp.".encode())

    monkeypatch.setattr("sys.stdin", FakeStdin)
    out2 = tmp_path / "stdin.jsonl"
    assert main(["-", "--model", str(tiny_model_dir), "--output", str(out2), "--no-progress"]) == 0
    assert _records(out2)[0]["doc_id"] == "stdin"


def test_missing_model_exits_2(tmp_path, capsys):
    assert main(["x.txt", "--model", str(tmp_path / "nope"), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert "error:" in capsys.readouterr().err
