"""Workers on the real stack: one killed mid-page (SIGKILL), and a 50-page job sent with the station CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from juanzong_shared.outbox import CLAIM_LEASE

pytestmark = pytest.mark.integration

CASE = "（2025）吉01民终456号"


async def test_worker_killed_mid_page_every_page_processed_once(scan_stack, scan_api, tap, page_png):
    pages = 6
    files = [("files", (f"p{i}.png", page_png(lines=[f"第{i}页 诉讼材料", "本院认为，上诉理由不能成立。", f"编号{i * 7919}"]),
                        "image/png")) for i in range(1, pages + 1)]
    response = await scan_api.client.post("/v1/batches", files=files, headers=scan_api.station(),
                                          data={"case_number": CASE, "scan_task_id": "st-kill"})
    assert response.status_code == 202, response.text
    batch_id = response.json()["batch_id"]
    first = scan_stack.start_worker("first")

    async def mid_page():
        done = await scan_api.db["pages"].count_documents({"batch_id": batch_id, "status": "done"})
        busy = await scan_api.db["pages"].find_one({"batch_id": batch_id, "status": "processing",
                                                     "worker": {"$regex": f":{first.pid}$"}})
        return busy if done >= 1 else None
    busy = await scan_api.until(mid_page, 180, "first worker busy on its second page")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    scan_stack.start_worker("second")

    batch = await scan_api.batch_done(batch_id, timeout=300)
    assert (batch["pages_done"], batch["pages_failed"]) == (pages, 0), scan_stack.log("second")

    async def announced_every_page():
        # A page the killed worker committed just before the kill has its event in the outbox; if that
        # worker had claimed it, the second worker's relay publishes it once the claim's lease runs out.
        await tap.drain(0.2)
        return {e["payload"]["seq"] for e in tap.of("scan.page.processed", batch_id)} == set(range(1, pages + 1))
    await scan_api.until(announced_every_page, CLAIM_LEASE.total_seconds() + 60, "scan.page.processed of every page")
    await tap.drain(1.0)
    processed = tap.of("scan.page.processed", batch_id)
    assert sorted(e["payload"]["seq"] for e in processed) == list(range(1, pages + 1))  # each page once
    assert len(tap.of("scan.batch.completed", batch_id)) == 1
    killed = await scan_api.db["pages"].find_one({"_id": busy["_id"]})
    assert killed["status"] == "done" and killed["attempts"] == 2 and not killed["worker"].endswith(f":{first.pid}")
    for event in processed:
        p = event["payload"]
        assert json.loads(await scan_api.store.get_bytes(p["bucket"], p["ocr_key"]))["page_id"] == p["page_id"]


class _OtherServices(BaseHTTPRequestHandler):
    """Stands in for access-control (tokens, decisions: yes) and intake (the scan task is the case's): the CLI and
    scan-ocr ask them exactly as on the stack; their own rules are their own services' tests."""

    asked: list[tuple[str, str]] = []  # noqa: RUF012 — one test at a time

    def _answer(self, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode()
        _OtherServices.asked.append((self.path, body))
        if self.path == "/v1/token":
            self._answer({"access_token": "scan-ocr-service-token", "expires_in": 300, "token_type": "Bearer"})
        else:
            self._answer({"allowed": True, "reason": "允许", "rule": "吉高法〔2020〕11号 第三条(三)", "obligations": []})

    def do_GET(self) -> None:
        _OtherServices.asked.append((self.path, ""))
        self._answer({"task_id": self.path.rsplit("/", 1)[-1], "case_number": CASE})

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_services() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtherServices)
    _OtherServices.asked = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.slow
async def test_fifty_page_job_through_the_station_cli(scan_stack, scan_tokens, tap, tmp_path, embedded_stack,
                                                      other_services):
    """The station's own credentials (broker user, keys limited to its prefix), a pre-check, the job on the bus
    checked for its publisher and asked add_pages, 50 pages through two workers."""
    import importlib.util
    from pathlib import Path

    repo = Path(__file__).resolve().parents[4]
    spec = importlib.util.spec_from_file_location("jz_bench_pagegen_cli", repo / "bench" / "pagegen.py")
    gen = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gen
    spec.loader.exec_module(gen)
    folder = tmp_path / "scans"
    gen.make_page_set(folder, 50, seed=11)

    port = int(os.environ.get("JZ_TEST_SERVICE_PORT_BASE", "8200")) + 2
    api_url = f"http://127.0.0.1:{port}"
    scan_stack.env.update(JUANZONG_OCR_ORT_THREADS="1", JZ_MAX_FILE_BYTES=str(50 * 1024 * 1024))
    scan_stack.env.update(JZ_ACCESS_CONTROL_URL=other_services, JZ_CLIENT_ID="scan-ocr", JZ_CLIENT_SECRET="s" * 32)
    scan_stack.env.pop("JZ_CLIENT_SECRET_FILE", None)
    env = {**os.environ, **scan_stack.env, "JZ_HTTP_PORT": str(port)}
    api = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "juanzong_scan_ocr.entrypoints.app:create_app",
                            "--host", "127.0.0.1", "--port", str(port)], env=env,
                           stdout=(tmp_path / "api.log").open("wb"), stderr=subprocess.STDOUT)
    scan_stack.start_worker("w1")
    scan_stack.start_worker("w2")
    try:
        for _ in range(240):
            try:
                if httpx.get(api_url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
        token = scan_tokens[0].token("station-01", kind="station", roles=("scanning_station",))
        cli = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "juanzong_scan_ocr.entrypoints.station", "upload", str(folder), "--glob", "page_*",
            "--case", CASE, "--task", "st-0050", "--operator", "王书记员", "--token", token, "--api", api_url,
            "--intake", other_services, "--credentials", str(embedded_stack.config.station_credentials_file()),
            "--follow", "--timeout", "900",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(cli.communicate(), timeout=960)
        text = out.decode(errors="replace")
        assert cli.returncode == 0, text[-3000:] + scan_stack.log("w1")
        assert "50 processed, 0 failed" in text
        decisions = [json.loads(body) for path, body in _OtherServices.asked if path == "/v1/decisions"]
        assert {"action": "add_pages", "case_number": CASE, "resource": "scan_task:st-0050"} in decisions  # CLI
        assert {"action": "add_pages", "case_number": CASE,  # the job on the bus, on scan-ocr's own account
                "resource": "station:station-01;scan_task:st-0050"} in decisions
    finally:
        api.send_signal(signal.SIGTERM)
        api.wait(timeout=60)
    await tap.drain(1.0)
    completed = tap.of("scan.batch.completed")
    assert len(completed) == 1 and completed[0]["payload"]["pages_done"] == 50
    assert completed[0]["payload"]["station_id"] == "station-01"
    processed = tap.of("scan.page.processed", completed[0]["payload"]["batch_id"])
    assert len({e["payload"]["page_id"] for e in processed}) == 50
    from juanzong_shared.storage import ObjectStore

    env = scan_stack.env
    store = ObjectStore(env["JZ_S3_ENDPOINT"], env["JZ_S3_ACCESS_KEY"], env["JZ_S3_SECRET_KEY"])
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    names = sorted(truth)  # the CLI's page order
    for event in sorted(processed, key=lambda e: e["payload"]["seq"])[:4]:
        p = event["payload"]
        ocr = json.loads(await store.get_bytes(p["bucket"], p["ocr_key"]))
        expected = truth[names[p["seq"] - 1]].replace("\n", "")
        assert len(ocr["text"].replace("\n", "")) > 0.8 * len(expected) and ocr["lines"]
        assert (await store.get_bytes(p["bucket"], p["pdf_key"])).startswith(b"%PDF-")
    job = completed[0]["payload"]["job_id"]
    assert len(await store.list_keys("juanzong-stations", f"station-01/{job}/")) == 50
