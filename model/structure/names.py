"""PERSON mentions of one text: short back-references resolved to the full name (`ông Cẩn`
-> `Trịnh Văn Cẩn`) and each person's gender where the text shows it (`ông`/`bà` before a
mention, `Thị` as a middle name), so a later `ông`/`bà` can only go to a matching person.
"""
from __future__ import annotations

import re

from model.structure.dates import fold, span_view

MALE, FEMALE = "m", "f"
# Honorific or pronoun word -> gender; `đồng chí` says nothing.
GENDER_WORDS = {"ông": MALE, "anh": MALE, "bà": FEMALE, "chị": FEMALE, "cô": FEMALE}
_HONORIFIC_BEFORE = re.compile(r"(?<!\w)(ông|anh|bà|chị|cô)\s*$")


def _tokens(name: str) -> tuple[str, ...]:
    return tuple(fold(name).text.split())


def resolve_names(persons: list[dict]) -> list[dict]:
    """Each PERSON as `{start, end, text, name, antecedent}`: `name` is the one earlier full
    name ending with this mention's words (`Cẩn` -> `Trịnh Văn Cẩn`), else the text itself."""
    seen: dict[tuple[str, ...], dict] = {}
    out = []
    for e in persons:
        toks = _tokens(e["text"])
        matches = {t: prev for t, prev in seen.items() if len(t) > len(toks) and t[-len(toks):] == toks}
        record = {**span_view(e), "name": " ".join(e["text"].split()), "antecedent": None}
        if toks and len(matches) == 1:
            prev = next(iter(matches.values()))
            record.update(name=" ".join(prev["text"].split()), antecedent=[prev["start"], prev["end"]])
        seen[toks] = e
        out.append(record)
    return out


def genders(text: str, persons: list[dict]) -> dict[str, str]:
    """Resolved name (folded) -> `m`/`f`, from the honorifics written before its mentions
    and a `Thị` middle name; a name seen with both stays out (unknown)."""
    seen: dict[str, set[str]] = {}
    for p in persons:
        key = " ".join(fold(p["name"]).text.split())
        found = seen.setdefault(key, set())
        m = _HONORIFIC_BEFORE.search(fold(text[max(0, p["start"] - 12):p["start"]]).text)
        if m:
            found.add(GENDER_WORDS[m.group(1)])
        if "thị" in key.split()[1:-1]:
            found.add(FEMALE)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def name_key(name: str) -> str:
    return " ".join(fold(name).text.split())
