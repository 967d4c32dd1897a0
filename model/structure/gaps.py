"""What the text between two linked entities may say, and what it makes of the link.

Gaps are folded (lower case, one spelling, one space) with the entities that are not linked
themselves written as placeholders: `<o>` an ORG, `<d>` a DATE, `<doc>` a DOC, and `¶` a line
break. A gap is read whole (`fullmatch`): a word the grammar does not know breaks the link,
which keeps the links precise — `ông A gặp Chủ tịch tỉnh` links nothing.

Four grammars:
  head     PERSON (or a pronoun, or the start of a career line) -> its first ROLE
  chain    ROLE -> the next ROLE of the same holder
  forward  ROLE -> the PERSON written after it
  career   the opening of a career line (`8/2002 - 4/2008:`, `Từ 2015 đến nay:`)
Each accepted gap names the pattern it shows (`apposition`, `appointment`, `dismissal`, ...).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# ----------------------------------------------------------------------------- vocabulary

# Titles written before a name; degrees come abbreviated and chained (`PGS.TS`, `ThS.BS`, `BSCKII`).
_DEGREE = r"(?:pgs|gs|ts|ths|bsck\s*(?:ii|i|1|2)|bs|ds|ks|kts|ls|cn|ncs|nsnd|nsưt)"
HONORIFIC = (rf"(?:đồng chí|đ/c|ông|bà|anh|chị|đại tướng|thượng tướng|trung tướng|thiếu tướng"
             rf"|đại tá|thượng tá|trung tá|thiếu tá|{_DEGREE}(?:\s*[.,]?\s*{_DEGREE})*\.?"
             rf"|luật sư|nhà báo|nhà giáo|tiến sĩ|thạc sĩ|kỹ sư|bác sĩ|giáo sư|phó giáo sư)(?!\w)")


def alt(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


# Verbs that put a person into a post, take one away, or state that they hold it.
APPOINT = (
    "bầu bổ sung", "bầu lại", "bầu", "tái bổ nhiệm", "bổ nhiệm lại", "bổ nhiệm", "chỉ định", "phân công",
    "điều động", "luân chuyển", "biệt phái", "giới thiệu", "tái đắc cử", "đắc cử", "trúng cử", "tái cử",
    "cử", "đảm nhận", "đảm nhiệm", "kiện toàn", "phê chuẩn", "công nhận", "hiệp thương", "giao",
    "thăng chức", "thăng", "nhận nhiệm vụ", "nhận chức", "nhậm chức", "chuyển sang", "chuyển về",
    "về làm", "sang làm", "lên làm", "giữ chức vụ", "giữ chức", "giữ cương vị", "giữ vị trí",
)
DISMISS = (
    "thôi giữ chức vụ", "thôi giữ chức", "thôi làm nhiệm vụ", "thôi nhiệm vụ", "thôi làm", "thôi chức",
    "thôi tham gia", "thôi", "miễn nhiệm chức vụ", "miễn nhiệm", "miễn", "cách chức", "cách tất cả các chức vụ",
    "cách tất cả chức vụ", "cách", "bãi nhiệm", "nghỉ hưu", "nghỉ công tác", "rời chức", "rời ghế",
    "rời", "mất chức", "từ chức", "xin thôi",
)
HOLD = (
    "là", "làm", "bắt đầu làm", "kiêm nhiệm", "kiêm", "trên cương vị", "với cương vị", "ở cương vị",
    "trong cương vị", "qua các cương vị", "trải qua các cương vị", "qua các chức vụ", "lần lượt qua các cương vị",
    "lần lượt giữ các chức vụ", "lần lượt giữ các chức", "lần lượt là", "giữ các chức vụ", "giữ",
    "với tư cách", "trong vai trò", "với vai trò",
)
# Words that change nothing about who holds what.
ADVERBS = (
    "đã", "vừa", "mới", "tiếp tục", "sẽ", "được", "bị", "cũng", "hiện", "hiện nay", "hiện đang", "đang",
    "nay", "từng", "trước đó", "trước đây", "sau đó", "tiếp đó", "rồi", "đồng thời", "chính thức",
    "cho", "lại", "bổ sung", "tạm thời", "chức", "chức vụ", "chức danh", "vị trí", "cương vị", "nhiệm vụ",
    "nguyên", "quyền", "kể từ", "khi", "trước khi", "sau khi", "để", "người", "người được", "người từng",
    "vẫn", "còn", "tân", "theo chế độ", "giữ nguyên", "thêm", "lần lượt", "tham gia", "vào", "và",
    "nữ", "vị", "cùng lúc", "tín nhiệm", "tín nhiệm bầu", "một lần nữa", "khi ấy", "khi đó", "lúc đó",
    "lúc ấy", "thời điểm đó", "thời điểm ấy", "có thời gian", "từng có thời gian", "nay",
)
# Words that order posts in time (`rồi`, `sau đó`): a chain through them needs a verb first.
SEQUENCE = ("rồi", "sau đó", "tiếp đó", "tiếp theo", "trước đó", "và sau đó")
_TIME = (r"(?:(?:từ|kể từ|đến|tới|trong|giai đoạn|nhiệm kỳ|năm|sau)\s+)?<d>"
         r"(?:\s*(?:-|đến|tới|cho đến)\s*(?:<d>|nay|hiện nay))?(?:\s+(?:đến|tới)\s+(?:nay|hiện nay))?")
_TERM = (r"(?:(?:ở\s+|trong\s+)?nhiệm kỳ\s+(?:<d>|mới|trước|này|tới|qua|sau)|khóa\s+[ivxlc\d]+|khóa mới"
         r"|lần thứ\s+[ivxlc\d]+|đến nay|hiện nay|(?:công tác|làm việc|học tập)\s+(?:tại|ở)\s+<o>"
         r"|phụ trách\s+<o>|phụ trách(?:\s+(?:[^\W\d_<]+|-)){1,6}(?=\s*,)|\(\s*cũ\s*\)|\(\s*nay là\s+<o>\s*\)"
         r"|(?:từng\s+|đã\s+)?có\s+(?:hơn\s+|gần\s+|trên\s+)?\d+\s+năm)")

_VERB_RE = re.compile(rf"(?<!\w)(?:{alt(APPOINT + DISMISS + HOLD)})(?!\w)")
_DISMISS_RE = re.compile(rf"(?<!\w)(?:{alt(DISMISS)})(?!\w)")
_APPOINT_RE = re.compile(rf"(?<!\w)(?:{alt(APPOINT)})(?!\w)")
_WORD = rf"(?:{alt(APPOINT + DISMISS + HOLD + ADVERBS)})"
_BIRTH = r"\(\s*(?:(?:sinh|sn|năm sinh)\s*(?:ngày|năm)?\s*)?<d>\s*\)|,\s*sinh\s+(?:ngày\s+|năm\s+)?<d>\s*,"
# `được <agent> bổ nhiệm`: the appointing post or person, masked by the linker (`posts`).
_AGENT = rf"được\s+(?:{HONORIFIC}\s*)*<[rp]>"
_PIECE = rf"(?:{_BIRTH}|{_AGENT}|{_TIME}|{_TERM}|{_WORD}|<o>|<doc>|[,:;()\-]|¶)"
# A piece ending in a letter must end a word (`cử` is not the start of `cửa`).
_PIECE_RE = re.compile(rf"\s*{_PIECE}(?:(?<=\w)(?!\w)|(?<!\w))")
_TIME_ONLY_RE = re.compile(rf"\s*(?:{_TIME}|{_TERM}|[,()\-]|¶)(?:(?<=\w)(?!\w)|(?<!\w))")
_MAX_GAP = 160  # characters: longer stretches are never one statement

# PERSON -> ROLE with nothing but punctuation or a birth note between: `A, Chủ tịch X`,
# `A - Chủ tịch X`, `A (Chủ tịch X)`, `A (sinh năm 1971), Ủy viên ...`.
_APPOSITION = re.compile(rf"(?:{_BIRTH})?\s*(?:,|-|:|\()\s*(?:¶\s*)?|\s*(?:{_BIRTH})\s*")
# ROLE -> PERSON: `Chủ tịch X Nguyễn A`, `Bộ trưởng, Đại tướng A`, `Chủ tịch xã là ông A`.
_ROLE_TO_PERSON = [
    (re.compile(r""), "apposition", "role_person"),
    (re.compile(rf"(?:,\s*<o>\s*)?(?:{HONORIFIC}\s*)+|,\s*<o>"), "apposition", "role_person"),
    (re.compile(rf",\s*(?:{HONORIFIC}\s*)+"), "apposition", "role_honorific_person"),
    (re.compile(rf",?\s*(?:hiện\s+|nay\s+|mới\s+)?là\s+(?:{HONORIFIC}\s*)*"), "other", "role_is_person"),
]
_DISMISS_FORWARD = re.compile(rf"(?:\s*(?:{_TIME}|{_TERM}|<o>|,|để nghỉ hưu|theo chế độ|theo nguyện vọng))*"
                              rf"\s*(?:đối với|với)\s+(?:{HONORIFIC}\s*)*")
# `giao quyền Cục trưởng ... cho ông A`: an (acting) appointment written post first.
_GIVEN_FORWARD = re.compile(rf"(?:\s*(?:{_TIME}|{_TERM}|<o>|,))*\s*cho\s+(?:{HONORIFIC}\s*)*")
_GIVEN_BEFORE_ROLE = re.compile(r"(?<!\w)(?:giao|trao|giao lại)(?:\s+(?:quyền|nhiệm vụ|chức|chức vụ))?\s*$")
_DISMISS_BEFORE_ROLE = re.compile(
    rf"(?<!\w)(?:miễn nhiệm|cách|cho thôi|thôi|bãi nhiệm)(?:\s+(?:giữ|làm|tất cả))?(?:\s+(?:các\s+)?(?:chức vụ|chức|nhiệm vụ))?\s*(?:nguyên\s+|quyền\s+)?$")
# `bầu bổ sung chức danh Phó Chủ tịch UBND tỉnh đối với ông A`.
_APPOINT_BEFORE_ROLE = re.compile(
    r"(?<!\w)(?:bầu bổ sung|bầu|bổ nhiệm lại|bổ nhiệm|phê chuẩn|chỉ định|công nhận)(?:\s+(?:chức danh|chức vụ|chức))?\s*$")
# `thay ông A`, `kế nhiệm bà B`: the post named before was A's.
_REPLACED = re.compile(rf"(?:\s*(?:{_TIME}|{_TERM}|<o>|,))*\s*(?:thay thế|thay|kế nhiệm)(?:\s+cho)?\s+(?:{HONORIFIC}\s*)*")
# The opening of a career line: `8/2002 - 4/2008:`, `- Từ 1/2014 - 8/2017:`, `Từ 2015 đến nay: là`,
# `; từ 4/2003 - 9/2009 là`, `; năm 2017 được điều động làm`; after a colon, optionally a job
# that is not a ROLE entity (`Cán bộ,`, `Giảng viên,`).
_CAREER_DATES = re.compile(
    r"\s*(?:[-+•*]\s*)?(?:\d{1,2}\s*[.)]\s*)?(?:(?:từ|năm|tháng)\s+)?<d>"
    r"(?:\s*(?:-|đến|tới)\s*(?:<d>|nay|hiện nay))?(?:\s+(?:đến|tới)\s+(?:nay|hiện nay))?\s*")
_JOB = re.compile(r"\s*(?:[^\W\d_]+\s+){0,3}[^\W\d_]+\s*,\s*")
_BIO_FIELD = re.compile(r"\s*(?:[-+•*]\s*)?(?:chức vụ|chức danh|chức vụ hiện nay|chức vụ hiện tại"
                        r"|chức vụ đảng|chức vụ chính quyền)\s*:\s*")
_BULLET = re.compile(r"\s*[-+•*]?\s*")
_MODIFIER_TAIL = re.compile(r"(?:^|(?<=\s)|(?<=[,(\-]))(?:nguyên|quyền)\s*$")
_VERB_AT_END = re.compile(rf"(?<!\w)(?:{alt(APPOINT + DISMISS + HOLD)})\s*(?:nguyên\s+|quyền\s+)?$")
_RESPECTIVELY = re.compile(r"(?<!\w)lần lượt(?!\s+(?:qua|giữ|là))")


VERB_RULES = {"appointment": "person_appointed_role", "dismissal": "person_dismissed_role",
              "other": "person_is_role"}


@dataclass(frozen=True)
class Reading:
    """What an accepted gap says: the pattern it shows and the rule that read it."""

    pattern: str
    rule: str


def _strip_modifier(gap: str) -> str:
    return _MODIFIER_TAIL.sub("", gap).strip()


def verb_pattern(gap: str) -> str | None:
    """`dismissal`, `appointment` or `other` (là, làm, kiêm) for a gap with a verb, else None."""
    if _DISMISS_RE.search(gap):
        return "dismissal"
    if _APPOINT_RE.search(gap):
        return "appointment"
    return "other" if _VERB_RE.search(gap) else None


def _made_of(gap: str, piece: re.Pattern = _PIECE_RE) -> bool:
    """The whole gap is a run of known pieces, read greedily left to right (linear time)."""
    if len(gap) > _MAX_GAP:
        return False
    pos = 0
    while gap[pos:].strip():
        m = piece.match(gap, pos)
        if m is None or m.end() == pos:
            return False
        pos = m.end()
    return True


def _predicate(gap: str) -> bool:
    """Only known words, at least one verb, no sentence end; `;` only before a verb;
    a line break only after a comma."""
    if not _made_of(gap) or verb_pattern(gap) is None:
        return False
    if ";" in gap and verb_pattern(gap.rsplit(";", 1)[1]) is None:
        return False
    return "¶" not in gap or bool(re.search(r"[,;]\s*¶", gap))


# What a sentence may say about a person before it names a post: `A là người dân tộc
# M'nông, từng giữ chức ...`, `A sinh năm 1975, quê Thái Nguyên, từng là ...`.
_DESCRIPTION = re.compile(r"\s*(?:(?:đã|từng)\s+)?(?:là|vốn là|người|sinh|quê|năm nay|dân tộc|tốt nghiệp|có|từng học|tiến sĩ|thạc sĩ"
                          r"|kỹ sư|cử nhân|\d+ tuổi|nguyên|huyện|tỉnh|xã|thành phố|thị xã|quận|phường)"
                          r"(?:\s+(?:[^\W\d_][\w']*|<d>|<o>|\d+)){0,8}\s*")
_APPOINTED_BEFORE = re.compile(rf"(?<!\w)(?:{alt(APPOINT)})(?:\s+(?:lại|bổ sung|và giao))?\s*,?\s*(?:{HONORIFIC}\s*)*$")


_PASSIVE_BEFORE_AGENT = re.compile(rf"(?<!\w)được\s*(?:{HONORIFIC}\s*)*$")


def passive_agent(gap_before: str) -> bool:
    """`A được <agent> bổ nhiệm làm X`: the name or post after `được` is who appoints."""
    return bool(_PASSIVE_BEFORE_AGENT.search(gap_before))


_HYPOTHETICAL = re.compile(r"(?<!\w)(?:dự kiến|nếu|có thể|đề xuất|đề nghị|sẽ được xem xét)(?!\w)")


def hypothetical(clause_before: str) -> bool:
    """`Dự kiến HĐND tỉnh sẽ bầu ông làm ...`: a planned post is not (yet) held."""
    return bool(_HYPOTHETICAL.search(clause_before))


def appointed_before(text_before: str) -> bool:
    """`bổ nhiệm ông A, ..., làm X`: the verb before the name makes `làm X` an appointment."""
    return bool(_APPOINTED_BEFORE.search(text_before))


def _described(gap: str) -> str | None:
    """The predicate after leading descriptive clauses, or None when there are none."""
    parts = re.split(r"[,;]", gap)
    n = 1 if len(parts) > 1 and not parts[0].strip() else 0  # `A, nguyên chuyên viên <o>, hiện là`
    first = n
    while n < len(parts) - 1 and _DESCRIPTION.fullmatch(parts[n]):
        n += 1
    if n < len(parts):  # `, người đã hết tuổi quản lý và thôi giữ chức`
        m = re.fullmatch(r"(.+?)\s+và\s+(.+)", parts[n])
        if m and _DESCRIPTION.fullmatch(m.group(1)) and _predicate(m.group(2)):
            return ",".join([m.group(2)] + parts[n + 1:])
    return ",".join(parts[n:]) if n > first else None


def _career_opening(gap: str) -> bool:
    m = _CAREER_DATES.match(gap)
    if m is None:
        return False
    rest = gap[m.end():]
    colon = rest.startswith(":")
    rest = rest[1:] if colon else rest
    if rest.lstrip().startswith(","):
        return False
    if _predicate(rest):
        return True
    job = re.match(r"\s*(?:là|làm)\s+" if not colon else r"\s*(?:(?:là|làm)\s+)?", rest)
    if job is None:
        return False
    rest = rest[job.end():]
    job = _JOB.match(rest)  # `chuyên viên, rồi`, `là giảng viên,`
    if job:
        rest = rest[job.end():]
    return not rest.strip() or _predicate(rest) or bool(_CHAIN_AND.fullmatch(rest))


def read_head(gap: str, head: str) -> Reading | None:
    """PERSON/pronoun/career-start -> first ROLE. `head` is `person`, `pronoun` or `career`."""
    gap = _strip_modifier(gap)
    if head == "career":
        if _career_opening(gap):
            return Reading("career", "career_line")
        if _BIO_FIELD.fullmatch(gap) or _BULLET.fullmatch(gap):
            return Reading("other", "bio_field")
        return None
    if "¶" in gap and not re.fullmatch(r".*,\s*¶\s*", gap):
        return None
    if head == "person" and _APPOSITION.fullmatch(gap):
        rule = {"(": "person_paren_role", "-": "person_dash_role", ":": "person_dash_role"}.get(
            gap.replace("¶", "").strip()[-1:], "person_comma_role")
        return Reading("apposition", rule)
    described = _described(gap) if head in ("person", "pronoun") else None
    if described is not None and not described.strip() and head == "person":
        return Reading("apposition", "person_described_role")  # `A sinh năm 1979, nguyên Phó Chủ tịch ...`
    if described is not None and _predicate(described):
        gap = described
    if _predicate(gap):
        pattern = verb_pattern(gap)
        if head == "pronoun":
            return Reading("pronoun", f"pronoun_{pattern}")
        return Reading(pattern, VERB_RULES[pattern])
    return None


@dataclass(frozen=True)
class Link:
    """A chain gap between two ROLEs of one holder."""

    verb: str | None   # the pattern a verb in the gap shows, if any
    needs_verb: bool   # joined by `và`: only a list under a verb (`giữ chức A và B`)


_CHAIN_PLAIN = re.compile(r"\s*(?:,|-|,?\s*kiêm(?:\s+nhiệm)?|,?\s*đồng thời(?:\s+là)?|\)?\s*,)\s*")
_CHAIN_ORG = re.compile(r"\s*,\s*<o>\s*,\s*")
_JOINERS = re.compile(rf"(?<!\w)(?:và|{alt(SEQUENCE)})(?!\w)")
_CHAIN_AND = re.compile(rf"\s*[,;]?\s*(?:và|{alt(SEQUENCE)})\s*,?\s*")


def read_chain(gap: str) -> Link | None:
    """ROLE -> next ROLE of the same holder: `,`, `kiêm`, `(2004 - 2010),`, `, sau đó được
    bầu làm`, `; từ <d> là`, `và thôi giữ chức`."""
    gap = _strip_modifier(gap)
    if _CHAIN_PLAIN.fullmatch(gap) or _CHAIN_ORG.fullmatch(gap):
        return Link(None, False)
    if _CHAIN_AND.fullmatch(gap):
        return Link(None, True)
    if "¶" in gap and not re.fullmatch(r"[^¶]*[,;]\s*¶\s*", gap):
        return None
    if not _made_of(gap):
        return None
    if ";" in gap and verb_pattern(gap.rsplit(";", 1)[1]) is None:
        return None
    verb = verb_pattern(gap)
    if verb is None:
        # dates and terms only: `(2004 - 2010),`, `từ <d> đến <d>,`, `khóa XII,`, `phụ trách <o>,`;
        # with `và`/`rồi` too (`(cũ) và`), only under a verb
        joined = _JOINERS.sub(" , ", gap)
        if re.search(r"[,()\-]", joined) and _made_of(joined, _TIME_ONLY_RE):
            return Link(None, joined != gap)
        return None
    return Link(verb, False)


def read_forward(gap: str, before_role: str) -> Reading | None:
    """ROLE -> the PERSON after it; `before_role` is the folded text before the ROLE, for
    `miễn nhiệm chức vụ X đối với ông A`."""
    gap = gap.strip()
    for pattern, name, rule in _ROLE_TO_PERSON:
        if pattern.fullmatch(gap):
            if rule == "role_honorific_person" and _VERB_AT_END.search(before_role):
                return None  # `Khi ông làm Bí thư, đồng chí A là Chủ tịch`: the post is not A's
            return Reading(name, rule)
    if _DISMISS_FORWARD.fullmatch(gap) and _DISMISS_BEFORE_ROLE.search(before_role):
        return Reading("dismissal", "dismissed_role_person")
    if _DISMISS_FORWARD.fullmatch(gap) and _APPOINT_BEFORE_ROLE.search(before_role):
        return Reading("appointment", "appointed_role_person")
    if _GIVEN_FORWARD.fullmatch(gap) and _GIVEN_BEFORE_ROLE.search(before_role):
        return Reading("appointment", "given_role_person")
    return None


_SUCCESSOR = re.compile(rf"\s*(?:là|sẽ là|chính là)\s+(?:{HONORIFIC}\s*)*")
_SUCCEEDS_BEFORE = re.compile(rf"(?<!\w)(?:kế nhiệm|thay thế|thay|người thay)\s+(?:{HONORIFIC}\s*)*$")


def read_successor(text_before_a: str, gap_a_b: str) -> bool:
    """`Người kế nhiệm ông A là đồng chí B`: B's new post was A's."""
    return bool(_SUCCEEDS_BEFORE.search(text_before_a) and _SUCCESSOR.fullmatch(gap_a_b))


def read_replaced(gap: str) -> bool:
    """ROLE ... `thay ông A`: the post was A's."""
    return bool(_REPLACED.fullmatch(gap.strip()))


def respectively(gap: str) -> bool:
    """`A và B lần lượt được bầu làm X và Y` pairs names and posts in order: not linked."""
    return bool(_RESPECTIVELY.search(gap))


