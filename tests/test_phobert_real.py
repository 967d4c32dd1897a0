"""The real PhoBERT tokenizer and config (random weights) through the whole path.

Reads ../shared/phobert-base and the seed article at run time; skipped when absent.
"""
import pytest

from model.report import validate_report
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def seed_text():
    files = sorted((SHARED / "seed").glob("*.txt"))
    if not files:
        pytest.skip("../shared/seed is absent")
    return files[0].read_text(encoding="utf-8")


@pytest.mark.slow
def test_real_config_trains_saves_loads_and_predicts(phobert_dir, tiny_jsonl, tmp_path, seed_text):
    from model import Predictor
    from training.train import TrainConfig, train

    cfg = TrainConfig(train_file=str(tiny_jsonl), dev_file=str(tiny_jsonl), output_dir=str(tmp_path / "m"),
                      base_model=str(phobert_dir), init="from_config", tokenizer=str(phobert_dir),
                      max_steps=2, batch_size=4, eval_batch_size=8, logging_steps=1)
    train(cfg)
    p = Predictor.from_pretrained(str(tmp_path / "m"), device="cpu", dtype="float32")
    assert p.model.config.hidden_size == 768 and p.model.config.vocab_size == 64001
    doc = p.prepare(seed_text)
    assert len(seed_text) > 5000 and len(doc.windows) >= 3
    assert all(len(w) <= 256 for w in doc.windows)
    assert sum(w.own_to - w.own_from for w in doc.windows) == len(doc.words)
    for w in doc.words:
        assert seed_text[w.start:w.end].replace(" ", "_").replace("\n", "_") != "" and w.start < w.end
    report = p.predict(seed_text, doc_id="seed").to_dict()
    validate_report(report, seed_text)
