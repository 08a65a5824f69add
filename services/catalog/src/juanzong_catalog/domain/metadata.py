"""Per-document metadata read from OCR text: title, date, case number, parties, issuing body.

These fill the 卷内目录 columns (题名, 责任者, 日期, 页号) and make the dossier searchable by its
structure (法〔2016〕264号 三(一): 文档化、数据化、结构化). Extraction is tolerant of the usual OCR slips
in digits (``20Z3`` → 2023, ``O`` → 0), of lost punctuation, and of the 〇 PP-OCRv5 drops from years
written in Chinese numerals (``二二五年十一月三日`` is 二〇二五年十一月三日).

The 日期 is the date the paper bears (its signature date; a record's 时间; a 送达回证's receipt date) —
never one read from a sentence, a birth date or an appointment; a paper without one (an ID card copy)
has none. The 责任者 is who made it: the court heading it, the party signing it, the person an ID
paper is of; a record's (笔录) is the court, never a line someone said in it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from .categories import CATEGORIES, Category
from .classifier import ISSUER_SUFFIXES, RuleHit, title_rule
from .pages import PageText
from .text import compact, title_key

__all__ = [
    "UNRECOGNISED_TITLE",
    "DocumentMetadata",
    "Party",
    "PartyRole",
    "extract_metadata",
    "find_case_numbers",
    "parse_date",
]


UNRECOGNISED_TITLE = "未识别材料"
"""Title of a document whose heading was not read and whose category is not known."""


class PartyRole(StrEnum):
    PLAINTIFF = "plaintiff"  # 原告
    DEFENDANT = "defendant"  # 被告
    APPELLANT = "appellant"  # 上诉人
    APPELLEE = "appellee"  # 被上诉人
    THIRD_PARTY = "third_party"  # 第三人

    @property
    def name_zh(self) -> str:
        return _ROLE_ZH[self]


_ROLE_ZH = {PartyRole.PLAINTIFF: "原告", PartyRole.DEFENDANT: "被告", PartyRole.APPELLANT: "上诉人",
            PartyRole.APPELLEE: "被上诉人", PartyRole.THIRD_PARTY: "第三人"}
_ROLE_BY_ZH = {v: k for k, v in _ROLE_ZH.items()}


class Party(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: PartyRole
    name: str


class DocumentMetadata(BaseModel):
    """What the 卷内目录 shows for a document, plus the parties and case number it names."""

    model_config = ConfigDict(frozen=True)

    title: str
    date: dt.date | None = None
    case_number: str | None = None
    parties: tuple[Party, ...] = ()
    issuing_party: str | None = None


# ----------------------------------------------------------------------------------------- dates

_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "〇": "0", "○": "0", "О": "0", "Z": "2", "l": "1", "I": "1",
                             "S": "5", "B": "8"})
_ZERO = "〇零○◯OoОΟ0"
"""〇 and what OCR reads it as: 零, the geometric ○/◯, Latin/Cyrillic/Greek O, o, the digit 0."""
_CN_NUM = "一二三四五六七八九"
_CN_VAL = {**{c: 0 for c in _ZERO}, **{c: i for i, c in enumerate(_CN_NUM, start=1)}}
_CN_SMALL = "一二三四五六七八九十"
YEAR_RANGE = (1949, 2100)
"""Years a date in a court dossier can bear; anything outside is a misreading."""
# A year in Chinese numerals: four characters (二〇二五, 二O二五, 二0二五), or three when OCR dropped a 〇
# (PP-OCRv5 rates the small circle just under its CTC blank): 二二五 → 2025, 二一九 → 2019, 二〇五 → 2005.
_YEAR4 = rf"[一二][{_ZERO}{_CN_NUM}]{{3}}"
_YEAR3 = rf"二[{_CN_NUM}][{_ZERO}{_CN_NUM}]|二[{_ZERO}][{_CN_NUM}]"
# Zero-width, so that a year is tried at every position (a name ending in a numeral may precede it).
_DATE_CN = re.compile(rf"(?=({_YEAR4}|{_YEAR3})年([{_CN_SMALL}]{{1,3}})月([{_CN_SMALL}]{{1,4}})日)")
_DATE_AR = re.compile(r"((?:19|20)[0-9OZlSB]{2})年([0-9OlZSB]{1,2})月([0-9OlZSB]{1,2})日")
_DATE_SEP = re.compile(r"((?:19|20)\d{2})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")


def _cn_small(s: str) -> int | None:
    """一 … 三十一."""
    if s == "十":
        return 10
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = _CN_VAL.get(head, 0) if head else 1
        ones = _CN_VAL.get(tail, 0) if tail else 0
        if head and head not in _CN_VAL or tail and tail not in _CN_VAL:
            return None
        return tens * 10 + ones
    return _CN_VAL.get(s) if len(s) == 1 else None


def _cn_year(s: str) -> int | None:
    """二〇二五 / 二O二五 / 二0二五 → 2025; 二二五 → 2025 and 二〇五 → 2005 (a dropped 〇)."""
    if len(s) == 4:
        if sum(c in _CN_NUM for c in s) < 2:  # 二OO0 and the like are not a year
            return None
        digits = [_CN_VAL[c] for c in s]
    elif s[1] in _ZERO:  # 二〇五: one of 二〇〇五's two 〇 dropped
        digits = [2, 0, 0, _CN_VAL[s[2]]]
    else:  # 二二五: 二〇二五 with its 〇 dropped
        digits = [2, 0, _CN_VAL[s[1]], _CN_VAL[s[2]]]
    return int("".join(map(str, digits)))


def _make_date(y: int | None, m: int | None, d: int | None) -> dt.date | None:
    if y is None or not YEAR_RANGE[0] <= y <= YEAR_RANGE[1]:
        return None
    try:
        return dt.date(y, m or 0, d or 0)
    except (TypeError, ValueError):
        return None


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("曰", "日")


def _find_dates(s: str) -> list[tuple[int, int, dt.date]]:
    """(start, end, date) of every date in the normalised ``s``, in order, not overlapping."""
    found: list[tuple[int, int, dt.date]] = []
    taken_to = -1
    for m in _DATE_CN.finditer(s):
        if m.start() < taken_to:
            continue
        d = _make_date(_cn_year(m.group(1)), _cn_small(m.group(2)), _cn_small(m.group(3)))
        if d:
            end = m.start() + len(m.group(1)) + len(m.group(2)) + len(m.group(3)) + 3
            found.append((m.start(), end, d))
            taken_to = end
    for m in _DATE_AR.finditer(s):
        y, mo, da = (g.translate(_OCR_DIGITS) for g in m.groups())
        d = _make_date(int(y), int(mo), int(da))
        if d:
            found.append((m.start(), m.end(), d))
    for m in _DATE_SEP.finditer(s):
        d = _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            found.append((m.start(), m.end(), d))
    return sorted(found, key=lambda x: x[0])


def parse_date(text: str) -> list[tuple[int, dt.date]]:
    """Every date in ``text`` with its position: 二〇二五年三月十二日, 2025年3月12日, 2025-03-12; also
    the year OCR read without its 〇 (二二五年十一月三日) or with a look-alike (二O二五年, 二0二五年).
    Impossible dates and years outside 1949-2100 are not dates."""
    return [(start, d) for start, _, d in _find_dates(_normalise(text))]


_SPECKS = re.compile(r"[\s丶·'`]")


def _clean_line(line: str) -> str:
    s = _SPECKS.sub("", unicodedata.normalize("NFKC", line)).replace("曰", "日")
    return s[:-1] + "日" if s.endswith("目") else s


def _date_only(line: str) -> dt.date | None:
    """A line that is just a date (a signature date), allowing a short label before it."""
    s = re.sub(r"^(日期|签订日期|打印日期|截图时间|立卷时间)[:：]?", "", _clean_line(line))
    found = _find_dates(s)
    if len(found) == 1 and found[0][0] == 0 and len(s) - found[0][1] <= 1:
        return found[0][2]
    return None


_SIGN_LABEL = re.compile(r"签收|签名|签字|签章|盖章|[送收]达日期|收到日期|填发日期|落款日期")
_RECEIPT_LABEL = re.compile(r"签收|签名|签字|签章|盖章|[送收]达日期|收到日期")
_NOT_SIGNED = re.compile(r"出生|应到|有效期|成立|交易|事故|住院|开庭|借款|还款")
"""Labels of dates that are not when the paper was signed (a birth, an appointment, a transaction)."""


def _labelled_date(line: str, label: re.Pattern[str] = _SIGN_LABEL) -> dt.date | None:
    """The date ending a signature line: ``受送达人签收 赵立军 二〇二六年一月十日``,
    ``受送达人签名或盖章：张三 2025年3月12日`` — a label, perhaps a name, then the date; never a
    sentence's date."""
    s = _clean_line(line)
    found = _find_dates(s)
    if len(found) != 1:
        return None
    start, end, d = found[0]
    head = s[:start]
    if not head or len(s) - end > 1 or len(head) > 24 or re.search(r"[,，。;；]", head):
        return None
    if not label.search(head) or _NOT_SIGNED.search(head):
        return None
    return d


# ----------------------------------------------------------------------------------- case numbers

_TYPE_CODES = ("民初", "民终", "民申", "民再", "民辖终", "民特", "行初", "行终", "行申", "行再", "刑初", "刑终",
               "执恢", "执异", "执保", "执", "财保", "破")
_D = "0-9OZLSBI〇О"  # digits and the letters OCR reads them as (after upper-casing)
_CASE_NO = re.compile(
    rf"[（(]?((?:19|[2Z][0OZ〇О])[{_D}]{{2}})[）)]?([\u4e00-\u9fff]{{1,2}}?[{_D}]{{0,4}})("
    + "|".join(t.replace("民", "[民氏]") for t in _TYPE_CODES) + rf")([{_D}]{{1,6}})号")
_CASE_DIGITS = str.maketrans({"O": "0", "〇": "0", "О": "0", "Z": "2", "L": "1", "I": "1", "S": "5", "B": "8"})
_PROVINCE_FIX = {"告": "吉"}  # the usual OCR slip on 吉
_CASE_SPECKS = re.compile(r"[·丶'`.,，、]")


def find_case_numbers(text: str) -> list[str]:
    """Case numbers (案号) in ``text``, normalised to ``（2025）吉01民终123号`` form, with the usual OCR
    slips in digits (O/Z/l/〇), a 氏 for 民 and a 告 for 吉 repaired."""
    s = _CASE_SPECKS.sub("", compact(text).upper()).replace("（", "(").replace("）", ")")
    out: list[str] = []
    for m in _CASE_NO.finditer(s):
        year = m.group(1).translate(_CASE_DIGITS)
        court = _PROVINCE_FIX.get(m.group(2)[:1], m.group(2)[:1]) + m.group(2)[1:].translate(_CASE_DIGITS)
        kind = m.group(3).replace("氏", "民")
        number = m.group(4).translate(_CASE_DIGITS)
        if not court[1:].isdigit() and len(court) > 1:
            continue
        value = f"（{year}）{court}{kind}{int(number)}号"
        if value not in out:
            out.append(value)
    return out


# ---------------------------------------------------------------------------------------- parties

_PARTY_LINE = re.compile(r"^(被上诉人|上诉人|原告|被告|第三人)(?:[（(][^）):：]{0,10}[）)]?)?([:：])?(.*)$")
_COMPANY_END = re.compile(r"^(.{2,40}?(?:有限责任公司|股份有限公司|有限公司|公司|人民政府|委员会|管理局|局|中心|银行|医院))")
_PERSON = re.compile(r"^([\u4e00-\u9fff]{2,4}?)(?=[,，。]?(?:男|女|住|身份|统一社会))")


def _party_name(rest: str, had_colon: bool) -> str | None:
    rest = rest.strip()
    if not rest:
        return None
    m = re.match(r"^([^,，。;；]{2,40})[,，。;；]", rest)
    if m and (had_colon or re.match(r"[,，。]?(男|女|住所地|住)", rest[m.end():m.end() + 4])):
        name = m.group(1)
        if len(name) <= 30 and not re.search(r"\d|住所地|出生", name):
            return name
    m = _COMPANY_END.match(rest)
    if m and (had_colon or "住所地" in rest[: m.end() + 6]):
        return m.group(1)
    m = _PERSON.match(rest)
    if m:
        return m.group(1)
    return None


def _parties(lines: Sequence[str]) -> tuple[Party, ...]:
    found: list[Party] = []
    for raw in lines:
        s = compact(raw)
        m = _PARTY_LINE.match(s)
        if not m:
            continue
        name = _party_name(m.group(3), bool(m.group(2)))
        if name:
            party = Party(role=_ROLE_BY_ZH[m.group(1)], name=name)
            if party not in found:
                found.append(party)
    return tuple(found)


# ----------------------------------------------------------------------------------------- issuer

RECORD_CATEGORIES: frozenset[Category] = frozenset({
    Category.TRIAL_RECORD, Category.INQUIRY_RECORD, Category.MEDIATION_RECORD, Category.PRONOUNCEMENT_RECORD,
    Category.DELIBERATION_RECORD, Category.JUDGES_MEETING_RECORD, Category.COMMITTEE_RECORD})
"""笔录 and 记录: made by the court, dated by their header's 时间 line; the 上诉人：… lines in them are
what people said, not signatures."""
_APPOINTMENTS: frozenset[Category] = frozenset({Category.SUMMONS, Category.APPEARANCE_NOTICE,
                                                Category.HEARING_ANNOUNCEMENT})
"""Papers whose 时间 lines are appointments (应到时间, 开庭时间), not when the paper was made."""

_SIGNER = re.compile(r"^(?:具状人|起诉人|上诉人|答辩人|申请人|委托人|委托单位(?:[（(]盖章[）)])?|提交人|说明人)[:：](.{2,40})$")
_ORG_END = re.compile(r"(?:公司|人民法院|检察院|局|委员会|中心|银行|支行|分行|医院|事务所|政府|集团|合作社|协会|学校"
                      r"|大学|厂|店|所|处|部|队)$")
_SEAL_MARK = re.compile(r"[（(](?:盖章|签名|签字|签章|章|印)[）)]$")
_TRAILING_NOTE = re.compile(r"[（(][^（()）]{1,10}[）)]$")


def _name_like(value: str) -> str | None:
    """``value`` as a party's name (a person of 2-4 characters, names with ·, an organisation ending
    like one), a trailing ``（盖章）`` or ``（原审被告）`` dropped; None for anything else (a sentence)."""
    s = _TRAILING_NOTE.sub("", re.sub(r"['`丶]", "", value)).strip()
    if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", s) or re.fullmatch(r"[\u4e00-\u9fff]{1,8}[·・][\u4e00-\u9fff·・]{1,12}", s):
        return s
    if 4 <= len(s) <= 40 and _ORG_END.search(s) and not re.search(r"[,，。;；:：、\s]", s):
        return s
    return None


def _centred(page: PageText, index: int, page_width: float = 2480.0) -> bool:
    line = page.lines[index]
    xs = [p[0] for p in line.polygon]
    centre = (min(xs) + max(xs)) / 2
    width = max((max(p[0] for p in ln.polygon) for ln in page.lines), default=page_width)
    ref = max(page_width, width)
    return abs(centre - ref / 2) < ref * 0.08 and (max(xs) - min(xs)) < ref * 0.7


def _court_line(ln: str) -> str | None:
    key = title_key(ln)
    return compact(ln) if key.endswith("人民法院") and 6 <= len(key) <= 30 else None


def _court_of(pages: Sequence[PageText], court_name: str | None) -> str | None:
    """本院: the court the case's data names, else a court named alone on a line."""
    if court_name:
        return court_name
    for page in pages:
        for ln in page.line_texts:
            key = title_key(ln)
            if key.endswith("人民法院") and len(key) <= 24:
                return key
    return None


def _record_issuer(pages: Sequence[PageText], court_name: str | None) -> str | None:
    """A 笔录 is made by the court named in its header (its first lines), else by 本院."""
    for ln in pages[0].line_texts[:4]:
        court = _court_line(ln)
        if court:
            return court
    return _court_of(pages, court_name)


_ID_NAME = re.compile(r"^姓名[:：]?([\u4e00-\u9fff·]{2,8}?)(?=性别|民族|出生|住址|$)")
_ID_ORG = re.compile(r"^名称[:：]?(.{2,40})$")
_ID_AUTHORITY = re.compile(r"^(?:签发机关|登记机关)[:：]?(.{2,40})$")


def _identity_holder(pages: Sequence[PageText]) -> str | None:
    """Whose identity papers these are: the 姓名 of an ID card, the 名称 of a business licence, the
    organisation sealing a 法定代表人身份证明书 — on the first page naming one; else the issuing
    authority (签发机关, 登记机关)."""
    authority: str | None = None
    for page in pages:
        for ln in page.line_texts:
            s = compact(ln)
            if (m := _ID_NAME.match(s)) or (m := _ID_ORG.match(s)):
                name = _name_like(m.group(1))
                if name:
                    return name
            elif _SEAL_MARK.search(s) and (name := _name_like(s)) and _ORG_END.search(name):
                return name
            elif authority is None and (m := _ID_AUTHORITY.match(s)):
                authority = m.group(1)
    return authority


def _issuer(pages: Sequence[PageText], hit: RuleHit | None, category: Category | None,
            court_name: str | None) -> str | None:
    if category in RECORD_CATEGORIES:
        return _record_issuer(pages, court_name)
    if category is Category.IDENTITY_PROOF:
        holder = _identity_holder(pages)
        if holder:
            return holder
    first = pages[0]
    lines = first.line_texts
    title_at = hit.line_index if hit else None
    for i, ln in enumerate(lines[:2]):
        if i == title_at:
            break
        key = title_key(ln)
        if not key or len(key) > 30:
            continue
        if key.endswith(ISSUER_SUFFIXES) or (first.lines and _centred(first, i) and title_at is not None
                                               and i < title_at):
            return compact(ln)
    signed: list[str] = []
    for page in pages:
        for ln in page.line_texts:
            m = _SIGNER.match(compact(ln))
            if m:
                signed.append(m.group(1))
    for value in signed:  # a signature line holds the name alone
        name = _name_like(value)
        if name:
            return name
    for value in signed:  # or the name and a description: 上诉人：张三，男，…
        name = _name_like(re.split(r"[,，。;；]", value)[0])
        if name:
            return name
    if category is not None and CATEGORIES[category].court_issued:
        return _court_of(pages, court_name)
    return None


# ------------------------------------------------------------------------------------------- main

_NOT_SIGNED_BEFORE = re.compile(r"(?:出生|出生日期|有效期限|有效期|成立日期|应到时间|交易日期|住院日期|事故时间)[:：]?$")
_RECORD_TIME = ("时间", "会议时间", "开庭时间", "询问时间", "调查时间", "评议时间", "讨论时间")


def _signature_date(page: PageText) -> dt.date | None:
    """The last date-only line of the page (one OCR broke in two is read joined as well)."""
    lines = page.line_texts
    singles = [d for i, ln in enumerate(lines) if (d := _date_only(ln))
               and not (i and _NOT_SIGNED_BEFORE.search(compact(lines[i - 1])))]
    if singles:
        return singles[-1]
    joined = [d for a, b in itertools.pairwise(lines) if len(a) + len(b) <= 16 and (d := _date_only(a + b))]
    return joined[-1] if joined else None


def _record_time(pages: Sequence[PageText]) -> dt.date | None:
    """The date of a record's header line: 时间：二〇二六年二月二十六日上午九时."""
    for ln in pages[0].line_texts[:12]:
        s = compact(ln)
        if s.startswith(_RECORD_TIME):
            found = parse_date(s)
            if found:
                return found[0][1]
    return None


def _doc_date(pages: Sequence[PageText], category: Category | None = None) -> dt.date | None:
    """The date the 卷内目录 shows.

    * A record (笔录): the header's 时间 line.
    * A 送达回证: the date the recipient signed for it (受送达人签收 … 二〇二六年一月十日).
    * Otherwise the signature date, a date alone on a line at the end of the paper: the last one of the
      last page that has one (a judgment is dated on its last page). A bundle of papers (证据材料,
      身份证明) is dated by its first paper — the list or certificate that heads it — so there the
      first page that has one counts.
    * Failing that, a date ending a signature line (签收, 签名, 盖章 …), then a 时间 line in the
      header. A date inside a sentence (证明上诉人于二〇二四年一月十五日…), a birth date or an
      appointment (应到时间) is never the document's date; a paper without a date of its own (an ID
      card copy) has none.
    """
    if category in RECORD_CATEGORIES and (found := _record_time(pages)):
        return found
    if category is Category.SERVICE_RECEIPT:
        receipts = [d for p in pages for ln in p.line_texts if (d := _labelled_date(ln, _RECEIPT_LABEL))]
        if receipts:
            return receipts[-1]
    bundle = category is not None and CATEGORIES[category].continuation
    for page in (pages if bundle else reversed(pages)):
        found = _signature_date(page)
        if found:
            return found
    for page in reversed(pages):
        labelled = [d for ln in page.line_texts if (d := _labelled_date(ln))]
        if labelled:
            return labelled[-1]
    if category not in _APPOINTMENTS:
        return _record_time(pages)
    return None


def extract_metadata(pages: Sequence[PageText], category: Category | None = None,
                     court_name: str | None = None) -> DocumentMetadata:
    """Metadata of one document (its pages in order). ``court_name`` names 本院 for court records
    that do not print it. A case number is reported as read (after digit repairs), never replaced by
    a known one: related cases differ by a single digit."""
    if not pages:
        raise ValueError("a document has at least one page")
    hit = title_rule(pages[0].line_texts)
    if hit is not None and hit.rule != "title_fuzzy" and not (category and hit.category is not category):
        title = hit.matched
    elif category is not None:
        title = hit.matched if hit and hit.category is category else CATEGORIES[category].name_zh
    else:
        title = hit.matched if hit else UNRECOGNISED_TITLE
    head_text = "\n".join(pages[0].line_texts)
    numbers = find_case_numbers(head_text) or find_case_numbers("\n".join(ln for p in pages for ln in p.line_texts))
    party_lines = [ln for p in pages[:2] for ln in p.line_texts]
    return DocumentMetadata(title=title, date=_doc_date(pages, category), case_number=numbers[0] if numbers else None,
                            parties=_parties(party_lines), issuing_party=_issuer(pages, hit, category, court_name))
