"""Window logits -> word tags -> character spans with scores.

One pure decoder used by evaluation and inference alike. Inputs are never mutated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from model.encode import Window
from model.labels import OUTSIDE
from model.segment import Word


@dataclass(frozen=True)
class SpanPrediction:
    start: int  # raw offsets
    end: int
    label: str
    score: float


def word_probabilities(windows: Sequence[Window], logits: Sequence[np.ndarray], n_words: int,
                       n_labels: int) -> np.ndarray:
    """Softmax over labels for each word, taken from the window that owns it."""
    probs = np.zeros((n_words, n_labels), dtype=np.float32)
    seen = np.zeros(n_words, dtype=bool)
    for win, lg in zip(windows, logits):
        lg = np.asarray(lg, dtype=np.float32)[: len(win)]
        for tok, wi in enumerate(win.word_index):
            if wi < 0 or not (win.own_from <= wi < win.own_to):
                continue
            row = lg[tok] - lg[tok].max()
            e = np.exp(row)
            probs[wi] = e / e.sum()
            seen[wi] = True
    if n_words and not seen.all():
        missing = np.flatnonzero(~seen)[:5].tolist()
        raise RuntimeError(f"words {missing} are owned by no window (windowing bug)")
    return probs


def repair_bio(tags: Sequence[str]) -> list[str]:
    """Make a tag sequence valid IOB2: an I-X that does not continue an X starts one."""
    out: list[str] = []
    prev = OUTSIDE
    for t in tags:
        if t.startswith("I-") and (prev == OUTSIDE or prev[2:] != t[2:]):
            t = "B-" + t[2:]
        out.append(t)
        prev = t
    return out


def tags_to_word_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Strict IOB2 chunks as (first word, last word exclusive, type)."""
    spans, start, kind = [], None, None
    for i, t in enumerate(list(tags) + [OUTSIDE]):
        if start is not None and not (t.startswith("I-") and t[2:] == kind):
            spans.append((start, i, kind))
            start = kind = None
        if t.startswith("B-"):
            start, kind = i, t[2:]
    return spans


def allowed_transitions(id2label: dict[int, str]) -> np.ndarray:
    """allowed[i, j]: tag j may follow tag i in IOB2 (I-X only after B-X or I-X)."""
    n = len(id2label)
    ok = np.ones((n, n), dtype=bool)
    for j in range(n):
        tj = id2label[j]
        if tj.startswith("I-"):
            for i in range(n):
                ti = id2label[i]
                ok[i, j] = ti != OUTSIDE and ti[2:] == tj[2:]
    return ok


def viterbi(probs: np.ndarray, id2label: dict[int, str], adjacent: np.ndarray | None = None) -> np.ndarray:
    """The most probable valid IOB2 tag sequence (sum of log-probabilities).

    A plain argmax lets a weak model write B-ROLE I-ORG I-ROLE, which breaks one title
    into three spans; constraining the path keeps spans whole at no training cost.
    `adjacent[t]` (optional) says word t+1 follows word t inside the same line: there an
    entity may not be followed directly by a new one of the same type (`ngày` + `6/7`
    as two DATEs). In the corpus (10,472 entities) and in the real evaluation articles
    that never happens without punctuation between them.
    """
    n, k = probs.shape
    logp = np.log(np.clip(probs, 1e-12, 1.0))
    ok = allowed_transitions(id2label)
    penalty = np.where(ok, 0.0, -np.inf)
    joined_penalty = penalty.copy()
    for j in range(k):
        tj = id2label[j]
        if tj.startswith("B-"):
            for i in range(k):
                if id2label[i] != OUTSIDE and id2label[i][2:] == tj[2:]:
                    joined_penalty[i, j] = -np.inf
    start_ok = np.array([not id2label[j].startswith("I-") for j in range(k)])
    score = np.where(start_ok, logp[0], -np.inf)
    back = np.zeros((n, k), dtype=np.int64)
    for t in range(1, n):
        step = joined_penalty if adjacent is not None and adjacent[t - 1] else penalty
        cand = score[:, None] + step  # previous tag x next tag
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + logp[t]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(score.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def sentence_adjacency(words: Sequence[Word]) -> np.ndarray:
    """For each word but the last: does the next word belong to the same sentence?"""
    return np.array([a.sentence == b.sentence for a, b in zip(words, words[1:])], dtype=bool)


# What makes a DATE a calendar expression (annotation spec: "A DATE always contains a
# number: digits, Roman numerals, or a month or day in words"), and what never is one.
_ROMAN = re.compile(r"^[IVX]+$")
_NUMBER_WORDS = frozenset("một hai ba bốn tư sáu bảy tám chín mười mươi mốt rằm giêng chạp".split())
_AFTER_MONTH = frozenset(("năm",))  # `tháng năm` is May; elsewhere `năm` is the word "year"
_CLOCK = re.compile(r"^\d{1,2}\s*(?::|h|giờ)\s*(?:\d{1,2})?\s*(?:phút)?$", re.IGNORECASE)


def _syllables(forms: Sequence[str]) -> list[str]:
    return [s for f in forms for s in f.replace("_", " ").split()]


def is_calendar_expression(forms: Sequence[str]) -> bool:
    """Can these words (tokenizer forms, syllables joined by `_`) be a DATE at all?

    A model trained on a few hundred documents tags bare `ngày` or `năm` (from `cùng ngày`,
    `11%/năm`) and clock times as DATE; the spec rules all three out, so the decoder does too.
    """
    syllables = _syllables(forms)
    if _CLOCK.match(" ".join(syllables)):
        return False
    prev = ""
    for syl in syllables:
        low = syl.lower()
        if any(c.isdigit() for c in syl) or _ROMAN.match(syl) or low in _NUMBER_WORDS:
            return True
        if low in _AFTER_MONTH and prev == "tháng":
            return True
        prev = low
    return False


# Document kinds that name no document on their own (spec: "Not DOC: generic mentions ...
# with no number, symbol or proper name", "bare back-references"). `Hiến pháp` is left out:
# alone it names the one constitution in force.
_DOC_KINDS = tuple(tuple(k.split()) for k in sorted((
    "luật", "bộ luật", "nghị quyết", "nghị quyết liên tịch", "nghị định", "quyết định", "thông tư",
    "thông tư liên tịch", "chỉ thị", "kết luận", "kế hoạch", "công văn", "công điện", "thông báo",
    "pháp lệnh", "chương trình", "đề án", "văn bản", "hướng dẫn", "quy định", "quy chế",
    "chiến lược", "tờ trình", "báo cáo", "điều lệ", "số", "này", "trên", "đó", "nói trên"),
    key=lambda k: -len(k.split())))


def names_a_document(forms: Sequence[str]) -> bool:
    """Does a DOC span say which document (a number, symbol or name), not only a kind?

    The compact model tags bare `Luật`, `Nghị quyết` or a cut-off `Nghị quyết số`; these
    spans are made of kind words alone, which the spec rules out.
    """
    syllables = [s.lower() for s in _syllables(forms)]
    i = 0
    while i < len(syllables):
        kind = next((k for k in _DOC_KINDS if tuple(syllables[i:i + len(k)]) == k), None)
        if kind is None:
            return True
        i += len(kind)
    return False


_SPAN_RULES = {"DATE": is_calendar_expression, "DOC": names_a_document}


def best_tags(words: Sequence[Word], probs: np.ndarray, id2label: dict[int, str]) -> list[str]:
    """The decoder's tag per word: the constrained Viterbi path, then spans the spec rules out
    (a DATE with no number, a DOC of kind words alone) set to O. Inference and the checkpoint
    metric both call this."""
    tags = [id2label[int(i)] for i in viterbi(probs, id2label, sentence_adjacency(words))]
    for a, b, kind in tags_to_word_spans(tags):
        rule = _SPAN_RULES.get(kind)
        if rule is not None and not rule([w.text for w in words[a:b]]):
            tags[a:b] = [OUTSIDE] * (b - a)
    return tags


def decode(words: Sequence[Word], probs: np.ndarray, id2label: dict[int, str]) -> list[SpanPrediction]:
    """Best valid tag path -> entity spans in raw offsets, scored by mean tag probability."""
    if not len(words):
        return []
    tags = best_tags(words, probs, id2label)
    col = {v: k for k, v in id2label.items()}
    best = np.array([col[t] for t in tags])
    out = []
    for a, b, kind in tags_to_word_spans(tags):
        score = float(probs[np.arange(a, b), best[a:b]].mean())
        out.append(SpanPrediction(words[a].start, words[b - 1].end, kind, score))
    return out
