"""The whole embedded stack for the end-to-end tests: started once per session as real processes.

Own SecantusDB and SeaweedFS (ports from ``JZ_TEST_PORT_BASE`` + 40.., clear of the integration fixtures'
base..base+17), the six services on ``JZ_TEST_SERVICE_PORT_BASE`` + 1..6, one OCR worker, and the machine's
RabbitMQ under a fresh namespace whose queues are deleted afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from juanzong_devstack.api_client import Api, ServiceUrls
from juanzong_devstack.pytest_plugin import delete_namespace_queues
from juanzong_devstack.stack import EmbeddedStack, StackConfig, StackError


def e2e_config(data_dir) -> StackConfig:
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
def e2e_api(e2e_stack) -> Iterator[Api]:
    api = Api(ServiceUrls.from_stack(e2e_stack.config))
    api.check_ready()
    yield api
    api.close()


@pytest.fixture(scope="session")
def do():
    """``do(job, title, fn)``: one step of the demo's job; a failure names the step and the service's answer."""
    import subprocess

    from juanzong_devstack.api_client import ApiError, StackNotRunning
    from juanzong_devstack.demo import JobFailed

    def run(job, title, fn) -> None:
        try:
            job.step(title, fn)
        except (ApiError, JobFailed, StackError, StackNotRunning, subprocess.SubprocessError, OSError) as error:
            pytest.fail(f"step “{title}” failed: {error}\n(service logs: {job.config.data_dir / 'logs'})",
                        pytrace=False)
    return run
