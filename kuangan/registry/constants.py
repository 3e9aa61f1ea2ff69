"""Numbers from the seed documents, each with its source (REQUIREMENTS.md keys)."""

MAX_PRODUCING_LEVELS = 2  # R1.3, ZY 10: 一个矿井同时生产的水平不超过两个
FIVE_HEADS_MIN_FRONTLINE_YEARS = 10  # R1.2, JC 1: 五职矿长 主体专业大专及以上 + 10 年一线
SECTION_HEADS_MIN_FRONTLINE_YEARS = 5  # R1.2, JC 2: 五科 主体专业 + 5 年
LICENCE_EXPIRY_WARNING_DAYS = 90  # R1.1: a licence about to expire is shown before it lapses (setting)
