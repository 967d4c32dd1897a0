"""The batch view: one row per person across many reports, with their posts, bodies, the
documents cited alongside them and the first/last article dates they were seen on; their
posts over time where the text dates them (career lines, dated appointments), and which
posts are former (`nguyên`, dismissed, replaced, ended) or acting (`quyền`).

A report is a dict with `doc_id` (or `id`), `entities`, and `structure` or `text` (the
structure is computed from the text when missing). The article date is the report's
`date` field when it is an ISO date, else the anchor found in the text, else unknown.
"""
from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

from model.structure import clean_entities, extract_structure
from model.structure.dates import fold
from model.structure.posts import resolve_names

COLUMNS = ("person", "posts", "bodies", "documents", "first_seen", "last_seen", "n_documents", "doc_ids",
           "timeline", "former_posts", "acting_posts")
LIST_SEPARATOR = " | "
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def match_key(name: str) -> str:
    """Names (and posts, bodies) differing only in case, spacing or tone placement are one."""
    return " ".join(fold(name).text.split())


def _structure(report: dict, where: str) -> dict:
    if report.get("structure") is not None:
        return report["structure"]
    if report.get("text") is None:
        raise ValueError(f"{where}: report has neither `structure` nor `text`")
    return extract_structure(report["text"], report.get("entities", []))


def _article_date(report: dict, structure: dict) -> str | None:
    given = str(report.get("date") or "")
    return given if _ISO_DATE.fullmatch(given) else structure.get("anchor")


def _post(link: dict) -> str:
    """`nguyên Phó Bí thư Tỉnh ủy`, `Trưởng phòng Tổ chức cán bộ, Sở Nội vụ`."""
    role, org = link["role"], link["org"]
    text = " ".join(role["text"].split())
    if role.get("modifier"):
        text = f"{role['modifier']} {text}"
    if org and org.get("source") == "entity":
        text = f"{text}, {' '.join(org['text'].split())}"
    return text


def _period_text(period: dict) -> str:
    """`2002-08 – 2008-04`, `từ 2020-10`, `2009-10 – nay`."""
    start, end = period.get("start"), period.get("end")
    if period.get("ongoing"):
        return f"{start or '?'} – nay"
    if end is None:
        return f"từ {start}"
    return f"{start or '?'} – {end}"


def _mentioned(report: dict) -> list[str]:
    """Every PERSON in a report, back-references resolved to the full name."""
    text = report.get("text")
    ents = clean_entities(text, report.get("entities", [])) if text is not None else [
        e for e in report.get("entities", []) if "text" in e]
    return [p["name"] for p in resolve_names([e for e in ents if e.get("label") == "PERSON"])]


def _add(seen: dict[str, str], values: Iterable[str]) -> None:
    """Keep the first spelling of each value (`Ủy`/`Uỷ`, spacing and case folded together)."""
    for value in values:
        seen.setdefault(match_key(value), value)


class _Person:
    """What one person's row accumulates, in first-seen order."""

    def __init__(self) -> None:
        self.forms: Counter = Counter()
        self.posts: dict[str, str] = {}
        self.bodies: dict[str, str] = {}
        self.documents: dict[str, str] = {}
        self.dates: set[str] = set()
        self.doc_ids: dict[str, None] = {}
        self.timeline: dict[tuple, tuple[str, str]] = {}   # (start, end, post key) -> (sort key, line)
        self.former: dict[str, str] = {}
        self.acting: dict[str, str] = {}

    def add_link(self, link: dict) -> None:
        post = _post(link)
        _add(self.posts, [post])
        _add(self.bodies, [" ".join(link["org"]["text"].split())] if link["org"] else [])
        status = link.get("status")
        if status == "former":
            _add(self.former, [post])
        elif status == "acting":
            _add(self.acting, [post])
        period = link.get("period")
        if period and (period.get("start") or period.get("end")):
            key = (period.get("start"), period.get("end"), match_key(post))
            self.timeline.setdefault(key, (period.get("start") or period.get("end") or "",
                                           f"{_period_text(period)}: {post}"))

    def row(self) -> dict:
        dates = sorted(self.dates)
        return {"person": self.forms.most_common(1)[0][0], "posts": list(self.posts.values()),
                "bodies": list(self.bodies.values()), "documents": list(self.documents.values()),
                "first_seen": dates[0] if dates else None, "last_seen": dates[-1] if dates else None,
                "n_documents": len(self.doc_ids), "doc_ids": list(self.doc_ids),
                "timeline": [line for _, line in sorted(self.timeline.values())],
                "former_posts": list(self.former.values()), "acting_posts": list(self.acting.values())}


def people_table(reports: Iterable[dict], linked_only: bool = False) -> list[dict]:
    """Rows (see COLUMNS) sorted by number of documents, then name. With `linked_only`,
    people never linked to a post (bylines, photo credits) are left out."""
    people: dict[str, _Person] = {}
    for n, report in enumerate(reports):
        doc_id = str(report.get("doc_id") or report.get("id") or n)
        structure = _structure(report, doc_id)
        seen = _article_date(report, structure)
        cited = [d.get("refers_to") or d["identifier"] for d in structure["documents"] if d.get("identifier")]
        names = [link["person"]["name"] for link in structure["post_holders"]]
        if not linked_only:
            names += _mentioned(report)
        for name in names:
            person = people.setdefault(match_key(name), _Person())
            person.forms[name] += 1
            person.doc_ids[doc_id] = None
            _add(person.documents, cited)
            person.dates.update([seen] if seen else [])
        for link in structure["post_holders"]:
            people[match_key(link["person"]["name"])].add_link(link)
    rows = [p.row() for p in people.values()]
    return sorted(rows, key=lambda r: (-r["n_documents"], match_key(r["person"])))


def read_reports(paths: Iterable[str | Path]) -> Iterator[dict]:
    """Reports from JSONL files, one per line."""
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc


def _cell(value) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(map(str, value))
    return "" if value is None else str(value)


def write_csv(rows: list[dict], path: str | Path) -> None:
    """UTF-8 CSV, one row per person; list cells joined with ` | `."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in COLUMNS])


_HTML_HEAD = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: 4px 8px; vertical-align: top; text-align: left; }}
th {{ background: #eee; position: sticky; top: 0; }}
ul {{ margin: 0; padding-left: 1.1em; }}
.former {{ color: #777; }}
.acting {{ font-style: italic; }}
.mark {{ font-size: 0.8em; color: #555; }}
</style></head><body>
<h1>{title}</h1>
<p>{count} people</p>
<table>
"""


def _html_cell(value) -> str:
    if isinstance(value, list):
        items = "".join(f"<li>{html.escape(str(v))}</li>" for v in value)
        return f"<td><ul>{items}</ul></td>" if value else "<td></td>"
    return f"<td>{html.escape(_cell(value))}</td>"


_MARKS = {"former": "nguyên", "acting": "quyền"}


def _posts_cell(row: dict) -> str:
    """Posts with former ones greyed and marked, acting ones in italics and marked."""
    status = {match_key(p): "former" for p in row.get("former_posts") or []}
    status.update({match_key(p): "acting" for p in row.get("acting_posts") or []})
    items = []
    for post in row.get("posts") or []:
        kind = status.get(match_key(post))
        text = html.escape(str(post))
        if kind:
            text = f'<span class="{kind}">{text} <span class="mark">({_MARKS[kind]})</span></span>'
        items.append(f"<li>{text}</li>")
    return f"<td><ul>{''.join(items)}</ul></td>" if items else "<td></td>"


_HTML_COLUMNS = tuple(c for c in COLUMNS if c not in ("former_posts", "acting_posts"))


def write_html(rows: list[dict], path: str | Path, title: str = "People") -> None:
    """One self-contained HTML page (inline CSS, no scripts), every cell escaped; former and
    acting posts are marked in the posts column, the timeline lists dated posts in order."""
    parts = [_HTML_HEAD.format(title=html.escape(title), count=len(rows)),
             "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in _HTML_COLUMNS) + "</tr>\n"]
    for row in rows:
        parts.append("<tr>" + "".join(_posts_cell(row) if c == "posts" else _html_cell(row.get(c))
                                      for c in _HTML_COLUMNS) + "</tr>\n")
    parts.append("</table>\n</body></html>\n")
    Path(path).write_text("".join(parts), encoding="utf-8")
