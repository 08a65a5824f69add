"""Pages enter only a case that may take them, on the real broker, database and storage (issue 20, items 2, 13).

access-control is a fake here (its rules are its own tests'); the broker is real, with a station user of its own
created for the test (as the embedded stack creates one per station), so the publisher scan-ocr sees is the one
RabbitMQ vouches for.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from PIL import Image

pytestmark = pytest.mark.integration

CASE = "（2025）吉01民终123号"
BUCKET = "juanzong-stations"


def _png(text: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (64 + text, 48), 255).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def station_credentials(embedded_stack) -> dict:
    """station-01's credentials as the stack writes them: its own broker user ``<ns>.station-01`` (may publish only
    the job command) and object-store keys limited to ``juanzong-stations/station-01/``."""
    path = embedded_stack.config.station_credentials_file("station-01")
    return json.loads(path.read_text())


@pytest.fixture
def station_user(station_credentials) -> str:
    if urlsplit(station_credentials["amqp_url"]).username == "guest":
        pytest.skip("the broker is not local: the stack made no station broker user")
    return station_credentials["amqp_url"]


@pytest.fixture
def gated_api(scan_api):
    """scan-ocr in-process (``scan_api``), with a fake access-control that says yes unless told otherwise."""
    return scan_api


async def _send_job(credentials: dict, tmp_path, amqp_url: str, files: dict[str, bytes],
                    station="station-01") -> str:
    """Upload with the station's own keys and publish as ``amqp_url``'s user (the station's, or another)."""
    from juanzong_scan_ocr.entrypoints.station import StationConfig, _send

    folder = tmp_path / uuid.uuid4().hex[:8]
    folder.mkdir()
    paths = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    job_id = uuid.uuid4().hex[:16]
    config = StationConfig(**{k: v for k, v in credentials.items() if k in StationConfig.__dataclass_fields__})
    await _send(paths, station, job_id, CASE, "ST-1", "王书记员", "吉01", config=replace(config, amqp_url=amqp_url))
    return job_id


async def _outcome(api, job_id: str, station: str = "station-01", timeout: float = 30.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        answer = await api.client.get(f"/v1/station-jobs/{job_id}", headers=api.station(station))
        if answer.status_code == 200:
            return answer.json()
        assert answer.status_code == 404, answer.text
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {job_id} not taken in within {timeout:.0f} s")


async def test_a_station_job_is_asked_for_and_accepted_on_the_stations_broker_user(gated_api, station_user,
                                                                                 station_credentials, tmp_path):
    """吉高法〔2020〕11号 第三条(三): the job's publisher is the station it names (the broker says so), and
    access-control is asked add_pages with the station and the task before a batch is made."""
    job_id = await _send_job(station_credentials, tmp_path, station_user, {"p1.png": _png()})
    state = await _outcome(gated_api, job_id)
    assert state["state"] == "accepted" and state["batch_id"], state
    assert ("scan-ocr", "add_pages", CASE) in gated_api.app.state.decider.asked
    other = await gated_api.client.get(f"/v1/station-jobs/{job_id}", headers=gated_api.station("station-02"))
    assert other.status_code == 404  # a station sees its own jobs only


async def test_a_refused_station_job_keeps_nothing_but_its_reason(gated_api, station_user, station_credentials,
                                                                  tmp_path):
    """A case that may not take pages: no batch, no page, the files deleted, the station reads why."""
    gated_api.app.state.decider.allow = lambda identity, action, case: False
    job_id = await _send_job(station_credentials, tmp_path, station_user, {"p1.png": _png(), "p2.png": _png(1)})
    state = await _outcome(gated_api, job_id)
    assert state["state"] == "refused" and state["code"] == "add_pages_denied" and "第九条" in state["rule"]
    assert state["files_deleted"] == 2
    assert await gated_api.store.list_keys(BUCKET, f"station-01/{job_id}/") == []
    assert await gated_api.db["batches"].count_documents({"job_id": job_id}) == 0
    assert await gated_api.db["pages"].count_documents({"case_number": CASE, "batch_id": {"$regex": "^sj-"}}) == 0


async def test_a_job_published_as_another_user_is_refused(gated_api, scan_stack, station_credentials, tmp_path):
    """吉高法〔2020〕11号 第四条(一)3: a job on the bus from a user that is not the station it names (here the
    services' own broker user) is refused without asking, and no batch is made."""
    job_id = await _send_job(station_credentials, tmp_path, scan_stack.env["JZ_AMQP_URL"], {"p1.png": _png()})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    refusal = None
    while refusal is None and loop.time() < deadline:
        refusal = await gated_api.db["job_refusals"].find_one({"job_id": job_id})
        await asyncio.sleep(0.2)
    assert refusal is not None and refusal["code"] == "publisher_mismatch", refusal
    assert gated_api.app.state.decider.asked == []
    assert await gated_api.db["batches"].count_documents({"job_id": job_id}) == 0


async def test_rest_and_chunked_uploads_refused_keep_nothing(gated_api, page_png):
    """Item 13: a refused upload leaves no batch record; the chunked upload takes no path as a name."""
    api = gated_api
    originals = await api.store.list_keys("juanzong-pages", "")
    traversal = await api.client.post("/v1/uploads", headers=api.station(), json={
        "file_name": "../../x.pdf", "size": 10, "case_number": CASE})
    assert traversal.status_code == 422 and traversal.json()["errors"][0]["field"] == "file_name", traversal.text

    data = _png()
    start = await api.client.post("/v1/uploads", headers=api.station(), json={
        "file_name": "p.png", "size": len(data), "case_number": CASE, "scan_task_id": "ST-1"})
    upload_id = start.json()["upload_id"]
    await api.client.put(f"/v1/uploads/{upload_id}", params={"offset": 0}, content=data, headers=api.station())
    api.app.state.decider.allow = lambda identity, action, case: False  # e.g. archived meanwhile
    done = await api.client.post(f"/v1/uploads/{upload_id}/complete", headers=api.station())
    assert done.status_code == 403 and done.json()["rule"], done.text
    assert (await api.client.get(f"/v1/uploads/{upload_id}", headers=api.station())).json()["state"] == "refused"

    refused = await api.client.post("/v1/batches", headers=api.station(), data={"case_number": CASE},
                                     files=[("files", ("p1.png", data, "image/png"))])
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    assert await api.db["batches"].count_documents({}) == 0
    assert await api.store.list_keys("juanzong-pages", "") == originals
