"""Scanning-station CLI (扫描工位): upload a folder of page images as one job and follow it.

    python -m juanzong_scan_ocr.entrypoints.station upload FOLDER --case "（2025）吉01民终123号" \\
        --task ST-3f2a9c1d0b7e --operator 王书记员 --credentials var/secrets/stations/station-01.json --follow

What it does, in this order (nothing is uploaded until every check has passed):

1. reads the station's credentials file (``--credentials`` or ``JZ_STATION_CREDENTIALS``; written by the stack
   at ``<data_dir>/secrets/stations/<station_id>.json``): client id and secret, court, its own broker URL and
   object-store keys, the service URLs. An option given on the command line overrides the file; without a file
   the environment's settings are used (``JZ_AMQP_URL``, ``JZ_BUS_NAMESPACE``, ``JZ_S3_*``,
   ``JZ_ACCESS_CONTROL_URL``, ``JZ_INTAKE_URL``, ``JZ_SCAN_OCR_URL`` or ``JZ_SERVICE_URLS``, and
   ``--client-secret`` / ``JZ_STATION_CLIENT_SECRET``); with a file, those variables do not override it;
2. keeps only the files that are page images by their content (PNG, JPEG, TIFF, PDF, whatever the name says;
   empty, corrupt, oversized or bomb-like files too are skipped) and says which were skipped and why;
3. logs in at access-control (client-credentials grant);
4. checks the scan task with intake (it exists and is the case's) and asks scan-ocr whether the task's pages
   may enter the case (``POST /v1/station-jobs/check``: access-control's ``add_pages`` for this station);
5. uploads the files with the station's own object-store keys to ``juanzong-stations/<station_id>/<job>/``
   and publishes the job ``scan-ocr.job.process`` with the station's own broker user (``user_id`` set, so
   the broker vouches for the station);
6. with ``--follow``: waits for scan-ocr to take the job in (``GET /v1/station-jobs/{job}``) — a refused job
   is reported with its reason and rule — then follows the batch until every page is done or failed.

Exit codes:

* 0 — every page processed (with ``--follow``), or the job sent (without it);
* 1 — the batch completed with some pages failed;
* 2 — following timed out (the batch goes on), or the command line was wrong;
* 3 — no login: credentials missing or incomplete, or access-control refused them (e.g. a wrong secret);
* 4 — refused before anything was uploaded: unknown scan task, a task of another case, or the case may not
  take pages (unregistered, another court, outside 第十四条 scope, 涉密, archived) — the reason names the rule;
* 5 — scan-ocr refused the job after it was sent (``--follow``); its files were deleted;
* 6 — no page image in the folder (every file skipped);
* 7 — a service, the broker or the object store failed or could not be reached.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlsplit

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.domain.batches import station_batch_id, valid_station_id

app = typer.Typer(add_completion=False, help="卷宗 扫描工位 — scanning-station client.")
console = Console(stderr=True)

EXIT_OK, EXIT_SOME_FAILED, EXIT_TIMEOUT = 0, 1, 2
EXIT_LOGIN, EXIT_REFUSED_BEFORE, EXIT_JOB_REFUSED, EXIT_NO_PAGES, EXIT_UNAVAILABLE = 3, 4, 5, 6, 7
STATIONS_BUCKET = "juanzong-stations"


class StationError(Exception):
    """A step that cannot go on: the message for the operator and the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _natural(path: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class StationConfig:
    """Everything the station needs; from its credentials file, options overriding it."""

    client_id: str
    client_secret: str | None = None
    court: str | None = None
    amqp_url: str | None = None
    bus_namespace: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_bucket: str = STATIONS_BUCKET
    s3_prefix: str | None = None
    access_control_url: str | None = None
    intake_url: str | None = None
    scan_ocr_url: str | None = None

    @property
    def broker_user(self) -> str | None:
        """The broker user of ``amqp_url``: the job is published with it as ``user_id``."""
        user = urlsplit(self.amqp_url or "").username
        return unquote(user) if user else None


CREDENTIAL_KEYS = ("client_id", "client_secret", "court", "amqp_url", "bus_namespace", "s3_endpoint", "s3_access_key",
                   "s3_secret_key", "s3_secure", "s3_bucket", "s3_prefix", "access_control_url", "intake_url",
                   "scan_ocr_url")


def read_credentials(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise StationError(f"cannot read the credentials file {path}: {error.strerror or error}", EXIT_LOGIN) from None
    except ValueError as error:
        raise StationError(f"the credentials file {path} is not JSON: {error}", EXIT_LOGIN) from None
    if not isinstance(data, dict) or not data.get("client_id"):
        raise StationError(f"the credentials file {path} has no client_id", EXIT_LOGIN)
    return {k: data[k] for k in CREDENTIAL_KEYS if k in data}


def _env_settings() -> dict[str, Any]:
    """The old way, without a credentials file: the ``JZ_`` settings of the environment."""
    from juanzong_shared.settings import Settings

    s = Settings(service_name="scan-station")
    urls: dict[str, str] = {}
    try:
        urls = json.loads(os.environ.get("JZ_SERVICE_URLS") or "{}")
    except ValueError:
        pass
    return {"amqp_url": s.amqp_url, "bus_namespace": s.bus_namespace, "s3_endpoint": s.s3_endpoint,
            "s3_access_key": s.s3_access_key, "s3_secret_key": s.s3_secret_key, "s3_secure": s.s3_secure,
            "s3_region": s.s3_region, "access_control_url": s.access_control_url or urls.get("access-control"),
            "intake_url": os.environ.get("JZ_INTAKE_URL") or urls.get("intake"),
            "scan_ocr_url": os.environ.get("JZ_SCAN_OCR_URL") or urls.get("scan-ocr") or "http://127.0.0.1:8102"}


def resolve_config(credentials: Path | None, **options: Any) -> StationConfig:
    """The credentials file (or, without one, the environment), then every option that was given on top."""
    base = read_credentials(credentials) if credentials else _env_settings()
    given = {k: v for k, v in options.items() if v is not None}
    merged = {**base, **given}
    if not merged.get("client_id"):
        raise StationError("no station: give --credentials FILE (or JZ_STATION_CREDENTIALS) or --station", EXIT_LOGIN)
    if not merged.get("s3_prefix"):
        merged["s3_prefix"] = B.station_prefix(merged["client_id"])
    merged["s3_secure"] = str(merged.get("s3_secure", False)).lower() in ("1", "true", "yes")
    fields = StationConfig.__dataclass_fields__
    return StationConfig(**{k: v for k, v in merged.items() if k in fields})


# ----------------------------------------------------------------------------- files


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def choose_page_files(files: list[Path], max_bytes: int | None = None) -> tuple[list[Path], list[Skipped]]:
    """The files that are page images by their content, and the others with the reason (what scan-ocr would say)."""
    from juanzong_scan_ocr.config import ServiceSettings
    from juanzong_scan_ocr.domain.intake import Limits, inspect_file

    defaults = ServiceSettings.model_fields
    limits = Limits(max_bytes or defaults["max_file_bytes"].default, defaults["max_page_pixels"].default,
                    defaults["max_file_pages"].default)
    kept: list[Path] = []
    skipped: list[Skipped] = []
    for path in files:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            skipped.append(Skipped(path, f"文件过大 ({size} 字节，上限 {limits.max_file_bytes})"))
            continue
        inspection = inspect_file(path.read_bytes(), limits)
        if inspection.failure is not None:
            skipped.append(Skipped(path, f"{inspection.failure.reason_zh} ({inspection.failure.code})"))
        else:
            kept.append(path)
    return kept, skipped


def object_key(station: str, job_id: str, seq: int, path: Path) -> str:
    """Where a file goes: under the station's own prefix; the name is kept when it is a plain safe name."""
    from juanzong_scan_ocr.domain.intake import plain_file_name

    try:
        name = "-" + plain_file_name(path.name)
    except ValueError:
        name = ""
    return f"{B.station_prefix(station)}{job_id}/{seq:04d}{name}"


# ----------------------------------------------------------------------------- services


def _problem_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code} {response.text[:300]}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code} {str(body)[:300]}"
    parts = [str(body.get(k)) for k in ("title", "detail", "error", "error_description") if body.get(k)]
    if body.get("rule"):
        parts.append(f"[{body['rule']}]")
    return f"HTTP {response.status_code} " + " — ".join(parts)


def station_token(access_control: str, client_id: str, client_secret: str) -> tuple[str, float]:
    """A station token from access-control (client-credentials grant) and its lifetime in seconds."""
    try:
        response = httpx.post(access_control.rstrip("/") + "/v1/token", data={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}, timeout=15)
    except httpx.HTTPError as error:
        raise StationError(f"access-control unreachable at {access_control}: {error}", EXIT_UNAVAILABLE) from None
    if response.status_code != 200:
        code = EXIT_LOGIN if response.status_code in (400, 401, 403) else EXIT_UNAVAILABLE
        raise StationError(f"登录失败 login refused by access-control for {client_id}: {_problem_text(response)}", code)
    body = response.json()
    return body["access_token"], float(body.get("expires_in", 300))


class Session:
    """The station's bearer token, renewed shortly before it expires (a long --follow outlives one token)."""

    def __init__(self, config: StationConfig, token: str | None = None) -> None:
        self.config = config
        self._token = token
        self._renew_at = float("inf") if token else 0.0

    def login(self) -> None:
        if not self.config.access_control_url:
            raise StationError("no access-control URL: the credentials file's access_control_url or --access-control",
                               EXIT_LOGIN)
        if not self.config.client_secret:
            raise StationError("no client secret: the credentials file's client_secret or --client-secret", EXIT_LOGIN)
        self._token, lifetime = station_token(self.config.access_control_url, self.config.client_id,
                                              self.config.client_secret)
        self._renew_at = time.monotonic() + max(lifetime - 60, lifetime / 2)

    def headers(self) -> dict[str, str]:
        if self._token is None or time.monotonic() >= self._renew_at:
            self.login()
        return {"Authorization": f"Bearer {self._token}"}


def _get(url: str, session: Session, **kw: Any) -> httpx.Response:
    try:
        return httpx.get(url, headers=session.headers(), timeout=30, **kw)
    except httpx.HTTPError as error:
        raise StationError(f"{url} unreachable: {error}", EXIT_UNAVAILABLE) from None


def check_task_and_case(config: StationConfig, session: Session, case: str, task: str) -> None:
    """Before anything is uploaded: the scan task exists and is the case's (intake), and the case may take the
    task's pages from this station (scan-ocr asks access-control ``add_pages``)."""
    if config.intake_url:
        response = _get(f"{config.intake_url.rstrip('/')}/v1/scan-tasks/{quote(task, safe='')}", session)
        if response.status_code == 404:
            raise StationError(f"扫描任务 {task} 不存在 (no such scan task): {_problem_text(response)}",
                               EXIT_REFUSED_BEFORE)
        if response.status_code in (401, 403):
            raise StationError(f"无权读取扫描任务 {task}: {_problem_text(response)}", EXIT_REFUSED_BEFORE)
        if response.status_code != 200:
            raise StationError(f"intake answered {_problem_text(response)}", EXIT_UNAVAILABLE)
        owner = response.json().get("case_number")
        if owner != case:
            raise StationError(f"扫描任务 {task} 属于 {owner}，不属于 {case} (the scan task is another case's)",
                               EXIT_REFUSED_BEFORE)
    if not config.scan_ocr_url:
        raise StationError("no scan-ocr URL: the credentials file's scan_ocr_url or --api", EXIT_LOGIN)
    url = config.scan_ocr_url.rstrip("/") + "/v1/station-jobs/check"
    try:
        response = httpx.post(url, json={"case_number": case, "scan_task_id": task}, headers=session.headers(),
                              timeout=30)
    except httpx.HTTPError as error:
        raise StationError(f"{url} unreachable: {error}", EXIT_UNAVAILABLE) from None
    if response.status_code in (401, 403, 404, 422):
        raise StationError(f"本案不能接收该扫描任务的页面 (pages refused for {case}): {_problem_text(response)}",
                           EXIT_REFUSED_BEFORE)
    if response.status_code != 200:
        raise StationError(f"scan-ocr answered {_problem_text(response)}", EXIT_UNAVAILABLE)


# ----------------------------------------------------------------------------- upload and job


async def _send(files: list[Path], station: str, job_id: str, case: str, task: str, operator: str,
                court: str | None, replaces: dict[str, str] | None = None, parallel: int = 4,
                config: StationConfig | None = None) -> None:
    """Upload the files under the station's prefix (several at once), then publish the job with the station's
    broker user. Without ``config``: the environment's settings (the benchmark's local stack)."""
    from juanzong_shared.bus import Bus
    from juanzong_shared.events import REGISTRY
    from juanzong_shared.events.scan_ocr import JobPage, ProcessScanJob
    from juanzong_shared.storage import ObjectStore

    if config is None:
        config = StationConfig(client_id=station, **{k: v for k, v in _env_settings().items()
                                                     if k in StationConfig.__dataclass_fields__})
    store = ObjectStore(config.s3_endpoint, config.s3_access_key, config.s3_secret_key,
                        secure=config.s3_secure, region=config.s3_region)
    bucket = config.s3_bucket
    slots = asyncio.Semaphore(max(1, parallel))  # several files in flight: the round trips overlap

    with Progress(TextColumn("上传 upload"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task_id = progress.add_task("upload", total=len(files))

        async def put(seq: int, path: Path) -> JobPage:
            key = object_key(station, job_id, seq, path)
            async with slots:
                with path.open("rb") as stream:
                    await store.put_stream(bucket, key, stream, path.stat().st_size, "application/octet-stream")
            progress.advance(task_id)
            return JobPage(seq=seq, object_key=key, name=path.name, replaces_page_id=(replaces or {}).get(path.name))

        try:
            async with asyncio.TaskGroup() as group:  # one failed upload stops the others; no job is sent
                uploads = [group.create_task(put(seq, path)) for seq, path in enumerate(files, start=1)]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
    pages = [u.result() for u in uploads]  # in page order, whichever finished first
    event = REGISTRY.event(ProcessScanJob(job_id=job_id, scan_task_id=task, case_number=case, station_id=station,
                                          operator=operator, bucket=bucket, pages=pages), court=court, case_number=case)
    bus = Bus(config.amqp_url, config.bus_namespace, "scan-station", passive_exchange=True)
    await bus.connect(timeout=30)
    try:
        await bus.publish(event, user_id=config.broker_user)
    finally:
        await bus.close()


def parse_replaces(items: list[str], names: set[str]) -> dict[str, str]:
    """``FILE=PAGE_ID`` options → {file name: page id}; FILE must be one of the uploaded files."""
    try:
        return B.parse_replacements(items, names)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--replaces") from None


def await_intake(api: str, job_id: str, session: Session, timeout: float, poll: float = 0.5) -> dict | None:
    """Wait until scan-ocr has taken the job in: its state (accepted with the batch, or refused with the reason)."""
    deadline = time.monotonic() + timeout
    url = f"{api.rstrip('/')}/v1/station-jobs/{job_id}"
    while time.monotonic() < deadline:
        response = _get(url, session)
        if response.status_code == 200:
            return response.json()
        if response.status_code != 404:
            raise StationError(f"GET /v1/station-jobs/{job_id}: {_problem_text(response)}", EXIT_UNAVAILABLE)
        time.sleep(poll)
    return None


def follow(api: str, batch_id: str, session: Session, total: int, timeout: float, poll: float = 1.0) -> dict | None:
    """Poll the batch until it completes; returns the final batch with its pages, None on timeout."""
    deadline = time.monotonic() + timeout
    with Progress(TextColumn("识别 OCR"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                  TimeElapsedColumn(), console=console) as progress:
        task_id = progress.add_task("ocr", total=total, note="等待受理 waiting for intake")
        while time.monotonic() < deadline:
            response = _get(f"{api.rstrip('/')}/v1/batches/{batch_id}", session, params={"pages": "false"})
            if response.status_code == 200:
                batch = response.json()
                ended = batch["pages_done"] + batch["pages_failed"]
                progress.update(task_id, total=batch["pages_total"], completed=ended,
                                note=f"失败 failed {batch['pages_failed']} · 重扫 rescan {batch['pages_rescan']}")
                if batch["completed"]:
                    return _get(f"{api.rstrip('/')}/v1/batches/{batch_id}", session).json()
            elif response.status_code != 404:
                raise StationError(f"GET /v1/batches/{batch_id}: {_problem_text(response)}", EXIT_UNAVAILABLE)
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
    return EXIT_SOME_FAILED if batch["pages_failed"] else EXIT_OK


def _fail(error: StationError) -> typer.Exit:
    console.print(f"[red]✗ {error}[/red]", highlight=False)
    return typer.Exit(error.code)


CredentialsOpt = Annotated[Path | None, typer.Option(
    "--credentials", envvar="JZ_STATION_CREDENTIALS", dir_okay=False,
    help="The station's credentials file (JSON, written by the stack at <data_dir>/secrets/stations/<id>.json).")]


@app.command()
def upload(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Folder of page files.")],
    case: Annotated[str, typer.Option("--case", help="Case number (案号).")],
    task: Annotated[str, typer.Option("--task", help="Scan task id (扫描任务).")],
    operator: Annotated[str, typer.Option("--operator", help="Who scanned (操作员).")],
    credentials: CredentialsOpt = None,
    station: Annotated[str | None, typer.Option("--station", help="Station id (default: the file's client_id).")] = None,
    glob: Annotated[str, typer.Option("--glob", help="Which files of the folder are pages.")] = "*",
    court: Annotated[str | None, typer.Option("--court")] = None,
    token: Annotated[str | None, typer.Option("--token", envvar="JZ_STATION_TOKEN", help="Station bearer token.")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="Default: the station id.")] = None,
    client_secret: Annotated[str | None, typer.Option("--client-secret", envvar="JZ_STATION_CLIENT_SECRET")] = None,
    access_control: Annotated[str | None, typer.Option("--access-control",
                                                       help="access-control base URL (for the token).")] = None,
    intake: Annotated[str | None, typer.Option("--intake", help="intake base URL (the scan task).")] = None,
    api: Annotated[str | None, typer.Option("--api", help="scan-ocr base URL.")] = None,
    do_follow: Annotated[bool, typer.Option("--follow/--no-follow", help="Wait for every page.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to follow before giving up.")] = 3600,
    replaces: Annotated[list[str] | None, typer.Option(
        "--replaces", help="FILE=PAGE_ID: FILE is a re-scan of that page (flagged for re-scan) and takes its "
                           "place in the dossier. Repeat for several pages.")] = None,
    parallel: Annotated[int, typer.Option("--parallel", min=1, max=16, help="Files uploaded at once.")] = 4,
) -> None:
    """Upload FOLDER as one scan job and (with --follow) watch it to completion."""
    if station and client_id and station != client_id:
        raise typer.BadParameter("--station and --client-id name different stations", param_hint="--station")
    try:
        config = resolve_config(credentials, client_id=client_id or station, client_secret=client_secret,
                                court=court, access_control_url=access_control, intake_url=intake,
                                scan_ocr_url=api)
    except StationError as error:
        raise _fail(error) from None
    station_id = config.client_id
    if not valid_station_id(station_id):
        raise typer.BadParameter("station id: lower-case letters, digits, - and _", param_hint="--station")
    found = sorted((p for p in folder.glob(glob) if p.is_file() and not p.name.startswith(".")), key=_natural)
    if not found:
        raise typer.BadParameter(f"no files matching {glob!r} in {folder}")
    files, skipped = choose_page_files(found)
    for s in skipped:
        console.print(f"[yellow]跳过 skipped {s.path.name}: {s.reason}[/yellow]", highlight=False)
    if not files:
        raise _fail(StationError(f"没有页面图像 no page images in {folder} ({len(skipped)} file(s) skipped)",
                                 EXIT_NO_PAGES))
    replacing = parse_replaces(replaces or [], {p.name for p in files})
    session = Session(config, token)
    job_id = uuid.uuid4().hex[:16]
    batch_id = station_batch_id(station_id, job_id)
    try:
        session.headers()  # log in first: a wrong secret stops here
        check_task_and_case(config, session, case, task)
        try:
            asyncio.run(_send(files, station_id, job_id, case, task, operator, config.court, replacing, parallel,
                              config))
        except Exception as error:  # noqa: BLE001 — storage or broker: said in one line
            raise StationError(f"upload or job command failed: {type(error).__name__}: {error}"[:600],
                               EXIT_UNAVAILABLE) from None
        Console().print(f"job {job_id} sent: {len(files)} files → batch {batch_id}"
                        + (f" ({len(skipped)} skipped)" if skipped else ""))
        if not do_follow:
            return
        started = time.monotonic()
        state = await_intake(config.scan_ocr_url, job_id, session, timeout)
        if state is None:
            console.print(f"[red]timed out after {timeout:.0f} s waiting for scan-ocr to take job {job_id} in")
            raise typer.Exit(EXIT_TIMEOUT)
        if state["state"] == "refused":
            rule = f" [{state['rule']}]" if state.get("rule") else ""
            raise StationError(f"作业被拒收 job {job_id} refused ({state.get('code')}): {state.get('reason')}{rule}; "
                               f"{state.get('files_deleted') or 0} uploaded file(s) deleted", EXIT_JOB_REFUSED)
        batch = follow(config.scan_ocr_url, batch_id, session, len(files), max(1.0, timeout - (time.monotonic() - started)))
    except StationError as error:
        raise _fail(error) from None
    if batch is None:
        console.print(f"[red]timed out after {timeout:.0f} s; the batch goes on: GET /v1/batches/{batch_id}")
        raise typer.Exit(EXIT_TIMEOUT)
    raise typer.Exit(report(batch))


def _scan_ocr_get(path: str, credentials: Path | None, token: str | None, api: str | None) -> httpx.Response:
    """GET a scan-ocr path as this station (its credentials file, or a token and the API's address)."""
    try:
        config = resolve_config(credentials, scan_ocr_url=api) if credentials else StationConfig(
            client_id="-", scan_ocr_url=api or _env_settings()["scan_ocr_url"])
        return _get(f"{(config.scan_ocr_url or '').rstrip('/')}{path}", Session(config, token))
    except StationError as error:
        raise _fail(error) from None


@app.command()
def job(job_id: str, credentials: CredentialsOpt = None,
        token: Annotated[str | None, typer.Option("--token", envvar="JZ_STATION_TOKEN")] = None,
        api: Annotated[str | None, typer.Option("--api", envvar="JZ_SCAN_OCR_URL")] = None) -> None:
    """Show what became of a job this station sent: accepted (its batch) or refused (why)."""
    response = _scan_ocr_get(f"/v1/station-jobs/{job_id}", credentials, token, api)
    if response.status_code != 200:
        console.print(f"[red]{_problem_text(response)}")
        raise typer.Exit(EXIT_UNAVAILABLE if response.status_code >= 500 else EXIT_REFUSED_BEFORE)
    state = response.json()
    Console().print_json(data=state)
    raise typer.Exit(EXIT_JOB_REFUSED if state["state"] == "refused" else EXIT_OK)


@app.command()
def status(batch_id: str, credentials: CredentialsOpt = None,
           token: Annotated[str | None, typer.Option("--token", envvar="JZ_STATION_TOKEN")] = None,
           api: Annotated[str | None, typer.Option("--api", envvar="JZ_SCAN_OCR_URL")] = None) -> None:
    """Show a batch's pages and failures."""
    response = _scan_ocr_get(f"/v1/batches/{batch_id}", credentials, token, api)
    if response.status_code != 200:
        console.print(f"[red]{_problem_text(response)}")
        raise typer.Exit(EXIT_UNAVAILABLE)
    raise typer.Exit(report(response.json()))


if __name__ == "__main__":
    app()
