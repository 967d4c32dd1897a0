"""Learn a tokenizer in PhoBERT's own file format (`vocab.txt` + `bpe.codes`).

The compact offline model cannot use PhoBERT's vocabulary without PhoBERT's weights
being meaningful, so the project learns its own BPE on its corpus' normalised,
word-segmented text and writes it so that `PhobertTokenizer` loads it unchanged.
Merges are learned here rather than with HF `tokenizers`: its BpeTrainer breaks ties
between equally frequent pairs differently in every process (a hash seed), so the same
corpus gave a different vocabulary order and different merges on each run, and seeded
training of the compact model was not reproducible. Ties here go to the smallest pair.
"""
from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def learn_merges(counts: dict[str, int], vocab_size: int, min_frequency: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Classic BPE (Sennrich et al.) over word counts; `</w>` marks a word's last symbol.

    Returns the symbols in the order they entered the vocabulary (alphabet sorted, then one
    per merge) and the merges in the order learned. Deterministic: counts, then the pair's
    string order, decide.
    """
    words = [([*w[:-1], w[-1] + "</w>"], c) for w, c in sorted(counts.items()) if w]
    symbols = sorted({s for syms, _ in words for s in syms})
    pair_counts: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, (syms, c) in enumerate(words):
        for pair in zip(syms, syms[1:]):
            pair_counts[pair] += c
            where[pair].add(i)
    heap = [(-n, pair) for pair, n in pair_counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[str, str]] = []
    while heap and len(symbols) < vocab_size:
        neg, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg:
            continue  # stale entry: the pair's count changed since it was pushed
        if -neg < min_frequency:
            break
        merges.append(pair)
        joined = pair[0] + pair[1]
        symbols.append(joined)
        touched: set[tuple[str, str]] = set()
        for i in sorted(where.pop(pair, ())):
            syms, c = words[i]
            for old in zip(syms, syms[1:]):
                pair_counts[old] -= c
                where[old].discard(i)
                touched.add(old)
            merged, k = [], 0
            while k < len(syms):
                if k + 1 < len(syms) and (syms[k], syms[k + 1]) == pair:
                    merged.append(joined)
                    k += 2
                else:
                    merged.append(syms[k])
                    k += 1
            words[i] = (merged, c)
            for new in zip(merged, merged[1:]):
                pair_counts[new] += c
                where[new].add(i)
                touched.add(new)
        pair_counts.pop(pair, None)
        for t in touched:
            n = pair_counts.get(t, 0)
            if n > 0 and t != pair:
                heapq.heappush(heap, (-n, t))
            elif n <= 0:
                pair_counts.pop(t, None)
    return symbols, merges


def learn_bpe(words: Iterable[str], out_dir: str | Path, vocab_size: int = 8000, min_frequency: int = 2,
              count_cap: int | None = 1000, min_word_count: int = 1) -> Path:
    """Write vocab.txt and bpe.codes for the given word-segmented words; returns out_dir.

    Each distinct word counts as often as it occurs, capped at `count_cap` so that stock words
    of a small corpus do not dominate (None: no cap, for large raw text). Words seen fewer
    than `min_word_count` times are left out of learning (they are still tokenised later),
    which keeps learning on 100 M characters within memory.
    """
    counts = Counter(w for w in words if w and not w.isspace() and " " not in w)
    counts = {w: (c if count_cap is None else min(c, count_cap)) for w, c in counts.items() if c >= min_word_count}
    symbols, merges = learn_merges(counts, vocab_size, min_frequency)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "bpe.codes", "w", encoding="utf-8") as fh:
        for a, b in merges:
            fh.write(f"{a} {b} 1\n")
    pieces: dict[str, None] = {}
    for token in symbols:
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
