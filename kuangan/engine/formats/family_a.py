"""Records of the national safety-monitoring files (family A: CDDY, CDSS, FZDY, FZSS, TJSJ, YCBJ).

`parse_records` takes the record segments of every accepted file of one type at once and turns
them into that type's table plus reject rows, with Polars expressions only: one `split_exact`
for the fields, casts with `strict=False`, and null checks to find the bad records. The first
problem of a record (in field order) is its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import polars as pl

from kuangan.engine import schema
from kuangan.engine.formats.envelope import FULL_WIDTH_SEPARATOR, SEPARATOR, parse_times


class Kind(Enum):
    TEXT = "text"  # kept as written; empty -> null
    FLOAT = "float"  # finite number
    STATUS16 = "status16"  # non-negative integer code, Int16
    STATUS32 = "status32"  # non-negative integer (bitmask), Int32
    TIME = "time"  # yyyy-MM-dd HH:mm:ss


@dataclass(frozen=True)
class Field:
    column: str  # the output column
    label: str  # the field's Chinese name, for reasons
    kind: Kind = Kind.TEXT
    required: bool = False  # empty -> record rejected


@dataclass(frozen=True)
class Layout:
    file_type: str
    fields: tuple[Field, ...]
    schema: schema.Schema
    min_fields: int | None = None  # trailing fields may be left out (FZDY); None: exactly len(fields)


F, T, S16, S32 = Kind.FLOAT, Kind.TIME, Kind.STATUS16, Kind.STATUS32

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
)

LAYOUTS = {layout.file_type: layout for layout in (CDDY, CDSS, FZDY, FZSS, TJSJ, YCBJ)}

# Columns of the record frame handed in by the caller.
RECORD_COLUMNS = ("file_id", "record_no", "raw", "mine_code", "header_time")
# Reject rows as parse_records returns them (the caller adds the file's name, mine and type).
REJECT_COLUMNS: schema.Schema = {
    "file_id": pl.UInt32,
    "record_no": pl.UInt32,
    "reason": pl.String,
    "raw": pl.String,
}


def _field(i: int) -> pl.Expr:
    return pl.col(f"field_{i}")


def _value(field: Field, i: int) -> pl.Expr:
    """The converted value of field i (null when empty or unreadable)."""
    raw = _field(i)
    match field.kind:
        case Kind.TEXT:
            return pl.when(raw.str.len_bytes() > 0).then(raw)
        case Kind.FLOAT:
            return raw.cast(pl.Float64, strict=False)
        case Kind.STATUS16:
            return raw.cast(pl.Int16, strict=False)
        case Kind.STATUS32:
            return raw.cast(pl.Int32, strict=False)
        case Kind.TIME:
            return parse_times(raw)


def _checks(layout: Layout, any_full_width: bool) -> list[tuple[pl.Expr, pl.Expr]]:
    """(problem?, reason) per check, in priority order; the problems are null-free booleans.

    The frame holds `raw`, the split fields `field_<i>` and the converted values `v_<i>`.
    """
    raw = pl.col("raw")
    n = len(layout.fields)
    checks: list[tuple[pl.Expr, pl.Expr]] = [(raw.str.len_bytes() == 0, pl.lit("空记录"))]
    if any_full_width:
        checks.append((raw.str.contains(FULL_WIDTH_SEPARATOR, literal=True), pl.lit("使用了全角分号")))
    minimum = layout.min_fields or n
    expected = str(n) if minimum == n else f"{minimum}～{n}"
    count = (raw.str.count_matches(SEPARATOR, literal=True) + 1).cast(pl.String)
    checks.append(
        (
            _field(minimum - 1).is_null() | _field(n).is_not_null(),
            pl.concat_str(pl.lit(f"字段数应为 {expected}，实为 "), count),
        )
    )
    return [(problem.fill_null(False), reason) for problem, reason in checks] + _field_checks(layout)


def _field_checks(layout: Layout) -> list[tuple[pl.Expr, pl.Expr]]:
    """The checks of the fields' contents (those of a record that has its fields), in field order."""
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    for i, field in enumerate(layout.fields):
        text, value = _field(i), pl.col(f"v_{i}")
        empty = text.str.len_bytes() == 0
        if field.required:
            checks.append((empty, pl.lit(f"{field.label}为空")))
        if field.kind is Kind.TEXT:
            continue
        if field.kind is Kind.FLOAT:
            unreadable = ~value.is_finite().fill_null(False)
        elif field.kind in (Kind.STATUS16, Kind.STATUS32):
            unreadable = (value < 0).fill_null(True)
        else:
            unreadable = value.is_null()
        checks.append((~empty & unreadable, pl.concat_str(pl.lit(f"{field.label}无法识别："), text)))
    return [(problem.fill_null(False), reason) for problem, reason in checks]


def parse_records(
    layout: Layout, records: pl.DataFrame, any_full_width: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(table rows, reject rows) for the record segments of every accepted file of one type.

    records: RECORD_COLUMNS, one row per record segment (CR/LF already stripped).
    any_full_width: whether a `；` occurs anywhere in these files (else that check is skipped).
    """
    n = len(layout.fields)
    frame = records.with_columns(pl.col("raw").str.split_exact(SEPARATOR, n).alias("_f")).unnest("_f")
    if layout.min_fields is not None:
        frame = _optional_fields(frame, layout)
    frame = frame.with_columns(_value(field, i).alias(f"v_{i}") for i, field in enumerate(layout.fields))
    checks = _checks(layout, any_full_width)
    bad = pl.any_horizontal(problem for problem, _ in checks)
    frame = frame.with_columns(bad.alias("_bad"))
    bad_rows = frame.filter(pl.col("_bad"))
    good = frame if bad_rows.height == 0 else frame.filter(~pl.col("_bad"))
    rows = good.select(_output(layout))
    # the first problem in priority order
    reason = pl.coalesce([pl.when(problem).then(text) for problem, text in checks] + [pl.lit("记录无法识别")])
    rejects = bad_rows.select(
        pl.col("file_id").cast(pl.UInt32),
        pl.col("record_no").cast(pl.UInt32),
        reason.alias("reason"),
        pl.col("raw"),
    )
    return rows, rejects


def has_fast_path(layout: Layout) -> bool:
    """Whether `read_regular` can read this type: a fixed field count whose last field is required
    (so a record with too few fields always shows an empty last field)."""
    return layout.min_fields is None and layout.fields[-1].required


def read_regular(
    layout: Layout, bodies: Sequence[bytes | memoryview], files: pl.DataFrame
) -> tuple[pl.DataFrame, set[int]]:
    """The fast path of `parse_records`, for the common case of files whose records are all well formed.

    bodies: each file's record segments as they stand between its header and its terminator (at
    least one; no full-width separator anywhere: the caller sends such files to `parse_records`);
    files: `file_id`, `mine_code`, `header_time`, `records` (segments) and `separators` (the `;` in
    the segments) of each body. Polars' CSV reader splits every body at once (`~` ends a record),
    reading only the fields that the table keeps or a check looks at. A file is read here only if
    every record of it is good; the ids of the others are returned for `parse_records`, which says
    what is wrong with each record. How they are found without looking at every record in Python:
    a file with a record of too many or too few fields has a `;` count other than (fields - 1) per
    record, unless a long record and a short one make up for each other; the short one then shows
    an empty last field, which is required (`has_fast_path`).
    """
    assert has_fast_path(layout)
    n = len(layout.fields)
    regular = files.get_column("separators") == files.get_column("records") * (n - 1)
    irregular = set(files.filter(~regular).get_column("file_id").to_list())
    if irregular:
        bodies = [bodies[k] for k in regular.arg_true().to_list()]
        files = files.filter(regular)
        if not bodies:
            return _empty_rows(layout), irregular
    read = _read_fields(layout)
    try:
        fields = _split(_records_text(bodies), n, read)
    except pl.exceptions.PolarsError:  # not expected; the general path then reads them all
        return _empty_rows(layout), irregular | set(files.get_column("file_id").to_list())
    if fields.height != files.get_column("records").sum():  # cannot happen for these bodies; be safe
        return _empty_rows(layout), irregular | set(files.get_column("file_id").to_list())
    owner = files.select(pl.int_range(pl.len(), dtype=pl.UInt32).repeat_by("records").explode()).to_series()
    frame = files.select("file_id", "mine_code", "header_time")[owner].hstack(fields)
    frame = frame.with_columns(_value(layout.fields[i], i).alias(f"v_{i}") for i in read)
    bad = pl.any_horizontal(problem for problem, _ in _field_checks(layout))
    odd = set(frame.filter(bad).get_column("file_id").unique().to_list())
    if odd:
        frame = frame.filter(~pl.col("file_id").is_in(pl.Series(sorted(odd), dtype=pl.UInt32)))
    return frame.select(_output(layout)), irregular | odd


def _records_text(bodies: Sequence[bytes | memoryview]) -> bytes:
    """Every record ended by `~`, the last one too (the reader would not see an empty field after
    a last separator that nothing follows)."""
    return b"~".join([*bodies, b""])


def _read_fields(layout: Layout) -> list[int]:
    """The fields the fast path reads: those its table keeps and those a check looks at (the others,
    free text that the table does not keep, are only split over)."""
    return [
        i for i, field in enumerate(layout.fields)
        if field.column in layout.schema or field.required or field.kind is not Kind.TEXT
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
    converted = {field.column: pl.col(f"v_{i}") for i, field in enumerate(layout.fields)}
    exprs = []
    for column, dtype in layout.schema.items():
        if column in converted:
            exprs.append(converted[column].cast(dtype).alias(column))
        else:
            exprs.append(pl.col(column).cast(dtype))
    return exprs
