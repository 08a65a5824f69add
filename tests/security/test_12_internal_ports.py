"""Issue 20 item 12 — internal ports closed, and (item 2's infrastructure) each station with its own broker user and
object-store credentials.

On the embedded stack the SeaweedFS filer served every object to anyone (an e-archive package was downloaded with no
credentials and no trace, against 吉高法〔2020〕11号 第九条's 全程留痕), and stations wrote to the bus and to storage as
the services. Now: every port the stack's processes listen on is on 127.0.0.1; the filer and volume servers accept
only JWT-signed requests (only the S3 gateway, which checks credentials, can read through them); a station's S3
identity may write and read back only ``juanzong-stations/<station_id>/``; its RabbitMQ user may publish only
``scan-ocr.job.process`` on the stack's exchange and cannot read any queue. SecantusDB runs with ``--auth``
(SCRAM-SHA-256): each service logs in as its own user with readWrite on its own database only.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

LOOPBACK_V4 = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it
LOOPBACK_V6 = "00000000000000000000000001000000"  # ::1


def _descendants(pids: set[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = set(pids), list(pids)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _listening() -> dict[str, tuple[str, int]]:
    """inode → (address as hex, port) of every listening TCP socket of this network namespace."""
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] != "0A":  # LISTEN
                continue
            address, port = parts[1].split(":")
            out[parts[9]] = (address, int(port, 16))
    return out


def test_every_port_of_the_stack_listens_on_loopback_only(e2e_stack):
    """Broker-side apart, every listening socket of the stack's processes (SecantusDB, SeaweedFS master, volume, filer,
    S3, gRPC and Iceberg ports, the six services, the OCR workers) is bound to 127.0.0.1 (or ::1)."""
    pids = {pid for name in e2e_stack.procs.names() if (pid := e2e_stack.procs.pid(name)) is not None}
    assert len(pids) >= 8, e2e_stack.procs.names()
    listening = _listening()
    ours: dict[int, str] = {}
    for pid in _descendants(pids):
        for inode in _socket_inodes(pid):
            if inode in listening:
                address, port = listening[inode]
                ours[port] = address
    c = e2e_stack.config
    expected = {c.mongo_port, c.s3_port, *range(c.weed_port_base, c.weed_port_base + 8),
                *(c.service_port(name) for name in ("intake", "scan-ocr", "catalog", "archive", "access-control",
                                                    "notifier"))}
    assert expected <= set(ours), f"not listening: {sorted(expected - set(ours))}"
    open_to_all = {port: address for port, address in ours.items() if address not in (LOOPBACK_V4, LOOPBACK_V6)}
    assert not open_to_all, f"ports bound beyond loopback: {open_to_all}"


def test_the_database_refuses_anonymous_clients_and_other_services_databases(e2e_stack):
    """No login → refused; catalog's user reads its own database but not access-control's (clients, audit trail)."""
    from pymongo import MongoClient
    from pymongo.errors import OperationFailure

    c = e2e_stack.config
    anonymous = MongoClient(c.mongo_url_without_auth, serverSelectionTimeoutMS=5000)
    with pytest.raises(OperationFailure, match="authentication"):
        anonymous["juanzong_access_control"]["clients"].find_one()
    anonymous.close()
    catalog = MongoClient(c.service_mongo_url("catalog"), serverSelectionTimeoutMS=5000)
    catalog["juanzong_catalog"].list_collection_names()
    for database, collection in (("juanzong_access_control", "clients"), ("juanzong_archive", "archives"),
                                 ("juanzong_intake", "cases")):
        with pytest.raises(OperationFailure, match="not authorized"):
            catalog[database][collection].find_one()
        with pytest.raises(OperationFailure, match="not authorized"):
            catalog[database][collection].insert_one({"forged": True})
    catalog.close()
    for name in ("intake", "scan-ocr", "catalog", "archive", "access-control", "notifier"):
        url = c.service_env(name)["JZ_MONGO_URL"]
        assert url.startswith(f"mongodb://{name}:") and c.secrets.db_password("juanzong-admin") not in url, name


def _admin_store(stack):
    from minio import Minio
    access, secret = stack.config.s3_admin_keys
    return Minio(stack.config.s3_endpoint, access, secret, secure=False, region="us-east-1")


def test_filer_and_volume_refuse_unsigned_reads_of_what_s3_serves(e2e_stack):
    """An object S3 serves with credentials is not served by the filer's or the volume server's HTTP port to a
    request without SeaweedFS's JWT (today's hole: the filer served every e-archive package to anyone)."""
    store = _admin_store(e2e_stack)
    bucket, key = "juanzong-stations", f"probe-{uuid.uuid4().hex[:8]}/page.png"
    store.put_object(bucket, key, io.BytesIO(b"page-bytes"), 10)
    assert store.get_object(bucket, key).read() == b"page-bytes"  # S3 with credentials: served

    base = e2e_stack.config.weed_port_base
    filer = f"http://127.0.0.1:{base + 2}"
    for path in (f"/buckets/{bucket}/{key}", f"/buckets/{bucket}/", f"/buckets/{bucket}/{key}?metadata=true"):
        response = httpx.get(filer + path, timeout=10)
        assert response.status_code == 401 and b"page-bytes" not in response.content, (path, response.status_code)
    volume = f"http://127.0.0.1:{base + 1}"
    assigned = httpx.get(f"http://127.0.0.1:{base}/dir/assign", timeout=10).json()
    assert not assigned.get("auth"), "the master hands out write tokens to anyone"
    for fid in (assigned["fid"], "1,01637037d6"):
        response = httpx.get(f"{volume}/{fid}", timeout=10)
        assert response.status_code == 401, (fid, response.status_code, response.text[:200])
        write = httpx.post(f"{volume}/{fid}", files={"file": ("x.png", b"forged")}, timeout=10)
        assert write.status_code == 401, (fid, write.status_code, write.text[:200])
    store.remove_object(bucket, key)


def _station(stack, station_id: str = "station-01") -> dict:
    path = stack.config.station_credentials_file(station_id)
    assert path.exists(), f"the stack wrote no credentials file for {station_id}"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    return json.loads(path.read_text())


def test_station_credentials_file_has_everything_the_station_needs(e2e_stack):
    creds = _station(e2e_stack)
    assert {"client_id", "client_secret", "court", "amqp_url", "bus_namespace", "s3_endpoint", "s3_access_key",
            "s3_secret_key", "s3_secure", "s3_bucket", "s3_prefix", "access_control_url", "intake_url",
            "scan_ocr_url"} <= set(creds)
    assert creds["client_id"] == "station-01" and creds["court"] == "吉01"
    assert creds["s3_bucket"] == "juanzong-stations" and creds["s3_prefix"] == "station-01/"
    service_env = e2e_stack.config.service_env("scan-ocr")
    assert creds["s3_access_key"] != service_env["JZ_S3_ACCESS_KEY"], "the station uses a service's S3 identity"
    assert f"{e2e_stack.config.namespace}.station-01:" in creds["amqp_url"], "the station uses the services' broker user"


def test_station_s3_credentials_reach_only_their_own_prefix(e2e_stack):
    """station-01 writes and reads back under juanzong-stations/station-01/; anything else → AccessDenied."""
    from minio import Minio
    from minio.error import S3Error

    creds = _station(e2e_stack)
    station = Minio(creds["s3_endpoint"], creds["s3_access_key"], creds["s3_secret_key"], secure=creds["s3_secure"],
                    region="us-east-1")
    admin = _admin_store(e2e_stack)
    job = uuid.uuid4().hex[:8]
    own = f"station-01/{job}/0001.png"
    station.put_object("juanzong-stations", own, io.BytesIO(b"own"), 3)
    assert station.get_object("juanzong-stations", own).read() == b"own"
    other = f"station-02/{job}/0001.png"
    admin.put_object("juanzong-stations", other, io.BytesIO(b"other"), 5)

    def denied(call) -> None:
        with pytest.raises(S3Error) as refused:
            call()
        assert refused.value.code == "AccessDenied", refused.value

    denied(lambda: station.put_object("juanzong-stations", f"station-02/{job}/x.png", io.BytesIO(b"x"), 1))
    denied(lambda: station.put_object("juanzong-stations", f"station-01x/{job}/x.png", io.BytesIO(b"x"), 1))
    denied(lambda: station.put_object("juanzong-stations", "x.png", io.BytesIO(b"x"), 1))
    denied(lambda: station.put_object("juanzong-pages", f"{job}/x.png", io.BytesIO(b"x"), 1))
    denied(lambda: station.get_object("juanzong-stations", other).read())
    denied(lambda: list(station.list_objects("juanzong-stations", prefix="station-02/", recursive=True)))
    denied(lambda: list(station.list_objects("juanzong-pages", recursive=True)))
    denied(lambda: station.make_bucket(f"station-{job}"))
    for prefix in (f"station-02/{job}/", f"station-01x/{job}/"):  # nothing was stored by the refused writes
        names = [o.object_name for o in admin.list_objects("juanzong-stations", prefix=prefix, recursive=True)]
        assert names in ([], [other]), names
    admin.remove_object("juanzong-stations", own)
    admin.remove_object("juanzong-stations", other)


def test_station_broker_user_publishes_only_job_commands_and_reads_nothing(e2e_stack):
    """The station's RabbitMQ user may publish scan-ocr.job.process on <ns>.events and nothing else: another routing
    key, another exchange, a queue of its own, consuming any queue, or a forged user_id → refused by the broker."""
    import aio_pika

    creds = _station(e2e_stack)
    ns = e2e_stack.config.namespace

    async def attempts() -> dict[str, str]:
        connection = await aio_pika.connect(creds["amqp_url"])
        results: dict[str, str] = {}

        async def attempt(name: str, call) -> None:
            channel = await connection.channel(publisher_confirms=True)
            try:
                await call(channel)
                results[name] = "ok"
            except Exception as error:  # noqa: BLE001 - the broker's refusal is the result
                results[name] = f"{type(error).__name__}: {error}"

        async def publish(channel, key: str, user_id: str | None = None):
            exchange = await channel.get_exchange(f"{ns}.events", ensure=False)
            await exchange.publish(aio_pika.Message(b"{}", user_id=user_id), routing_key=key)

        async def ignore(message) -> None:
            return None

        async def consume(channel, service: str):
            queue = await channel.get_queue(f"{ns}.{service}", ensure=False)
            await queue.consume(ignore)

        await attempt("exchange exists", lambda ch: ch.declare_exchange(f"{ns}.events", passive=True))
        await attempt("publish case.registered", lambda ch: publish(ch, "case.registered"))
        await attempt("publish catalog command", lambda ch: publish(ch, "catalog.page.add"))
        await attempt("forge user_id", lambda ch: publish(ch, "scan-ocr.job.process", user_id="guest"))
        await attempt("default exchange", lambda ch: ch.default_exchange.publish(
            aio_pika.Message(b"{}"), routing_key=f"{ns}.catalog"))
        await attempt("declare a queue", lambda ch: ch.declare_queue(f"{ns}.station-tap", auto_delete=True))
        await attempt("consume scan-ocr", lambda ch: consume(ch, "scan-ocr"))
        await attempt("consume catalog", lambda ch: consume(ch, "catalog"))
        await connection.close()
        return results

    results = asyncio.run(attempts())
    assert results.pop("exchange exists") == "ok", "the station's broker user cannot log in"
    assert results.pop("forge user_id").startswith("ChannelPreconditionFailed")
    for name, result in results.items():
        assert "ACCESS_REFUSED" in result, (name, result)
