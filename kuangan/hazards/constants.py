"""Numbers of the hazard loop, each with its source. All are defaults: settings override them."""

ESCALATION_DAYS = (1, 15, 30, 60)  # R2.5, ZY 13(2), JC 9: letter, circular, summons, exposure — days after the deadline
MONTHLY_REPORT_DUE_DAY = 5  # R2.6, JC 10: report of month M due by the 5th of M+1 (setting, not in the seeds)
# R2.8, JC 7,10: a major hazard of the same mine and category (coal: C01–C15; metal/non-metal: the section
# MU/MO/MT) found on or after the same date one year earlier is a repeat (the 12 months are calendar
# months, rules.year_before). How many repeats lead to 提请关闭 is in no seed text: a setting.
REPEATS_FOR_CLOSURE = 2  # the third occurrence within 12 months → closure proposal
CLOSURE_WINDOW_DAYS = 90  # R2.8, JC 10: an unlicensed producing mine with …
CLOSURE_MIN_MAJOR_HAZARDS = 2  # … 2 or more major hazards within 3 months → closure proposal
# No official figure found for these two: settings (KUANGAN_PLAN_DAYS, KUANGAN_VERIFY_DAYS), said so on the page.
PLAN_DAYS = 7  # R2.3, R2.5: a major hazard without its five implementations is overdue this many days after
VERIFY_DAYS = 10  # R2.4: days the regulator has to answer a close-out request
STOCK_YEAR = 2023  # R2.7: hazards found in 2023 or earlier are the stock to clear
