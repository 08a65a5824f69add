"""Generated court documents as OCR would deliver them: training data and benchmark bundles.

Everything is drawn from one ``random.Random(seed)``, so the same seed gives the same pages. The
templates and word pools are in ``juanzong_training.data`` (written for this project). Pages are laid
out on an A4 sheet at 300 dpi (2480 × 3508 px) with line boxes, then degraded the way scans and OCR
degrade them: visually similar characters swapped, punctuation dropped, lines broken in two or
lost, digits confused with letters. Born-digital documents (from court systems) skip the noise and
always carry a ``第X页 共Y页`` footer.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from juanzong_catalog.domain.categories import CATEGORIES, CaseKind, Category
from juanzong_catalog.domain.pages import Line, PageText
from pydantic import BaseModel, ConfigDict

from juanzong_training.data import names as N
from juanzong_training.data.templates import POOLS, TEMPLATES

__all__ = [
    "Bundle",
    "DocumentTruth",
    "GeneratedDocument",
    "OcrNoise",
    "TemplateFilter",
    "generate_bundle",
    "generate_corpus",
    "make_case",
    "render_document",
]

PAGE_W, PAGE_H = 2480, 3508
_MARGIN_X, _MARGIN_TOP = 300, 320
_LINE_H = 104

_CN_ORD = "一二三四五六七八九十"


class DocumentTruth(BaseModel):
    """What the generator knows about a document: the answers the benchmark and tests check."""

    model_config = ConfigDict(frozen=True)

    category: Category
    title: str
    date: dt.date | None = None
    case_number: str | None = None
    parties: tuple[tuple[str, str], ...] = ()  # (role 原告/被告/..., name)
    issuer: str | None = None


class GeneratedDocument(BaseModel):
    model_config = ConfigDict(frozen=True)

    truth: DocumentTruth
    pages: tuple[PageText, ...]
    court: str = ""  # the court whose dossier this is (本院)


class Bundle(BaseModel):
    """One scanned batch: pages in scan order, and the documents they really form."""

    model_config = ConfigDict(frozen=True)

    case_kind: CaseKind
    case_number: str
    court: str
    pages: tuple[PageText, ...]
    documents: tuple[tuple[DocumentTruth, tuple[str, ...]], ...]  # (truth, page ids)

    @property
    def blank_page_ids(self) -> set[str]:
        return {p.page_id for p in self.pages if p.blank}


# ------------------------------------------------------------------------------------------ noise

_CONFUSABLE: dict[str, str] = {
    "己": "已巳", "已": "己", "未": "末朱", "末": "未", "土": "士", "士": "土", "日": "曰目", "曰": "日",
    "目": "日", "人": "入八", "入": "人", "八": "人", "天": "夭", "千": "干", "干": "千于", "大": "太犬",
    "太": "大", "王": "玉", "玉": "王", "午": "牛", "牛": "午", "事": "亊", "借": "惜", "贷": "货",
    "货": "贷", "账": "帐", "帐": "账", "侯": "候", "候": "侯", "拨": "拔", "辩": "辨", "辨": "辩",
    "裁": "栽", "审": "宙", "民": "氏", "理": "埋", "票": "栗", "证": "征", "录": "隶", "元": "无",
    "无": "元", "告": "吉", "吉": "告", "被": "破", "院": "阮", "决": "诀", "书": "韦", "状": "伏",
    "诉": "沂", "判": "刿", "达": "达", "回": "囗", "送": "迸", "庭": "廷", "笔": "竿", "通": "涌",
    "知": "矢", "起": "赵", "答": "笞", "委": "萎", "托": "托", "明": "眀", "合": "舍", "议": "仪",
    "0": "O〇", "1": "lI", "5": "S", "8": "B", "2": "Z", "6": "b",
}
_PUNCT = "，。、：；（）,.:;()"


class OcrNoise(BaseModel):
    """How badly a page is read. ``level`` 0 is clean; 1 is a poor scan read by a weak engine."""

    model_config = ConfigDict(frozen=True)

    level: float = 0.5

    def line(self, text: str, rng: random.Random) -> list[str]:
        """Degrade one line; may return it broken in two, or nothing (a lost line)."""
        lv = self.level
        if lv <= 0 or not text:
            return [text]
        if rng.random() < 0.012 * lv:
            return []
        out: list[str] = []
        for ch in text:
            r = rng.random()
            if ch in _PUNCT and r < 0.22 * lv:
                continue
            if ch in _CONFUSABLE and r < 0.035 * lv:
                out.append(rng.choice(_CONFUSABLE[ch]))
                continue
            if r > 1 - 0.004 * lv:  # a dropped character
                continue
            out.append(ch)
            if rng.random() < 0.003 * lv:  # a speck read as a mark
                out.append(rng.choice("·'丶"))
        s = "".join(out)
        if len(s) > 8 and rng.random() < 0.06 * lv:
            cut = rng.randrange(3, len(s) - 3)
            return [s[:cut], s[cut:]]
        return [s]


# ------------------------------------------------------------------------------------------ cases


def _person(rng: random.Random) -> str:
    given = rng.choice(N.GIVEN_CHARS) + (rng.choice(N.GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(N.SURNAMES) + given


def _company(rng: random.Random) -> str:
    return rng.choice(N.COMPANY_PLACES) + "市" * (rng.random() < 0.5) + rng.choice(N.COMPANY_CORES) + \
        rng.choice(N.COMPANY_TRADES) + rng.choice(N.COMPANY_FORMS)


def _address(rng: random.Random) -> str:
    return f"吉林省长春市{rng.choice(N.DISTRICTS)}{rng.choice(N.STREETS)}{rng.randint(1, 3999)}号"


def _id_number(rng: random.Random, birth: date, male: bool) -> str:
    seq = rng.randint(0, 99) * 10 + (rng.choice((1, 3, 5, 7, 9)) if male else rng.choice((0, 2, 4, 6, 8)))
    body = f"2201{rng.choice(('02', '03', '04', '05', '06'))}{birth:%Y%m%d}{seq:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _rand_date(rng: random.Random, start: date, span_days: int) -> date:
    return start + timedelta(days=rng.randint(0, max(span_days, 0)))


_CN_DIGITS = "〇一二三四五六七八九"


def _cn_number(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def cn_date(year: int, month: int, day: int) -> str:
    """The way court documents write a date: ``二〇二五年三月十二日``."""
    return "".join(_CN_DIGITS[int(c)] for c in str(year)) + f"年{_cn_number(month)}月{_cn_number(day)}日"


def _arabic(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def make_case(rng: random.Random, kind: CaseKind) -> dict[str, object]:
    """A coherent invented case: courts, case numbers, parties, dates and amounts."""
    admin = kind is CaseKind.ADMINISTRATIVE_FIRST_INSTANCE
    basic_name, basic_code, inter_idx = rng.choice(N.BASIC_COURTS)
    inter_name, inter_code = N.INTERMEDIATE[inter_idx]
    year = rng.randint(2019, 2025)
    cause = rng.choice(N.ADMIN_CAUSES if admin else N.CIVIL_CAUSES)
    type_code = "行初" if admin else "民初"
    first_case_no = f"（{year}）{basic_code}{type_code}{rng.randint(1, 19999)}号"
    appeal_year = year + (1 if rng.random() < 0.3 else 0)
    appeal_case_no = f"（{appeal_year}）{inter_code}{'行终' if admin else '民终'}{rng.randint(1, 9999)}号"
    second = kind is CaseKind.CIVIL_SECOND_INSTANCE

    plaintiff_company = (not admin) and rng.random() < 0.3
    defendant_company = (not admin) and rng.random() < 0.4
    plaintiff = _company(rng) if plaintiff_company else _person(rng)
    defendant = rng.choice(N.AGENCIES) if admin else (_company(rng) if defendant_company else _person(rng))

    def desc(company: bool) -> tuple[str, str, str]:
        if company:
            code = "91220" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(13))
            rep = _person(rng)
            return (f"住所地{_address(rng)}，统一社会信用代码{code}", f"法定代表人：{rep}，该公司总经理。", rep)
        birth = date(rng.randint(1955, 2000), rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice(("男", "女"))
        return (f"{sex}，{_arabic(birth)}出生，{rng.choice(N.ETHNICITIES)}，住{_address(rng)}", "", "")

    p_desc, p_rep, _ = desc(plaintiff_company)
    d_desc, d_rep, d_legal = desc(defendant_company)
    if admin:
        d_legal = _person(rng)
        d_rep = f"法定代表人：{d_legal}，局长。"

    filing = _rand_date(rng, date(year, 1, 5), 300)
    first_filing = filing
    hearing = filing + timedelta(days=rng.randint(25, 70))
    judgment = hearing + timedelta(days=rng.randint(10, 60))
    appeal_date = judgment + timedelta(days=rng.randint(5, 14))
    if second:
        filing = appeal_date + timedelta(days=rng.randint(15, 40))
        hearing = filing + timedelta(days=rng.randint(20, 50))
        judgment = hearing + timedelta(days=rng.randint(10, 40))
    loan = first_filing - timedelta(days=rng.randint(200, 900))
    due = loan + timedelta(days=rng.randint(60, 360))
    amount = rng.choice((rng.randint(1, 99) * 1000, rng.randint(1000, 500000)))
    fee = max(50, int(amount * 0.012))
    firm_core = rng.choice(N.LAW_FIRM_CORES)
    firm_core_d = rng.choice(N.LAW_FIRM_CORES)
    agent_p, agent_d = _person(rng), _person(rng)
    ctx: dict[str, object] = {
        "kind": kind,
        "tags": ("admin" if admin else "civil", "second" if second else "first"),
        "court": inter_name if second else basic_name,
        "case_no": appeal_case_no if second else first_case_no,
        "first_court": basic_name, "first_case_no": first_case_no,
        "appeal_court": inter_name, "appeal_case_no": appeal_case_no,
        "cause": cause, "cause_short": {"民间借贷纠纷": "借", "买卖合同纠纷": "货"}.get(cause, ""),
        "admin_act": N.ADMIN_ACTS.get(cause, ""),
        "plaintiff": plaintiff, "plaintiff_desc": p_desc, "plaintiff_rep": p_rep,
        "defendant": defendant, "defendant_desc": d_desc, "defendant_rep": d_rep, "legal_rep_d": d_legal,
        "defendant_co": _company(rng),
        "addr_p": _address(rng), "addr_d": _address(rng),
        "agent_p": agent_p, "agent_d": agent_d,
        "firm_p": f"{firm_core}", "firm_d": f"{firm_core_d}律师事务所", "firm_short": firm_core[:2],
        "agent_p_line": f"委托诉讼代理人：{agent_p}，{firm_core}律师事务所律师。" if rng.random() < 0.6 else "",
        "judge": _person(rng), "judge2": _person(rng), "judge3": _person(rng), "clerk": _person(rng),
        "assistant": _person(rng), "president": _person(rng), "clerk_boss": _person(rng),
        "witness": _person(rng), "witness2": _person(rng), "witness_addr": _address(rng),
        "witness_desc": f"{rng.choice('男女')}，住{_address(rng)}",
        "bank": rng.choice(N.BANKS), "account": "".join(rng.choice("0123456789") for _ in range(19)),
        "account2": "".join(rng.choice("0123456789") for _ in range(19)),
        "serial": "".join(rng.choice("0123456789") for _ in range(12)),
        "serial2": "".join(rng.choice("0123456789") for _ in range(12)),
        "amount": str(amount), "small_amount": str(rng.randint(2, 90) * 100), "fee": str(fee),
        "fee2": str(rng.choice((0, 50, 100, 300))), "fee_total": str(fee + 100),
        "room": str(rng.randint(1, 32)), "phone": f"1{rng.randint(30, 99)}{rng.randint(10000000, 99999999)}",
        "court_phone": f"0431-8{rng.randint(1000000, 9999999)}", "court_addr": _address(rng),
        "email": f"u{rng.randint(1000, 99999)}@163.com", "year": str(year), "small_no": str(rng.randint(1, 999)),
        "appraisal_org": rng.choice(N.APPRAISAL_ORGS),
        "appraisal_no": f"吉正司鉴〔{year}〕临鉴字第{rng.randint(10, 999)}号",
        "admin_doc_no": f"长市监处罚〔{year}〕{rng.randint(1, 300)}号",
        "guarantee": rng.choice(("申请人名下房产", "保险公司出具的保函", "现金担保")),
        "agency": rng.choice(N.AGENCIES), "district": rng.choice(N.DISTRICTS), "street": rng.choice(N.STREETS),
        "time_a": f"{rng.randint(8, 15)}时{rng.choice(('00', '30'))}分", "time_b": f"{rng.randint(16, 17)}时10分",
        "service_way": rng.choice(("直接送达", "邮寄送达", "电子送达", "留置送达")),
        "vol_count": str(rng.randint(1, 3)), "page_count": str(rng.randint(40, 260)),
        "doc_count": str(rng.randint(8, 40)),
        "_dates": {"filing_date": filing, "hearing_date": hearing, "judgment_date": judgment,
                   "appeal_date": appeal_date, "loan_date": loan, "due_date": due,
                   "archive_date": judgment + timedelta(days=rng.randint(30, 90)), "founded": loan - timedelta(
                       days=rng.randint(400, 4000))},
        "_plaintiff_company": plaintiff_company, "_defendant_company": defendant_company,
    }
    if second:  # in an appeal the appellant (the original defendant) is named first
        ctx["p"], ctx["d"] = defendant, plaintiff
    else:
        ctx["p"], ctx["d"] = plaintiff, defendant
    return ctx


# ----------------------------------------------------------------------------------------- render

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PARTY_BLOCK = re.compile(r"^P\|(原告|被告|上诉人|被上诉人|第三人)(?:（[^）]*）)?：\{(\w+)\}")
_SIGNER_BLOCK = re.compile(r"^N\|(?:具状人|起诉人|上诉人|答辩人|申请人|委托人|委托单位（盖章）|提交人|说明人)：\{(\w+)\}$")
_DATE_ONLY_BLOCK = re.compile(r"^(?:N\|(?:(?:日期|签订日期|打印日期|截图时间)：)?|L\|立卷时间：)\{(\w+?)(_cn)?\}$")
_RECORD_TIME_BLOCK = re.compile(r"^L\|(?:时间|会议时间|开庭时间)：\{(\w+?)(_cn)?\}")
_CASE_KEYS = ("case_no", "first_case_no", "appeal_case_no")


class _Filler:
    """Fills ``{name}`` from the case context; dates render per doc in arabic or Chinese numerals."""

    def __init__(self, ctx: dict[str, object], doc_date: date) -> None:
        self.ctx = ctx
        self.doc_date = doc_date
        self.used: list[str] = []

    def value(self, key: str) -> str:
        dates: dict[str, date] = self.ctx["_dates"]  # type: ignore[assignment]
        base, cn = (key[:-3], True) if key.endswith("_cn") else (key, False)
        if base == "doc_date" or base in dates:
            d = self.doc_date if base == "doc_date" else dates[base]
            return cn_date(d.year, d.month, d.day) if cn else _arabic(d)
        self.used.append(key)
        v = self.ctx.get(key, "")
        return str(v)

    def fill(self, text: str, extra: dict[str, str] | None = None) -> str:
        def sub(m: re.Match[str]) -> str:
            k = m.group(1)
            if extra and k in extra:
                return extra[k]
            return self.value(k)

        return _PLACEHOLDER.sub(sub, text)

    def date_of(self, key: str) -> date:
        dates: dict[str, date] = self.ctx["_dates"]  # type: ignore[assignment]
        base = key.removesuffix("_cn")
        return self.doc_date if base == "doc_date" else dates[base]


def _wrap(text: str, width: int, indent: int) -> list[str]:
    out: list[str] = []
    first = True
    while text:
        w = width - (indent if first else 0)
        out.append(text[:w])
        text = text[w:]
        first = False
    return out


TemplateFilter = Callable[[str, int, int], bool]
"""``(template key, variant index, number of variants) -> allowed``: holds variants out of training."""


def _choose_template(key: str, ctx: dict[str, object], rng: random.Random) -> dict[str, object]:
    tagset = set(ctx["tags"])  # type: ignore[arg-type]
    variants = TEMPLATES[key]
    allowed: TemplateFilter | None = ctx.get("_variants")  # type: ignore[assignment]
    options = [t for t in variants if set(t.get("when", ())) <= tagset]
    if allowed is not None:
        kept = [t for i, t in enumerate(variants) if t in options and allowed(key, i, len(variants))]
        options = kept or options
    return rng.choice(options or variants)


def _expand(blocks: list[str], filler: _Filler, rng: random.Random, cause: str, width: int) -> list[tuple[str, str]]:
    """Blocks → (kind, text) lines. kind: title, center, right, body, break."""
    lines: list[tuple[str, str]] = []
    for block in blocks:
        if block == "#":
            lines.append(("break", ""))
            continue
        if block.startswith(("@", "Q@")):
            head, lo, hi = block.removeprefix("Q").removeprefix("@").split("|")
            pool_name = head.replace("{cause}", cause)
            if pool_name == "facts":
                pool_name = f"facts:{cause}"
            pool = POOLS[pool_name]
            k = min(len(pool), rng.randint(int(lo), int(hi)))
            ordered = block.startswith("Q@") or pool_name.startswith(
                ("claims", "appeal_claims", "judgment_items", "mediation_terms"))
            if block.startswith("Q@") and rng.random() < 0.5:
                idx = list(range(k))  # a dialogue read from its start
            elif ordered:
                idx = sorted(rng.sample(range(len(pool)), k))
            else:
                idx = rng.sample(range(len(pool)), k)
            for n, i in enumerate(idx, start=1):
                text = filler.fill(pool[i], {"n": str(n), "cn": _CN_ORD[n - 1] if n <= 10 else str(n)})
                indent = 0 if block.startswith("Q@") else 2
                lines.extend(("body", t) for t in _wrap(text, width, indent))
            continue
        kind, _, template = block.partition("|")
        text = filler.fill(template)
        if not text.strip("：，。 "):
            continue
        if kind == "T":
            lines.append(("title", text))
        elif kind == "C":
            lines.append(("center", text))
        elif kind == "N":
            lines.append(("right", text))
        else:
            lines.extend(("body", t) for t in _wrap(text, width, 2 if kind == "P" else 0))
    return lines


def _box(kind: str, text: str, row: int, char_w: int) -> tuple[tuple[float, float], ...]:
    y0 = _MARGIN_TOP + row * _LINE_H
    if kind == "title":
        w = min(PAGE_W - 2 * _MARGIN_X, len(text) * 110)
        x0 = (PAGE_W - w) / 2
        y1 = y0 + 96
    elif kind == "center":
        w = min(PAGE_W - 2 * _MARGIN_X, len(text) * char_w)
        x0 = (PAGE_W - w) / 2
        y1 = y0 + 70
    elif kind == "right":
        w = min(PAGE_W - 2 * _MARGIN_X, len(text) * char_w)
        x0 = PAGE_W - _MARGIN_X - w
        y1 = y0 + 66
    elif kind == "footer":
        w = len(text) * 48
        x0 = (PAGE_W - w) / 2
        y0 = PAGE_H - 220
        y1 = y0 + 52
    else:
        w = min(PAGE_W - 2 * _MARGIN_X, len(text) * char_w)
        x0 = _MARGIN_X
        y1 = y0 + 66
    return ((x0, y0), (x0 + w, y0), (x0 + w, y1), (x0, y1))


def _footer_text(x: int, y: int, rng: random.Random) -> str:
    return rng.choice((f"第{x}页 共{y}页", f"第 {x} 页 共 {y} 页", f"第{x}页/共{y}页", f"共{y}页 第{x}页"))


def _paginate(lines: list[tuple[str, str]], per_page: int) -> list[list[tuple[str, str]]]:
    pages: list[list[tuple[str, str]]] = [[]]
    for kind, text in lines:
        if kind == "break":
            if pages[-1]:
                pages.append([])
            continue
        if len(pages[-1]) >= per_page:
            pages.append([])
        pages[-1].append((kind, text))
    return [p for p in pages if p]


def _sub_documents(category: Category, ctx: dict[str, object], rng: random.Random) -> list[dict[str, object]]:
    """Templates making up one document; evidence and identity papers bundle several items."""
    if category is Category.EVIDENCE:
        exhibits = list(N.EXHIBITS_BY_CAUSE[str(ctx["cause"])])
        rng.shuffle(exhibits)
        chosen = exhibits[: rng.randint(1, min(3, len(exhibits)))]
        parts = [_choose_template("evidence_list", ctx, rng)] if rng.random() < 0.6 else []
        parts += [_choose_template(f"exhibit:{e}", ctx, rng) for e in chosen]
        return parts
    if category is Category.IDENTITY_PROOF:
        company = rng.random() < 0.4
        if company:
            items = ["营业执照", "法定代表人身份证明书"]
            return [_choose_template(f"identity:{i}", ctx, rng) for i in items[: rng.randint(1, 2)]]
        return [_choose_template("identity:身份证", ctx, rng) for _ in range(rng.randint(1, 2))]
    return [_choose_template(category.value, ctx, rng)]


def _doc_extra(category: Category, ctx: dict[str, object], rng: random.Random) -> dict[str, object]:
    """Per-document values: whose identity papers, which exhibits, what was served."""
    extra: dict[str, object] = {}
    exhibits = list(N.EXHIBITS_BY_CAUSE[str(ctx["cause"])])
    rng.shuffle(exhibits)
    extra.update({"exhibit1": exhibits[0], "exhibit2": exhibits[1 % len(exhibits)],
                  "exhibit3": exhibits[2 % len(exhibits)]})
    birth = date(rng.randint(1955, 2000), rng.randint(1, 12), rng.randint(1, 28))
    male = rng.random() < 0.5
    person = str(rng.choice((ctx["plaintiff"], ctx["defendant"], ctx["agent_p"])))
    if len(person) > 4:
        person = str(ctx["agent_p"])
    valid_from = date(rng.randint(2010, 2022), rng.randint(1, 12), rng.randint(1, 28))
    company = str(ctx["defendant"] if ctx["_defendant_company"] else ctx["defendant_co"])
    extra.update({
        "person": person, "sex": "男" if male else "女", "ethnic_short": rng.choice(N.ETHNICITIES)[:-1],
        "birth": f"{birth.year} 年 {birth.month} 月 {birth.day} 日", "person_addr": _address(rng),
        "person_id": _id_number(rng, birth, male),
        "valid_from": f"{valid_from:%Y.%m.%d}", "valid_to": f"{valid_from.year + 20}.{valid_from:%m.%d}",
        "company": company, "company_addr": _address(rng), "legal_rep": _person(rng),
        "credit_code": "91220" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(13)),
        "id_d": _id_number(rng, birth, male),
        "volume_zh": "正卷",
        "served": str(rng.choice((ctx["p"], ctx["d"]))),
        "served_docs": "、".join(rng.sample(
            ["起诉状副本", "应诉通知书", "举证通知书", "传票", "民事判决书", "受理案件通知书", "合议庭组成人员通知书",
             "缴纳诉讼费用通知书", "上诉状副本", "廉政监督卡"], rng.randint(1, 4))),
    })
    return extra


def render_document(category: Category, ctx: dict[str, object], rng: random.Random, *, page_prefix: str,
                    start_seq: int = 0, noise: OcrNoise | None = None, born_digital: bool = False,
                    doc_date: date | None = None) -> GeneratedDocument:
    """One document of ``category`` for the case ``ctx``, laid out and (unless born digital) degraded."""
    dates: dict[str, date] = ctx["_dates"]  # type: ignore[assignment]
    the_date = doc_date or _rand_date(rng, dates["filing_date"], 40)
    local = dict(ctx)
    local.update(_doc_extra(category, ctx, rng))
    filler = _Filler(local, the_date)
    width = rng.randint(28, 36)
    per_page = rng.randint(22, 27)
    char_w = int((PAGE_W - 2 * _MARGIN_X) / width)
    raw_pages: list[list[tuple[str, str]]] = []
    title = ""
    parties: list[tuple[str, str]] = []
    issuer: str | None = None
    truth_date: date | None = None
    record_date: date | None = None
    case_number: str | None = None
    cause = str(ctx["cause"])
    for part_no, tpl in enumerate(_sub_documents(category, ctx, rng)):
        blocks: list[str] = list(tpl["blocks"])  # type: ignore[arg-type]
        lines = _expand(blocks, filler, rng, cause, width)
        raw_pages.extend(_paginate(lines, per_page))
        if part_no == 0:
            title = next((t for k, t in lines if k == "title"), CATEGORIES[category].name_zh)
            for b in blocks:
                if (m := _PARTY_BLOCK.match(b)) and local.get(m.group(2)):
                    parties.append((m.group(1), str(local[m.group(2)])))
                if (m := _DATE_ONLY_BLOCK.match(b)) and (m.group(1) in dates or m.group(1) == "doc_date"):
                    truth_date = filler.date_of(m.group(1))
                if truth_date is None and (m := _RECORD_TIME_BLOCK.match(b)):
                    record_date = filler.date_of(m.group(1))
                if issuer is None and (m := _SIGNER_BLOCK.match(b)):
                    issuer = str(local[m.group(1)])
            first = blocks[0]
            if first.startswith("C|") and issuer is None:
                issuer = filler.fill(first[2:])
            if issuer is None and CATEGORIES[category].court_issued:
                issuer = str(ctx["court"])
            case_number = next((str(local[k]) for k in filler.used if k in _CASE_KEYS), None)
            truth_date = truth_date or record_date
    footer = born_digital or (len(raw_pages) > 1 and rng.random() < (0.5 if CATEGORIES[category].court_issued
                                                                      else 0.25))
    noise = noise if (noise is not None and not born_digital) else OcrNoise(level=0.0)
    pages: list[PageText] = []
    total = len(raw_pages)
    for i, raw in enumerate(raw_pages):
        seq = start_seq + i
        out_lines: list[Line] = []
        row = 0
        for kind, text in raw:
            pieces = noise.line(text, rng)
            for piece in pieces:
                if not piece:
                    continue
                conf = max(0.3, min(1.0, 0.985 - noise.level * rng.uniform(0.0, 0.25)))
                out_lines.append(Line(text=piece, polygon=_box(kind, piece, row, char_w), confidence=conf))
                row += 1
            if not pieces:
                row += 1
        if footer:
            ft = _footer_text(i + 1, total, rng)
            piece = (noise.line(ft, rng) or [ft])[0] if noise.level > 0.5 else ft
            out_lines.append(Line(text=piece, polygon=_box("footer", piece, 0, char_w), confidence=0.95))
        pages.append(PageText(page_id=f"{page_prefix}-p{seq:05d}", seq=seq,
                              text="\n".join(ln.text for ln in out_lines), lines=tuple(out_lines),
                              born_digital=born_digital))
    truth = DocumentTruth(category=category, title=re.sub(r"\s+", "", title), date=truth_date,
                          case_number=case_number, parties=tuple(parties), issuer=issuer)
    return GeneratedDocument(truth=truth, pages=tuple(pages), court=str(ctx["court"]))


# ------------------------------------------------------------------------------------------ corpus

_BORN_DIGITAL_PROB = {True: 0.25, False: 0.05}  # court-issued documents more often come from systems


def generate_corpus(seed: int, per_category: int = 30, noise_range: tuple[float, float] = (0.0, 1.0),
                    categories: Iterable[Category] | None = None,
                    variants: TemplateFilter | None = None) -> list[GeneratedDocument]:
    """``per_category`` documents of every category, across case kinds, noise drawn per document.
    ``variants`` restricts which template variants may be drawn (template hold-out)."""
    rng = random.Random(seed)
    kinds = list(CaseKind)
    docs: list[GeneratedDocument] = []
    for category in categories or list(Category):
        for i in range(per_category):
            ctx = make_case(rng, kinds[i % len(kinds)])
            ctx["_variants"] = variants
            born = rng.random() < _BORN_DIGITAL_PROB[CATEGORIES[category].court_issued]
            docs.append(render_document(category, ctx, rng, page_prefix=f"c{seed}-{category.value}-{i}",
                                        noise=OcrNoise(level=rng.uniform(*noise_range)), born_digital=born))
    return docs


# Staged scanning (长中法〔2018〕129号 第六条、第七条): what a batch of each stage tends to contain.
_STAGES_FIRST: tuple[tuple[Category, ...], ...] = (
    (Category.COMPLAINT, Category.IDENTITY_PROOF, Category.POWER_OF_ATTORNEY,
     Category.SERVICE_ADDRESS_CONFIRMATION, Category.EVIDENCE, Category.ACCEPTANCE_NOTICE, Category.FEE_NOTICE,
     Category.PRESERVATION_APPLICATION, Category.SERVICE_RECEIPT),
    (Category.RESPONSE_NOTICE, Category.EVIDENCE_NOTICE, Category.SUMMONS, Category.SERVICE_RECEIPT,
     Category.DEFENCE, Category.IDENTITY_PROOF, Category.POWER_OF_ATTORNEY, Category.SERVICE_ADDRESS_CONFIRMATION,
     Category.EVIDENCE, Category.HEARING_ANNOUNCEMENT, Category.APPEARANCE_NOTICE, Category.SERVICE_RECEIPT),
    (Category.TRIAL_RECORD, Category.INQUIRY_RECORD, Category.MEDIATION_RECORD, Category.APPRAISAL_OPINION,
     Category.EVIDENCE, Category.OTHER, Category.SERVICE_RECEIPT),
    (Category.TRIAL_REPORT, Category.DELIBERATION_RECORD, Category.JUDGES_MEETING_RECORD,
     Category.COMMITTEE_RECORD, Category.JUDGMENT, Category.MEDIATION_AGREEMENT, Category.WITHDRAWAL,
     Category.PRONOUNCEMENT_RECORD, Category.SERVICE_RECEIPT, Category.SERVICE_RECEIPT,
     Category.APPEAL_PETITION, Category.APPEAL_TRANSFER_LETTER),
)
_STAGES_SECOND: tuple[tuple[Category, ...], ...] = (
    (Category.APPEAL_TRANSFER_LETTER, Category.JUDGMENT, Category.APPEAL_PETITION, Category.DEFENCE,
     Category.ACCEPTANCE_NOTICE, Category.FEE_NOTICE, Category.IDENTITY_PROOF, Category.POWER_OF_ATTORNEY,
     Category.SERVICE_ADDRESS_CONFIRMATION, Category.SERVICE_RECEIPT),
    (Category.SUMMONS, Category.SERVICE_RECEIPT, Category.EVIDENCE, Category.INQUIRY_RECORD,
     Category.TRIAL_RECORD, Category.OTHER, Category.WITHDRAWAL),
    (Category.TRIAL_REPORT, Category.DELIBERATION_RECORD, Category.COMMITTEE_RECORD, Category.JUDGMENT,
     Category.PRONOUNCEMENT_RECORD, Category.SERVICE_RECEIPT, Category.SERVICE_RECEIPT),
)
_ARCHIVE_PARTS = (Category.COVER, Category.CATALOGUE, Category.REMARKS_SHEET, Category.BACK_COVER)
_STAGE_DATE_KEY = ("filing_date", "filing_date", "hearing_date", "judgment_date")


def generate_bundle(seed: int, kind: CaseKind = CaseKind.CIVIL_FIRST_INSTANCE, *, min_pages: int = 20,
                    noise_range: tuple[float, float] = (0.2, 0.9), blank_rate: float = 0.08,
                    keep_rate: float = 0.8, variants: TemplateFilter | None = None) -> Bundle:
    """A scanned batch of one case, documents in scan order, until at least ``min_pages`` pages.

    Stages follow the staged scanning of 长中法〔2018〕129号 第六条/第七条; a long batch runs through
    the stages repeatedly (supplementary scans). Blank separator sheets appear between documents at
    ``blank_rate``; no separator sheets are required.
    """
    rng = random.Random(seed)
    ctx = make_case(rng, kind)
    ctx["_variants"] = variants
    dates: dict[str, date] = ctx["_dates"]  # type: ignore[assignment]
    stages = _STAGES_SECOND if kind is CaseKind.CIVIL_SECOND_INSTANCE else _STAGES_FIRST
    pages: list[PageText] = []
    docs: list[tuple[DocumentTruth, tuple[str, ...]]] = []
    prefix = f"b{seed}"
    seq = 0
    stage_no = 0

    def add(category: Category, when: date) -> None:
        nonlocal seq
        separated = bool(docs) and rng.random() < blank_rate
        if separated:
            pages.append(PageText(page_id=f"{prefix}-p{seq:05d}", seq=seq, blank=True))
            seq += 1
        born = rng.random() < _BORN_DIGITAL_PROB[CATEGORIES[category].court_issued]
        doc = render_document(category, ctx, rng, page_prefix=prefix, start_seq=seq,
                              noise=OcrNoise(level=rng.uniform(*noise_range)), born_digital=born, doc_date=when)
        pages.extend(doc.pages)
        seq += len(doc.pages)
        ids = tuple(p.page_id for p in doc.pages)
        # Consecutive papers of a continuation category are one catalogue entry (CategorySpec.continuation);
        # a blank separator sheet still ends the entry.
        if (docs and not separated and CATEGORIES[category].continuation
                and docs[-1][0].category is category):
            docs[-1] = (docs[-1][0], docs[-1][1] + ids)
        else:
            docs.append((doc.truth, ids))

    if kind is CaseKind.CIVIL_SECOND_INSTANCE and rng.random() < 0.3:
        for part in _ARCHIVE_PARTS[:2]:  # the original trial's archive arrives with its cover
            add(part, dates["filing_date"])
    while seq < min_pages:
        stage = stages[stage_no % len(stages)]
        key = _STAGE_DATE_KEY[min(stage_no % len(stages), len(_STAGE_DATE_KEY) - 1)]
        for category in stage:
            if rng.random() < keep_rate:
                add(category, _rand_date(rng, dates[key], 20))
        stage_no += 1
    return Bundle(case_kind=kind, case_number=str(ctx["case_no"]), court=str(ctx["court"]), pages=tuple(pages), documents=tuple(docs))
