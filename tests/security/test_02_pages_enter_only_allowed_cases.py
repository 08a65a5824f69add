"""Issue 20 item 2 — no page enters a case that may not have one (吉高法〔2020〕11号 第三条(三), 第三条(八), 第十条,
第十四条, 第四条(一)3).

The review handed pages to scan-ocr as the scanning station — on the bus and over REST — for a 涉密 case, for an
unregistered case of another court and for an archived case: they were OCR'd, catalogued and made searchable, since
scan-ocr skipped the case check for stations and services and checked nothing on the bus. Now every route asks
access-control ``add_pages`` first; a station's job on the bus is also checked for its publisher (the station's own
broker user, as RabbitMQ vouches for it) and its files (under the station's own prefix). A refused job keeps nothing —
no batch, no page, no catalogue entry, none of its files — but its refusal, which the station reads with the reason
and the article.

The jobs here are sent as a modified station client would (its own credentials file, straight to storage and the
bus, skipping the CLI's own checks): the server must hold on its own. The archived case went through the whole
archiving run (conftest's ``archived``), so access-control hears of it from the archive service itself.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the session's archived case may be made here

STATION = "station-01"
ART3_3 = "第三条(三)"
ART3_8 = "第三条(八)"
ART4_1_3 = "第四条(一)3"
ART10 = "第十条"
ART14 = "第十四条"


# ------------------------------------------------------------------------------------------------ helpers


def _png(width: int = 640) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, 480), 255).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def station_credentials(e2e_stack) -> dict:
    """station-01's credentials file as the stack writes it (its own broker user and object-store keys)."""
    return json.loads(Path(e2e_stack.config.station_credentials_file(STATION)).read_text())


def send_job(credentials: dict, tmp_path: Path, case_number: str, task_id: str, *, station: str = STATION,
             amqp_url: str | None = None, keys_prefix: str | None = None) -> str:
    """Upload two page images with the station's own keys and publish the job with its own broker user."""
    from juanzong_scan_ocr.entrypoints.station import StationConfig, _send

    folder = tmp_path / uuid.uuid4().hex[:8]
    folder.mkdir()
    paths = []
    for i in (1, 2):
        paths.append(folder / f"p{i}.png")
        paths[-1].write_bytes(_png(600 + i))
    config = StationConfig(**{k: v for k, v in credentials.items() if k in StationConfig.__dataclass_fields__})
    if amqp_url:
        config = replace(config, amqp_url=amqp_url)
    job_id = uuid.uuid4().hex[:16]
    asyncio.run(_send(paths, station, job_id, case_number, task_id, "刘书记", "吉01", config=config))
    return job_id


def publish_job(credentials: dict, payload: dict) -> None:
    """A job command as a modified station client could publish it, with the station's own broker user."""
    from juanzong_scan_ocr.entrypoints.station import StationConfig
    from juanzong_shared.bus import Bus
    from juanzong_shared.events import REGISTRY

    config = StationConfig(**{k: v for k, v in credentials.items() if k in StationConfig.__dataclass_fields__})
    event = REGISTRY.create("scan-ocr.job.process", payload, court="吉01", case_id=payload["case_number"])

    async def publish() -> None:
        bus = Bus(config.amqp_url, config.bus_namespace, "scan-station", passive_exchange=True)
        await bus.connect(timeout=30)
        try:
            await bus.publish(event, user_id=config.broker_user)
        finally:
            await bus.close()
    asyncio.run(publish())


def job_state(api, job_id: str, as_: str = "station", timeout: float = 60.0) -> dict:
    """What scan-ocr made of a job, as the station that sent it reads it."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = api.status_of("scan-ocr", "GET", f"/v1/station-jobs/{job_id}", as_)
        if status == 200:
            return body
        assert status == 404, (status, body)
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} was not taken in within {timeout:.0f} s")
        time.sleep(0.3)


def rest_upload(api, case_number: str, task_id: str | None) -> tuple[int, dict]:
    data = {"case_number": case_number, "operator": "刘书记"} | ({"scan_task_id": task_id} if task_id else {})
    return api.status_of("scan-ocr", "POST", "/v1/batches", "station", data=data,
                         files=[("files", ("p1.png", _png(), "image/png"))])


def stored(stack, case_number: str) -> dict[str, int]:
    """What scan-ocr and catalog hold of a case: batches, pages, outbox events, catalogued pages, search lines."""
    from pymongo import MongoClient

    with MongoClient(stack.config.mongo_url) as client:
        scan, catalog = client["juanzong_scan_ocr"], client["juanzong_catalog"]
        return {"batches": scan["batches"].count_documents({"case_number": case_number}),
                "pages": scan["pages"].count_documents({"case_number": case_number}),
                "outbox": scan["outbox"].count_documents({"event.payload.case_number": case_number}),
                "catalog pages": catalog["pages"].count_documents({"case_number": case_number}),
                "search lines": catalog["search_lines"].count_documents({"case_number": case_number})}


NOTHING = dict.fromkeys(("batches", "pages", "outbox", "catalog pages", "search lines"), 0)


def nothing_stored(stack, case_number: str, job_ids: list[str] = (), before: dict[str, int] = NOTHING) -> None:
    """Nothing added for the case in scan-ocr or catalog (for a fresh case: nothing at all), no file of the jobs
    left."""
    from minio import Minio

    assert stored(stack, case_number) == before
    s3 = Minio(stack.config.s3_endpoint, *stack.config.s3_admin_keys, secure=False)
    for job_id in job_ids:
        left = [o.object_name for o in s3.list_objects("juanzong-stations", prefix=f"{STATION}/{job_id}/",
                                                       recursive=True)]
        assert left == [], f"files of refused job {job_id} left behind: {left}"


def scan_task(api, sec, case_number: str) -> str:
    task = api.post("intake", f"/v1/cases/{sec.cn_path(case_number)}/scan-tasks", sec.CLERK, {
        "department": "民一庭", "materials": [{"item_id": "1", "name": "上诉状", "stage": "filing",
                                              "expected_pages": 2}]})
    return task["task_id"]


def add_pages_decision(api, sec, case_number: str, task_id: str | None = None) -> dict:
    return api.post("access-control", "/v1/decisions", sec.FILING, {
        "action": "add_pages", "case_number": case_number,
        "resource": f"scan_task:{task_id}" if task_id else None}, expect=(200,))


def until_decided(api, sec, case_number: str, task_id: str | None, allowed: bool, timeout: float = 30) -> dict:
    """access-control learns cases, tasks and archiving from events: wait until it has."""
    deadline = time.monotonic() + timeout
    while True:
        decision = add_pages_decision(api, sec, case_number, task_id)
        if decision["allowed"] is allowed:
            return decision
        if time.monotonic() > deadline:
            raise AssertionError(f"add_pages on {case_number} never became allowed={allowed}: {decision}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def cases(api, sec, e2e_stack, archived) -> dict[str, str]:
    """One case of each kind, and a scan task of the open one."""
    open_case = sec.register_case(api)["case_number"]
    task = scan_task(api, sec, open_case)
    other_open = sec.register_case(api)["case_number"]
    out = {
        "open": open_case, "task": task, "other_open": other_open, "archived": archived.cn,
        "secret": sec.register_case(api, secret=True)["case_number"],
        "out_of_scope": sec.register_case(api, year=2019)["case_number"],
        "unregistered": sec.next_case_number(court="吉02"),
    }
    until_decided(api, sec, open_case, task, True)
    until_decided(api, sec, archived.cn, None, False)
    return out


# ------------------------------------------------------------------------------------------------ the tests


@pytest.mark.parametrize(("kind", "rule"), [
    ("secret", ART10), ("unregistered", ART3_3), ("out_of_scope", ART14), ("archived", ART3_8)])
def test_a_station_job_for_a_case_that_may_not_take_pages_is_refused_and_keeps_nothing(
        api, sec, e2e_stack, cases, station_credentials, tmp_path, kind, rule):
    """吉高法〔2020〕11号 第十条 (涉密), 第三条(三) (registered here), 第十四条 (paperless scope), 第三条(八) (an archived
    dossier is locked): a station's job on the bus for such a case is refused before anything is stored or read —
    no batch, no page, nothing catalogued or searchable, the uploaded files deleted — and the station reads why."""
    case_number = cases[kind]
    before = stored(e2e_stack, case_number)
    job_id = send_job(station_credentials, tmp_path, case_number, cases["task"])
    state = job_state(api, job_id)
    assert state["state"] == "refused" and state["code"] == "add_pages_denied", state
    assert rule in (state["rule"] or ""), state
    assert state["reason"] and state["files_deleted"] == 2
    status, _ = api.status_of("scan-ocr", "GET", f"/v1/batches/{_batch_of(job_id)}", "station")
    assert status == 404
    time.sleep(1.0)  # a page command would have reached catalog by now
    nothing_stored(e2e_stack, case_number, [job_id], before)


@pytest.mark.parametrize(("kind", "rule"), [
    ("secret", ART10), ("unregistered", ART3_3), ("out_of_scope", ART14), ("archived", ART3_8)])
def test_a_rest_upload_for_a_case_that_may_not_take_pages_is_refused_and_keeps_nothing(
        api, sec, e2e_stack, cases, kind, rule):
    """The same rules over REST (multipart and chunked) for the station's own token: 403 problem+json naming the
    article, no batch record, no upload session left able to become one."""
    case_number = cases[kind]
    before = stored(e2e_stack, case_number)
    status, body = rest_upload(api, case_number, None)
    sec.assert_refused(status, body, (403,), rule=rule)
    status, body = api.status_of("scan-ocr", "POST", "/v1/uploads", "station", json={
        "file_name": "big.pdf", "size": 1000, "case_number": case_number})
    sec.assert_refused(status, body, (403,), rule=rule)
    nothing_stored(e2e_stack, case_number, before=before)


def test_a_job_naming_a_scan_task_of_another_case_is_refused(api, sec, e2e_stack, cases, station_credentials,
                                                             tmp_path):
    """吉高法〔2020〕11号 第三条(三)2: pages come in through a scan task of their own case; another case's task is
    refused on the bus and over REST, and nothing is kept."""
    job_id = send_job(station_credentials, tmp_path, cases["other_open"], cases["task"])
    state = job_state(api, job_id)
    assert state["state"] == "refused" and ART3_3 in (state["rule"] or "") and "不属于本案" in state["reason"], state
    status, body = rest_upload(api, cases["other_open"], cases["task"])
    sec.assert_refused(status, body, (403,), rule=ART3_3)
    nothing_stored(e2e_stack, cases["other_open"], [job_id])


def test_a_job_published_by_one_station_in_another_stations_name_is_refused(api, e2e_stack, cases,
                                                                            station_credentials, tmp_path):
    """吉高法〔2020〕11号 第四条(一)3: station-01's broker user cannot hand in a job as station-02 — RabbitMQ vouches
    for the publisher, scan-ocr compares it with the station the job names. station-01 reads the refusal; nothing
    of the job is kept, and nobody asks access-control on station-02's behalf."""
    from juanzong_scan_ocr.entrypoints.station import StationConfig

    # station-01's keys cannot write under station-02/ (the stack's S3 policy), so it names station-02 with its own
    # uploads, and (a second job) with station-02's keys it could only guess
    own_job = send_job(station_credentials, tmp_path, cases["open"], cases["task"])
    job_state(api, own_job)
    job_id = uuid.uuid4().hex[:16]
    publish_job(station_credentials, {
        "job_id": job_id, "scan_task_id": cases["task"], "case_number": cases["open"], "station_id": "station-02",
        "operator": "刘书记", "bucket": "juanzong-stations",
        "pages": [{"seq": 1, "object_key": f"{STATION}/{own_job}/0001-p1.png", "name": "p1.png"},
                  {"seq": 2, "object_key": f"station-02/{job_id}/0001-p1.png", "name": "p1.png"}]})
    assert StationConfig(client_id=STATION, amqp_url=station_credentials["amqp_url"]).broker_user.endswith(STATION)
    state = job_state(api, job_id)
    assert state["state"] == "refused" and state["code"] == "publisher_mismatch", state
    assert ART4_1_3 in state["rule"] and "station-02" in state["reason"]
    from pymongo import MongoClient

    with MongoClient(e2e_stack.config.mongo_url) as client:
        assert client["juanzong_scan_ocr"]["batches"].count_documents({"job_id": job_id}) == 0


def test_a_job_published_with_the_services_broker_user_is_refused(api, e2e_stack, cases, station_credentials,
                                                                   tmp_path):
    """第四条(一)3: a job on the bus from an account that is not the station it names (here the stack's own broker
    user, which the services share) is not a station's job: refused, nothing kept."""
    job_id = send_job(station_credentials, tmp_path, cases["open"], cases["task"], amqp_url=e2e_stack.config.amqp_url)
    from pymongo import MongoClient

    deadline = time.monotonic() + 60
    with MongoClient(e2e_stack.config.mongo_url) as client:
        db = client["juanzong_scan_ocr"]
        while (refusal := db["job_refusals"].find_one({"job_id": job_id})) is None:
            assert time.monotonic() < deadline, "the job was neither refused nor accepted"
            time.sleep(0.3)
        assert refusal["code"] == "publisher_mismatch" and db["batches"].count_documents({"job_id": job_id}) == 0


def test_the_stations_own_job_for_its_open_case_and_task_is_accepted(api, cases, station_credentials, tmp_path):
    """The control: the same station, the case's own task, an open in-scope case of its court — accepted."""
    job_id = send_job(station_credentials, tmp_path, cases["open"], cases["task"])
    state = job_state(api, job_id)
    assert state["state"] == "accepted" and state["batch_id"] == _batch_of(job_id), state


def _batch_of(job_id: str) -> str:
    from juanzong_scan_ocr.domain.batches import station_batch_id

    return station_batch_id(STATION, job_id)
