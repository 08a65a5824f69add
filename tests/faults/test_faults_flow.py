"""Faults in the middle of a flow of N events, on a small producer/consumer service built with the shared
library: (a) the broker restarts, (b) object storage is unreachable for 10 s, (c) the database server
restarts. Afterwards the counts prove every event was handled exactly once in effect and none was lost.

The service (``create_service_app``): ``POST /close/{i}`` stores a closure and emits ``case.closed``
through the outbox (idempotent: a retried request emits nothing new); the consumer of ``case.closed``
stores one effect per case, bumps a counter (a duplicate would show as counter > N), optionally writes an
object to S3, and emits ``case.stage.changed`` through the outbox; a second queue consumes that and stores a
follow-up. Bounded: ``JZ_FAULT_EVENTS`` (default 200) events per test, every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import APIRouter, Request
from juanzong_devstack.pytest_plugin import running_app
from juanzong_shared.app import BucketSpec, ServiceParts, create_service_app
from juanzong_shared.bus import Delivery, Subscription, handles
from juanzong_shared.events.intake import CaseClosed, CaseStageChanged
from juanzong_shared.events import REGISTRY
from juanzong_shared.outbox import transact
from juanzong_shared.settings import Settings
from pymongo.errors import DuplicateKeyError

pytestmark = [pytest.mark.integration, pytest.mark.slow]

N = int(os.environ.get("JZ_FAULT_EVENTS", "200"))
BUCKET = "jz-fault-effects"
DRAIN_SECONDS = 180


def case_number(i: int) -> str:
    return f"（2025）吉01民终{i}号"


def build_app(stack, *, write_objects: bool):
    c = stack.config
    settings = Settings(
        service_name="fault-svc-" + uuid.uuid4().hex[:4],
        amqp_url=c.amqp_url,
        bus_namespace=c.namespace,
        mongo_url=c.mongo_url,
        mongo_db="f_" + uuid.uuid4().hex[:10],
        s3_endpoint=c.s3_endpoint,
        s3_access_key=c.s3_access_key,
        s3_secret_key=c.s3_secret_key,
        log_level="WARNING",
        bus_retry_delays_ms=[300, 1_000, 3_000, 6_000, 10_000],
        bus_max_attempts=12,
        outbox_poll_seconds=0.5,
        startup_timeout_seconds=60,
    )
    router = APIRouter()

    @router.post("/close/{i}")
    async def close(i: int, request: Request) -> dict:
        app = request.app

        async def work(uow):
            try:
                await uow.db["closures"].insert_one({"_id": i, "at": datetime.now(UTC)}, session=uow.session)
            except DuplicateKeyError:
                return "again"  # a retried request whose first attempt committed: nothing new to emit
            uow.emit(
                REGISTRY.create(
                    "case.closed",
                    {"case_number": case_number(i), "closed_at": datetime.now(UTC)},
                    court="吉01",
                    case_id=case_number(i),
                )
            )
            return "new"

        return {"result": await transact(app.state.mongo, work, on_commit=app.state.outbox.notify)}

    @handles("case.closed")
    async def on_closed(payload: CaseClosed, delivery: Delivery):
        event, uow, number = delivery.event, delivery.uow, payload.case_number
        if write_objects:  # a failure here (storage down) retries the whole message
            await app.state.store.put_bytes(
                BUCKET, f"effects/{event.event_id}.json", event.to_json(), "application/json"
            )
        await uow.db["effects"].insert_one(
            {"_id": number, "event_id": str(event.event_id)}, session=uow.session
        )
        await uow.db["counters"].update_one(
            {"_id": "effects"}, {"$inc": {"n": 1}}, upsert=True, session=uow.session
        )
        uow.emit(
            REGISTRY.create(
                "case.stage.changed",
                {"case_number": number, "stage": "closed", "at": datetime.now(UTC)},
                court="吉01",
                case_id=number,
            )
        )

    @handles("case.stage.changed")
    async def on_stage(payload: CaseStageChanged, delivery: Delivery):
        uow = delivery.uow
        await uow.db["followups"].insert_one({"_id": payload.case_number}, session=uow.session)
        await uow.db["counters"].update_one(
            {"_id": "followups"}, {"$inc": {"n": 1}}, upsert=True, session=uow.session
        )

    app = create_service_app(
        settings,
        title="fault",
        description="fault-suite service",
        parts=ServiceParts(
            routers=[router],
            buckets=[BucketSpec(BUCKET)],
            subscriptions=[
                Subscription([on_closed]),
                Subscription([on_stage], name="followups"),
            ],
        ),
    )
    return app


async def post_all(client, *, concurrency: int = 4, progress: list | None = None) -> dict:
    """POST every closure, retrying each until it is answered 200 (the database may be down)."""
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(N):
        queue.put_nowait(i)
    stats = {"retries": 0, "new": 0, "again": 0}

    async def worker():
        while not queue.empty():
            i = queue.get_nowait()
            deadline = time.monotonic() + 120
            while True:
                try:
                    response = await client.post(f"/close/{i}", timeout=30)
                    if response.status_code == 200:
                        stats[response.json()["result"]] += 1
                        break
                except (httpx.HTTPError, OSError):
                    pass
                stats["retries"] += 1
                assert time.monotonic() < deadline, f"closure {i} not accepted within 120 s"
                await asyncio.sleep(0.3)
            if progress is not None:
                progress.append(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return stats


async def drained(app, expected: int, deadline_s: float = DRAIN_SECONDS) -> dict:
    db = app.state.mongo.db
    deadline = time.monotonic() + deadline_s
    counts = {}
    while time.monotonic() < deadline:
        try:
            counts = {
                "closures": await db["closures"].count_documents({}),
                "effects": await db["effects"].count_documents({}),
                "followups": await db["followups"].count_documents({}),
                "outbox_pending": await db["outbox"].count_documents({"published_at": None}),
            }
            if (
                counts["effects"] >= expected
                and counts["followups"] >= expected
                and not counts["outbox_pending"]
            ):
                await asyncio.sleep(2)  # let any duplicate that is still in flight land, then count for real
                break
        except Exception:
            pass
        await asyncio.sleep(0.5)
    counters = {d["_id"]: d["n"] async for d in db["counters"].find({})}
    counts.update(
        {
            "effects": await db["effects"].count_documents({}),
            "followups": await db["followups"].count_documents({}),
            "effect_counter": counters.get("effects", 0),
            "followup_counter": counters.get("followups", 0),
            "ledger": await db["processed_messages"].count_documents({}),
            "outbox_total": await db["outbox"].count_documents({}),
            "outbox_pending": await db["outbox"].count_documents({"published_at": None}),
        }
    )
    return counts


def assert_exactly_once(counts: dict, fault_broker, namespace: str) -> None:
    assert counts["closures"] == N, counts
    assert counts["outbox_total"] == 2 * N and counts["outbox_pending"] == 0, (
        counts
    )  # none lost before the bus
    assert counts["effects"] == N and counts["effect_counter"] == N, counts  # exactly once in effect
    assert counts["followups"] == N and counts["followup_counter"] == N, counts
    assert counts["ledger"] == 2 * N, counts
    dlq = {
        q: n for q, n in fault_broker.queue_counts().items() if q.startswith(namespace) and q.endswith(".dlq")
    }
    assert not any(dlq.values()), f"dead-lettered: {dlq}"


async def _run_with_fault(fault_stack, fault_broker, inject, *, write_objects=False):
    app = build_app(fault_stack, write_objects=write_objects)
    started = time.monotonic()
    async with running_app(app) as client:
        progress: list[int] = []
        poster = asyncio.create_task(post_all(client, progress=progress))
        while len(progress) < N // 3 and not poster.done():
            await asyncio.sleep(0.05)
        at_fault = {
            "posted": len(progress),
            "handled": await app.state.mongo.db["effects"].count_documents({}),
        }
        fault = await inject(app)
        stats = await asyncio.wait_for(poster, timeout=300)
        counts = await drained(app, N)
    elapsed = time.monotonic() - started
    print(f"\nN={N} fault={fault} at fault={at_fault} requests={stats} counts={counts} in {elapsed:.1f} s")
    assert at_fault["handled"] < N, "the flow was over before the fault: not mid-flow"
    assert_exactly_once(counts, fault_broker, fault_stack.config.namespace)
    return counts


async def test_broker_restart_mid_flow_loses_nothing(fault_stack, fault_broker):
    async def restart_broker(app):
        restarts = fault_broker.restarts
        seconds = await asyncio.to_thread(fault_broker.restart)
        assert fault_broker.restarts == restarts + 1
        return f"broker node restarted in {seconds:.1f} s"

    await _run_with_fault(fault_stack, fault_broker, restart_broker)


async def test_object_storage_unreachable_10s_mid_flow(fault_stack, fault_broker):
    """SeaweedFS stopped for 10 s while events flow (their handler writes objects) and a writer keeps putting."""
    writes = {"attempts": 0, "ok": 0, "failed_attempts": 0}
    written: list[str] = []
    outage = {}
    stop_writer = asyncio.Event()

    async def writer(store):
        i = 0
        while not stop_writer.is_set():
            key = f"writer/{i:05d}.txt"
            deadline = time.monotonic() + 90
            while True:
                writes["attempts"] += 1
                try:
                    await store.put_bytes(BUCKET, key, key.encode(), "text/plain")
                    writes["ok"] += 1
                    written.append(key)
                    break
                except Exception:
                    writes["failed_attempts"] += 1
                    assert time.monotonic() < deadline, f"{key} not stored within 90 s"
                    await asyncio.sleep(0.5)
            i += 1
            await asyncio.sleep(0.2)

    app = build_app(fault_stack, write_objects=True)
    async with running_app(app) as client:
        progress: list[int] = []
        writer_task = asyncio.create_task(writer(app.state.store))
        poster = asyncio.create_task(post_all(client, progress=progress))
        while len(progress) < N // 3 and not poster.done():
            await asyncio.sleep(0.05)
        at_fault = {
            "posted": len(progress),
            "handled": await app.state.mongo.db["effects"].count_documents({}),
        }
        t0 = time.monotonic()
        await asyncio.to_thread(fault_stack.procs.stop, "seaweedfs", 2.0)  # TERM, then KILL after 2 s
        down_at = time.monotonic()
        await asyncio.sleep(10)
        await asyncio.to_thread(fault_stack.start_s3)
        outage = {"unreachable": time.monotonic() - down_at, "total": time.monotonic() - t0}
        await asyncio.sleep(2)
        stop_writer.set()
        stats = await asyncio.wait_for(poster, timeout=300)
        await asyncio.wait_for(writer_task, timeout=120)
        counts = await drained(app, N)
        stored = await app.state.store.list_keys(BUCKET, "writer/")
        effects = await app.state.store.list_keys(BUCKET, "effects/")
        contents_ok = all([await app.state.store.get_bytes(BUCKET, k) == k.encode() for k in written])
    print(
        f"\nN={N} SeaweedFS unreachable {outage['unreachable']:.1f} s (stop+restart {outage['total']:.1f} s); "
        f"at fault={at_fault} requests={stats} counts={counts}; writer={writes}, "
        f"writer objects={len(stored)}, effect objects={len(effects)}"
    )
    assert at_fault["handled"] < N, "the flow was over before the fault: not mid-flow"
    assert_exactly_once(counts, fault_broker, fault_stack.config.namespace)
    assert outage["unreachable"] >= 10
    assert sorted(stored) == sorted(written) and contents_ok
    assert len(effects) >= N  # one per handled event (a retried handler may rewrite its own key)
    assert writes["failed_attempts"] > 0, "the writer never met the outage: the fault was not injected"


async def test_database_restart_mid_flow(fault_stack, fault_broker):
    async def restart_db(app):
        t0 = time.monotonic()
        before = fault_stack.procs.pid("secantusdb")
        await asyncio.to_thread(fault_stack.procs.stop, "secantusdb", 15.0)
        await asyncio.sleep(2)
        await asyncio.to_thread(fault_stack.start_mongo)
        after = fault_stack.procs.pid("secantusdb")
        assert before and after and before != after, (before, after)
        return (
            f"SecantusDB restarted (same data dir, pid {before} -> {after}) in {time.monotonic() - t0:.1f} s"
        )

    await _run_with_fault(fault_stack, fault_broker, restart_db)
