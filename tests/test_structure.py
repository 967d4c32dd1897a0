"""The structure layer: dates to ISO 8601, documents parsed, post holders linked, the
people table and the structure evaluation. Sentences are hand-written; entity offsets
come from inline tags (`training.authoring.parse_body`), never typed by hand."""
from __future__ import annotations

import csv
import json
from datetime import date

import pytest

from model.structure import clean_entities, extract_structure, find_anchor_date
from model.structure.dates import fold, normalise_dates, parse_date
from model.structure.documents import link_documents, parse_document
from model.structure.posts import link_posts, parse_role, resolve_names
from model.structure.table import COLUMNS, people_table, read_reports, write_csv, write_html
from training.authoring import parse_body

ANCHOR = date(2022, 7, 6)


def tagged(body: str) -> tuple[str, list[dict]]:
    """Inline-tagged text -> (raw text, entity dicts with text)."""
    text, spans = parse_body(body)
    return text, [{"label": s.label, "start": s.start, "end": s.end, "text": text[s.start:s.end], "score": 1.0}
                  for s in spans]


def links_of(body: str, field: str = "rule") -> list[tuple[str, str, str]]:
    """(person name, role text, the link's `rule` or `pattern`) for an inline-tagged text."""
    text, ents = tagged(body)
    return [(l["person"]["name"], l["role"]["text"], l[field]) for l in link_posts(text, ents)[0]]


# ============================================================================ dates


@pytest.mark.parametrize("text, value, kind", [
    ("ngày 27/02/2017", "2017-02-27", "date"),
    ("06/07/2022", "2022-07-06", "date"),
    ("27-02-2017", "2017-02-27", "date"),
    ("27.02.2017", "2017-02-27", "date"),
    ("ngày 27 tháng 02 năm 2017", "2017-02-27", "date"),
    ("ngày 5 tháng 3 năm 2024", "2024-03-05", "date"),
    ("ngày mùng 2 tháng 9 năm 1945", "1945-09-02", "date"),
    ("tháng 7/2022", "2022-07", "month"),
    ("tháng 7 năm 2022", "2022-07", "month"),
    ("tháng 12-2021", "2021-12", "month"),
    ("năm 2022", "2022", "year"),
    ("2019", "2019", "year"),
    ("quý III/2022", "2022-Q3", "quarter"),
    ("quý 4 năm 2021", "2021-Q4", "quarter"),
    ("Quý II/2023", "2023-Q2", "quarter"),
    ("6 tháng đầu năm 2022", "2022-01/2022-06", "period"),
    ("6 tháng cuối năm 2022", "2022-07/2022-12", "period"),
    ("sáu tháng đầu năm 2021", "2021-01/2021-06", "period"),
    ("nửa đầu năm 2021", "2021-01/2021-06", "period"),
    ("9 tháng năm 2023", "2023-01/2023-09", "period"),
    ("2017-2020", "2017/2020", "range"),
    ("2021 – 2025", "2021/2025", "range"),
    ("năm 2024-2025", "2024/2025", "range"),
    ("quý I - III/2022", "2022-01/2022-09", "range"),
    ("tháng 3 đến tháng 5/2024", "2024-03/2024-05", "range"),
    ("từ 15/12/2023 đến 15/1", "2023-12-15/2024-01-15", "range"),
    ("15/12 - 15/1/2024", "2023-12-15/2024-01-15", "range"),
    ("ngày 2 đến ngày 9/3/2024", "2024-03-02/2024-03-09", "range"),
    ("ngày 26 và 27/9/2022", "2022-09-26/2022-09-27", "range"),  # consecutive: exactly an interval
    ("tháng 8 và tháng 9/2025", "2025-08/2025-09", "range"),
    ("31/12/2023 và 1/1/2024", "2023-12-31/2024-01-01", "range"),
    ("Thứ Năm, 10/01/2019", "2019-01-10", "date"),
])
def test_dates_with_their_own_year(text, value, kind):
    out = parse_date(text)  # no anchor needed
    assert (out["value"], out["kind"], out["anchored"], out["reason"]) == (value, kind, False, None)


@pytest.mark.parametrize("text, value, kind", [
    ("ngày 6/7", "2022-07-06", "date"),
    ("28-6", "2022-06-28", "date"),
    ("sáng 28-6", "2022-06-28", "date"),
    ("hôm 12/8", "2022-08-12", "date"),
    ("tháng 7", "2022-07", "month"),
    ("tháng chín", "2022-09", "month"),
    ("tháng Giêng", "2022-01", "month"),
    ("tháng Tư", "2022-04", "month"),
    ("quý I", "2022-Q1", "quarter"),
    ("6 tháng đầu năm", "2022-01/2022-06", "period"),
    ("3 đến 15/9", "2022-09-03/2022-09-15", "range"),
    ("từ 2/3 đến 9/3", "2022-03-02/2022-03-09", "range"),
    ("3-5/9", "2022-09-03/2022-09-05", "range"),
])
def test_dates_without_year_take_the_anchor_year(text, value, kind):
    out = parse_date(text, ANCHOR)
    assert (out["value"], out["kind"], out["anchored"]) == (value, kind, True)


@pytest.mark.parametrize("text, value, qualifier", [
    ("cuối năm 2023", "2023", "end"),
    ("đầu năm 2024", "2024", "start"),
    ("giữa tháng 7/2022", "2022-07", "middle"),
    ("trung tuần tháng 3/2024", "2024-03", "middle"),
])
def test_start_and_end_of_period_keep_the_containing_value(text, value, qualifier):
    out = parse_date(text)
    assert (out["value"], out["kind"], out["qualifier"]) == (value, "period", qualifier)


@pytest.mark.parametrize("text, kind, reason_part", [
    ("ngày 6/7", "date", "no year"),
    ("tháng Giêng", "month", "no year"),
    ("quý I", "quarter", "no year"),
    ("6 tháng đầu năm", "period", "no year"),
    ("3 đến 15/9", "range", "no year"),
    ("31/02/2022", "date", "not a valid calendar date"),
    ("ngày 32/1/2020", "date", "not a valid calendar date"),
    ("quý V/2022", None, "unrecognised"),
    ("27/2/17", "date", "two-digit year"),
    ("ngày 15", "date", "day without its month"),
    ("cuối năm", None, "vague"),
    ("năm nay", None, "vague"),
    ("ngày 6 và 9/7/2022", None, "list of dates"),
    ("ngày 3, 5 và 9/7/2022", None, "list of dates"),
    ("rằm tháng Giêng", None, "lunar"),
    ("rằm tháng Giêng âm lịch", None, "lunar"),
    ("năm 2020 đến năm 2017", "range", "ends before it starts"),
    ("dịp Tết Nguyên đán", None, "unrecognised"),
])
def test_unresolvable_dates_say_why_instead_of_guessing(text, kind, reason_part):
    out = parse_date(text)
    assert out["value"] is None
    assert out["kind"] == kind
    assert reason_part in out["reason"]


def test_dates_accept_old_tone_placement_and_nfd():
    import unicodedata

    assert parse_date(unicodedata.normalize("NFD", "tháng chín năm 2020"))["value"] == "2020-09"
    assert parse_date("Quý III/2022")["value"] == "2022-Q3"


def test_normalise_dates_keeps_spans():
    text, ents = tagged("Sáng <DATE>28-6</DATE>, hội nghị sơ kết <DATE>6 tháng đầu năm 2022</DATE>.")
    out = normalise_dates(text, ents, ANCHOR)
    assert [(d["text"], d["value"]) for d in out] == [
        ("28-6", "2022-06-28"), ("6 tháng đầu năm 2022", "2022-01/2022-06")]
    assert all(text[d["start"]:d["end"]] == d["text"] for d in out)
    assert set(out[0]) >= {"start", "end", "text", "value", "kind", "anchored", "reason"}


@pytest.mark.parametrize("header, expected", [
    ("Hội nghị tổng kết\n06/07/2022 16:48\nSáng nay...", date(2022, 7, 6)),
    ("Tin mới (Cập nhật lúc 08:35 ngày 12/03/2024)\nNội dung", date(2024, 3, 12)),
    ("Hà Nội, ngày 5 tháng 3 năm 2024\nKính gửi...", date(2024, 3, 5)),
    ("Thứ Năm, 10/01/2019 16:45\nChiều ngày 9/1 ...", date(2019, 1, 10)),
    ("Số: 15/2021/QĐ-UBND\t\tLạng Sơn, ngày 5 tháng 3 năm 2021", date(2021, 3, 5)),
    ("16:48 06/07/2022\nBài viết", date(2022, 7, 6)),
    ("Nghị trường nóng\nBài viết: Thu Hằng | 16/12/2019\nPhiên chất vấn", date(2019, 12, 16)),
])
def test_find_anchor_date_reads_the_dateline(header, expected):
    assert find_anchor_date(header) == expected


@pytest.mark.parametrize("header", [
    "Theo đó, ngày 25/10/2017 Ban Chấp hành ban hành Nghị quyết.",  # a date mentioned, not the article's
    "Chiều ngày 9/1, hội nghị khai mạc.",
    "",
    "Cập nhật lúc 08:35 ngày 31/02/2024",  # impossible date
])
def test_find_anchor_date_does_not_guess(header):
    assert find_anchor_date(header) is None


def test_find_anchor_date_looks_only_at_the_head():
    body = "Tiêu đề\n" + "Nội dung bài viết dài.\n" * 40 + "06/07/2022 16:48"
    assert find_anchor_date(body) is None


# ============================================================================ documents


@pytest.mark.parametrize("text, kind, number, year, symbol, identifier", [
    ("Đề án số 03-ĐA/TU", "Đề án", "03", None, "03-ĐA/TU", "03-ĐA/TU"),
    ("Quy định số 2041 –QĐ/TU", "Quy định", "2041", None, "2041 –QĐ/TU", "2041-QĐ/TU"),
    ("Nghị quyết số 18-NQ/TW", "Nghị quyết", "18", None, "18-NQ/TW", "18-NQ/TW"),
    ("Quyết định 1234/QĐ-UBND", "Quyết định", "1234", None, "1234/QĐ-UBND", "1234/QĐ-UBND"),
    ("Nghị định 30/2020/NĐ-CP", "Nghị định", "30", "2020", "30/2020/NĐ-CP", "30/2020/NĐ-CP"),
    ("Nghị quyết 25/NQ - HĐND", "Nghị quyết", "25", None, "25/NQ - HĐND", "25/NQ-HĐND"),
    ("Quyết định số 123/QĐ-TTg", "Quyết định", "123", None, "123/QĐ-TTg", "123/QĐ-TTg"),
    ("Luật số 45/2013/QH13", "Luật", "45", "2013", "45/2013/QH13", "45/2013/QH13"),
    ("15/2021/QĐ-UBND", "Quyết định", "15", "2021", "15/2021/QĐ-UBND", "15/2021/QĐ-UBND"),
    ("số 19-NQ/TW", "Nghị quyết", "19", None, "19-NQ/TW", "19-NQ/TW"),
    ("Thông tư 17 năm 2012", "Thông tư", "17", "2012", None, "Thông tư 17/2012"),
    ("Đề án 03", "Đề án", "03", None, None, "Đề án 03"),
    ("Chỉ thị 05", "Chỉ thị", "05", None, None, "Chỉ thị 05"),
    ("Luật Đất đai 2024", "Luật", None, "2024", None, "Luật Đất đai 2024"),
    ("Luật Đất đai năm 2024", "Luật", None, "2024", None, "Luật Đất đai 2024"),
    ("Hiến pháp năm 2013", "Hiến pháp", None, "2013", None, "Hiến pháp 2013"),
    ("Nghị quyết Đại hội XIII", "Nghị quyết", None, None, None, "Nghị quyết Đại hội XIII"),
    ("Nghị quyết Trung ương 4 khóa XII", "Nghị quyết", None, None, None, "Nghị quyết Trung ương 4 khóa XII"),
    ("Điều lệ Đảng", "Điều lệ", None, None, None, "Điều lệ Đảng"),
    ("Bộ luật Hình sự", "Bộ luật", None, None, None, "Bộ luật Hình sự"),
    ("luật đất đai", "Luật", None, None, None, "Luật đất đai"),
    ("Bản án hình sự sơ thẩm số 45/2019/HS-ST", "Bản án", "45", "2019", "45/2019/HS-ST", "45/2019/HS-ST"),
    # older and looser styles (corpus v2: 2000s news, legal explainers)
    # a symbol missing its dash is given canonically (the structure gold's convention)
    ("quyết định số 700 QĐ/TTG", "Quyết định", "700", None, "700-QĐ/TTG", "700-QĐ/TTG"),
    ("Nghị định 51/1999", "Nghị định", "51", "1999", None, "Nghị định 51/1999"),
    ("Quyết định số 4168/2006", "Quyết định", "4168", "2006", None, "Quyết định 4168/2006"),
    ("công văn 1732/VPCP", "Công văn", "1732", None, "1732/VPCP", "1732/VPCP"),
    ("Quyết định 2590/QĐ-BGDĐT năm 2025", "Quyết định", "2590", "2025", "2590/QĐ-BGDĐT", "2590/QĐ-BGDĐT"),
    ("Quyết định 1537/QĐ-UBND 2025", "Quyết định", "1537", "2025", "1537/QĐ-UBND", "1537/QĐ-UBND"),
    ("số 12/2025/TT-BTC", "Thông tư", "12", "2025", "12/2025/TT-BTC", "12/2025/TT-BTC"),
    ("QĐ số 88 QĐ/UB", "Quyết định", "88", None, "88-QĐ/UB", "88-QĐ/UB"),
    ("CV 215/UBND", "Công văn", "215", None, "215/UBND", "215/UBND"),
    # issue #16: long kind names, number-year symbols, Vietnamese letters in codes, trailing years
    ("Trích lục bản đồ địa chính số 979/TLBĐ", "Trích lục bản đồ địa chính", "979", None, "979/TLBĐ", "979/TLBĐ"),
    ("Biên bản vi phạm hành chính số 19/BB-VPHC", "Biên bản", "19", None, "19/BB-VPHC", "19/BB-VPHC"),
    ("Hiến chương ASEAN", "Hiến chương", None, None, None, "Hiến chương ASEAN"),
    ("Nghị quyết số 19-2016/NQ-CP", "Nghị quyết", "19", "2016", "19-2016/NQ-CP", "19-2016/NQ-CP"),
    ("Kế hoạch số 423/KH-BCĐTƯATTP", "Kế hoạch", "423", None, "423/KH-BCĐTƯATTP", "423/KH-BCĐTƯATTP"),
    ("Nghị định 51/CP năm 1996", "Nghị định", "51", "1996", "51/CP", "51/CP"),
    ("Quyết định 2871/QĐ-UBND 2022", "Quyết định", "2871", "2022", "2871/QĐ-UBND", "2871/QĐ-UBND"),
    ("Nghị quyết Trung ương 4 khoá XII", "Nghị quyết", None, None, None, "Nghị quyết Trung ương 4 khoá XII"),
])
def test_parse_document(text, kind, number, year, symbol, identifier):
    out = parse_document(text)
    assert (out["kind"], out["number"], out["year"], out["symbol"], out["identifier"]) == (
        kind, number, year, symbol, identifier)


@pytest.mark.parametrize("text, code, type_code, issuer_code", [
    ("Đề án số 03-ĐA/TU", "ĐA/TU", "ĐA", "TU"),
    ("Quyết định số 123/QĐ-TTg", "QĐ-TTg", "QĐ", "TTg"),
    ("Nghị định 30/2020/NĐ-CP", "NĐ-CP", "NĐ", "CP"),
    ("Luật số 45/2013/QH13", "QH13", None, "QH13"),
    ("Công văn số 215/UBND-VX", "UBND-VX", None, "UBND-VX"),
    ("Luật Đất đai 2024", None, None, None),
])
def test_document_codes(text, code, type_code, issuer_code):
    out = parse_document(text)
    assert (out["code"], out["type_code"], out["issuer_code"]) == (code, type_code, issuer_code)


def test_party_qd_symbol_without_kind_word_is_not_guessed():
    """`-QĐ/TW` is Quyết định or Quy định; only the state shape `/QĐ-` says Quyết định."""
    assert parse_document("số 105-QĐ/TW")["kind"] is None
    assert parse_document("Quy định số 105-QĐ/TW")["kind"] == "Quy định"


def test_document_symbol_with_look_alike_characters():
    out = parse_document("Quy định số 2041 \u2014 Q\u00d0/TU")  # em dash, Latin capital eth
    assert out["identifier"] == "2041-QĐ/TU"


def test_document_followed_by_date_and_issuer():
    text, ents = tagged('Thực hiện <DOC>Đề án số 05-ĐA/TU</DOC> <DATE>ngày 14/3/2018</DATE> của '
                        '<ORG>BTV Thành ủy</ORG> về “Tăng cường công tác dân vận”.')
    dates = normalise_dates(text, ents)
    (doc,) = link_documents(text, ents, dates)
    assert doc["identifier"] == "05-ĐA/TU"
    assert (doc["date"]["text"], doc["date"]["value"]) == ("ngày 14/3/2018", "2018-03-14")
    assert (doc["issuer"]["text"], doc["issuer"]["label"]) == ("BTV Thành ủy", "ORG")
    assert text[doc["start"]:doc["end"]] == doc["text"]


def test_document_issuer_before_date_with_term_and_role_issuer():
    text, ents = tagged('<DOC>Nghị quyết số 20-NQ/TW</DOC> của <ORG>Ban Chấp hành Trung ương</ORG> khóa XII '
                        '<DATE>ngày 25/10/2017</DATE>; <DOC>Quyết định 88/QĐ-UBND</DOC> của '
                        '<ROLE>Chủ tịch UBND tỉnh</ROLE> về việc giao chỉ tiêu.')
    first, second = link_documents(text, ents, normalise_dates(text, ents))
    assert first["issuer"]["text"] == "Ban Chấp hành Trung ương" and first["date"]["value"] == "2017-10-25"
    assert second["issuer"]["label"] == "ROLE" and second["date"] is None


def test_document_note_in_brackets_does_not_break_the_link():
    text, ents = tagged("<DOC>Luật Quản lý thuế</DOC> (sửa đổi) <DATE>năm 2019</DATE> của <ORG>Quốc hội</ORG>")
    (doc,) = link_documents(text, ents, normalise_dates(text, ents))
    assert doc["date"]["value"] == "2019" and doc["issuer"]["text"] == "Quốc hội"


def test_coordinated_documents_share_date_and_issuer():
    text, ents = tagged("quán triệt <DOC>Nghị quyết số 18-NQ/TW</DOC> và <DOC>Nghị quyết số 19-NQ/TW</DOC> "
                        "<DATE>ngày 25/10/2017</DATE> của <ORG>BCH Trung ương</ORG>")
    first, second = link_documents(text, ents, normalise_dates(text, ents))
    assert first["date"]["value"] == second["date"]["value"] == "2017-10-25"
    assert first["date"]["shared"] and not second["date"]["shared"]
    assert first["issuer"]["text"] == "BCH Trung ương"


def test_number_without_kind_word_takes_the_kind_of_its_coordinated_neighbour():
    text, ents = tagged("theo <DOC>Nghị định 15/2020</DOC> và <DOC>số 123</DOC> của <ORG>Chính phủ</ORG>")
    first, second = link_documents(text, ents, normalise_dates(text, ents))
    assert second["kind"] == "Nghị định" and second["identifier"] == "Nghị định 123"
    assert first["issuer"]["text"] == "Chính phủ"


def test_number_in_running_text_is_not_a_spaced_symbol():
    assert parse_document("Quyết định số 700")["identifier"] == "Quyết định 700"


def test_different_kinds_do_not_share_context():
    text, ents = tagged("<DOC>Nghị quyết số 18-NQ/TW</DOC> và <DOC>Chỉ thị số 05-CT/TU</DOC> "
                        "<DATE>ngày 3/4/2021</DATE> của <ORG>Tỉnh ủy</ORG>")
    first, _ = link_documents(text, ents, normalise_dates(text, ents))
    assert first["date"] is None and first["issuer"] is None


def test_unrelated_text_between_document_and_date_blocks_the_link():
    text, ents = tagged("Theo <DOC>Kế hoạch số 12-KH/TU</DOC>, các đơn vị hoàn thành trước "
                        "<DATE>ngày 30/6/2023</DATE>.")
    (doc,) = link_documents(text, ents, normalise_dates(text, ents))
    assert doc["date"] is None


def test_short_reference_resolves_to_the_full_symbol():
    text, ents = tagged("Triển khai <DOC>Đề án số 03-ĐA/TU</DOC>. Sau 5 năm, <DOC>Đề án 3</DOC> đạt kết quả; "
                        "<DOC>Chỉ thị 05</DOC> chưa có số hiệu đầy đủ.")
    docs = link_documents(text, ents)
    assert [d["refers_to"] for d in docs] == [None, "03-ĐA/TU", None]


# ============================================================================ roles


@pytest.mark.parametrize("text, title, body", [
    ("Phó Bí thư thường trực Thành ủy Móng Cái", "Phó Bí thư thường trực", "Thành ủy Móng Cái"),
    ("Bí thư Thành ủy Hạ Long", "Bí thư", "Thành ủy Hạ Long"),
    ("Phó Chủ tịch UBND TP Móng Cái", "Phó Chủ tịch", "UBND TP Móng Cái"),
    ("Phó Chủ tịch Thường trực UBND tỉnh", "Phó Chủ tịch Thường trực", "UBND tỉnh"),
    ("Chủ tịch HĐND thành phố", "Chủ tịch", "HĐND thành phố"),
    ("Ủy viên BTV Thành ủy", "Ủy viên", "BTV Thành ủy"),
    ("Ủy viên Ban Thường vụ Tỉnh uỷ", "Ủy viên", "Ban Thường vụ Tỉnh uỷ"),
    ("Trưởng Ban Dân vận", "Trưởng Ban", "Ban Dân vận"),
    ("Trưởng Ban Tổ chức Tỉnh ủy", "Trưởng Ban", "Ban Tổ chức Tỉnh ủy"),
    ("Phó Trưởng Ban Thường trực Ban Dân vận Tỉnh ủy", "Phó Trưởng Ban Thường trực", "Ban Dân vận Tỉnh ủy"),
    ("Chánh Văn phòng Tỉnh ủy", "Chánh Văn phòng", "Văn phòng Tỉnh ủy"),
    ("Trưởng phòng Tổ chức cán bộ", "Trưởng phòng", "phòng Tổ chức cán bộ"),
    ("Chủ tịch UB MTTQ TP Móng Cái", "Chủ tịch", "UB MTTQ TP Móng Cái"),
    ("Chủ tịch Ủy ban MTTQ Việt Nam tỉnh", "Chủ tịch", "Ủy ban MTTQ Việt Nam tỉnh"),
    ("Bộ trưởng Bộ Tài chính", "Bộ trưởng", "Bộ Tài chính"),
    ("Ủy viên Bộ Chính trị", "Ủy viên", "Bộ Chính trị"),
    ("Ủy viên Trung ương Đảng", "Ủy viên", "Trung ương Đảng"),
    ("Viện trưởng Viện Kiểm sát nhân dân tỉnh", "Viện trưởng", "Viện Kiểm sát nhân dân tỉnh"),
    ("Chánh án Tòa án nhân dân huyện", "Chánh án", "Tòa án nhân dân huyện"),
    ("Giám đốc Công an tỉnh", "Giám đốc", "Công an tỉnh"),
    ("Giám đốc Sở Y tế", "Giám đốc", "Sở Y tế"),
    ("Thủ tướng Chính phủ", "Thủ tướng", "Chính phủ"),
    ("Đại biểu Quốc hội", "Đại biểu", "Quốc hội"),
    ("Bí thư Đảng ủy xã Hải Xuân", "Bí thư", "Đảng ủy xã Hải Xuân"),
    ("Bí thư thành ủy", "Bí thư", "thành ủy"),
    ("Phó Trưởng Đoàn chuyên trách Đoàn ĐBQH tỉnh", "Phó Trưởng Đoàn chuyên trách", "Đoàn ĐBQH tỉnh"),
    ("Trưởng thôn Phú Khê", "Trưởng thôn", "thôn Phú Khê"),
    ("Tỉnh ủy viên", "Tỉnh ủy viên", None),
    ("Tổng Bí thư", "Tổng Bí thư", None),
    ("Chủ tịch nước", "Chủ tịch nước", None),
    ("Giám đốc", "Giám đốc", None),
    ("Trưởng ban", "Trưởng ban", None),
])
def test_parse_role_title_and_body(text, title, body):
    out = parse_role(text)
    assert (out["title"], out["body"]) == (title, body)
    if body is not None:
        s, e = out["body_span"]
        assert text[s:e] == body


def test_lower_case_generic_words_are_not_body_heads():
    assert parse_role("Phó Chủ tịch phụ trách ban")["body"] is None


# ============================================================================ post holders


def test_list_pattern_with_semicolons():
    assert links_of("Các đồng chí: <PERSON>Hoàng Văn Nam</PERSON>, <ROLE>Tỉnh ủy viên</ROLE>, "
                    "<ROLE>Bí thư Thành ủy Hạ Long</ROLE>; <PERSON>Lê Thị Hoa</PERSON>, "
                    "<ROLE>Phó Chủ tịch UBND thành phố</ROLE> chủ trì.") == [
        ("Hoàng Văn Nam", "Tỉnh ủy viên", "person_comma_role"),
        ("Hoàng Văn Nam", "Bí thư Thành ủy Hạ Long", "person_comma_role"),
        ("Lê Thị Hoa", "Phó Chủ tịch UBND thành phố", "person_comma_role"),
    ]


def test_comma_separated_people_each_keep_their_roles():
    assert links_of("đồng chí <PERSON>Ngô Văn Tuấn</PERSON>, <ROLE>Chủ tịch UBND tỉnh</ROLE>, "
                    "<PERSON>Đỗ Thị Lan</PERSON>, <ROLE>Phó Chủ tịch HĐND tỉnh</ROLE> dự.") == [
        ("Ngô Văn Tuấn", "Chủ tịch UBND tỉnh", "person_comma_role"),
        ("Đỗ Thị Lan", "Phó Chủ tịch HĐND tỉnh", "person_comma_role"),
    ]


def test_role_before_name():
    assert links_of("<ROLE>Chủ tịch HĐND thành phố</ROLE> <PERSON>Lê Thị Minh Hà</PERSON> phát biểu.") == [
        ("Lê Thị Minh Hà", "Chủ tịch HĐND thành phố", "role_person")]


def test_chained_roles_before_name():
    assert links_of("<ROLE>Ủy viên Trung ương Đảng</ROLE>, <ROLE>Bí thư Thành ủy</ROLE> "
                    "<PERSON>Trần Quốc Hùng</PERSON> phát biểu.") == [
        ("Trần Quốc Hùng", "Ủy viên Trung ương Đảng", "chained_roles_person"),
        ("Trần Quốc Hùng", "Bí thư Thành ủy", "role_person"),
    ]


def test_apposition_wins_over_a_later_name():
    """`X, ROLE1, ROLE2 Y`: ROLE2 stands before Y; ROLE1 hangs from X."""
    assert links_of("đồng chí <PERSON>Đặng Quốc Khánh</PERSON>, <ROLE>Phó Bí thư Tỉnh ủy</ROLE>, "
                    "<ROLE>Chủ tịch HĐND tỉnh</ROLE> <PERSON>Mai Văn Yên</PERSON> dự.") == [
        ("Đặng Quốc Khánh", "Phó Bí thư Tỉnh ủy", "person_comma_role"),
        ("Mai Văn Yên", "Chủ tịch HĐND tỉnh", "role_person"),
    ]


@pytest.mark.parametrize("dash", ["–", "-", "—"])
def test_dash_pattern(dash):
    assert links_of(f"Đồng chí <PERSON>Vũ Văn Diện</PERSON> {dash} <ROLE>Chủ tịch UBND tỉnh</ROLE> phát biểu.") == [
        ("Vũ Văn Diện", "Chủ tịch UBND tỉnh", "person_dash_role")]


def test_parenthesis_and_is_patterns():
    assert links_of("ông <PERSON>Lý Văn Bình</PERSON> (<ROLE>Chủ tịch Hội Nông dân tỉnh</ROLE>) cho biết; "
                    "bà <PERSON>Chu Thị Mai</PERSON> là <ROLE>Giám đốc Sở Tài chính</ROLE>.") == [
        ("Lý Văn Bình", "Chủ tịch Hội Nông dân tỉnh", "person_paren_role"),
        ("Chu Thị Mai", "Giám đốc Sở Tài chính", "person_is_role"),
    ]


def test_role_then_honorific_then_name():
    text, ents = tagged("<ROLE>Bộ trưởng Bộ Công an</ROLE>, Đại tướng <PERSON>Lương Tam Quang</PERSON> dự.")
    (link,) = link_posts(text, ents)[0]
    assert (link["person"]["text"], link["rule"]) == ("Lương Tam Quang", "role_honorific_person")
    assert link["org"] == {"start": ents[0]["start"] + 10, "end": ents[0]["end"], "text": "Bộ Công an",
                           "source": "role"}


def test_kiem_joins_titles_of_one_person():
    assert links_of("ông <PERSON>Hà Văn Chung</PERSON>, <ROLE>Giám đốc Sở Xây dựng</ROLE> kiêm "
                    "<ROLE>Trưởng Ban quản lý dự án</ROLE>.") == [
        ("Hà Văn Chung", "Giám đốc Sở Xây dựng", "person_comma_role"),
        ("Hà Văn Chung", "Trưởng Ban quản lý dự án", "person_comma_role"),
    ]


def test_appointment_patterns():
    assert links_of("Đồng chí <PERSON>Lăng Văn Thạch</PERSON> tái đắc cử <ROLE>Bí thư Huyện ủy</ROLE>. "
                    "Đồng chí <PERSON>Mùi</PERSON> được bầu giữ chức "
                    "<ROLE>Chủ nhiệm Ủy ban Kiểm tra Huyện ủy</ROLE>.") == [
        ("Lăng Văn Thạch", "Bí thư Huyện ủy", "person_appointed_role"),
        ("Mùi", "Chủ nhiệm Ủy ban Kiểm tra Huyện ủy", "person_appointed_role"),
    ]


def test_new_post_after_current_one():
    """`X, ROLE_A được bầu làm ROLE_B`: both posts are X's."""
    assert links_of("Đồng chí <PERSON>Đinh Thị Ngọc Lan</PERSON>, <ROLE>Chủ tịch UBND huyện</ROLE> được bầu làm "
                    "<ROLE>Phó Bí thư Huyện ủy</ROLE>.") == [
        ("Đinh Thị Ngọc Lan", "Chủ tịch UBND huyện", "person_comma_role"),
        ("Đinh Thị Ngọc Lan", "Phó Bí thư Huyện ủy", "person_appointed_role"),
    ]


def test_respectively_lists_are_not_linked():
    assert links_of("Các đồng chí <PERSON>Lê Văn A</PERSON> và <PERSON>Lã Văn Đông</PERSON> lần lượt được chỉ định làm "
                    "<ROLE>Phó Bí thư Đảng ủy</ROLE> và <ROLE>Chủ nhiệm Ủy ban Kiểm tra Đảng ủy</ROLE>.") == []


def test_committee_member_list_with_dash():
    assert links_of("1. Ông <PERSON>Hoàng Văn Quỳnh</PERSON>, <ROLE>Phó Chủ tịch UBND tỉnh</ROLE> - "
                    "<ROLE>Tổ trưởng</ROLE>.\n2. Bà <PERSON>Lương Thị Mẫn</PERSON>, "
                    "<ROLE>Trưởng Ban Dân vận Tỉnh ủy</ROLE> - <ROLE>Tổ phó</ROLE>.") == [
        ("Hoàng Văn Quỳnh", "Phó Chủ tịch UBND tỉnh", "person_comma_role"),
        ("Hoàng Văn Quỳnh", "Tổ trưởng", "person_comma_role"),
        ("Lương Thị Mẫn", "Trưởng Ban Dân vận Tỉnh ủy", "person_comma_role"),
        ("Lương Thị Mẫn", "Tổ phó", "person_comma_role"),
    ]


def test_former_post_through_truoc_do_la():
    text, ents = tagged("Đồng chí <PERSON>Dũng</PERSON> trước đó là <ROLE>Phó Trưởng Ban Tổ chức Tỉnh ủy</ROLE>.")
    (link,) = link_posts(text, ents)[0]
    assert (link["rule"], link["role"]["modifier"]) == ("person_is_role", "nguyên")


def test_role_followed_by_org_entity():
    text, ents = tagged("ông <PERSON>Phạm Văn An</PERSON>, <ROLE>Giám đốc</ROLE> <ORG>Sở Y tế</ORG> cho biết.")
    (link,) = link_posts(text, ents)[0]
    assert link["org"]["text"] == "Sở Y tế" and link["org"]["source"] == "entity"
    assert text[link["evidence"][0]:link["evidence"][1]] == "Phạm Văn An, Giám đốc Sở Y tế"


def test_comma_org_after_subunit_role_and_chain_continues():
    text, ents = tagged("ông <PERSON>Phạm An</PERSON>, <ROLE>Trưởng phòng Tổ chức cán bộ</ROLE>, "
                        "<ORG>Sở Nội vụ</ORG>, <ROLE>Bí thư Chi bộ</ROLE> phát biểu.")
    links = link_posts(text, ents)[0]
    assert [(l["role"]["text"], l["org"]["text"], l["org"]["source"]) for l in links] == [
        ("Trưởng phòng Tổ chức cán bộ", "Sở Nội vụ", "entity"), ("Bí thư Chi bộ", "Chi bộ", "role")]


def test_comma_org_does_not_attach_to_a_role_with_its_own_body():
    text, ents = tagged("ông <PERSON>Tạ Minh</PERSON>, <ROLE>Phó Chủ tịch UBND tỉnh</ROLE>, <ORG>Sở Công Thương</ORG> "
                        "và các ngành dự.")
    (link,) = link_posts(text, ents)[0]
    assert link["org"]["text"] == "UBND tỉnh"


def test_former_and_acting_do_not_break_a_link():
    text, ents = tagged("đồng chí <PERSON>Nguyễn Văn Đọc</PERSON>, nguyên <ROLE>Bí thư Tỉnh ủy</ROLE>; "
                        "quyền <ROLE>Giám đốc Sở Nội vụ</ROLE> <PERSON>Lưu Hải</PERSON>")
    links, roles = link_posts(text, ents)
    assert [(l["person"]["text"], l["role"]["modifier"]) for l in links] == [
        ("Nguyễn Văn Đọc", "nguyên"), ("Lưu Hải", "quyền")]


def test_short_back_reference_resolves_to_full_name():
    links = links_of("Ông <PERSON>Trịnh Văn Cẩn</PERSON> phát biểu. Cũng theo ông <PERSON>Cẩn</PERSON>, "
                     "<ROLE>Giám đốc Sở Nội vụ</ROLE>, tỉnh sẽ sắp xếp bộ máy.")
    assert links == [("Trịnh Văn Cẩn", "Giám đốc Sở Nội vụ", "person_comma_role")]


def test_ambiguous_back_reference_stays_as_written():
    names = resolve_names([
        {"start": 0, "end": 14, "text": "Trần Quốc Hùng"}, {"start": 20, "end": 31, "text": "Lê Văn Hùng"},
        {"start": 40, "end": 44, "text": "Hùng"}, {"start": 50, "end": 58, "text": "Quốc Hùng"}])
    assert [(n["name"], n["antecedent"]) for n in names] == [
        ("Trần Quốc Hùng", None), ("Lê Văn Hùng", None), ("Hùng", None), ("Trần Quốc Hùng", [0, 14])]


def test_no_link_across_a_line_break_or_without_a_pattern():
    assert links_of("<PERSON>Thu Hằng</PERSON>\n<ROLE>Bí thư Tỉnh ủy</ROLE> chủ trì.") == []
    assert links_of("<PERSON>Lê Văn Tám</PERSON> gặp <ROLE>Bí thư Tỉnh ủy</ROLE>.") == []
    assert links_of("các đồng chí <ROLE>Phó Chủ tịch UBND tỉnh</ROLE> dự.") == []


def test_link_record_shape_and_evidence():
    text, ents = tagged("Đồng chí <PERSON>Hoàng Bá Nam</PERSON>, <ROLE>Ủy viên BTV Thành ủy</ROLE>, "
                        "<ROLE>Trưởng Ban Dân vận</ROLE> phát biểu.")
    links, roles = link_posts(text, ents)
    assert len(roles) == 2 and len(links) == 2
    first, second = links
    assert set(first) == {"person", "role", "org", "evidence", "confidence", "pattern", "rule", "subject",
                          "period", "status"}
    assert (first["pattern"], second["pattern"]) == ("apposition", "role_list")
    assert {"start", "end", "text", "title", "body"} <= set(first["role"])
    assert first["role"]["title"] == "Ủy viên" and first["role"]["body"] == "BTV Thành ủy"
    assert text[first["evidence"][0]:first["evidence"][1]] == "Hoàng Bá Nam, Ủy viên BTV Thành ủy"
    assert text[second["evidence"][0]:second["evidence"][1]].endswith("Trưởng Ban Dân vận")
    assert 0 < second["confidence"] <= first["confidence"] <= 1  # per-pattern table (model/structure/confidence.py)
    for link in links:
        for part in (link["person"], link["role"], link["org"]):
            assert text[part["start"]:part["end"]] == part["text"]


# ============================================================================ extract_structure


ARTICLE = (
    "Thành ủy Cẩm Phả sơ kết công tác dân vận\n"
    "Thứ Tư, 06/07/2022 09:15\n"
    "Sáng <DATE>ngày 6/7</DATE>, <ORG>Thành ủy Cẩm Phả</ORG> tổ chức hội nghị sơ kết "
    "<DATE>6 tháng đầu năm 2022</DATE>. Đồng chí <PERSON>Hoàng Bá Nam</PERSON>, "
    "<ROLE>Phó Bí thư thường trực Thành ủy</ROLE> chủ trì. Hội nghị đánh giá việc thực hiện "
    "<DOC>Đề án số 03-ĐA/TU</DOC> <DATE>ngày 14/3/2018</DATE> của <ORG>BTV Thành ủy</ORG> và "
    "<DOC>Quy định số 2041 –QĐ/TU</DOC> giai đoạn <DATE>2017-2020</DATE>. Ông <PERSON>Nam</PERSON> đề nghị "
    "hoàn thành trong <DATE>quý III/2022</DATE>."
)


def test_extract_structure_end_to_end():
    text, ents = tagged(ARTICLE)
    out = extract_structure(text, ents)
    assert set(out) == {"post_holders", "roles", "documents", "dates", "anchor"}
    assert out["anchor"] == "2022-07-06"
    assert [d["value"] for d in out["dates"]] == [
        "2022-07-06", "2022-01/2022-06", "2018-03-14", "2017/2020", "2022-Q3"]
    assert out["dates"][0]["anchored"] is True
    (link,) = out["post_holders"]
    assert link["person"]["name"] == "Hoàng Bá Nam" and link["role"]["body"] == "Thành ủy"
    assert [d["identifier"] for d in out["documents"]] == ["03-ĐA/TU", "2041-QĐ/TU"]
    assert out["documents"][0]["issuer"]["text"] == "BTV Thành ủy"
    json.dumps(out, ensure_ascii=False)  # plain data, ready for a report


def test_extract_structure_explicit_anchor_and_no_anchor():
    text, ents = tagged("Chiều <DATE>ngày 9/1</DATE>, hội nghị khai mạc.")
    assert extract_structure(text, ents, anchor=date(2019, 1, 10))["dates"][0]["value"] == "2019-01-09"
    no_anchor = extract_structure(text, ents)
    assert no_anchor["anchor"] is None
    assert no_anchor["dates"][0]["value"] is None and "no year" in no_anchor["dates"][0]["reason"]


def test_clean_entities_drops_bad_offsets_and_fixes_text():
    text = "Bí thư Tỉnh ủy dự."
    ents = [{"label": "ROLE", "start": 0, "end": 14, "text": "wrong"}, {"label": "ORG", "start": 10, "end": 99},
            {"label": "DATE", "start": 5, "end": 5}, {"start": 0, "end": 3}, {"label": "ORG", "start": "x", "end": 2}]
    assert clean_entities(text, ents) == [{"label": "ROLE", "start": 0, "end": 14, "text": "Bí thư Tỉnh ủy"}]
    assert extract_structure(text, ents)["roles"][0]["title"] == "Bí thư"


def test_extract_structure_on_empty_input():
    assert extract_structure("", []) == {"post_holders": [], "roles": [], "documents": [], "dates": [], "anchor": None}


def test_fold_keeps_the_raw_map():
    nt = fold("Uỷ ban – Ð")
    assert nt.text == "ủy ban - đ"
    assert nt.to_raw(0, 2) == (0, 2)


# ============================================================================ people table


def _report(doc_id: str, body: str, **extra) -> dict:
    text, ents = tagged(body)
    return {"doc_id": doc_id, "text": text, "entities": ents, **extra}


REPORTS = [
    _report("a", "06/07/2022 16:48\nĐồng chí <PERSON>Hoàng Bá Nam</PERSON>, <ROLE>Bí thư Thành ủy Móng Cái</ROLE> "
                 "quán triệt <DOC>Nghị quyết số 18-NQ/TW</DOC>. Ảnh: <PERSON>Thu Hằng</PERSON>"),
    _report("b", "Đồng chí <PERSON>Hoàng  Bá Nam</PERSON>, <ROLE>Ủy viên BTV Tỉnh ủy</ROLE> chỉ đạo thực hiện "
                 "<DOC>Đề án số 03-ĐA/TU</DOC>; <DOC>Đề án 03</DOC> đạt kết quả.", date="2023-03-01"),
    _report("c", "Ông <PERSON>Lê Văn Tám</PERSON>, <ROLE>Trưởng phòng Tư pháp</ROLE>, <ORG>UBND huyện</ORG> dự.",
            date="2021-12-30"),
]


def test_people_table_aggregates_across_reports():
    rows = people_table(REPORTS)
    assert [r["person"] for r in rows][0] == "Hoàng Bá Nam"
    nam = rows[0]
    assert nam["posts"] == ["Bí thư Thành ủy Móng Cái", "Ủy viên BTV Tỉnh ủy"]
    assert nam["bodies"] == ["Thành ủy Móng Cái", "BTV Tỉnh ủy"]
    assert nam["documents"] == ["18-NQ/TW", "03-ĐA/TU"]
    assert (nam["first_seen"], nam["last_seen"], nam["n_documents"], nam["doc_ids"]) == (
        "2022-07-06", "2023-03-01", 2, ["a", "b"])
    tam = next(r for r in rows if r["person"] == "Lê Văn Tám")
    assert tam["posts"] == ["Trưởng phòng Tư pháp, UBND huyện"] and tam["bodies"] == ["UBND huyện"]
    assert tam["first_seen"] == tam["last_seen"] == "2021-12-30"
    assert set(rows[0]) == set(COLUMNS)


def test_people_table_merges_spelling_variants_of_posts():
    rows = people_table([
        _report("u", "Bà <PERSON>Ngô Thị Liên</PERSON>, <ROLE>Uỷ viên Ban Thường vụ Tỉnh uỷ</ROLE> dự."),
        _report("v", "Bà <PERSON>Ngô Thị Liên</PERSON>, <ROLE>Ủy viên Ban Thường vụ Tỉnh ủy</ROLE> dự."),
    ])
    assert [(r["person"], r["posts"], r["n_documents"]) for r in rows] == [
        ("Ngô Thị Liên", ["Uỷ viên Ban Thường vụ Tỉnh uỷ"], 2)]


def test_people_table_linked_only_drops_bylines():
    assert "Thu Hằng" in [r["person"] for r in people_table(REPORTS)]
    assert "Thu Hằng" not in [r["person"] for r in people_table(REPORTS, linked_only=True)]


def test_people_table_uses_given_structure_and_rejects_empty_reports():
    given = {"doc_id": "x", "entities": [], "structure": extract_structure(REPORTS[0]["text"], REPORTS[0]["entities"])}
    assert [r["person"] for r in people_table([given])] == ["Hoàng Bá Nam"]
    with pytest.raises(ValueError, match="neither"):
        people_table([{"doc_id": "y", "entities": []}])


def test_write_csv_and_html(tmp_path):
    rows = people_table(REPORTS)
    rows.append({**rows[0], "person": "<script>alert(1)</script> & co", "posts": ["a<b"]})
    write_csv(rows, tmp_path / "p.csv")
    with open(tmp_path / "p.csv", encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == list(COLUMNS)
    assert table[1][1] == "Bí thư Thành ủy Móng Cái | Ủy viên BTV Tỉnh ủy"
    write_html(rows, tmp_path / "p.html", title="Người & chức vụ")
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<script>" not in page and "&lt;script&gt;" in page and "a&lt;b" in page
    assert "Người &amp; chức vụ" in page and "Hoàng Bá Nam" in page
    assert "http" not in page  # self-contained


def test_people_table_script(tmp_path):
    from scripts.people_table import main

    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in REPORTS), encoding="utf-8")
    assert len(list(read_reports([path]))) == 3
    assert main([str(path), "--csv", str(tmp_path / "o.csv"), "--html", str(tmp_path / "o.html"), "--linked-only"]) == 0
    assert (tmp_path / "o.csv").read_text(encoding="utf-8").count("\n") == 3  # header + 2 linked people
    assert (tmp_path / "o.html").exists()


# ============================================================================ evaluation


def _eval_files(tmp_path):
    text, ents = tagged(ARTICLE)
    corpus = {"id": "d1", "text": text, "entities": [{k: e[k] for k in ("start", "end", "label")} for e in ents]}
    span = {e["text"]: [e["start"], e["end"]] for e in ents}
    gold = {
        "id": "d1",
        "links": [{"person": span["Hoàng Bá Nam"], "role": span["Phó Bí thư thường trực Thành ủy"]},
                  {"person": span["Nam"], "role": span["Phó Bí thư thường trực Thành ủy"]}],
        "docs": [{"span": span["Đề án số 03-ĐA/TU"], "kind": "Đề án", "number": "03", "year": None,
                  "symbol": "03-ĐA/TU", "identifier": "03-ĐA/TU"},
                 {"span": span["Quy định số 2041 –QĐ/TU"], "kind": "Quy định", "identifier": "2041-QĐ/TU",
                  "number": "2014"}],
        "dates": [{"span": span["ngày 6/7"], "value": "2022-07-06"}, {"span": span["quý III/2022"], "value": "2022-Q3"},
                  {"span": span["2017-2020"], "value": "2017-01/2020-12"}],
    }
    (tmp_path / "corpus.jsonl").write_text(json.dumps(corpus, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "gold.jsonl").write_text(
        json.dumps(gold, ensure_ascii=False) + "\n" + json.dumps({"id": "gone"}) + "\n", encoding="utf-8")


def test_structure_eval_metrics(tmp_path, capsys):
    from training.structure_eval import main

    _eval_files(tmp_path)
    assert main(["--data", str(tmp_path / "corpus.jsonl"), "--gold", str(tmp_path / "gold.jsonl"),
                 "--output", str(tmp_path / "m" / "metrics.json")]) == 0
    m = json.loads((tmp_path / "m" / "metrics.json").read_text(encoding="utf-8"))
    assert m == json.loads(capsys.readouterr().out)
    assert m["documents"] == 1 and m["missing"] == ["gone"]
    assert m["links"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "tp": 1, "fp": 0, "fn": 1}
    assert m["docs"]["n"] == 2 and m["docs"]["whole"] == 0.5
    assert m["docs"]["fields"] == {"kind": 1.0, "number": 0.5, "year": 1.0, "symbol": 1.0, "identifier": 1.0}
    assert m["dates"] == {"n": 3, "accuracy": 0.6667, "abstained": 0, "wrong": 1}


def test_evaluate_structure_script_is_the_training_cli():
    from scripts import evaluate_structure
    from training.structure_eval import main

    assert evaluate_structure.main is main


def test_eval_compares_years_as_values_not_types(tmp_path):
    from training.structure_eval import _same

    assert _same(2013, "2013") and _same("03", "03") and _same(None, None)
    assert not _same(None, "2013") and not _same(2014, "2013")
