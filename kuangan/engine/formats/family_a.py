"""Records of the national files (family A): safety monitoring (CDDY, CDSS, FZDY, FZSS, TJSJ, YCBJ)
and personnel positioning (RYXX, RYQY, RYJZ, RYSS, JZSS and the mine's own alarms RYCS, RYCY, RYQJ,
RYXZ).

`parse_records` takes the record segments of every accepted file of one type at once and turns
them into that type's table plus reject rows, with Polars expressions only: one `split_exact`
for the fields, casts with `strict=False`, and null checks to find the bad records. The first
problem of a record (in priority order: its shape, whose codes, its fields in order, its time) is
its reason. A layout may also ask for a code to be unique within its file (RYSS: one row per card
in a snapshot): among the records that pass every other check, a repeated code is rejected.

Trust: a record speaks only for the mine of its file (every code it names begins with the file's
mine code), and a record dated more than a tolerance after its file's arrival is a clock fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import NamedTuple

import polars as pl

from kuangan.engine import schema
from kuangan.engine.formats.envelope import (
    FULL_WIDTH_SEPARATOR,
    REASON_FOREIGN,
    SEPARATOR,
    TIME_FORMAT,
    parse_times,
)


class Kind(Enum):
    TEXT = "text"  # kept as written; empty -> null
    FLOAT = "float"  # finite number
    STATUS16 = "status16"  # non-negative integer code, Int16
    STATUS32 = "status32"  # non-negative integer (bitmask), Int32
    TIME = "time"  # yyyy-MM-dd HH:mm:ss
    CODE8 = "code8"  # one of the field's `allowed` texts, Int8
    FLAG = "flag"  # 1 -> true, 0 -> false, anything else -> null (never rejected: the mine's claim only)


@dataclass(frozen=True)
class Field:
    column: str  # the output column (a name outside the table's schema: read and checked, not kept)
    label: str  # the field's Chinese name, for reasons
    kind: Kind = Kind.TEXT
    required: bool = False  # empty -> record rejected
    lenient: bool = False  # unreadable -> null instead of a rejected record
    allowed: tuple[str, ...] = ()  # CODE8: the texts it may hold
    null_texts: tuple[str, ...] = ()  # TEXT: texts that mean "not set" (RYXX trade `未设置`)


@dataclass(frozen=True)
class Layout:
    file_type: str
    fields: tuple[Field, ...]
    schema: schema.Schema
    min_fields: int | None = None  # trailing fields may be left out (FZDY); None: exactly len(fields)
    own: tuple[str, ...] = ()  # columns holding codes that must begin with the file's mine code
    relations: str | None = None  # a column of relations (`D-<code>`◇…) whose codes must too
    clock: str | tuple[str, ...] | None = None  # the record's time(s), judged against the file's arrival
    unique: str | None = None  # a column whose code appears once per file (RYSS: the card in a snapshot)
    unique_reason: str = ""  # the reason of a repeated one, followed by the code
    keep_raw: bool = False  # the table keeps the record's text in `raw` (read by the general path only)
    type_column: str | None = None  # a column that holds the file type (several types, one table)

    @property
    def clocks(self) -> tuple[str, ...]:
        return (self.clock,) if isinstance(self.clock, str) else self.clock or ()


F, T, S16, S32 = Kind.FLOAT, Kind.TIME, Kind.STATUS16, Kind.STATUS32
CODE8, FLAG = Kind.CODE8, Kind.FLAG

CDDY = Layout(
    "CDDY",
    (
        Field("point_code", "测点编码", required=True),
        Field("system_code", "系统编码"),
        Field("outstation_code", "分站编码"),
        Field("sensor_type", "传感器类型"),
        Field("value_type", "测点数值类型"),
        Field("unit", "单位"),
        Field("range_high", "量程上限", F),
        Field("range_low", "量程下限", F),
        Field("upper_alarm", "上限报警值", F),
        Field("upper_alarm_clear", "上限解报值", F),
        Field("lower_alarm", "下限报警值", F),
        Field("lower_alarm_clear", "下限解报值", F),
        Field("upper_power_off", "上限断电值", F),
        Field("upper_power_restore", "上限复电值", F),
        Field("lower_power_off", "下限断电值", F),
        Field("lower_power_restore", "下限复电值", F),
        Field("on_text", "开描述"),
        Field("off_text", "停描述"),
        Field("location", "安装位置"),
        Field("x", "X 坐标", F),
        Field("y", "Y 坐标", F),
        Field("z", "Z 坐标", F),
        Field("relations", "关联关系"),
        Field("defined_at", "定义时间", T, required=True),
    ),
    schema.DEFINITIONS,
    own=("point_code", "outstation_code"),
    relations="relations",
    clock="defined_at",
)

CDSS = Layout(
    "CDSS",
    (
        Field("point_code", "测点编码", required=True),
        Field("sensor_name", "传感器类型名称"),
        Field("location", "安装位置"),
        Field("value", "数值", F, required=True),
        Field("unit", "单位"),
        Field("status", "测点状态", S32, required=True),
        Field("data_time", "数据时间", T, required=True),
    ),
    schema.READINGS,
    own=("point_code",),
    clock="data_time",
)

FZSS = Layout(
    "FZSS",
    (
        Field("outstation_code", "分站编码", required=True),
        Field("running_status", "分站运行状态", S16, required=True),
        Field("power_status", "供电状态", S16, required=True),
        Field("data_time", "数据时间", T, required=True),
    ),
    schema.OUTSTATION_STATUS,
    own=("outstation_code",),
    clock="data_time",
)

TJSJ = Layout(
    "TJSJ",
    (
        Field("point_code", "测点编码", required=True),
        Field("sensor_name", "传感器类型名称"),
        Field("location", "安装位置"),
        Field("unit", "单位"),
        Field("start", "统计开始时间", T, required=True),
        Field("end", "统计结束时间", T, required=True),
        Field("max", "最大值", F, required=True),
        Field("max_time", "最大值时刻", T, required=True),
        Field("min", "最小值", F, required=True),
        Field("min_time", "最小值时刻", T, required=True),
        Field("avg", "平均值", F, required=True),
        Field("data_time", "数据时间", T, required=True),
    ),
    schema.STATISTICS,
    own=("point_code",),
    clock="data_time",
)

# YCBJ: the end is empty while the event is open; values and their times may be empty for events
# that have none (feed failure, base station unreachable); cause / measures / entered at / by are
# typed in by a person later and are empty until then.
YCBJ = Layout(
    "YCBJ",
    (
        Field("point_code", "测点编码", required=True),
        Field("sensor_name", "传感器类型名称"),
        Field("location", "安装位置"),
        Field("unit", "单位"),
        Field("event_type", "异常类型", required=True),
        Field("start", "异常开始时间", T, required=True),
        Field("end", "异常结束时间", T),
        Field("max", "最大值", F),
        Field("max_time", "最大值时刻", T),
        Field("min", "最小值", F),
        Field("min_time", "最小值时刻", T),
        Field("avg", "平均值", F),
        Field("cause", "异常原因"),
        Field("measures", "处理措施"),
        Field("entered_at", "录入时间", T),
        Field("entered_by", "录入人"),
        Field("data_time", "数据时间", T, required=True),
    ),
    schema.EVENTS,
    own=("point_code",),
    clock="data_time",
)

# FZDY: `outstation code; location; X; Y; [Z]; [data time]` (FORMATS.md: one source + a guess).
# With 5 fields the fifth is the data time when it reads as one, Z otherwise.
FZDY = Layout(
    "FZDY",
    (
        Field("outstation_code", "分站编码", required=True),
        Field("location", "安装位置"),
        Field("x", "X 坐标", F),
        Field("y", "Y 坐标", F),
        Field("z", "Z 坐标", F),
        Field("data_time", "数据时间", T),
    ),
    schema.OUTSTATIONS,
    min_fields=4,
    own=("outstation_code",),
    clock="data_time",
)

# --- Personnel positioning (FORMATS.md "Personnel-positioning files"). Card, area and base-station codes
# begin with the file's mine code. The mine's leader / special-operator flags are its claim only
# (evidence; who is a leader is the roster's card code): a flag other than 0/1 reads as null.

# RYXX: the people on the roster (9 fields; its header has 8).
RYXX = Layout(
    "RYXX",
    (
        Field("card_code", "人员卡编码", required=True),
        Field("name", "姓名"),
        Field("trade", "工种", null_texts=("未设置",)),
        Field("post", "职务"),
        Field("team", "队组班组"),
        Field("birth_month", "出生年月"),
        Field("education", "学历"),
        Field("leader_flag", "是否矿领导", FLAG),
        Field("special_flag", "是否特种作业人员", FLAG),
    ),
    schema.PEOPLE,
    own=("card_code",),
)

# RYQY: positioning areas (4 fields).
RYQY = Layout(
    "RYQY",
    (
        Field("area_type", "区域类型"),
        Field("area_code", "区域编码", required=True),
        Field("headcount", "核定人数", S32),
        Field("area_name", "区域名称"),
    ),
    schema.AREAS,
    own=("area_code",),
)

# RYJZ: base stations (6 fields).
RYJZ = Layout(
    "RYJZ",
    (
        Field("station_code", "基站编码", required=True),
        Field("name", "基站名称"),
        Field("x", "X 坐标", F),
        Field("y", "Y 坐标", F),
        Field("z", "Z 坐标", F),
        Field("note", "备注"),
    ),
    schema.STATIONS,
    own=("station_code",),
)

# RYSS: the snapshot of the people underground (15 fields), the volume of personnel positioning. A
# person is rejected only when it is unclear who, whether underground or when (a time that does not
# read); the distance and the flags are evidence and read as null when they do not read.
RYSS = Layout(
    "RYSS",
    (
        Field("card_code", "人员卡编码", required=True),
        Field("name", "姓名"),
        Field("flag", "出入井标志（应为 0、1 或 2）", CODE8, required=True, allowed=("0", "1", "2")),
        Field("time_down", "入井时间", T),
        Field("time_up", "出井时间", T),
        Field("area_code", "区域编码"),
        Field("area_entered", "进入区域时间", T),
        Field("station_code", "基站编码"),
        Field("station_reached", "进入基站时间", T),
        Field("shift_system", "劳动组织方式"),
        Field("distance", "距基站距离", F, lenient=True),
        Field("state", "人员状态"),
        Field("leader_flag", "是否矿领导", FLAG),
        Field("special_flag", "是否特种作业人员", FLAG),
        Field("track", "行动轨迹"),  # kept raw; may be empty
    ),
    schema.POSITIONS,
    own=("card_code", "area_code", "station_code"),
    clock=("time_down", "time_up", "area_entered", "station_reached"),
    unique="card_code",
    unique_reason="同一快照中人员卡重复",
)

# JZSS: base-station status (4 fields), every minute.
JZSS = Layout(
    "JZSS",
    (
        Field("station_code", "基站编码", required=True),
        Field("running_status", "基站运行状态", S16, required=True),
        Field("power_status", "基站供电状态", S16, required=True),
        Field("data_time", "数据时间", T, required=True),
    ),
    schema.STATION_STATUS,
    own=("station_code",),
    clock="data_time",
)


def _personnel_event(file_type: str, fields: tuple[Field, ...]) -> Layout:
    """The mine's own personnel alarms: their field order is a guess (FORMATS.md), so only the field
    count, an empty record and a code of another mine reject a record; a time that does not read is
    null; the record's text is kept whole."""
    codes = {field.column for field in fields}
    return Layout(
        file_type,
        fields,
        schema.PERSONNEL_EVENTS,
        own=tuple(c for c in ("card_code", "area_code", "station_code") if c in codes),
        keep_raw=True,
        type_column="event_type",
    )


def _guessed_time(column: str, label: str) -> Field:
    return Field(column, label, T, lenient=True)


_PERSON_IN_AREA = (
    Field("area_code", "区域编码"),
    _guessed_time("area_entered", "进入区域时间"),
    Field("station_code", "基站编码"),
    _guessed_time("station_reached", "进入基站时间"),
)

# RYCS overtime (9): card; name; time down; alarm start; alarm end; area; time entered area; station;
# time at station.
RYCS = _personnel_event(
    "RYCS",
    (
        Field("card_code", "人员卡编码"),
        Field("name", "姓名"),
        _guessed_time("time_down", "入井时间"),
        _guessed_time("start", "报警开始时间"),
        _guessed_time("end", "报警结束时间"),
        *_PERSON_IN_AREA,
    ),
)

# RYCY overcrowding (8): alarm type; approved number; current number; area code; area name; start; end;
# people in area.
RYCY = _personnel_event(
    "RYCY",
    (
        Field("alarm_type", "报警类型"),
        Field("approved", "核定人数"),
        Field("current", "当前人数"),
        Field("area_code", "区域编码"),
        Field("area_name", "区域名称"),
        _guessed_time("start", "报警开始时间"),
        _guessed_time("end", "报警结束时间"),
        Field("people", "区域内人员"),
    ),
)

# RYQJ SOS and RYXZ restricted area (9 each): card; name; start; end; time down; area; time entered
# area; station; time at station.
_CARD_ALARM = (
    Field("card_code", "人员卡编码"),
    Field("name", "姓名"),
    _guessed_time("start", "报警开始时间"),
    _guessed_time("end", "报警结束时间"),
    _guessed_time("time_down", "入井时间"),
    *_PERSON_IN_AREA,
)
RYQJ = _personnel_event("RYQJ", _CARD_ALARM)
RYXZ = _personnel_event("RYXZ", _CARD_ALARM)

LAYOUTS = {
    layout.file_type: layout
    for layout in (
        CDDY, CDSS, FZDY, FZSS, TJSJ, YCBJ, RYXX, RYQY, RYJZ, RYSS, JZSS, RYCS, RYCY, RYQJ, RYXZ
    )
}  # fmt: skip

# Columns of the record frame handed in by the caller (`arrival`: the file's, null when not known).
RECORD_COLUMNS = ("file_id", "record_no", "raw", "mine_code", "header_time", "arrival")
# Reject rows as the parser keeps them (the caller adds the file's name, mine and type).
REJECT_COLUMNS: schema.Schema = {
    "file_id": pl.UInt32,
    "record_no": pl.UInt32,
    "reason": pl.String,
    "raw": pl.String,
}
# Reject rows as parse_records returns them: `kind` is the reason without the record's own text,
# by which a file's rejects are counted (FILES.foreign, the reason of a file quarantined whole).
RECORD_REJECT_COLUMNS: schema.Schema = REJECT_COLUMNS | {"kind": pl.String}

UNREADABLE_RECORD = "记录无法识别"


class Check(NamedTuple):
    problem: pl.Expr  # null-free boolean
    reason: pl.Expr  # the reject's reason, in Chinese
    kind: str  # the reason without the record's text


def _field(i: int) -> pl.Expr:
    return pl.col(f"field_{i}")


def _index(layout: Layout, column: str) -> int:
    return next(i for i, field in enumerate(layout.fields) if field.column == column)


def _value(field: Field, i: int) -> pl.Expr:
    """The converted value of field i (null when empty or unreadable)."""
    raw = _field(i)
    match field.kind:
        case Kind.TEXT:
            present = raw.str.len_bytes() > 0
            if field.null_texts:
                present = present & ~raw.is_in(field.null_texts)
            return pl.when(present).then(raw)
        case Kind.FLOAT:
            number = raw.cast(pl.Float64, strict=False)
            return pl.when(number.is_finite()).then(number) if field.lenient else number
        case Kind.STATUS16:
            return raw.cast(pl.Int16, strict=False)
        case Kind.STATUS32:
            return raw.cast(pl.Int32, strict=False)
        case Kind.TIME:
            return parse_times(raw)
        case Kind.CODE8:
            return pl.when(raw.is_in(field.allowed)).then(raw.cast(pl.Int8, strict=False))
        case Kind.FLAG:
            return pl.when(raw == "1").then(True).when(raw == "0").then(False).otherwise(None)


def _checks(layout: Layout, any_full_width: bool, future: timedelta | None) -> list[Check]:
    """Every check of a record, in priority order.

    The frame holds `raw`, the split fields `field_<i>`, the converted values `v_<i>`, `mine_code` and
    `arrival`.
    """
    raw = pl.col("raw")
    n = len(layout.fields)
    checks = [Check(raw.str.len_bytes() == 0, pl.lit("空记录"), "空记录")]
    if any_full_width:
        checks.append(
            Check(
                raw.str.contains(FULL_WIDTH_SEPARATOR, literal=True),
                pl.lit("使用了全角分号"),
                "使用了全角分号",
            )
        )
    minimum = layout.min_fields or n
    expected = str(n) if minimum == n else f"{minimum}～{n}"
    count = (raw.str.count_matches(SEPARATOR, literal=True) + 1).cast(pl.String)
    checks.append(
        Check(
            _field(minimum - 1).is_null() | _field(n).is_not_null(),
            pl.concat_str(pl.lit(f"字段数应为 {expected}，实为 "), count),
            "字段数不符",
        )
    )
    shape = [check._replace(problem=check.problem.fill_null(False)) for check in checks]
    return shape + _record_checks(layout, future)


def _record_checks(layout: Layout, future: timedelta | None) -> list[Check]:
    """The checks of a record that has its fields: whose codes it names first (a record of another
    mine is that whatever else is wrong with it), then its fields in order, then its time."""
    return _foreign_checks(layout) + _field_checks(layout) + _future_checks(layout, future)


def _field_checks(layout: Layout) -> list[Check]:
    """The checks of the fields' contents, in field order."""
    checks: list[Check] = []
    for i, field in enumerate(layout.fields):
        text, value = _field(i), pl.col(f"v_{i}")
        empty = text.str.len_bytes() == 0
        if field.required:
            checks.append(Check(empty, pl.lit(f"{field.label}为空"), f"{field.label}为空"))
        if field.kind in (Kind.TEXT, Kind.FLAG) or field.lenient:
            continue
        if field.kind is Kind.FLOAT:
            unreadable = ~value.is_finite().fill_null(False)
        elif field.kind in (Kind.STATUS16, Kind.STATUS32):
            unreadable = (value < 0).fill_null(True)
        else:
            unreadable = value.is_null()
        checks.append(
            Check(
                ~empty & unreadable,
                pl.concat_str(pl.lit(f"{field.label}无法识别："), text),
                f"{field.label}无法识别",
            )
        )
    return [check._replace(problem=check.problem.fill_null(False)) for check in checks]


def _foreign_checks(layout: Layout) -> list[Check]:
    """A code of the record that does not begin with its file's mine code (one mine's file must not
    speak for another's points or outstations)."""
    mine = pl.col("mine_code")
    checks = []
    for column in layout.own:
        code = _field(_index(layout, column))
        foreign = (code.str.len_bytes() > 0) & ~code.str.starts_with(mine)
        reason = pl.concat_str(pl.lit(f"{REASON_FOREIGN}："), code)
        checks.append(Check(foreign.fill_null(False), reason, REASON_FOREIGN))
    if layout.relations is not None:
        code = foreign_relation(_field(_index(layout, layout.relations)), mine)
        checks.append(
            Check(code.is_not_null(), pl.concat_str(pl.lit(f"{REASON_FOREIGN}："), code), REASON_FOREIGN)
        )
    return checks


def relation_codes(relations: pl.Expr) -> pl.Expr:
    """Every code a relations field names: what follows `<letter>-` up to the next character that is
    not a letter or digit (`B-<code>◇D-<code>`). A superset of what the rules read from it (the
    feed-failure check's `D-<code>`), so that no code a rule follows escapes the mine-code check."""
    after_letter = pl.element().shift(1).str.contains("[A-Za-z]$")
    return relations.str.split("-").list.eval(
        pl.when(after_letter).then(pl.element().str.extract("^([0-9A-Za-z]+)", 1)).drop_nulls()
    )


def foreign_relation(relations: pl.Expr, mine_code: pl.Expr) -> pl.Expr:
    """The first code of a relations field that does not begin with the mine code, or null. (The mine
    code goes first into the list: an element expression cannot read another column.)"""
    codes = pl.concat_list(mine_code, relation_codes(relations))
    first = pl.element().first()
    return codes.list.eval(pl.element().filter(~pl.element().str.starts_with(first))).list.first()


def _future_checks(layout: Layout, future: timedelta | None) -> list[Check]:
    """A record dated more than `future` after its file's arrival: the mine's clock is wrong, and such
    a time would move the platform's "newest" ahead."""
    if future is None:
        return []
    checks = []
    for column in layout.clocks:
        i = _index(layout, column)
        label, value = layout.fields[i].label, pl.col(f"v_{i}")
        ahead = (value > pl.col("arrival") + future).fill_null(False)
        reason = pl.concat_str(
            pl.lit(f"{label} "),
            value.dt.strftime(TIME_FORMAT),
            pl.lit(f" 超前于到达时间（超过 {int(future.total_seconds())} 秒）"),
        )
        checks.append(Check(ahead, reason, f"{label}超前于到达时间"))
    return checks


def parse_records(
    layout: Layout, records: pl.DataFrame, any_full_width: bool, future: timedelta | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(table rows, reject rows of RECORD_REJECT_COLUMNS) for the record segments of every accepted
    file of one type.

    records: RECORD_COLUMNS, one row per record segment (CR/LF already stripped).
    any_full_width: whether a `；` occurs anywhere in these files (else that check is skipped).
    future: how far a record's time may lie after its file's arrival (None: no limit).
    """
    n = len(layout.fields)
    frame = records.with_columns(pl.col("raw").str.split_exact(SEPARATOR, n).alias("_f")).unnest("_f")
    if layout.min_fields is not None:
        frame = _optional_fields(frame, layout)
    frame = frame.with_columns(_value(field, i).alias(f"v_{i}") for i, field in enumerate(layout.fields))
    checks = _checks(layout, any_full_width, future)
    bad = pl.any_horizontal(check.problem for check in checks)
    frame = frame.with_columns(bad.alias("_bad"))
    bad_rows = frame.filter(pl.col("_bad"))
    good = frame if bad_rows.height == 0 else frame.filter(~pl.col("_bad"))
    twice: pl.DataFrame | None = None
    if layout.unique is not None and good.height:
        good = good.with_columns(_repeated(layout).alias("_repeated"))
        twice, good = good.filter(pl.col("_repeated")), good.filter(~pl.col("_repeated"))
    rows = good.select(_output(layout))

    # the first problem in priority order
    def first(of: list[pl.Expr]) -> pl.Expr:
        return pl.coalesce([pl.when(c.problem).then(e) for c, e in zip(checks, of, strict=True)])

    fallback = pl.lit(UNREADABLE_RECORD)
    rejects = bad_rows.select(
        pl.col("file_id").cast(pl.UInt32),
        pl.col("record_no").cast(pl.UInt32),
        pl.coalesce(first([c.reason for c in checks]), fallback).alias("reason"),
        pl.col("raw"),
        pl.coalesce(first([pl.lit(c.kind) for c in checks]), fallback).alias("kind"),
    )
    if twice is not None and twice.height:
        code = _field(_index(layout, layout.unique or ""))
        rejects = pl.concat(
            [
                rejects,
                twice.select(
                    pl.col("file_id").cast(pl.UInt32),
                    pl.col("record_no").cast(pl.UInt32),
                    pl.concat_str(pl.lit(f"{layout.unique_reason}："), code).alias("reason"),
                    pl.col("raw"),
                    pl.lit(layout.unique_reason).alias("kind"),
                ),
            ]
        )
    return rows, rejects


def _files_repeating(layout: Layout, frame: pl.DataFrame) -> set[int]:
    """The files of `frame` in which a unique code appears twice. First a cheap count of distinct 64-bit
    hashes of (file, code): as many as records, no file repeats a code (a repeat always lowers the
    count); else (a repeat, or by chance two hashes alike) the exact check over the records."""
    key = _field(_index(layout, layout.unique or "")).hash(1) ^ (
        pl.col("file_id").cast(pl.UInt64) * 0x9E3779B97F4A7C15
    )
    if frame.select(key.n_unique()).item() == frame.height:
        return set()
    return set(frame.filter(_repeated(layout)).get_column("file_id").unique().to_list())


def _repeated(layout: Layout) -> pl.Expr:
    """True on a record whose unique code an earlier record of the same file names (over records in
    file order that passed every other check: the first good occurrence is kept)."""
    return ~pl.struct(pl.col("file_id"), _field(_index(layout, layout.unique or ""))).is_first_distinct()


def has_fast_path(layout: Layout) -> bool:
    """Whether `read_regular` can read this type: a fixed field count (FZDY's optional fields leave its
    records' shapes ambiguous) and no record text to keep (the fast path never holds it)."""
    return layout.min_fields is None and not layout.keep_raw


def read_regular(
    layout: Layout, bodies: Sequence[bytes | memoryview], files: pl.DataFrame, future: timedelta | None = None
) -> tuple[pl.DataFrame, set[int]]:
    """The fast path of `parse_records`, for the common case of files whose records are all well formed.

    bodies: each file's record segments as they stand between its header and its terminator (at
    least one; no full-width separator anywhere: the caller sends such files to `parse_records`);
    files: `file_id`, `mine_code`, `header_time`, `arrival`, `records` (segments) and `separators`
    (the `;` in the segments) of each body; future: as in `parse_records`. Polars' CSV reader splits
    every body at once (`~` ends a record), reading only the fields that the table keeps or a check
    looks at. A file is read here only if every record of it is good (its codes and times included);
    the ids of the others are returned for `parse_records`, which says what is wrong with each
    record. How they are found without looking at every record in Python:
    a file with a record of too many or too few fields has a `;` count other than (fields - 1) per
    record, unless a long record and a short one make up for each other; the short one then shows
    an empty last field, which is found either because that field is required, or (a layout whose
    last field may be empty, RYSS's track) because every record is read with a marker field added
    after its last one: a record of n fields has the marker as its field n + 1, a short one has not
    (a long one may hold the marker's text there, but the `;` count then needs a short one as well).
    A layout with a unique code (RYSS's card) sends a file that repeats one to `parse_records` too.
    """
    assert has_fast_path(layout)
    n = len(layout.fields)
    marked = not layout.fields[-1].required
    regular = files.get_column("separators") == files.get_column("records") * (n - 1)
    irregular = set(files.filter(~regular).get_column("file_id").to_list())
    if irregular:
        bodies = [bodies[k] for k in regular.arg_true().to_list()]
        files = files.filter(regular)
        if not bodies:
            return _empty_rows(layout), irregular
    read = _read_fields(layout)
    text = _records_text(bodies)
    if marked:  # one pass over the bytes (C), not over the records
        text = text.replace(b"~", MARKER_FIELD + b"~")
    try:
        fields = _split(text, n + marked, [*read, n] if marked else read)
    except pl.exceptions.PolarsError:  # not expected; the general path then reads them all
        return _empty_rows(layout), irregular | set(files.get_column("file_id").to_list())
    if fields.height != files.get_column("records").sum():  # cannot happen for these bodies; be safe
        return _empty_rows(layout), irregular | set(files.get_column("file_id").to_list())
    owner = files.select(pl.int_range(pl.len(), dtype=pl.UInt32).repeat_by("records").explode()).to_series()
    carried = ["file_id", "mine_code", "header_time"] + (["arrival"] if future is not None else [])
    frame = files.select(carried)[owner].hstack(fields)
    frame = frame.with_columns(_value(layout.fields[i], i).alias(f"v_{i}") for i in read)
    problems = [check.problem for check in _record_checks(layout, future)]
    if marked:
        problems.append(_field(n) != MARKER)
    bad = pl.any_horizontal(problems)
    odd = set(frame.filter(bad).get_column("file_id").unique().to_list())
    if layout.unique is not None:  # over every record: a file with a bad record is odd anyway
        odd |= _files_repeating(layout, frame)
    if odd:
        frame = frame.filter(~pl.col("file_id").is_in(pl.Series(sorted(odd), dtype=pl.UInt32)))
    return frame.select(_output(layout)), irregular | odd


# The marker field added after the last field of every record of a layout whose last field may be empty
# (`read_regular`). A record holding the marker's text itself is still judged right (see read_regular);
# the general path never sees the marker.
MARKER = "\x01"
MARKER_FIELD = (SEPARATOR + MARKER).encode()


def _records_text(bodies: Sequence[bytes | memoryview]) -> bytes:
    """Every record ended by `~`, the last one too (the reader would not see an empty field after
    a last separator that nothing follows)."""
    return b"~".join([*bodies, b""])


def _read_fields(layout: Layout) -> list[int]:
    """The fields the fast path reads: those its table keeps and those a check looks at (the others,
    free text that the table does not keep, are only split over)."""
    checked = {*layout.own, layout.relations, *layout.clocks, layout.unique}
    return [
        i
        for i, field in enumerate(layout.fields)
        if field.column in layout.schema
        or field.required
        or field.kind is not Kind.TEXT
        or field.column in checked
    ]


def _split(text: bytes, n: int, read: list[int]) -> pl.DataFrame:
    """The fields `field_<i>` (i in `read`) of `~`-ended records of n fields; a missing field reads as
    empty, a field past the n-th is not looked at (the caller's `;` count finds such records)."""
    return pl.read_csv(
        text,
        separator=SEPARATOR,
        eol_char="~",
        has_header=False,
        quote_char=None,
        empty_string_is_null=False,
        schema={f"field_{i}": pl.String for i in range(n)},
        columns=read,
        truncate_ragged_lines=True,
        missing_columns="insert",  # a short first record: else the reader fails and every file goes slow
    )


def _empty_rows(layout: Layout) -> pl.DataFrame:
    return pl.DataFrame(schema=layout.schema)


def _optional_fields(frame: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    """FZDY: absent trailing fields read as empty, and with 5 fields a fifth field that reads as a
    time is the data time (`code; location; X; Y; time`), not Z."""
    n, minimum = len(layout.fields), layout.min_fields or len(layout.fields)
    fifth_is_time = (
        _field(n - 2).is_not_null() & _field(n - 1).is_null() & parse_times(_field(n - 2)).is_not_null()
    )
    complete = _field(minimum - 1).is_not_null()
    return frame.with_columns(
        pl.when(fifth_is_time).then(pl.lit("")).otherwise(_field(n - 2)).alias(f"field_{n - 2}"),
        pl.when(fifth_is_time).then(_field(n - 2)).otherwise(_field(n - 1)).alias(f"field_{n - 1}"),
    ).with_columns(_field(i).fill_null(pl.when(complete).then(pl.lit(""))) for i in range(minimum, n))


def _output(layout: Layout) -> list[pl.Expr]:
    """The table's columns: the converted fields, what the file gives every record, the record's text
    (`keep_raw`), the file type (`type_column`); null for a column that this type has no field for."""
    converted = {field.column: pl.col(f"v_{i}") for i, field in enumerate(layout.fields)}
    carried = {"file_id", "mine_code", "header_time"} | ({"raw"} if layout.keep_raw else set())
    exprs = []
    for column, dtype in layout.schema.items():
        if column in converted:
            exprs.append(converted[column].cast(dtype).alias(column))
        elif column == layout.type_column:
            exprs.append(pl.lit(layout.file_type, dtype).alias(column))
        elif column in carried:
            exprs.append(pl.col(column).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype).alias(column))
    return exprs
