"""Issue 20 item 2 — the scanning-station CLI authenticates, checks the case and the task first, skips files that are
not page images, and exits non-zero naming the reason (吉高法〔2020〕11号 第三条(三), 第四条(一)3).

The review's station CLI wrote straight to RabbitMQ and object storage without logging in and reported "sent" with
exit 0 for a wrong case number, a fake task or a wrong secret; non-image files were uploaded anyway. Now it runs with
the station's own credentials file (``<data_dir>/secrets/stations/station-01.json``): a wrong secret stops at the
login (exit 3), an unknown task, another case's task or a case that may not take pages stop before anything is
uploaded (exit 4), and files are judged by their content, the skipped ones named.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the session's archived case may be made here

STATION = "station-01"


def _png(width: int = 640) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, 480), 255).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def credentials_file(e2e_stack) -> Path:
    return Path(e2e_stack.config.station_credentials_file(STATION))


def station_cli(credentials: Path, folder: Path, case_number: str, task_id: str, *extra: str,
                timeout: float = 300) -> subprocess.CompletedProcess:
    """The CLI as a station PC runs it: its own credentials file, none of the services' settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JZ_")} | {"COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "juanzong_scan_ocr.entrypoints.station", "upload", str(folder),
                           "--case", case_number, "--task", task_id, "--operator", "刘书记",
                           "--credentials", str(credentials), *extra],
                          check=False, env=env, capture_output=True, text=True, timeout=timeout)


def station_objects(stack) -> set[str]:
    from minio import Minio

    s3 = Minio(stack.config.s3_endpoint, *stack.config.s3_admin_keys, secure=False)
    return {o.object_name for o in s3.list_objects("juanzong-stations", prefix=f"{STATION}/", recursive=True)}


def page_folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / uuid.uuid4().hex[:8]
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def scan_task(api, sec, case_number: str) -> str:
    return api.post("intake", f"/v1/cases/{sec.cn_path(case_number)}/scan-tasks", sec.CLERK, {
        "department": "民一庭", "materials": [{"item_id": "1", "name": "上诉状", "stage": "filing",
                                              "expected_pages": 1}]})["task_id"]


def wait_decision(api, sec, case_number: str, task_id: str, allowed: bool, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while api.post("access-control", "/v1/decisions", sec.FILING, {
            "action": "add_pages", "case_number": case_number, "resource": f"scan_task:{task_id}"},
            expect=(200,))["allowed"] is not allowed:
        assert time.monotonic() < deadline, f"add_pages on {case_number} never became allowed={allowed}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def case_and_task(api, sec) -> tuple[str, str]:
    case_number = sec.register_case(api)["case_number"]
    task = scan_task(api, sec, case_number)
    wait_decision(api, sec, case_number, task, True)
    return case_number, task


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def test_a_wrong_secret_stops_at_the_login_and_uploads_nothing(e2e_stack, credentials_file, case_and_task,
                                                                tmp_path):
    """A station logs in first (client credentials): with a wrong secret the CLI exits 3 naming the refusal, and
    nothing reaches storage or the bus."""
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(json.loads(credentials_file.read_text()) | {"client_secret": "not-the-secret"}))
    before = station_objects(e2e_stack)
    result = station_cli(wrong, page_folder(tmp_path, {"p1.png": _png()}), *case_and_task)
    assert result.returncode == 3, output(result)
    assert "login refused" in output(result) and "invalid_client" in output(result)
    assert "sent" not in result.stdout and station_objects(e2e_stack) == before


def test_a_fake_task_stops_before_uploading(e2e_stack, credentials_file, case_and_task, tmp_path):
    """吉高法〔2020〕11号 第三条(三)2: pages come in through a scan task; one intake does not know is refused."""
    before = station_objects(e2e_stack)
    result = station_cli(credentials_file, page_folder(tmp_path, {"p1.png": _png()}), case_and_task[0],
                         "ST-" + uuid.uuid4().hex[:12])
    assert result.returncode == 4, output(result)
    assert "不存在" in output(result) and station_objects(e2e_stack) == before


def test_a_wrong_case_number_stops_before_uploading(api, sec, e2e_stack, credentials_file, case_and_task, tmp_path):
    """A task of one case cannot bring pages into another (a typo in the case number, or an unregistered one)."""
    before = station_objects(e2e_stack)
    for wrong_case in (sec.register_case(api)["case_number"], sec.next_case_number(court="吉02")):
        result = station_cli(credentials_file, page_folder(tmp_path, {"p1.png": _png()}), wrong_case,
                             case_and_task[1])
        assert result.returncode == 4, output(result)
        assert "不属于" in output(result) and case_and_task[0] in output(result)
    assert station_objects(e2e_stack) == before


def test_a_case_that_may_not_take_pages_stops_before_uploading(api, sec, e2e_stack, credentials_file, archived,
                                                                tmp_path):
    """吉高法〔2020〕11号 第三条(八): the task is the case's, but the case is archived (by the real archiving run, conftest's
    ``archived``) — scan-ocr's pre-check (access-control's add_pages for the station) refuses, naming the article;
    nothing is uploaded."""
    wait_decision(api, sec, archived.cn, archived.result.task_id, False)
    before = station_objects(e2e_stack)
    result = station_cli(credentials_file, page_folder(tmp_path, {"p1.png": _png()}), archived.cn,
                         archived.result.task_id)
    assert result.returncode == 4, output(result)
    assert "第三条(八)" in output(result) and station_objects(e2e_stack) == before


def test_files_that_are_not_page_images_are_skipped_by_content(api, e2e_stack, credentials_file, case_and_task,
                                                                tmp_path):
    """A .txt and a text file named .jpg are skipped, each named with the reason; only the page image goes up and
    becomes the batch's one page. A folder with no page image at all sends nothing (exit 6)."""
    folder = page_folder(tmp_path, {"p1.png": _png(), "notes.txt": "扫描备注".encode() * 20,
                                    "fake.jpg": "这不是图片".encode() * 50})
    result = station_cli(credentials_file, folder, *case_and_task)
    assert result.returncode == 0, output(result)
    text = output(result)
    assert re.search(r"skipped notes\.txt", text) and re.search(r"skipped fake\.jpg", text), text
    job_id = re.search(r"job (\w+) sent: 1 files", result.stdout).group(1)
    assert {k.split("/")[1] for k in station_objects(e2e_stack) if k.split("/")[1] == job_id} == {job_id}
    assert [k for k in station_objects(e2e_stack) if f"/{job_id}/" in k] == [f"{STATION}/{job_id}/0001-p1.png"]
    deadline = time.monotonic() + 60
    while (answer := api.status_of("scan-ocr", "GET", f"/v1/station-jobs/{job_id}", "station"))[0] == 404:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert answer[1]["state"] == "accepted", answer
    batch = api.get("scan-ocr", f"/v1/batches/{answer[1]['batch_id']}", "station")
    assert batch["pages_total"] == 1

    before = station_objects(e2e_stack)
    nothing = station_cli(credentials_file, page_folder(tmp_path, {"a.txt": b"x" * 100, "b.jpg": b"not a jpeg"}),
                          *case_and_task)
    assert nothing.returncode == 6, output(nothing)
    assert "no page images" in output(nothing) and station_objects(e2e_stack) == before
