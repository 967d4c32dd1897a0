"""One ROLE's own text: its title and body (`Phó Bí thư thường trực` / `Thành ủy Móng Cái`),
and the `nguyên` (former) or `quyền` (acting) written just before it."""
from __future__ import annotations

import re

from model.structure.dates import fold

# Heads that open the body of a role. Single words and acronyms count only when
# capitalised (`Ban`, `Bộ`, `UBND`), since lower-case `ban`, `bộ` are common words.
_HEADS_ANY_CASE = (
    "thành ủy", "tỉnh ủy", "huyện ủy", "thị ủy", "quận ủy", "đảng ủy", "đảng bộ", "chi bộ",
    "ban chấp hành", "ban thường vụ", "ban bí thư", "bộ chính trị", "ủy ban", "mặt trận",
    "quốc hội", "chính phủ", "trung ương", "công an", "tòa án", "viện kiểm sát", "bộ chỉ huy",
    "bộ tư lệnh", "quân khu", "văn phòng", "tỉnh đoàn", "thành đoàn", "huyện đoàn",
    "hội đồng", "liên đoàn", "thanh tra", "kiểm toán", "kho bạc", "ngân hàng", "tổng công ty",
    "công ty", "tập đoàn", "bệnh viện", "trung tâm", "học viện", "đại học", "chi cục",
    "tổng cục", "hợp tác xã", "nhà xuất bản",
)
_HEADS_CAPITALISED = (
    "btv", "bch", "ubnd", "hđnd", "ubmttq", "ub mttq", "ub", "mttq", "ubkt", "tand", "vksnd",
    "đbqh", "lđlđ", "bộ", "ban", "sở", "vụ", "cục", "viện", "hội", "đoàn", "báo", "đài", "khối",
    "trường", "phòng", "khoa", "tổ", "đội", "thôn", "xóm", "ấp", "bản", "khu phố", "tổ dân phố",
)
# Units a title can name (`Trưởng Ban`, `Chánh Văn phòng`, `Trưởng phòng`): the head is
# then both the end of the title and the start of the body.
_UNIT_HEADS = {"ban", "phòng", "văn phòng", "đoàn", "khoa", "tổ", "đội", "thanh tra",
               "thôn", "xóm", "ấp", "bản", "khu phố", "tổ dân phố"}
_UNIT_TITLE_WORDS = {"trưởng", "phó", "chánh"}
# A head followed by these is a title word, not a body: `Bộ trưởng`, `Tỉnh ủy viên`,
# `Viện phó`, and `Tổ chức` is a word of its own.
_NOT_HEAD_BEFORE = {"trưởng", "viên", "phó", "chức"}
_HEAD_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, _HEADS_ANY_CASE + _HEADS_CAPITALISED), key=len, reverse=True))
    + r")(?!\w)")
_TITLE_MODIFIERS = re.compile(r"(?:\s+(?:thường trực|chuyên trách|phụ trách|kiêm nhiệm))+")
# Bodies one level below an organisation: these take the ORG written after a comma.
SUBUNIT_HEADS = {"phòng", "ban", "văn phòng", "khoa", "tổ", "đội", "chi bộ", "chi cục", "trung tâm"}


def _word_before(low: str, pos: int) -> str:
    words = low[:pos].split()
    return words[-1] if words else ""


def _word_after(low: str, pos: int) -> str:
    words = low[pos:].split()
    return words[0] if words else ""


def _heads(text: str) -> dict[int, tuple[int, str, bool]]:
    """Body heads in a role text: folded start -> (folded end, head, is unit title)."""
    nt = fold(text)
    low = nt.text
    found = {}
    for m in _HEAD_RE.finditer(low):
        head, start = m.group(0), m.start()
        if start == 0 or _word_after(low, m.end()) in _NOT_HEAD_BEFORE:
            continue
        unit = head in _UNIT_HEADS and _word_before(low, start) in _UNIT_TITLE_WORDS
        capital = head in _HEADS_ANY_CASE or text[nt.starts[start]].isupper()
        if unit or capital:
            found[start] = (m.end(), head, unit)
    return found


def parse_role(text: str) -> dict:
    """`Phó Bí thư thường trực Thành ủy Móng Cái` -> title `Phó Bí thư thường trực`, body
    `Thành ủy Móng Cái`; `Trưởng Ban Dân vận` -> `Trưởng Ban`, `Ban Dân vận`. body_span is
    relative to `text`; a role with no body (`Tổng Bí thư`, `Tỉnh ủy viên`) has None."""
    nt = fold(text)
    heads = _heads(text)
    if not heads:
        return {"title": text.strip(), "body": None, "body_span": None, "body_head": None}
    first = min(heads)
    end, head, unit = heads[first]
    title_end, body_start = first, first
    if unit:
        # `Trưởng Ban Dân vận`: the unit opens the body; `Phó Trưởng Ban Thường trực Ban
        # Dân vận`: a modifier closes the title and the next head opens the body.
        mods = _TITLE_MODIFIERS.match(nt.text, end)
        after = mods.end() if mods else end
        nxt = after + len(nt.text[after:]) - len(nt.text[after:].lstrip())
        if mods and nxt in heads:
            title_end, body_start, head = after, nxt, heads[nxt][1]
        elif nxt >= len(nt.text.rstrip()):
            return {"title": text.strip(), "body": None, "body_span": None, "body_head": None}
        else:
            title_end = end
    raw_title_end = nt.to_raw(0, title_end)[1]
    raw_body = nt.starts[body_start]
    body = text[raw_body:].rstrip()
    return {"title": text[:raw_title_end].strip(" ,"), "body": body,
            "body_span": [raw_body, raw_body + len(body)], "body_head": head}


_FORMER = re.compile(r"(?<!\w)(nguyên|quyền|(?:từng|trước đó)(?:\s+(?:là|làm|giữ chức(?:\s+vụ)?))?)\s*$")


def modifier_before(text: str, start: int) -> str | None:
    """`nguyên` (former; also `từng là`, `trước đó là`) or `quyền` (acting) just before a role."""
    m = _FORMER.search(fold(text[max(0, start - 30):start]).text)
    if not m:
        return None
    return m.group(1) if m.group(1) in ("nguyên", "quyền") else "nguyên"
