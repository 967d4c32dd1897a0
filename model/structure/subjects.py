"""Subjects without a name: `ông`/`bà`/`đồng chí`/`anh`/`chị` standing for a person named
earlier, and the opening of a career line (`8/2002 - 4/2008: ...`) whose subject is the
person the biography is about.

Each subject is resolved to ONE earlier PERSON mention, the last one before it, so a subject
never reaches across another named person: when that last person cannot be meant (`ông`
after a woman), the subject stays unresolved and nothing is linked through it.
  pronoun  the last PERSON in the same paragraph (line); at the start of a paragraph, the
           last PERSON of the paragraph before when that one ends within PRONOUN_LOOKBACK lines
  career   the last PERSON within CAREER_LOOKBACK lines before the line
"""
from __future__ import annotations

import re
from bisect import bisect_left

from model.structure.dates import fold
from model.structure.names import GENDER_WORDS, name_key

PRONOUN_LOOKBACK = 1   # lines a paragraph-initial pronoun may look back
CAREER_LOOKBACK = 12   # lines between a career line and the person it is about

_PRONOUN = re.compile(r"(?<!\w)(ông|bà|anh|chị|đồng chí)(?:\s+ấy)?(?!\w)")
# `bà con` (people), `anh em`, `ông bà`, `anh hùng`, `anh trai` (someone else) are not pronouns.
_NOT_PRONOUN_AFTER = {"con", "bà", "ông", "em", "chị", "anh", "cha", "trời", "hùng", "nội", "ngoại", "già",
                      "chủ", "cả", "trai", "gái", "rể", "dâu", "họ", "lão", "cụ", "mẹ", "bố", "xã", "thôn"}
# `các ông`, `hai bà`, `quý ông`: plural or vocative.
_NOT_PRONOUN_BEFORE = {"các", "những", "mấy", "hai", "ba", "bốn", "quý", "thưa", "vị", "nhiều", "cùng",
                       "và", "với", "cho", "của", "tiếng", "nước", "người"}
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”(]\s*|\n\s*)$")
# A career line opens with a date (`8/2002 - 4/2008:`, `- Từ 1993 - 2007:`, `Năm 2005:`).
_CAREER_OPENING = re.compile(r"\s*(?:[-+•*–]\s*)?(?:\d{1,2}\s*[.)]\s*)?(?:(?:từ|năm|tháng)\s+)?$", re.IGNORECASE)
_BIO_FIELD_OPENING = re.compile(r"\s*(?:[-+•*]\s*)?chức (?:vụ|danh)", re.IGNORECASE)
_POSTS_HEADING = re.compile(r"\s*(?:[-+•*]\s*)?chức (?:vụ|danh)[^:]{0,25}:\s*", re.IGNORECASE)
_BULLET_LINE = re.compile(r"\s*[-+•*]\s*\S")


def _lines(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


class _Index:
    """Line numbers and PERSON positions of one text."""

    def __init__(self, text: str, persons: list[dict]):
        self.text = text
        self.lines = _lines(text)
        self.line_starts = [s for s, _ in self.lines]
        self.persons = persons
        self.person_ends = [p["end"] for p in persons]

    def line_of(self, pos: int) -> int:
        return bisect_left(self.line_starts, pos + 1) - 1

    def last_person_before(self, pos: int) -> int | None:
        i = bisect_left(self.person_ends, pos + 1) - 1
        while i >= 0 and self.persons[i]["end"] > pos:
            i -= 1
        return i if i >= 0 else None


def _person_starts(entities: list[dict]) -> set[int]:
    return {e["start"] for e in entities if e["label"] == "PERSON"}


def _pronouns(text: str, entities: list[dict]) -> list[tuple[int, int, str]]:
    """(start, end, word) of each `ông`/`bà`/... that stands alone, not before a name."""
    nt = fold(text)
    low = nt.text
    named = _person_starts(entities)
    inside = [(e["start"], e["end"]) for e in entities]
    out = []
    for m in _PRONOUN.finditer(low):
        start, end = nt.to_raw(m.start(), m.end())
        following = low[m.end():].split(maxsplit=1)
        nxt = re.sub(r"\W+$", "", following[0]) if following else ""
        before = low[:m.start()].split()
        prev = before[-1] if before else ""
        after = len(text) - len(text[end:].lstrip()) if text[end:].strip() else len(text)
        if after in named or nxt in _NOT_PRONOUN_AFTER or prev in _NOT_PRONOUN_BEFORE:
            continue
        if any(s <= start < e for s, e in inside):
            continue  # part of an entity (`Trưởng Ban ... chị em` never, but `Bà Rịa` may be)
        if text[start].isupper() and not _SENTENCE_START.search(text[max(0, start - 3):start]):
            continue  # `Anh` mid-sentence is Britain; `Bà Rịa` a place
        out.append((start, end, m.group(1)))
    return out


_SUBORDINATE = re.compile(r"(?<!\w)(?:khi|lúc|sau khi|trước khi|trong khi|nếu|để|vì|do)\s[^,;]*$")


def _in_subordinate_clause(text: str, person: dict, pronoun_start: int) -> bool:
    """`Khi ông Thịnh đi chữa bệnh, ông được giao ...`: the name in a `khi ...` clause before
    the pronoun is not who the pronoun means."""
    between = text[person["end"]:pronoun_start]
    if "," not in between or re.search(r"[.!?\n]", between):
        return False
    sentence_start = max(text.rfind(m, 0, person["start"]) for m in (". ", "\n", "; ")) + 1
    return bool(_SUBORDINATE.search(fold(text[sentence_start:person["start"]]).text))


def _gender_fits(word: str, person: dict, gender: dict[str, str]) -> bool:
    want = GENDER_WORDS.get(word)
    have = gender.get(name_key(person["name"]))
    return want is None or have is None or want == have


def find_subjects(text: str, entities: list[dict], persons: list[dict], gender: dict[str, str]) -> list[dict]:
    """Subjects as nodes `{label: "SUBJ", kind, start, end, text, person}`, `person` an index
    into `persons` (the resolved PERSON records, in text order)."""
    index = _Index(text, persons)
    subjects = []
    for start, end, word in _pronouns(text, entities):
        p = index.last_person_before(start)
        if p is None:
            continue
        here, there = index.line_of(start), index.line_of(persons[p]["start"])
        if here != there:
            line_start = index.lines[here][0]
            opens_paragraph = not text[line_start:start].strip()
            if not opens_paragraph or here - there > PRONOUN_LOOKBACK:
                continue
        if not _gender_fits(word, persons[p], gender) or _in_subordinate_clause(text, persons[p], start):
            continue
        subjects.append({"label": "SUBJ", "kind": "pronoun", "start": start, "end": end,
                         "text": text[start:end], "person": p})
    for opening, at_line_start in _career_openings(text, entities):
        p = index.last_person_before(opening)
        if p is None:
            continue
        distance = index.line_of(opening) - index.line_of(persons[p]["start"])
        if distance > (CAREER_LOOKBACK if at_line_start else 0):
            continue
        if at_line_start:
            p = _biography_subject(index, p, opening)
        subjects.append({"label": "SUBJ", "kind": "career", "start": opening, "end": opening,
                         "text": "", "person": p})
    return sorted(subjects, key=lambda s: s["start"])


_HONORIFIC_OPENING = re.compile(r"\s*(?:[-+•*\d.)]+\s*)?(?:\w+\.?\s*){0,3}$")


def _biography_subject(index: _Index, last: int, opening: int) -> int:
    """Whom a career list is about: the last named person, unless that one is named once, in
    passing (not opening a line), while another is named at least twice in the lines before
    (`Ông Thịnh ... Ông Đoàn Văn Chức nhớ lại: ... \n Những chặng đường công tác\n- 1958 - ...`)."""
    persons, text = index.persons, index.text
    first_line = max(0, index.line_of(persons[last]["start"]) - CAREER_LOOKBACK)
    window = [i for i in range(last + 1) if index.line_of(persons[i]["start"]) >= first_line]
    counts: dict[str, int] = {}
    for i in window:
        counts[name_key(persons[i]["name"])] = counts.get(name_key(persons[i]["name"]), 0) + 1
    line_start = index.lines[index.line_of(persons[last]["start"])][0]
    if counts[name_key(persons[last]["name"])] > 1 or _HONORIFIC_OPENING.fullmatch(text[line_start:persons[last]["start"]]):
        return last
    best = max(counts.values())
    if best < 2:
        return last
    salient = [i for i in window if counts[name_key(persons[i]["name"])] == best]
    return salient[-1]


def _career_openings(text: str, entities: list[dict]) -> list[tuple[int, bool]]:
    """Where career statements open: a line, or a clause after `:`/`;`/`.`, that starts with
    a date (`8/2002 - 4/2008: ...`, `; từ 4/2003 - 9/2009 là ...`), or a `Chức vụ:` line.
    (position, at a line start); the grammar in `gaps` decides whether the opening is one."""
    out = {}
    for e in entities:
        if e["label"] != "DATE":
            continue
        line_start = text.rfind("\n", 0, e["start"]) + 1
        clause_start = max([line_start] + [text.rfind(mark, line_start, e["start"]) + 1 for mark in ":;."])
        if _CAREER_OPENING.fullmatch(text[clause_start:e["start"]]):
            at = clause_start + len(text[clause_start:e["start"]]) - len(text[clause_start:e["start"]].lstrip())
            out.setdefault(at, clause_start == line_start)
    line_start, in_list = 0, False
    for line in text.split("\n"):
        at = line_start + len(line) - len(line.lstrip())
        if _BIO_FIELD_OPENING.match(line):
            out.setdefault(at, True)
            in_list = _POSTS_HEADING.fullmatch(line) is not None
        elif in_list and _BULLET_LINE.match(line):
            out.setdefault(at, True)  # `Chức vụ hiện nay:` then `- Bí thư Tỉnh ủy;` lines
        else:
            in_list = False
        line_start += len(line) + 1
    return sorted(out.items())


__all__ = ["find_subjects"]
