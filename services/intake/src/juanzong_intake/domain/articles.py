"""The regulation articles intake enforces, as citation keys (``seeds/README.md``: the document number plus the
article)."""

from __future__ import annotations

from typing import Final

JL: Final = "吉高法〔2020〕11号"
CC: Final = "长中法〔2018〕129号"

# 吉高法〔2020〕11号
ART3_1: Final = f"{JL} 第三条(一)"
ART3_2: Final = f"{JL} 第三条(二)"
ART4_1_3: Final = f"{JL} 第四条(一)3"
ART5_2: Final = f"{JL} 第五条(二)"
ART5_3: Final = f"{JL} 第五条(三)"
ART10: Final = f"{JL} 第十条"
ART14: Final = f"{JL} 第十四条"

# 长中法〔2018〕129号
CC_ART6: Final = f"{CC} 第六条"
CC_ART7_1: Final = f"{CC} 第七条第一款"
CC_ART7_2: Final = f"{CC} 第七条第二款"
CC_ART7_4: Final = f"{CC} 第七条第四款"
