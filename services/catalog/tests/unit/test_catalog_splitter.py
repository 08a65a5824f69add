"""Splitting a batch into documents without separator sheets (吉高法〔2020〕11号 第三条(三); 法〔2016〕264号 二(三))."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from juanzong_catalog.domain.categories import CaseKind, Category
from juanzong_catalog.domain.classifier import Classifier
from juanzong_catalog.domain.pages import PageText
from juanzong_catalog.domain.splitter import split_batch
from juanzong_training.corpus import generate_bundle

pytestmark = pytest.mark.unit

KEYWORDS = {"起诉": Category.COMPLAINT, "送达": Category.SERVICE_RECEIPT, "判决": Category.JUDGMENT,
            "借条": Category.EVIDENCE, "证据": Category.EVIDENCE, "笔录": Category.TRIAL_RECORD,
            "答辩": Category.DEFENCE}


def _ranges(result) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    return [(d.first_seq, d.last_seq) for d in result.documents]


def test_titles_split_a_batch_without_separator_sheets(
        make_page: Callable[..., PageText], keyword_classifier: Callable[..., Classifier]) -> None:
    pages = [
        make_page("a", 0, ["民事起诉状", "原告：张三", "诉讼请求：偿还借款"]),
        make_page("b", 1, ["事实与理由：被告借款未还。", "此致", "长春市朝阳区人民法院"]),
        make_page("c", 2, ["长春市朝阳区人民法院", "送 达 回 证", "案号：（2025）吉0104民初8号"]),
        make_page("d", 3, ["长春市朝阳区人民法院", "送 达 回 证", "案号：（2025）吉0104民初8号"]),
        make_page("e", 4, ["民事答辩状", "答辩人：李四"]),
    ]
    result = split_batch(pages, keyword_classifier(KEYWORDS))
    assert _ranges(result) == [(0, 1), (2, 2), (3, 3), (4, 4)]
    assert [d.basis for d in result.documents] == ["batch_start", "title:title_exact", "title:title_exact",
                                                   "title:title_exact"]
    assert all(0 < d.split_confidence <= 1 for d in result.documents)


def test_page_footers_hold_a_document_together_and_close_it(
        make_page: Callable[..., PageText], keyword_classifier: Callable[..., Classifier]) -> None:
    """"第X页 共Y页" continuity beats a page that, read alone, looks like something else."""
    pages = [
        make_page("a", 0, ["民事判决书", "原告：张三", "第1页 共3页"]),
        make_page("b", 1, ["送达地址与送达方式的认定。", "第2页 共3页"]),  # model alone would say 送达回证
        make_page("c", 2, ["判决如下：驳回原告的诉讼请求。", "第3页 共3页"]),
        make_page("d", 3, ["本页无标题，但上一份已经结束", "借条事实"]),
    ]
    result = split_batch(pages, keyword_classifier(KEYWORDS, sure=0.95))
    assert _ranges(result) == [(0, 2), (3, 3)]
    assert result.documents[1].basis == "footer_last_page"


def test_a_blank_page_separates_and_belongs_to_no_document(
        make_page: Callable[..., PageText], keyword_classifier: Callable[..., Classifier]) -> None:
    pages = [
        make_page("a", 0, ["证据清单", "1 借条"]),
        make_page("blank", 1, []),
        make_page("c", 2, ["借 条", "今借到张三人民币5000元"]),
    ]
    result = split_batch(pages, keyword_classifier(KEYWORDS))
    assert _ranges(result) == [(0, 0), (2, 2)]
    assert result.blank_page_ids == ("blank",)
    assert result.documents[1].basis == "blank_separator"


def test_evidence_exhibits_after_an_evidence_list_stay_one_entry(
        make_page: Callable[..., PageText], keyword_classifier: Callable[..., Classifier]) -> None:
    """A party's evidence bundle is one catalogue entry; a new 证据清单 opens the next one."""
    pages = [
        make_page("a", 0, ["证据清单", "提交人：张三", "1 借条 证明借款事实"]),
        make_page("b", 1, ["借 条", "今借到张三人民币5000元"]),
        make_page("c", 2, ["收 条", "今收到李四还款1000元"]),
        make_page("d", 3, ["证据目录", "提交人：李四"]),
    ]
    result = split_batch(pages, keyword_classifier(KEYWORDS))
    assert _ranges(result) == [(0, 2), (3, 3)]
    assert result.documents[0].split_confidence == pytest.approx(0.8)


def test_without_any_heading_the_model_cuts_only_when_sure(
        make_page: Callable[..., PageText], keyword_classifier: Callable[..., Classifier]) -> None:
    pages = [
        make_page("a", 0, ["民事起诉状", "起诉的事实"]),
        make_page("b", 1, ["起诉的理由继续"]),
        make_page("c", 2, ["判决的主文内容"]),  # no heading, model sure of another category
    ]
    sure = split_batch(pages, keyword_classifier(KEYWORDS, sure=0.97))
    assert _ranges(sure) == [(0, 1), (2, 2)]
    assert sure.documents[1].basis == "model_category_change"
    unsure = split_batch(pages, keyword_classifier(KEYWORDS, sure=0.6))
    assert _ranges(unsure) == [(0, 2)]
    assert unsure.documents[0].split_confidence < 1.0


def test_pages_are_taken_in_scan_order_whatever_order_they_arrive_in(
        make_page: Callable[..., PageText], keyword_classifier: Callable[..., Classifier]) -> None:
    pages = [make_page("b", 1, ["送达回证"]), make_page("a", 0, ["民事起诉状"])]
    result = split_batch(pages, keyword_classifier(KEYWORDS))
    assert [d.page_ids for d in result.documents] == [("a",), ("b",)]


@pytest.mark.parametrize("kind", list(CaseKind))
def test_generated_bundle_without_separators_is_split_at_the_true_boundaries(
        kind: CaseKind, trained_classifier: Classifier) -> None:
    """A whole noisy batch, no separator sheets (blank_rate 0): boundary F1 ≥ 0.97 (issue 5 target)."""
    tp = fp = fn = 0
    for seed in (501, 502):
        bundle = generate_bundle(seed, kind, min_pages=50, blank_rate=0.0)
        result = split_batch(bundle.pages, trained_classifier)
        truth = {ids[0] for _, ids in bundle.documents[1:]}
        pred = {d.page_ids[0] for d in result.documents[1:]}
        tp, fp, fn = tp + len(truth & pred), fp + len(pred - truth), fn + len(truth - pred)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.97
