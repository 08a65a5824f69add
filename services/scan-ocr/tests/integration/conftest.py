"""scan-ocr on the real embedded stack: the API in-process, OCR workers as real subprocesses."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from fastapi import FastAPI
from juanzong_devstack.pytest_plugin import running_app
from juanzong_shared.auth import Identity
from juanzong_shared.testing import FakeDecider, TokenFactory

REPO = Path(__file__).resolve().parents[4]
CASE = "（2025）吉01民终123号"
LINES = ["吉林省长春市中级人民法院", "民事判决书", "上诉人（原审原告）：长春市宏达建筑工程有限公司。",
         "被上诉人（原审被告）：王某某，男，汉族，住吉林省长春市。", "本院认为，当事人对自己提出的诉讼请求所依据的事实，",
         "应当提供证据加以证明。判决如下：驳回上诉，维持原判。"]


def pagegen():
    spec = importlib.util.spec_from_file_location("jz_bench_pagegen", REPO / "bench" / "pagegen.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def page_png_bytes(dpi: int = 300, blur: float = 0.0, lines: list[str] | None = None, rotation: int = 0) -> bytes:
    gen = pagegen()
    image = gen.render_page(lines or LINES, "song", dpi, gen.Distortions(blur_sigma_px=blur, rotation=rotation))
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()


@pytest.fixture(scope="session")
def page_png():
    return page_png_bytes


@pytest.fixture(scope="session")
def scan_tokens(tmp_path_factory) -> tuple[TokenFactory, str]:
    factory = TokenFactory()
    return factory, factory.write_public_key(tmp_path_factory.mktemp("scan-keys") / "public.pem")


@dataclass
class ScanStack:
    env: dict[str, str]
    tmp: Path
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self, name: str = "w1") -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "juanzong_scan_ocr.entrypoints.worker"],
                                env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(proc)
        return proc

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.workers.clear()

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture
def scan_stack(embedded_stack, scan_tokens, tmp_path) -> ScanStack:
    _, key_file = scan_tokens
    env = embedded_stack.config.service_env("scan-ocr")
    env.update(JZ_SERVICE_NAME="scan-ocr", JZ_MONGO_DB="t_" + uuid.uuid4().hex[:12], JZ_JWT_JWKS_URL="",
               JZ_JWT_PUBLIC_KEY_FILE=key_file, JZ_ACCESS_CONTROL_URL="", JZ_OUTBOX_POLL_SECONDS="0.2",
               JZ_BUS_RETRY_DELAYS_MS="200,500", JZ_WORKER_METRICS_PORT="0", JZ_LOG_JSON="false",
               JZ_WORKER_DRAIN_SECONDS="30", JZ_MAX_FILE_BYTES="5000000")
    stack = ScanStack(env=env, tmp=tmp_path)
    yield stack
    stack.stop_workers()


@dataclass
class ScanApi:
    app: FastAPI
    client: httpx.AsyncClient
    tokens: TokenFactory

    def station(self, station: str = "station-01") -> dict[str, str]:
        return self.tokens.headers(station, kind="station", roles=("scanning_station",))

    def clerk(self) -> dict[str, str]:
        return self.tokens.headers("u-clerk-wang", roles=("filing_division_staff",))

    @property
    def db(self):
        return self.app.state.mongo.db

    @property
    def store(self):
        return self.app.state.store

    async def until(self, check: Callable[[], Any], timeout: float = 120.0, what: str = "condition") -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.25)
        raise AssertionError(f"{what} not met in {timeout:.0f} s")

    async def batch_done(self, batch_id: str, timeout: float = 180.0) -> dict:
        async def check():
            doc = await self.db["batches"].find_one({"_id": batch_id})
            return doc if doc and doc["completed"] else None
        return await self.until(check, timeout, f"batch {batch_id} complete")


@pytest.fixture
async def scan_api(scan_stack, scan_tokens, monkeypatch) -> AsyncIterator[ScanApi]:
    for key, value in scan_stack.env.items():
        monkeypatch.setenv(key, value)
    from juanzong_scan_ocr.entrypoints.app import create_app
    from juanzong_scan_ocr.service_layer.station_jobs import StationJobAccess

    app = create_app()
    app.state.decider = FakeDecider()  # says yes unless a test sets its ``allow``

    async def service_identity() -> Identity:  # scan-ocr's own account, for station jobs on the bus
        return Identity(subject="scan-ocr", kind="service", token="service-token")
    async with running_app(app) as client:
        app.state.station_jobs.access = StationJobAccess(lambda: app.state.decider, service_identity)
        yield ScanApi(app=app, client=client, tokens=scan_tokens[0])


@dataclass
class Tap:
    """Events as a consumer sees them: at-least-once delivery, deduplicated by event id (the envelope's
    idempotency key; two outbox relays may both publish an entry)."""

    queue: aio_pika.abc.AbstractQueue
    events: list[dict] = field(default_factory=list)
    deliveries: int = 0

    async def drain(self, seconds: float = 0.5) -> list[dict]:
        while True:
            message = await self.queue.get(no_ack=True, fail=False, timeout=5)
            if message is None:
                await asyncio.sleep(seconds)
                message = await self.queue.get(no_ack=True, fail=False, timeout=5)
                if message is None:
                    return self.events
            self.deliveries += 1
            event = json.loads(message.body)
            if all(e["event_id"] != event["event_id"] for e in self.events):
                self.events.append(event)

    def of(self, event_type: str, batch_id: str | None = None) -> list[dict]:
        return [e for e in self.events if e["event_type"] == event_type
                and (batch_id is None or e["payload"].get("batch_id") == batch_id)]


@pytest.fixture
async def tap(scan_stack) -> AsyncIterator[Tap]:
    """Every scan.* event published on the test namespace's exchange."""
    env = scan_stack.env
    connection = await aio_pika.connect_robust(env["JZ_AMQP_URL"])
    channel = await connection.channel()
    exchange = await channel.declare_exchange(env["JZ_BUS_NAMESPACE"] + ".events", aio_pika.ExchangeType.TOPIC,
                                              durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="scan.#")
    yield Tap(queue)
    await connection.close()
