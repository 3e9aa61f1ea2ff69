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
