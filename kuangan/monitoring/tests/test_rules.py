"""Pure rules of the monitoring pages: when a planned window needs the county's approval (its length,
the hours a day on each point, Beijing days), the marks of late data, the switch points of a feed
failure and the calibration's length."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuangan.core.clock import SHANGHAI
from kuangan.monitoring import rules
from kuangan.monitoring.rules import WindowSpan

pytestmark = pytest.mark.nodb

P1, P2 = "141129000101MN000100100005", "141129000101MN000400100008"
LIMITS = {"max_hours": 4, "daily_hours": 8}


def t(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=SHANGHAI)


def span(start: datetime, hours: float, *points: str) -> WindowSpan:
    return WindowSpan(start, start + timedelta(hours=hours), points)


def test_a_window_up_to_the_single_limit_needs_no_approval_and_one_longer_does():
    assert rules.window_approval_reason(span(t(8), 4, P1), [], **LIMITS) == ""
    assert rules.window_approval_reason(span(t(8), 4.5, P1), [], **LIMITS) == "单次时长 4.5 小时，超过 4 小时"
    assert rules.window_approval_reason(span(t(8), 5), [], **LIMITS) == "单次时长 5 小时，超过 4 小时"


def test_the_daily_hours_count_per_point():
    first, second = span(t(0), 4, P1), span(t(6), 4, P1)
    assert rules.window_approval_reason(second, [first], **LIMITS) == ""  # 8 hours: at the limit, not above
    third = span(t(12), 1, P1)
    assert rules.window_approval_reason(third, [first, second], **LIMITS) == (
        "2024-06-01 同一测点累计 9 小时，超过每日 8 小时")
    assert rules.window_approval_reason(span(t(12), 1, P2), [first, second], **LIMITS) == ""  # another point
    # a window of every point covers P1 too, and an earlier window of every point covers the new one's point
    assert rules.window_approval_reason(span(t(12), 1), [first, second], **LIMITS) != ""
    assert rules.window_approval_reason(span(t(12), 1, P2), [span(t(0), 4), span(t(6), 4)], **LIMITS) != ""


def test_overlapping_windows_count_once_on_a_point():
    first = span(t(8), 4, P1)
    assert rules.window_busiest_day(span(t(8), 4, P1, P2), [first, span(t(9), 2, P1)]) == (t(8).date(), 4.0)
    assert rules.window_approval_reason(span(t(10), 4, P1), [first, span(t(13), 3, P1)], **LIMITS) == ""  # 8-16 h


def test_a_window_over_midnight_counts_on_each_beijing_day():
    evening = span(t(20), 3, P1)  # 20:00-23:00 on the 1st
    night = span(t(22), 4, P1)  # 22:00 on the 1st to 02:00 on the 2nd
    assert rules.day_slices(night.start, night.end) == {
        t(0).date(): (t(22), t(0, day=2)), t(0, day=2).date(): (t(0, day=2), t(2, day=2))}
    assert rules.window_busiest_day(night, [evening]) == (t(0).date(), 4.0)  # 20:00-24:00 united
    assert rules.window_approval_reason(span(t(2, day=2), 4, P1), [night, span(t(8, day=2), 3, P1)],
                                        **LIMITS) == "2024-06-02 同一测点累计 9 小时，超过每日 8 小时"


@given(st.lists(st.tuples(st.integers(0, 47), st.integers(1, 8), st.sampled_from([(), (P1,), (P2,), (P1, P2)])),
                max_size=6),
       st.integers(0, 47), st.integers(1, 8), st.sampled_from([(), (P1,), (P2,)]))
def test_united_hours_never_exceed_the_day_nor_the_sum(others, start, length, points):
    """Half-hour steps over two days: a point's hours on a day are at most 24 and at most the sum."""
    base = t(0)
    new = WindowSpan(base + timedelta(minutes=30 * start), base + timedelta(minutes=30 * (start + length)), points)
    spans = [WindowSpan(base + timedelta(minutes=30 * s), base + timedelta(minutes=30 * (s + n)), p)
             for s, n, p in others]
    busiest = rules.window_busiest_day(new, spans)
    assert busiest is not None
    day, hours = busiest
    assert 0 < hours <= 24
    total = sum((hi - lo).total_seconds() / 3600 for w in [new, *spans]
                for d, (lo, hi) in rules.day_slices(w.start, w.end).items() if d == day)
    assert hours <= total + 1e-9


def test_late_data_is_marked_with_its_delay():
    assert rules.late_text(timedelta(hours=1, minutes=5, seconds=20)) == "迟到 1 小时 5 分"
    assert rules.late_text(timedelta(minutes=7, seconds=30)) == "迟到 7 分"
    assert rules.late_text(timedelta(seconds=45)) == "迟到 45 秒"
    assert rules.late_text(None) == "迟到数据"


def test_a_feed_failure_concerns_the_switches_still_on_then_the_other_linked_ones():
    relations = "D-141129000101KG100900100021◇D-141129000101KG101100100022◇K-141129000101KG100100100030"
    assert rules.power_off_switches({"switches_on": ["141129000101KG101100100022"]}, relations) == [
        "141129000101KG101100100022", "141129000101KG100900100021"]
    assert rules.power_off_switches({}, "") == []
    assert rules.threshold_label("feed_failure") == "断电值" and rules.threshold_label("over_limit") == "报警值"


def test_a_calibrations_length_is_the_alarms_span():
    evidence = {"minutes": 31.2, "nth_today": 1, "max_minutes": 30, "per_day": 2}
    assert dict(rules.evidence_lines("calibration_abuse", evidence))["标校时长"] == "31.2 分钟（上限 30 分钟）"
    assert dict(rules.evidence_lines("calibration_abuse", evidence, span_s=50 * 60))["标校时长"] == (
        "50 分钟（上限 30 分钟）")


def test_a_silence_shows_the_backlog_that_ended_it():
    lines = dict(rules.evidence_lines("mine_silent", {"types": ["CDSS"], "backlog_files": 64,
                                                "backlog_from": "2024-06-01 08:10:05",
                                                "backlog_to": "2024-06-01 08:29:39"}))
    assert lines["断线后补传的文件"] == "64 份（文件时间 2024-06-01 08:10:05 至 2024-06-01 08:29:39）"
    assert "backlog_files" not in lines
