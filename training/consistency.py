"""Consistency checks across the corpus.

1. The same string tagged with different labels in different places.
2. Untagged occurrences of a string that is tagged elsewhere (outside any entity, on word
   boundaries) — the usual sign of a forgotten annotation.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Iterable

from training.corpus import Document

MIN_LENGTH = 4  # shorter strings (initials, "Ủy") are too ambiguous to flag


def label_conflicts(docs: Iterable[Document]) -> list[dict]:
    """Strings carrying more than one label across the corpus."""
    seen: dict[str, Counter] = defaultdict(Counter)
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in docs:
        for s in d.entities:
            t = d.text[s.start:s.end]
            seen[t][s.label] += 1
            where[(t, s.label)].append(d.id)
    return [{"text": t, "labels": dict(c), "examples": {lab: sorted(set(where[(t, lab)]))[:3] for lab in c}}
            for t, c in sorted(seen.items()) if len(c) > 1]


def untagged_occurrences(docs: Iterable[Document]) -> list[dict]:
    """Places where a tagged string occurs outside every entity."""
    docs = list(docs)
    tagged: dict[str, Counter] = defaultdict(Counter)
    for d in docs:
        for s in d.entities:
            t = d.text[s.start:s.end]
            if len(t) >= MIN_LENGTH and not (s.label == "PERSON" and " " not in t):
                tagged[t][s.label] += 1  # a lone given name (`Thành`) is also a common word
    if not tagged:
        return []
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in sorted(tagged, key=len, reverse=True))
                         + r")(?!\w)")
    out = []
    for d in docs:
        covered = [(s.start, s.end) for s in d.entities]
        for m in pattern.finditer(d.text):
            a, b = m.span()
            if any(s < b and a < e for s, e in covered):
                continue
            label = tagged[m.group(1)].most_common(1)[0][0]
            out.append({"doc_id": d.id, "start": a, "end": b, "text": m.group(1), "tagged_elsewhere_as": label,
                        "context": d.text[max(0, a - 30):b + 30].replace("\n", " ")})
    return out


_DATE_LEAD = re.compile(r"(?:ngày|Ngày|NGÀY)[ \u00a0]$")
# `hai ngày 9 và 10/4`, `các ngày 3 và 4/8`: `ngày` is counted there, not the date's unit word
_COUNTED_DAYS = re.compile(r"(?:\b(?:hai|ba|bốn|năm|các|những)|\d)[ \u00a0](?:ngày)[ \u00a0]$")


def date_without_ngay(docs: Iterable[Document]) -> list[dict]:
    """DATE spans right after `ngày` that leave it out (the guidelines put it inside)."""
    out = []
    for d in docs:
        for s in d.entities:
            before = d.text[max(0, s.start - 12):s.start]
            if s.label == "DATE" and _DATE_LEAD.search(before) and not _COUNTED_DAYS.search(before):
                out.append({"doc_id": d.id, "start": s.start, "end": s.end, "text": d.text[s.start:s.end]})
    return out
