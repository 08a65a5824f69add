"""HTTP entry point of the notifier: deadlines, notifications, channels and the six monthly indicators."""

from __future__ import annotations

from fastapi import FastAPI
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.settings import load_settings

from juanzong_notifier.bootstrap import INDEXES, bootstrap, repositories
from juanzong_notifier.config import ServiceSettings
from juanzong_notifier.entrypoints.api import router


def create_app() -> FastAPI:
    return create_service_app(
        load_settings(ServiceSettings), title="卷宗 期限与通知服务 (notifier)",
        description="Working-day deadline clocks (吉高法〔2020〕11号 第五条、第七条; 长中法〔2018〕129号 第六条、第七条; "
                    "法〔2016〕264号 三(五)), reminders and escalation, inbox / e-mail / signed webhooks, "
                    "and the six monthly indicators (吉高院通报29期).",
        parts=ServiceParts(routers=[router], indexes=INDEXES, uses_storage=False, bootstrap=bootstrap,
                           repositories=repositories))
