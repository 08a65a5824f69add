"""The regulation articles access control enforces, as citation keys with our own summaries.

Citations use the short document key plus the article, as in ``seeds/README.md``. The summaries are
paraphrases written for this project so that no code or test needs the source texts at run time.
Numbers marked "house setting" are not in any regulation: they are this project's defaults and are
named as such wherever they cause a refusal.
"""

from __future__ import annotations

from typing import Final

JL: Final = "吉高法〔2020〕11号"
SPC: Final = "法〔2016〕264号"

# 吉高法〔2020〕11号
ART2: Final = f"{JL} 第二条"
ART3_2: Final = f"{JL} 第三条(二)"
ART3_3: Final = f"{JL} 第三条(三)"
ART3_3_2: Final = f"{JL} 第三条(三)2"
ART3_4: Final = f"{JL} 第三条(四)"
ART3_6: Final = f"{JL} 第三条(六)"
ART3_8: Final = f"{JL} 第三条(八)"
ART4_1_2: Final = f"{JL} 第四条(一)2"
ART4_1_3: Final = f"{JL} 第四条(一)3"
ART4_1_5: Final = f"{JL} 第四条(一)5"
ART4_2: Final = f"{JL} 第四条(二)"
ART8: Final = f"{JL} 第八条"
ART8_1: Final = f"{JL} 第八条(一)"
ART8_2: Final = f"{JL} 第八条(二)"
ART8_3: Final = f"{JL} 第八条(三)"
ART8_4: Final = f"{JL} 第八条(四)"
ART9: Final = f"{JL} 第九条"
ART9_1: Final = f"{JL} 第九条第1项"
ART9_2: Final = f"{JL} 第九条第2项"
ART10: Final = f"{JL} 第十条"
ART14: Final = f"{JL} 第十四条"

# 法〔2016〕264号
SPC_1_3: Final = f"{SPC} 一(三)"
SPC_2_3: Final = f"{SPC} 二(三)"
SPC_3_3: Final = f"{SPC} 三(三)"
SPC_3_6: Final = f"{SPC} 三(六)"

SUMMARIES_ZH: Final[dict[str, str]] = {
    ART3_2: "立案时关联原审电子档案、电子卷宗，供本案办理使用。",
    ART3_3: "立案庭智能办案辅助中心对纸质材料扫描并编目归目，充实本案电子卷宗。",
    ART3_3_2: "审理中收取和产生的纸质材料须创建扫描任务，由智能办案辅助中心扫描、编目归目，充实本案电子卷宗。",
    ART3_4: "审判业务部门依托原审电子档案和原审、本院电子卷宗开展网上阅卷等无纸化办案。",
    ART3_6: "结案后由法官助理（书记员）立卷、承办法官审核，确认电子卷宗完整准确。",
    ART3_8: "组卷质检合格后系统归档，电子卷宗一键转为电子档案，此后不再修改。",
    ART4_1_2: "立案庭在立案过程中检查自动关联的原审电子档案是否完整，不完整的手动关联。",
    ART4_1_3: "扫描和编目由立案庭监管，确保安全保密；扫描工位只负责扫描，不阅览卷宗。",
    ART4_1_5: "立案庭负责原审纸质档案和本案纸质诉讼材料的保管、借阅和退还。",
    ART4_2: "办公室（档案科）负责电子档案的管理、存储及调阅服务。",
    ART8: "以线上为原则、线下为例外：纸质材料借阅限于第八条列明的四种情形。",
    ART8_1: "原审纸质档案：经分管院领导审批，法官可借阅；每案一般不超过2次，每次不超过30天。",
    ART8_2: "本案纸质诉讼材料：经部门负责人审批，法官可借阅；每案2次，每次不超过10天。",
    ART8_3: "紧急情形：网络故障、技术等原因致庭审、接待、合议、法官会议、审委会等正在进行的流程无法运转，"
    "经审判长审批可直接借阅纸质档案和本案纸质诉讼材料，事后提供材料予以说明。",
    ART8_4: "特定情形：审理中确需核对原件或鉴定等，经分管院领导审批，可借阅原审纸质档案和本案纸质诉讼材料。",
    ART9_1: "查阅下级法院相关案件（含类案、串案）的电子档案、电子卷宗，或本院相关案件的电子档案，"
    "须经分管院领导审批，全程留痕。",
    ART9_2: "本院未审结案件的电子卷宗原则上限于合议庭成员查阅；提交法官会议、审委会讨论的，其成员可查阅；"
    "其他人员须经承办法官、部门负责人及其分管院领导审批后阅览，全程留痕。",
    ART10: "涉国家秘密案件暂不开展电子卷宗随案同步生成，不在本系统阅览。",
    ART14: "本规定仅适用于2019年12月1日起新收的民商事、行政案件；刑事、赔偿、执行案件暂不纳入全流程无纸化办案。",
    SPC_1_3: "通过电子卷宗流转和应用实现案件审理过程的全程留痕。",
    SPC_2_3: "涉及国家秘密的案件卷宗应在涉密办案系统中生成和应用。",
    SPC_3_3: "审委会委员在讨论过程中可随时查看案件电子卷宗。",
    SPC_3_6: "依法为当事人、律师提供本案电子卷宗的在线浏览、借阅；副卷及依法不公开的材料不在其列。",
}
