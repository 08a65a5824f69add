"""The catalogue (目录) categories of an electronic dossier and the standard order of each volume.

Source of the order: 《人民法院诉讼文书立卷归档办法》 (short key ``立卷归档办法``), 第十二条 (民事一审),
第十三条 (民事二审) and 第十四条 (materials the lists do not name, and other case kinds, follow the
same order by analogy / by formation). Deliberation, 审判委员会 and case-report materials are kept in
the 副卷, as summarised in issue 5; everything else is 正卷. Cover, catalogue, 备考表 and back cover
carry no page number (立卷归档办法, 卷内页号: "卷宗封面、卷内目录、备考表、卷底不编号").

Cataloguing after closing sorts by this order (长中法〔2018〕129号 第八条: 自动归目, 排序归类), and the
system arranges and classifies automatically (法〔2016〕264号 二(三)).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = [
    "CATEGORIES",
    "STANDARD_ORDER",
    "UNNUMBERED",
    "CaseKind",
    "Category",
    "CategorySpec",
    "Volume",
    "category_by_name",
    "order_index",
    "spec",
]


class Volume(StrEnum):
    """正卷 (main volume) or 副卷 (secondary volume, internal deliberations)."""

    MAIN = "main"
    SECONDARY = "secondary"

    @property
    def name_zh(self) -> str:
        return {"main": "正卷", "secondary": "副卷"}[self.value]


class CaseKind(StrEnum):
    """The kinds of case whose volume order the standard fixes."""

    CIVIL_FIRST_INSTANCE = "civil_first_instance"  # 民事一审
    CIVIL_SECOND_INSTANCE = "civil_second_instance"  # 民事二审
    ADMINISTRATIVE_FIRST_INSTANCE = "administrative_first_instance"  # 行政一审

    @property
    def name_zh(self) -> str:
        return {
            "civil_first_instance": "民事一审",
            "civil_second_instance": "民事二审",
            "administrative_first_instance": "行政一审",
        }[self.value]


class Category(StrEnum):
    """One catalogue category; each has exactly one English id (see the glossary)."""

    COVER = "cover"  # 卷宗封面
    CATALOGUE = "catalogue"  # 卷内目录
    APPEAL_TRANSFER_LETTER = "appeal_transfer_letter"  # 上诉案件移送函
    COMPLAINT = "complaint"  # 起诉状
    APPEAL_PETITION = "appeal_petition"  # 上诉状
    ACCEPTANCE_NOTICE = "acceptance_notice"  # 受理案件通知书
    FEE_NOTICE = "fee_notice"  # 缴纳诉讼费用通知书
    RESPONSE_NOTICE = "response_notice"  # 应诉通知书
    EVIDENCE_NOTICE = "evidence_notice"  # 举证通知书
    DEFENCE = "defence"  # 答辩状
    INQUIRY_RECORD = "inquiry_record"  # 询问笔录/调查笔录
    EVIDENCE = "evidence"  # 证据材料
    APPRAISAL_OPINION = "appraisal_opinion"  # 鉴定意见书
    PRESERVATION_APPLICATION = "preservation_application"  # 财产保全申请书
    MEDIATION_RECORD = "mediation_record"  # 调解笔录
    POWER_OF_ATTORNEY = "power_of_attorney"  # 授权委托书
    IDENTITY_PROOF = "identity_proof"  # 身份证明
    SERVICE_ADDRESS_CONFIRMATION = "service_address_confirmation"  # 送达地址确认书
    SUMMONS = "summons"  # 传票
    APPEARANCE_NOTICE = "appearance_notice"  # 出庭通知书
    HEARING_ANNOUNCEMENT = "hearing_announcement"  # 开庭公告
    TRIAL_RECORD = "trial_record"  # 庭审笔录
    MEDIATION_AGREEMENT = "mediation_agreement"  # 调解书
    WITHDRAWAL = "withdrawal"  # 撤诉申请书
    JUDGMENT = "judgment"  # 裁判文书 (判决书/裁定书)
    PRONOUNCEMENT_RECORD = "pronouncement_record"  # 宣判笔录
    SERVICE_RECEIPT = "service_receipt"  # 送达回证
    TRIAL_REPORT = "trial_report"  # 审理报告 (副卷)
    DELIBERATION_RECORD = "deliberation_record"  # 合议庭评议笔录 (副卷)
    JUDGES_MEETING_RECORD = "judges_meeting_record"  # 专业法官会议讨论记录 (副卷)
    COMMITTEE_RECORD = "committee_record"  # 审判委员会讨论笔录 (副卷)
    OTHER = "other"  # 其他材料
    REMARKS_SHEET = "remarks_sheet"  # 卷内备考表
    BACK_COVER = "back_cover"  # 卷底


class CategorySpec(BaseModel):
    """What the court calls a category, where it goes, and the titles that announce it.

    ``titles`` are the headings a document of this category starts with (spaces removed); the
    classifier's title rules are built from them, so the list is part of the rule set.
    ``continuation`` categories absorb consecutive pages of the same category into one catalogue
    entry (a party's evidence bundle, a set of identity papers), which is how clerks catalogue them.
    """

    model_config = ConfigDict(frozen=True)

    category: Category
    name_zh: str
    volume: Volume
    numbered: bool = True
    titles: tuple[str, ...] = ()
    continuation: bool = False
    court_issued: bool = False


def _s(category: Category, name_zh: str, titles: tuple[str, ...] = (), *, volume: Volume = Volume.MAIN,
       numbered: bool = True, continuation: bool = False, court: bool = False) -> CategorySpec:
    return CategorySpec(category=category, name_zh=name_zh, volume=volume, numbered=numbered,
                        titles=titles, continuation=continuation, court_issued=court)


_C = Category
_SPECS: tuple[CategorySpec, ...] = (
    _s(_C.COVER, "卷宗封面", ("诉讼卷宗", "诉讼案卷", "卷宗封面"), numbered=False, court=True),
    _s(_C.CATALOGUE, "卷内目录", ("卷内目录", "卷内文书目录"), numbered=False, court=True),
    _s(_C.APPEAL_TRANSFER_LETTER, "上诉案件移送函", ("上诉案件移送函", "上诉案件移送书"), court=True),
    _s(_C.COMPLAINT, "起诉状", ("民事起诉状", "起诉状", "行政起诉状", "起诉书", "口头起诉笔录")),
    _s(_C.APPEAL_PETITION, "上诉状", ("民事上诉状", "上诉状", "行政上诉状", "上诉书")),
    _s(_C.ACCEPTANCE_NOTICE, "受理案件通知书", ("受理案件通知书", "案件受理通知书", "立案通知书"), court=True),
    _s(_C.FEE_NOTICE, "缴纳诉讼费用通知书",
       ("缴纳诉讼费用通知书", "交纳诉讼费用通知书", "预交案件受理费通知书"), court=True),
    _s(_C.RESPONSE_NOTICE, "应诉通知书", ("应诉通知书",), court=True),
    _s(_C.EVIDENCE_NOTICE, "举证通知书", ("举证通知书",), court=True),
    _s(_C.DEFENCE, "答辩状", ("民事答辩状", "答辩状", "行政答辩状", "答辩意见")),
    _s(_C.INQUIRY_RECORD, "询问笔录、调查笔录", ("询问笔录", "调查笔录", "谈话笔录"), court=True),
    _s(_C.EVIDENCE, "证据材料",
       ("证据目录", "证据清单", "证据材料", "借条", "借款合同", "收条", "欠条", "房屋租赁合同",
        "买卖合同", "购销合同", "劳动合同", "劳动合同书", "物业服务合同", "转账凭证", "个人业务凭证回单",
        "银行交易明细", "聊天记录", "微信聊天记录", "收据", "住院收费票据", "行政处罚决定书", "送货单", "对账单",
        "道路交通事故认定书"), continuation=True),
    _s(_C.APPRAISAL_OPINION, "鉴定意见书", ("司法鉴定意见书", "鉴定意见书", "评估报告", "鉴定委托书")),
    _s(_C.PRESERVATION_APPLICATION, "财产保全申请书", ("财产保全申请书", "诉讼财产保全申请书", "保全申请书")),
    _s(_C.MEDIATION_RECORD, "调解笔录", ("调解笔录",), court=True),
    _s(_C.POWER_OF_ATTORNEY, "授权委托书", ("授权委托书", "委托书", "律师事务所函")),
    _s(_C.IDENTITY_PROOF, "身份证明",
       ("法定代表人身份证明书", "法定代表人身份证明", "居民身份证", "营业执照", "身份证明"), continuation=True),
    _s(_C.SERVICE_ADDRESS_CONFIRMATION, "送达地址确认书", ("送达地址确认书", "当事人送达地址确认书")),
    _s(_C.SUMMONS, "传票", ("传票",), court=True),
    _s(_C.APPEARANCE_NOTICE, "出庭通知书", ("出庭通知书",), court=True),
    _s(_C.HEARING_ANNOUNCEMENT, "开庭公告", ("开庭公告", "公告"), court=True),
    _s(_C.TRIAL_RECORD, "庭审笔录", ("庭审笔录", "开庭笔录", "法庭审理笔录", "审判庭笔录"), court=True),
    _s(_C.MEDIATION_AGREEMENT, "调解书", ("民事调解书", "调解书", "行政调解书"), court=True),
    _s(_C.WITHDRAWAL, "撤诉申请书", ("撤诉申请书", "撤回起诉申请书", "撤回上诉申请书", "撤诉书")),
    _s(_C.JUDGMENT, "裁判文书",
       ("民事判决书", "民事裁定书", "行政判决书", "行政裁定书", "判决书", "裁定书"), court=True),
    _s(_C.PRONOUNCEMENT_RECORD, "宣判笔录", ("宣判笔录",), court=True),
    _s(_C.SERVICE_RECEIPT, "送达回证", ("送达回证",), court=True),
    _s(_C.TRIAL_REPORT, "审理报告", ("审理报告", "案件审理报告", "案情报告"), volume=Volume.SECONDARY,
       court=True),
    _s(_C.DELIBERATION_RECORD, "合议庭评议笔录", ("合议庭评议笔录", "评议笔录", "合议庭评议案件笔录"),
       volume=Volume.SECONDARY, court=True),
    _s(_C.JUDGES_MEETING_RECORD, "专业法官会议讨论记录",
       ("专业法官会议讨论记录", "专业法官会议记录", "法官会议讨论记录"), volume=Volume.SECONDARY, court=True),
    _s(_C.COMMITTEE_RECORD, "审判委员会讨论笔录",
       ("审判委员会讨论案件笔录", "审判委员会讨论笔录", "审委会讨论笔录", "审判委员会决议"),
       volume=Volume.SECONDARY, court=True),
    _s(_C.OTHER, "其他材料", ("情况说明", "延期开庭申请书", "工作联系函")),
    _s(_C.REMARKS_SHEET, "卷内备考表", ("卷内备考表", "备考表"), numbered=False, court=True),
    _s(_C.BACK_COVER, "卷底", ("卷底",), numbered=False, court=True),
)

CATEGORIES: dict[Category, CategorySpec] = {s.category: s for s in _SPECS}
UNNUMBERED: frozenset[Category] = frozenset(c for c, s in CATEGORIES.items() if not s.numbered)

# 立卷归档办法 第十二条 (民事一审正卷), with 案情报告/评议笔录/审委会记录 moved to the 副卷. Categories the
# article does not name sit where the formation order of a case puts them (第十四条).
_CIVIL_FIRST_MAIN: tuple[Category, ...] = (
    _C.COVER,  # (1) 卷宗封面
    _C.CATALOGUE,  # (2) 卷内目录
    _C.COMPLAINT,  # (3) 诉状或口诉笔录
    _C.ACCEPTANCE_NOTICE,  # (4) 立案通知书
    _C.FEE_NOTICE,  # (4) 通知缴纳诉讼费
    _C.RESPONSE_NOTICE,  # (5) 应诉通知书
    _C.EVIDENCE_NOTICE,  # (5) 举证通知 sent with the 应诉通知书 (第十四条)
    _C.DEFENCE,  # (6) 答辩书
    _C.INQUIRY_RECORD,  # (7)(8) 询问笔录, 调查笔录
    _C.EVIDENCE,  # (8) 调查取证材料
    _C.APPRAISAL_OPINION,  # (11) 鉴定委托书 / 鉴定材料
    _C.PRESERVATION_APPLICATION,  # 第十四条: by formation, after the evidence
    _C.MEDIATION_RECORD,  # (9) 调解材料和调解笔录
    _C.POWER_OF_ATTORNEY,  # (11) 授权委托书
    _C.IDENTITY_PROOF,  # (11) 法定代表人身份证明
    _C.SERVICE_ADDRESS_CONFIRMATION,  # 第十四条: with the parties' papers
    _C.SUMMONS,  # (12) 开庭前的通知、传票
    _C.APPEARANCE_NOTICE,  # (12)
    _C.HEARING_ANNOUNCEMENT,  # (13) 开庭公告
    _C.TRIAL_RECORD,  # (14) 审判庭笔录
    _C.MEDIATION_AGREEMENT,  # (17) 调解书
    _C.WITHDRAWAL,  # (17) 撤诉书
    _C.JUDGMENT,  # (19) 判决书或裁定书
    _C.PRONOUNCEMENT_RECORD,  # (20) 宣判笔录
    _C.SERVICE_RECEIPT,  # (21) 送达回证
    _C.APPEAL_PETITION,  # (22) 上诉书
    _C.APPEAL_TRANSFER_LETTER,  # 第十四条: the transfer follows the appeal
    _C.OTHER,  # 第十四条: unlisted materials, in formation order, before the 备考表
    _C.REMARKS_SHEET,  # (27) 备考表
    _C.BACK_COVER,  # (28) 卷底
)

# 立卷归档办法 第十三条 (民事二审正卷).
_CIVIL_SECOND_MAIN: tuple[Category, ...] = (
    _C.COVER,  # (1)
    _C.CATALOGUE,  # (2)
    _C.APPEAL_TRANSFER_LETTER,  # (3) 上诉移送书
    # (4) 原审法院判决书、裁定书: a JUDGMENT carrying another case number — see dossier ordering.
    _C.APPEAL_PETITION,  # (5) 上诉书
    _C.COMPLAINT,  # 第十四条: an original complaint sent up with the appeal
    _C.ACCEPTANCE_NOTICE,  # 第十四条
    _C.FEE_NOTICE,  # 第十四条
    _C.RESPONSE_NOTICE,  # 第十四条
    _C.EVIDENCE_NOTICE,  # 第十四条
    _C.DEFENCE,  # (6) 答辩状
    _C.POWER_OF_ATTORNEY,  # 第十四条: parties' papers follow the pleadings
    _C.IDENTITY_PROOF,  # 第十四条
    _C.SERVICE_ADDRESS_CONFIRMATION,  # 第十四条
    _C.INQUIRY_RECORD,  # (8)(9) 询问笔录, 调查笔录
    _C.EVIDENCE,  # (9) 调查取证材料
    _C.APPRAISAL_OPINION,  # 第十四条
    _C.PRESERVATION_APPLICATION,  # 第十四条
    _C.MEDIATION_RECORD,  # (10) 调解笔录
    _C.WITHDRAWAL,  # (11) 撤诉书
    _C.SUMMONS,  # (13) 开庭前的通知、传票
    _C.APPEARANCE_NOTICE,  # (13)
    _C.HEARING_ANNOUNCEMENT,  # (13)
    _C.TRIAL_RECORD,  # (14) 审判庭笔录
    _C.MEDIATION_AGREEMENT,  # (18) 调解书
    _C.JUDGMENT,  # (18) 判决书、裁定书
    _C.PRONOUNCEMENT_RECORD,  # (19) 宣判笔录
    _C.SERVICE_RECEIPT,  # (20) 送达回证
    _C.OTHER,  # 第十四条
    _C.REMARKS_SHEET,  # (21) 备考表
    _C.BACK_COVER,  # (22) 卷底
)

# 副卷: internal materials; the same for every case kind here.
_SECONDARY: tuple[Category, ...] = (
    _C.COVER,
    _C.CATALOGUE,
    _C.TRIAL_REPORT,  # 案情报告 / 审理报告
    _C.DELIBERATION_RECORD,  # 评议笔录
    _C.JUDGES_MEETING_RECORD,  # 专业法官会议讨论记录
    _C.COMMITTEE_RECORD,  # 审判委员会决议或记录
    _C.REMARKS_SHEET,
    _C.BACK_COVER,
)

STANDARD_ORDER: dict[CaseKind, dict[Volume, tuple[Category, ...]]] = {
    CaseKind.CIVIL_FIRST_INSTANCE: {Volume.MAIN: _CIVIL_FIRST_MAIN, Volume.SECONDARY: _SECONDARY},
    CaseKind.CIVIL_SECOND_INSTANCE: {Volume.MAIN: _CIVIL_SECOND_MAIN, Volume.SECONDARY: _SECONDARY},
    # 第十四条: administrative first instance follows the first-instance order by analogy.
    CaseKind.ADMINISTRATIVE_FIRST_INSTANCE: {Volume.MAIN: _CIVIL_FIRST_MAIN, Volume.SECONDARY: _SECONDARY},
}


def spec(category: Category) -> CategorySpec:
    return CATEGORIES[category]


def order_index(kind: CaseKind, category: Category, volume: Volume | None = None) -> float:
    """Position of ``category`` in the standard order of its volume (立卷归档办法 第十二条/第十三条).

    Cover/catalogue/备考表/卷底 exist in both volumes; pass ``volume`` to choose. A category the
    order does not list goes just before the 备考表 (立卷归档办法 第十四条: 按形成的顺序排列).
    """
    vol = volume or CATEGORIES[category].volume
    order = STANDARD_ORDER[kind][vol]
    if category in order:
        return float(order.index(category))
    return order.index(Category.REMARKS_SHEET) - 0.5  # ties are broken by formation order


def category_by_name(name_zh: str) -> Category | None:
    """The category whose Chinese name or one of whose titles is exactly ``name_zh``."""
    for s in _SPECS:
        if name_zh == s.name_zh or name_zh in s.titles:
            return s.category
    return None
