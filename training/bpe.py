"""Learn a tokenizer in PhoBERT's own file format (`vocab.txt` + `bpe.codes`).

The compact offline model cannot use PhoBERT's vocabulary without PhoBERT's weights
being meaningful, so the project learns its own BPE on its corpus' normalised,
word-segmented text and writes it so that `PhobertTokenizer` loads it unchanged.
The HF `tokenizers` library does the BPE learning (fast, deterministic); this module
only converts its output to PhoBERT's conventions (`@@` marks a non-final piece).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterable

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def learn_bpe(words: Iterable[str], out_dir: str | Path, vocab_size: int = 8000, min_frequency: int = 2) -> Path:
    """Write vocab.txt and bpe.codes for the given word-segmented words; returns out_dir."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    counts = Counter(w for w in words if w and not w.isspace())
    tok = Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                  end_of_word_suffix="</w>", show_progress=False, special_tokens=[])
    # feed each distinct word as often as it occurs, but as one line per distinct word
    tok.train_from_iterator((" ".join([w] * min(c, 1000)) for w, c in sorted(counts.items())), trainer)
    data = json.loads(tok.to_str())
    vocab: dict[str, int] = data["model"]["vocab"]
    merges = data["model"]["merges"]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "bpe.codes", "w", encoding="utf-8") as fh:
        for m in merges:
            a, b = m if isinstance(m, list) else m.split(" ")
            fh.write(f"{a} {b} 1\n")
    pieces: dict[str, None] = {}
    for token in sorted(vocab, key=vocab.get):
        if token in SPECIALS:
            continue
        if token.endswith("</w>"):
            pieces[token[:-4]] = None
        else:
            pieces[token + "@@"] = None
            pieces[token] = None  # a single character can also end a word
    with open(out / "vocab.txt", "w", encoding="utf-8") as fh:
        for p in pieces:
            if p and p not in SPECIALS and " " not in p:
                fh.write(f"{p} 1\n")
    return out
