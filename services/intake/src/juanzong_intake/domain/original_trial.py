"""Original-trial (原审) records for appeals and retrials: submission, linking, gaps, return.

吉高法〔2020〕11号 第三条(一): a lower court submitting an appeal or 申诉 case sends the original paper
archive, e-archive and e-dossier with it. 第三条(二): at 立案 the filing division checks that the original
e-archive and e-dossier were linked automatically, links the rest by hand, and returns to the original
court a case whose original e-archive/e-dossier the lower court did not attach.

Links are kept as an append-only history plus the current set, so every manual link and unlink keeps
who did it and why (全程留痕).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from juanzong_intake.domain import articles
from juanzong_intake.domain.case import Case, DossierWrite, ensure_not_secret
from juanzong_intake.domain.case_number import (
    AnyCaseNumber,
    CaseNumber,
    LegacyCaseNumber,
    OriginalCaseNumber,
    case_number_key,
    parse_original_case_number,
)
from juanzong_intake.domain.case_types import CaseType, Procedure, TrialLevel
from juanzong_intake.domain.courts import CourtRegistry
from juanzong_intake.domain.errors import LinkError, ManifestError, UnknownCourt

SYSTEM_ACTOR: Final = "system"
AUTO_LINK_REASON: Final = "按原审案号自动关联 (linked automatically by case number)"

# Retrial-type procedures decide on an effective, archived judgment, so the original e-archive exists
# and must be attached; an appeal's first-instance case is not archived yet.
_ARCHIVED_ORIGINAL: Final = frozenset({
    Procedure.RETRIAL_REVIEW, Procedure.PROTEST_REVIEW, Procedure.RETRIAL, Procedure.SUPERVISION,
})


class RecordKind(StrEnum):
    E_DOSSIER = "e_dossier"  # 电子卷宗
    E_ARCHIVE = "e_archive"  # 电子档案
    PAPER_ARCHIVE = "paper_archive"  # 纸质档案

    @property
    def zh(self) -> str:
        return {"e_dossier": "电子卷宗", "e_archive": "电子档案", "paper_archive": "纸质档案"}[self.value]


LINKABLE: Final = (RecordKind.E_DOSSIER, RecordKind.E_ARCHIVE)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("时间必须带时区 (timestamp must be timezone-aware)")
    return value


class OriginalSubmission(BaseModel):
    """One original case in a submission manifest, with what the lower court sends for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    original_case_number: OriginalCaseNumber
    e_dossier_refs: tuple[str, ...] = ()  # 原审电子卷宗标识
    e_archive_refs: tuple[str, ...] = ()  # 原审电子档案标识
    paper_volumes: int = Field(0, ge=0)  # 原审纸质档案卷数

    @field_validator("e_dossier_refs", "e_archive_refs")
    @classmethod
    def _refs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not ref.strip() for ref in value):
            raise ValueError("标识不能为空 (empty reference)")
        return value

    @property
    def key(self) -> str:
        return self.original_case_number.canonical

    def refs(self, kind: RecordKind) -> tuple[str, ...]:
        return {RecordKind.E_DOSSIER: self.e_dossier_refs, RecordKind.E_ARCHIVE: self.e_archive_refs}.get(kind, ())


class SubmissionManifest(BaseModel):
    """报送清单: what a lower court sends up with an appeal or 申诉 case (吉高法〔2020〕11号 第三条(一))."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    manifest_id: str = Field(..., min_length=1)
    case_number: CaseNumber  # 本案案号 at the receiving court
    submitting_court: str = Field(..., min_length=1)  # 报送法院代字
    submitted_at: datetime
    submitted_by: str | None = None
    originals: tuple[OriginalSubmission, ...] = Field(..., min_length=1)

    @field_validator("submitted_at")
    @classmethod
    def _aware_at(cls, value: datetime) -> datetime:
        return _aware(value)

    @field_validator("originals")
    @classmethod
    def _distinct(cls, value: tuple[OriginalSubmission, ...]) -> tuple[OriginalSubmission, ...]:
        keys = [o.key for o in value]
        if len(set(keys)) != len(keys):
            raise ValueError("报送清单中原审案号重复 (duplicate original case number)")
        return value

    def find(self, key: str) -> OriginalSubmission | None:
        return next((o for o in self.originals if o.key == key), None)


# -- which case can be an original (原审) of which ---------------------------------------------------
# 吉高法〔2020〕11号 第三条(一)(二): the originals of an appeal or 申诉 case are the earlier instance's cases that
# the lower court submits with it. A link opens the original's e-dossier and e-archive to the later case's
# team (第三条(四)), so only a case that really is the earlier instance may be linked: a 原审 is a fact of the
# case, never a key to another one.
_REVIEWS: Final = frozenset({Procedure.RETRIAL_REVIEW, Procedure.PROTEST_REVIEW, Procedure.SUPERVISION})


def _instance_rank(case_type: CaseType) -> int | None:
    """Order of instances: 一审 1, 二审 2, 再审审查/抗诉审查/审判监督 3, 再审 4; no instance (执行, 保全 …) None."""
    if case_type.procedure is Procedure.RETRIAL:
        return 4
    if case_type.procedure in _REVIEWS:
        return 3
    if case_type.trial_level is TrialLevel.SECOND:
        return 2
    if case_type.trial_level is TrialLevel.FIRST:
        return 1
    return None


def original_refusal(case: Case, original: AnyCaseNumber, courts: CourtRegistry | None = None) -> str | None:
    """Why ``original`` cannot be a 原审 of ``case`` (the reason court staff read), or ``None`` when it can.

    吉高法〔2020〕11号 第三条(一)(二), the same rule for registration, the 报送清单 and manual links:

    * only case types that decide on an earlier case (上诉、申诉、再审、审判监督、复核) have originals;
    * the original is of the same kind of case (民事 for 民事 …) and was received no later than this case;
    * an appeal's original is a first-instance case of a court directly below (the appeal goes up one level);
    * a retrial, retrial review or supervision case's original is an effective case of a lower court, or of
      this court at an earlier instance (本院再审: a 民终 for a 民再, not another 民再);
    * a death-penalty or similar review's (复核) original is a first- or second-instance case of a lower court;
    * a pre-2016 number (no uniform court code) is accepted only for retrial-type cases (申诉 of old cases).
    """
    procedure = case.procedure
    number = original.canonical
    if not procedure.requires_original_trial:
        return f"{case.case_type.name_zh}案件没有原审，不能关联原审案件{number}"
    if number == case.key:
        return "原审案号不能是本案案号"
    if original.year > case.case_number.year:
        return f"原审案件{number}的收案年度晚于本案，不是本案的前一审级"
    if isinstance(original, LegacyCaseNumber):
        if procedure.is_appeal or procedure is Procedure.CRIMINAL_REVIEW:
            return f"{case.case_type.name_zh}案件的原审案号应为现行案号（含法院代字），“{number}”无法核对原审法院"
        return None
    courts = courts or CourtRegistry.load()
    theirs = original.case_type
    if theirs.category is not case.category:
        return (f"原审案件{number}（{theirs.name_zh}）与本案（{case.case_type.name_zh}）不是同一类案件，"
                "不是本案的原审")
    court, lower = case.court_code, original.court_code
    rank, mine = _instance_rank(theirs), _instance_rank(case.case_type)
    if procedure.is_appeal:
        if not courts.is_superior(court, lower, direct=True):
            return f"上诉案件的原审应为{court}的直接下级法院审理的案件，{number}由{lower}审理"
        first = rank == 1 or (procedure is Procedure.JURISDICTION_APPEAL and theirs.procedure is Procedure.JURISDICTION)
        if not first:
            return f"上诉案件的原审应为一审案件，{number}是{theirs.name_zh}案件"
        return None
    below = courts.is_superior(court, lower)
    if procedure is Procedure.CRIMINAL_REVIEW:
        if not below or rank not in (1, 2):
            return f"复核案件的原审应为{court}下级法院的一审或二审案件，{number}不是"
        return None
    if not below and lower != court:
        return f"再审、申诉案件的原审应为本院或下级法院的案件，{number}由{lower}审理"
    if rank is None:
        return f"{number}是{theirs.name_zh}案件，不是再审、申诉所针对的裁判"
    if lower == court and mine is not None and rank >= mine:
        return f"本院{theirs.name_zh}案件{number}不是本案（{case.case_type.name_zh}）的前一审级"
    return None


def ensure_original(case: Case, original: AnyCaseNumber, field: str, courts: CourtRegistry | None = None) -> None:
    """Raise :class:`LinkError` naming ``field`` and 第三条(二) unless ``original`` can be an original of ``case``."""
    reason = original_refusal(case, original, courts)
    if reason is not None:
        raise LinkError(field, reason, article=articles.ART3_2)


# References of original records: this system's own e-dossier is ``e-dossier:<案号>``; an e-archive is named by
# its 档号; a lower court's system names its records as it likes (the 报送清单 lists them). None has blanks or
# control characters.
E_DOSSIER_PREFIX: Final = "e-dossier:"
_REF_SHAPE: Final = re.compile(r"[^\s\x00-\x1f\x7f]{1,200}")


def ref_refusal(original: AnyCaseNumber, kind: RecordKind, ref: str, known: Iterable[FoundRecord]) -> str | None:
    """Why ``ref`` is not a real reference of ``original``'s e-dossier / e-archive (第三条(二)), or ``None``.

    Real means: well formed, and a record this system has seen for that original — catalogued or archived
    here, or listed for it in a lower court's 报送清单. A free text is not a record.
    """
    if not _REF_SHAPE.fullmatch(ref):
        return f"标识“{ref[:60]}”格式不正确：应为1至200个字符，不含空格或控制字符"
    if ref.startswith(E_DOSSIER_PREFIX):
        if kind is not RecordKind.E_DOSSIER:
            return f"“{ref}”是电子卷宗标识，不是{kind.zh}标识"
        named = ref[len(E_DOSSIER_PREFIX):]
        if named != original.canonical:
            return f"电子卷宗标识“{ref}”属于{named}，不是{original.canonical}的电子卷宗"
    key = original.canonical
    if not any(r.key == key and r.kind is kind and r.ref == ref for r in known):
        return (f"本系统没有{key}的{kind.zh}“{ref}”：该{kind.zh}未在本系统编目或归档，下级法院的报送清单也未列明；"
                "请按报送清单或系统中的实际标识关联")
    return None


def validate_manifest(manifest: SubmissionManifest, case: Case, courts: CourtRegistry | None = None) -> None:
    """Check a manifest against the case it is for; raises :class:`ManifestError` naming the field.

    吉高法〔2020〕11号 第三条(一): the submitting court is a lower court of the receiving court, and each
    original case belongs to the submitting court or a court under it. An appeal's original comes from a
    court directly below (the appeal goes up one level).
    """
    ensure_not_secret(case, DossierWrite.RECEIVE_MANIFEST)
    courts = courts or CourtRegistry.load()
    if manifest.case_number.canonical != case.key:
        raise ManifestError("case_number", f"报送清单所属案号{manifest.case_number.canonical}与本案{case.key}不符",
                            article=articles.ART3_1)
    try:
        below = courts.is_superior(case.court_code, manifest.submitting_court)
    except UnknownCourt:
        raise ManifestError("submitting_court", f"未知报送法院代字“{manifest.submitting_court}”") from None
    if not below:
        raise ManifestError("submitting_court",
                            f"报送法院{manifest.submitting_court}不是{case.court_code}的下级法院",
                            article=articles.ART3_1)
    for i, original in enumerate(manifest.originals):
        number = original.original_case_number
        if not isinstance(number, CaseNumber):
            continue  # pre-2016 numbers carry no uniform court code
        field = f"originals[{i}].original_case_number"
        if number.canonical == case.key:
            raise ManifestError(field, "原审案号不能是本案案号")
        code = number.court_code
        if code != manifest.submitting_court and not courts.is_superior(manifest.submitting_court, code):
            raise ManifestError(field, f"原审案号{number.canonical}的法院{code}不是报送法院"
                                       f"{manifest.submitting_court}或其下级法院", article=articles.ART3_1)
        if case.procedure.is_appeal and not courts.is_superior(case.court_code, code, direct=True):
            raise ManifestError(field, f"上诉案件的原审法院{code}应为{case.court_code}的直接下级法院")
    for i, original in enumerate(manifest.originals):
        reason = original_refusal(case, original.original_case_number, courts)
        if reason is not None:
            raise ManifestError(f"originals[{i}].original_case_number", reason, article=articles.ART3_2)


class FoundRecord(BaseModel):
    """An original e-dossier or e-archive that the lookup found for a case number."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    original_case_number: OriginalCaseNumber
    kind: RecordKind
    ref: str = Field(..., min_length=1)
    source: str | None = None  # the system it was found in

    @field_validator("kind")
    @classmethod
    def _linkable(cls, value: RecordKind) -> RecordKind:
        if value not in LINKABLE:
            raise ValueError("只能关联电子卷宗或电子档案 (only e_dossier / e_archive can be linked)")
        return value

    @property
    def key(self) -> str:
        return self.original_case_number.canonical


class LinkMethod(StrEnum):
    AUTO = "auto"  # 自动关联
    MANUAL = "manual"  # 手动关联


class LinkAction(StrEnum):
    LINKED = "linked"
    UNLINKED = "unlinked"


class OriginalLink(BaseModel):
    """One current link from the case to an original e-dossier or e-archive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    original_case_number: OriginalCaseNumber
    kind: RecordKind
    ref: str = Field(..., min_length=1)
    method: LinkMethod
    linked_at: datetime
    linked_by: str
    reason: str | None = None

    @property
    def key(self) -> str:
        return self.original_case_number.canonical

    @property
    def identity(self) -> tuple[str, RecordKind, str]:
        return self.key, self.kind, self.ref


class LinkRecord(BaseModel):
    """One entry of the link history (全程留痕): who linked or unlinked what, when and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_number: str
    action: LinkAction
    original_case_number: OriginalCaseNumber
    kind: RecordKind
    ref: str
    method: LinkMethod
    at: datetime
    by: str
    reason: str | None = None

    @property
    def identity(self) -> tuple[str, RecordKind, str]:
        return self.original_case_number.canonical, self.kind, self.ref


class OriginalTrialLinks(BaseModel):
    """The case's current original-trial links and their full history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_number: CaseNumber
    links: tuple[OriginalLink, ...] = ()
    history: tuple[LinkRecord, ...] = ()

    @classmethod
    def empty(cls, case: Case) -> OriginalTrialLinks:
        return cls(case_number=case.case_number)

    def for_original(self, original: str | AnyCaseNumber) -> tuple[OriginalLink, ...]:
        """Links of one original; a string is taken as the canonical key."""
        key = original if isinstance(original, str) else case_number_key(original)
        return tuple(link for link in self.links if link.key == key)

    def has(self, original_key: str, kind: RecordKind) -> bool:
        return any(link.key == original_key and link.kind is kind for link in self.links)

    def find(self, original_key: str, kind: RecordKind, ref: str) -> OriginalLink | None:
        return next((link for link in self.links if link.identity == (original_key, kind, ref)), None)

    def was_unlinked(self, original_key: str, kind: RecordKind, ref: str) -> bool:
        """A person removed this link; automatic linking must not bring it back."""
        return any(r.action is LinkAction.UNLINKED and r.identity == (original_key, kind, ref)
                   for r in self.history)


class AutoLinkResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    links: OriginalTrialLinks
    added: tuple[LinkRecord, ...] = ()  # new links, one event each
    unmatched: tuple[FoundRecord, ...] = ()  # found, but not an original of this case
    kept_unlinked: tuple[FoundRecord, ...] = ()  # found, but a person had unlinked it
    refused: tuple[FoundRecord, ...] = ()  # named as an original, but cannot be one (第三条(二)): not linked


def expected_originals(case: Case, manifest: SubmissionManifest | None = None) -> tuple[str, ...]:
    """Original case numbers for this case, in order: the case's own list, then the manifest's extras."""
    keys = [n.canonical for n in case.original_case_numbers]
    if manifest is not None:
        keys += [o.key for o in manifest.originals if o.key not in keys]
    return tuple(keys)


def auto_link(case: Case, links: OriginalTrialLinks, found: Iterable[FoundRecord], at: datetime,
              manifest: SubmissionManifest | None = None) -> AutoLinkResult:
    """Link every found original e-dossier/e-archive whose case number is one of the case's originals.

    吉高法〔2020〕11号 第三条(二) 自动关联. Idempotent: a record already linked is not linked again, and a
    record a person unlinked stays unlinked. A number the case names that cannot be its original (see
    :func:`original_refusal`, e.g. a case registered before the rule) is never linked.
    """
    ensure_not_secret(case, DossierWrite.LINK_ORIGINAL)
    _aware(at)
    _same_case(case, links)
    expected = set(expected_originals(case, manifest))
    current = list(links.links)
    history = list(links.history)
    added: list[LinkRecord] = []
    unmatched: list[FoundRecord] = []
    kept: list[FoundRecord] = []
    refused: list[FoundRecord] = []
    for record in found:
        identity = (record.key, record.kind, record.ref)
        if record.key not in expected:
            unmatched.append(record)
        elif original_refusal(case, record.original_case_number) is not None:
            refused.append(record)
        elif any(link.identity == identity for link in current):
            continue
        elif links.was_unlinked(*identity):
            kept.append(record)
        else:
            link = OriginalLink(original_case_number=record.original_case_number, kind=record.kind,
                                ref=record.ref, method=LinkMethod.AUTO, linked_at=at, linked_by=SYSTEM_ACTOR,
                                reason=AUTO_LINK_REASON)
            entry = _record(case, LinkAction.LINKED, link, at, SYSTEM_ACTOR, AUTO_LINK_REASON)
            current.append(link)
            history.append(entry)
            added.append(entry)
    new_links = links.model_copy(update={"links": tuple(current), "history": tuple(history)})
    return AutoLinkResult(links=new_links, added=tuple(added), unmatched=tuple(unmatched),
                          kept_unlinked=tuple(kept), refused=tuple(refused))


def link_manually(case: Case, links: OriginalTrialLinks, original_case_number: str | AnyCaseNumber,
                  kind: RecordKind, ref: str, *, by: str, reason: str, at: datetime, known: Iterable[FoundRecord],
                  manifest: SubmissionManifest | None = None) -> tuple[OriginalTrialLinks, LinkRecord]:
    """手动关联 (吉高法〔2020〕11号 第三条(二)): link a record the automatic pass missed; who and why are kept.

    The original must be one of the case's originals and able to be one (:func:`original_refusal`); ``ref``
    must be a real record of it, one of ``known`` (:func:`ref_refusal`): a link opens the original to the
    case's team, so it is made only to what exists.
    """
    ensure_not_secret(case, DossierWrite.LINK_ORIGINAL)
    _aware(at)
    _same_case(case, links)
    _who_and_why(by, reason)
    number = _original(original_case_number)
    if kind not in LINKABLE:
        raise LinkError("kind", "只能关联原审电子卷宗或电子档案；纸质档案按报送清单登记")
    if not ref or not ref.strip():
        raise LinkError("ref", "缺少原审电子卷宗/电子档案标识")
    if number.canonical not in expected_originals(case, manifest):
        raise LinkError("original_case_number",
                        f"{number.canonical}不是本案的原审案号，也不在报送清单中；请先补录原审案号",
                        article=articles.ART3_2)
    ensure_original(case, number, "original_case_number")
    refused = ref_refusal(number, kind, ref, known)
    if refused is not None:
        raise LinkError("ref", refused, article=articles.ART3_2)
    if links.find(number.canonical, kind, ref) is not None:
        raise LinkError("ref", f"{number.canonical}的{kind.zh}“{ref}”已关联")
    link = OriginalLink(original_case_number=number, kind=kind, ref=ref, method=LinkMethod.MANUAL,
                        linked_at=at, linked_by=by, reason=reason)
    entry = _record(case, LinkAction.LINKED, link, at, by, reason)
    return links.model_copy(update={"links": (*links.links, link), "history": (*links.history, entry)}), entry


def unlink(case: Case, links: OriginalTrialLinks, original_case_number: str | AnyCaseNumber,
           kind: RecordKind, ref: str, *, by: str, reason: str, at: datetime) -> tuple[OriginalTrialLinks, LinkRecord]:
    """Remove a wrong link (automatic or manual); who and why are kept, and auto-linking won't redo it."""
    ensure_not_secret(case, DossierWrite.UNLINK_ORIGINAL)
    _aware(at)
    _same_case(case, links)
    _who_and_why(by, reason)
    number = _original(original_case_number)
    link = links.find(number.canonical, kind, ref)
    if link is None:
        raise LinkError("ref", f"{number.canonical}的{kind.zh}“{ref}”未关联，无法解除")
    entry = _record(case, LinkAction.UNLINKED, link, at, by, reason)
    remaining = tuple(existing for existing in links.links if existing is not link)
    return links.model_copy(update={"links": remaining, "history": (*links.history, entry)}), entry


class MissingKind(StrEnum):
    NO_ORIGINALS = "no_originals"  # 未提供原审案号
    NO_MANIFEST = "no_manifest"  # 未收到报送清单
    NOT_IN_MANIFEST = "not_in_manifest"  # 原审案号未列入报送清单
    E_DOSSIER = "e_dossier"  # 原审电子卷宗未关联
    E_ARCHIVE = "e_archive"  # 原审电子档案未关联
    PAPER_ARCHIVE = "paper_archive"  # 原审纸质档案未报送
    LISTED_NOT_LINKED = "listed_not_linked"  # 清单列明但未能关联


class MissingItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: MissingKind
    original_case_number: str | None = None
    reason_zh: str
    blocking: bool  # a blocking gap returns the case to the lower court (第三条(二))


class OriginalStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    original_case_number: str
    in_manifest: bool
    e_dossier_refs: tuple[str, ...]
    e_archive_refs: tuple[str, ...]
    paper_volumes: int


class MissingItemsReport(BaseModel):
    """What of the originals is there and what is missing, for the filing clerk and the lower court."""

    model_config = ConfigDict(frozen=True)

    case_number: str
    required: bool  # the case type needs originals at all
    originals: tuple[OriginalStatus, ...]
    missing: tuple[MissingItem, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def blocking(self) -> tuple[MissingItem, ...]:
        return tuple(m for m in self.missing if m.blocking)


def e_archive_required(case: Case) -> bool:
    """Retrial-type cases need the original e-archive; an appeal's original is not archived yet."""
    return case.procedure in _ARCHIVED_ORIGINAL


def missing_items(case: Case, links: OriginalTrialLinks, manifest: SubmissionManifest | None = None, *,
                  require_e_archive: bool | None = None) -> MissingItemsReport:
    """Compare the expected originals with the manifest and the current links (吉高法〔2020〕11号 第三条(一)(二)).

    Missing e-dossiers always block; missing e-archives block for retrial-type cases (or as
    ``require_e_archive`` says); missing paper volumes and manifest gaps are reported without blocking.
    """
    _same_case(case, links)
    required = case.requires_original_trial
    need_archive = e_archive_required(case) if require_e_archive is None else require_e_archive
    keys = expected_originals(case, manifest)
    missing: list[MissingItem] = []
    statuses: list[OriginalStatus] = []
    if required and not keys:
        missing.append(MissingItem(kind=MissingKind.NO_ORIGINALS, blocking=True,
                                   reason_zh="未提供原审案号，无法关联原审电子卷宗、电子档案"))
    if required and manifest is None:
        missing.append(MissingItem(kind=MissingKind.NO_MANIFEST, blocking=False,
                                   reason_zh="尚未收到下级法院的报送清单（原审纸质档案、电子档案、电子卷宗）"))
    for key in keys:
        listed = manifest.find(key) if manifest is not None else None
        linked = links.for_original(key)
        dossiers = tuple(link.ref for link in linked if link.kind is RecordKind.E_DOSSIER)
        archives = tuple(link.ref for link in linked if link.kind is RecordKind.E_ARCHIVE)
        volumes = listed.paper_volumes if listed is not None else 0
        statuses.append(OriginalStatus(original_case_number=key, in_manifest=listed is not None,
                                       e_dossier_refs=dossiers, e_archive_refs=archives, paper_volumes=volumes))
        if not required:
            continue
        if manifest is not None and listed is None:
            missing.append(MissingItem(kind=MissingKind.NOT_IN_MANIFEST, original_case_number=key, blocking=False,
                                       reason_zh=f"原审案件{key}未列入报送清单"))
        if not dossiers:
            missing.append(MissingItem(kind=MissingKind.E_DOSSIER, original_case_number=key, blocking=True,
                                       reason_zh=f"原审案件{key}的电子卷宗未挂接"))
        if not archives:
            missing.append(MissingItem(
                kind=MissingKind.E_ARCHIVE, original_case_number=key, blocking=need_archive,
                reason_zh=f"原审案件{key}的电子档案未挂接" + ("" if need_archive else "（原审尚未归档的可暂缺）")))
        if volumes == 0:
            missing.append(MissingItem(kind=MissingKind.PAPER_ARCHIVE, original_case_number=key, blocking=False,
                                       reason_zh=f"原审案件{key}的纸质档案未报送"))
        if listed is not None:
            for kind in LINKABLE:
                linked_refs = dossiers if kind is RecordKind.E_DOSSIER else archives
                for ref in listed.refs(kind):
                    if ref not in linked_refs:
                        missing.append(MissingItem(
                            kind=MissingKind.LISTED_NOT_LINKED, original_case_number=key, blocking=False,
                            reason_zh=f"报送清单列明的{kind.zh}“{ref}”（{key}）未能关联"))
    return MissingItemsReport(case_number=case.key, required=required, originals=tuple(statuses),
                              missing=tuple(missing))


class ReturnDecision(BaseModel):
    """Whether the case goes back to the lower court (退回原审法院), why, and what is missing."""

    model_config = ConfigDict(frozen=True)

    case_number: str
    return_to_lower_court: bool
    lower_court: str | None = None
    reason_zh: str
    missing: tuple[MissingItem, ...] = ()
    article: str = articles.ART3_2

    def missing_zh(self) -> list[str]:
        return [m.reason_zh for m in self.missing]


def decide_return(case: Case, links: OriginalTrialLinks, manifest: SubmissionManifest | None = None, *,
                  require_e_archive: bool | None = None) -> ReturnDecision:
    """吉高法〔2020〕11号 第三条(二): return an appeal/retrial whose original e-dossier is not attached.

    Not returned: 涉密 cases (第十条: no e-dossier work at all), cases outside the paperless flow
    (第十四条), and case types that need no originals.
    """
    if case.secret:
        return ReturnDecision(case_number=case.key, return_to_lower_court=False, article=articles.ART10,
                              reason_zh="涉密案件暂不开展电子卷宗随案同步生成，不因原审电子卷宗未挂接而退回")
    scope = case.scope
    if not scope.in_flow:
        return ReturnDecision(case_number=case.key, return_to_lower_court=False, article=scope.article,
                              reason_zh=f"不适用原审电子卷宗挂接要求：{scope.reason_zh}")
    if not case.requires_original_trial:
        return ReturnDecision(case_number=case.key, return_to_lower_court=False,
                              reason_zh=f"{case.case_type.name_zh}案件无需原审电子卷宗、电子档案")
    report = missing_items(case, links, manifest, require_e_archive=require_e_archive)
    blocking = report.blocking
    if not blocking:
        return ReturnDecision(case_number=case.key, return_to_lower_court=False,
                              reason_zh="原审电子卷宗、电子档案已关联完整")
    lower = manifest.submitting_court if manifest is not None else _lower_court_from_originals(case)
    listed = "；".join(m.reason_zh for m in blocking)
    return ReturnDecision(case_number=case.key, return_to_lower_court=True, lower_court=lower, missing=blocking,
                          reason_zh=f"下级法院未挂接原审电子档案、电子卷宗：{listed}。"
                                    f"依{articles.ART3_2}退回原审法院 (original e-dossier not attached)")


def _lower_court_from_originals(case: Case) -> str | None:
    for number in case.original_case_numbers:
        if isinstance(number, CaseNumber) and number.court_code != case.court_code:
            return number.court_code
    return None


def _record(case: Case, action: LinkAction, link: OriginalLink, at: datetime, by: str,
            reason: str | None) -> LinkRecord:
    return LinkRecord(case_number=case.key, action=action, original_case_number=link.original_case_number,
                      kind=link.kind, ref=link.ref, method=link.method, at=at, by=by, reason=reason)


def _same_case(case: Case, links: OriginalTrialLinks) -> None:
    if links.case_number.canonical != case.key:
        raise LinkError("case_number", f"关联记录属于{links.case_number.canonical}，不是本案{case.key}")


def _who_and_why(by: str, reason: str) -> None:
    if not by or not by.strip():
        raise LinkError("by", "手动关联、解除关联须记录操作人", article=articles.ART3_2)
    if not reason or not reason.strip():
        raise LinkError("reason", "手动关联、解除关联须注明原因", article=articles.ART3_2)


def _original(value: str | AnyCaseNumber) -> AnyCaseNumber:
    return parse_original_case_number(value) if isinstance(value, str) else value
