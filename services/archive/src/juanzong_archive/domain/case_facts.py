"""Case-level metadata of the e-archive, assembled from what the archive learns along the way.

Sources, lowest precedence first: what catalog knows of the case, what intake announced
(case.registered: court, cause, panel, date; case.closed: date, result), and what the assistance
centre enters at 组卷 (保管期限, 密级, corrections). 青法〔2021〕116号 一 (元数据) requires the case-level
items; a missing one is named, never invented.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from juanzong_shared.case_numbers import CaseNumber
from pydantic import ValidationError

from juanzong_archive.domain.dossier import (
    CaseMetadata,
    CompiledDossier,
    Court,
    DossierDocument,
    PageSource,
    PanelMember,
    Party,
    ProcessingEvent,
    RetentionPeriod,
    SecrecyLevel,
    Volume,
)
from juanzong_archive.domain.review import StagedDossier

_PROCEDURE_BY_TYPE = (
    ("终", "二审"), ("初", "一审"), ("再", "再审"), ("申", "申请再审审查"), ("监", "审判监督"),
    ("辖", "管辖"), ("执", "执行"), ("特", "特别程序"), ("督", "督促程序"), ("破", "破产"),
)
PANEL_ROLES = {"presiding_judge": "审判长", "undertaking_judge": "审判员", "panel_member": "审判员",
               "people_assessor": "人民陪审员"}
CASE_ITEMS_ZH = {"cause": "案由", "parties": "当事人", "procedure": "审判程序", "outcome": "结果",
                 "panel": "合议庭", "judge": "承办人", "clerk": "书记员", "retention_period": "保管期限",
                 "secrecy_level": "密级", "court": "法院（全宗号）", "filing_date": "立案日期",
                 "closing_date": "结案日期", "case_number": "案号"}


class CaseMetadataIncomplete(ValueError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__("案件级元数据不完整：缺少" + "、".join(missing))
        self.missing = missing


def court_code(case_number: str) -> str | None:
    """法院代字 from a 案号: （2020）吉01民终123号 → 吉01."""
    parsed = CaseNumber.read(case_number)
    return parsed.court if parsed else None


def procedure_of(case_number: str) -> str | None:
    """审判程序 from the 类型代字 of the 案号 (e.g. 民终 → 二审)."""
    parsed = CaseNumber.read(case_number)
    return next((name for mark, name in _PROCEDURE_BY_TYPE if mark in parsed.type_code), None) if parsed else None


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone(dt.timedelta(hours=8))).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return _date(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def _panel_from_intake(panel: list[dict]) -> tuple[list[PanelMember], str | None, str | None]:
    members, judge, clerk = [], None, None
    for person in panel:
        role, name = person.get("role"), person.get("name") or person.get("user_id")
        if not name:
            continue
        if role in PANEL_ROLES:
            members.append(PanelMember(role=PANEL_ROLES[role], name=name))
        if role == "undertaking_judge":
            judge = name
        if role == "clerk" or (role == "judge_assistant" and clerk is None):
            clerk = name
    members.sort(key=lambda m: 0 if m.role == "审判长" else 1)
    return members, judge, clerk


def _parties(value: Any) -> list[Party]:
    return [Party(role=p.get("role") or "当事人", name=p["name"]) for p in value or [] if p.get("name")]


def _panel(value: Any) -> list[PanelMember]:
    return [PanelMember(role=PANEL_ROLES.get(p.get("role", ""), p.get("role") or "审判员"), name=p["name"])
            for p in value or [] if p.get("name")]


def assemble_case(case_number: str, *, intake: dict, catalog: dict, entered: dict,
                  courts: dict[str, dict]) -> CaseMetadata:
    """Merge the sources (entered > intake > catalog) into :class:`CaseMetadata`, or name what is missing."""
    facts: dict[str, Any] = {"case_number": case_number}
    if catalog.get("cause"):  # the case as catalog was told of it (lowest precedence)
        facts["cause"] = catalog["cause"]
    # intake's announcements
    if _parties(intake.get("parties")):
        facts["parties"] = _parties(intake.get("parties"))
    if intake.get("cause"):
        facts["cause"] = intake["cause"]
    if intake.get("result"):
        facts["outcome"] = intake["result"]
    members, judge, clerk = _panel_from_intake(intake.get("panel") or [])
    if members:
        facts["panel"] = members
    if judge:
        facts["judge"] = judge
    if clerk:
        facts["clerk"] = clerk
    if _date(intake.get("registered_at")):
        facts["filing_date"] = _date(intake["registered_at"])
    if _date(intake.get("closed_at")):
        facts["closing_date"] = _date(intake["closed_at"])
    if intake.get("secret"):
        facts["secrecy_level"] = SecrecyLevel.CONFIDENTIAL
    facts.setdefault("procedure", procedure_of(case_number))
    # what the assistance centre entered at 组卷
    for key, value in entered.items():
        if value in (None, "", []):
            continue
        if key == "parties":
            facts[key] = _parties(value)
        elif key == "panel":
            facts[key] = _panel(value)
        elif key in ("filing_date", "closing_date"):
            facts[key] = _date(value)
        else:
            facts[key] = value
    code = intake.get("court_code") or court_code(case_number)
    court = courts.get(code or "") if code else None
    if court:
        facts["court"] = Court(name=court["name"], code=code, fonds_code=court["fonds_code"])
    missing = [CASE_ITEMS_ZH[k] for k in CASE_ITEMS_ZH if facts.get(k) in (None, "", [])]
    if missing:
        raise CaseMetadataIncomplete(missing)
    try:
        return CaseMetadata(
            case_number=case_number, cause=facts["cause"], parties=tuple(facts["parties"]),
            procedure=facts["procedure"], outcome=facts["outcome"], panel=tuple(facts["panel"]),
            judge=facts["judge"], clerk=facts["clerk"],
            retention_period=RetentionPeriod(facts["retention_period"]),
            secrecy_level=SecrecyLevel(facts["secrecy_level"]), court=facts["court"],
            filing_date=facts["filing_date"], closing_date=facts["closing_date"])
    except (ValidationError, ValueError) as error:
        raise CaseMetadataIncomplete([f"元数据无效：{error}"]) from None


def to_compiled(staged: StagedDossier, case: CaseMetadata, archive_serial: int, page_paths: dict[str, Any],
                events: list[ProcessingEvent], *, compiled_by: str | None, reviewed_by: str | None) -> CompiledDossier:
    """The builder's input: staged documents with the downloaded page files (numbered pages only — the
    cover, 卷内目录 and 备考表 of an archival volume are generated by the builder)."""
    volumes = []
    for volume in staged.volumes:
        documents = []
        for doc in volume.documents:
            pages = tuple(PageSource(page_id=p.page_id, pdf_path=page_paths[p.page_id], qc=p.qc, ocr=p.ocr)
                          for p in doc.pages if p.number is not None)
            if not pages:
                continue
            numbers = [p.number for p in doc.pages if p.number is not None]
            documents.append(DossierDocument(title=doc.title, category=doc.category, date=doc.date,
                                             issuer=doc.issuer, first_page=min(numbers),
                                             last_page=max(numbers), pages=pages))
        if documents:
            volumes.append(Volume(kind=volume.kind, book_number=volume.book_number, documents=tuple(documents)))
    return CompiledDossier(case=case, volumes=tuple(volumes), events=tuple(events), archive_serial=archive_serial,
                           compiled_by=compiled_by, reviewed_by=reviewed_by)
