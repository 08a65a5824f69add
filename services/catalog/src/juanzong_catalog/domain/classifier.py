"""Classify pages and documents into catalogue categories: named rules first, a model beside them.

法〔2016〕264号 二(三) asks the e-dossier system to arrange and classify materials automatically
(自动排版和归类); 吉高法〔2020〕11号 第三条(三) has the 智能办案辅助中心 catalogue every batch
(编目归目). A wrong silent guess costs more than a question, so every decision carries a confidence
and its basis (the rule's name, ``model``, or both), and anything under :data:`REVIEW_THRESHOLD`
goes to the review queue (``needs_review``) with the best candidate shown, not filed.

Rules are transparent and few:

``title_exact``        a heading line near the top equals a known title (``民 事 判 决 书`` → 判决书)
``title_after_court``  the court's or firm's name and the title share a line (``…人民法院传票``)
``title_joined``       a title broken over two OCR lines (``民事判`` + ``决书``)
``title_fuzzy``        one OCR slip from exactly one category's title (``民亊起诉状``)
``id_card_fields``     a 居民身份证 copy: 公民身份号码 / 签发机关 + 有效期限
``business_licence``   a 营业执照 copy: 统一社会信用代码 + 登记机关/注册资本

The statistical model (character 1–3-gram TF-IDF + logistic regression, see
``adapters/classifier_model.py``) is reached through the :class:`PageModel` protocol, so this module
stays pure and tests can pass a fake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from .categories import CATEGORIES, Category
from .pages import PageText
from .text import PageFooter, compact, parse_footer, title_key

__all__ = [
    "REVIEW_THRESHOLD",
    "Classification",
    "Classifier",
    "PageModel",
    "PageSignal",
    "RuleHit",
    "content_rule",
    "edit_distance",
    "ends_signed",
    "issuer_header",
    "title_rule",
]

REVIEW_THRESHOLD = 0.6
"""Below this confidence a document goes to the review queue instead of being filed."""

TOP_LINES = 5
"""Headings sit in the first lines: court name, title, case number."""

_HEAD_TITLES = frozenset({"证据目录", "证据清单"})
"""Titles that open a new entry even inside a run of the same continuation category."""

ISSUER_SUFFIXES = ("人民法院", "律师事务所", "司法鉴定中心", "司法鉴定所", "交通警察支队")


class RuleHit(BaseModel):
    """A rule that fired, where, and how sure it is."""

    model_config = ConfigDict(frozen=True)

    rule: str
    category: Category
    confidence: float
    line_index: int = 0
    matched: str = ""

    @property
    def opens_entry(self) -> bool:
        """Whether the title starts a new entry even after papers of the same continuation category."""
        return self.matched in _HEAD_TITLES


class Classification(BaseModel):
    """A category decision. ``category`` is None when the decision went to review; ``candidate``
    is then the best suggestion to show the reviewer."""

    model_config = ConfigDict(frozen=True)

    category: Category | None
    candidate: Category
    confidence: float
    basis: str
    needs_review: bool
    alternatives: tuple[tuple[Category, float], ...] = ()


class PageModel(Protocol):
    """A statistical page classifier: one probability row per text, columns in ``classes`` order."""

    @property
    def classes(self) -> tuple[Category, ...]: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...


class PageSignal(BaseModel):
    """Everything the splitter and the document classifier read from one page."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    page_id: str
    title: RuleHit | None = None
    content: RuleHit | None = None
    footer: PageFooter | None = None
    probs: tuple[float, ...] = ()
    issuer_header: bool = False
    ends_signed: bool = False

    @property
    def rule(self) -> RuleHit | None:
        return self.title or self.content


# ----------------------------------------------------------------------------------------- rules

_TITLE_INDEX: dict[str, Category] = {}
for _cat, _spec in CATEGORIES.items():
    for _t in _spec.titles:
        _TITLE_INDEX.setdefault(title_key(_t), _cat)
_TITLES_BY_LEN = sorted(_TITLE_INDEX, key=len, reverse=True)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _match_title(key: str) -> tuple[str, Category, str] | None:
    """(rule, category, title) for one reduced line, or None."""
    if not key or len(key) > 30:
        return None
    if key in _TITLE_INDEX:
        return "title_exact", _TITLE_INDEX[key], key
    for t in _TITLES_BY_LEN:
        if len(t) >= 2 and key.endswith(t) and key[: -len(t)].endswith(ISSUER_SUFFIXES):
            return "title_after_court", _TITLE_INDEX[t], t
    if 3 <= len(key) <= 12:
        limit = 1 if len(key) <= 6 else 2
        best: dict[Category, str] = {}
        best_d = limit + 1
        for t in _TITLES_BY_LEN:
            if len(t) < 3:
                continue
            d = edit_distance(key, t, limit)
            if d < best_d:
                best_d, best = d, {_TITLE_INDEX[t]: t}
            elif d == best_d and d <= limit:
                best.setdefault(_TITLE_INDEX[t], t)
        if best_d <= limit and len(best) == 1:
            (cat, t), = best.items()
            return "title_fuzzy", cat, t
    return None


_RULE_CONFIDENCE = {"title_exact": 0.97, "title_after_court": 0.93, "title_joined": 0.9, "title_fuzzy": 0.82}


def title_rule(lines: Sequence[str]) -> RuleHit | None:
    """The heading near the top of a page, if one is a known title (rules named in the module doc)."""
    head = [ln for ln in lines[: TOP_LINES + 2] if ln.strip()][:TOP_LINES]
    keys = [title_key(ln) for ln in head]
    for i, key in enumerate(keys):
        m = _match_title(key)
        if m and m[0] != "title_fuzzy":
            return RuleHit(rule=m[0], category=m[1], confidence=_RULE_CONFIDENCE[m[0]], line_index=i, matched=m[2])
    for i in range(len(keys) - 1):
        joined = keys[i] + keys[i + 1]
        if keys[i] and keys[i + 1] and len(joined) <= 12 and joined in _TITLE_INDEX:
            return RuleHit(rule="title_joined", category=_TITLE_INDEX[joined], confidence=_RULE_CONFIDENCE[
                "title_joined"], line_index=i, matched=joined)
    for i, key in enumerate(keys):
        m = _match_title(key)
        if m:
            return RuleHit(rule=m[0], category=m[1], confidence=_RULE_CONFIDENCE[m[0]], line_index=i, matched=m[2])
    return None


def content_rule(text: str) -> RuleHit | None:
    """Papers recognised by their fields rather than a heading (identity documents)."""
    c = compact(text)
    if "公民身份号码" in c or ("居民身份证" in c and ("签发机关" in c or "有效期限" in c)):
        return RuleHit(rule="id_card_fields", category=Category.IDENTITY_PROOF, confidence=0.92, matched="居民身份证")
    if "统一社会信用代码" in c and ("登记机关" in c or "注册资本" in c) and "营业执照" in c:
        return RuleHit(rule="business_licence", category=Category.IDENTITY_PROOF, confidence=0.9, matched="营业执照")
    return None


_DATE_LINE = re.compile(r"^(?:\d{4}|[〇零○OoО一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日$")
_SEAL_MARKS = ("院印", "（章）", "(章)", "盖章", "专用章")


def issuer_header(lines: Sequence[str]) -> bool:
    """The page opens with an issuer's name on its own line (a court, a firm): documents start so."""
    for ln in lines[:2]:
        key = title_key(ln)
        if key and len(key) <= 24 and key.endswith(ISSUER_SUFFIXES):
            return True
    return False


def ends_signed(lines: Sequence[str], footer: PageFooter | None = None) -> bool:
    """The page's last content line is a date or a seal: a document ends here."""
    body = [ln for ln in lines if ln.strip()]
    if footer is not None and body:
        body = body[:-1]
    for ln in body[-2:]:
        key = compact(ln)
        if _DATE_LINE.match(key) or any(m in key for m in _SEAL_MARKS):
            return True
    return False


# ------------------------------------------------------------------------------------ classifier


class Classifier:
    """Rules plus a :class:`PageModel`. Stateless apart from the model it is given."""

    def __init__(self, model: PageModel, review_threshold: float = REVIEW_THRESHOLD) -> None:
        self.model = model
        self.review_threshold = review_threshold
        self._col = {c: i for i, c in enumerate(model.classes)}

    # -- pages
    def page_signals(self, pages: Sequence[PageText]) -> list[PageSignal | None]:
        """One signal per page (None for blank pages); the model runs once over the whole batch."""
        live = [p for p in pages if not p.blank]
        probs = self.model.predict_proba([p.text or "\n".join(p.line_texts) for p in live]) if live else None
        out: list[PageSignal | None] = []
        k = 0
        for p in pages:
            if p.blank:
                out.append(None)
                continue
            lines = p.line_texts
            footer = parse_footer(lines)
            out.append(PageSignal(page_id=p.page_id, title=title_rule(lines), content=content_rule(p.text),
                                  footer=footer, probs=tuple(float(x) for x in probs[k]),
                                  issuer_header=issuer_header(lines), ends_signed=ends_signed(lines, footer)))
            k += 1
        return out

    def prob(self, signal: PageSignal, category: Category) -> float:
        i = self._col.get(category)
        return signal.probs[i] if i is not None and signal.probs else 0.0

    def top(self, probs: Sequence[float]) -> tuple[Category, float]:
        i = int(np.argmax(probs))
        return self.model.classes[i], float(probs[i])

    # -- documents
    def classify_document(self, signals: Sequence[PageSignal]) -> Classification:
        """Category of a document from its pages' signals.

        The first page's rule (title or fields) decides when it fires; the model — page probabilities
        averaged with the first page counted twice — confirms, contradicts or decides alone.
        """
        if not signals:
            raise ValueError("a document has at least one page")
        weights = np.array([2.0] + [1.0] * (len(signals) - 1))
        matrix = np.array([s.probs for s in signals], dtype=float)
        probs = (weights[:, None] * matrix).sum(axis=0) / weights.sum()
        order = np.argsort(-probs)
        alternatives = tuple((self.model.classes[i], round(float(probs[i]), 4)) for i in order[:3])
        m_cat, m_p = self.model.classes[int(order[0])], float(probs[order[0]])
        hit = signals[0].rule
        if hit is not None:
            p_rule = float(probs[self._col[hit.category]]) if hit.category in self._col else 0.0
            if m_cat is hit.category:
                conf = 1 - (1 - hit.confidence) * (1 - m_p)
                basis = f"rule:{hit.rule}+model"
            else:
                # The model disagrees: trust the heading, but less the more the model is sure otherwise.
                conf = hit.confidence * (1 - 0.5 * max(0.0, m_p - p_rule))
                basis = f"rule:{hit.rule}"
            category = hit.category
        else:
            category, conf, basis = m_cat, m_p, "model"
        conf = round(float(conf), 4)
        review = conf < self.review_threshold
        return Classification(category=None if review else category, candidate=category, confidence=conf,
                              basis=basis, needs_review=review, alternatives=alternatives)
