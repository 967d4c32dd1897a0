"""Normalised text -> words with offsets in the caller's raw string.

PhoBERT was pre-trained on word-segmented text (`Thành_uỷ`), so a segmenter joins the
syllables of each word. Backends are swappable objects with one method, `spans(text)`,
that returns half-open word spans of a sentence; `to_words` runs one over every sentence
of a document and maps the spans back to the raw string.

Backends: `pyvi` (MIT, the default), `underthesea` (GPL-3.0, an optional extra) and
`syllable` (no dependency: every syllable and punctuation mark is a word).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from model.text import NormalizationSettings, NormalizedText, normalize, sentence_spans

log = logging.getLogger(__name__)

SEGMENTERS = ("pyvi", "underthesea", "syllable")
DEFAULT_SEGMENTER = "pyvi"

# Syllables keep inner punctuation (6/7/2022, QĐ-UBND, 1.245, TP.HCM); other marks stand alone.
_SYLLABLE = re.compile(r"\w+(?:[-–/.,:'’]\w+)*|[^\w\s]", re.UNICODE)
_LEADING = set("\"'“‘«([{<")
_TRAILING = set("\"'”’».,;:!?…)]}>")


@dataclass(frozen=True)
class Word:
    """One word: its normalised form as the tokenizer sees it and its raw offsets."""

    text: str  # normalised, syllables joined by "_"
    start: int  # in the caller's raw string
    end: int
    sentence: int  # index of the sentence it belongs to


class Segmenter(Protocol):
    name: str

    def spans(self, sentence: str) -> list[tuple[int, int]]:
        """Half-open word spans of one sentence (no whitespace inside a span's edges)."""


class SyllableSegmenter:
    """Every syllable and punctuation mark is a word; no dependency, never fails."""

    name = "syllable"

    def spans(self, sentence: str) -> list[tuple[int, int]]:
        return [m.span() for m in _SYLLABLE.finditer(sentence)]


def _align(sentence: str, tokens: list[list[str]]) -> list[tuple[int, int]] | None:
    """Place each token (a list of syllables) in the sentence; None if the text differs."""
    spans, i, n = [], 0, len(sentence)
    for syllables in tokens:
        start = None
        for syl in syllables:
            while i < n and sentence[i].isspace():
                i += 1
            if not sentence.startswith(syl, i):
                return None
            if start is None:
                start = i
            i += len(syl)
        if start is not None:
            spans.append((start, i))
    if sentence[i:].strip():
        return None
    return spans


class _ExternalSegmenter:
    """Shared plumbing: run a library, align its tokens, fall back to syllables if needed."""

    name = "external"
    fallbacks = 0  # sentences whose output could not be aligned to the input

    def _tokens(self, sentence: str) -> list[list[str]]:
        raise NotImplementedError

    def spans(self, sentence: str) -> list[tuple[int, int]]:
        if not sentence.strip():
            return []
        aligned = _align(sentence, self._tokens(sentence))
        if aligned is None:
            type(self).fallbacks += 1
            log.warning("%s changed the text of a sentence; segmenting it by syllables instead: %.40r",
                        self.name, sentence)
            return SyllableSegmenter().spans(sentence)
        return aligned


class PyviSegmenter(_ExternalSegmenter):
    """pyvi's CRF word segmenter (MIT licence)."""

    name = "pyvi"

    def __init__(self) -> None:
        try:
            from pyvi import ViTokenizer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("the 'pyvi' segmenter needs the pyvi package: pip install pyvi") from exc
        self._tokenize = ViTokenizer.tokenize

    def _tokens(self, sentence: str) -> list[list[str]]:
        # pyvi joins syllables with "_"; a literal "_" in the input stays one syllable char.
        out = self._tokenize(sentence)
        return [[s for s in tok.split("_") if s] or [tok] for tok in out.split()]

    def spans(self, sentence: str) -> list[tuple[int, int]]:
        if "_" in sentence:  # pyvi's joiner would be ambiguous
            return SyllableSegmenter().spans(sentence)
        return super().spans(sentence)


class UndertheseaSegmenter(_ExternalSegmenter):
    """underthesea's word_tokenize (GPL-3.0: install the optional extra to use it)."""

    name = "underthesea"

    def __init__(self) -> None:
        try:
            from underthesea import word_tokenize
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("the 'underthesea' segmenter is an optional GPL-3.0 extra: "
                              "pip install 'vn-gov-ner[underthesea]'") from exc
        self._tokenize = word_tokenize

    def _tokens(self, sentence: str) -> list[list[str]]:
        return [tok.split() for tok in self._tokenize(sentence, use_token_normalize=False)]


@lru_cache(maxsize=None)
def get_segmenter(name: str = DEFAULT_SEGMENTER) -> Segmenter:
    """The segmenter called `name` (one instance per process)."""
    if name == "pyvi":
        return PyviSegmenter()
    if name == "underthesea":
        return UndertheseaSegmenter()
    if name == "syllable":
        return SyllableSegmenter()
    raise ValueError(f"unknown segmenter {name!r}; choose one of {', '.join(SEGMENTERS)}")


def _merge_within_runs(sentence: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Re-join pieces a segmenter cut out of one space-free token (`03-ĐA/TU`, `6/7/2022`, `CT-XH`).

    pyvi splits at hyphens and slashes, but a document symbol or a date written without
    spaces is one unit to the reader (and often one PhoBERT token, `QĐ-TTg`).
    """
    run_of = [-1] * len(sentence)
    for k, m in enumerate(_SYLLABLE.finditer(sentence)):
        if m.end() - m.start() > 1 or m.group(0)[0].isalnum():
            for i in range(m.start(), m.end()):
                run_of[i] = k
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s > 0 and run_of[s] >= 0 and run_of[s] == run_of[merged[-1][1] - 1] \
                and merged[-1][1] == s:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _split_edge_punctuation(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Detach quotes, brackets and sentence marks from word edges (`UBND.` -> `UBND`, `.`)."""
    lead, trail = [], []
    while e - s > 1 and text[s] in _LEADING:
        lead.append((s, s + 1))
        s += 1
    while e - s > 1 and text[e - 1] in _TRAILING:
        trail.append((e - 1, e))
        e -= 1
    return lead + [(s, e)] + trail[::-1]


def _split_inner_space(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Syllables of a word (a segmenter's word may hold several spaces)."""
    return [(s + m.start(), s + m.end()) for m in re.finditer(r"\S+", text[s:e])]


def to_words(raw: str, segmenter: Segmenter | str = DEFAULT_SEGMENTER,
             settings: NormalizationSettings | None = None) -> list[Word]:
    """Raw text -> words in reading order, each with exact raw offsets."""
    return segment_normalized(normalize(raw, settings), segmenter)


def segment_normalized(norm: NormalizedText, segmenter: Segmenter | str = DEFAULT_SEGMENTER) -> list[Word]:
    """Words of an already normalised text (the predictor times the two steps apart)."""
    seg = get_segmenter(segmenter) if isinstance(segmenter, str) else segmenter
    text = norm.text
    words: list[Word] = []
    for k, (ss, se) in enumerate(sentence_spans(text)):
        sentence = text[ss:se]
        for ws, we in _merge_within_runs(sentence, seg.spans(sentence)):
            for ps, pe in _split_edge_punctuation(text, ss + ws, ss + we):
                syllables = _split_inner_space(text, ps, pe)
                if not syllables:
                    continue
                form = "_".join(text[a:b] for a, b in syllables)
                rs, re_ = norm.to_raw(syllables[0][0], syllables[-1][1])
                words.append(Word(form, rs, re_, k))
    return words
