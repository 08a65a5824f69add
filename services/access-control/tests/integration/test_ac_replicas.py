"""Two access-control replicas (same namespace, same database) on the real stack: a change made on one —
a grant revoked, a panel changed, a token revoked — is refused on the other at once, not after its cache
expires (吉高法〔2020〕11号 第九条: access by grant only while it is valid).

The cache TTL is set to 60 s and the revocation reload to an hour, so without the broadcast invalidation
replica B would keep allowing for that long; the tests demand a refusal within 2 s.
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
from juanzong_devstack.pytest_plugin import running_app, wait_for
from juanzong_shared.bus import Bus
from juanzong_shared.events import REGISTRY

pytestmark = pytest.mark.integration

TTL = 60  # the facts/grants cache TTL in these tests
WITHIN = 2.0  # how soon the other replica must refuse

PANEL = [
    {"user_id": "u-judge-wang", "name": "王审判", "role": "undertaking_judge"},
    {"user_id": "u-judge-wang", "name": "王审判", "role": "presiding_judge"},
    {"user_id": "u-judge-li", "name": "李合议", "role": "panel_member"},
    {"user_id": "u-clerk-liu", "name": "刘书记", "role": "clerk"},
]


def case_registered(case_number: str, **overrides):
    payload = {"case_number": case_number, "court": "吉01", "case_type": "民终", "category": "civil",
               "paperless": True, "department": "民一庭", "panel": PANEL, "registered_at": datetime.now(UTC)}
    payload |= overrides
    return REGISTRY.create("case.registered", payload, court="吉01", case_id=case_number)


def new_case_number() -> str:
    return f"（2026）吉01民终{uuid.uuid4().int % 10**8}号"


def make_app(env: dict[str, str]):
    with patch.dict(os.environ, env):  # the settings are read when the app is built
        from juanzong_access_control.entrypoints.app import create_app
        return create_app()


@pytest.fixture(scope="module")
async def replicas(embedded_stack, tmp_path_factory):
    """((app_a, client_a), (app_b, client_b)): two replicas sharing namespace, database and signing key.
    B does not consume the durable service queue, so every case event's effect is stored by A: B learns of
    it only through the broadcast."""
    env = embedded_stack.config.service_env("access-control")
    env |= {"JZ_MONGO_DB": "t_acr_" + uuid.uuid4().hex[:10], "JZ_SERVICE_NAME": "access-control",
            "JZ_DATA_DIR": str(tmp_path_factory.mktemp("ac-replicas")), "JZ_ENVIRONMENT": "test",
            "JZ_HOUSEKEEPING_SECONDS": "3600", "JZ_FACTS_CACHE_SECONDS": str(TTL),
            "JZ_LOG_JSON": "false", "JZ_LOG_LEVEL": "WARNING"}
    async with AsyncExitStack() as stack:
        app_a = make_app(env)
        client_a = await stack.enter_async_context(running_app(app_a))
        app_b = make_app(env)
        client_b = await stack.enter_async_context(running_app(app_b))
        for consumer in app_b.state.bus._consumers:  # B keeps only its broadcast subscription
            await consumer.stop(5)
        assert app_a.state.ac.decisions.facts.ttl == TTL
        yield (app_a, client_a), (app_b, client_b)


@pytest.fixture(scope="module")
async def publisher(embedded_stack):
    bus = Bus(embedded_stack.config.amqp_url, embedded_stack.config.namespace, "ac-replicas-publisher")
    await bus.connect()
    yield bus
    await bus.close(drain_timeout=2)


async def bearer(client, who: str) -> dict[str, str]:
    r = await client.post("/v1/token", data={"grant_type": "password", "username": who, "password": "juanzong-demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def decision(client, headers, case_number, action="read_pages"):
    return await client.post("/v1/decisions", json={"action": action, "case_number": case_number},
                             headers=headers)


async def allowed(client, headers, case_number) -> bool:
    r = await decision(client, headers, case_number)
    assert r.status_code == 200, r.text
    return r.json()["allowed"]


async def refused_within(check, within: float = WITHIN) -> float:
    """Seconds until ``check()`` says refused; fails if that takes longer than ``within``."""
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        elapsed = time.monotonic() - started
        assert elapsed < within, f"still allowed {elapsed:.2f} s after the change (cache TTL {TTL} s)"
        await asyncio.sleep(0.02)


async def register(app, publisher, case_number: str, **overrides) -> None:
    await publisher.publish(case_registered(case_number, **overrides))

    async def stored():
        return await app.state.mongo.db["cases"].find_one({"_id": case_number})
    await wait_for(stored)


async def test_grant_revoked_on_a_is_refused_on_b_at_once_第九条(replicas, publisher):
    (app_a, a), (app_b, b) = replicas
    case_number = new_case_number()
    await register(app_a, publisher, case_number)
    outsider_a, outsider_b = await bearer(a, "judge-chen"), await bearer(b, "judge-chen")
    assert await allowed(b, outsider_b, case_number) is False  # B caches "no grant" …

    r = await a.post("/v1/access-requests", headers=outsider_a, json={
        "case_number": case_number, "actions": ["read_pages"], "purpose": "类案参考", "days": 3})
    assert r.status_code == 201, r.text
    rid = r.json()["request_id"]
    for who in ("judge-wang", "head-sun", "leader-zhou"):
        step = await a.post(f"/v1/access-requests/{rid}/approve", headers=await bearer(a, who))
        assert step.status_code == 200, step.text
    assert step.json()["status"] == "approved"
    # … and hears of the grant issued on A
    await wait_for(lambda: allowed(b, outsider_b, case_number), timeout=WITHIN)
    loads = app_b.state.ac.decisions.grants.loads
    assert await allowed(b, outsider_b, case_number) is True
    assert app_b.state.ac.decisions.grants.loads == loads  # served from B's cache

    revoked = await a.post(f"/v1/access-requests/{rid}/revoke", headers=await bearer(a, "head-sun"),
                           json={"reason": "查阅目的已达到"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"

    async def b_refuses():
        return not await allowed(b, outsider_b, case_number)
    took = await refused_within(b_refuses)
    assert took < WITHIN
    for _ in range(5):
        assert await allowed(b, outsider_b, case_number) is False


async def test_panel_change_applied_by_a_is_refused_on_b_at_once_第九条(replicas, publisher):
    (app_a, _), (_, b) = replicas
    case_number = new_case_number()
    await register(app_a, publisher, case_number)
    li = await bearer(b, "judge-li")
    await wait_for(lambda: allowed(b, li, case_number))

    stop = asyncio.Event()

    async def hammer() -> None:  # B keeps loading and caching the case throughout the change
        while not stop.is_set():
            await allowed(b, li, case_number)
            await asyncio.sleep(0)
    load = [asyncio.create_task(hammer()) for _ in range(2)]
    try:
        await asyncio.sleep(0.1)
        await publisher.publish(case_registered(case_number, panel=[m for m in PANEL if m["user_id"] != "u-judge-li"]))

        async def committed():  # stored by A (B does not consume the durable queue)
            doc = await app_a.state.mongo.db["cases"].find_one({"_id": case_number})
            return doc is not None and "u-judge-li" not in doc["panel"]["members"]
        await wait_for(committed, interval=0.005)

        async def b_refuses():
            return not await allowed(b, li, case_number)
        await refused_within(b_refuses)
        for _ in range(10):  # and never allows again: no read that raced A's commit was cached
            assert await allowed(b, li, case_number) is False
    finally:
        stop.set()
        await asyncio.gather(*load)
    assert await allowed(b, await bearer(b, "judge-wang"), case_number) is True


async def test_token_revoked_on_a_is_refused_on_b_at_once(replicas, publisher):
    (app_a, a), (_, b) = replicas
    case_number = new_case_number()
    await register(app_a, publisher, case_number)
    wang = await bearer(a, "judge-wang")
    assert await allowed(b, wang, case_number) is True  # B verified the token and cached it
    assert await allowed(b, wang, case_number) is True

    token = wang["Authorization"].removeprefix("Bearer ")
    r = await a.post("/v1/token/revoke", data={"token": token})
    assert r.status_code == 200 and r.json()["revoked"] is True
    assert (await decision(a, wang, case_number)).status_code == 401  # A: at once (fast path)

    async def b_refuses():
        return (await decision(b, wang, case_number)).status_code == 401
    await refused_within(b_refuses)
    gone = await b.get("/v1/userinfo", headers=wang)
    assert gone.status_code == 401 and "撤销" in gone.json()["detail"]
    types = [d["routing_key"] async for d in app_a.state.mongo.db["outbox"].find({})]
    assert "access.token.revoked" in types
