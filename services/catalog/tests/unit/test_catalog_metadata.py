"""Metadata per document: title, date, case number, parties, issuing body (卷内目录 columns)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from juanzong_catalog.domain.categories import Category
from juanzong_catalog.domain.metadata import PartyRole, extract_metadata, find_case_numbers, parse_date
from juanzong_catalog.domain.pages import PageText
from juanzong_training.corpus import generate_corpus

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("text", "expected"), [
    ("二〇二五年三月十二日", dt.date(2025, 3, 12)),
    ("二〇一九年十二月三十一日", dt.date(2019, 12, 31)),
    ("二〇二〇年十月二十日", dt.date(2020, 10, 20)),
    ("2025年3月12日", dt.date(2025, 3, 12)),
    ("2025 年 03 月 02 日", dt.date(2025, 3, 2)),
    ("２０２５年３月１２日", dt.date(2025, 3, 12)),  # full width
    ("20Z5年3月12日", dt.date(2025, 3, 12)),  # OCR: Z for 2
    ("2025-03-12", dt.date(2025, 3, 12)),
])
def test_dates_in_chinese_numerals_and_arabic_become_iso(text: str, expected: dt.date) -> None:
    found = parse_date(text)
    assert [d for _, d in found] == [expected]
    assert found[0][1].isoformat() == expected.isoformat()


def test_impossible_dates_are_ignored() -> None:
    assert parse_date("二〇二五年二月三十日") == []
    assert parse_date("2025年13月1日") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("（2025）吉01民终123号", "（2025）吉01民终123号"),
    ("案号:(2025)吉0104民初88号", "（2025）吉0104民初88号"),
    ("（20Z3）告0106行初9118号", "（2023）吉0106行初9118号"),  # OCR slips on digits and on 吉
    ("（2025）吉0104民初\n1234号", "（2025）吉0104民初1234号"),  # broken over two lines
    ("Z025）吉01〇2氏初4O1号", "（2025）吉0102民初401号"),  # lost paren, Z/〇/O for digits, 氏 for 民
])
def test_case_numbers_are_found_and_normalised(text: str, expected: str) -> None:
    """《关于人民法院案件案号的若干规定》: （收案年度）+法院代字+类型代字+案件编号+号."""
    assert find_case_numbers(text) == [expected]


def test_reference_numbers_that_are_not_case_numbers_are_not_taken() -> None:
    assert find_case_numbers("（2020）长春民代字第657号 吉正司鉴〔2020〕临鉴字第12号") == []


def test_judgment_header_gives_title_court_case_number_parties_and_date(make_page: Callable[..., PageText]) -> None:
    pages = [
        make_page("p1", 0, ["吉林省长春市中级人民法院", "民 事 判 决 书", "（2025）吉01民终123号",
                            "上诉人（原审被告）：长春恒达商贸有限公司，住所地吉林省长春市朝阳区人民大街8号。",
                            "被上诉人（原审原告）：张三，男，1980年5月3日出生，汉族，住长春市。",
                            "上诉人长春恒达商贸有限公司因与被上诉人张三买卖合同纠纷一案，不服（2024）吉0104民初77号民事判决"]),
        make_page("p2", 1, ["驳回上诉，维持原判。", "本判决为终审判决。", "审 判 长 李四", "二〇二五年三月十二日",
                            "书 记 员 王五"]),
    ]
    md = extract_metadata(pages, Category.JUDGMENT)
    assert md.title == "民事判决书"
    assert md.case_number == "（2025）吉01民终123号"
    assert md.date == dt.date(2025, 3, 12)
    assert md.issuing_party == "吉林省长春市中级人民法院"
    assert [(p.role, p.name) for p in md.parties] == [(PartyRole.APPELLANT, "长春恒达商贸有限公司"),
                                                     (PartyRole.APPELLEE, "张三")]


def test_party_submission_is_issued_by_its_signer(make_page: Callable[..., PageText]) -> None:
    pages = [make_page("p1", 0, ["民事起诉状", "原告：张三，男，住长春市。", "被告：李四，女，住长春市。",
                                 "诉讼请求：", "此致", "长春市朝阳区人民法院", "具状人：张三", "2025年3月1日"])]
    md = extract_metadata(pages, Category.COMPLAINT)
    assert md.issuing_party == "张三"
    assert md.date == dt.date(2025, 3, 1)
    assert {(p.role, p.name) for p in md.parties} == {(PartyRole.PLAINTIFF, "张三"), (PartyRole.DEFENDANT, "李四")}
    assert md.case_number is None


def test_court_record_without_a_header_is_issued_by_this_court(make_page: Callable[..., PageText]) -> None:
    pages = [make_page("p1", 0, ["庭审笔录", "时间：2025年3月12日9时00分", "地点：本院第3法庭", "审判长：现在开庭。"])]
    md = extract_metadata(pages, Category.TRIAL_RECORD, court_name="长春市朝阳区人民法院")
    assert md.issuing_party == "长春市朝阳区人民法院"
    assert md.date == dt.date(2025, 3, 12)  # the record's 时间 line


def test_body_sentences_starting_with_a_role_are_not_taken_as_parties(make_page: Callable[..., PageText]) -> None:
    pages = [make_page("p1", 0, ["情况说明", "原告与被告之间的纠纷已经和解，特此说明。"])]
    assert extract_metadata(pages, Category.OTHER).parties == ()


def test_metadata_matches_the_generator_truth_on_clean_documents() -> None:
    docs = generate_corpus(77, per_category=2, noise_range=(0.0, 0.0))
    fields = {"title": 0, "date": 0, "case_number": 0, "parties": 0, "issuer": 0}
    for d in docs:
        md = extract_metadata(d.pages, d.truth.category, court_name=d.court)
        fields["title"] += md.title == d.truth.title
        fields["date"] += md.date == d.truth.date
        fields["case_number"] += md.case_number == d.truth.case_number or d.truth.case_number is None
        fields["parties"] += {(p.role.name_zh, p.name) for p in md.parties} >= set(d.truth.parties)
        fields["issuer"] += d.truth.issuer is None or md.issuing_party == d.truth.issuer
    for name, ok in fields.items():
        assert ok / len(docs) >= 0.95, (name, ok, len(docs))
