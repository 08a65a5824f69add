"""Scanning-station CLI (扫描工位): upload a folder of page images as one job and follow it.

    python -m juanzong_scan_ocr.entrypoints.station upload FOLDER --case "（2025）吉01民终123号" \\
        --task st-0001 --station station-01 --operator 王书记员 --follow

Files go into ``juanzong-stations/<station>/<job>/NNNN-<name>`` (page order = sorted file names), the
job command ``scan-ocr.job.process`` goes on the bus, and ``--follow`` watches
``GET /v1/batches/{id}`` with a station token until every page is done or failed. Exit code 0 when
all pages were processed, 1 when some failed, 2 when following timed out.
Broker and storage come from the usual ``JZ_AMQP_URL``, ``JZ_BUS_NAMESPACE``, ``JZ_S3_*`` variables.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.domain.batches import station_batch_id, valid_station_id

app = typer.Typer(add_completion=False, help="卷宗 扫描工位 — scanning-station client.")
console = Console(stderr=True)

DEV_SECRET = "juanzong-dev-client-secret"


def _natural(path: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def _default_api() -> str:
    urls = os.environ.get("JZ_SERVICE_URLS")
    if urls:
        try:
            return json.loads(urls)["scan-ocr"]
        except (ValueError, KeyError):
            pass
    return "http://127.0.0.1:8102"


def station_token(access_control: str, client_id: str, client_secret: str) -> str:
    """A station token from access-control (client-credentials grant)."""
    response = httpx.post(access_control.rstrip("/") + "/v1/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}, timeout=15)
    if response.status_code != 200:
        raise typer.BadParameter(f"access-control refused the station credentials: {response.status_code} "
                                 f"{response.text[:300]}")
    return response.json()["access_token"]


async def _send(files: list[Path], station: str, job_id: str, case: str, task: str, operator: str,
                court: str | None, replaces: dict[str, str] | None = None, parallel: int = 4) -> None:
    from juanzong_shared.bus import Bus
    from juanzong_shared.events import REGISTRY
    from juanzong_shared.settings import Settings
    from juanzong_shared.storage import ObjectStore

    settings = Settings(service_name="scan-station")
    store = ObjectStore(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key,
                        secure=settings.s3_secure, region=settings.s3_region)
    bucket = "juanzong-stations"
    await store.ensure_bucket(bucket)
    slots = asyncio.Semaphore(max(1, parallel))  # several files in flight: the round trips overlap

    with Progress(TextColumn("上传 upload"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task_id = progress.add_task("upload", total=len(files))

        async def put(seq: int, path: Path) -> dict:
            key = f"{station}/{job_id}/{seq:04d}-{path.name}"
            async with slots:
                with path.open("rb") as stream:
                    await store.put_stream(bucket, key, stream, path.stat().st_size, "application/octet-stream")
            progress.advance(task_id)
            return {"seq": seq, "object_key": key, "name": path.name,
                    "replaces_page_id": (replaces or {}).get(path.name)}

        try:
            async with asyncio.TaskGroup() as group:  # one failed upload stops the others; no job is sent
                uploads = [group.create_task(put(seq, path)) for seq, path in enumerate(files, start=1)]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
    pages = [u.result() for u in uploads]  # in page order, whichever finished first
    event = REGISTRY.create("scan-ocr.job.process", {
        "job_id": job_id, "scan_task_id": task, "case_number": case, "station_id": station, "operator": operator,
        "bucket": bucket, "pages": pages}, court=court, case_id=case)
    bus = Bus(settings.amqp_url, settings.bus_namespace, "scan-station")
    await bus.connect(timeout=30)
    try:
        await bus.publish(event)
    finally:
        await bus.close()


def parse_replaces(items: list[str], names: set[str]) -> dict[str, str]:
    """``FILE=PAGE_ID`` options → {file name: page id}; FILE must be one of the uploaded files."""
    try:
        return B.parse_replacements(items, names)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--replaces") from None


def follow(api: str, batch_id: str, token: str, total: int, timeout: float, poll: float = 1.0) -> dict | None:
    """Poll the batch until it completes; returns the final batch with its pages, None on timeout."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=api, headers=headers, timeout=30) as client, Progress(
            TextColumn("识别 OCR"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(), console=console) as progress:
        task_id = progress.add_task("ocr", total=total, note="等待受理 waiting for intake")
        while time.monotonic() < deadline:
            response = client.get(f"/v1/batches/{batch_id}", params={"pages": "false"})
            if response.status_code == 200:
                batch = response.json()
                ended = batch["pages_done"] + batch["pages_failed"]
                progress.update(task_id, total=batch["pages_total"], completed=ended,
                                note=f"失败 failed {batch['pages_failed']} · 重扫 rescan {batch['pages_rescan']}")
                if batch["completed"]:
                    return client.get(f"/v1/batches/{batch_id}").json()
            elif response.status_code != 404:
                raise typer.BadParameter(f"GET /v1/batches/{batch_id}: {response.status_code} {response.text[:300]}")
            time.sleep(poll)
    return None


def report(batch: dict) -> int:
    out = Console()
    out.print(f"批次 batch {batch['batch_id']}: {batch['pages_done']} processed, {batch['pages_failed']} failed, "
              f"{batch['pages_rescan']} need re-scan (of {batch['pages_total']})")
    bad = [p for p in batch.get("pages", []) if p["status"] == "failed" or p.get("needs_rescan")]
    if bad:
        table = Table("seq", "file", "status", "code", "reason")
        for p in bad:
            f = p.get("failure") or {}
            table.add_row(str(p["seq"]), p.get("file_name") or "", p["status"],
                          f.get("code", "rescan" if p.get("needs_rescan") else ""), f.get("reason_zh", ""))
        out.print(table)
    return 1 if batch["pages_failed"] else 0


@app.command()
def upload(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Folder of page files.")],
    case: Annotated[str, typer.Option("--case", help="Case number (案号).")],
    task: Annotated[str, typer.Option("--task", help="Scan task id (扫描任务).")],
    station: Annotated[str, typer.Option("--station", help="Station id, e.g. station-01.")],
    operator: Annotated[str, typer.Option("--operator", help="Who scanned (操作员).")],
    glob: Annotated[str, typer.Option("--glob", help="Which files of the folder are pages.")] = "*",
    court: Annotated[str | None, typer.Option("--court")] = None,
    token: Annotated[str | None, typer.Option("--token", envvar="JZ_STATION_TOKEN", help="Station bearer token.")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="Default: the station id.")] = None,
    client_secret: Annotated[str | None, typer.Option("--client-secret", envvar="JZ_STATION_CLIENT_SECRET")] = None,
    access_control: Annotated[str | None, typer.Option("--access-control", envvar="JZ_ACCESS_CONTROL_URL",
                                                       help="access-control base URL (for the token).")] = None,
    api: Annotated[str | None, typer.Option("--api", envvar="JZ_SCAN_OCR_URL", help="scan-ocr base URL.")] = None,
    do_follow: Annotated[bool, typer.Option("--follow/--no-follow", help="Wait for every page.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to follow before giving up.")] = 3600,
    replaces: Annotated[list[str] | None, typer.Option(
        "--replaces", help="FILE=PAGE_ID: FILE is a re-scan of that page (flagged for re-scan) and takes its "
                           "place in the dossier. Repeat for several pages.")] = None,
    parallel: Annotated[int, typer.Option("--parallel", min=1, max=16, help="Files uploaded at once.")] = 4,
) -> None:
    """Upload FOLDER as one scan job and (with --follow) watch it to completion."""
    if not valid_station_id(station):
        raise typer.BadParameter("station id: lower-case letters, digits, - and _", param_hint="--station")
    files = sorted((p for p in folder.glob(glob) if p.is_file() and not p.name.startswith(".")), key=_natural)
    if not files:
        raise typer.BadParameter(f"no files matching {glob!r} in {folder}")
    replacing = parse_replaces(replaces or [], {p.name for p in files})
    if do_follow and token is None:
        if not access_control:
            raise typer.BadParameter("--token or --access-control (with --client-secret) is needed to follow")
        secret = client_secret or os.environ.get("JZ_DEV_CLIENT_SECRET", DEV_SECRET)
        token = station_token(access_control, client_id or station, secret)
    job_id = uuid.uuid4().hex[:16]
    batch_id = station_batch_id(station, job_id)
    asyncio.run(_send(files, station, job_id, case, task, operator, court, replacing, parallel))
    Console().print(f"job {job_id} sent: {len(files)} files → batch {batch_id}")
    if not do_follow:
        return
    batch = follow(api or _default_api(), batch_id, token, len(files), timeout)
    if batch is None:
        console.print(f"[red]timed out after {timeout:.0f} s; the batch goes on: GET /v1/batches/{batch_id}")
        raise typer.Exit(2)
    raise typer.Exit(report(batch))


@app.command()
def status(batch_id: str,
           token: Annotated[str, typer.Option("--token", envvar="JZ_STATION_TOKEN")],
           api: Annotated[str | None, typer.Option("--api", envvar="JZ_SCAN_OCR_URL")] = None) -> None:
    """Show a batch's pages and failures."""
    response = httpx.get((api or _default_api()) + f"/v1/batches/{batch_id}",
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)
    if response.status_code != 200:
        console.print(f"[red]{response.status_code} {response.text[:500]}")
        raise typer.Exit(2)
    raise typer.Exit(report(response.json()))


if __name__ == "__main__":
    app()
