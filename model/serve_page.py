"""The service's one page: paste an article, see its entities by type and what they say.

Rendered on the server from the same report the JSON endpoints return, with no script:
the text with entities highlighted (colours and legend as in model/html.py, in the style
of displaCy), the people table (who holds which post), the parsed documents and the
normalised dates.
"""
from __future__ import annotations

import html

from model.html import COLOURS, mark_entities
from model.labels import ENTITY_TYPES

_CSS = """
body{font-family:system-ui,'DejaVu Sans',sans-serif;max-width:64em;margin:1.5em auto;padding:0 1em;
     line-height:1.5;color:#222}
h1{font-size:1.5em;margin:0 0 .2em} h2{font-size:1.15em;margin:1.4em 0 .4em}
.meta{color:#666;font-size:.85em;margin:0 0 1em}
textarea{width:100%;box-sizing:border-box;font:inherit;font-size:.95em;padding:.5em}
button{font:inherit;padding:.35em 1.2em;margin-top:.4em;cursor:pointer}
.legend{margin:.8em 0} .legend mark{margin-right:.5em}
.text{white-space:pre-wrap;line-height:2.1;border:1px solid #ddd;border-radius:6px;padding:.8em 1em}
mark{border-radius:.35em;padding:.15em .35em;color:#111}
mark sub{font-size:.62em;font-weight:bold;letter-spacing:.03em;margin-left:.35em;vertical-align:middle;color:#333}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border-bottom:1px solid #e3e3e3;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f6f6} .none{color:#888;font-style:italic} .error{color:#a40000;font-weight:bold}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def legend(counts: dict[str, int] | None = None) -> str:
    return " ".join(f'<mark class="{t}">{t}{f" {counts.get(t, 0)}" if counts is not None else ""}</mark>'
                    for t in ENTITY_TYPES)


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="none">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _mark(span: dict | None, label: str) -> str:
    return f'<mark class="{label}">{_e(span["text"])}</mark>' if span else ""


def people_table(structure: dict) -> str:
    rows = []
    for link in structure.get("post_holders", []):
        person, role, org = link["person"], link["role"], link["org"]
        name = person.get("name") or person["text"]
        shown = _mark(person, "PERSON") + (f" ({_e(name)})" if name != person["text"] else "")
        post = _mark(role, "ROLE") + (f" <i>{_e(role['modifier'])}</i>" if role.get("modifier") else "")
        rows.append([shown, post, _e(role.get("title")), _mark(org, "ORG") if org else "",
                     f"{link['confidence']:.2f}", _e(link["pattern"])])
    return _table(["person", "post", "title", "body", "confidence", "pattern"], rows,
                  "No person linked to a post.")


def documents_table(structure: dict) -> str:
    rows = []
    for d in structure.get("documents", []):
        date = d.get("date")
        issuer = d.get("issuer")
        rows.append([_mark(d, "DOC"), _e(d.get("kind")), _e(d.get("identifier")), _e(d.get("year")),
                     _e(date and (date.get("value") or date["text"])), _e(issuer and issuer["text"]),
                     _e(d.get("refers_to"))])
    return _table(["document", "kind", "identifier", "year", "dated", "issued by", "refers to"], rows,
                  "No document cited.")


def dates_table(structure: dict) -> str:
    rows = [[_mark(d, "DATE"), _e(d.get("value")), _e(d.get("kind")), _e(d.get("reason") or "")]
            for d in structure.get("dates", [])]
    return _table(["as written", "value (ISO 8601)", "kind", "note"], rows, "No date.")


def render_page(*, model_line: str, text: str = "", report: dict | None = None, error: str | None = None,
                max_chars: int | None = None) -> str:
    """The whole page; with a report, the results below the form."""
    css = _CSS + "\n".join(f".{t}{{background:{c}}}" for t, c in COLOURS.items())
    limit = f" (up to {max_chars:,} characters)" if max_chars else ""
    parts = [
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>vn-gov-ner</title><style>{css}</style></head><body>",
        "<h1>vn-gov-ner</h1>",
        f'<p class="meta">Who, in which post, in which body, under which document, and when · {_e(model_line)}</p>',
        '<form method="post" action="/">',
        f'<label for="text">Paste a Vietnamese government news article{_e(limit)}:</label>',
        f'<textarea id="text" name="text" rows="8">{_e(text)}</textarea>',
        '<br><button type="submit">Find entities</button></form>',
    ]
    if error:
        parts.append(f'<p class="error">{_e(error)}</p>')
    if report is not None:
        structure = report.get("structure") or {}
        parts += [
            f'<div class="legend">{legend(report["counts"])}</div>',
            f'<div class="text" id="entities">{mark_entities(text, report["entities"])}</div>',
            "<h2>People and their posts</h2>", people_table(structure),
            "<h2>Documents</h2>", documents_table(structure),
            "<h2>Dates</h2>", dates_table(structure),
        ]
        if report.get("warnings"):
            parts.append("<p>" + "<br>".join(_e(w) for w in report["warnings"]) + "</p>")
    else:
        parts.append(f'<div class="legend">{legend()}</div>')
    parts.append("</body></html>\n")
    return "\n".join(parts)
