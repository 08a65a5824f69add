"""CJK-aware search inside dossiers (法〔2016〕264号 三(二) 内容可检索; 吉高法〔2020〕11号 第三条(四))."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from juanzong_catalog.domain.pages import Line, PageText
from juanzong_catalog.domain.search_index import (
    InMemorySearchIndex,
    line_entries,
    match_line,
    mongo_filter,
    normalise,
    query_grams,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def index(make_page: Callable[..., PageText]) -> InMemorySearchIndex:
    idx = InMemorySearchIndex()
    idx.add_page("dos1", "complaint", make_page("p1", 0, [
        "民事起诉状",
        "原告：张三，男，住吉林省长春市朝阳区人民大街88号",
        "被告：李四，公民身份号码220104198005031234",
        "诉讼请求：判令被告偿还借款人民币50000元",
        "案号：（2025）吉0104民初88号",
    ]))
    idx.add_page("dos1", "judgment", make_page("p2", 1, ["民事判决书", "被告偿还借款本金", "民间借贷纠纷"]))
    idx.add_page("dos2", "other", make_page("q1", 0, ["另一案卷的借款合同"]))
    return idx


def test_query_normalisation_nfkc_width_and_case() -> None:
    assert normalise("（２０２５）吉01民终１２３号") == "2025吉01民终123号"
    assert normalise("ＡＢｃ  d") == "abcd"
    assert query_grams("借款") == ["借款"]
    assert query_grams("借款合同") == ["借款", "款合", "合同"]
    assert query_grams("借") == ["借"]  # one character: the unigram
    assert query_grams(" ，。 ") == []


def test_a_hit_names_document_page_line_and_boxes_to_highlight(index: InMemorySearchIndex) -> None:
    hits = index.search("偿还借款", ["dos1"])
    assert [(h.document_id, h.page_id, h.line_no) for h in hits] == [("complaint", "p1", 3), ("judgment", "p2", 1)]
    first = hits[0]
    assert first.text[first.spans[0][0]:first.spans[0][1]] == "偿还借款"
    (box,) = first.highlight_polygons
    line_xs = [x for x, _ in first.line_polygon]
    box_xs = [x for x, _ in box]
    assert min(line_xs) < min(box_xs) < max(box_xs) < max(line_xs)  # inside the line, not the whole line
    assert [y for _, y in box] == [y for _, y in first.line_polygon]


def test_all_grams_must_hit_the_same_line(index: InMemorySearchIndex) -> None:
    # "起诉状" is on line 0 and "张三" on line 1: together they are on no single line.
    assert index.search("起诉状张三") == []
    assert [h.line_no for h in index.search("张三")] == [1]


def test_grams_in_one_line_but_not_contiguous_are_not_a_match(make_page: Callable[..., PageText]) -> None:
    idx = InMemorySearchIndex()
    idx.add_page("d", "doc", make_page("p", 0, ["借款合同约定借期一年"]))  # has 借款 … 款合 … 合同 … but "借期"
    assert idx.search("借期") and not idx.search("款借")


def test_one_character_queries_use_unigrams(index: InMemorySearchIndex) -> None:
    hits = index.search("判", ["dos1"])
    assert [(h.page_id, h.line_no) for h in hits] == [("p1", 3), ("p2", 0)]


def test_case_numbers_and_id_numbers_match_on_any_substring_and_width(index: InMemorySearchIndex) -> None:
    assert [h.line_no for h in index.search("(2025)吉0104民初88号")] == [4]
    assert [h.line_no for h in index.search("民初88")] == [4]
    assert [h.line_no for h in index.search("１９８００５０３")] == [2]  # full-width digits in the query
    hit = index.search("1234")[0]
    assert hit.text[hit.spans[0][0]:hit.spans[0][1]] == "1234"


def test_search_is_scoped_to_the_dossiers_the_caller_may_read(index: InMemorySearchIndex) -> None:
    assert {h.dossier_id for h in index.search("借款")} == {"dos1", "dos2"}
    assert {h.dossier_id for h in index.search("借款", ["dos2"])} == {"dos2"}
    assert index.search("借款", []) == []


def test_every_occurrence_in_a_line_is_highlighted_along_a_skewed_line() -> None:
    page = PageText(page_id="s", seq=0, text="借款借款", lines=(
        Line(text="借款和借款", polygon=((0.0, 0.0), (500.0, 50.0), (500.0, 150.0), (0.0, 100.0))),))
    (entry,) = line_entries("d", "doc", page)
    hit = match_line(entry, "借款")
    assert hit is not None and hit.spans == ((0, 2), (3, 5))
    first, second = hit.highlight_polygons
    assert first[0] == (0.0, 0.0) and first[1] == (200.0, 20.0)  # follows the skew of the top edge
    assert second[1] == (500.0, 50.0)


def test_stored_shape_is_one_record_per_line_with_a_gram_list_for_a_multikey_index(
        make_page: Callable[..., PageText]) -> None:
    entries = line_entries("dos1", "doc", make_page("p9", 0, ["传 票", "", "应到时间：2025年4月1日"]))
    assert [e.line_no for e in entries] == [0, 2]  # empty lines are not stored
    assert set(entries[0].grams) == {"传", "票", "传票"}
    assert entries[1].key == "p9:2"
    f = mongo_filter("应到时间", ["dos1", "dos3"])
    assert f == {"dossier_id": {"$in": ["dos1", "dos3"]}, "grams": {"$all": ["应到", "到时", "时间"]}}
    assert all(g in entries[1].grams for g in f["grams"]["$all"])  # type: ignore[index]
    assert mongo_filter("  ", ["dos1"]) is None
    rare_first = mongo_filter("应到时间", ["dos1"], frequency={"应到": 50, "到时": 3, "时间": 900})
    assert rare_first["grams"]["$all"] == ["到时", "应到", "时间"]  # type: ignore[index]
