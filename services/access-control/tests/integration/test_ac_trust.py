"""access-control's own doors, on the real embedded stack (issue 20): 第八条 limits under parallel requests, need to
know for borrowing records, read reports that carry a decision receipt, the audit chain anchored outside the database,
and the password grant's failure limits."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime

import pytest
from juanzong_devstack.pytest_plugin import running_app, wait_for
from juanzong_shared.bus import Bus
from juanzong_shared.events import REGISTRY

pytestmark = pytest.mark.integration

DEV_SECRET = "juanzong-dev-client-secret"
ART8_1 = "吉高法〔2020〕11号 第八条(一)"
ART8_2 = "吉高法〔2020〕11号 第八条(二)"


def make_app(embedded_stack, data_dir, **extra: str):
    env = embedded_stack.config.service_env("access-control")
    env |= {"JZ_MONGO_DB": "t_ac_" + uuid.uuid4().hex[:10], "JZ_SERVICE_NAME": "access-control",
            "JZ_DATA_DIR": str(data_dir), "JZ_ENVIRONMENT": "test",
            "JZ_HOUSEKEEPING_SECONDS": "3600", "JZ_LOG_JSON": "false", "JZ_LOG_LEVEL": "WARNING", **extra}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from juanzong_access_control.entrypoints.app import create_app
        return create_app()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


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
    if who.startswith("station-") or who in ("intake", "scan-ocr", "catalog", "archive", "notifier"):
        form = {"grant_type": "client_credentials", "client_id": who, "client_secret": DEV_SECRET}
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
    first, second = [(await client.post("/v1/borrowings", headers=judge, json=body)).json() for _ in range(2)]
    assert (await client.post("/v1/borrowings", headers=judge, json=body)).status_code == 409
    denied = await client.post(f"/v1/borrowings/{first['borrowing_id']}/deny", headers=await tokens("head-sun"),
                               json={"reason": "可通过电子卷宗查阅"})
    assert denied.status_code == 200, denied.text
    again = await client.post("/v1/borrowings", headers=judge, json=body)
    assert again.status_code == 201, again.text
    assert (await client.post("/v1/borrowings", headers=judge, json=body)).status_code == 409
