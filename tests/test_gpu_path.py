"""The GPU feeding path, tested where it can be: its device-agnostic parts on the CPU (width
rounding, a compiled forward), the rest only where CUDA exists (skipped cleanly elsewhere)."""
import pytest
import torch

from model import Predictor


def _entities(reports):
    return [[(e.label, e.start, e.end) for e in r.entities] for r in reports]


def _scores(reports):
    return [e.score for r in reports for e in r.entities]


@pytest.fixture(scope="module")
def items(tiny_docs):
    return [(f"d{i}", d.text) for i, d in enumerate(tiny_docs * 2)]


def test_widths_rounded_up_for_tensor_cores_change_no_entity(tiny_model_dir, items):
    plain = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")
    rounded = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")
    rounded.pad_multiple = 8  # what a GPU predictor uses: padding is masked out
    a, b = list(plain.predict_batch(items)), list(rounded.predict_batch(items))
    assert _entities(a) == _entities(b) and _entities(a) != [[]] * len(items)
    assert _scores(a) == pytest.approx(_scores(b), abs=1e-5)
    assert rounded.tokens_padded % 8 == 0 and rounded.tokens_padded > plain.tokens_padded
    assert plain.device_seconds == 0.0  # busy time is measured with CUDA events only


def test_compiled_forward_gives_the_same_reports(tiny_model_dir, items):
    plain = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")
    compiled = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32",
                                         compile="eager")  # the graph capture, without a C++ toolchain
    assert compiled.forward is not compiled.model
    a, b = list(plain.predict_batch(items[:6])), list(compiled.predict_batch(items[:6]))
    assert _entities(a) == _entities(b)
    assert _scores(a) == pytest.approx(_scores(b), abs=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_fp32_matches_cpu_fp32_with_workers(tiny_model_dir, items):
    cpu = Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")
    with Predictor.from_pretrained(str(tiny_model_dir), device="cuda", dtype="float32") as gpu:
        a, b = list(cpu.predict_batch(items)), list(gpu.predict_batch(items, workers=2))
        assert gpu.device_seconds > 0
    assert _entities(a) == _entities(b)
    assert _scores(a) == pytest.approx(_scores(b), abs=1e-4)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given where there is no GPU")
def test_gpu_check_says_it_needs_a_gpu(capsys):
    from scripts.gpu_check import main

    assert main([]) == 2
    assert "needs a GPU" in capsys.readouterr().err
