"""A service built by the app factory on the real stack: probes, metrics, problem+json, consumer."""

import asyncio

import pytest
from fastapi import APIRouter

from juanzong_devstack.pytest_plugin import running_app
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.bus import Subscription, handles
from juanzong_shared.events import REGISTRY
from juanzong_shared.settings import Settings, load_settings

pytestmark = pytest.mark.integration


async def test_probes_metrics_and_consumer(service_env, apply_env):
    # a known service's stack identity (the embedded stack makes S3 users for the six services only)
    apply_env(service_env("intake", JZ_SERVICE_NAME="probe-svc"))
    settings = load_settings(Settings)
    handled = []

    @handles("case.closed")
    async def handle(payload, delivery):
        handled.append(delivery.event.event_id)
        uow = delivery.uow
        await uow.db["seen"].insert_one({"_id": str(delivery.event.event_id)}, session=uow.session)

    router = APIRouter()

    @router.post("/emit")
    async def emit():
        from juanzong_shared.deps import get_uow  # noqa: F401  (documented alternative)
        return {"ok": True}

    app = create_service_app(settings, title="probe", description="probe",
                             parts=ServiceParts(routers=[router], subscriptions=[Subscription([handle])]))
    async with running_app(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"broker": "ok", "database": "ok", "storage": "ok"}
        assert (await client.get("/healthz")).json()["status"] == "ok"
        event = REGISTRY.create("case.closed", {"case_number": "（2025）吉01民终9号",
                                                "closed_at": "2025-06-01T00:00:00Z"})
        await app.state.bus.publish(event)
        for _ in range(100):
            if handled:
                break
            await asyncio.sleep(0.1)
        assert handled == [event.event_id]
        metrics = (await client.get("/metrics")).text
        assert any(l.startswith('jz_consumer_messages_total{') and 'outcome="processed"' in l for l in metrics.splitlines())
        assert "jz_http_request_duration_seconds_bucket" in metrics and 'route="/readyz"' in metrics
        missing = await client.get("/nope")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
        assert missing.headers["x-content-type-options"] == "nosniff"
        assert missing.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox"
        # the factory made the service follow revocations: its own broadcast queue is bound
        revocations = app.state.token_verifier.revocations
        assert revocations.listening_since is not None and revocations.confirm is not None
        assert any(b.queue_name.startswith(f"{settings.bus_namespace}.probe-svc.revocations.")
                   for b in app.state.bus._broadcasts)
