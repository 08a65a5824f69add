"""The main job on the running embedded stack: a sample appeal from 立案 to a verified e-archive.

    .venv/bin/juanzong-stack up && .venv/bin/python -m juanzong_devstack.demo

Everything goes through the services' public REST APIs and the bus (the scanning station's CLI
publishes the scan job): register the appeal (a fresh case number each run), submit the lower court's
manifest so the original e-dossier is linked, create the scan task with its 材料清单, move it through
入柜 → 取件 → 核对, send the rendered batch through the station CLI, wait for OCR and cataloguing,
close the case, run 立卷 → 确认 → 核查 → 组卷 → 转化 → 审核归档, and print a short summary.

The end-to-end tests call :class:`MainJob` (and its steps) on a stack of their own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.console import Console
from rich.table import Table

from juanzong_devstack import sample_case as sample
from juanzong_devstack.api_client import STATION_ID, Api, ApiError, ServiceUrls, StackNotRunning, cn_path
from juanzong_devstack.stack import REPO_ROOT, StackConfig, StackError

# The demo people (access-control's development seed; password "juanzong-demo").
FILING = "filing-qian"  # 立案庭 / 智能办案辅助中心
JUDGE = "judge-wang"  # 承办法官、审判长
MEMBER = "judge-li"  # 合议庭成员
ASSISTANT = "assistant-zhao"  # 法官助理 (立卷责任人)
CLERK = "clerk-liu"  # 书记员
OUTSIDER = "judge-chen"  # 本庭法官，不在合议庭
ARCHIVIST = "archives-feng"  # 档案科

YEAR = 2026
SERIAL_START = 1001


class JobFailed(RuntimeError):
    """A step did not reach its outcome; the message says which and what to look at."""


def case_number_for(serial: int, year: int = YEAR) -> str:
    return f"（{year}）吉01民终{serial}号"


# ------------------------------------------------------------------------------------------- result
@dataclass
class JobResult:
    """What each step produced (the e2e tests assert on it; the summary prints it)."""

    case_number: str = ""
    case: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    original_trial: dict = field(default_factory=dict)
    task_id: str = ""
    task_states: list[str] = field(default_factory=list)
    task: dict = field(default_factory=dict)
    batch_id: str = ""
    batch: dict = field(default_factory=dict)
    station_exit: int | None = None
    rescan_pages: list[str] = field(default_factory=list)  # file names flagged for re-scan
    rescan_batch: dict = field(default_factory=dict)
    replaced: dict[str, str] = field(default_factory=dict)  # flagged page id → its re-scan's page id
    page_texts: dict[str, str] = field(default_factory=dict)  # file name → OCR text (from catalog)
    cer: dict[str, float] = field(default_factory=dict)  # file name → CER; "__all__" overall
    dossier: dict = field(default_factory=dict)
    catalogue: dict = field(default_factory=dict)
    closed: dict = field(default_factory=dict)
    archive_states: list[str] = field(default_factory=list)
    archive: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    report_text: str = ""
    verdicts: dict[str, str] = field(default_factory=dict)  # 四性 → 通过 / 不通过 …
    deadlines: list[dict] = field(default_factory=list)
    reading_url: str = ""
    package: dict = field(default_factory=dict)  # bucket, key, sha256, local path, bytes
    timings: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


# ------------------------------------------------------------------------------------------ helpers
def normalise(text: str) -> str:
    """NFKC, no whitespace: the OCR bench's comparison form."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def edit_distance(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(truth: str, text: str) -> tuple[int, int]:
    """(errors, reference characters) after normalisation."""
    t, o = normalise(truth), normalise(text)
    return edit_distance(t, o), len(t)


def four_property_verdicts(report: dict) -> dict[str, str]:
    """Per property of DA/T 70-2018: 通过 / 不通过 (and how many items did not run)."""
    items = (report.get("report") or {}).get("items") or []
    out: dict[str, str] = {}
    for prop in ("真实性", "完整性", "可用性", "安全性"):
        mine = [i for i in items if i.get("property") == prop]
        failed = [i for i in mine if i.get("outcome") == "不通过"]
        skipped = [i for i in mine if i.get("outcome") == "未执行"]
        if not mine:
            out[prop] = "无检测项"
        elif failed:
            out[prop] = f"不通过（{len(failed)}/{len(mine)} 项：{'、'.join(i.get('name', '') for i in failed)}）"
        else:
            out[prop] = f"通过（{len(mine)} 项" + (f"，{len(skipped)} 项未执行" if skipped else "") + "）"
    return out


def station_args(config: StackConfig) -> tuple[list[str], dict[str, str]]:
    """The station CLI's credentials: ``--credentials <data_dir>/secrets/stations/station-01.json`` (the station's
    own broker user, S3 identity and client secret — never a service's)."""
    path = config.station_credentials_file(STATION_ID)
    if not path.exists():
        raise JobFailed(f"no station credentials at {path}: start the stack (juanzong-stack up) to make them")
    return ["--credentials", str(path)], {"JZ_STATION_CREDENTIALS": str(path), "JZ_LOG_LEVEL": config.log_level}


# ------------------------------------------------------------------------------------------ the job
class MainJob:
    """The main job, step by step. ``run()`` does all of it; the tests may call steps one by one."""

    def __init__(self, api: Api, config: StackConfig, *, sample_dir: Path | None = None,
                 archives_dir: Path | None = None, console: Console | None = None, keep_going: bool = False,
                 ocr_timeout: float = 420, step_timeout: float = 120, case_number: str | None = None,
                 pages: tuple[sample.SamplePage, ...] = sample.PAGES,
                 materials: tuple[sample.Material, ...] = sample.MATERIALS, cause: str = sample.CAUSE,
                 original_case_number: str = sample.ORIGINAL_CASE_NUMBER, lower_court: str = sample.LOWER_COURT,
                 parties: list[dict] | None = None) -> None:
        self.api = api
        self.config = config
        self.sample_dir = sample_dir or REPO_ROOT / "var" / "sample"
        self.archives_dir = archives_dir or config.data_dir / "archives"
        self.console = console or Console()
        self.keep_going = keep_going
        self.ocr_timeout = ocr_timeout
        self.step_timeout = step_timeout
        self.pages = pages
        self.materials = materials
        self.cause = cause
        self.original_case_number = original_case_number
        self.lower_court = lower_court
        self.parties = parties if parties is not None else sample.PARTIES
        self.result = JobResult(case_number=case_number or "")
        self.rendered: sample.RenderedSample | None = None

    # -- plumbing ---------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def step(self, title: str, fn: Callable[[], str | None]) -> bool:
        """Run one step with a spinner; ✓ with its note, or ✗ with the reason (raise unless --keep-going)."""
        started = time.monotonic()
        try:
            with self.console.status(f"{title}…"):
                note = fn()
        except (ApiError, JobFailed, StackError, subprocess.SubprocessError, OSError) as error:
            seconds = time.monotonic() - started
            self.result.timings[title] = seconds
            self.result.failures.append(f"{title}: {error}")
            self.say(f"[red]✗[/red] {title} [dim]({seconds:.1f} s)[/dim]\n    [red]{error}[/red]")
            if not self.keep_going:
                raise
            return False
        seconds = time.monotonic() - started
        self.result.timings[title] = seconds
        self.say(f"[green]✓[/green] {title}" + (f" — {note}" if note else "") + f" [dim]({seconds:.1f} s)[/dim]")
        return True

    def wait_for(self, what: str, probe: Callable[[], Any], timeout: float | None = None,
                 interval: float = 1.0) -> Any:
        """Poll ``probe`` until it returns something truthy; JobFailed naming ``what`` on timeout."""
        deadline = time.monotonic() + (timeout or self.step_timeout)
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = probe()
            except ApiError as error:
                if error.status not in (404, 409, 503):
                    raise
                last = error
            if last and not isinstance(last, ApiError):
                return last
            time.sleep(interval)
        raise JobFailed(f"timed out after {timeout or self.step_timeout:.0f} s waiting for {what}"
                        + (f" (last answer: {last})" if last is not None else ""))

    @property
    def cn(self) -> str:
        return self.result.case_number

    @property
    def cnp(self) -> str:
        return cn_path(self.result.case_number)

    # -- steps ------------------------------------------------------------------------------------
    def check_stack(self) -> str:
        self.api.check_ready()
        return "six services ready"

    def render(self) -> str:
        cached = all((self.sample_dir / p.name).exists() for p in self.pages)
        self.rendered = sample.render_sample(self.sample_dir, pages=self.pages)
        r = self.rendered
        return (f"{len(r.truth)} pages in {self.sample_dir}" + (" (cached)" if cached else "")
                + f"; upside down {', '.join(r.upside_down) or '-'}; blurred {', '.join(r.blurred) or '-'}")

    def tokens(self) -> str:
        people = [FILING, JUDGE, MEMBER, ASSISTANT, CLERK, OUTSIDER, ARCHIVIST]
        for who in people:
            self.api.token(who)
        self.api.token("station")
        return f"{len(people)} people + {STATION_ID}"

    def next_free_case_number(self) -> str:
        for serial in range(SERIAL_START, SERIAL_START + 5000):
            candidate = case_number_for(serial)
            status, _ = self.api.status_of("intake", "GET", f"/v1/cases/{cn_path(candidate)}", FILING)
            if status == 404:
                return candidate
            if status != 200:
                raise JobFailed(f"GET intake /v1/cases/{candidate} answered {status}")
        raise JobFailed("no free case number in 1001..5999")

    def register(self) -> str:
        if not self.result.case_number:
            self.result.case_number = self.next_free_case_number()
        body = {"case_number": self.cn, "filed_on": date(YEAR, 1, 8).isoformat(), "court": sample.COURT,
                "case_type": "民终", "cause": self.cause, "department": "民一庭",
                "original_case_numbers": [self.original_case_number], "panel": sample.PANEL,
                "parties": self.parties, "secret": False, "stage": "filing"}
        self.result.case = self.api.post("intake", "/v1/cases", FILING, body)
        c = self.result.case
        return f"{c['case_number']} {c['case_type_name']} {c.get('cause')}, stage {c['stage']}"

    def submit_manifest(self) -> str:
        original = self.original_case_number
        serial = (re.search(r"(\d+)号$", original) or re.search(r"(\d+)", original)).group(1)
        body = {"manifest_id": f"M-{self.lower_court}-{int(time.time() * 1000)}",
                "submitting_court": self.lower_court, "submitted_by": "u-lower-clerk-01",
                "originals": [{"original_case_number": original, "e_dossier_refs": [f"ED-{self.lower_court}-2025-{serial}"],
                               "e_archive_refs": [], "paper_volumes": 1}]}
        self.result.manifest = self.api.post("intake", f"/v1/cases/{self.cnp}/submissions", FILING, body)
        self.result.original_trial = self.api.get("intake", f"/v1/cases/{self.cnp}/original-trial", FILING)
        report = self.result.original_trial
        links = [link for link in report.get("links") or [] if link.get("kind") == "e_dossier"]
        if not links:
            raise JobFailed(f"the original e-dossier of {original} was not linked: {json.dumps(report, ensure_ascii=False)[:600]}")
        if self.result.manifest.get("returned"):
            raise JobFailed(f"the case was returned to the lower court: {self.result.manifest['returned']}")
        return f"原审 {original} e-dossier linked ({links[0].get('ref')}, {links[0].get('method', 'auto')})"

    def hearing_and_stage(self) -> str:
        # the hearing just held (the 庭前/庭后 clocks run from it: a date months ago would make them overdue)
        held = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
        self.api.post("intake", f"/v1/cases/{self.cnp}/hearings", CLERK, {"status": "scheduled", "at": held.isoformat()})
        self.api.post("intake", f"/v1/cases/{self.cnp}/hearings", CLERK, {"status": "held", "at": held.isoformat()})
        case = self.api.post("intake", f"/v1/cases/{self.cnp}/stage", JUDGE, {"stage": "pre_closing"})
        return f"hearing held {held.date()}, stage {case['stage']}"

    def create_scan_task(self, materials: Iterable[dict] | None = None) -> str:
        items = list(materials) if materials is not None else [m.as_item() for m in self.materials]
        task = self.api.post("intake", f"/v1/cases/{self.cnp}/scan-tasks", CLERK,
                             {"department": "民一庭", "materials": items})
        self.result.task_id = task["task_id"]
        self.result.task_states = []
        self._task(task)
        return f"{task['task_id']}: {len(items)} materials, {task['expected_pages']} pages"

    def _task(self, task: dict) -> dict:
        self.result.task = task
        if not self.result.task_states or self.result.task_states[-1] != task["state"]:
            self.result.task_states.append(task["state"])
        return task

    def move_task(self, to: str, who: str, **extra: Any) -> dict:
        return self._task(self.api.post("intake", f"/v1/scan-tasks/{self.result.task_id}/transitions", who,
                                        {"to": to, **extra}))

    def counted_pages(self) -> dict[str, int]:
        return {m.item_id: len(m.pages) for m in self.materials}

    def cabinet(self) -> str:
        self.move_task("in_cabinet", CLERK)
        self.move_task("picked_up", FILING)
        task = self.move_task("check_passed", FILING, reported=self.counted_pages())
        if task["state"] != "check_passed":
            raise JobFailed(f"核对 did not pass: {task['state']} — {task.get('return_reason')}")
        return " → ".join(self.result.task_states)

    def _station_upload(self, folder: Path, glob: str, task_id: str, extra: list[str]) -> tuple[int, str, dict]:
        """Run the station CLI on ``folder`` and follow the batch; (exit code, batch id, the batch)."""
        urls = self.api.urls
        credentials, station_env = station_args(self.config)
        argv = [sys.executable, "-m", "juanzong_scan_ocr.entrypoints.station", "upload", str(folder),
                "--case", self.cn, "--task", task_id, "--station", STATION_ID, *credentials,
                "--operator", "刘书记", "--court", sample.COURT, "--glob", glob,
                "--access-control", urls["access-control"], "--api", urls["scan-ocr"], "--follow",
                "--timeout", str(int(self.ocr_timeout)), *extra]
        # the station runs with its own credentials only: none of the services' JZ_ variables leak into it
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("JZ_")}
        env = {**base_env, **station_env, "COLUMNS": os.environ.get("COLUMNS", "100")}
        self.say(f"  [dim]$ python -m juanzong_scan_ocr.entrypoints.station upload {folder} --case {self.cn} "
                 f"--task {task_id} --station {STATION_ID} {' '.join(credentials)} --glob '{glob}' "
                 f"{' '.join(extra)} --follow[/dim]")
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=None, text=True, cwd=REPO_ROOT)
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            self.say("  [dim]station[/dim] " + line.rstrip())
        code = proc.wait(timeout=self.ocr_timeout + 60)
        found = next((m.group(1) for ln in lines if (m := re.search(r"→ batch (\S+)", ln))), None)
        if not found:
            raise JobFailed(f"station CLI exited {code} without naming the batch; output: {' | '.join(lines)[-800:]}")
        if code == 2:
            raise JobFailed(f"station CLI timed out following batch {found} after {self.ocr_timeout:.0f} s")
        if code not in (0, 1):
            raise JobFailed(f"station CLI exited with {code}")
        return code, found, self.api.get("scan-ocr", f"/v1/batches/{found}", "station")

    def send_batch(self, glob: str = "*.png", task_id: str | None = None) -> str:
        code, found, batch = self._station_upload(self.sample_dir, glob, task_id or self.result.task_id, [])
        self.result.station_exit = code
        self.result.batch_id = found
        self.result.batch = batch
        by_seq = {p["seq"]: p for p in batch.get("pages", [])}
        self.result.rescan_pages = [p.get("file_name") or str(p["seq"]) for p in by_seq.values() if p.get("needs_rescan")]
        return (f"batch {found}: {batch['pages_done']}/{batch['pages_total']} pages read, "
                f"{batch['pages_failed']} failed, re-scan flagged: {', '.join(self.result.rescan_pages) or 'none'}")

    def rescan(self) -> str:
        """Scan the flagged pages again (法〔2016〕264号 二(五)): each new page takes the old one's place."""
        flagged = [p for p in self.result.batch.get("pages") or [] if p.get("needs_rescan")]
        if not flagged:
            return "no page flagged"
        folder = self.sample_dir / "rescan"
        sample.render_sample(folder, pages=self.pages, rescan=True)
        extra = [arg for p in flagged for arg in ("--replaces", f"{p['file_name']}={p['page_id']}")]
        _, found, batch = self._station_upload(folder, "*.png", self.result.task_id, extra)  # only the flagged
        self.result.rescan_batch = batch
        new_by_name = {p.get("file_name"): p for p in batch.get("pages") or []}
        still = [n for n, p in new_by_name.items() if p.get("needs_rescan") or p.get("status") != "done"]
        if still:
            raise JobFailed(f"the re-scanned pages {', '.join(still)} failed QC again (batch {found})")
        self.result.replaced = {p["page_id"]: new_by_name[p["file_name"]]["page_id"] for p in flagged}

        def swapped():
            dossier = self.api.get("catalog", f"/v1/dossiers/{self.cnp}", JUDGE)
            ids = {pg["page_id"] for v in dossier.get("volumes") or [] for d in v.get("documents") or []
                   for pg in d.get("pages") or []}
            return dossier if set(self.result.replaced.values()) <= ids else None

        self.result.dossier = self.wait_for(f"catalog to put the re-scanned pages of batch {found} in place",
                                            swapped, timeout=self.step_timeout)
        self.result.catalogue = self.api.get("catalog", f"/v1/dossiers/{self.cnp}/catalogue", JUDGE)
        return (f"batch {found}: " + ", ".join(p["file_name"] for p in flagged)
                + " scanned again, QC passed, in the old page's place")

    def wait_catalogued(self) -> str:
        def task_catalogued():
            task = self._task(self.api.get("intake", f"/v1/scan-tasks/{self.result.task_id}", FILING))
            return task if task["state"] == "catalogued" else None

        self.wait_for(f"scan task {self.result.task_id} to reach 已编目 (catalogued) in intake "
                      f"(state now {self.result.task.get('state')})", task_catalogued, timeout=self.step_timeout)
        self.result.dossier = self.api.get("catalog", f"/v1/dossiers/{self.cnp}", JUDGE)
        self.result.catalogue = self.api.get("catalog", f"/v1/dossiers/{self.cnp}/catalogue", JUDGE)
        rows = self.result.catalogue.get("rows") or []
        pending = self.result.catalogue.get("review_pending", 0)
        numbered = sum(v.get("numbered_pages", 0) for v in self.result.dossier.get("volumes") or [])
        return (f"{len(rows)} documents in the 卷内目录, {numbered} numbered pages, {pending} awaiting review; "
                f"task {' → '.join(self.result.task_states[-3:])}")

    def ocr_quality(self) -> str:
        """Each page's OCR text through catalog's API, compared with truth.json (CER, NFKC, no spaces)."""
        truth = self.rendered.truth if self.rendered else json.loads((self.sample_dir / "truth.json").read_text("utf-8"))
        errors = chars = 0
        for page in self.result.batch.get("pages") or []:
            name = page.get("file_name")
            if page.get("status") != "done" or not name:
                continue
            page_id = self.result.replaced.get(page["page_id"], page["page_id"])  # the re-scan when there is one
            body = self.api.get("catalog", f"/v1/pages/{page_id}/text", JUDGE)
            self.result.page_texts[name] = body.get("text") or ""
            if name in truth:
                e, n = cer(truth[name], self.result.page_texts[name])
                self.result.cer[name] = e / max(n, 1)
                errors, chars = errors + e, chars + n
        if not chars:
            raise JobFailed("no page text to compare with truth.json")
        self.result.cer["__all__"] = errors / chars
        worst = max((k for k in self.result.cer if k != "__all__"), key=self.result.cer.get)
        return (f"CER {self.result.cer['__all__']:.2%} over {len(self.result.page_texts)} pages "
                f"(worst {worst}: {self.result.cer[worst]:.2%})")

    def close_case(self) -> str:
        closed_at = datetime.now(UTC) - timedelta(minutes=1)
        self.result.closed = self.api.post("intake", f"/v1/cases/{self.cnp}/close", JUDGE,
                                           {"closed_at": closed_at.isoformat(), "result": "撤销原判第一项，改判偿还本金八万元"})

        return f"结案 status {self.result.closed.get('status')}, stage {self.result.closed.get('stage')}"

    def _archive(self, doc: dict) -> dict:
        self.result.archive = doc
        if not self.result.archive_states or self.result.archive_states[-1] != doc["state"]:
            self.result.archive_states.append(doc["state"])
        return doc

    def archive_step(self, step: str, who: str, body: dict | None = None) -> dict:
        return self._archive(self.api.post("archive", f"/v1/archives/{self.cnp}/{step}", who, body or {}))

    def file_and_confirm(self) -> str:
        # archive learns of the closing from intake's case.closed event; until then 立卷 answers 409/404.
        # (The archive status GET needs read_archive, which access-control grants only once archived.)
        self.wait_for("archive to learn of the closing (立卷 possible)",
                      lambda: self.archive_step("submit", ASSISTANT, {"note": "电子卷宗已立卷"}))
        self.archive_step("confirm", JUDGE, {"note": "已核对电子卷宗完整、准确"})
        return " → ".join(self.result.archive_states)

    def review(self) -> str:
        doc = self.archive_step("review-pass", FILING, {"paper_list": [], "note": "电子卷宗与纸质卷宗一致"})
        return doc["state_label"]

    def compile(self) -> str:
        doc = self.archive_step("compile", FILING, {"retention_period": "长期", "secrecy_level": "非密",
                                                    "notes": "纸质卷宗已组卷装订，质检合格"})
        return f"档号 {doc.get('archival_code')} — {doc['state_label']}"

    def convert(self) -> str:
        doc = self.archive_step("convert", FILING)
        return doc["state_label"]

    def audit(self) -> str:
        doc = self.archive_step("audit-pass", ARCHIVIST, {"note": "审核合格"})
        if doc["state"] != "archived":
            raise JobFailed(f"审核归档 left the case in {doc['state']}")
        return f"{doc['state_label']} {doc.get('archival_code')}"

    def deadlines_and_reading(self) -> str:
        """The notifier's clocks of the case and the online-reading page with a token fragment."""
        r = self.result
        r.deadlines = self.api.get("notifier", f"/v1/cases/{self.cnp}/deadlines", JUDGE).get("deadlines") or []
        token = self.api.token(JUDGE)
        r.reading_url = f"{self.api.urls['catalog']}/read/{quote(self.cn, safe='')}#token={token}"
        met = sum(1 for d in r.deadlines if d.get("status") == "done")
        return f"{met} of {len(r.deadlines)} deadlines met"

    def best_effort_extras(self) -> None:
        """After a failed step: still show the deadlines and the reading page when the case exists."""
        if self.cn and not self.result.reading_url:
            try:
                self.deadlines_and_reading()
            except (ApiError, StackNotRunning):
                pass

    def collect(self) -> str:
        """The four-property report and the archive package (downloaded under var/archives/)."""
        r = self.result
        r.report = self.api.get("archive", f"/v1/archives/{self.cnp}/report", ARCHIVIST)
        r.report_text = self.api.call("archive", "GET", f"/v1/archives/{self.cnp}/report", ARCHIVIST,
                                      params={"format": "text"}, raw=True).text
        r.verdicts = four_property_verdicts(r.report)
        pkg = r.archive.get("package") or {}
        response = self.api.call("archive", "GET", f"/v1/archives/{self.cnp}/package", ARCHIVIST, raw=True)
        self.archives_dir.mkdir(parents=True, exist_ok=True)
        local = self.archives_dir / f"{r.archive.get('archival_code') or 'package'}.tar.gz"
        local.write_bytes(response.content)
        import hashlib
        sha = hashlib.sha256(response.content).hexdigest()
        r.package = {"bucket": pkg.get("bucket") or "juanzong-archive", "key": pkg.get("tar_key"),
                     "sha256": pkg.get("sha256"), "downloaded_sha256": sha, "bytes": len(response.content),
                     "local": str(local), "header_sha256": response.headers.get("X-Content-SHA256")}
        if pkg.get("sha256") and pkg["sha256"] != sha:
            raise JobFailed(f"downloaded package hash {sha} differs from the stored {pkg['sha256']}")
        return f"report {'通过' if r.report.get('passed') else '不通过'}; package {len(response.content) / 1e6:.1f} MB → {local}"

    # -- the whole job ----------------------------------------------------------------------------
    def steps(self) -> list[tuple[str, Callable[[], str | None]]]:
        return [
            ("stack ready", self.check_stack),
            ("render the sample scans", self.render),
            ("tokens from access-control", self.tokens),
            ("立案 register the appeal", self.register),
            ("报送清单 lower-court manifest, link the original", self.submit_manifest),
            ("开庭 hearing, stage 结案前", self.hearing_and_stage),
            ("扫描任务 scan task with its 材料清单", self.create_scan_task),
            ("云柜 入柜 → 取件 → 核对", self.cabinet),
            ("扫描 send the batch (station CLI) and OCR", self.send_batch),
            ("编目 wait for cataloguing", self.wait_catalogued),
            ("重扫 re-scan the flagged pages", self.rescan),
            ("OCR text vs truth.json", self.ocr_quality),
            ("结案 close the case", self.close_case),
            ("立卷 file and 承办法官 confirm", self.file_and_confirm),
            ("核查 review", self.review),
            ("组卷 compile", self.compile),
            ("转化 convert to e-archive", self.convert),
            ("审核归档 audit", self.audit),
            ("四性检测 report and the archive package", self.collect),
            ("deadlines (notifier) and the reading page", self.deadlines_and_reading),
        ]

    def run(self) -> JobResult:
        started = time.monotonic()
        for title, fn in self.steps():
            self.step(title, fn)
        self.result.timings["total"] = time.monotonic() - started
        return self.result

    # -- summary ----------------------------------------------------------------------------------
    def summary(self) -> None:
        r = self.result
        out = self.console
        out.rule(f"[bold]卷宗 main job — {r.case_number}")
        batch = r.batch
        if batch:
            out.print(f"Pages read: [bold]{batch.get('pages_done')}[/bold] of {batch.get('pages_total')} "
                      f"(failed {batch.get('pages_failed')}); flagged for re-scan: "
                      f"[bold]{', '.join(r.rescan_pages) or 'none'}[/bold]")
        if "__all__" in r.cer:
            out.print(f"OCR character error rate vs truth.json: [bold]{r.cer['__all__']:.2%}[/bold] "
                      f"(per page: " + ", ".join(f"{k} {v:.1%}" for k, v in sorted(r.cer.items()) if k != "__all__")
                      + ")", highlight=False)
        rows = (r.catalogue or {}).get("rows") or []
        if rows:
            table = Table(title="卷内目录", show_lines=False)
            for col in ("卷", "序号", "题名", "责任者", "日期", "页号", "类别"):
                table.add_column(col)
            for row in rows:
                table.add_row(row.get("volume_zh", ""), str(row.get("sequence")), row.get("title") or "",
                              row.get("issuer") or "", row.get("date") or "", row.get("page_range") or "",
                              row.get("category_zh") or "")
            out.print(table)
        if r.verdicts:
            out.print("四性检测 (DA/T 70-2018): " + ("[green]通过[/green]" if r.report.get("passed") else "[red]不通过[/red]")
                      + f" — {r.report.get('conclusion', '')}", highlight=False)
            for prop, verdict in r.verdicts.items():
                out.print(f"  {prop}: {verdict}", highlight=False)
        if r.deadlines:
            met = [d for d in r.deadlines if d.get("status") == "done"]
            table = Table(title=f"Deadlines (notifier): {len(met)} met of {len(r.deadlines)}")
            for col in ("rule", "依据", "期限", "status", "due"):
                table.add_column(col)
            for d in r.deadlines:
                table.add_row(d.get("name", d.get("rule", "")), d.get("citation", ""), d.get("amount", ""),
                              d.get("status", ""), (d.get("due") or "")[:16])
            out.print(table)
        if r.reading_url:
            out.print(f"Reading page (网上阅卷, token valid ~15 min): {r.reading_url}", highlight=False, soft_wrap=True)
        if r.package:
            out.print(f"Archive package: s3://{r.package['bucket']}/{r.package['key']} "
                      f"(sha256 {str(r.package.get('sha256'))[:16]}…), local copy {r.package['local']}", highlight=False)
        total = r.timings.get("total")
        if r.failures:
            out.print(f"[red]{len(r.failures)} step(s) failed:[/red]")
            for failure in r.failures:
                out.print(f"  [red]✗[/red] {failure}", highlight=False)
        elif total:
            out.print(f"[green]Done in {total:.0f} s.[/green] Run it again for a fresh case number.")


# ------------------------------------------------------------------------------------------ the CLI
def parse_args(argv: list[str]) -> Any:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m juanzong_devstack.demo", description=(
        "Run the main job on the running embedded stack: a sample appeal from registration to a verified "
        "e-archive. Start the stack first: .venv/bin/juanzong-stack up"))
    parser.add_argument("--base-url", action="append", default=[], metavar="NAME=URL",
                        help="Where a service answers, e.g. intake=http://127.0.0.1:8101 (repeatable); "
                             "default from JZ_STACK_SERVICE_PORT_BASE")
    parser.add_argument("--keep-going", action="store_true", help="Go on after a failed step and report all")
    parser.add_argument("--case-number", help="Use this case number instead of the next free （2026）吉01民终NNNN号")
    parser.add_argument("--sample-dir", type=Path, default=REPO_ROOT / "var" / "sample",
                        help="Where the rendered sample pages are cached (default var/sample)")
    parser.add_argument("--ocr-timeout", type=float, default=600, help="Seconds to wait for OCR of the batch")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    console = Console()
    try:
        overrides = dict(item.split("=", 1) for item in args.base_url)
    except ValueError:
        console.print("[red]error:[/red] --base-url takes NAME=URL, e.g. intake=http://127.0.0.1:8101")
        return 2
    try:
        config = StackConfig.from_env()
        urls = ServiceUrls.from_stack(config, overrides)
    except (StackError, ValueError) as error:
        console.print(f"[red]error:[/red] {error}")
        return 2
    api = Api(urls, secrets_dir=config.secrets_dir)
    job = MainJob(api, config, sample_dir=args.sample_dir, console=console, keep_going=args.keep_going,
                  ocr_timeout=args.ocr_timeout, case_number=args.case_number)
    console.rule("[bold]卷宗 Juanzong — the main job on the embedded stack")
    try:
        try:
            job.run()
        except StackNotRunning as error:
            console.print(f"[red]error:[/red] {error}")
            return 3
        except (ApiError, JobFailed, StackError, subprocess.SubprocessError, OSError):
            pass  # shown by the step; the summary follows
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/yellow]")
            return 130
        if not job.result.ok:
            job.best_effort_extras()
        job.summary()
    finally:
        api.close()
    if not job.result.ok:
        console.print("[red]The main job did not complete.[/red] Service logs: "
                      f"{config.data_dir / 'logs'}/<service>.log"
                      + ("" if args.keep_going else "; --keep-going runs the later steps anyway."))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
