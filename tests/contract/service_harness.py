"""Run any service's real app in-process on the embedded stack, with test tokens and a fake decider.

Shared by the contract (schemathesis) and bad-input suites; loaded by their conftest files (this is not a
test module). Each service gets a database of its own (``service_env``), its lifespan runs through
``running_app`` (real broker, SecantusDB, SeaweedFS), tokens are signed by a ``TokenFactory`` whose public key
the service trusts (access-control signs with the same key), and ``app.state.decider = FakeDecider()``.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from juanzong_devstack.pytest_plugin import delete_namespace_queues, running_app
from juanzong_devstack.stack import SERVICES
from juanzong_shared.bus import Bus
from juanzong_shared.db import Mongo
from juanzong_shared.outbox import OutboxRelay
from juanzong_shared.runtime import Runtime, Wiring, wire
from juanzong_shared.testing import FakeDecider, TokenFactory

ROLES = (
    "filing_division_staff",
    "judge",
    "clerk",
    "presiding_judge",
    "department_head",
    "supervising_leader",
    "archives_office_staff",
    "technology_office_staff",
)
COURT = "吉01"


@dataclass
class Running:
    service: str
    app: object
    client: object  # httpx.AsyncClient bound to the app
    tokens: TokenFactory
    env: dict[str, str]

    def headers(self, **kwargs) -> dict[str, str]:
        kwargs.setdefault("roles", ROLES)
        kwargs.setdefault("court", COURT)
        return self.tokens.headers("u-contract", **kwargs)

    async def count_documents(self) -> dict[str, int]:
        """Documents per collection of the service's own database (the outbox and ledger included)."""
        db = self.app.state.mongo.db
        names = sorted(await db.list_collection_names())
        return {name: await db[name].count_documents({}) for name in names}


def make_tokens(folder: Path) -> tuple[TokenFactory, dict[str, str]]:
    tokens = TokenFactory()
    folder.mkdir(parents=True, exist_ok=True)
    public = tokens.write_public_key(folder / "jwt-public.pem")
    private = folder / "jwt-private.pem"
    private.write_bytes(
        tokens.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return tokens, {"JZ_JWT_PUBLIC_KEY_FILE": public, "JZ_ACCESS_SIGNING_KEY_FILE": str(private)}


@asynccontextmanager
async def run_service(
    service: str, service_env, monkeypatch, folder: Path, tokens: TokenFactory | None = None, **overrides: str
) -> AsyncIterator[Running]:
    if tokens is None:
        tokens, key_env = make_tokens(folder)
    else:
        key_env = {
            "JZ_JWT_PUBLIC_KEY_FILE": str(folder / "jwt-public.pem"),
            "JZ_ACCESS_SIGNING_KEY_FILE": str(folder / "jwt-private.pem"),
        }
    # a bus namespace of its own: events other tests left on the shared broker must not land in this database
    namespace = overrides.pop("JZ_BUS_NAMESPACE", "jzb" + uuid.uuid4().hex[:10])
    env = service_env(
        service,
        **key_env,
        JZ_DATA_DIR=str(folder / f"data-{service}"),
        JZ_BUS_NAMESPACE=namespace,
        **overrides,
    )
    for key in ("JZ_JWT_JWKS_URL", "JZ_ACCESS_CONTROL_URL"):  # trust the test key; decide with the fake
        env.pop(key, None)
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    Path(env["JZ_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    module = importlib.import_module(SERVICES[service])
    app = module.create_app()
    app.state.decider = FakeDecider()
    async with running_app(app) as client:
        yield Running(service, app, client, tokens, env)
        await asyncio.sleep(0)
    try:  # the test database is throw-away
        from pymongo import AsyncMongoClient

        mongo = AsyncMongoClient(env["JZ_MONGO_URL"])
        await mongo.drop_database(env["JZ_MONGO_DB"])
        await mongo.close()
    except Exception:
        pass
    await asyncio.to_thread(delete_namespace_queues, namespace)


def service_names() -> list[str]:
    wanted = os.environ.get("JZ_CONTRACT_SERVICES")
    return sorted(wanted.split(",")) if wanted else sorted(SERVICES)


def _unconnected_runtime(service: str) -> Runtime:
    config = importlib.import_module(f"{SERVICES[service].split('.')[0]}.config")
    settings = config.ServiceSettings(_env_file=None) if hasattr(config, "ServiceSettings") else None
    assert settings is not None, f"{config.__name__} has no ServiceSettings"
    mongo = Mongo("mongodb://127.0.0.1:1", "contract")  # made, never connected
    bus = Bus("amqp://guest:guest@127.0.0.1:1/", "contract", settings.service_name, mongo=mongo)
    return Runtime(settings=settings, mongo=mongo, bus=bus, relay=OutboxRelay(mongo, bus.publish, service))


def wiring_of(service: str) -> Wiring:
    """The wiring a service's bootstrap returns, from a runtime whose clients were never connected."""
    module = importlib.import_module(f"{SERVICES[service].split('.')[0]}.bootstrap")
    runtime = _unconnected_runtime(service)
    return asyncio.run(wire(module.bootstrap, runtime))


