"""Simulator of coal-mine safety-monitoring networking files in the national format ("family A").

Writes what the mines' KJ systems upload to the regulator (FORMATS.md §1): CDDY point definitions and
FZDY outstation definitions (at the start and daily at 00:00), CDSS real-time values every
`period_s` seconds (one record per point), FZSS outstation status every minute, TJSJ 5-minute
statistics of the analog points and YCBJ events when the mine's own system sees one. Thresholds
follow RULES.md §3. Incidents (over-limit, feed failure, silence, stuck sensor, calibration abuse,
unreported over-limit) are written into otherwise normal data, for demos, tests and the benchmark.

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
import math
import random
import re
import sys
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from . import schema

INCIDENT_KINDS = (
    "over_limit",
    "feed_failure",
    "silence",
    "stuck",
    "calibration_abuse",
    "unreported_over_limit",
)
TIME_FMT = "%Y-%m-%d %H:%M:%S"
NAME_FMT = "%Y%m%d%H%M%S"
# the jitter hash and the slow noise key on seconds since this moment
EPOCH = datetime(2000, 1, 1)  # noqa: DTZ001 - Beijing time, naive like every time in the engine
STAT_SECONDS = 300  # TJSJ window
TYPE_ORDER = {"CDDY": 0, "FZDY": 1, "CDSS": 2, "FZSS": 3, "TJSJ": 4, "YCBJ": 5}


@dataclass(frozen=True)
class MineSpec:
    code: str  # mine code as registered, e.g. "141129000001" (any length)
    name: str  # 矿井名称
    points: int = 300  # analog + switch points, about 2/3 analog
    outstations: int = 10


@dataclass(frozen=True)
class Incident:
    kind: str  # one of INCIDENT_KINDS
    mine_code: str
    start: datetime  # naive Beijing local time
    minutes: float
    point: str | None = None  # None: a working-face methane point (a working-face CO point for stuck)
    peak: float | None = None  # over-limit kinds: the highest value, in the point's unit


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


def _build_mine(spec: MineSpec, index: int, seed: int) -> _Mine:
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
                "value_type": "MN" if analog else "KG",
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
    vi: dict[tuple[int, int], int] = field(default_factory=dict)  # every value the plan decided


class _Sim:
    def __init__(
        self, mines: Sequence[MineSpec], start: datetime, end: datetime, period_s: int, seed: int
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
        self.mines = [_build_mine(m, i, seed) for i, m in enumerate(mines)]
        self.by_code = {m.spec.code: m for m in self.mines}
        self.pts = _points_frame(self.mines)
        self.pid: dict[str, int] = {}
        for m in self.mines:
            for p in m.points:
                self.pid[p.code] = len(self.pid)
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

    def __init__(self, sim: _Sim) -> None:
        self.sim = sim
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
        if self.silent(m.index, upload):
            return None
        return (upload, m.index, TYPE_ORDER[ftype], _name(m, ftype, upload), text.encode())

    def run(self) -> Iterator[tuple[str, bytes]]:
        sim = self.sim
        pending: list[_File] = [f for f in self.events() if f is not None]
        c0 = sim.start
        while c0 < sim.end:
            c1 = min(sim.end, c0.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
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
        while minute < c1:
            for m in sim.mines:
                up = minute + _delay(sim.seed, m.index, "FZSS", minute, 2, 9)
                yield self.file(m, "FZSS", up, _fzss(m, up, minute))
            minute += timedelta(minutes=1)
        # real-time values
        k0, k1 = sim.k_at(c0), min(sim.k_at(c1), sim.n_ticks)
        if k0 >= k1:
            return
        ks = list(range(k0, k1))
        times = [sim.t(k) for k in ks]
        grid = _values(sim.pts, _ticks(times, ks), sim.seed)
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
            if not self.silent(mi, up):
                yield (
                    up,
                    mi,
                    TYPE_ORDER["CDSS"],
                    _name(m, "CDSS", up),
                    (_header(m, up) + body + "||").encode(),
                )
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
) -> Iterator[tuple[str, bytes]]:
    """Yield (file name, file bytes) of every file the mines upload in [start, end), in the order of
    the headers' upload times (ties: mine, then CDDY, FZDY, CDSS, FZSS, TJSJ, YCBJ)."""
    sim = _Sim(mines, start, end, period_s, seed)  # checks the arguments now, not at the first file
    for no, inc in enumerate(incidents):
        sim.add(no, inc)
    return _Writer(sim).run()


# --- command line ----------------------------------------------------------------------------------


def generated_mines(count: int, points: int = 300, outstations: int = 10, seed: int = 1) -> list[MineSpec]:
    """Mines `140000000001`, `140000000002`, ... with invented names."""
    rng = random.Random(f"{seed}:names")
    names = [f"山西{place}{word}" for place in PLACES for word in WORDS]
    rng.shuffle(names)
    out = []
    for i in range(1, count + 1):
        name = names[(i - 1) % len(names)] + (str((i - 1) // len(names) + 1) if i > len(names) else "")
        name += "煤业有限公司" if i % 3 else "矿业有限公司"
        out.append(MineSpec(code=f"14{i:010d}", name=name, points=points, outstations=outstations))
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
    parser.add_argument(
        "--incident",
        action="append",
        default=[],
        metavar="KIND:MINE:HH:MM:MINUTES[:PEAK]",
        help=f"mine numbered from 1; kinds: {', '.join(INCIDENT_KINDS)}",
    )
    args = parser.parse_args(argv)
    mines = generated_mines(args.mines, args.points, args.outstations, args.seed)
    try:
        incidents = [parse_incident(text, mines, args.start) for text in args.incident]
    except ValueError as exc:
        parser.error(str(exc))
    began = time.perf_counter()
    end = args.start + timedelta(hours=args.hours)
    files = simulate(mines, args.start, end, period_s=args.period, incidents=incidents, seed=args.seed)
    count, size, readings = write_files(files, args.outdir, per_mine=not args.flat)
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
