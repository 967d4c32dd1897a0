"""DOC entity -> kind, number, year, symbol, codes and a canonical identifier; plus the
DATE and issuing ORG written right after it (`Kế hoạch số 41-KH/TU ngày 9/3/2021 của Tỉnh
ủy`), so a report can say which document, from whom and when.

Symbols come in two official shapes: party `18-NQ/TW` (number-TYPE/ISSUER) and state
`30/2020/NĐ-CP`, `1234/QĐ-UBND` (number[/year]/TYPE-ISSUER); both are rewritten without
the stray spaces and dashes of real text (`2041 –QĐ/TU` -> `2041-QĐ/TU`).
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from typing import Iterable

from model.structure.dates import fold, gap_text, masked_gap, span_view

# Canonical spellings; longest first so `Bộ luật` wins over `Luật`.
KINDS: tuple[str, ...] = tuple(sorted((
    "Nghị quyết", "Nghị quyết liên tịch", "Quyết định", "Chỉ thị", "Kết luận", "Đề án", "Quy định",
    "Kế hoạch", "Thông tư", "Thông tư liên tịch", "Nghị định", "Luật", "Bộ luật", "Hiến pháp",
    "Điều lệ", "Hướng dẫn", "Công văn", "Thông báo", "Tờ trình", "Báo cáo", "Chương trình",
    "Pháp lệnh", "Sắc lệnh", "Công điện", "Quy chế", "Chiến lược", "Văn bản", "Quy hoạch",
    "Bản án", "Thông tri", "Lệnh", "Hiến chương", "Công ước", "Hiệp định", "Hiệp ước", "Nghị định thư",
    "Đạo luật", "Nội quy", "Thông cáo", "Biên bản", "Trích lục", "Trích lục bản đồ địa chính",
    "Giấy chứng nhận", "Giấy phép", "Hợp đồng", "Bộ quy tắc", "Tuyên bố", "Cáo trạng", "Quyết nghị",
), key=len, reverse=True))

# Type codes of the symbol. `QĐ` is left out: in party symbols it is both Quyết định and
# Quy định, so only the state shape (`/QĐ-`) names the kind (see `_kind_from_code`).
KIND_BY_CODE: dict[str, str] = {
    "NQ": "Nghị quyết", "NQLT": "Nghị quyết liên tịch", "NĐ": "Nghị định", "TT": "Thông tư",
    "TTLT": "Thông tư liên tịch", "CT": "Chỉ thị", "KL": "Kết luận", "ĐA": "Đề án",
    "KH": "Kế hoạch", "HD": "Hướng dẫn", "TB": "Thông báo", "TTr": "Tờ trình", "BC": "Báo cáo",
    "CTr": "Chương trình", "QC": "Quy chế", "CĐ": "Công điện", "PL": "Pháp lệnh", "QyĐ": "Quy định",
}
_TYPE_CODES = set(KIND_BY_CODE) | {"QĐ"}

# Code letters: ASCII and the Vietnamese letters of codes such as `BCĐTƯATTP`, `BGDĐT`, `TTg`.
_VN_LETTERS = "".join(ch for ch in map(chr, range(0xC0, 0x1F00)) if ch.isalpha())
_VN_UPPER = "".join(ch for ch in _VN_LETTERS if ch.isupper())
_CODE_PART = rf"[A-Z{_VN_UPPER}][A-Za-z{_VN_LETTERS}0-9]*"
_SYMBOL = re.compile(
    rf"(?P<number>\d+[a-z]?)(?:\s*(?P<ysep>/|-(?=\s*(?:19|20)\d\d\s*/))\s*(?P<year>(?:19|20)\d\d))?"
    rf"\s*(?P<sep>[-/])\s*(?P<code>{_CODE_PART}(?:\s*[-/]\s*{_CODE_PART})*)")
# Older and looser styles: `700 QĐ/TTG` (a space where the dash goes; the code must hold a
# slash so that `số 700 người` is not a symbol), `51/1999` (number/year, no code).
_SPACED_SYMBOL = re.compile(rf"(?P<number>\d+[a-z]?)\s+(?P<code>{_CODE_PART}\s*/\s*{_CODE_PART}(?:\s*[-/]\s*{_CODE_PART})*)")
_NUMBER_YEAR = re.compile(r"^(\d+)\s*/\s*((?:19|20)\d\d)$")
_YEAR_AFTER_SYMBOL = re.compile(r"\s*,?\s*(?:năm\s+)?((?:19|20)\d\d)\s*$", re.IGNORECASE)
# Kind words abbreviated at the start of a DOC, before a number: `QĐ số 88`, `CV 215/UBND`.
ABBREVIATED_KINDS = {"QĐ": "Quyết định", "CV": "Công văn", "NĐ": "Nghị định", "NQ": "Nghị quyết",
                     "TT": "Thông tư", "CT": "Chỉ thị", "KH": "Kế hoạch", "TB": "Thông báo"}
_ABBREVIATED_KIND = re.compile(rf"({'|'.join(ABBREVIATED_KINDS)})(?=\s+(?:số\s*)?\d)")
_KIND_RE = re.compile(f"(?:{'|'.join(re.escape(k) for k in KINDS)})(?!\\w)", re.IGNORECASE)
_NUMBER_PREFIX = re.compile(r"\s*(?:số\s*:?\s*)?", re.IGNORECASE)
# Kinds known by name, where a bare four-digit number is the year (`Hiến pháp 2013`).
_NAMED_KINDS = {"Luật", "Bộ luật", "Hiến pháp", "Điều lệ", "Pháp lệnh"}
_LEADING_NUMBER = re.compile(r"^(\d+)(?:\s+năm\s+((?:19|20)\d\d))?(?!\S)", re.IGNORECASE)
_TRAILING_YEAR = re.compile(r"\s*(?:năm\s+)?((?:19|20)\d\d)$", re.IGNORECASE)


def _canonical_code(code: str) -> str:
    return re.sub(r"\s+", "", code)


def _split_code(code: str) -> tuple[str | None, str | None]:
    """`ĐA/TU` -> (`ĐA`, `TU`); `QĐ-TTg` -> (`QĐ`, `TTg`); `QH13`, `UBND-VX` -> (None, code)."""
    head = re.split(r"[-/]", code, maxsplit=1)[0]
    if head in _TYPE_CODES:
        return head, code[len(head) + 1:] or None
    return None, code


def _kind_from_code(type_code: str | None, sep: str) -> str | None:
    if type_code == "QĐ":
        return "Quyết định" if sep == "/" else None
    return KIND_BY_CODE.get(type_code)


def _parse_symbol(doc: str, rest_at: int) -> dict | None:
    """The number/symbol inside a DOC's text (folded, case kept), or None.

    A year written after the symbol (`1537/QĐ-UBND 2025`, `2590/QĐ-BGDĐT năm 2025`) is the
    document's year when the symbol has none of its own.
    """
    m = _SYMBOL.search(doc, rest_at)
    spaced = False
    if not m:
        m = _SPACED_SYMBOL.search(doc, rest_at)
        spaced = m is not None
        if not m:
            return None
    code = _canonical_code(m.group("code"))
    type_code, issuer = _split_code(code)
    year = None if spaced else m.group("year")
    sep = "-" if spaced else m.group("sep")  # `700 QĐ/TTG` is the party shape number-TYPE/ISSUER
    ysep = (m.groupdict().get("ysep") or "/") if year else ""
    identifier = f"{m.group('number')}{ysep + year if year else ''}{sep}{code}"
    after = _YEAR_AFTER_SYMBOL.fullmatch(doc[m.end():])
    if after and year is None:
        year = after.group(1)
    return {"number": m.group("number"), "year": year, "symbol_span": m.span(), "code": code, "spaced": spaced,
            "type_code": type_code, "issuer_code": issuer, "identifier": identifier,
            "code_kind": None if spaced and type_code == "QĐ" else _kind_from_code(type_code, sep)}


def _named(kind: str | None, rest: str) -> dict:
    """Number, year and name of a DOC without a symbol (`Đề án 03`, `Luật Đất đai 2024`,
    `Nghị định 51/1999`)."""
    ny = _NUMBER_YEAR.match(rest)
    if ny:
        return {"number": ny.group(1), "year": ny.group(2), "name": None,
                "identifier": f"{kind or ''} {ny.group(1)}/{ny.group(2)}".strip()}
    m = _LEADING_NUMBER.match(rest)
    if m and not (kind in _NAMED_KINDS and _TRAILING_YEAR.fullmatch(m.group(0))):
        number, year = m.group(1), m.group(2)
        tail = f"/{year}" if year else ""
        return {"number": number, "year": year, "name": None,
                "identifier": f"{kind or ''} {number}{tail}".strip()}
    y = _TRAILING_YEAR.search(rest)
    year = y.group(1) if y else None
    name = rest[: y.start()] if year else rest
    parts = [p for p in (kind, name.strip(), year) if p]
    return {"number": None, "year": year, "name": name.strip() or None, "identifier": " ".join(parts)}


def parse_document(text: str) -> dict:
    """Fields of one DOC text: kind, number, year, symbol (as written), code, type_code,
    issuer_code, identifier (canonical), name (for documents known by name)."""
    nt = fold(text, lower=False)
    doc = re.sub(r"\s", " ", nt.text)
    km = _KIND_RE.match(doc)
    kind = next(k for k in KINDS if k.lower() == km.group(0).lower()) if km else None
    if km is None and (km := _ABBREVIATED_KIND.match(doc)):  # `QĐ số 88 QĐ/UB`, `CV 215/UBND`
        kind = ABBREVIATED_KINDS[km.group(1)]
    rest_at = _NUMBER_PREFIX.match(doc, km.end() if km else 0).end()
    out = {"kind": kind, "number": None, "year": None, "symbol": None, "code": None,
           "type_code": None, "issuer_code": None, "identifier": None, "name": None}
    sym = _parse_symbol(doc, rest_at)
    if sym:
        s, e = nt.to_raw(*sym.pop("symbol_span"))
        code_kind = sym.pop("code_kind")
        # a symbol missing its dash (`700 QĐ/TTG`) is given in its canonical form, as the gold does
        symbol = sym["identifier"] if sym.pop("spaced") else text[s:e]
        out.update(sym, symbol=symbol, kind=kind or code_kind)
        return out
    # the name as written (`khoá XII` stays `khoá`), only the spacing made single
    raw_rest = unicodedata.normalize("NFC", text[nt.to_raw(rest_at, len(doc))[0]:] if rest_at < len(doc) else "")
    out.update(_named(kind, re.sub(r"\s+", " ", raw_rest).strip()))
    return out


# --------------------------------------------------------------------------- context

# Gaps are folded and space-collapsed (`gap_text`). Between a DOC and its DATE: commas, a
# note in brackets, the term (`khóa XII`), `ban hành`/`ký`/`thông qua`/`vào`; before the issuer:
# `của`/`do`.
_FILLERS = (r"(?:,|\([^()]{0,80}\)|khóa [ivxlc\d]+|được|ban hành|ký|thông qua|vào|mới|đã|vừa|hồi"
            r"|\s)*")
_DATE_GAP = re.compile(_FILLERS)
_NOT_ISSUING_DATE = re.compile(r"\s*(?:từ|đến|kể từ|trước|sau)\s", re.IGNORECASE)  # `từ ngày 1/7/2014`: in force from
_ISSUER_GAP = re.compile(rf"{_FILLERS}(?:của|do)(?: đồng chí)?")
_COORDINATION = re.compile(r",|;|và|, và")


def _follow(text: str, doc: dict, later: list[dict], dates: dict) -> tuple[dict | None, dict | None]:
    """The DATE and the issuer (ORG or ROLE) written right after a DOC, in either order;
    `shared` marks one taken from a coordinated document (see `_share_context`)."""
    date = issuer = None
    cursor = doc["end"]
    for e in later:
        gap = gap_text(text, cursor, e["start"])
        if gap is None:
            break
        if e["label"] == "DATE" and date is None and _DATE_GAP.fullmatch(gap) and not _NOT_ISSUING_DATE.match(e["text"]):
            date = {**span_view(e), "value": dates.get((e["start"], e["end"]), {}).get("value"), "shared": False}
        elif e["label"] in ("ORG", "ROLE") and issuer is None and _ISSUER_GAP.fullmatch(gap):
            issuer = {**span_view(e), "label": e["label"], "shared": False}
        else:
            break
        cursor = e["end"]
    return date, issuer


def _share_context(docs: list[dict], text: str) -> None:
    """`Nghị quyết số 18-NQ/TW và số 19-NQ/TW ngày 25/10/2017 của ...`: the date and issuer
    after the last of a run of same-kind documents belong to each of them."""
    for left, right in zip(reversed(docs[:-1]), reversed(docs[1:])):
        gap = gap_text(text, left["end"], right["start"])
        if left["kind"] != right["kind"] or gap is None or not _COORDINATION.fullmatch(gap):
            continue
        for key in ("date", "issuer"):
            if left[key] is None and right[key] is not None:
                left[key] = {**right[key], "shared": True}


def _number_key(number: str | None) -> str | None:
    return number.lstrip("0") or "0" if number else None


def _resolve_short_references(docs: list[dict]) -> None:
    """`Đề án 03` -> the `03-ĐA/TU` cited earlier in the same text (same kind and number)."""
    full: dict[tuple, str] = {}
    for d in docs:
        key = (d["kind"], _number_key(d["number"]))
        if d["symbol"]:
            full.setdefault(key, d["identifier"])
            d["refers_to"] = None
        else:
            d["refers_to"] = full.get(key) if d["number"] else None


# The issuing date written before the document: `Ngày 12/9/2025, Bộ Nội vụ ban hành Quyết
# định ...`, `Trước đó, ngày 4/11, Ban Bí thư ký Quyết định ...`, `Tháng 8/2006, UBND tỉnh ra ...`.
_CLAUSE_OPENING = re.compile(r"(?:[^;]{0,40}?\s-(?:\s+|$))?(?:(?:trước đó|sau đó|cùng ngày|tiếp đó|đến|vào)\s*,?\s*)?"
                             r"(?:(?:<o>|<r>|<r>\s*<p>)\s*)?"
                             r"(?:(?:sáng|chiều|tối|trưa|đêm|hôm)(?:\s+|$))?(?:ngày|vào ngày|hôm)?\s*")
_ISSUED_AFTER_DATE = re.compile(
    r"\s*(?:\([^()]{0,40}\)\s*)?(?:,\s*(?:(?:<o>|<r>|<p>|[^\W\d_]+)(?:\s*,?\s*(?:<o>|<r>|<p>|[^\W\d_]+)){0,6}\s*,?\s*)?)?"
    r"(?:(?:đã|vừa|cũng|chính thức|nhất trí)\s+)*(?:ký ban hành|ban hành|ký|ra|có|thông qua)\s*")
_NOT_ISSUING_WORDS = {"kèm", "của", "theo", "căn", "thực", "về", "đạt", "trong"}
# A document header: `Số: 1486-QĐ/TU` on its own line, the dateline `Gia Lai, ngày 12 tháng 9
# năm 2023` and the kind in capitals (`QUYẾT ĐỊNH`) on the lines around it.
_HEADER_NUMBER = re.compile(r"\s*số\s*:?\s*$", re.IGNORECASE)
_DATELINE_BEFORE = re.compile(r"\s*(?:[^\W\d_]+\s*){1,4},\s*$")
_HEADER_LINES = 4


def _date_before(text: str, doc: dict, entities: list[dict], starts: list[int], dates: dict) -> dict | None:
    """The DATE opening the clause that issues this DOC, if any."""
    line_start = text.rfind("\n", 0, doc["start"]) + 1
    clause_start = max([line_start] + [text.rfind(m, line_start, doc["start"]) + 1 for m in (". ", ";")])
    for e in entities[bisect_left(starts, clause_start):]:
        if e["start"] >= doc["start"]:
            return None
        if e["label"] != "DATE":
            continue
        opening = masked_gap(text, clause_start, e["start"], entities, starts)
        if opening is None or not _CLAUSE_OPENING.fullmatch(opening[0]):
            continue  # `New York, 20/7 (TTXVN) - Hội đồng ... ngày 20/7 ...`: a later date may open it
        found = masked_gap(text, e["end"], doc["start"], entities, starts)
        if found is None or not _ISSUED_AFTER_DATE.fullmatch(found[0]) \
                or set(found[0].split()) & _NOT_ISSUING_WORDS:
            continue
        return {**span_view(e), "value": dates.get((e["start"], e["end"]), {}).get("value"), "shared": False}
    return None


def _lines_around(text: str, pos: int, n: int) -> list[tuple[int, int]]:
    """(start, end) of the line holding pos and the n lines after it."""
    start = text.rfind("\n", 0, pos) + 1
    out = []
    for _ in range(n + 1):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        out.append((start, end))
        if end >= len(text):
            break
        start = end + 1
    return out


def _header(text: str, doc: dict, entities: list[dict], dates: dict) -> tuple[dict | None, str | None]:
    """For a DOC that is a header's `Số ...` line: the dateline's DATE and the kind in capitals."""
    line_start = text.rfind("\n", 0, doc["start"]) + 1
    line_end = text.find("\n", doc["end"])
    if not _HEADER_NUMBER.fullmatch(text[line_start:doc["start"]]) or \
            text[doc["end"]:line_end if line_end >= 0 else len(text)].strip():
        return None, None
    date = kind = None
    for start, end in _lines_around(text, doc["start"], _HEADER_LINES)[1:]:
        line = text[start:end]
        if kind is None and line.strip() and line.strip().isupper():
            kind = next((k for k in KINDS if fold(k).text == fold(line.strip()).text), None)
        for e in entities:
            if date is None and e["label"] == "DATE" and start <= e["start"] and e["end"] <= end \
                    and _DATELINE_BEFORE.fullmatch(text[start:e["start"]]) and not text[e["end"]:end].strip():
                date = {**span_view(e), "value": dates.get((e["start"], e["end"]), {}).get("value"), "shared": False}
    return date, kind


def link_documents(text: str, entities: list[dict], dates: Iterable[dict] = ()) -> list[dict]:
    """One record per DOC entity (sorted entities in): span, `parse_document` fields,
    `date` and `issuer` from the text after it (the date also from before it: `Ngày 12/9,
    Bộ ... ban hành Quyết định ...`, or a header's dateline), and `refers_to` for short
    back-references."""
    by_span = {(d["start"], d["end"]): d for d in dates}
    starts = [e["start"] for e in entities]
    docs = []
    for i, e in enumerate(entities):
        if e["label"] != "DOC":
            continue
        date, issuer = _follow(text, e, entities[i + 1:], by_span)
        parsed = parse_document(e["text"])
        if date is None:
            date = _date_before(text, e, entities, starts, by_span)
        header_date, header_kind = _header(text, e, entities, by_span)
        date = date or header_date
        if parsed["kind"] is None and header_kind:
            parsed["kind"] = header_kind
        docs.append({**span_view(e), **parsed, "date": date, "issuer": issuer})
    _inherit_kind(docs, text)
    _share_context(docs, text)
    _resolve_short_references(docs)
    return docs


def _inherit_kind(docs: list[dict], text: str) -> None:
    """`Nghị định 15/2020 và số 123/2021`: a DOC written without its kind word, coordinated
    with the one before it, is of that one's kind."""
    for left, right in zip(docs, docs[1:]):
        gap = gap_text(text, left["end"], right["start"])
        if right["kind"] is None and left["kind"] and gap is not None and _COORDINATION.fullmatch(gap):
            right["kind"] = left["kind"]
            if right["symbol"] is None and right["number"]:
                right["identifier"] = f"{left['kind']} {right['identifier']}"
