"""Pure rules of the monitoring pages: a point's configuration findings (RULES.md §3.1), the online
rate, durations, and an alarm's evidence in words. No ORM, no clock, no settings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

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


def evidence_lines(kind: str, evidence: dict[str, Any], unit: str = "", span_s: float | None = None
                   ) -> list[tuple[str, str]]:
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
