"""pytest fixtures for integration and end-to-end tests on the real embedded servers.

A test session gets its own SecantusDB and SeaweedFS (own ports and data folder, so a running dev stack
is not disturbed) and shares the machine's RabbitMQ under a namespace of its own, whose queues, exchange
and station users are deleted at the end. Secrets (one per client) are made in the session's data folder:
``client_secret(stack, "catalog")`` reads one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from juanzong_devstack.stack import EmbeddedStack, StackConfig, delete_namespace_users


def _test_config(data_dir) -> StackConfig:
    base = int(os.environ.get("JZ_TEST_PORT_BASE", "27200"))
    return StackConfig(
        data_dir=data_dir,
        amqp_url=os.environ.get("JZ_STACK_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        mongo_port=base, s3_port=base + 1, weed_port_base=base + 10,
        service_port_base=int(os.environ.get("JZ_TEST_SERVICE_PORT_BASE", "8200")),
        namespace="jzt" + uuid.uuid4().hex[:8], log_level="WARNING",
        db_user_per_service=False,  # in-process services get throw-away databases (JZ_MONGO_DB) of their own
    )


def delete_namespace_queues(namespace: str) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    if not os.path.exists(ctl):
        return
    try:
        out = subprocess.run([ctl, "list_queues", "-q", "name"], capture_output=True, text=True, timeout=60).stdout
        for name in out.split():
            if name.startswith(namespace + "."):
                subprocess.run([ctl, "delete_queue", name], capture_output=True, timeout=30)
        subprocess.run([ctl, "eval", f'rabbit_exchange:delete(rabbit_misc:r(<<"/">>, exchange, <<"{namespace}.events">>), false, <<"test">>).'],
                       capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        pass
    delete_namespace_users(namespace)


def client_secret(stack: EmbeddedStack, client_id: str) -> str:
    """The secret of ``client_id`` on this stack (made at its first start, ``<data_dir>/secrets/clients``)."""
    return stack.config.secrets.client_secret(client_id)


def e2e_config(data_dir) -> StackConfig:
    """The whole stack for end-to-end and security tests: ports from ``JZ_TEST_PORT_BASE`` + 40.. (clear of the
    integration fixtures' base..base+17) and ``JZ_TEST_SERVICE_PORT_BASE`` + 1..6 (+90.. for OCR workers)."""
    base = int(os.environ.get("JZ_TEST_PORT_BASE", "27200")) + 40
    return StackConfig(
        data_dir=data_dir,
        amqp_url=os.environ.get("JZ_STACK_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        mongo_port=base, s3_port=base + 1, weed_port_base=base + 10,
        service_port_base=int(os.environ.get("JZ_TEST_SERVICE_PORT_BASE", "8200")),
        namespace="jze2e" + uuid.uuid4().hex[:8], log_level="INFO", ocr_workers=1,
    )


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory) -> Iterator[EmbeddedStack]:
    """The whole embedded stack as real processes, once per test session (shared by tests/e2e and tests/security)."""
    from juanzong_devstack.stack import StackError

    stack = EmbeddedStack(e2e_config(tmp_path_factory.mktemp("jze2e")))
    try:
        try:
            stack.up(workers=1)
        except StackError as error:
            pytest.fail(f"the embedded stack did not start: {error}", pytrace=False)
        yield stack
    finally:
        stack.down()
        delete_namespace_queues(stack.config.namespace)


@pytest.fixture(scope="session")
def e2e_api(e2e_stack):
    from juanzong_devstack.api_client import Api, ServiceUrls

    api = Api(ServiceUrls.from_stack(e2e_stack.config), secrets_dir=e2e_stack.config.secrets_dir)
    api.check_ready()
    yield api
    api.close()


@pytest.fixture(scope="session")
def embedded_stack(tmp_path_factory) -> Iterator[EmbeddedStack]:
    """Broker, database and object storage of the embedded stack (real servers)."""
    stack = EmbeddedStack(_test_config(tmp_path_factory.mktemp("jzstack")))
    try:
        stack.start_infra()  # inside the try: what did start is stopped even when a later part fails
        yield stack
    finally:
        stack.down()
        delete_namespace_queues(stack.config.namespace)


@pytest.fixture
def service_env(embedded_stack, request) -> dict[str, str]:
    """JZ_ environment for an in-process service on the test stack, with a database of its own (and for the
    catalog, its page model, built when missing)."""
    def make(service: str, **overrides: str) -> dict[str, str]:
        if service == "catalog":
            embedded_stack.ensure_page_model()
        env = embedded_stack.config.service_env(service)
        env["JZ_MONGO_DB"] = "t_" + uuid.uuid4().hex[:12]
        env["JZ_SERVICE_NAME"] = service
        env.update(overrides)
        return env
    return make


@pytest.fixture
def apply_env(monkeypatch):
    def apply(env: dict[str, str]) -> None:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
    return apply


@asynccontextmanager
async def running_app(app) -> AsyncIterator:
    """Run an ASGI app's lifespan in-process and give an httpx client bound to it."""
    import httpx
    from asgi_lifespan import LifespanManager

    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
            yield client


async def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Poll the async ``predicate`` until it returns something truthy and return that; AssertionError after
    ``timeout`` seconds. For integration tests waiting on consumers and relays of the real stack."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met in {timeout:.0f} s")
        await asyncio.sleep(interval)
