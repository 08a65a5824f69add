"""The six monthly indicators (吉高院通报29期): computed from the facts the events left, reported on the 3rd, and
fed by systems outside the suite through their own door."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from juanzong_shared.events.notifier import ExternalUsage
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import AlreadyProcessed

from juanzong_notifier.adapters.metrics import INDICATOR_DENOMINATOR, INDICATOR_NUMERATOR, INDICATOR_RATE
from juanzong_notifier.adapters.repository import Repositories
from juanzong_notifier.config import NotifierConfig
from juanzong_notifier.domain.calendar import to_shanghai
from juanzong_notifier.domain.indicators import (
    MonthlyReport,
    build_monthly_reports,
    compute_monthly_report,
    period_reported_on,
)
from juanzong_notifier.service_layer.clocks import Transact, apply, calendar_of, to_inbound

log = get_logger(__name__)

EXTERNAL_NAMESPACE = uuid.UUID("6f1c2f8e-3d0b-4a57-9a55-4f0f5b0e2a10")


def publish_gauges(reports: Sequence[MonthlyReport]) -> None:
    for report in reports:
        for v in report.indicators:
            INDICATOR_NUMERATOR.labels(report.court, v.key.value).set(v.numerator)
            INDICATOR_DENOMINATOR.labels(report.court, v.key.value).set(v.denominator)
            if v.rate is not None:
                INDICATOR_RATE.labels(report.court, v.key.value).set(v.rate)


class IndicatorService:
    def __init__(self, cfg: NotifierConfig, transact: Transact, reads: Repositories) -> None:
        self.cfg, self.transact, self.reads = cfg, transact, reads

    async def monthly_report(self, court: str, year: int, month: int, now: datetime) -> MonthlyReport:
        events = await self.reads.indicators.events(court)
        return compute_monthly_report(events, court, year, month, await calendar_of(self.reads, self.cfg), now)

    async def run_monthly_reports(self, year: int, month: int, now: datetime | None = None) -> list[MonthlyReport]:
        """Compute and store every court's report for ``year-month`` and publish the gauges."""
        now = now or datetime.now(UTC)
        indicators = self.reads.indicators
        courts = await indicators.courts()
        reports = build_monthly_reports(await indicators.events(), year, month,
                                        await calendar_of(self.reads, self.cfg), now, courts)
        for report in reports:
            await indicators.store_report(report, now)
        publish_gauges(reports)
        return reports

    async def monthly_job(self, now: datetime | None = None) -> list[MonthlyReport]:
        """On the 3rd (Asia/Shanghai), report the previous month once."""
        now = now or datetime.now(UTC)
        period = period_reported_on(to_shanghai(now).date())
        if period is None:
            return []
        key = f"{period[0]:04d}-{period[1]:02d}"
        if await self.reads.indicators.report_ran(key):
            return []
        reports = await self.run_monthly_reports(*period, now=now)
        await self.reads.indicators.mark_report_run(key, now, len(reports))
        log.info("monthly indicator report made", period=key, courts=len(reports))
        return reports

    async def accept_external(self, event_type: str, usage: ExternalUsage, *, court: str,
                              source_id: str) -> tuple[str, bool]:
        """Take one 智能庭审 / 文书辅助生成 fact (the caller checked the reporting account); a repeat of the sending
        system's event id changes nothing. Returns the event id and whether it was a repeat."""
        event_id = str(uuid.uuid5(EXTERNAL_NAMESPACE, f"{event_type}|{usage.system}|{source_id}"))
        inbound = to_inbound(event_type, usage, event_id=event_id, occurred_at=datetime.now(UTC), court=court,
                             case_number=usage.case_number)

        async def work(uow) -> None:
            await apply(uow, self.cfg, inbound)
            uow.mark_processed(f"external:{event_id}")

        try:
            await self.transact(work)
        except AlreadyProcessed:
            return event_id, True
        return event_id, False
