"""access-control's own doors, on the real embedded stack (issue 20): 第八条 limits under parallel requests, need to
know for borrowing records, read reports that carry a decision receipt, the audit chain anchored outside the database,
and the password grant's failure limits."""

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

# one secret per client, as the stack makes them (JZ_CLIENT_SECRETS wins over the stack's folder)
CLIENT_SECRETS = {c: secrets.token_urlsafe(24) for c in ("station-01", "catalog", "archive", "scan-ocr", "intake")}
ART8_1 = "吉高法〔2020〕11号 第八条(一)"
ART8_2 = "吉高法〔2020〕11号 第八条(二)"


def make_app(embedded_stack, data_dir, **extra: str):
    env = embedded_stack.config.service_env("access-control")
    env |= {"JZ_MONGO_DB": "t_ac_" + uuid.uuid4().hex[:10], "JZ_SERVICE_NAME": "access-control",
            "JZ_DATA_DIR": str(data_dir), "JZ_ENVIRONMENT": "test",
            "JZ_HOUSEKEEPING_SECONDS": "3600", "JZ_LOG_JSON": "false", "JZ_LOG_LEVEL": "WARNING",
            "JZ_CLIENT_SECRETS": json.dumps(CLIENT_SECRETS), **extra}
    with patch.dict(os.environ, env):  # the settings are read when the app is built
        from juanzong_access_control.entrypoints.app import create_app
        return create_app()


@pytest.fixture(scope="module")
async def ac_service(embedded_stack, tmp_path_factory):
    app = make_app(embedded_stack, tmp_path_factory.mktemp("ac-trust"))
    async with running_app(app) as client:
        yield app, client


@pytest.fixture(scope="module")
async def publisher(embedded_stack):
    bus = Bus(embedded_stack.config.amqp_url, embedded_stack.config.namespace, "ac-trust-publisher")
    await bus.connect()
    yield bus
    await bus.close(drain_timeout=2)


PANEL = [
    {"user_id": "u-judge-wang", "name": "王审判", "role": "undertaking_judge"},
    {"user_id": "u-judge-wang", "name": "王审判", "role": "presiding_judge"},
    {"user_id": "u-judge-li", "name": "李合议", "role": "panel_member"},
    {"user_id": "u-assistant-zhao", "name": "赵助理", "role": "judge_assistant"},
    {"user_id": "u-clerk-liu", "name": "刘书记", "role": "clerk"},
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client, who: str) -> dict[str, str]:
    if who in CLIENT_SECRETS:
        form = {"grant_type": "client_credentials", "client_id": who, "client_secret": CLIENT_SECRETS[who]}
    else:
        form = {"grant_type": "password", "username": who, "password": "juanzong-demo"}
    r = await client.post("/v1/token", data=form)
    assert r.status_code == 200, r.text
    return bearer(r.json()["access_token"])


@pytest.fixture(scope="module")
async def tokens(ac_service):
    _, client = ac_service
    cache: dict[str, dict[str, str]] = {}

    async def headers(who: str) -> dict[str, str]:
        if who not in cache:
            cache[who] = await login(client, who)
        return cache[who]
    return headers


async def register(app, publisher, **overrides) -> str:
    case_number = f"（2026）吉01民终{uuid.uuid4().int % 10**8}号"
    payload = {"case_number": case_number, "court": "吉01", "case_type": "民终", "category": "civil",
               "paperless": True, "department": "民一庭", "panel": PANEL, "registered_at": datetime.now(UTC)}
    payload |= overrides
    await publisher.publish(REGISTRY.create("case.registered", payload, court="吉01", case_id=case_number))

    async def stored():
        return await app.state.mongo.db["cases"].find_one({"_id": case_number})
    await wait_for(stored)
    return case_number


# -- 第八条 under parallel requests (item 9) ------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "material", "rule"), [
    ("original_trial_paper", "original_trial_archive", ART8_1),
    ("current_case_paper", "current_case_materials", ART8_2),
])
async def test_parallel_borrowing_requests_store_at_most_the_limit(ac_service, tokens, publisher, kind, material,
                                                                   rule):
    """第八条(一)/(二): two per case, even when six requests arrive at once."""
    app, client = ac_service
    case_number = await register(app, publisher)
    judges = [await tokens("judge-wang"), await tokens("judge-li")]
    body = {"case_number": case_number, "kind": kind, "materials": [material], "days": 5, "purpose": "核对证据"}
    answers = await asyncio.gather(*(client.post("/v1/borrowings", headers=judges[i % 2], json=body)
                                     for i in range(6)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 201, 409, 409, 409, 409], [a.text for a in answers]
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["rule"] == rule
    stored = await app.state.mongo.db["borrowings"].count_documents({"case_id": case_number, "kind": kind})
    assert stored == 2


async def test_a_denied_borrowing_gives_its_slot_back(ac_service, tokens, publisher):
    """第八条(二): a refused request does not count against the case's two."""
    app, client = ac_service
    case_number = await register(app, publisher)
    judge = await tokens("judge-wang")
    body = {"case_number": case_number, "kind": "current_case_paper", "materials": ["current_case_materials"],
            "days": 5, "purpose": "核对证据"}
    first, _ = [(await client.post("/v1/borrowings", headers=judge, json=body)).json() for _ in range(2)]
    assert (await client.post("/v1/borrowings", headers=judge, json=body)).status_code == 409
    denied = await client.post(f"/v1/borrowings/{first['borrowing_id']}/deny", headers=await tokens("head-sun"),
                               json={"reason": "可通过电子卷宗查阅"})
    assert denied.status_code == 200, denied.text
    again = await client.post("/v1/borrowings", headers=judge, json=body)
    assert again.status_code == 201, again.text
    assert (await client.post("/v1/borrowings", headers=judge, json=body)).status_code == 409


# -- need to know for borrowing records (items 6 and 10) ---------------------------------------------------
async def borrow(client, headers, case_number: str) -> dict:
    r = await client.post("/v1/borrowings", headers=headers, json={
        "case_number": case_number, "kind": "current_case_paper", "materials": ["current_case_materials"], "days": 3,
        "purpose": "核对证据"})
    assert r.status_code == 201, r.text
    return r.json()


async def trail(app, case_number: str, action: str) -> list[dict]:
    await app.state.ac.audit.flush()
    return [d async for d in app.state.mongo.db["audit_records"].find({"case_id": case_number, "action": action})]


async def test_borrowing_records_are_read_by_who_may_read_the_case_and_each_read_is_audited(ac_service, tokens,
                                                                                           publisher):
    """吉高法〔2020〕11号 第九条 (need to know), 法〔2016〕264号 一(三) (全程留痕)."""
    app, client = ac_service
    case_number = await register(app, publisher)
    b = await borrow(client, await tokens("judge-wang"), case_number)
    path = f"/v1/borrowings?case_number={case_number}"

    team = await client.get(path, headers=await tokens("judge-li"))
    assert team.status_code == 200 and [x["borrowing_id"] for x in team.json()["items"]] == [b["borrowing_id"]]
    reads = await trail(app, case_number, "read.borrowings")
    assert [r["actor"] for r in reads] == ["u-judge-li"] and reads[0]["detail"]["borrowings"] == [b["borrowing_id"]]

    outsider = await client.get(path, headers=await tokens("judge-chen"))
    assert outsider.status_code == 403 and "第九条" in outsider.json()["rule"]
    assert outsider.headers["content-type"].startswith("application/problem+json")
    one = await client.get(f"/v1/borrowings/{b['borrowing_id']}", headers=await tokens("judge-chen"))
    assert one.status_code == 403
    mine = await client.get("/v1/borrowings", headers=await tokens("judge-chen"))
    assert b["borrowing_id"] not in [x["borrowing_id"] for x in mine.json()["items"]]
    filing = await client.get("/v1/borrowings", headers=await tokens("filing-qian"))
    assert b["borrowing_id"] in [x["borrowing_id"] for x in filing.json()["items"]]
    assert [r["actor"] for r in await trail(app, case_number, "read.borrowings")] == ["u-judge-li", "u-filing-qian"]


async def test_a_station_reads_no_borrowings(ac_service, tokens, publisher):
    """吉高法〔2020〕11号 第四条(一)3: the scanning station scans and reads nothing."""
    app, client = ac_service
    case_number = await register(app, publisher)
    b = await borrow(client, await tokens("judge-wang"), case_number)
    station = await tokens("station-01")
    for path in (f"/v1/borrowings?case_number={case_number}", "/v1/borrowings", f"/v1/borrowings/{b['borrowing_id']}"):
        r = await client.get(path, headers=station)
        assert r.status_code == 403 and "第四条(一)3" in r.json()["rule"], (path, r.text)


async def test_borrowings_of_a_classified_case_do_not_exist_outside_its_team(ac_service, tokens, publisher):
    """吉高法〔2020〕11号 第十条: a 涉密 case is invisible (404, as an unknown case) outside its team and 立案庭."""
    app, client = ac_service
    secret_case = await register(app, publisher, secret=True)
    b = await borrow(client, await tokens("judge-wang"), secret_case)
    unknown = f"（2026）吉01民终{uuid.uuid4().int % 10**8}号"
    chen = await tokens("judge-chen")
    for case_number in (secret_case, unknown):
        r = await client.get(f"/v1/borrowings?case_number={case_number}", headers=chen)
        assert r.status_code == 404, r.text
    assert (await client.get(f"/v1/borrowings/{b['borrowing_id']}", headers=chen)).status_code == 404
    asked = await client.post("/v1/borrowings", headers=chen, json={
        "case_number": secret_case, "kind": "current_case_paper", "materials": ["current_case_materials"], "days": 3,
        "purpose": "x"})
    assert asked.status_code == 404
    assert (await client.get(f"/v1/borrowings?case_number={secret_case}",
                             headers=await tokens("judge-li"))).status_code == 200


# -- the audit trail: reads in nobody else's name, a head anchored outside the database (item 7) ----------------
async def decide(client, headers, case_number: str, action: str = "read_pages") -> dict:
    r = await client.post("/v1/decisions", json={"action": action, "case_number": case_number}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_read_is_recorded_in_the_name_its_decision_receipt_gives(ac_service, tokens, publisher):
    """法〔2016〕264号 一(三) 全程留痕: a service reports a read under the receipt of the decision that allowed it."""
    app, client = ac_service
    case_number = await register(app, publisher)
    other_case = await register(app, publisher)
    allowed = await decide(client, await tokens("judge-li"), case_number)
    assert allowed["allowed"] and allowed["receipt"]
    denied = await decide(client, await tokens("judge-chen"), case_number)
    assert not denied["allowed"] and denied["receipt"] is None
    catalog = await tokens("catalog")
    report = {"case_number": case_number, "action": "read_pages", "resources": ["page:p-1"],
              "receipt": allowed["receipt"]}

    ok = await client.post("/v1/audit/reads", headers=catalog, json=report | {"subject": "u-judge-li"})
    assert ok.status_code == 202, ok.text
    await app.state.ac.audit.flush()
    stored = await app.state.mongo.db["audit_records"].find_one({"seq": ok.json()["seq"]})
    assert stored["actor"] == "u-judge-li" and stored["detail"]["reported_by"] == "catalog"

    head, body, sig = allowed["receipt"].split(".")
    refusals = {
        "user token": (await tokens("judge-li"), report),
        "station": (await tokens("station-01"), report),
        "no receipt": (catalog, {k: v for k, v in report.items() if k != "receipt"}),
        "forged receipt": (catalog, report | {"receipt": f"{head}.{body}.{sig[:-4]}AAAA"}),
        "another's name": (catalog, report | {"subject": "u-judge-wang"}),
        "another case": (catalog, report | {"case_number": other_case}),
        "another action": (catalog, report | {"action": "read_archive"}),
        "an access token as receipt": (catalog, report | {"receipt": (await tokens("judge-li"))["Authorization"][7:]}),
    }
    before = await app.state.mongo.db["audit_records"].count_documents({"action": "read.read_pages"})
    for name, (headers, payload) in refusals.items():
        r = await client.post("/v1/audit/reads", headers=headers, json=payload)
        assert r.status_code == 403, (name, r.text)
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["rule"], name
    await app.state.ac.audit.flush()
    assert await app.state.mongo.db["audit_records"].count_documents({"action": "read.read_pages"}) == before


async def test_verify_detects_a_rewrite_of_the_whole_chain_and_its_head(ac_service, tokens, publisher):
    """法〔2016〕264号 一(三): the chain's head is anchored outside the database by a signed checkpoint in write-once
    storage. An operator with database access rewrites every record, recomputes every hash and the head: verify,
    which checks against the latest exported checkpoint, reports it; no new checkpoint is signed over it."""
    from juanzong_access_control.domain.audit import GENESIS_HASH, compute_hash

    app, client = ac_service
    db = app.state.mongo.db
    tech = await tokens("tech-he")
    case_number = await register(app, publisher)
    for who in ("judge-chen", "judge-li", "judge-chen"):
        await decide(client, await tokens(who), case_number)
    await app.state.ac.audit.flush()
    exported = await client.post("/v1/audit/checkpoints", headers=tech)
    assert exported.status_code == 201, exported.text
    checkpoint = exported.json()
    before = (await client.get("/v1/audit/verify", headers=tech)).json()
    assert before["ok"] and before["anchored"] and before["checkpoint_seq"] == checkpoint["seq"]

    # a checkpoint hidden by a delete marker is still found: every stored version is read
    store, bucket = app.state.ac.checkpoints.store.client, checkpoint["bucket"]
    names = [o.object_name for o in store.list_objects(bucket, prefix="checkpoints/" + db.name, recursive=True)]
    for name in names:
        store.remove_object(bucket, name)

    await app.state.ac.audit.flush()
    originals = [d async for d in db["audit_records"].find({}, sort=[("seq", 1)])]
    head_before = await db["audit_head"].find_one({"_id": "head"})
    try:
        prev = GENESIS_HASH
        for doc in originals:  # every record rewritten, every hash and link recomputed
            actor = "u-someone-else" if doc["actor"] == "u-judge-chen" else doc["actor"]
            digest = compute_hash(seq=doc["seq"], at=doc["at"], actor=actor, action=doc["action"],
                                  case_id=doc["case_id"], detail=doc["detail"], prev_hash=prev)
            await db["audit_records"].update_one({"_id": doc["_id"]}, {"$set": {
                "actor": actor, "prev_hash": prev, "hash": digest}})
            prev = digest
        await db["audit_head"].update_one({"_id": "head"}, {"$set": {"seq": originals[-1]["seq"], "hash": prev}})

        after = (await client.get("/v1/audit/verify", headers=tech)).json()
        assert after["ok"] is False and after["anchored"] is True, after
        assert after["problem"] == "checkpoint_mismatch" and after["first_bad_seq"] == checkpoint["seq"]
        again = await client.post("/v1/audit/checkpoints", headers=tech)
        assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    finally:
        for doc in originals:
            await db["audit_records"].replace_one({"_id": doc["_id"]}, doc)
        await db["audit_head"].replace_one({"_id": "head"}, head_before)
    assert (await client.get("/v1/audit/verify", headers=tech)).json()["ok"] is True


@pytest.fixture(scope="module")
async def tuned_service(embedded_stack, tmp_path_factory):
    """A second service with short periods: checkpoints every 0.2 s, a 2 s login failure window. Its own service name,
    so it does not take the case events of the first one's queue."""
    app = make_app(embedded_stack, tmp_path_factory.mktemp("ac-tuned"), JZ_AUDIT_CHECKPOINT_SECONDS="0.2",
                   JZ_LOGIN_WINDOW_SECONDS="2", JZ_LOGIN_MAX_FAILURES="5", JZ_SERVICE_NAME="access-control-tuned")
    async with running_app(app) as client:
        yield app, client


async def test_checkpoints_are_exported_periodically(tuned_service):
    """Checkpoints leave without anyone asking (a short period in this test)."""
    app, client = tuned_service
    tech = await login(client, "tech-he")
    r = await client.post("/v1/decisions", json={"action": "read_pages", "case_number": "（2026）吉01民终1号"},
                          headers=tech)
    assert r.status_code == 200
    await app.state.ac.audit.flush()
    head = await app.state.ac.audit.head()

    async def anchored():
        latest = await app.state.ac.checkpoints.latest()
        return latest is not None and latest.seq >= head[0]
    await wait_for(anchored, timeout=20)


# -- the password grant (item 13) ----------------------------------------------------------------------------
async def test_the_sixth_login_after_five_failures_is_refused_until_the_window_has_passed(tuned_service):
    """Five failed logins of one account: the sixth attempt is 429 with Retry-After even with the right password,
    for every replica (the count is in the database); after the window the right password works again."""
    app, client = tuned_service
    form = {"grant_type": "password", "username": "committee-wu"}
    for _ in range(5):
        wrong = await client.post("/v1/token", data=form | {"password": "guess"})
        assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    limited = await client.post("/v1/token", data=form | {"password": "juanzong-demo"})
    assert limited.status_code == 429, limited.text
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert int(limited.headers["Retry-After"]) >= 1
    counted = await app.state.mongo.db["login_failures"].find_one({"_id": "account:u-committee-wu"})
    assert counted["count"] == 5  # shared by every replica, not kept in one process

    async def allowed_again():
        return (await client.post("/v1/token", data=form | {"password": "juanzong-demo"})).status_code == 200
    await wait_for(allowed_again, timeout=15, interval=0.25)
