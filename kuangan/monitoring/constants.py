"""Numbers of the monitoring pages, each with its source."""

# A mine's KJ system scans at most every 25-30 s and sends one CDSS (real-time values) file per scan
# (FORMATS.md §1 "Upload periods and lateness"; the simulator's default `period_s`). We count 30 s: a
# day expects 86400 / 30 = 2880 CDSS files, and the dossier's online rate is received / expected.
CDSS_PERIOD_S = 30
ONLINE_RATE_DAYS = 7

# RULES.md §3.1 (AQ 1029, 《煤矿安全规程》第498条): a methane sensor at a working face or its upper
# corner (上隅角) alarms at >= 1.0 % CH4; a configured upper alarm threshold above that is a finding.
WORKING_FACE_CH4_ALARM_MAX = 1.0
WORKING_FACE_WORDS = ("工作面", "上隅角")
METHANE = "0001"  # sensor type of a methane sensor (FORMATS.md §1, sensor types)

# How often the open alarm list asks for new rows (seconds); settings.MONITORING_POLL_SECONDS overrides it.
ALARM_LIST_POLL_SECONDS = 10

# The point chart on an alarm's page: this much before the start and after the end (or now).
CHART_MARGIN_MINUTES = 60
CHART_MAX_DAYS = 3  # a long episode (a silent mine, a stuck sensor) shows its first days only
CHART_MAX_SWITCHES = 4  # a feed failure's chart: the power state of at most this many linked switch points

# --- Trust in the mines' files (issue "monitoring that no mine and no network fault can defeat") ---
# No official figure was found for any of these (RULES.md, FORMATS.md): each is a setting (KUANGAN_*),
# and the pages that apply them say so.
# A header (or record) time this far ahead of the file's arrival is a clock fault, never "now".
FUTURE_TOLERANCE_S = 600
# Data older than this at arrival is a back-fill (补传): judged like any other, and the county told.
BACKFILL_DAYS = 7
# A file with more than this share of bad records is quarantined whole (counts per reason kept).
MAX_REJECTED_SHARE = 0.5
# A planned window longer than this, or windows adding up to more than the daily hours on one point,
# take effect only once the county approves them.
WINDOW_MAX_HOURS = 4
WINDOW_DAILY_HOURS = 8
# The platform itself did not look (worker stopped, server down) when two judgements of silence lie
# further apart than this: a mine is not silent for the platform's own downtime.
PLATFORM_GAP_S = 120

# --- Personnel positioning and leads of illegal production (issue 20) ---
# Each is a setting KUANGAN_<NAME> (durations in minutes); the engine's defaults
# (kuangan.engine.settings.PersonnelSettings) are these, and a test keeps the two equal. The source of each,
# shown on the pages that apply it: [Q] quoted from RULES.md, otherwise none was found.
PERSONNEL_DEFAULTS: dict[str, tuple[float, str]] = {
    "leader_grace": (120, "未找到依据：矿领导带班下井时限按开班后 2 小时计"),
    "overtime": (120, "未找到依据：超过本班时长 2 小时视为井下超时"),
    "suspended_area_max": (10, "未找到依据：停产停建矿井单个区域超过 10 人视为聚集作业"),
    "shift_change_max": (120, "矿安〔2023〕129号 第九条：交接班时间不超过 2 小时"),
    "shift_change_total": (1000, "矿安〔2023〕129号 第九条：交接班期间井下（采掘工作面外）不超过 1000 人"),
    "face_major_share": (0.20, "《煤矿重大事故隐患判定标准》第四条（C01-06）：超过限员 20% 以上"),
    "snapshot_gap": (15, "未找到依据：人员实时数据约 5 分钟一次，间隔超过 15 分钟视为缺数，暂停研判"),
    "hidden_people": (3, "未找到依据：隐蔽工作面研判，每日至少 3 人"),
    "hidden_hours": (4.0, "未找到依据：隐蔽工作面研判，每人每日停留 4 小时以上"),
    "hidden_days": (3, "未找到依据：隐蔽工作面研判，7 天内至少 3 天"),
    "hidden_window_days": (7, "未找到依据：隐蔽工作面研判窗口 7 天"),
    "power_share": (0.30, "未找到依据：停产期间日用电量超过正常生产日中位数的 30%"),
    "power_baseline_days": (30, "未找到依据：基线取最近 30 个生产日"),
    "power_night_share": (0.50, "未找到依据：停产期间夜间 15 分钟峰值超过基线夜间峰值的 50%"),
    "capacity_month_share": (0.10, "《煤矿重大事故隐患判定标准》第四条（C01-01）：月产量超过核定能力的 10%"),
    "capacity_year_share": (1.10, "《煤矿重大事故隐患判定标准》第四条（C01-01）：年产量超过核定能力 10% 以上"),
}
DURATION_SETTINGS = frozenset({"leader_grace", "overtime", "shift_change_max", "snapshot_gap"})
