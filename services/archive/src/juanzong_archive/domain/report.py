"""四性检测报告: the four-property check report of an e-archive package, and its Chinese rendering.

DA/T 70-2018 《文书类电子档案检测一般要求》 checks an e-archive for 真实性 (authenticity), 完整性
(integrity), 可用性 (usability) and 安全性 (security); 青法〔2021〕116号 一 requires that check for every
e-archive. Invariants kept here, whatever the checker does:

- an item with findings can never be 通过 (a failing item never reports success);
- the report is 通过 only when every property has at least one item and no item failed;
- items that could not run (e.g. no malware scanner) are 未执行, never 通过.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")
STANDARD = "DA/T 70-2018《文书类电子档案检测一般要求》"


class CheckProperty(StrEnum):
    """The four properties of DA/T 70-2018."""

    AUTHENTICITY = "真实性"
    INTEGRITY = "完整性"
    USABILITY = "可用性"
    SECURITY = "安全性"

    @property
    def code_prefix(self) -> str:
        return {"真实性": "ZS", "完整性": "WZ", "可用性": "KY", "安全性": "AQ"}[self.value]


class CheckOutcome(StrEnum):
    PASSED = "通过"
    FAILED = "不通过"
    SKIPPED = "未执行"


class CheckItem(BaseModel):
    """One check (检测项) with its result and Chinese detail; findings list each problem found."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^(ZS|WZ|KY|AQ)-\d{2}$")
    property: CheckProperty
    name: str
    outcome: CheckOutcome
    detail: str
    findings: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _no_success_with_findings(self) -> CheckItem:
        if not self.code.startswith(self.property.code_prefix):
            raise ValueError(f"code {self.code} does not belong to {self.property.value}")
        if self.findings and self.outcome is CheckOutcome.PASSED:
            raise ValueError("an item with findings cannot be 通过")
        return self

    @classmethod
    def judge(
        cls,
        code: str,
        prop: CheckProperty,
        name: str,
        findings: list[str] | tuple[str, ...],
        passed_detail: str,
        failed_detail: str | None = None,
    ) -> CheckItem:
        """通过 with ``passed_detail`` when there are no findings, otherwise 不通过 listing them."""
        if findings:
            detail = failed_detail or f"发现 {len(findings)} 个问题"
            return cls(
                code=code,
                property=prop,
                name=name,
                outcome=CheckOutcome.FAILED,
                detail=detail,
                findings=tuple(findings),
            )
        return cls(code=code, property=prop, name=name, outcome=CheckOutcome.PASSED, detail=passed_detail)


class FourPropertyReport(BaseModel):
    """The report: which package, when, and every item under its property."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    archival_code: str
    package_path: str
    checked_at: dt.datetime
    items: tuple[CheckItem, ...]

    @classmethod
    def unreadable(
        cls, archival_code: str, package_path: str, reason: str, checked_at: dt.datetime
    ) -> FourPropertyReport:
        """A package that cannot even be opened fails every property (DA/T 70-2018: nothing verified)."""
        finding = (reason,)
        detail = "信息包无法读取，未能检测"
        items = (
            CheckItem(
                code="ZS-02",
                property=CheckProperty.AUTHENTICITY,
                name="文件哈希值校验",
                outcome=CheckOutcome.FAILED,
                detail=detail,
                findings=finding,
            ),
            CheckItem(
                code="WZ-01",
                property=CheckProperty.INTEGRITY,
                name="信息包结构完整",
                outcome=CheckOutcome.FAILED,
                detail=detail,
                findings=finding,
            ),
            CheckItem(
                code="KY-01",
                property=CheckProperty.USABILITY,
                name="文件可正常解析",
                outcome=CheckOutcome.FAILED,
                detail=detail,
                findings=finding,
            ),
            CheckItem(
                code="AQ-03",
                property=CheckProperty.SECURITY,
                name="不含嵌入文件和可执行程序",
                outcome=CheckOutcome.FAILED,
                detail=detail,
                findings=finding,
            ),
        )
        return cls(archival_code=archival_code, package_path=package_path, checked_at=checked_at, items=items)

    def items_for(self, prop: CheckProperty) -> tuple[CheckItem, ...]:
        return tuple(item for item in self.items if item.property is prop)

    def item(self, code: str) -> CheckItem:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def property_outcome(self, prop: CheckProperty) -> CheckOutcome:
        items = self.items_for(prop)
        if not items or any(i.outcome is CheckOutcome.FAILED for i in items):
            return CheckOutcome.FAILED
        if any(i.outcome is CheckOutcome.SKIPPED for i in items):
            return CheckOutcome.SKIPPED
        return CheckOutcome.PASSED

    @property
    def passed(self) -> bool:
        """True only if every property has items and none failed (skipped items are noted, not failed)."""
        return all(self.property_outcome(p) is not CheckOutcome.FAILED for p in CheckProperty)

    @property
    def failed_items(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if i.outcome is CheckOutcome.FAILED)

    @property
    def skipped_items(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if i.outcome is CheckOutcome.SKIPPED)

    def conclusion(self) -> str:
        """总体结论 in Chinese."""
        failed, skipped = len(self.failed_items), len(self.skipped_items)
        empty = [p.value for p in CheckProperty if not self.items_for(p)]
        if empty:
            return f"不通过（{'、'.join(empty)}没有检测项）"
        if failed:
            return (
                f"不通过（{failed} 项不通过）"
                if not skipped
                else f"不通过（{failed} 项不通过，{skipped} 项未执行）"
            )
        if skipped:
            return f"通过（{skipped} 项未执行，见说明）"
        return "通过"


def _local(ts: dt.datetime) -> str:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S（北京时间）")


_NUMERALS = ("一", "二", "三", "四")


def render_text(report: FourPropertyReport) -> str:
    """Plain-text Chinese rendering of the report."""
    lines = [
        "电子档案四性检测报告",
        "",
        f"档号：{report.archival_code}",
        f"检测对象：{report.package_path}",
        f"检测时间：{_local(report.checked_at)}",
        f"检测依据：{STANDARD}",
        f"总体结论：{report.conclusion()}",
    ]
    for numeral, prop in zip(_NUMERALS, CheckProperty, strict=True):
        lines += ["", f"{numeral}、{prop.value}（{report.property_outcome(prop).value}）"]
        items = report.items_for(prop)
        if not items:
            lines.append("    （无检测项）")
        for item in items:
            lines.append(f"  [{item.code}] {item.name}：{item.outcome.value}")
            lines.append(f"      {item.detail}")
            for finding in item.findings:
                lines.append(f"      - {finding}")
    return "\n".join(lines) + "\n"


_OUTCOME_CLASS = {CheckOutcome.PASSED: "pass", CheckOutcome.FAILED: "fail", CheckOutcome.SKIPPED: "skip"}


REPORT_STYLE = ("body{font-family:sans-serif}table{border-collapse:collapse}"
                "td,th{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}"
                ".fail{color:#a00}.skip{color:#a60}.pass{color:#070}")
# The HTML report runs nothing and loads nothing: its one inline style is allowed by its hash, nothing else.
REPORT_CSP = ("default-src 'none'; style-src 'sha256-"
              + base64.b64encode(hashlib.sha256(REPORT_STYLE.encode()).digest()).decode()
              + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox")


def render_html(report: FourPropertyReport) -> str:
    """Self-contained HTML rendering of the report (all text escaped)."""
    esc = html.escape
    rows: list[str] = []
    for prop in CheckProperty:
        outcome = report.property_outcome(prop)
        rows.append(
            f'<tr class="property {_OUTCOME_CLASS[outcome]}"><th colspan="4">{esc(prop.value)}'
            f"（{esc(outcome.value)}）</th></tr>"
        )
        for item in report.items_for(prop):
            findings = "".join(f"<li>{esc(f)}</li>" for f in item.findings)
            findings_html = f"<ul>{findings}</ul>" if findings else ""
            rows.append(
                f'<tr class="{_OUTCOME_CLASS[item.outcome]}"><td>{esc(item.code)}</td>'
                f"<td>{esc(item.name)}</td><td>{esc(item.outcome.value)}</td>"
                f"<td>{esc(item.detail)}{findings_html}</td></tr>"
            )
    overall = "pass" if report.passed else "fail"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>电子档案四性检测报告 {esc(report.archival_code)}</title>"
        f"<style>{REPORT_STYLE}</style></head><body>"
        "<h1>电子档案四性检测报告</h1><dl>"
        f"<dt>档号</dt><dd>{esc(report.archival_code)}</dd>"
        f"<dt>检测对象</dt><dd>{esc(report.package_path)}</dd>"
        f"<dt>检测时间</dt><dd>{esc(_local(report.checked_at))}</dd>"
        f"<dt>检测依据</dt><dd>{esc(STANDARD)}</dd>"
        f'<dt>总体结论</dt><dd class="{overall}">{esc(report.conclusion())}</dd></dl>'
        "<table><thead><tr><th>编号</th><th>检测项</th><th>结果</th><th>说明</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )
