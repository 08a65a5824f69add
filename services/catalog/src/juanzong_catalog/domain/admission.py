"""May a page enter this case's dossier? What catalog knows of the case says no in three cases.

scan-ocr checks every page at the door (registered, this court, in scope, not 涉密, not archived); catalog
checks again against the case facts it keeps, so a page that got past the door is still never catalogued or
made searchable:

- 吉高法〔2020〕11号 第十条: a 涉密 case has no e-dossier in this system (its text is never indexed);
- 第十四条: a case outside the paperless flow gets no staged scanning;
- 第三条(八): an archived dossier is an e-archive, locked — nothing added.

A case catalog has not heard of (its registration may still be on its way) is not refused here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ART3_8 = "吉高法〔2020〕11号 第三条(八)"
ART10 = "吉高法〔2020〕11号 第十条"
ART14 = "吉高法〔2020〕11号 第十四条"


def page_refusal(case: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(rule, reason in Chinese) when pages of ``case`` may not be catalogued, else None."""
    if not case:
        return None
    if case.get("secret"):
        return ART10, "涉密案件不在本系统生成电子卷宗，页面不予编目和检索"
    if case.get("paperless") is False:
        return ART14, "该案件不在全流程无纸化办案范围内，页面不予编目"
    if case.get("archived"):
        return ART3_8, "该案件已归档，电子档案不得更改，页面不予编目"
    return None
