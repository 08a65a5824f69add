"""Paper borrowing (纸质材料线下借阅, 吉高法〔2020〕11号 第八条)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from juanzong_shared.pagination import Limit, Offset, Page
from pydantic import BaseModel, ConfigDict, Field

from ..domain.borrowing import Borrowing, BorrowingKind, PaperMaterial, SessionKind, VerificationPurpose
from .deps import AcDep, CallerDep
from .problems_doc import responses

router = APIRouter(prefix="/v1/borrowings", tags=["borrowing"])


class BorrowingIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"case_number": "（2025）吉01民终123号", "kind": "original_trial_paper", "materials": ["original_trial_archive"],
         "days": 20, "purpose": "核对原审证据原件"}]})

    case_number: str = Field(..., min_length=1, max_length=100)
    kind: BorrowingKind = Field(..., description="original_trial_paper (第八条(一)) | current_case_paper (第八条(二)) | "
                                                 "emergency (第八条(三)) | verification (第八条(四))")
    materials: list[PaperMaterial] = Field(..., min_length=1, examples=[["original_trial_archive"]])
    days: int = Field(..., examples=[20])
    purpose: str = Field(..., max_length=2000)
    session: SessionKind | None = Field(None, description="Emergency: the proceedings that cannot go on.")
    cause: str | None = Field(None, max_length=2000, description="Emergency: the network or technical failure.")
    verification_purpose: VerificationPurpose | None = None


class TextIn(BaseModel):
    text: str = Field(..., max_length=4000, examples=["庭审中网络中断，经审判长同意调取纸质卷宗。"])


class ReasonIn(BaseModel):
    reason: str = Field(..., max_length=2000, examples=["可通过电子卷宗查阅"])


class BorrowingOut(BaseModel):
    borrowing_id: str = Field(..., examples=["bw-1a2b3c4d5e6f"])
    case_number: str
    kind: str
    rule: str = Field(..., examples=["吉高法〔2020〕11号 第八条(一)"])
    materials: list[str]
    borrower: str
    purpose: str
    days: int
    status: str = Field(..., examples=["requested"])
    requested_at: datetime
    approver: str | None = None
    decided_at: datetime | None = None
    denial_reason: str | None = None
    lent_at: datetime | None = None
    due_at: datetime | None = None
    returned_at: datetime | None = None
    explanation_due_at: datetime | None = None
    explanation: str | None = None
    overdue_notices: int = 0
    explanation_chases: int = 0

    @classmethod
    def of(cls, b: Borrowing) -> BorrowingOut:
        return cls(borrowing_id=b.borrowing_id, case_number=b.case_id, kind=b.kind.value, rule=b.rule,
                   materials=sorted(m.value for m in b.materials), borrower=b.borrower_id, purpose=b.purpose_zh,
                   days=b.days, status=b.status.value, requested_at=b.requested_at, approver=b.approver_id,
                   decided_at=b.decided_at, denial_reason=b.denial_reason_zh, lent_at=b.lent_at, due_at=b.due_at,
                   returned_at=b.returned_at, explanation_due_at=b.explanation_due_at, explanation=b.explanation_zh,
                   overdue_notices=b.overdue_notices, explanation_chases=b.explanation_chases)


@router.post("", status_code=201, response_model=BorrowingOut, summary="Ask to borrow paper (limits of 第八条 apply)",
             responses=responses(401, 403, 404, 409, 422))
async def request_borrowing(body: BorrowingIn, caller: CallerDep, ac: AcDep) -> BorrowingOut:
    b = await ac.borrowings.request(caller, case_number=body.case_number, kind=body.kind, materials=body.materials,
                                    days=body.days, purpose=body.purpose, session=body.session, cause=body.cause,
                                    verification_purpose=body.verification_purpose)
    return BorrowingOut.of(b)


@router.get("", response_model=Page[BorrowingOut],
            summary="Borrowings of a case (whoever may read the case), or those I may see (mine; my court's for the "
                    "staff who handle paper). Every read is audited.", responses=responses(401, 403, 404))
async def list_borrowings(caller: CallerDep, ac: AcDep,
                          case_number: str | None = Query(None, min_length=1, max_length=100,
                                                          examples=["（2025）吉01民终123号"]),
                          status: str | None = Query(None, max_length=20, examples=["lent"]),
                          limit: Limit = 50, offset: Offset = 0) -> Page[BorrowingOut]:
    if case_number:
        found = await ac.borrowings.read_of_case(caller, case_number, status=status, limit=limit, offset=offset)
    else:
        found = await ac.borrowings.read_visible(caller, status=status, limit=limit, offset=offset)
    return Page.of([BorrowingOut.of(b) for b in found], limit=limit, offset=offset)


@router.get("/{borrowing_id}", response_model=BorrowingOut, summary="One borrowing (its borrower, or who may read "
            "its case)", responses=responses(401, 403, 404))
async def get_borrowing(borrowing_id: str, caller: CallerDep, ac: AcDep) -> BorrowingOut:
    return BorrowingOut.of(await ac.borrowings.read_one(caller, borrowing_id))


@router.post("/{borrowing_id}/approve", response_model=BorrowingOut,
             summary="Approve (分管院领导, 部门负责人 or 审判长 as 第八条 names)", responses=responses(401, 403, 404, 409))
async def approve(borrowing_id: str, caller: CallerDep, ac: AcDep) -> BorrowingOut:
    return BorrowingOut.of(await ac.borrowings.approve(caller, borrowing_id))


@router.post("/{borrowing_id}/deny", response_model=BorrowingOut, summary="Refuse, with the reason",
             responses=responses(401, 403, 404, 409, 422))
async def deny(borrowing_id: str, body: ReasonIn, caller: CallerDep, ac: AcDep) -> BorrowingOut:
    return BorrowingOut.of(await ac.borrowings.deny(caller, borrowing_id, body.reason))


@router.post("/{borrowing_id}/lend", response_model=BorrowingOut,
             summary="立案庭 hands the paper over; the due date starts (第四条(一)5)", responses=responses(401, 403, 404, 409))
async def lend(borrowing_id: str, caller: CallerDep, ac: AcDep) -> BorrowingOut:
    return BorrowingOut.of(await ac.borrowings.lend(caller, borrowing_id))


@router.post("/{borrowing_id}/return", response_model=BorrowingOut, summary="立案庭 takes the paper back",
             responses=responses(401, 403, 404, 409))
async def give_back(borrowing_id: str, caller: CallerDep, ac: AcDep) -> BorrowingOut:
    return BorrowingOut.of(await ac.borrowings.give_back(caller, borrowing_id))


@router.post("/{borrowing_id}/explanation", response_model=BorrowingOut,
             summary="The after-the-fact explanation of an emergency borrowing (第八条(三))",
             responses=responses(401, 403, 404, 409, 422))
async def explain(borrowing_id: str, body: TextIn, caller: CallerDep, ac: AcDep) -> BorrowingOut:
    return BorrowingOut.of(await ac.borrowings.explain(caller, borrowing_id, body.text))
