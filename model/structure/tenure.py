"""When a person held a post, where the text says so: the dates of a career line
(`8/2002 - 4/2008: ...`), a period after the post (`Phó Bí thư Tỉnh đoàn (2004 - 2010)`,
`giữ chức ... từ tháng 8/2018`) or before the statement (`Từ 1995 đến 2004, ông là ...`).

Works on masked gaps (see `gaps`): each `<d>` stands for the next DATE of the gap, whose ISO
value comes from the normalised dates. A period is `{start, end, ongoing, spans}`; a bare
date with `từ` only starts it, `đến nay` leaves it open (`ongoing`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from model.structure.gaps import verb_pattern

_PHRASE = (r"(?P<from>(?:từ|kể từ|năm|tháng|bắt đầu từ)\s+)?(?P<d1><d>)"
           r"(?:\s*(?:-|đến|tới|cho đến)\s*(?:(?P<d2><d>)|(?P<now>nay|hiện nay)))?"
           r"(?:\s+(?:đến|tới)\s+(?P<now2>nay|hiện nay))?")
# Right after the post: `(2004 - 2010)`, `từ tháng 8/2018`, `, từ 6/2008 đến 9/2015`.
_AFTER = re.compile(rf"\s*,?\s*\(?\s*{_PHRASE}\s*\)?")
# The last date phrase of a gap before the post (`8/2002 - 4/2008:`, `; từ <d> là`), not a
# birth note (`(sinh năm 1974)`) nor a term (`nhiệm kỳ 2020-2025`).
_BEFORE = re.compile(rf"(?<!sinh )(?<!sinh năm )(?<!nhiệm kỳ )(?<!khóa ){_PHRASE}(?!.*<d>)")


@dataclass
class Gap:
    """A masked gap and the DATE entities its `<d>` stand for, in order."""

    text: str
    dates: list[dict] = field(default_factory=list)


def _value_bounds(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    if "/" in value:
        first, last = value.split("/", 1)
        return first, last
    return value, value


def _period(gap: Gap, m: re.Match, values: dict[tuple[int, int], str | None]) -> dict | None:
    first_index = gap.text[:m.start("d1")].count("<d>")
    d1 = gap.dates[first_index]
    start, end = _value_bounds(values.get((d1["start"], d1["end"])))
    spans = [[d1["start"], d1["end"]]]
    if m.group("d2"):
        d2 = gap.dates[first_index + 1]
        end = _value_bounds(values.get((d2["start"], d2["end"])))[1]
        spans.append([d2["start"], d2["end"]])
    ongoing = bool(m.group("now") or m.group("now2"))
    if ongoing or (not m.group("d2") and start == end):
        end = None  # `từ tháng 8/2018`, `Năm 1979, ông bắt đầu làm`: when it began
    if start is None and end is None:
        return None
    return {"start": start, "end": end, "ongoing": ongoing, "spans": spans}


def after_post(gap: Gap, values: dict) -> dict | None:
    """The period written right after a post, unless it opens the next statement
    (`..., từ tháng 10/2020 là Tỉnh ủy viên`)."""
    m = _AFTER.match(gap.text)
    if m is None or not gap.dates:
        return None
    rest = gap.text[m.end():].lstrip(" ,")
    clause = re.split(r"[.;,]", rest, maxsplit=1)[0]
    if verb_pattern(clause) is not None and not clause.startswith(("trước", "sau")):
        return None
    return _period(gap, m, values)


def before_post(gap: Gap, values: dict, skip_leading: bool = False) -> dict | None:
    """The last date phrase of the gap before a post (`8/2002 - 4/2008:`, `; từ <d> là`);
    with `skip_leading`, a phrase at the very start belongs to the post before."""
    if not gap.dates:
        return None
    m = _BEFORE.search(gap.text)
    if m is None:
        return None
    if skip_leading:
        lead = _AFTER.match(gap.text)
        if lead is not None and m.start() < lead.end():
            return None
    return _period(gap, m, values)
