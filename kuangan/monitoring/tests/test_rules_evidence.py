"""An alarm's and a lead's evidence in words, kind by kind, as the alarm and lead pages show it (the keys are
those engine.rules.<kind> writes); a missing value reads —, a key the page does not know is shown as it is.
Also the small rules of the monitoring pages at their edges: a point code too short for a sensor type, a
day with nothing expected yet, values that are not plain numbers, an empty planned window, a mine without an
approved capacity."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from kuangan.core.clock import SHANGHAI
from kuangan.monitoring import rules

pytestmark = pytest.mark.nodb

CARD, CARD_2, LEADER = "1411290001000101", "1411290001000102", "1411290001000900"
AREA, STATION = "14112900010011", "141129000100110001"
NAMES = {CARD: "张伟", LEADER: "王矿长", AREA: "1101综采工作面"}
T = "2024-06-03 09:00:00"


def lines(kind: str, evidence: dict, **kw) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return rules.evidence_lines(kind, evidence, **kw)


# --- monitoring alarms ----------------------------------------------------------------------------------------


def test_an_over_limit_shows_only_the_thresholds_its_evidence_holds():
    assert lines("over_limit", {"threshold": 1.0}, unit="%") == [("报警值", "1.0%")]
    assert lines("over_limit", {"clear": 0.8}, unit="%") == [("解报值", "0.8%")]
    assert lines("over_limit", {}) == []


def test_an_out_of_range_value_shows_its_direction_and_the_range():
    assert lines("out_of_range", {"direction": "lower", "range_low": 0.0, "range_high": 4.0}, unit="%") == [
        ("方向", "低于下限"), ("量程", "0.0～4.0%")]
    assert lines("out_of_range", {"direction": "upper"}) == [("方向", "超上限"), ("量程", "—～—")]


def test_a_feed_failure_without_a_power_off_value_still_names_the_grace_and_the_switches():
    assert lines("feed_failure", {"grace_s": 60, "switches_on": ["141129000101KG100900000004"]}) == [
        ("允许的断电时间", "60 秒"), ("超过断电时间仍有电的开关量测点", "141129000101KG100900000004")]


def test_a_point_fault_names_where_the_status_came_from():
    assert lines("point_fault", {"source": "outstation", "status": ["0x01", "0x10"]}) == [
        ("来源", "分站状态（FZSS）"), ("状态码", "0x01、0x10")]
    assert lines("point_fault", {"source": "point", "status": []}) == [("来源", "测点状态（CDSS）"), ("状态码", "—")]


def test_a_stuck_value_shows_the_value_and_how_long_it_did_not_change():
    assert lines("stuck_value", {"value": 0.3, "hours": 6.0}, unit="%") == [
        ("恒定不变的数值", "0.3%"), ("判定时长", "6.0 小时以上不变")]


def test_a_calibration_shows_only_the_limits_it_broke():
    assert lines("calibration_abuse", {"nth_today": 4, "per_day": 3}) == [("当日标校次数", "第 4 次（每日上限 3 次）")]
    assert lines("calibration_abuse", {"minutes": 41, "max_minutes": 40}) == [("标校时长", "41 分钟（上限 40 分钟）")]


def test_an_unreported_event_says_whether_the_mine_reported_it():
    assert lines("unreported_event", {"grace_s": 600, "reported": False}) == [
        ("矿方上报", "未收到"), ("等待上报的时间", "600 秒")]
    assert lines("unreported_event", {"reported": True}) == [("矿方上报", "已收到"), ("等待上报的时间", "—")]


def test_a_kind_the_page_does_not_know_shows_its_evidence_as_written():
    assert lines("new_kind", {"level": 3, "points": ["P1", "P2"], "note": None}) == [
        ("level", "3"), ("points", "P1、P2"), ("note", "—")]
    assert lines("stuck_value", {"value": 0.3, "hours": 6, "source": "CDSS"})[-1] == ("source", "CDSS")


# --- personnel alarms -----------------------------------------------------------------------------------------


def test_an_overcrowded_mine_names_the_first_people_and_how_many_more():
    evidence = {"t": T, "people": 21, "limit": 20, "capacity": 90.0, "disaster_severe": False,
                "limit_source": "capacity", "cards": [CARD, CARD_2], "cards_total": 21}
    assert lines("mine_overcrowded", evidence, names=NAMES) == [
        ("快照时间", T), ("井下人数", "21 人"), ("矿井单班限员", "20 人（核定生产能力 90 万吨/年，非灾害严重矿井）"),
        ("在场人员", f"张伟（{CARD}）、{CARD_2}等 21 人")]


def test_a_face_over_the_areas_headcount_only_has_no_share_over_the_face_limit():
    evidence = {"t": T, "area": AREA, "declared_as": None, "people": 26, "non_leaders": 25, "leaders": 1,
                "shift": "production", "face_limit": None, "headcount": 25, "over": ["headcount"],
                "over_share": None, "major": False, "item": None}
    assert lines("face_overcrowded", evidence, names=NAMES) == [
        ("快照时间", T), ("区域", f"1101综采工作面（{AREA}）"), ("区域内人数", "26 人（不含矿领导 25 人，矿领导 1 人）"),
        ("班次", "生产班"), ("工作面限员", "未对应已确认的工作面"), ("区域核定人数（定位系统）", "25 人"),
        ("超员情况", "超过区域核定人数"), ("是否重大事故隐患", "否")]


def test_an_overcrowded_shift_change_shows_the_shifts_the_limits_and_who_is_still_down():
    evidence = {"t": T, "previous_shift": "2024-06-03 00:00:00", "next_shift": "2024-06-03 08:00:00",
                "change_start": "2024-06-03 07:40:00", "duration_s": 3000.0, "outside_faces": 130, "people": 150,
                "total_limit": 120, "max_duration_s": 3600, "over_total": True, "too_long": False,
                "previous_shift_cards": [CARD], "previous_shift_people": 3}
    assert lines("shift_change_overcrowded", evidence, names=NAMES) == [
        ("快照时间", T), ("交班", "00:00 班 → 08:00 班"), ("交接开始（接班首人下井）", "2024-06-03 07:40:00"),
        ("交接已持续", "50 分（上限 1 小时）"), ("采掘工作面以外人数", "130 人（上限 120 人）"), ("井下总人数", "150 人"),
        ("超员或超时", "人数超过上限"), ("仍在井下的上一班人员", f"张伟（{CARD}）等 3 人")]
    both = {**evidence, "too_long": True}
    assert dict(lines("shift_change_overcrowded", both))["超员或超时"] == "人数超过上限、交接时间超过上限"
    neither = {**evidence, "over_total": False}
    assert dict(lines("shift_change_overcrowded", neither))["超员或超时"] == "—"


def test_a_shift_without_a_leader_shows_the_roster_and_the_cards_flagged_off_it():
    evidence = {"t": T, "shift_start": "2024-06-03 08:00:00", "shift_end": "2024-06-03 16:00:00", "people": 35,
                "grace_s": 7200, "covered_since": "2024-06-03 07:00:00", "roster": [LEADER, CARD_2],
                "roster_total": 2, "flagged_off_roster": []}
    assert lines("no_leader_on_shift", evidence, names=NAMES) == [
        ("快照时间", T), ("班次", "2024-06-03 08:00:00 ～ 2024-06-03 16:00:00"), ("井下人数", "35 人"),
        ("判定时限", "班次开始后 2 小时 仍无矿领导下井"), ("连续有定位数据自", "2024-06-03 07:00:00"),
        ("带班领导名单（人员卡）", f"王矿长（{LEADER}）、{CARD_2}"), ("矿方自报为领导但不在名单的人员卡", "无")]
    flagged = {**evidence, "flagged_off_roster": [CARD]}
    assert dict(lines("no_leader_on_shift", flagged, names=NAMES))["矿方自报为领导但不在名单的人员卡"] == f"张伟（{CARD}）"


def test_overtime_underground_names_the_worker_from_the_evidence_and_the_hours():
    evidence = {"t": T, "card": CARD_2, "name": "李四", "time_down": "2024-06-02 21:00:00",
                "shift_start": "2024-06-02 16:00:00", "hours_underground": 12.5, "allowed_hours": 10,
                "shift_hours": 8, "hours_over": 2.5, "area": AREA, "station": STATION}
    assert lines("overtime_underground", evidence, names=NAMES) == [
        ("人员", f"李四（{CARD_2}）"), ("快照时间", T), ("下井时间", "2024-06-02 21:00:00"),
        ("所属班次开始", "2024-06-02 16:00:00"), ("井下时长", "12.5 小时"), ("允许时长", "10 小时（班次 8 小时 另加 2 小时）"),
        ("超出班次时长", "2.5 小时"), ("所在区域", f"1101综采工作面（{AREA}）"), ("所在基站", STATION)]


def test_a_restricted_area_entry_gives_each_reason_the_area_is_restricted():
    evidence = {"t": T, "card": CARD, "name": None, "area": "14112900010099", "area_type": "限制区域",
                "restricted_area": True, "fences": ["老空区围栏"], "area_entered": "2024-06-03 08:50:00",
                "station": STATION, "station_reached": "2024-06-03 08:51:00"}
    assert lines("restricted_area_entry", evidence, names=NAMES) == [
        ("人员", f"张伟（{CARD}）"), ("快照时间", T), ("所在区域", "14112900010099"), ("区域类型（定位系统）", "限制区域"),
        ("限制依据", "矿方定义的限制区域；电子围栏：老空区围栏"), ("进入区域时间", "2024-06-03 08:50:00"),
        ("所在基站", STATION), ("进入基站时间", "2024-06-03 08:51:00")]
    fenced_only = {**evidence, "restricted_area": False, "area_type": None}
    shown = dict(lines("restricted_area_entry", fenced_only))
    assert (shown["限制依据"], shown["区域类型（定位系统）"]) == ("电子围栏：老空区围栏", "—")


def test_activity_in_a_suspended_mine_shows_its_status_and_the_people_in_the_area():
    evidence = {"t": T, "area": AREA, "status": "suspended_for_rectification", "status_since": "2024-06-01",
                "people": 5, "limit": 3, "cards": [CARD, CARD_2], "cards_total": 2}
    assert lines("suspended_mine_activity", evidence, names=NAMES) == [
        ("快照时间", T), ("区域", f"1101综采工作面（{AREA}）"), ("矿山状态", "停产整顿（自 2024-06-01）"),
        ("区域内人数", "5 人（停产停建矿井单区域不得超过 3 人）"), ("在场人员", f"张伟（{CARD}）、{CARD_2}")]
    unknown = {**evidence, "status": None, "status_since": None}
    assert dict(lines("suspended_mine_activity", unknown))["矿山状态"] == "—（自 —）"
    odd = {**evidence, "status": "merged"}
    assert dict(lines("suspended_mine_activity", odd))["矿山状态"] == "merged（自 2024-06-01）"


def test_an_uncertified_special_operator_shows_why_and_the_certificates_on_record():
    evidence = {"t": T, "card": CARD_2, "name": "王五", "date": "2024-06-03", "problem": "expired",
                "certificates": ["电工作业 2018-06-01～2024-05-31"], "area": AREA, "station": STATION}
    assert lines("uncertified_special_operator", evidence, names=NAMES) == [
        ("人员", f"王五（{CARD_2}）"), ("快照时间", T), ("日期", "2024-06-03"), ("原因", "操作证已过期"),
        ("登记的操作证（有效期）", "电工作业 2018-06-01～2024-05-31"), ("所在区域", f"1101综采工作面（{AREA}）"),
        ("所在基站", STATION)]
    none = {**evidence, "problem": "none", "certificates": []}
    shown = dict(lines("uncertified_special_operator", none))
    assert (shown["原因"], shown["登记的操作证（有效期）"]) == ("未登记操作证", "无")


def test_an_sos_without_a_snapshot_time_shows_no_such_line():
    assert lines("sos", {"card": CARD, "flag": 1}, names=NAMES) == [
        ("人员", f"张伟（{CARD}）"), ("出入井标志", "井下"), ("下井时间", "—"), ("所在区域", "—"), ("进入区域时间", "—"),
        ("所在基站", "—"), ("进入基站时间", "—"), ("距基站距离", "—")]


def test_a_personnel_kind_without_words_of_its_own_still_shows_the_time_and_the_people_present():
    evidence = {"t": T, "cards": [CARD], "cards_total": 1, "level": 2}
    assert rules.personnel_lines("new_personnel_kind", evidence, NAMES) == [
        ("快照时间", T), ("在场人员", f"张伟（{CARD}）")]
    assert evidence == {"level": 2}  # what it showed is taken out; the rest is for the caller to show as written


# --- leads ----------------------------------------------------------------------------------------------------

HIDDEN = {"area": AREA, "area_type": "其它区域", "judged_day": "2024-06-07", "people_needed": 5, "hours_needed": 4,
          "days_needed": 3, "window_days": 7,
          "qualifying_days": [{"day": "2024-06-05", "people": 6, "first": "08:10", "last": "15:40", "who": []}]}


def test_a_hidden_working_face_on_a_stopped_face_says_what_it_was_declared_as():
    lead = rules.lead_evidence("hidden_working_face", {**HIDDEN, "declared": "face_stopped", "declared_as": "face",
                                                       "face_status": "stopped"}, NAMES)
    assert dict(lead.lines)["申报情况"] == "申报为采掘工作面，但对应工作面状态为“停采（停掘）”"
    assert lead.chart is not None and lead.chart["days"][0] == "2024-06-01" and lead.chart["days"][-1] == "2024-06-07"
    assert lead.chart["values"][4] == 6


def test_a_hidden_working_face_whose_judged_day_cannot_be_read_has_no_chart():
    lead = rules.lead_evidence("hidden_working_face", {**HIDDEN, "declared": "undeclared", "declared_as": None,
                                                       "face_status": None, "judged_day": "2024-06-07 00:00:00",
                                                       "source": "replay"}, NAMES)
    assert lead.chart is None
    assert dict(lead.lines)["判定日期"] == "2024-06-07 00:00:00"
    assert lead.lines[-1] == ("source", "replay")  # a key the page does not know, as written


def test_a_hidden_working_face_without_a_judged_day_or_window_has_no_chart():
    for missing in ({"judged_day": None}, {"window_days": None}, {"window_days": 0}):
        lead = rules.lead_evidence("hidden_working_face", {**HIDDEN, "declared": "undeclared", "declared_as": None,
                                                           **missing}, NAMES)
        assert lead.chart is None, missing
        assert dict(lead.lines)["达标天数"] == "1 天"
    assert dict(rules.lead_evidence("hidden_working_face", {**HIDDEN, "judged_day": None}, NAMES).lines)[
        "判定日期"] == "—"


def test_over_capacity_with_a_unit_read_as_tonnes_warns_the_reader():
    evidence = {"at": "2024-06-20 12:00:00", "capacity": 120.0, "month": "2024-06", "month_tonnes": 120001.0,
                "month_share_pct": 10.0, "limit_month_share_pct": 10.0, "month_over": True, "year": 2024,
                "year_tonnes": 120001.0, "year_share_pct": 10.0, "limit_year_share_pct": 110.0, "year_over": False,
                "counters": [{"point_code": "141129000101LJ300100000007", "unit": "车", "unit_known": False}],
                "units_assumed": True}
    lead = rules.lead_evidence("over_capacity", evidence, NAMES)
    assert lead.note == "部分测点的单位无法识别，已按吨计算；两台串联的皮带秤会重复计量，请核对测点。"
    assert lead.tables[0].rows == [["141129000101LJ300100000007", "车", "否，按吨计"]]
    assert rules.lead_evidence("over_capacity", {**evidence, "units_assumed": False}, NAMES).note == ""


def test_a_mine_without_an_approved_capacity_has_no_over_capacity_month():
    returns = [(date(2024, 6, 1), Decimal("500000"))]
    assert rules.capacity_flags(returns, Decimal("0"), month_share=0.1, year_share=1.1) == []
    assert len(rules.capacity_flags(returns, Decimal("120"), month_share=0.1, year_share=1.1)) == 1


# --- the small rules ----------------------------------------------------------------------------------------


def test_a_point_code_too_short_for_a_sensor_type_is_methane_only_by_its_definition():
    assert rules.sensor_type_of("1411290001") == ""
    assert not rules.is_gas_over_limit("over_limit", "1411290001")
    assert rules.is_gas_over_limit("over_limit", "1411290001", sensor_type="0001")


def test_a_day_with_no_file_expected_yet_has_no_online_rate():
    midnight = datetime(2024, 6, 3, 0, 0, 10, tzinfo=SHANGHAI)
    today = rules.online_days({}, midnight)[-1]
    assert (today.day, today.expected, today.rate, today.percent, today.low) == (date(2024, 6, 3), 0, None, "—", False)


def test_values_that_are_not_plain_numbers_are_shown_as_written():
    assert rules.number(Decimal("0.80")) == "0.80"
    assert rules.number("≥1.5") == "≥1.5"
    assert rules.number(True) == "True"  # a flag is not the number 1


def test_an_empty_planned_window_touches_no_day_and_needs_no_approval():
    start = datetime(2024, 6, 3, 9, 30, tzinfo=SHANGHAI)
    assert rules.day_slices(start, start) == {}
    assert rules.day_slices(start, start - timedelta(hours=1)) == {}
    empty = rules.WindowSpan(start, start, ("141129000101MN000100100005",))
    assert rules.window_busiest_day(empty, []) is None
    assert rules.window_approval_reason(empty, [], max_hours=4, daily_hours=8) == ""
