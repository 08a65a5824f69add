"""Which question the archive asks access-control for each read, and what it does with the answer.

吉高法〔2020〕11号 第九条 (全程留痕; who may read) and 第四条(二) (档案科 keeps and serves the e-archive):
every read of an archive record goes through an access-control decision made for the caller — its audit
record is the trace — with no role or service account served on its own say-so (issue 20 item 6):

- the 立卷→审核 workflow views (state, history, 核查 preview, and the check reports while the case is still on
  its way) and every workflow step are case records: ``read_case``;
- the e-archive itself — the package, its offline backup, and the check reports once the case is archived:
  ``read_archive``;
- a 移交 (transfer) record, created or read: ``transfer_archive``.

A 涉密 case (第十条) is invisible to whoever is refused with that rule: the answer is the 404 of a case the
archive has no record of. An archive record describes the whole dossier, 副卷 included, and a sealed package
cannot be cut: a yes that asks to withhold 副卷 or undisclosable material (法〔2016〕264号 三(六)) is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .workflow import ArchiveState

READ_CASE = "read_case"
READ_ARCHIVE = "read_archive"
TRANSFER_ARCHIVE = "transfer_archive"

ART3_8 = "吉高法〔2020〕11号 第三条(八)"
ART10 = "吉高法〔2020〕11号 第十条"
# access-control hears of 审核归档 through ``archive.archived``: for this long after it, a "not archived yet"
# refusal may only mean it has not heard yet, and the question is asked again for a few seconds
SETTLE_WINDOW = dt.timedelta(seconds=30)
SPC_3_6 = "法〔2016〕264号 三(六)"

WITHHELD_REASON = ("电子档案及其归档记录包含副卷和依法不公开的材料，不能删去后提供；当事人、诉讼代理人查阅请向办公室（档案科）提出申请"
                   "（吉高法〔2020〕11号 第四条(二)）。")


def report_action(state: ArchiveState | None) -> str:
    """Check reports are workflow views until 审核归档 (the archives office audits with them), then part of the
    e-archive."""
    return READ_ARCHIVE if state is ArchiveState.ARCHIVED else READ_CASE


def hides_case(rule: str | None) -> bool:
    """A refusal for a 涉密 case: the case is not to be shown to exist (第十条)."""
    return bool(rule) and "第十条" in str(rule)


def must_withhold(excludes_sub_volume: bool, excludes_undisclosable: bool) -> bool:
    """Whether a yes asks for material the archive cannot leave out of a whole record."""
    return excludes_sub_volume or excludes_undisclosable


def archived_at(record: Mapping[str, Any] | None) -> dt.datetime | None:
    """When the case was archived (审核归档), from the record's history; None when it is not archived."""
    if not record or record.get("state") != ArchiveState.ARCHIVED.value:
        return None
    for entry in reversed(record.get("history") or []):
        if entry.get("to_state") == ArchiveState.ARCHIVED.value:
            at = entry.get("at")
            if isinstance(at, str):
                at = dt.datetime.fromisoformat(at)
            if isinstance(at, dt.datetime):
                return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return None


def may_be_settling(record: Mapping[str, Any] | None, rule: str | None, now: dt.datetime) -> bool:
    """A "not archived yet" (第三条(八)) refusal for a case this archive archived moments ago."""
    at = archived_at(record)
    return at is not None and bool(rule) and "第三条(八)" in str(rule) and now - at < SETTLE_WINDOW
