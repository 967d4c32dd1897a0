import unicodedata

import pytest

from model.segment import to_words
from model.text import NormalizationSettings, normalize, sentence_spans

TRICKY = [
    "Ủy ban nhân dân tỉnh Thanh Hóa",
    "Uỷ ban nhân dân tỉnh Thanh Hoá",
    unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh Thanh Hóa họp ngày 6/7"),
    "Chủ\u00a0tịch\tUBND  tỉnh\u200b Nghệ An\r\nphát biểu",
    "Mixed: " + unicodedata.normalize("NFD", "Thủy") + " và Thuỷ, quý, hoàn",
    "emoji 😀 and control \x07 chars \u2028 line",
]


@pytest.mark.parametrize("raw", TRICKY)
def test_normalised_chars_map_back_exactly(raw):
    n = normalize(raw)
    assert len(n.starts) == len(n.text) == len(n.ends)
    for i, ch in enumerate(n.text):
        piece = raw[n.starts[i]:n.ends[i]]
        assert piece  # every normalised character comes from raw text
        if ch not in " \n":
            same = unicodedata.normalize("NFC", piece).lower()
            assert ch.lower() in same or unicodedata.normalize("NFD", ch)[0].lower() in unicodedata.normalize("NFD", same)


def test_tone_placement_old_and_new():
    assert normalize("Ủy ban hóa Thủy quý hoàn toàn Hòa").text == "Uỷ ban hoá Thuỷ quý hoàn toàn Hoà"
    new = NormalizationSettings(tone_style="new")
    assert normalize("Uỷ ban hoá Thuỷ", new).text == "Ủy ban hóa Thủy"
    keep = NormalizationSettings(tone_style="keep")
    assert normalize("Ủy Uỷ", keep).text == "Ủy Uỷ"


def test_nfd_and_nfc_give_the_same_text():
    raw = "Thành ủy Hạ Long tổ chức Hội nghị"
    assert normalize(unicodedata.normalize("NFD", raw)).text == normalize(raw).text


@pytest.mark.parametrize("raw", TRICKY + ["", "   ", "\n\n", "a"])
@pytest.mark.parametrize("segmenter", ["syllable", "pyvi"])
def test_every_word_indexes_raw_text(raw, segmenter):
    for w in to_words(raw, segmenter):
        piece = raw[w.start:w.end]
        assert piece and piece == piece.strip()
        norm = normalize(piece).text
        assert "_".join(norm.split()) == w.text


def test_underthesea_words_index_raw_text():
    pytest.importorskip("underthesea")
    raw = unicodedata.normalize("NFD", "Đồng chí Nguyễn Văn Đô, Phó Bí thư Thành uỷ Móng Cái dự hội nghị.")
    words = to_words(raw, "underthesea")
    assert any("_" in w.text for w in words)
    for w in words:
        assert "_".join(normalize(raw[w.start:w.end]).text.split()) == w.text


def test_sentences_split_lines_and_full_stops_not_abbreviations():
    text = "Tiêu đề bài\nNgày 6/7, TP. Hạ Long họp. Ông A phát biểu! GS.TS. Lê B dự.\nẢnh: Minh Đức"
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == ["Tiêu đề bài", "Ngày 6/7, TP. Hạ Long họp.", "Ông A phát biểu!", "GS.TS. Lê B dự.", "Ảnh: Minh Đức"]


def test_punctuation_is_detached_from_words():
    raw = "theo Quyết định số 15/QĐ-UBND. Ông “Nam” (xã An Phú)"
    forms = [w.text for w in to_words(raw, "pyvi")]
    assert "." in forms and "“" in forms and "(" in forms
    assert all(not f.endswith(".") for f in forms if f != ".")


def test_line_breaks_survive_normalisation_and_end_words():
    raw = "Ảnh: Thu Hà\nHoàng Quân phát biểu\r\nTP Hạ Long\u2028ngày 6/7"
    assert normalize(raw).text.count("\n") == 4
    for w in to_words(raw, "pyvi"):
        assert "\n" not in raw[w.start:w.end] and "\r" not in raw[w.start:w.end]
