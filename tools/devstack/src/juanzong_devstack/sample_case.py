"""The sample appeal the main job runs: its case data and its paper materials rendered as real scans.

The texts are fictitious and written for this project. Pages are rendered with the OCR bench's page
generator (seals, skew, paper tint, noise); one page is fed upside down and one is blurred so that QC must
flag it for re-scanning (法〔2016〕264号 二(五)).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from juanzong_devstack.stack import REPO_ROOT

CASE_NUMBER = "（2026）吉01民终1001号"
ORIGINAL_CASE_NUMBER = "（2025）吉0102民初2345号"
COURT = "吉01"
LOWER_COURT = "吉0102"
COURT_NAME = "吉林省长春市中级人民法院"
LOWER_COURT_NAME = "长春市南关区人民法院"
CAUSE = "民间借贷纠纷"


@dataclass(frozen=True)
class SamplePage:
    name: str
    document: str  # expected catalogue category title
    lines: tuple[str, ...]
    seal: bool = False
    rotation: int = 0
    blur: float = 0.0
    skew: float = 0.0


def _p(name, document, text, **kw) -> SamplePage:
    return SamplePage(name, document, tuple(line for line in text.strip().splitlines() if line.strip()), **kw)


PAGES: tuple[SamplePage, ...] = (
    _p("01.png", "上诉状", f"""
#民事上诉状
上诉人（原审被告）：赵立军，男，一九七八年五月六日出生，汉族，住长春市南关区自由大路一百二十号。
被上诉人（原审原告）：孙秀梅，女，一九八二年九月十二日出生，汉族，住长春市朝阳区红旗街八十八号。
上诉人因与被上诉人民间借贷纠纷一案，不服长春市南关区人民法院{ORIGINAL_CASE_NUMBER}民事判决，现提起上诉。
上诉请求：一、撤销原审判决第一项，依法改判上诉人仅偿还借款本金八万元；二、本案一审、二审诉讼费用由被上诉人负担。
事实与理由：原审认定借款本金十二万元错误。双方于二〇二三年三月签订借条后，上诉人已通过银行转账分两次归还四万元，
有转账凭证为证，原审对此未予认定，属于认定事实不清。
此致
吉林省长春市中级人民法院
上诉人：赵立军
二〇二五年十一月三日
""", skew=0.8),
    _p("02.png", "身份证明", """
#居民身份证复印件
姓名 赵立军 性别 男 民族 汉
出生 1978年5月6日
住址 长春市南关区自由大路一百二十号
公民身份号码 220102197805061234
签发机关 长春市公安局南关分局
有效期限 2016.03.01-2036.03.01
本复印件与原件核对一致 核对人 李明
""", skew=-0.5),
    _p("03.png", "授权委托书", """
#授权委托书
委托人：赵立军，男，住长春市南关区自由大路一百二十号。
受委托人：陈建华，吉林长城律师事务所律师。
现委托陈建华在上诉人赵立军与被上诉人孙秀梅民间借贷纠纷一案中，作为我方的诉讼代理人。
代理人的代理权限为：特别授权，代为承认、放弃、变更诉讼请求，进行和解，提起上诉，代为签收法律文书。
委托人：赵立军
二〇二五年十一月三日
""", seal=True),
    _p("04.png", "证据材料", """
#证据清单
上诉人：赵立军
一、中国工商银行转账凭证一份，证明上诉人于二〇二三年八月十日向被上诉人归还借款二万元。
二、中国建设银行转账凭证一份，证明上诉人于二〇二四年一月十五日向被上诉人归还借款二万元。
三、微信聊天记录截图六页，证明被上诉人认可已收到上述还款。
提交人：赵立军
二〇二五年十一月三日
"""),
    _p("05.png", "证据材料", """
#中国工商银行 转账凭证
交易日期 2023年8月10日
付款人 赵立军
收款人 孙秀梅
金额 人民币贰万元整 20000.00
用途 还款
交易状态 成功
业务专用章 中国工商银行长春自由大路支行
""", seal=True, rotation=180),
    _p("06.png", "受理案件通知书", f"""
#吉林省长春市中级人民法院
#受理案件通知书
{CASE_NUMBER}
赵立军：
你方与孙秀梅民间借贷纠纷上诉一案，本院已依法立案受理。现将有关事项通知如下：
一、本案由本院民事审判第一庭审理，承办法官王建国。
二、当事人应当遵守诉讼秩序，依法行使诉讼权利。
三、本院将依法组成合议庭审理本案。
特此通知。
二〇二六年一月八日
""", seal=True),
    _p("07.png", "传票", f"""
#吉林省长春市中级人民法院
#传票
{CASE_NUMBER}
案由 民间借贷纠纷
被传唤人 赵立军
传唤事由 开庭审理
应到时间 二〇二六年二月二十六日上午九时
应到处所 本院第十二法庭
注意事项：被传唤人必须准时到达应到处所，本票由被传唤人带来报到。
审判员 王建国
二〇二六年一月八日
""", seal=True, blur=4.5),
    _p("08.png", "送达回证", f"""
#吉林省长春市中级人民法院
#送达回证
{CASE_NUMBER}
送达文书 受理案件通知书 传票 举证通知书
受送达人 赵立军
送达地点 长春市南关区自由大路一百二十号
受送达人签收 赵立军 二〇二六年一月十日
送达人 刘洋
"""),
    _p("09.png", "庭审笔录", f"""
#庭审笔录
时间：二〇二六年二月二十六日上午九时
地点：本院第十二法庭
案号：{CASE_NUMBER}
审判长：王建国 审判员：李海燕 审判员：张志刚
书记员：周敏
审判长：现在开庭。核对当事人身份。上诉人赵立军到庭，委托诉讼代理人陈建华到庭。被上诉人孙秀梅到庭。
审判长：上诉人陈述上诉请求及理由。
上诉人：请求撤销原审判决第一项，改判偿还本金八万元。已经归还的四万元有银行转账凭证。
被上诉人：收到的两笔转账是支付的利息，不是本金。
审判长：双方对转账事实均无异议，对款项性质存在争议。法庭调查结束。
"""),
    _p("10.png", "庭审笔录", """
审判长：现在进行法庭辩论。
上诉人代理人：借条未约定利息，依法应视为没有利息，转账款项应当冲抵本金。
被上诉人：双方口头约定了利息。
审判长：被上诉人对口头约定利息是否有证据？
被上诉人：没有书面证据。
审判长：法庭辩论结束。双方是否同意调解？
上诉人：同意。被上诉人：不同意。
审判长：调解不成，休庭，合议庭评议后宣判。
（以下无正文）
上诉人 赵立军 被上诉人 孙秀梅 书记员 周敏
"""),
    _p("11.png", "裁判文书", f"""
#吉林省长春市中级人民法院
#民事判决书
{CASE_NUMBER}
上诉人（原审被告）：赵立军，男，住长春市南关区。
被上诉人（原审原告）：孙秀梅，女，住长春市朝阳区。
上诉人赵立军因与被上诉人孙秀梅民间借贷纠纷一案，不服长春市南关区人民法院{ORIGINAL_CASE_NUMBER}民事判决，
向本院提起上诉。本院依法组成合议庭审理了本案，现已审理终结。
本院认为，借条未约定利息，依照《中华人民共和国民法典》第六百八十条的规定，视为没有利息。
上诉人已归还的四万元应当冲抵借款本金。
判决如下：一、撤销长春市南关区人民法院民事判决第一项；二、赵立军于本判决生效之日起十日内偿还孙秀梅借款本金八万元。
本判决为终审判决。
""", seal=False, skew=0.6),
    _p("12.png", "裁判文书", """
二审案件受理费一千八百元，由被上诉人孙秀梅负担。
本判决为终审判决。
审判长 王建国
审判员 李海燕
审判员 张志刚
二〇二六年三月十日
书记员 周敏
""", seal=True),
)


def _pagegen():
    # Loaded once per process: its pydantic models resolve their annotations through sys.modules, so a
    # second copy of the module would mix classes of two module objects (Seal is not Seal).
    loaded = sys.modules.get("juanzong_pagegen")
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location("juanzong_pagegen", REPO_ROOT / "bench" / "pagegen.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["juanzong_pagegen"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop("juanzong_pagegen", None)
        raise
    return module


@dataclass
class RenderedSample:
    folder: Path
    truth: dict[str, str] = field(default_factory=dict)
    expected_documents: list[str] = field(default_factory=list)
    blurred: list[str] = field(default_factory=list)
    upside_down: list[str] = field(default_factory=list)


def render_sample(folder: Path, dpi: int = 300, pages: tuple[SamplePage, ...] | None = None,
                  *, rescan: bool = False) -> RenderedSample:
    """Render the sample batch into ``folder`` (PNG pages + truth.json); reuses pages already there.
    ``rescan``: the blurred pages only, scanned again sharp (what the station sends after QC flags them)."""
    pages = PAGES if pages is None else pages
    pg = _pagegen()
    folder.mkdir(parents=True, exist_ok=True)
    result = RenderedSample(folder)
    for index, page in enumerate(pages):
        if rescan:
            if page.blur < 2.5:
                continue
            page = dataclasses.replace(page, blur=0.0)
        font = pg.find_font("song" if index % 3 else "kai")
        laid_out = pg.layout_document([line.lstrip("#") for line in page.lines], font, dpi, pg.PageLayout())
        lines = [line for part in laid_out for line in part][:34]  # one sheet each
        seals = (pg.Seal(text=COURT_NAME, cx=0.62, cy=0.3, angle_degrees=12.0),) if page.seal else ()
        distortions = pg.Distortions(paper_rgb=(250, 247, 238), seals=seals, skew_degrees=page.skew,
                                     blur_sigma_px=page.blur, noise_sigma=3.0, rotation=page.rotation,
                                     seed=index + 1)
        path = folder / page.name
        if not path.exists():
            image = pg.render_page(lines, font=font, dpi=dpi, distortions=distortions)
            image.save(path, dpi=(dpi, dpi))
        result.truth[page.name] = pg.page_text(lines)
        if page.blur >= 2.5:
            result.blurred.append(page.name)
        if page.rotation == 180:
            result.upside_down.append(page.name)
    result.expected_documents = [p.document for p in pages]
    (folder / "truth.json").write_text(json.dumps(result.truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


# -- the material list (材料清单) of the scan task: one line per paper material, in page order ----------
STAGE_OF_DOCUMENT = {  # 长中法〔2018〕129号 第六条/第七条: the stage each material belongs to
    "上诉状": "filing", "身份证明": "filing", "授权委托书": "filing", "证据材料": "filing",
    "受理案件通知书": "filing", "传票": "pre_hearing", "送达回证": "pre_hearing", "庭审笔录": "post_hearing",
    "裁判文书": "pre_closing",
}


@dataclass(frozen=True)
class Material:
    item_id: str
    name: str
    pages: tuple[str, ...]  # file names in the batch folder
    stage: str

    def as_item(self, expected_pages: int | None = None) -> dict:
        return {"item_id": self.item_id, "name": self.name, "stage": self.stage,
                "expected_pages": expected_pages if expected_pages is not None else len(self.pages)}


def materials_of(pages: tuple[SamplePage, ...]) -> list[Material]:
    """Consecutive pages of one document form one line of the list."""
    out: list[Material] = []
    for page in pages:
        if out and out[-1].name == page.document:
            last = out[-1]
            out[-1] = Material(last.item_id, last.name, (*last.pages, page.name), last.stage)
        else:
            out.append(Material(str(len(out) + 1), page.document, (page.name,), STAGE_OF_DOCUMENT[page.document]))
    return out


MATERIALS: tuple[Material, ...] = tuple(materials_of(PAGES))
PANEL = {"undertaking_judge": "u-judge-wang", "presiding_judge": "u-judge-wang",
         "members": ["u-judge-wang", "u-judge-li", "u-meeting-zheng"],
         "judge_assistants": ["u-assistant-zhao"], "clerks": ["u-clerk-liu"]}
PARTIES = [{"name": "赵立军", "role": "appellant"}, {"name": "孙秀梅", "role": "appellee"}]


# -- the second sample: unhappy paths (a wrong 材料清单, a material left out of the scan, an outsider) ----
UNHAPPY_CAUSE = "买卖合同纠纷"
UNHAPPY_ORIGINAL_CASE_NUMBER = "（2025）吉0103民初678号"
UNHAPPY_PAGES: tuple[SamplePage, ...] = (
    _p("01.png", "上诉状", f"""
#民事上诉状
上诉人（原审被告）：长春恒达商贸有限公司，住所地长春市朝阳区人民大街二百号。
法定代表人：刘恒达，该公司经理。
被上诉人（原审原告）：李文博，男，一九九〇年四月二日出生，汉族，住长春市绿园区青年路十五号。
上诉人因与被上诉人买卖合同纠纷一案，不服长春市朝阳区人民法院{UNHAPPY_ORIGINAL_CASE_NUMBER}民事判决，现提起上诉。
上诉请求：撤销原审判决，改判驳回被上诉人的全部诉讼请求。
事实与理由：被上诉人交付的货物存在质量问题，上诉人已在合理期限内提出异议，原审认定上诉人逾期付款错误。
此致
吉林省长春市中级人民法院
上诉人：长春恒达商贸有限公司
二〇二五年十二月一日
""", seal=True, skew=0.5),
    _p("02.png", "证据材料", """
#证据清单
上诉人：长春恒达商贸有限公司
一、质量检验报告一份，证明被上诉人交付的货物不合格。
二、异议函及快递单一份，证明上诉人于二〇二五年六月三日提出质量异议。
提交人：长春恒达商贸有限公司
二〇二五年十二月一日
"""),
    _p("03.png", "裁判文书", """
#吉林省长春市中级人民法院
#民事判决书
上诉人（原审被告）：长春恒达商贸有限公司。
被上诉人（原审原告）：李文博。
上诉人长春恒达商贸有限公司因与被上诉人李文博买卖合同纠纷一案，不服原审判决，向本院提起上诉。
本院认为，上诉人提交的证据不足以证明货物存在质量问题，其上诉理由不能成立。
判决如下：驳回上诉，维持原判。
二审案件受理费五百元，由上诉人负担。
本判决为终审判决。
审判长 王建国 审判员 李海燕 审判员 郑立新
二〇二六年四月二十日
""", seal=True),
    _p("04.png", "送达回证", """
#吉林省长春市中级人民法院
#送达回证
送达文书 民事判决书
受送达人 长春恒达商贸有限公司
送达地点 长春市朝阳区人民大街二百号
受送达人签收 刘恒达 二〇二六年四月二十三日
送达人 刘洋
"""),
)
UNHAPPY_MATERIALS: tuple[Material, ...] = tuple(materials_of(UNHAPPY_PAGES))
UNHAPPY_PARTIES = [{"name": "长春恒达商贸有限公司", "role": "appellant", "kind": "legal_person"},
                   {"name": "李文博", "role": "appellee"}]
