"""Case facts that decide on the real stack, on two access-control replicas (same namespace, same database; only A
consumes the durable queue, so B learns of every change through the broadcast): a 原审 link opens reading only and
closes on every replica within 2 s of an unlink or a return to the lower court (吉高法〔2020〕11号 第三条(二));
pages enter only a registered, in-scope, not 涉密, not archived case through a scan task of that case and a station
of its court (第三条(三)(八), 第十条, 第十四条); a case never registered here is a deny, not an error.

The facts cache TTL is 60 s: without the broadcast, B would keep allowing for that long.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from juanzong_access_control.adapters.passwords import hash_secret
from juanzong_devstack.pytest_plugin import running_app, wait_for
from juanzong_shared.bus import Bus
from juanzong_shared.events import REGISTRY

pytestmark = pytest.mark.integration

TTL = 60
WITHIN = 2.0
ART3_3 = "吉高法〔2020〕11号 第三条(三)"
ART3_3_2 = "吉高法〔2020〕11号 第三条(三)2"
ART3_8 = "吉高法〔2020〕11号 第三条(八)"
ART4_1_3 = "吉高法〔2020〕11号 第四条(一)3"
ART10 = "吉高法〔2020〕11号 第十条"
ART14 = "吉高法〔2020〕11号 第十四条"

PANEL = [
    {"user_id": "u-judge-wang", "name": "王审判", "role": "undertaking_judge"},
    {"user_id": "u-judge-wang", "name": "王审判", "role": "presiding_judge"},
    {"user_id": "u-judge-li", "name": "李合议", "role": "panel_member"},
    {"user_id": "u-clerk-liu", "name": "刘书记", "role": "clerk"},
]
ORIGINAL_PANEL = [{"user_id": "u-judge-chen", "name": "陈法官", "role": "undertaking_judge"}]
# clients this module makes for itself (independent of the development seed's secrets and scopes)
CLIENTS = {
    "station-t1": {"kind": "station", "court": "吉01", "scopes": ["scan:submit"], "department": "立案庭"},
    "station-t2": {"kind": "station", "court": "吉02", "scopes": ["scan:submit"], "department": "立案庭"},
    "svc-adder": {"kind": "service", "court": "吉01", "scopes": ["dossier:add_pages"], "department": None},
}
SECRET = "case-facts-test-secret-" + uuid.uuid4().hex


def new_case_number(kind: str = "民终", court: str = "吉01") -> str:
    return f"（2026）{court}{kind}{uuid.uuid4().int % 10**8}号"


def event(event_type: str, case_id: str, /, **payload):
    return REGISTRY.create(event_type, payload, court="吉01", case_id=case_id)


def case_registered(case_number: str, **overrides):
    payload = {"case_number": case_number, "court": "吉01", "case_type": "民终", "category": "civil",
               "paperless": True, "department": "民一庭", "panel": PANEL, "registered_at": datetime.now(UTC)}
    return event("case.registered", case_number, **(payload | overrides))


def make_app(env: dict[str, str]):
    with patch.dict(os.environ, env):  # the settings are read when the app is built
        from juanzong_access_control.entrypoints.app import create_app
        return create_app()


@pytest.fixture(scope="module")
async def replicas(embedded_stack, tmp_path_factory):
    env = embedded_stack.config.service_env("access-control")
    env |= {"JZ_MONGO_DB": "t_acf_" + uuid.uuid4().hex[:10], "JZ_SERVICE_NAME": "access-control",
            "JZ_DATA_DIR": str(tmp_path_factory.mktemp("ac-facts")), "JZ_ENVIRONMENT": "test",
            "JZ_HOUSEKEEPING_SECONDS": "3600", "JZ_FACTS_CACHE_SECONDS": str(TTL),
            "JZ_LOG_JSON": "false", "JZ_LOG_LEVEL": "WARNING"}
    async with AsyncExitStack() as stack:
        app_a = make_app(env)
        client_a = await stack.enter_async_context(running_app(app_a))
        app_b = make_app(env)
        client_b = await stack.enter_async_context(running_app(app_b))
        for consumer in app_b.state.bus._consumers:  # B keeps only its broadcast subscription
            await consumer.stop(5)
        secret_hash = hash_secret(SECRET)
        for client_id, fields in CLIENTS.items():
            await app_a.state.mongo.db["service_clients"].replace_one({"_id": client_id}, {
                "_id": client_id, "name": client_id, "secret_hash": secret_hash, "active": True, **fields},
                upsert=True)
        yield (app_a, client_a), (app_b, client_b)


@pytest.fixture(scope="module")
async def publisher(embedded_stack):
    bus = Bus(embedded_stack.config.amqp_url, embedded_stack.config.namespace, "ac-case-facts-publisher")
    await bus.connect()
    yield bus
    await bus.close(drain_timeout=2)


@pytest.fixture(scope="module")
async def bearer(replicas):
    """Bearer headers by username (password grant) or this module's client ids; a token works on both replicas."""
    (_, a), _ = replicas
    cache: dict[str, dict[str, str]] = {}

    async def headers(who: str) -> dict[str, str]:
        if who not in cache:
            form = ({"grant_type": "client_credentials", "client_id": who, "client_secret": SECRET} if who in CLIENTS
                    else {"grant_type": "password", "username": who, "password": "juanzong-demo"})
            r = await a.post("/v1/token", data=form)
            assert r.status_code == 200, r.text
            cache[who] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return cache[who]
    return headers


async def decide(client, headers, case_number: str, action: str = "read_pages", resource: str | None = None) -> dict:
    r = await client.post("/v1/decisions", headers=headers,
                          json={"action": action, "case_number": case_number, "resource": resource})
    assert r.status_code == 200, r.text
    return r.json()


async def stored(app, collection: str, query: dict) -> None:
    async def found():
        return await app.state.mongo.db[collection].find_one(query)
    await wait_for(found)


async def register(app, publisher, case_number: str, **overrides) -> None:
    await publisher.publish(case_registered(case_number, **overrides))
    await stored(app, "cases", {"_id": case_number})


async def linked_pair(replicas, publisher, **later_overrides) -> tuple[str, str]:
    """A registered 原审 (吉01 民初, 陈法官's) and a later 民终 of 吉01 (王审判's panel) that links it."""
    (app_a, _), _ = replicas
    original, later = new_case_number("民初"), new_case_number("民终")
    await register(app_a, publisher, original, case_type="民初", panel=ORIGINAL_PANEL)
    await register(app_a, publisher, later, **later_overrides)
    for refs in ({"e_dossier_ref": f"ED-{later}"}, {"e_archive_ref": f"EA-{later}"}):  # intake links record by record
        await publisher.publish(event("case.original.linked", later, case_number=later, original_case_number=original,
                                      manual=True, by="u-filing-qian", reason="补充关联原审", **refs))

    async def both_linked():
        doc = await app_a.state.mongo.db["case_links"].find_one({"_id": f"{original}|{later}"})
        return doc is not None and len(doc.get("records", ())) == 2
    await wait_for(both_linked)
    return original, later


async def refused_on_both(replicas, check, within: float = WITHIN) -> float:
    """Seconds until ``check(client)`` is False on both replicas; fails past ``within``."""
    (_, a), (_, b) = replicas
    started = time.monotonic()
    while True:
        if not await check(a) and not await check(b):
            return time.monotonic() - started
        elapsed = time.monotonic() - started
        assert elapsed < within, f"still allowed {elapsed:.2f} s after the change (cache TTL {TTL} s)"
        await asyncio.sleep(0.02)


async def link_closes_on_both(replicas, bearer, original: str, ending) -> None:
    """judge-li (the later case's panel) reads the original on both replicas, then ``ending()`` is published:
    both replicas refuse within 2 s and keep refusing, while replica B was caching the allow throughout."""
    (_, a), (_, b) = replicas
    li = await bearer("judge-li")

    async def reads(client) -> bool:
        return (await decide(client, li, original, "read_pages"))["allowed"]
    await wait_for(lambda: reads(a))
    await wait_for(lambda: reads(b))
    stop = asyncio.Event()

    async def hammer() -> None:
        while not stop.is_set():
            await reads(b)
            await asyncio.sleep(0)
    load = [asyncio.create_task(hammer()) for _ in range(2)]
    try:
        await asyncio.sleep(0.1)
        await ending()
        took = await refused_on_both(replicas, reads)
        assert took < WITHIN
        for _ in range(10):
            assert not await reads(a) and not await reads(b)
    finally:
        stop.set()
        await asyncio.gather(*load)


# -- 原审 links (item 1) ---------------------------------------------------------------------------
async def test_link_opens_only_reading_of_the_original_第三条二(replicas, publisher, bearer):
    """吉高法〔2020〕11号 第三条(二)(四): the later panel reads the linked 原审's e-dossier (search included), every
    such decision audited; the link opens no change, no case record and no pages."""
    (app_a, a), _ = replicas
    original, _later = await linked_pair(replicas, publisher)
    li = await bearer("judge-li")
    await wait_for(lambda: _allowed(a, li, original, "read_pages"))
    for action in ("read_text", "search"):
        d = await decide(a, li, original, action)
        assert d["allowed"] and "第三条(二)" in d["rule"] and d["receipt"], action
    for action in ("write", "manage", "read_case", "update_case", "close_case", "link_original", "add_pages"):
        d = await decide(a, li, original, action)
        assert not d["allowed"] and d["receipt"] is None, action

    async def audited():
        return await app_a.state.mongo.db["audit_records"].find_one(
            {"case_id": original, "actor": "u-judge-li", "detail.action": "search", "detail.allowed": True})
    await wait_for(audited)


async def _allowed(client, headers, case_number, action) -> bool:
    return (await decide(client, headers, case_number, action))["allowed"]


async def test_unlink_closes_the_original_on_every_replica_within_2s_第三条二(replicas, publisher, bearer):
    """吉高法〔2020〕11号 第三条(二): a wrong link removed by a person (case.original.unlinked) ends the later panel's
    reading of the 原审 on every replica within 2 s."""
    (app_a, a), (_, b) = replicas
    original, later = await linked_pair(replicas, publisher)

    async def unlink(**refs) -> None:
        await publisher.publish(event("case.original.unlinked", later, case_number=later,
                                      original_case_number=original, by="u-filing-qian", reason="关联错误", **refs))
    # one wrong record removed: the original stays open through the other
    await unlink(e_dossier_ref=f"ED-{later}")

    async def one_left():
        doc = await app_a.state.mongo.db["case_links"].find_one({"_id": f"{original}|{later}"})
        return doc is not None and [r["active"] for r in doc["records"]].count(True) == 1
    await wait_for(one_left)
    li = await bearer("judge-li")
    assert await _allowed(a, li, original, "read_pages") and await _allowed(b, li, original, "read_pages")
    await link_closes_on_both(replicas, bearer, original, lambda: unlink(e_archive_ref=f"EA-{later}"))


async def test_return_to_lower_court_closes_the_original_within_2s_第三条二(replicas, publisher, bearer):
    """吉高法〔2020〕11号 第三条(二): a case returned to the lower court (original e-dossier not attached) keeps no
    way into any 原审, on every replica within 2 s."""
    original, later = await linked_pair(replicas, publisher)

    async def send_back() -> None:
        await publisher.publish(event("case.returned_to_lower_court", later, case_number=later, lower_court="吉0102",
                                      reason="未挂接原审电子卷宗", missing=["原审电子卷宗"], at=datetime.now(UTC)))
    await link_closes_on_both(replicas, bearer, original, send_back)


async def test_link_from_a_classified_case_opens_nothing_第十条(replicas, publisher, bearer):
    """吉高法〔2020〕11号 第十条: a 涉密 later case works outside this system; its link reads nothing here."""
    (_, a), _ = replicas
    original, _later = await linked_pair(replicas, publisher, secret=True)
    d = await decide(a, await bearer("judge-li"), original, "read_pages")
    assert not d["allowed"]


# -- pages (item 2) --------------------------------------------------------------------------------
async def test_pages_only_for_a_registered_in_scope_case_of_the_stations_court_第三条三(replicas, publisher, bearer):
    """吉高法〔2020〕11号 第三条(三), 第十四条, 第十条: a station of the case's court adds pages to a registered,
    paperless, not 涉密 case; not to an out-of-scope, a 涉密 or an unregistered one; a station of another court
    adds nothing."""
    (app_a, a), (_, b) = replicas
    station, other_station = await bearer("station-t1"), await bearer("station-t2")
    ok, out_of_scope, secret = new_case_number(), new_case_number("刑终"), new_case_number()
    await register(app_a, publisher, ok)
    await register(app_a, publisher, out_of_scope, case_type="刑终", category="criminal", paperless=False)
    await register(app_a, publisher, secret, secret=True)
    for client in (a, b):
        d = await decide(client, station, ok, "add_pages")
        assert d["allowed"] and d["receipt"]
        assert ART14 in (await decide(client, station, out_of_scope, "add_pages"))["rule"]
        assert ART10 in (await decide(client, station, secret, "add_pages"))["rule"]
        unknown = await decide(client, station, new_case_number(court="吉02"), "add_pages")
        assert not unknown["allowed"] and unknown["rule"] == ART3_3 and "未登记" in unknown["reason"]
        d = await decide(client, other_station, ok, "add_pages")
        assert not d["allowed"] and ART4_1_3 in d["rule"]


async def test_service_adds_pages_for_a_station_job_of_a_task_of_the_case_第三条三2(replicas, publisher, bearer):
    """吉高法〔2020〕11号 第三条(三)2, 第四条(一)3: scan-ocr's service token adds a station job's pages only when the
    named station is an active station client of the case's court and the scan task (scan.task.created) belongs
    to the case."""
    (app_a, a), (_, b) = replicas
    adder, station = await bearer("svc-adder"), await bearer("station-t1")
    case_number, other_case = new_case_number(), new_case_number()
    await register(app_a, publisher, case_number)
    await register(app_a, publisher, other_case)
    task, other_task = f"st-{uuid.uuid4().hex[:8]}", f"st-{uuid.uuid4().hex[:8]}"
    for task_id, cn in ((task, case_number), (other_task, other_case)):
        await publisher.publish(event("scan.task.created", cn, scan_task_id=task_id, case_number=cn, state="created",
                                      at=datetime.now(UTC), court="吉01", sequence=1))
        await stored(app_a, "scan_tasks", {"_id": task_id})
    for client in (a, b):
        d = await decide(client, adder, case_number, "add_pages", f"station:station-t1;scan_task:{task}")
        assert d["allowed"], d
        assert (await decide(client, station, case_number, "add_pages", f"scan_task:{task}"))["allowed"]
        for resource, rule in ((f"station:station-t1;scan_task:{other_task}", ART3_3_2),
                               ("station:station-t1;scan_task:st-none", ART3_3_2),
                               (f"station:station-t2;scan_task:{task}", ART4_1_3),
                               (f"station:station-zz;scan_task:{task}", ART4_1_3),
                               (f"station:svc-adder;scan_task:{task}", ART4_1_3)):
            d = await decide(client, adder, case_number, "add_pages", resource)
            assert not d["allowed"] and rule in d["rule"], (resource, d)


async def test_archived_case_locked_on_every_replica_第三条八(replicas, publisher, bearer):
    """吉高法〔2020〕11号 第三条(八): once archived, the dossier is locked — no page is added, on either replica
    within 2 s of archive.archived."""
    (app_a, _), _ = replicas
    station = await bearer("station-t1")
    case_number = new_case_number()
    await register(app_a, publisher, case_number)

    async def adds(client) -> bool:
        return (await decide(client, station, case_number, "add_pages"))["allowed"]
    (_, a), (_, b) = replicas
    assert await adds(a) and await adds(b)  # cached on both
    await publisher.publish(event("archive.archived", case_number, case_number=case_number,
                                  archival_code="2026-吉01-民终-0001", package_key="pkg", at=datetime.now(UTC)))
    await refused_on_both(replicas, adds)
    d = await decide(b, station, case_number, "add_pages")
    assert d["rule"] == ART3_8


# -- need to know (items 5, 10) --------------------------------------------------------------------
async def test_case_record_and_changes_decided_per_case_第九条(replicas, publisher, bearer):
    """吉高法〔2020〕11号 第九条, 第三条(六), 第十条: the panel reads and moves its case, the 承办法官 closes it; a
    judge outside the panel does none of it; a 涉密 case answers a judge outside it with 第十条 (invisible)."""
    (app_a, a), _ = replicas
    case_number, secret = new_case_number(), new_case_number()
    await register(app_a, publisher, case_number)
    await register(app_a, publisher, secret, secret=True)
    wang, li, chen = await bearer("judge-wang"), await bearer("judge-li"), await bearer("judge-chen")
    assert (await decide(a, li, case_number, "read_case"))["allowed"]
    assert (await decide(a, li, case_number, "update_case"))["allowed"]
    assert not (await decide(a, li, case_number, "close_case"))["allowed"]
    assert (await decide(a, wang, case_number, "close_case"))["allowed"]
    for action in ("read_case", "update_case", "close_case", "link_original"):
        assert not (await decide(a, chen, case_number, action))["allowed"], action
        d = await decide(a, chen, secret, action)
        assert not d["allowed"] and ART10 in d["rule"], action
    assert (await decide(a, wang, secret, "read_case"))["allowed"]
    unknown = await decide(a, wang, new_case_number(), "read_case")
    assert not unknown["allowed"] and "未登记" in unknown["reason"]
