"""The model card written into trained folders (and by the pretraining script's call)."""
import gzip
import hashlib
import json

import pytest

from model.card import read_front_matter, write_model_card


def test_training_writes_a_card(tiny_model_dir, tiny_jsonl):
    card = tiny_model_dir / "README.md"
    meta = read_front_matter(card)
    assert meta["language"] == ["vi"] and meta["license"] == "mit"
    assert meta["pipeline_tag"] == "token-classification" and meta["library_name"] == "transformers"
    assert meta["datasets"] == ["own annotations (tiny.jsonl)"]
    assert set(meta["metrics"]) == {"precision", "recall", "f1"}
    assert "base_model" not in meta  # `roberta` from_config is no hub repository
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    results = {r["dataset"]["split"]: r["metrics"] for r in meta["model-index"][0]["results"]}
    assert set(results) == {"dev", "test"}  # every split it was evaluated on
    for split, rows in results.items():
        got = {r["name"]: r["value"] for r in rows}
        assert got["strict f1 (micro, character spans)"] == metrics[split]["scores"]["micro"]["f1"]
        assert got["F1 PERSON"] == metrics[split]["scores"]["PERSON"]["f1"]
    text = card.read_text(encoding="utf-8")
    s = metrics["test"]["scores"]["DATE"]
    assert f"| DATE | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |" in text
    assert hashlib.sha256(tiny_jsonl.read_bytes()).hexdigest() in text  # data hash
    assert "learning_rate: 0.003" in text and "seed: 7" in text  # the training config
    assert "random initial weights" in text
    for section in ("## Intended use", "## Limits", "## Licences", "## Training data", "## Results"):
        assert section in text, section
    assert "no nested entities" in text and "Word segmenter pyvi (needed at inference): MIT" in text
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["ner_pipeline"] == "vn-gov-ner"  # the task pipeline(model=folder) reads


def test_fill_mask_card_for_pretraining(tmp_path):
    src = tmp_path / "wiki.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        fh.write('{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n')
    folder = tmp_path / "encoder"
    folder.mkdir()
    write_model_card(folder, kind="fill-mask", base_model="roberta",
                     config={"init": "from_config", "hidden_size": 256, "max_steps": 1000},
                     metrics={"eval_loss": 2.25, "perplexity": 9.49},
                     data_files={"wiki": str(src), "gone": str(tmp_path / "missing.jsonl")},
                     extra={"datasets": ["vi-wikipedia-2025"], "corpus": "shared/pretrain",
                            "sources": ["Wikipedia text (vi-wikipedia-2025): CC BY-SA 4.0."]})
    meta = read_front_matter(folder / "README.md")
    assert meta["pipeline_tag"] == "fill-mask" and meta["language"] == ["vi"]
    assert meta["datasets"] == ["vi-wikipedia-2025"] and "model-index" not in meta and "metrics" not in meta
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert "| wiki | `wiki.jsonl.gz` | 3 |" in text
    assert hashlib.sha256(src.read_bytes()).hexdigest() in text
    assert "missing when the card was written" in text
    assert "`perplexity`: 9.49" in text and "CC BY-SA 4.0" in text and "hidden_size: 256" in text
    assert 'pipeline("fill-mask"' in text and "no entity labels" in text


def test_hub_base_model_is_linked_and_local_is_not(tmp_path):
    write_model_card(tmp_path, kind="token-classification", base_model="vinai/phobert-base-v2",
                     config={"init": "pretrained"})
    assert read_front_matter(tmp_path / "README.md")["base_model"] == "vinai/phobert-base-v2"
    assert "No evaluation was recorded" in (tmp_path / "README.md").read_text(encoding="utf-8")
    write_model_card(tmp_path, kind="token-classification", base_model=str(tmp_path), config={})
    assert "base_model" not in read_front_matter(tmp_path / "README.md")


def test_bad_card_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="licence"):
        write_model_card(tmp_path, kind="token-classification", base_model=None, config={}, extra={"licence": "x"})
    with pytest.raises(ValueError, match="kind"):
        write_model_card(tmp_path, kind="ner", base_model=None, config={})  # type: ignore[arg-type]


def test_card_notes_name_the_shipped_corpus_and_licences():
    from training.corpus import CORPUS_DIR, DATA_CARD
    from training.train import TrainConfig, card_notes

    cfg = TrainConfig(train_file=str(CORPUS_DIR / "train.jsonl"), dev_file=str(CORPUS_DIR / "dev.jsonl"),
                      output_dir="models/x", base_model="vinai/phobert-base-v2", segmenter="underthesea")
    notes = card_notes(cfg)
    version = DATA_CARD.read_text(encoding="utf-8").splitlines()[0].rsplit(" ", 1)[-1]  # "..., v1"
    assert version.startswith("v") and notes["corpus"] == f"vn-gov-ner government-news corpus {version}"
    assert any("fictional" in line for line in notes["limits"])
    assert any("PhoBERT" in s and "MIT" in s for s in notes["sources"])
    assert any("underthesea" in s and "GPL-3.0" in s for s in notes["sources"])
