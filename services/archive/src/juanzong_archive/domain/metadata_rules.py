"""Rules a compiled dossier and a package's metadata must satisfy before and after archiving.

Pure functions returning problems as Chinese sentences (empty list = no problem); the builder refuses
a dossier with problems, the four-property check reports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from juanzong_shared.case_numbers import CaseNumber

from juanzong_archive.domain.dossier import CaseMetadata, CompiledDossier, VolumeKind

CASE_ELEMENTS: tuple[str, ...] = (
    "档号",
    "全宗号",
    "年度",
    "法院名称",
    "案号",
    "案由",
    "当事人",
    "审判程序",
    "结果",
    "合议庭",
    "承办人",
    "书记员",
    "册数",
    "保管期限",
    "密级",
    "立案日期",
    "结案日期",
)
"""Mandatory case-level metadata elements of 元数据.xml (element names under <案件>)."""

DOCUMENT_ELEMENTS: tuple[str, ...] = (
    "件号",
    "件档号",
    "题名",
    "类别",
    "日期",
    "责任者",
    "起始页",
    "终止页",
    "页数",
    "电子文件",
)
"""Mandatory document-level metadata elements (children of each <卷内文件> element)."""


@dataclass(frozen=True)
class PageSpan:
    """A document's declared electronic page range and how many pages it really has."""

    label: str
    first_page: int
    last_page: int
    actual_pages: int


def missing_case_metadata(case: CaseMetadata) -> list[str]:
    """Case-level items that are empty.

    青法〔2021〕116号 一 (元数据采集) and GB/T 18894-2016: the e-archive carries its case-level metadata
    (案号, 案由, 当事人, 审判程序, 结果, 合议庭, 承办人, 书记员, 保管期限, 密级, dates); none may be blank.
    """
    missing: list[str] = []
    for name, value in (
        ("案号", case.case_number),
        ("案由", case.cause),
        ("审判程序", case.procedure),
        ("结果", case.outcome),
        ("承办人", case.judge),
        ("书记员", case.clerk),
    ):
        if not value.strip():
            missing.append(name)
    if not case.parties:
        missing.append("当事人")
    if not case.panel:
        missing.append("合议庭")
    return missing


def case_metadata_problems(case: CaseMetadata) -> list[str]:
    """Problems with the case-level metadata: missing items, malformed 案号, dates out of order.

    青法〔2021〕116号 一 (元数据); 《关于人民法院案件案号的若干规定》 for the 案号 form.
    """
    problems = [f"案件级元数据缺少“{name}”" for name in missing_case_metadata(case)]
    if case.case_number.strip() and CaseNumber.read(case.case_number) is None:
        problems.append(f"案号“{case.case_number}”不符合案号编制规则")
    if case.closing_date < case.filing_date:
        problems.append(f"结案日期 {case.closing_date} 早于立案日期 {case.filing_date}")
    return problems


def page_sequence_problems(volume_label: str, spans: Sequence[PageSpan]) -> list[str]:
    """Gaps, overlaps and short documents in a volume's electronic page numbering.

    《人民法院诉讼文书立卷归档办法》: pages are numbered one by one from 1 without gaps; 长中法〔2018〕129号
    第九条: the e-dossier equals the paper file in content, count and order; DA/T 70-2018 完整性
    (连续编号的元数据项无漏号).
    """
    problems: list[str] = []
    expected = 1
    for span in spans:
        if span.first_page > expected:
            problems.append(
                f"{volume_label}第 {expected}–{span.first_page - 1} 页缺失（“{span.label}”前页码不连续）"
            )
        elif span.first_page < expected:
            problems.append(
                f"{volume_label}“{span.label}”起始页 {span.first_page} 与前一件重叠（应为 {expected}）"
            )
        declared = span.last_page - span.first_page + 1
        if span.actual_pages != declared:
            problems.append(
                f"{volume_label}“{span.label}”页号 {span.first_page}–{span.last_page} 应有 {declared} 页，"
                f"实有 {span.actual_pages} 页"
            )
        expected = max(expected, span.last_page + 1)
    return problems


def secrecy_problems(case: CaseMetadata) -> list[str]:
    """Cases involving state secrets are not handled on the paperless platform.

    吉高法〔2020〕11号 第十条: 涉国家秘密的案件暂不开展电子卷宗随案同步生成工作 — so they are not converted
    into an e-archive here either.
    """
    if case.secrecy_level.is_state_secret:
        return [f"密级为“{case.secrecy_level.value}”的涉密案件不得在本系统生成电子档案"]
    return []


def volume_structure_problems(dossier: CompiledDossier) -> list[str]:
    """The dossier has a 正卷, no duplicate (卷别, 册号) and no empty volume.

    《人民法院诉讼文书立卷归档办法》: materials are filed in 正卷 and 副卷.
    """
    problems: list[str] = []
    if not any(v.kind is VolumeKind.MAIN for v in dossier.volumes):
        problems.append("缺少正卷")
    seen: set[tuple[VolumeKind, int]] = set()
    for volume in dossier.volumes:
        key = (volume.kind, volume.book_number)
        if key in seen:
            problems.append(f"{volume.kind.value}第 {volume.book_number} 册重复")
        seen.add(key)
        if not volume.documents:
            problems.append(f"{volume.kind.value}第 {volume.book_number} 册没有卷内文件")
    return problems


def page_quality_problems(dossier: CompiledDossier) -> list[str]:
    """Every page passed image QC and page ids are unique.

    法〔2016〕264号 二(五): 电子卷宗审查和监管 covers 数据完整度 and 图像文件清晰度; 吉高法〔2020〕11号 第三条(七):
    核查 requires every page to have passed QC before 组卷.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for volume in dossier.volumes:
        for doc in volume.documents:
            for offset, page in enumerate(doc.pages):
                number = doc.first_page + offset
                if not page.qc.passed:
                    problems.append(f"{volume.kind.value}第 {number} 页（{doc.title}）未通过图像质检")
                if page.page_id in seen:
                    problems.append(f"页面标识 {page.page_id} 重复")
                seen.add(page.page_id)
    return problems


def document_metadata_problems(dossier: CompiledDossier) -> list[str]:
    """Each document has a title, category and 责任者 (DA/T 70-2018 完整性: 元数据项齐全)."""
    problems: list[str] = []
    for volume in dossier.volumes:
        for index, doc in enumerate(volume.documents, start=1):
            for name, value in (("题名", doc.title), ("类别", doc.category), ("责任者", doc.issuer)):
                if not value.strip():
                    problems.append(f"{volume.kind.value}第 {index} 件缺少“{name}”")
    return problems


def dossier_problems(dossier: CompiledDossier) -> list[str]:
    """Everything that stops a compiled dossier from becoming an e-archive (empty = ready)."""
    problems = case_metadata_problems(dossier.case)
    problems += secrecy_problems(dossier.case)
    problems += volume_structure_problems(dossier)
    problems += document_metadata_problems(dossier)
    for volume in dossier.volumes:
        label = f"{volume.kind.value}第 {volume.book_number} 册"
        spans = [PageSpan(d.title, d.first_page, d.last_page, len(d.pages)) for d in volume.documents]
        problems += page_sequence_problems(label, spans)
    problems += page_quality_problems(dossier)
    return problems
