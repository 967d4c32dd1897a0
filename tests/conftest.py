"""Shared fixtures: a tiny PhoBERT-format tokenizer and a tiny trained RoBERTa, built here.

Nothing is downloaded: the tokenizer is learned from the fixture documents and the
model is trained from a random init, so the whole path runs offline in seconds.
"""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
PHOBERT_DIR = SHARED / "phobert-base"


@pytest.fixture(scope="session", autouse=True)
def corpus_splits() -> Path:
    """The corpus splits are derived from annotations/authoring (not kept in git): build them
    when missing or stale, so `pytest` works in a fresh clone without `make`."""
    from training.authoring import ensure_splits

    out = ROOT / "annotations" / "corpus"
    ensure_splits(ROOT / "annotations" / "authoring", out)
    return out


@pytest.fixture(scope="session")
def tiny_docs():
    from training.authoring import load_sources

    docs, problems = load_sources([FIXTURES / "tiny"])
    assert not problems
    return docs


@pytest.fixture(scope="session")
def tiny_jsonl(tiny_docs, tmp_path_factory) -> Path:
    from training.corpus import write_jsonl

    path = tmp_path_factory.mktemp("data") / "tiny.jsonl"
    write_jsonl(tiny_docs, path)
    return path


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tiny_docs, tmp_path_factory) -> Path:
    from model.segment import to_words
    from training.bpe import learn_bpe

    words = [w.text for d in tiny_docs for w in to_words(d.text, "pyvi")]
    return learn_bpe(words, tmp_path_factory.mktemp("tok"), vocab_size=400, min_frequency=1)


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_tokenizer_dir):
    from transformers import PhobertTokenizer

    return PhobertTokenizer.from_pretrained(str(tiny_tokenizer_dir))


TINY_MODEL = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
                  max_position_embeddings=258)


def tiny_config(train_file, out_dir, tokenizer_dir, **kw):
    from training.train import TrainConfig

    base = dict(train_file=str(train_file), dev_file=str(train_file), test_file=str(train_file),
                output_dir=str(out_dir), base_model="roberta", init="from_config",
                tokenizer=str(tokenizer_dir), model_config=dict(TINY_MODEL), learning_rate=3e-3,
                epochs=40, batch_size=8, warmup_ratio=0.0, logging_steps=100, seed=7)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_jsonl, tiny_tokenizer_dir, tmp_path_factory) -> Path:
    """A tiny model trained to overfit the fixture documents (train -> save)."""
    from training.train import train

    out = tmp_path_factory.mktemp("model")
    train(tiny_config(tiny_jsonl, out, tiny_tokenizer_dir))
    return out


@pytest.fixture(scope="session")
def tiny_predictor(tiny_model_dir):
    from model import Predictor

    return Predictor.from_pretrained(str(tiny_model_dir), device="cpu", dtype="float32")


@pytest.fixture(scope="session")
def phobert_dir() -> Path:
    if not (PHOBERT_DIR / "vocab.txt").is_file():
        pytest.skip("../shared/phobert-base is absent")
    return PHOBERT_DIR
