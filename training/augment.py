"""Data augmentation: swap entity surface forms between documents.

A written corpus repeats its own names; real news brings new ones. Replacing each entity
with another surface form of the same type (taken from elsewhere in the training set)
teaches the model context rather than a list of names. Offsets are rebuilt exactly.
"""
from __future__ import annotations

import random
from collections import defaultdict

from training.corpus import Document, Span


def swap_entities(docs: list[Document], copies: int = 1, seed: int = 0, rate: float = 0.7) -> list[Document]:
    """`copies` new versions of every document, each entity swapped with probability `rate`."""
    rng = random.Random(seed)
    forms: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        for s in d.entities:
            forms[s.label].append(d.text[s.start:s.end])
    for label in forms:
        forms[label] = sorted(set(forms[label]))
    out = []
    for c in range(copies):
        for d in docs:
            parts, spans, pos, length = [], [], 0, 0
            for s in sorted(d.entities, key=lambda s: s.start):
                before = d.text[pos:s.start]
                surface = d.text[s.start:s.end]
                if rng.random() < rate and len(forms[s.label]) > 1:
                    surface = rng.choice(forms[s.label])
                parts += [before, surface]
                length += len(before)
                spans.append(Span(length, length + len(surface), s.label))
                length += len(surface)
                pos = s.end
            parts.append(d.text[pos:])
            out.append(Document(id=f"{d.id}~swap{c}", text="".join(parts), entities=spans, meta=dict(d.meta)))
    return out
