"""Original-trial records (吉高法〔2020〕11号 第三条): 报送清单, automatic and manual links, unlinks, and the
return to the lower court when the original e-dossier is missing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from juanzong_shared.events.intake import CaseReturnedToLowerCourt, OriginalLinked, OriginalUnlinked
from pydantic import ValidationError

from juanzong_intake.adapters.repository import case_from_doc
from juanzong_intake.domain.case import Case, DossierWrite, ensure_e_dossier_writable, ensure_not_secret
from juanzong_intake.domain.case_number import case_number_key
from juanzong_intake.domain.errors import AlreadyDone, InvalidInput
from juanzong_intake.domain.original_trial import (
    SYSTEM_ACTOR,
    AutoLinkResult,
    FoundRecord,
    LinkMethod,
    LinkRecord,
    OriginalLink,
    OriginalSubmission,
    OriginalTrialLinks,
    RecordKind,
    SubmissionManifest,
    auto_link,
    decide_return,
    link_manually,
    missing_items,
    unlink,
    validate_manifest,
)
from juanzong_intake.service_layer import commands as cmds
from juanzong_intake.service_layer.access import LINK_ORIGINAL, READ_CASE, CaseAccess
from juanzong_intake.service_layer.common import Actor, UseCases, invalid_from, load_case, now_utc

REOPENED_REASON = "下级法院重新报送，退回后原审关联恢复 (links in force again after the return)"


def _refs(record: LinkRecord | OriginalLink, case_number: str | None = None) -> dict[str, Any]:
    return {"case_number": case_number or record.case_number,
            "original_case_number": record.original_case_number.canonical,
            "e_dossier_ref": record.ref if record.kind is RecordKind.E_DOSSIER else None,
            "e_archive_ref": record.ref if record.kind is RecordKind.E_ARCHIVE else None}


def _linked(uow, case: Case, record: LinkRecord | OriginalLink, *, manual: bool, by: str | None,
            reason: str | None) -> None:
    uow.emit(OriginalLinked(**_refs(record, case.key), manual=manual, by=by, reason=reason),
             court=case.court_code, case_number=case.key)


async def apply_auto_link(uow, case: Case, links: OriginalTrialLinks, found: list[FoundRecord], at: datetime,
                          manifest: SubmissionManifest | None = None) -> AutoLinkResult:
    """Link what ``found`` has of the case's originals; each new link is announced (``case.original.linked``)."""
    result = auto_link(case, links, found, at, manifest)
    if result.added:
        await uow.repos.originals.save_links(result.links)
        for record in result.added:
            _linked(uow, case, record, manual=False, by=record.by, reason=record.reason)
    return result


def _links_in_force_again(uow, case: Case, links: OriginalTrialLinks, already: Iterable[LinkRecord]) -> None:
    """The return to the lower court ended what the case's links opened (access-control, 第三条(二)); when the
    lower court's new 报送清单 reopens the case, its links still in the record are announced again."""
    announced = {record.identity for record in already}
    for link in links.links:
        if link.identity not in announced:
            _linked(uow, case, link, manual=link.method is LinkMethod.MANUAL, by=SYSTEM_ACTOR, reason=REOPENED_REASON)


def _manifest_records(manifest: SubmissionManifest) -> list[FoundRecord]:
    source = f"manifest:{manifest.manifest_id}"
    return [FoundRecord(original_case_number=o.original_case_number, kind=kind, ref=ref, source=source)
            for o in manifest.originals for kind in (RecordKind.E_DOSSIER, RecordKind.E_ARCHIVE)
            for ref in o.refs(kind)]


async def _return_case(uow, case: Case, lower_court: str, reason: str, missing: list[str], at: datetime,
                       by: str) -> dict[str, Any]:
    record = {"lower_court": lower_court, "reason": reason, "missing": missing, "at": at, "by": by}
    await uow.repos.cases.update_case(case.key, {"status": "returned_to_lower_court", "returned": record},
                                      push={"return_history": record})
    uow.emit(CaseReturnedToLowerCourt(case_number=case.key, lower_court=lower_court, reason=reason,
                                      missing=missing, at=at), court=case.court_code, case_number=case.key)
    return record


def _dumps(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]


class OriginalTrial(UseCases):
    async def submit_manifest(self, case_number: str, cmd: cmds.SubmitManifest, actor: Actor, *,
                              access: CaseAccess) -> dict[str, Any]:
        """报送清单 (第三条(一)), automatic linking by case number and, when the original e-dossier is not
        attached, the return to the lower court (第三条(二)). ``link_original`` on the case."""
        await self.allowed_case(case_number, access, LINK_ORIGINAL)

        async def work(uow) -> dict[str, Any]:
            repos = uow.repos
            doc, case = await load_case(repos, case_number)
            ensure_e_dossier_writable(case, DossierWrite.RECEIVE_MANIFEST)
            now = now_utc()
            manifest_id = cmd.manifest_id or f"M-{uuid.uuid4().hex[:12]}"
            if await repos.originals.submission_doc(manifest_id) is not None:
                raise AlreadyDone("manifest_id", f"报送清单{manifest_id}已接收，不能重复提交")
            try:
                originals = tuple(OriginalSubmission.model_validate(o.model_dump()) for o in cmd.originals)
            except ValidationError as error:
                raise invalid_from(error, "originals") from None
            try:
                manifest = SubmissionManifest(manifest_id=manifest_id, case_number=case.case_number,
                                              submitting_court=cmd.submitting_court,
                                              submitted_at=cmd.submitted_at or now,
                                              submitted_by=cmd.submitted_by or actor.subject, originals=originals)
            except ValidationError as error:
                raise invalid_from(error) from None
            validate_manifest(manifest, case)
            await repos.originals.add_submission(manifest, received_at=now, received_by=actor.subject)
            for record in _manifest_records(manifest):
                await repos.originals.remember_record(record.key, record.kind, record.ref,
                                                      record.source or "manifest", now)
            found = await repos.originals.known_records(list(dict.fromkeys([*case.original_keys(),
                                                                             *(o.key for o in manifest.originals)])))
            result = await apply_auto_link(uow, case, await repos.originals.links(case), found, now, manifest)
            decision = decide_return(case, result.links, manifest)
            returned = None
            if decision.return_to_lower_court:
                returned = await _return_case(uow, case, decision.lower_court or manifest.submitting_court,
                                              decision.reason_zh, decision.missing_zh(), now, actor.subject)
            elif doc.get("status") == "returned_to_lower_court":
                await repos.cases.update_case(case.key, {"status": "open", "returned": None})
                _links_in_force_again(uow, case, result.links, result.added)
            report = missing_items(case, result.links, manifest)
            return {"manifest_id": manifest_id, "case_number": case.key,
                    "auto_link": {"added": _dumps(result.added), "unmatched": _dumps(result.unmatched),
                                  "kept_unlinked": _dumps(result.kept_unlinked), "refused": _dumps(result.refused)},
                    "missing": report.model_dump(mode="json"), "decision": decision.model_dump(mode="json"),
                    "returned": returned}

        return await self.transact(work)

    async def report(self, case_number: str, access: CaseAccess) -> dict[str, Any]:
        """What of the originals is linked and what is missing (第三条(一)(二)), with the return decision."""
        doc = await self.allowed_case(case_number, access, READ_CASE)
        case = case_from_doc(doc)
        ensure_not_secret(case, "查询原审电子卷宗关联")
        repos = self.read()
        links = await repos.originals.links(case)
        manifest = await repos.originals.latest_manifest(case.key)
        report = missing_items(case, links, manifest)
        decision = decide_return(case, links, manifest)
        return {"case_number": case.key, "required": report.required, "complete": report.complete,
                "originals": report.model_dump(mode="json")["originals"], "missing": _dumps(report.missing),
                "links": _dumps(links.links), "history": _dumps(links.history),
                "manifest": manifest.model_dump(mode="json") if manifest else None,
                "decision": decision.model_dump(mode="json"), "status": doc.get("status"),
                "returned": doc.get("returned")}

    async def link(self, case_number: str, cmd: cmds.LinkOriginal, actor: Actor, *,
                   access: CaseAccess) -> dict[str, Any]:
        """手动关联 (第三条(二)): ``link_original`` on the case; the original must be one this case can have and
        the reference a record this system knows of it (catalogued, archived, or listed in a 报送清单). Who and
        why are kept in the link history, and ``case.original.linked`` carries them to access-control's audit."""
        await self.allowed_case(case_number, access, LINK_ORIGINAL)
        original_key = case_number_key(cmd.original_case_number)

        async def work(uow) -> dict[str, Any]:
            repos = uow.repos
            _, case = await load_case(repos, case_number)
            ensure_e_dossier_writable(case, DossierWrite.LINK_ORIGINAL)
            links, record = link_manually(
                case, await repos.originals.links(case), cmd.original_case_number, cmd.kind, cmd.ref,
                by=actor.subject, reason=cmd.reason, at=now_utc(),
                manifest=await repos.originals.latest_manifest(case.key),
                known=await repos.originals.known_records([original_key]))
            await repos.originals.save_links(links)
            _linked(uow, case, record, manual=True, by=record.by, reason=record.reason)
            return record.model_dump(mode="json")

        return await self.transact(work)

    async def unlink(self, case_number: str, cmd: cmds.LinkOriginal, actor: Actor, *,
                     access: CaseAccess) -> dict[str, Any]:
        """解除关联: ``link_original`` on the case; ``case.original.unlinked`` closes the team's access to it."""
        await self.allowed_case(case_number, access, LINK_ORIGINAL)

        async def work(uow) -> dict[str, Any]:
            _, case = await load_case(uow.repos, case_number)
            ensure_not_secret(case, DossierWrite.UNLINK_ORIGINAL)
            links, record = unlink(case, await uow.repos.originals.links(case), cmd.original_case_number, cmd.kind,
                                   cmd.ref, by=actor.subject, reason=cmd.reason, at=now_utc())
            await uow.repos.originals.save_links(links)
            uow.emit(OriginalUnlinked(**_refs(record, case.key), by=record.by, reason=record.reason),
                     court=case.court_code, case_number=case.key)
            return record.model_dump(mode="json")

        return await self.transact(work)

    async def return_to_lower_court(self, case_number: str, cmd: cmds.ReturnToLowerCourt, actor: Actor, *,
                                    access: CaseAccess) -> dict[str, Any]:
        """退回原审法院 (第三条(二)): only when the original e-dossier (or a retrial's e-archive) is missing.
        ``link_original`` on the case; ``case.returned_to_lower_court`` closes what its links opened."""
        await self.allowed_case(case_number, access, LINK_ORIGINAL)

        async def work(uow) -> dict[str, Any]:
            doc, case = await load_case(uow.repos, case_number)
            ensure_not_secret(case, "退回原审法院")
            if doc.get("status") == "returned_to_lower_court":
                raise AlreadyDone("status", f"案件{case.key}已退回原审法院，待下级法院补充报送")
            decision = decide_return(case, await uow.repos.originals.links(case),
                                     await uow.repos.originals.latest_manifest(case.key))
            if not decision.return_to_lower_court:
                raise AlreadyDone("case_number", f"不予退回：{decision.reason_zh}", article=decision.article)
            lower = cmd.lower_court or decision.lower_court
            if not lower:
                raise InvalidInput([("lower_court", "无法从报送清单或原审案号确定原审法院，请填写 lower_court")])
            reason = decision.reason_zh + (f"；{cmd.reason.strip()}" if cmd.reason and cmd.reason.strip() else "")
            return await _return_case(uow, case, lower, reason, decision.missing_zh(), now_utc(), actor.subject)

        return await self.transact(work)
