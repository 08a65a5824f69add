"""Case stages (案件阶段) and the four scanning stages of 长中法〔2018〕129号 (分段扫描)."""

from __future__ import annotations

from enum import StrEnum


class MaterialStage(StrEnum):
    """The stage a paper material belongs to (长中法〔2018〕129号 第六条, 第七条)."""

    FILING = "filing"  # 立案
    PRE_HEARING = "pre_hearing"  # 庭前
    POST_HEARING = "post_hearing"  # 庭后
    PRE_CLOSING = "pre_closing"  # 结案前（裁判文书签发前）

    @property
    def zh(self) -> str:
        return _MATERIAL_ZH[self]

    @property
    def order(self) -> int:
        return _MATERIAL_ORDER[self]


_MATERIAL_ZH = {
    MaterialStage.FILING: "立案",
    MaterialStage.PRE_HEARING: "庭前",
    MaterialStage.POST_HEARING: "庭后",
    MaterialStage.PRE_CLOSING: "结案前",
}
_MATERIAL_ORDER = {stage: i for i, stage in enumerate(MaterialStage)}


class CaseStage(StrEnum):
    """Where a case stands. The first four match the material stages; then closed and archived."""

    FILING = "filing"  # 立案
    PRE_HEARING = "pre_hearing"  # 庭前（审理中，开庭前）
    POST_HEARING = "post_hearing"  # 庭后
    PRE_CLOSING = "pre_closing"  # 结案前
    CLOSED = "closed"  # 已结案
    ARCHIVED = "archived"  # 已归档

    @property
    def zh(self) -> str:
        return _CASE_ZH[self]

    @property
    def order(self) -> int:
        return _CASE_ORDER[self]

    def material_stages_due(self) -> tuple[MaterialStage, ...]:
        """The material stages whose materials belong in the dossier once the case has reached this stage."""
        return tuple(m for m in MaterialStage if m.order <= min(self.order, MaterialStage.PRE_CLOSING.order))

    def admits(self, material_stage: MaterialStage) -> bool:
        """A material of ``material_stage`` can be scanned now: its stage has been reached.

        Later stages stay open for 补充扫描 (长中法〔2018〕129号 第八条).
        """
        return material_stage.order <= self.order


_CASE_ZH = {
    CaseStage.FILING: "立案",
    CaseStage.PRE_HEARING: "庭前",
    CaseStage.POST_HEARING: "庭后",
    CaseStage.PRE_CLOSING: "结案前",
    CaseStage.CLOSED: "已结案",
    CaseStage.ARCHIVED: "已归档",
}
_CASE_ORDER = {stage: i for i, stage in enumerate(CaseStage)}
