"""The Ray path on a local Ray instance: the same entities as the single-process CLI, bad
records in the errors file, a rerun skipping finished documents. Skipped where Ray is absent."""
import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'vn-gov-ner[ray]'")

from scripts.predict import main as predict_main  # noqa: E402
from scripts.predict_ray import main as ray_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def local_ray():
    # the workers import this checkout's code (not an installed copy) through PYTHONPATH
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    yield
    ray.shutdown()


def _lines(path):
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines()]


def _by_id(reports):
    return {r["doc_id"]: r for r in reports}


def _write_inputs(folder, tiny_docs):
    folder.mkdir()
    with open(folder / "a.jsonl", "wb") as fh:
        for k in range(40):
            d = tiny_docs[k % len(tiny_docs)]
            fh.write(json.dumps({"id": f"a{k}", "text": d.text}, ensure_ascii=False).encode() + b"\n")
            if k == 5:
                fh.write(b"{not json\n")
            if k == 9:
                fh.write(json.dumps({"id": "no-text"}).encode() + b"\n")
            if k == 13:
                fh.write(b'{"id": "half", "text": "half a character \\ud800"}\n')
            if k == 17:
                fh.write(json.dumps({"id": "blank", "text": "  "}).encode() + b"\n")
        fh.write(json.dumps({"id": "a3", "text": "the same id again"}).encode() + b"\n")
    texts = folder / "texts"
    (texts / "sub").mkdir(parents=True)
    for k in range(6):
        (texts / ("sub" if k % 2 else "") / f"t{k}.txt").write_text(tiny_docs[k % len(tiny_docs)].text, encoding="utf-8")
    (texts / "bad.txt").write_bytes(b"\xff\xfe\x00")
    return [str(folder / "a.jsonl"), str(texts)]


def test_ray_matches_the_single_process_cli_and_resumes(local_ray, tiny_model_dir, tiny_docs, tmp_path):
    inputs = _write_inputs(tmp_path / "in", tiny_docs)
    single, single_err = tmp_path / "single.jsonl", tmp_path / "single.errors.jsonl"
    assert predict_main([*inputs, "--model", str(tiny_model_dir), "--output", str(single), "--errors",
                         str(single_err), "--dtype", "float32", "--no-progress"]) == 1
    out = tmp_path / "ray"
    assert ray_main([*inputs, "--model", str(tiny_model_dir), "--output", str(out), "--dtype", "float32",
                     "--device", "cpu", "--docs-per-batch", "8", "--no-progress"]) == 1
    want, got = _by_id(_lines(single)), _by_id(_lines(out / "reports.jsonl"))
    assert len(want) == 46 and sorted(got) == sorted(want)
    for doc_id, r in want.items():
        ents = [(e["label"], e["start"], e["end"], e["text"]) for e in r["entities"]]
        assert [(e["label"], e["start"], e["end"], e["text"]) for e in got[doc_id]["entities"]] == ents, doc_id
        assert [e["score"] for e in got[doc_id]["entities"]] == pytest.approx([e["score"] for e in r["entities"]],
                                                                              abs=1e-5)
        assert got[doc_id]["structure"] == r["structure"] and got[doc_id]["model"] == r["model"]

    def key(e):
        return e["source"], e["line"] or 0, e["id"] or ""

    assert sorted(_lines(out / "errors.jsonl"), key=key) == sorted(_lines(single_err), key=key)
    assert len(_lines(single_err)) == 6  # invalid JSON, no text, lone surrogate, blank, duplicate, bad bytes

    # rerun: a torn last line is cut off and redone; everything else written is skipped
    reports = out / "reports.jsonl"
    kept = reports.read_text(encoding="utf-8").splitlines(keepends=True)[:30]
    reports.write_text("".join(kept) + '{"doc_id": "a1', encoding="utf-8")
    assert ray_main([*inputs, "--model", str(tiny_model_dir), "--output", str(out), "--dtype", "float32",
                     "--device", "cpu", "--no-progress"]) == 1  # the bad records are bad again
    again = _lines(reports)
    assert len(again) == 46 and sorted(_by_id(again)) == sorted(want)
    assert [r["doc_id"] for r in again[:30]] == [json.loads(l)["doc_id"] for l in kept]
