"""Item 13 (notifier) — only the reporting system's own account, or the court's technology office, adds to a
court's monthly indicators.

Before the fix any service-account token was taken by ``POST /v1/external-events`` (a catalog or archive client
could add 智能庭审 sessions or assisted documents to any court's figures), and the technology office of one court
could post for another. The figures are the technology office's report to the high court (吉高院通报29期 (四)).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.e2e

RULE = "吉高院通报29期 (四)"


def fact(court: str = "吉01") -> dict:
    return {"id": "sec-" + uuid.uuid4().hex[:12], "type": "trial.smart_session.held",
            "occurred_at": datetime.now(UTC).isoformat(), "court": court, "case_number": "（2026）吉01民终1号",
            "system": "智能庭审系统"}


def post(api, who: str, body: dict):
    return api.status_of("notifier", "POST", "/v1/external-events", who, json=body)


def test_other_service_accounts_the_station_and_judges_may_not_post_indicator_events(api, sec):
    """吉高院通报29期 (四): a service account that is not the reporting system (catalog, archive), the scanning
    station and a presiding judge are refused naming the source — and nothing is kept: the same fact posted
    afterwards by the court's technology office is new, not a duplicate."""
    body = fact()
    for who in ("catalog", "archive", "station", sec.JUDGE):
        status, refused = post(api, who, body)
        sec.assert_refused(status, refused, (403,), rule=RULE)
    status, accepted = post(api, sec.TECH, body)
    assert status == 202 and accepted["duplicate"] is False, accepted


def test_the_technology_office_posts_for_its_own_court_only(api, sec):
    """吉高院通报29期 (四): each court's technology office compiles that court's figures, not another's."""
    status, refused = post(api, sec.TECH, fact(court="吉02"))
    sec.assert_refused(status, refused, (403,), rule=RULE)
