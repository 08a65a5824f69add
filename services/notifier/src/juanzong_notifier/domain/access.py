"""Who may see what in the notifier (issue 20 items 10 and 13). Pure rules, no I/O.

* Deadlines and ledgers are case records: a caller sees a case's deadlines only when access-control allows
  ``read_case`` on it (吉高法〔2020〕11号 第九条: need to know). A 涉密 case is not refused but invisible to those
  outside it (第十条): the same 404 as a case the notifier never heard of.
* The indicator facts from systems outside the suite (智能庭审, 文书辅助生成) are reported by those systems' own
  accounts — scope ``indicators:report``, client listed for the event type, and only for their own court — or
  entered by the court's technology office, which compiles the figures (吉高院通报29期 (四)).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from juanzong_shared.auth import Decision, Identity

READ_CASE = "read_case"
CLASSIFIED_ARTICLE = "第十条"  # 吉高法〔2020〕11号 第十条: 涉密 cases stay out of this system
INDICATOR_SOURCE = "吉高院通报29期 (四)"
INDICATOR_SCOPE = "indicators:report"
TECHNOLOGY_OFFICE = "technology_office_staff"

# The systems outside the suite that report indicator facts, by client id, and what each reports.
DEFAULT_REPORTERS: dict[str, tuple[str, ...]] = {
    "smart-trial": ("trial.smart_session.held",),
    "document-assist": ("document.assisted.generated",),
}


# Facts that only systems outside the suite report: they come in through POST /v1/external-events, where the
# reporting account is checked, and never off the bus, where any publisher could claim them.
EXTERNAL_EVENT_TYPES: frozenset[str] = frozenset(t for types in DEFAULT_REPORTERS.values() for t in types)


def invisible(decision: Decision) -> bool:
    """A refusal that must not be told apart from "no such case": a 涉密 case for one outside its team."""
    return not decision.allowed and CLASSIFIED_ARTICLE in (decision.rule or "")


def readable(decision: Decision) -> bool:
    """A yes the notifier can honour: it carries out ``record_access`` (access-control records each decision) and
    shows no dossier material, so the material filters (副卷, 依法不公开) have nothing to hold back here."""
    return decision.allowed and not decision.unknown()


def indicator_report_refusal(identity: Identity, event_type: str, court: str,
                             reporters: Mapping[str, Collection[str]]) -> str | None:
    """Why ``identity`` may not report ``event_type`` for ``court`` (None: it may)."""
    if identity.kind == "service":
        if identity.subject not in reporters:
            return f"服务账户 {identity.subject} 不是登记的指标数据来源系统，不得报送指标事件。"
        if event_type not in reporters[identity.subject]:
            return f"服务账户 {identity.subject} 不报送 {event_type} 事件。"
        scoped = f"{INDICATOR_SCOPE}@{court}" in identity.scopes
        if not scoped and INDICATOR_SCOPE not in identity.scopes:
            return f"服务账户 {identity.subject} 未获“{INDICATOR_SCOPE}”权限。"
        if not scoped and identity.court != court:
            return f"服务账户 {identity.subject} 只能报送本院（{identity.court or '未登记法院'}）的指标事件，请求的是 {court}。"
        return None
    if identity.kind == "user" and identity.has_role(TECHNOLOGY_OFFICE):
        if identity.court != court:
            return f"技术处只能录入本院（{identity.court}）的指标事件，请求的是 {court}。"
        return None
    return "指标事件只能由来源系统的服务账户或本院技术处报送。"
