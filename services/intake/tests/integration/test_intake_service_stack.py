"""intake on the real stack (SecantusDB, RabbitMQ): registration, originals, secrecy, scan tasks, consumers."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
from juanzong_shared.events import REGISTRY, Event

pytestmark = pytest.mark.integration

APPEAL = "（2025）吉01民终123号"
ORIGINAL = "（2024）吉0102民初88号"
PROBLEM = "application/problem+json"
JUDGE = {"roles": ("judge",), "court": "吉01"}
STATION = {"roles": ("scanning_station",), "kind": "station", "court": "吉01", "scopes": ("scan:submit",)}
OUTSIDER = "u-judge-chen"


def url(case_number: str, tail: str = "") -> str:
    return f"/v1/cases/{quote(case_number)}{tail}"


def appeal(**overrides) -> dict:
    body = {
        "case_number": APPEAL, "filed_on": "2025-03-03", "court": "吉01", "cause": "买卖合同纠纷",
        "department": "民一庭",
        "parties": [{"name": "张三", "role": "appellant"},
                    {"name": "长春某贸易有限公司", "role": "appellee", "kind": "legal_person"}],
        "panel": {"undertaking_judge": "u-judge-li", "presiding_judge": "u-judge-wang",
                  "members": ["u-judge-li", "u-judge-wang", "u-judge-zhao"],
                  "judge_assistants": ["u-assistant-chen"], "clerks": ["u-clerk-liu"]},
        "original_case_numbers": [ORIGINAL],
    }
    body.update(overrides)
    return body


MATERIALS = [
    {"item_id": "1", "name": "答辩状", "expected_pages": 3, "stage": "filing", "material_id": "defence_statement"},
    {"item_id": "2", "name": "被上诉人证据材料", "expected_pages": 12, "stage": "filing"},
]


async def new_task(intake, case_number: str = APPEAL) -> dict:
    response = await intake.client.post(url(case_number, "/scan-tasks"), headers=intake.headers(JUDGE, "u-judge-li"),
                                        json={"materials": MATERIALS})
    assert response.status_code == 201, response.text
    return response.json()


async def move(intake, task_id: str, who=STATION, **body):
    return await intake.client.post(f"/v1/scan-tasks/{task_id}/transitions", headers=intake.headers(who, "st-01"),
                                    json=body)


async def test_registering_twice_returns_the_same_case_with_its_panel_event(intake):
    """Registration is idempotent by case number; case.registered carries the panel (吉高法〔2020〕11号 第十四条 scope)."""
    first = await intake.client.post("/v1/cases", headers=intake.headers(), json=appeal())
    assert first.status_code == 201, first.text
    again = await intake.client.post("/v1/cases", headers=intake.headers(),
                                     json=appeal(case_number="(2025)吉01民终１２３号", cause="另一个案由"))
    assert again.status_code == 200
    assert again.json() == first.json()
    case = first.json()
    assert case["scope"]["in_flow"] is True and case["category"] == "civil" and case["procedure"] == "appeal"
    listed = (await intake.client.get("/v1/cases?court=吉01&stage=filing&limit=5&offset=0",
                                      headers=intake.headers(JUDGE))).json()
    assert listed["total"] == 1 and listed["items"][0]["case_number"] == APPEAL
    got = await intake.client.get(url(APPEAL), headers=intake.headers(JUDGE))
    assert got.json()["case_number"] == APPEAL
    [event] = await intake.outbox("case.registered")
    roles = {(m["user_id"], m["role"]) for m in event["payload"]["panel"]}
    assert roles == {("u-judge-li", "undertaking_judge"), ("u-judge-wang", "presiding_judge"),
                     ("u-judge-zhao", "panel_member"), ("u-assistant-chen", "judge_assistant"),
                     ("u-clerk-liu", "clerk")}
    assert event["payload"]["paperless"] is True and event["case_id"] == APPEAL


async def test_appeal_without_original_e_dossier_is_returned_with_an_event(intake, bus_tap):
    """吉高法〔2020〕11号 第三条(二): the lower court did not attach the original e-dossier → returned."""
    queue = await bus_tap("case.returned_to_lower_court")
    assert (await intake.client.post("/v1/cases", headers=intake.headers(), json=appeal())).status_code == 201
    manifest = {"manifest_id": "M-1", "submitting_court": "吉0102",
                "originals": [{"original_case_number": ORIGINAL, "e_dossier_refs": [], "paper_volumes": 2}]}
    response = await intake.client.post(url(APPEAL, "/submissions"), headers=intake.headers(), json=manifest)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["decision"]["return_to_lower_court"] is True
    assert result["returned"]["lower_court"] == "吉0102"
    message = await intake.until(lambda: queue.get(fail=False, no_ack=True))
    event = Event.from_json(message.body)
    payload = REGISTRY.parse_payload(event)
    assert payload.case_number == APPEAL and payload.lower_court == "吉0102"
    assert any("电子卷宗未挂接" in m for m in payload.missing)
    case = (await intake.client.get(url(APPEAL), headers=intake.headers(JUDGE))).json()
    assert case["status"] == "returned_to_lower_court"
    returned = (await intake.client.get("/v1/cases?state=returned_to_lower_court",
                                        headers=intake.headers(JUDGE))).json()
    assert returned["total"] == 1

    # the lower court re-submits with the e-dossier: linked automatically by case number, case reopened
    manifest2 = {"manifest_id": "M-2", "submitting_court": "吉0102",
                 "originals": [{"original_case_number": ORIGINAL, "e_dossier_refs": ["ED-88"], "paper_volumes": 2}]}
    result2 = (await intake.client.post(url(APPEAL, "/submissions"), headers=intake.headers(), json=manifest2)).json()
    assert result2["decision"]["return_to_lower_court"] is False
    assert [a["ref"] for a in result2["auto_link"]["added"]] == ["ED-88"]
    report = (await intake.client.get(url(APPEAL, "/original-trial"), headers=intake.headers(JUDGE))).json()
    assert report["status"] == "open" and [link["ref"] for link in report["links"]] == ["ED-88"]

    # a manual link needs a real record of the original (第三条(二)): a free text is refused, nothing stored
    body = {"original_case_number": ORIGINAL, "kind": "e_archive", "ref": "EA-88", "reason": "按报送函补挂"}
    free = await intake.client.post(url(APPEAL, "/original-links"), headers=intake.headers(), json=body)
    assert free.status_code == 422 and free.json()["errors"][0]["field"] == "ref", free.text
    assert "第三条(二)" in free.json()["rule"]
    assert len(await intake.outbox("case.original.linked")) == 1

    # unlink and manual link of the listed record keep who and why
    listed = {"original_case_number": ORIGINAL, "kind": "e_dossier", "ref": "ED-88"}
    gone = await intake.client.post(url(APPEAL, "/original-links/unlink"), headers=intake.headers(),
                                    json={**listed, "reason": "挂错"})
    assert gone.status_code == 200 and gone.json()["action"] == "unlinked"
    linked = await intake.client.post(url(APPEAL, "/original-links"), headers=intake.headers(),
                                      json={**listed, "reason": "核对报送函后重新关联"})
    assert linked.status_code == 201 and linked.json()["by"] == "u-filing-sun"
    history = (await intake.client.get(url(APPEAL, "/original-trial"), headers=intake.headers(JUDGE))).json()["history"]
    assert [(h["action"], h["method"], h["reason"]) for h in history][-2:] == [
        ("unlinked", "auto", "挂错"), ("linked", "manual", "核对报送函后重新关联")]
    assert len(await intake.outbox("case.original.unlinked")) == 1
    assert len(await intake.outbox("case.original.linked")) == 2


async def test_secret_case_stores_nothing_else_and_every_api_says_why(intake):
    """吉高法〔2020〕11号 第十条: a 涉密 case keeps only its minimal record; e-dossier work is refused."""
    body = appeal(case_number="（2025）吉01民终7号", secret=True,
                  secrecy={"determined_by": "u-head-zhou", "approved_by": "u-leader-wu"})
    response = await intake.client.post("/v1/cases", headers=intake.headers(), json=body)
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["secret"] is True and case["e_dossier"]["allowed"] is False
    assert "第十条" in case["e_dossier"]["article"]
    assert case["parties"] == [] and case["panel"] is None and case["cause"] is None
    assert set(case["withheld_fields"]) == {"cause", "parties", "panel", "original_case_numbers"}
    stored = await intake.db["cases"].find_one({"_id": "（2025）吉01民终7号"})
    assert "张三" not in json.dumps(stored, default=str) and "u-judge-li" not in json.dumps(stored, default=str)
    [event] = await intake.outbox("case.registered")
    assert event["payload"]["secret"] is True and event["payload"]["panel"] == []
    assert event["payload"]["cause"] is None

    cn = "（2025）吉01民终7号"
    refusals = [
        await intake.client.post(url(cn, "/scan-tasks"), headers=intake.headers(JUDGE), json={"materials": MATERIALS}),
        await intake.client.post(url(cn, "/submissions"), headers=intake.headers(), json={
            "submitting_court": "吉0102", "originals": [{"original_case_number": ORIGINAL}]}),
        await intake.client.post(url(cn, "/original-links"), headers=intake.headers(), json={
            "original_case_number": ORIGINAL, "kind": "e_dossier", "ref": "ED-1", "reason": "x"}),
        await intake.client.get(url(cn, "/original-trial"), headers=intake.headers(JUDGE)),
        await intake.client.get(url(cn, "/scan-tasks"), headers=intake.headers(JUDGE)),
    ]
    for refused in refusals:
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert "第十条" in refused.json()["rule"] and refused.json()["errors"][0]["field"] == "secret"
    assert await intake.db["scan_tasks"].count_documents({}) == 0
    assert await intake.db["submissions"].count_documents({}) == 0
    assert await intake.db["original_links"].count_documents({}) == 0
    report = (await intake.client.get(url(cn, "/completeness"), headers=intake.headers(JUDGE))).json()
    assert report["applicable"] is False and "第十条" in report["reason_zh"]

    # 第十四条: a criminal case is registered but outside the paperless flow
    criminal = await intake.client.post("/v1/cases", headers=intake.headers(), json={
        "case_number": "（2025）吉01刑初5号", "filed_on": "2025-02-01", "cause": "盗窃罪"})
    assert criminal.status_code == 201 and criminal.json()["scope"]["scope"] == "deferred"
    refused = await intake.client.post(url("（2025）吉01刑初5号", "/scan-tasks"), headers=intake.headers(JUDGE),
                                       json={"materials": MATERIALS})
    assert refused.status_code == 409 and "第十四条" in refused.json()["rule"]


async def test_material_list_mismatch_returns_the_task_with_the_reason(intake):
    """吉高法〔2020〕11号 第五条(三): 核对不一致 returns the task with its reason; it is re-submitted to the cabinet."""
    await intake.client.post("/v1/cases", headers=intake.headers(), json=appeal())
    task = await new_task(intake)
    assert task["state"] == "created" and task["allowed_next"] == ["in_cabinet"]
    for to in ("in_cabinet", "picked_up"):
        assert (await move(intake, task["task_id"], to=to)).status_code == 200
    checked = await move(intake, task["task_id"], to="check_passed", reported={"1": 2, "2": 12})
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["state"] == "check_failed" and "答辩状" in body["return_reason"] and "实收2页" in body["return_reason"]
    [event] = await intake.outbox("scan.task.check_failed")
    assert event["payload"]["mismatches"] and event["payload"]["deadline_clock"] == "scan_task.resubmit"
    again = await move(intake, task["task_id"], to="in_cabinet", reason="已补齐答辩状第3页")
    assert again.json()["state"] == "in_cabinet" and again.json()["submissions"] == 2
    created = await intake.outbox("scan.task.created")
    assert created[0]["payload"]["deadline_clock"] == "scan_task.put_in_cabinet"


async def test_bad_input_gets_a_problem_naming_the_field_and_nothing_is_stored(intake):
    """《关于人民法院案件案号的若干规定》第三条 parts; wrong stage; illegal transitions (第五条(三)); roles."""
    cases = [
        (appeal(case_number="（2025）吉01民X123号"), "case_number.type_code"),
        (appeal(case_number="（2025）吉99民终123号"), "case_number.court_code"),
        (appeal(case_number="2025吉01民终123号"), "case_number.format"),
        (appeal(court="吉99"), "court"),
        (appeal(stage="closed"), "stage"),
        (appeal(stage="hearing"), "stage"),
        (appeal(original_case_numbers=["（2024）吉0102民X1号"]), "original_case_numbers[0].type_code"),
        (appeal(original_case_numbers=["（2024）吉01民终5号"]), "original_case_numbers[0]"),  # 第三条(二)
    ]
    for body, field in cases:
        response = await intake.client.post("/v1/cases", headers=intake.headers(), json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert await intake.db["cases"].count_documents({}) == 0
    assert await intake.db["outbox"].count_documents({}) == 0

    forbidden = await intake.client.post("/v1/cases", headers=intake.headers(JUDGE), json=appeal())
    assert forbidden.status_code == 403 and forbidden.json()["errors"][0]["field"] == "roles"
    assert (await intake.client.post("/v1/cases", json=appeal())).status_code == 401

    await intake.client.post("/v1/cases", headers=intake.headers(), json=appeal())
    task = await new_task(intake)
    illegal = await move(intake, task["task_id"], to="scanning")
    assert illegal.status_code == 409 and illegal.headers["content-type"].startswith(PROBLEM)
    problem = illegal.json()
    assert problem["allowed"] == ["in_cabinet"] and problem["errors"][0]["field"] == "to"
    assert "已入柜" in problem["detail"]
    stored = await intake.db["scan_tasks"].find_one({"_id": task["task_id"]})
    assert stored["state"] == "created" and len(await intake.outbox("scan.task.scanning")) == 0
    backwards = await intake.client.post(url(APPEAL, "/stage"), headers=intake.headers(JUDGE), json={"stage": "filing"})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "stage"


async def test_consuming_scan_and_catalogue_events_moves_the_task(intake):
    """scan.batch.completed → 已扫描 with the post-scan page check (第五条(三)); catalogued → 已编目; idempotent."""
    await intake.client.post("/v1/cases", headers=intake.headers(), json=appeal())
    task = await new_task(intake)
    tid = task["task_id"]
    await move(intake, tid, to="in_cabinet")
    await move(intake, tid, to="picked_up")
    assert (await move(intake, tid, to="check_passed", reported={"1": 3, "2": 12})).json()["state"] == "check_passed"

    bus = intake.app.state.bus
    batch = REGISTRY.create("scan.batch.completed", {"batch_id": "B-1", "scan_task_id": tid, "case_number": APPEAL,
                                                     "pages_total": 14, "pages_done": 14, "pages_failed": 0},
                            court="吉01", case_id=APPEAL)
    await bus.publish(batch)
    await bus.publish(batch)  # a redelivery changes nothing

    async def scanned():
        doc = await intake.db["scan_tasks"].find_one({"_id": tid})
        return doc if doc["state"] == "scanned" else None

    doc = await intake.until(scanned)
    assert doc["scanned_pages"] == 14 and doc["post_scan_check"]["consistent"] is False
    [event] = await intake.outbox("scan.task.scanned")
    assert "清单共15页，实际扫描14页" in event["payload"]["reason"]
    assert len(await intake.outbox("scan.task.scanning")) == 1

    catalogued = REGISTRY.create("catalog.dossier.catalogued", {
        "case_number": APPEAL, "batch_id": "B-1", "documents": 2, "pages": 14, "scan_task_id": tid},
        court="吉01", case_id=APPEAL)
    await bus.publish(catalogued)

    async def done():
        doc = await intake.db["scan_tasks"].find_one({"_id": tid})
        return doc if doc["state"] == "catalogued" else None

    await intake.until(done)
    await asyncio.sleep(0.5)
    assert len(await intake.outbox("scan.task.scanned")) == 1
    report = (await intake.client.get(url(APPEAL, "/completeness"), headers=intake.headers(JUDGE))).json()
    assert report["applicable"] is True and report["stages"][0]["stage"] == "filing"
    view = (await intake.client.get(f"/v1/scan-tasks?state=catalogued&case_number={quote(APPEAL)}",
                                    headers=intake.headers(JUDGE))).json()
    assert view["total"] == 1 and view["items"][0]["batches"][0]["batch_id"] == "B-1"


async def test_every_change_and_read_is_decided_per_case_and_a_refusal_stores_nothing(intake):
    """Issue 20 items 5 and 10: access-control decides update_case / close_case / read_case on the case; a no is
    403 problem+json naming the rule and stores nothing; a 涉密 case the caller may not read is a 404 exactly
    like an unknown case (吉高法〔2020〕11号 第九条, 第十条)."""
    assert (await intake.client.post("/v1/cases", headers=intake.headers(), json=appeal())).status_code == 201
    secret = appeal(case_number="（2025）吉01民终8号", secret=True)
    assert (await intake.client.post("/v1/cases", headers=intake.headers(), json=secret)).status_code == 201
    decider = intake.app.state.decider
    refused_to = (OUTSIDER, "u-lawyer", "u-filing-zhou")
    decider.allow = lambda identity, action, case_number: (identity.subject not in refused_to
                                                           and identity.kind != "station")
    outsider = intake.headers(JUDGE, OUTSIDER)

    for path, body in (("/stage", {"stage": "pre_hearing"}), ("/hearings", {"status": "scheduled",
                                                                          "at": "2025-04-10T01:30:00Z"}),
                       ("/close", {"result": "驳回上诉"})):
        refused = await intake.client.post(url(APPEAL, path), headers=outsider, json=body)
        assert refused.status_code == 403 and refused.headers["content-type"].startswith(PROBLEM), refused.text
        assert "第九条" in refused.json()["rule"]
    stored = await intake.db["cases"].find_one({"_id": APPEAL})
    assert stored["stage"] == "filing" and stored["hearings"] == [] and stored["status"] == "open"
    assert await intake.outbox("case.stage.changed") == [] and await intake.outbox("case.closed") == []
    asked = {(who, action) for who, action, case in decider.asked if case == APPEAL}
    assert {(OUTSIDER, "update_case"), (OUTSIDER, "close_case")} <= asked

    refused = await intake.client.get(url(APPEAL), headers=outsider)
    assert refused.status_code == 403 and "张三" not in refused.text
    hidden = await intake.client.get(url("（2025）吉01民终8号"), headers=outsider)
    unknown = await intake.client.get(url("（2025）吉01民终9号"), headers=outsider)
    assert hidden.status_code == unknown.status_code == 404
    def same(body: dict) -> str:  # the answer without the request's own path and id
        kept = {k: v for k, v in body.items() if k not in ("instance", "correlation_id")}
        return json.dumps(kept, ensure_ascii=False, sort_keys=True).replace("民终8号", "民终9号")

    assert same(hidden.json()) == same(unknown.json())
    lawyer = intake.headers({"roles": ("litigant_representative",)}, "u-lawyer")  # no role door before the case
    for tail in ("", "/scan-tasks", "/completeness", "/original-trial"):
        hidden = await intake.client.get(url("（2025）吉01民终8号", tail), headers=lawyer)
        unknown = await intake.client.get(url("（2025）吉01民终9号", tail), headers=lawyer)
        assert hidden.status_code == unknown.status_code == 404 and same(hidden.json()) == same(unknown.json())
    listed = (await intake.client.get("/v1/cases", headers=outsider)).json()
    assert listed == {"items": [], "total": 0, "limit": 50, "offset": 0, "next_offset": None}

    # registering a taken number shows the stored case only to who may read it; a service needs case:register
    again = await intake.client.post("/v1/cases", headers=intake.headers(subject="u-filing-zhou"), json=secret)
    assert again.status_code == 409 and "张三" not in again.text and again.json()["errors"][0]["field"] == "case_number"
    service = intake.headers({"kind": "service", "roles": ("service_account",), "scopes": ("dossier:add_pages",)},
                             "notifier")
    refused = await intake.client.post("/v1/cases", headers=service, json=appeal(case_number="（2025）吉01民终10号"))
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "scope"
    assert await intake.db["cases"].count_documents({}) == 2

    task = await new_task(intake)
    seen = (await intake.client.get(f"/v1/scan-tasks/{task['task_id']}", headers=intake.headers(STATION, "st-01")))
    assert seen.status_code == 200 and seen.json()["created_by"] is None and seen.json()["history"] == []
    assert "u-judge-li" not in seen.text and "张三" not in seen.text
    assert (await intake.client.get(url(APPEAL), headers=intake.headers(STATION, "st-01"))).status_code == 403

    team = await intake.client.post(url(APPEAL, "/stage"), headers=intake.headers(JUDGE, "u-judge-li"),
                                    json={"stage": "pre_hearing"})
    assert team.status_code == 200 and team.json()["stage"] == "pre_hearing"
    assert (await intake.client.get("/v1/cases", headers=intake.headers(JUDGE, "u-judge-li"))).json()["total"] == 2


async def test_a_reopened_case_announces_its_links_again(intake):
    """吉高法〔2020〕11号 第三条(二): a return ends what the case's links opened (access-control); when the lower court's
    next 报送清单 reopens the case, the links still in its record are announced again, once."""
    assert (await intake.client.post("/v1/cases", headers=intake.headers(), json=appeal())).status_code == 201
    second = "（2024）吉0102民初89号"

    async def submit(manifest_id: str, original: str, refs: list[str]) -> dict:
        response = await intake.client.post(url(APPEAL, "/submissions"), headers=intake.headers(), json={
            "manifest_id": manifest_id, "submitting_court": "吉0102",
            "originals": [{"original_case_number": original, "e_dossier_refs": refs, "paper_volumes": 1}]})
        assert response.status_code == 201, response.text
        return response.json()

    assert (await submit("M-1", ORIGINAL, ["ED-88"]))["returned"] is None
    assert (await submit("M-2", second, []))["returned"]["lower_court"] == "吉0102"  # 89号's e-dossier missing
    reopened = await submit("M-3", second, ["ED-89"])
    assert reopened["returned"] is None and [a["ref"] for a in reopened["auto_link"]["added"]] == ["ED-89"]
    linked = [e["payload"] for e in await intake.outbox("case.original.linked")]
    assert sorted(p["e_dossier_ref"] for p in linked) == ["ED-88", "ED-88", "ED-89"]
    again = [p for p in linked if "退回后原审关联恢复" in (p["reason"] or "")]
    assert [(p["e_dossier_ref"], p["by"], p["manual"]) for p in again] == [("ED-88", "system", False)]
    case = (await intake.client.get(url(APPEAL), headers=intake.headers(JUDGE))).json()
    assert case["status"] == "open"
