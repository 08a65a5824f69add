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
ART3_7: Final = f"{JL} 第三条(七)"
ART3_8: Final = f"{JL} 第三条(八)"
ART4_1_2: Final = f"{JL} 第四条(一)2"
ART4_1_3: Final = f"{JL} 第四条(一)3"
ART4_1_4: Final = f"{JL} 第四条(一)4"
ART4_1_5: Final = f"{JL} 第四条(一)5"
ART4_2: Final = f"{JL} 第四条(二)"
ART4_2_1: Final = f"{JL} 第四条(二)1"
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
