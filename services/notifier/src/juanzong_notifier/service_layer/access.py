"""Asking access-control whether the caller may see a case's record (``read_case``), one case or a list of them.

The rules of the answer are in :mod:`juanzong_notifier.domain.access`; each decision is recorded by access-control
(its audit trail is the record of who looked, 全程留痕).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from juanzong_shared.auth import AccessDecider, Decision, Identity

from juanzong_notifier.domain.access import READ_CASE, invisible, readable
from juanzong_notifier.domain.errors import AccessRefused, CaseNotFound

_PARALLEL = 16  # decisions asked at once for a list


def auth_switched_off(identity: Identity) -> bool:
    """The stand-in identity when ``JZ_AUTH_REQUIRED=false`` (development): there is no token to ask with."""
    return identity.kind == "service" and identity.subject == "anonymous" and "system" in identity.roles


async def require_case(decider: AccessDecider, identity: Identity, case_number: str, *, known: bool,
                       secret: bool = False) -> None:
    """403 naming the rule, or 404 when the case is invisible to the caller — 涉密 (第十条: by access-control's
    rule, or ``secret`` as its registration said, whatever other rule refused) — or neither access-control nor the
    notifier knows it (``known``: the notifier holds something of the case). The 404 is the one any unknown case
    gets, so a refusal tells nobody that a 涉密 case of that number exists."""
    if auth_switched_off(identity):
        return
    decision = await decider.decide(identity, READ_CASE, case_number)
    if readable(decision):
        return
    if not known or secret or invisible(decision):
        raise CaseNotFound(case_number)
    if not decision.allowed:
        raise AccessRefused(decision.reason, decision.rule)
    raise AccessRefused(f"授权附带本服务无法履行的义务 ({', '.join(decision.unknown())}): refused rather than served "
                        "unfiltered", decision.rule)


async def readable_cases(decider: AccessDecider, identity: Identity, case_numbers: Iterable[str]) -> set[str]:
    """The cases of ``case_numbers`` the caller may see (a list shows only those, and nothing of the others)."""
    wanted = sorted(set(case_numbers))
    if auth_switched_off(identity):
        return set(wanted)
    limit = asyncio.Semaphore(_PARALLEL)

    async def decide(case_number: str) -> tuple[str, Decision]:
        async with limit:
            return case_number, await decider.decide(identity, READ_CASE, case_number)

    answers = await asyncio.gather(*(decide(c) for c in wanted))
    return {case_number for case_number, decision in answers if readable(decision)}
