"""The checkable clauses of the five regulations Juanzong serves, as data (issue 22).

One ``Clause`` per requirement that a system or a person can be checked against. The regulations themselves are
not read at run or test time: the requirement is restated here in a line of our own. Sources, by key (the keys of
the seeds' README): 吉高法〔2020〕11号, 吉高院通报29期, 法〔2016〕264号, 长中法〔2018〕129号, 青法〔2021〕116号.

Fields
- ``id``: stable, ``<document>/<article><clause>[/<topic>]``; never renamed once a test or a doc cites it.
- ``status``: ``enforced`` (main does it and an existing test shows it), ``partly`` (main does some of it, or does it
  wrongly in a way issue 22 names), ``not_enforced`` (main does not do it; a planned test says what would prove it),
  ``manual`` (no software can check it, or a system outside Juanzong does it; ``reason`` says which).
- ``tests``: pytest node ids of tests that exist in the repository (parametrised ids may be left off).
- ``planned``: node ids of tests still to be written under ``tests/rules/`` (``test_<doc>_<article>.py``).
- ``items``: the items (1-9) of issue 22 that name this clause as wrong on main, if any.

``docs/rules.md`` is generated from this file: ``.venv/bin/python tests/rules/make_doc.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("enforced", "partly", "not_enforced", "manual")

DOCUMENTS = {
    "吉高法〔2020〕11号": "吉林省高级人民法院机关全流程无纸化办案暂行规定",
    "吉高院通报29期": "在全省法院全流程无纸化办案工作推进会议上的讲话（情况通报第29期）",
    "法〔2016〕264号": "最高人民法院关于全面推进人民法院电子卷宗随案同步生成和深度应用的指导意见",
    "长中法〔2018〕129号": "长春市中级人民法院机关电子卷宗随案同步生成流程规范（试行）",
    "青法〔2021〕116号": "上海市青浦区人民法院电子卷宗“单套制”归档改革试点工作方案",
}

# The slug of each document in planned test file names: tests/rules/test_<slug>_<article>.py
SLUGS = {
    "吉高法〔2020〕11号": "jigaofa_2020_11",
    "吉高院通报29期": "tongbao_29",
    "法〔2016〕264号": "fa_2016_264",
    "长中法〔2018〕129号": "changzhongfa_2018_129",
    "青法〔2021〕116号": "qingfa_2021_116",
}


@dataclass(frozen=True)
class Clause:
    id: str
    doc: str
    article: str  # 第三条 / 三 / 四(四)
    clause: str  # (二) / 第2项 / 第一款 / "" for the whole article
    requirement: str  # one line, Chinese, our own words
    behaviour: str  # what Juanzong does about it (English)
    status: str
    reason: str = ""  # why not enforced / manual / what is missing when partly
    tests: tuple[str, ...] = ()
    planned: tuple[str, ...] = ()
    items: tuple[int, ...] = ()  # the items (1-9) of issue 22 that name this clause as wrong on main


# Test files, by a short alias (full node id = path + "::" + name).
_FILES = {
    "ac_facts": "services/access-control/tests/integration/test_ac_case_facts.py",
    "ac_service": "services/access-control/tests/integration/test_ac_service.py",
    "ac_trust": "services/access-control/tests/integration/test_ac_trust.py",
    "ac_approvals": "services/access-control/tests/unit/test_ac_approvals.py",
    "ac_audit": "services/access-control/tests/unit/test_ac_audit.py",
    "ac_borrowing": "services/access-control/tests/unit/test_ac_borrowing.py",
    "ac_policy": "services/access-control/tests/unit/test_ac_policy.py",
    "ac_actions": "services/access-control/tests/unit/test_ac_policy_case_actions.py",
    "ac_tokens": "services/access-control/tests/unit/test_ac_tokens.py",
    "ar_rules": "services/archive/tests/unit/test_archive_access_rules.py",
    "ar_checks": "services/archive/tests/unit/test_archive_checks.py",
    "ar_domain": "services/archive/tests/unit/test_archive_domain.py",
    "ar_package": "services/archive/tests/unit/test_archive_package.py",
    "ar_review": "services/archive/tests/unit/test_archive_review.py",
    "ar_signing": "services/archive/tests/unit/test_archive_signing.py",
    "ar_transfer": "services/archive/tests/unit/test_archive_transfer.py",
    "ar_workflow": "services/archive/tests/unit/test_archive_workflow.py",
    "ca_service": "services/catalog/tests/integration/test_catalog_service.py",
    "ca_categories": "services/catalog/tests/unit/test_catalog_categories.py",
    "ca_classifier": "services/catalog/tests/unit/test_catalog_classifier.py",
    "ca_disclosure": "services/catalog/tests/unit/test_catalog_disclosure.py",
    "ca_dossier": "services/catalog/tests/unit/test_catalog_dossier.py",
    "ca_rescans": "services/catalog/tests/unit/test_rescans.py",
    "in_stack": "services/intake/tests/integration/test_intake_service_stack.py",
    "in_case": "services/intake/tests/unit/test_intake_case.py",
    "in_original": "services/intake/tests/unit/test_intake_original_trial.py",
    "in_task": "services/intake/tests/unit/test_intake_scan_task.py",
    "in_rules": "services/intake/tests/unit/test_intake_service_rules.py",
    "in_staged": "services/intake/tests/unit/test_intake_staged_materials.py",
    "no_service": "services/notifier/tests/integration/test_notifier_service.py",
    "no_calendar": "services/notifier/tests/unit/test_notifier_calendar.py",
    "no_clocks": "services/notifier/tests/unit/test_notifier_clocks.py",
    "no_inbound": "services/notifier/tests/unit/test_notifier_inbound.py",
    "no_indicators": "services/notifier/tests/unit/test_notifier_indicators.py",
    "no_rules": "services/notifier/tests/unit/test_notifier_rules.py",
    "sc_batches": "services/scan-ocr/tests/integration/test_scan_batches_stack.py",
    "sc_jobs": "services/scan-ocr/tests/integration/test_scan_station_jobs_stack.py",
    "sc_qc": "services/scan-ocr/tests/unit/ocr/test_scan_qc.py",
    "sc_gate": "services/scan-ocr/tests/unit/test_service_layer_station_jobs.py",
    "e2e_main": "tests/e2e/test_e2e_main_job.py",
    "e2e_unhappy": "tests/e2e/test_e2e_unhappy.py",
    "sec01": "tests/security/test_01_original_links.py",
    "sec02": "tests/security/test_02_pages_enter_only_allowed_cases.py",
    "sec02cli": "tests/security/test_02_station_cli.py",
    "sec05": "tests/security/test_05_case_mutations.py",
    "sec06": "tests/security/test_06_archive_reads.py",
    "sec07": "tests/security/test_07_audit_trail.py",
    "sec09": "tests/security/test_09_borrowing_concurrency.py",
    "sec10_cases": "tests/security/test_10_case_records_need_to_know.py",
    "sec10_deadlines": "tests/security/test_10_deadlines_need_to_know.py",
    "sec10_borrowings": "tests/security/test_10_borrowings_need_to_know.py",
    "sec11": "tests/security/test_11_obligations.py",
    "sec13_ind": "tests/security/test_13_notifier_indicators.py",
}


def T(alias: str, *names: str) -> tuple[str, ...]:
    """Node ids of existing tests in one file."""
    return tuple(f"{_FILES[alias]}::{name}" for name in names)


def P(doc: str, article: str, *names: str) -> tuple[str, ...]:
    """Node ids of planned tests in tests/rules/test_<doc slug>_<article>.py."""
    return tuple(f"tests/rules/test_{SLUGS[doc]}_{article}.py::{name}" for name in names)


JG = "吉高法〔2020〕11号"
TB = "吉高院通报29期"
FA = "法〔2016〕264号"
CZ = "长中法〔2018〕129号"
QP = "青法〔2021〕116号"

OUTSIDE = "done by another court system, not by the six services"


CLAUSES: tuple[Clause, ...] = (
    # ------------------------------------------------------------------ 吉高法〔2020〕11号
    Clause(
        f"{JG}/第三条(一)", JG, "第三条", "(一)",
        "下级法院报送上诉、申诉案件时，应同时报送原审电子档案和电子卷宗（及纸质档案）。",
        "intake accepts the lower court's 报送清单 only from a court directly below, for its own originals, and lists "
        "every missing item; the paper part is handed over physically.",
        "enforced",
        tests=T("in_original", "test_manifest_from_the_lower_court_is_accepted_第三条一",
                "test_manifest_must_come_from_a_lower_court_第三条一",
                "test_manifest_originals_belong_to_the_submitting_court_第三条一",
                "test_missing_report_lists_every_gap_第三条一"),
    ),
    Clause(
        f"{JG}/第三条(二)/自动关联", JG, "第三条", "(二)",
        "立案时检查原审电子档案、电子卷宗是否已自动关联。",
        "intake links an appeal's or retrial's 原审 records automatically by case number (spelling variants "
        "normalised), idempotently, never to something that cannot be an original.",
        "enforced",
        tests=T("in_original", "test_auto_link_by_case_number_第三条二",
                "test_auto_link_matches_manifest_originals_and_spellings_第三条二",
                "test_auto_link_is_idempotent_第三条二",
                "test_auto_link_never_links_what_cannot_be_an_original_第三条二")
        + T("in_rules", "test_registration_refuses_an_original_that_cannot_be_one_第三条二")
        + T("sec01", "test_a_same_court_appeal_named_as_original_is_refused_and_opens_nothing"),
    ),
    Clause(
        f"{JG}/第三条(二)/手动关联", JG, "第三条", "(二)",
        "未自动关联的原审电子档案、电子卷宗，由立案庭手动关联完整。",
        "the case's judges and 立案庭 link an original by hand, naming a real record of a proper original, with who "
        "and why; an unlink closes the original to the panel within 2 s.",
        "enforced",
        tests=T("in_original", "test_manual_link_records_who_and_why_第三条二",
                "test_manual_link_needs_who_and_why_第三条二", "test_manual_link_needs_a_real_reference_第三条二",
                "test_unlinked_record_is_not_relinked_automatically_第三条二")
        + T("ac_actions", "test_original_linked_by_the_cases_judges_or_filing_第三条二")
        + T("sec01", "test_a_manual_link_needs_a_real_record_of_a_proper_original",
            "test_a_lower_court_original_linked_by_the_manifest_is_read_only_and_an_unlink_closes_it_within_2s"),
    ),
    Clause(
        f"{JG}/第三条(二)/退回", JG, "第三条", "(二)",
        "下级法院未挂接原审电子档案、电子卷宗的上诉、申诉案件，退回原审法院。",
        "intake returns such an appeal (case.returned), first-instance cases never; a return closes what the "
        "case's links had opened.",
        "enforced",
        tests=T("in_original", "test_appeal_without_original_e_dossier_is_returned_第三条二",
                "test_appeal_with_original_e_dossier_is_kept_第三条二",
                "test_retrial_also_needs_the_original_e_archive_第三条二",
                "test_first_instance_is_never_returned_第三条一")
        + T("in_stack", "test_appeal_without_original_e_dossier_is_returned_with_an_event")
        + T("sec01", "test_a_case_returned_to_the_lower_court_closes_what_its_links_opened"),
    ),
    Clause(
        f"{JG}/第三条(三)1/创建电子卷宗", JG, "第三条", "(三)1",
        "立案材料经智能办案辅助中心扫描、编目归目，创建本院电子卷宗。",
        "a station's scans of a registered, in-scope case become a page-numbered dossier with its 卷内目录.",
        "enforced",
        tests=T("ca_service", "test_batch_becomes_an_ordered_page_numbered_dossier_with_a_catalogue")
        + T("sec02", "test_the_stations_own_job_for_its_open_case_and_task_is_accepted")
        + T("e2e_main", "test_main_job_from_registration_to_verified_e_archive"),
    ),
    Clause(
        f"{JG}/第三条(三)1/分案前检查", JG, "第三条", "(三)1",
        "分案前检查原审和本院电子卷宗是否随案生成、原审电子档案是否关联完整，符合要求才分案。",
        "intake reports the filing stage's completeness and the original links, but a panel can be set whatever "
        "that report says: the check is shown, not required.",
        "partly",
        reason="no gate: 分案 (setting the panel) does not wait for a complete filing-stage e-dossier and complete "
               "original links.",
        tests=T("in_staged", "test_filing_stage_reports_what_is_missing_第六条")
        + T("in_original", "test_missing_report_lists_every_gap_第三条一"),
        planned=P(JG, "art3", "test_panel_assigned_only_with_complete_filing_edossier_and_originals_第三条三1"),
    ),
    Clause(
        f"{JG}/第三条(三)2", JG, "第三条", "(三)2",
        "审理中收取、产生的纸质材料须创建扫描任务送入云柜，由辅助中心取出扫描编目，充实本案电子卷宗。",
        "intake's scan task (with its 材料清单) runs 入柜 → 取件 → 核对; pages enter only through a scan task of "
        "the same case.",
        "enforced",
        tests=T("in_task", "test_created_task_has_its_material_list_第三条三",
                "test_full_path_emits_one_event_per_transition_第五条三")
        + T("ac_actions", "test_pages_need_a_scan_task_of_this_case_第三条三2")
        + T("sec02", "test_a_job_naming_a_scan_task_of_another_case_is_refused")
        + T("sec02cli", "test_a_fake_task_stops_before_uploading"),
    ),
    Clause(
        f"{JG}/第三条(三)/只向可收材料的案件添加页面", JG, "第三条", "(三)",
        "电子卷宗只为本院已立案、在无纸化范围内、非涉密、未归档的案件生成。",
        "no page enters an unregistered, 涉密, out-of-scope or archived case, whoever sends it; nothing is kept.",
        "enforced",
        tests=T("ac_actions", "test_no_page_enters_a_case_that_may_not_have_one",
                "test_unknown_case_is_a_deny_naming_the_missing_registration")
        + T("ac_facts", "test_pages_only_for_a_registered_in_scope_case_of_the_stations_court_第三条三")
        + T("sec02", "test_a_station_job_for_a_case_that_may_not_take_pages_is_refused_and_keeps_nothing"),
    ),
    Clause(
        f"{JG}/第三条(三)3", JG, "第三条", "(三)3",
        "扫描后的纸质材料由辅助中心存入中间柜统一保管。",
        "none: physical custody of paper.",
        "manual",
        reason="paper custody in the 中间柜; no software observes the cabinet.",
    ),
    Clause(
        f"{JG}/第三条(四)1", JG, "第三条", "(四)1",
        "网上阅卷可复制电子卷宗任意内容（OCR）、批注、制作阅卷笔记。",
        "the reading page serves every page with its OCR text layer, search with highlighted hits and personal "
        "notes; opening it is recorded.",
        "enforced",
        tests=T("ca_service", "test_reading_page_in_headless_chromium", "test_search_returns_hits_with_boxes"),
    ),
    Clause(
        f"{JG}/第三条(四)2", JG, "第三条", "(四)2",
        "智能庭审：庭审中实时调取电子卷宗、语音转写笔录、电子质证、全程录音录像。",
        "the 智能庭审 system reports its sessions to the notifier (智能庭审应用率); Juanzong does not run hearings.",
        "manual", reason=OUTSIDE + " (智能庭审 system); Juanzong only counts the sessions it reports.",
    ),
    Clause(
        f"{JG}/第三条(四)3", JG, "第三条", "(四)3",
        "智能接待：检索、标注电子卷宗，接待笔录语音转写，确认后存入系统，全程留痕。",
        "none beyond search and notes on the reading page.",
        "manual", reason=OUTSIDE + " (接待 system).",
    ),
    Clause(
        f"{JG}/第三条(四)4", JG, "第三条", "(四)4",
        "智能合议（法官会议）：合议庭、法官会议成员研究案件时实时调取电子卷宗，全程记录留痕。",
        "the panel reads its case's e-dossier (第九条); the 合议 system itself is another court system.",
        "manual", reason=OUTSIDE + " (智能合议 system); reading rights are under 第九条.",
    ),
    Clause(
        f"{JG}/第三条(四)5", JG, "第三条", "(四)5",
        "智能文书辅助生成：制作裁判文书时复制电子卷宗内容、推送类案和法条。",
        "the drafting system reports assisted documents to the notifier (文书智能辅助生成率); text is copyable.",
        "manual", reason=OUTSIDE + " (文书辅助生成 system); Juanzong only counts the documents it reports.",
    ),
    Clause(
        f"{JG}/第三条(五)", JG, "第三条", "(五)",
        "审判委员会讨论案件借助审委会系统全程记录、全程留痕。",
        "none: the 审委会 system records its sessions; Juanzong's part (members read the case) is 第九条第2项.",
        "manual", reason=OUTSIDE + " (审委会 system).",
    ),
    Clause(
        f"{JG}/第三条(六)/结案", JG, "第三条", "(六)",
        "系统点击结案由法官（承办法官、审判长）完成。",
        "only the 承办法官 or 审判长 (or 立案庭) close a case; others of the panel and judges outside it do not.",
        "enforced",
        tests=T("ac_actions", "test_case_closed_by_undertaking_or_presiding_judge_or_filing_第三条六")
        + T("sec05", "test_the_case_team_changes_the_case_but_only_its_judges_close_it"),
    ),
    Clause(
        f"{JG}/第三条(六)/立卷审核", JG, "第三条", "(六)",
        "结案后法官助理（书记员）立卷，承办法官审核确认电子卷宗完整准确。",
        "archive's workflow: 立卷 by the assistant or clerk, 确认 by the 承办法官 only, each recorded.",
        "enforced",
        tests=T("ar_workflow", "test_roles_and_responsible_persons", "test_happy_path_from_closing_to_archived"),
    ),
    Clause(
        f"{JG}/第三条(七)", JG, "第三条", "(七)",
        "立卷完成后转辅助中心核查；不合格注明原因退回法官，法官再次审核确认后再转核查。",
        "archive's workflow returns a failed 核查 to the judge with reasons and takes it back only after the judge "
        "confirms again.",
        "enforced",
        tests=T("ar_workflow", "test_review_return_goes_back_to_the_judge_with_reasons")
        + T("ar_review", "test_failed_qc_gap_and_pending_documents_are_findings")
        + T("e2e_unhappy", "test_review_failure_returned_with_reasons_and_fixed"),
    ),
    Clause(
        f"{JG}/第三条(八)/组卷匹配", JG, "第三条", "(八)",
        "核查合格后，辅助中心依据电子卷宗逐一匹配纸质材料组卷、质检。",
        "archive compares the paper list with the e-dossier (content, count, order); the centre reads the pages of "
        "its court's cases until archived (a duty read naming 第三条(八), in the audit trail).",
        "enforced",
        tests=T("ar_review", "test_paper_list_content_count_and_order")
        + P(JG, "art3", "test_assistance_centre_reads_pages_it_must_check_and_match_audited_第三条八"),
        items=(7,),
    ),
    Clause(
        f"{JG}/第三条(八)/一键转换", JG, "第三条", "(八)",
        "质检合格装订后系统点击归档，电子卷宗一键转为电子档案，此后卷宗锁定。",
        "archive converts the dossier (PDF/A, seals, BagIt) in one step; after archiving no page is added anywhere.",
        "enforced",
        tests=T("ar_workflow", "test_happy_path_from_closing_to_archived")
        + T("ac_facts", "test_archived_case_locked_on_every_replica_第三条八")
        + T("sec02cli", "test_a_case_that_may_not_take_pages_stops_before_uploading"),
    ),
    Clause(
        f"{JG}/第三条(八)/装订与证物袋", JG, "第三条", "(八)",
        "必要剩余纸质材料装入证物袋随卷备查，其他纸质材料转审判业务部门；纸质卷宗装订成卷。",
        "none: paper handling.",
        "manual", reason="paper binding and the 证物袋; no software observes them.",
    ),
    Clause(
        f"{JG}/第三条(九)", JG, "第三条", "(九)",
        "纸质卷宗移送档案科审核归档；不合格退回辅助中心，合格入库上架。",
        "archive's 审核归档 step: the archives office passes or returns to the centre with reasons; shelving is "
        "physical.",
        "enforced",
        tests=T("ar_workflow", "test_audit_return_goes_back_to_the_centre")
        + T("ar_rules", "test_check_reports_are_workflow_views_until_archived"),
    ),
    Clause(
        f"{JG}/第四条(一)1", JG, "第四条", "(一)1",
        "立案庭接收检查下级法院报送的纸质档案、电子档案和电子卷宗是否齐全。",
        "the 报送清单 check lists every gap (see 第三条(一)).",
        "enforced",
        tests=T("in_original", "test_missing_report_lists_every_gap_第三条一"),
    ),
    Clause(
        f"{JG}/第四条(一)2", JG, "第四条", "(一)2",
        "立案庭检查自动关联的原审电子档案是否完整，不完整的手动关联。",
        "立案庭 and the case's judges link by hand (see 第三条(二)).",
        "enforced",
        tests=T("ac_actions", "test_original_linked_by_the_cases_judges_or_filing_第三条二"),
    ),
    Clause(
        f"{JG}/第四条(一)3", JG, "第四条", "(一)3",
        "立案庭监管外包扫描编目：图像清晰、编目准确、挂接及时、安全保密。",
        "a station only scans: it reads no dossier, case record or borrowing, cannot hand in a job in another "
        "station's name; QC flags unclear pages; uncertain cataloguing goes to review.",
        "enforced",
        tests=T("ac_policy", "test_station_never_reads_dossiers_第四条")
        + T("ac_tokens", "test_station_token_cannot_read_dossiers_第四条")
        + T("sc_gate", "test_a_job_published_by_another_station_is_refused_unasked_and_its_files_are_left_alone")
        + T("sec10_cases", "test_a_station_reads_the_scan_task_it_scans_but_never_the_case_第四条一3")
        + T("ca_classifier", "test_uncertain_model_only_decision_goes_to_review_not_a_guess"),
    ),
    Clause(
        f"{JG}/第四条(一)4", JG, "第四条", "(一)4",
        "立案庭负责结案后电子卷宗核查、组卷质检装订、移送归档和一键转换。",
        "the centre runs 核查, 组卷 and 转换 in archive's workflow and reads the pages it checks (until archived, "
        "not 涉密; audited, naming 第四条(一)4), nothing more.",
        "enforced",
        tests=T("ar_workflow", "test_happy_path_from_closing_to_archived")
        + P(JG, "art4", "test_filing_division_duty_reads_only_for_its_duties_and_audited_第四条一4"),
        items=(7,),
    ),
    Clause(
        f"{JG}/第四条(一)5", JG, "第四条", "(一)5",
        "立案庭保管、借阅、退还原审纸质档案，保管和借阅本院审理中案件的纸质材料。",
        "borrowing approvals are decided by access-control (第八条); custody is physical.",
        "manual", reason="paper custody and return; the borrowing limits are checked under 第八条.",
    ),
    Clause(
        f"{JG}/第四条(一)6", JG, "第四条", "(一)6",
        "立案庭管理云柜、中间柜、扫描枪等设备。",
        "none.",
        "manual", reason="care of devices; nothing for software to check.",
    ),
    Clause(
        f"{JG}/第四条(二)1", JG, "第四条", "(二)1",
        "档案科审核纸质卷宗归档入库，并管理存储电子档案。",
        "archive keeps the e-archive; the archives office reads the archive, its reports and the pages of its court's "
        "closed cases it audits (audited, naming 第四条(二)1), not those of a case still being tried.",
        "enforced",
        tests=T("ar_rules", "test_check_reports_are_workflow_views_until_archived")
        + T("sec06", "test_archives_staffs_package_and_report_reads_are_decided_and_in_the_audit_trail")
        + P(JG, "art4", "test_archives_office_reads_the_pages_it_audits_audited_第四条二1"),
        items=(7,),
    ),
    Clause(
        f"{JG}/第四条(二)2", JG, "第四条", "(二)2",
        "档案科对外提供电子档案查阅复制，对内提供调阅。",
        "the archives office downloads packages and reads reports of its court's archived cases; a lawyer is "
        "served no archive record directly; transfers are decided and recorded.",
        "enforced",
        tests=T("sec06", "test_archives_staffs_package_and_report_reads_are_decided_and_in_the_audit_trail",
                "test_a_transfer_record_needs_authorisation_and_leaves_a_trace")
        + T("sec11", "test_representative_reads_no_e_archive_record")
        + T("ac_actions", "test_transfer_record_by_archives_office_of_archived_cases_第四条二"),
    ),
    Clause(
        f"{JG}/第四条(二)3", JG, "第四条", "(二)3",
        "档案科做好电子档案保密监督管理。",
        "every archive read is an access-control decision in the tamper-evident trail; 技术处 and unscoped "
        "services read nothing; a 涉密 case's archive record is invisible.",
        "enforced",
        tests=T("sec06", "test_technology_staff_and_a_service_account_read_no_archive_they_may_not",
                "test_a_secret_cases_archive_record_is_invisible_outside_its_team"),
    ),
    Clause(
        f"{JG}/第四条(三)1", JG, "第四条", "(三)1",
        "技术处研究解决技术问题，建立问题台账。",
        "none: Juanzong keeps no issue ledger.",
        "manual", reason="a management duty of the technology office; the ledger is not Juanzong's.",
    ),
    Clause(
        f"{JG}/第四条(四)3-5", JG, "第四条", "(四)3-5",
        "审管办汇总问题台账、公示进度，并做好数据统计、通报。",
        "the notifier computes the monthly figures (see 吉高院通报29期 四(四)); the ledger and the 通报 are people's.",
        "manual", reason="organisational duty; the data part is checked under 吉高院通报29期 四(四).",
    ),
    Clause(
        f"{JG}/第四条(五)2", JG, "第四条", "(五)2",
        "审理中发现原审未关联或无法查看的，由立案庭或技术处在2个工作日内解决。",
        "none: there is no request for a missing or unreadable original, and no 2-working-day clock.",
        "not_enforced",
        reason="no request flow or clock; software could run one (request → resolved) like the other clocks.",
        planned=P(JG, "art4", "test_missing_original_request_resolved_within_2_working_days_第四条五2"),
    ),
    Clause(
        f"{JG}/第五条(一)", JG, "第五条", "(一)",
        "立案窗口应在立案后1个工作日内将材料交付辅助中心。",
        "the notifier runs the clock from case.registered to the filing-stage 入柜/取件, but every scan-task event "
        "counts as filing-stage, it counts from the system's registration time, not the 立案日期, and it runs for "
        "涉密 and out-of-scope cases too.",
        "partly",
        reason="issue 22 items 1, 2 and 3: stopped by material of any stage; counted from the registration time "
               "instead of the 立案日期; started for cases 第十条/第十四条 keep out of the e-dossier.",
        tests=T("no_inbound", "test_scan_task_events_name_their_task_and_count_as_filing_stage")
        + T("no_rules", "test_each_issue_time_limit_is_a_cited_rule"),
        planned=P(JG, "art5", "test_handover_clock_counts_from_the_filing_date_第五条一"),
        items=(1, 2, 3),
    ),
    Clause(
        f"{JG}/第五条(二)", JG, "第五条", "(二)",
        "审理中收取产生的纸质材料应生成材料清单，2个工作日内送至上柜。",
        "a scan task carries its 材料清单; the 2-working-day clock runs from scan.task.created to 入柜.",
        "enforced",
        tests=T("in_task", "test_created_task_has_its_material_list_第三条三", "test_each_clock_names_its_article_第五条二三")
        + T("no_clocks", "test_stop_delivered_before_its_start_still_stops_the_clock", "test_start_event_without_subject_is_refused"),
    ),
    Clause(
        f"{JG}/第五条(三)/取件核对", JG, "第五条", "(三)",
        "辅助中心24小时内取出材料，核对清单与内容是否一致。",
        "the 24-hour clock (natural hours) runs from 入柜 to the check; the check compares the list with the "
        "material, page counts included.",
        "enforced",
        tests=T("no_calendar", "test_hours_run_through_holidays")
        + T("in_task", "test_material_check_reports_each_mismatch_第五条三",
            "test_more_or_fewer_pages_are_both_mismatches_第五条三", "test_material_check_passes_when_counts_match_第五条三")
        + T("in_rules", "test_post_scan_check_compares_scanned_pages_with_the_list"),
    ),
    Clause(
        f"{JG}/第五条(三)/核对不一致退回", JG, "第五条", "(三)",
        "核对不一致的注明原因退回，法官1个工作日内补充后再次上柜。",
        "a failed check needs a reason and returns the task; the judge gets 1 working day; back in the cabinet, the "
        "24 hours start again.",
        "enforced",
        tests=T("in_task", "test_check_failed_needs_a_reason_第五条三", "test_mismatch_returns_the_task_with_the_reason_第五条三",
                "test_returned_task_is_resubmitted_into_the_cabinet_第五条三")
        + T("no_clocks", "test_failed_check_gives_judge_one_working_day_and_recheck_restarts_pickup")
        + T("in_stack", "test_material_list_mismatch_returns_the_task_with_the_reason")
        + T("e2e_unhappy", "test_material_list_mismatch_returned_with_reason_and_corrected"),
    ),
    Clause(
        f"{JG}/第五条(三)/扫描后编目", JG, "第五条", "(三)",
        "核对一致的及时扫描，扫描完成后24小时内完成编目归目。",
        "the 24-hour clock runs from scan.batch.completed to catalog.dossier.catalogued; intake moves the task on "
        "both events.",
        "enforced",
        tests=T("no_rules", "test_each_issue_time_limit_is_a_cited_rule")
        + T("in_stack", "test_consuming_scan_and_catalogue_events_moves_the_task"),
    ),
    Clause(
        f"{JG}/第五条(四)", JG, "第五条", "(四)",
        "结案后2个工作日内完成电子卷宗结案立卷（含承办法官确认）。",
        "the clock runs from closed_at on the official calendar with 调休, but stops at the assistant's 立卷 "
        "submission, before the 承办法官's confirmation that completes 立卷 (第三条(六)).",
        "partly",
        reason="issue 22 item 3: the 结案立卷 → 核查 clocks run on the wrong events; 立卷 ends with the judge's "
               "confirmation.",
        tests=T("no_calendar", "test_closing_friday_before_spring_festival_2026_counts_makeup_saturday",
                "test_closing_friday_before_national_day_2025_counts_makeup_sunday")
        + T("no_inbound", "test_case_closed_counts_from_closed_at_not_from_publication")
        + T("no_clocks", "test_same_closing_event_applied_twice_produces_one_reminder", "test_no_reminder_before_its_time")
        + T("no_service", "test_closing_filing_on_friday_before_spring_festival_counts_the_makeup_saturday"),
        planned=P(JG, "art5", "test_closing_filing_clock_stops_at_the_judges_confirmation_第五条四"),
        items=(3,),
    ),
    Clause(
        f"{JG}/第五条(五)/核查", JG, "第五条", "(五)",
        "辅助中心应在立卷确认后2个工作日内完成核查。",
        "the 2-working-day 核查 clock starts at the assistant's submission instead of the 承办法官's confirmation.",
        "partly",
        reason="issue 22 item 3: 核查 starts at the assistant's submission, not at the judge's confirmation.",
        tests=T("no_clocks", "test_overdue_review_notifies_responsible_and_escalates_to_department_head"),
        planned=P(JG, "art5", "test_review_clock_starts_at_the_judges_confirmation_第五条五"),
        items=(3,),
    ),
    Clause(
        f"{JG}/第五条(五)/退回补正", JG, "第五条", "(五)",
        "核查不合格注明原因退回承办法官，法官2个工作日内补充并再次立卷确认，随后重新核查。",
        "a 核查退回 starts a 2-day correction clock, but the judge's re-confirmation (the path the article names) "
        "neither stops it nor starts a second 核查 clock.",
        "partly",
        reason="issue 22 item 3: after a 核查退回 the correction clock keeps running and no second 核查 clock starts.",
        tests=T("no_clocks", "test_returned_review_starts_correction_and_resubmission_restarts_review"),
        planned=P(JG, "art5", "test_reconfirmation_stops_correction_and_starts_a_second_review_第五条五"),
        items=(3,),
    ),
    Clause(
        f"{JG}/第五条(六)", JG, "第五条", "(六)",
        "核查合格后13个工作日内完成组卷、质检、装订、系统归档和一键转换。",
        "the 13-working-day clock runs from 核查通过 to archive.compiled, leaving out the conversion.",
        "partly",
        reason="issue 22 item 3: the 13-working-day clock leaves out the conversion.",
        tests=T("no_calendar", "test_thirteen_working_days_span_national_day_like_the_package"),
        planned=P(JG, "art5", "test_compile_clock_runs_until_the_conversion_ends_第五条六"),
        items=(3,),
    ),
    Clause(
        f"{JG}/第五条(七)/审核", JG, "第五条", "(七)",
        "档案科应在收到拟归档卷宗后2个工作日内审核。",
        "the 2-working-day audit clock starts at archive.compiled, before the conversion ends.",
        "partly",
        reason="issue 22 item 3: the 档案科 audit clock starts before the conversion ends.",
        tests=T("no_rules", "test_each_issue_time_limit_is_a_cited_rule"),
        planned=P(JG, "art5", "test_audit_clock_starts_when_the_conversion_ends_第五条七"),
        items=(3,),
    ),
    Clause(
        f"{JG}/第五条(七)/退回补正", JG, "第五条", "(七)",
        "审核不合格注明原因退回辅助中心，辅助中心2个工作日内补充并再次移送。",
        "the audit return carries reasons and goes to the centre (workflow right); the 2-working-day correction "
        "clock stops at archive.compiled, before the dossier is converted and handed over again.",
        "partly",
        reason="same cause as issue 22 item 3 (found while taking this inventory): the clock stops at 组卷, not when "
               "the converted dossier is handed to the 档案科 again.",
        tests=T("ar_workflow", "test_audit_return_goes_back_to_the_centre")
        + T("no_rules", "test_each_issue_time_limit_is_a_cited_rule"),
        planned=P(JG, "art5", "test_audit_correction_clock_stops_when_the_converted_dossier_is_handed_over_again_第五条七"),
        items=(3,),
    ),
    Clause(
        f"{JG}/第六条/逐环节检查退回", JG, "第六条", "",
        "每个环节检查电子材料的完整性、实用性，无法解决的退回上一环节。",
        "each step can return to the step before with a reason (核对, 核查, 审核), and the return starts the "
        "correction clock.",
        "enforced",
        tests=T("no_clocks", "test_returned_review_starts_correction_and_resubmission_restarts_review")
        + T("ar_workflow", "test_review_return_goes_back_to_the_judge_with_reasons", "test_audit_return_goes_back_to_the_centre"),
    ),
    Clause(
        f"{JG}/第六条/不扣审限", JG, "第六条", "",
        "审判业务部门一般不能以电子卷宗质量问题为由申请扣除审限。",
        "no deadline rule pauses for a quality problem (pausing exists but no rule uses it); 审限 itself is kept "
        "by the case-management system.",
        "manual",
        reason="审限 and its deductions are decided in the case-management system, outside the suite; Juanzong's "
               "own step clocks never pause for quality.",
    ),
    Clause(
        f"{JG}/第七条/总时限", JG, "第七条", "",
        "从系统点击结案至归档完毕总时限为一个自然月。",
        "the one-natural-month clock runs from 结案 to archive.archived (对应日/月末日, moved past holidays).",
        "enforced",
        tests=T("no_calendar", "test_natural_month_uses_corresponding_day_and_month_end",
                "test_natural_month_landing_on_holiday_moves_to_next_working_day")
        + T("ar_workflow", "test_one_natural_month_from_closing")
        + T("no_clocks", "test_month_clock_reminder_three_working_days_before",
            "test_one_month_clock_into_2027_is_provisional_and_moves_when_table_loaded"),
    ),
    Clause(
        f"{JG}/第七条/责任追究", JG, "第七条", "",
        "超时的，按审判绩效考核对责任部门和责任人扣分。",
        "an overdue step enters the overdue ledger per court, department and person, and is escalated to the "
        "department head; the 扣分 is people's.",
        "enforced",
        tests=T("no_clocks", "test_step_done_in_time_is_not_overdue_and_late_step_enters_the_ledger")
        + T("no_service", "test_an_overdue_step_escalates_to_the_department_head_by_inbox_email_and_signed_webhook"),
    ),
    Clause(
        f"{JG}/第八条(一)", JG, "第八条", "(一)",
        "原审纸质档案线下借阅须分管院领导审批，每案一般不超过2次，每次不超过30天。",
        "access-control refuses a third borrowing (also six at once) and more than 30 days; the leader approves.",
        "enforced",
        tests=T("ac_borrowing", "test_third_original_borrowing_refused_第八条", "test_31_day_original_borrowing_refused_第八条",
                "test_original_borrowing_needs_supervising_leader_第八条",
                "test_pending_requests_count_and_denied_ones_do_not_第八条", "test_approval_rechecks_the_count_第八条")
        + T("sec09", "test_six_parallel_borrowings_of_one_case_store_exactly_two"),
    ),
    Clause(
        f"{JG}/第八条(二)", JG, "第八条", "(二)",
        "本案纸质诉讼材料线下借阅须部门负责人审批，每案2次，每次不超过10天。",
        "access-control: department head approves (not their own), two per case, ten days.",
        "enforced",
        tests=T("ac_borrowing", "test_current_case_paper_limited_to_10_days_第八条", "test_third_current_case_borrowing_refused_第八条",
                "test_current_case_paper_needs_department_head_第八条", "test_head_cannot_approve_own_borrowing_第八条",
                "test_borrower_must_be_a_judge_of_the_case_第八条")
        + T("ac_trust", "test_parallel_borrowing_requests_store_at_most_the_limit", "test_a_denied_borrowing_gives_its_slot_back"),
    ),
    Clause(
        f"{JG}/第八条(三)", JG, "第八条", "(三)",
        "网络或技术故障致正在进行的审判流程无法运转时，经审判长审批可直接借阅，事后说明。",
        "an emergency borrowing needs a presiding judge during a session; the explanation is chased until given.",
        "enforced",
        tests=T("ac_borrowing", "test_emergency_borrowing_by_presiding_judge_during_session_第八条",
                "test_emergency_needs_a_presiding_judge_第八条", "test_emergency_explanation_chased_until_given_第八条")
        + T("ac_service", "test_overdue_and_emergency_explanation_are_chased_第八条"),
    ),
    Clause(
        f"{JG}/第八条(四)", JG, "第八条", "(四)",
        "核对原件或鉴定等情形，经分管院领导审批可借阅原审纸质档案和本案纸质材料。",
        "a verification borrowing needs the leader and a purpose and does not count against the original's limit.",
        "enforced",
        tests=T("ac_borrowing", "test_verification_borrowing_needs_leader_and_purpose_第八条",
                "test_verification_not_counted_against_original_limit_第八条", "test_kind_fixes_the_materials_第八条"),
    ),
    Clause(
        f"{JG}/第八条(四)/物证", JG, "第八条", "(四)第二款",
        "原审附带物证立案后移交承办部门，结案后退回立案庭，随原审纸质档案退回原审法院。",
        "none: physical evidence.",
        "manual", reason="handling of physical evidence; no software observes it.",
    ),
    Clause(
        f"{JG}/第九条第1项", JG, "第九条", "第1项",
        "查阅下级法院案件或本院相关案件电子档案，须分管院领导审批，借阅记录全程留痕。",
        "access-control: another court's case or this court's finished archive needs the supervising leader's "
        "grant; every decision is in the trail.",
        "enforced",
        tests=T("ac_policy", "test_other_court_reading_needs_supervising_leader_第九条",
                "test_finished_case_archive_of_this_court_needs_supervising_leader_第九条")
        + T("ac_approvals", "test_other_court_request_goes_to_requesters_own_leader_第九条"),
    ),
    Clause(
        f"{JG}/第九条第2项/合议庭", JG, "第九条", "第2项",
        "本院未审结案件的电子卷宗原则上限于合议庭成员查阅。",
        "the case team reads; a judge off the panel, roles alone, the station and representatives do not; search "
        "says nothing about unreadable dossiers.",
        "enforced",
        tests=T("ac_policy", "test_case_team_reads_unfinished_case_第九条", "test_judge_outside_panel_refused_on_unfinished_case_第九条",
                "test_roles_alone_open_nothing_on_unfinished_case_第九条")
        + T("ac_service", "test_unfinished_case_panel_only_第九条")
        + T("ca_service", "test_reader_refused_by_access_control_gets_403")
        + T("e2e_unhappy", "test_reader_outside_the_panel_is_refused")
        + T("sec10_cases", "test_parties_and_panel_only_for_those_who_may_read_the_case_第九条"),
    ),
    Clause(
        f"{JG}/第九条第2项/法官会议审委会", JG, "第九条", "第2项",
        "案件提交法官会议、审判委员会讨论的，法官会议成员、审委会委员可查阅。",
        "the 承办法官 records the submission in intake (POST /v1/cases/{n}/deliberations, body, date, members); "
        "access-control hears case.submitted_for_deliberation and the members read the pages from then on, audited; "
        "before it, and for members not named, refused.",
        "partly",
        reason="the pages (read_pages) open to the members; the case record (read_case) does not yet.",
        tests=P(JG, "art9", "test_members_read_a_case_intake_records_as_submitted_to_the_committee_第九条第2项",
                "test_members_read_a_case_intake_records_as_submitted_to_the_judges_meeting_第九条第2项"),
        planned=P(JG, "art9", "test_members_read_the_case_record_once_it_is_submitted_第九条第2项"),
        items=(4,),
    ),
    Clause(
        f"{JG}/第九条第2项/审批", JG, "第九条", "第2项",
        "其他人员查阅须经承办法官、部门负责人及分管院领导审批同意，并全程留痕。",
        "the approval chain runs judge → head → leader in order; expired, revoked or partial grants open nothing; "
        "revocation holds on every replica at once.",
        "enforced",
        tests=T("ac_approvals", "test_chain_runs_judge_then_head_then_leader_第九条",
                "test_only_the_case_departments_head_and_leader_approve_第九条",
                "test_requester_cannot_approve_own_request_第九条", "test_deny_by_due_approver_ends_request_第九条",
                "test_grant_expires_第九条")
        + T("ac_policy", "test_full_approval_chain_grant_opens_reading_第九条", "test_grant_missing_department_head_refused_第九条",
            "test_leader_only_grant_not_enough_for_unfinished_case_第九条", "test_revoked_grant_refused_第九条")
        + T("ac_service", "test_approval_chain_in_order_opens_and_revoke_closes_第九条"),
    ),
    Clause(
        f"{JG}/第九条/全程留痕", JG, "第九条", "",
        "电子档案、电子卷宗的查阅全程留痕。",
        "every decision and read is recorded under the reader's name in a hash chain anchored outside the "
        "database; edits, deletions, reorders and rewrites are detected.",
        "enforced",
        tests=T("ac_audit", "test_edited_record_detected_第九条", "test_deleted_record_detected_第九条",
                "test_reordered_records_detected_第九条", "test_inserted_record_detected_第九条")
        + T("sec07", "test_a_service_cannot_record_a_read_in_another_users_name",
            "test_verify_reports_a_rewrite_of_the_whole_chain_and_its_head"),
    ),
    Clause(
        f"{JG}/第十条第一款", JG, "第十条", "第一款",
        "涉国家秘密的案件暂不开展电子卷宗随案同步生成。",
        "intake keeps a minimal record and refuses scan tasks and links; no page of a 涉密 case is stored, "
        "catalogued, indexed or archived.",
        "enforced",
        tests=T("in_case", "test_secret_case_refused_第十条", "test_secrecy_outranks_scope_第十条")
        + T("in_task", "test_secret_case_gets_no_scan_task_第十条")
        + T("in_rules", "test_secret_record_keeps_only_the_minimum")
        + T("in_stack", "test_secret_case_stores_nothing_else_and_every_api_says_why")
        + T("ca_service", "test_pages_of_a_secret_case_are_never_stored_or_indexed")
        + T("sc_gate", "test_a_denied_case_stores_nothing_keeps_the_reason_and_deletes_the_files")
        + T("ar_domain", "test_state_secret_case_refused_jigaofa_2020_11_article_10"),
    ),
    Clause(
        f"{JG}/第十条第一款/保密", JG, "第十条", "第一款",
        "涉密案件不得向案件以外人员泄露其存在。",
        "outside its team and 立案庭 a 涉密 case answers exactly like an unknown number (404), in every service.",
        "enforced",
        tests=T("ac_actions", "test_classified_case_is_an_unknown_case_to_those_outside_it_第十条")
        + T("sec10_cases", "test_a_secret_case_is_exactly_an_unknown_case_to_those_outside_it_第十条")
        + T("sec10_deadlines", "test_a_secret_cases_deadlines_are_not_found_outside_its_team")
        + T("sec10_borrowings", "test_a_classified_cases_borrowings_do_not_exist_outside_its_team"),
    ),
    Clause(
        f"{JG}/第十条第一款/时限", JG, "第十条", "第一款",
        "涉密案件不进入电子卷宗流程，也不应有扫描、编目等电子卷宗时限和催办。",
        "intake's case.registered says secret (not paperless): the notifier keeps the case's record but starts no "
        "立案 e-dossier clock (so no reminder or escalation) and leaves it out of 随案同步生成率's denominator.",
        "enforced",
        tests=P(JG, "art10", "test_no_edossier_clock_or_reminder_for_a_secret_case_第十条"),
    ),
    Clause(
        f"{JG}/第十条第二款", JG, "第十条", "第二款",
        "涉密由承办部门负责人确定，报分管领导审批，并送审管办备案。",
        "intake has a SecrecyDesignation record, but a 立案庭 clerk registers a 涉密 case with a bare flag: no "
        "determination by the head, no leader's approval, no filing with the 审管办.",
        "partly",
        reason="issue 22 item 6: 涉密 is a bare flag; the designation workflow with its roles is missing.",
        tests=T("in_case", "test_secrecy_designation_needs_the_secret_flag_第十条"),
        planned=P(JG, "art10", "test_secret_designation_determined_by_head_approved_by_leader_filed_第十条第二款"),
        items=(6,),
    ),
    Clause(
        f"{JG}/第十条第二款/登记后定密", JG, "第十条", "第二款",
        "登记后确定为涉密的案件，应从各存储中撤出其电子卷宗。",
        "none: a case cannot be designated secret after registration; nothing withdraws its e-dossier.",
        "not_enforced",
        reason="issue 22 item 6: no designation after registration, no withdrawal from every store.",
        planned=P(JG, "art10", "test_designated_secret_after_registration_withdraws_the_edossier_everywhere_第十条"),
        items=(6,),
    ),
    Clause(
        f"{JG}/第十一条", JG, "第十一条", "",
        "发生失密、泄密的，立即补救并及时报告省高院保密委员会办公室。",
        "none: a leak cannot be reported; the remedy itself is people's.",
        "not_enforced",
        reason="issue 22 item 6: no way to report a leak to the 保密委员会办公室 (the report and its trail are "
               "software's; the remedy is manual).",
        planned=P(JG, "art11", "test_a_leak_is_reported_to_the_secrecy_office_and_recorded_第十一条"),
        items=(6,),
    ),
    Clause(
        f"{JG}/第十二条", JG, "第十二条", "",
        "向最高法院移送前，移送部门检查电子档案、电子卷宗存在且完整可用。",
        "the receiver accepts only a transfer package that passes its checks, never overwrites one, rejects "
        "truncated or tampered ones; the sender's own check of the stored package before a transfer has no test.",
        "partly",
        reason="the sending side's check before a transfer is not proven by a test",
        planned=P(JG, "art12", "test_a_stored_package_that_fails_its_check_is_not_transferred_第十二条"),
        tests=T("ar_transfer", "test_transfer_package_is_accepted_after_verification_jigaofa_2020_11_article_12",
                "test_tampered_package_inside_transfer_is_rejected", "test_truncated_upload_is_rejected")
        + T("sec06", "test_a_transfer_record_needs_authorisation_and_leaves_a_trace"),
    ),
    Clause(
        f"{JG}/第十四条第一款", JG, "第十四条", "第一款",
        "仅适用于2019年12月1日起新收的民商事、行政案件。",
        "intake decides the scope from the case type and the 立案日期; outside it, e-dossier work is refused with "
        "the reason.",
        "enforced",
        tests=T("in_case", "test_scope_by_case_type_第十四条", "test_only_cases_received_from_2019_12_01_第十四条",
                "test_outside_the_flow_is_refused_with_the_reason_第十四条", "test_scope_reason_names_the_category_第十四条"),
    ),
    Clause(
        f"{JG}/第十四条第二款", JG, "第十四条", "第二款",
        "刑事、赔偿案件暂缓执行全流程无纸化办案。",
        "criminal and compensation cases are registered but deferred: no scan task, no original check.",
        "enforced",
        tests=T("in_task", "test_criminal_case_gets_no_scan_task_第十四条")
        + T("in_original", "test_criminal_appeal_is_outside_the_flow_第十四条")
        + T("in_case", "test_scope_by_case_type_第十四条"),
    ),
    Clause(
        f"{JG}/第十四条第三款", JG, "第十四条", "第三款",
        "执行案件另行规定，不适用本规定。",
        "enforcement cases are 'separate': outside the flow.",
        "enforced",
        tests=T("in_case", "test_scope_by_case_type_第十四条", "test_outside_the_flow_is_refused_with_the_reason_第十四条"),
    ),
    Clause(
        f"{JG}/第十四条/时限", JG, "第十四条", "",
        "范围外（刑事、赔偿、执行、2019年12月1日前收案）案件不应有电子卷宗时限和催办。",
        "intake's case.registered says not paperless: the notifier keeps the case's record but starts no 立案 "
        "e-dossier clock (so no reminder or escalation) and leaves it out of 随案同步生成率's denominator.",
        "enforced",
        tests=P(JG, "art14", "test_no_edossier_clock_for_an_out_of_scope_case_第十四条"),
    ),
    # ------------------------------------------------------------------ 吉高院通报29期
    Clause(
        f"{TB}/四(四)/每月3日", TB, "四", "(四)",
        "技术处每月3日统计六项数据指标。",
        "the notifier's monthly report has the six indicators, per court, dated the 3rd of the next month; only "
        "the reporting systems and the court's own 技术处 may post facts.",
        "enforced",
        tests=T("no_indicators", "test_report_date_is_the_third_of_the_following_month",
                "test_report_has_all_six_indicators_in_order", "test_reports_per_court_as_json_and_csv")
        + T("sec13_ind", "test_other_service_accounts_the_station_and_judges_may_not_post_indicator_events",
            "test_the_technology_office_posts_for_its_own_court_only"),
    ),
    Clause(
        f"{TB}/四(四)/电子卷宗随案同步生成率", TB, "四", "(四)",
        "电子卷宗随案同步生成率：范围内案件中按时生成立案阶段电子卷宗的比例。",
        "computed per indicators.md, but every cataloguing counts as filing-stage, and 涉密/out-of-scope cases "
        "are in the denominator.",
        "partly",
        reason="issue 22 items 2 and 5: every cataloguing treated as filing-stage; 第十条/第十四条 cases counted.",
        tests=T("no_indicators", "test_sync_generation_rate_counts_cases_by_window_month",
                "test_report_is_provisional_when_a_window_runs_into_a_year_without_data"),
        planned=P(TB, "part4", "test_sync_generation_rate_counts_in_scope_cases_and_filing_material_only_四四"),
        items=(2, 5),
    ),
    Clause(
        f"{TB}/四(四)/智能编目率", TB, "四", "(四)",
        "智能编目率：系统自动编目且未被人工更正的文书占比。",
        "catalog records corrections, but the notifier counts the auto figure of the cataloguing run and ignores "
        "later manual corrections.",
        "partly",
        reason="issue 22 item 5: later manual corrections do not lower the notifier's figure.",
        tests=T("no_indicators", "test_smart_cataloguing_rate_sums_documents_and_ignores_broken_counts")
        + T("ca_dossier", "test_a_correction_lowers_the_cataloguing_rate_but_a_rename_does_not")
        + T("ca_service", "test_correction_is_recorded_and_moves_the_indicator"),
        planned=P(TB, "part4", "test_smart_cataloguing_rate_drops_after_a_later_manual_correction_四四"),
        items=(5,),
    ),
    Clause(
        f"{TB}/四(四)/智能庭审应用率", TB, "四", "(四)",
        "智能庭审应用率：使用智能庭审系统的庭审占比。",
        "hearings held in the month, counted as smart when the 智能庭审 system reports them (external API).",
        "enforced",
        tests=T("no_indicators", "test_smart_trial_rate_accepts_external_sessions")
        + T("no_service", "test_monthly_report_computes_all_six_indicators_from_a_scripted_month"),
    ),
    Clause(
        f"{TB}/四(四)/网上阅卷率", TB, "四", "(四)",
        "网上阅卷率：结案案件中结案前有网上阅卷的比例（按案件所属法院）。",
        "counts only an explicit call from the reading page, not reads through the API, and attributes a read to "
        "the reader's court instead of the case's.",
        "partly",
        reason="issue 22 item 5: API reads not counted; attributed to the reader's court.",
        tests=T("no_indicators", "test_online_reading_rate_counts_reading_before_closing"),
        planned=P(TB, "part4", "test_online_reading_rate_counts_api_reads_for_the_cases_court_四四"),
        items=(5,),
    ),
    Clause(
        f"{TB}/四(四)/文书智能辅助生成率", TB, "四", "(四)",
        "文书智能辅助生成率：结案案件中有辅助生成文书的比例。",
        "cases closed in the month with a document.assisted.generated fact before closing (external API).",
        "enforced",
        tests=T("no_indicators", "test_assisted_drafting_rate_accepts_external_documents")
        + T("no_inbound", "test_facts_of_systems_outside_the_suite_are_not_taken_off_the_bus"),
    ),
    Clause(
        f"{TB}/四(四)/电子卷宗自动归档率", TB, "四", "(四)",
        "电子卷宗自动归档率：归档案件中由电子卷宗一键转换形成电子档案的比例。",
        "archive hard-codes archived_automatically=True: 100% by construction, it measures nothing.",
        "not_enforced",
        reason="issue 22 item 5: the figure is a constant.",
        planned=P(TB, "part4", "test_auto_archiving_rate_excludes_archives_not_from_one_click_conversion_四四"),
        items=(5,),
    ),
    Clause(
        f"{TB}/二(三)/清晰度", TB, "二", "(三)",
        "电子卷宗清晰度不够的问题应解决。",
        "scan-ocr QC flags blurred and low-resolution pages for re-scanning; a flagged page blocks archiving.",
        "enforced",
        tests=T("sc_qc", "test_blurred_page_needs_rescan_per_fa_2016_264_art_2_5")
        + T("ar_domain", "test_page_that_failed_qc_blocks_archiving_fa_2016_264_2_5"),
    ),
    Clause(
        f"{TB}/二(三)/内容齐全", TB, "二", "(三)",
        "电子卷宗内容不全的问题应解决。",
        "intake reports missing staged materials; archive refuses a dossier with missing material or pages.",
        "enforced",
        tests=T("in_staged", "test_filing_stage_reports_what_is_missing_第六条")
        + T("ar_package", "test_dossier_with_missing_page_is_refused_and_nothing_written"),
    ),
    Clause(
        f"{TB}/二(三)/速度", TB, "二", "(三)",
        "电子卷宗运行速度缓慢、卡顿的问题应解决。",
        "bench/ measures against the project's own targets; the speech gives no figure.",
        "manual",
        reason="no measurable threshold in the text; response times are benchmarked (bench/), not a rule test.",
    ),
    Clause(
        f"{TB}/三(二)", TB, "三", "(二)",
        "全流程无纸化办案范围暂限民商事和行政案件（刑事、国家赔偿、执行暂不适用）。",
        "the same scope decision as 吉高法〔2020〕11号 第十四条.",
        "enforced",
        tests=T("in_case", "test_scope_by_case_type_第十四条"),
    ),
    Clause(
        f"{TB}/三(三)/系统生成自动归目", TB, "三", "(三)",
        "审理中形成的笔录、审批手续、裁判文书、送达回证等经系统生成上传电子卷宗并自动归目。",
        "catalog files each document automatically at its standard place; an uncertain one goes to review.",
        "enforced",
        tests=T("ca_dossier", "test_arrange_orders_a_scanned_batch_by_article_12",
                "test_catalogued_batch_becomes_an_ordered_numbered_dossier")
        + T("ca_classifier", "test_uncertain_model_only_decision_goes_to_review_not_a_guess"),
    ),
    # ------------------------------------------------------------------ 法〔2016〕264号
    Clause(
        f"{FA}/一(三)/全程留痕", FA, "一", "(三)",
        "电子卷宗流转和应用全程留痕。",
        "every read is recorded under the reader of its decision; a revoked identity reads nothing; the chain is "
        "verifiable.",
        "enforced",
        tests=T("ac_trust", "test_a_read_is_recorded_in_the_name_its_decision_receipt_gives",
                "test_borrowing_records_are_read_by_who_may_read_the_case_and_each_read_is_audited")
        + T("sec07", "test_a_service_cannot_record_a_read_in_another_users_name"),
    ),
    Clause(
        f"{FA}/二(一)", FA, "二", "(一)",
        "电子卷宗包含电子文档、图像、音频、视频等电子文件。",
        "documents and page images are taken; audio and video files are not.",
        "partly",
        reason="no audio or video in the e-dossier (长中法〔2018〕129号 第七条 defers 庭审录音录像 until the "
               "technology exists).",
        tests=T("ca_service", "test_batch_becomes_an_ordered_page_numbered_dossier_with_a_catalogue"),
        planned=P(FA, "part2", "test_audio_and_video_files_enter_the_edossier_二一"),
    ),
    Clause(
        f"{FA}/二(二)", FA, "二", "(二)",
        "纸质卷宗按法〔2013〕283号的质量及格式要求制作电子文件。",
        "QC: 300 dpi usual (warning), 200 dpi floor (re-scan); PDF/A on conversion.",
        "enforced",
        tests=T("sc_qc", "test_200_dpi_page_is_flagged_below_the_usual_300_per_fa_2016_264_art_2_5",
                "test_page_below_the_200_dpi_floor_needs_rescan_per_fa_2016_264_art_2_5"),
    ),
    Clause(
        f"{FA}/二(三)/收集", FA, "二", "(三)",
        "电子文件可经诉讼服务平台上传、扫描设备输入、业务系统流转收集到办案平台。",
        "station CLI jobs on the bus, REST uploads, and online-filed materials counted without scanning.",
        "enforced",
        tests=T("sc_jobs", "test_a_station_job_is_asked_for_and_accepted_on_the_stations_broker_user")
        + T("sc_batches", "test_rest_rescan_names_the_page_it_replaces")
        + T("in_staged", "test_online_filed_materials_count_without_scanning_第六条"),
    ),
    Clause(
        f"{FA}/二(三)/自动排版归类", FA, "二", "(三)",
        "电子卷宗管理系统应实现自动排版和归类。",
        "catalog splits batches into documents, classifies them and orders them by the 立卷归档办法.",
        "enforced",
        tests=T("ca_dossier", "test_arrange_orders_a_scanned_batch_by_article_12")
        + T("ca_categories", "test_civil_first_instance_main_volume_follows_article_12",
            "test_civil_second_instance_main_volume_follows_article_13"),
    ),
    Clause(
        f"{FA}/二(三)/涉密", FA, "二", "(三)",
        "涉及国家秘密的案件卷宗应在涉密办案系统中生成和应用。",
        "a 涉密 case has no e-dossier here (see 吉高法〔2020〕11号 第十条).",
        "enforced",
        tests=T("ca_service", "test_pages_of_a_secret_case_are_never_stored_or_indexed"),
    ),
    Clause(
        f"{FA}/二(四)", FA, "二", "(四)",
        "电子卷宗应及时存储并异地备份。",
        "pages go to object storage at once; the 'backup' is a folder or tarball on the same disk.",
        "partly",
        reason="issue 22 item 9: no second target with its own retention (object lock), no off-site copy.",
        tests=T("ar_package", "test_offline_backup_as_tarball_qingfa_2021_116_five",
                "test_offline_backup_as_folder_is_verified_and_never_overwritten"),
        planned=P(FA, "part2", "test_backup_goes_to_a_second_target_with_its_own_retention_二四"),
        items=(9,),
    ),
    Clause(
        f"{FA}/二(五)/清晰度", FA, "二", "(五)",
        "审查监管图像清晰度，不清晰的重新扫描。",
        "QC flags the page (scan.page.rescan_required); the re-scan takes its place and number.",
        "enforced",
        tests=T("sc_qc", "test_blurred_page_needs_rescan_per_fa_2016_264_art_2_5")
        + T("ca_rescans", "test_rescan_takes_the_flagged_pages_place_and_number")
        + T("sc_batches", "test_rest_rescan_names_the_page_it_replaces"),
    ),
    Clause(
        f"{FA}/二(五)/完整度挂接及时", FA, "二", "(五)",
        "审查监管数据完整度、挂接准确度、生成及时性。",
        "completeness reports per stage, review queue for uncertain filing, clocks for timeliness.",
        "enforced",
        tests=T("in_staged", "test_case_report_covers_the_stages_reached_第六条_第七条")
        + T("ca_dossier", "test_review_queue_documents_are_not_filed_or_numbered")
        + T("ar_review", "test_failed_qc_gap_and_pending_documents_are_findings"),
    ),
    Clause(
        f"{FA}/三(一)", FA, "三", "(一)",
        "通过文字识别支持电子卷宗文档化、数据化，辅助法官复用卷宗文字。",
        "every page has an OCR text layer (searchable PDF, copyable text); drafting is another system's.",
        "enforced",
        tests=T("ca_service", "test_reading_page_in_headless_chromium", "test_search_returns_hits_with_boxes"),
    ),
    Clause(
        f"{FA}/三(二)", FA, "三", "(二)",
        "支持合议庭成员网上阅卷：文字可复制、大小可缩放、内容可检索、卷宗可标记。",
        "the reading page: catalogue tree, zoomable page with text layer, search with highlighted hits, notes.",
        "enforced",
        tests=T("ca_service", "test_reading_page_in_headless_chromium", "test_search_returns_hits_with_boxes"),
    ),
    Clause(
        f"{FA}/三(三)", FA, "三", "(三)",
        "审委会委员讨论时可随时查看案件电子卷宗。",
        "as 吉高法〔2020〕11号 第九条第2项: members can never read, since the submission cannot be recorded.",
        "not_enforced",
        reason="issue 22 item 4: the submission to the 审判委员会 cannot be recorded, so its members never read the "
               "case (the same planned test as 吉高法〔2020〕11号 第九条第2项).",
        planned=P(JG, "art9", "test_members_read_a_case_intake_records_as_submitted_to_the_committee_第九条第2项"),
        items=(4,),
    ),
    Clause(
        f"{FA}/三(四)", FA, "三", "(四)",
        "审判管理平台支持使用电子卷宗进行案件网上评查。",
        "none: the 审判管理办公室 has no reading title of its own; an 评查 needs a 第九条 grant per case.",
        "not_enforced",
        reason="no 评查 role or read; not among issue 22's fixes.",
        planned=P(FA, "part3", "test_trial_management_reviews_a_case_online_audited_三四"),
    ),
    Clause(
        f"{FA}/三(五)/报送", FA, "三", "(五)",
        "上诉、移送、再审需查阅时，原审法院收到查阅要求后3个工作日内报送电子卷宗。",
        "the notifier has the 3-working-day clock (dossier.requested → dossier.delivered), but no service emits "
        "either event and there is no request or delivery API.",
        "not_enforced",
        reason="issue 22 item 8: inter-court delivery never starts.",
        tests=T("no_inbound", "test_dossier_request_is_a_clock_of_the_holding_court"),
        planned=P(FA, "part3", "test_an_edossier_request_is_delivered_within_3_working_days_and_linked_三五"),
        items=(8,),
    ),
    Clause(
        f"{FA}/三(五)/电子签章", FA, "三", "(五)",
        "电子卷宗加盖法院电子签章后与卷宗原件同等效力。",
        "archive seals every PDF (PAdES over the whole file) and the manifest; a flipped byte or a foreign seal fails.",
        "enforced",
        tests=T("ar_signing", "test_pades_signature_verifies_and_covers_whole_file")
        + T("ar_checks", "test_unsigned_pdf_is_reported_under_authenticity", "test_package_sealed_by_another_court_is_not_trusted"),
    ),
    Clause(
        f"{FA}/三(六)", FA, "三", "(六)",
        "依法为当事人、律师提供电子卷宗在线浏览（不含副卷和依法不公开材料）。",
        "a representative reads the own case's 正卷; no 副卷 or undisclosable document, page, text or search hit.",
        "enforced",
        tests=T("sec11", "test_representative_sees_no_sub_volume_or_undisclosable_document",
                "test_representative_gets_no_sub_volume_or_undisclosable_page",
                "test_representative_gets_no_search_hit_on_withheld_material")
        + T("ca_service", "test_representative_is_served_no_sub_volume_or_undisclosable_material")
        + T("ca_disclosure", "test_sub_volume_withheld_hides_the_secondary_volume_and_unfiled_documents"),
    ),
    Clause(
        f"{FA}/三(七)", FA, "三", "(七)",
        "司法公开平台经网间安全交换公开案件卷宗可公开信息。",
        "none.",
        "manual", reason=OUTSIDE + " (司法公开平台).",
    ),
    Clause(
        f"{FA}/三(八)", FA, "三", "(八)",
        "对外业务协同平台将电子卷宗提供给检察院等外部单位共享。",
        "none.",
        "manual", reason=OUTSIDE + " (对外业务协同平台).",
    ),
    Clause(
        f"{FA}/三(九)/检测", FA, "三", "(九)",
        "归档前对电子卷宗进行检测和比对，符合归档要求才转化为电子档案。",
        "the four-property check runs 18 items against DA/T 70-2018's 45; a virus scan that did not run still "
        "yields an overall 通过.",
        "partly",
        reason="issue 22 item 9: thin check; a check that did not run can still end in 通过 without the keeper's "
               "recorded acceptance.",
        tests=T("ar_checks", "test_good_package_passes_every_property",
                "test_a_check_that_crashes_or_cannot_run_never_reports_success"),
        planned=P(FA, "part3", "test_archiving_needs_every_checkable_da_t_70_item_passed_or_accepted_on_record_三九"),
        items=(9,),
    ),
    Clause(
        f"{FA}/三(九)/一致", FA, "三", "(九)",
        "除自动生成的电子页码外，电子档案内容与纸质卷宗一致。",
        "the paper list is compared for content, count and order; page numbers run per volume, unnumbered parts skipped.",
        "enforced",
        tests=T("ar_review", "test_paper_list_content_count_and_order")
        + T("ca_dossier", "test_page_numbers_run_per_volume_from_one_and_skip_unnumbered_parts"),
    ),
    # ------------------------------------------------------------------ 长中法〔2018〕129号
    Clause(
        f"{CZ}/第二条", CZ, "第二条", "",
        "分段扫描、随案同步生成电子卷宗。",
        "intake keeps four stages (立案, 庭前, 庭后, 结案前), each with its materials, article and deadline.",
        "enforced",
        tests=T("in_staged", "test_four_stages_each_with_article_and_deadline_第六条_第七条"),
    ),
    Clause(
        f"{CZ}/第四条", CZ, "第四条", "",
        "按诉讼阶段随案同步生成电子卷宗，各部门各负其责。",
        "the completeness report covers the stages the case has reached, from its facts.",
        "enforced",
        tests=T("in_staged", "test_case_report_covers_the_stages_reached_第六条_第七条", "test_case_report_uses_case_facts_第七条",
                "test_received_for_another_stage_does_not_count_第七条"),
    ),
    Clause(
        f"{CZ}/第五条", CZ, "第五条", "",
        "随收随扫，各阶段电子卷宗与纸质同步生成、内容一致、实时存储。",
        "every step has its clock; the material check compares list and content; pages are stored on arrival.",
        "enforced",
        tests=T("in_task", "test_material_check_reports_each_mismatch_第五条三")
        + T("e2e_main", "test_main_job_from_registration_to_verified_e_archive"),
    ),
    Clause(
        f"{CZ}/第六条/材料", CZ, "第六条", "第一款",
        "立案部门制作立案阶段电子卷宗：流程信息表、受理通知、缴费通知、起诉状、身份证明、代理材料、送达地址确认书、证据、送达回证。",
        "the filing stage lists these materials; the report says which are missing.",
        "enforced",
        tests=T("in_staged", "test_filing_stage_complete_when_all_expected_are_in_第六条", "test_filing_stage_reports_what_is_missing_第六条"),
    ),
    Clause(
        f"{CZ}/第六条/网上立案", CZ, "第六条", "第二款",
        "网上立案已提交且合格的电子材料不再扫描，同步到办案系统；不合格的立案后补扫。",
        "online-filed materials count for the stage without scanning.",
        "enforced",
        tests=T("in_staged", "test_online_filed_materials_count_without_scanning_第六条"),
    ),
    Clause(
        f"{CZ}/第六条/3个工作日", CZ, "第六条", "第三款",
        "立案之日起3个工作日内完成立案电子卷宗制作，移送审判部门时材料全部电子化且与纸质一致。",
        "the clock stops on any cataloguing (catalog puts no stage on the event, the notifier reads none as "
        "filing), counts from the system's registration time, and runs for 涉密/out-of-scope cases.",
        "partly",
        reason="issue 22 items 1, 2, 3: stops on any cataloguing whatever its stage; not from the 立案日期; ignores "
               "第十条/第十四条.",
        tests=T("no_clocks", "test_wrong_stage_does_not_stop_the_filing_edossier_clock")
        + T("no_rules", "test_stage_match_selects_which_catalogued_event_stops"),
        planned=P(CZ, "art6", "test_filing_edossier_clock_from_the_filing_date_stops_only_on_filing_material_第六条"),
        items=(1, 2, 3),
    ),
    Clause(
        f"{CZ}/第七条/庭前", CZ, "第七条", "第一款",
        "开庭（询问、听证）5个工作日前完成庭前材料电子卷宗（应诉通知、传票、答辩状、证据等）。",
        "the clock counts back from the hearing, but stops only on a catalogued event with stage pre_hearing, which "
        "catalog never sends: every case with a hearing goes overdue and the 法官助理 is charged in the ledger.",
        "not_enforced",
        reason="issue 22 item 1: the 庭前 clock never stops.",
        tests=T("no_rules", "test_pre_hearing_rule_counts_back_from_the_hearing_time")
        + T("no_clocks", "test_hearing_rescheduled_moves_the_pre_hearing_deadline")
        + T("in_staged", "test_conditional_material_depends_on_the_facts_第七条"),
        planned=P(CZ, "art7", "test_pre_hearing_clock_stops_when_pre_hearing_material_is_catalogued_第七条"),
        items=(1,),
    ),
    Clause(
        f"{CZ}/第七条/开庭时间", CZ, "第七条", "第一款",
        "开庭时间应在立案之后；按开庭倒算的时限不得早于案件存在之日（本条时限的前提）。",
        "a hearing in the past or before 立案 is accepted, and a deadline can fall before the case existed (the demo "
        "prints 庭前电子卷宗 overdue, due 2026-12-01, for a case registered on 12-07).",
        "not_enforced",
        reason="issue 22 item 1: hearing times are not validated against the case's timeline.",
        planned=P(CZ, "art7", "test_hearing_before_the_filing_date_is_refused_and_no_deadline_precedes_the_case_第七条"),
        items=(1,),
    ),
    Clause(
        f"{CZ}/第七条/庭后", CZ, "第七条", "第二款",
        "开庭后5个工作日内完成庭审笔录、调查笔录、质证证据、送达回证等电子卷宗。",
        "the clock starts on case.hearing.held but never stops (no stage on catalog's event).",
        "not_enforced",
        reason="issue 22 item 1: the 庭后 clock never stops.",
        tests=T("in_staged", "test_hearing_files_wait_for_the_technology_第七条"),
        planned=P(CZ, "art7", "test_post_hearing_clock_stops_when_post_hearing_material_is_catalogued_第七条"),
        items=(1,),
    ),
    Clause(
        f"{CZ}/第七条/异地审理", CZ, "第七条", "第三款",
        "异地审理的案件，庭审结束后5个工作日内通过内网上传办案信息。",
        "none: no notion of a remote hearing, no clock.",
        "not_enforced",
        reason="hearings carry no place; software could start the same 5-working-day clock for a remote hearing.",
        planned=P(CZ, "art7", "test_remote_hearing_information_uploaded_within_5_working_days_第七条"),
    ),
    Clause(
        f"{CZ}/第七条/结案前", CZ, "第七条", "第四款",
        "结案裁判文书签发前完成评议笔录、法官会议与审委会笔录、裁判文书等电子卷宗。",
        "the 结案前 stage's materials are in the completeness report; nothing checks them before closing.",
        "partly",
        reason="no check or clock ties the 结案前 materials to the signing of the judgment (signing is outside the suite; "
               "closing is not).",
        tests=T("in_staged", "test_case_report_covers_the_stages_reached_第六条_第七条"),
        planned=P(CZ, "art7", "test_pre_closing_material_reported_missing_at_closing_第七条"),
    ),
    Clause(
        f"{CZ}/第八条", CZ, "第八条", "",
        "结案后自动归目排序归类，筛除不归档材料，缺少或不达标的补充扫描，确保与纸质一致。",
        "catalog arranges by standard; archive's 核查 finds gaps and unfiled documents; a re-scan replaces a poor page.",
        "enforced",
        tests=T("ca_dossier", "test_arrange_orders_a_scanned_batch_by_article_12")
        + T("ar_review", "test_failed_qc_gap_and_pending_documents_are_findings")
        + T("ca_rescans", "test_rescan_takes_the_flagged_pages_place_and_number"),
    ),
    Clause(
        f"{CZ}/第九条", CZ, "第九条", "",
        "归档时审核电子卷宗与纸质卷宗内容、数量、顺序一致，通过后直接转化为电子档案。",
        "archive compares the paper list in content, count and order; a missing page is an integrity finding.",
        "enforced",
        tests=T("ar_review", "test_paper_list_content_count_and_order")
        + T("ar_checks", "test_missing_page_is_reported_under_integrity")
        + T("ar_domain", "test_continuous_pages_have_no_problem_changzhongfa_2018_129_article_9"),
    ),
    Clause(
        f"{CZ}/第十条", CZ, "第十条", "",
        "各审判业务部门对电子卷宗质量负责，减少“二次扫描”。",
        "QC at upload flags poor pages at once; the re-scan replaces just that page.",
        "manual",
        reason="a department's responsibility for quality is organisational; the software part is 法〔2016〕264号 二(五).",
    ),
    Clause(
        f"{CZ}/第十一条", CZ, "第十一条", "",
        "技术部门负责设备调试、巡检维护和操作培训。",
        "none.",
        "manual", reason="maintenance and training; nothing for software to check.",
    ),
    Clause(
        f"{CZ}/第十二条", CZ, "第十二条", "",
        "执行案件的电子卷宗流程由执行局另定。",
        "enforcement cases are outside the flow (same scope decision as 吉高法〔2020〕11号 第十四条第三款).",
        "enforced",
        tests=T("in_case", "test_scope_by_case_type_第十四条"),
    ),
    # ------------------------------------------------------------------ 青法〔2021〕116号
    Clause(
        f"{QP}/一/电子签章", QP, "一", "",
        "推广电子签章：电子档案加盖法院电子签章。",
        "a seal certificate for signing only, chaining to the CA; every PDF and the manifest are sealed.",
        "enforced",
        tests=T("ar_signing", "test_dev_pki_seal_certificate_is_for_signing_and_chains_to_ca",
                "test_pades_signature_verifies_and_covers_whole_file"),
    ),
    Clause(
        f"{QP}/一/元数据", QP, "一", "",
        "归档时采集元数据（案件项、文件来源、业务行为）。",
        "the package's metadata carries case items, per-page QC/OCR provenance and who did what; blanks refuse archiving.",
        "enforced",
        tests=T("ar_package", "test_metadata_carries_case_items_page_provenance_and_who_did_what")
        + T("ar_domain", "test_missing_case_metadata_blocks_archiving_qingfa_2021_116")
        + T("ar_review", "test_case_metadata_from_intake_catalog_and_entries"),
    ),
    Clause(
        f"{QP}/一/四性检测", QP, "一", "",
        "建立电子诉讼文件真实性、完整性、可用性、安全性检测。",
        "18 check items, against DA/T 70-2018's 45; a virus scan that did not run still yields 通过.",
        "partly",
        reason="issue 22 item 9: every DA/T 70-2018 item software can check is not checked; the manual ones are not "
               "listed; a check that did not run is not accepted explicitly on record.",
        tests=T("ar_checks", "test_good_package_passes_every_property", "test_one_byte_changed_is_caught_by_hash_and_by_signature",
                "test_truncated_file_is_reported_under_usability", "test_pdf_with_javascript_is_reported_under_security",
                "test_clamav_finds_planted_malware_signature"),
        planned=P(QP, "part1", "test_four_property_check_covers_every_software_checkable_da_t_70_item_一",
                  "test_a_check_that_did_not_run_needs_the_keepers_acceptance_on_record_一"),
        items=(9,),
    ),
    Clause(
        f"{QP}/二/书记员整理", QP, "二", "",
        "书记员在电子卷宗平台上调整、补充、修改归档目录及电子材料。",
        "the case team corrects placement, category, date and issuer until archiving; each correction records who and when.",
        "enforced",
        tests=T("ca_dossier", "test_each_correction_returns_a_new_dossier_and_records_who_and_when",
                "test_edit_corrects_date_and_issuer_in_the_catalogue_and_is_recorded")
        + T("ac_policy", "test_catalogue_corrections_by_team_and_filing_division_until_archived"),
    ),
    Clause(
        f"{QP}/二/法官审核", QP, "二", "",
        "承办法官在平台上审核归档材料齐全有效。",
        "the 承办法官's 确认 is a workflow step only the 承办法官 takes.",
        "enforced",
        tests=T("ar_workflow", "test_roles_and_responsible_persons"),
    ),
    Clause(
        f"{QP}/二/档案部门接收", QP, "二", "",
        "档案部门仅在电子卷宗平台上接收电子档案。",
        "the e-archive is produced and received only through archive's workflow from the catalogued dossier.",
        "enforced",
        tests=T("ar_workflow", "test_happy_path_from_closing_to_archived")
        + T("e2e_main", "test_main_job_from_registration_to_verified_e_archive"),
    ),
    Clause(
        f"{QP}/四(三)1", QP, "四", "(三)1",
        "立案阶段材料高质量扫描、标准化整理，符合法官办案和归档标准。",
        "QC at 200/300 dpi and blur; standard ordering by the 立卷归档办法.",
        "enforced",
        tests=T("sc_qc", "test_page_below_the_200_dpi_floor_needs_rescan_per_fa_2016_264_art_2_5")
        + T("ca_categories", "test_every_category_has_a_place_in_its_volume_for_every_case_kind"),
    ),
    Clause(
        f"{QP}/五/离线备份", QP, "五", "",
        "电子档案数据离线安全备份，建设离线库区。",
        "the 'offline backup' is a tarball or folder on the same disk.",
        "partly",
        reason="issue 22 item 9: no second target with its own retention (object lock); the production manifests "
               "name no off-site target.",
        tests=T("ar_package", "test_offline_backup_as_tarball_qingfa_2021_116_five",
                "test_offline_backup_as_folder_is_verified_and_never_overwritten", "test_corrupt_package_is_not_backed_up"),
        planned=P(QP, "part5", "test_offline_backup_to_a_separate_locked_bucket_五"),
        items=(9,),
    ),
    Clause(
        f"{QP}/五/庭审录音录像备份", QP, "五", "",
        "替代庭审笔录的庭审录音录像数据离线备份。",
        "none: Juanzong holds no recordings.",
        "not_enforced",
        reason="no audio/video in the e-dossier (see 法〔2016〕264号 二(一)).",
        planned=P(QP, "part5", "test_hearing_recordings_are_backed_up_offline_五"),
    ),
)


# Provisions read and left out: they state aims, definitions, organisation or dates, and no system or person can be
# checked against them (or another clause above covers them).
NOT_CLAUSES: tuple[tuple[str, str], ...] = (
    (f"{JG}/第一条、第二条", "aims and definitions (电子卷宗, 电子档案, 双轨制)."),
    (f"{JG}/第四条(一)7-8、(二)4-5、(三)2-5、(四)1-2、(四)6、(五)1、(五)3", ("supervision, building and "
     "training duties of departments; nothing to check against.")),
    (f"{JG}/第八条 首句", "the principle 以线上为原则; checked through 第八条(一)-(四)."),
    (f"{JG}/第十三条", "performance appraisal (绩效考核); people's."),
    (f"{JG}/第十五条、第十六条", "interpretation; in force from 2019-12-01 (the date is checked under 第十四条)."),
    (f"{TB}/一、二(一)(二)(四)、三(一)、三(三)一-四、四(一)-(三)", ("review of progress, rollout plan by court, "
     "leadership and organisation.")),
    (f"{FA}/一(一)(二)、一(三) 其余、三(十)、四", ("aims, principles (e.g. no extra work for judges) and measures "
     "of organisation, funding and appraisal.")),
    (f"{CZ}/第一条、第三条、第十三条-第十五条", "basis, principles, who collects problems, interpretation, date."),
    (f"{QP}/三、四(一)(二)、四(三)2-5、四(四)(五)", ("the Qingpu pilot's organisation, pilot scope by judge and "
     "department, scanning points and timetable: court-specific, not Jilin's rules.")),
)
