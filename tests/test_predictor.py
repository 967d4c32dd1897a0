"""The Predictor's report: schema, offsets into the original text, bad input, bad folders."""
import json
import shutil
import unicodedata

import pytest
import torch

from model.predictor import ModelLoadError, Predictor
from model.report import validate_report

BAD_INPUTS = {
    "empty": "",
    "whitespace": "  \n\t  ",
    "nfd": unicodedata.normalize("NFD", "Đồng chí Trần Văn Khải, Phó Bí thư Tỉnh ủy, dự họp ngày 12/3."),
    "mixed_normalisation": "Uỷ ban " + unicodedata.normalize("NFD", "nhân dân") + " tỉnh Thanh Hóa và Thanh Hoá",
    "nbsp_tabs_controls": "Ông\u00a0Trần\tVăn Khải\x0b dự\x07 họp\u200b ngày 12/3",
    "emoji": "Hội nghị 😀🇻🇳 thành công ✨ ngày 6/7",
    "html": "<p>Ông <b>Trần Văn Khải</b>, <i>Phó Bí thư</i></p><br/>&nbsp;ngày 12/3",
    "long_token": "Xem tại https://example.org/" + "x9" * 1000 + " ngày 6/7",
    "no_vietnamese": "The quick brown fox jumps over the lazy dog. 1234 !!! ???",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gives_valid_report(tiny_predictor, name):
    text = BAD_INPUTS[name]
    report = tiny_predictor.predict(text, doc_id=name).to_dict()
    validate_report(report, text)
    assert report["text_length"] == len(text)
    assert all(text[e["start"]:e["end"]] == e["text"] for e in report["entities"])
    assert [e["start"] for e in report["entities"]] == sorted(e["start"] for e in report["entities"])


def test_real_output_matches_schema_and_finds_entities(tiny_predictor, tiny_docs):
    doc = tiny_docs[0]
    report = tiny_predictor.predict(doc.text, doc_id=doc.id).to_dict()
    validate_report(report, doc.text)
    gold = {(s.start, s.end, s.label) for s in doc.entities}
    got = {(e["start"], e["end"], e["label"]) for e in report["entities"]}
    assert gold == got
    assert sum(report["counts"].values()) == len(report["entities"])
    assert report["device"] == "cpu" and report["dtype"] == "float32"
    assert len(report["model"]["weights_sha256"]) == 64


def test_batch_keeps_input_order_and_ids(tiny_predictor, tiny_docs):
    items = [(d.id, d.text) for d in tiny_docs] * 3
    reports = list(tiny_predictor.predict_batch(items, batch_size=2, max_windows_in_flight=3))
    assert [r.doc_id for r in reports] == [i for i, _ in items]
    single = [tiny_predictor.predict(t, doc_id=i).entities for i, t in items]
    assert [r.entities for r in reports] == single


def test_batches_respect_row_and_token_caps(tiny_predictor, tiny_docs):
    windows = [w for i, d in enumerate(tiny_docs * 4) for w in tiny_predictor.prepare(d.text, i).windows]
    groups = tiny_predictor.batches(windows, batch_size=5, batch_tokens=300)
    assert sorted(i for g in groups for i in g) == list(range(len(windows)))  # each window once
    for g in groups:
        width = max(len(windows[i]) for i in g)
        assert len(g) <= 5
        assert len(g) == 1 or len(g) * width <= 300
    widths = [max(len(windows[i]) for i in g) for g in groups]
    assert widths == sorted(widths)  # similar lengths together: little padding


def test_batch_shape_does_not_change_entities(tiny_predictor, tiny_docs):
    items = [(d.id, d.text) for d in tiny_docs]
    wide = [r.entities for r in tiny_predictor.predict_batch(items, batch_size=64, batch_tokens=1 << 16)]
    narrow = [r.entities for r in tiny_predictor.predict_batch(items, batch_size=1)]
    assert [[(e.start, e.end, e.label) for e in es] for es in wide] == \
        [[(e.start, e.end, e.label) for e in es] for es in narrow]


def test_int8_quantises_encoder_per_channel_and_keeps_classifier(tiny_model_dir):
    p = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="qint8")
    kinds = {name: type(m).__name__ for name, m in p.model.named_modules()}
    dynamic = [n for n, k in kinds.items() if k == "Linear" and "quantized" in type(p.model.get_submodule(n)).__module__]
    assert dynamic, "no Linear layer was quantised"
    assert type(p.model.classifier) is torch.nn.Linear
    w = p.model.get_submodule(dynamic[0]).weight()
    assert w.qscheme() == torch.per_channel_affine


def test_plain_texts_in_batch(tiny_predictor):
    reports = list(tiny_predictor.predict_batch(["", "Ngày 6/7", "  "]))
    assert len(reports) == 3 and reports[0].entities == [] and reports[0].doc_id is None


def test_megabyte_document_is_covered(tiny_predictor, tiny_docs):
    text = ("\n".join(d.text for d in tiny_docs) + "\n") * 1
    text = text * (1_000_000 // len(text) + 1)
    doc = tiny_predictor.prepare(text)
    owned = sum(w.own_to - w.own_from for w in doc.windows)
    assert owned == len(doc.words) and all(len(w) <= 256 for w in doc.windows)
    report = tiny_predictor.predict(text)
    assert report.text_length >= 1_000_000
    assert report.entities and report.entities[-1].end > 990_000


def test_not_a_string_names_the_record(tiny_predictor):
    with pytest.raises(TypeError, match="doc-7"):
        tiny_predictor.predict(None, doc_id="doc-7")  # type: ignore[arg-type]


def test_missing_files_are_named(tiny_model_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "model.safetensors").unlink()
    (broken / "bpe.codes").unlink()
    with pytest.raises(ModelLoadError, match="model.safetensors or pytorch_model.bin, bpe.codes"):
        Predictor.from_pretrained(str(broken))


def copy_with_config(src, dst, edit) -> str:
    """A copy of a model folder whose config.json went through `edit`."""
    shutil.copytree(src, dst)
    cfg = json.loads((dst / "config.json").read_text())
    edit(cfg)
    (dst / "config.json").write_text(json.dumps(cfg))
    return str(dst)


def test_mismatched_label_maps_are_named(tiny_model_dir, tmp_path):
    def swap(cfg):
        l2i = cfg["label2id"]
        l2i["B-PERSON"], l2i["I-PERSON"] = l2i["I-PERSON"], l2i["B-PERSON"]

    broken = copy_with_config(tiny_model_dir, tmp_path / "labels", swap)
    with pytest.raises(ModelLoadError, match="label maps are inconsistent"):
        Predictor.from_pretrained(broken)


def test_not_a_token_classifier_is_named(tiny_model_dir, tmp_path):
    broken = copy_with_config(tiny_model_dir, tmp_path / "mlm",
                              lambda cfg: cfg.update(architectures=["RobertaForMaskedLM"]))
    with pytest.raises(ModelLoadError, match="not a token classifier"):
        Predictor.from_pretrained(broken)


def test_unreachable_hub_id_gives_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="hub"):
        Predictor.from_pretrained("no-such-org/no-such-model-xyz")


def test_bf16_and_int8_agree_with_fp32(tiny_model_dir, tiny_docs):
    ref = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")
    for dtype in ("bfloat16", "qint8"):
        fast = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype=dtype)
        for d in tiny_docs:
            a = {(e.start, e.end, e.label) for e in ref.predict(d.text).entities}
            b = {(e.start, e.end, e.label) for e in fast.predict(d.text).entities}
            assert len(a & b) >= 0.9 * len(a), dtype


@pytest.mark.skipif("not __import__('torch').cuda.is_available()")
def test_cpu_and_gpu_reports_agree(tiny_model_dir, tiny_docs):
    """Same shape always; entities identical in fp32 (scores within 1e-3)."""
    cpu = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")
    gpu = Predictor.from_pretrained(str(tiny_model_dir), device="cuda", dtype="float32")
    for d in tiny_docs:
        a, b = cpu.predict(d.text).to_dict(), gpu.predict(d.text).to_dict()
        assert a.keys() == b.keys()
        assert [(e["start"], e["end"], e["label"]) for e in a["entities"]] == \
               [(e["start"], e["end"], e["label"]) for e in b["entities"]]
        assert all(abs(x["score"] - y["score"]) < 1e-3 for x, y in zip(a["entities"], b["entities"]))


def test_report_carries_structure(tiny_predictor, tiny_docs):
    doc = tiny_docs[0]
    report = tiny_predictor.predict(doc.text, doc_id=doc.id).to_dict()
    validate_report(report, doc.text)
    links = {(h["person"]["text"], h["role"]["text"]) for h in report["structure"]["post_holders"]}
    assert ("Trần Văn Khải", "Phó Bí thư Tỉnh ủy") in links
    docs = {d["text"]: d for d in report["structure"]["documents"]}
    assert docs["Quyết định số 1450-QĐ/TU"]["identifier"] == "1450-QĐ/TU"
    values = {d["text"]: d["value"] for d in report["structure"]["dates"]}
    assert values["ngày 15/3/2024"] == "2024-03-15"


def test_structure_can_be_switched_off(tiny_model_dir):
    p = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32", structure=False)
    report = p.predict("Ngày 6/7 họp").to_dict()
    validate_report(report)
    assert report["structure"] is None
