"""Security tests (issue 20, "Every door checked"): each attack of the review, tried again on the real embedded stack.

The stack is the session's ``e2e_stack`` (``juanzong_devstack.pytest_plugin``), shared with ``tests/e2e``. Every test
registers its own cases with serials from a per-session block, so tests do not see each other's data.
"""

from __future__ import annotations

import itertools
import random
import time
from datetime import date
from typing import Any

import pytest
from juanzong_devstack import sample_case as sample
from juanzong_devstack.api_client import Api, ApiError, cn_path

FILING = "filing-qian"  # 立案庭
JUDGE = "judge-wang"  # 承办法官、审判长
MEMBER = "judge-li"  # 合议庭成员
ASSISTANT = "assistant-zhao"
CLERK = "clerk-liu"
OUTSIDER = "judge-chen"  # 本庭法官，不在合议庭
HEAD = "head-sun"  # 民一庭部门负责人
LEADER = "leader-zhou"  # 分管院领导
ARCHIVIST = "archives-feng"
TECH = "tech-he"

_serials = itertools.count(random.Random().randrange(6000, 9000, 100))


def next_case_number(case_type: str = "民终", court: str = sample.COURT, year: int = 2026) -> str:
    return f"（{year}）{court}{case_type}{next(_serials)}号"


def register_case(api: Api, *, case_type: str = "民终", secret: bool = False, original: list[str] | None = None,
                  court: str = sample.COURT, year: int = 2026, **extra: Any) -> dict:
    """立案 of a fresh case by the 立案庭 clerk, on the demo panel (王 承办/审判长, 李, 赵助理, 刘书记)."""
    body = {"case_number": next_case_number(case_type, court, year), "filed_on": date(year, 1, 8).isoformat(),
            "court": court, "case_type": case_type, "cause": "民间借贷纠纷", "department": "民一庭",
            "original_case_numbers": original or [], "panel": sample.PANEL,
            "parties": [{"name": "赵立军", "role": "appellant"}, {"name": "钱某", "role": "appellee"}],
            "secret": secret, "stage": "filing", **extra}
    return api.post("intake", "/v1/cases", FILING, body)


def render_pages(folder, pages: list[tuple[str, str, list[str]]]) -> list:
    """Scans of (file name, document, lines) rendered like the sample's; their paths in order."""
    sample.render_sample(folder, dpi=200, pages=tuple(
        sample.SamplePage(name, document, tuple(lines)) for name, document, lines in pages))
    return [folder / name for name, _, _ in pages]


def upload_pages(api: Api, case_number: str, files: list) -> dict:
    """The 立案庭 clerk's REST upload; asked again for up to 30 s, since access-control may hear of the
    registration a moment after intake answered."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return api.call("scan-ocr", "POST", "/v1/batches", FILING, expect=(202,),
                            data={"case_number": case_number},
                            files=[("files", (f.name, f.read_bytes(), "image/png")) for f in files])
        except ApiError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def catalogued(api: Api, case_number: str, pages: int, timeout: float = 300) -> dict:
    """The panel's dossier view once at least ``pages`` pages are placed (documents, review queue, blanks)."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = api.status_of("catalog", "GET", f"/v1/dossiers/{cn_path(case_number)}", JUDGE)
        if status == 200:
            placed = sum(d["page_count"] for v in body["volumes"] for d in v["documents"]) + \
                sum(d["page_count"] for d in body["review_queue"]) + len(body["blank_page_ids"])
            if placed >= pages:
                return body
        assert time.monotonic() < deadline, f"{case_number} not catalogued: {status} {body}"
        time.sleep(1)


def assert_refused(status: int, body: Any, expected: tuple[int, ...] = (403,), rule: str | None = None) -> None:
    """A refusal is problem+json with a status in ``expected``; with ``rule``, naming that article."""
    assert status in expected, f"expected {expected}, got {status}: {body}"
    assert isinstance(body, dict) and (body.get("title") or body.get("code")), f"not problem+json: {body}"
    if rule is not None:
        assert rule in (str(body.get("rule")) + str(body.get("detail"))), f"rule {rule!r} not named: {body}"


@pytest.fixture(scope="session")
def api(e2e_api) -> Api:
    return e2e_api


def do(job, title, fn) -> None:
    """One step of the demo's job; a failure names the step and the service's answer."""
    try:
        job.step(title, fn)
    except Exception as error:  # noqa: BLE001 - the step's own message says which call failed and why
        pytest.fail(f"setup step “{title}” failed: {error}", pytrace=False)


@pytest.fixture(scope="session")
def archived(e2e_stack, api, tmp_path_factory):
    """A case archived by the real producers, once per session: the second sample appeal through 立案, scanning,
    cataloguing, 结案, 立卷 → 核查 → 组卷 → 转换 → 审核归档 (吉高法〔2020〕11号 第三条(八)). A rule that reacts to
    archiving is tested on what archive itself emits, never on a hand-built ``archive.archived``."""
    from juanzong_devstack.demo import MainJob
    from juanzong_devstack.stack import REPO_ROOT

    job = MainJob(api, e2e_stack.config, sample_dir=REPO_ROOT / "var" / "sample-unhappy",
                  archives_dir=tmp_path_factory.mktemp("archives"), pages=sample.UNHAPPY_PAGES,
                  materials=sample.UNHAPPY_MATERIALS, cause=sample.UNHAPPY_CAUSE,
                  original_case_number=sample.UNHAPPY_ORIGINAL_CASE_NUMBER, lower_court="吉0103",
                  parties=sample.UNHAPPY_PARTIES, ocr_timeout=300, step_timeout=120,
                  case_number=next_case_number())
    for title, step in (("render", job.render), ("立案", job.register), ("报送清单", job.submit_manifest),
                        ("stage", job.hearing_and_stage), ("scan task", job.create_scan_task),
                        ("云柜", job.cabinet), ("扫描", job.send_batch), ("编目", job.wait_catalogued),
                        ("结案", job.close_case), ("立卷", job.file_and_confirm), ("核查", job.review),
                        ("组卷", job.compile), ("转化", job.convert), ("审核归档", job.audit)):
        do(job, title, step)
    assert job.result.archive["state"] == "archived"
    return job


@pytest.fixture(scope="session")
def sec():
    """The helpers above as one object, since test modules here are not importable by name:
    ``sec.register_case(api, ...)``, ``sec.assert_refused(...)``, ``sec.cn_path(...)``, ``sec.JUDGE`` ..."""
    import sys

    return sys.modules[__name__]
