"""The structured section of a report, built from the entities and the text around them.

    from model.structure import extract_structure
    extract_structure(text, entities)  # -> {"post_holders", "roles", "documents", "dates", "anchor"}

Pure functions over (raw text, entities): no model, no I/O. Entities are the predictor's
dicts (`label`, `start`, `end`, optional `text`/`score`) with half-open offsets into `text`;
every offset in the output refers to the same raw string.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from model.structure.dates import find_anchor_date, normalise_dates, parse_date
from model.structure.documents import link_documents, parse_document
from model.structure.posts import link_posts, parse_role, resolve_names

__all__ = [
    "extract_structure", "find_anchor_date", "parse_date", "normalise_dates", "parse_document",
    "link_documents", "parse_role", "link_posts", "resolve_names", "clean_entities",
]


def clean_entities(text: str, entities: Iterable[dict]) -> list[dict]:
    """Sorted entities with in-range offsets and `text == raw[start:end]`; the rest dropped,
    so the pattern code never has to second-guess its input."""
    out = []
    for e in entities:
        try:
            start, end = int(e["start"]), int(e["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= start < end <= len(text) and e.get("label"):
            out.append({**e, "start": start, "end": end, "text": text[start:end]})
    return sorted(out, key=lambda e: (e["start"], e["end"]))


def extract_structure(text: str, entities: list[dict], anchor: date | None = None) -> dict:
    """Post holders, parsed roles, parsed documents and normalised dates for one text.

    `anchor` supplies the year for dates written without one; when None it is read from
    the article's own dateline (`find_anchor_date`), and stays None if there is none.
    The result also carries `anchor` (ISO text or None) so a batch can date the article.
    """
    ents = clean_entities(text, entities)
    if anchor is None:
        anchor = find_anchor_date(text)
    dates = normalise_dates(text, ents, anchor)
    post_holders, roles = link_posts(text, ents, dates)
    return {
        "post_holders": post_holders,
        "roles": roles,
        "documents": link_documents(text, ents, dates),
        "dates": dates,
        "anchor": anchor.isoformat() if anchor else None,
    }
