"""The embedded stack: RabbitMQ, SecantusDB (MongoDB wire protocol), SeaweedFS (S3) and the services,
as plain processes on one machine — no container engine.

Data lives under one folder (default ``var/`` at the repository root); a restart keeps it. Every port
is a setting (``JZ_STACK_*``); a taken port stops start-up with one line naming the setting to change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from juanzong_devstack.secrets import ADMIN_IDENTITY, STATION_COURT, STATIONS, STATIONS_BUCKET, StackSecrets

REPO_ROOT = Path(__file__).resolve().parents[4]
BIN = Path(sys.executable).parent

SERVICES: dict[str, str] = {  # name → module with create_app
    "access-control": "juanzong_access_control.entrypoints.app",
    "intake": "juanzong_intake.entrypoints.app",
    "scan-ocr": "juanzong_scan_ocr.entrypoints.app",
    "catalog": "juanzong_catalog.entrypoints.app",
    "archive": "juanzong_archive.entrypoints.app",
    "notifier": "juanzong_notifier.entrypoints.app",
}
SERVICE_PORT_OFFSETS = {"intake": 1, "scan-ocr": 2, "catalog": 3, "archive": 4, "access-control": 5, "notifier": 6}
OCR_WORKER_MODULE = "juanzong_scan_ocr.entrypoints.worker"
DB_ADMIN = "juanzong-admin"


def service_database(name: str) -> str:
    """A service's database (juanzong_shared.settings: ``juanzong_<service>``)."""
    return "juanzong_" + name.replace("-", "_")


class StackError(RuntimeError):
    """A start-up problem, said in one line with what to do."""


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{name}={value!r} is not a port number (1-65535)")
    return int(value)


@dataclass
class StackConfig:
    data_dir: Path
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    mongo_port: int = 27027
    s3_port: int = 8333
    weed_port_base: int = 19330
    service_port_base: int = 8100
    namespace: str = "juanzong"
    ocr_workers: int = 1
    log_level: str = "INFO"
    # each service logs in as its own database user (readWrite on its database only); integration tests that give
    # a service a throw-away database of its own (JZ_MONGO_DB) turn this off and use the stack's admin
    db_user_per_service: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    # catalog's page model, built by juanzong-train; one per checkout, shared by every stack and test session
    page_model: Path = field(default_factory=lambda: Path(
        os.environ.get("JZ_CATALOG_PAGE_MODEL", REPO_ROOT / "var/models/page-model.joblib")))

    @classmethod
    def from_env(cls) -> StackConfig:
        return cls(
            data_dir=Path(os.environ.get("JZ_STACK_DATA_DIR", REPO_ROOT / "var")).resolve(),
            amqp_url=os.environ.get("JZ_STACK_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
            mongo_port=_env_int("JZ_STACK_MONGO_PORT", 27027),
            s3_port=_env_int("JZ_STACK_S3_PORT", 8333),
            weed_port_base=_env_int("JZ_STACK_WEED_PORT_BASE", 19330),
            service_port_base=_env_int("JZ_STACK_SERVICE_PORT_BASE", 8100),
            ocr_workers=int(os.environ.get("JZ_STACK_OCR_WORKERS", "1")),
            # a second stack on the same RabbitMQ needs its own exchange and queues
            namespace=os.environ.get("JZ_STACK_BUS_NAMESPACE") or "juanzong",
            log_level=os.environ.get("JZ_LOG_LEVEL", "INFO"),
        )

    @property
    def secrets(self) -> StackSecrets:
        """This stack's secrets folder (``<data_dir>/secrets``)."""
        return StackSecrets(self.data_dir)

    @property
    def secrets_dir(self) -> Path:
        return self.secrets.root

    @property
    def s3_admin_keys(self) -> tuple[str, str]:
        """The stack's own S3 identity (readiness probe, buckets); no service gets it."""
        return self.secrets.s3_keys(ADMIN_IDENTITY)

    @property
    def s3_access_key(self) -> str:
        return self.s3_admin_keys[0]

    @property
    def s3_secret_key(self) -> str:
        return self.s3_admin_keys[1]

    def station_credentials_file(self, station_id: str = STATIONS[0]) -> Path:
        return self.secrets.station_file(station_id)

    def broker_user(self, station_id: str) -> str:
        """The RabbitMQ user of a scanning station: ``<namespace>.<station_id>``."""
        return f"{self.namespace}.{station_id}"

    @property
    def mongo_url(self) -> str:
        """The stack's admin (every database): for the stack itself and tests with databases of their own."""
        password = quote(self.secrets.db_password(DB_ADMIN), safe="")
        return (f"mongodb://{DB_ADMIN}:{password}@127.0.0.1:{self.mongo_port}/"
                "?directConnection=true&authSource=admin")

    @property
    def mongo_url_without_auth(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true"

    @property
    def mongo_address(self) -> str:
        return f"127.0.0.1:{self.mongo_port}"

    def service_mongo_url(self, name: str) -> str:
        """``name``'s own database user: readWrite on ``juanzong_<name>`` and nothing else."""
        if not self.db_user_per_service:
            return self.mongo_url
        db = service_database(name)
        password = quote(self.secrets.db_password(name), safe="")
        return f"mongodb://{name}:{password}@127.0.0.1:{self.mongo_port}/{db}?directConnection=true&authSource={db}"

    @property
    def s3_endpoint(self) -> str:
        return f"127.0.0.1:{self.s3_port}"

    def service_port(self, name: str) -> int:
        return self.service_port_base + SERVICE_PORT_OFFSETS.get(name, 50)

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.service_port(name)}"

    @property
    def amqp_host_port(self) -> tuple[str, int]:
        rest = self.amqp_url.split("@", 1)[-1].split("/", 1)[0]
        host, _, port = rest.partition(":")
        return host or "127.0.0.1", int(port or 5672)

    def service_env(self, name: str) -> dict[str, str]:
        """The JZ_ settings a service process gets on this stack: its own S3 identity and client secret file
        (never another client's secret; access-control gets the clients folder to register them)."""
        access_key, secret_key = self.secrets.s3_keys(f"svc-{name}")
        env = {
            "JZ_AMQP_URL": self.amqp_url,
            "JZ_BUS_NAMESPACE": self.namespace,
            "JZ_MONGO_URL": self.service_mongo_url(name),
            "JZ_S3_ENDPOINT": self.s3_endpoint,
            "JZ_S3_ACCESS_KEY": access_key,
            "JZ_S3_SECRET_KEY": secret_key,
            "JZ_S3_SECURE": "false",
            "JZ_HTTP_PORT": str(self.service_port(name)),
            "JZ_PUBLIC_BASE_URL": self.service_url(name),
            "JZ_LOG_LEVEL": self.log_level,
            "JZ_JWT_JWKS_URL": self.service_url("access-control") + "/.well-known/jwks.json",
            "JZ_ACCESS_CONTROL_URL": self.service_url("access-control"),
            "JZ_DATA_DIR": str(self.data_dir / "services" / name),
            "JZ_SERVICE_URLS": json.dumps({n: self.service_url(n) for n in SERVICES}),
        }
        if name == "catalog":
            env["JZ_CATALOG_PAGE_MODEL"] = str(self.page_model.resolve())
        if name == "access-control":
            env["JZ_CLIENT_SECRETS_DIR"] = str(self.secrets.clients_dir)
        elif name in SERVICES:
            env["JZ_CLIENT_ID"] = name
            env["JZ_CLIENT_SECRET_FILE"] = str(self.secrets.client_secret_file(name))
        env.update(self.extra_env)
        return env

    def station_credentials(self, station_id: str, amqp_url: str | None = None) -> dict[str, object]:
        """What a scanning station needs (the station CLI's ``--credentials`` file)."""
        access_key, secret_key = self.secrets.s3_keys(station_id)
        return {
            "client_id": station_id, "client_secret": self.secrets.client_secret(station_id),
            "court": STATION_COURT, "amqp_url": amqp_url or self.amqp_url, "bus_namespace": self.namespace,
            "s3_endpoint": self.s3_endpoint, "s3_access_key": access_key, "s3_secret_key": secret_key,
            "s3_secure": False, "s3_bucket": STATIONS_BUCKET, "s3_prefix": f"{station_id}/",
            "access_control_url": self.service_url("access-control"), "intake_url": self.service_url("intake"),
            "scan_ocr_url": self.service_url("scan-ocr"),
        }


def amqp_url_with_user(amqp_url: str, user: str, password: str) -> str:
    """``amqp_url`` with its user and password replaced."""
    scheme, _, rest = amqp_url.partition("://")
    host = rest.split("@", 1)[-1]
    return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{host}"


def rabbitmqctl() -> str | None:
    found = shutil.which("rabbitmqctl") or ("/usr/sbin/rabbitmqctl" if Path("/usr/sbin/rabbitmqctl").exists() else None)
    return found


def ensure_station_broker_user(namespace: str, station_id: str, password: str) -> None:
    """The station's own RabbitMQ user: may publish only ``scan-ocr.job.process`` on ``<ns>.events`` and nothing
    else (no queue, no exchange of its own, no reads). Raises StackError when rabbitmqctl fails."""
    ctl = rabbitmqctl()
    if ctl is None:
        raise StackError("rabbitmqctl not found")
    user = f"{namespace}.{station_id}"
    exchange = f"{namespace}.events"

    def run(*args: str, ok_if: str | None = None) -> None:
        result = subprocess.run([ctl, *args], check=False, capture_output=True, text=True, timeout=60)
        if result.returncode != 0 and not (ok_if and ok_if in (result.stdout + result.stderr)):
            raise StackError(f"rabbitmqctl {args[0]} {user} failed: {(result.stderr or result.stdout).strip()[-300:]}")

    run("add_user", user, password, ok_if="already exists")
    run("change_password", user, password)
    run("set_permissions", "-p", "/", user, "^$", f"^{re.escape(exchange)}$", "^$")
    run("set_topic_permissions", "-p", "/", user, exchange, r"^scan-ocr\.job\.process$", "^$")


def delete_namespace_users(namespace: str) -> None:
    """Remove the broker users a stack of ``namespace`` created (test stacks, at ``down``)."""
    ctl = rabbitmqctl()
    if ctl is None:
        return
    try:
        out = subprocess.run([ctl, "list_users", "-q", "--formatter", "json"], check=False, capture_output=True,
                             text=True, timeout=60).stdout
        users = [u.get("user", "") for u in json.loads(out or "[]")]
    except (OSError, subprocess.SubprocessError, ValueError):
        return
    for user in users:
        if user.startswith(namespace + "."):
            subprocess.run([ctl, "delete_user", user], check=False, capture_output=True, timeout=60)


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def wait_port(host: str, port: int, timeout: float, what: str, proc: subprocess.Popen | None = None,
              log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-1500:] if log and log.exists() else ""
            raise StackError(f"{what} exited during start-up (code {proc.returncode}); see {log}\n{tail}")
        time.sleep(0.2)
    raise StackError(f"{what} did not open port {port} within {timeout:.0f} s; see {log}")


class ProcessTable:
    """Processes the stack started, by name, with pid files so ``down`` works from another shell."""

    def __init__(self, data_dir: Path) -> None:
        self.run_dir = data_dir / "run"
        self.log_dir = data_dir / "logs"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def pid(self, name: str) -> int | None:
        path = self.run_dir / f"{name}.pid"
        if not path.exists():
            return None
        try:
            pid = int(path.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (ValueError, ProcessLookupError, PermissionError):
            path.unlink(missing_ok=True)
            return None

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.run_dir.glob("*.pid"))

    def start(self, name: str, argv: list[str], env: Mapping[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.Popen:
        log = self.log_dir / f"{name}.log"
        handle = open(log, "ab")
        proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True)
        handle.close()
        (self.run_dir / f"{name}.pid").write_text(str(proc.pid))
        return proc

    def stop(self, name: str, grace: float = 10.0) -> bool:
        pid = self.pid(name)
        if pid is None:
            return False
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            try:  # reap if it is our child
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            except ChildProcessError:
                pass
            time.sleep(0.1)
        else:  # did not stop in time (SeaweedFS can take a while): escalate
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
        return True

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"


class EmbeddedStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.procs = ProcessTable(config.data_dir)

    # -- infrastructure -------------------------------------------------------------------------
    def _claim_port(self, port: int, owner: str, setting: str, what: str) -> bool:
        """True when our own process already serves the port; raise when someone else holds it."""
        if not port_open("127.0.0.1", port):
            return False
        if self.procs.pid(owner) is not None:
            return True
        raise StackError(f"port {port} ({what}) is taken by another program: stop it or set {setting}")

    def start_rabbitmq(self, timeout: float = 90) -> str:
        host, port = self.config.amqp_host_port
        if port_open(host, port):
            return f"using the RabbitMQ already listening on {host}:{port}"
        if host not in ("127.0.0.1", "localhost"):
            raise StackError(f"RabbitMQ at {host}:{port} is not reachable: check JZ_STACK_AMQP_URL")
        server = shutil.which("rabbitmq-server") or ("/usr/sbin/rabbitmq-server"
                                                     if Path("/usr/sbin/rabbitmq-server").exists() else None)
        if server is None:
            raise StackError("no RabbitMQ on 127.0.0.1:5672 and rabbitmq-server is not installed: "
                             "run scripts/bootstrap (apt-get install rabbitmq-server)")
        subprocess.run([server, "-detached"], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(host, port, timeout, "rabbitmq-server")
        time.sleep(2)  # the port opens slightly before the broker accepts logins
        return f"started rabbitmq-server on {host}:{port}"

    def start_mongo(self, timeout: float = 60) -> str:
        """SecantusDB with SCRAM users (``--auth``): the stack's admin and one user per service with readWrite on
        that service's database only. Users are made on the first start (without auth, then restarted with it)."""
        c = self.config
        port = c.mongo_port
        if self._claim_port(port, "secantusdb", "JZ_STACK_MONGO_PORT", "database"):
            return f"SecantusDB already running on {port}"
        storage = c.data_dir / "mongo"
        storage.mkdir(parents=True, exist_ok=True)
        provisioned = storage / ".jz-users"
        if not provisioned.exists():
            self._run_mongo(storage, timeout, auth=False)
            self._ensure_db_users(c.mongo_url_without_auth, create_admin=True)
            self.procs.stop("secantusdb")
            provisioned.write_text("SCRAM users made by the embedded stack\n")
        self._run_mongo(storage, timeout, auth=True)
        self._ensure_db_users(c.mongo_url, create_admin=False)
        return f"SecantusDB on 127.0.0.1:{port} (data {storage}; a user per service, --auth)"

    def _run_mongo(self, storage: Path, timeout: float, *, auth: bool) -> None:
        port = self.config.mongo_port
        proc = self.procs.start("secantusdb", [str(BIN / "secantusd-py"), "--host", "127.0.0.1", "--port", str(port),
                                               "--storage-path", str(storage), "--log-level", "WARNING",
                                               *(["--auth"] if auth else [])])
        wait_port("127.0.0.1", port, timeout, "SecantusDB", proc, self.procs.log("secantusdb"))

    def _ensure_db_users(self, url: str, *, create_admin: bool) -> None:
        from pymongo import MongoClient
        from pymongo.errors import OperationFailure

        c = self.config
        client = MongoClient(url, serverSelectionTimeoutMS=20_000)
        try:
            def upsert(db: str, user: str, password: str, roles: list[dict]) -> None:
                try:
                    client[db].command("createUser", user, pwd=password, roles=roles)
                except OperationFailure as error:
                    if "already exists" not in str(error):
                        raise StackError(f"SecantusDB: cannot create user {user}: {error}") from None
                    client[db].command("updateUser", user, pwd=password, roles=roles)
            if create_admin:
                upsert("admin", DB_ADMIN, c.secrets.db_password(DB_ADMIN), [{"role": "root", "db": "admin"}])
            for name in SERVICES:
                db = service_database(name)
                upsert(db, name, c.secrets.db_password(name), [{"role": "readWrite", "db": db}])
        finally:
            client.close()

    def start_s3(self, timeout: float = 90) -> str:
        c = self.config
        if self._claim_port(c.s3_port, "seaweedfs", "JZ_STACK_S3_PORT", "S3"):
            return f"SeaweedFS S3 already running on {c.s3_port}"
        base = c.weed_port_base
        # HTTP ports base..base+3 and gRPC ports base+4..base+7, all explicit: SeaweedFS's default gRPC port
        # (HTTP + 10000) lands in Linux's ephemeral range, where an outgoing connection may hold it at restart.
        for p in range(base, base + 8):
            if port_open("127.0.0.1", p):
                raise StackError(f"port {p} (SeaweedFS internal) is taken by another program: "
                                 "set JZ_STACK_WEED_PORT_BASE")
        data = c.data_dir / "s3"
        data.mkdir(parents=True, exist_ok=True)
        # security.toml (JWT signing of volume and filer) is read from SeaweedFS's working folder
        config_dir = c.secrets.seaweedfs_dir()
        (c.data_dir / "s3-identities.json").unlink(missing_ok=True)  # the shared identity of older stacks
        weed = shutil.which("weed", path=str(BIN)) or "weed"
        proc = self.procs.start("seaweedfs", [
            weed, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={base}", f"-volume.port={base + 1}", f"-filer.port={base + 2}",
            f"-master.port.grpc={base + 4}", f"-volume.port.grpc={base + 5}", f"-filer.port.grpc={base + 6}",
            f"-s3.port.grpc={base + 7}",
            "-s3", f"-s3.port={c.s3_port}", f"-s3.port.iceberg={base + 3}", "-s3.port.lance=0",
            f"-s3.config={config_dir / 's3.json'}", "-master.telemetry=false", "-volume.max=0",
            "-master.volumeSizeLimitMB=256",
        ], cwd=config_dir)
        wait_port("127.0.0.1", c.s3_port, timeout, "SeaweedFS S3", proc, self.procs.log("seaweedfs"))
        self._wait_s3_ready(timeout)
        return f"SeaweedFS S3 on 127.0.0.1:{c.s3_port} (data {data}; volume and filer require signed requests)"

    def _wait_s3_ready(self, timeout: float) -> None:
        from minio import Minio
        access_key, secret_key = self.config.s3_admin_keys
        client = Minio(self.config.s3_endpoint, access_key, secret_key, secure=False, region="us-east-1")
        deadline = time.monotonic() + timeout
        probe = "jz-readiness-probe"
        while True:
            try:
                if not client.bucket_exists(probe):
                    client.make_bucket(probe)
                import io
                client.put_object(probe, "probe", io.BytesIO(b"ok"), 2)
                # stations may not create buckets: theirs is made here
                if not client.bucket_exists(STATIONS_BUCKET):
                    client.make_bucket(STATIONS_BUCKET)
                return
            except Exception as error:
                if time.monotonic() > deadline:
                    raise StackError(f"SeaweedFS S3 not ready after {timeout:.0f} s: {error}") from error
                time.sleep(0.5)

    def start_stations(self) -> str:
        """Each station's broker user and credentials file (``secrets/stations/<id>.json``, 0600)."""
        c = self.config
        notes = []
        for station in STATIONS:
            amqp_url = c.amqp_url
            host, _ = c.amqp_host_port
            if host in ("127.0.0.1", "localhost") and rabbitmqctl() is not None:
                password = c.secrets.broker_password(station)
                ensure_station_broker_user(c.namespace, station, password)
                amqp_url = amqp_url_with_user(c.amqp_url, c.broker_user(station), password)
                notes.append(f"broker user {c.broker_user(station)}")
            else:
                notes.append(f"the broker is not local (no rabbitmqctl): {station} publishes as the stack's user")
            c.secrets.write_station(station, c.station_credentials(station, amqp_url))
        return f"stations: {'; '.join(notes)}; credentials in {c.secrets.root / 'stations'}"

    def start_infra(self) -> list[str]:
        self.config.secrets.ensure_all()
        return [self.start_rabbitmq(), self.start_mongo(), self.start_s3(), self.start_stations()]

    # -- services ------------------------------------------------------------------------------
    def ensure_page_model(self) -> bool:
        """Build catalog's page model unless a current one is there (a few seconds; True when built)."""
        from juanzong_training.page_model import build_page_model

        return build_page_model(self.config.page_model, if_stale=True)

    def start_service(self, name: str) -> subprocess.Popen | None:
        port = self.config.service_port(name)
        if self._claim_port(port, name, "JZ_STACK_SERVICE_PORT_BASE", f"service {name}"):
            return None
        if name == "catalog":
            self.ensure_page_model()
        env = self.config.service_env(name)
        Path(env["JZ_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        return self.procs.start(name, [str(BIN / "python"), "-m", "uvicorn", "--factory",
                                       f"{SERVICES[name]}:create_app", "--host", "127.0.0.1", "--port", str(port),
                                       "--no-access-log", "--timeout-graceful-shutdown", "20"], env=env)

    def start_ocr_workers(self, count: int | None = None) -> list[subprocess.Popen]:
        import importlib.util
        procs = []
        if importlib.util.find_spec(OCR_WORKER_MODULE) is None:  # the worker arrives with the scan-ocr issue
            return procs
        for index in range(count if count is not None else self.config.ocr_workers):
            name = f"ocr-worker-{index + 1}"
            if self.procs.pid(name) is not None:
                continue
            env = self.config.service_env("scan-ocr")
            env["JZ_WORKER_METRICS_PORT"] = str(self.config.service_port_base + 90 + index)
            procs.append(self.procs.start(name, [str(BIN / "python"), "-m", OCR_WORKER_MODULE], env=env))
        return procs

    def wait_ready(self, names: Iterable[str], timeout: float = 180) -> dict[str, str]:
        import httpx
        pending = set(names)
        state: dict[str, str] = {n: "starting" for n in pending}
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                pid = self.procs.pid(name)
                if pid is None:
                    raise StackError(f"service {name} exited during start-up; see {self.procs.log(name)}\n"
                                     + self.procs.log(name).read_text(errors="replace")[-2000:])
                try:
                    response = httpx.get(self.config.service_url(name) + "/readyz", timeout=3)
                    if response.status_code == 200:
                        state[name] = "ready"
                        pending.discard(name)
                    else:
                        state[name] = response.json().get("detail", "not ready")
                except httpx.HTTPError as error:
                    state[name] = f"starting ({type(error).__name__})"
            if pending:
                time.sleep(0.5)
        if pending:
            raise StackError("not ready in time: " + ", ".join(f"{n}: {state[n]}" for n in sorted(pending)))
        return state

    def up(self, services: Iterable[str] | None = None, workers: int | None = None) -> list[str]:
        notes = self.start_infra()
        names = list(services if services is not None else SERVICES)
        for name in names:
            self.start_service(name)
        if "scan-ocr" in names:
            self.start_ocr_workers(workers)
        self.wait_ready(names)
        return notes

    def down(self) -> list[str]:
        stopped = []
        names = self.procs.names()
        order = [n for n in names if n not in ("secantusdb", "seaweedfs")] + \
                [n for n in ("seaweedfs", "secantusdb") if n in names]
        for name in order:
            if self.procs.stop(name, grace=25.0 if name == "seaweedfs" else 15.0):
                stopped.append(name)
        return stopped
