"""Simulator of coal-mine safety-monitoring networking files in the national format ("family A").

Writes what the mines' KJ systems upload to the regulator (FORMATS.md §1): CDDY point definitions and
FZDY outstation definitions (at the start and daily at 00:00), CDSS real-time values every
`period_s` seconds (one record per point), FZSS outstation status every minute, TJSJ 5-minute
statistics of the analog points and YCBJ events when the mine's own system sees one. Thresholds
follow RULES.md §3. Incidents (over-limit, feed failure, silence, stuck sensor, calibration abuse,
unreported over-limit; over-capacity output on a mine's LJ 3001 counter, `MineSpec.counter`) are written
into otherwise normal data, for demos, tests and the benchmark.

`simulate_personnel` writes the personnel-positioning files of the same family (RYXX, RYQY, RYJZ, RYSS,
JZSS) and kuangan's own CSV (YDSJ power, DZFT seals, docs/formats-kuangan.md), suspended mines included,
with an incident per personnel alarm and lead kind (PERSONNEL_INCIDENTS; the section "personnel
positioning, power and seals" below says how people, shifts and power are made). `merge` interleaves
the two feeds in upload order; `roster` and `positioning_areas` give what the registry would hold.

Generation is pure: `point_table` and `simulate` touch no file system; `write_files` at the end of
the module writes what `simulate` yields. The CDSS and TJSJ text is built vectorised with Polars, an
hour of all mines at a time; only per-file work (headers, names, encoding) is done in Python.

Choices about the format (where FORMATS.md leaves room):
- one producer style per mine, derived from its code: about half the mines add `\\r\\n` after every
  `~` (the others write one line); a third write the D relation as two groups
  `D-<power-off device>◇D-<feed sensor>`, the others the simple `D-<feed sensor>`;
- all records of a CDSS file share the file's data time (the scan tick); the header's upload time is
  the data time plus 2-9 s (CDDY and FZDY: plus 1 s, so that definitions come first);
- values are written with the sensor's resolution: methane, wind pressure, CO2 `0.32`; wind,
  temperature, O2, dust `12.5`; CO `7`; switches `0`/`1`; switch records have an empty unit and
  status 0 (a cut power-off device shows as value 0); TJSJ averages carry one more decimal;
- TJSJ covers analog (MN) points only; its data time is the window's end;
- YCBJ: an event is sent when it opens (end empty, statistics of the first sample, cause and
  measures empty) and re-sent when it closes (end = the first sample back to normal, statistics of
  the event, cause, measures, entered at = end, entered by a dispatcher); over-limit writes 001 and,
  when power was cut (or commanded cut), 002; a feed failure (003) is never reported;
- point codes: mine code + `01` + `MN`/`KG` + sensor type + 8 digits (outstation 3 + channel 5);
  outstation codes: mine code + 5 digits;
- the random jitter of a reading is a hash of (seed, point code, data time): the same seed gives the
  same bytes, and a reading does not depend on the simulated window's start or on other mines.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import random
import re
import sys
import time
import zlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from . import schema

# incidents of the safety-monitoring feed (`simulate`); over_capacity drives the mine's LJ 3001 output counter
SAFETY_INCIDENT_KINDS = (
    "over_limit",
    "feed_failure",
    "silence",
    "stuck",
    "calibration_abuse",
    "unreported_over_limit",
    "over_capacity",
)
# incidents of the personnel-positioning, power and seal feeds (`simulate_personnel`)
PERSONNEL_INCIDENT_KINDS = (
    "mine_overcrowded",
    "face_overcrowded",
    "shift_change_overcrowded",
    "no_leader_on_shift",
    "overtime_underground",
    "sos",
    "restricted_area_entry",
    "suspended_mine_activity",
    "uncertified_special_operator",
    "hidden_working_face",
    "power_use_while_suspended",
    "seal_activity_while_suspended",
)
INCIDENT_KINDS = SAFETY_INCIDENT_KINDS + PERSONNEL_INCIDENT_KINDS
TIME_FMT = "%Y-%m-%d %H:%M:%S"
NAME_FMT = "%Y%m%d%H%M%S"
# the jitter hash and the slow noise key on seconds since this moment
EPOCH = datetime(2000, 1, 1)  # noqa: DTZ001 - Beijing time, naive like every time in the engine
STAT_SECONDS = 300  # TJSJ window
SAFETY_TYPES = ("CDDY", "FZDY", "CDSS", "FZSS", "TJSJ", "YCBJ")
TYPE_ORDER = {"CDDY": 0, "FZDY": 1, "CDSS": 2, "FZSS": 3, "TJSJ": 4, "YCBJ": 5,
              "RYXX": 6, "RYQY": 7, "RYJZ": 8, "RYSS": 9, "JZSS": 10, "YDSJ": 11, "DZFT": 12}
# registry.MineStatus values under which a mine may not produce (engine.facts.STATUS `suspended`)
SUSPENDED_STATUSES = frozenset({"suspended_for_rectification", "construction_stopped", "long_term_stopped", "closed"})


@dataclass(frozen=True)
class Face:
    """A working face as the registry holds it (registry.WorkingFace): its positioning area is named after it."""

    name: str  # e.g. 1101综采工作面
    kind: str = "longwall"  # longwall | heading (registry FaceKind)
    working: bool = True  # False: stopped or sealed, nobody is sent there


@dataclass(frozen=True)
class MineSpec:
    code: str  # mine code as registered, e.g. "141129000001" (any length)
    name: str  # 矿井名称
    points: int = 300  # analog + switch points, about 2/3 analog
    outstations: int = 10
    # --- what the personnel, power and seal feeds need (simulate_personnel), and the output counter ---
    status: str = "producing"  # registry MineStatus value; a suspended one (SUSPENDED_STATUSES) does not produce
    status_since: datetime | None = None  # when `status` took effect (producing before); None: always
    capacity: float = 90.0  # approved capacity, 万t/a: the output counter's and the power's scale
    crew: int = 60  # people underground per shift (three teams, 三八制)
    limit: int | None = None  # single-shift headcount limit (RYXX header 核定下井人数); None: 2 x crew
    faces: tuple[Face, ...] = ()  # the registry's working faces; () -> one longwall and two headings invented
    leaders: tuple[tuple[str, str], ...] = ()  # (card code, name) of the leadership roster; () -> 5 invented
    counter: bool = False  # an LJ 3001 output counter (unit 吨) in CDDY and CDSS
    seals: int = 2  # electronic seals (DZFT) at the shaft mouths


@dataclass(frozen=True)
class Incident:
    kind: str  # one of INCIDENT_KINDS
    mine_code: str
    start: datetime  # naive Beijing local time
    minutes: float
    point: str | None = None  # None: a working-face methane point (a working-face CO point for stuck); see
    # PERSONNEL_INCIDENTS for the subject of the personnel kinds (a card, an area, a seal)
    peak: float | None = None  # over-limit kinds: the highest value, in the point's unit; others: PERSONNEL_INCIDENTS
    days: int = 1  # repeated at the same time on this many consecutive days


# --- catalogue --------------------------------------------------------------------------------------

# sensor type -> (CDSS name, unit, decimals, range low, range high, "on" text, "off" text)
SENSORS: dict[str, tuple[str, str, int, float | None, float | None, str, str]] = {
    "0001": ("甲烷", "%", 2, 0.0, 4.0, "", ""),
    "0002": ("风速", "m/s", 1, 0.0, 15.0, "", ""),
    "0003": ("温度", "℃", 1, 0.0, 40.0, "", ""),
    "0004": ("一氧化碳", "ppm", 0, 0.0, 1000.0, "", ""),
    "0005": ("风压", "kPa", 2, 0.0, 10.0, "", ""),
    "0006": ("负压", "kPa", 2, 0.0, 10.0, "", ""),
    "0012": ("氧气", "%", 1, 0.0, 25.0, "", ""),
    "0013": ("二氧化碳", "%", 2, 0.0, 5.0, "", ""),
    "0014": ("粉尘", "mg/m3", 1, 0.0, 1000.0, "", ""),
    "1001": ("局部通风机", "", 0, None, None, "开", "停"),
    "1002": ("风门", "", 0, None, None, "开", "关"),
    "1003": ("风筒", "", 0, None, None, "有风", "无风"),
    "1004": ("设备开停", "", 0, None, None, "开", "停"),
    "1008": ("烟雾", "", 0, None, None, "有烟", "无烟"),
    "1009": ("断电器", "", 0, None, None, "复电", "断电"),
    "1010": ("主要通风机", "", 0, None, None, "运行", "停止"),
    "1011": ("馈电状态", "", 0, None, None, "有电", "无电"),
    "3001": ("产量", "吨", 1, None, None, "", ""),  # LJ cumulative output (over_capacity)
}

_Thr = tuple[float | None, float | None, float | None, float | None, float | None, float | None]
_N = None
# analog role -> (sensor type, (upper alarm, clear, lower alarm, clear, upper power-off, restore),
#                 (base low, base high, slow amplitude, jitter, clip low, clip high)); base +- amplitude
# +- jitter stays inside the clip bounds, so that no normal reading sits flat on a bound.
ANALOG_ROLES: dict[str, tuple[str, _Thr, tuple[float, float, float, float, float, float]]] = {
    "corner_ch4": ("0001", (1.0, 1.0, _N, _N, 1.5, 1.0), (0.25, 0.42, 0.08, 0.015, 0.0, 0.6)),
    "face_ch4": ("0001", (1.0, 1.0, _N, _N, 1.5, 1.0), (0.15, 0.38, 0.08, 0.015, 0.0, 0.6)),
    "shearer_ch4": ("0001", (1.0, 1.0, _N, _N, 1.5, 1.0), (0.15, 0.38, 0.08, 0.015, 0.0, 0.6)),
    "heading_ch4": ("0001", (1.0, 1.0, _N, _N, 1.5, 1.0), (0.15, 0.38, 0.08, 0.015, 0.0, 0.6)),
    "return_ch4": ("0001", (1.0, 1.0, _N, _N, 1.0, 1.0), (0.12, 0.35, 0.06, 0.015, 0.0, 0.6)),
    "heading_return_ch4": ("0001", (1.0, 1.0, _N, _N, 1.0, 1.0), (0.12, 0.35, 0.06, 0.015, 0.0, 0.6)),
    "panel_return_ch4": ("0001", (1.0, 1.0, _N, _N, 1.0, 1.0), (0.1, 0.3, 0.06, 0.015, 0.0, 0.6)),
    "intake_ch4": ("0001", (0.5, 0.5, _N, _N, 0.5, 0.5), (0.05, 0.12, 0.03, 0.012, 0.0, 0.3)),
    "main_return_ch4": ("0001", (0.75, 0.75, _N, _N, _N, _N), (0.1, 0.3, 0.06, 0.015, 0.0, 0.6)),
    "co": ("0004", (24.0, 24.0, _N, _N, _N, _N), (3.0, 6.0, 1.5, 1.0, 0.0, 10.0)),
    "temp_face": ("0003", (30.0, 30.0, _N, _N, _N, _N), (22.0, 26.0, 0.8, 0.08, 18.0, 28.0)),
    "temp_road": ("0003", (30.0, 30.0, _N, _N, _N, _N), (19.5, 24.0, 0.8, 0.08, 18.0, 28.0)),
    "temp_chamber": ("0003", (34.0, 34.0, _N, _N, _N, _N), (22.0, 27.0, 0.8, 0.08, 18.0, 28.0)),
    "wind_face": ("0002", (4.0, 4.0, 0.25, 0.25, _N, _N), (1.2, 3.0, 0.2, 0.08, 0.5, 3.8)),
    "wind_road": ("0002", (6.0, 6.0, 0.25, 0.25, _N, _N), (1.5, 3.4, 0.2, 0.08, 0.5, 3.9)),
    "wind_main": ("0002", (8.0, 8.0, _N, _N, _N, _N), (2.5, 3.6, 0.2, 0.08, 0.5, 4.0)),
    "o2": ("0012", (_N, _N, 20.0, 20.0, _N, _N), (20.5, 20.8, 0.05, 0.1, 20.3, 21.2)),
    "co2": ("0013", (1.5, 1.5, _N, _N, _N, _N), (0.05, 0.3, 0.03, 0.012, 0.0, 0.5)),
    "dust": ("0014", (_N, _N, _N, _N, _N, _N), (1.6, 6.0, 1.0, 0.3, 0.2, 10.0)),
    "wind_pressure": ("0005", (_N, _N, _N, _N, _N, _N), (0.15, 0.6, 0.02, 0.01, 0.05, 1.0)),
    "neg_pressure": ("0006", (_N, _N, _N, _N, _N, _N), (1.8, 2.8, 0.05, 0.01, 1.0, 4.0)),
}
# switch role -> (sensor type, steady value, probability of the other value at a scan)
SWITCH_ROLES: dict[str, tuple[str, int, float]] = {
    "power": ("1009", 1, 0.0),
    "feed": ("1011", 1, 0.0),
    "fan_main": ("1001", 1, 0.0),
    "fan_standby": ("1001", 0, 0.0),
    "duct": ("1003", 1, 0.0),
    "equip": ("1004", 1, 0.0),
    "door": ("1002", 0, 0.02),  # a door opens now and then for people and material
    "smoke": ("1008", 0, 0.0),
    "main_fan": ("1010", 1, 0.0),
    "main_fan_standby": ("1010", 0, 0.0),
}
WORKING_METHANE = ("corner_ch4", "face_ch4", "heading_ch4")  # default over-limit / calibration points

SYSTEMS = (
    ("KJ90X", "KJ90X煤矿安全监控系统", "中煤科工集团重庆研究院有限公司"),
    ("KJ95X", "KJ95X煤矿安全监控系统", "天地（常州）自动化股份有限公司"),
    ("KJ73X", "KJ73X煤矿安全监控系统", "中煤科工集团常州研究院有限公司"),
    ("KJ2000X", "KJ2000X煤矿安全监控系统", "镇江中煤电子有限公司"),
)
PANELS = ("一采区", "二采区", "三采区", "四采区", "五采区", "六采区", "七采区", "八采区", "九采区", "十采区")
DISPATCHERS = ("调度员王建军", "调度员李志强", "调度员张海平", "调度员刘晓东", "调度员赵卫国", "调度员陈立新")
PLACES = ("中阳", "孝义", "柳林", "离石", "汾阳", "交口", "石楼", "临县", "方山", "岚县")
WORDS = ("鑫隆", "宏盛", "东义", "金源", "华晋", "永兴", "聚源", "兴盛", "德泰", "昌盛", "瑞泰", "新峪")


# --- layout of one mine ----------------------------------------------------------------------------


@dataclass
class _Area:
    kind: str  # face | heading | panel_return | main_return | haulage | substation | pump | ...
    name: str
    switches: list[tuple[str, str]]  # (role, location), the power switches first
    analogs: list[tuple[str, str, bool]]  # (role, location, D-linked to the area's power switches)


@dataclass
class _Point:
    code: str
    role: str
    sensor: str
    location: str
    area: int
    area_name: str
    outstation: int
    d_link: bool
    x: float
    y: float
    z: float
    relations: str = ""
    params: dict[str, float] = field(default_factory=dict)


@dataclass
class _Mine:
    spec: MineSpec
    index: int
    points: list[_Point]
    by_code: dict[str, _Point]
    outstations: list[tuple[str, str, float, float, float]]  # code, location, x, y, z
    power: dict[int, list[str]]  # area -> codes of its power-off device and feed sensor
    system: tuple[str, str, str]
    expiry: str
    defined_at: datetime
    eol: str
    table: pl.DataFrame


def _face_area(n: str, mechanised: str) -> _Area:
    face = f"{n}{mechanised}工作面"
    return _Area(
        "face",
        face,
        [
            ("feed", f"{n}运输顺槽配电点"),
            ("power", f"{n}运输顺槽配电点"),
            ("equip", f"{face}采煤机"),
            ("equip", f"{n}运输顺槽带式输送机"),
        ],
        [
            ("corner_ch4", f"{face}上隅角", True),
            ("face_ch4", face, True),
            ("return_ch4", f"{n}回风巷", True),
            ("co", f"{face}上隅角", False),
            ("shearer_ch4", f"{face}采煤机", True),
            ("intake_ch4", f"{n}进风巷", True),
            ("co", f"{n}回风巷", False),
            ("temp_face", face, False),
            ("wind_road", f"{n}回风巷", False),
            ("wind_face", face, False),
            ("dust", face, False),
            ("o2", f"{n}进风巷", False),
            ("co2", f"{n}回风巷", False),
        ],
    )


def _heading_area(n: str) -> _Area:
    face = f"{n}掘进工作面"
    return _Area(
        "heading",
        face,
        [
            ("feed", f"{face}配电点"),
            ("power", f"{face}配电点"),
            ("fan_main", f"{n}掘进局部通风机（主）"),
            ("fan_standby", f"{n}掘进局部通风机（备）"),
            ("duct", f"{face}风筒"),
            ("equip", f"{face}掘进机"),
        ],
        [
            ("heading_ch4", face, True),
            ("heading_return_ch4", f"{face}回风流", True),
            ("co", f"{face}回风流", False),
            ("wind_face", f"{face}回风流", False),
            ("temp_face", face, False),
            ("dust", face, False),
        ],
    )


def _filler_areas(level0: int) -> Iterator[_Area]:
    """Roadways, chambers and the fan house, round after round with new names, without end."""
    r = 0
    while True:
        panel = (
            PANELS[r % len(PANELS)] if r < len(PANELS) else f"{PANELS[r % len(PANELS)]}{r // len(PANELS) + 1}"
        )
        lvl = f"{level0 - 100 * (r % 6):+d}水平"
        sub = "中央变电所" if r == 0 else f"{panel}变电所"
        pump = "中央水泵房" if r == 0 else f"{lvl}水泵房"
        fan = ("地面主要通风机房", "回风立井主要通风机房")[r] if r < 2 else ""
        yield _Area(
            "panel_return",
            f"{panel}回风巷",
            [("feed", f"{panel}回风巷配电点")],
            [
                ("panel_return_ch4", f"{panel}回风巷", True),
                ("co", f"{panel}回风巷", False),
                ("wind_road", f"{panel}回风巷", False),
                ("temp_road", f"{panel}回风巷", False),
                ("co2", f"{panel}回风巷", False),
            ],
        )
        yield _Area(
            "main_return",
            f"{lvl}回风大巷",
            [("door", f"{lvl}回风大巷风门")],
            [
                ("main_return_ch4", f"{lvl}回风大巷", False),
                ("co", f"{lvl}回风大巷", False),
                ("wind_main", f"{lvl}回风大巷", False),
                ("temp_road", f"{lvl}回风大巷", False),
            ],
        )
        yield _Area(
            "haulage",
            f"{lvl}运输大巷",
            [("equip", f"{lvl}运输大巷带式输送机"), ("smoke", f"{lvl}运输大巷带式输送机机头")],
            [
                ("co", f"{lvl}运输大巷带式输送机机头", False),
                ("dust", f"{lvl}运输大巷", False),
                ("wind_main", f"{lvl}运输大巷", False),
                ("temp_road", f"{lvl}运输大巷", False),
                ("co", f"{lvl}运输大巷带式输送机机尾", False),
            ],
        )
        yield _Area(
            "substation",
            sub,
            [("feed", f"{sub}高压总开关"), ("smoke", sub), ("feed", f"{sub}低压总开关")],
            [("temp_chamber", sub, False), ("co", sub, False)],
        )
        yield _Area(
            "pump",
            pump,
            [("equip", f"{pump}1号水泵"), ("equip", f"{pump}2号水泵")],
            [("temp_chamber", pump, False), ("co", pump, False)],
        )
        yield _Area(
            "pit_bottom",
            f"{lvl}井底车场",
            [("door", f"{lvl}井底车场风门")],
            [
                ("o2", f"{lvl}井底车场", False),
                ("co", f"{lvl}井底车场", False),
                ("wind_main", f"{lvl}井底车场", False),
                ("temp_road", f"{lvl}井底车场", False),
            ],
        )
        if fan:  # a mine has one or two fan houses
            yield _Area(
                "main_fan",
                fan,
                [("main_fan", f"{fan}1号主要通风机"), ("main_fan_standby", f"{fan}2号主要通风机")],
                [("neg_pressure", f"{fan}风硐", False), ("wind_main", f"{fan}风硐", False)],
            )
        yield _Area(
            "intake",
            f"{panel}进风巷",
            [("door", f"{panel}进风巷1号风门"), ("door", f"{panel}进风巷2号风门")],
            [
                ("wind_pressure", f"{panel}进风巷风门", False),
                ("o2", f"{panel}进风巷", False),
                ("wind_road", f"{panel}进风巷", False),
                ("co", f"{panel}进风巷", False),
            ],
        )
        r += 1


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def _build_mine(spec: MineSpec, index: int, seed: int, counter: bool = False) -> _Mine:
    if spec.points < 2:
        raise ValueError(f"煤矿 {spec.code} 至少需要 2 个测点")
    if spec.outstations < 1:
        raise ValueError(f"煤矿 {spec.code} 至少需要 1 个分站")
    rng = random.Random(f"{seed}:{spec.code}")
    n_analog = max(1, round(spec.points * 2 / 3))
    n_switch = spec.points - n_analog
    level0 = rng.randrange(650, 1200, 50)
    numbers = [f"{s}{p}{i:02d}" for s in (1, 2, 3) for p in (1, 2, 3) for i in range(1, 10)]
    rng.shuffle(numbers)
    n_faces = max(1, spec.points // 150)
    n_headings = spec.points // 60
    mechanised = rng.choice(("综采", "综放"))
    working = [_face_area(numbers.pop(), mechanised) for _ in range(n_faces)]
    working += [_heading_area(numbers.pop()) for _ in range(n_headings)]

    def areas() -> Iterator[_Area]:
        yield from working
        yield from _filler_areas(level0)

    x0, y0 = rng.uniform(4_050_000, 4_350_000), rng.uniform(37_400_000, 37_600_000)
    chosen: list[tuple[int, _Area, str, str, bool]] = []  # (area no, area, role, location, d_link)
    power: dict[int, list[str]] = {}
    took_sw = took_an = 0
    has_power: dict[int, bool] = {}
    for a_no, area in enumerate(areas()):
        if took_sw >= n_switch and took_an >= n_analog:
            break
        if a_no > 10 * spec.points + 100:  # cannot happen with the templates above; a guard
            break
        for role, loc in area.switches:
            if took_sw < n_switch:
                chosen.append((a_no, area, role, loc, False))
                took_sw += 1
                if role in ("feed", "power"):
                    has_power[a_no] = True
        for role, loc, d in area.analogs:
            if took_an < n_analog and (not d or has_power.get(a_no)):
                chosen.append((a_no, area, role, loc, d))
                took_an += 1

    style_crc = _crc(spec.code)
    eol = "\r\n" if style_crc % 2 else ""
    grouped_relations = (style_crc // 2) % 3 == 0
    system = SYSTEMS[(style_crc // 6) % len(SYSTEMS)]

    points: list[_Point] = []
    channel: dict[int, int] = {}
    centres: dict[int, tuple[float, float]] = {}
    first_area_of: dict[int, str] = {}
    for a_no, area, role, loc, d in chosen:
        os_no = a_no % spec.outstations + 1
        first_area_of.setdefault(os_no, area.name)
        channel[os_no] = channel.get(os_no, 0) + 1
        if role in SWITCH_ROLES:
            sensor, vtype = SWITCH_ROLES[role][0], "KG"
        else:
            sensor, vtype = ANALOG_ROLES[role][0], "MN"
        code = f"{spec.code}01{vtype}{sensor}{os_no:03d}{channel[os_no]:05d}"
        cx, cy = centres.setdefault(a_no, (x0 + rng.uniform(-3000, 3000), y0 + rng.uniform(-3000, 3000)))
        z = level0 + 320.0 if area.kind == "main_fan" else level0 + rng.uniform(-60, 40)
        p = _Point(
            code=code,
            role=role,
            sensor=sensor,
            location=loc,
            area=a_no,
            area_name=area.name,
            outstation=os_no,
            d_link=d,
            x=round(cx + rng.uniform(-80, 80), 2),
            y=round(cy + rng.uniform(-80, 80), 2),
            z=round(z, 2),
        )
        if role in ("power", "feed"):
            power.setdefault(a_no, []).append(code)
        p.params = _params(role, rng)
        points.append(p)
    for p in points:
        if p.d_link:
            codes = power[p.area]  # feed first, then the power-off device (template order)
            if grouped_relations and len(codes) > 1:
                p.relations = "◇".join(f"D-{c}" for c in reversed(codes))
            else:
                p.relations = f"D-{codes[0]}"
    if counter or spec.counter:  # the belt scale of the main incline, on the first outstation
        channel[1] = channel.get(1, 0) + 1
        p = _Point(
            code=f"{spec.code}01LJ3001{1:03d}{channel[1]:05d}",
            role=COUNTER,
            sensor="3001",
            location="主斜井带式输送机电子皮带秤",
            area=-1,
            area_name="主斜井",
            outstation=1,
            d_link=False,
            x=round(x0, 2),
            y=round(y0, 2),
            z=round(level0 + 300.0, 2),
        )
        points.append(p)
    points.sort(key=lambda p: (p.outstation, p.code[-5:]))

    outstations = []
    for os_no in range(1, spec.outstations + 1):
        loc = f"{first_area_of[os_no]}分站" if os_no in first_area_of else f"{level0:+d}水平{os_no}号分站硐室"
        outstations.append(
            (
                f"{spec.code}{os_no:05d}",
                loc,
                round(x0 + rng.uniform(-3000, 3000), 2),
                round(y0 + rng.uniform(-3000, 3000), 2),
                round(level0 + rng.uniform(-60, 40), 2),
            )
        )
    defined_at = datetime(2023, 1, 1, 9, 0) + timedelta(  # noqa: DTZ001 - naive Beijing time
        days=rng.randrange(0, 500), minutes=rng.randrange(0, 480)
    )
    expiry = f"{rng.randrange(2026, 2029)}-{rng.randrange(1, 13):02d}-28"
    mine = _Mine(
        spec=spec,
        index=index,
        points=points,
        by_code={p.code: p for p in points},
        outstations=outstations,
        power=power,
        system=system,
        expiry=expiry,
        defined_at=defined_at,
        eol=eol,
        table=pl.DataFrame(),
    )
    mine.table = _table(mine)
    return mine


def _params(role: str, rng: random.Random) -> dict[str, float]:
    if role == COUNTER:
        return {}
    if role in SWITCH_ROLES:
        _, steady, flip = SWITCH_ROLES[role]
        return {"steady": steady, "flip": flip}
    base_lo, base_hi, amp, jit, lo, hi = ANALOG_ROLES[role][2]
    out = {"base": rng.uniform(base_lo, base_hi), "jit": jit, "lo": lo, "hi": hi}
    for j, (share, p_lo, p_hi) in enumerate(
        ((0.5, 4 * 3600, 10 * 3600), (0.3, 2400, 7200), (0.2, 360, 1200)), 1
    ):
        out[f"a{j}"] = amp * share
        out[f"w{j}"] = 2 * math.pi / rng.uniform(p_lo, p_hi)
        out[f"ph{j}"] = rng.uniform(0, 2 * math.pi)
    return out


def _thresholds(p: _Point) -> _Thr:
    if p.role in ANALOG_ROLES:
        return ANALOG_ROLES[p.role][1]
    return (None, None, None, None, None, None)


# The CDDY columns the engine reads (schema.DEFINITIONS without the file's own columns), plus what the
# simulator needs to write CDSS and to place incidents.
POINT_SCHEMA: dict[str, Any] = {
    **{k: v for k, v in schema.DEFINITIONS.items() if k not in ("file_id", "header_time")},
    "sensor_name": pl.String,
    "decimals": pl.Int32,
    "area": pl.String,
    "role": pl.String,
}


def _table(mine: _Mine) -> pl.DataFrame:
    rows = []
    for p in mine.points:
        name, unit, dec, r_lo, r_hi, on, off = SENSORS[p.sensor]
        ua, uac, la, lac, upo, upr = _thresholds(p)
        analog = p.role in ANALOG_ROLES
        rows.append(
            {
                "mine_code": mine.spec.code,
                "point_code": p.code,
                "system_code": "01",
                "outstation_code": f"{mine.spec.code}{p.outstation:05d}",
                "sensor_type": p.sensor,
                "value_type": "MN" if analog else "LJ" if p.role == COUNTER else "KG",
                "sensor_name": name,
                "unit": unit,
                "decimals": dec,
                "range_high": r_hi,
                "range_low": r_lo,
                "upper_alarm": ua,
                "upper_alarm_clear": uac,
                "lower_alarm": la,
                "lower_alarm_clear": lac,
                "upper_power_off": upo,
                "upper_power_restore": upr,
                "lower_power_off": None,
                "lower_power_restore": None,
                "on_text": on,
                "off_text": off,
                "location": p.location,
                "x": p.x,
                "y": p.y,
                "z": p.z,
                "relations": p.relations,
                "defined_at": mine.defined_at,
                "area": p.area_name,
                "role": p.role,
            }
        )
    return pl.DataFrame(rows, schema=POINT_SCHEMA)


def point_table(mine: MineSpec, seed: int) -> pl.DataFrame:
    """The point definitions of `mine` as `simulate` writes them in CDDY, one row per point, plus the
    sensor name and decimals CDSS uses, the area and the role ("corner_ch4", "feed", ...)."""
    return _build_mine(mine, 0, seed).table


# --- values ----------------------------------------------------------------------------------------


def _points_frame(mines: Sequence[_Mine]) -> pl.DataFrame:
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "pid mi uid analog dec scale pre mid tjpre end base jit lo hi a1 a2 a3 w1 w2 w3 ph1 ph2 ph3 steady flip"
        ).split()
    }
    pid = 0
    for m in mines:
        for p in m.points:
            name, unit, dec, *_ = SENSORS[p.sensor]
            analog = p.role in ANALOG_ROLES
            cols["pid"].append(pid)
            cols["mi"].append(m.index)
            cols["uid"].append(_crc(p.code))
            cols["analog"].append(analog)
            cols["dec"].append(dec)
            cols["scale"].append(10**dec)
            cols["pre"].append(f"{p.code};{name};{p.location};")
            cols["mid"].append(f";{unit};")
            cols["tjpre"].append(f"{p.code};{name};{p.location};{unit};")
            cols["end"].append("~" + m.eol)
            for k in "base jit lo hi a1 a2 a3 w1 w2 w3 ph1 ph2 ph3".split():
                cols[k].append(p.params.get(k, 0.0))
            cols["steady"].append(int(p.params.get("steady", 0)))
            cols["flip"].append(p.params.get("flip", 0.0))
            pid += 1
    schema: dict[str, Any] = {k: pl.Float64 for k in cols}
    schema.update(
        pid=pl.Int32,
        mi=pl.Int32,
        uid=pl.UInt64,
        analog=pl.Boolean,
        dec=pl.Int32,
        scale=pl.Int64,
        pre=pl.String,
        mid=pl.String,
        tjpre=pl.String,
        end=pl.String,
        steady=pl.Int64,
    )
    return pl.DataFrame(cols, schema=schema)


def _ticks(times: Sequence[datetime], ks: Sequence[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "k": list(ks),
            "secs": [int((t - EPOCH).total_seconds()) for t in times],
            "ts": [t.strftime(TIME_FMT) for t in times],
        },
        schema={"k": pl.Int64, "secs": pl.Int64, "ts": pl.String},
    )


def _values(pts: pl.DataFrame, ticks: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Cross product ticks x points (tick-major, points in pid order) with the normal scaled value
    `vi` (value x 10^decimals, an integer) and status 0."""
    s = pl.col("secs").cast(pl.Float64)
    smooth = pl.col("base")
    for j in (1, 2, 3):
        smooth = smooth + pl.col(f"a{j}") * (pl.col(f"w{j}") * s + pl.col(f"ph{j}")).sin()
    key = pl.col("uid") * (1 << 32) + pl.col("secs").cast(pl.UInt64)
    u = (key.hash(seed=seed % (1 << 63)) % (1 << 24)).cast(pl.Float64) / float(1 << 24)
    analog = (smooth + (2 * u - 1) * pl.col("jit")).clip(pl.col("lo"), pl.col("hi"))
    vi = (
        pl.when(pl.col("analog"))
        .then((analog * pl.col("scale")).round(0).cast(pl.Int64))
        .when(u < pl.col("flip"))
        .then(1 - pl.col("steady"))
        .otherwise(pl.col("steady"))
    )
    grid = ticks.join(pts, how="cross", maintain_order="left_right")
    return grid.with_columns(vi=vi, st=pl.lit(0, pl.Int32))


def _fmt_expr(vi: pl.Expr, dec: pl.Expr, scale: pl.Expr) -> pl.Expr:
    frac = pl.concat_str(
        [(vi // scale).cast(pl.String), pl.lit("."), (vi % scale).cast(pl.String).str.zfill(dec)]
    )
    return pl.when(dec == 0).then(vi.cast(pl.String)).otherwise(frac)


def _fmt(vi: int, dec: int) -> str:
    if dec == 0:
        return str(vi)
    sign, vi = ("-", -vi) if vi < 0 else ("", vi)
    scale = 10**dec
    return f"{sign}{vi // scale}.{vi % scale:0{dec}d}"


def _num(x: float | None, dec: int) -> str:
    return "" if x is None else _fmt(round(x * 10**dec), dec)


def _mix(*parts: int) -> int:
    """A deterministic 64-bit mix (splitmix64) of integers: per-file upload delays."""
    h = 0x9E3779B97F4A7C15
    for part in parts:
        h = (h ^ (part & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 31
        h = h * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 29
    return h


def _delay(seed: int, mi: int, ftype: str, when: datetime, lo: int, hi: int) -> timedelta:
    secs = int((when - EPOCH).total_seconds())
    return timedelta(seconds=lo + _mix(seed, mi, TYPE_ORDER[ftype], secs) % (hi - lo + 1))


# --- the output counter (LJ 3001) ---------------------------------------------------------------------

COUNTER = "counter"
# share of a day's output in each hour (三八制, three producing shifts, less at night and around each shift
# change); the power of the production meters follows it too
PRODUCTION_HOURS = [0.85] * 6 + [0.9, 0.4] + [1.0] * 7 + [0.4] + [1.0] * 7 + [0.4]
HOUR_SHARE = [w / sum(PRODUCTION_HOURS) for w in PRODUCTION_HOURS]
HOUR_BEFORE = [sum(HOUR_SHARE[:h]) for h in range(24)]
_HOURS = pl.Series(range(24), dtype=pl.Int64)
# a producing mine's output: this share of its approved capacity over 330 working days a year, so a month is
# about 7.7 % of the capacity (C01-01's line is 10 %)
OUTPUT_SHARE, WORKING_DAYS = 0.85, 330
COUNTER_ORIGIN = datetime(2020, 1, 1)  # noqa: DTZ001 - naive Beijing time; the counters count from here
COUNTER_SCHEMA: dict[str, Any] = {"pid": pl.Int32, "mi": pl.Int32, "per_day": pl.Float64, "halt": pl.Int64,
                                  "v0": pl.Float64}


def _secs(t: datetime) -> int:
    return int((t - EPOCH).total_seconds())


def _halt(spec: MineSpec) -> datetime | None:
    """When the mine stopped producing (its suspended status took effect), None while it may produce."""
    if spec.status not in SUSPENDED_STATUSES:
        return None
    return spec.status_since or EPOCH


def _counter_row(m: _Mine, pid: int, seed: int) -> tuple[Any, ...]:
    halt = _halt(m.spec)
    per_day = m.spec.capacity * 10_000 * OUTPUT_SHARE / WORKING_DAYS
    return (pid, m.index, per_day, None if halt is None else _secs(halt), float(50_000 + _mix(seed, pid) % 400_000))


def _output_days(secs: pl.Expr) -> pl.Expr:
    """Days of normal output from EPOCH to `secs` (seconds since EPOCH): whole days, then the shares of the
    day's hours gone by (PRODUCTION_HOURS)."""
    tod = secs % 86_400
    hour = tod // 3600
    before = hour.replace_strict(_HOURS, pl.Series(HOUR_BEFORE, dtype=pl.Float64), return_dtype=pl.Float64)
    share = hour.replace_strict(_HOURS, pl.Series(HOUR_SHARE, dtype=pl.Float64), return_dtype=pl.Float64)
    return (secs // 86_400).cast(pl.Float64) + before + share * (tod % 3600).cast(pl.Float64) / 3600.0


def _counter_values(counters: pl.DataFrame, ticks: pl.DataFrame,
                    output: Sequence[tuple[int, int, int, float]]) -> pl.DataFrame:
    """k, pid, cvi: each counter's reading (tonnes x 10) at each tick: its start value plus the normal output
    since COUNTER_ORIGIN up to the time the mine stopped producing, plus the extra of over_capacity incidents.
    A closed form of the data time: a reading does not depend on the simulated window."""
    secs = pl.col("secs")
    halt = pl.col("halt").fill_null(2**62)
    until = pl.min_horizontal(secs, halt)
    origin = _secs(COUNTER_ORIGIN)
    tonnes = pl.col("v0") + pl.col("per_day") * (
        _output_days(until) - _output_days(pl.lit(origin, pl.Int64))).clip(lower_bound=0.0)
    for mi, a, b, factor in output:
        upto = pl.max_horizontal(pl.lit(a, pl.Int64), pl.min_horizontal(until, pl.lit(b, pl.Int64)))
        extra = (factor - 1.0) * pl.col("per_day") * (_output_days(upto) - _output_days(pl.lit(a, pl.Int64)))
        tonnes = tonnes + pl.when((pl.col("mi") == mi) & (pl.lit(a, pl.Int64) < halt)).then(extra).otherwise(0.0)
    return (
        ticks.join(counters, how="cross")
        .select("k", "pid", cvi=(tonnes * 10).round(0).cast(pl.Int64))
    )


# --- incidents ------------------------------------------------------------------------------------


@dataclass
class _Event:
    mi: int
    point: _Point
    etype: str
    ticks: list[int]  # the samples of the event
    end_k: int  # the first sample back to normal
    cause: str
    measures: str


@dataclass
class _Plan:
    overrides: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)  # (pid, k) -> (vi, st)
    events: list[_Event] = field(default_factory=list)
    silences: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    output: list[tuple[int, int, int, float]] = field(default_factory=list)  # over_capacity: mi, from s, to s, factor
    vi: dict[tuple[int, int], int] = field(default_factory=dict)  # every value the plan decided


class _Sim:
    def __init__(
        self, mines: Sequence[MineSpec], start: datetime, end: datetime, period_s: int, seed: int,
        counters: Collection[str] = (),
    ) -> None:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("start and end are naive Beijing local times")
        if end <= start:
            raise ValueError("end must be after start")
        if period_s < 1:
            raise ValueError("period_s must be at least 1")
        if len({m.code for m in mines}) != len(mines):
            raise ValueError("mine codes must be unique")
        self.start, self.end, self.period, self.seed = start, end, period_s, seed
        self.mines = [_build_mine(m, i, seed, m.code in counters) for i, m in enumerate(mines)]
        self.by_code = {m.spec.code: m for m in self.mines}
        self.pts = _points_frame(self.mines)
        self.pid: dict[str, int] = {}
        counter_rows = []
        for m in self.mines:
            for p in m.points:
                self.pid[p.code] = len(self.pid)
                if p.role == COUNTER:
                    counter_rows.append(_counter_row(m, self.pid[p.code], seed))
        self.counters = pl.DataFrame(counter_rows, schema=COUNTER_SCHEMA, orient="row")
        self.n_ticks = math.ceil((end - start).total_seconds() / period_s)
        self.plan = _Plan()
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        self.definition_times = [start]
        while midnight < end:
            self.definition_times.append(midnight)
            midnight += timedelta(days=1)

    def t(self, k: int) -> datetime:
        return self.start + timedelta(seconds=k * self.period)

    def k_at(self, when: datetime) -> int:
        """The first tick at or after `when`."""
        return max(0, math.ceil((when - self.start).total_seconds() / self.period))

    def baseline(self, p: _Point, ks: Sequence[int]) -> dict[int, int]:
        ks = [k for k in ks if 0 <= k < self.n_ticks]
        if not ks:
            return {}
        pts = self.pts.filter(pl.col("pid") == self.pid[p.code])
        grid = _values(pts, _ticks([self.t(k) for k in ks], ks), self.seed)
        return dict(zip(grid["k"].to_list(), grid["vi"].to_list(), strict=True))

    def set(self, p: _Point, k: int, vi: int, st: int) -> None:
        if 0 <= k < self.n_ticks:
            self.plan.overrides[(self.pid[p.code], k)] = (vi, st)
            self.plan.vi[(self.pid[p.code], k)] = vi

    # Each incident kind --------------------------------------------------------------------------

    def add(self, no: int, inc: Incident) -> None:
        if inc.kind not in INCIDENT_KINDS:
            raise ValueError(f"unknown incident kind {inc.kind!r}; one of {', '.join(INCIDENT_KINDS)}")
        if inc.kind in PERSONNEL_INCIDENT_KINDS:  # simulate_personnel's
            return
        mine = self.by_code.get(inc.mine_code)
        if mine is None:
            raise ValueError(f"incident {no}: no simulated mine has code {inc.mine_code}")
        if inc.start.tzinfo is not None:
            raise ValueError(f"incident {no}: start is a naive Beijing local time")
        if inc.minutes <= 0:
            raise ValueError(f"incident {no}: minutes must be positive")
        stop = inc.start + timedelta(minutes=inc.minutes)
        if inc.kind == "silence":
            self.plan.silences.setdefault(mine.index, []).append((inc.start, stop))
            return
        if inc.kind == "over_capacity":
            factor = inc.peak if inc.peak is not None else 1.6
            if factor < 0:
                raise ValueError(f"incident {no}: over_capacity's peak is a factor of the normal output, not negative")
            self.plan.output.append((mine.index, _secs(inc.start), _secs(stop), factor))
            return
        rng = random.Random(f"{self.seed}:incident:{no}:{inc.mine_code}")
        p = self._point(mine, inc, rng)
        ks = list(range(self.k_at(inc.start), min(self.k_at(stop), self.n_ticks)))
        if not ks:
            return
        if inc.kind == "stuck":
            held = self.plan.vi.get((self.pid[p.code], ks[0]))
            vi = held if held is not None else self.baseline(p, ks[:1])[ks[0]]
            for k in ks:
                self.set(p, k, vi, 0)
        elif inc.kind == "calibration_abuse":
            self._calibration(mine, p, ks, rng)
        else:
            self._over_limit(mine, p, ks, inc, rng)

    def _point(self, mine: _Mine, inc: Incident, rng: random.Random) -> _Point:
        if inc.point is not None:
            if inc.point not in mine.by_code:
                raise ValueError(f"煤矿 {mine.spec.code} 没有测点 {inc.point}")
            p = mine.by_code[inc.point]
            if p.role not in ANALOG_ROLES:
                raise ValueError(f"测点 {inc.point} 不是模拟量测点")
            return p
        if inc.kind == "stuck":
            roles: tuple[str, ...] = ("co",)
            working = [p for p in mine.points if p.role == "co" and p.area_name.endswith("工作面")]
        else:
            roles = WORKING_METHANE
            working = [p for p in mine.points if p.role in WORKING_METHANE]
        candidates = working or [p for p in mine.points if p.role in roles]
        candidates = candidates or [p for p in mine.points if p.role in ANALOG_ROLES]
        return rng.choice(candidates)

    def _over_limit(self, mine: _Mine, p: _Point, ks: list[int], inc: Incident, rng: random.Random) -> None:
        ua, _, _, _, upo, upr = _thresholds(p)
        if ua is None:
            raise ValueError(f"测点 {p.code} 没有报警值，无法模拟超限")
        dec = SENSORS[p.sensor][2]
        scale = 10**dec
        peak = inc.peak if inc.peak is not None else (upo + rng.uniform(0.05, 0.6) if upo else ua * 1.5)
        peak = max(peak, ua)
        alarm_i, peak_i = round(ua * scale), round(peak * scale)
        clear_i = min(alarm_i, round(upr * scale) if upr is not None else alarm_i)
        n = len(ks)
        pre = list(range(ks[0] - max(1, round(180 / self.period)), ks[0]))
        post = list(range(ks[-1] + 1, ks[-1] + 1 + max(1, round(300 / self.period))))
        base = self.baseline(p, pre + post)
        trace: dict[int, int] = {}
        for j, k in enumerate(pre):
            if k in base:
                target = ua * 0.9 * scale
                v = base[k] + (target - base[k]) * (j + 1) / (len(pre) + 1)
                trace[k] = min(max(base[k], round(v)), alarm_i - 1)
        for i, k in enumerate(ks):
            f = (i + 0.5) / n
            shape = min(1.0, f / 0.25, (1 - f) / 0.25)
            v = ua + (peak - ua) * shape + rng.uniform(-0.03, 0.03) * (peak - ua)
            trace[k] = peak_i if i == n // 2 else min(peak_i, max(alarm_i, round(v * scale)))
        low = clear_i * 0.85
        for j, k in enumerate(post):
            if k in base:
                v = low + (base[k] - low) * j / len(post)
                trace[k] = min(round(v), clear_i - 1)
        # the system's power-off latch: cut at >= power-off, restored below restore
        cut = False
        status: dict[int, int] = {}
        cut_ks: list[int] = []
        for k in sorted(trace):
            vi = trace[k]
            if upo is not None and vi >= round(upo * scale):
                cut = True
            elif cut and vi < clear_i:
                cut = False
            status[k] = (1 if vi >= alarm_i else 0) | (2 if cut else 0)
            if cut:
                cut_ks.append(k)
            self.set(p, k, vi, status[k])
        if inc.kind != "feed_failure" and cut_ks:
            delay = rng.choice((0, 1)) if self.period <= 30 else 0
            switches = [mine.by_code[c] for c in mine.power.get(p.area, [])]
            for runs in _runs(cut_ks):
                for k in runs[delay:]:
                    for sw in switches:
                        self.set(sw, k, 0, 0)
        if inc.kind == "unreported_over_limit":
            return
        is_ch4 = p.sensor == "0001"
        gas = "甲烷" if is_ch4 else SENSORS[p.sensor][0]
        for run in _runs([k for k in ks if status.get(k, 0) & 1]):
            self.plan.events.append(
                _Event(
                    mine.index,
                    p,
                    "001",
                    run,
                    run[-1] + 1,
                    "回采期间瓦斯涌出异常" if is_ch4 else f"{gas}浓度异常升高",
                    "停止作业，撤出人员，加强通风，查明原因" if is_ch4 else "撤出人员，加强通风，查明原因",
                )
            )
        for run in _runs(cut_ks):
            self.plan.events.append(
                _Event(
                    mine.index,
                    p,
                    "002",
                    run,
                    run[-1] + 1,
                    f"{gas}超限断电",
                    "切断区域内全部非本质安全型电气设备电源，撤出人员，加强通风",
                )
            )

    def _calibration(self, mine: _Mine, p: _Point, ks: list[int], rng: random.Random) -> None:
        dec = SENSORS[p.sensor][2]
        scale = 10**dec
        gas = rng.uniform(1.5, 2.0) if p.sensor == "0001" else (SENSORS[p.sensor][4] or 10.0) * 0.4
        base = self.baseline(p, ks)
        ramp = max(1, round(120 / self.period))
        n = len(ks)
        for i, k in enumerate(ks):
            f = min(1.0, (i + 1) / ramp, (n - i) / ramp)
            v = base[k] / scale + (gas - base[k] / scale) * f + rng.uniform(-0.01, 0.01) * gas
            self.set(p, k, max(0, round(v * scale)), 4)
        self.plan.events.append(
            _Event(mine.index, p, "007", ks, ks[-1] + 1, "传感器调校", "调校结束，恢复正常监测")
        )


def _runs(ks: Iterable[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for k in sorted(ks):
        if out and k == out[-1][-1] + 1:
            out[-1].append(k)
        else:
            out.append([k])
    return out


# --- files -----------------------------------------------------------------------------------------


def _header(m: _Mine, upload: datetime) -> str:
    return f"{m.spec.code};{m.spec.name};{upload.strftime(TIME_FMT)}~{m.eol}"


def _name(m: _Mine, ftype: str, upload: datetime) -> str:
    return f"{m.spec.code}_{ftype}_{upload.strftime(NAME_FMT)}.txt"


def _cddy(m: _Mine, upload: datetime) -> str:
    model, sysname, maker = m.system
    parts = [
        f"{m.spec.code};{m.spec.name};{model};{sysname};{maker};{m.expiry};{upload.strftime(TIME_FMT)}~{m.eol}"
    ]
    defined = m.defined_at.strftime(TIME_FMT)
    for row in m.table.iter_rows(named=True):
        dec = row["decimals"]
        analog = row["value_type"] == "MN"
        nums = [
            _num(row[c], dec) if analog else ""
            for c in (
                "range_high",
                "range_low",
                "upper_alarm",
                "upper_alarm_clear",
                "lower_alarm",
                "lower_alarm_clear",
                "upper_power_off",
                "upper_power_restore",
                "lower_power_off",
                "lower_power_restore",
            )
        ]
        fields = [
            row["point_code"],
            "01",
            row["outstation_code"],
            row["sensor_type"],
            row["value_type"],
            row["unit"],
            *nums,
            "" if analog else row["on_text"],
            "" if analog else row["off_text"],
            row["location"],
            f"{row['x']:.2f}",
            f"{row['y']:.2f}",
            f"{row['z']:.2f}",
            row["relations"],
            defined,
        ]
        parts.append(";".join(fields) + "~" + m.eol)
    return "".join(parts) + "||"


def _fzdy(m: _Mine, upload: datetime, data: datetime) -> str:
    recs = [
        f"{c};{loc};{x:.2f};{y:.2f};{z:.2f};{data.strftime(TIME_FMT)}~{m.eol}"
        for c, loc, x, y, z in m.outstations
    ]
    return _header(m, upload) + "".join(recs) + "||"


def _fzss(m: _Mine, upload: datetime, data: datetime) -> str:
    ts = data.strftime(TIME_FMT)
    return _header(m, upload) + "".join(f"{c[0]};0;1;{ts}~{m.eol}" for c in m.outstations) + "||"


_File = tuple[datetime, int, int, str, bytes]  # upload, mine index, type order, name, bytes


class _Writer:
    """Turns the simulation into files, an hour of all mines at a time."""

    def __init__(self, sim: _Sim, types: Collection[str] = SAFETY_TYPES) -> None:
        self.sim, self.types = sim, set(types)
        ov = sim.plan.overrides
        self.overrides = pl.DataFrame(
            {
                "pid": [k[0] for k in ov],
                "k": [k[1] for k in ov],
                "ovi": [v[0] for v in ov.values()],
                "ost": [v[1] for v in ov.values()],
            },
            schema={"pid": pl.Int32, "k": pl.Int64, "ovi": pl.Int64, "ost": pl.Int32},
        )

    def silent(self, mi: int, upload: datetime) -> bool:
        return any(a <= upload < b for a, b in self.sim.plan.silences.get(mi, ()))

    def file(self, m: _Mine, ftype: str, upload: datetime, text: str) -> _File | None:
        if ftype not in self.types or self.silent(m.index, upload):
            return None
        return (upload, m.index, TYPE_ORDER[ftype], _name(m, ftype, upload), text.encode())

    def run(self) -> Iterator[tuple[str, bytes]]:
        sim = self.sim
        pending: list[_File] = [f for f in self.events() if f is not None]
        # about 120 ticks at a time (an hour at the usual 30 s; whole hours, so no TJSJ window is cut)
        hours = timedelta(hours=max(1, min(24, sim.period * 120 // 3600)))
        c0 = sim.start
        while c0 < sim.end:
            c1 = min(sim.end, c0.replace(minute=0, second=0, microsecond=0) + hours)
            pending.extend(f for f in self.chunk(c0, c1) if f is not None)
            pending.sort(key=lambda f: f[:4])
            cut = next((i for i, f in enumerate(pending) if f[0] >= c1), len(pending))
            for f in pending[:cut]:
                yield f[3], f[4]
            del pending[:cut]
            c0 = c1
        pending.sort(key=lambda f: f[:4])
        for f in pending:
            yield f[3], f[4]

    def chunk(self, c0: datetime, c1: datetime) -> Iterator[_File | None]:
        sim = self.sim
        # definitions at the start and at each midnight
        for d in sim.definition_times:
            if c0 <= d < c1:
                for m in sim.mines:
                    up = d + timedelta(seconds=1)
                    yield self.file(m, "CDDY", up, _cddy(m, up))
                    yield self.file(m, "FZDY", up, _fzdy(m, up, d))
        # outstation status every minute
        minute = c0.replace(second=0, microsecond=0)
        if minute < c0:
            minute += timedelta(minutes=1)
        while minute < c1 and "FZSS" in self.types:
            for m in sim.mines:
                up = minute + _delay(sim.seed, m.index, "FZSS", minute, 2, 9)
                yield self.file(m, "FZSS", up, _fzss(m, up, minute))
            minute += timedelta(minutes=1)
        # real-time values
        k0, k1 = sim.k_at(c0), min(sim.k_at(c1), sim.n_ticks)
        if k0 >= k1 or not self.types & {"CDSS", "TJSJ"}:
            return
        ks = list(range(k0, k1))
        times = [sim.t(k) for k in ks]
        ticks = _ticks(times, ks)
        grid = _values(sim.pts, ticks, sim.seed)
        if sim.counters.height:
            grid = grid.join(_counter_values(sim.counters, ticks, sim.plan.output), on=["k", "pid"], how="left",
                             maintain_order="left").with_columns(vi=pl.coalesce("cvi", "vi")).drop("cvi")
        ovr = self.overrides.filter(pl.col("k").is_between(k0, k1 - 1))
        if ovr.height:
            grid = grid.join(ovr, on=["pid", "k"], how="left", maintain_order="left").with_columns(
                vi=pl.coalesce("ovi", "vi"), st=pl.coalesce("ost", "st")
            )
        grid = grid.with_columns(vs=_fmt_expr(pl.col("vi"), pl.col("dec"), pl.col("scale")))
        rec = pl.concat_str(
            [
                pl.col("pre"),
                pl.col("vs"),
                pl.col("mid"),
                pl.col("st").cast(pl.String),
                pl.lit(";"),
                pl.col("ts"),
                pl.col("end"),
            ]
        )
        bodies = (
            grid.select("k", "mi", rec=rec)
            .group_by("k", "mi", maintain_order=True)
            .agg(pl.col("rec").str.join(""))
        )
        hi = max(2, min(9, self.sim.period - 1))
        for k, mi, body in bodies.iter_rows():
            m = sim.mines[mi]
            t = times[k - k0]
            up = t + _delay(sim.seed, mi, "CDSS", t, 2, hi)
            if "CDSS" in self.types and not self.silent(mi, up):
                yield (
                    up,
                    mi,
                    TYPE_ORDER["CDSS"],
                    _name(m, "CDSS", up),
                    (_header(m, up) + body + "||").encode(),
                )
        if "TJSJ" in self.types:
            yield from self.statistics(grid, c1)

    def statistics(self, grid: pl.DataFrame, c1: datetime) -> Iterator[_File | None]:
        sim = self.sim
        an = grid.filter(pl.col("analog")).with_columns(w=pl.col("secs") // STAT_SECONDS)
        ws = sorted(set(an["w"].unique().to_list()))
        windows = []
        for w in ws:
            w_start = EPOCH + timedelta(seconds=w * STAT_SECONDS)
            w_end = w_start + timedelta(seconds=STAT_SECONDS)
            if w_end <= sim.end:
                windows.append(
                    (w, max(w_start, sim.start).strftime(TIME_FMT), w_end.strftime(TIME_FMT), w_end)
                )
        if not windows:
            return
        wf = pl.DataFrame(
            {"w": [w[0] for w in windows], "ws": [w[1] for w in windows], "we": [w[2] for w in windows]},
            schema={"w": pl.Int64, "ws": pl.String, "we": pl.String},
        )
        stats = (
            an.join(wf, on="w", how="inner", maintain_order="left")
            .group_by("w", "mi", "pid", maintain_order=True)
            .agg(
                pl.first("tjpre", "end", "dec", "scale", "ws", "we"),
                mx=pl.col("vi").max(),
                mn=pl.col("vi").min(),
                tmax=pl.col("ts").get(pl.col("vi").arg_max()),
                tmin=pl.col("ts").get(pl.col("vi").arg_min()),
                avi=(pl.col("vi").sum() * 10 / pl.len()).round(0).cast(pl.Int64),
            )
        )
        dec, scale = pl.col("dec"), pl.col("scale")
        rec = pl.concat_str(
            [
                pl.col("tjpre"),
                pl.col("ws"),
                pl.lit(";"),
                pl.col("we"),
                pl.lit(";"),
                _fmt_expr(pl.col("mx"), dec, scale),
                pl.lit(";"),
                pl.col("tmax"),
                pl.lit(";"),
                _fmt_expr(pl.col("mn"), dec, scale),
                pl.lit(";"),
                pl.col("tmin"),
                pl.lit(";"),
                _fmt_expr(pl.col("avi"), dec + 1, scale * 10),
                pl.lit(";"),
                pl.col("we"),
                pl.col("end"),
            ]
        )
        files = (
            stats.select("w", "mi", rec=rec)
            .group_by("w", "mi", maintain_order=True)
            .agg(pl.col("rec").str.join(""))
        )
        ends = {w[0]: w[3] for w in windows}
        for w, mi, body in files.iter_rows():
            m = sim.mines[mi]
            up = ends[w] + _delay(sim.seed, mi, "TJSJ", ends[w], 3, 12)
            yield self.file(m, "TJSJ", up, _header(m, up) + body + "||")

    def events(self) -> Iterator[_File | None]:
        sim = self.sim
        if "YCBJ" not in self.types:
            return
        messages: dict[tuple[int, datetime], list[str]] = {}
        for ev in sim.plan.events:
            m = sim.mines[ev.mi]
            pid = sim.pid[ev.point.code]
            samples = [(sim.t(k), sim.plan.vi[(pid, k)]) for k in ev.ticks]
            t_start = samples[0][0]
            who = DISPATCHERS[_mix(sim.seed, ev.mi, ev.ticks[0]) % len(DISPATCHERS)]
            messages.setdefault((ev.mi, t_start), []).append(
                _event_record(m, ev, samples[:1], None, t_start, who)
            )
            if ev.end_k < sim.n_ticks:
                t_end = sim.t(ev.end_k)
                messages.setdefault((ev.mi, t_end), []).append(
                    _event_record(m, ev, samples, t_end, t_end, who)
                )
        for (mi, data), recs in messages.items():
            m = sim.mines[mi]
            up = data + _delay(sim.seed, mi, "YCBJ", data, 1, 5)
            yield self.file(m, "YCBJ", up, _header(m, up) + "".join(recs) + "||")


def _event_record(
    m: _Mine, ev: _Event, samples: list[tuple[datetime, int]], end: datetime | None, data: datetime, who: str
) -> str:
    """One YCBJ record: open (`end` None: no end, cause, measures) or closed."""
    p = ev.point
    name, unit, dec, *_ = SENSORS[p.sensor]
    mx = max(samples, key=lambda s: s[1])
    mn = min(samples, key=lambda s: s[1])
    avg = round(sum(s[1] for s in samples) * 10 / len(samples))
    closed = end is not None
    fields = [
        p.code,
        name,
        p.location,
        unit,
        ev.etype,
        samples[0][0].strftime(TIME_FMT),
        end.strftime(TIME_FMT) if end else "",
        _fmt(mx[1], dec),
        mx[0].strftime(TIME_FMT),
        _fmt(mn[1], dec),
        mn[0].strftime(TIME_FMT),
        _fmt(avg, dec + 1),
        ev.cause if closed else "",
        ev.measures if closed else "",
        end.strftime(TIME_FMT) if end else "",
        who if closed else "",
        data.strftime(TIME_FMT),
    ]
    return ";".join(fields) + "~" + m.eol


def simulate(
    mines: Sequence[MineSpec],
    start: datetime,
    end: datetime,
    *,
    period_s: int = 30,
    incidents: Sequence[Incident] = (),
    seed: int = 1,
    types: Collection[str] = SAFETY_TYPES,
) -> Iterator[tuple[str, bytes]]:
    """Yield (file name, file bytes) of every file of the `types` asked for that the mines upload in [start,
    end), in the order of the headers' upload times (ties: mine, then CDDY, FZDY, CDSS, FZSS, TJSJ, YCBJ).
    Incidents of the personnel kinds are left to `simulate_personnel`."""
    unknown = set(types) - set(SAFETY_TYPES)
    if unknown:
        raise ValueError(f"unknown file types {sorted(unknown)}; one of {', '.join(SAFETY_TYPES)}")
    incidents = _daily(incidents)
    counters = {inc.mine_code for inc in incidents if inc.kind == "over_capacity"}
    sim = _Sim(mines, start, end, period_s, seed, counters)  # checks the arguments now, not at the first file
    for no, inc in enumerate(incidents):
        sim.add(no, inc)
    return _Writer(sim, types).run()


def _daily(incidents: Sequence[Incident]) -> list[Incident]:
    """Each incident once per day of its `days`."""
    out = []
    for inc in incidents:
        if inc.days < 1:
            raise ValueError(f"incident {inc.kind} at {inc.mine_code}: days must be at least 1")
        out += [replace(inc, start=inc.start + timedelta(days=d), days=1) for d in range(inc.days)]
    return out


# --- personnel positioning, power and seals ----------------------------------------------------------------
#
# simulate_personnel writes, per mine: RYXX (the roster), RYQY (positioning areas: the shaft top, the pit
# bottom, one per working face named after it, roadways and chambers, a connecting roadway, a restricted
# area) and RYJZ (a base station per area) at the start and daily at 00:00; RYSS every 5 minutes; JZSS each
# minute; kuangan's YDSJ power CSV every 15 minutes and DZFT seal CSV (a daily self-check, and sightings).
#
# People: three teams work 三八制 (shifts at 00:00, 08:00, 16:00), one team per shift: they go down from 20
# minutes before the shift's start to 10 minutes after it, walk 8-28 minutes to their workplace (a face crew:
# 14 at a longwall, 9 at a heading; the others ten to a roadway or chamber; never before the shift's start),
# leave it as long before coming up (never after the next shift's start), wait at the pit bottom meanwhile,
# and come up from 20 minutes before the next shift's start to 20 minutes after it. One leader of the
# roster goes down with every shift (in turn) and stays with it at the first working face. A snapshot lists
# everyone underground (flag 1) and, once, those who came up since the previous one (flag 2). A mine whose
# status is suspended (from `status_since`) sends nobody down, its snapshots are empty, its power is a tenth
# of a producing day's (fans and pumps). Every jitter is a hash of (seed, card or meter, time).

PERSONNEL_TYPES = ("RYXX", "RYQY", "RYJZ", "RYSS", "JZSS", "YDSJ", "DZFT")
SHIFT = timedelta(hours=8)
SHIFT_SYSTEM = "三八制"
SNAPSHOT = timedelta(minutes=5)  # RYSS
SLOT = timedelta(minutes=15)  # YDSJ
NORMAL_STATE, SOS_STATE = "正常", "求救"
SHAFT_TOP, KEY_AREA, RESTRICTED_AREA, OTHER_AREA = "井口区域", "重点区域", "限制区域", "其它区域"
LONGWALL_CREW, HEADING_CREW, ROADWAY_CREW = 14, 9, 10
FACE_HEADCOUNT = {"longwall": 20, "heading": 12}  # RYQY approved headcount of a face area
KWH_PER_TONNE = 18.0  # a producing day's power: capacity x 10,000 t / WORKING_DAYS x this
# meter → (name, share of a producing day, share of it following production, share while suspended)
METERS = (("主通风机", 0.25, 0.0, 0.30), ("井下生产系统", 0.55, 1.0, 0.02), ("地面生产系统", 0.20, 0.5, 0.05))
SEAL_PLACES = ("主斜井井口", "副立井井口", "回风立井井口", "措施井井口")
YDSJ_HEADER = "电表编码,开始时间,结束时间,用电量(kWh)"
DZFT_HEADER = "封条编码,位置,事件,时间,人数,车辆数"

# The personnel incidents: what each does (subject `point`, size `peak`; a default when None), and what the
# platform sees. `days` repeats one on consecutive days.
PERSONNEL_INCIDENTS = {
    "mine_overcrowded": "people not on shift are in the roadways from start for `minutes`, so that `peak` "
                        "(default: limit + 10) are underground (put it in a shift's first half: see _PSim._crowd)",
    "face_overcrowded": "people of the shift move from the roadways, then people not on shift go down, into the face "
                        "area `point` (default: the first working face) until `peak` (default: its RYQY headcount "
                        "+ 3) are in it",
    "shift_change_overcrowded": "`peak` (default 5) of the outgoing shift, the last to have gone down, wait at the "
                                "pit bottom and come up `minutes` after the incoming shift's first person went down "
                                "(the shift whose start is nearest to start)",
    "no_leader_on_shift": "no leader goes down on the shift in force at start (the previous one is up before it)",
    "overtime_underground": "card `point` (default: a worker of the shift nearest to start) goes down at start "
                            "and stays `minutes` underground",
    "sos": "card `point` (default: someone underground all the window) sends 求救 from start for `minutes`",
    "restricted_area_entry": "card `point` (default as for sos) is in the 限制区域 from start for `minutes`",
    "suspended_mine_activity": "`peak` people (default 14) go down into area `point` (default: the face area of "
                               "the largest headcount) from start for `minutes`",
    "uncertified_special_operator": "special operator `point` (default: the first of the shift nearest to start) "
                                    "goes down at start for `minutes` (leave his certificate off the facts)",
    "hidden_working_face": "`peak` people (default 4) underground work in area `point` (default: the connecting "
                           "roadway, which the registry should leave undeclared) from start for `minutes`",
    "power_use_while_suspended": "the meters draw `peak` (default 0.9) times a producing mine's power",
    "seal_activity_while_suspended": "seal `point` (default: the first) sees `peak` people (default 3) and a "
                                     "vehicle, in turn, every 10 minutes",
}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = ("建国", "志强", "海军", "卫东", "晓明", "国华", "文斌", "永刚", "红伟", "振华", "俊峰", "利民", "忠义", "宏亮",
         "建平", "勇", "涛", "磊", "鹏", "军", "斌", "浩", "杰", "亮", "强", "晋生", "二虎", "保平", "云龙", "富贵")
EDUCATION = ("初中", "高中", "中专", "大专", "本科")
LEADER_POSTS = ("矿长", "总工程师", "安全副矿长", "生产副矿长", "机电副矿长")
TRADES = {
    "longwall": ("采煤机司机", "支架工", "支架工", "输送机司机", "采煤工", "电工", "瓦斯检查工", "采煤工", "支架工",
                 "采煤工", "转载机司机", "采煤工", "支架工", "采煤工"),
    "heading": ("掘进机司机", "掘进工", "支护工", "电工", "掘进工", "瓦斯检查工", "掘进工", "支护工", "掘进工"),
    "roadway": ("运输工", "信号工", "安全检查工", "水泵工", "通风工", "电工", "运输工", "维修工", "瓦斯检查工", "运输工"),
}
# trades that need a special-operation certificate → workforce OperationType value
OPERATION_OF_TRADE = {"采煤机司机": "shearer_operation", "掘进机司机": "shearer_operation",
                      "电工": "underground_electrical", "瓦斯检查工": "gas_inspection"}
PSYSTEMS = (("KJ69J", "KJ69J煤矿井下人员定位系统", "天地（常州）自动化股份有限公司"),
            ("KJ236(A)", "KJ236(A)煤矿人员管理系统", "中煤科工集团重庆研究院有限公司"),
            ("KJ251A", "KJ251A煤矿人员定位系统", "煤炭科学技术研究院有限公司"))

T = pl.Datetime("us")
STINT_SCHEMA: dict[str, Any] = {"mi": pl.Int32, "card": pl.String, "shift": T, "down": T, "up": T, "entered": T,
                                "leave": T, "area": pl.String, "station": pl.String, "leader": pl.Boolean}
DETOUR_SCHEMA: dict[str, Any] = {"mi": pl.Int32, "card": pl.String, "d_from": T, "d_to": T, "d_area": pl.String,
                                 "d_station": pl.String, "d_state": pl.String}


@dataclass(frozen=True)
class _PArea:
    code: str
    area_type: str  # RYQY type
    headcount: int | None
    name: str
    use: str  # shaft_top | face | roadway | chamber | hidden | restricted
    station: str
    face: Face | None = None


@dataclass(frozen=True)
class _Person:
    card: str
    name: str
    trade: str
    post: str
    team: str
    birth: str
    education: str
    leader: bool
    special: bool
    shift: int | None  # 0, 1, 2: the team's shift (00, 08, 16 h); None: a spare or a leader
    area: _PArea


@dataclass
class _PMine:
    spec: MineSpec
    index: int
    eol: str
    limit: int
    halt: datetime | None
    system: tuple[str, str, str]
    areas: list[_PArea]
    people: list[_Person]
    seals: list[tuple[str, str]]
    meters: list[tuple[str, str, float, float, float]]
    xyz: dict[str, tuple[float, float, float]]

    def area(self, use: str) -> _PArea:
        return next(a for a in self.areas if a.use == use)

    @property
    def faces(self) -> list[_PArea]:
        return [a for a in self.areas if a.use == "face"]


def _face_names(spec: MineSpec) -> tuple[Face, ...]:
    if spec.faces:
        return spec.faces
    n = 1 + _crc(spec.code) % 3
    return (Face(f"{n}101综采工作面"), Face(f"{n}102回风顺槽掘进工作面", "heading"),
            Face(f"{n}103运输顺槽掘进工作面", "heading"))


def _build_pmine(spec: MineSpec, index: int, seed: int) -> _PMine:
    if spec.crew < 1:
        raise ValueError(f"煤矿 {spec.code} 每班至少 1 人")
    rng = random.Random(f"{seed}:{spec.code}:people")
    code = spec.code
    station = f"{code}%s000001"
    panel = PANELS[_crc(code) % len(PANELS)]
    areas = [_PArea(f"{code}0001", SHAFT_TOP, None, "主井井口", "shaft_top", station % "0001"),
             _PArea(f"{code}0002", OTHER_AREA, None, "副井井底车场", "pit_bottom", station % "0002")]
    faces = _face_names(spec)
    for j, f in enumerate(faces, 1):
        areas.append(_PArea(f"{code}01{j:02d}", KEY_AREA, FACE_HEADCOUNT.get(f.kind, 12), f.name, "face",
                            station % f"01{j:02d}", f))
    # the face crews first (working faces only), the rest of a shift in roadways and chambers
    slots: list[tuple[int, str]] = []  # (area index, trade kind) per position of a team
    for i, a in enumerate(areas):
        if a.face is not None and a.face.working:
            size = LONGWALL_CREW if a.face.kind == "longwall" else HEADING_CREW
            slots += [(i, a.face.kind)] * max(0, min(size, spec.crew - len(slots) - 1))
    rest = spec.crew - len(slots)
    roads = ("主运输大巷", "轨道大巷", "回风大巷", "中央变电所", "中央水泵房", f"{panel}运输巷", f"{panel}轨道巷",
             f"{panel}回风巷", "井下消防材料库", f"{panel}变电所")
    for j in range(max(5, math.ceil(rest / ROADWAY_CREW))):
        road = roads[j % len(roads)] + (str(j // len(roads) + 1) if j >= len(roads) else "")
        use = "chamber" if road.startswith(("中央", "井下消防")) or "变电所" in road else "roadway"
        areas.append(_PArea(f"{code}02{j + 1:02d}", OTHER_AREA, None, road, use, station % f"02{j + 1:02d}"))
    roadway_idx = [i for i, a in enumerate(areas) if a.use in ("roadway", "chamber")]
    slots += [(roadway_idx[j % len(roadway_idx)], "roadway") for j in range(rest)]
    areas.append(_PArea(f"{code}0301", OTHER_AREA, None, f"{_crc(code) % 8 + 1}号联络巷", "hidden", station % "0301"))
    # no approved headcount: the area type says nobody may enter (a 0 would make every entry an overcrowding too)
    areas.append(_PArea(f"{code}0901", RESTRICTED_AREA, None, f"{panel}采空区密闭", "restricted", station % "0901"))

    def person_name() -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN)

    def born() -> str:
        return f"{rng.randrange(1966, 2001)}-{rng.randrange(1, 13):02d}"

    first_face = next((a for a in areas if a.face is not None and a.face.working), areas[1])
    leaders = list(spec.leaders) or [(f"{code}9{i:04d}", person_name()) for i in range(1, len(LEADER_POSTS) + 1)]
    taken = {c for c, _ in leaders}
    people = [_Person(c, nm, "", LEADER_POSTS[i] if not spec.leaders and i < len(LEADER_POSTS) else "矿领导", "矿领导",
                      born(), rng.choice(EDUCATION[3:]), True, False, None, first_face)
              for i, (c, nm) in enumerate(leaders)]
    spares = max(5, spec.crew // 5)
    number = 0
    for k in (*range(3), None):
        for j in range(spec.crew if k is not None else spares):
            number += 1
            while f"{code}{number:05d}" in taken:
                number += 1
            a_idx, kind = slots[j] if k is not None else (roadway_idx[j % len(roadway_idx)], "roadway")
            trades = TRADES[kind]
            trade = trades[(j if k is not None else j + 3) % len(trades)]
            lead = j == 0 or slots[j - 1][0] != a_idx if k is not None else False
            team = f"{areas[a_idx].name[:8]}{'甲乙丙'[k]}班" if k is not None else "机动班"
            people.append(_Person(f"{code}{number:05d}", person_name(), trade, "班长" if lead else "", team, born(),
                                  rng.choice(EDUCATION), False, trade in OPERATION_OF_TRADE, k, areas[a_idx]))
    cards = [p.card for p in people]
    if len(set(cards)) != len(cards):
        raise ValueError(f"煤矿 {code} 的人员卡编码重复")
    x0, y0 = rng.uniform(4_050_000, 4_350_000), rng.uniform(37_400_000, 37_600_000)
    level = rng.randrange(650, 1200, 50)
    xyz = {a.station: (round(x0 + rng.uniform(-3000, 3000), 2), round(y0 + rng.uniform(-3000, 3000), 2),
                       float(level + 300 if a.use == "shaft_top" else level + rng.randrange(-60, 40)))
           for a in areas}
    seals = [(f"{code}S{i + 1:02d}", SEAL_PLACES[i % len(SEAL_PLACES)]) for i in range(spec.seals)]
    per_day = spec.capacity * 10_000 / WORKING_DAYS * KWH_PER_TONNE
    meters = [(f"{code}M{i + 1:02d}", nm, per_day * share, follow, idle)
              for i, (nm, share, follow, idle) in enumerate(METERS)]
    return _PMine(spec=spec, index=index, eol="\r\n" if _crc(code) % 2 else "", limit=spec.limit or 2 * spec.crew,
                  halt=_halt(spec), system=PSYSTEMS[_crc(code) // 7 % len(PSYSTEMS)], areas=areas, people=people,
                  seals=seals, meters=meters, xyz=xyz)


def roster(mine: MineSpec, seed: int = 1) -> pl.DataFrame:
    """The people `simulate_personnel` writes in RYXX for `mine`: card, name, trade, post, team, leader, special
    (the file's flags), operation (the certificate a special operator needs, a workforce OperationType
    value), shift (0, 1, 2: the team's 00/08/16 h shift; null: a leader or a spare) and area (the workplace)."""
    m = _build_pmine(mine, 0, seed)
    return pl.DataFrame(
        [(p.card, p.name, p.trade, p.post, p.team, p.leader, p.special, OPERATION_OF_TRADE.get(p.trade), p.shift,
          p.area.code) for p in m.people],
        schema={"card": pl.String, "name": pl.String, "trade": pl.String, "post": pl.String, "team": pl.String,
                "leader": pl.Boolean, "special": pl.Boolean, "operation": pl.String, "shift": pl.Int8,
                "area": pl.String},
        orient="row",
    )


def positioning_areas(mine: MineSpec, seed: int = 1) -> pl.DataFrame:
    """The areas `simulate_personnel` writes in RYQY for `mine`: area_code, area_type, headcount, name, use
    (shaft_top, pit_bottom, face, roadway, chamber, hidden: the connecting roadway hidden_working_face uses,
    restricted), face (the face's name for a face area) and station (its base station)."""
    m = _build_pmine(mine, 0, seed)
    return pl.DataFrame(
        [(a.code, a.area_type, a.headcount, a.name, a.use, a.face.name if a.face else None, a.station)
         for a in m.areas],
        schema={"area_code": pl.String, "area_type": pl.String, "headcount": pl.Int32, "name": pl.String,
                "use": pl.String, "face": pl.String, "station": pl.String},
        orient="row",
    )


def _u(key: pl.Expr, seed: int) -> pl.Expr:
    """A uniform number in [0, 1) from a hash of an integer key."""
    return (key.hash(seed=seed % (1 << 63)) % (1 << 24)).cast(pl.Float64) / float(1 << 24)


def _after(t: pl.Expr, seconds: pl.Expr | float) -> pl.Expr:
    s = seconds if isinstance(seconds, pl.Expr) else pl.lit(seconds)
    return t + pl.duration(seconds=s.round(0).cast(pl.Int64))


class _PSim:
    """The plan of the personnel, power and seal feeds: who is underground when and where (stints, detours),
    the power incidents and the seals' sightings."""

    def __init__(self, mines: Sequence[MineSpec], start: datetime, end: datetime, seed: int,
                 origin: datetime | None = None) -> None:
        """`origin`: the start of the whole simulation when this plan is one window of it (YDSJ's first quarter)."""
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("start and end are naive Beijing local times")
        if end <= start:
            raise ValueError("end must be after start")
        if len({m.code for m in mines}) != len(mines):
            raise ValueError("mine codes must be unique")
        self.start, self.end, self.seed, self.origin = start, end, seed, origin or start
        self.mines = [_build_pmine(m, i, seed) for i, m in enumerate(mines)]
        self.by_code = {m.spec.code: m for m in self.mines}
        self.people = pl.DataFrame(
            [(m.index, p.card, p.name, p.leader, p.special, p.shift, p.area.code, p.area.station, _crc(p.card))
             for m in self.mines for p in m.people],
            schema={"mi": pl.Int32, "card": pl.String, "name": pl.String, "leader": pl.Boolean, "special": pl.Boolean,
                    "team": pl.Int32, "area": pl.String, "station": pl.String, "uid": pl.UInt64},
            orient="row",
        )
        self.stints = self._normal_stints()
        self.detours = pl.DataFrame(schema=DETOUR_SCHEMA)
        self.power: list[tuple[int, datetime, datetime, float]] = []  # mi, from, to, share of a producing mine's
        self.sightings: list[tuple[int, str, str, str, datetime, int, int]] = []  # mi, seal, place, event, t, ppl, veh
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        self.definition_times = [start]
        while midnight < end:
            self.definition_times.append(midnight)
            midnight += timedelta(days=1)

    # --- the normal shifts ------------------------------------------------------------------------------

    def _instances(self) -> pl.DataFrame:
        """(mi, k, shift, day_no) of every shift from a day before the start to the one after the end (its people
        go down before it starts) at a mine that may produce then."""
        rows = []
        first = self.start.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        for m in self.mines:
            day = first
            while day < self.end + SHIFT:
                for k in range(3):
                    s = day + k * SHIFT
                    if s < self.end + SHIFT and (m.halt is None or s < m.halt):  # the next goes down early
                        rows.append((m.index, k, s, (day - EPOCH).days))
                day += timedelta(days=1)
        return pl.DataFrame(rows, schema={"mi": pl.Int32, "k": pl.Int32, "shift": T, "day_no": pl.Int64},
                            orient="row")

    def _normal_stints(self) -> pl.DataFrame:
        inst = self._instances()
        key = pl.col("uid").cast(pl.UInt64) * (1 << 32) + (pl.col("shift") - pl.lit(EPOCH)).dt.total_seconds().cast(
            pl.UInt64)
        seed = self.seed
        workers = (
            self.people.lazy().filter(pl.col("team").is_not_null())
            .join(inst.lazy(), left_on=["mi", "team"], right_on=["mi", "k"])
            .with_columns(u1=_u(key, seed + 1), u2=_u(key, seed + 2), u3=_u(key, seed + 3))
            .with_columns(down=_after(pl.col("shift"), -1200 + 1800 * pl.col("u1")),
                          up=_after(pl.col("shift"), SHIFT.total_seconds() - 1200 + 2400 * pl.col("u2")),
                          walk=480 + 1200 * pl.col("u3"))
        )
        # one leader per shift, in turn: the n-th shift since EPOCH takes the (n mod leaders)-th leader
        leaders = self.people.lazy().filter(pl.col("leader")).with_columns(
            li=pl.int_range(pl.len()).over("mi"), nl=pl.len().over("mi"))
        turns = (
            inst.lazy().join(leaders.group_by("mi").agg(pl.col("nl").first()), on="mi")
            .with_columns(li=((pl.col("day_no") * 3 + pl.col("k")) % pl.col("nl")).cast(pl.UInt32))
            .join(leaders.drop("nl").with_columns(pl.col("li").cast(pl.UInt32)), on=["mi", "li"])
            .with_columns(u1=_u(key, seed + 4), u2=_u(key, seed + 5), u3=_u(key, seed + 6))
            .with_columns(down=_after(pl.col("shift"), -600 + 1200 * pl.col("u1")),
                          up=_after(pl.col("shift"), SHIFT.total_seconds() - 1500 + 1800 * pl.col("u2")),
                          walk=600 + 900 * pl.col("u3"))
        )
        # a workplace changes hands between the shifts (the incoming arrive after the shift's start, the outgoing
        # leave before the next one's): a face never holds two crews at once
        cols = [pl.col("mi"), pl.col("card"), pl.col("shift"), pl.col("down"), pl.col("up"),
                pl.max_horizontal(_after(pl.col("down"), pl.col("walk")), _after(pl.col("shift"), 120)).alias("entered"),
                pl.min_horizontal(_after(pl.col("up"), -pl.col("walk")),
                                  _after(pl.col("shift"), SHIFT.total_seconds() - 120)).alias("leave"),
                pl.col("area"), pl.col("station"), pl.col("leader")]
        return pl.concat([workers.select(cols), turns.select(cols)]).sort("mi", "down", "card").collect()

    # --- incidents ----------------------------------------------------------------------------------------

    def add(self, no: int, inc: Incident) -> None:
        if inc.kind not in INCIDENT_KINDS:
            raise ValueError(f"unknown incident kind {inc.kind!r}; one of {', '.join(INCIDENT_KINDS)}")
        if inc.kind not in PERSONNEL_INCIDENT_KINDS:  # simulate's
            return
        m = self.by_code.get(inc.mine_code)
        if m is None:
            raise ValueError(f"incident {no}: no simulated mine has code {inc.mine_code}")
        if inc.start.tzinfo is not None:
            raise ValueError(f"incident {no}: start is a naive Beijing local time")
        if inc.minutes <= 0:
            raise ValueError(f"incident {no}: minutes must be positive")
        s, e = inc.start, inc.start + timedelta(minutes=inc.minutes)
        if inc.point is not None:  # a subject the mine does not have is refused whenever the incident is
            kind_of = {"seal_activity_while_suspended": "seal", "face_overcrowded": "area", "hidden_working_face": "area",
                       "suspended_mine_activity": "area"}.get(inc.kind, "card")
            known = {"seal": {c for c, _ in m.seals}, "area": {a.code for a in m.areas},
                     "card": {p.card for p in m.people}}[kind_of]
            if inc.point not in known:
                what = {"seal": "电子封条", "area": "定位区域", "card": "人员名册中的人员卡"}[kind_of]
                raise ValueError(f"煤矿 {m.spec.code} 没有{what} {inc.point}")
        if e <= self.start - timedelta(days=1) or s >= self.end:
            return  # another window's (simulate_personnel cuts long spans into days)
        getattr(self, f"_{inc.kind}")(m, s, e, inc)

    def _card(self, m: _PMine, inc: Incident, default: str | None) -> str:
        if inc.point is not None:
            if inc.point not in {p.card for p in m.people}:
                raise ValueError(f"煤矿 {m.spec.code} 的人员名册中没有人员卡 {inc.point}")
            return inc.point
        if default is None:
            raise ValueError(f"煤矿 {m.spec.code} 在 {inc.start} 没有可用的人员（{inc.kind}）")
        return default

    def _area(self, m: _PMine, inc: Incident, default: _PArea) -> _PArea:
        if inc.point is None:
            return default
        found = next((a for a in m.areas if a.code == inc.point), None)
        if found is None:
            raise ValueError(f"煤矿 {m.spec.code} 没有定位区域 {inc.point}")
        return found

    def _mine_stints(self, m: _PMine) -> pl.DataFrame:
        return self.stints.filter(pl.col("mi") == m.index)

    def _covering(self, m: _PMine, s: datetime, e: datetime) -> pl.DataFrame:
        """Workers (not leaders) of the mine underground from s to e, the face crews first."""
        faces = [a.code for a in m.faces]
        return (self._mine_stints(m).filter((pl.col("down") <= s) & (pl.col("up") > e) & ~pl.col("leader"))
                .sort(pl.col("area").is_in(faces).not_(), "card"))

    def _nearest_team(self, m: _PMine, s: datetime) -> int:
        day = s.replace(hour=0, minute=0, second=0, microsecond=0)
        return round((s - day) / SHIFT) % 3

    def _free(self, m: _PMine, lo: datetime, hi: datetime) -> list[str]:
        """Workers of the mine with no stint overlapping [lo, hi): spares first, special operators last (an
        incident of their own stays theirs), then by card."""
        busy = set(self._mine_stints(m).filter((pl.col("down") < hi) & (pl.col("up") > lo))["card"].to_list())
        free = [p for p in m.people if not p.leader and p.card not in busy]
        return [p.card for p in sorted(free, key=lambda p: (p.shift is not None, p.special, p.card))]

    def _replace(self, m: _PMine, cards: Sequence[str], lo: datetime, hi: datetime) -> None:
        """Take the cards' stints overlapping [lo, hi) out of the plan."""
        overlap = (pl.col("mi") == m.index) & pl.col("card").is_in(list(cards)) & (pl.col("down") < hi) & (
            pl.col("up") > lo)
        self.stints = self.stints.filter(~overlap)

    def _send(self, m: _PMine, cards: Sequence[str], s: datetime, e: datetime,
              areas: Sequence[_PArea] | None = None) -> None:
        """The cards are in their area (or `areas` in turn) from a minute before s to a minute before e: they go
        down two minutes before s, walk for one, and come up at e (with s and e on the 5-minute grid of the
        snapshots, no snapshot sees them on the way: the incident's signal is clean)."""
        if not cards:
            return
        own = {p.card: p.area for p in m.people}
        rows = []
        minute = timedelta(minutes=1)
        for i, card in enumerate(cards):
            area = areas[i % len(areas)] if areas else own[card]
            rows.append((m.index, card, None, s - 2 * minute, e, s - minute, e - minute, area.code, area.station,
                         False))
        self._replace(m, cards, s - timedelta(minutes=30), e + timedelta(minutes=30))
        self.stints = pl.concat([self.stints, pl.DataFrame(rows, schema=STINT_SCHEMA, orient="row")])

    def _detour(self, m: _PMine, cards: Sequence[str], s: datetime, e: datetime, area: _PArea | None,
                state: str | None) -> None:
        rows = [(m.index, c, s, e, area.code if area else None, area.station if area else None, state) for c in cards]
        self.detours = pl.concat([self.detours, pl.DataFrame(rows, schema=DETOUR_SCHEMA, orient="row")])

    def _count(self, m: _PMine, t: datetime, area: str | None = None) -> int:
        st = self._mine_stints(m).filter((pl.col("down") <= t) & (pl.col("up") > t))
        if area is not None:
            st = st.filter((pl.col("area") == area) & (pl.col("entered") <= t) & (pl.col("leave") > t))
        return st.height

    def _crowd(self, m: _PMine, s: datetime, e: datetime, target: int, area: _PArea | None) -> None:
        """`target` people underground (area None) or in `area`: into an area first those already underground
        in the roadways and chambers all the window (they belong to the shift), then people sent down. The
        rules take whoever goes down more than 4 h into a shift for the next shift's (its start is nearer):
        people sent down then make a shift change, so a crowd incident belongs in a shift's first half."""
        mid = s + min(e - s, timedelta(minutes=20))
        extra = max(1, target - self._count(m, mid, area.code if area else None))
        if area is not None:
            roads = [a.code for a in m.areas if a.use in ("roadway", "chamber") and a.code != area.code]
            moved = (self._covering(m, s, e).filter(pl.col("area").is_in(roads))
                     .join(self.detours.filter(pl.col("mi") == m.index).select("card"), on="card", how="anti")
                     ["card"].head(extra).to_list())
            self._detour(m, moved, s - timedelta(minutes=1), e - timedelta(minutes=1), area, None)
            extra -= len(moved)
            if extra <= 0:
                return
        cards = self._free(m, s - timedelta(minutes=30), e + timedelta(minutes=30))[:extra]
        places = [area] if area else [a for a in m.areas if a.use in ("roadway", "chamber")]
        self._send(m, cards, s, e, places)

    def _mine_overcrowded(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        self._crowd(m, s, e, int(inc.peak) if inc.peak is not None else m.limit + 10, None)

    def _face_overcrowded(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        face = self._area(m, inc, next((a for a in m.faces if a.face and a.face.working), m.faces[0]))
        self._crowd(m, s, e, int(inc.peak) if inc.peak is not None else (face.headcount or 12) + 3, face)

    def _suspended_mine_activity(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        faces = sorted(m.faces, key=lambda a: -(a.headcount or 0))
        area = self._area(m, inc, faces[0] if faces else m.area("pit_bottom"))
        self._crowd(m, s, e, int(inc.peak) if inc.peak is not None else 14, area)

    def _shift_change_overcrowded(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        day = s.replace(hour=0, minute=0, second=0, microsecond=0)
        shift = day + SHIFT * round((s - day) / SHIFT)
        st = self._mine_stints(m).filter(~pl.col("leader"))
        incoming = st.filter(pl.col("shift") == shift)
        outgoing = st.filter(pl.col("shift") == shift - SHIFT).sort("down", "card", descending=[True, False])
        if incoming.is_empty() or outgoing.is_empty():
            raise ValueError(f"煤矿 {m.spec.code} 在 {shift} 没有交接班（shift_change_overcrowded）")
        up = incoming["down"].min() + (e - s)  # type: ignore[operator]
        # the last down: the longer change need not make them overtime too (2 h 05 keeps them under 10 h)
        late = outgoing.head(int(inc.peak) if inc.peak is not None else 5)["card"].to_list()
        hit = (pl.col("mi") == m.index) & (pl.col("shift") == shift - SHIFT) & pl.col("card").is_in(late)
        # they leave their workplace as usual and wait at the pit bottom
        self.stints = self.stints.with_columns(up=pl.when(hit).then(pl.lit(up, T)).otherwise("up"))

    def _no_leader_on_shift(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        day = s.replace(hour=0, minute=0, second=0, microsecond=0)
        shift = day + SHIFT * ((s - day) // SHIFT)
        gone = (pl.col("mi") == m.index) & pl.col("leader") & (pl.col("shift") == shift)
        before = (pl.col("mi") == m.index) & pl.col("leader") & (pl.col("shift") < shift) & (pl.col("up") >= shift)
        early = pl.lit(shift - timedelta(minutes=6), T)
        self.stints = self.stints.filter(~gone).with_columns(
            up=pl.when(before).then(early).otherwise("up"),
            leave=pl.when(before).then(pl.min_horizontal("leave", early)).otherwise("leave"))

    def _overtime_underground(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        team = self._nearest_team(m, s)
        default = next((p.card for p in m.people if p.shift == team), None)
        card = self._card(m, inc, default)
        self._replace(m, [card], s - SHIFT, e + timedelta(hours=1))
        self._send(m, [card], s, e)

    def _uncertified_special_operator(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        team = self._nearest_team(m, s)
        default = next((p.card for p in m.people if p.shift == team and p.special), None)
        card = self._card(m, inc, default)
        self._send(m, [card], s, e)

    def _sos(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        under = self._covering(m, s, e)
        card = self._card(m, inc, under["card"][0] if under.height else None)
        self._detour(m, [card], s, e, None, SOS_STATE)

    def _restricted_area_entry(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        under = self._covering(m, s, e)
        card = self._card(m, inc, under["card"][-1] if under.height else None)
        self._detour(m, [card], s, e, m.area("restricted"), None)

    def _hidden_working_face(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        area = self._area(m, inc, m.area("hidden"))
        faces = [a.code for a in m.faces]
        under = self._covering(m, s, e).sort(pl.col("area").is_in(faces), "card")  # roadway people first
        n = int(inc.peak) if inc.peak is not None else 4
        if under.height < n:
            raise ValueError(f"煤矿 {m.spec.code} 在 {s} 至 {e} 井下不足 {n} 人（hidden_working_face）")
        self._detour(m, under["card"].head(n).to_list(), s, e, area, None)

    def _power_use_while_suspended(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        self.power.append((m.index, s, e, inc.peak if inc.peak is not None else 0.9))

    def _seal_activity_while_suspended(self, m: _PMine, s: datetime, e: datetime, inc: Incident) -> None:
        if inc.point is not None and inc.point not in {c for c, _ in m.seals}:
            raise ValueError(f"煤矿 {m.spec.code} 没有电子封条 {inc.point}")
        if not m.seals:
            raise ValueError(f"煤矿 {m.spec.code} 没有电子封条")
        seal = inc.point or m.seals[0][0]
        place = dict(m.seals)[seal]
        people = int(inc.peak) if inc.peak is not None else 3
        t, i = s, 0
        while t < e:
            if i % 2 == 0:
                self.sightings.append((m.index, seal, place, "人员靠近", t, people, 0))
            else:
                self.sightings.append((m.index, seal, place, "车辆进入", t, 0, 1))
            t += timedelta(minutes=10)
            i += 1


class _PWriter:
    """The personnel, power and seal files, an hour of all mines at a time."""

    def __init__(self, sim: _PSim, types: Collection[str]) -> None:
        self.sim, self.types = sim, set(types)
        sim.stints = sim.stints.sort("mi", "down", "card")
        self.mine_frame = pl.DataFrame(
            [(m.index, m.area("shaft_top").code, m.area("shaft_top").station, m.area("pit_bottom").code,
              m.area("pit_bottom").station, "~" + m.eol) for m in sim.mines],
            schema={"mi": pl.Int32, "shaft": pl.String, "shaft_st": pl.String, "bottom": pl.String,
                    "bottom_st": pl.String, "eor": pl.String},
            orient="row",
        )
        self.cards = sim.people.select(
            "mi", "card", pre=pl.concat_str([pl.col("card"), pl.lit(";"), pl.col("name"), pl.lit(";")]),
            flags=pl.concat_str([pl.col("leader").cast(pl.Int8).cast(pl.String), pl.lit(";"),
                                 pl.col("special").cast(pl.Int8).cast(pl.String), pl.lit(";")]))

    def file(self, m: _PMine, ftype: str, upload: datetime, text: str) -> _File:
        ext = "csv" if ftype in ("YDSJ", "DZFT") else "txt"
        name = f"{m.spec.code}_{ftype}_{upload.strftime(NAME_FMT)}.{ext}"
        return (upload, m.index, TYPE_ORDER[ftype], name, text.encode())

    def header(self, m: _PMine, upload: datetime) -> str:
        return f"{m.spec.code};{m.spec.name};{upload.strftime(TIME_FMT)}~{m.eol}"

    def run(self) -> Iterator[tuple[str, bytes]]:
        sim = self.sim
        pending: list[_File] = []
        # an hour at a time; a day when neither snapshots nor station status are written
        hours = timedelta(hours=1 if self.types & {"RYSS", "JZSS"} else 24)
        c0 = sim.start
        while c0 < sim.end:
            c1 = min(sim.end, c0.replace(minute=0, second=0, microsecond=0) + hours)
            pending.extend(self.chunk(c0, c1))
            pending.sort(key=lambda f: f[:4])
            cut = next((i for i, f in enumerate(pending) if f[0] >= c1), len(pending))
            for f in pending[:cut]:
                yield f[3], f[4]
            del pending[:cut]
            c0 = c1
        pending.sort(key=lambda f: f[:4])
        for f in pending:
            yield f[3], f[4]

    def chunk(self, c0: datetime, c1: datetime) -> Iterator[_File]:
        sim = self.sim
        for d in sim.definition_times:
            if c0 <= d < c1:
                up = d + timedelta(seconds=1)
                for m in sim.mines:
                    if "RYXX" in self.types:
                        yield self.file(m, "RYXX", up, self.ryxx(m, up))
                    if "RYQY" in self.types:
                        yield self.file(m, "RYQY", up, self.ryqy(m, up))
                    if "RYJZ" in self.types:
                        yield self.file(m, "RYJZ", up, self.ryjz(m, up))
        if "RYSS" in self.types:
            yield from self.snapshots(c0, c1)
        if "JZSS" in self.types:
            yield from self.stations(c0, c1)
        if "YDSJ" in self.types:
            yield from self.power(c0, c1)
        if "DZFT" in self.types:
            yield from self.seals(c0, c1)

    # --- daily definitions --------------------------------------------------------------------------------

    def ryxx(self, m: _PMine, up: datetime) -> str:
        model, system, maker = m.system
        expiry = f"{2026 + _crc(m.spec.code) % 3}-{1 + _crc(m.spec.code) % 12:02d}-28"
        head = f"{m.spec.code};{m.spec.name};{m.limit};{model};{system};{maker};{expiry};{up.strftime(TIME_FMT)}~{m.eol}"
        rows = [f"{p.card};{p.name};{p.trade or '未设置'};{p.post};{p.team};{p.birth};{p.education};"
                f"{int(p.leader)};{int(p.special)}~{m.eol}" for p in m.people]
        return head + "".join(rows) + "||"

    def ryqy(self, m: _PMine, up: datetime) -> str:
        rows = [f"{a.area_type};{a.code};{'' if a.headcount is None else a.headcount};{a.name}~{m.eol}"
                for a in m.areas]
        return self.header(m, up) + "".join(rows) + "||"

    def ryjz(self, m: _PMine, up: datetime) -> str:
        rows = []
        for a in m.areas:
            x, y, z = m.xyz[a.station]
            rows.append(f"{a.station};{a.name}基站;{x:.2f};{y:.2f};{z:.2f};~{m.eol}")
        return self.header(m, up) + "".join(rows) + "||"

    # --- RYSS ---------------------------------------------------------------------------------------------

    def snapshots(self, c0: datetime, c1: datetime) -> Iterator[_File]:
        sim = self.sim
        first = EPOCH + SNAPSHOT * math.ceil((c0 - EPOCH) / SNAPSHOT)
        times = []
        while first < c1:
            times.append(first)
            first += SNAPSHOT
        if not times:
            return
        grid = pl.DataFrame({"t": times}, schema={"t": T}).join(
            pl.DataFrame({"mi": [m.index for m in sim.mines]}, schema={"mi": pl.Int32}), how="cross")
        rows = self.rows(grid, times[0], times[-1])
        bodies = dict(((mi, t), body) for mi, t, body in rows.iter_rows())
        for t in times:
            for m in sim.mines:
                up = t + _delay(sim.seed, m.index, "RYSS", t, 2, 9)
                yield self.file(m, "RYSS", up, self.header(m, up) + bodies.get((m.index, t), "") + "||")

    def rows(self, grid: pl.DataFrame, t0: datetime, t1: datetime) -> pl.DataFrame:
        """mi, t, body: the records of each snapshot that lists someone."""
        sim = self.sim
        st = sim.stints.lazy().filter((pl.col("down") <= t1) & (pl.col("up") > t0 - SNAPSHOT))
        t = pl.col("t")
        r = (
            st.join(grid.lazy(), on="mi")
            .filter((pl.col("down") <= t) & (t < pl.col("up") + SNAPSHOT))
            .with_columns(flag=pl.when(t < pl.col("up")).then(1).otherwise(2))
            .sort("mi", "t", "card", "flag")
            .unique(["mi", "t", "card"], keep="first", maintain_order=True)
        )
        moved = (
            r.select("mi", "t", "card").join(sim.detours.lazy(), on=["mi", "card"])
            .filter((pl.col("d_from") <= t) & (t < pl.col("d_to")))
            .unique(["mi", "t", "card"], keep="last", maintain_order=True)
        )
        r = (r.join(moved, on=["mi", "t", "card"], how="left")
             .join(self.mine_frame.lazy(), on="mi", how="left")
             .join(self.cards.lazy(), on=["mi", "card"], how="left"))
        fmt = TIME_FMT
        work = (pl.col("entered") <= t) & (t < pl.col("leave"))
        up = pl.col("flag") == 2
        detour = pl.col("d_from").is_not_null() & ~up
        at_shaft = _after(pl.col("down"), 60)
        area = (pl.when(up).then(pl.col("shaft")).when(detour & pl.col("d_area").is_not_null()).then(pl.col("d_area"))
                .when(work).then(pl.col("area")).otherwise(pl.col("bottom")))
        station = (pl.when(up).then(pl.col("shaft_st")).when(detour & pl.col("d_station").is_not_null())
                   .then(pl.col("d_station")).when(work).then(pl.col("station")).otherwise(pl.col("bottom_st")))
        entered = (pl.when(up).then(pl.col("up")).when(detour & pl.col("d_area").is_not_null()).then(pl.col("d_from"))
                   .when(work).then(pl.col("entered")).when(t < pl.col("entered")).then(pl.min_horizontal(at_shaft, t))
                   .otherwise(pl.col("leave")))
        uid = pl.col("card").hash(seed=sim.seed) + (t - pl.lit(EPOCH)).dt.total_seconds().cast(pl.UInt64)
        distance = (((uid.hash(seed=7) % 3001).cast(pl.Float64) - 1500.0) / 10.0).round(1)
        track = pl.concat_str(
            [pl.concat_str([pl.col("shaft_st"), pl.lit("&"), at_shaft.dt.strftime(fmt)]),
             pl.when(~up & (t >= _after(pl.col("down"), 180))).then(
                 pl.concat_str([pl.col("bottom_st"), pl.lit("&"), _after(pl.col("down"), 180).dt.strftime(fmt)])),
             pl.when(~up & (work | detour)).then(
                 pl.concat_str([station, pl.lit("&"), entered.dt.strftime(fmt)]))],
            separator=",", ignore_nulls=True)
        rec = pl.concat_str([
            pl.col("pre"), pl.col("flag").cast(pl.String), pl.lit(";"), pl.col("down").dt.strftime(fmt), pl.lit(";"),
            pl.when(up).then(pl.col("up").dt.strftime(fmt)).otherwise(pl.lit("")), pl.lit(";"),
            area, pl.lit(";"), entered.dt.strftime(fmt), pl.lit(";"), station, pl.lit(";"), entered.dt.strftime(fmt),
            pl.lit(f";{SHIFT_SYSTEM};"), pl.when(up).then(pl.lit("0.0")).otherwise(distance.cast(pl.String)),
            pl.lit(";"), pl.when(detour).then(pl.col("d_state")).otherwise(None).fill_null(NORMAL_STATE), pl.lit(";"),
            pl.col("flags"), track, pl.col("eor"),
        ])
        return r.sort("mi", "t", "card").select("mi", "t", rec=rec).group_by("mi", "t", maintain_order=True).agg(
            body=pl.col("rec").str.join("")).collect()

    # --- JZSS, YDSJ, DZFT ---------------------------------------------------------------------------------

    def stations(self, c0: datetime, c1: datetime) -> Iterator[_File]:
        sim = self.sim
        minute = c0.replace(second=0, microsecond=0)
        if minute < c0:
            minute += timedelta(minutes=1)
        while minute < c1:
            ts = minute.strftime(TIME_FMT)
            for m in sim.mines:
                up = minute + _delay(sim.seed, m.index, "JZSS", minute, 2, 9)
                body = "".join(f"{a.station};0;1;{ts}~{m.eol}" for a in m.areas)
                yield self.file(m, "JZSS", up, self.header(m, up) + body + "||")
            minute += timedelta(minutes=1)

    def power(self, c0: datetime, c1: datetime) -> Iterator[_File]:
        """A file per mine at each quarter hour's end: every meter's kWh of the quarter."""
        sim = self.sim
        ends = []
        e = EPOCH + SLOT * math.ceil((c0 - EPOCH) / SLOT)
        while e < c1:
            if e - SLOT >= sim.origin:
                ends.append(e)
            e += SLOT
        if not ends:
            return
        meters = pl.DataFrame(
            [(m.index, code, per_day, follow, idle, _crc(code), m.halt) for m in sim.mines
             for code, _n, per_day, follow, idle in m.meters],
            schema={"mi": pl.Int32, "meter": pl.String, "per_day": pl.Float64, "follow": pl.Float64,
                    "idle": pl.Float64, "uid": pl.UInt64, "halt": T},
            orient="row",
        )
        slots = pl.DataFrame({"end": ends}, schema={"end": T}).with_columns(start=pl.col("end") - SLOT)
        hour = pl.col("start").dt.hour().cast(pl.Int64)
        share = hour.replace_strict(_HOURS, pl.Series(HOUR_SHARE, dtype=pl.Float64), return_dtype=pl.Float64)
        slots_per_day = 86_400 / SLOT.total_seconds()
        producing = pl.col("per_day") * ((1 - pl.col("follow")) / slots_per_day + pl.col("follow") * share * 24
                                         / slots_per_day)
        idle = pl.col("per_day") * pl.col("idle") / slots_per_day
        kwh = pl.when(pl.col("halt").is_null() | (pl.col("start") < pl.col("halt"))).then(producing).otherwise(idle)
        for mi, a, b, factor in sim.power:
            inside = (pl.col("mi") == mi) & (pl.col("start") >= a) & (pl.col("start") < b)
            kwh = pl.when(inside).then(pl.max_horizontal(kwh, producing * factor)).otherwise(kwh)
        key = pl.col("uid") * (1 << 32) + (pl.col("start") - pl.lit(EPOCH)).dt.total_seconds().cast(pl.UInt64)
        fmt = TIME_FMT
        rows = (
            slots.join(meters, how="cross")
            .with_columns(kwh=(kwh * (0.97 + 0.06 * _u(key, sim.seed + 11))).round(2))
            .select("mi", "end", rec=pl.concat_str([pl.col("meter"), pl.lit(","), pl.col("start").dt.strftime(fmt),
                                                    pl.lit(","), pl.col("end").dt.strftime(fmt), pl.lit(","),
                                                    pl.col("kwh").cast(pl.String), pl.lit("\n")]))
            .group_by("mi", "end", maintain_order=True).agg(pl.col("rec").str.join(""))
        )
        for mi, end, body in rows.iter_rows():
            m = sim.mines[mi]
            up = end + _delay(sim.seed, mi, "YDSJ", end, 20, 90)
            yield self.file(m, "YDSJ", up, YDSJ_HEADER + "\n" + body)

    def seals(self, c0: datetime, c1: datetime) -> Iterator[_File]:
        """Each day at 06:00 every seal's self-check; the sightings of seal incidents as they happen."""
        sim = self.sim
        events: dict[tuple[int, datetime], list[str]] = {}
        six = c0.replace(hour=6, minute=0, second=0, microsecond=0)
        while six < c1:
            if six >= c0:
                for m in sim.mines:
                    for seal, place in m.seals:
                        events.setdefault((m.index, six), []).append(f"{seal},{place},自检正常,{six:{TIME_FMT}},0,0")
            six += timedelta(days=1)
        for mi, seal, place, event, t, people, vehicles in sim.sightings:
            if c0 <= t < c1:
                events.setdefault((mi, t), []).append(f"{seal},{place},{event},{t:{TIME_FMT}},{people},{vehicles}")
        for (mi, t), recs in events.items():
            m = sim.mines[mi]
            up = t + _delay(sim.seed, mi, "DZFT", t, 5, 30)
            yield self.file(m, "DZFT", up, DZFT_HEADER + "\n" + "\n".join(recs) + "\n")


_FIRST = {kind: i for i, kind in enumerate(("no_leader_on_shift", "shift_change_overcrowded", "overtime_underground",
                                             "uncertified_special_operator"))}


def simulate_personnel(
    mines: Sequence[MineSpec],
    start: datetime,
    end: datetime,
    *,
    incidents: Sequence[Incident] = (),
    seed: int = 1,
    types: Collection[str] = PERSONNEL_TYPES,
) -> Iterator[tuple[str, bytes]]:
    """Yield (file name, file bytes) of the personnel-positioning (RYXX, RYQY, RYJZ, RYSS, JZSS), power (YDSJ)
    and seal (DZFT) files the mines upload in [start, end), of the `types` asked for, in the order of their
    upload times (ties: mine, then type). Incidents of the safety feed's kinds are left to `simulate`."""
    unknown = set(types) - set(PERSONNEL_TYPES)
    if unknown:
        raise ValueError(f"unknown file types {sorted(unknown)}; one of {', '.join(PERSONNEL_TYPES)}")
    incidents = _daily(incidents)
    # a span of more than two days is planned a day at a time (the plan of a year of a county's shifts would take
    # gigabytes): each window's people are the same (the jitter keys on card and shift), its incidents those
    # within a day of it; the first window checks the arguments and the incidents now, not at the first file
    bounds = [start]
    if end - start > timedelta(days=2):
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        while midnight < end:
            bounds.append(midnight)
            midnight += timedelta(days=1)
    bounds.append(end)
    first = _plan(mines, bounds[0], bounds[1], seed, start, incidents)
    return _windows(first, mines, bounds, seed, incidents, types)


def _plan(mines: Sequence[MineSpec], a: datetime, b: datetime, seed: int, origin: datetime,
          incidents: Sequence[Incident]) -> _PSim:
    sim = _PSim(mines, a, b, seed, origin)
    # the ones that take people away first, so that a crowd's size counts what is left
    for no, inc in sorted(enumerate(incidents), key=lambda x: _FIRST.get(x[1].kind, len(_FIRST))):
        sim.add(no, inc)
    return sim


def _windows(first: _PSim, mines: Sequence[MineSpec], bounds: list[datetime], seed: int,
             incidents: Sequence[Incident], types: Collection[str]) -> Iterator[tuple[str, bytes]]:
    """The windows' files in upload order: a file sent after its window's end (a few seconds' delay) waits to be
    merged with the next window's."""
    carry: list[tuple[str, bytes]] = []
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        sim = first if i == 0 else _plan(mines, a, b, seed, bounds[0], incidents)
        stream = merge(carry, _PWriter(sim, types).run())
        carry = []
        last, cut = i == len(bounds) - 2, b.strftime(NAME_FMT)
        for item in stream:
            if last or item[0].split("_", 2)[2][:14] < cut:
                yield item
            else:
                carry.append(item)


def merge(*streams: Iterable[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
    """Streams of (name, bytes) in upload order (each as `simulate` yields them) as one, in upload order (ties:
    mine, then file type)."""

    def key(item: tuple[str, bytes]) -> tuple[str, str, int]:
        code, ftype, rest = item[0].split("_", 2)
        return rest[:14], code, TYPE_ORDER.get(ftype, 99)

    return heapq.merge(*streams, key=key)


# --- command line ----------------------------------------------------------------------------------


def generated_mines(count: int, points: int = 300, outstations: int = 10, seed: int = 1, crew: int = 60
                    ) -> list[MineSpec]:
    """Mines `140000000001`, `140000000002`, ... with invented names, producing, `crew` people a shift."""
    rng = random.Random(f"{seed}:names")
    names = [f"山西{place}{word}" for place in PLACES for word in WORDS]
    rng.shuffle(names)
    out = []
    for i in range(1, count + 1):
        name = names[(i - 1) % len(names)] + (str((i - 1) // len(names) + 1) if i > len(names) else "")
        name += "煤业有限公司" if i % 3 else "矿业有限公司"
        out.append(MineSpec(code=f"14{i:010d}", name=name, points=points, outstations=outstations, crew=crew))
    return out


_INCIDENT_ARG = re.compile(r"^(\w+):(\d+):(\d{1,2}):(\d{2}):(\d+(?:\.\d+)?)(?::(\d+(?:\.\d+)?))?$")


def parse_incident(text: str, mines: Sequence[MineSpec], start: datetime) -> Incident:
    """`kind:<mine number, 1-based>:<HH:MM>:<minutes>[:<peak>]`; HH:MM on the start's day (the next
    day when that is before the start)."""
    m = _INCIDENT_ARG.match(text)
    if not m:
        raise ValueError(f"incident {text!r}: expected kind:<mine number>:<HH:MM>:<minutes>[:<peak>]")
    kind, mine_no, hh, mm, minutes, peak = m.groups()
    if kind not in INCIDENT_KINDS:
        raise ValueError(f"incident {text!r}: kind must be one of {', '.join(INCIDENT_KINDS)}")
    if not 1 <= int(mine_no) <= len(mines):
        raise ValueError(f"incident {text!r}: mine number must be 1..{len(mines)}")
    at = start.replace(hour=int(hh), minute=int(mm), second=0, microsecond=0)
    if at < start:
        at += timedelta(days=1)
    return Incident(
        kind, mines[int(mine_no) - 1].code, at, float(minutes), peak=float(peak) if peak else None
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kuangan.engine.simulate",
        description="Write simulated family-A safety-monitoring files, one subfolder per mine.",
    )
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--mines", type=int, default=20)
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--outstations", type=int, default=10)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--start", type=datetime.fromisoformat, default=datetime(2024, 6, 1))  # noqa: DTZ001 - naive Beijing time
    parser.add_argument("--period", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flat", action="store_true", help="all files in OUTDIR, no subfolder per mine")
    parser.add_argument("--personnel", action="store_true",
                        help="also the personnel-positioning, power (YDSJ) and seal (DZFT) files")
    parser.add_argument("--crew", type=int, default=60, help="people underground per shift (default 60)")
    parser.add_argument("--only", default="", metavar="TYPES",
                        help=f"comma-separated file types to write, of {', '.join(SAFETY_TYPES + PERSONNEL_TYPES)}")
    parser.add_argument(
        "--incident",
        action="append",
        default=[],
        metavar="KIND:MINE:HH:MM:MINUTES[:PEAK]",
        help=f"mine numbered from 1; kinds: {', '.join(INCIDENT_KINDS)} (PEAK: see PERSONNEL_INCIDENTS)",
    )
    args = parser.parse_args(argv)
    mines = generated_mines(args.mines, args.points, args.outstations, args.seed, args.crew)
    only = {t.strip().upper() for t in args.only.split(",") if t.strip()}
    unknown = only - set(SAFETY_TYPES + PERSONNEL_TYPES)
    if unknown:
        parser.error(f"--only: unknown file types {', '.join(sorted(unknown))}")
    try:
        incidents = [parse_incident(text, mines, args.start) for text in args.incident]
    except ValueError as exc:
        parser.error(str(exc))
    began = time.perf_counter()
    end = args.start + timedelta(hours=args.hours)
    streams = []
    safety = [t for t in SAFETY_TYPES if not only or t in only]
    personnel = [t for t in PERSONNEL_TYPES if (args.personnel and not only) or t in only]
    if safety:
        streams.append(simulate(mines, args.start, end, period_s=args.period, incidents=incidents, seed=args.seed,
                                types=safety))
    if personnel:
        streams.append(simulate_personnel(mines, args.start, end, incidents=incidents, seed=args.seed,
                                          types=personnel))
    count, size, readings = write_files(merge(*streams), args.outdir, per_mine=not args.flat)
    took = time.perf_counter() - began
    layout = "flat" if args.flat else "one subfolder per mine"
    print(
        f"{count} files, {readings} readings, {size} bytes ({size / 1e9:.2f} GB) "
        f"in {took:.1f} s -> {args.outdir} ({layout})"
    )
    return 0


def write_files(
    files: Iterable[tuple[str, bytes]], directory: Path | str, *, per_mine: bool = True
) -> tuple[int, int, int]:
    """Write (name, bytes) pairs into `directory` (a subfolder per mine code unless `per_mine` is
    False). Returns (files, bytes, CDSS readings) written."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    made: set[Path] = set()
    count = size = readings = 0
    for name, data in files:
        folder = root / name.split("_", 1)[0] if per_mine else root
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        (folder / name).write_bytes(data)
        count += 1
        size += len(data)
        if "_CDSS_" in name:
            readings += data.count(b"~") - 1
    return count, size, readings


if __name__ == "__main__":
    sys.exit(main())
