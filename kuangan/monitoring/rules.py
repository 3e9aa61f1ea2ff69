"""Pure rules of the monitoring pages: a point's configuration findings (RULES.md §3.1), the online
rate, durations, and an alarm's evidence in words. No ORM, no clock, no settings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from kuangan.core.clock import SHANGHAI

from . import constants as c
from .choices import AlarmKind

D_RELATION = re.compile(r"(?:^|◇)\s*D-[0-9A-Za-z]+")
D_CODE = re.compile(r"D-([0-9A-Za-z]+)")  # the switch point a D relation names (as the engine reads it)

# Sensor types (FORMATS.md §1), the common ones; a page shows an unknown code as it is. Marked for
# translation here, translated where they are shown (sensor_name).
SENSOR_NAMES = {
    "0001": gettext_noop("甲烷"), "0002": gettext_noop("风速"), "0003": gettext_noop("温度"), "0004": gettext_noop("一氧化碳"), "0005": gettext_noop("风压"),
    "0006": gettext_noop("负压"), "0007": gettext_noop("水池水位"), "0008": gettext_noop("煤位"), "0009": gettext_noop("硫化氢"), "0010": gettext_noop("水温"),
    "0011": gettext_noop("高低浓甲烷"), "0012": gettext_noop("氧气"), "0013": gettext_noop("二氧化碳"), "0014": gettext_noop("粉尘"), "0015": gettext_noop("电压"),
    "0016": gettext_noop("频率"), "0017": gettext_noop("电流"), "0018": gettext_noop("湿度"), "0019": gettext_noop("风量"), "0020": gettext_noop("顶板离层"),
    "0022": gettext_noop("管道甲烷"), "0023": gettext_noop("管道温度"), "0025": gettext_noop("管道压力"), "0036": gettext_noop("混合流量"), "0037": gettext_noop("纯流量"),
    "0038": gettext_noop("管道一氧化碳"), "0043": gettext_noop("激光甲烷"), "1001": gettext_noop("局部通风机"), "1002": gettext_noop("风门"), "1003": gettext_noop("风筒"),
    "1004": gettext_noop("设备开停"), "1005": gettext_noop("开关"), "1006": gettext_noop("风向"), "1007": gettext_noop("煤仓空满"), "1008": gettext_noop("烟雾"),
    "1009": gettext_noop("断电器"), "1010": gettext_noop("主要通风机"), "1011": gettext_noop("馈电状态"), "1012": gettext_noop("声光报警器"), "1013": gettext_noop("计量控制器"),
    "1014": gettext_noop("控制量"), "1015": gettext_noop("馈电"), "3001": gettext_noop("产量"), "3002": gettext_noop("抽采量"), "3003": gettext_noop("排水量"),
    "3004": gettext_noop("提升次数"), "3005": gettext_noop("涌水量"), "4001": gettext_noop("分站"), "4002": gettext_noop("电源"), "3006": gettext_noop("分站"),
    "3007": gettext_noop("电源"),
}

FILE_TYPES = {
    "CDDY": gettext_noop("测点定义"), "FZDY": gettext_noop("分站定义"), "CDSS": gettext_noop("实时数据"), "FZSS": gettext_noop("分站状态"), "TJSJ": gettext_noop("统计数据"),
    "YCBJ": gettext_noop("异常报警"),
}


TIME = "%Y-%m-%d %H:%M:%S"


def beijing(t: datetime | None) -> str:
    """2024-06-01 08:00:30 in Beijing time ("" for None)."""
    return t.astimezone(SHANGHAI).strftime(TIME) if t is not None else ""


def day_start(day: date) -> datetime:
    """Beijing midnight at the start of `day`."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


# --- gas over-limit -------------------------------------------------------------------------------

GAS_KINDS = (AlarmKind.OVER_LIMIT, AlarmKind.FEED_FAILURE, AlarmKind.UNREPORTED_EVENT)


def shift_minutes(text: str) -> int | None:
    """"HH:MM" as minutes after midnight (None: not a time of day)."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    value = int(hours) * 60 + int(minutes)
    return value if int(hours) < 24 and int(minutes) < 60 else None


def sensor_type_of(point_code: str) -> str:
    """FORMATS.md §1: a point code ends with the sensor type (4 digits) and the system's own id (8)."""
    return point_code[-12:-8] if len(point_code) >= 12 else ""


def is_gas_over_limit(kind: str, point_code: str, sensor_type: str | None = None) -> bool:
    """R4.2: a methane over-limit (or the graver feed failure, or its concealment) needs the
    两停一撤六查 record. The point's defined sensor type wins over the one read from its code."""
    return kind in GAS_KINDS and (sensor_type or sensor_type_of(point_code)) == c.METHANE


def sensor_name(sensor_type: str) -> str:
    name = SENSOR_NAMES.get(sensor_type)
    return _(name) if name else sensor_type


# --- configuration findings -----------------------------------------------------------------------


@dataclass(frozen=True)
class PointFacts:
    code: str
    sensor_type: str
    location: str
    upper_alarm: float | None
    upper_power_off: float | None
    relations: str


@dataclass(frozen=True)
class ConfigFinding:
    code: str
    message: str
    source: str


def has_power_off_relation(relations: str) -> bool:
    """CDDY field 22 names the switch points the point cuts as `D-<code>` groups separated by ◇."""
    return bool(D_RELATION.search(relations or ""))


def is_working_face(location: str) -> bool:
    return any(word in (location or "") for word in c.WORKING_FACE_WORDS)


def point_findings(p: PointFacts) -> list[ConfigFinding]:
    """What is wrong with a point's definition, as the mine's own CDDY file states it."""
    out: list[ConfigFinding] = []
    if p.sensor_type != c.METHANE:
        return out
    if is_working_face(p.location) and p.upper_alarm is not None and p.upper_alarm > c.WORKING_FACE_CH4_ALARM_MAX:
        out.append(ConfigFinding(
            p.code,
            _("工作面甲烷传感器（%(where)s）的上限报警值为 %(value)s%%，高于规定的 %(limit)s%%。") % {
                "where": p.location, "value": number(p.upper_alarm), "limit": number(c.WORKING_FACE_CH4_ALARM_MAX)},
            "RULES.md §3.1"))
    if p.upper_power_off is not None and not has_power_off_relation(p.relations):
        out.append(ConfigFinding(
            p.code,
            _("甲烷传感器（%(where)s）设置了断电值 %(value)s%%，但未定义断电关联关系（D），无法核查断电与馈电。") % {
                "where": p.location or p.code, "value": number(p.upper_power_off)},
            "RULES.md §3.1; FORMATS.md §1 (CDDY field 22)"))
    return out


def configuration_findings(points: Iterable[PointFacts]) -> list[ConfigFinding]:
    return [f for p in points for f in point_findings(p)]


# --- online rate ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineDay:
    day: date
    received: int
    expected: int

    @property
    def rate(self) -> float | None:
        """Received over expected, at most 100 %; None when nothing was expected yet."""
        if self.expected <= 0:
            return None
        return min(1.0, self.received / self.expected)

    @property
    def percent(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{rate * 100:.1f}%"

    @property
    def low(self) -> bool:
        """Below 90 % of the files expected (a mark on the page, not a rule of the regulations)."""
        rate = self.rate
        return rate is not None and rate < 0.9


def expected_files(day: date, now: datetime) -> int:
    """CDSS files expected on `day` up to `now` (a whole day for past days, none for future ones)."""
    start = day_start(day)
    end = min(start + timedelta(days=1), now)
    seconds = max(0.0, (end - start).total_seconds())
    return int(seconds // c.CDSS_PERIOD_S)


def online_days(received: dict[date, int], now: datetime, days: int = c.ONLINE_RATE_DAYS) -> list[OnlineDay]:
    """The last `days` Beijing days up to today, oldest first."""
    today = now.astimezone(SHANGHAI).date()
    return [OnlineDay(d, received.get(d, 0), expected_files(d, now))
            for d in (today - timedelta(days=n) for n in range(days - 1, -1, -1))]


# --- words ----------------------------------------------------------------------------------------


def number(value: Any) -> str:
    """A threshold or a value as people write it: 1 → "1", 1.0 → "1.0", 1.25 → "1.25", 24.0 → "24"."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value)) if abs(value) >= 10 else f"{value:.1f}"
    return f"{value:.3f}".rstrip("0").rstrip(".")


def duration(seconds: float) -> str:
    """2 天 3 小时 5 分 30 秒; the largest units only."""
    s = max(0, int(seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    parts = []
    if d:
        parts.append(_("%(n)d 天") % {"n": d})
    if h:
        parts.append(_("%(n)d 小时") % {"n": h})
    if m and not d:
        parts.append(_("%(n)d 分") % {"n": m})
    if not d and not h and (s or not parts):
        parts.append(_("%(n)d 秒") % {"n": s})
    return " ".join(parts)


def _seconds(value: Any) -> str:
    return _("%(n)s 秒") % {"n": number(value)} if value is not None else "—"


def _codes(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "—"
    return str(value) if value not in (None, "") else "—"


def evidence_lines(kind: str, evidence: dict[str, Any], unit: str = "", span_s: float | None = None,
                   names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """An alarm's evidence as (label, text) pairs in Chinese; keys the page does not know are shown as they are.
    `span_s`: the alarm's span (end - start, or now - start while active); a calibration's length is
    that span, not the minutes the engine saw when it raised the alarm (the calibration went on)."""
    e = dict(evidence or {})
    u = unit or ""
    lines: list[tuple[str, str]] = []

    def take(key: str) -> Any:
        return e.pop(key, None)

    if kind in ("over_limit", "out_of_range"):
        direction = take("direction")
        if direction is not None:
            lines.append((_("方向"), _("超上限") if direction == "upper" else _("低于下限")))
    if kind == "over_limit":
        threshold, clear = take("threshold"), take("clear")
        if threshold is not None:
            lines.append((_("报警值"), f"{number(threshold)}{u}"))
        if clear is not None:
            lines.append((_("解报值"), f"{number(clear)}{u}"))
    elif kind == "out_of_range":
        low, high = take("range_low"), take("range_high")
        lines.append((_("量程"), f"{number(low)}～{number(high)}{u}"))
    elif kind == "feed_failure":
        power_off, grace, switches = take("power_off"), take("grace_s"), take("switches_on")
        if power_off is not None:
            lines.append((_("断电值"), f"{number(power_off)}{u}"))
        lines.append((_("允许的断电时间"), _seconds(grace)))
        lines.append((_("超过断电时间仍有电的开关量测点"), _codes(switches)))
    elif kind == "mine_silent":
        types = take("types") or []
        lines.append((_("未按时上传的文件"), "、".join(f"{t}（{_(FILE_TYPES[t])}）" if t in FILE_TYPES else t for t in types) or "—"))
        files, first, last = take("backlog_files"), take("backlog_from"), take("backlog_to")
        if files:  # the backlog that ended the silence: the regulator had none of it in time
            lines.append((_("断线后补传的文件"), _("%(n)d 份（文件时间 %(first)s 至 %(last)s）") % {
                "n": files, "first": first, "last": last}))
    elif kind == "point_fault":
        source, status = take("source"), take("status")
        lines.append((_("来源"), _("分站状态（FZSS）") if source == "outstation" else _("测点状态（CDSS）")))
        lines.append((_("状态码"), _codes(status)))
    elif kind == "stuck_value":
        value, hours = take("value"), take("hours")
        lines.append((_("恒定不变的数值"), f"{number(value)}{u}"))
        lines.append((_("判定时长"), _("%(n)s 小时以上不变") % {"n": number(hours)}))
    elif kind == "calibration_abuse":
        minutes, nth, max_minutes, per_day = take("minutes"), take("nth_today"), take("max_minutes"), take("per_day")
        if span_s is not None:
            minutes = round(max(0.0, span_s) / 60, 1)
        if minutes is not None:
            lines.append((_("标校时长"), _("%(n)s 分钟（上限 %(max)s 分钟）") % {
                "n": number(minutes), "max": number(max_minutes)}))
        if nth is not None:
            lines.append((_("当日标校次数"), _("第 %(n)s 次（每日上限 %(max)s 次）") % {
                "n": number(nth), "max": number(per_day)}))
    elif kind == "unreported_event":
        grace, reported = take("grace_s"), take("reported")
        lines.append((_("矿方上报"), _("未收到") if not reported else _("已收到")))
        lines.append((_("等待上报的时间"), _seconds(grace)))
    elif kind in PERSONNEL_KINDS:  # `names`: card → the worker's name, area → the area's name
        lines += personnel_lines(kind, e, names or {})
    for key, value in e.items():
        lines.append((str(key), _codes(value)))
    return lines


def threshold_of(kind: str, evidence: dict[str, Any]) -> float | None:
    """The line drawn on the point's chart: the alarm threshold, or the power-off value."""
    value = (evidence or {}).get("threshold" if kind == "over_limit" else "power_off")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def threshold_label(kind: str) -> str:
    """What that line is: a feed failure is judged against the power-off value (断电值), an over-limit
    against the alarm value."""
    return _("断电值") if kind == "feed_failure" else _("报警值")


def power_off_switches(evidence: dict[str, Any], relations: str) -> list[str]:
    """The switch points a feed failure concerns: those the evidence found still on, then the others
    the point's D relations name (CDDY field 22, `D-<code>` groups separated by ◇); each once."""
    found = (evidence or {}).get("switches_on") or []
    codes = [str(c) for c in found] if isinstance(found, list | tuple) else []
    codes += D_CODE.findall(relations or "")
    return list(dict.fromkeys(c for c in codes if c))


def late_text(delay: timedelta | None) -> str:
    """迟到 1 小时 5 分: how long after the event its data reached the platform."""
    if delay is None:
        return _("迟到数据")
    seconds = delay.total_seconds()
    # whole minutes once it is a minute or more: a mark, not a measurement (and it fits the list's cell)
    return _("迟到 %(d)s") % {"d": duration(seconds if seconds < 60 else seconds // 60 * 60)}


# --- planned windows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowSpan:
    """A planned window as the limits see it: its instants and its points (empty: every point)."""

    start: datetime
    end: datetime
    points: tuple[str, ...] = ()


def hours_text(hours: float) -> str:
    """5, 4.5: hours as a limit is written (one decimal at most)."""
    rounded = round(float(hours), 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.1f}"


ALL_POINTS = ""  # stands for "a point no window names": only windows of every point cover it


def day_slices(start: datetime, end: datetime) -> dict[date, tuple[datetime, datetime]]:
    """The part of [start, end) on each Beijing calendar day it touches."""
    out: dict[date, tuple[datetime, datetime]] = {}
    day = start.astimezone(SHANGHAI).date()
    while day_start(day) < end:
        lo, hi = max(start, day_start(day)), min(end, day_start(day + timedelta(days=1)))
        if hi > lo:
            out[day] = (lo, hi)
        day += timedelta(days=1)
    return out


def _covered_hours(spans: list[tuple[datetime, datetime]]) -> float:
    """Hours covered by the union of the spans (overlapping windows count once)."""
    total, reach = 0.0, None
    for lo, hi in sorted(spans):
        if reach is not None and lo < reach:
            lo = reach
        if hi > lo:
            total += (hi - lo).total_seconds()
            reach = hi
    return total / 3600


def window_busiest_day(new: WindowSpan, others: Iterable[WindowSpan]) -> tuple[date, float] | None:
    """The Beijing day the new window touches on which one of its points would be in planned windows
    (the new one and the others, approved or pending) the most hours, and those hours. Per point and
    day the windows are united, not summed: two overlapping windows on a point count once."""
    others = list(others)
    if new.points:
        points = set(new.points)
    else:  # every point of the mine: each point some window names, and any point none names
        points = {p for w in others for p in w.points} | {ALL_POINTS}
    busiest: tuple[date, float] | None = None
    for day, (lo, hi) in day_slices(new.start, new.end).items():
        for point in points:
            spans = [(lo, hi)]
            for w in others:
                if not w.points or point in w.points:
                    part = day_slices(w.start, w.end).get(day)
                    if part is not None:
                        spans.append(part)
            hours = _covered_hours(spans)
            if busiest is None or hours > busiest[1]:
                busiest = (day, hours)
    return busiest


def window_approval_reason(new: WindowSpan, others: Iterable[WindowSpan], *, max_hours: float,
                           daily_hours: float) -> str:
    """Why a window needs the county's approval ("" when it takes effect at once): longer than
    `max_hours`, or more than `daily_hours` of windows on one of its points on one Beijing day."""
    length = (new.end - new.start).total_seconds() / 3600
    if length > max_hours:
        return _("单次时长 %(h)s 小时，超过 %(max)s 小时") % {"h": hours_text(length), "max": hours_text(max_hours)}
    busiest = window_busiest_day(new, others)
    if busiest is not None and busiest[1] > daily_hours + 1e-9:
        day, hours = busiest
        return _("%(day)s 同一测点累计 %(h)s 小时，超过每日 %(max)s 小时") % {
            "day": day.isoformat(), "h": hours_text(hours), "max": hours_text(daily_hours)}
    return ""


# --- personnel positioning and leads of illegal production: evidence in words --------------------------------

PERSONNEL_KINDS = frozenset({
    "mine_overcrowded", "face_overcrowded", "shift_change_overcrowded", "no_leader_on_shift", "overtime_underground",
    "sos", "restricted_area_entry", "suspended_mine_activity", "uncertified_special_operator"})
# What a lead's or a personnel alarm's peak counts (the unit shown after it)
PEAK_UNITS = {
    "hidden_working_face": gettext_noop("人"), "power_use_while_suspended": "%", "over_capacity": gettext_noop("吨"),
    "seal_activity_while_suspended": gettext_noop("次"), "mine_overcrowded": gettext_noop("人"),
    "face_overcrowded": gettext_noop("人"), "shift_change_overcrowded": gettext_noop("人"),
    "suspended_mine_activity": gettext_noop("人"), "no_leader_on_shift": gettext_noop("人"),
    "overtime_underground": gettext_noop("小时"),
}
PEAK_LABELS = {
    "hidden_working_face": gettext_noop("单日最多达标人数"), "power_use_while_suspended": gettext_noop("日用电量最高为基线的"),
    "over_capacity": gettext_noop("产量"), "seal_activity_while_suspended": gettext_noop("发现次数"),
    "overtime_underground": gettext_noop("超出班次时长"),
}
MINE_STATUS_WORDS = {
    "producing": gettext_noop("正常生产"), "building": gettext_noop("正常建设"),
    "suspended_for_rectification": gettext_noop("停产整顿"), "construction_stopped": gettext_noop("停建"),
    "long_term_stopped": gettext_noop("长期停产停建"), "closed": gettext_noop("关闭"),
}
AREA_USE_WORDS = {"face": gettext_noop("采掘工作面"), "roadway": gettext_noop("巷道"), "chamber": gettext_noop("硐室"),
                  "shaft_top": gettext_noop("井口"), "other": gettext_noop("其他")}
FACE_STATUS_WORDS = {"stopped": gettext_noop("停采（停掘）"), "sealed": gettext_noop("封闭")}
CERTIFICATE_PROBLEMS = {"none": gettext_noop("未登记操作证"), "expired": gettext_noop("操作证已过期"),
                        "not_yet_valid": gettext_noop("操作证尚未生效")}


def _word(table: Mapping[str, str], value: Any) -> str:
    """A code of the evidence as its Chinese word; an unknown one as written, none as —."""
    if value in (None, ""):
        return "—"
    word = table.get(str(value))
    return _(word) if word else str(value)


def named(code: Any, names: Mapping[str, str]) -> str:
    """A card or area code as people read it: the name with the code after it (张伟（141129000100001）); a code
    without a known name as it is."""
    if code in (None, ""):
        return "—"
    name = names.get(str(code))
    return f"{name}（{code}）" if name else str(code)


def named_list(codes: Any, names: Mapping[str, str], total: Any = None) -> str:
    """People named one after the other; "等 N 人" when the evidence lists only the first of more."""
    items = [named(c, names) for c in codes] if isinstance(codes, list | tuple) else []
    text = "、".join(items) or "—"
    if isinstance(total, int) and total > len(items):
        text += _("等 %(n)d 人") % {"n": total}
    return text


def people(n: Any) -> str:
    return _("%(n)s 人") % {"n": number(n)} if n is not None else "—"


def hours(h: Any) -> str:
    """5 小时, 5.25 小时."""
    return _("%(n)s 小时") % {"n": f"{round(float(h), 2):g}"} if isinstance(h, int | float) else "—"


def share(value: Any) -> str:
    """0.25 → 25%."""
    return f"{number(round(float(value) * 100, 1))}%" if isinstance(value, int | float) else "—"


def personnel_lines(kind: str, e: dict[str, Any], names: Mapping[str, str]) -> list[tuple[str, str]]:
    """A personnel alarm's evidence (engine.rules.<kind>), popping the keys it shows from `e`."""
    take = e.pop
    lines: list[tuple[str, str]] = []

    def add(label: str, text: str) -> None:
        lines.append((label, text))

    if kind in ("sos", "overtime_underground", "restricted_area_entry", "uncertified_special_operator"):
        card, name = take("card", None), take("name", None)
        add(_("人员"), named(card, {**names, **({str(card): name} if name and str(card) not in names else {})}))
    if "t" in e:
        add(_("快照时间"), str(take("t") or "—"))
    if kind == "mine_overcrowded":
        add(_("井下人数"), people(take("people", None)))
        limit, capacity, severe = take("limit", None), take("capacity", None), take("disaster_severe", None)
        take("limit_source", None)
        add(_("矿井单班限员"), _("%(limit)s（核定生产能力 %(cap)s 万吨/年，%(kind)s）") % {
            "limit": people(limit), "cap": number(capacity),
            "kind": _("灾害严重矿井") if severe else _("非灾害严重矿井")})
    elif kind == "face_overcrowded":
        add(_("区域"), named(take("area", None), names))
        take("declared_as", None)
        n, workers, leaders = take("people", None), take("non_leaders", None), take("leaders", None)
        add(_("区域内人数"), _("%(n)s（不含矿领导 %(w)s，矿领导 %(l)s）") % {
            "n": people(n), "w": people(workers), "l": people(leaders)})
        shift = take("shift", None)
        add(_("班次"), _("检修班") if shift == "maintenance" else _("生产班"))
        limit, headcount = take("face_limit", None), take("headcount", None)
        take("face_limit_source", None)
        take("headcount_source", None)
        add(_("工作面限员"), people(limit) if limit is not None else _("未对应已确认的工作面"))
        add(_("区域核定人数（定位系统）"), people(headcount) if headcount is not None else "—")
        over = take("over", None) or []
        words = {"face_limit": _("超过工作面限员"), "headcount": _("超过区域核定人数")}
        add(_("超员情况"), "、".join(words.get(o, str(o)) for o in over) or "—")
        over_share = take("over_share", None)
        if over_share is not None:
            add(_("超出比例"), share(over_share))
        major, item = take("major", None), take("item", None)
        add(_("是否重大事故隐患"), _("是：超过限员 20%% 以上（判定标准 %(item)s）") % {"item": item or "C01-06"}
            if major else _("否"))
    elif kind == "shift_change_overcrowded":
        add(_("交班"), _("%(prev)s 班 → %(next)s 班") % {"prev": str(take("previous_shift", None) or "—")[11:16],
                                                      "next": str(take("next_shift", None) or "—")[11:16]})
        add(_("交接开始（接班首人下井）"), str(take("change_start", None) or "—"))
        seconds, most = take("duration_s", None), take("max_duration_s", None)
        add(_("交接已持续"), _("%(d)s（上限 %(max)s）") % {
            "d": duration(seconds or 0), "max": duration(most or 0)})
        outside, total = take("outside_faces", None), take("total_limit", None)
        add(_("采掘工作面以外人数"), _("%(n)s（上限 %(max)s）") % {"n": people(outside), "max": people(total)})
        add(_("井下总人数"), people(take("people", None)))
        over_total, too_long = take("over_total", None), take("too_long", None)
        add(_("超员或超时"), "、".join([*([_("人数超过上限")] if over_total else []),
                                     *([_("交接时间超过上限")] if too_long else [])]) or "—")
        add(_("仍在井下的上一班人员"), named_list(take("previous_shift_cards", None), names,
                                         take("previous_shift_people", None)))
    elif kind == "no_leader_on_shift":
        start, end = take("shift_start", None), take("shift_end", None)
        add(_("班次"), f"{start or '—'} ～ {end or '—'}")
        add(_("井下人数"), people(take("people", None)))
        add(_("判定时限"), _("班次开始后 %(d)s 仍无矿领导下井") % {"d": duration(take("grace_s", None) or 0)})
        add(_("连续有定位数据自"), str(take("covered_since", None) or "—"))
        add(_("带班领导名单（人员卡）"), named_list(take("roster", None), names, take("roster_total", None)))
        flagged = take("flagged_off_roster", None) or []
        add(_("矿方自报为领导但不在名单的人员卡"), named_list(flagged, names) if flagged else _("无"))
    elif kind == "overtime_underground":
        add(_("下井时间"), str(take("time_down", None) or "—"))
        add(_("所属班次开始"), str(take("shift_start", None) or "—"))
        add(_("井下时长"), hours(take("hours_underground", None)))
        allowed, shift_hours = take("allowed_hours", None), take("shift_hours", None)
        add(_("允许时长"), _("%(a)s（班次 %(s)s 另加 2 小时）") % {"a": hours(allowed), "s": hours(shift_hours)})
        add(_("超出班次时长"), hours(take("hours_over", None)))
        add(_("所在区域"), named(take("area", None), names))
        add(_("所在基站"), str(take("station", None) or "—"))
    elif kind == "sos":
        flag = take("flag", None)
        add(_("出入井标志"), {0: _("井口"), 1: _("井下"), 2: _("已出井")}.get(flag, "—") if isinstance(flag, int) else "—")
        add(_("下井时间"), str(take("time_down", None) or "—"))
        add(_("所在区域"), named(take("area", None), names))
        add(_("进入区域时间"), str(take("area_entered", None) or "—"))
        add(_("所在基站"), str(take("station", None) or "—"))
        add(_("进入基站时间"), str(take("station_reached", None) or "—"))
        distance = take("distance", None)
        add(_("距基站距离"), _("%(m)s 米") % {"m": number(distance)} if distance is not None else "—")
    elif kind == "restricted_area_entry":
        add(_("所在区域"), named(take("area", None), names))
        area_type, restricted = take("area_type", None), take("restricted_area", None)
        add(_("区域类型（定位系统）"), str(area_type or "—"))
        fences = take("fences", None) or []
        reasons = [*([_("矿方定义的限制区域")] if restricted else []),
                   *([_("电子围栏：%(names)s") % {"names": "、".join(str(f) for f in fences)}] if fences else [])]
        add(_("限制依据"), "；".join(reasons) or "—")
        add(_("进入区域时间"), str(take("area_entered", None) or "—"))
        add(_("所在基站"), str(take("station", None) or "—"))
        add(_("进入基站时间"), str(take("station_reached", None) or "—"))
    elif kind == "suspended_mine_activity":
        add(_("区域"), named(take("area", None), names))
        add(_("矿山状态"), _("%(status)s（自 %(since)s）") % {
            "status": _word(MINE_STATUS_WORDS, take("status", None)), "since": str(take("status_since", None) or "—")})
        add(_("区域内人数"), _("%(n)s（停产停建矿井单区域不得超过 %(max)s）") % {
            "n": people(take("people", None)), "max": people(take("limit", None))})
    elif kind == "uncertified_special_operator":
        add(_("日期"), str(take("date", None) or "—"))
        add(_("原因"), _word(CERTIFICATE_PROBLEMS, take("problem", None)))
        certificates = take("certificates", None) or []
        add(_("登记的操作证（有效期）"), "、".join(str(c) for c in certificates) or _("无"))
        add(_("所在区域"), named(take("area", None), names))
        add(_("所在基站"), str(take("station", None) or "—"))
    cards = take("cards", None)
    total = take("cards_total", None)
    if cards is not None:
        add(_("在场人员"), named_list(cards, names, total))
    return lines


def peak_text(kind: str, peak: float | None) -> str:
    """A lead's or personnel alarm's peak with its unit (人, %, 吨, 次, 小时)."""
    if peak is None:
        return "—"
    unit = PEAK_UNITS.get(kind, "")
    if unit == "%":
        return f"{number(peak)}%"
    if unit in ("人", "次") and float(peak).is_integer():  # counts: 4 people, not 4.0
        return f"{int(peak)} {_(unit)}"
    return f"{number(peak)} {_(unit)}" if unit else number(peak)


def peak_label(kind: str) -> str:
    label = PEAK_LABELS.get(kind)
    return _(label) if label else _("峰值")


@dataclass(frozen=True)
class EvidenceTable:
    caption: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class LeadEvidence:
    """A lead's evidence as the page shows it: facts (label, text), tables, a note (why there is no baseline),
    and the chart data where one helps."""

    lines: list[tuple[str, str]]
    tables: list[EvidenceTable]
    note: str = ""
    chart: dict[str, Any] | None = None


def _days_between(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)][:62]


def lead_evidence(kind: str, evidence: dict[str, Any], names: Mapping[str, str]) -> LeadEvidence:
    """The evidence of a lead of `kind` (engine.rules.<kind>'s keys) in words; a lead kept from an alarm shows
    its alarm's evidence. Keys the page does not know are shown as they are."""
    e = {k: v for k, v in (evidence or {}).items() if k not in ("episodes", "alarm")}
    take = e.pop
    out = LeadEvidence(lines=[], tables=[])

    def add(label: str, text: str) -> None:
        out.lines.append((label, text))

    if kind == "hidden_working_face":
        add(_("区域"), named(take("area", None), names))
        declared, declared_as, face_status = take("declared", None), take("declared_as", None), take("face_status", None)
        if declared == "undeclared" or declared_as is None:
            add(_("申报情况"), _("未申报：该区域没有经监管部门确认的用途"))
        else:
            add(_("申报情况"), _("申报为%(use)s，但对应工作面状态为“%(status)s”") % {
                "use": _word(AREA_USE_WORDS, declared_as), "status": _word(FACE_STATUS_WORDS, face_status)})
        add(_("区域类型（定位系统）"), str(take("area_type", None) or "—"))
        need_people, need_hours = take("people_needed", None), take("hours_needed", None)
        need_days, window = take("days_needed", None), take("window_days", None)
        add(_("判定标准"), _("连续 %(w)s 天内有 %(d)s 天，每天至少 %(p)s 人各停留 %(h)s以上") % {
            "w": number(window), "d": number(need_days), "p": number(need_people), "h": hours(need_hours)})
        judged = take("judged_day", None)
        add(_("判定日期"), str(judged or "—"))
        days = take("qualifying_days", None) or []
        rows = []
        for d in days if isinstance(days, list) else []:
            who = d.get("who") or []
            stays = "、".join(f"{named(w.get('card_code'), names)} {hours(w.get('hours'))}" for w in who)
            rows.append([str(d.get("day") or "—"), people(d.get("people")), str(d.get("first") or "—"),
                         str(d.get("last") or "—"), stays or "—"])
        add(_("达标天数"), _("%(n)d 天") % {"n": len(rows)})
        out.tables.append(EvidenceTable(_("达标的日子（每人停留时长）"),
                                        [_("日期"), _("达标人数"), _("首次进入"), _("最后离开"), _("人员及停留时长")], rows))
        if judged and isinstance(window, int) and window > 0:
            try:
                last = date.fromisoformat(str(judged))
            except ValueError:
                last = None
            if last is not None:
                span = _days_between(last - timedelta(days=window - 1), last)
                by_day = {str(d.get("day")): d.get("people") or 0 for d in days if isinstance(d, dict)}
                out.chart = {"kind": "days", "days": span, "values": [by_day.get(d, 0) for d in span],
                             "threshold": need_people, "label": _("达标人数"), "threshold_label": _("判定人数")}
    elif kind == "power_use_while_suspended":
        add(_("日期"), str(take("day", None) or "—"))
        add(_("矿山状态"), _word(MINE_STATUS_WORDS, take("status", None)))
        kwh = take("kwh", None)
        add(_("当日用电量"), _("%(n)s 千瓦时") % {"n": number(kwh)})
        base, base_days = take("baseline_kwh", None), take("baseline_days", None)
        pct, limit = take("share_pct", None), take("limit_share_pct", None)
        night, base_night = take("night_peak_kwh", None), take("baseline_night_peak_kwh", None)
        night_pct, night_limit = take("night_share_pct", None), take("limit_night_share_pct", None)
        if base is None:
            out.note = _("没有用电基线：已知的完整生产日只有 %(n)s 天，不足 7 天，无法与正常生产时比较，"
                         "因此不据此判定。") % {"n": number(base_days or 0)}
            add(_("用电基线"), _("无（生产日不足 7 天）"))
        else:
            add(_("用电基线"), _("%(n)s 千瓦时/日（近 %(d)s 个生产日的中位数）") % {
                "n": number(base), "d": number(base_days)})
            add(_("当日用电为基线的"), _("%(p)s%%（阈值 %(l)s%%）") % {"p": number(pct), "l": number(limit)})
        add(_("夜间（0–6 时）15 分钟最高用电"), _("%(n)s 千瓦时（基线 %(b)s，为基线的 %(p)s%%，阈值 %(l)s%%）") % {
            "n": number(night), "b": number(base_night), "p": number(night_pct), "l": number(night_limit)})
        if base is not None:
            out.chart = {"kind": "power", "baseline": base, "limit": round(float(base) * float(limit or 0) / 100, 1),
                         "day": take("day", None) or "", "label": _("日用电量（千瓦时）"),
                         "baseline_label": _("基线"), "limit_label": _("判定阈值")}
    elif kind == "over_capacity":
        add(_("判定时刻"), str(take("at", None) or "—"))
        capacity = take("capacity", None)
        add(_("核定生产能力"), _("%(n)s 万吨/年") % {"n": number(capacity)})
        month, month_t, month_pct = take("month", None), take("month_tonnes", None), take("month_share_pct", None)
        month_limit, month_over = take("limit_month_share_pct", None), take("month_over", None)
        add(_("%(m)s 月产量") % {"m": month or "—"}, _("%(t)s 吨，为年核定能力的 %(p)s%%（上限 %(l)s%%）%(mark)s") % {
            "t": number(month_t), "p": number(month_pct), "l": number(month_limit),
            "mark": _("，超过") if month_over else ""})
        year, year_t, year_pct = take("year", None), take("year_tonnes", None), take("year_share_pct", None)
        year_limit, year_over = take("limit_year_share_pct", None), take("year_over", None)
        add(_("%(y)s 年累计产量") % {"y": year or "—"}, _("%(t)s 吨，为年核定能力的 %(p)s%%（上限 %(l)s%%）%(mark)s") % {
            "t": number(year_t), "p": number(year_pct), "l": number(year_limit),
            "mark": _("，达到或超过") if year_over else ""})
        counters = take("counters", None) or []
        rows = [[str(c.get("point_code") or "—"), str(c.get("unit") or "—"),
                 _("是") if c.get("unit_known") else _("否，按吨计")] for c in counters if isinstance(c, dict)]
        out.tables.append(EvidenceTable(_("计入的产量累计量测点"), [_("测点编码"), _("单位"), _("单位可识别")], rows))
        if take("units_assumed", None):
            out.note = _("部分测点的单位无法识别，已按吨计算；两台串联的皮带秤会重复计量，请核对测点。")
    elif kind == "seal_activity_while_suspended":
        add(_("密闭（电子封条）"), f"{take('seal', None) or '—'} {take('place', None) or ''}".strip())
        add(_("矿山状态"), _word(MINE_STATUS_WORDS, take("status", None)))
        add(_("首次发现"), str(take("first", None) or "—"))
        add(_("最近发现"), str(take("last", None) or "—"))
        sightings = take("sightings", None)
        add(_("发现次数"), ngettext("%(n)s 次", "%(n)s 次", int(sightings or 0)) % {"n": number(sightings)})
        add(_("最多人员"), people(take("people_max", None)))
        add(_("最多车辆"), _("%(n)s 辆") % {"n": number(take("vehicles_max", None))})
        events = take("events", None) or []
        add(_("事件"), "、".join(str(x) for x in events) or "—")
    else:  # a lead kept from an alarm
        out.lines = evidence_lines(kind, e, names=names)
        return out
    for key, value in e.items():
        add(str(key), _codes(value))
    return out


@dataclass(frozen=True)
class CapacityFlag:
    """A month of signed returns above the C01-01 line: its own output above `month_share` of the annual
    approved capacity, or its calendar year's output up to it at or above `year_share`."""

    month: date
    tonnes: Decimal
    year_tonnes: Decimal
    capacity_t: Decimal
    month_over: bool
    year_over: bool


def capacity_flags(returns: Iterable[tuple[date, Decimal]], capacity_wan_t: Decimal, *, month_share: float,
                   year_share: float) -> list[CapacityFlag]:
    """The flagged months of one mine's returns (month = its first day; capacity in 万t/a). "超过" excludes the
    number (a month of exactly 10 % is not over); "以上" includes it (a year of exactly 110 % is)."""
    capacity_t = capacity_wan_t * 10000
    if capacity_t <= 0:
        return []
    out, year_total, year = [], Decimal(0), None
    for month, tonnes in sorted(returns):
        if month.year != year:
            year, year_total = month.year, Decimal(0)
        year_total += tonnes
        month_over = tonnes > capacity_t * Decimal(str(month_share))
        year_over = year_total >= capacity_t * Decimal(str(year_share))
        if month_over or year_over:
            out.append(CapacityFlag(month, tonnes, year_total, capacity_t, month_over, year_over))
    return out
