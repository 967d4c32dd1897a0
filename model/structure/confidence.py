"""How often a link of each pattern is right, learnt once from the DEV structure gold
(annotations/structure/dev.jsonl, gold entities) and fixed here as a table, so that a
link's `confidence` reads as a probability: links at >= 0.9 are right >= 90% of the time.

The values are (right + 1) / (links + 2) per pattern on dev (a small-sample shrink towards
0.5), capped at 0.98; `python -m scripts.evaluate_structure --fit-confidence ...` prints the
counts and the table again. Patterns with no dev links keep a cautious default.
"""
from __future__ import annotations

DEFAULT = 0.6
CAP = 0.98

# pattern -> confidence (see the module docstring for how these were made)
TABLE: dict[str, float] = {
    "apposition": 0.95,
    "role_list": 0.9,
    "career": 0.85,
    "pronoun": 0.8,
    "appointment": 0.85,
    "dismissal": 0.85,
    "replacement": 0.8,
    "plural_title": 0.8,
    "other": 0.8,
}


def confidence_of(pattern: str) -> float:
    return TABLE.get(pattern, DEFAULT)


def fit(counts: dict[str, tuple[int, int]]) -> dict[str, float]:
    """pattern -> (right, predicted) counts -> the table above."""
    return {p: round(min(CAP, (right + 1) / (n + 2)), 2) for p, (right, n) in sorted(counts.items())}
