"""The main job end to end on the whole embedded stack (issue 8): the sample appeal from 立案 to a
verified e-archive, through the public REST APIs and the bus only, by the demo's own steps."""

from __future__ import annotations

import tarfile

import pytest
from juanzong_devstack import sample_case as sample
from juanzong_devstack.demo import MainJob
from juanzong_devstack.stack import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]


def test_main_job_from_registration_to_verified_e_archive(e2e_stack, e2e_api, do, tmp_path):
    job = MainJob(e2e_api, e2e_stack.config, sample_dir=REPO_ROOT / "var" / "sample",
                  archives_dir=tmp_path / "archives", ocr_timeout=300, step_timeout=120)
    r = job.result

    do(job, "render the sample scans", job.render)
    do(job, "tokens", job.tokens)

    do(job, "立案", job.register)
    assert r.case_number == sample.CASE_NUMBER  # a fresh database: the first free serial
    assert r.case["case_number"] == r.case_number and r.case["status"] == "open"
    assert r.case["e_dossier"]["allowed"] is True

    do(job, "报送清单 and link", job.submit_manifest)
    assert r.manifest["returned"] is None
    linked = [link for link in r.original_trial["links"] if link["kind"] == "e_dossier"]
    assert linked and sample.ORIGINAL_CASE_NUMBER in str(linked[0]["original_case_number"])

    do(job, "hearing and stage", job.hearing_and_stage)
    do(job, "scan task", job.create_scan_task)
    assert r.task["expected_pages"] == len(sample.PAGES) == 12
    do(job, "云柜", job.cabinet)
    assert r.task_states == ["created", "in_cabinet", "picked_up", "check_passed"]
    assert r.task["last_check"]["consistent"] is True

    do(job, "station CLI batch", job.send_batch)
    assert r.station_exit == 0
    assert r.batch["completed"] is True and r.batch["status"] == "completed"
    assert (r.batch["pages_total"], r.batch["pages_done"], r.batch["pages_failed"]) == (12, 12, 0)
    assert r.rescan_pages == job.rendered.blurred == ["07.png"], "QC must flag exactly the blurred page"

    do(job, "cataloguing", job.wait_catalogued)
    history = [h["to_state"] for h in r.task["history"]]
    assert history[-3:] == ["scanning", "scanned", "catalogued"]
    assert r.task["post_scan_check"]["consistent"] is True
    main = next(v for v in r.dossier["volumes"] if v["volume"] == "main")
    assert main["numbered_pages"] == 12
    numbers = sorted(p["page_number"] for d in main["documents"] for p in d["pages"])
    assert numbers == list(range(1, 13))
    categories = {row["category_zh"] for row in r.catalogue["rows"]}
    assert set(job.rendered.expected_documents) <= categories, categories
    assert r.catalogue["review_pending"] == 0

    do(job, "重扫", job.rescan)  # 法〔2016〕264号 二(五): the flagged page scanned again takes its place
    flagged = next(p for p in r.batch["pages"] if p["file_name"] == "07.png")
    new_page = r.replaced[flagged["page_id"]]
    assert r.rescan_batch["pages_total"] == 1 and r.rescan_batch["pages_rescan"] == 0
    main = next(v for v in r.dossier["volumes"] if v["volume"] == "main")
    slots = {p["page_id"]: p["page_number"] for d in main["documents"] for p in d["pages"]}
    assert flagged["page_id"] not in slots and slots[new_page] == 7, "the re-scan keeps page number 7"
    assert sorted(slots.values()) == list(range(1, 13))

    do(job, "OCR vs truth", job.ocr_quality)
    assert len(r.page_texts) == 12
    assert r.cer["__all__"] < 0.05

    do(job, "结案", job.close_case)
    do(job, "立卷 and confirm", job.file_and_confirm)
    assert r.archive_states[-2:] == ["filing_submitted", "filing_confirmed"]
    do(job, "核查", job.review)
    assert r.archive["state"] == "review_passed"
    do(job, "组卷", job.compile)
    assert r.archive["state"] == "compiled" and r.archive["archival_code"]
    do(job, "转化", job.convert)
    assert r.archive["state"] == "converted"
    do(job, "审核归档", job.audit)
    assert r.archive["state"] == "archived"

    do(job, "collect", job.collect)
    assert r.report["passed"] is True, r.report_text
    assert set(r.verdicts) == {"真实性", "完整性", "可用性", "安全性"}
    assert all(v.startswith("通过") for v in r.verdicts.values()), r.verdicts
    assert r.package["key"] and r.package["downloaded_sha256"] == r.package["sha256"]
    with tarfile.open(r.package["local"]) as tar:
        assert tar.getnames()
    do(job, "deadlines and the reading page", job.deadlines_and_reading)
    by_name = {d["name"]: d["status"] for d in r.deadlines}
    # the clocks the job itself runs are met (the sample scans everything after the hearing, so the
    # 庭前 clock of 长中法〔2018〕129号 第七条 is legitimately late)
    for name in ("取件并核对材料清单", "扫描后编目归目", "电子卷宗结案立卷", "电子卷宗核查"):
        assert by_name.get(name) == "done", (name, by_name)
    assert "#token=" in r.reading_url
