"""Issue #16: who holds which post in careers, lists, pronoun sentences and appointment news;
DOC years and issuing dates; the people table over time; the scorer's per-pattern report.
Sentences and people are made up; offsets come from inline tags, never typed by hand."""
from __future__ import annotations

import csv
import json
from datetime import date

import pytest

from model.report import validate_report
from model.structure import extract_structure
from model.structure.confidence import TABLE, fit
from model.structure.dates import parse_date
from model.structure.posts import link_posts
from model.structure.table import COLUMNS, people_table, write_csv, write_html
from tests.test_structure import links_of, tagged


def links(body: str) -> set[tuple[str, str, str]]:
    """(person mention as written, role text, pattern) of every link."""
    text, ents = tagged(body)
    return {(l["person"]["text"], l["role"]["text"], l["pattern"]) for l in link_posts(text, ents)[0]}


def pairs(body: str) -> set[tuple[str, str]]:
    return {(p, r) for p, r, _ in links(body)}


def link_of(body: str, role: str, person: str | None = None) -> dict:
    text, ents = tagged(body)
    (found,) = [l for l in link_posts(text, ents)[0]
                if l["role"]["text"] == role and person in (None, l["person"]["text"])]
    return found


# ============================================================================ lists and careers


def test_biography_line_with_many_posts_first_is_apposition_the_rest_role_list():
    body = ("Đồng chí <PERSON>Hà Văn Tuyên</PERSON> (sinh <DATE>năm 1971</DATE>), <ROLE>Ủy viên Ban Thường vụ "
            "Tỉnh ủy</ROLE>, <ROLE>Bí thư Huyện ủy Đông Sơn</ROLE>, <ROLE>Chủ tịch HĐND huyện</ROLE>, "
            "<ROLE>Trưởng Ban Chỉ đạo phòng, chống tham nhũng huyện</ROLE>, <ROLE>Bí thư Đảng ủy Quân sự huyện</ROLE>.")
    assert links(body) == {
        ("Hà Văn Tuyên", "Ủy viên Ban Thường vụ Tỉnh ủy", "apposition"),
        ("Hà Văn Tuyên", "Bí thư Huyện ủy Đông Sơn", "role_list"),
        ("Hà Văn Tuyên", "Chủ tịch HĐND huyện", "role_list"),
        ("Hà Văn Tuyên", "Trưởng Ban Chỉ đạo phòng, chống tham nhũng huyện", "role_list"),
        ("Hà Văn Tuyên", "Bí thư Đảng ủy Quân sự huyện", "role_list"),
    }


def test_role_list_goes_on_across_a_line_break_after_a_comma():
    body = ("Bà <PERSON>Lò Thị Hiền</PERSON>, <ROLE>Tỉnh ủy viên</ROLE>,\n"
            "<ROLE>Phó Chủ tịch UBND tỉnh</ROLE>, dự lễ.")
    assert pairs(body) == {("Lò Thị Hiền", "Tỉnh ủy viên"), ("Lò Thị Hiền", "Phó Chủ tịch UBND tỉnh")}


CAREER = (
    "Họ và tên: <PERSON>Mạch Văn Quân</PERSON>\n"
    "Sinh <DATE>ngày 3/4/1975</DATE>; quê quán: xã Yên Lạc\n"
    "Quá trình công tác:\n"
    "- Từ <DATE>7/2014</DATE> - <DATE>10/2017</DATE>: chuyên viên, rồi <ROLE>Phó Trưởng phòng Tổng hợp</ROLE>;\n"
    "- <DATE>11/2017</DATE> - <DATE>5/2021</DATE>: <ROLE>Phó Bí thư Huyện ủy</ROLE>, <ROLE>Chủ tịch UBND huyện Lạc Sơn</ROLE>;"
    " sau đó là <ROLE>Bí thư Huyện ủy</ROLE>;\n"
    "- Từ <DATE>6/2021</DATE> đến nay: <ROLE>Giám đốc Sở Nội vụ</ROLE>; từ <DATE>tháng 10/2022</DATE> là "
    "<ROLE>Tỉnh ủy viên</ROLE>.\n"
)


def test_career_lines_go_to_the_person_the_biography_names():
    assert links(CAREER) == {("Mạch Văn Quân", role, "career") for role in (
        "Phó Trưởng phòng Tổng hợp", "Phó Bí thư Huyện ủy", "Chủ tịch UBND huyện Lạc Sơn", "Bí thư Huyện ủy",
        "Giám đốc Sở Nội vụ", "Tỉnh ủy viên")}


def test_career_lines_carry_their_periods_and_subject():
    text, ents = tagged(CAREER)
    by_role = {l["role"]["text"]: l for l in extract_structure(text, ents)["post_holders"]}
    period = lambda role: (by_role[role]["period"]["start"], by_role[role]["period"]["end"],  # noqa: E731
                           by_role[role]["period"]["ongoing"])
    assert period("Phó Trưởng phòng Tổng hợp") == ("2014-07", "2017-10", False)
    assert period("Chủ tịch UBND huyện Lạc Sơn") == ("2017-11", "2021-05", False)  # shares its line's dates
    assert period("Giám đốc Sở Nội vụ") == ("2021-06", None, True)                  # `đến nay`
    assert period("Tỉnh ủy viên") == ("2022-10", None, False)                       # `từ tháng 10/2022 là`
    assert by_role["Phó Trưởng phòng Tổng hợp"]["status"] == "former"
    assert by_role["Giám đốc Sở Nội vụ"]["status"] is None
    assert by_role["Phó Bí thư Huyện ủy"]["subject"]["text"] == "- 11/2017 - 5/2021"
    assert by_role["Phó Bí thư Huyện ủy"]["subject"]["kind"] == "career"


def test_inline_career_after_a_colon_and_semicolons():
    body = ("Ông <PERSON>Khúc Đình Tuấn</PERSON> có 25 năm trong ngành: từ <DATE>1991</DATE> - <DATE>2003</DATE> "
            "làm việc tại <ORG>Viện Chiến lược</ORG>; từ <DATE>4/2003</DATE> - <DATE>9/2009</DATE> là "
            "<ROLE>Phó Vụ trưởng Vụ Kế hoạch</ROLE>; từ <DATE>10/2009</DATE> đến nay giữ chức <ROLE>Vụ trưởng</ROLE>.")
    assert links(body) == {("Khúc Đình Tuấn", "Phó Vụ trưởng Vụ Kế hoạch", "career"),
                           ("Khúc Đình Tuấn", "Vụ trưởng", "career")}


def test_posts_under_a_current_posts_heading():
    body = ("Đồng chí <PERSON>Lương Văn Khải</PERSON> sinh <DATE>năm 1970</DATE>.\nChức vụ hiện nay:\n"
            "- <ROLE>Bí thư Tỉnh ủy</ROLE>;\n- <ROLE>Trưởng đoàn ĐBQH tỉnh</ROLE>.")
    assert pairs(body) == {("Lương Văn Khải", "Bí thư Tỉnh ủy"), ("Lương Văn Khải", "Trưởng đoàn ĐBQH tỉnh")}


def test_career_list_goes_to_the_biography_subject_not_a_name_quoted_in_passing():
    body = ("Ông <PERSON>Đinh Khắc Lâm</PERSON> sinh năm 1934. Ông <PERSON>Lâm</PERSON> đi nhiều hơn ngồi. "
            "Ông <PERSON>Vũ Thành Nam</PERSON>, một người "
            "quen, nhớ lại: \"Anh ấy không nghỉ ngày nào\".\nNhững chặng đường công tác\n"
            "- <DATE>1976</DATE> - <DATE>1982</DATE>: <ROLE>Bí thư Huyện ủy Tiền Phong</ROLE>;")
    assert pairs(body) == {("Lâm", "Bí thư Huyện ủy Tiền Phong")}  # its last mention, as the gold links


# ============================================================================ pronouns


def test_pronouns_go_to_the_last_named_person_of_the_paragraph():
    body = ("Bà <PERSON>Thạch Thị Ngọc Yến</PERSON> là người dân tộc Khmer. Bà từng là <ROLE>Phó Bí thư Tỉnh đoàn</ROLE> "
            "(<DATE>2004</DATE> - <DATE>2010</DATE>), <ROLE>Phó Chủ tịch UBND huyện Tân Biên</ROLE> trước khi được "
            "bầu làm <ROLE>Chủ tịch Hội LHPN tỉnh</ROLE> từ <DATE>tháng 4/2019</DATE>.")
    assert links(body) == {("Thạch Thị Ngọc Yến", role, "pronoun") for role in (
        "Phó Bí thư Tỉnh đoàn", "Phó Chủ tịch UBND huyện Tân Biên", "Chủ tịch Hội LHPN tỉnh")}
    text, ents = tagged(body)
    first = link_posts(text, ents)[0][0]
    assert first["subject"]["text"] == "Bà" and first["period"]["start"] == "2004"
    assert text[first["evidence"][0]:first["evidence"][1]].startswith("Bà từng là")


@pytest.mark.parametrize("pronoun, honorific", [
    ("ông", "Ông"), ("Đồng chí", "Đồng chí"), ("anh", "Anh"), ("chị", "Chị")])
def test_each_pronoun(pronoun, honorific):
    name = "Trần Thị Nguyệt" if pronoun == "chị" else "Lục Văn Tráng"
    body = (f"{honorific} <PERSON>{name}</PERSON> sinh <DATE>năm 1980</DATE> ở Cao Bằng. "
            f"{pronoun[0].upper() + pronoun[1:]} từng giữ chức <ROLE>Bí thư Huyện đoàn Hòa An</ROLE>.")
    assert links(body) == {(name, "Bí thư Huyện đoàn Hòa An", "pronoun")}


def test_pronoun_never_reaches_past_another_named_person():
    # `ông` cannot be Bà Loan; the earlier Ông Tâm is behind another name, so nothing is linked
    body = ("Ông <PERSON>Lê Văn Tâm</PERSON> dự họp. Bà <PERSON>Hà Thị Loan</PERSON> phát biểu. "
            "Ông là <ROLE>Chủ tịch UBND huyện</ROLE>.")
    assert links(body) == set()
    # the last named person is the one meant, never an earlier one
    body = ("Ông <PERSON>Lê Văn Tâm</PERSON> dự họp. Ông <PERSON>Phùng Quốc Hải</PERSON> phát biểu. "
            "Ông là <ROLE>Chủ tịch UBND huyện</ROLE>.")
    assert pairs(body) == {("Phùng Quốc Hải", "Chủ tịch UBND huyện")}


def test_pronoun_does_not_reach_into_an_earlier_paragraph_or_a_when_clause():
    body = ("Ông <PERSON>Lê Văn Tâm</PERSON> dự họp.\nHội nghị kéo dài hai ngày.\nÔng là <ROLE>Chủ tịch UBND huyện</ROLE>.")
    assert links(body) == set()
    body = ("Ông <PERSON>Lê Văn Tâm</PERSON> sinh năm 1960. Khi ông <PERSON>Lò Văn Sính</PERSON> nghỉ ốm, "
            "ông được giao quyền <ROLE>Giám đốc Sở</ROLE>.")
    assert links(body) == set()


def test_planned_posts_are_not_held_yet():
    body = ("Ông <PERSON>Bàn Văn Chinh</PERSON> nhận nhiệm vụ mới. Dự kiến <ORG>HĐND tỉnh</ORG> sẽ bầu ông làm "
            "<ROLE>Chủ tịch UBND tỉnh</ROLE>.")
    assert links(body) == set()


# ============================================================================ appointment verbs


def test_appointment_verbs():
    assert links("Đồng chí <PERSON>Khổng Đức Lực</PERSON> được bầu làm <ROLE>Chủ nhiệm Ủy ban Kiểm tra Tỉnh ủy</ROLE>.") \
        == {("Khổng Đức Lực", "Chủ nhiệm Ủy ban Kiểm tra Tỉnh ủy", "appointment")}
    body = ("<ROLE>Thủ tướng</ROLE> bổ nhiệm ông <PERSON>Triệu Quang Hào</PERSON>, <ROLE>Vụ trưởng Vụ Ngân sách</ROLE>, "
            "<ORG>Bộ Tài chính</ORG>, giữ chức <ROLE>Thứ trưởng Bộ Tài chính</ROLE>.")
    assert links(body) == {("Triệu Quang Hào", "Vụ trưởng Vụ Ngân sách", "apposition"),
                           ("Triệu Quang Hào", "Thứ trưởng Bộ Tài chính", "appointment")}


def test_passive_agent_is_not_the_appointee():
    body = "Ông <PERSON>Đào Văn Hưng</PERSON> được <ROLE>Bộ trưởng</ROLE> giao quyền <ROLE>Hiệu trưởng</ROLE>."
    assert pairs(body) == {("Đào Văn Hưng", "Hiệu trưởng")}
    body = "Ông <PERSON>Đào Văn Hưng</PERSON> được ông <PERSON>Lý Tâm</PERSON> bổ nhiệm làm <ROLE>Trưởng phòng</ROLE>."
    assert pairs(body) == {("Đào Văn Hưng", "Trưởng phòng")}


def test_dismissal_verbs():
    body = ("<ORG>HĐND tỉnh</ORG> miễn nhiệm chức vụ <ROLE>Phó Chủ tịch UBND tỉnh</ROLE> nhiệm kỳ "
            "<DATE>2021-2026</DATE> đối với ông <PERSON>Mạc Quang Hòa</PERSON>.")
    assert links(body) == {("Mạc Quang Hòa", "Phó Chủ tịch UBND tỉnh", "dismissal")}
    body = ("Kỳ họp cho thôi làm nhiệm vụ <ROLE>đại biểu HĐND tỉnh</ROLE> khóa XI đối với ông "
            "<PERSON>Đồng Văn Kiên</PERSON>.")
    assert links(body) == {("Đồng Văn Kiên", "đại biểu HĐND tỉnh", "dismissal")}
    body = "<DOC>Quyết định số 810/QĐ-TTg</DOC> cho ông <PERSON>Bàn Văn Chinh</PERSON> thôi giữ chức <ROLE>Thứ trưởng</ROLE>."
    link = link_of(body, "Thứ trưởng")
    assert (link["person"]["text"], link["pattern"], link["status"]) == ("Bàn Văn Chinh", "dismissal", "former")


def test_replacement_both_hold_the_post():
    body = ("Các đại biểu bầu ông <PERSON>Châu Minh Khải</PERSON>, <ROLE>Giám đốc Sở Kế hoạch và Đầu tư</ROLE>, giữ chức "
            "<ROLE>Phó Chủ tịch UBND tỉnh</ROLE> thay ông <PERSON>Mạc Quang Hòa</PERSON>.")
    assert links(body) == {("Châu Minh Khải", "Giám đốc Sở Kế hoạch và Đầu tư", "apposition"),
                           ("Châu Minh Khải", "Phó Chủ tịch UBND tỉnh", "appointment"),
                           ("Mạc Quang Hòa", "Phó Chủ tịch UBND tỉnh", "replacement")}
    assert link_of(body, "Phó Chủ tịch UBND tỉnh", "Châu Minh Khải")["status"] is None
    assert link_of(body, "Phó Chủ tịch UBND tỉnh", "Mạc Quang Hòa")["status"] == "former"


def test_replacement_in_the_next_sentence_and_through_a_successor():
    body = ("<ORG>EVN</ORG> bổ nhiệm ông <PERSON>Khổng Minh Đức</PERSON> giữ chức <ROLE>Chủ tịch Hội đồng thành viên</ROLE>. "
            "Ông thay ông <PERSON>Trương Hữu Nghị</PERSON>, người nghỉ hưu.")
    assert ("Trương Hữu Nghị", "Chủ tịch Hội đồng thành viên", "replacement") in links(body)
    body = ("Người kế nhiệm ông <PERSON>Út</PERSON> là đồng chí <PERSON>Ngô Văn Thuận</PERSON>, được điều động làm "
            "<ROLE>Bí thư Huyện ủy An Biên</ROLE>.")
    assert links(body) == {("Ngô Văn Thuận", "Bí thư Huyện ủy An Biên", "appointment"),
                           ("Út", "Bí thư Huyện ủy An Biên", "replacement")}


def test_respectively_lists_stay_unlinked_and_plural_subjects_share_a_post():
    assert links_of("Các đồng chí <PERSON>Lê Văn A</PERSON> và <PERSON>Lã Văn Đông</PERSON> lần lượt được bầu làm "
                    "<ROLE>Phó Bí thư</ROLE> và <ROLE>Chủ nhiệm Ủy ban Kiểm tra</ROLE>.") == []
    assert pairs("Các bà <PERSON>Lê Thị Diệu</PERSON> và <PERSON>Bạch Thị Lệ</PERSON> được bầu làm "
                 "<ROLE>Phó Chủ tịch Hội LHPN tỉnh</ROLE>.") == {
        ("Lê Thị Diệu", "Phó Chủ tịch Hội LHPN tỉnh"), ("Bạch Thị Lệ", "Phó Chủ tịch Hội LHPN tỉnh")}


def test_post_named_before_its_subject():
    body = ("Ông <PERSON>Khổng Minh Đức</PERSON> sinh năm 1970. Trước khi làm <ROLE>Tổng Giám đốc</ROLE> từ "
            "<DATE>tháng 7/2020</DATE>, ông giữ chức <ROLE>Phó Tổng Giám đốc</ROLE>.")
    assert pairs(body) == {("Khổng Minh Đức", "Tổng Giám đốc"), ("Khổng Minh Đức", "Phó Tổng Giám đốc")}


def test_a_post_after_a_verb_is_not_the_next_name_s():
    body = ("Kỳ họp bầu ông <PERSON>Phan Đình Khang</PERSON> làm <ROLE>Chủ tịch HĐND tỉnh</ROLE>, ông "
            "<PERSON>Lương Ngọc Báu</PERSON> làm <ROLE>Phó Chủ tịch HĐND tỉnh</ROLE>.")
    assert pairs(body) == {("Phan Đình Khang", "Chủ tịch HĐND tỉnh"), ("Lương Ngọc Báu", "Phó Chủ tịch HĐND tỉnh")}


# ============================================================================ plural titles and signatures


@pytest.mark.parametrize("body", [
    "Các đồng chí <ROLE>Ủy viên BTV Tỉnh ủy</ROLE>: <PERSON>Hoàng Văn Lạc</PERSON>, <PERSON>Ma Thị Én</PERSON>, "
    "<PERSON>Vi Văn Tường</PERSON> dự.",
    "Ba đồng chí được bầu làm <ROLE>Ủy viên BTV Tỉnh ủy</ROLE>: <PERSON>Hoàng Văn Lạc</PERSON>, "
    "<PERSON>Ma Thị Én</PERSON> và <PERSON>Vi Văn Tường</PERSON>.",
    "Các <ROLE>Ủy viên BTV Tỉnh ủy</ROLE> hiện gồm: ông <PERSON>Hoàng Văn Lạc</PERSON> (thường trực), bà "
    "<PERSON>Ma Thị Én</PERSON> và ông <PERSON>Vi Văn Tường</PERSON>.",
])
def test_plural_title_goes_to_every_name(body):
    assert links(body) == {(n, "Ủy viên BTV Tỉnh ủy", "plural_title")
                           for n in ("Hoàng Văn Lạc", "Ma Thị Én", "Vi Văn Tường")}


def test_plural_title_skips_each_name_s_own_post():
    body = ("Dự có các đồng chí <ROLE>Ủy viên Bộ Chính trị</ROLE>: <PERSON>Trịnh Văn Khánh</PERSON>, "
            "<ROLE>Thủ tướng Chính phủ</ROLE>; <PERSON>Hà Minh Tuấn</PERSON>, <ROLE>Chủ tịch Quốc hội</ROLE>.")
    assert pairs(body) == {("Trịnh Văn Khánh", "Ủy viên Bộ Chính trị"), ("Hà Minh Tuấn", "Ủy viên Bộ Chính trị"),
                           ("Trịnh Văn Khánh", "Thủ tướng Chính phủ"), ("Hà Minh Tuấn", "Chủ tịch Quốc hội")}


def test_signature_block():
    body = "Lưu: VT.\nKT. CHỦ TỊCH\n<ROLE>PHÓ CHỦ TỊCH</ROLE>\n(Đã ký)\n<PERSON>Lưu Thanh Bảo</PERSON>"
    assert links(body) == {("Lưu Thanh Bảo", "PHÓ CHỦ TỊCH", "other")}


# ============================================================================ documents and dates


def test_issuing_date_written_before_the_document():
    text, ents = tagged("<DATE>Ngày 12/9/2025</DATE>, <ORG>Bộ Nội vụ</ORG> ban hành <DOC>Quyết định số 1520/QĐ-BNV</DOC> "
                        "về tổ chức bộ máy. Theo <DOC>Luật Đất đai năm 2013</DOC> từ <DATE>ngày 1/7/2014</DATE>.")
    docs = extract_structure(text, ents)["documents"]
    assert docs[0]["date"]["text"] == "Ngày 12/9/2025" and docs[0]["date"]["value"] == "2025-09-12"
    assert docs[1]["date"] is None  # a date it takes effect from is not its issuing date


def test_issuing_date_after_a_subject_and_a_bracket():
    text, ents = tagged("<ORG>Hội đồng Bảo an</ORG> <DATE>ngày 20/7</DATE> (giờ địa phương) đã nhất trí thông qua "
                        "<DOC>Nghị quyết 2231</DOC>.")
    assert extract_structure(text, ents, anchor=date(2015, 7, 21))["documents"][0]["date"]["value"] == "2015-07-20"


def test_header_dateline_is_the_document_s_date_and_the_title_its_kind():
    text, ents = tagged("<ORG>TỈNH ỦY GIA LAI</ORG>\nSố <DOC>1486-QĐ/TU</DOC>\n<ORG>ĐẢNG CỘNG SẢN VIỆT NAM</ORG>\n"
                        "Gia Lai, <DATE>ngày 12 tháng 9 năm 2023</DATE>\nQUYẾT ĐỊNH\nvề công tác cán bộ")
    (doc,) = extract_structure(text, ents)["documents"]
    assert (doc["kind"], doc["date"]["value"]) == ("Quyết định", "2023-09-12")


def test_bare_month_count_is_a_reporting_period_of_the_anchor_year():
    assert parse_date("9 tháng", date(2023, 10, 6))["value"] == "2023-01/2023-09"


# ============================================================================ report, table, scorer


def test_structure_with_new_link_fields_matches_the_report_schema():
    from model.report import SCHEMA_VERSION

    text, ents = tagged(CAREER)
    report = {"schema_version": SCHEMA_VERSION, "doc_id": "x", "model": {"name": "m", "sha256": "0"},
              "entities": [], "structure": extract_structure(text, ents)}
    try:
        validate_report(report)
    except ValueError as exc:  # only the model/entities parts of this hand-made report may differ
        assert "structure" not in str(exc), exc
    assert SCHEMA_VERSION == "1.2"


def _career_reports() -> list[dict]:
    text, ents = tagged(CAREER + "Ông <PERSON>Quân</PERSON>, quyền <ROLE>Giám đốc Sở Tài chính</ROLE>, dự.")
    return [{"doc_id": "bio", "text": text, "entities": ents}]


def test_people_table_posts_over_time_former_and_acting(tmp_path):
    (row,) = people_table(_career_reports(), linked_only=True)
    assert row["timeline"][0] == "2014-07 – 2017-10: Phó Trưởng phòng Tổng hợp"
    assert row["timeline"][-1] == "từ 2022-10: Tỉnh ủy viên"
    assert "2021-06 – nay: Giám đốc Sở Nội vụ" in row["timeline"]
    assert "Phó Trưởng phòng Tổng hợp" in row["former_posts"]
    assert row["acting_posts"] == ["quyền Giám đốc Sở Tài chính"]
    write_csv([row], tmp_path / "p.csv")
    with open(tmp_path / "p.csv", encoding="utf-8", newline="") as fh:
        header, values = list(csv.reader(fh))
    assert header == list(COLUMNS) and {"timeline", "former_posts", "acting_posts"} <= set(header)
    assert values[header.index("acting_posts")] == "quyền Giám đốc Sở Tài chính"
    write_html([row], tmp_path / "p.html")
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert 'class="acting"' in page and 'class="former"' in page and "timeline" in page


def _scorer_files(tmp_path) -> tuple[str, str]:
    body = ("<DATE>Ngày 5/8/2016</DATE>, <ROLE>Thủ tướng</ROLE> ký <DOC>Quyết định số 1523/QĐ-TTg</DOC> bổ nhiệm ông "
            "<PERSON>Cù Văn Tuấn</PERSON>, <ROLE>Vụ trưởng</ROLE>, giữ chức <ROLE>Thứ trưởng</ROLE>. Bà "
            "<PERSON>Lò Thị Mai</PERSON> là <ROLE>Giám đốc Sở</ROLE>.")
    text, ents = tagged(body)
    span = {e["text"]: [e["start"], e["end"]] for e in ents}
    corpus = {"id": "d1", "text": text, "entities": [{k: e[k] for k in ("start", "end", "label")} for e in ents]}
    gold = {"id": "d1",
            "links": [{"person": span["Cù Văn Tuấn"], "role": span["Vụ trưởng"], "pattern": "apposition"},
                      {"person": span["Cù Văn Tuấn"], "role": span["Thứ trưởng"], "pattern": "appointment"},
                      {"person": span["Cù Văn Tuấn"], "role": span["Thủ tướng"], "pattern": "other"}],
            "docs": [{"span": span["Quyết định số 1523/QĐ-TTg"], "kind": "Quyết định", "date": span["Ngày 5/8/2016"]}],
            "dates": []}
    (tmp_path / "c.jsonl").write_text(json.dumps(corpus, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "g.jsonl").write_text(json.dumps(gold, ensure_ascii=False) + "\n", encoding="utf-8")
    return str(tmp_path / "c.jsonl"), str(tmp_path / "g.jsonl")


def test_scorer_reports_patterns_doc_dates_and_calibration(tmp_path, capsys):
    from training.structure_eval import main

    data, gold = _scorer_files(tmp_path)
    assert main(["--data", data, "--gold", gold, "--markdown", "--fit-confidence"]) == 0
    out = capsys.readouterr()
    m = json.loads(out.out)
    assert m["links"]["tp"] == 2 and m["links"]["fn"] == 1 and m["links"]["fp"] == 1
    by = m["links_by_pattern"]
    assert by["appointment"]["recall"] == 1.0 and by["other"] == {
        "gold": 1, "found": 0, "recall": 0.0, "predicted": 1, "right": 0, "precision": 0.0}
    assert m["docs"]["date"] == {"n": 1, "accuracy": 1.0, "precision": 1.0, "recall": 1.0, "gold_dated": 1}
    assert sum(b["links"] for b in m["calibration"]) == 3
    assert all(set(b) == {"confidence", "links", "precision"} for b in m["calibration"])
    assert "| pattern | gold links |" in out.err and "confidence table" in out.err


def test_scorer_end_to_end_with_a_predictions_file(tmp_path, capsys):
    from training.structure_eval import main

    data, gold = _scorer_files(tmp_path)
    corpus = json.loads(open(data, encoding="utf-8").read())
    keep = [e for e in corpus["entities"] if corpus["text"][e["start"]:e["end"]] != "Lò Thị Mai"]
    (tmp_path / "p.jsonl").write_text(json.dumps({"doc_id": "d1", "entities": keep}) + "\n", encoding="utf-8")
    assert main(["--data", data, "--gold", gold, "--predictions", str(tmp_path / "p.jsonl")]) == 0
    m = json.loads(capsys.readouterr().out)
    assert (m["links"]["tp"], m["links"]["fp"]) == (2, 0)  # the tagger missed `Lò Thị Mai`: no link for her
    (tmp_path / "none.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="d1: no prediction"):
        main(["--data", data, "--gold", gold, "--predictions", str(tmp_path / "none.jsonl")])


def test_confidence_table_is_the_fit_of_dev_counts():
    assert fit({"x": (9, 9), "y": (1, 3)}) == {"x": 0.91, "y": 0.4}
    assert set(TABLE) == {"apposition", "role_list", "career", "pronoun", "appointment", "dismissal",
                          "replacement", "plural_title", "other"}
