"""Build the compact model's PhoBERT-format tokenizer from the corpus' segmented text."""
from __future__ import annotations

from pathlib import Path

from model.segment import to_words
from model.settings import PreprocessingSettings
from training.bpe import learn_bpe
from training.corpus import read_jsonl


def build_tokenizer(train_file: str | Path, out_dir: str | Path, settings: PreprocessingSettings,
                    vocab_size: int = 8000, min_frequency: int = 2) -> Path:
    """Words of the training split, segmented and normalised as the model will see them."""
    words = (w.text for d in read_jsonl(train_file) for w in to_words(d.text, settings.segmenter,
                                                                       settings.normalization))
    return learn_bpe(words, out_dir, vocab_size=vocab_size, min_frequency=min_frequency)
