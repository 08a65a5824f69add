"""The tamper-evident audit chain (全程留痕: 吉高法〔2020〕11号 第九条, 法〔2016〕264号 一(三))."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from juanzong_access_control.domain.audit import (
    GENESIS_HASH,
    AuditProblem,
    AuditRecord,
    append,
    canonical_json,
    verify,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


def chain(n: int = 6) -> list[AuditRecord]:
    out: list[AuditRecord] = []
    tail = None
    for i in range(n):
        tail = append(
            tail,
            at=T0 + timedelta(seconds=i),
            actor=f"u-{i % 3}",
            action="dossier.page.read" if i % 2 else "access.decision",
            case_id="（2026）吉民终12号",
            detail={"page": i, "allowed": bool(i % 2), "reason_zh": "合议庭成员"},
        )
        out.append(tail)
    return out


def test_intact_chain_verifies_全程留痕():
    records = chain()
    assert records[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in pairwise(records))
    result = verify(records)
    assert result.ok and result.checked == 6 and result.first_bad_seq is None


def test_hash_is_sha256_of_canonical_fields():
    r = chain(1)[0]
    body = {
        "seq": 1,
        "at": "2026-03-02T09:00:00.123Z",
        "actor": "u-0",
        "action": "access.decision",
        "case_id": "（2026）吉民终12号",
        "detail": {"page": 0, "allowed": False, "reason_zh": "合议庭成员"},
        "prev_hash": GENESIS_HASH,
    }
    assert r.hash == hashlib.sha256(canonical_json(body)).hexdigest()


def test_edited_record_detected_第九条():
    records = chain()
    records[3] = records[3].model_copy(update={"detail": {**records[3].detail, "allowed": False}})
    result = verify(records)
    assert not result.ok and result.first_bad_seq == 4 and result.problem is AuditProblem.HASH_MISMATCH
    assert result.checked == 3 and result.problem_zh


def test_edited_and_rehashed_record_breaks_next_link_第九条():
    records = chain()
    forged = append(
        records[1],
        at=records[2].at,
        actor="someone-else",
        action=records[2].action,
        case_id=records[2].case_id,
        detail=records[2].detail,
    )
    records[2] = forged
    result = verify(records)
    assert not result.ok and result.first_bad_seq == 4 and result.problem is AuditProblem.BROKEN_LINK


def test_deleted_record_detected_第九条():
    records = chain()
    del records[2]
    result = verify(records)
    assert not result.ok and result.first_bad_seq == 4 and result.problem is AuditProblem.SEQ_GAP


def test_deleted_first_record_detected():
    result = verify(chain()[1:])
    assert not result.ok and result.first_bad_seq == 2


def test_reordered_records_detected_第九条():
    records = chain()
    records[2], records[3] = records[3], records[2]
    result = verify(records)
    assert not result.ok and result.first_bad_seq == 4 and result.problem is AuditProblem.SEQ_ORDER
    # storage order alone is not tampering: read by seq
    assert verify(sorted(records, key=lambda r: r.seq)).ok


def test_inserted_record_detected_第九条():
    records = chain()
    intruder = append(
        records[2],
        at=records[2].at,
        actor="intruder",
        action="access.decision",
        case_id=records[2].case_id,
        detail={"allowed": True},
    )
    records.insert(3, intruder)  # same seq as the genuine 4th record, correct link and hash
    result = verify(records)
    assert not result.ok and result.first_bad_seq == 4
    assert result.problem in (AuditProblem.SEQ_ORDER, AuditProblem.BROKEN_LINK)
    assert not verify(sorted(records, key=lambda r: r.seq)).ok


def test_truncated_tail_needs_a_checkpoint():
    records = chain()
    head = (records[-1].seq, records[-1].hash)
    assert verify(records[:-2]).ok  # a chain cannot see its own end cut off ...
    result = verify(records[:-2], head=head)  # ... the checkpoint can
    assert not result.ok and result.problem is AuditProblem.TRUNCATED
    assert verify(records, head=head).ok
    assert verify([*records, append(records[-1], at=T0, actor="a", action="b")], head=head).ok


def test_rewritten_chain_caught_by_checkpoint():
    records = chain()
    head = (records[-1].seq, records[-1].hash)
    rewritten = records[:2]
    for r in records[2:]:
        rewritten.append(
            append(
                rewritten[-1], at=r.at, actor="rewriter", action=r.action, case_id=r.case_id, detail=r.detail
            )
        )
    assert verify(rewritten).ok
    result = verify(rewritten, head=head)
    assert not result.ok and result.first_bad_seq == 6


def test_verify_from_trusted_anchor():
    records = chain()
    assert verify(records[3:], after=records[2]).ok
    assert not verify(records[4:], after=records[2]).ok


def test_survives_database_round_trip():
    records = chain()
    # MongoDB keeps milliseconds and returns naive UTC datetimes unless tz_aware is set
    stored = [r.model_dump() | {"at": r.at.replace(tzinfo=None)} for r in records]
    back = [AuditRecord.model_validate(doc) for doc in stored]
    assert verify(back).ok
    assert records[0].at.microsecond == 123000


def test_detail_key_order_does_not_matter():
    a = append(None, at=T0, actor="a", action="x", detail={"b": 1, "a": [1, "二"]})
    b = append(None, at=T0, actor="a", action="x", detail={"a": [1, "二"], "b": 1})
    assert a.hash == b.hash
    c = append(None, at=T0, actor="a", action="x", detail={"a": [1, "三"], "b": 1})
    assert c.hash != a.hash


FIELDS = st.sampled_from(["at", "actor", "action", "case_id", "detail", "prev_hash", "seq"])


@settings(max_examples=40, deadline=None)
@given(index=st.integers(min_value=0, max_value=5), field=FIELDS, salt=st.text(min_size=1, max_size=5))
def test_any_single_field_change_is_detected(index, field, salt):
    records = chain()
    r = records[index]
    changed = {
        "at": r.at + timedelta(milliseconds=1),
        "actor": r.actor + salt,
        "action": r.action + salt,
        "case_id": (r.case_id or "") + salt,
        "detail": {**r.detail, "extra": salt},
        "prev_hash": hashlib.sha256(salt.encode()).hexdigest(),
        "seq": r.seq + 1,
    }[field]
    records[index] = r.model_copy(update={field: changed})
    result = verify(records)
    assert not result.ok
    assert result.first_bad_seq in (r.seq, r.seq + 1)
