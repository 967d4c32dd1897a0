"""Who holds which post: PERSON↔ROLE links read off the patterns news text uses.

Each link names its `pattern` (the gold's classes) and the `rule` that found it:
  apposition    `ông A, ROLE`, `A - ROLE`, `A (ROLE)`, `ROLE A`, `ROLE, Đại tướng A`
  role_list     the posts after the first in `A, ROLE1, ROLE2, ...` (also across a line
                break after a comma), and `ROLE1, ROLE2 A`
  career        a career line `8/2002 - 4/2008: ROLE; từ 10/2020 là ROLE` about the person
                the biography names above it
  pronoun       `Ông là ROLE`, `bà từng là ROLE (2004 - 2010), ROLE ...`: the last named
                person before the pronoun, never across another named person (`subjects`)
  appointment   `A được bầu làm ROLE`, `bổ nhiệm ông A, ROLE1, giữ chức ROLE2`
  dismissal     `A thôi giữ chức ROLE`, `miễn nhiệm chức vụ ROLE đối với ông A`
  replacement   `... giữ chức ROLE thay ông A`: A held ROLE too
  plural_title  `các đồng chí ROLE: A, B, C`, `các Phó Bí thư A và B`
  other         `A là ROLE`, `A, trên cương vị ROLE`, `ROLE là ông A`
A role directly before a name goes to that name; otherwise it goes back along its chain of
posts (`,`, `kiêm`, dates, `sau đó được bầu làm`) to the person the chain hangs from (`gaps`
says which words may stand between). `respectively` lists (`A và B lần lượt ... X và Y`)
are never linked. Every link carries its evidence span, a confidence from the per-pattern
table in `confidence`, and the period the text gives for it (`tenure`).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from model.structure.confidence import confidence_of
from model.structure.dates import fold, gap_text, masked_gap, parse_date, span_view
from model.structure.gaps import (APPOINT, HONORIFIC, VERB_RULES, Reading, alt, appointed_before, hypothetical,
                                  passive_agent, read_chain, read_forward, read_head, read_replaced, read_successor,
                                  respectively, verb_pattern)
from model.structure.names import genders, resolve_names
from model.structure.roles import SUBUNIT_HEADS, modifier_before, parse_role
from model.structure.subjects import find_subjects
from model.structure.tenure import Gap, after_post, before_post

__all__ = ["link_posts", "parse_role", "resolve_names", "modifier_before"]

_MASKED = ("ORG", "DATE", "DOC")  # written as placeholders in the gaps between PERSON/ROLE nodes
_ORG_AFTER_COMMA = re.compile(r",|,?\s*(?:của|thuộc)")
_COORDINATED = re.compile(rf"\s*(?:,|và|, và)\s*(?:{HONORIFIC}\s*)*")
# `các đồng chí`, `ba Phó Hiệu trưởng`, `Ba đồng chí được bầu làm Phó Bí thư: A, B và C`.
_PLURAL_BEFORE = re.compile(
    rf"(?:^|\s)(?:các|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|\d+)\s+(?:(?:đồng chí|ông|bà|vị|đ/c|tân|người)\s+)?"
    rf"(?:(?:được|đã|vừa|cũng|tiếp tục|đều)\s+)*(?:(?:{alt(APPOINT)})(?:\s+(?:làm|giữ chức|là))?\s+)?"
    r"(?:nguyên\s+|quyền\s+)?$")
_PLURAL_OPENING = re.compile(rf"\s*(?:<o>\s*)?(?:(?:nhiệm kỳ\s+(?:<d>|mới)|khóa\s+[ivxlc\d]+)\s*)?"
                             rf"(?:,?\s*(?:còn lại\s+|hiện\s+|nay\s+|mới\s+)?(?:(?:được|đã|vừa)\s+)*(?:(?:{alt(APPOINT)})\s+)?"
                             rf"(?:gồm(?:\s+có)?|là)\s*)?:?\s*(?:{HONORIFIC}\s*)*")
_PLURAL_NEXT = re.compile(rf"\s*(?:\([^()<>]{{0,30}}\)\s*)?(?:,|;|và|, và)\s*(?:{HONORIFIC}\s*)*")
_COORDINATION_BEFORE = re.compile(r"\s*,?\s*(?:và|hoặc|cùng|với)\s*")


_SIGNATURE_GAP = re.compile(r"¶\s*(?:\(?\s*đã ký\s*\)?\s*¶\s*)?")
# `Trước khi làm Tổng Giám đốc từ tháng 7/2020, ông giữ chức ...`: a post named before its subject.
_BEFORE_SUBJECT_OPENING = re.compile(
    rf"(?:^|,\s*)(?:trước khi|sau khi|khi|từ khi|lúc)\s+(?:(?:được|đã)\s+)?(?:(?:{alt(APPOINT)})\s+)?"
    r"(?:làm|giữ chức(?:\s+vụ)?|là|lên|về làm)?\s*(?:nguyên\s+|quyền\s+)?$")
_BEFORE_SUBJECT_GAP = re.compile(r"(?:\s*(?:<o>|<d>|từ|đến|năm|tháng|nay|vào|lần đầu|,))*\s*,\s*")
_THEN_REPLACES = re.compile(rf"\s*(?:đã\s+|sẽ\s+)?(?:thay thế|thay|kế nhiệm)(?:\s+cho)?\s+(?:{HONORIFIC}\s*)*")


@dataclass
class _Hit:
    person: int            # node index of the PERSON (for subjects: the subject node)
    role: int              # node index of the ROLE
    reading: Reading
    path: list[Gap]        # gaps from the head to the role, in text order (empty for forward links)


class _Linker:
    """One text's PERSON and ROLE entities and unnamed subjects as nodes, with the masked
    gaps between them, and the walks that link a ROLE to its holder(s)."""

    def __init__(self, text: str, entities: list[dict], persons: list[dict], subjects: list[dict]):
        self.text = text
        self.entities = entities
        self.nodes = sorted([e for e in entities if e["label"] in ("PERSON", "ROLE")] + subjects,
                            key=lambda e: (e["start"], e["end"]))
        self.others = [e for e in entities if e["label"] in _MASKED]
        self.other_starts = [e["start"] for e in self.others]
        self.person_of_node = {}
        person_index = {(p["start"], p["end"]): i for i, p in enumerate(persons)}
        for i, node in enumerate(self.nodes):
            if node["label"] == "PERSON":
                self.person_of_node[i] = person_index[(node["start"], node["end"])]
            elif node["label"] == "SUBJ":
                self.person_of_node[i] = node["person"]
        self.roles = {i: parse_role(n["text"]) for i, n in enumerate(self.nodes) if n["label"] == "ROLE"}
        self.attached = {i: self._attached_org(i) for i in self.roles}
        self._gaps: dict[tuple[int, int], Gap | None] = {}

    # ------------------------------------------------------------------ text between nodes

    def gap(self, a: int, b: int) -> Gap | None:
        """The masked gap between raw offsets a and b (None when they overlap)."""
        key = (a, b)
        if key not in self._gaps:
            self._gaps[key] = self._masked(a, b)
        return self._gaps[key]

    def _masked(self, a: int, b: int) -> Gap | None:
        found = masked_gap(self.text, a, b, self.others, self.other_starts)
        if found is None:
            return None
        gap, inside = found
        return Gap(gap, [e for e in inside if e["label"] == "DATE"])

    def end_of(self, i: int) -> int:
        """Where a node ends, with a role's attached ORG (`Giám đốc` `Sở Y tế`)."""
        org = self.attached.get(i)
        return org["end"] if org else self.nodes[i]["end"]

    def between(self, i: int, j: int) -> Gap | None:
        return self.gap(self.end_of(i), self.nodes[j]["start"])

    def label(self, i: int) -> str | None:
        return self.nodes[i]["label"] if 0 <= i < len(self.nodes) else None

    def _attached_org(self, i: int) -> dict | None:
        """The ORG right after a role that belongs to it: always when adjacent, after a comma
        (`, của`, `thuộc`) only for a role without a body or with a sub-unit body."""
        role = self.nodes[i]
        k = bisect_left(self.other_starts, role["end"])
        if k >= len(self.others) or self.others[k]["label"] != "ORG":
            return None
        org = self.others[k]
        nxt = i + 1
        if nxt < len(self.nodes) and self.nodes[nxt]["start"] < org["end"]:
            return None
        gap = gap_text(self.text, role["end"], org["start"])
        if gap == "":
            return org
        head = self.roles[i]["body_head"]
        if gap is not None and (head is None or head in SUBUNIT_HEADS) and _ORG_AFTER_COMMA.fullmatch(gap):
            return org
        return None

    # ------------------------------------------------------------------ walks

    def forward(self, r: int) -> list[_Hit]:
        """ROLE -> the PERSON written right after it; also a signature block, the post on a
        line of its own and the signer's name on the next (`PHÓ CHỦ TỊCH` / `(Đã ký)` / name)."""
        n = r + 1
        if self.label(n) != "PERSON":
            return []
        gap = self.between(r, n)
        before = fold(self.text[max(0, self.nodes[r]["start"] - 50):self.nodes[r]["start"]]).text
        reading = read_forward(gap.text, before) if gap else None
        if reading is None and gap is not None and _SIGNATURE_GAP.fullmatch(gap.text) \
                and self._own_line(r) and self._own_line(n):
            reading = Reading("other", "signature")
        return [_Hit(n, r, reading, [])] if reading else []

    def _own_line(self, i: int) -> bool:
        node = self.nodes[i]
        start = self.text.rfind("\n", 0, node["start"]) + 1
        end = self.text.find("\n", node["end"])
        return not (self.text[start:node["start"]].strip() or self.text[node["end"]:end if end >= 0 else None].strip())

    def backward(self, r: int) -> list[_Hit]:
        """Back along the chain of posts to the person (or subject) it hangs from."""
        k, path, verb, needs_verb, steps = r, [], None, False, 0
        while k > 0:
            p = k - 1
            gap = self.between(p, k)
            if gap is None:
                return []
            if self.label(p) == "ROLE":
                link = read_chain(gap.text)
                agent = self._agent_skip(p, gap) if link is not None and link.verb else None
                if agent is not None:  # `ông được <Giám đốc X> giao quyền <Hiệu trưởng>`
                    p, gap = agent
                    node = self.nodes[p]
                    head = "person" if node["label"] == "PERSON" else node["kind"]
                    reading = read_head(gap.text, head)
                    if reading is None:
                        return []
                    path.insert(0, gap)
                    return [_Hit(p, r, self._name_pattern(reading, verb or link.verb, steps), path)]
                if link is None:
                    return []
                if link.verb:
                    verb, needs_verb = verb or link.verb, False
                needs_verb = needs_verb or link.needs_verb
                path.insert(0, gap)
                k, steps = p, steps + 1
                continue
            node = self.nodes[p]
            head = "person" if node["label"] == "PERSON" else node["kind"]
            reading = read_head(gap.text, head)
            if reading is not None and head == "person" and reading.pattern != "apposition" and p > 0:
                agent = self._agent_skip(p, gap)
                if agent is not None:  # `A được ông B bổ nhiệm làm X`: X is A's
                    p, gap = agent
                    node = self.nodes[p]
                    head = "person" if node["label"] == "PERSON" else node["kind"]
                    reading = read_head(gap.text, head)
                elif passive_agent(self.between(p - 1, p).text if self.between(p - 1, p) else ""):
                    return []
            if reading is None or (needs_verb and reading.pattern == "apposition"):
                return []
            if reading.pattern != "apposition" and hypothetical(self._clause_before(node["start"])):
                return []
            path.insert(0, gap)
            if head == "person" and reading.pattern == "other" and appointed_before(
                    fold(self.text[max(0, node["start"] - 40):node["start"]]).text):
                reading = Reading("appointment", reading.rule)
            reading = self._name_pattern(reading, verb, steps)
            hits = [_Hit(p, r, reading, path)]
            if head == "person" and reading.pattern in ("appointment", "dismissal", "other"):
                others = self._coordinated(p)
                if others and any(respectively(g.text) for g in path):
                    return []
                hits += [_Hit(q, r, reading, path) for q in others]
            return hits
        return []

    def _clause_before(self, pos: int) -> str:
        """The folded text from the start of pos's sentence (or line) up to pos."""
        start = max([self.text.rfind("\n", 0, pos) + 1] + [self.text.rfind(m, 0, pos) + 2 for m in (". ", "; ")])
        return fold(self.text[start:pos]).text

    def _agent_skip(self, agent: int, gap_after: Gap) -> tuple[int, Gap] | None:
        """When node `agent` stands after `được` (who appoints, not who is appointed), the
        node before it and the gap from there with the agent masked; else None."""
        s = agent - 1
        if s < 0 or self.label(s) not in ("PERSON", "SUBJ"):
            return None
        before = self.between(s, agent)
        if before is None or not passive_agent(before.text):
            return None
        label = "<r>" if self.label(agent) == "ROLE" else "<p>"
        return s, Gap(f"{before.text} {label} {gap_after.text}".strip(), before.dates + gap_after.dates)

    @staticmethod
    def _name_pattern(reading: Reading, verb: str | None, steps: int) -> Reading:
        """A subject's pattern wins; else the verb nearest the post; else a list after the first."""
        if reading.pattern in ("pronoun", "career"):
            return reading
        if verb:
            return Reading(verb, VERB_RULES[verb])
        if reading.pattern == "apposition" and steps:
            return Reading("role_list", reading.rule)
        return reading

    def _coordinated(self, p: int) -> list[int]:
        """`các bà A và B được bầu làm ...`: the names joined to p by `,`/`và` (one `và` at least)."""
        out, k, joined = [], p, False
        while self.label(k - 1) == "PERSON":
            gap = self.between(k - 1, k)
            if gap is None or not _COORDINATED.fullmatch(gap.text):
                break
            joined = joined or "và" in gap.text
            out.append(k - 1)
            k -= 1
        return out if joined else []

    def chained(self, r: int) -> list[_Hit]:
        """`ROLE1, ROLE2 A`: ROLE1 reaches A through the chain (not after `X và`: a list of
        different people's posts)."""
        prev = r - 1
        if self.label(prev) == "ROLE":
            gap = self.between(prev, r)
            if gap is not None and _COORDINATION_BEFORE.fullmatch(gap.text):
                return []
        k, steps = r, 0
        while True:
            n = k + 1
            gap = self.between(k, n) if n < len(self.nodes) else None
            if self.label(n) == "ROLE" and gap is not None:
                link = read_chain(gap.text)
                if link is not None and link.verb is None and not link.needs_verb and "<d>" not in gap.text:
                    k, steps = n, steps + 1
                    continue
            if steps and self.label(n) == "PERSON" and gap is not None:
                reading = read_forward(gap.text, "")
                if reading is not None and reading.pattern == "apposition":
                    return [_Hit(n, r, Reading("role_list", "chained_roles_person"), [])]
            return []

    def plural(self, r: int) -> list[_Hit]:
        """`các đồng chí ROLE: A, B, C` — one post over every name of the list."""
        role = self.nodes[r]
        line_start = self.text.rfind("\n", 0, role["start"]) + 1
        before = fold(self.text[max(line_start, role["start"] - 30):role["start"]]).text
        if not _PLURAL_BEFORE.search(before):
            return []
        n = r + 1
        gap = self.between(r, n) if n < len(self.nodes) else None
        if self.label(n) != "PERSON" or gap is None or not _PLURAL_OPENING.fullmatch(gap.text):
            return []
        names = [n]
        k = n
        while True:
            j = k + 1
            while self.label(j) == "ROLE":  # a name's own posts: `A, Trưởng Ban ...; B, ...`
                g = self.between(j - 1, j)
                if g is None or read_chain(g.text) is None and read_head(g.text, "person") is None:
                    break
                j += 1
            if self.label(j) != "PERSON":
                break
            g = self.between(j - 1, j)
            if g is None or not _PLURAL_NEXT.fullmatch(g.text):
                break
            names.append(j)
            k = j
        if len(names) < 2:
            return []
        return [_Hit(q, r, Reading("plural_title", "plural_title"), []) for q in names]

    def replaced(self, r: int) -> list[_Hit]:
        """`bầu ông B giữ chức ROLE thay ông A`: A held the post before B."""
        n = r + 1
        if self.label(n) != "PERSON":
            return []
        before = self.between(r - 1, r) if r > 0 else None
        if before is None or verb_pattern(before.text) not in ("appointment", "other"):
            return []
        head = "person" if self.label(r - 1) == "PERSON" else self.nodes[r - 1].get("kind", "person")
        if read_chain(before.text) is None and read_head(before.text, head) is None:
            return []
        gap = self.between(r, n)
        if gap is None or not read_replaced(gap.text):
            return []
        return [_Hit(n, r, Reading("replacement", "replaced_person"), [])]

    def successor(self, hits: list[_Hit]) -> list[_Hit]:
        """`Người kế nhiệm ông A là đồng chí B, ..., được chỉ định làm ROLE`: A held ROLE."""
        out = []
        for hit in hits:
            h = hit.person
            if hit.reading.pattern != "appointment" or self.label(h) != "PERSON" or self.label(h - 1) != "PERSON":
                continue
            gap = self.between(h - 1, h)
            before = fold(self.text[max(0, self.nodes[h - 1]["start"] - 30):self.nodes[h - 1]["start"]]).text
            if gap is not None and read_successor(before, gap.text):
                out.append(_Hit(h - 1, hit.role, Reading("replacement", "successor_of"), []))
        return out

    def subject_after(self, r: int) -> list[_Hit]:
        """`Trước khi làm ROLE (dates), ông ...`: the post belongs to the subject after it."""
        role = self.nodes[r]
        if not _BEFORE_SUBJECT_OPENING.search(self._clause_before(role["start"])):
            return []
        n = r + 1
        if self.label(n) not in ("PERSON", "SUBJ") or self.nodes[n].get("kind") == "career":
            return []
        gap = self.between(r, n)
        if gap is None or not _BEFORE_SUBJECT_GAP.fullmatch(gap.text):
            return []
        pattern = "pronoun" if self.label(n) == "SUBJ" else "other"
        return [_Hit(n, r, Reading(pattern, "post_before_subject"), [gap])]

    def links_of(self, r: int) -> list[_Hit]:
        """Every holder of one ROLE mention: the first walk that finds one, plus the plural
        and replacement readings (which may add others)."""
        hits = self.plural(r)
        forward = self.forward(r)
        if forward and forward[0].reading.rule == "role_honorific_person":
            # `A, Chủ tịch X, ông B, ...` and `bầu ông A làm Chủ tịch, ông B làm ...`: a post
            # that already hangs from a name before it is not B's.
            forward = self.backward(r) or forward
        hits += forward or self.backward(r) or self.chained(r) or self.subject_after(r)
        hits += self.replaced(r) + self.successor(hits)
        return hits

    def replaced_later(self, links: list[tuple[_Hit, int]]) -> list[_Hit]:
        """`... bổ nhiệm ông B giữ chức ROLE. Ông thay ông A, ...`: A held ROLE before B.
        `links` are the (hit, person index) found so far; only B's appointments earlier in
        the same paragraph count."""
        out = []
        for s, node in enumerate(self.nodes):
            if node["label"] not in ("PERSON", "SUBJ") or node.get("kind") == "career" or self.label(s + 1) != "PERSON":
                continue
            gap = self.between(s, s + 1)
            if gap is None or not _THEN_REPLACES.fullmatch(gap.text):
                continue
            line_start = self.text.rfind("\n", 0, node["start"]) + 1
            who = self.person_of_node[s]
            earlier = [h for h, p in links if p == who and h.reading.pattern in ("appointment", "pronoun")
                       and line_start <= self.nodes[h.role]["start"] < node["start"]
                       and verb_pattern(h.path[-1].text if h.path else "") == "appointment"]
            if earlier:
                out.append(_Hit(s + 1, earlier[-1].role, Reading("replacement", "replaced_later"), []))
        return out

    # ------------------------------------------------------------------ records

    def org_record(self, r: int) -> dict | None:
        """The attached ORG, else the body the role names, else None."""
        org = self.attached.get(r)
        if org is not None:
            return {**span_view(org), "source": "entity"}
        span = self.roles[r]["body_span"]
        if span is None:
            return None
        start = self.nodes[r]["start"] + span[0]
        end = self.nodes[r]["start"] + span[1]
        return {"start": start, "end": end, "text": self.text[start:end], "source": "role"}

    def role_record(self, r: int) -> dict:
        parsed = self.roles[r]
        body_span = parsed["body_span"]
        base = self.nodes[r]["start"]
        return {**span_view(self.nodes[r]), "title": parsed["title"], "body": parsed["body"],
                "body_span": [base + body_span[0], base + body_span[1]] if body_span else None,
                "modifier": modifier_before(self.text, self.nodes[r]["start"])}

    def period(self, hit: _Hit, values: dict) -> dict | None:
        """The dates the text gives for this post (see `tenure`)."""
        r = hit.role
        nxt = r + 1
        stop = self.nodes[nxt]["start"] if nxt < len(self.nodes) else len(self.text)
        line_end = self.text.find("\n", self.end_of(r))
        stop = min(stop, line_end if line_end >= 0 else len(self.text))
        after = self.gap(self.end_of(r), stop)
        own = after_post(after, values) if after else None
        if own or not hit.path:
            return own
        # before the post: the last gap of the path, or an earlier one through plain commas
        for n, gap in enumerate(reversed(hit.path)):
            found = before_post(gap, values, skip_leading=n < len(hit.path) - 1)
            if found:
                return found
            if verb_pattern(gap.text) is not None or "<d>" in gap.text:
                break
        head = self.nodes[hit.person]
        if head["label"] == "SUBJ" and head["kind"] == "pronoun" and len(hit.path) == 1:
            return self._before_subject(hit.person, values)
        return None

    def _before_subject(self, s: int, values: dict) -> dict | None:
        """`Từ 1995 đến 2004, ông là ...`: the dates that open the pronoun's clause."""
        subject = self.nodes[s]
        clause_start = max(self.text.rfind("\n", 0, subject["start"]) + 1,
                           self.nodes[s - 1]["end"] if s > 0 else 0,
                           max((self.text.rfind(mark, 0, subject["start"]) + 2 for mark in (". ", "; ")),
                               default=0))
        gap = self.gap(clause_start, subject["start"])
        if gap is None or not re.fullmatch(r"(?:(?:từ|năm|tháng|trong|giai đoạn)\s+)?<d>.*,\s*", gap.text):
            return None
        return before_post(gap, values)


def _date_values(text: str, entities: list[dict], dates: list[dict] | None) -> dict:
    if dates is not None:
        return {(d["start"], d["end"]): d.get("value") for d in dates}
    return {(e["start"], e["end"]): parse_date(e["text"])["value"] for e in entities if e["label"] == "DATE"}


def link_posts(text: str, entities: list[dict], dates: list[dict] | None = None) -> tuple[list[dict], list[dict]]:
    """(post_holders, roles) for one text; entities sorted by start, with `text`.

    post_holders: `{person, role, org, evidence, confidence, pattern, rule, subject, period,
    status}` per (person, ROLE mention) link; `subject` is the pronoun or career-line opening
    a link went through (else None), `period` the dates the text gives for the post, `status`
    `former` (nguyên, dismissed, replaced, an ended period) or `acting` (quyền) or None.
    roles: every ROLE with its title, body, `modifier` (nguyên/quyền) and org.
    `dates` (normalised DATE records) give the periods their values; parsed here when None.
    """
    persons = resolve_names([e for e in entities if e["label"] == "PERSON"])
    subjects = find_subjects(text, entities, persons, genders(text, persons))
    linker = _Linker(text, entities, persons, subjects)
    values = _date_values(text, entities, dates)
    roles, hits = {}, []
    for r in sorted(linker.roles):
        role, org = linker.role_record(r), linker.org_record(r)
        roles[r] = {**role, "org": org}
        hits += [(hit, linker.person_of_node[hit.person]) for hit in linker.links_of(r)]
    hits += [(hit, linker.person_of_node[hit.person]) for hit in linker.replaced_later(hits)]
    links, seen = [], set()
    for hit, person_index in sorted(hits, key=lambda h: h[0].role):
        if (hit.role, person_index) in seen:
            continue
        seen.add((hit.role, person_index))
        role = roles[hit.role]
        links.append(_record(linker, hit, persons[person_index], role, role["org"], values))
    return links, list(roles.values())


def _record(linker: _Linker, hit: _Hit, person: dict, role_and_org: dict, org: dict | None, values: dict) -> dict:
    role = {k: v for k, v in role_and_org.items() if k != "org"}
    head = linker.nodes[hit.person]
    subject = None
    if head["label"] == "SUBJ":
        if head["kind"] == "career":
            line_end = linker.text.find("\n", head["start"])
            opening_end = min(role["start"], line_end if line_end >= 0 else len(linker.text))
            s, e = head["start"], opening_end
            raw = linker.text[s:e]
            e = s + len(raw.rstrip(" ,:;"))
        else:
            s, e = head["start"], head["end"]
        subject = {"start": s, "end": e, "text": linker.text[s:e], "kind": head["kind"]}
    spans = [role, subject or person] + ([org] if org and org["source"] == "entity" else [])
    period = linker.period(hit, values)
    pattern = hit.reading.pattern
    return {"person": person, "role": role, "org": org,
            "evidence": [min(s["start"] for s in spans), max(s["end"] for s in spans)],
            "confidence": confidence_of(pattern), "pattern": pattern, "rule": hit.reading.rule,
            "subject": subject, "period": period, "status": _status(role, pattern, period)}


def _status(role: dict, pattern: str, period: dict | None) -> str | None:
    if role.get("modifier") == "quyền":
        return "acting"
    if role.get("modifier") == "nguyên" or pattern in ("dismissal", "replacement"):
        return "former"
    if period and period.get("end") and not period.get("ongoing"):
        return "former"
    return None
