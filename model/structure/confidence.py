"""How often a link of each pattern is right, learnt once from the DEV structure gold
(annotations/structure/dev.jsonl, gold entities) and fixed here as a table, so that a
link's `confidence` reads as a probability: links at >= 0.9 are right >= 90% of the time.

The values are (right + 1) / (links + 2) per pattern on dev (a small-sample shrink towards
0.5, so rare patterns stay below 0.9), capped at 0.98; `python -m scripts.evaluate_structure
--data annotations/corpus/dev.jsonl --gold annotations/structure/dev.jsonl --fit-confidence`
prints the counts and the table again. The linker was tuned on the same dev set, so these
are optimistic; the test split's calibration table (README) is the honest check. A pattern
with no dev links gets a cautious default.
"""
from __future__ import annotations

DEFAULT = 0.6
CAP = 0.98

# pattern -> confidence, from right/predicted links on dev (gold entities, 52 documents):
TABLE: dict[str, float] = {
    "apposition": 0.98,    # 340/340
    "role_list": 0.98,     # 58/58
    "appointment": 0.97,   # 35/35
    "pronoun": 0.97,       # 27/27
    "other": 0.95,         # 17/17
    "career": 0.93,        # 13/13
    "plural_title": 0.92,  # 11/11
    "dismissal": 0.83,     # 4/4
    "replacement": 0.83,   # 4/4
}


def confidence_of(pattern: str) -> float:
    return TABLE.get(pattern, DEFAULT)


def fit(counts: dict[str, tuple[int, int]]) -> dict[str, float]:
    """pattern -> (right, predicted) counts -> the table above."""
    return {p: round(min(CAP, (right + 1) / (n + 2)), 2) for p, (right, n) in sorted(counts.items())}
