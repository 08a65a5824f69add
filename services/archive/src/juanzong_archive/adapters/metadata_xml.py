"""元数据.xml and 目录文件.xml of a package, written and read with lxml.

Element names are Chinese (the package documents are read by archive staff); the code names of each
element are in the glossary. 元数据.xml carries the case-level items (案号, 案由, 当事人, 审判程序, 结果,
合议庭, 承办人, 书记员, 册数, 保管期限, 密级, dates), each volume and document (题名, 日期, 页号, 责任者,
its file with SHA-256), each page's QC and OCR provenance, and who did what and when (业务行为).
Parsing never resolves entities or touches the network: imported transfer packages are untrusted.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from juanzong_archive.domain.dossier import (
    CaseMetadata,
    CompiledDossier,
    Court,
    OcrRecord,
    PanelMember,
    Party,
    ProcessingEvent,
    QcRecord,
    RetentionPeriod,
    SecrecyLevel,
    VolumeKind,
)
from juanzong_archive.domain.package import (
    FileRole,
    PackageRecord,
    RecordedDocument,
    RecordedFile,
    RecordedPage,
    RecordedVolume,
    SealRecord,
)

FORMAT_VERSION = "1.0"
METADATA_ROOT = "电子档案元数据"
CATALOGUE_ROOT = "目录文件"


class MetadataFormatError(ValueError):
    """元数据.xml is not well formed or lacks something the reader needs."""


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)


def parse_xml(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise MetadataFormatError(f"XML 格式错误：{exc}") from exc


def _sub(parent: etree._Element, tag: str, text: str | int | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: v for k, v in attrs.items()})
    if text is not None:
        el.text = str(text)
    return el


def _iso(ts: dt.datetime) -> str:
    return ts.isoformat()


def _file_el(parent: etree._Element, file: RecordedFile) -> None:
    _sub(
        parent,
        "电子文件",
        路径=file.path,
        角色=file.role.value,
        SHA256=file.sha256,
        字节数=str(file.size),
        页数=str(file.page_count),
    )


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def metadata_xml(record: PackageRecord, dossier: CompiledDossier) -> bytes:
    """元数据.xml for ``record`` (``dossier`` adds 立卷人/检查人)."""
    case = record.case
    root = etree.Element(METADATA_ROOT, {"版本": FORMAT_VERSION, "生成时间": _iso(record.created_at)})
    c = _sub(root, "案件")
    _sub(c, "档号", record.archival_code)
    _sub(c, "全宗号", case.court.fonds_code)
    _sub(c, "年度", case.closing_date.year)
    _sub(c, "法院名称", case.court.name)
    _sub(c, "法院代字", case.court.code)
    _sub(c, "案号", case.case_number)
    _sub(c, "案由", case.cause)
    parties = _sub(c, "当事人")
    for party in case.parties:
        _sub(parties, "当事人项", party.name, 诉讼地位=party.role)
    _sub(c, "审判程序", case.procedure)
    _sub(c, "结果", case.outcome)
    panel = _sub(c, "合议庭")
    for member in case.panel:
        _sub(panel, "成员", member.name, 职务=member.role)
    _sub(c, "承办人", case.judge)
    _sub(c, "书记员", case.clerk)
    _sub(c, "册数", record.book_count)
    _sub(c, "件数", record.document_count)
    _sub(c, "页数", record.page_count)
    _sub(c, "保管期限", case.retention_period.value)
    _sub(c, "密级", case.secrecy_level.value)
    _sub(c, "立案日期", case.filing_date.isoformat())
    _sub(c, "结案日期", case.closing_date.isoformat())
    _sub(c, "立卷人", dossier.compiled_by or case.clerk)
    _sub(c, "检查人", dossier.reviewed_by or "")

    volumes = _sub(root, "案卷列表")
    for volume in record.volumes:
        v = _sub(volumes, "案卷", 卷档号=volume.code, 卷别=volume.kind.value, 册号=str(volume.book_number))
        _sub(v, "封面目录页数", volume.front_pages)
        _sub(v, "编号页数", volume.numbered_pages)
        _sub(v, "备考表页数", volume.back_pages)
        _file_el(v, volume.file)
        docs = _sub(v, "卷内文件列表")
        for doc in volume.documents:
            d = _sub(docs, "卷内文件")
            _sub(d, "件号", doc.item_number)
            _sub(d, "件档号", doc.code)
            _sub(d, "题名", doc.title)
            _sub(d, "类别", doc.category)
            _sub(d, "日期", doc.date.isoformat() if doc.date else "")
            _sub(d, "责任者", doc.issuer)
            _sub(d, "起始页", doc.first_page)
            _sub(d, "终止页", doc.last_page)
            _sub(d, "页数", len(doc.pages))
            _file_el(d, doc.file)
            pages = _sub(d, "页面列表")
            for page in doc.pages:
                p = _sub(pages, "页面", 页号=str(page.number), 页面标识=page.page_id)
                qc = page.qc
                qc_attrs = {
                    "结果": "通过" if qc.passed else "不通过",
                    "分辨率": str(qc.dpi),
                    "检查时间": _iso(qc.checked_at),
                    "检查者": qc.checked_by,
                }
                if qc.blur_score is not None:
                    qc_attrs["模糊度"] = repr(qc.blur_score)
                if qc.skew_degrees is not None:
                    qc_attrs["倾斜角度"] = repr(qc.skew_degrees)
                _sub(p, "质检", **qc_attrs)
                if page.ocr is not None:
                    _sub(
                        p,
                        "识别",
                        引擎=page.ocr.engine,
                        版本=page.ocr.engine_version,
                        平均置信度=repr(page.ocr.mean_confidence),
                        字符数=str(page.ocr.char_count),
                        识别时间=_iso(page.ocr.recognised_at),
                    )
    events = _sub(root, "业务行为列表")
    for event in record.events:
        _sub(
            events,
            "业务行为",
            event.detail or None,
            时间=_iso(event.occurred_at),
            执行者=event.actor,
            角色=event.role,
            行为=event.action,
        )
    seal = record.seal
    _sub(
        root,
        "电子签章",
        证书主题=seal.subject,
        颁发者=seal.issuer,
        序列号=seal.serial_number,
        SHA256指纹=seal.sha256_fingerprint,
    )
    return _serialise(root)


def catalogue_xml(record: PackageRecord) -> bytes:
    """目录文件.xml (DA/T 93-2022): volumes and their documents with page ranges and file paths."""
    root = etree.Element(
        CATALOGUE_ROOT,
        {
            "版本": FORMAT_VERSION,
            "档号": record.archival_code,
            "案号": record.case.case_number,
            "生成时间": _iso(record.created_at),
        },
    )
    for volume in record.volumes:
        v = _sub(
            root,
            "案卷",
            卷档号=volume.code,
            卷别=volume.kind.value,
            册号=str(volume.book_number),
            件数=str(len(volume.documents)),
            页数=str(volume.numbered_pages),
            电子文件=volume.file.path,
        )
        for doc in volume.documents:
            _sub(
                v,
                "卷内文件",
                件号=str(doc.item_number),
                件档号=doc.code,
                题名=doc.title,
                责任者=doc.issuer,
                日期=doc.date.isoformat() if doc.date else "",
                页号=f"{doc.first_page}-{doc.last_page}",
                电子文件=doc.file.path,
            )
    return _serialise(root)


# ------------------------------------------------------------------------------------ reading


def _text(parent: etree._Element, tag: str) -> str:
    el = parent.find(tag)
    if el is None:
        raise MetadataFormatError(f"缺少元素 <{tag}>")
    return (el.text or "").strip()


def _attr(el: etree._Element, name: str) -> str:
    value = el.get(name)
    if value is None:
        raise MetadataFormatError(f"<{el.tag}> 缺少属性 {name}")
    return value


def _read_file(parent: etree._Element) -> RecordedFile:
    el = parent.find("电子文件")
    if el is None:
        raise MetadataFormatError(f"<{parent.tag}> 缺少 <电子文件>")
    return RecordedFile(
        path=_attr(el, "路径"),
        role=FileRole(_attr(el, "角色")),
        sha256=_attr(el, "SHA256"),
        size=int(_attr(el, "字节数")),
        page_count=int(_attr(el, "页数")),
    )


def _read_page(el: etree._Element) -> RecordedPage:
    qc_el = el.find("质检")
    if qc_el is None:
        raise MetadataFormatError("页面缺少 <质检>")
    qc = QcRecord(
        passed=_attr(qc_el, "结果") == "通过",
        dpi=int(_attr(qc_el, "分辨率")),
        blur_score=float(qc_el.get("模糊度")) if qc_el.get("模糊度") is not None else None,
        skew_degrees=float(qc_el.get("倾斜角度")) if qc_el.get("倾斜角度") is not None else None,
        checked_at=dt.datetime.fromisoformat(_attr(qc_el, "检查时间")),
        checked_by=_attr(qc_el, "检查者"),
    )
    ocr_el = el.find("识别")
    ocr = None
    if ocr_el is not None:
        ocr = OcrRecord(
            engine=_attr(ocr_el, "引擎"),
            engine_version=ocr_el.get("版本", ""),
            mean_confidence=float(_attr(ocr_el, "平均置信度")),
            char_count=int(_attr(ocr_el, "字符数")),
            recognised_at=dt.datetime.fromisoformat(_attr(ocr_el, "识别时间")),
        )
    return RecordedPage(number=int(_attr(el, "页号")), page_id=_attr(el, "页面标识"), qc=qc, ocr=ocr)


def read_metadata(data: bytes) -> PackageRecord:
    """Parse 元数据.xml back into a :class:`PackageRecord`; raises MetadataFormatError."""
    root = parse_xml(data)
    if root.tag != METADATA_ROOT:
        raise MetadataFormatError(f"根元素应为 <{METADATA_ROOT}>，实为 <{root.tag}>")
    try:
        c = root.find("案件")
        if c is None:
            raise MetadataFormatError("缺少 <案件>")
        case = CaseMetadata(
            case_number=_text(c, "案号"),
            cause=_text(c, "案由"),
            parties=tuple(
                Party(role=_attr(p, "诉讼地位"), name=(p.text or "").strip())
                for p in c.iterfind("当事人/当事人项")
            ),
            procedure=_text(c, "审判程序"),
            outcome=_text(c, "结果"),
            panel=tuple(
                PanelMember(role=_attr(m, "职务"), name=(m.text or "").strip())
                for m in c.iterfind("合议庭/成员")
            ),
            judge=_text(c, "承办人"),
            clerk=_text(c, "书记员"),
            retention_period=RetentionPeriod(_text(c, "保管期限")),
            secrecy_level=SecrecyLevel(_text(c, "密级")),
            court=Court(name=_text(c, "法院名称"), code=_text(c, "法院代字"), fonds_code=_text(c, "全宗号")),
            filing_date=dt.date.fromisoformat(_text(c, "立案日期")),
            closing_date=dt.date.fromisoformat(_text(c, "结案日期")),
        )
        volumes: list[RecordedVolume] = []
        for v in root.iterfind("案卷列表/案卷"):
            documents = []
            for d in v.iterfind("卷内文件列表/卷内文件"):
                documents.append(
                    RecordedDocument(
                        item_number=int(_text(d, "件号")),
                        code=_text(d, "件档号"),
                        title=_text(d, "题名"),
                        category=_text(d, "类别"),
                        date=dt.date.fromisoformat(_text(d, "日期")) if _text(d, "日期") else None,
                        issuer=_text(d, "责任者"),
                        first_page=int(_text(d, "起始页")),
                        last_page=int(_text(d, "终止页")),
                        file=_read_file(d),
                        pages=tuple(_read_page(p) for p in d.iterfind("页面列表/页面")),
                    )
                )
            volumes.append(
                RecordedVolume(
                    code=_attr(v, "卷档号"),
                    kind=VolumeKind(_attr(v, "卷别")),
                    book_number=int(_attr(v, "册号")),
                    front_pages=int(_text(v, "封面目录页数")),
                    numbered_pages=int(_text(v, "编号页数")),
                    back_pages=int(_text(v, "备考表页数")),
                    file=_read_file(v),
                    documents=tuple(documents),
                )
            )
        events = tuple(
            ProcessingEvent(
                occurred_at=dt.datetime.fromisoformat(_attr(e, "时间")),
                actor=_attr(e, "执行者"),
                role=_attr(e, "角色"),
                action=_attr(e, "行为"),
                detail=(e.text or "").strip(),
            )
            for e in root.iterfind("业务行为列表/业务行为")
        )
        seal_el = root.find("电子签章")
        if seal_el is None:
            raise MetadataFormatError("缺少 <电子签章>")
        seal = SealRecord(
            subject=_attr(seal_el, "证书主题"),
            issuer=_attr(seal_el, "颁发者"),
            serial_number=_attr(seal_el, "序列号"),
            sha256_fingerprint=_attr(seal_el, "SHA256指纹"),
        )
        return PackageRecord(
            archival_code=_text(c, "档号"),
            created_at=dt.datetime.fromisoformat(_attr(root, "生成时间")),
            case=case,
            book_count=int(_text(c, "册数")),
            volumes=tuple(volumes),
            events=events,
            seal=seal,
        )
    except MetadataFormatError:
        raise
    except (ValueError, TypeError) as exc:
        raise MetadataFormatError(f"元数据内容无效：{exc}") from exc


# Elements that must be present but may be empty: 日期 of material that bears no date of its own (an
# identity-card copy), as the 卷内目录 leaves it blank; 电子文件 carries attributes, not text.
VALUE_OPTIONAL = frozenset({"日期", "电子文件"})


def missing_elements(
    root: etree._Element, case_elements: tuple[str, ...], document_elements: tuple[str, ...]
) -> list[str]:
    """Mandatory elements that are absent or empty in 元数据.xml (structural check on the raw tree)."""
    missing: list[str] = []
    case = root.find("案件")
    if case is None:
        return ["<案件>"]
    for name in case_elements:
        el = case.find(name)
        if el is None or (not (el.text or "").strip() and len(el) == 0):
            missing.append(f"案件/{name}")
    for v_index, volume in enumerate(root.iterfind("案卷列表/案卷"), start=1):
        for d_index, doc in enumerate(volume.iterfind("卷内文件列表/卷内文件"), start=1):
            for name in document_elements:
                el = doc.find(name)
                if el is None or (name not in VALUE_OPTIONAL and not (el.text or "").strip()):
                    missing.append(f"第 {v_index} 卷第 {d_index} 件/{name}")
    return missing
