"""kuangan's own CSV files (docs/formats-kuangan.md): YDSJ power use and DZFT seals.

`<mine code>_<TYPE>_<yyyyMMddHHmmss>.csv`, UTF-8 (GB18030 accepted, as for family A), one header line
naming the columns (in Chinese or in English), then one record per line, comma-separated, RFC 4180
quoting (a field holding a comma, a double quote or a line break is enclosed in double quotes, a
double quote in it doubled). The file's time is the stamp in its name.

Each file is split by Polars' CSV reader (one call per file, none per record); the records of every
file of a type are then judged together with Polars expressions, like family A's (`family_a`): the
first problem of a record (its shape, whose code, its fields in order, its interval, its time) is its
reason.

The reader cannot tell a missing field from an empty one, so each line gets a marker field appended
(a control character that the file does not hold) before it is read: the column where a record's
marker lands is its field count. A line break inside a quoted field gets the marker too; it is taken
out of the values again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

import polars as pl

from kuangan.engine import schema
from kuangan.engine.formats.envelope import REASON_FOREIGN, TIME_FORMAT, parse_times
from kuangan.engine.formats.family_a import RECORD_REJECT_COLUMNS, UNREADABLE_RECORD, Check

SEPARATOR = ","
QUOTE = '"'
# Fields read beyond a layout's own: a record with more than (fields + EXTRA) is "more than" that.
EXTRA = 16
# Control characters one of which marks the end of every line (the first that the file does not hold).
MARKERS = tuple(chr(c) for c in (*range(0x01, 0x09), *range(0x0E, 0x20)))

REASON_EMPTY = "文件为空（缺少表头行）"
REASON_HEADER = "表头应为“{chinese}”或“{english}”，实为“{actual}”"
REASON_QUOTES = "CSV 格式错误，无法读取：引号不成对或使用不当（含逗号、双引号或换行的字段须整个用双引号括起，字段内的双引号写作两个）"
REASON_CONTROL = "文件含有过多控制字符，无法读取"
REASON_CLOCK = "文件名中的时间 {stamp} 超前于到达时间 {arrival}（超过 {seconds} 秒）：时钟故障，未采用"


class Kind(Enum):
    TEXT = "text"  # as written, blanks around it dropped; empty -> null
    TIME = "time"  # yyyy-MM-dd HH:mm:ss, Beijing time
    AMOUNT = "amount"  # a finite number >= 0
    COUNT = "count"  # an integer >= 0


@dataclass(frozen=True)
class Column:
    column: str  # the output column
    header: str  # the Chinese header
    english: str  # the English header
    label: str  # the field's Chinese name, for reasons
    kind: Kind = Kind.TEXT
    required: bool = False


@dataclass(frozen=True)
class CsvLayout:
    file_type: str
    columns: tuple[Column, ...]
    schema: schema.Schema
    own: str  # the column whose code must begin with the file's mine code
    clock: str  # the record's time, judged against the file's arrival
    interval: tuple[str, str] | None = None  # (start, end): the end must be after the start

    @property
    def header(self) -> str:
        return SEPARATOR.join(c.header for c in self.columns)

    @property
    def english_header(self) -> str:
        return SEPARATOR.join(c.english for c in self.columns)


TEXT, TIME, AMOUNT, COUNT = Kind.TEXT, Kind.TIME, Kind.AMOUNT, Kind.COUNT

YDSJ = CsvLayout(
    "YDSJ",
    (
        Column("meter_code", "电表编码", "meter_code", "电表编码", required=True),
        Column("start", "开始时间", "start", "开始时间", TIME, required=True),
        Column("end", "结束时间", "end", "结束时间", TIME, required=True),
        Column("kwh", "用电量(kWh)", "kwh", "用电量", AMOUNT, required=True),
    ),
    schema.POWER,
    own="meter_code",
    clock="end",
    interval=("start", "end"),
)

DZFT = CsvLayout(
    "DZFT",
    (
        Column("seal_code", "封条编码", "seal_code", "封条编码", required=True),
        Column("place", "位置", "place", "位置"),
        Column("event", "事件", "event", "事件"),
        Column("data_time", "时间", "time", "时间", TIME, required=True),
        Column("people", "人数", "people", "人数", COUNT, required=True),
        Column("vehicles", "车辆数", "vehicles", "车辆数", COUNT, required=True),
    ),
    schema.SEALS,
    own="seal_code",
    clock="data_time",
)

LAYOUTS = {layout.file_type: layout for layout in (YDSJ, DZFT)}


def clock_problem(stamp: datetime, arrival: datetime, tolerance: timedelta) -> str:
    """The reason of a file whose name's time lies more than `tolerance` after its arrival."""
    return REASON_CLOCK.format(
        stamp=stamp.strftime(TIME_FORMAT),
        arrival=arrival.strftime(TIME_FORMAT),
        seconds=int(tolerance.total_seconds()),
    )


@dataclass(frozen=True)
class Read:
    """What `read_files` found in the files of one type."""

    rows: pl.DataFrame  # the layout's table
    rejects: pl.DataFrame  # RECORD_REJECT_COLUMNS
    problems: dict[int, str]  # file id -> why the whole file cannot be read (its header, its quoting)
    records: dict[int, int]  # file id -> its records (lines after the header, blank lines left out)


def read_files(
    layout: CsvLayout, texts: Sequence[bytes], files: pl.DataFrame, future: timedelta | None = None
) -> Read:
    """The records of these files (UTF-8 text, BOM stripped) of one layout.

    files: one row per text, `file_id`, `mine_code`, `header_time`, `arrival` (as for family A).
    future: how far a record's time may lie after its file's arrival (None: no limit).
    """
    width = len(layout.columns) + EXTRA + 1
    frames: list[pl.DataFrame] = []
    problems: dict[int, str] = {}
    records: dict[int, int] = {}
    for k, text in enumerate(texts):
        file_id = files.item(k, "file_id")
        split = _split(text, width)
        if isinstance(split, str):
            problems[file_id] = split
            continue
        lines = split.filter(~_blank())
        if lines.height == 0:
            problems[file_id] = REASON_EMPTY
            continue
        problem = _header_problem(layout, lines.row(0, named=True))
        if problem is not None:
            problems[file_id] = problem
            continue
        body = lines.slice(1)
        records[file_id] = body.height
        if body.height:
            frames.append(
                body.with_columns(
                    pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias("record_no"),
                    *(pl.lit(files.item(k, c), files.schema[c]).alias(c) for c in files.columns),
                )
            )
    if not frames:
        return Read(schema.empty(layout.schema), schema.empty(RECORD_REJECT_COLUMNS), problems, records)
    rows, rejects = _judge(layout, pl.concat(frames), width, future)
    return Read(rows, rejects, problems, records)


def _split(text: bytes, width: int) -> pl.DataFrame | str:
    """The lines of a file as `c0` … `c<width - 1>` (the text of each field, quotes taken off) and
    `fields` (how many it has; null: `width` or more), or why it cannot be read."""
    text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not text.endswith(b"\n"):
        text += b"\n"
    marker = next((m for m in MARKERS if m.encode() not in text), None)
    if marker is None:
        return REASON_CONTROL
    end = SEPARATOR + marker + "\n"
    try:
        read = pl.read_csv(
            text.replace(b"\n", end.encode()),
            has_header=False,
            separator=SEPARATOR,
            quote_char=QUOTE,
            eol_char="\n",
            schema={f"c{i}": pl.String for i in range(width)},
            empty_string_is_null=False,
            truncate_ragged_lines=True,
            missing_columns="insert",
            extra_columns="ignore",
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return REASON_QUOTES
    cells = [pl.col(f"c{i}").fill_null("") for i in range(width)]
    return read.select(
        pl.coalesce(pl.when(c == marker).then(pl.lit(i, pl.UInt32)) for i, c in enumerate(cells)).alias(
            "fields"
        ),
        # a line break inside a quoted field got the marker as well: take it out again
        *(c.str.replace_all(end, "\n", literal=True).alias(f"c{i}") for i, c in enumerate(cells)),
    )


def _blank() -> pl.Expr:
    """A line holding nothing but blanks."""
    return (pl.col("fields") == 1) & (pl.col("c0").str.strip_chars(" \t") == "")


def _normal(name: str) -> str:
    return name.strip(" \t").replace("（", "(").replace("）", ")").lower()


def _header_problem(layout: CsvLayout, line: dict[str, object]) -> str | None:
    """Why the first line is not the layout's header (Chinese or English; blanks around a name, the
    case of the English and full-width brackets do not matter), or None."""
    count = line["fields"]
    names = [str(line[f"c{i}"]) for i in range(count if isinstance(count, int) else len(line) - 1)]
    found = [_normal(n) for n in names]
    if found in ([_normal(c.header) for c in layout.columns], [_normal(c.english) for c in layout.columns]):
        return None
    return REASON_HEADER.format(
        chinese=layout.header, english=layout.english_header, actual=SEPARATOR.join(names)
    )


def _quoted(cell: pl.Expr) -> pl.Expr:
    """A field as RFC 4180 writes it."""
    return (
        pl.when(cell.str.contains('[",\n]'))
        .then(
            pl.concat_str(pl.lit(QUOTE), cell.str.replace_all(QUOTE, QUOTE * 2, literal=True), pl.lit(QUOTE))
        )
        .otherwise(cell)
    )


def _value(column: Column, i: int) -> pl.Expr:
    text = pl.col(f"t{i}")
    match column.kind:
        case Kind.TEXT:
            return pl.when(text.str.len_bytes() > 0).then(text)
        case Kind.TIME:
            return parse_times(text)
        case Kind.AMOUNT:
            return text.cast(pl.Float64, strict=False)
        case Kind.COUNT:
            return text.cast(pl.Int32, strict=False)


def _unreadable(column: Column, value: pl.Expr) -> tuple[pl.Expr, str]:
    """(whether a non-empty field does not read, the reason's text before the field's)."""
    match column.kind:
        case Kind.TEXT:
            return pl.lit(False), ""
        case Kind.TIME:
            return value.is_null(), f"{column.label}无法识别："
        case Kind.AMOUNT:
            bad = ~(value.is_finite() & (value >= 0)).fill_null(False)
            return bad, f"{column.label}无法识别（应为不小于 0 的数）："
        case Kind.COUNT:
            return (value < 0).fill_null(True), f"{column.label}无法识别（应为不小于 0 的整数）："


def _checks(layout: CsvLayout, width: int, future: timedelta | None) -> list[Check]:
    """Every check of a record, in priority order (the frame holds `fields`, the fields' texts `t<i>`,
    their values `v_<column>`, `mine_code` and `arrival`)."""
    n = len(layout.columns)
    count = pl.col("fields")
    shown = pl.when(count.is_null()).then(pl.lit(f"{width} 个以上")).otherwise(count.cast(pl.String))
    checks = [
        Check(
            (count != n).fill_null(True),
            pl.concat_str(pl.lit(f"字段数应为 {n}，实为 "), shown),
            "字段数不符",
        )
    ]
    own = pl.col(f"t{_index(layout, layout.own)}")
    foreign = (own.str.len_bytes() > 0) & ~own.str.starts_with(pl.col("mine_code"))
    checks.append(Check(foreign, pl.concat_str(pl.lit(f"{REASON_FOREIGN}："), own), REASON_FOREIGN))
    for i, column in enumerate(layout.columns):
        text, value = pl.col(f"t{i}"), pl.col(f"v_{column.column}")
        empty = text.str.len_bytes() == 0
        if column.required:
            checks.append(Check(empty, pl.lit(f"{column.label}为空"), f"{column.label}为空"))
        unreadable, prefix = _unreadable(column, value)
        if column.kind is not Kind.TEXT:
            checks.append(
                Check(~empty & unreadable, pl.concat_str(pl.lit(prefix), text), f"{column.label}无法识别")
            )
    if layout.interval is not None:
        start, end = layout.interval
        first, last = pl.col(f"v_{start}"), pl.col(f"v_{end}")
        labels = [c.label for c in layout.columns if c.column in layout.interval]
        kind = f"{labels[1]}不晚于{labels[0]}"
        reason = pl.concat_str(
            pl.lit(f"{kind}："), first.dt.strftime(TIME_FORMAT), pl.lit(" ～ "), last.dt.strftime(TIME_FORMAT)
        )
        checks.append(Check(last <= first, reason, kind))
    if future is not None:
        label = layout.columns[_index(layout, layout.clock)].label
        value = pl.col(f"v_{layout.clock}")
        reason = pl.concat_str(
            pl.lit(f"{label} "),
            value.dt.strftime(TIME_FORMAT),
            pl.lit(f" 超前于到达时间（超过 {int(future.total_seconds())} 秒）"),
        )
        checks.append(Check(value > pl.col("arrival") + future, reason, f"{label}超前于到达时间"))
    return [check._replace(problem=check.problem.fill_null(False)) for check in checks]


def _index(layout: CsvLayout, column: str) -> int:
    return next(i for i, c in enumerate(layout.columns) if c.column == column)


def _judge(
    layout: CsvLayout, lines: pl.DataFrame, width: int, future: timedelta | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(table rows, reject rows of RECORD_REJECT_COLUMNS) of the records of every file of one type."""
    n = len(layout.columns)
    cells = [pl.col(f"c{i}") for i in range(width)]
    frame = lines.with_columns(
        pl.concat_list([_quoted(c) for c in cells])
        .list.head(pl.col("fields").fill_null(width))
        .list.join(SEPARATOR)
        .alias("raw"),
        *(cells[i].str.strip_chars(" \t").alias(f"t{i}") for i in range(n)),
    ).with_columns(_value(column, i).alias(f"v_{column.column}") for i, column in enumerate(layout.columns))
    checks = _checks(layout, width, future)
    frame = frame.with_columns(pl.any_horizontal(c.problem for c in checks).alias("_bad"))
    good = frame.filter(~pl.col("_bad"))
    values = {c.column: pl.col(f"v_{c.column}") for c in layout.columns}
    rows = good.select(
        (values[column] if column in values else pl.col(column)).cast(dtype).alias(column)
        for column, dtype in layout.schema.items()
    )

    def first(of: list[pl.Expr]) -> pl.Expr:
        return pl.coalesce([pl.when(c.problem).then(e) for c, e in zip(checks, of, strict=True)])

    fallback = pl.lit(UNREADABLE_RECORD)
    rejects = frame.filter(pl.col("_bad")).select(
        pl.col("file_id").cast(pl.UInt32),
        pl.col("record_no").cast(pl.UInt32),
        pl.coalesce(first([c.reason for c in checks]), fallback).alias("reason"),
        pl.col("raw"),
        pl.coalesce(first([pl.lit(c.kind) for c in checks]), fallback).alias("kind"),
    )
    return rows, rejects
