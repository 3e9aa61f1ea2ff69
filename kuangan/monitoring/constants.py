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
