"""Fixtures of the fault suite: a RabbitMQ node of its own (never the machine's shared broker) and a
database + object storage of its own (an EmbeddedStack on separate ports), so the tests can stop and
restart each of them without disturbing anyone else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from juanzong_devstack.stack import EmbeddedStack, StackConfig, port_open

RABBITMQ_SERVER = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
RABBITMQCTL = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"


def _port_base() -> int:
    return int(os.environ.get("JZ_TEST_PORT_BASE", "27200")) + 60


class FaultBroker:
    """A separate RabbitMQ node (own name, ports, mnesia and logs in a temp dir) that a test may restart.

    The Debian wrapper runs the node as the ``rabbitmq`` user, so the folder is world-writable; the node
    shares the Erlang cookie of that user, which is what ``rabbitmqctl -n <node>`` authenticates with.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.dist_port = port + 1
        self.node = f"jzfault-{uuid.uuid4().hex[:8]}@localhost"
        self.dir = Path(tempfile.mkdtemp(prefix="jzfault-"))
        self.dir.chmod(0o777)
        (self.dir / "rabbitmq.conf").write_text("loopback_users = none\n")
        (self.dir / "enabled_plugins").write_text("[].\n")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        }
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self, timeout: float = 90) -> float:
        started = time.monotonic()
        log = open(self.dir / "server.out", "ab")
        self.proc = subprocess.Popen(
            [RABBITMQ_SERVER],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        while not port_open("127.0.0.1", self.port):
            if time.monotonic() - started > timeout or self.proc.poll() is not None:
                raise RuntimeError(f"fault RabbitMQ node {self.node} did not start; see {self.dir}")
            time.sleep(0.3)
        time.sleep(1.0)  # the listener opens slightly before logins are accepted
        return time.monotonic() - started

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [RABBITMQCTL, "-n", self.node, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
        )

    def stop(self, timeout: float = 60) -> None:
        self.ctl("stop", timeout=timeout)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
            self.proc = None
        deadline = time.monotonic() + 30
        while port_open("127.0.0.1", self.port) and time.monotonic() < deadline:
            time.sleep(0.2)

    def restart(self) -> float:
        """Stop the node (persistent messages and durable queues stay on disk) and start it again."""
        started = time.monotonic()
        self.stop()
        self.start()
        self.restarts += 1
        return time.monotonic() - started

    def queue_counts(self) -> dict[str, int]:
        out = self.ctl("list_queues", "-q", "name", "messages").stdout
        counts = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                counts[parts[0]] = int(parts[1])
        return counts


@pytest.fixture(scope="module")
def fault_broker():
    if not os.path.exists(RABBITMQ_SERVER):
        pytest.skip("rabbitmq-server is not installed")
    broker = FaultBroker(_port_base())
    if port_open("127.0.0.1", broker.port):
        pytest.skip(f"port {broker.port} is taken; set JZ_TEST_PORT_BASE")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(broker.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory, fault_broker):
    """SecantusDB + SeaweedFS of the fault suite only (own ports and data), on the fault broker."""
    base = _port_base()
    stack = EmbeddedStack(
        StackConfig(
            data_dir=tmp_path_factory.mktemp("jzfaultstack"),
            amqp_url=fault_broker.url,
            mongo_port=base + 5,
            s3_port=base + 6,
            weed_port_base=base + 20,
            service_port_base=base + 40,
            namespace="jzf" + uuid.uuid4().hex[:8],
            log_level="WARNING",
        )
    )
    try:
        stack.start_mongo()
        stack.start_s3()
        yield stack
    finally:
        stack.down()
