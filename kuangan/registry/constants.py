"""Numbers from the seed documents, each with its source (REQUIREMENTS.md keys)."""

MAX_PRODUCING_LEVELS = 2  # R1.3, ZY 10: 一个矿井同时生产的水平不超过两个
FIVE_HEADS_MIN_FRONTLINE_YEARS = 10  # R1.2, JC 1: 五职矿长 主体专业大专及以上 + 10 年一线
SECTION_HEADS_MIN_FRONTLINE_YEARS = 5  # R1.2, JC 2: 五科 主体专业 + 5 年
LICENCE_EXPIRY_WARNING_DAYS = 90  # R1.1: a licence about to expire is shown before it lapses (setting)

# --- person cards and production returns (issue 20) ---
# FORMATS.md §1 Codes: a person card (人员卡编码) is the mine code followed by 5 characters (17 for a
# 12-character mine code); the trust rules require every card a mine names to begin with its own code.
CARD_SUFFIX_LENGTH = 5
# RULES.md C01-01 (重大事故隐患判定标准 第四条): a month's raw-coal output above 10 % of the annual approved
# (design) capacity, or a year's at 110 % or more, is over-capacity production (超能力生产).
MONTHLY_CAPACITY_PERCENT = 10
ANNUAL_CAPACITY_PERCENT = 110
