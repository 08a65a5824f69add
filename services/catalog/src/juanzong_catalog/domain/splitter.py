"""Split a scanned batch's ordered pages into documents — no separator sheets needed.

The 智能办案辅助中心 scans whole bundles and then catalogues them (吉高法〔2020〕11号 第三条(三)1-2:
扫描和编目归目); the e-dossier system is to arrange materials automatically (法〔2016〕264号 二(三)).
Between two consecutive pages the splitter decides "same document" or "new document" from, in order
of strength:

``footer_first_page``      the page's footer reads 第1页
``footer_continuity``      the footer continues the previous page's (第2页 after 第1页, same total)
``footer_last_page``       the previous page was the last of its footer (第3页 共3页)
``footer_incomplete``      the previous page's footer says more pages follow
``footer_later_page``      the page's own footer says it is not a first page
``title:<rule>``           a heading near the top (see ``classifier``)
``continuation_category``  more papers of a continuation category (evidence, identity papers)
``layout_and_model``       the page opens with an issuer line, or the previous page ended with a
                           date or seal, and the model leans to another category
``model_category_change``  no heading, but the model is sure the page belongs to another category
                           (never to 其他材料 alone: "something else" is no evidence of a new document)
``blank_separator``        a blank page came before
``no_boundary_signal``     nothing says "new": the page continues the document

Each decision has a confidence; a document's ``split_confidence`` is its weakest decision.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from .categories import CATEGORIES, Category
from .classifier import Classifier, PageSignal
from .pages import PageText

__all__ = ["Boundary", "SplitDocument", "SplitResult", "decide_boundary", "split_batch"]

MODEL_CHANGE_MIN = 0.85
"""The model must be this sure of another category (with the current one near zero) to cut alone."""


class Boundary(BaseModel):
    """The decision taken between a page and the one before it."""

    model_config = ConfigDict(frozen=True)

    starts_document: bool
    confidence: float
    basis: str


class SplitDocument(BaseModel):
    """A run of pages judged to be one document."""

    model_config = ConfigDict(frozen=True)

    page_ids: tuple[str, ...]
    first_seq: int
    last_seq: int
    split_confidence: float
    basis: str
    signals: tuple[PageSignal, ...] = ()


class SplitResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    documents: tuple[SplitDocument, ...]
    blank_page_ids: tuple[str, ...] = ()


def _continues_footer(prev: PageSignal, cur: PageSignal) -> bool:
    pf, cf = prev.footer, cur.footer
    return bool(pf and cf and cf.number == pf.number + 1 and (pf.total == cf.total or None in (pf.total, cf.total)))


def decide_boundary(prev: PageSignal, cur: PageSignal, current_category: Category | None,
                    classifier: Classifier, after_blank: bool = False) -> Boundary:
    """Same document or a new one? The signals are read strongest first (module doc)."""
    if cur.footer and cur.footer.number == 1:
        return Boundary(starts_document=True, confidence=0.97, basis="footer_first_page")
    if _continues_footer(prev, cur):
        return Boundary(starts_document=False, confidence=0.97, basis="footer_continuity")
    if after_blank:
        return Boundary(starts_document=True, confidence=0.95, basis="blank_separator")
    pf = prev.footer
    if pf and pf.total and pf.number == pf.total:
        return Boundary(starts_document=True, confidence=0.93, basis="footer_last_page")
    hit = cur.rule
    if pf and pf.total and pf.number < pf.total:
        # More pages were announced; a heading here means a footer was misread or a page is missing.
        return Boundary(starts_document=False, confidence=0.7 if hit else 0.9, basis="footer_incomplete")
    if cur.footer and cur.footer.number > 1:
        return Boundary(starts_document=False, confidence=0.85, basis="footer_later_page")
    if hit is not None:
        if (CATEGORIES[hit.category].continuation and hit.category is current_category
                and not hit.opens_entry):
            return Boundary(starts_document=False, confidence=0.8, basis="continuation_category")
        return Boundary(starts_document=True, confidence=hit.confidence, basis=f"title:{hit.rule}")
    top, p_top = classifier.top(cur.probs)
    p_cur = classifier.prob(cur, current_category) if current_category else 0.0
    if top is Category.OTHER:  # "something else" is no evidence of a new document by itself
        return Boundary(starts_document=False, confidence=round(1.0 - 0.5 * max(0.0, p_top - p_cur), 4),
                        basis="no_boundary_signal")
    if top is not current_category and (cur.issuer_header or prev.ends_signed) and p_top >= 0.5 and p_cur < 0.2:
        return Boundary(starts_document=True, confidence=round(0.6 + 0.35 * p_top, 4), basis="layout_and_model")
    if top is not current_category and p_top >= MODEL_CHANGE_MIN and p_cur < 0.05:
        return Boundary(starts_document=True, confidence=round(p_top * 0.9, 4), basis="model_category_change")
    doubt = max(0.0, p_top - p_cur) if top is not current_category else 0.0
    return Boundary(starts_document=False, confidence=round(1.0 - 0.5 * doubt, 4), basis="no_boundary_signal")


def split_batch(pages: Sequence[PageText], classifier: Classifier,
                signals: Sequence[PageSignal | None] | None = None) -> SplitResult:
    """Cut ``pages`` (in scan order) into documents; blank pages separate and belong to none."""
    pages = sorted(pages, key=lambda p: p.seq)
    signals = list(signals) if signals is not None else classifier.page_signals(pages)
    docs: list[SplitDocument] = []
    blanks: list[str] = []
    cur_pages: list[PageText] = []
    cur_signals: list[PageSignal] = []
    cur_conf = 1.0
    cur_basis = ""
    cur_category: Category | None = None
    after_blank = False

    def close() -> None:
        if cur_pages:
            docs.append(SplitDocument(page_ids=tuple(p.page_id for p in cur_pages), first_seq=cur_pages[0].seq,
                                      last_seq=cur_pages[-1].seq, split_confidence=round(cur_conf, 4),
                                      basis=cur_basis, signals=tuple(cur_signals)))

    for page, sig in zip(pages, signals, strict=True):
        if sig is None:
            blanks.append(page.page_id)
            after_blank = bool(cur_pages)
            continue
        if not cur_pages:
            decision = Boundary(starts_document=True, confidence=0.99, basis="batch_start")
        else:
            decision = decide_boundary(cur_signals[-1], sig, cur_category, classifier, after_blank)
        after_blank = False
        if decision.starts_document:
            close()
            cur_pages, cur_signals = [page], [sig]
            cur_conf, cur_basis = decision.confidence, decision.basis
            cur_category = sig.rule.category if sig.rule else classifier.top(sig.probs)[0]
        else:
            cur_pages.append(page)
            cur_signals.append(sig)
            cur_conf = min(cur_conf, decision.confidence)
            if sig.rule and CATEGORIES[sig.rule.category].continuation and cur_category is None:
                cur_category = sig.rule.category
    close()
    return SplitResult(documents=tuple(docs), blank_page_ids=tuple(blanks))
