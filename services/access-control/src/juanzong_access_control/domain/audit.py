"""The audit trail (全程留痕): an append-only hash chain of every read, decision, approval and borrowing.

吉高法〔2020〕11号 第九条 asks that reading be "全程留痕"; 法〔2016〕264号 一(三) that the case's whole
handling leave a trace. Each record's hash covers its fields and the previous record's hash, so an
edited, deleted, reordered or inserted record breaks the chain at a point ``verify`` reports.

Times are kept to the millisecond in UTC, the precision MongoDB stores, so a record read back from
the database hashes the same as when it was written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

GENESIS_HASH = "0" * 64


def _normalise_time(at: datetime) -> datetime:
    # Naive times are read as UTC: that is how PyMongo returns them without tz_aware=True.
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


class AuditRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=1)
    at: datetime
    actor: str
    action: str
    case_id: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    @field_validator("at")
    @classmethod
    def _ms_utc(cls, v: datetime) -> datetime:
        return _normalise_time(v)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 kept as is: the same bytes for the same content everywhere."""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode()


def _time_text(at: datetime) -> str:
    return _normalise_time(at).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def compute_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    case_id: str | None,
    detail: Mapping[str, Any],
    prev_hash: str,
) -> str:
    body = {
        "seq": seq,
        "at": _time_text(at),
        "actor": actor,
        "action": action,
        "case_id": case_id,
        "detail": dict(detail),
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


def append(
    tail: AuditRecord | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    case_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """The record that follows ``tail`` (None: the first record of the chain)."""
    seq = 1 if tail is None else tail.seq + 1
    prev = GENESIS_HASH if tail is None else tail.hash
    # Round-trip the detail through JSON: what is hashed is exactly what can be stored and read back.
    clean = json.loads(canonical_json(dict(detail or {})))
    at = _normalise_time(at)
    digest = compute_hash(
        seq=seq, at=at, actor=actor, action=action, case_id=case_id, detail=clean, prev_hash=prev
    )
    return AuditRecord(
        seq=seq, at=at, actor=actor, action=action, case_id=case_id, detail=clean, prev_hash=prev, hash=digest
    )


def record_hash(record: AuditRecord) -> str:
    return compute_hash(
        seq=record.seq,
        at=record.at,
        actor=record.actor,
        action=record.action,
        case_id=record.case_id,
        detail=record.detail,
        prev_hash=record.prev_hash,
    )


class AuditProblem(StrEnum):
    HASH_MISMATCH = "hash_mismatch"  # the record's content was changed
    BROKEN_LINK = "broken_link"  # prev_hash is not the hash of the record before it
    SEQ_GAP = "seq_gap"  # a record is missing
    SEQ_ORDER = "seq_order"  # records out of order or repeated
    BAD_START = "bad_start"  # the chain does not start where it should
    TRUNCATED = "truncated"  # the chain ends before the head known elsewhere


_PROBLEM_ZH = {
    AuditProblem.HASH_MISMATCH: "记录内容被修改",
    AuditProblem.BROKEN_LINK: "记录链接断裂（前后记录被删除、插入或替换）",
    AuditProblem.SEQ_GAP: "记录序号不连续（有记录被删除）",
    AuditProblem.SEQ_ORDER: "记录顺序错乱或重复",
    AuditProblem.BAD_START: "记录链起点不符",
    AuditProblem.TRUNCATED: "记录链末尾缺失",
}


class VerifyResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: AuditProblem | None = None
    problem_zh: str | None = None

    @classmethod
    def bad(cls, checked: int, seq: int | None, problem: AuditProblem) -> VerifyResult:
        return cls(
            ok=False, checked=checked, first_bad_seq=seq, problem=problem, problem_zh=_PROBLEM_ZH[problem]
        )


def verify(
    records: Iterable[AuditRecord],
    *,
    after: AuditRecord | None = None,
    head: tuple[int, str] | None = None,
) -> VerifyResult:
    """Check a chain in stored order from its start, or from just ``after`` a trusted record.

    Streams: one record of look-ahead tells a reordering from a deletion. ``head`` — a (seq, hash)
    pair kept elsewhere (e.g. a signed daily checkpoint) — also catches what a chain cannot show by
    itself: records cut off its end, or a chain rewritten and rehashed from some point on.
    """
    expected_seq = 1 if after is None else after.seq + 1
    prev_hash = GENESIS_HASH if after is None else after.hash
    checked = 0
    last: AuditRecord | None = after
    it = iter(records)
    rec = next(it, None)
    while rec is not None:
        following = next(it, None)
        if rec.seq != expected_seq:
            if checked == 0 and after is None and rec.seq > 1 and (following is None or following.seq != 1):
                return VerifyResult.bad(checked, rec.seq, AuditProblem.BAD_START)
            swapped = following is not None and following.seq == expected_seq
            problem = (
                AuditProblem.SEQ_GAP if rec.seq > expected_seq and not swapped else AuditProblem.SEQ_ORDER
            )
            return VerifyResult.bad(checked, rec.seq, problem)
        if record_hash(rec) != rec.hash:
            return VerifyResult.bad(checked, rec.seq, AuditProblem.HASH_MISMATCH)
        if rec.prev_hash != prev_hash:
            return VerifyResult.bad(checked, rec.seq, AuditProblem.BROKEN_LINK)
        if head is not None and rec.seq == head[0] and rec.hash != head[1]:
            return VerifyResult.bad(checked, rec.seq, AuditProblem.BROKEN_LINK)
        checked += 1
        expected_seq += 1
        prev_hash = rec.hash
        last = rec
        rec = following
    if head is not None and (last is None or last.seq < head[0]):
        return VerifyResult.bad(checked, expected_seq, AuditProblem.TRUNCATED)
    return VerifyResult(ok=True, checked=checked)


def verify_all(records: Sequence[AuditRecord]) -> VerifyResult:
    """``verify`` over records fetched in any order: sorted by seq first, so storage order does not
    matter but a repeated or missing seq still does."""
    return verify(sorted(records, key=lambda r: r.seq))
