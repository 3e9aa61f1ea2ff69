"""The engine as one pure function: (state, parsed batch, now) → (state, episodes).

    result = run_batch(state, parse_uploads(uploads), now, settings)

Steps, in order (a failure names its step): prepare (join each reading to its point's definition in
force and to its settings, drop readings already seen), then the rules; unreported_event reads the
episodes of over_limit. The state is a set of small frames (open episodes, last values, last file
times, the latest definition of each point) that can be saved as bytes and loaded again, so a
restart or a replay continues exactly where live processing stopped.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from .episodes import first_rows, last_rows, numbered
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
from .rules.base import RuleInput
from .schema import DEFINITIONS, EPISODES, TIME, Schema
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
]
KINDS = [name for name, _ in RULES]
SEEN: Schema = {"point_code": pl.String, "last_t": TIME}
THRESHOLDS = ["upper_alarm", "upper_alarm_clear", "upper_power_off", "upper_power_restore"]
# the last IPC encoding of each state frame, with the frame it encodes (frames are never changed in place)
_ENCODED: dict[str, tuple[pl.DataFrame, bytes]] = {}
DEFINITIONS_DIGEST = "definitions.digest"  # stands for the definitions in an archive saved without them


class StepError(RuntimeError):
    """A bug in a step (bad input never raises: it is quarantined by the parser)."""


@dataclass(frozen=True)
class EngineState:
    definitions: pl.DataFrame  # the latest definition of each point (DEFINITIONS)
    seen: pl.DataFrame  # the newest data time processed per point
    rules: dict[str, Any] = field(default_factory=dict)  # each rule's own state

    @classmethod
    def empty(cls) -> EngineState:
        return cls(
            definitions=pl.DataFrame(schema=DEFINITIONS),
            seen=pl.DataFrame(schema=SEEN),
            rules={name: module.empty_state() for name, module in RULES},
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
    def from_bytes(cls, data: bytes, definitions: bytes | None = None) -> EngineState:
        """The state saved by `to_bytes`; `definitions`: what `definitions_bytes()` gave, for an archive
        saved without them (it must be the encoding whose digest the archive holds)."""
        base = cls.empty()
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            frames = {name: pl.read_ipc(io.BytesIO(z.read(name))) for name in z.namelist()
                      if name != DEFINITIONS_DIGEST}
        digest = cls.saved_definitions_digest(data)
        if digest is not None:
            if definitions is None or hashlib.blake2b(definitions, digest_size=16).hexdigest() != digest:
                raise ValueError("the definitions given are not those the engine state was saved with")
            frames["definitions"] = pl.read_ipc(io.BytesIO(definitions))
        rules: dict[str, Any] = {}
        for name, value in base.rules.items():
            if isinstance(value, dict):
                rules[name] = {
                    part: frames.get(f"rules/{name}/{part}", empty) for part, empty in value.items()
                }
            else:
                rules[name] = frames.get(f"rules/{name}", value)
        return cls(
            definitions=frames.get("definitions", base.definitions),
            seen=frames.get("seen", base.seen),
            rules=rules,
        )

    def _frames(self) -> list[tuple[str, pl.DataFrame]]:
        out = [("definitions", self.definitions), ("seen", self.seen)]
        for name, value in self.rules.items():
            if isinstance(value, dict):
                out += [(f"rules/{name}/{part}", frame) for part, frame in value.items()]
            else:
                out.append((f"rules/{name}", value))
        return out


@dataclass(frozen=True)
class BatchResult:
    state: EngineState
    episodes: pl.DataFrame  # EPISODES: every alarm episode opened, changed or ended by this batch


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


def prepare(state: EngineState, parsed: ParsedBatch, settings: Settings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Readings joined to the definition in force at their header time (a definition applies from its
    own header time on) and to their settings; readings at or before the point's last processed time
    are dropped (re-sent data never counts twice). Returns (readings sorted by point and time, the new
    latest definitions).

    Few Polars queries, each doing much (a lazy chain is one query, every eager step another): next to
    the replay's parsing thread each query waits its turn on Polars' threads."""
    only_latest = parsed.definitions.is_empty()
    if only_latest:
        defs = latest = state.definitions
    else:
        defs = pl.concat([state.definitions, parsed.definitions.select(list(DEFINITIONS))], how="vertical_relaxed")
        latest = (defs.lazy().sort("header_time").group_by("point_code").agg(pl.all().last())
                  .select(list(DEFINITIONS)).sort("point_code").collect())  # the same definitions, the same bytes
    # grouped by point (contiguous, in the order of a 64-bit hash of the code: an integer sort is several
    # times faster than sorting the strings) and by time within each point. Files come in time order, so
    # a stable sort by point alone usually leaves each point's rows in time order already (checked).
    # `pid` numbers the points; a sort by time within each point keeps it.
    r = (
        parsed.readings.lazy()
        .select("mine_code", "point_code", "value", "status", "header_time", t=pl.col("data_time"))
        .with_columns(_hash=pl.col("point_code").hash())
        .sort("_hash", maintain_order=True, multithreaded=False)
        .with_columns(pid=numbered("_hash"))
        .collect()
    )
    in_order = (pl.col("t") >= pl.col("t").shift(1)) | (pl.col("_hash") != pl.col("_hash").shift(1))
    if not r.select(in_order.fill_null(True).all()).item():
        r = r.sort("_hash", "t", maintain_order=True)
    # one row per point, in pid order (pid - 1 is its row): what a reading needs from its point is
    # gathered by position, not joined by code
    points = r.lazy().filter(first_rows("pid")).select("mine_code", "point_code").join(
        state.seen.lazy(), on="point_code", how="left", maintain_order="left")
    if only_latest:
        points = points.join(latest.lazy().select("point_code").with_row_index("def_row"), on="point_code",
                             how="left", maintain_order="left")
    by_point = points.collect()
    # one pass drops what was processed before and the same reading twice in one batch (a file re-sent
    # under another name: the first is kept)
    seen = pl.lit(by_point.get_column("last_t")).gather(pl.col("pid") - 1)
    repeated = ((pl.col("_hash") == pl.col("_hash").shift(1)) & (pl.col("t") == pl.col("t").shift(1))).fill_null(False)
    r = r.lazy().filter(~repeated & (seen.is_null() | (pl.col("t") > seen))).drop("_hash").collect()
    pid = r.get_column("pid")
    if only_latest:  # a point's latest definition is in force for each of its readings
        def_row = by_point.get_column("def_row")[pid - 1]
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
    return r.hstack(params[starts.cast(pl.UInt32).cum_sum() - 1]), latest


def _definition_rows(r: pl.DataFrame, defs: pl.DataFrame) -> pl.Series:
    """Per reading, the row of `defs` in force at its header time (null: its point is not defined)."""
    times = defs.lazy().select("point_code", def_time=pl.col("header_time")).with_row_index("def_row").sort("def_time")
    return (
        r.lazy().select("point_code", "header_time").with_row_index("_row")
        .sort("header_time")
        .join_asof(times, left_on="header_time", right_on="def_time", by="point_code", strategy="backward",
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


def run_batch(
    state: EngineState, parsed: ParsedBatch, now: datetime, settings: Settings | None = None
) -> BatchResult:
    settings = settings or Settings()
    readings, definitions = _step("prepare", prepare, state, parsed, settings)
    accepted = parsed.files.filter(pl.col("status") == "accepted").select(
        "mine_code", "file_type", "header_time"
    )
    batch = RuleInput(
        readings=readings,
        files=accepted,
        reports=parsed.events,
        outstation_status=parsed.outstation_status,
        settings=settings,
    )
    rule_states: dict[str, Any] = {}
    episodes = []
    for name, module in RULES:
        new, eps = _step(name, module.evaluate, state.rules[name], batch, now)
        rule_states[name] = new
        batch.upstream[name] = eps
        episodes.append(eps)
    # readings come grouped by point and in time order: a point's last row holds its newest time
    last = readings.filter(last_rows("pid")).select(
        "point_code", last_t=pl.col("t")
    )
    seen = pl.concat([state.seen.join(last.select("point_code"), on="point_code", how="anti"), last])
    out = (
        pl.concat(episodes)
        .select(list(EPISODES))
        .sort("start", "mine_code", "point_code", "kind", nulls_last=False)
    )
    return BatchResult(
        state=EngineState(definitions=definitions, seen=seen, rules=rule_states),
        episodes=out,
    )


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
        .agg(pl.col("end").last(), pl.col("peak").last(), pl.col("evidence").first())
        .select(list(EPISODES))
        .sort("start", "mine_code", "point_code", "kind", nulls_last=False)
    )
