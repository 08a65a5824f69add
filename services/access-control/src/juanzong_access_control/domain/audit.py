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
from collections.abc import Iterable, Mapping
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
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # a record differs from the signed checkpoint kept outside the db


_PROBLEM_ZH = {
    AuditProblem.HASH_MISMATCH: "记录内容被修改",
    AuditProblem.BROKEN_LINK: "记录链接断裂（前后记录被删除、插入或替换）",
    AuditProblem.SEQ_GAP: "记录序号不连续（有记录被删除）",
    AuditProblem.SEQ_ORDER: "记录顺序错乱或重复",
    AuditProblem.BAD_START: "记录链起点不符",
    AuditProblem.TRUNCATED: "记录链末尾缺失",
    AuditProblem.CHECKPOINT_MISMATCH: "记录与库外存证的签名检查点不符（记录链被改写）",
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
    anchors: Iterable[tuple[int, str]] = (),
) -> VerifyResult:
    """Check a chain in stored order from its start, or from just ``after`` a trusted record.

    Streams: one record of look-ahead tells a reordering from a deletion. ``head`` — the (seq, hash)
    the writer last stored beside the chain — and ``anchors`` — (seq, hash) pairs kept outside the
    database (signed checkpoints in write-once storage) — also catch what a chain cannot show by
    itself: records cut off its end, or a chain rewritten and rehashed from some point on. Only an
    anchor the database's operator cannot rewrite catches a rewrite of the whole chain and its head.
    """
    anchored = dict(anchors)
    last_anchor = max(anchored, default=0)
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
        if rec.seq in anchored and rec.hash != anchored[rec.seq]:
            return VerifyResult.bad(checked, rec.seq, AuditProblem.CHECKPOINT_MISMATCH)
        if head is not None and rec.seq == head[0] and rec.hash != head[1]:
            return VerifyResult.bad(checked, rec.seq, AuditProblem.BROKEN_LINK)
        checked += 1
        expected_seq += 1
        prev_hash = rec.hash
        last = rec
        rec = following
    if head is not None and (last is None or last.seq < head[0]):
        return VerifyResult.bad(checked, expected_seq, AuditProblem.TRUNCATED)
    if last_anchor and (last is None or last.seq < last_anchor):
        return VerifyResult.bad(checked, expected_seq, AuditProblem.TRUNCATED)
    return VerifyResult(ok=True, checked=checked)


# -- checkpoints kept outside the database ------------------------------------------------------------------
CHECKPOINT_CHAIN = "juanzong-audit"


class Checkpoint(BaseModel):
    """The chain's head at one moment, signed by access-control and kept in write-once storage: whoever can
    rewrite the database (records and the head beside them) cannot rewrite this (全程留痕, 法〔2016〕264号 一(三))."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=1)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    at: datetime

    @field_validator("at")
    @classmethod
    def _ms_utc(cls, v: datetime) -> datetime:
        return _normalise_time(v)

    @property
    def anchor(self) -> tuple[int, str]:
        return self.seq, self.hash

    def claims(self) -> dict[str, Any]:
        """What is signed."""
        return {"chain": CHECKPOINT_CHAIN, "seq": self.seq, "hash": self.hash, "at": _time_text(self.at)}

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Checkpoint:
        if claims.get("chain") != CHECKPOINT_CHAIN:
            raise ValueError("not an audit checkpoint")
        return cls(seq=claims["seq"], hash=claims["hash"], at=datetime.fromisoformat(claims["at"]))


def checkpoint_of(record: AuditRecord, at: datetime) -> Checkpoint:
    return Checkpoint(seq=record.seq, hash=record.hash, at=at)


def verify_extension(
    previous: Checkpoint | None, at_previous: AuditRecord | None, records: Iterable[AuditRecord]
) -> VerifyResult:
    """Before a new checkpoint is signed: the records after the last one (all of them when there is none) must
    chain on from it unchanged — a checkpoint is only ever signed for a chain that extends the previous one, so
    the latest checkpoint vouches for every earlier one."""
    if previous is None:
        return verify(records)
    if at_previous is None:
        return VerifyResult.bad(0, previous.seq, AuditProblem.TRUNCATED)
    if at_previous.seq != previous.seq or record_hash(at_previous) != at_previous.hash:
        return VerifyResult.bad(0, previous.seq, AuditProblem.HASH_MISMATCH)
    if at_previous.hash != previous.hash:
        return VerifyResult.bad(0, previous.seq, AuditProblem.CHECKPOINT_MISMATCH)
    return verify(records, after=at_previous)
