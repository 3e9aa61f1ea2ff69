"""The engine as one pure function: (state, parsed batch, now) → (state, episodes).

    result = run_batch(state, parse_uploads(uploads), now, settings)

Steps, in order (a failure names its step): prepare (join each reading to its point's definition in
force and to its settings, set apart readings at or before what was judged already), then the rules;
unreported_event reads the episodes of over_limit. The state is a set of small frames (open episodes,
last values, last file times, the latest definition of each point) that can be saved as bytes and
loaded again, so a restart or a replay continues exactly where live processing stopped.

Arrival order does not change the result (docs/architecture.md). With a `History` (the caller's store
and checkpoints), a mine whose batch brings data older than what was judged of it already (late readings
or outstation statuses not stored before, a definition older than its newest data, a YCBJ over-limit
report a decision may have missed, a late snapshot, JZSS, power or seal record) is judged again: its state
comes from the newest checkpoint that had judged none of that data (a mine's STREAMS each keep their own
pace: power sent days ahead of the snapshots does not hide a checkpoint for late snapshots), and its stored
records the checkpoint had not judged, with the batch's, go through the rules hour by hour in data-time
order. Without such a checkpoint the mine is judged from an empty state over all its stored records. The result names the mine and the time after which its alarms were derived again (the
caller reconciles them: ended, extended, raised or withdrawn). mine_silent, judged by arrival, is never
judged again. The result also holds the records to store (each reading once) and the checkpoints to keep.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import polars as pl

from .episodes import first_rows, last_rows, numbered
from .facts import Facts
from .formats import ParsedBatch
from .rules import (
    calibration_abuse,
    feed_failure,
    mine_silent,
    out_of_range,
    over_limit,
    point_fault,
    stuck_value,
    unreported_event,
)
from .rules import leads as lead_rules
from .rules import personnel as personnel_rules
from .rules.base import RuleInput
from .rules.unreported_event import OVER_LIMIT as OVER_LIMIT_EVENT
from .schema import (
    DEFINITIONS,
    EPISODES,
    EVENTS,
    OUTSTATION_STATUS,
    POSITIONS,
    POWER,
    READINGS,
    SEALS,
    SNAPSHOTS,
    STATION_STATUS,
    TIME,
    Schema,
)
from .settings import Settings

RULES: list[tuple[str, Any]] = [
    ("over_limit", over_limit),
    ("feed_failure", feed_failure),
    ("mine_silent", mine_silent),
    ("point_fault", point_fault),
    ("stuck_value", stuck_value),
    ("out_of_range", out_of_range),
    ("calibration_abuse", calibration_abuse),
    ("unreported_event", unreported_event),
    *personnel_rules.RULES,
    *lead_rules.RULES,
]
KINDS = [name for name, _ in RULES]
# alarm kinds keyed by a subject (a card, an area, the mine) judged from snapshots rather than by a point
SUBJECT_KINDS = list(personnel_rules.KINDS)
# the kinds not keyed by a point (personnel alarms, leads), with the stream each is judged from: a mine judged
# again has those of the streams it judged again derived again (BatchResult.rejudged_mines)
SUBJECT_STREAMS: dict[str, str] = {
    **dict.fromkeys(SUBJECT_KINDS, "snapshots"),
    "hidden_working_face": "snapshots",
    "power_use_while_suspended": "power",
    "over_capacity": "readings",
    "seal_activity_while_suspended": "seals",
}
POINT_KEY = ["mine_code", "point_code"]  # a point is its mine's: codes are never compared across mines
SEEN: Schema = {"mine_code": pl.String, "point_code": pl.String, "last_t": TIME}
SEEN_STATUS: Schema = {"mine_code": pl.String, "outstation_code": pl.String, "last_t": TIME}
# The newest time judged of each key of the other time-ordered tables: (table, mine, key codes joined by "|").
SEEN_MORE: Schema = {"table": pl.String, "mine_code": pl.String, "key": pl.String, "last_t": TIME}
# table → (its key columns besides the mine, the time that orders it). A record at or before its key's newest
# judged time is late: its mine is judged again, like late readings. Positions follow their snapshot.
SEQUENCED: dict[str, tuple[list[str], str]] = {
    "snapshots": ([], "header_time"),
    "station_status": (["station_code"], "data_time"),
    "power": (["meter_code"], "start"),
    "seals": (["seal_code", "event"], "data_time"),
}
# a mine's tables in groups each judged in its own time order (the readings' group: its point and outstation
# times; the others: their SEQUENCED key's), so each group's frontier is a checkpoint's measure
STREAMS: dict[str, tuple[str, ...]] = {
    "readings": ("readings", "outstation_status", "events", "definitions"),
    "snapshots": ("snapshots", "positions"),
    "station_status": ("station_status",),
    "power": ("power",),
    "seals": ("seals",),
}
UNJUDGED_AGAIN = "rules/mine_silent"  # judged by arrival: a late file changes nothing there
THRESHOLDS = ["upper_alarm", "upper_alarm_clear", "upper_power_off", "upper_power_restore"]
# the last IPC encoding of each state frame, with the frame it encodes (frames are never changed in place)
_ENCODED: dict[str, tuple[pl.DataFrame, bytes]] = {}
DEFINITIONS_DIGEST = "definitions.digest"  # stands for the definitions in an archive saved without them


class StepError(RuntimeError):
    """A bug in a step (bad input never raises: it is quarantined by the parser)."""


@dataclass(frozen=True)
class EngineState:
    definitions: pl.DataFrame  # the latest definition of each point (DEFINITIONS)
    seen: pl.DataFrame  # the newest data time judged per (mine, point)
    rules: dict[str, Any] = field(default_factory=dict)  # each rule's own state
    seen_status: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SEEN_STATUS))  # per outstation
    seen_more: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SEEN_MORE))  # see SEQUENCED

    @classmethod
    def empty(cls) -> EngineState:
        return cls(
            definitions=pl.DataFrame(schema=DEFINITIONS),
            seen=pl.DataFrame(schema=SEEN),
            rules={name: module.empty_state() for name, module in RULES},
        )

    def of_mine(self, mine: str) -> EngineState:
        """This state's rows of one mine (nothing of mine_silent, which is judged by arrival)."""
        return self._from_frames({
            name: frame.clear() if name.startswith(UNJUDGED_AGAIN) else frame.filter(pl.col("mine_code") == mine)
            for name, frame in self._frames()})

    def with_mine(self, mine: str, other: EngineState) -> EngineState:
        """This state with the rows of one mine taken from `other` (mine_silent's stay)."""
        theirs = dict(other._frames())
        return self._from_frames({
            # by column name: a rule may build the same frame with its columns in another order on another path
            name: frame if name.startswith(UNJUDGED_AGAIN) else pl.concat(
                [frame.filter(pl.col("mine_code") != mine),
                 theirs[name].filter(pl.col("mine_code") == mine).select(frame.columns)],
                how="vertical_relaxed")
            for name, frame in self._frames()})

    @classmethod
    def _from_frames(cls, frames: dict[str, pl.DataFrame]) -> EngineState:
        base = cls.empty()
        rules: dict[str, Any] = {}
        for name, value in base.rules.items():
            if isinstance(value, dict):
                rules[name] = {part: _upgraded(frames.get(f"rules/{name}/{part}", empty), empty)  # type: ignore[arg-type]
                               for part, empty in value.items()}
            else:
                rules[name] = _upgraded(frames.get(f"rules/{name}", value), value)
        return cls(
            definitions=frames.get("definitions", base.definitions),
            seen=_upgraded(frames.get("seen", base.seen), base.seen),
            rules=rules,
            seen_status=frames.get("seen_status", base.seen_status),
            seen_more=frames.get("seen_more", base.seen_more),
        )

    def to_bytes(self, *, definitions: bool = True) -> bytes:
        """Every frame as Arrow IPC (LZ4-compressed: saved after every batch, so speed beats size)
        inside one zip archive. A frame that is the very object encoded last time (the definitions,
        in every batch without any: 30,000 points' for a county) is not encoded again.
        `definitions=False`: the archive holds the digest of `definitions_bytes()` instead of the
        definitions, for a caller that saves them apart and only when they change."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            for name, frame in self._frames():
                if name == "definitions" and not definitions:
                    z.writestr(DEFINITIONS_DIGEST, self.definitions_digest())
                else:
                    z.writestr(name, _encoded(name, frame))
        return out.getvalue()

    def definitions_bytes(self) -> bytes:
        return _encoded("definitions", self.definitions)

    def definitions_digest(self) -> str:
        return hashlib.blake2b(self.definitions_bytes(), digest_size=16).hexdigest()

    @staticmethod
    def saved_definitions_digest(data: bytes) -> str | None:
        """The digest of the definitions an archive of `to_bytes(definitions=False)` goes with (None:
        the archive holds its definitions)."""
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.read(DEFINITIONS_DIGEST).decode() if DEFINITIONS_DIGEST in z.namelist() else None

    @classmethod
    def from_bytes(cls, data: bytes, definitions: bytes | None = None, *, without_definitions: bool = False
                   ) -> EngineState:
        """The state saved by `to_bytes`; `definitions`: what `definitions_bytes()` gave, for an archive
        saved without them (it must be the encoding whose digest the archive holds). `without_definitions`:
        such an archive read with no definitions (a checkpoint: late data takes them from the store)."""
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            frames = {name: pl.read_ipc(io.BytesIO(z.read(name))) for name in z.namelist()
                      if name != DEFINITIONS_DIGEST}
        digest = cls.saved_definitions_digest(data)
        if digest is not None and not without_definitions:
            if definitions is None or hashlib.blake2b(definitions, digest_size=16).hexdigest() != digest:
                raise ValueError("the definitions given are not those the engine state was saved with")
            frames["definitions"] = pl.read_ipc(io.BytesIO(definitions))
        return cls._from_frames(frames)

    def _frames(self) -> list[tuple[str, pl.DataFrame]]:
        out = [("definitions", self.definitions), ("seen", self.seen), ("seen_status", self.seen_status),
               ("seen_more", self.seen_more)]
        for name, value in self.rules.items():
            if isinstance(value, dict):
                out += [(f"rules/{name}/{part}", frame) for part, frame in value.items()]
            else:
                out.append((f"rules/{name}", value))
        return out


def _upgraded(frame: pl.DataFrame, empty: pl.DataFrame) -> pl.DataFrame:
    """A frame saved before points were keyed by their mine: the mine code put back (a point code is its
    mine's code and 16 characters, FORMATS.md)."""
    if "mine_code" in empty.columns and "mine_code" not in frame.columns:
        code = next(c for c in frame.columns if c.endswith("_code"))
        frame = frame.with_columns(mine_code=pl.col(code).str.slice(0, pl.col(code).str.len_chars() - 16))
    return frame.select(empty.columns) if frame.columns != empty.columns else frame


def _encoded(name: str, frame: pl.DataFrame) -> bytes:
    last = _ENCODED.get(name)
    if last is None or last[0] is not frame:
        buf = io.BytesIO()
        frame.write_ipc(buf, compression="lz4")
        last = _ENCODED[name] = (frame, buf.getvalue())
    return last[1]


def _step(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - re-raised with the step's name
        raise StepError(f"step {name!r} ({fn.__module__}.{fn.__qualname__}): {e}") from e


RULE_COLUMNS = [
    "sensor_type", "value_type", "range_low", "range_high", "upper_alarm", "upper_alarm_clear", "lower_alarm",
    "lower_alarm_clear", "upper_power_off", "upper_power_restore", "relations",
]


@dataclass(frozen=True)
class Prepared:
    readings: pl.DataFrame  # readings not judged before, grouped by point (`pid`), in time order, with parameters
    latest: pl.DataFrame  # the latest definition of each point after this batch
    late: pl.DataFrame  # readings at or before their point's newest judged time: mine_code, point_code, t
    status: pl.DataFrame  # FZSS rows not judged before, one per (mine, outstation, time)
    late_status: pl.DataFrame  # FZSS rows at or before their outstation's newest judged time


def _point_hash() -> pl.Expr:
    # a point belongs to its mine: two mines' identical codes are two points
    return pl.col("point_code").hash(0) ^ pl.col("mine_code").hash(1)


def prepare(state: EngineState, parsed: ParsedBatch, settings: Settings) -> Prepared:
    """Readings joined to the definition in force at their header time (a definition applies from its
    own header time on) and to their settings. Readings at or before their point's newest judged time are
    set apart as late (the caller judges their mine again or, without a history, drops them); the same
    reading twice in a batch counts once.

    Few Polars queries, each doing much (a lazy chain is one query, every eager step another): next to
    the replay's parsing thread each query waits its turn on Polars' threads."""
    only_latest = parsed.definitions.is_empty()
    if only_latest:
        defs = latest = state.definitions
    else:
        defs = pl.concat([state.definitions, parsed.definitions.select(list(DEFINITIONS))], how="vertical_relaxed")
        latest = (defs.lazy().sort("header_time").group_by(POINT_KEY).agg(pl.all().last())
                  .select(list(DEFINITIONS)).sort(POINT_KEY).collect())  # the same definitions, the same bytes
    # grouped by point (contiguous, in the order of a 64-bit hash of the mine and point codes: an integer
    # sort is several times faster than sorting the strings) and by time within each point. Files come in
    # time order, so a stable sort by point alone usually leaves each point's rows in time order already
    # (checked). `pid` numbers the points; a sort by time within each point keeps it.
    r = (
        parsed.readings.lazy()
        .select("mine_code", "point_code", "value", "status", "header_time", t=pl.col("data_time"))
        .with_columns(_hash=_point_hash())
        .sort("_hash", maintain_order=True, multithreaded=False)
        .with_columns(pid=numbered("_hash"))
        .collect()
    )
    in_order = (pl.col("t") >= pl.col("t").shift(1)) | (pl.col("_hash") != pl.col("_hash").shift(1))
    if not r.select(in_order.fill_null(True).all()).item():
        r = r.sort("_hash", "t", maintain_order=True)
    # one row per point, in pid order (pid - 1 is its row): what a reading needs from its point is
    # gathered by position, not joined by code
    points = r.lazy().filter(first_rows("pid")).select(*POINT_KEY).join(
        state.seen.lazy(), on=POINT_KEY, how="left", maintain_order="left")
    if only_latest:
        points = points.join(latest.lazy().select(*POINT_KEY).with_row_index("def_row"), on=POINT_KEY,
                             how="left", maintain_order="left")
    by_point = points.collect()
    # one pass splits off what was judged before and drops the same reading twice in one batch (a file
    # re-sent under another name: the first is kept)
    seen = pl.lit(by_point.get_column("last_t")).gather(pl.col("pid") - 1)
    repeated = ((pl.col("_hash") == pl.col("_hash").shift(1)) & (pl.col("t") == pl.col("t").shift(1))).fill_null(False)
    fresh = seen.is_null() | (pl.col("t") > seen)
    r = r.lazy().filter(~repeated).with_columns(_fresh=fresh).collect()
    if r.get_column("_fresh").all():
        late = r.clear().select(*POINT_KEY, "t")
    else:
        late = r.filter(~pl.col("_fresh")).select(*POINT_KEY, "t")
        r = r.filter(pl.col("_fresh")).with_columns(pid=numbered("_hash"))
    r = r.drop("_hash", "_fresh")
    status, late_status = _status(state, parsed)
    pid = r.get_column("pid")
    if only_latest:  # a point's latest definition is in force for each of its readings
        def_row = by_point.get_column("def_row")[pid - 1] if late.is_empty() else _latest_rows(r, latest)
    else:
        def_row = _definition_rows(r, defs)
    # a run of readings of one point under one definition shares its parameters: they are computed
    # once per run (once per point in the usual batch) and gathered by position
    starts = pid.ne_missing(pid.shift(1)) | def_row.ne_missing(def_row.shift(1))
    table = pl.concat(
        [r.lazy().select("mine_code", "point_code").filter(starts),
         defs.lazy().select(RULE_COLUMNS).select(pl.all().gather(def_row.filter(starts)))],
        how="horizontal",
    )
    # what no rule reads is not gathered to every reading
    params = _with_defaults(table, settings).drop("mine_code", "point_code", "sensor_type").collect()
    readings = r.hstack(params[starts.cast(pl.UInt32).cum_sum() - 1])
    return Prepared(readings=readings, latest=latest, late=late, status=status, late_status=late_status)


def _latest_rows(r: pl.DataFrame, latest: pl.DataFrame) -> pl.Series:
    return (r.lazy().select(*POINT_KEY)
            .join(latest.lazy().select(*POINT_KEY).with_row_index("def_row"), on=POINT_KEY, how="left",
                  maintain_order="left")
            .collect().get_column("def_row"))


def _status(state: EngineState, parsed: ParsedBatch) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The batch's FZSS rows once per (mine, outstation, time), split into new and late ones."""
    s = parsed.outstation_status
    if s.is_empty():
        return s, s
    s = (s.lazy().unique(["mine_code", "outstation_code", "data_time"], keep="first", maintain_order=True)
         .join(state.seen_status.lazy(), on=["mine_code", "outstation_code"], how="left", maintain_order="left")
         .with_columns(_fresh=pl.col("last_t").is_null() | (pl.col("data_time") > pl.col("last_t")))
         .drop("last_t").collect())
    return s.filter(pl.col("_fresh")).drop("_fresh"), s.filter(~pl.col("_fresh")).drop("_fresh")


def _definition_rows(r: pl.DataFrame, defs: pl.DataFrame) -> pl.Series:
    """Per reading, the row of `defs` in force at its header time (null: its point is not defined)."""
    times = (defs.lazy().select(*POINT_KEY, def_time=pl.col("header_time")).with_row_index("def_row")
             .sort("def_time"))
    return (
        r.lazy().select(*POINT_KEY, "header_time").with_row_index("_row")
        .sort("header_time")
        .join_asof(times, left_on="header_time", right_on="def_time", by=POINT_KEY, strategy="backward",
                   check_sortedness=False)  # sorted by time as a whole; Polars cannot check per group
        .sort("_row")
        .collect()
        .get_column("def_row")
    )


def _with_defaults(r: pl.LazyFrame, settings: Settings) -> pl.LazyFrame:
    # a point not (yet) defined: the sensor and value types from its code, the regulation defaults
    r = r.with_columns(
        sensor_type=pl.coalesce("sensor_type", pl.col("point_code").str.slice(-12, 4)),
        value_type=pl.coalesce("value_type", pl.col("point_code").str.slice(-14, 2)),
    ).join(settings.threshold_defaults().lazy(), on="sensor_type", how="left", maintain_order="left")
    r = r.with_columns(pl.coalesce(c, f"d_{c}").alias(c) for c in THRESHOLDS).drop([f"d_{c}" for c in THRESHOLDS])
    return settings.point_frame(r)


def parsed_table(parsed: ParsedBatch, name: str) -> pl.DataFrame:
    frame: pl.DataFrame = getattr(parsed, name)
    return frame


@dataclass(frozen=True)
class Sequenced:
    """The batch's records of the SEQUENCED tables (and the positions of its snapshots), each once, split into
    those after their key's newest judged time (`fresh`) and the others (`late`)."""

    fresh: dict[str, pl.DataFrame]
    late: dict[str, pl.DataFrame]

    def without(self, mines: list[str]) -> Sequenced:
        if not mines:
            return self
        out = pl.Series(mines, dtype=pl.String).implode()
        return Sequenced({n: f.filter(~pl.col("mine_code").is_in(out)) for n, f in self.fresh.items()}, self.late)


def _key(columns: list[str]) -> pl.Expr:
    return pl.concat_str([pl.col(c).fill_null("") for c in columns], separator="|") if columns else pl.lit("")


def sequence(state: EngineState, parsed: ParsedBatch) -> Sequenced:
    """Each SEQUENCED table's rows once per (key, time), fresh or late; a snapshot's positions go with it
    (a snapshot re-sent under another name counts once: the first file's rows are kept)."""
    fresh, late = {}, {}
    for name, (columns, t) in SEQUENCED.items():
        rows = parsed_table(parsed, name)
        if rows.is_empty():
            fresh[name], late[name] = rows, rows
            continue
        seen = state.seen_more.lazy().filter(pl.col("table") == name).select("mine_code", "key", "last_t")
        rows = (rows.lazy().unique(RECORD_KEYS[name], keep="first", maintain_order=True)
                .with_columns(_key=_key(columns))
                .join(seen, left_on=["mine_code", "_key"], right_on=["mine_code", "key"], how="left",
                      maintain_order="left")
                .with_columns(_fresh=pl.col("last_t").is_null() | (pl.col(t) > pl.col("last_t")))
                .drop("_key", "last_t").collect())
        fresh[name] = rows.filter(pl.col("_fresh")).drop("_fresh").sort("mine_code", t, maintain_order=True)
        late[name] = rows.filter(~pl.col("_fresh")).drop("_fresh")
    positions = parsed_table(parsed, "positions")
    if not positions.is_empty():
        kept = fresh["snapshots"].select("file_id", "mine_code", "header_time")
        positions = positions.join(kept, on=["file_id", "mine_code", "header_time"], how="semi").sort(
            "mine_code", "header_time", "card_code", maintain_order=True)
    fresh["positions"] = positions
    return Sequenced(fresh, late)


def _seen_more(seen: pl.DataFrame, fresh: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """`seen` moved on to the newest time of each key in the fresh rows."""
    newest = [fresh[name].lazy().group_by("mine_code", key=_key(columns)).agg(last_t=pl.col(t).max())
              .select(pl.lit(name).alias("table"), "mine_code", "key", "last_t")
              for name, (columns, t) in SEQUENCED.items() if not fresh[name].is_empty()]
    if not newest:
        return seen
    new = pl.concat(newest).collect()
    return pl.concat([seen.join(new, on=["table", "mine_code", "key"], how="anti"), new], how="vertical_relaxed")


@dataclass(frozen=True)
class Records:
    """Records as parsed (engine.schema tables): what a batch adds to the store, or what the store holds."""

    readings: pl.DataFrame
    outstation_status: pl.DataFrame
    events: pl.DataFrame
    definitions: pl.DataFrame
    positions: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=POSITIONS))
    snapshots: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SNAPSHOTS))
    station_status: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=STATION_STATUS))
    power: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=POWER))
    seals: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SEALS))

    @classmethod
    def empty(cls) -> Records:
        return cls(**{name: pl.DataFrame(schema=s) for name, s in RECORD_SCHEMAS.items()})

    @classmethod
    def of(cls, parsed: ParsedBatch) -> Records:
        """The batch's records of every table (all of them: the caller picks what is new)."""
        return cls(**{name: parsed_table(parsed, name) for name in RECORD_TABLES})

    @classmethod
    def concat(cls, parts: list[Records]) -> Records:
        if len(parts) == 1:
            return parts[0]
        parts = parts or [cls.empty()]
        return cls(**{name: pl.concat([getattr(p, name) for p in parts], how="vertical_relaxed")
                      for name in RECORD_TABLES})

    def of_mine(self, mine: str) -> Records:
        return Records(**{name: getattr(self, name).filter(pl.col("mine_code") == mine) for name in RECORD_TABLES})

    def without(self, mines: list[str]) -> Records:
        if not mines:
            return self
        out = pl.Series(mines, dtype=pl.String).implode()
        return Records(**{name: getattr(self, name).filter(~pl.col("mine_code").is_in(out)) for name in RECORD_TABLES})


RECORD_SCHEMAS: dict[str, Schema] = {
    "readings": READINGS, "outstation_status": OUTSTATION_STATUS, "events": EVENTS, "definitions": DEFINITIONS,
    "positions": POSITIONS, "snapshots": SNAPSHOTS, "station_status": STATION_STATUS, "power": POWER, "seals": SEALS,
}
RECORD_TABLES = tuple(RECORD_SCHEMAS)
# the keys that make a record the same record: each is stored and judged once
RECORD_KEYS = {
    "readings": ["mine_code", "point_code", "data_time"],
    "outstation_status": ["mine_code", "outstation_code", "data_time"],
    "events": ["mine_code", "point_code", "event_type", "start", "end", "header_time"],
    "definitions": ["mine_code", "point_code", "header_time"],
    "positions": ["mine_code", "card_code", "header_time"],
    "snapshots": ["mine_code", "header_time"],
    "station_status": ["mine_code", "station_code", "data_time"],
    "power": ["mine_code", "meter_code", "start", "end"],
    "seals": ["mine_code", "seal_code", "event", "data_time"],
}
# the time by which each table's records are put in order (and in hours, when a mine is judged again)
RECORD_TIMES = {"readings": "data_time", "outstation_status": "data_time", "events": "header_time",
                "definitions": "header_time", "positions": "header_time", "snapshots": "header_time",
                "station_status": "data_time", "power": "start", "seals": "data_time"}


class History(Protocol):
    """What the engine may ask of the past when a batch brings late data (the caller's store)."""

    def stored(self, mine_code: str, since: datetime | None, until: datetime | None = None,
               tables: tuple[str, ...] = RECORD_TABLES) -> Records:
        """The mine's stored records of `tables` (the others empty) with a data time after `since` (None: all)
        and at or before `until`; its definitions whatever their time."""

    def checkpoint(self, mine_code: str, late: dict[str, datetime]) -> tuple[EngineState, Judged] | None:
        """The newest checkpoint holding the mine that is `usable` for its late data (stream → earliest
        time): the state (only that mine's rows are used) and how far it had judged each stream."""


Judged = dict[str, datetime]  # stream → the newest data time of it a state had judged (of one mine)


def usable(judged: Judged, late: dict[str, datetime]) -> bool:
    """A checkpoint that had judged a mine's streams to `judged` can judge its late data (stream → earliest
    time) again: it judged none of it. A checkpoint that is not usable for a batch's late data lacks it: the
    caller drops it (`BatchResult.late`). Checkpoints are kept in the order they were made, which is the
    order of the data they judged, so the newest usable one is the one that judged most."""
    return all(stream not in judged or judged[stream] < t for stream, t in late.items())


@dataclass(frozen=True)
class Checkpoint:
    state: EngineState
    seen_until: dict[str, Judged]  # mine → how far the state had judged each of its streams


@dataclass(frozen=True)
class BatchResult:
    state: EngineState
    episodes: pl.DataFrame  # EPISODES: every alarm episode opened, changed or ended by this batch
    stored: Records = field(default_factory=Records.empty)  # what the batch adds to the store, each record once
    # points (and outstations) judged again from a checkpoint, with the time after which their episodes
    # were derived again: an alarm of theirs open then or later without its episode was disproved
    rejudged: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJUDGED))
    # mines judged again, with the kinds not keyed by a point (SUBJECT_STREAMS: personnel, leads) whose
    # stream was judged again, and the time after which their episodes were derived again
    rejudged_mines: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJUDGED_MINES))
    # mine judged again → its late data (stream → earliest time): its checkpoints not `usable` for it go
    late: dict[str, dict[str, datetime]] = field(default_factory=dict)
    checkpoints: list[Checkpoint] = field(default_factory=list)  # states to keep for judging late data


# data this long before a checkpoint's newest time is read again with it: a point's readings can lag the
# mine's newest ones within a file or two (the judged ones are told apart by the point's own time)
LOOKBACK = timedelta(hours=1)
REJUDGED: Schema = {"mine_code": pl.String, "point_code": pl.String, "since": TIME}
REJUDGED_MINES: Schema = {"mine_code": pl.String, "kind": pl.String, "since": TIME}
HOUR = "1h"


def run_batch(
    state: EngineState, parsed: ParsedBatch, now: datetime, settings: Settings | None = None,
    history: History | None = None, facts: Facts | None = None,
) -> BatchResult:
    """`now` (engine time) is when silence is judged. With a `history`, late data is judged in data-time
    order (its mine again from a checkpoint); without one it is dropped. `facts`: what the registry knows
    of the mines (engine.facts), read when the batch is processed."""
    settings = settings or Settings()
    facts = facts or Facts()
    prepared = _step("prepare", prepare, state, parsed, settings)
    sequenced = _step("sequence", sequence, state, parsed)
    late = _late_mines(state, parsed, prepared, sequenced, history, settings) if history is not None else {}
    mines = sorted(late)
    readings, status, events = prepared.readings, prepared.status, parsed.events
    if mines:
        out = pl.Series(mines, dtype=pl.String).implode()
        readings = readings.filter(~pl.col("mine_code").is_in(out)).with_columns(pid=numbered("pid"))
        status = status.filter(~pl.col("mine_code").is_in(out))
        events = events.filter(~pl.col("mine_code").is_in(out))
        sequenced = sequenced.without(mines)
    files = parsed.files.filter(pl.col("status") == "accepted")
    result = _judge(state, prepared.latest, readings, status, events, files, now, settings, RULES,
                    sequenced.fresh, facts)
    stored = Records(
        readings=readings.select(_stored_readings()),
        outstation_status=status,
        events=events,
        definitions=parsed.definitions.filter(~pl.col("mine_code").is_in(mines)) if mines else parsed.definitions,
        **sequenced.fresh,
    )
    checkpoints = _crossed(state, result.state)
    episodes, rejudged, rejudged_mines, parts = [result.episodes], [], [], [stored]
    new_state = result.state
    for mine in mines:
        again = _step("rejudge", _rejudge, mine, late[mine], state, parsed, settings, history, facts)
        new_state = new_state.with_mine(mine, again.state)
        episodes.append(again.episodes)
        parts.append(again.stored)
        rejudged.append(again.rejudged)
        rejudged_mines.append(again.rejudged_mines)
        checkpoints += again.checkpoints
    out_episodes = episodes[0] if len(episodes) == 1 else pl.concat(episodes).sort(
        "start", "mine_code", "point_code", "kind", nulls_last=False)
    return BatchResult(state=new_state, episodes=out_episodes, stored=Records.concat(parts),
                       rejudged=pl.concat(rejudged) if rejudged else pl.DataFrame(schema=REJUDGED),
                       rejudged_mines=pl.concat(rejudged_mines) if rejudged_mines else pl.DataFrame(
                           schema=REJUDGED_MINES),
                       late=late, checkpoints=checkpoints)


def _stored_readings() -> list[pl.Expr]:
    return [pl.lit(0, pl.UInt32).alias("file_id"), pl.col("mine_code"), pl.col("point_code"), pl.col("value"),
            pl.col("status"), pl.col("t").alias("data_time"), pl.col("header_time")]


def _judge(state: EngineState, latest: pl.DataFrame, readings: pl.DataFrame, status: pl.DataFrame,
           events: pl.DataFrame, files: pl.DataFrame, now: datetime, settings: Settings,
           rules: list[tuple[str, Any]], fresh: dict[str, pl.DataFrame], facts: Facts) -> BatchResult:
    """The rules over prepared records; the state's rows of mines without records pass through."""
    batch = RuleInput(
        readings=readings,
        files=files.select("mine_code", "file_type", "header_time", "arrival"),
        reports=events,
        outstation_status=status,
        settings=settings,
        positions=fresh["positions"],
        snapshots=fresh["snapshots"],
        station_status=fresh["station_status"],
        power=fresh["power"],
        seals=fresh["seals"],
        facts=facts,
        definitions=latest,
    )
    rule_states: dict[str, Any] = dict(state.rules)
    episodes = []
    for name, module in rules:
        new, eps = _step(name, module.evaluate, state.rules[name], batch, now)
        rule_states[name] = new
        batch.upstream[name] = eps
        episodes.append(eps)
    # readings come grouped by point and in time order: a point's last row holds its newest time
    last = readings.filter(last_rows("pid")).select(*POINT_KEY, last_t=pl.col("t"))
    seen = pl.concat([state.seen.join(last.select(*POINT_KEY), on=POINT_KEY, how="anti"), last])
    seen_status = state.seen_status
    if not status.is_empty():
        newest = status.group_by("mine_code", "outstation_code").agg(last_t=pl.col("data_time").max())
        seen_status = pl.concat([seen_status.join(newest, on=["mine_code", "outstation_code"], how="anti"), newest],
                                how="vertical_relaxed")
    out = (
        pl.concat(episodes)
        .select(list(EPISODES))
        .sort("start", "mine_code", "point_code", "kind", nulls_last=False)
    )
    return BatchResult(
        state=EngineState(definitions=latest, seen=seen, rules=rule_states, seen_status=seen_status,
                          seen_more=_seen_more(state.seen_more, fresh)),
        episodes=out,
    )


def _frontiers(state: EngineState) -> pl.DataFrame:
    """How far each of each mine's STREAMS has been judged: the newest time of any of its keys."""
    times = pl.concat([
        state.seen.select("mine_code", "last_t"), state.seen_status.select("mine_code", "last_t"),
    ]).select("mine_code", stream=pl.lit("readings"), last_t="last_t")
    more = state.seen_more.select("mine_code", stream="table", last_t="last_t")
    return (pl.concat([times, more], how="vertical_relaxed").group_by("mine_code", "stream")
            .agg(frontier=pl.col("last_t").max()).sort("mine_code", "stream"))


def _judged(frontiers: pl.DataFrame) -> dict[str, Judged]:
    out: dict[str, Judged] = {}
    for mine, stream, t in frontiers.iter_rows():
        out.setdefault(mine, {})[stream] = t
    return out


def _crossed(before: EngineState, after: EngineState) -> list[Checkpoint]:
    """The state before the batch is a checkpoint for each mine it held whose batch took a stream into a new
    hour of data (or brought a stream it had not judged yet)."""
    was = _frontiers(before)
    crossed = (_frontiers(after)
               .join(was, on=["mine_code", "stream"], how="left", suffix="_before")
               .filter(pl.col("mine_code").is_in(was.get_column("mine_code").unique().implode()),
                       pl.col("frontier_before").is_null()
                       | (pl.col("frontier").dt.truncate(HOUR) > pl.col("frontier_before").dt.truncate(HOUR)))
               .get_column("mine_code").unique())
    if crossed.is_empty():
        return []
    return [Checkpoint(before, _judged(was.filter(pl.col("mine_code").is_in(crossed.implode()))))]


def _late_mines(state: EngineState, parsed: ParsedBatch, prepared: Prepared, sequenced: Sequenced,
                history: History, settings: Settings) -> dict[str, dict[str, datetime]]:
    """Mine → stream → the earliest time from which it must be judged again: its late readings and
    outstation statuses (not already stored: a re-sent file changes nothing), a definition older than its
    newest judged readings, a YCBJ over-limit report that a decision may already have missed, its late
    records of the SEQUENCED tables."""
    since: dict[str, dict[str, datetime]] = {}

    def earliest(frame: pl.DataFrame, column: str, stream: str = "readings") -> None:
        for mine, t in frame.group_by("mine_code").agg(pl.col(column).min()).iter_rows():
            streams = since.setdefault(mine, {})
            streams[stream] = min(t, streams.get(stream, t))

    late_readings, late_status = prepared.late, prepared.late_status
    for mine in sorted(set(late_readings.get_column("mine_code")) | set(late_status.get_column("mine_code"))):
        mine_r = late_readings.filter(pl.col("mine_code") == mine)
        mine_s = late_status.filter(pl.col("mine_code") == mine)
        times = pl.concat([mine_r.get_column("t"), mine_s.get_column("data_time")])
        lo, hi = times.min(), times.max()
        assert isinstance(lo, datetime) and isinstance(hi, datetime)
        stored = history.stored(mine, lo - timedelta(microseconds=1), hi, STREAMS["readings"])
        earliest(mine_r.join(stored.readings.select(*POINT_KEY, t=pl.col("data_time")), on=[*POINT_KEY, "t"],
                             how="anti"), "t")
        earliest(mine_s.join(stored.outstation_status.select("mine_code", "outstation_code", "data_time"),
                             on=["mine_code", "outstation_code", "data_time"], how="anti"), "data_time")
    for name, (_, t) in SEQUENCED.items():
        rows = sequenced.late[name]
        for mine in sorted(set(rows.get_column("mine_code"))):
            mine_rows = rows.filter(pl.col("mine_code") == mine)
            lo, hi = mine_rows.get_column(t).min(), mine_rows.get_column(t).max()
            assert isinstance(lo, datetime) and isinstance(hi, datetime)
            stored_rows = getattr(history.stored(mine, lo - timedelta(microseconds=1), hi, (name,)), name)
            earliest(mine_rows.join(stored_rows.select(RECORD_KEYS[name]), on=RECORD_KEYS[name], how="anti",
                                    nulls_equal=True), t, name)
    frontier = _frontiers(state).filter(pl.col("stream") == "readings").drop("stream")
    if not parsed.definitions.is_empty():
        earliest(parsed.definitions.join(frontier, on="mine_code").filter(pl.col("header_time") < pl.col("frontier")),
                 "header_time")
    reports = parsed.events.filter(pl.col("event_type") == OVER_LIMIT_EVENT)
    if not reports.is_empty():
        grace = timedelta(seconds=settings.max_report_grace_s())
        earliest(reports.join(frontier, on="mine_code").filter(pl.col("header_time") <= pl.col("frontier"))
                 .with_columns(since=pl.col("start") - grace), "since")
    return since


def _rejudge(mine: str, late: dict[str, datetime], state: EngineState, parsed: ParsedBatch, settings: Settings,
             history: History, facts: Facts) -> BatchResult:
    """The mine judged again in data-time order from the newest checkpoint that had judged none of its late
    data: the stored records of each stream from where the checkpoint had judged it (an hour of look-back:
    a point can lag its mine's newest readings; what it had judged is told apart by each key's own time)
    and the batch's, hour by hour (each hour's start is a checkpoint again). Without a checkpoint (a mine's
    first batches, data older than the checkpoints kept): from an empty state over all its stored records."""
    found = history.checkpoint(mine, late)
    base, judged = (found[0].of_mine(mine), found[1]) if found else (EngineState.empty(), {})
    reread: dict[str, datetime | None] = {s: judged[s] - LOOKBACK if s in judged else None for s in STREAMS}
    parts: dict[str, pl.DataFrame] = {}
    for stream, tables in STREAMS.items():
        kept = history.stored(mine, reread[stream], tables=tables)
        parts.update({name: getattr(kept, name) for name in tables})
    stored = Records(**parts)
    batch = Records.of(parsed).of_mine(mine)
    merged: dict[str, pl.DataFrame] = {}
    new: dict[str, pl.DataFrame] = {}
    for name in RECORD_TABLES:
        old, fresh = getattr(stored, name), getattr(batch, name)
        fresh = fresh.unique(RECORD_KEYS[name], keep="first", maintain_order=True).join(
            old.select(RECORD_KEYS[name]), on=RECORD_KEYS[name], how="anti", nulls_equal=True)
        new[name], merged[name] = fresh, pl.concat([old, fresh], how="vertical_relaxed")
    # data stored before definitions were kept: the latest known ones stand in for them
    defs = pl.concat([merged["definitions"], state.definitions.filter(pl.col("mine_code") == mine)],
                     how="vertical_relaxed").unique(RECORD_KEYS["definitions"], keep="first").sort("header_time")
    timed = [name for name in RECORD_TABLES if name != "definitions"]
    hours = (pl.concat([merged[name].select(h=pl.col(RECORD_TIMES[name]).dt.truncate(HOUR)) for name in timed])
             .unique().sort("h").get_column("h").to_list())
    current, episodes, checkpoints, judged_points, judged_streams = base, [], [], [], set()
    rules = [(name, module) for name, module in RULES if name != "mine_silent"]
    for i, hour in enumerate(hours):
        if i and not (frontiers := _frontiers(current)).is_empty():
            checkpoints.append(Checkpoint(current, _judged(frontiers)))
        end = hour + timedelta(hours=1)

        def part(name: str, hour: datetime = hour, end: datetime = end) -> pl.DataFrame:
            column = RECORD_TIMES[name]
            return merged[name].filter((pl.col(column) >= hour) & (pl.col(column) < end))

        piece = ParsedBatch(
            files=parsed.files.clear(), definitions=defs, readings=part("readings"),
            outstations=parsed.outstations.clear(), outstation_status=part("outstation_status"),
            statistics=parsed.statistics.clear(), events=part("events"), rejects=parsed.rejects.clear(),
            **{name: part(name) for name in (*SEQUENCED, "positions")},
        )
        emptied = EngineState(definitions=current.definitions.clear(), seen=current.seen, rules=current.rules,
                              seen_status=current.seen_status, seen_more=current.seen_more)
        p = prepare(emptied, piece, settings)
        q = sequence(emptied, piece)
        out = _judge(current, p.latest, p.readings, p.status, piece.events, piece.files, end, settings, rules,
                     q.fresh, facts)
        judged_points += [p.readings.select(*POINT_KEY), p.status.select("mine_code", point_code="outstation_code")]
        judged_streams |= {name for name in SEQUENCED if not q.fresh[name].is_empty()}
        if not p.readings.is_empty():
            judged_streams.add("readings")
        current = out.state
        episodes.append(out.episodes)

    def judged_from(stream: str) -> datetime | None:
        """Where the stream was judged again from: the checkpoint's time (less the look-back), or before its
        first record."""
        if reread[stream] is not None:
            return reread[stream]
        first = [merged[name].get_column(RECORD_TIMES[name]).min() for name in STREAMS[stream] if name != "definitions"]
        times = [t for t in first if isinstance(t, datetime)]
        return min(times) - LOOKBACK if times else None

    # each point's alarms are derived again after the time the checkpoint had judged it to
    points = (pl.concat(judged_points).unique() if judged_points else pl.DataFrame(schema=REJUDGED).drop("since"))
    judged_to = pl.concat([base.seen.select(*POINT_KEY, "last_t"),
                           base.seen_status.select("mine_code", point_code="outstation_code", last_t="last_t")])
    rejudged = points.join(judged_to, on=POINT_KEY, how="left").select(
        *POINT_KEY, since=pl.coalesce("last_t", pl.lit(judged_from("readings"), TIME)))
    # the kinds not keyed by a point, of the streams judged again, from the newest time the checkpoint had
    # judged of their stream
    rejudged_mines = pl.DataFrame(
        [(mine, kind, judged.get(stream) or judged_from(stream)) for kind, stream in SUBJECT_STREAMS.items()
         if stream in judged_streams], schema=REJUDGED_MINES, orient="row")
    return BatchResult(state=current, episodes=merge_episodes(episodes), stored=Records(**new),
                       rejudged=rejudged, rejudged_mines=rejudged_mines, late={mine: late},
                       checkpoints=checkpoints)


def merge_episodes(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The alarms that a sequence of batches' episodes add up to: one row per (mine, point, kind,
    start) with the latest end and peak, and the evidence of when it was raised."""
    if not frames:
        return pl.DataFrame(schema=EPISODES)
    return (
        pl.concat(frames)
        .with_row_index("_n")
        .sort("_n")
        .group_by("mine_code", "point_code", "kind", "start", maintain_order=True)
        .agg(pl.col("end").last(), pl.col("peak").last(), pl.col("evidence").first(), pl.col("void").last())
        .select(list(EPISODES))
        .sort("start", "mine_code", "point_code", "kind", nulls_last=False)
    )
