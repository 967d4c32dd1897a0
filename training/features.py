"""Annotated documents -> word-level BIO -> labelled windows, through model/'s stages.

Training walks the same stages as inference (normalise, segment, encode). Where an
annotated boundary falls inside a segmented word, the word is split there so the label
can be learned; `AlignmentStats` counts how often that happens.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Iterable

from model.encode import Window, WordEncoder
from model.labels import OUTSIDE, label2id
from model.segment import Word, to_words
from model.settings import PreprocessingSettings
from model.text import normalize
from training.corpus import Document, Span


@dataclass
class AlignmentStats:
    documents: int = 0
    words: int = 0
    entities: int = 0
    entities_crossing: int = 0  # entities with a boundary inside a segmented word
    words_split: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def crossing_rate(self) -> float:
        return self.entities_crossing / self.entities if self.entities else 0.0

    def to_dict(self) -> dict:
        return {"documents": self.documents, "words": self.words, "entities": self.entities,
                "entities_crossing_word": self.entities_crossing, "words_split": self.words_split,
                "crossing_rate": round(self.crossing_rate, 4), "examples": self.examples[:20]}


def _form(raw: str, settings: PreprocessingSettings) -> str:
    return "_".join(normalize(raw, settings.normalization).text.split())


def split_at_boundaries(text: str, words: list[Word], entities: Iterable[Span],
                        settings: PreprocessingSettings, stats: AlignmentStats | None = None) -> list[Word]:
    """Split words wherever an entity starts or ends inside them."""
    cuts = sorted({b for s in entities for b in (s.start, s.end)})
    out: list[Word] = []
    for w in words:
        lo = bisect.bisect_right(cuts, w.start)
        hi = bisect.bisect_left(cuts, w.end)
        inner = cuts[lo:hi]
        if not inner:
            out.append(w)
            continue
        if stats is not None:
            stats.words_split += 1
            if len(stats.examples) < 20:
                stats.examples.append(text[w.start:w.end])
        edges = [w.start, *inner, w.end]
        for a, b in zip(edges, edges[1:]):
            piece = text[a:b]
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece) - len(piece.rstrip())
            if b - trail > a + lead:
                out.append(Word(_form(piece.strip(), settings), a + lead, b - trail, w.sentence))
    return out


def word_tags(words: list[Word], entities: Iterable[Span]) -> list[str]:
    """IOB2 tag per word; words must not straddle entity boundaries."""
    tags = [OUTSIDE] * len(words)
    spans = sorted(entities, key=lambda s: s.start)
    j = 0
    for i, w in enumerate(words):
        while j < len(spans) and spans[j].end <= w.start:
            j += 1
        if j < len(spans) and spans[j].start <= w.start and w.end <= spans[j].end:
            tags[i] = ("B-" if w.start == spans[j].start or (i and words[i - 1].end <= spans[j].start)
                       else "I-") + spans[j].label
    return tags


def document_words(doc: Document, settings: PreprocessingSettings,
                   stats: AlignmentStats | None = None) -> tuple[list[Word], list[str]]:
    """One document -> its (boundary-split) words and their IOB2 tags."""
    words = to_words(doc.text, settings.segmenter, settings.normalization)
    if stats is not None:
        stats.documents += 1
        stats.entities += len(doc.entities)
        for s in doc.entities:
            if any(w.start < b < w.end for w in words for b in (s.start, s.end)):
                stats.entities_crossing += 1
    words = split_at_boundaries(doc.text, words, doc.entities, settings, stats)
    if stats is not None:
        stats.words += len(words)
    return words, word_tags(words, doc.entities)


def document_windows(docs: Iterable[Document], encoder: WordEncoder, settings: PreprocessingSettings,
                     stats: AlignmentStats | None = None,
                     window_words: list[list[Word]] | None = None) -> list[Window]:
    """Labelled training windows for a set of documents.

    When `window_words` is a list, it receives each window's words (sentence indices and
    forms): what the inference decoder reads besides the logits, so dev F1 can be decoded
    exactly as predictions are (`model.decode.best_tags`).
    """
    ids = label2id()
    out: list[Window] = []
    for k, doc in enumerate(docs):
        words, tags = document_words(doc, settings, stats)
        windows = encoder.windows(words, doc_index=k, word_labels=[ids[t] for t in tags])
        if window_words is not None:
            window_words += [words[w.first_word:w.last_word] for w in windows]
        out += windows
    return out
