"""Who holds which post: PERSON↔ROLE links read off the patterns news text uses, each
ROLE split into its title and body, and the ORG the post belongs to.

Patterns (entities in text order; `,`/`kiêm` chain several roles):
  person_comma_role      `đồng chí X, ROLE1, ROLE2`, lists `X, ROLE; Y, ROLE`
  person_dash_role       `X – ROLE`         person_paren_role  `X (ROLE)`
  person_is_role         `ông X là ROLE`, `X trước đó là ROLE` (role marked `nguyên`)
  person_appointed_role  `X được bầu làm ROLE`, `X tái đắc cử ROLE`, `X giữ chức ROLE`
  role_person            `ROLE X`, `ROLE Đại tướng X`
  role_honorific_person  `ROLE, đồng chí X`
  chained_roles_person   `ROLE1, ROLE2 X` (ROLE1 reaches X through the chain)
A role that directly precedes a name goes to that name; otherwise it goes back to the
name its comma chain hangs from, otherwise forward along the chain. Gaps with a line break
never link. Short back-references (`ông Cẩn`) are resolved to the one earlier full name
that ends with them (`Trịnh Văn Cẩn`); two candidates leave the name as written.
"""
from __future__ import annotations

import re

from model.structure.dates import fold, gap_text, span_view

# ----------------------------------------------------------------------------- role parsing

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
_SUBUNIT_HEADS = {"phòng", "ban", "văn phòng", "khoa", "tổ", "đội", "chi bộ", "chi cục", "trung tâm"}


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


# ----------------------------------------------------------------------------- names


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


# ----------------------------------------------------------------------------- gaps

_HONORIFIC = (r"(?:đồng chí|đ/c|ông|bà|anh|chị|đại tướng|thượng tướng|trung tướng|thiếu tướng"
              r"|đại tá|thượng tá|trung tá|thiếu tá|pgs\.?\s*ts\.?|gs\.?\s*ts\.?|gs\.?|pgs\.?|ts\.?"
              r"|ths\.?|bs\.?|ls\.?|luật sư|nhà báo)")
# `X được bầu làm ROLE`, `X tái đắc cử ROLE`, `X giữ chức ROLE` (not `lần lượt`:
# respectively-lists pair names and roles in an order this layer does not follow).
_APPOINTED = (r",?\s*(?:đã\s+|vừa\s+|tiếp tục\s+|sẽ\s+)?(?:được\s+)?"
              r"(?:(?:tái\s+)?(?:bầu|bổ nhiệm|chỉ định|phân công|điều động|luân chuyển|giới thiệu|đắc cử"
              r"|trúng cử|cử|đảm nhận|đảm nhiệm)(?:\s+(?:lại|giữ|làm|giữ chức|giữ chức vụ|vào chức vụ|là))*"
              r"|(?:hiện\s+|từng\s+|trước đó\s+)?giữ chức(?:\s+vụ)?)")
_MODIFIER = re.compile(r"(?:^|(?<=\s)|(?<=[,(\-]))(nguyên|quyền)$")
_PREDICATE = [  # PERSON (or a role of theirs) -> ROLE, through a verb
    (re.compile(r",?\s*(?:hiện\s+|trước đó\s+|từng\s+)?(?:là|làm)"), "person_is_role", 0.8),
    (re.compile(_APPOINTED), "person_appointed_role", 0.75),
]
_APPOSITION = [  # PERSON -> ROLE
    (re.compile(r","), "person_comma_role", 0.9),
    (re.compile(r"-|:"), "person_dash_role", 0.85),
    (re.compile(r"\("), "person_paren_role", 0.85),
    *_PREDICATE,
]
_ROLE_TO_PERSON = [  # ROLE -> PERSON
    (re.compile(r""), "role_person", 0.9),
    (re.compile(rf"(?:{_HONORIFIC}\s*)+"), "role_person", 0.85),
    (re.compile(rf",\s*(?:{_HONORIFIC}\s*)+"), "role_honorific_person", 0.75),
]
_CHAIN = re.compile(r",|-|,?\s*kiêm(?:\s+nhiệm)?|,?\s*đồng thời(?:\s+là)?|\)?\s*,")
_ORG_ALWAYS = re.compile(r"")
_ORG_AFTER_COMMA = re.compile(r",|,?\s*(?:của|thuộc)")
_STEP_PENALTY = 0.03


def _without_modifier(gap: str) -> str:
    """`, nguyên` -> `,`: `nguyên`/`quyền` stay outside ROLE but do not break a link."""
    return _MODIFIER.sub("", gap).strip()


def _match(table: list, gap: str | None) -> tuple[str, float] | None:
    if gap is None:
        return None
    gap = _without_modifier(gap)
    for pattern, name, confidence in table:
        if pattern.fullmatch(gap):
            return name, confidence
    return None


def _fits(pattern: re.Pattern, gap: str | None) -> bool:
    return gap is not None and bool(pattern.fullmatch(_without_modifier(gap)))


_FORMER = re.compile(r"(?<!\w)(nguyên|quyền|(?:từng|trước đó)(?:\s+(?:là|làm|giữ chức(?:\s+vụ)?))?)\s*$")


def modifier_before(text: str, start: int) -> str | None:
    """`nguyên` (former; also `từng là`, `trước đó là`) or `quyền` (acting) just before a role."""
    m = _FORMER.search(fold(text[max(0, start - 30):start]).text)
    if not m:
        return None
    return m.group(1) if m.group(1) in ("nguyên", "quyền") else "nguyên"


# ----------------------------------------------------------------------------- linking


class _Linker:
    """Walks one text's PERSON/ROLE/ORG entities (sorted) and links each ROLE to a person."""

    def __init__(self, text: str, entities: list[dict]):
        self.text = text
        self.ents = [e for e in entities if e["label"] in ("PERSON", "ROLE", "ORG")]
        self.roles = {i: parse_role(e["text"]) for i, e in enumerate(self.ents) if e["label"] == "ROLE"}
        self.org_of = {i: self._attached_org(i) for i in self.roles}

    def gap(self, i: int, j: int) -> str | None:
        return gap_text(self.text, self.ents[i]["end"], self.ents[j]["start"])

    def label(self, i: int) -> str | None:
        return self.ents[i]["label"] if 0 <= i < len(self.ents) else None

    def _attached_org(self, i: int) -> int | None:
        """The ORG right after a role that belongs to it (`Giám đốc` `Sở Y tế`)."""
        if self.label(i + 1) != "ORG":
            return None
        gap = self.gap(i, i + 1)
        if _fits(_ORG_ALWAYS, gap):
            return i + 1
        head = self.roles[i]["body_head"]
        if (head is None or head in _SUBUNIT_HEADS) and _fits(_ORG_AFTER_COMMA, gap):
            return i + 1
        return None

    def after(self, i: int) -> int:
        """Index of the entity after a role and its attached ORG."""
        org = self.org_of.get(i)
        return (org if org is not None else i) + 1

    def forward(self, i: int) -> tuple[int, str, float] | None:
        n = self.after(i)
        if self.label(n) != "PERSON":
            return None
        hit = _match(_ROLE_TO_PERSON, self.gap(n - 1, n))
        return (n, *hit) if hit else None

    def _role_before(self, k: int) -> int | None:
        """The role just before entity k (skipping its attached ORG), if any."""
        p = k - 1
        if self.label(p) == "ORG" and self.org_of.get(p - 1) == p:
            return p - 1
        return p if self.label(p) == "ROLE" else None

    def backward(self, i: int) -> tuple[int, str, float] | None:
        """Back along `,`/`kiêm` to the person the chain hangs from; one verb on the way
        (`X, Chủ tịch UBND huyện được bầu làm ROLE`) makes it an appointment link."""
        k, steps, via = i, 0, None
        while k > 0:
            gap, prev = self.gap(k - 1, k), self._role_before(k)
            if prev is not None and _fits(_CHAIN, gap):
                k, steps = prev, steps + 1
            elif prev is not None and via is None and _match(_PREDICATE, gap):
                k, steps, via = prev, steps + 1, _match(_PREDICATE, gap)
            elif self.label(k - 1) == "PERSON":
                hit = _match(_APPOSITION, gap)
                if hit is None:
                    return None
                name, confidence = via or hit
                return k - 1, name, confidence - _STEP_PENALTY * (steps - (via is not None))
            else:
                return None
        return None

    def chained(self, i: int) -> tuple[int, str, float] | None:
        k, steps = i, 0
        while True:
            n = self.after(k)
            if self.label(n) == "ROLE" and _fits(_CHAIN, self.gap(n - 1, n)):
                k, steps = n, steps + 1
                continue
            if steps and self.label(n) == "PERSON" and _match(_ROLE_TO_PERSON, self.gap(n - 1, n)):
                return n, "chained_roles_person", 0.8 - _STEP_PENALTY * (steps - 1)
            return None

    def org_record(self, i: int) -> dict | None:
        """The ORG an entity-attached ORG gives, else the body the role names, else None."""
        org = self.org_of.get(i)
        if org is not None:
            return {**span_view(self.ents[org]), "source": "entity"}
        span = self.roles[i]["body_span"]
        if span is None:
            return None
        start = self.ents[i]["start"] + span[0]
        end = self.ents[i]["start"] + span[1]
        return {"start": start, "end": end, "text": self.text[start:end], "source": "role"}

    def role_record(self, i: int) -> dict:
        parsed = self.roles[i]
        body_span = parsed["body_span"]
        base = self.ents[i]["start"]
        return {**span_view(self.ents[i]), "title": parsed["title"], "body": parsed["body"],
                "body_span": [base + body_span[0], base + body_span[1]] if body_span else None,
                "modifier": modifier_before(self.text, self.ents[i]["start"])}


def link_posts(text: str, entities: list[dict]) -> tuple[list[dict], list[dict]]:
    """(post_holders, roles) for one text; entities sorted by start, with `text`.

    post_holders: `{person, role, org, evidence, confidence, pattern}` per linked ROLE.
    roles: every ROLE with its title, body, `modifier` (nguyên/quyền) and org.
    """
    linker = _Linker(text, entities)
    persons = {i: p for i, p in zip(
        [i for i, e in enumerate(linker.ents) if e["label"] == "PERSON"],
        resolve_names([e for e in linker.ents if e["label"] == "PERSON"]))}
    roles, links = [], []
    for i in sorted(linker.roles):
        role, org = linker.role_record(i), linker.org_record(i)
        roles.append({**role, "org": org})
        hit = linker.forward(i) or linker.backward(i) or linker.chained(i)
        if hit is None:
            continue
        p, pattern, confidence = hit
        person = persons[p]
        spans = [person, role] + ([org] if org and org["source"] == "entity" else [])
        links.append({"person": person, "role": role, "org": org,
                      "evidence": [min(s["start"] for s in spans), max(s["end"] for s in spans)],
                      "confidence": round(confidence, 3), "pattern": pattern})
    return links, roles
