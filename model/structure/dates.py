"""DATE entity text -> ISO 8601 (date, month, year, quarter, interval), or a reason why not.

The value is only ever read off the text: a missing year comes from the article's own
dateline (the anchor) and is flagged `anchored`; anything else that is missing or vague
gives `value: None` with a `reason`, never a guess.

This module also holds the two helpers every structure module shares (`fold`, `span_view`),
since it is the lowest layer of the package.
"""
from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import date
from typing import Callable, Iterable

from model.text import NormalizationSettings, NormalizedText, normalize

# --------------------------------------------------------------------------- shared helpers

_NEW_TONES = NormalizationSettings(tone_style="new")
_FOLD_CHARS = str.maketrans({"–": "-", "—": "-", "‑": "-", "−": "-", "‒": "-", "Ð": "Đ", "ð": "đ"})


def fold(text: str, lower: bool = True) -> NormalizedText:
    """One spelling for matching: NFC, `Ủy`/`hóa` tone placement, plain dashes, lower case.

    Keeps the map back to `text`, so a match in the folded string has raw offsets.
    """
    nt = normalize(text, _NEW_TONES)
    out = nt.text.translate(_FOLD_CHARS)
    if lower:
        low = out.lower()
        out = low if len(low) == len(out) else "".join(c.lower()[:1] for c in out)
    return replace(nt, text=out)


def gap_text(text: str, a: int, b: int) -> str | None:
    """The folded, space-collapsed text between two entities; None when they overlap or a
    line break separates them (headlines, captions and list lines never link across)."""
    raw = text[a:b]
    if b < a or "\n" in raw or "\r" in raw:
        return None
    return " ".join(fold(raw).text.split())


PLACEHOLDERS = {"PERSON": "<p>", "ROLE": "<r>", "ORG": "<o>", "DATE": "<d>", "DOC": "<doc>"}


def masked_gap(text: str, a: int, b: int, entities: list[dict], starts: list[int] | None = None
               ) -> tuple[str, list[dict]] | None:
    """The folded, space-collapsed text between offsets a and b with every entity of
    `entities` (sorted; `starts` their start offsets) that lies inside written as its
    placeholder (`<o>`, `<d>`, ...) and line breaks as `¶`; also the entities masked, in
    order. None when b < a."""
    if b < a:
        return None
    if starts is None:
        starts = [e["start"] for e in entities]
    parts, inside, pos = [], [], a
    for e in entities[bisect_left(starts, a):]:
        if e["start"] >= b:
            break
        if e["end"] > b:
            continue
        parts += [fold(text[pos:e["start"]]).text, f" {PLACEHOLDERS[e['label']]} "]
        inside.append(e)
        pos = e["end"]
    parts.append(fold(text[pos:b]).text)
    raw = "".join(parts).replace("\r", "\n").replace("\n", " ¶ ")
    return " ".join(raw.split()), inside


def span_view(entity: dict) -> dict:
    """The `{start, end, text}` part of an entity, as the structure records cite it."""
    return {"start": entity["start"], "end": entity["end"], "text": entity["text"]}


# --------------------------------------------------------------------------- vocabulary

_NUMBER_WORDS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7,
    "tám": 8, "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12,
}
_MONTH_WORDS = {**_NUMBER_WORDS, "giêng": 1, "chạp": 12}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUALIFIERS = {"đầu": "start", "thượng tuần": "start", "giữa": "middle", "trung tuần": "middle",
               "cuối": "end", "hạ tuần": "end"}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_M = rf"(\d{{1,2}}|{_alternation(_MONTH_WORDS)})"
_N = rf"(\d{{1,2}}|{_alternation(_NUMBER_WORDS)})"
_Q = rf"(\d|{_alternation(_ROMAN)}|{_alternation(_NUMBER_WORDS)})"
_YEAR_TAIL = r"(?:\s*[/-]\s*|\s*,?\s*năm\s+)(\d{4})"
_DAY = r"(?:ngày\s+)?(?:(?:mùng|mồng)\s+)?(\d{1,2})"
_SEP = r"\s*[/.-]\s*"

# Words around a calendar expression that carry no calendar information.
_FILLER = re.compile(r"^(?:(?:từ|đến|tới|vào|trong|hôm|sáng|chiều|tối|trưa|đêm|hết|giai đoạn"
                     r"|nhiệm kỳ|thời kỳ|năm học|niên khóa)\s+)+")
_WEEKDAY = re.compile(r"^(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|chủ nhật)\b\s*,?\s*", re.IGNORECASE)


def _number(token: str | None, table: dict[str, int] = _NUMBER_WORDS) -> int | None:
    if token is None:
        return None
    token = token.strip()
    if token.isdigit():
        return int(token)
    return table.get(token, _ROMAN.get(token))


# --------------------------------------------------------------------------- points


@dataclass(frozen=True)
class _Point:
    """One calendar position; `unit` is its granularity ("number" = bare digits)."""

    unit: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    quarter: int | None = None

    def bounds(self) -> tuple[date, date]:
        """First and last day the point covers (it must be complete and valid)."""
        y = self.year
        if self.unit == "day":
            d = date(y, self.month, self.day)
            return d, d
        if self.unit == "month":
            return date(y, self.month, 1), date(y, self.month, calendar.monthrange(y, self.month)[1])
        if self.unit == "quarter":
            first, last = 3 * self.quarter - 2, 3 * self.quarter
            return date(y, first, 1), date(y, last, calendar.monthrange(y, last)[1])
        return date(y, 1, 1), date(y, 12, 31)

    def iso(self, as_range_end: bool | None = None) -> str:
        """ISO text; a quarter inside an interval becomes its first or last month."""
        if self.unit == "day":
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.unit == "month":
            return f"{self.year:04d}-{self.month:02d}"
        if self.unit == "quarter":
            if as_range_end is None:
                return f"{self.year:04d}-Q{self.quarter}"
            month = 3 * self.quarter if as_range_end else 3 * self.quarter - 2
            return f"{self.year:04d}-{month:02d}"
        return f"{self.year:04d}"


def _day(m: re.Match, year_group: int | None = None) -> _Point:
    """Groups: 1 day, 2 month (digits or a month word), `year_group` the year if any."""
    year = m.group(year_group) if year_group else None
    return _Point("day", int(year) if year else None, _number(m.group(2), _MONTH_WORDS), int(m.group(1)))


# Tried in order, each as a full match of the cleaned text.
_POINT_PATTERNS: list[tuple[re.Pattern, Callable[[re.Match], _Point]]] = [
    (re.compile(rf"{_DAY}{_SEP}(\d{{1,2}}){_SEP}(\d{{4}})"), lambda m: _day(m, 3)),
    (re.compile(rf"{_DAY}\s+tháng\s+{_M}(?:{_YEAR_TAIL})?"), lambda m: _day(m, 3)),
    (re.compile(rf"{_DAY}{_SEP}(\d{{1,2}})"), lambda m: _day(m)),
    (re.compile(rf"tháng\s+{_M}(?:{_YEAR_TAIL})?"),
     lambda m: _Point("month", _number(m.group(2)), _number(m.group(1), _MONTH_WORDS))),
    (re.compile(r"(\d{1,2})\s*[/-]\s*(\d{4})"), lambda m: _Point("month", int(m.group(2)), int(m.group(1)))),
    (re.compile(r"(?:năm\s+)?(\d{4})"), lambda m: _Point("year", int(m.group(1)))),
    (re.compile(rf"quý\s+{_Q}(?:{_YEAR_TAIL})?"),
     lambda m: _Point("quarter", _number(m.group(2)), quarter=_number(m.group(1)))),
    (re.compile(r"ngày\s+(?:(?:mùng|mồng)\s+)?(\d{1,2})"), lambda m: _Point("day", day=int(m.group(1)))),
    (re.compile(r"(\d{1,2})"), lambda m: _Point("number", day=int(m.group(1)))),
]


def _parse_point(s: str) -> _Point | None:
    for pattern, build in _POINT_PATTERNS:
        m = pattern.fullmatch(s)
        if m:
            return build(m)
    return None


def _valid(p: _Point) -> bool:
    try:
        p.bounds()
    except (ValueError, TypeError):
        return False
    return p.quarter is None or 1 <= p.quarter <= 4


# --------------------------------------------------------------------------- results


class _Unresolved(Exception):
    """Raised with the reason a value cannot be given and the kind the text has."""

    def __init__(self, reason: str, kind: str | None = None):
        super().__init__(reason)
        self.reason, self.kind = reason, kind


def _result(value: str | None, kind: str | None, anchored: bool = False,
            reason: str | None = None, qualifier: str | None = None) -> dict:
    return {"value": value, "kind": kind, "anchored": anchored, "reason": reason, "qualifier": qualifier}


NO_YEAR = "no year in the text and no anchor date"
INVALID = "not a valid calendar date"
UNRECOGNISED = "unrecognised date expression"


def _with_year(p: _Point, anchor: date | None, kind: str) -> tuple[_Point, bool]:
    """Fill a missing year from the anchor; (point, anchored)."""
    if p.year is not None:
        return p, False
    if anchor is None:
        raise _Unresolved(NO_YEAR, kind)
    return replace(p, year=anchor.year), True


_KIND = {"day": "date", "month": "month", "year": "year", "quarter": "quarter"}


def _single(s: str, anchor: date | None) -> dict | None:
    p = _parse_point(s)
    if p is None or p.unit == "number":
        return None
    kind = _KIND[p.unit]
    if p.unit == "day" and p.month is None:
        raise _Unresolved("a day without its month", kind)
    p, anchored = _with_year(p, anchor, kind)
    if not _valid(p):
        raise _Unresolved(INVALID, kind)
    return _result(p.iso(), kind, anchored)


# --------------------------------------------------------------------------- periods

_PERIOD_HALF = re.compile(rf"(?:{_N}\s+tháng|(nửa))\s+(đầu|cuối)\s+năm(?:\s+(\d{{4}}))?")
_PERIOD_CUMULATIVE = re.compile(rf"{_N}\s+tháng(?:\s+năm(?:\s+(\d{{4}}))?)?")
_QUALIFIED = re.compile(rf"({_alternation(_QUALIFIERS)})\s+(.+)")
# `cuối năm`, `năm nay`, `tháng tới`: a unit with no number, which only context could date.
_VAGUE = re.compile(rf"(?:(?:{_alternation(_QUALIFIERS)})\s+)?(?:năm|tháng|quý|tuần)"
                    r"(?:\s+(?:nay|này|sau|tới|trước|qua|ngoái))?")


def _months_interval(year: int | None, first: int, last: int, anchor: date | None) -> dict:
    if not 1 <= first <= last <= 12:
        raise _Unresolved(INVALID, "period")
    start, anchored = _with_year(_Point("month", year, first), anchor, "period")
    end = replace(start, month=last)
    return _result(f"{start.iso()}/{end.iso()}", "period", anchored)


def _period(s: str, anchor: date | None) -> dict | None:
    """`6 tháng đầu năm 2022`, `nửa cuối năm`, `9 tháng năm 2023`, `cuối năm 2023`, `đầu tháng 7`."""
    m = _PERIOD_HALF.fullmatch(s)
    if m:
        n = 6 if m.group(2) else _number(m.group(1))
        year = int(m.group(4)) if m.group(4) else None
        first, last = (1, n) if m.group(3) == "đầu" else (13 - n, 12)
        return _months_interval(year, first, last, anchor)
    m = _PERIOD_CUMULATIVE.fullmatch(s)
    if m:
        return _months_interval(int(m.group(2)) if m.group(2) else None, 1, _number(m.group(1)), anchor)
    m = _QUALIFIED.fullmatch(s)
    if m:
        try:
            inner = _single(m.group(2), anchor)
        except _Unresolved as why:
            raise _Unresolved(why.reason, "period") from None
        if inner is not None:
            return {**inner, "kind": "period", "qualifier": _QUALIFIERS[m.group(1)]}
    return None


# --------------------------------------------------------------------------- ranges

# `và` joins two points; only back-to-back ones (`ngày 5 và 6/8`) make one interval.
_RANGE_SEP = re.compile(r"\s*-\s*|\s+(?:cho\s+)?(?:đến|tới)(?:\s+hết)?\s+|(?P<and>\s+và\s+)")
_LIST_REASON = "a list of dates has no single ISO 8601 value"
_UNIT_WORD = re.compile(r"^(ngày|tháng|quý|năm)\s")


def _parse_right(left: str, right: str) -> _Point | None:
    """The end of a range; `quý I - III/2022` lends the left's unit word to the right."""
    p = _parse_point(right)
    if (p is None or p.unit == "number") and _UNIT_WORD.match(left):
        p = _parse_point(f"{_UNIT_WORD.match(left).group(1)} {right}")
    return None if p is None or p.unit == "number" else p


def _complete_left(left: _Point, right: _Point) -> _Point | None:
    """Give a bare or partial start the unit, month and year its end supplies."""
    if left.unit == "number":
        if right.unit == "day":
            left = _Point("day", day=left.day)
        elif right.unit == "month":
            left = _Point("month", month=left.day)
        else:
            return None
    if left.unit == "day" and left.month is None:
        left = replace(left, month=right.month)
    return left


def _order(left: _Point, right: _Point, left_given: bool, right_given: bool) -> tuple[_Point, _Point]:
    """A range runs forward: an end without its own year may fall in the next year."""
    if left.bounds()[0] <= right.bounds()[1]:
        return left, right
    if not right_given:
        return left, replace(right, year=right.year + 1)
    if not left_given:
        return replace(left, year=left.year - 1), right
    raise _Unresolved("range ends before it starts", "range")


def _fill_years(left: _Point, right: _Point, anchor: date | None) -> tuple[_Point, _Point, bool]:
    left_given, right_given = left.year is not None, right.year is not None
    anchored = False
    if not (left_given or right_given):
        left, anchored = _with_year(left, anchor, "range")
    if left.year is None:
        left = replace(left, year=right.year)
    if right.year is None:
        right = replace(right, year=left.year)
    if right.unit == "day" and right.month is None:
        right = replace(right, month=left.month)
    if not (_valid(left) and _valid(right)):
        raise _Unresolved(INVALID, "range")
    left, right = _order(left, right, left_given, right_given)
    return left, right, anchored


def _range(s: str, anchor: date | None) -> dict | None:
    """`2017-2020`, `3 đến 15/9`, `từ 2/3 đến 9/3`, `quý I - III/2022`, `tháng 3 đến tháng 5/2024`,
    `ngày 5 và 6/8` (consecutive, so exactly an interval)."""
    for m in _RANGE_SEP.finditer(s):
        left_text, right_text = s[:m.start()].strip(), s[m.end():].strip()
        if not left_text or not right_text:
            continue
        left, right = _parse_point(left_text), _parse_right(left_text, right_text)
        if left is None or right is None:
            continue
        left = _complete_left(left, right)
        if left is None:
            continue
        left, right, anchored = _fill_years(left, right, anchor)
        if m.group("and") and (right.bounds()[0] - left.bounds()[1]).days != 1:
            raise _Unresolved(_LIST_REASON)
        return _result(f"{left.iso(False)}/{right.iso(True)}", "range", anchored)
    return None


# --------------------------------------------------------------------------- entry points

_TWO_DIGIT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}")
_LIST = re.compile(r"\s(?:và)\s|,")


def _clean(text: str) -> str:
    s = re.sub(r"\s+", " ", fold(text).text).strip(" .,;:()")
    s = _WEEKDAY.sub("", s)
    return _FILLER.sub("", s).strip()


def parse_date(text: str, anchor: date | None = None) -> dict:
    """Normalise one DATE text: `{value, kind, anchored, reason, qualifier}`.

    kind is date|month|year|quarter|period|range (None when unrecognised); `qualifier`
    marks start/middle/end-of-period wording (`cuối năm 2023` -> value `2023`, `end`).
    """
    s = _clean(text)
    if "âm lịch" in s or s.startswith("rằm"):
        return _result(None, None, reason="lunar calendar date (not converted)")
    if _TWO_DIGIT_YEAR.fullmatch(s):
        return _result(None, "date", reason="two-digit year is ambiguous")
    try:
        for parser in (_single, _period, _range):
            out = parser(s, anchor)
            if out is not None:
                return out
    except _Unresolved as why:
        return _result(None, why.kind, reason=why.reason)
    if _VAGUE.fullmatch(s):
        return _result(None, None, reason="no calendar number: a vague reference")
    if _LIST.search(s):
        return _result(None, None, reason=_LIST_REASON)
    return _result(None, None, reason=UNRECOGNISED)


def normalise_dates(text: str, entities: Iterable[dict], anchor: date | None = None) -> list[dict]:
    """One record per DATE entity: its span and `parse_date`'s fields."""
    out = []
    for e in entities:
        if e["label"] == "DATE":
            out.append({**span_view(e), **parse_date(e["text"], anchor)})
    return out


# --------------------------------------------------------------------------- the anchor

_HEAD_CHARS = 1200
_HEAD_LINES = 12
_I = re.IGNORECASE
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?![\d/])")
_WORDED = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", _I)
_CLOCK = re.compile(r"\d{1,2}\s*(?::|h)\s*\d{2}", _I)
_STAMP_WORDS = re.compile(r"cập nhật|đăng lúc|ngày đăng|đăng ngày|xuất bản|published|updated", _I)


def _is_dateline(before: str) -> bool:
    """`Hà Nội, ` / `TP.HCM, `: a few capitalised words and a comma, alone before the date."""
    head = before.rstrip()
    if not head.endswith(","):
        return False
    words = head[:-1].split()
    return 1 <= len(words) <= 5 and all(w[0].isupper() for w in words)


def _anchor_score(line: str, m: re.Match) -> int:
    """How surely a date on a header line is the article's own: 0 = not at all."""
    before, after = line[:m.start()], line[m.end():]
    if _CLOCK.search(before[-14:]) or _CLOCK.match(after.lstrip(" ,-|")):
        return 3
    if _STAMP_WORDS.search(before) or _WEEKDAY.match(line.lstrip()):
        return 3
    if before.rstrip().endswith("|") or not (before.strip() or after.strip(" .")):
        return 2  # `Bài viết: Thu Hằng | 16/12/2019`, a date on a line of its own
    if _is_dateline(before.split("  ")[-1].split("\t")[-1]):
        return 2
    return 0


def find_anchor_date(text: str) -> date | None:
    """The article's own date from its header: a timestamp (`06/07/2022 16:48`, `Cập nhật
    lúc 08:35 ngày 12/03/2024`), a weekday line or a dateline (`Hà Nội, ngày 5 tháng 3 năm
    2024`). Dates merely mentioned in the header do not count: better no anchor than a wrong one.
    """
    best: tuple[int, date] | None = None
    for line in fold(text[:_HEAD_CHARS], lower=False).text.split("\n")[:_HEAD_LINES]:
        for pattern in (_NUMERIC, _WORDED):
            for m in pattern.finditer(line):
                score = _anchor_score(line, m)
                try:
                    found = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
                except ValueError:
                    continue
                if score and (best is None or score > best[0]):
                    best = (score, found)
    return best[1] if best else None
