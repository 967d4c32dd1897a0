"""Raw text -> normalised text with an exact map back to the raw string; sentence spans.

Everything downstream (segmentation, the tokenizer) sees the normalised text, but every
offset the package hands out refers to the caller's raw string. `NormalizedText.to_raw`
is the only way back.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Tone marks as combining characters (grave, acute, tilde, hook above, dot below).
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# Characters that vanish: zero-width spaces/joiners, soft hyphen, BOM.
_DROP = {"\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"}
# Line breaks stay line breaks: a headline, caption or dateline ends at one.
_LINE_BREAKS = {"\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"}
_VOWEL_AFTER = {"o": "ae", "u": "y"}  # oa, oe, uy: the pairs whose tone placement varies


@dataclass(frozen=True)
class NormalizationSettings:
    """What `normalize` does; saved with a model so inference repeats training exactly."""

    tone_style: str = "old"  # "old" (hoá, Uỷ: PhoBERT's vocabulary), "new" (hóa, Ủy) or "keep"
    unify_spaces: bool = True  # NBSP, tabs, control characters -> plain space

    def to_dict(self) -> dict:
        return {"tone_style": self.tone_style, "unify_spaces": self.unify_spaces}

    @classmethod
    def from_dict(cls, data: dict | None) -> "NormalizationSettings":
        data = data or {}
        style = data.get("tone_style", "old")
        if style not in ("old", "new", "keep"):
            raise ValueError(f"tone_style must be 'old', 'new' or 'keep', got {style!r}")
        return cls(tone_style=style, unify_spaces=bool(data.get("unify_spaces", True)))


@dataclass(frozen=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, the raw range it came from."""

    raw: str
    text: str
    starts: tuple[int, ...]  # raw start of normalised char i
    ends: tuple[int, ...]  # raw end of normalised char i

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of the normalised text to the raw string."""
        if start >= end:
            pos = self.starts[start] if start < len(self.starts) else len(self.raw)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


@lru_cache(maxsize=8192)  # per character: news uses a few hundred distinct ones
def _is_space_like(ch: str) -> bool:
    if ch.isspace():
        return True
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Zs", "Zl", "Zp")


def _clusters(raw: str):
    """Yield (start, end) of base characters with their combining marks."""
    i, n = 0, len(raw)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(raw[j]):
            j += 1
        yield i, j
        i = j


@lru_cache(maxsize=8192)
def _split_tone(ch: str) -> tuple[str, str]:
    """'ó' -> ('o', U+0301); 'ơ' -> ('ơ', '')."""
    d = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in d if c in _TONES)
    base = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
    return base, tone


def _retone(a: str, b: str, style: str) -> tuple[str, str]:
    """Move the tone within an oa/oe/uy pair that ends a syllable to the given style."""
    base_a, tone_a = _split_tone(a)
    base_b, tone_b = _split_tone(b)
    if base_a.lower() not in _VOWEL_AFTER or base_b.lower() not in _VOWEL_AFTER[base_a.lower()]:
        return a, b
    tone = tone_a or tone_b
    if not tone or (tone_a and tone_b):
        return a, b
    if style == "old":
        return base_a, unicodedata.normalize("NFC", base_b + tone)
    return unicodedata.normalize("NFC", base_a + tone), base_b


_LETTER = re.compile(r"\w", re.UNICODE)


def _fix_tone_placement(chars: list[str], style: str) -> None:
    """In place: oa/oe/uy at the end of a syllable carry the tone where `style` puts it."""
    n = len(chars)
    for i in range(n - 1):
        a, b = chars[i], chars[i + 1]
        if len(a) != 1 or len(b) != 1:
            continue
        la = _split_tone(a)[0].lower()
        if la not in _VOWEL_AFTER:
            continue
        nxt = chars[i + 2] if i + 2 < n else ""
        if nxt and _LETTER.match(nxt):
            continue  # a final consonant follows: placement is fixed (hoàn, thuyền)
        prev = chars[i - 1] if i > 0 else ""
        if la == "u" and prev.lower() == "q":
            continue  # qu + y: the u is part of the onset (quý)
        chars[i], chars[i + 1] = _retone(a, b, style)


def normalize(raw: str, settings: NormalizationSettings | None = None) -> NormalizedText:
    """NFC, one tone placement, plain spaces; keeps an exact raw-offset map."""
    settings = settings or NormalizationSettings()
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for s, e in _clusters(raw):
        piece = raw[s:e]
        if piece in _DROP:
            continue
        if settings.unify_spaces and len(piece) == 1 and _is_space_like(piece):
            piece = "\n" if piece in _LINE_BREAKS else " "
        else:
            piece = unicodedata.normalize("NFC", piece)
        for ch in piece:
            out.append(ch)
            starts.append(s)
            ends.append(e)
    if settings.tone_style != "keep":
        _fix_tone_placement(out, settings.tone_style)
    return NormalizedText(raw=raw, text="".join(out), starts=tuple(starts), ends=tuple(ends))


# Abbreviations after which a full stop does not end a sentence.
_NO_BREAK_BEFORE_DOT = {
    "tp", "tx", "gs", "pgs", "ts", "ths", "bs", "ks", "ls", "th.s", "tt", "q", "p", "st",
    "mr", "mrs", "dr", "v.v", "vv", "tr", "nxb", "ck", "sđd", "đ/c",
}
def _is_abbreviation(word: str) -> bool:
    w = word.lower().lstrip("(\"“")
    return w in _NO_BREAK_BEFORE_DOT or w.split(".")[-1] in _NO_BREAK_BEFORE_DOT


_SENT_END = re.compile(r"[.!?…]+[\"”’»)\]]*(?=\s)")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Half-open spans of the sentences in `text`, whitespace trimmed.

    Every line break ends a sentence (headlines, captions and datelines stand on their own
    line in news pages); inside a line a sentence ends at . ! ? … followed by a space and
    an upper-case letter, digit or opening quote, unless the dot closes an abbreviation.
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n\r]+", text):
        ls, le = line.span()
        cut = ls
        for m in _SENT_END.finditer(text, ls, le):
            end = m.end()
            rest = text[end:le].lstrip()
            if not rest:
                continue
            first = rest[0]
            if not (first.isupper() or first.isdigit() or first in "\"“‘«(["):
                continue
            word = re.search(r"(\S+)$", text[cut:m.start()])
            if m.group(0).startswith(".") and word and _is_abbreviation(word.group(1)):
                continue
            spans.append((cut, end))
            cut = end
        spans.append((cut, le))
    trimmed = []
    for s, e in spans:
        seg = text[s:e]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        if e - trail > s + lead:
            trimmed.append((s + lead, e - trail))
    return trimmed
