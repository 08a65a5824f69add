"""The archive's use cases on an in-memory unit of work (no servers): intake's facts, 结案立卷 → 确认 → 核查 (returned,
then passed) → 组卷质检 → 审核, each step stored with its history entry and evented in the same unit of work
(吉高法〔2020〕11号 第三条(六)-(九), 第七条); a refusal stores and emits nothing; a check that could not run."""

from __future__ import annotations

import datetime as dt

import pytest
from juanzong_archive.config import ServiceSettings
from juanzong_archive.domain.dossier import QcRecord, VolumeKind
from juanzong_archive.domain.review import StagedDocument, StagedDossier, StagedPage, StagedVolume
from juanzong_archive.domain.workflow import Actor, ReasonsRequired, RoleNotAllowed, Step, StepNotAllowed
from juanzong_archive.service_layer.archiving import ArchiveService
from juanzong_archive.service_layer.workflow import on_case_closed, on_case_registered
from juanzong_shared.bus import Delivery
from juanzong_shared.errors import Conflict, Unavailable
from juanzong_shared.events import REGISTRY
from juanzong_shared.events.intake import CaseClosed, CaseRegistered
from juanzong_shared.testing import FakeStore

pytestmark = pytest.mark.unit

CN = "（2020）吉01民终123号"
CLERK = Actor(subject="u-clerk", name="陈晓", roles=("clerk",))
JUDGE = Actor(subject="u-judge", name="王芳", roles=("judge",))
CENTRE = Actor(subject="u-centre", name="周敏", roles=("filing_division_staff",))
OFFICE = Actor(subject="u-office", name="孙丽", roles=("archives_office_staff",))
QC_AT = dt.datetime(2020, 9, 1, 8, tzinfo=dt.UTC)


def dossier(*, failed: set[str] = frozenset()) -> StagedDossier:
    def page(pid: str, number: int) -> StagedPage:
        return StagedPage(page_id=pid, number=number, bucket="juanzong-pages", pdf_key=f"pages/{pid}/page.pdf",
                          qc=QcRecord(passed=pid not in failed, dpi=300, checked_at=QC_AT, checked_by="scan-ocr"))
    docs = (StagedDocument(document_id="d1", title="民事上诉状", category="上诉状", date=dt.date(2020, 3, 1),
                           issuer="张三", first_page=1, last_page=2, pages=(page("p1", 1), page("p2", 2))),
            StagedDocument(document_id="d2", title="民事判决书", category="判决书", date=dt.date(2020, 9, 18),
                           issuer="吉林省长春市中级人民法院", first_page=3, last_page=3, pages=(page("p3", 3),)))
    return StagedDossier(case_number=CN, volumes=(StagedVolume(kind=VolumeKind.MAIN, documents=docs),))


class FakeCatalog:
    """catalog's compiled dossier, or catalog being unreachable."""

    def __init__(self) -> None:
        self.answer: StagedDossier | Exception = dossier()

    async def compiled(self, case_number: str) -> StagedDossier:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class UnreadableStore(FakeStore):
    def stream(self, bucket, key):
        raise FileNotFoundError(f"{bucket}/{key}")


@pytest.fixture
def catalog() -> FakeCatalog:
    return FakeCatalog()


@pytest.fixture
def service(memory_uow, catalog, tmp_path) -> ArchiveService:
    settings = ServiceSettings(_env_file=None, archive_work_dir=str(tmp_path))

    def no_seal():
        raise AssertionError("these use cases never sign")
    return ArchiveService(settings, memory_uow.transact, memory_uow.repos, UnreadableStore(), catalog, no_seal)


async def deliver(memory_uow, payload, court: str = "吉01") -> None:
    async with memory_uow as uow:
        handler = on_case_registered if isinstance(payload, CaseRegistered) else on_case_closed
        await handler(payload, Delivery(REGISTRY.event(payload, court=court, case_number=CN), uow))


async def closed_case(memory_uow) -> None:
    panel = [{"user_id": "u-presiding", "name": "李明", "role": "presiding_judge"},
             {"user_id": "u-judge", "name": "王芳", "role": "undertaking_judge"},
             {"user_id": "u-clerk", "name": "陈晓", "role": "clerk"}]
    await deliver(memory_uow, CaseRegistered(
        case_number=CN, court="吉林省长春市中级人民法院", case_type="民终", category="civil", cause="建设工程施工合同纠纷",
        paperless=True, panel=panel, parties=[{"role": "上诉人", "name": "张三"}, {"role": "被上诉人", "name": "李四"}],
        registered_at=dt.datetime(2020, 3, 2, 1, 30, tzinfo=dt.UTC)))
    await deliver(memory_uow, CaseClosed(case_number=CN, closed_at=dt.datetime(2020, 9, 18, 2, tzinfo=dt.UTC),
                                         result="驳回上诉，维持原判"))


async def test_intake_facts_open_then_close_the_case_once(memory_uow, service):
    await closed_case(memory_uow)
    await deliver(memory_uow, CaseClosed(case_number=CN, closed_at=dt.datetime(2020, 9, 18, 2, tzinfo=dt.UTC)))
    record = await service.record(CN)
    assert record["state"] == "closed" and [h["step"] for h in record["history"]] == ["close"]
    assert record["intake"]["court_code"] == "吉01" and record["intake"]["cause"] == "建设工程施工合同纠纷"
    assert memory_uow.published_types() == []  # intake's facts are the archive's own copy: nothing to announce


async def test_filing_review_return_compile_and_audit_are_stored_and_evented(memory_uow, service, catalog):
    await closed_case(memory_uow)
    assert (await service.step(CN, Step.SUBMIT, CLERK, detail="立卷完成"))["state"] == "filing_submitted"
    assert (await service.step(CN, Step.CONFIRM, JUDGE))["state"] == "filing_confirmed"

    # 第三条(七): a page that failed QC — 核查 cannot pass; returned with the reviewer's reasons and the findings
    catalog.answer = dossier(failed={"p2"})
    with pytest.raises(Exception, match="核查") as refused:
        await service.review(CN, CENTRE, passed=True, reasons=[], paper=[])
    assert refused.value.code == "review-findings" and any("未通过图像质检" in f for f in refused.value.extra["findings"])
    returned = await service.review(CN, CENTRE, passed=False, reasons=["第2页请补扫"], paper=[])
    assert returned["state"] == "review_returned" and returned["history"][-1]["reasons"][0] == "第2页请补扫"
    assert any("未通过图像质检" in r for r in returned["history"][-1]["reasons"])

    catalog.answer = dossier()
    await service.step(CN, Step.CONFIRM, JUDGE)
    assert (await service.review(CN, CENTRE, passed=True, reasons=[], paper=[]))["review"]["pages"] == 3
    compiled = await service.compile(CN, CENTRE, retention_period="长期", secrecy_level="非密", archive_serial=None,
                                     entered={}, notes="")
    assert compiled["state"] == "compiled" and compiled["archival_code"] == "J011-2020-C-0001"
    assert compiled["compile"]["case_metadata"]["judge"] == "王芳"

    assert memory_uow.published_types() == [
        "archive.filing.submitted", "archive.filing.confirmed", "archive.review.returned",
        "archive.filing.confirmed", "archive.review.passed", "archive.compiled"]
    step = memory_uow.payloads("archive.review.returned")[0]
    assert step.state == "review_returned" and step.actor == "u-centre" and "第三条(七)" in step.rule
    assert memory_uow.committed[-1].court == "吉01" and memory_uow.committed[-1].case_number == CN
    assert memory_uow.payloads("archive.compiled")[0].archival_code == "J011-2020-C-0001"


async def test_audit_returns_to_the_centre_and_archives_with_the_package(memory_uow, service):
    await closed_case(memory_uow)
    package = {"tar_key": "archives/J011-2020-C-0001/r01/J011-2020-C-0001.tar.gz", "sha256": "0" * 64}
    await memory_uow.repos.archives.update(CN, {"state": "converted", "archival_code": "J011-2020-C-0001",
                                                "package": package})
    with pytest.raises(ReasonsRequired):
        await service.step(CN, Step.RETURN_AUDIT, OFFICE, reasons=[" "])
    back = await service.step(CN, Step.RETURN_AUDIT, OFFICE, reasons=["备考表未签字"])
    assert back["state"] == "audit_returned"
    await memory_uow.repos.archives.update(CN, {"state": "converted"})
    archived = await service.step(CN, Step.PASS_AUDIT, OFFICE)
    assert archived["state"] == "archived"
    assert memory_uow.published_types() == ["archive.audit.returned", "archive.archived"]
    event = memory_uow.payloads("archive.archived")[0]
    assert event.archival_code == "J011-2020-C-0001" and event.package_key == package["tar_key"]


async def test_a_refused_step_stores_and_emits_nothing(memory_uow, service):
    with pytest.raises(StepNotAllowed) as none:
        await service.step(CN, Step.SUBMIT, CLERK)  # no 结案 yet
    assert none.value.extra["allowed"] == []
    await closed_case(memory_uow)
    with pytest.raises(RoleNotAllowed):
        await service.step(CN, Step.SUBMIT, JUDGE)
    with pytest.raises(StepNotAllowed) as early:
        await service.step(CN, Step.CONVERT, CENTRE)
    assert early.value.extra == {"rule": early.value.rule, "state": "closed", "allowed": ["submit"]}
    record = await service.record(CN)
    assert record["state"] == "closed" and len(record["history"]) == 1
    assert memory_uow.published_types() == []


async def test_a_check_that_could_not_run(memory_uow, service, catalog):
    """catalog unreachable: 核查 cannot pass on an unchecked dossier, but a return (with the reviewer's own reasons)
    still goes back to the judge; the stored package that cannot be read is not 审核归档 — the failed check is
    recorded and archive.fixity.failed emitted."""
    await closed_case(memory_uow)
    await service.step(CN, Step.SUBMIT, CLERK)
    await service.step(CN, Step.CONFIRM, JUDGE)
    catalog.answer = Unavailable("", "编目服务不可用")
    with pytest.raises(Unavailable):
        await service.review(CN, CENTRE, passed=True, reasons=[], paper=[])
    returned = await service.review(CN, CENTRE, passed=False, reasons=["卷宗未到"], paper=[])
    assert returned["history"][-1]["reasons"] == ["卷宗未到"] and returned["review"]["findings"] == []

    await memory_uow.repos.archives.update(CN, {"state": "converted", "archival_code": "J011-2020-C-0001", "package": {
        "tar_key": "archives/J011-2020-C-0001/r01/J011-2020-C-0001.tar.gz", "sha256": "0" * 64, "revision": 1}})
    with pytest.raises(Conflict) as refused:
        await service.audit_pass(CN, OFFICE)
    assert refused.value.code == "package-failed-check" and "无法读取" in refused.value.extra["findings"][0]
    record = await service.record(CN)
    assert record["state"] == "converted" and record["fixity"]["status"] == "failed"
    assert memory_uow.published_types()[-1] == "archive.fixity.failed"
    report = await service.report(await service.latest_report_id(CN))
    assert report["passed"] is False and report["kind"] == "verify"
