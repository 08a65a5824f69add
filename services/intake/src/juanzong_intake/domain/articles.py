"""The regulation articles intake enforces, as citation keys with this project's own summaries.

Keys follow ``seeds/README.md``: the document number plus the article. The summaries are paraphrases
written for Juanzong so that no code or test needs the source texts at run time.
"""

from __future__ import annotations

from typing import Final

JL: Final = "吉高法〔2020〕11号"
CC: Final = "长中法〔2018〕129号"
CASE_NUMBER_RULES: Final = "法〔2015〕137号《关于人民法院案件案号的若干规定》"

# 吉高法〔2020〕11号
ART3_1: Final = f"{JL} 第三条(一)"
ART3_2: Final = f"{JL} 第三条(二)"
ART3_3_1: Final = f"{JL} 第三条(三)1"
ART3_3_2: Final = f"{JL} 第三条(三)2"
ART4_1_3: Final = f"{JL} 第四条(一)3"
ART5_1: Final = f"{JL} 第五条(一)"
ART5_2: Final = f"{JL} 第五条(二)"
ART5_3: Final = f"{JL} 第五条(三)"
ART10: Final = f"{JL} 第十条"
ART14: Final = f"{JL} 第十四条"

# 长中法〔2018〕129号
CC_ART6: Final = f"{CC} 第六条"
CC_ART7_1: Final = f"{CC} 第七条第一款"
CC_ART7_2: Final = f"{CC} 第七条第二款"
CC_ART7_4: Final = f"{CC} 第七条第四款"

# 《关于人民法院案件案号的若干规定》
CN_FORMAT: Final = f"{CASE_NUMBER_RULES} 第三条"
CN_SERIAL: Final = f"{CASE_NUMBER_RULES} 第十条"

SUMMARIES_ZH: Final[dict[str, str]] = {
    ART3_1: "下级法院报送上诉、申诉等案件时，应同步报送原审纸质档案、电子档案和电子卷宗。",
    ART3_2: "立案时检查原审电子档案、电子卷宗是否自动关联，未关联的手动关联；下级法院未挂接的，退回原审法院。",
    ART3_3_1: "立案材料经智能办案辅助中心扫描、编目后创建本院电子卷宗。",
    ART3_3_2: "审理中收取和产生的纸质材料，在系统创建扫描任务、送入云柜，由智能办案辅助中心取出扫描编目。",
    ART4_1_3: "立案庭审查和监管外包服务对本院案件纸质材料的扫描和编目归目，确保清晰、准确、挂接及时、安全保密。",
    ART5_1: "立案后1个工作日内将案件材料交付智能办案辅助中心。",
    ART5_2: "审理期间的纸质诉讼材料应生成材料清单，于2个工作日内送至云柜。",
    ART5_3: "24小时内取件并核对材料清单，不一致的注明原因退回，法官1个工作日内补正再送；"
    "一致的及时扫描，扫描完成后24小时内编目。",
    ART10: "涉国家秘密案件暂不开展电子卷宗随案同步生成。",
    ART14: "仅适用于2019年12月1日起新收的民商事、行政案件；刑事、赔偿案件暂缓执行；执行案件另行规定。",
    CC_ART6: "立案部门自立案之日起3个工作日内制作立案阶段电子卷宗。",
    CC_ART7_1: "审判部门在开庭（询问、听证）5个工作日前制作庭前材料电子卷宗。",
    CC_ART7_2: "审判部门在开庭（询问、听证）后5个工作日内制作庭后材料电子卷宗。",
    CC_ART7_4: "审判部门在结案裁判文书签发前制作结案前材料电子卷宗。",
    CN_FORMAT: "案号 =（收案年度）+ 法院代字 + [专门审判代字] + 类型代字 + 案件编号 + 号。",
    CN_SERIAL: "案件编号按收案顺序以自然数编排；刑事复核案件编号为8位自然数。",
}
