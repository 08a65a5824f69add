"""The audit chain anchored outside the database (issue 20 item 7): a signed checkpoint catches a rewrite of the whole
chain and its head, and a checkpoint is only signed for a chain that extends the previous one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from juanzong_access_control.adapters.audit_chain import read_checkpoint, sign_checkpoint
from juanzong_access_control.adapters.tokens import SigningKey, VerificationKeys
from juanzong_access_control.domain.audit import (
    AuditProblem,
    AuditRecord,
    Checkpoint,
    append,
    checkpoint_of,
    verify,
    verify_extension,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def chain(n: int, actor: str = "u-judge-li") -> list[AuditRecord]:
    out: list[AuditRecord] = []
    tail = None
    for i in range(n):
        tail = append(tail, at=T0 + timedelta(seconds=i), actor=actor, action="decision", case_id="（2026）吉01民终1号",
                      detail={"i": i})
        out.append(tail)
    return out


def test_a_rehashed_chain_passes_alone_but_not_against_the_checkpoint() -> None:
    real = chain(5)
    forged = chain(5, actor="u-someone-else")  # every hash recomputed: consistent in itself
    anchor = checkpoint_of(real[3], T0).anchor
    assert verify(forged, head=(forged[-1].seq, forged[-1].hash)).ok
    result = verify(forged, head=(forged[-1].seq, forged[-1].hash), anchors=[anchor])
    assert not result.ok and result.problem is AuditProblem.CHECKPOINT_MISMATCH and result.first_bad_seq == 4
    assert verify(real, anchors=[anchor]).ok


def test_a_chain_cut_before_the_checkpoint_is_truncated() -> None:
    real = chain(5)
    result = verify(real[:3], anchors=[checkpoint_of(real[4], T0).anchor])
    assert not result.ok and result.problem is AuditProblem.TRUNCATED


def test_a_new_checkpoint_needs_the_chain_to_extend_the_last_one() -> None:
    real = chain(6)
    last = checkpoint_of(real[2], T0)
    assert verify_extension(last, real[2], real[3:]).ok
    assert verify_extension(None, None, real).ok
    forged = chain(6, actor="u-someone-else")
    bad = verify_extension(last, forged[2], forged[3:])
    assert not bad.ok and bad.problem is AuditProblem.CHECKPOINT_MISMATCH
    assert verify_extension(last, None, real[3:]).problem is AuditProblem.TRUNCATED


def test_a_checkpoint_is_read_only_with_access_controls_key() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    c = Checkpoint(seq=7, hash="a" * 64, at=T0)
    assert read_checkpoint(sign_checkpoint(c, key), VerificationKeys.of(key)) == c
    with pytest.raises(ValueError):
        read_checkpoint(sign_checkpoint(c, other), VerificationKeys.of(key))
    head, body, sig = sign_checkpoint(c, key).split(".")
    with pytest.raises(ValueError):
        read_checkpoint(f"{head}.{body}.{sig[:-4]}AAAA", VerificationKeys.of(key))
