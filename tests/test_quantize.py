"""dtype="int8": int8 products with one activation scale per token (model/quantize.py).

Error bounds of the quantised linear against fp32, entities against fp32 on the tiny trained
model, independence from batch-mates, the fp32 model left as it was, and clear refusals
where the kernel or the model layout is missing.
"""
import pytest
import torch

from model.predictor import Predictor, resolve_dtype
from model.quantize import Int8Linear, Int8TokenClassifier, Int8Unsupported, int8_kernel_problem, quantize_rows
from training.benchmark import identical_share

needs_kernel = pytest.mark.skipif(int8_kernel_problem() is not None,
                                  reason=f"int8 kernel unavailable: {int8_kernel_problem()}")


def entity_sets(predictor, docs, **kw):
    return [{(e.start, e.end, e.label) for e in r.entities}
            for r in predictor.predict_batch([(d.id, d.text) for d in docs], **kw)]


def test_quantize_rows_round_trip_per_row():
    torch.manual_seed(0)
    x = torch.randn(6, 96)
    x[2] *= 1000  # one loud row must not coarsen the others
    x[4] = 0  # an all-zero row gives zeros, not NaN
    q, s = quantize_rows(x)
    assert q.dtype == torch.int8 and s.shape == (6, 1)
    assert q.abs().max() <= 127
    back = q.float() * s
    assert torch.all((back - x).abs() <= s / 2 + 1e-6)
    assert torch.all(back[4] == 0) and not torch.isnan(back).any()
    alone, _ = quantize_rows(x[:1])
    assert torch.equal(alone, q[:1])  # a row's grid depends on that row only


@needs_kernel
def test_int8_linear_within_its_error_bound():
    """|y_int8 - y_fp32| <= sum_k |w| dx + |x| dw + dx dw, with dx = xs/2, dw = ws/2 per element."""
    torch.manual_seed(1)
    x, w, b = torch.randn(40, 256), torch.randn(192, 256) * 0.05, torch.randn(192) * 0.1
    x[7, 3] = 40.0  # an outlier activation
    lin = Int8Linear.from_float(w, b)
    y = lin(*quantize_rows(x))
    ref = torch.nn.functional.linear(x, w, b)
    _, xs = quantize_rows(x)
    dx, dw = xs / 2, lin.scale / 2  # (rows, 1) and (out,)
    bound = dx * w.abs().sum(1) + x.abs() @ torch.ones(256, 192) * dw + 256 * dx * dw
    assert torch.all((y - ref).abs() <= bound + 1e-4)
    others = torch.cat([x[:7], x[8:]])
    rel = ((y - ref).pow(2).mean() / ref.pow(2).mean()).sqrt()
    assert rel < 0.02, f"relative RMS error {rel:.4f}"
    alone = lin(*quantize_rows(others))  # the outlier row is gone; the rest computes the same
    assert torch.equal(alone, torch.cat([y[:7], y[8:]]))


@needs_kernel
def test_int8_entities_match_fp32_on_trained_model(tiny_model_dir, tiny_docs):
    ref = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")
    fast = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="int8")
    a, b = entity_sets(ref, tiny_docs), entity_sets(fast, tiny_docs)
    assert sum(map(len, a)) > 20
    assert identical_share(a, b) >= 0.995
    report = fast.predict(tiny_docs[0].text)
    assert report.dtype == "int8"


@needs_kernel
def test_int8_logits_close_to_fp32(tiny_model_dir, tiny_docs):
    ref = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")
    fast = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="int8")
    assert isinstance(fast.model, Int8TokenClassifier)
    windows = [w for d in tiny_docs[:4] for w in ref.prepare(d.text).windows]
    for x, y in zip(ref.run(windows), fast.run(windows)):
        assert abs(x - y).max() < 0.05 * abs(x).max() + 0.05


@needs_kernel
def test_int8_entities_do_not_depend_on_batch_mates(tiny_model_dir, tiny_docs):
    """One scale per token: a document's entities are the same alone or batched with others."""
    p = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="int8")
    assert entity_sets(p, tiny_docs, batch_size=64, batch_tokens=1 << 16) == entity_sets(p, tiny_docs, batch_size=1)


@needs_kernel
def test_int8_leaves_the_model_and_saving_unaffected(tiny_model_dir, tmp_path, tiny_docs):
    from transformers import AutoModelForTokenClassification, PhobertTokenizer

    model = AutoModelForTokenClassification.from_pretrained(str(tiny_model_dir))
    tok = PhobertTokenizer.from_pretrained(str(tiny_model_dir))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fast = Predictor(model, tok, device="cpu", dtype="int8")
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    exact = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")
    assert fast.weights_hash == Predictor(model, tok, device="cpu", dtype="float32").weights_hash
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    again = Predictor.from_pretrained(str(tmp_path), device="cpu", dtype="float32")
    assert entity_sets(again, tiny_docs) == entity_sets(exact, tiny_docs)


def test_int8_refused_clearly_without_the_kernel(tiny_model_dir, monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_vnni_supported", lambda: False, raising=False)
    assert "VNNI" in int8_kernel_problem()
    with pytest.raises(Int8Unsupported, match="qint8"):
        Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="int8")
    Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="qint8")  # the named fallback runs


def test_int8_refused_clearly_when_int_mm_fails(monkeypatch):
    def broken(a, b):
        raise RuntimeError("no int8 kernel in this build")

    monkeypatch.setattr(torch, "_int_mm", broken)
    assert "does not run" in int8_kernel_problem()


def test_int8_is_cpu_only():
    with pytest.raises(ValueError, match="CPU only"):
        resolve_dtype("int8", torch.device("cuda"))


@needs_kernel
def test_int8_refuses_an_unsupported_layout():
    from transformers import RobertaConfig, RobertaForTokenClassification

    config = RobertaConfig(vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=64, hidden_act="relu", num_labels=3)
    with pytest.raises(Int8Unsupported, match="relu"):
        Int8TokenClassifier(RobertaForTokenClassification(config))
