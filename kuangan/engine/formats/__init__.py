"""Reading the mines' uploaded files into the engine's tables (FORMATS.md, schema.py).

`parse_uploads` takes one batch of uploads and returns a `ParsedBatch`: one row per upload in
`files`, the records of accepted files in their tables (family A: safety monitoring and personnel
positioning; kuangan's own CSV: power use and seals), and everything that could not be read in
`rejects`. It never raises on bad input.

Per file there are a few Python steps (hash, name, family, header decisions); records are split
and converted with Polars over all files of a type at once.

Trust (`Limits`): a file larger than the limit is not read; a file whose header time lies too far
after its arrival is a clock fault, and so is a record; a record naming a code of another mine than
its file's is rejected (one mine speaks only for itself); a file with too large a share of bad
records is quarantined whole, with its counts per reason instead of a reject row per record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import polars as pl

from kuangan.engine import schema
from kuangan.engine.formats import envelope, kuangan_csv
from kuangan.engine.formats.envelope import (
    FAMILY_KUANGAN,
    REASON_AFTER_END,
    REASON_DUPLICATE,
    REASON_FOREIGN,
    REASON_INCOMPLETE,
    REASON_PARTIAL,
    REASON_UNDECODABLE,
)
from kuangan.engine.formats.family_a import (
    LAYOUTS,
    RECORD_REJECT_COLUMNS,
    REJECT_COLUMNS,
    Layout,
    has_fast_path,
    parse_records,
    read_regular,
)

__all__ = ["Limits", "ParsedBatch", "Upload", "parse_uploads"]

ACCEPTED = "accepted"
QUARANTINED = "quarantined"
INCOMPLETE = "incomplete"

# Which table each type fills (several types may fill one table).
TABLES = {
    "CDDY": "definitions",
    "CDSS": "readings",
    "FZDY": "outstations",
    "FZSS": "outstation_status",
    "TJSJ": "statistics",
    "YCBJ": "events",
    "RYXX": "people",
    "RYQY": "areas",
    "RYJZ": "stations",
    "RYSS": "positions",
    "JZSS": "station_status",
    "RYCS": "personnel_events",
    "RYCY": "personnel_events",
    "RYQJ": "personnel_events",
    "RYXZ": "personnel_events",
    "YDSJ": "power",
    "DZFT": "seals",
}

# Every table of a ParsedBatch with its schema.
SCHEMAS: dict[str, schema.Schema] = {
    "files": schema.FILES,
    "definitions": schema.DEFINITIONS,
    "readings": schema.READINGS,
    "outstations": schema.OUTSTATIONS,
    "outstation_status": schema.OUTSTATION_STATUS,
    "statistics": schema.STATISTICS,
    "events": schema.EVENTS,
    "people": schema.PEOPLE,
    "areas": schema.AREAS,
    "stations": schema.STATIONS,
    "positions": schema.POSITIONS,
    "snapshots": schema.SNAPSHOTS,
    "station_status": schema.STATION_STATUS,
    "personnel_events": schema.PERSONNEL_EVENTS,
    "power": schema.POWER,
    "seals": schema.SEALS,
    "rejects": schema.REJECTS,
}


@dataclass(frozen=True)
class Upload:
    """One uploaded file as it arrived.

    A file too large to be read into memory may be handed over by its beginning only: `data` its first
    bytes, `size` the whole file's size and `digest` the whole file's SHA-256, so that it is still known
    by its content (a partial upload is never parsed)."""

    name: str  # original file name, e.g. 140000000001_CDSS_20240601080010.txt
    data: bytes
    size: int | None = None  # the file's size in bytes; None: len(data)
    digest: str | None = None  # SHA-256 (hex) of the whole file; None: that of data

    def __post_init__(self) -> None:
        if self.size is not None and self.size < len(self.data):
            raise ValueError("an upload's size cannot be less than its data")
        if self.partial and self.digest is None:
            raise ValueError("a partial upload needs the digest of the whole file")

    @cached_property
    def sha256(self) -> str:
        return self.digest if self.digest is not None else hashlib.sha256(self.data).hexdigest()

    @property
    def nbytes(self) -> int:
        """The whole file's size."""
        return len(self.data) if self.size is None else self.size

    @property
    def partial(self) -> bool:
        """Whether `data` holds only the beginning of the file."""
        return self.nbytes > len(self.data)


@dataclass(frozen=True)
class Limits:
    """What the parser accepts of a file; None: no limit (`Limits()` sets none)."""

    max_bytes: int | None = None  # a larger file is quarantined unread
    # a header (or a record) time further than this after the file's arrival is a clock fault
    future_tolerance: timedelta | None = None
    # a file with a larger share of bad records (of every reason) is quarantined whole
    max_rejected_share: float | None = None

    def __post_init__(self) -> None:
        if self.max_bytes is not None and self.max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        if self.future_tolerance is not None and self.future_tolerance < timedelta(0):
            raise ValueError("future_tolerance must not be negative")
        if self.max_rejected_share is not None and not 0 <= self.max_rejected_share <= 1:
            raise ValueError("max_rejected_share must lie between 0 and 1")


def _none(table: str) -> pl.DataFrame:
    """An empty frame of a table's schema as a field's default."""
    return field(default_factory=lambda: _empty(table))


@dataclass(frozen=True, eq=False)
class ParsedBatch:
    """The tables read from one batch; every frame has exactly its schema's columns and dtypes. The
    personnel, power and seal tables default to empty (a batch built from safety-monitoring tables
    only leaves them out)."""

    files: pl.DataFrame  # schema.FILES, one row per upload (file_id = index in the input list)
    definitions: pl.DataFrame  # schema.DEFINITIONS (CDDY)
    readings: pl.DataFrame  # schema.READINGS (CDSS)
    outstations: pl.DataFrame  # schema.OUTSTATIONS (FZDY)
    outstation_status: pl.DataFrame  # schema.OUTSTATION_STATUS (FZSS)
    statistics: pl.DataFrame  # schema.STATISTICS (TJSJ)
    events: pl.DataFrame  # schema.EVENTS (YCBJ)
    rejects: pl.DataFrame  # schema.REJECTS
    people: pl.DataFrame = _none("people")  # schema.PEOPLE (RYXX)
    areas: pl.DataFrame = _none("areas")  # schema.AREAS (RYQY)
    stations: pl.DataFrame = _none("stations")  # schema.STATIONS (RYJZ)
    positions: pl.DataFrame = _none("positions")  # schema.POSITIONS (RYSS)
    snapshots: pl.DataFrame = _none("snapshots")  # schema.SNAPSHOTS, one row per accepted RYSS file
    station_status: pl.DataFrame = _none("station_status")  # schema.STATION_STATUS (JZSS)
    # schema.PERSONNEL_EVENTS (RYCS, RYCY, RYQJ, RYXZ: the mine's own personnel alarms)
    personnel_events: pl.DataFrame = _none("personnel_events")
    power: pl.DataFrame = _none("power")  # schema.POWER (YDSJ, CSV)
    seals: pl.DataFrame = _none("seals")  # schema.SEALS (DZFT, CSV)


@dataclass
class _File:
    """One row of FILES while it is being decided."""

    file_id: int
    name: str
    sha256: str
    mine_code: str | None = None
    mine_name: str | None = None
    family: str | None = None
    file_type: str | None = None
    header_time: datetime | None = None
    arrival: datetime | None = None  # when it reached the platform (engine time); None: not known
    encoding: str | None = None
    status: str = ACCEPTED
    reason: str | None = None
    records: int = 0
    rejected: int = 0
    foreign: int = 0  # of the rejected, records of another mine
    records_read: bool = False  # records judged one by one: counts kept even when quarantined whole
    raw: str = ""  # first characters, for a whole-file reject row
    name_mine_code: str | None = None  # the mine code in the file name
    full_width: bool = False  # a full-width separator somewhere in the text

    def quarantine(self, reason: str) -> None:
        self.status, self.reason = QUARANTINED, reason


def parse_uploads(
    uploads: Sequence[Upload],
    *,
    arrivals: Sequence[datetime | None] | None = None,
    limits: Limits | None = None,
) -> ParsedBatch:
    """Read a batch of uploads. Bad files and records end up in `rejects`, never in an exception.

    arrivals: when each upload reached the platform, naive Beijing time like the files' (None: not
    known; the clock checks need it). limits: see `Limits` (None: no limit).
    """
    limits = limits or Limits()
    arrived = _arrivals(arrivals, len(uploads))
    unread = [_unread(u, limits) for u in uploads]  # a reason not to read a file at all
    datas = [b"" if reason is not None else bytes(u.data) for u, reason in zip(uploads, unread, strict=True)]
    files = [
        _File(file_id=i, name=envelope.printable_name(u.name), sha256=u.sha256, arrival=arrived[i])
        for i, u in enumerate(uploads)
    ]
    decoded = envelope.decode_all(datas)

    seen: set[tuple[str, str]] = set()
    candidates: list[tuple[int, bytes]] = []
    csv_candidates: list[tuple[int, bytes]] = []
    for upload, f, data, text, encoding, any_full_width, unread_reason in zip(
        uploads, files, datas, decoded.texts, decoded.encodings, decoded.full_width, unread, strict=True
    ):
        file_name = envelope.parse_name(f.name)
        if file_name is not None:
            f.mine_code, f.file_type, f.family = file_name.mine_code, file_name.file_type, file_name.family
            f.name_mine_code = file_name.mine_code
        if unread_reason is not None:
            f.raw = envelope.raw_text(upload.data[: 4 * envelope.RAW_CHARS])
            f.quarantine(unread_reason)
            continue
        f.encoding, f.full_width = encoding, any_full_width
        key = (upload.name, f.sha256)
        duplicate = key in seen
        seen.add(key)
        if text is None:
            f.raw = envelope.raw_text(data)
            f.quarantine(REASON_DUPLICATE if duplicate else REASON_UNDECODABLE)
            continue
        head = envelope.head(text, envelope.HEAD_CHARS)
        f.raw = head[: envelope.RAW_CHARS]
        if duplicate:
            f.quarantine(REASON_DUPLICATE)
            continue
        clean = envelope.clean(text)
        verdict = envelope.recognise(
            f.name, file_name, head, envelope.head(clean, envelope.HEAD_CHARS), envelope.tail(clean, 3)
        )
        f.family, f.file_type = verdict.family, verdict.file_type
        if verdict.reason is not None:
            f.quarantine(verdict.reason)
        elif verdict.family == FAMILY_KUANGAN:  # lines matter in a CSV file: its text, not `clean`
            assert file_name is not None  # a CSV file has a well-formed name
            f.header_time = file_name.stamp
            csv_candidates.append((f.file_id, text))
        elif clean.endswith(envelope.END):
            candidates.append((f.file_id, clean))
        elif envelope.END in clean:
            f.quarantine(REASON_AFTER_END)
        else:
            f.status, f.reason = INCOMPLETE, REASON_INCOMPLETE

    tables = {table: _empty(table) for table in TABLES.values()}
    record_rejects: list[pl.DataFrame] = []
    if candidates:
        record_rejects = _parse_candidates(files, candidates, decoded, tables, limits)
    if csv_candidates:
        record_rejects += _parse_csv(files, csv_candidates, tables, limits)
    tables["snapshots"] = _snapshots(files)
    return _assemble(files, tables, record_rejects)


def _arrivals(arrivals: Sequence[datetime | None] | None, n: int) -> list[datetime | None]:
    if arrivals is None:
        return [None] * n
    if len(arrivals) != n:
        raise ValueError(f"{len(arrivals)} arrivals for {n} uploads")
    if any(a is not None and a.tzinfo is not None for a in arrivals):
        raise ValueError("arrivals are naive Beijing time, like the files' times")
    return list(arrivals)


def _unread(upload: Upload, limits: Limits) -> str | None:
    """Why a file is quarantined without being read (decoding a huge file would cost its size in
    memory several times), or None."""
    if limits.max_bytes is not None and upload.nbytes > limits.max_bytes:
        return envelope.too_large(limits.max_bytes)
    if upload.partial:  # cut short by its reader for another limit than this one: never read a part
        return REASON_PARTIAL.format(read=len(upload.data), size=upload.nbytes)
    return None


def _parse_candidates(
    files: list[_File],
    candidates: list[tuple[int, bytes]],
    decoded: envelope.Decoded,
    tables: dict[str, pl.DataFrame],
    limits: Limits,
) -> list[pl.DataFrame]:
    """Headers, then records, of the complete family-A files: fills `tables`, returns reject rows."""
    future = limits.future_tolerance
    framed = [envelope.frame_segments(clean) for _, clean in candidates]
    headers = envelope.parse_headers([header for header, _ in framed])

    accepted: dict[str, tuple[list[int], list[bytes]]] = {}
    separators: dict[int, int] = {}  # file id -> `;` between the records (the header's left out)
    for (i, clean), (_, text), h in zip(candidates, framed, headers, strict=True):
        f = files[i]
        f.records = envelope.record_count(clean, decoded.segment_ends[i])
        separators[i] = decoded.separators[i] - (h.fields - 1)
        assert f.file_type is not None and f.name_mine_code is not None  # a candidate has a family-A name
        if h.readable(f.file_type):
            f.mine_code, f.mine_name = h.mine_code, h.mine_name
        f.header_time = h.time
        problem = envelope.header_problem(f.file_type, f.name_mine_code, h)
        if problem is None and future is not None and f.arrival is not None and h.time is not None:
            if h.time > f.arrival + future:  # a clock ahead must not move "newest" (nor "now" in a replay)
                problem = envelope.clock_problem(h.time, f.arrival, future)
        if problem is not None:
            f.quarantine(problem)
        else:
            ids, texts = accepted.setdefault(f.file_type, ([], []))
            ids.append(i)
            texts.append(text)

    rejects: list[pl.DataFrame] = []
    parts_of: dict[str, list[pl.DataFrame]] = {}  # table -> rows of its types
    for file_type, (ids, texts) in accepted.items():
        layout = LAYOUTS[file_type]
        parts: list[pl.DataFrame] = []
        slow = list(range(len(ids)))
        if has_fast_path(layout):
            rows, slow = _parse_regularly(layout, ids, texts, [separators[i] for i in ids], files, future)
            parts.append(rows)
        if slow:
            rows, bad = _parse_slowly(layout, [ids[k] for k in slow], [texts[k] for k in slow], files, future)
            rows, bad = _judge_files(rows, bad, files, limits.max_rejected_share)
            parts.append(rows)
            rejects.append(bad)
        parts_of.setdefault(TABLES[file_type], []).extend(parts)
    for table, parts in parts_of.items():
        tables[table] = _in_file_order(parts)
    return rejects


def _in_file_order(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The rows of several parts (each in file order) in file order, as one path would give them."""
    filled = [part for part in parts if part.height]
    if len(filled) <= 1:
        return filled[0] if filled else parts[0]
    return pl.concat(filled).sort("file_id", maintain_order=True)


def _parse_csv(
    files: list[_File], candidates: list[tuple[int, bytes]], tables: dict[str, pl.DataFrame], limits: Limits
) -> list[pl.DataFrame]:
    """kuangan's own CSV files (header time: the name's): fills `tables`, returns reject rows."""
    future = limits.future_tolerance
    by_type: dict[str, tuple[list[int], list[bytes]]] = {}
    for i, text in candidates:
        f = files[i]
        assert f.file_type is not None and f.header_time is not None
        if future is not None and f.arrival is not None and f.header_time > f.arrival + future:
            f.quarantine(kuangan_csv.clock_problem(f.header_time, f.arrival, future))
            continue
        ids, texts = by_type.setdefault(f.file_type, ([], []))
        ids.append(i)
        texts.append(text)
    rejects: list[pl.DataFrame] = []
    for file_type, (ids, texts) in by_type.items():
        read = kuangan_csv.read_files(
            kuangan_csv.LAYOUTS[file_type], texts, pl.DataFrame(_file_columns(ids, files)), future
        )
        for i, problem in read.problems.items():
            files[i].quarantine(problem)
        for i, records in read.records.items():
            files[i].records = records
        rows, bad = _judge_files(read.rows, read.rejects, files, limits.max_rejected_share)
        tables[TABLES[file_type]] = rows
        rejects.append(bad)
    return rejects


def _snapshots(files: list[_File]) -> pl.DataFrame:
    """One row per accepted RYSS file (an empty snapshot too) with its accepted position rows: those of
    its records that were not rejected."""
    accepted = [
        f for f in files if (f.family, f.file_type, f.status) == (envelope.FAMILY_A, "RYSS", ACCEPTED)
    ]
    if not accepted:
        return _empty("snapshots")
    return pl.DataFrame(
        {
            "file_id": [f.file_id for f in accepted],
            "mine_code": [f.mine_code for f in accepted],
            "header_time": [f.header_time for f in accepted],
            "people": [f.records - f.rejected for f in accepted],
        },
        schema=schema.SNAPSHOTS,
    )


def _judge_files(
    rows: pl.DataFrame, bad: pl.DataFrame, files: list[_File], max_share: float | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Count each file's rejected records per kind; a file with more than `max_share` of its records
    rejected is quarantined whole: its rows and its record rejects are dropped (one reject row for the
    file says how many of each kind there were). The loop is over (file, kind) pairs, not records."""
    if bad.height == 0:
        return rows, bad
    kinds: dict[int, dict[str, int]] = {}
    for file_id, kind, n in bad.group_by("file_id", "kind").len().iter_rows():
        kinds.setdefault(file_id, {})[kind] = n
    whole = []
    for file_id, counts in kinds.items():
        f = files[file_id]
        f.rejected, f.foreign, f.records_read = sum(counts.values()), counts.get(REASON_FOREIGN, 0), True
        if max_share is not None and f.rejected > max_share * f.records:
            f.quarantine(envelope.too_many_rejected(f.rejected, f.records, max_share, counts))
            whole.append(file_id)
    if not whole:
        return rows, bad
    dropped = pl.Series(whole, dtype=pl.UInt32)
    return rows.filter(~pl.col("file_id").is_in(dropped)), bad.filter(~pl.col("file_id").is_in(dropped))


def _file_columns(ids: list[int], files: list[_File]) -> dict[str, pl.Series]:
    """What every record of these files carries from its file."""
    return {
        "file_id": pl.Series(ids, dtype=pl.UInt32),
        "mine_code": pl.Series([files[i].mine_code for i in ids], dtype=pl.String),
        "header_time": pl.Series([files[i].header_time for i in ids], dtype=schema.TIME),
        "arrival": pl.Series([files[i].arrival for i in ids], dtype=schema.TIME),
    }


def _parse_regularly(
    layout: Layout,
    ids: list[int],
    texts: list[bytes],
    separators: list[int],
    files: list[_File],
    future: timedelta | None,
) -> tuple[pl.DataFrame, list[int]]:
    """`read_regular` on the files that may be regular: (their rows, the positions in `ids` of the files
    left for `_parse_slowly`: no record, a full-width separator, or an odd record). `separators`: the
    `;` in each file's records."""
    fast = [k for k in range(len(ids)) if files[ids[k]].records > 0 and not files[ids[k]].full_width]
    if not fast:
        return schema.empty(layout.schema), list(range(len(ids)))
    end = len(b"~" + envelope.END)
    rows, irregular = read_regular(
        layout,
        [memoryview(texts[k])[texts[k].find(b"~") + 1 : -end] for k in fast],
        pl.DataFrame(
            _file_columns([ids[k] for k in fast], files)
            | {
                "records": pl.Series([files[ids[k]].records for k in fast], dtype=pl.UInt32),
                "separators": pl.Series([separators[k] for k in fast], dtype=pl.UInt32),
            }
        ),
        future,
    )
    regular = set(fast)
    return rows, [k for k in range(len(ids)) if k not in regular or ids[k] in irregular]


def _parse_slowly(
    layout: Layout, ids: list[int], texts: list[bytes], files: list[_File], future: timedelta | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`parse_records` on the records of these files: split in Polars, each record judged on its own."""
    # valid UTF-8: the whole file was, and it was only changed at ASCII bytes
    framed_texts = pl.Series("text", texts, dtype=pl.Binary).cast(pl.String)
    segments = pl.col("raw")
    typed = pl.DataFrame(
        _file_columns(ids, files) | {"raw": framed_texts.str.split(envelope.SEGMENT_END)}
    ).with_columns(segments.list.slice(1, segments.list.len() - 2))  # drop the header and the terminator
    records = (
        typed.filter(pl.col("raw").list.len() > 0)
        .with_columns(pl.int_ranges(1, pl.col("raw").list.len() + 1, dtype=pl.UInt32).alias("record_no"))
        .explode(["raw", "record_no"])
    )
    return parse_records(layout, records, any(files[i].full_width for i in ids), future)


_EMPTY: dict[str, pl.DataFrame] = {}


def _empty(table: str) -> pl.DataFrame:
    """An empty frame of a table's schema (built once: building one from a schema takes ~0.4 ms)."""
    if table not in _EMPTY:
        _EMPTY[table] = schema.empty(RECORD_REJECT_COLUMNS if table == "record_rejects" else SCHEMAS[table])
    return _EMPTY[table].clone()


def _assemble(
    files: list[_File], tables: dict[str, pl.DataFrame], record_rejects: list[pl.DataFrame]
) -> ParsedBatch:
    """FILES and REJECTS from the per-file decisions and the record rejects."""
    by_record = (pl.concat(record_rejects) if record_rejects else _empty("record_rejects")).select(
        list(REJECT_COLUMNS)
    )
    files_frame = pl.DataFrame(
        {
            "file_id": [f.file_id for f in files],
            "name": [f.name for f in files],
            "sha256": [f.sha256 for f in files],
            "mine_code": [f.mine_code for f in files],
            "mine_name": [f.mine_name for f in files],
            "family": [f.family for f in files],
            "file_type": [f.file_type for f in files],
            "header_time": [f.header_time for f in files],
            "arrival": [f.arrival for f in files],
            "encoding": [f.encoding for f in files],
            "status": [f.status for f in files],
            "reason": [f.reason for f in files],
            "records": [f.records if f.status == ACCEPTED or f.records_read else 0 for f in files],
            "rejected": [f.rejected for f in files],
            "foreign": [f.foreign for f in files],
        },
        schema=schema.FILES,
    )
    quarantined = [f for f in files if f.status == QUARANTINED]
    if not quarantined and by_record.height == 0:
        return ParsedBatch(files=files_frame, rejects=_empty("rejects"), **tables)
    whole = pl.DataFrame(
        {
            "file_id": [f.file_id for f in quarantined],
            "record_no": [None] * len(quarantined),
            "reason": [f.reason for f in quarantined],
            "raw": [f.raw for f in quarantined],
        },
        schema=REJECT_COLUMNS,
    )
    rejects = pl.concat([whole, by_record]).sort(
        "file_id", "record_no", nulls_last=False, maintain_order=True
    )
    # file_id is the row of the file in FILES
    context = files_frame.select("name", "mine_code", "file_type")[rejects.get_column("file_id")]
    rejects = rejects.hstack(context).select(list(schema.REJECTS))
    return ParsedBatch(files=files_frame, rejects=rejects, **tables)
