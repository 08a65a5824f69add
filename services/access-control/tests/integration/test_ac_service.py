"""access-control on the real embedded stack (SecantusDB, RabbitMQ): tokens, decisions by 吉高法〔2020〕11号
第九条, approvals, paper borrowing by 第八条, and the tamper-evident audit chain (全程留痕)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import uuid
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from juanzong_devstack.pytest_plugin import running_app, wait_for
from juanzong_shared.bus import Bus
from juanzong_shared.events import REGISTRY

pytestmark = pytest.mark.integration

# one secret per client, as the stack makes them (issue 20 item 3); JZ_CLIENT_SECRETS wins over the stack's folder
CLIENT_SECRETS = {c: secrets.token_urlsafe(24) for c in ("station-01", "intake", "scan-ocr", "catalog", "archive",
                                                           "notifier")}


@pytest.fixture(scope="module")
async def ac_service(embedded_stack, tmp_path_factory):
    """(app, client): one service for the module, with its own database and data folder."""
    env = embedded_stack.config.service_env("access-control")
    env |= {"JZ_MONGO_DB": "t_ac_" + uuid.uuid4().hex[:10], "JZ_SERVICE_NAME": "access-control",
            "JZ_DATA_DIR": str(tmp_path_factory.mktemp("ac-data")), "JZ_ENVIRONMENT": "test",
            "JZ_HOUSEKEEPING_SECONDS": "3600", "JZ_LOG_JSON": "false", "JZ_LOG_LEVEL": "WARNING",
            "JZ_CLIENT_SECRETS": json.dumps(CLIENT_SECRETS)}
    with patch.dict(os.environ, env):  # the settings are read when the app is built
        from juanzong_access_control.entrypoints.app import create_app
        app = create_app()
    async with running_app(app) as client:
        yield app, client


@pytest.fixture(scope="module")
async def publisher(embedded_stack):
    bus = Bus(embedded_stack.config.amqp_url, embedded_stack.config.namespace, "ac-test-publisher")
    await bus.connect()
    yield bus
    await bus.close(drain_timeout=2)


def new_case_number() -> str:
    return f"（2026）吉01民终{uuid.uuid4().int % 10**8}号"


PANEL = [
    {"user_id": "u-judge-wang", "name": "王审判", "role": "undertaking_judge"},
    {"user_id": "u-judge-wang", "name": "王审判", "role": "presiding_judge"},
    {"user_id": "u-judge-li", "name": "李合议", "role": "panel_member"},
    {"user_id": "u-assistant-zhao", "name": "赵助理", "role": "judge_assistant"},
    {"user_id": "u-clerk-liu", "name": "刘书记", "role": "clerk"},
]


def case_registered(case_number: str, **overrides):
    payload = {"case_number": case_number, "court": "吉01", "case_type": "民终", "category": "civil",
               "paperless": True, "department": "民一庭", "panel": PANEL, "registered_at": datetime.now(UTC)}
    payload |= overrides
    return REGISTRY.create("case.registered", payload, court="吉01", case_id=case_number)


@pytest.fixture(scope="module")
async def tokens(ac_service):
    """Bearer headers of the seeded demo accounts, by username (password grant) or client id."""
    _, client = ac_service
    cache: dict[str, dict[str, str]] = {}

    async def headers(who: str) -> dict[str, str]:
        if who not in cache:
            if who.startswith("station-") or who in ("intake", "scan-ocr", "catalog", "archive", "notifier"):
                form = {"grant_type": "client_credentials", "client_id": who, "client_secret": CLIENT_SECRETS[who]}
            else:
                form = {"grant_type": "password", "username": who, "password": "juanzong-demo"}
            r = await client.post("/v1/token", data=form)
            assert r.status_code == 200, r.text
            cache[who] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return cache[who]
    return headers


@pytest.fixture(scope="module")
async def registered_case(ac_service, publisher):
    """A case of 吉01 民一庭 registered through intake's event, with the demo panel."""
    app, _ = ac_service
    case_number = new_case_number()
    await publisher.publish(case_registered(case_number))

    async def stored():
        return await app.state.mongo.db["cases"].find_one({"_id": case_number})
    await wait_for(stored)
    return case_number


async def decide(client, headers, case_number, action="read_pages", **extra):
    r = await client.post("/v1/decisions", json={"action": action, "case_number": case_number, **extra},
                          headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def outbox_types(app) -> list[str]:
    return [d["routing_key"] async for d in app.state.mongo.db["outbox"].find({}, sort=[("created_at", 1)])]


# -- tokens --------------------------------------------------------------------------------------
async def test_tokens_discovery_refresh_and_revocation(ac_service):
    app, client = ac_service
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert jwks["keys"][0]["kid"] == app.state.ac.signing_key.kid and "d" not in jwks["keys"][0]
    oidc = (await client.get("/.well-known/openid-configuration")).json()
    assert oidc["issuer"] == "juanzong-access-control" and oidc["jwks_uri"].endswith("/.well-known/jwks.json")
    assert {"password", "client_credentials", "refresh_token"} <= set(oidc["grant_types_supported"])

    r = await client.post("/v1/token", data={"grant_type": "password", "username": "judge-wang",
                                             "password": "juanzong-demo"})
    pair = r.json()
    assert r.status_code == 200 and pair["token_type"] == "Bearer" and pair["refresh_token"]
    me = (await client.get("/v1/userinfo", headers={"Authorization": f"Bearer {pair['access_token']}"})).json()
    assert me["sub"] == "u-judge-wang" and set(me["roles"]) == {"judge", "presiding_judge"}
    assert me["court"] == "吉01" and me["dept"] == "民一庭"

    bad = await client.post("/v1/token", data={"grant_type": "password", "username": "judge-wang", "password": "x"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    assert bad.headers["content-type"].startswith("application/problem+json")

    station = await client.post("/v1/token", data={"grant_type": "client_credentials", "client_id": "station-01",
                                                   "client_secret": CLIENT_SECRETS["station-01"]})
    assert station.status_code == 200 and "refresh_token" not in station.json()
    wrong = await client.post("/v1/token", data={"grant_type": "client_credentials", "client_id": "catalog",
                                                 "client_secret": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"

    # refresh rotates: the old refresh token works once
    new = await client.post("/v1/token", data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]})
    assert new.status_code == 200 and new.json()["access_token"] != pair["access_token"]
    again = await client.post("/v1/token", data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    # a revoked access token is refused at once
    fresh = new.json()["access_token"]
    assert (await client.post("/v1/token/revoke", data={"token": fresh})).json()["revoked"] is True
    gone = await client.get("/v1/userinfo", headers={"Authorization": f"Bearer {fresh}"})
    assert gone.status_code == 401 and "撤销" in gone.json()["detail"]


async def test_expired_forged_and_wrong_audience_tokens_get_401(ac_service, registered_case):
    from datetime import timedelta

    from juanzong_access_control.adapters import tokens as tk
    from juanzong_access_control.adapters.repository import principal_of_user
    from juanzong_access_control.service_layer.identities import Revocations

    app, client = ac_service
    ac = app.state.ac
    judge = principal_of_user(await app.state.mongo.db["users"].find_one({"_id": "u-judge-li"}))
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    expired = tk.TokenService(ac.signing_key, issuer="juanzong-access-control", default_audience="juanzong",
                              revocations=Revocations(None), clock=lambda: an_hour_ago
                              ).issue_access(judge).token
    forged = tk.TokenService(tk.SigningKey.generate(kid=ac.signing_key.kid), issuer="juanzong-access-control",
                             default_audience="juanzong", revocations=Revocations(None)).issue_access(judge).token
    elsewhere = ac.tokens.issue_access(judge, audience="another-system").token
    for token, why in ((expired, "过期"), (forged, "签名"), (elsewhere, "受众"), ("not-a-jwt", "格式")):
        r = await client.post("/v1/decisions", json={"action": "read_pages", "case_number": registered_case},
                              headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, (why, r.text)
        assert why in r.json()["detail"] and r.headers["content-type"].startswith("application/problem+json")
    assert (await client.post("/v1/decisions", json={"action": "read_pages", "case_number": registered_case})
            ).status_code == 401


# -- decisions (第九条) ---------------------------------------------------------------------------
async def test_decision_route_refuses_bad_requests_like_any_route(ac_service, tokens, registered_case):
    """The decision route has its own lean request handler: same answers as FastAPI's for bad input."""
    _, client = ac_service
    li = await tokens("judge-li")
    json_type = {"Content-Type": "application/json"}

    async def post(content: bytes, headers: dict) -> tuple[int, dict]:
        r = await client.post("/v1/decisions", content=content, headers=headers)
        assert r.headers["content-type"].startswith("application/problem+json"), r.text
        return r.status_code, r.json()
    status, body = await post(b"{not json", li | json_type)
    assert status == 422 and body["errors"][0]["reason"] == "JSON decode error"
    status, body = await post(b'{"action": "fly", "case_number": ""}', li | json_type)
    assert status == 422 and {e["field"] for e in body["errors"]} == {"action", "case_number"}
    status, body = await post(b"", li | json_type)
    assert status == 422 and body["errors"][0]["field"] == "body"
    status, _ = await post(b'"\xcf', li | json_type)
    assert status == 400
    status, body = await post(b'{"action": "read_pages", "case_number": "x"}', {"Content-Type": "text/plain"} | li)
    assert status == 422 and body["errors"][0]["field"] == "body"
    status, _ = await post(b'{"action": "fly"}', json_type)  # the caller is checked before the fields
    assert status == 401



async def test_case_registered_builds_the_case_facts(ac_service, registered_case):
    app, _ = ac_service
    doc = await app.state.mongo.db["cases"].find_one({"_id": registered_case})
    assert doc["court"] == "吉01" and doc["department"] == "民一庭" and doc["finished"] is False
    assert doc["panel"] == {"undertaking_judge": "u-judge-wang", "presiding_judge": "u-judge-wang",
                            "members": ["u-judge-li"], "judge_assistants": ["u-assistant-zhao"],
                            "clerks": ["u-clerk-liu"]}


async def test_unfinished_case_panel_only_第九条(ac_service, tokens, registered_case):
    _, client = ac_service
    for action in ("read_pages", "read_text", "search"):
        outsider = await decide(client, await tokens("judge-chen"), registered_case, action)
        assert outsider["allowed"] is False and "第九条" in outsider["rule"], outsider
    member = await decide(client, await tokens("judge-li"), registered_case)
    assert member["allowed"] is True and "第九条" in member["rule"] and member["max_age"] > 0
    assert {"kind": "record_access", "rule": member["obligations"][0]["rule"]} in member["obligations"]
    for who in ("assistant-zhao", "clerk-liu", "judge-wang"):
        assert (await decide(client, await tokens(who), registered_case))["allowed"] is True
    unknown = await decide(client, await tokens("judge-li"), "（2026）吉01民终99999999号")
    assert unknown["allowed"] is False


async def test_submitted_to_committee_members_may_read_第九条(ac_service, tokens, publisher):
    _, client = ac_service
    case_number = new_case_number()
    await publisher.publish(case_registered(case_number))
    committee = await tokens("committee-wu")

    async def registered():
        return (await decide(client, await tokens("judge-li"), case_number))["allowed"]
    await wait_for(registered)
    assert (await decide(client, committee, case_number))["allowed"] is False
    await publisher.publish(REGISTRY.create("case.submitted_for_deliberation", {
        "case_number": case_number, "body": "adjudication_committee", "submitted_on": datetime.now(UTC).date(),
        "member_ids": None, "at": datetime.now(UTC)}, court="吉01", case_id=case_number))

    async def readable():
        d = await decide(client, committee, case_number)
        return d if d["allowed"] else None
    allowed = await wait_for(readable)
    assert "第九条" in allowed["rule"] and "审判委员会" in allowed["reason"]
    assert (await decide(client, await tokens("judge-chen"), case_number))["allowed"] is False


async def test_station_token_cannot_read_dossiers(ac_service, tokens, registered_case):
    _, client = ac_service
    station = await tokens("station-01")
    for action in ("read_pages", "read_text", "search", "read_archive"):
        d = await decide(client, station, registered_case, action)
        assert d["allowed"] is False and "第四条(一)3" in d["rule"]


async def test_panel_change_reaches_the_next_decision_without_a_stale_allow_第九条(ac_service, tokens, publisher):
    """Decisions keep running (and the cache warm) while intake moves judge-li off the panel: once the change
    is committed, no decision may still allow him — not even one that raced the commit."""
    app, client = ac_service
    db = app.state.mongo.db
    case_number = new_case_number()
    li = await tokens("judge-li")
    await publisher.publish(case_registered(case_number))

    async def readable():
        return (await decide(client, li, case_number))["allowed"]
    await wait_for(readable)

    stop = asyncio.Event()

    async def hammer() -> None:  # keeps loading and caching the case throughout the change
        while not stop.is_set():
            await decide(client, li, case_number)
            await asyncio.sleep(0)
    load = [asyncio.create_task(hammer()) for _ in range(3)]
    try:
        await asyncio.sleep(0.1)
        without_li = [m for m in PANEL if m["user_id"] != "u-judge-li"]
        await publisher.publish(case_registered(case_number, panel=without_li))

        async def committed():
            doc = await db["cases"].find_one({"_id": case_number})
            return doc is not None and "u-judge-li" not in doc["panel"]["members"]
        await wait_for(committed, interval=0.005)
        for _ in range(20):  # every decision after the commit is seen refuses him
            d = await decide(client, li, case_number)
            assert d["allowed"] is False and "第九条" in d["rule"], d
    finally:
        stop.set()
        await asyncio.gather(*load)
    assert (await decide(client, await tokens("judge-wang"), case_number))["allowed"] is True


# -- approvals (第九条) ---------------------------------------------------------------------------
async def test_approval_chain_in_order_opens_and_revoke_closes_第九条(ac_service, tokens, registered_case):
    app, client = ac_service
    outsider = await tokens("judge-chen")
    r = await client.post("/v1/access-requests", headers=outsider, json={
        "case_number": registered_case, "actions": ["read_pages", "read_text"], "purpose": "类案参考", "days": 3})
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["steps"] == ["undertaking_judge", "department_head", "supervising_leader"]
    rid = req["request_id"]

    early = await client.post(f"/v1/access-requests/{rid}/approve", headers=await tokens("head-sun"))
    assert early.status_code == 403 and "第九条" in early.json()["rule"]
    assert early.json()["next_step"] == "undertaking_judge"
    for who, status in (("judge-wang", "pending"), ("head-sun", "pending"), ("leader-zhou", "approved")):
        step = await client.post(f"/v1/access-requests/{rid}/approve", headers=await tokens(who))
        assert step.status_code == 200, step.text
        assert step.json()["status"] == status
    granted = await decide(client, outsider, registered_case)
    assert granted["allowed"] is True and granted["grant_id"] and "第九条" in granted["rule"]
    assert (await decide(client, outsider, registered_case))["allowed"] is True  # now served from the cache
    assert (await decide(client, outsider, registered_case, "search"))["allowed"] is False  # not in the grant

    revoked = await client.post(f"/v1/access-requests/{rid}/revoke", headers=await tokens("head-sun"),
                                json={"reason": "查阅目的已达到"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    for _ in range(3):  # no stale allow from the decision cache after the revocation
        assert (await decide(client, outsider, registered_case))["allowed"] is False
    types = await outbox_types(app)
    for t in ("access.request.created", "access.request.step_approved", "access.request.approved",
              "access.request.revoked"):
        assert t in types


# -- paper borrowing (第八条) --------------------------------------------------------------------
async def test_borrowing_limits_name_第八条(ac_service, tokens, registered_case):
    app, client = ac_service
    judge = await tokens("judge-wang")
    body = {"case_number": registered_case, "kind": "original_trial_paper",
            "materials": ["original_trial_archive"], "purpose": "核对原审证据原件"}
    long = await client.post("/v1/borrowings", headers=judge, json=body | {"days": 31})
    assert long.status_code == 422 and "第八条" in long.json()["rule"], long.text
    assert long.json()["errors"][0]["field"] == "days" and "30天" in long.json()["detail"]

    ids = []
    for _ in range(2):
        ok = await client.post("/v1/borrowings", headers=judge, json=body | {"days": 30})
        assert ok.status_code == 201, ok.text
        ids.append(ok.json()["borrowing_id"])
    third = await client.post("/v1/borrowings", headers=judge, json=body | {"days": 5})
    assert third.status_code == 409 and "第八条" in third.json()["rule"] and "第3次" in third.json()["detail"]

    wrong = await client.post(f"/v1/borrowings/{ids[0]}/approve", headers=await tokens("head-sun"))
    assert wrong.status_code == 403 and "第八条" in wrong.json()["rule"]
    approved = await client.post(f"/v1/borrowings/{ids[0]}/approve", headers=await tokens("leader-zhou"))
    assert approved.json()["status"] == "approved"
    lent = await client.post(f"/v1/borrowings/{ids[0]}/lend", headers=await tokens("filing-qian"))
    assert lent.json()["status"] == "lent" and lent.json()["due_at"]
    back = await client.post(f"/v1/borrowings/{ids[0]}/return", headers=await tokens("filing-qian"))
    assert back.json()["status"] == "returned"
    types = await outbox_types(app)
    assert {"borrowing.requested", "borrowing.approved", "borrowing.lent", "borrowing.returned"} <= set(types)


async def test_overdue_and_emergency_explanation_are_chased_第八条(ac_service, tokens, registered_case):
    from datetime import timedelta

    app, client = ac_service
    db = app.state.mongo.db
    judge = await tokens("judge-wang")
    r = await client.post("/v1/borrowings", headers=judge, json={
        "case_number": registered_case, "kind": "emergency", "materials": ["current_case_materials"], "days": 1,
        "purpose": "庭审中调取证据原件", "session": "hearing", "cause": "庭审中网络中断"})
    assert r.status_code == 201, r.text
    bid = r.json()["borrowing_id"]
    assert (await client.post(f"/v1/borrowings/{bid}/approve", headers=judge)).json()["status"] == "approved"
    assert (await client.post(f"/v1/borrowings/{bid}/lend", headers=await tokens("filing-qian"))).status_code == 200
    past = datetime.now(UTC) - timedelta(days=5)
    await db["borrowings"].update_one({"_id": bid}, {"$set": {
        "due_at": past.isoformat(), "q.due_at": past, "explanation_due_at": past.isoformat(),
        "q.explanation_due_at": past}})
    assert await app.state.ac.borrowings.chase() >= 2
    types = await outbox_types(app)
    assert "borrowing.overdue" in types and "borrowing.explanation_overdue" in types
    chased = (await client.get(f"/v1/borrowings/{bid}", headers=judge)).json()
    assert chased["overdue_notices"] == 1 and chased["explanation_chases"] == 1
    assert await app.state.ac.borrowings.chase() == 0  # not again within the reminder period
    explained = await client.post(f"/v1/borrowings/{bid}/explanation", headers=judge,
                                  json={"text": "庭审中网络中断，经审判长批准调取纸质材料。"})
    assert explained.status_code == 200 and explained.json()["explanation"]


# -- audit (全程留痕) -----------------------------------------------------------------------------
async def test_audit_chain_records_decisions_and_detects_an_edit(ac_service, tokens, registered_case):
    app, client = ac_service
    db = app.state.mongo.db
    tech = await tokens("tech-he")
    for _ in range(3):
        await decide(client, await tokens("judge-chen"), registered_case)
    await app.state.ac.audit.flush()
    trail = await client.get("/v1/audit", params={"case_number": registered_case}, headers=await tokens("head-sun"))
    assert trail.status_code == 200
    denied = [r for r in trail.json()["items"] if r["action"] == "decision" and r["actor"] == "u-judge-chen"]
    assert denied and denied[-1]["detail"]["allowed"] is False and "第九条" in denied[-1]["detail"]["rule"]
    nope = await client.get("/v1/audit", params={"case_number": registered_case}, headers=await tokens("judge-chen"))
    assert nope.status_code == 403
    huge = await client.get("/v1/audit", params={"after_seq": 2**64}, headers=await tokens("tech-he"))
    assert huge.status_code == 422 and huge.json()["errors"][0]["field"].endswith("after_seq")

    ok = (await client.get("/v1/audit/verify", headers=tech)).json()
    assert ok["ok"] is True and ok["checked"] >= 3 and ok["head_seq"] == ok["checked"]

    victim = denied[-1]["seq"]
    original = await db["audit_records"].find_one({"_id": victim})
    await db["audit_records"].update_one({"_id": victim}, {"$set": {"detail.allowed": True}})
    try:
        bad = (await client.get("/v1/audit/verify", headers=tech)).json()
        assert bad["ok"] is False and bad["first_bad_seq"] == victim and bad["problem"] == "hash_mismatch"
    finally:
        await db["audit_records"].replace_one({"_id": victim}, original)

    export = await client.get("/v1/audit/export", params={"case_number": registered_case}, headers=tech)
    lines = export.text.strip().splitlines()
    assert export.status_code == 200 and len(lines) >= 2 and "head_hash" in lines[0]


async def test_audit_verify_detects_a_deleted_record(ac_service, tokens, registered_case):
    app, client = ac_service
    db = app.state.mongo.db
    tech = await tokens("tech-he")
    for _ in range(3):
        await decide(client, await tokens("judge-chen"), registered_case)
    await app.state.ac.audit.flush()
    ok = (await client.get("/v1/audit/verify", headers=tech)).json()
    assert ok["ok"] is True
    middle = await db["audit_records"].find_one({"_id": 2})
    last = await db["audit_records"].find_one({}, sort=[("seq", -1)])
    await db["audit_records"].delete_one({"_id": 2})
    try:
        gap = (await client.get("/v1/audit/verify", headers=tech)).json()
        assert gap["ok"] is False and gap["first_bad_seq"] == 3 and gap["problem"] == "seq_gap"
    finally:
        await db["audit_records"].insert_one(middle)
    await db["audit_records"].delete_one({"_id": last["_id"]})
    try:
        cut = (await client.get("/v1/audit/verify", headers=tech)).json()
        assert cut["ok"] is False and cut["problem"] == "truncated"
    finally:
        await db["audit_records"].insert_one(last)
    assert (await client.get("/v1/audit/verify", headers=tech)).json()["ok"] is True
