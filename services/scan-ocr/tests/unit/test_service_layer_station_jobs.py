"""A station's job on the bus is checked before anything of it is stored or read (issue 20, item 2; fakes).

Publisher (the broker's ``user_id``), files under the station's own prefix, access-control's ``add_pages`` on
scan-ocr's own account with ``station:<id>;scan_task:<id>``, and at least one page image. A refused job leaves
only its refusal, under the sending station and the job id, and its files are deleted.
"""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.domain import station_jobs as J
from juanzong_scan_ocr.domain.batches import station_batch_id
from juanzong_scan_ocr.service_layer.station_jobs import StationJobAccess, StationJobs
from juanzong_shared.auth import Decision, Identity
from juanzong_shared.bus import Delivery
from juanzong_shared.events import REGISTRY
from juanzong_shared.events.scan_ocr import JobPage, ProcessScanJob
from juanzong_shared.testing import FakeStore
from PIL import Image

from .memory import memory_uow

pytestmark = pytest.mark.unit

NS = "jz"
CASE = "（2025）吉01民终123号"
BUCKET = "juanzong-stations"
ART10 = "吉高法〔2020〕11号 第十条"


class _Decider:
    def __init__(self, allowed: bool = True) -> None:
        self.allowed = allowed
        self.asked: list[tuple] = []

    async def decide(self, identity, action, case_number, *, resource=None):
        self.asked.append((identity.subject, identity.kind, action, case_number, resource))
        if self.allowed:
            return Decision(allowed=True, reason="允许", rule="吉高法〔2020〕11号 第三条(三)")
        return Decision(allowed=False, reason="涉国家秘密案件不在本系统生成和阅览电子卷宗。", rule=ART10)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (40, 30), 255).save(buf, "PNG")
    return buf.getvalue()


def _setup(*, allowed=True, publisher="jz.station-01", files=None, station="station-01", job_id="j1", task="ST-1"):
    store = FakeStore()
    files = files if files is not None else {f"{station}/{job_id}/0001-p1.png": _png()}
    for key, data in files.items():
        store.objects[BUCKET][key] = (data, "application/octet-stream")
    decider = _Decider(allowed)

    async def service_identity():
        return Identity(subject="scan-ocr", kind="service", token="t")
    access = StationJobAccess(lambda: decider, service_identity)
    settings = ServiceSettings(bus_namespace=NS)
    jobs = StationJobs(store, settings, access, publisher=lambda: publisher)
    job = ProcessScanJob(job_id=job_id, scan_task_id=task, case_number=CASE, station_id=station, operator="王书记员",
                         bucket=BUCKET, pages=[JobPage(seq=i, object_key=k, name=k.rsplit("/", 1)[-1])
                                               for i, k in enumerate(files, start=1)])
    event = REGISTRY.event(job, court="吉01", case_number=CASE)
    uow = memory_uow()
    return SimpleNamespace(store=store, decider=decider, handler=_delivering(jobs.accept, event, uow), event=event,
                           uow=uow, repos=uow.repos)


def _delivering(handler, event, uow):
    """The handler as the bus calls it: the parsed payload and the delivery, inside the unit of work."""
    async def deliver() -> None:
        async with uow:
            await handler(REGISTRY.read_payload(event), Delivery(event, uow))
    return deliver


async def test_an_allowed_job_becomes_a_batch_after_add_pages_on_scan_ocrs_own_account():
    """吉高法〔2020〕11号 第三条(三): the station's pages enter the case once access-control said yes — asked with
    scan-ocr's service token and the station and task named in the resource (no station token on the bus)."""
    t = _setup()
    await t.handler()
    assert t.decider.asked == [("scan-ocr", "service", "add_pages", CASE, "station:station-01;scan_task:ST-1")]
    batch_id = station_batch_id("station-01", "j1")
    assert batch_id in t.repos.batches.docs and not t.repos.job_refusals.docs
    assert t.uow.published_types() == ["scan-ocr.page.process"]


async def test_a_denied_case_stores_nothing_keeps_the_reason_and_deletes_the_files():
    """吉高法〔2020〕11号 第十条: a 涉密 case takes no page; the station reads why, its upload is deleted."""
    t = _setup(allowed=False)
    await t.handler()
    assert not t.repos.batches.docs and not t.repos.pages.docs and not t.uow.committed
    refusal = t.repos.job_refusals.docs[station_batch_id("station-01", "j1")]
    assert (refusal["code"], refusal["rule"], refusal["files_deleted"]) == ("add_pages_denied", ART10, 1)
    assert "涉国家秘密" in refusal["reason_zh"]
    assert t.store.objects[BUCKET] == {}


async def test_a_job_published_by_another_station_is_refused_unasked_and_its_files_are_left_alone():
    """吉高法〔2020〕11号 第四条(一)3: station-02 cannot hand in a job in station-01's name; the refusal is kept
    under the real sender, and station-01's files are not the sender's to have deleted."""
    t = _setup(publisher="jz.station-02")
    await t.handler()
    assert t.decider.asked == [] and not t.repos.batches.docs and not t.uow.committed
    refusal = t.repos.job_refusals.docs[station_batch_id("station-02", "j1")]
    assert refusal["code"] == "publisher_mismatch" and refusal["rule"] == J.ART4_1_3
    assert refusal["named_station_id"] == "station-01" and refusal["files_deleted"] == 0
    assert len(t.store.objects[BUCKET]) == 1


@pytest.mark.parametrize("publisher", [None, "guest", "jz.station-01.x", "other.station-01"])
async def test_an_unverified_publisher_is_refused(publisher):
    """第四条(一)3: no user_id, a service's user, or another namespace's user: not the station the job names."""
    t = _setup(publisher=publisher)
    await t.handler()
    assert t.decider.asked == [] and not t.repos.batches.docs
    assert [d["code"] for d in t.repos.job_refusals.docs.values()] == ["publisher_mismatch"]


async def test_files_outside_the_stations_prefix_refuse_the_whole_job_before_any_question():
    """A station's object-store keys reach only its own prefix: a job naming another station's file is refused."""
    t = _setup(files={"station-01/j1/0001-p1.png": _png(), "station-02/j7/0001-p1.png": _png()})
    await t.handler()
    assert t.decider.asked == [] and not t.repos.batches.docs
    refusal = next(iter(t.repos.job_refusals.docs.values()))
    assert refusal["code"] == "outside_prefix" and len(t.store.objects[BUCKET]) == 2


async def test_a_job_without_a_page_image_is_refused_and_its_files_deleted():
    """Files are judged by content: a text file called .jpg is no page; with no page at all nothing is kept."""
    t = _setup(files={"station-01/j1/0001-notes.jpg": "这不是图片".encode() * 40, "station-01/j1/0002-x.txt": b"x"})
    await t.handler()
    assert not t.repos.batches.docs and not t.repos.pages.docs and not t.uow.committed
    refusal = next(iter(t.repos.job_refusals.docs.values()))
    assert refusal["code"] == "no_processable_page" and "notes.jpg" in refusal["reason_zh"]
    assert t.store.objects[BUCKET] == {}


async def test_a_refused_job_sent_again_stays_refused():
    t = _setup(allowed=False)
    await t.handler()
    t.decider.allowed = True
    await t.handler()
    assert not t.repos.batches.docs and len(t.decider.asked) == 1


async def test_a_failing_access_control_is_retried_not_recorded_as_the_stations_fault():
    t = _setup()

    class Down:
        async def decide(self, *a, **k):
            raise RuntimeError("access-control unreachable")
    forgotten = []

    async def service_identity():
        return Identity(subject="scan-ocr", kind="service", token="t")
    access = StationJobAccess(lambda: Down(), service_identity, lambda: forgotten.append(True))
    jobs = StationJobs(t.store, ServiceSettings(bus_namespace=NS), access, publisher=lambda: "jz.station-01")
    with pytest.raises(RuntimeError):
        await _delivering(jobs.accept, t.event, t.uow)()
    assert not t.repos.job_refusals.docs and forgotten == [True] and len(t.store.objects[BUCKET]) == 1


def test_publisher_names():
    assert J.check_publisher(NS, "station-01", "jz.station-01") is None
    assert J.station_of_publisher(NS, "jz.station-02") == "station-02"
    assert J.station_of_publisher(NS, "guest") is None and J.station_of_publisher(NS, None) is None
    assert not J.within_prefix("station-01", "station-01/../station-02/x.png")
    assert not J.within_prefix("station-01", "station-010/x.png")
