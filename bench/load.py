"""Bounded load generator on loopback: the REST API of one service and the bus, each beside a baseline.

    .venv/bin/python bench/load.py                       # everything, default sizes (~1-2 min on 2 cores)
    .venv/bin/python bench/load.py --requests 500 --messages 1000 --skip-http

HTTP: the service (intake by default) runs as its own uvicorn process on a private embedded stack
(SecantusDB + SeaweedFS on --port-base, the machine's RabbitMQ under a throw-away namespace), trusting a
test signing key. ``--requests`` GETs per endpoint at each concurrency in ``--concurrency``: ``/healthz``
(baseline: no I/O), ``/readyz`` (pings broker, database, storage) and an authenticated ``GET /v1/cases?size=1``
(token check + a database query). Or point ``--url`` at a running stack (then only the two probes, unless
``--token`` is given).

Bus (the machine's RabbitMQ, own namespace, deleted afterwards): publish with confirms one at a time and
concurrently — raw aio-pika vs the shared ``Bus.publish`` (envelope + schema validation) — and consume at
prefetch 100 — a raw acking consumer vs the shared consumer (decode, schema check, idempotency ledger and
handler in one SecantusDB transaction). Latency percentiles and throughput; ratios against the baseline.

Writes ``bench/results/load.json``; prints a Markdown table (pasted into ``bench/README-load.md``).
Loopback only; every phase is bounded by a count and a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import httpx

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "load.json"


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {
        "p50_ms": pick(0.50),
        "p90_ms": pick(0.90),
        "p99_ms": pick(0.99),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


def summary(name: str, count: int, seconds: float, latencies: list[float], errors: int = 0, **extra) -> dict:
    row = {
        "name": name,
        "count": count,
        "seconds": round(seconds, 3),
        "per_second": round(count / seconds, 1),
        "errors": errors,
        **percentiles(latencies),
        **extra,
    }
    print(
        f"  {name:<58} {row['per_second']:>9.1f}/s  p50 {row.get('p50_ms', 0):>7.2f} ms  "
        f"p99 {row.get('p99_ms', 0):>7.2f} ms  errors {errors}",
        flush=True,
    )
    return row


# -- HTTP ----------------------------------------------------------------------------------------------
async def http_load(
    base: str, path: str, total: int, concurrency: int, headers: dict | None = None, timeout: float = 120
) -> dict:
    latencies: list[float] = []
    errors = 0
    remaining = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:

        async def worker():
            nonlocal errors
            for _ in remaining:
                t0 = time.perf_counter()
                try:
                    response = await client.get(path)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                errors += 0 if ok else 1

        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), timeout)
        elapsed = time.perf_counter() - started
    return summary(f"GET {path} c={concurrency}", total, elapsed, latencies, errors, concurrency=concurrency)


class LocalService:
    """One service as a uvicorn process on a private embedded stack (database and storage of its own)."""

    def __init__(self, service: str, port_base: int, amqp_url: str) -> None:
        from juanzong_devstack.stack import EmbeddedStack, StackConfig
        from juanzong_shared.testing import TokenFactory

        self.service = service
        self.dir = Path(tempfile.mkdtemp(prefix="jzload-"))
        self.tokens = TokenFactory()
        key = self.tokens.write_public_key(self.dir / "jwt-public.pem")
        self.stack = EmbeddedStack(
            StackConfig(
                data_dir=self.dir,
                amqp_url=amqp_url,
                mongo_port=port_base,
                s3_port=port_base + 1,
                weed_port_base=port_base + 10,
                service_port_base=port_base + 30,
                db_user_per_service=False,
                namespace="jzload" + uuid.uuid4().hex[:6],
                log_level="WARNING",
                extra_env={
                    "JZ_JWT_PUBLIC_KEY_FILE": key,
                    "JZ_JWT_JWKS_URL": "",
                    "JZ_ACCESS_CONTROL_URL": "",
                    "JZ_LOG_LEVEL": "WARNING",
                },
            )
        )

    @property
    def url(self) -> str:
        return self.stack.config.service_url(self.service)

    def start(self) -> None:
        self.stack.start_mongo()
        self.stack.start_s3()
        self.stack.start_service(self.service)
        self.stack.wait_ready([self.service], timeout=180)

    def stop(self) -> None:
        self.stack.down()
        from juanzong_devstack.pytest_plugin import delete_namespace_queues

        delete_namespace_queues(self.stack.config.namespace)
        shutil.rmtree(self.dir, ignore_errors=True)


async def run_http(args) -> list[dict]:
    rows = []
    local = None
    base, token = args.url, args.token
    if base is None:
        local = LocalService(args.service, args.port_base, args.amqp_url)
        print(f"starting {args.service} on a private stack in {local.dir} ...", flush=True)
        await asyncio.to_thread(local.start)
        base = local.url
        token = local.tokens.token("u-load", roles=("filing_division_staff", "judge", "clerk"), court="吉01")
    try:
        print(f"HTTP against {base}", flush=True)
        await http_load(base, "/healthz", 50, 4)  # warm-up
        for concurrency in args.concurrency:
            rows.append(await http_load(base, "/healthz", args.requests, concurrency))
            rows.append(await http_load(base, "/readyz", args.requests, concurrency))
            if token:
                rows.append(
                    await http_load(
                        base,
                        "/v1/cases?size=1",
                        args.requests,
                        concurrency,
                        {"Authorization": f"Bearer {token}"},
                    )
                )
    finally:
        if local is not None:
            await asyncio.to_thread(local.stop)
    return rows


# -- bus -------------------------------------------------------------------------------------------------
def sample_event(i: int):
    from juanzong_shared.events import REGISTRY

    return REGISTRY.create(
        "case.closed",
        {"case_number": f"（2025）吉01民终{i}号", "closed_at": datetime.now(UTC)},
        court="吉01",
        case_id=f"（2025）吉01民终{i}号",
    )


async def timed_all(coros_factory, count: int, concurrent: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrent)

    async def one(i):
        async with semaphore:
            t0 = time.perf_counter()
            await coros_factory(i)
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    if concurrent == 1:
        for i in range(count):
            await one(i)
    else:
        await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - started, latencies


async def run_bus(args, mongo_url: str | None) -> list[dict]:
    from juanzong_shared.bus import Bus, Subscription, handles
    from juanzong_shared.db import Mongo

    namespace = "jzload" + uuid.uuid4().hex[:6]
    exchange_name = f"{namespace}.events"
    rows = []
    connection = await aio_pika.connect_robust(args.amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
    sink = await channel.declare_queue(
        f"{namespace}.sink", durable=True, arguments={"x-queue-type": "quorum"}
    )
    await sink.bind(exchange, routing_key="case.closed")
    mongo = Mongo(mongo_url, "load_" + uuid.uuid4().hex[:8]) if mongo_url else None
    bus = Bus(args.amqp_url, namespace, "load", mongo=mongo, prefetch=100)
    await bus.connect()
    events = [sample_event(i) for i in range(args.messages)]
    bodies = [e.to_json() for e in events]
    try:
        print(f"bus on {args.amqp_url.split('@')[-1]} namespace {namespace}", flush=True)

        async def raw_publish(i):
            message = aio_pika.Message(
                bodies[i],
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(events[i].event_id),
            )
            await exchange.publish(message, routing_key="case.closed", timeout=30)

        async def bus_publish(i):
            await bus.publish(events[i])

        for label, fn in (
            ("raw aio-pika publish+confirm", raw_publish),
            ("Bus.publish (schema-validated)", bus_publish),
        ):
            for concurrent in (1, args.publish_concurrency):
                seconds, lat = await asyncio.wait_for(timed_all(fn, args.messages, concurrent), 300)
                rows.append(
                    summary(
                        f"{label}, {'one at a time' if concurrent == 1 else f'{concurrent} in flight'}",
                        args.messages,
                        seconds,
                        lat,
                        concurrency=concurrent,
                        kind="publish",
                    )
                )
        await sink.purge()

        # consume: raw acking consumer at prefetch 100
        for i in range(args.messages):
            if i % 500 == 0:
                await asyncio.gather(*(raw_publish(j) for j in range(i, min(i + 500, args.messages))))
        rows.append(await raw_consume(connection, sink.name, args.messages))

        # consume: the shared consumer (decode, schema, ledger + effect in one transaction)
        if mongo is not None:
            handled = []
            done = asyncio.Event()

            @handles("case.stage.changed")
            async def handle(payload, delivery):
                uow = delivery.uow
                await uow.db["effects"].insert_one({"_id": str(delivery.event.event_id)}, session=uow.session)
                handled.append(time.perf_counter())
                if len(handled) >= args.consume_shared:
                    done.set()

            queue = await bus.subscribe(Subscription([handle], prefetch=100))
            for i in range(0, args.consume_shared, 500):  # fill the queue first, then measure the drain
                await asyncio.gather(
                    *(bus.publish(sample_stage(j)) for j in range(i, min(i + 500, args.consume_shared)))
                )
            started = time.perf_counter()
            # the consumer is already running: time from now until the last effect is stored
            await asyncio.wait_for(done.wait(), 600)
            first = handled[0]
            elapsed = handled[-1] - min(first, started)
            gaps = [b - a for a, b in zip(handled, handled[1:])]
            rows.append(
                summary(
                    "shared Bus consumer prefetch 100 (ledger+effect txn)",
                    len(handled),
                    elapsed,
                    gaps,
                    kind="consume",
                    note="latency = gap between stored effects",
                    queue=queue,
                )
            )
    finally:
        await bus.close(drain_timeout=5)
        try:
            for name in (
                f"{namespace}.sink",
                f"{namespace}.load",
                f"{namespace}.load.dlq",
                *[f"{namespace}.load.retry.{n}" for n in range(6)],
            ):
                try:
                    await channel.queue_delete(name)
                except Exception:
                    channel = await connection.channel()
            await channel.exchange_delete(exchange_name)
        except Exception:
            pass
        await connection.close()
        if mongo is not None:
            await mongo.client.drop_database(mongo.db.name)
            await mongo.close()
    return rows


def sample_stage(i: int):
    from juanzong_shared.events import REGISTRY

    return REGISTRY.create(
        "case.stage.changed",
        {"case_number": f"（2025）吉01民终{i}号", "stage": "closed", "at": datetime.now(UTC)},
        court="吉01",
    )


async def raw_consume(connection, queue_name: str, count: int) -> dict:
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=100)
    queue = await channel.declare_queue(queue_name, passive=True)
    stamps: list[float] = []
    done = asyncio.Event()

    async def on_message(message):
        await message.ack()
        stamps.append(time.perf_counter())
        if len(stamps) >= count:
            done.set()

    started = time.perf_counter()
    tag = await queue.consume(on_message)
    await asyncio.wait_for(done.wait(), 300)
    await queue.cancel(tag)
    elapsed = stamps[-1] - started
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    await channel.close()
    return summary(
        "raw aio-pika consumer prefetch 100 (ack only)",
        len(stamps),
        elapsed,
        gaps,
        kind="consume",
        note="latency = gap between acks",
    )


def ratios(rows: list[dict]) -> dict[str, float]:
    by = {r["name"]: r for r in rows}
    out = {}
    for c in {r.get("concurrency") for r in rows if r["name"].startswith("GET")}:
        base = by.get(f"GET /healthz c={c}")
        for path in ("/readyz", "/v1/cases?size=1"):
            row = by.get(f"GET {path} c={c}")
            if base and row:
                out[f"{path} vs /healthz throughput, c={c}"] = round(
                    row["per_second"] / base["per_second"], 3
                )
                out[f"{path} vs /healthz p50 latency, c={c}"] = round(row["p50_ms"] / base["p50_ms"], 3)
    for mode in ("one at a time", "in flight"):
        raw = next(
            (r for r in rows if r["name"].startswith("raw aio-pika publish") and mode in r["name"]), None
        )
        shared = next((r for r in rows if r["name"].startswith("Bus.publish") and mode in r["name"]), None)
        if raw and shared:
            out[f"Bus.publish vs raw publish throughput, {mode}"] = round(
                shared["per_second"] / raw["per_second"], 3
            )
    raw = by.get("raw aio-pika consumer prefetch 100 (ack only)")
    shared = by.get("shared Bus consumer prefetch 100 (ledger+effect txn)")
    if raw and shared:
        out["shared consumer vs raw consumer throughput"] = round(shared["per_second"] / raw["per_second"], 3)
    return out


def markdown(rows: list[dict], ratio: dict[str, float]) -> str:
    lines = [
        "| measurement | count | per s | p50 ms | p90 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['count']} | {r['per_second']} | {r.get('p50_ms', '')} | "
            f"{r.get('p90_ms', '')} | {r.get('p99_ms', '')} | {r['errors']} |"
        )
    lines += ["", "| ratio | value |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in ratio.items()]
    return "\n".join(lines)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", default="intake")
    parser.add_argument("--url", help="hit a running service instead of starting one")
    parser.add_argument("--token", help="bearer token for the authenticated GET when --url is given")
    parser.add_argument("--requests", type=int, default=1000, help="GETs per endpoint and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--messages", type=int, default=2000, help="messages per publish/consume measurement")
    parser.add_argument(
        "--consume-shared", type=int, default=1000, help="messages through the shared consumer"
    )
    parser.add_argument("--publish-concurrency", type=int, default=100)
    parser.add_argument(
        "--amqp-url", default=os.environ.get("JZ_STACK_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("JZ_LOAD_PORT_BASE", "27950")))
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-bus", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    for host in [args.amqp_url.split("@")[-1].split(":")[0]] + (
        [httpx.URL(args.url).host] if args.url else []
    ):
        if host not in ("127.0.0.1", "localhost"):
            parser.error(f"loopback only: {host}")
    rows: list[dict] = []
    started = time.monotonic()
    local = None
    if not args.skip_http:
        rows += await run_http(args)
    if not args.skip_bus:
        # the shared consumer needs a database for its ledger: a private SecantusDB
        from juanzong_devstack.stack import EmbeddedStack, StackConfig

        local = EmbeddedStack(
            StackConfig(
                data_dir=Path(tempfile.mkdtemp(prefix="jzload-bus-")),
                mongo_port=args.port_base + 40,
                amqp_url=args.amqp_url,
                db_user_per_service=False,
            )
        )
        await asyncio.to_thread(local.start_mongo)
        try:
            rows += await run_bus(args, local.config.mongo_url)
        finally:
            await asyncio.to_thread(local.down)
            shutil.rmtree(local.config.data_dir, ignore_errors=True)
    ratio = ratios(rows)
    result = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "command": "python bench/load.py " + " ".join(argv),
        "seconds": round(time.monotonic() - started, 1),
        "rows": rows,
        "ratios": ratio,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("\n" + markdown(rows, ratio))
    print(f"\nwrote {out} in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
