"""Events produced by access-control (approvals, borrowing, token revocation).

Optional fields added with the access-control service (issue 7) say who must act next and which rule
applies, so the notifier can address a reminder without asking back.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from juanzong_shared.events.envelope import EventSpec, Payload

PRODUCER = "access-control"


class AccessRequestChanged(Payload):
    request_id: str
    case_number: str
    requester: str
    state: str
    next_approver_role: str | None = None
    at: datetime
    next_approver_ids: list[str] = Field(default_factory=list,
                                         description="Users who may take the next step (for notifications).")
    actor: str | None = Field(None, description="Who took this step (system for expiry).")
    step: str | None = Field(None, description="The approval step taken: undertaking_judge | department_head | "
                                                "supervising_leader.")
    reason: str | None = None
    rule: str | None = Field(None, examples=["吉高法〔2020〕11号 第九条第2项"])
    grant_id: str | None = None
    grant_expires_at: datetime | None = None


class BorrowingChanged(Payload):
    borrowing_id: str
    case_number: str
    borrower: str
    kind: str
    state: str
    due: datetime | None = None
    at: datetime
    actor: str | None = None
    approver_role: str | None = Field(None, description="Who must approve: supervising_leader | department_head | "
                                                        "presiding_judge.")
    approver_ids: list[str] = Field(default_factory=list)
    rule: str | None = Field(None, examples=["吉高法〔2020〕11号 第八条(一)"])
    reason: str | None = None
    notice: int | None = Field(None, description="How many times this overdue/explanation reminder was sent.")
    explanation_due: datetime | None = None
    presiding_judge: str | None = None


class TokenRevoked(Payload):
    jti: str = Field(..., description="The revoked token's id (never the token itself).")
    until: datetime = Field(..., description="The token's own expiry: after it, the revocation is moot.")
    subject: str | None = Field(None, description="Whose token it was.", examples=["u-judge-wang"])
    token_use: str | None = Field(None, description="access | refresh", examples=["access"])
    at: datetime


SPECS = [
    *[EventSpec(f"access.request.{s}", 1, AccessRequestChanged, PRODUCER, f"Access request {s}.")
      for s in ("created", "approved", "denied", "expired", "revoked")],
    EventSpec("access.request.step_approved", 1, AccessRequestChanged, PRODUCER,
              "One approval of the chain given; the request waits for the next approver (吉高法〔2020〕11号 第九条)."),
    EventSpec("access.request.withdrawn", 1, AccessRequestChanged, PRODUCER, "The requester withdrew the request."),
    *[EventSpec(f"borrowing.{s}", 1, BorrowingChanged, PRODUCER, f"Paper borrowing {s} (吉高法〔2020〕11号 第八条).")
      for s in ("requested", "approved", "denied", "returned", "overdue", "explanation_overdue")],
    EventSpec("borrowing.lent", 1, BorrowingChanged, PRODUCER,
              "立案庭 handed the paper over; the days run from now (吉高法〔2020〕11号 第四条(一)5)."),
    EventSpec("borrowing.explained", 1, BorrowingChanged, PRODUCER,
              "The explanation an emergency borrowing owes was given (吉高法〔2020〕11号 第八条(三))."),
    EventSpec("access.token.revoked", 1, TokenRevoked, PRODUCER,
              "A token was revoked (RFC 7009); every access-control replica refuses it from now on."),
]
