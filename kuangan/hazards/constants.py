"""Numbers of the hazard loop, each with its source. All are defaults: settings override them."""

ESCALATION_DAYS = (1, 15, 30, 60)  # R2.5, ZY 13(2), JC 9: letter, circular, summons, exposure — days after the deadline
MONTHLY_REPORT_DUE_DAY = 5  # R2.6, JC 10: report of month M due by the 5th of M+1 (setting, not in the seeds)
REPEAT_WINDOW_DAYS = 365  # R2.8, JC 7: the same item found again within 12 months is a repeat
CLOSURE_WINDOW_DAYS = 90  # R2.8, JC 10: an unlicensed producing mine with …
CLOSURE_MIN_MAJOR_HAZARDS = 2  # … 2 or more major hazards within 3 months → closure proposal
STOCK_YEAR = 2023  # R2.7: hazards found in 2023 or earlier are the stock to clear
