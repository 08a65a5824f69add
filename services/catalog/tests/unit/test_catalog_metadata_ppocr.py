"""卷内目录 日期 and 责任者 from what PP-OCRv5 really read on the sample appeal (（2026）吉01民终1001号).

PP-OCRv5 drops 〇 (U+3007) — 二〇二五年十一月三日 arrives as 二二五年十一月三日 — and archive's 核查 refuses a
catalogue row without 日期 or 责任者. The lines below are the recognised text of the shipped sample's
pages (their last lines verbatim); each test names the document it stands for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pytest
from juanzong_catalog.domain.categories import Category
from juanzong_catalog.domain.metadata import extract_metadata, parse_date
from juanzong_catalog.domain.pages import PageText

pytestmark = pytest.mark.unit

COURT = "吉林省长春市中级人民法院"
CASE = "（2026）吉01民终1001号"

MakePage = Callable[..., PageText]


def _doc(make_page: MakePage, *pages: Sequence[str]) -> list[PageText]:
    return [make_page(f"p{i + 1}", i, list(lines)) for i, lines in enumerate(pages)]


# ------------------------------------------------------------------------------------ parse_date


@pytest.mark.parametrize(("text", "expected"), [
    ("二二五年十一月三日", dt.date(2025, 11, 3)),  # 二〇二五 with the 〇 dropped
    ("二二六年一月八日", dt.date(2026, 1, 8)),
    ("二二六年三月十日", dt.date(2026, 3, 10)),
    ("二一九年十二月三十一日", dt.date(2019, 12, 31)),
    ("二〇五年三月一日", dt.date(2005, 3, 1)),  # 二〇〇五 with one of its two 〇 dropped
    ("二O二五年十一月三日", dt.date(2025, 11, 3)),  # 〇 read as a Latin O
    ("二o二五年十一月三日", dt.date(2025, 11, 3)),
    ("二0二五年十一月三日", dt.date(2025, 11, 3)),  # as the digit 0
    ("二○二五年十一月三日", dt.date(2025, 11, 3)),  # as the geometric ○ (U+25CB)
    ("二零二五年十一月三日", dt.date(2025, 11, 3)),
    ("二ＯＯ五年三月一日", dt.date(2005, 3, 1)),  # full-width O
    ("时间：二二六年二月二十六日上午九时", dt.date(2026, 2, 26)),
])
def test_a_year_whose_zero_ocr_dropped_or_misread_is_still_a_year(text: str, expected: dt.date) -> None:
    assert [d for _, d in parse_date(text)] == [expected]


def test_a_dropped_zero_year_after_a_name_ending_in_a_numeral_is_found() -> None:
    """Spaces go before parsing, so a signer 王一 runs into the date: 王一二二六年一月八日."""
    assert parse_date("受送达人签收 王一 二二六年一月八日") == [(8, dt.date(2026, 1, 8))]
    assert parse_date("受送达人签收 赵立军二二六年一月十日") == [(9, dt.date(2026, 1, 10))]


@pytest.mark.parametrize("text", [
    "二二五年二月三十日",  # no 30 February
    "二二五年十三月三日",  # no 13th month
    "二二五年〇月三日",
    "二二五年一月三十二日",
    "一八九九年一月一日",  # before 1949
    "二一〇一年一月一日",  # after 2100
    "二二年一月一日",  # two characters: too little left to tell the year
    "应到时间二二六年二月二十六九",  # 日 read as 九: no date
    "人民币二二五万元",
    "二OO〇年一月一日",  # not two real numerals
])
def test_nonsense_is_still_refused(text: str) -> None:
    assert parse_date(text) == []


# ------------------------------------------------------------------------- the sample's documents


def test_appeal_petition_signed_and_dated_on_its_last_lines(make_page: MakePage) -> None:
    """民事上诉状: ``… 此致 | 吉林省长春市中级人民法院 | 上诉人：赵立军 | 二二五年十一月三日``."""
    pages = _doc(make_page, [
        "民事上诉状",
        "上诉人（原审被告）：赵立军，男，一九七八年五月六日出生，汉族，住长春市南关区自由大路一百二十号。",
        "被上诉人（原审原告）：孙秀梅，女，一九八二年九月十二日出生，汉族，住长春市朝阳区红旗街八十八号。",
        "事实与理由：原审认定借款本金十二万元错误。双方于二二三年三月签订借条后，上诉人已通过银行转账分两次归还四万元，",
        "此致", COURT, "上诉人：赵立军", "二二五年十一月三日"])
    md = extract_metadata(pages, Category.APPEAL_PETITION, court_name=COURT)
    assert md.date == dt.date(2025, 11, 3)
    assert md.issuing_party == "赵立军"


def test_acceptance_notice_dated_after_its_closing_words(make_page: MakePage) -> None:
    """受理案件通知书: ``… 三、本院将依法组成合议庭审理本案。 | 特此通知。 | 二二六年一月八日``."""
    pages = _doc(make_page, [
        COURT, "受理案件通知书", CASE, "赵立军：", "你方与孙秀梅民间借贷纠纷上诉一案，本院已依法立案受理。",
        "三、本院将依法组成合议庭审理本案。", "特此通知。", "二二六年一月八日"])
    md = extract_metadata(pages, Category.ACCEPTANCE_NOTICE, court_name=COURT)
    assert (md.date, md.issuing_party) == (dt.date(2026, 1, 8), COURT)


def test_power_of_attorney_read_with_its_zero(make_page: MakePage) -> None:
    """授权委托书: ``… 委托人：赵立军 | 二〇二五年十一月三日`` (the one 〇 OCR kept)."""
    pages = _doc(make_page, ["授权委托书", "委托人：赵立军，男，住长春市南关区自由大路一百二十号。",
                             "受委托人：陈建华，吉林长城律师事务所律师。", "委托人：赵立军", "二〇二五年十一月三日"])
    md = extract_metadata(pages, Category.POWER_OF_ATTORNEY)
    assert (md.date, md.issuing_party) == (dt.date(2025, 11, 3), "赵立军")


ID_COPY = ["居民身份证复印件", "姓名 赵立军 性别 男 民族 汉", "出生1978年5月6日", "住址 长春市南关区自由大路一百二十号",
           "公民身份号码 220102197805061234", "签发机关长春市公安局南关分局", "有效期限2016.03.01-2036.03.01",
           "本复印件与原件核对一致 核对人 李明"]


def test_id_card_copy_is_issued_by_its_holder_and_bears_no_date(make_page: MakePage) -> None:
    """身份证明: the person named (姓名); no date of its own — not the birth date, not the validity."""
    md = extract_metadata(_doc(make_page, ID_COPY), Category.IDENTITY_PROOF)
    assert md.issuing_party == "赵立军"
    assert md.date is None


@pytest.mark.parametrize(("name_line", "expected"), [
    ("姓名 赵立军", "赵立军"),
    ("姓名：赵立军", "赵立军"),
    ("姓名赵立军性别男民族汉", "赵立军"),
    (None, "长春市公安局南关分局"),  # 姓名 not read: the issuing authority
])
def test_id_card_holder_variants(make_page: MakePage, name_line: str | None, expected: str) -> None:
    lines = [ln for ln in ID_COPY if not ln.startswith("姓名")]
    if name_line:
        lines.insert(1, name_line)
    assert extract_metadata(_doc(make_page, lines), Category.IDENTITY_PROOF).issuing_party == expected


def test_a_birth_date_ocr_split_from_its_label_is_not_the_documents_date(make_page: MakePage) -> None:
    lines = ["居民身份证复印件", "姓名 赵立军", "出生", "1978年5月6日", "签发机关长春市公安局南关分局"]
    assert extract_metadata(_doc(make_page, lines), Category.IDENTITY_PROOF).date is None


EVIDENCE_LIST = [
    "证据清单", "上诉人：赵立军",
    "一、中国工商银行转账凭证一份，证明上诉人于二二三年八月十日向被上诉人归还借款二万元。",
    "二、中国建设银行转账凭证一份，证明上诉人于二二四年一月十", "五日向被上诉人归还借款二万元。",
    "三、微信聊天记录截图六页，证明被上诉人认可已收到上述还款。", "提交人：赵立军", "二二五年十一月三日"]
BANK_SLIP = ["中国工商银行 转账凭证", "交易日期 2023年8月10日", "付款人 赵立军", "收款人 孙秀梅",
             "金额 人民币贰万元整 20000.00", "用途 还款", "交易状态 成功", "业务专用章 中国工商银行长春自由大路支行"]


def test_evidence_list_dated_by_its_signature_not_its_sentences(make_page: MakePage) -> None:
    """证据清单 (pages 5-6): the submission date, not 证明上诉人于二〇二四年一月十五日… nor the slip's 交易日期."""
    md = extract_metadata(_doc(make_page, EVIDENCE_LIST, BANK_SLIP), Category.EVIDENCE)
    assert md.date == dt.date(2025, 11, 3)
    assert md.issuing_party == "赵立军"
    unsigned = extract_metadata(_doc(make_page, EVIDENCE_LIST[:-1], BANK_SLIP), Category.EVIDENCE)
    assert unsigned.date is None  # no date of its own rather than a sentence's


SUMMONS_HEAD = [COURT, "传票", CASE, "案由民间借贷纠纷", "被传唤人赵立军", "传唤事由开庭审理"]
SUMMONS_TAIL = ["应到处所本院第十二法庭", "注意事项：被传唤人必须准时到达应到处所，本票由被传唤人带来报到。", "审判员王建国"]


def test_summons_dated_by_its_signature_line_not_the_appointment(make_page: MakePage) -> None:
    """传票: ``应到时间二二六年二月二十六九`` is when to appear; ``二二六年一月八日`` at the bottom is its date."""
    pages = _doc(make_page, [*SUMMONS_HEAD, "应到时间二二六年二月二十六九", *SUMMONS_TAIL, "二二六年一月八日"])
    md = extract_metadata(pages, Category.SUMMONS, court_name=COURT)
    assert (md.date, md.issuing_party) == (dt.date(2026, 1, 8), COURT)


@pytest.mark.parametrize("appointment", ["应到时间二二六年二月二十六九", "应到时间二〇二六年二月二十六日上午九时",
                                         "应到时间：二〇二六年二月二十六日"])
def test_summons_without_a_signature_date_has_none(make_page: MakePage, appointment: str) -> None:
    pages = _doc(make_page, [*SUMMONS_HEAD, appointment, *SUMMONS_TAIL])
    assert extract_metadata(pages, Category.SUMMONS, court_name=COURT).date is None


TRIAL_P1 = ["庭审笔录", "时间：二二六年二月二十六日上午九时", "地点：本院第十二法庭", f"案号：{CASE}",
            "审判长：王建国 审判员：李海燕 审判员：张志刚", "书记员：周敏",
            "审判长：现在开庭。核对当事人身份。上诉人赵立军到庭，委托诉讼代理人陈建华到庭。被上诉人孙秀梅到庭。",
            "审判长：上诉人陈述上诉请求及理由。", "上诉人：请求撤销原审判决第一项，改判偿还本金八万元。已经归还的四万元有银行转账凭证。",
            "被上诉人：收到的两笔转账是支付的利息，不是本金。"]
TRIAL_P2 = ["审判长：现在进行法庭辩论。", "被上诉人：双方口头约定了利息。", "审判长：法庭辩论结束。双方是否同意调解？",
            "上诉人：同意。被上诉人：不同意。", "审判长：调解不成，休庭，合议庭评议后宣判。", "（以下无正文）",
            "上诉人 赵立军 被上诉人 孙秀梅 书记员 周敏"]


def test_trial_record_dated_by_its_header_and_issued_by_the_court_it_names(make_page: MakePage) -> None:
    """庭审笔录 (pages 8-9): 时间 line of the header; the court heading page 8 — never 请求撤销原审判决第一项…"""
    md = extract_metadata(_doc(make_page, [COURT, *TRIAL_P1], TRIAL_P2), Category.TRIAL_RECORD)
    assert md.date == dt.date(2026, 2, 26)
    assert md.issuing_party == COURT


def test_trial_record_without_a_court_header_is_issued_by_this_court(make_page: MakePage) -> None:
    pages = _doc(make_page, TRIAL_P1, TRIAL_P2)
    md = extract_metadata(pages, Category.TRIAL_RECORD, court_name=COURT)
    assert (md.date, md.issuing_party) == (dt.date(2026, 2, 26), COURT)
    # Not knowing 本院 leaves the 责任者 empty (for a person to fill) rather than a sentence someone said.
    assert extract_metadata(pages, Category.TRIAL_RECORD).issuing_party is None


@pytest.mark.parametrize("category", [Category.INQUIRY_RECORD, Category.DELIBERATION_RECORD])
def test_other_records_take_the_header_time_and_court(make_page: MakePage, category: Category) -> None:
    """调查笔录, 评议笔录: as 庭审笔录 — even when a party's dated signature closes the record."""
    pages = _doc(make_page, [COURT, "调查笔录" if category is Category.INQUIRY_RECORD else "合议庭评议笔录",
                             "时间：二二六年二月二十日上午九时", "地点：本院", "上诉人：请求撤销原审判决。",
                             "被调查人（签名）：赵立军", "二二六年二月二十一日"])
    md = extract_metadata(pages, category)
    assert (md.date, md.issuing_party) == (dt.date(2026, 2, 20), COURT)


def test_judgment_dated_on_its_last_page(make_page: MakePage) -> None:
    """民事判决书 (pages 10-11): ``… 审判员 张志刚 | 二二六年三月十日 | 书记员周敏``."""
    p1 = [COURT, "民事判决书", CASE, "上诉人（原审被告）：赵立军，男，住长春市南关区。",
          "被上诉人（原审原告）：孙秀梅，女，住长春市朝阳区。",
          "上诉人赵立军因与被上诉人孙秀梅民间借贷纠纷一案，不服长春市南关区人民法院（2025）吉0102民初2345号民事判决，",
          "本判决为终审判决。"]
    p2 = ["二审案件受理费一千八百元，由被上诉人孙秀梅负担。", "本判决为终审判决。", "审判长 王建国", "审判员李海燕",
          "审判员 张志刚", "二二六年三月十日", "书记员周敏"]
    md = extract_metadata(_doc(make_page, p1, p2), Category.JUDGMENT)
    assert (md.date, md.issuing_party) == (dt.date(2026, 3, 10), COURT)


def test_a_judgment_is_dated_by_its_last_page_even_when_an_earlier_one_shows_a_date_alone(
        make_page: MakePage) -> None:
    """A date wrapped onto a line of its own in the body is not the signature: the last page's is."""
    p1 = [COURT, "民事判决书", CASE, "本院于", "二二五年十二月一日", "立案后，依法组成合议庭进行了审理。"]
    p2 = ["本判决为终审判决。", "审判长 王建国", "二二六年三月十日", "书记员周敏"]
    assert extract_metadata(_doc(make_page, p1, p2), Category.JUDGMENT).date == dt.date(2026, 3, 10)


def test_service_receipt_dated_when_the_recipient_signed(make_page: MakePage) -> None:
    """送达回证: ``受送达人签收 赵立军二二六年一月十日`` — the receipt date follows the label on its line."""
    pages = _doc(make_page, [COURT, "送达回证", CASE, "送达文书 受理案件通知书 传票 举证通知书", "受送达人赵立军",
                             "送达地点长春市南关区自由大路一百二十号", "受送达人签收 赵立军二二六年一月十日", "送达人刘洋"])
    md = extract_metadata(pages, Category.SERVICE_RECEIPT, court_name=COURT)
    assert (md.date, md.issuing_party) == (dt.date(2026, 1, 10), COURT)


def test_a_signer_line_holding_a_sentence_is_not_an_issuer(make_page: MakePage) -> None:
    """Outside records too, ``上诉人：`` followed by a sentence is not a name."""
    pages = _doc(make_page, ["情况说明", "上诉人：请求撤销原审判决第一项，改判偿还本金八万元。", "二二六年一月八日"])
    md = extract_metadata(pages, Category.OTHER)
    assert md.issuing_party is None
    assert md.date == dt.date(2026, 1, 8)


# ----------------------------------------------------------------------------- the whole sample batch

SAMPLE_BATCH: tuple[tuple[str, tuple[str, ...]], ...] = (  # (expected category, OCR lines) per page
    ("appeal_petition", ("民事上诉状",
                         "上诉人（原审被告）：赵立军，男，一九七八年五月六日出生，汉族，住长春市南关区自由大路一百二十号。",
                         "被上诉人（原审原告）：孙秀梅，女，一九八二年九月十二日出生，汉族，住长春市朝阳区红旗街八十八号。",
                         "上诉人因与被上诉人民间借贷纠纷一案，不服长春市南关区人民法院（2025）吉0102民初2345号民事判决，现提起上诉。",
                         "上诉请求：一、撤销原审判决第一项，依法改判上诉人仅偿还借款本金八万元；二、本案一审、二审诉讼费用由被上诉人负担。",
                         "事实与理由：原审认定借款本金十二万元错误。双方于二二三年三月签订借条后，上诉人已通过银行转账分两次归还四万元，",
                         "有转账凭证为证，原审对此未予认定，属于认定事实不清。", "此致", COURT, "上诉人：赵立军",
                         "二二五年十一月三日")),
    ("identity_proof", tuple(ID_COPY)),
    ("power_of_attorney", ("授权委托书", "委托人：赵立军，男，住长春市南关区自由大路一百二十号。",
                           "受委托人：陈建华，吉林长城律师事务所律师。",
                           "现委托陈建华在上诉人赵立军与被上诉人孙秀梅民间借贷纠纷一案中，作为我方的诉讼代理人。",
                           "代理人的代理权限为：特别授权，代为承认、放弃、变更诉讼请求，进行和解，提起上诉，代为签收法律文书。",
                           "委托人：赵立军", "二〇二五年十一月三日")),
    ("evidence", tuple(EVIDENCE_LIST)),
    ("evidence", tuple(BANK_SLIP)),
    ("acceptance_notice", (COURT, "受理案件通知书", CASE, "赵立军：",
                           "你方与孙秀梅民间借贷纠纷上诉一案，本院已依法立案受理。现将有关事项通知如下：",
                           "一、本案由本院民事审判第一庭审理，承办法官王建国。", "二、当事人应当遵守诉讼秩序，依法行使诉讼权利。",
                           "三、本院将依法组成合议庭审理本案。", "特此通知。", "二二六年一月八日")),
    ("summons", (*SUMMONS_HEAD, "应到时间二二六年二月二十六九", *SUMMONS_TAIL, "二二六年一月八日")),
    ("service_receipt", (COURT, "送达回证", CASE, "送达文书 受理案件通知书 传票 举证通知书", "受送达人赵立军",
                         "送达地点长春市南关区自由大路一百二十号", "受送达人签收 赵立军二二六年一月十日", "送达人刘洋")),
    ("trial_record", (COURT, *TRIAL_P1)),
    ("trial_record", tuple(TRIAL_P2)),
    ("judgment", (COURT, "民事判决书", CASE, "上诉人（原审被告）：赵立军，男，住长春市南关区。",
                  "被上诉人（原审原告）：孙秀梅，女，住长春市朝阳区。",
                  "上诉人赵立军因与被上诉人孙秀梅民间借贷纠纷一案，不服长春市南关区人民法院（2025）吉0102民初2345号民事判决，",
                  "向本院提起上诉。本院依法组成合议庭审理了本案，现已审理终结。", "上诉人已归还的四万元应当冲抵借款本金。",
                  "本判决为终审判决。")),
    ("judgment", ("二审案件受理费一千八百元，由被上诉人孙秀梅负担。", "本判决为终审判决。", "审判长 王建国", "审判员李海燕",
                  "审判员 张志刚", "二二六年三月十日", "书记员周敏")),
)


def test_every_catalogue_row_of_the_sample_batch_has_date_and_issuer(make_page: MakePage, trained_classifier) -> None:
    """The sample batch as PP-OCRv5 read it, catalogued by the real model: archive's 核查 finds 日期 and
    责任者 on every row — but for the ID copy, which bears no date of its own."""
    from juanzong_catalog.domain.cataloguing import catalogue_batch

    pages = [make_page(f"s{i:02d}", i, list(lines)) for i, (_, lines) in enumerate(SAMPLE_BATCH)]
    result = catalogue_batch(pages, trained_classifier, court_name=COURT)
    rows = [(d.classification.candidate.value, d.metadata.date, d.metadata.issuing_party) for d in result.documents]
    assert rows == [
        ("appeal_petition", dt.date(2025, 11, 3), "赵立军"),
        ("identity_proof", None, "赵立军"),
        ("power_of_attorney", dt.date(2025, 11, 3), "赵立军"),
        ("evidence", dt.date(2025, 11, 3), "赵立军"),
        ("acceptance_notice", dt.date(2026, 1, 8), COURT),
        ("summons", dt.date(2026, 1, 8), COURT),
        ("service_receipt", dt.date(2026, 1, 10), COURT),
        ("trial_record", dt.date(2026, 2, 26), COURT),
        ("judgment", dt.date(2026, 3, 10), COURT),
    ]
    assert [len(d.page_ids) for d in result.documents] == [1, 1, 1, 2, 1, 1, 1, 2, 2]
