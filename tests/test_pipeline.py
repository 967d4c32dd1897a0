"""train -> save -> load -> evaluate on a handful of documents, all offline."""
import json
import time

import pytest

from training.corpus import read_jsonl
from training.evaluate import evaluate_model


def test_overfit_tiny_model_reaches_f1(tiny_model_dir, tiny_jsonl):
    metrics = evaluate_model(str(tiny_model_dir), str(tiny_jsonl), device="cpu", dtype="float32")
    assert metrics["scores"]["micro"]["f1"] >= 0.99
    # the seqeval cross-check agrees when no gold boundary falls inside a word
    sq = metrics["seqeval_word_level"]
    if sq["gold_entities_not_on_word_edges"] == 0:
        assert abs(sq["f1"] - metrics["scores"]["micro"]["f1"]) < 1e-6


def test_model_folder_is_self_contained(tiny_model_dir):
    from transformers import AutoModelForTokenClassification, PhobertTokenizer

    model = AutoModelForTokenClassification.from_pretrained(str(tiny_model_dir))
    assert model.config.id2label[0] == "O" and "B-DOC" in model.config.label2id
    assert model.config.ner_preprocessing["segmenter"] == "pyvi"
    PhobertTokenizer.from_pretrained(str(tiny_model_dir))
    for name in ("train_config.json", "training_log.jsonl", "metrics.json", "alignment.json"):
        assert (tiny_model_dir / name).is_file(), name
    cfg = json.loads((tiny_model_dir / "train_config.json").read_text())
    assert cfg["seed"] == 7 and cfg["data_sha256"]["train_file"]


def test_seeded_training_is_reproducible(tiny_jsonl, tiny_tokenizer_dir, tmp_path):
    from safetensors.torch import load_file

    from tests.conftest import tiny_config
    from training.train import train

    outs = []
    for k in range(2):
        cfg = tiny_config(tiny_jsonl, tmp_path / f"m{k}", tiny_tokenizer_dir, epochs=2, test_file=None)
        train(cfg)
        outs.append(load_file(str(tmp_path / f"m{k}" / "model.safetensors")))
    assert outs[0].keys() == outs[1].keys()
    assert all((outs[0][k] == outs[1][k]).all() for k in outs[0])


def test_train_script_with_yaml_config(tiny_jsonl, tiny_tokenizer_dir, tmp_path):
    """The CLI path the issue asks for: scripts/train.py --config FILE, under 2 minutes."""
    from scripts.train import main

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(f"""
train_file: {tiny_jsonl}
dev_file: {tiny_jsonl}
output_dir: {tmp_path / 'out'}
base_model: roberta
init: from_config
tokenizer: {tiny_tokenizer_dir}
model_config: {{hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 128, max_position_embeddings: 258}}
epochs: 3
learning_rate: 0.003
""", encoding="utf-8")
    t0 = time.time()
    assert main(["--config", str(cfg), "--set", "batch_size=4"]) == 0
    assert time.time() - t0 < 120
    from transformers import AutoModelForTokenClassification

    AutoModelForTokenClassification.from_pretrained(str(tmp_path / "out"))


def test_unknown_config_key_is_named(tmp_path):
    from training.train import load_config

    p = tmp_path / "bad.json"
    p.write_text('{"train_file": "a", "dev_file": "b", "output_dir": "c", "learning_rat": 1}')
    with pytest.raises(ValueError, match="learning_rat"):
        load_config(p)


def test_boundary_inside_word_is_split_and_counted(tiny_docs):
    from model.settings import PreprocessingSettings
    from training.corpus import Document, Span
    from training.features import AlignmentStats, document_words

    text = "Ông Đô, Phó Bí thư Thành uỷ, dự họp"
    # pyvi joins "Phó_Bí_thư"; an annotation of "Bí thư" alone must split that word
    start = text.index("Bí thư")
    doc = Document("x", text, [Span(start, start + 6, "ROLE")])
    stats = AlignmentStats()
    words, tags = document_words(doc, PreprocessingSettings(segmenter="pyvi"), stats)
    assert stats.entities_crossing == 1 and stats.words_split >= 1
    spans = [(text[w.start:w.end], t) for w, t in zip(words, tags) if t != "O"]
    assert spans == [("Bí thư", "B-ROLE")]


def test_demo_refuses_a_base_without_weights(tmp_path):
    from training.demo import DemoError, _check_base

    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(DemoError, match="missing vocab.txt, bpe.codes, model.safetensors"):
        _check_base(str(tmp_path))


def test_demo_cache_key_follows_config_data_and_training_code(tmp_path, monkeypatch):
    """A cached demo model is reused only while the run that made it would be the same: a
    changed decoder (which picks the checkpoint) must retrain, a changed config too."""
    import dataclasses
    import shutil

    import training.demo as demo
    from training.train import load_config

    cfg = demo._resolve(load_config(demo.CONFIGS / "compact.yaml"))
    for rel in demo.TRAINING_CODE:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo.ROOT / rel, tmp_path / rel)
    monkeypatch.setattr(demo, "ROOT", tmp_path)
    key = demo.cache_key(cfg)
    assert demo.cache_key(cfg) == key
    assert demo.cache_key(dataclasses.replace(cfg, seed=cfg.seed + 1)) != key
    with open(tmp_path / "model" / "decode.py", "a") as f:
        f.write("\n# changed\n")
    assert demo.cache_key(cfg) != key


def test_demo_configs_and_a_missing_encoder_are_named(tmp_path, monkeypatch):
    import dataclasses

    import training.demo as demo
    from training.train import load_config

    assert load_config(demo.CONFIGS / "compact.yaml").init == "from_config"
    pre = load_config(demo.CONFIGS / "compact_pretrained.yaml")
    assert pre.init == "pretrained" and pre.base_model == "models/vn-news-roberta-compact"
    with pytest.raises(demo.DemoError, match="compact, compact_pretrained"):
        demo.prepare_model(None, log=lambda *_: None, config="nope")
    monkeypatch.setattr(demo, "ROOT", tmp_path)  # no encoder under this root
    with pytest.raises(demo.DemoError, match="make pretrain"):
        demo.prepare_model(None, log=lambda *_: None, config="compact_pretrained")


def test_demo_cache_key_follows_the_encoder_weights(tmp_path):
    import dataclasses

    import training.demo as demo
    from training.train import load_config

    (tmp_path / "model.safetensors").write_bytes(b"one")
    cfg = dataclasses.replace(load_config(demo.CONFIGS / "compact.yaml"), base_model=str(tmp_path))
    key = demo.cache_key(cfg)
    (tmp_path / "model.safetensors").write_bytes(b"two")
    assert demo.cache_key(cfg) != key


def test_checkpoint_metric_decodes_like_inference():
    """The dev metric that picks the checkpoint runs the inference decoder: two adjacent
    same-type B- tags in one sentence are one entity, a DATE with no number is none."""
    from types import SimpleNamespace

    import numpy as np

    from model.labels import label2id
    from model.segment import Word
    from training.train import IGNORE_INDEX, word_level_f1

    ids = label2id()
    logits = np.full((1, 4, len(ids)), -5.0, dtype=np.float32)
    logits[0, 1, ids["B-PERSON"]] = 5.0
    logits[0, 2, ids["B-PERSON"]] = 5.0
    logits[0, 2, ids["I-PERSON"]] = 4.0
    labels = np.array([[IGNORE_INDEX, ids["B-PERSON"], ids["I-PERSON"], IGNORE_INDEX]])
    pred = SimpleNamespace(predictions=logits, label_ids=labels)
    one_line = [Word("Lò", 0, 2, 0), Word("Pấng", 3, 7, 0)]
    two_lines = [Word("Lò", 0, 2, 0), Word("Pấng", 3, 7, 1)]
    assert word_level_f1()(pred)["f1"] == 0.0  # no sentence information: two one-word names
    assert word_level_f1([one_line])(pred)["f1"] == 1.0
    assert word_level_f1([two_lines])(pred)["f1"] == 0.0  # a sentence break between them

    # `cùng ngày` tagged O by the annotator; the model says `ngày` is a DATE
    logits = np.full((1, 4, len(ids)), -5.0, dtype=np.float32)
    logits[0, 1, ids["O"]] = 5.0
    logits[0, 2, ids["B-DATE"]] = 5.0
    logits[0, 3, ids["B-PERSON"]] = 5.0
    labels = np.array([[IGNORE_INDEX, ids["O"], ids["O"], ids["B-PERSON"]]])
    words = [Word("cùng", 0, 4, 0), Word("ngày", 5, 9, 0), Word("Hảo", 10, 13, 0)]
    pred = SimpleNamespace(predictions=logits, label_ids=labels)
    assert word_level_f1([words])(pred)["f1"] == 1.0
    assert word_level_f1()(pred)["f1"] < 1.0  # without the words the bare `ngày` counts
