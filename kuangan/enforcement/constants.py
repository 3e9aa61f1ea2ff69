"""Numbers of enforcement, each with its source. All are defaults: settings (KUANGAN_*) override them; the
pages say which ones no official text was found for. Tables (class factors, cut-offs, veto items,
frequencies, penalty benchmarks, score deductions) are seeded rows edited in the admin: catalog_data.py."""

# 行政处罚法（2021）第四十二条：执法人员不得少于两人 [Q]. A setting only so that a province may ask for more.
MIN_TEAM = 2
# R3.3 逢查必考: the pass mark of the mine head's exam on site. Not found in the seeds: a setting.
EXAM_PASS_MARK = 60
# R3.5: days before a rectification order's deadline the re-inspection is reminded. Not found: a setting.
REINSPECT_REMIND_DAYS = 3
# R3.4: days a party has to pay a fine after the decision is served (行政处罚法 第六十七条: 十五日) [Q].
PAYMENT_DAYS = 15
# R3.4: days after a notice is served before a decision may be made (陈述、申辩 within 3 days, 行政处罚法
# 第六十四条 for 听证 5 days) [Q]: the decision waits at least this long.
NOTICE_DAYS = 5
# R3.8: points per calendar year at which a mine head retakes the exam (RULES §7, Shanxi 2019) [Q].
SCORE_THRESHOLD = 12
# R3.6 倒查: a major hazard found by a higher level at a mine the county inspected within this many months
# is flagged against the county. Not found: a setting.
LOOKBACK_MONTHS = 3
# R3.1: the rolling screen's window and limits (not found: settings).
SCREEN_MONTHS = 12
SCREEN_MAJORS = 2
SCREEN_OVERDUE = 1
SCREEN_REPEATS = 1
SCREEN_ALARMS = 20
