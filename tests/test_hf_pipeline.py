"""`transformers.pipeline("vn-gov-ner", ...)` gives the Predictor's entities, offsets into the input."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from training.corpus import read_jsonl

TEST_SPLIT = ROOT / "annotations" / "corpus" / "test.jsonl"


@pytest.fixture(scope="module")
def ner(tiny_model_dir):
    from transformers import pipeline

    import model.hf_pipeline  # noqa: F401  (registers; `import model` alone is tested below, fresh process)

    return pipeline("vn-gov-ner", model=str(tiny_model_dir), device="cpu", precision="float32")


def _entities(report):
    return [{"entity_group": e.label, "score": e.score, "word": e.text, "start": e.start, "end": e.end}
            for e in report.entities]


def test_pipeline_equals_predictor_on_the_test_split(ner, tiny_predictor):
    docs = list(read_jsonl(TEST_SPLIT))
    assert len(docs) >= 21  # the whole split (49 documents in corpus v2)
    expected = [_entities(tiny_predictor.predict(d.text)) for d in docs]
    assert sum(map(len, expected)) > 0
    single = [ner(d.text) for d in docs]
    assert single == expected
    for d, ents in zip(docs, single):
        assert all(d.text[e["start"]:e["end"]] == e["word"] for e in ents)


def test_pipeline_reports_equal_predictor_reports(ner, tiny_predictor, tiny_docs):
    from model.report import validate_report

    doc = tiny_docs[0]
    got = ner(doc.text, report=True, doc_id=doc.id)
    validate_report(got, doc.text)
    assert got == tiny_predictor.predict(doc.text, doc_id=doc.id).to_dict()
    assert got["structure"]["post_holders"]
    items = [(d.id, d.text) for d in tiny_docs]
    batch = ner(items, report=True)  # a list runs through predict_batch (windows batched across documents)
    assert batch == [r.to_dict() for r in tiny_predictor.predict_batch(items, structure=True)]
    assert [r["doc_id"] for r in batch] == [d.id for d in tiny_docs]
    assert ner([d.text for d in tiny_docs]) == [_entities(r) for r in tiny_predictor.predict_batch(
        [d.text for d in tiny_docs])]


def test_unknown_option_is_named(ner):
    with pytest.raises(TypeError, match="aggregation_strategy"):
        ner("Ngày 6/7", aggregation_strategy="simple")


def test_task_is_read_from_the_folder_config(tiny_model_dir, tmp_path):
    from model.hf_pipeline import task_in_folder

    assert task_in_folder(str(tiny_model_dir)) == "vn-gov-ner"
    assert task_in_folder(tmp_path) is None and task_in_folder("vinai/phobert-base-v2") is None


def test_import_model_registers_and_folder_names_the_task(tiny_model_dir, tiny_predictor, tiny_docs):
    """A fresh process: `import model` stays light, then `pipeline(model=folder)` with no task works."""
    text = tiny_docs[1].text
    code = (
        "import json, sys\n"
        "import model\n"
        "light = 'transformers' not in sys.modules and 'torch' not in sys.modules\n"
        "from transformers import pipeline\n"
        f"ner = pipeline(model={str(tiny_model_dir)!r}, device='cpu', precision='float32')\n"
        "print(json.dumps({'light': light, 'class': type(ner).__name__, 'task': ner.task,\n"
        f"                  'entities': ner({text!r})}}))\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["light"] and got["class"] == "VnGovNerPipeline" and got["task"] == "vn-gov-ner"
    assert got["entities"] == _entities(tiny_predictor.predict(text))
