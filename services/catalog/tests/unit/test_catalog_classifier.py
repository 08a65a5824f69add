"""Classification: named title/field rules, the model beside them, and the review threshold.

法〔2016〕264号 二(三) (自动归类) and 吉高法〔2020〕11号 第三条(三) (编目归目): every decision carries a
confidence and its basis; uncertain ones go to review instead of being filed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from juanzong_catalog.domain.categories import Category
from juanzong_catalog.domain.classifier import (
    REVIEW_THRESHOLD,
    Classifier,
    content_rule,
    ends_signed,
    issuer_header,
    title_rule,
)
from juanzong_catalog.domain.pages import PageText
from juanzong_training.corpus import generate_corpus

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("lines", "rule", "category"), [
    (["民事起诉状", "原告：张三，男"], "title_exact", Category.COMPLAINT),
    (["吉林省长春市中级人民法院", "民 事 判 决 书", "（2025）吉01民终123号"], "title_exact", Category.JUDGMENT),
    (["长春市朝阳区人民法院", "传 票", "（2025）吉0104民初88号"], "title_exact", Category.SUMMONS),
    (["长春市朝阳区人民法院传票", "案由：民间借贷纠纷"], "title_after_court", Category.SUMMONS),
    (["合议庭评议", "笔录", "时间：2025年3月12日"], "title_joined", Category.DELIBERATION_RECORD),
    (["送达回讧", "案号：（2025）吉0104民初88号"], "title_fuzzy", Category.SERVICE_RECEIPT),
    (["民亊答辩状", "答辩人：李四"], "title_fuzzy", Category.DEFENCE),
])
def test_title_rules_name_the_rule_that_fired(lines: list[str], rule: str, category: Category) -> None:
    hit = title_rule(lines)
    assert hit is not None
    assert (hit.rule, hit.category) == (rule, category)
    assert 0 < hit.confidence <= 1


def test_fuzzy_title_one_slip_from_two_categories_is_left_to_the_model() -> None:
    """``民事赵诉状`` is one slip from both 民事起诉状 and 民事上诉状: no rule, rather than a coin toss."""
    assert title_rule(["民事赵诉状", "某某"]) is None


def test_title_below_the_heading_lines_or_inside_a_sentence_does_not_fire() -> None:
    assert title_rule(["本院认为，原告的诉讼请求成立。", "附：授权委托书一份"]) is None
    body = ["第一行正文内容", "第二行正文内容", "第三行正文内容", "第四行正文内容", "第五行正文内容", "传票"]
    assert title_rule(body) is None


def test_identity_papers_are_recognised_by_their_fields() -> None:
    hit = content_rule("姓名 张三\n性别 男 民族 汉\n公民身份号码 220104198005031234")
    assert hit is not None and (hit.rule, hit.category) == ("id_card_fields", Category.IDENTITY_PROOF)
    lic = content_rule("营 业 执 照\n统一社会信用代码 91220101MA0000000X\n注册资本 伍佰万元整\n登记机关 长春市市场监督管理局")
    assert lic is not None and lic.rule == "business_licence"
    assert content_rule("原告诉称被告欠款未还") is None


def test_layout_cues_issuer_header_and_signed_ending() -> None:
    assert issuer_header(["吉林省长春市中级人民法院", "传 票"])
    assert not issuer_header(["本院认为，上诉于吉林省长春市中级人民法院的理由不成立，应予驳回，特此说明原因"])
    assert ends_signed(["此致", "具状人：张三", "2025年3月12日"])
    assert ends_signed(["审判员 李四", "二〇二五年三月十二日", "书记员 王五", "第2页 共2页"][:3])
    assert not ends_signed(["原告的诉讼请求成立，本院予以支持。"])


def _doc(make_page: Callable[..., PageText], *texts: list[str]) -> list[PageText]:
    return [make_page(f"p{i}", i, t) for i, t in enumerate(texts)]


def test_rule_and_model_agreeing_give_high_confidence_with_both_named(
        make_page: Callable[..., PageText], keyword_classifier: Callable[..., Classifier]) -> None:
    clf = keyword_classifier({"起诉": Category.COMPLAINT})
    sig = clf.page_signals(_doc(make_page, ["民事起诉状", "原告：张三，男，住长春市。", "诉讼请求：偿还借款"]))
    result = clf.classify_document(sig)  # type: ignore[arg-type]
    assert result.category is Category.COMPLAINT
    assert result.basis == "rule:title_exact+model"
    assert result.confidence > 0.99
    assert not result.needs_review


def test_model_disagreeing_with_the_heading_lowers_confidence(
        make_page: Callable[..., PageText], keyword_classifier: Callable[..., Classifier]) -> None:
    clf = keyword_classifier({"借款": Category.EVIDENCE}, sure=0.95)
    sig = clf.page_signals(_doc(make_page, ["民事起诉状", "借款事实"]))
    result = clf.classify_document(sig)  # type: ignore[arg-type]
    assert result.candidate is Category.COMPLAINT
    assert result.basis == "rule:title_exact"
    assert result.confidence < 0.97  # the bare rule's confidence, lowered


def test_uncertain_model_only_decision_goes_to_review_not_a_guess(
        make_page: Callable[..., PageText], keyword_classifier: Callable[..., Classifier]) -> None:
    """法〔2016〕264号 二(五) quality review: below the threshold the document is queued, not filed."""
    clf = keyword_classifier({"情况": Category.OTHER}, sure=0.4)
    sig = clf.page_signals(_doc(make_page, ["关于本案有关情况的说明，请予审阅。"]))
    result = clf.classify_document(sig)  # type: ignore[arg-type]
    assert result.basis == "model"
    assert result.confidence < REVIEW_THRESHOLD
    assert result.needs_review and result.category is None
    assert result.candidate is Category.OTHER
    assert result.alternatives and result.alternatives[0][0] is Category.OTHER


def test_trained_model_classifies_unseen_generated_documents(trained_classifier: Classifier) -> None:
    """The shipped model on documents from a seed it was not trained on, OCR noise included."""
    docs = generate_corpus(4242, per_category=3, noise_range=(0.3, 0.9))
    correct = 0
    for d in docs:
        signals = trained_classifier.page_signals(d.pages)
        result = trained_classifier.classify_document(signals)  # type: ignore[arg-type]
        correct += result.candidate is d.truth.category
    assert correct / len(docs) >= 0.95


def test_model_alone_without_any_title_still_finds_the_category(trained_classifier: Classifier) -> None:
    """Headings lost to OCR: the first two lines removed, the model must carry the decision."""
    docs = generate_corpus(4343, per_category=2, noise_range=(0.2, 0.5),
                           categories=[Category.TRIAL_RECORD, Category.SERVICE_ADDRESS_CONFIRMATION,
                                       Category.FEE_NOTICE, Category.COMMITTEE_RECORD])
    for d in docs:
        first = d.pages[0]
        stripped = first.model_copy(update={"lines": first.lines[2:],
                                            "text": "\n".join(ln.text for ln in first.lines[2:])})
        signals = trained_classifier.page_signals([stripped, *d.pages[1:]])
        result = trained_classifier.classify_document(signals)  # type: ignore[arg-type]
        assert result.basis == "model"
        assert result.candidate is d.truth.category
