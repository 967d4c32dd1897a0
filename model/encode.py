"""Words -> PhoBERT subword ids -> windows of at most `max_length` tokens.

PhobertTokenizer is slow-only (no `word_ids()`, no offsets, no windowing), so the
alignment lives here: each word is tokenised on its own, its first piece carries the
word's label, and documents are cut into windows that never split a word. Windows end
at sentence boundaries where one fits; a sentence longer than a window is covered by
overlapping windows, and each word is scored by the window where it sits furthest from
an edge ("keep each window's middle"). Nothing is ever dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from model.segment import Word

MAX_POSITIONS = 256  # PhoBERT's position table: 256 tokens including <s> and </s>
MAX_PIECES_PER_WORD = 16  # a 2,000-character URL must not eat a whole window
_CHUNK = 24  # characters per BPE call for very long words (BPE is quadratic in length)


@dataclass
class Window:
    """One model input: token ids plus, per token, the document word it starts (or -1)."""

    doc_index: int
    input_ids: list[int]
    word_index: list[int]  # per token: document word index for first pieces, -1 otherwise
    first_word: int
    last_word: int  # exclusive
    own_from: int  # words in [own_from, own_to) are decided by this window
    own_to: int
    labels: list[int] | None = field(default=None)

    def __len__(self) -> int:
        return len(self.input_ids)


class WordEncoder:
    """Tokenises words with a PhoBERT-format tokenizer, caching each word form's pieces."""

    def __init__(self, tokenizer, max_length: int = MAX_POSITIONS, stride: int = 64,
                 cache_size: int = 200_000) -> None:
        if max_length > MAX_POSITIONS:
            raise ValueError(f"max_length {max_length} exceeds PhoBERT's {MAX_POSITIONS} positions")
        if max_length < 8:
            raise ValueError("max_length must be at least 8")
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.stride = min(stride, (max_length - 2) // 2)
        self.cls_id = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        self.sep_id = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        self.unk_id = tokenizer.unk_token_id
        self.pad_id = tokenizer.pad_token_id
        self._cache: dict[str, tuple[int, ...]] = {}
        self._cache_size = cache_size
        self.truncated_words = 0  # words whose pieces were capped at MAX_PIECES_PER_WORD

    def word_ids(self, form: str) -> tuple[int, ...]:
        """Subword ids of one word; never empty (an untokenisable word becomes <unk>)."""
        hit = self._cache.get(form)
        if hit is not None:
            return hit
        if len(form) > _CHUNK * MAX_PIECES_PER_WORD:
            form_for_bpe = form[: _CHUNK * MAX_PIECES_PER_WORD]
        else:
            form_for_bpe = form
        pieces: list[str] = []
        for i in range(0, len(form_for_bpe), _CHUNK):
            pieces += self.tokenizer.tokenize(form_for_bpe[i:i + _CHUNK])
            if len(pieces) >= MAX_PIECES_PER_WORD:
                break
        ids = [i for i in self.tokenizer.convert_tokens_to_ids(pieces) if i is not None]
        if len(ids) > MAX_PIECES_PER_WORD or len(form_for_bpe) < len(form):
            self.truncated_words += 1
        ids = tuple(ids[:MAX_PIECES_PER_WORD]) or (self.unk_id,)
        if len(self._cache) < self._cache_size:
            self._cache[form] = ids
        return ids

    def windows(self, words: Sequence[Word], doc_index: int = 0,
                word_labels: Sequence[int] | None = None) -> list[Window]:
        """Cut one document into windows; every word is owned by exactly one window."""
        pieces = [self.word_ids(w.text) for w in words]
        budget = self.max_length - 2
        n = len(words)
        spans: list[tuple[int, int]] = []
        start = 0
        while start < n:
            end, used = start, 0
            while end < n and used + len(pieces[end]) <= budget:
                used += len(pieces[end])
                end += 1
            if end == start:  # cannot happen with the piece cap, kept as a guard
                end = start + 1
            if end == n:
                spans.append((start, end))
                break
            boundary = max((i for i in range(start + 1, end + 1) if words[i].sentence != words[i - 1].sentence),
                           default=None)
            if boundary is not None:
                spans.append((start, boundary))
                start = boundary
                continue
            spans.append((start, end))
            # overlap: step back about `stride` tokens, but always move forward
            back, nxt = 0, end
            while nxt - 1 > start + 1 and back + len(pieces[nxt - 1]) <= self.stride:
                nxt -= 1
                back += len(pieces[nxt])
            start = nxt
        owners = [[lo, hi] for lo, hi in spans]
        for k in range(1, len(spans)):
            prev_hi, lo = spans[k - 1][1], spans[k][0]
            if lo < prev_hi:  # overlapping pair: the middle of the overlap splits ownership
                mid = (lo + prev_hi) // 2
                owners[k - 1][1] = mid
                owners[k][0] = mid
        out = []
        for (lo, hi), (own_lo, own_hi) in zip(spans, owners):
            ids, widx, labels = [self.cls_id], [-1], [-100]
            for wi in range(lo, hi):
                p = pieces[wi]
                ids += p
                widx += [wi] + [-1] * (len(p) - 1)
                if word_labels is not None:
                    labels += [word_labels[wi]] + [-100] * (len(p) - 1)
            ids.append(self.sep_id)
            widx.append(-1)
            labels.append(-100)
            out.append(Window(doc_index, ids, widx, lo, hi, own_lo, own_hi,
                              labels if word_labels is not None else None))
        return out
