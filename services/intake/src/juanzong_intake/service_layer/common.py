"""What every use case of intake shares: its ports, the actor, the clock, loading a case it may touch.

A use case runs its writes through ``transact`` (a fresh unit of work with intake's repositories, run again on
a transient conflict: ``runtime.transact``, or ``FakeUnitOfWork.transact`` in unit tests) and its reads through
``read()`` (the repositories outside a transaction). A domain refusal raised inside the unit of work aborts it,
so a refused request stores nothing and emits nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from juanzong_intake.adapters.repository import Repositories, case_from_doc
from juanzong_intake.domain.case import Case
from juanzong_intake.domain.case_number import parse_case_number
from juanzong_intake.domain.errors import CaseNumberError, InvalidInput
from juanzong_intake.service_layer.access import CaseAccess, case_not_found

Transact = Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]]
Read = Callable[[], Repositories]


@dataclass(frozen=True)
class Actor:
    subject: str
    department: str | None = None


def now_utc() -> datetime:
    """Now, to the millisecond: what the database keeps, so a stored case reads back identical."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def canonical(case_number: str) -> str:
    """The stored key of a case number given in any accepted spelling (full-width digits, ASCII brackets)."""
    try:
        return parse_case_number(case_number).canonical
    except CaseNumberError:
        return case_number.strip()


def _field(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def invalid_from(error: ValidationError, prefix: str = "") -> InvalidInput:
    """A pydantic error from a domain model as field errors; a bad case number names its part."""
    pairs: list[tuple[str, str]] = []
    for item in error.errors():
        field = _field([*([prefix] if prefix else []), *item.get("loc", ())])
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, CaseNumberError):
            pairs.append((f"{field}.{cause.part}" if field != "body" else cause.field, cause.reason_zh))
        else:
            pairs.append((field, str(item.get("msg", "invalid"))))
    return InvalidInput(pairs)


async def load_case(repos: Repositories, case_number: str) -> tuple[dict[str, Any], Case]:
    key = canonical(case_number)
    doc = await repos.cases.case_doc(key)
    if doc is None:
        raise case_not_found(key)
    return doc, case_from_doc(doc)


async def readable_page(docs: AsyncIterator[dict[str, Any]],
                        judge: Callable[[Sequence[dict[str, Any]]], Awaitable[list[bool]]], *, limit: int,
                        offset: int, chunk: int = 64) -> tuple[list[dict[str, Any]], int]:
    """One page of the documents the caller may read, and how many they may read in all (need to know: a list
    shows nothing of a case the caller could not open). Documents are judged ``chunk`` at a time."""
    items: list[dict[str, Any]] = []
    total, batch = 0, []

    async def judge_batch() -> None:
        nonlocal total
        for doc, ok in zip(batch, await judge(batch), strict=True):
            if ok:
                if offset <= total < offset + limit:
                    items.append(doc)
                total += 1
        batch.clear()

    async for doc in docs:
        batch.append(doc)
        if len(batch) >= chunk:
            await judge_batch()
    if batch:
        await judge_batch()
    return items, total


class UseCases:
    """The ports every aggregate's use cases take."""

    def __init__(self, transact: Transact, read: Read) -> None:
        self.transact = transact
        self.read = read

    async def allowed_case(self, case_number: str, access: CaseAccess, action: str) -> dict[str, Any]:
        """The case's document once access-control has said yes to ``action`` on it (吉高法〔2020〕11号 第九条);
        asked before the unit of work, so a refusal stores nothing. Unknown case → 404; see :class:`CaseAccess`."""
        doc, _ = await load_case(self.read(), case_number)
        await access.require(action, doc)
        return doc
