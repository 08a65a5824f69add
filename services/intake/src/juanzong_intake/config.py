"""Intake's settings: the shared ones, under the service's name (``JZ_*`` environment variables)."""

from __future__ import annotations

from juanzong_shared.settings import Settings

SERVICE = "intake"


class ServiceSettings(Settings):
    service_name: str = SERVICE
