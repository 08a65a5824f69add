"""Events v2 for scan tasks (issue 21): ``scan.task.*`` name the task ``scan_task_id`` from v2 on; a v1 event still
in flight (``task_id``) reads as the v2 model, so consumers move before the last v1 message is gone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from juanzong_shared.events import REGISTRY
from juanzong_shared.events.intake import ScanTaskChanged, ScanTaskChangedV1

pytestmark = pytest.mark.unit

STATES = ("created", "in_cabinet", "picked_up", "check_passed", "check_failed", "scanning", "scanned", "catalogued")
AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize("state", STATES)
def test_a_v1_scan_task_event_reads_as_the_v2_model(state):
    v1 = REGISTRY.create(f"scan.task.{state}", ScanTaskChangedV1(
        task_id="ST-1", case_number="（2025）吉01民终1号", state=state, at=AT, sequence=2, mismatches=["缺第3页"]),
        version=1)
    assert v1.version == 1 and v1.payload["task_id"] == "ST-1"
    read = REGISTRY.read_payload(v1)
    assert isinstance(read, ScanTaskChanged)
    assert read == ScanTaskChanged(scan_task_id="ST-1", case_number="（2025）吉01民终1号", state=state, at=AT,
                                   sequence=2, mismatches=["缺第3页"])


def test_a_producer_emits_v2():
    payload = ScanTaskChanged(scan_task_id="ST-1", case_number="（2025）吉01民终1号", state="created", at=AT)
    event = REGISTRY.event(payload, event_type="scan.task.created")
    assert event.version == 2 and event.payload["scan_task_id"] == "ST-1" and "task_id" not in event.payload
    assert REGISTRY.read_payload(event) == payload
