"""The intake service on the real embedded stack: one app per test, tokens signed by a test key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
import pytest
from fastapi import FastAPI
from juanzong_devstack.pytest_plugin import running_app
from juanzong_shared.testing import FakeDecider, TokenFactory

FILING = {"roles": ("filing_division_staff",), "court": "吉01"}


@pytest.fixture(scope="session")
def tokens(tmp_path_factory) -> tuple[TokenFactory, str]:
    factory = TokenFactory()
    path = factory.write_public_key(tmp_path_factory.mktemp("intake-keys") / "public.pem")
    return factory, path


@dataclass
class Intake:
    app: FastAPI
    client: httpx.AsyncClient
    tokens: TokenFactory

    def headers(self, who: dict[str, Any] | None = None, subject: str = "u-filing-sun") -> dict[str, str]:
        return self.tokens.headers(subject, **(who or FILING))

    @property
    def db(self):
        return self.app.state.mongo.db

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        return [d["event"] async for d in self.db["outbox"].find({"event.event_type": event_type})]

    async def until(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        for _ in range(int(timeout / 0.1)):
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError("condition not met in time")


@pytest.fixture
async def intake(service_env, apply_env, tokens) -> AsyncIterator[Intake]:
    factory, key_file = tokens
    apply_env(service_env("intake", JZ_JWT_JWKS_URL="", JZ_JWT_PUBLIC_KEY_FILE=key_file,
                          JZ_OUTBOX_POLL_SECONDS="0.2", JZ_BUS_RETRY_DELAYS_MS="200,500"))
    from juanzong_intake.entrypoints.app import create_app

    app = create_app()
    app.state.decider = FakeDecider()
    async with running_app(app) as client:
        yield Intake(app=app, client=client, tokens=factory)


@pytest.fixture
async def bus_tap(intake) -> AsyncIterator[Callable[..., Any]]:
    """A test queue bound to the exchange: ``await tap(*routing_keys)`` gives a queue to read events from."""
    settings = intake.app.state.settings
    connection = await aio_pika.connect_robust(settings.amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)

    async def tap(*keys: str) -> aio_pika.abc.AbstractQueue:
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in keys:
            await queue.bind(exchange, routing_key=key)
        return queue

    yield tap
    await connection.close()
