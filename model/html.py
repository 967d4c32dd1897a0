"""A self-contained HTML view of reports: entities highlighted by type, one section per document."""
from __future__ import annotations

import html
from pathlib import Path

COLOURS = {"PERSON": "#ffd6a5", "ORG": "#caffbf", "ROLE": "#9bf6ff", "DOC": "#bdb2ff", "DATE": "#ffc6ff"}

_HEAD = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>NER reports</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;line-height:1.6}
section{border-top:1px solid #ccc;padding:.5em 0}
.text{white-space:pre-wrap}
mark{border-radius:3px;padding:0 2px}
mark sub{font-size:.65em;margin-left:2px;color:#333}
%s
</style></head><body>
<h1>NER reports</h1>
<p>%s</p>
"""


def _legend() -> str:
    return " ".join(f'<mark class="{t}">{t}</mark>' for t in COLOURS)


def mark_entities(text: str, entities: list[dict]) -> str:
    """Escaped `text` with each entity in a `<mark class="LABEL">` (offsets index `text`)."""
    parts, pos = [], 0
    for e in sorted(entities, key=lambda e: e["start"]):
        if e["start"] < pos:
            continue
        parts.append(html.escape(text[pos:e["start"]]))
        title = f'{e["label"]} {e["score"]:.2f}'
        parts.append(f'<mark class="{e["label"]}" title="{title}">{html.escape(text[e["start"]:e["end"]])}'
                     f'<sub>{e["label"]}</sub></mark>')
        pos = e["end"]
    parts.append(html.escape(text[pos:]))
    return "".join(parts)


def render_document(text: str, report: dict) -> str:
    """One document's text with its entities marked (offsets index `text`)."""
    counts = ", ".join(f"{k} {v}" for k, v in report["counts"].items())
    return (f'<section><h2>{html.escape(str(report.get("doc_id")))}</h2><p>{counts}</p>'
            f'<div class="text">{mark_entities(text, report["entities"])}</div></section>\n')


class HtmlWriter:
    """Writes the page incrementally, so a long batch never holds all documents."""

    def __init__(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "w", encoding="utf-8")
        css = "\n".join(f".{t}{{background:{c}}}" for t, c in COLOURS.items())
        self._fh.write(_HEAD % (css, _legend()))

    def add(self, text: str, report: dict) -> None:
        self._fh.write(render_document(text, report))

    def close(self) -> None:
        self._fh.write("</body></html>\n")
        self._fh.close()
