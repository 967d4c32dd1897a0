"""The benchmark script runs end to end and prints the promised JSON summary.

Speed itself is not asserted here (timed tests are flaky); the numbers live in the
benchmark's output and the README.
"""
import json

import pytest
import torch

from scripts.benchmark import main


def test_benchmark_summary_on_tiny_model(tiny_model_dir, tiny_jsonl, tmp_path, capsys):
    import shutil

    from model.quantize import int8_kernel_problem

    out = tmp_path / "bench.json"
    second = tmp_path / "second" / "model"  # a second trained model, checked the same way
    shutil.copytree(tiny_model_dir, second)
    assert main([str(tiny_jsonl), "--docs", "6", "--phobert", str(tmp_path / "absent"),
                 "--compact", str(tiny_model_dir), "--agreement-data", str(tiny_jsonl),
                 "--check-models", str(second), "--stream", "120", "--output", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0.0 <= summary["identical_entities"] <= 1.0
    assert 0.0 <= summary["qint8_identical_entities"] <= 1.0
    by_model = summary["identical_entities_by_model"]
    assert set(by_model) == {tiny_model_dir.name, "second"}
    assert by_model["second"]["qint8"] == summary["qint8_identical_entities"]  # same weights, same answer
    if int8_kernel_problem() is None:
        assert 0.0 <= summary["int8_identical_entities"] <= 1.0
    assert summary["compact_tokens_per_s"] > 0
    assert summary["workers"] == 0
    assert 0.0 < summary["model_share"] <= 1.0
    assert "gpu_tokens_per_s" not in summary  # CPU run
    full = json.loads(out.read_text())
    assert [n for n, _ in full["stream_rss"]] == [100, 120]
    assert full["settings_vs_fp32"]["float32"]["entities"] > 0


def test_benchmark_phobert_size_with_baseline(phobert_dir, tiny_jsonl, tmp_path, capsys):
    assert main([str(tiny_jsonl), "--docs", "2", "--phobert", str(phobert_dir), "--baseline-docs", "1",
                 "--compare", "qint8", "int8", "--compact", str(tmp_path / "absent")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    from model.quantize import int8_kernel_problem

    keys = ["tokens_per_s", "baseline_tokens_per_s", "speedup", "qint8_tokens_per_s"]
    keys += ["int8_tokens_per_s"] if int8_kernel_problem() is None else []
    for key in keys:
        assert summary[key] > 0, key
    assert 0.0 <= summary["preprocess_share"] < 1.0  # two short documents: near 0 beside the model
    assert 0.5 < summary["model_share"] <= 1.0  # phobert-base size on the CPU: the model dominates
    assert summary["identical_entities"] is None  # no trained model given


def test_benchmark_with_workers_reports_the_model_share(tiny_model_dir, tiny_jsonl, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main([str(tiny_jsonl), "--docs", "40", "--phobert", str(tmp_path / "absent"), "--compact",
                 str(tiny_model_dir), "--agreement-data", "--workers", "2", "--output", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["workers"] == 2
    assert 0.0 < summary["model_share"] == summary["compact_model_share"] < 1.0
    assert summary["identical_entities"] is None  # --agreement-data with no value: no check
    stages = json.loads(out.read_text())["compact"]["stage_seconds"]
    assert stages["segment"] > 0 and stages["decode"] > 0 and "wait_preprocess" in stages


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_benchmark_on_gpu_reports_gpu_throughput(phobert_dir, tiny_jsonl, tmp_path, capsys):
    assert main([str(tiny_jsonl), "--docs", "20", "--phobert", str(phobert_dir), "--device", "cuda",
                 "--dtype", "float16", "--workers", "2", "--baseline-docs", "0", "--compare",
                 "--compact", str(tmp_path / "absent")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["gpu_tokens_per_s"] >= summary["tokens_per_s"] > 0
    assert 0.0 < summary["gpu_busy_share"] <= 1.0
