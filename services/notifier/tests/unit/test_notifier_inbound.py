"""The bus handler's reading of producers' payload models for the rules, and the webhook signature."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from juanzong_notifier.adapters.channels import sign, verify
from juanzong_notifier.domain.rules import load_rules
from juanzong_notifier.service_layer.clocks import subscribed_types, to_inbound
from juanzong_shared.errors import DomainError
from juanzong_shared.events import REGISTRY

pytestmark = pytest.mark.unit

CASE = "（2026）吉01民终7号"


def make(event_type, payload, court="吉01", case=CASE):
    """The domain's event for a payload as the bus hands it to the handler (validated as the producer's model)."""
    model = REGISTRY.spec(event_type).payload.model_validate(payload)
    return to_inbound(event_type, model, event_id="e1", occurred_at=datetime.now(UTC), court=court,
                      case_number=case)


def test_case_closed_counts_from_closed_at_not_from_publication():
    """吉高法〔2020〕11号 第五条(四): the 2 working days run from 结案, the payload's closed_at."""
    e = (make("case.closed", {"case_number": CASE, "closed_at": "2026-02-13T16:30:00+08:00"}))
    assert e.occurred_at == datetime(2026, 2, 13, 8, 30, tzinfo=UTC)


def test_scan_task_events_name_their_task_and_count_as_filing_stage():
    """吉高法〔2020〕11号 第五条(一)/(三): scan-task clocks are keyed by the task."""
    e = (make("scan.task.in_cabinet", {"scan_task_id": "t1", "case_number": CASE, "state": "in_cabinet",
                                                 "at": "2026-03-02T09:00:00+08:00"}))
    assert e.scan_task_id == "t1" and e.stage == "filing"


def test_hearing_scheduled_counts_back_from_the_hearing_and_is_keyed_by_its_date():
    """长中法〔2018〕129号 第七条: 开庭5个工作日前 counts from the hearing time (payload ``at``)."""
    e = (make("case.hearing.scheduled", {"case_number": CASE, "at": "2026-10-12T09:00:00+08:00"}))
    assert e.hearing_at == datetime(2026, 10, 12, 1, tzinfo=UTC)
    assert e.hearing_id == "2026-10-12"
    assert e.occurred_at != datetime(2026, 10, 12, 1, tzinfo=UTC)  # scheduling happened now, not at the hearing


def test_catalog_and_archive_fields_feed_the_indicators():
    """吉高院通报29期: 智能编目率 counts documents, 电子卷宗自动归档率 the one-click conversions."""
    c = (make("catalog.dossier.catalogued", {"case_number": CASE, "batch_id": "b", "documents": 9,
                                                      "pages": 20, "documents_auto": 7}))
    assert c.documents_total == 9 and c.stage == "filing"
    r = (make("catalog.dossier.read", {"case_number": CASE, "reader": "u1"}))
    assert r.type == "catalog.dossier.read_online"
    a = (make("archive.archived", {"case_number": CASE, "archival_code": "x", "package_key": "k",
                                             "at": "2026-10-30T10:00:00+08:00", "automatic": True}))
    assert a.converted_automatically is True


def test_dossier_request_is_a_clock_of_the_holding_court():
    """法〔2016〕264号 三(五): the original court sends the e-dossier within 3 working days."""
    e = (make("dossier.requested", {"case_number": CASE, "original_case_number": "（2025）吉0102民初5号",
                                              "requesting_court": "吉01", "holding_court": "吉0102",
                                              "at": "2026-03-02T09:00:00+08:00"}))
    assert (e.court, e.case_id, e.request_id) == ("吉0102", "（2025）吉0102民初5号", f"吉01:{CASE}")


def test_an_event_without_a_court_cannot_be_mapped():
    with pytest.raises(DomainError):
        (make("case.closed", {"case_number": CASE, "closed_at": "2026-02-13T16:30:00+08:00"}, court=None))


def test_handler_map_binds_every_rule_trigger_and_indicator_source():
    handlers = subscribed_types(load_rules())
    for event_type in ("case.registered", "case.closed", "archive.filing.submitted", "archive.archived",
                       "catalog.dossier.read", "dossier.delivered"):
        assert event_type in handlers


def test_facts_of_systems_outside_the_suite_are_not_taken_off_the_bus():
    """吉高院通报29期 (四): 智能庭审 / 文书辅助生成 facts enter through POST /v1/external-events, where the reporting
    account is checked — not off the bus, where any publisher on the exchange could add to a court's figures."""
    handlers = subscribed_types(load_rules())
    assert "trial.smart_session.held" not in handlers and "document.assisted.generated" not in handlers


def test_webhook_signature_is_hmac_sha256_over_timestamp_and_body():
    signature = sign("s3cret", "1700000000", b'{"a":1}')
    assert signature.startswith("sha256=") and verify("s3cret", "1700000000", b'{"a":1}', signature)
    assert not verify("s3cret", "1700000001", b'{"a":1}', signature)
