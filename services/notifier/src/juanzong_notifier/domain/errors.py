"""The notifier's refusals (mapped to problem+json at the edge, dead-lettered by the consumer)."""

from __future__ import annotations

from juanzong_shared.errors import Forbidden, Invalid, NotFound


class InvalidInput(Invalid, code="validation"):
    """An event or a request the rules cannot take (a hearing without its time, a case without a court)."""


class AccessRefused(Forbidden):
    """Not the caller's to see or do; ``rule`` names the article that refused, when one did."""

    title = "无权访问"

    def __init__(self, reason: str, rule: str | None = None) -> None:
        super().__init__("", reason, rule=rule)


class CaseNotFound(NotFound):
    """Unknown to the notifier — or 涉密 and so invisible to the caller (吉高法〔2020〕11号 第十条): the same answer."""

    def __init__(self, case_number: str) -> None:
        super().__init__("", f"案件 {case_number} 不存在 (not found)")
