"""The personnel alarms (RYSS snapshots): what their rules share, and `RULES`, the order they run in.

Input (engine.rules.base.RuleInput): `positions`, the RYSS rows of snapshots not judged before, sorted by
mine, snapshot time (`header_time`, called `t` here) and card; `snapshots`, one row per snapshot, empty ones
too. Every snapshot of a mine in a batch is newer than those judged before (late ones make the pipeline judge
the mine again from a checkpoint), so a rule sees each mine's snapshots in time order, batch after batch.

What the rules share:
- A person is underground in a snapshot when flag == 1; a person absent from a snapshot is not underground.
  A subject (card, area) whose episode is open and that is absent from a later snapshot gets a False row
  there (`judge(grid=...)`): the episode ends at the first snapshot where its condition no longer holds.
- A leader is a card of facts.leaders of the same mine; the file's own leader flag is never read.
- A person's shift is the shift instance (a start of facts.shifts / shifts_of on a given day) whose start is
  nearest to the person's time down: with 三八制 (00/08/16 h) whoever goes down from 04:00 to 11:59:59
  belongs to the 08:00 shift (a time exactly half-way belongs to the later shift). People go down shortly
  before or after their shift starts; nearest-start needs no per-mine tolerance and is monotone in time, so
  the shifts present in a snapshot follow from its earliest and latest time down.
- The shift *in force* at a time (face limits of a maintenance shift, leaders per shift) is the one whose
  start is the last at or before it.
- A shift change is under way at a snapshot that shows people of two consecutive shift instances underground
  (the newest one present, N, and the one before it, P): from N's first person down to P's last person up.
  Stragglers of older shifts (a card left underground for days) are overtime, not a shift change.
- Evidence (JSON) describes the snapshot where an episode was worst so far (each rule's `rank`), with the
  people and times that justify it; it is carried with the open episode, so a later batch reports the worst
  snapshot of the whole episode (one batch or many give the same).
- Gaps in RYSS data time (snapshots further apart than settings.personnel.snapshot_gap): a rule judged on
  the people a snapshot lists (every rule but no_leader_on_shift) cannot open an episode because data is
  missing; each module's docstring says how it treats gaps.
- A batch without personnel rows costs one check (`quiet`) and leaves the state as it was.

Speed: Polars expressions over all mines at once. The rules share one preparation of the batch (`people`,
computed by the first rule that asks and reused by the others): counts per snapshot and per area, the
leaders' rows, the shifts present in each snapshot, in a handful of queries whatever the number of mines.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import polars as pl

from ..episodes import carried_schema, track
from ..facts import DEFAULT_SHIFT_MINUTES, Facts
from ..schema import EPISODES, TIME, Schema
from .base import RuleInput, episodes_out

KEY = ["mine_code", "point_code"]  # point_code: the subject (card, area, or the mine's own code)
UNDERGROUND, CAME_UP = 1, 2
SOS = "求救"
RESTRICTED = "限制区域"
FACE = "face"
MAX_CARDS = 50  # cards listed in an evidence (with the total)
DAY_S = 86_400
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# the evidence of each open episode: the rank of the snapshot it describes (the worst so far)
EVIDENCE: Schema = {"mine_code": pl.String, "point_code": pl.String, "start": TIME, "rank": pl.Float64,
                    "evidence": pl.String}

# a mine's shifts around a day: start `o`, next start `end` (seconds from the day's midnight, beyond the day
# too); [lb, ub): the times nearest to `o` (a person going down then belongs to this shift); the previous
# shift's start and lower bound
SHIFT_TABLE: Schema = {"mine_code": pl.String, "o": pl.Int64, "end": pl.Int64, "lb": pl.Int64, "ub": pl.Int64,
                       "prev_o": pl.Int64, "prev_lb": pl.Int64, "maintenance": pl.Boolean}

# one row per snapshot of the batch (People.snaps)
SNAPS: Schema = {
    "mine_code": pl.String,
    "t": TIME,
    "people": pl.Int64,  # underground
    "outside": pl.Int64,  # underground outside the areas declared as faces
    "shift_start": TIME,  # the shift in force at t
    "shift_end": TIME,
    "maintenance": pl.Boolean,
    "in_change": pl.Boolean,  # a shift change is under way
    "prev_shift": TIME,  # during a change: the start of the previous shift (P) and of the next one (N)
    "next_shift": TIME,
    "prev_lb": TIME,  # P's people went down in [prev_lb, next_lb), N's at or after next_lb
    "next_lb": TIME,
    "prev_people": pl.Int64,  # P's people still underground
    "next_down": TIME,  # the earliest time down of N's people in this snapshot
}


def quiet(batch: RuleInput) -> bool:
    """No personnel rows and no snapshots: the rule has nothing to judge (the usual CDSS batch)."""
    return batch.positions.is_empty() and batch.snapshots.is_empty()


def new_state(**extra: Schema) -> dict[str, pl.DataFrame]:
    return {"open": pl.DataFrame(schema=carried_schema(KEY)), "evidence": pl.DataFrame(schema=EVIDENCE),
            **{name: pl.DataFrame(schema=schema) for name, schema in extra.items()}}


_NO_EPISODES = pl.DataFrame(schema=EPISODES)


def no_episodes() -> pl.DataFrame:
    """An empty EPISODES frame: a copy of one built once (building one from the schema takes 0.1-0.2 ms,
    which every personnel rule would pay on every CDSS batch)."""
    return _NO_EPISODES.clone()


def unchanged(state: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    return state, no_episodes()


def fmt(column: str) -> pl.Expr:
    """A time as the evidence shows it (Beijing time, as in the files)."""
    return pl.col(column).dt.strftime(TIME_FORMAT)


T = TypeVar("T")
_DERIVED: weakref.WeakKeyDictionary[Facts, dict[str, Any]] = weakref.WeakKeyDictionary()


def derived(facts: Facts, name: str, build: Callable[[Facts], T]) -> T:
    """What a rule derives from the facts (their frames filtered, joined), built once per Facts object:
    kuangan.monitoring.facts builds a new one when a registry fact changes, so a replay builds each once."""
    cache = _DERIVED.setdefault(facts, {})
    if name not in cache:
        cache[name] = build(facts)
    value: T = cache[name]
    return value


# --- shifts -------------------------------------------------------------------------------------------------


def _extended(starts: pl.LazyFrame) -> pl.LazyFrame:
    """SHIFT_TABLE from each mine's shift starts (mine_code, m: minutes after midnight, maintenance)."""
    days = pl.LazyFrame({"d": [-2, -1, 0, 1, 2]}, schema={"d": pl.Int64})
    return (
        starts.group_by("mine_code", "m").agg(pl.col("maintenance").any())
        .join(days, how="cross")
        .select("mine_code", "maintenance", o=(pl.col("m") + 1440 * pl.col("d")) * 60)
        .sort("mine_code", "o")
        .with_columns(end=pl.col("o").shift(-1).over("mine_code"), prev_o=pl.col("o").shift(1).over("mine_code"),
                      prev2=pl.col("o").shift(2).over("mine_code"))
        .with_columns(lb=(pl.col("prev_o") + pl.col("o")) // 2, ub=(pl.col("o") + pl.col("end")) // 2,
                      prev_lb=(pl.col("prev2") + pl.col("prev_o")) // 2)
        .drop_nulls(["end", "prev_lb"])
        .filter((pl.col("end") > 0) & (pl.col("lb") < DAY_S))
        .select(list(SHIFT_TABLE))
    )


def _shift_tables(facts: Facts) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The tables of the mines with shifts on record, and 三八制's (mine_code null) for every other mine."""
    known = facts.shifts.lazy().select("mine_code", m=pl.col("start_minute").cast(pl.Int64) % 1440,
                                       maintenance=pl.col("maintenance").fill_null(False))
    default = pl.LazyFrame({"mine_code": [None] * len(DEFAULT_SHIFT_MINUTES), "m": list(DEFAULT_SHIFT_MINUTES),
                            "maintenance": [False] * len(DEFAULT_SHIFT_MINUTES)},
                           schema={"mine_code": pl.String, "m": pl.Int64, "maintenance": pl.Boolean})
    tables = pl.collect_all([_extended(known), _extended(default).drop("mine_code")])
    return tables[0], tables[1]


def shift_table(facts: Facts, mines: pl.LazyFrame) -> pl.LazyFrame:
    """SHIFT_TABLE of the mines in `mines` (mine_code): their shifts on record, 三八制 for the others (as
    engine.facts.shifts_of), over five days around any day so that every time of a day finds its shift and
    its neighbours."""
    known, default = derived(facts, "shift_tables", _shift_tables)
    mines = mines.select("mine_code").unique()
    return pl.concat([
        known.lazy().join(mines, on="mine_code", how="semi"),
        mines.join(known.lazy().select("mine_code").unique(), on="mine_code", how="anti")
        .join(default.lazy(), how="cross"),
    ])


def _day(column: str) -> tuple[pl.Expr, pl.Expr]:
    day = pl.col(column).dt.truncate("1d")
    return day, (pl.col(column) - day).dt.total_seconds()


def _at(seconds: str) -> pl.Expr:
    return pl.col("_day") + pl.duration(seconds=pl.col(seconds))


def nearest_shift(frame: pl.LazyFrame, column: str, table: pl.DataFrame, keys: list[str]) -> pl.LazyFrame:
    """keys…, start, lb, prev_start, prev_lb, length: the shift of a person who went down at `column` (the
    instance whose start is nearest; rows whose time is null are left out)."""
    day, tod = _day(column)
    return (
        frame.select(*dict.fromkeys([*keys, column])).filter(pl.col(column).is_not_null())
        .with_columns(_day=day, _tod=tod)
        .join(table.lazy(), on="mine_code")
        .filter((pl.col("lb") <= pl.col("_tod")) & (pl.col("_tod") < pl.col("ub")))
        .select(*keys, start=_at("o"), lb=_at("lb"), prev_start=_at("prev_o"), prev_lb=_at("prev_lb"),
                length=pl.duration(seconds=pl.col("end") - pl.col("o")))
    )


def shift_in_force(frame: pl.LazyFrame, column: str, table: pl.DataFrame, keys: list[str]) -> pl.LazyFrame:
    """keys…, shift_start, shift_end, maintenance: the shift in force at `column`."""
    day, tod = _day(column)
    return (
        frame.select(*dict.fromkeys([*keys, column])).with_columns(_day=day, _tod=tod)
        .join(table.lazy(), on="mine_code")
        .filter((pl.col("o") <= pl.col("_tod")) & (pl.col("_tod") < pl.col("end")))
        .select(*keys, shift_start=_at("o"), shift_end=_at("end"), maintenance="maintenance")
    )


# --- the batch, prepared once for every personnel rule --------------------------------------------------------


@dataclass(frozen=True)
class People:
    snaps: pl.DataFrame  # SNAPS, in mine and time order
    areas: pl.DataFrame  # mine_code, t, area_code, people (underground), leaders (of them, leader cards)
    leaders: pl.DataFrame  # the rows of leader cards underground or come up: mine_code, t, flag, time_up, area_code
    table: pl.DataFrame  # SHIFT_TABLE of the batch's mines
    shortest: int | None  # the shortest shift of those mines, in seconds (None: no snapshot)


_LAST: list[tuple[weakref.ref[RuleInput], People]] = []  # the batch prepared last (held weakly)


def people(batch: RuleInput) -> People:
    """The batch prepared for the personnel rules (once per batch: the first rule prepares, the others reuse)."""
    if _LAST and _LAST[0][0]() is batch:
        return _LAST[0][1]
    prepared = _prepare(batch)

    def forget(ref: weakref.ref[RuleInput]) -> None:  # the batch is gone: its preparation too
        if _LAST and _LAST[0][0] is ref:
            _LAST.clear()

    _LAST[:] = [(weakref.ref(batch, forget), prepared)]
    return prepared


def _leaders(facts: Facts) -> tuple[pl.Series, pl.DataFrame]:
    leaders = facts.leaders.unique()
    return leaders.get_column("card_code").unique().implode(), leaders


def _faces(facts: Facts) -> pl.DataFrame:
    return facts.areas.filter(pl.col("declared_as") == FACE).select("mine_code", "area_code").unique()


def _prepare(batch: RuleInput) -> People:
    """Two queries whatever the batch's size: each Polars call of the engine waits its turn next to the
    parser's work (engine.episodes.track), so their number counts as much as the rows."""
    facts, positions = batch.facts, batch.positions
    leader_cards, leaders_on_file = derived(facts, "leaders", _leaders)
    snaps_lf = batch.snapshots.lazy().select("mine_code", t="header_time").unique(maintain_order=True).sort("mine_code", "t")
    table_lf = shift_table(facts, snaps_lf)
    # positions come sorted by mine and snapshot time: a run of equal (mine, time) is a snapshot, numbered
    # `sid`; people are counted per snapshot and area in one pass grouped by integers (the area by a 64-bit
    # hash of its code, as engine.pipeline.prepare groups points), the per-snapshot figures from those
    under = (
        positions.lazy().with_columns(sid=pl.struct("mine_code", "header_time").rle_id())
        .filter(pl.col("flag") == UNDERGROUND)
        .select("sid", "mine_code", "area_code", "time_down", t="header_time")
    )
    per_area = under.group_by("sid", pl.col("area_code").hash(7).alias("_area")).agg(
        pl.col("mine_code", "t", "area_code").first(), people=pl.len().cast(pl.Int64),
        min_down=pl.col("time_down").min(), max_down=pl.col("time_down").max(),
    ).drop("_area")
    leader_rows = (
        positions.lazy()
        .filter(pl.col("card_code").is_in(leader_cards) & pl.col("flag").is_in([UNDERGROUND, CAME_UP]))
        .join(leaders_on_file.lazy(), on=["mine_code", "card_code"], how="semi")
        .select("mine_code", "flag", "time_up", "area_code", t="header_time")
    )
    snaps, counted, leaders, table, shortest = pl.collect_all([
        snaps_lf, per_area, leader_rows, table_lf, table_lf.select((pl.col("end") - pl.col("o")).min())])
    areas = (
        counted.lazy().filter(pl.col("area_code").is_not_null())
        .join(leaders.lazy().filter(pl.col("flag") == UNDERGROUND).group_by("mine_code", "t", "area_code")
              .agg(leaders=pl.len().cast(pl.Int64)), on=["mine_code", "t", "area_code"], how="left")
        .with_columns(pl.col("leaders").fill_null(0))
        .select("mine_code", "t", "area_code", "people", "leaders")
        .sort("mine_code", "t", "area_code")
    )
    faces = derived(facts, "faces", _faces).lazy().with_columns(_face=pl.lit(True))
    per_snap = (
        counted.lazy()
        .join(faces, on=["mine_code", "area_code"], how="left")
        .group_by("mine_code", "t").agg(
            pl.col("sid").first(), _runs=pl.col("sid").n_unique(), people=pl.col("people").sum(),
            in_faces=pl.col("people").filter(pl.col("_face").is_not_null()).sum(),
            min_down=pl.col("min_down").min(), max_down=pl.col("max_down").max())
    )
    base = (
        snaps.lazy().join(per_snap, on=["mine_code", "t"], how="left", maintain_order="left")
        .with_columns(people=pl.col("people").fill_null(0))
        .with_columns(outside=pl.col("people") - pl.col("in_faces").fill_null(0))
    )
    key = ["mine_code", "t"]
    low = nearest_shift(base, "min_down", table, key).select(*key, low="start")
    high = nearest_shift(base, "max_down", table, [*key, "sid"]).select(
        *key, "sid", next_shift="start", next_lb="lb", prev_shift="prev_start", prev_lb="prev_lb")
    # snapshots with someone of an older shift than the newest present: is it the one just before?
    candidates = low.join(high, on=key).filter(pl.col("low") < pl.col("next_shift")).drop("low")
    change = (
        under.select("sid", "time_down").join(candidates, on="sid")
        .group_by(key).agg(
            pl.col("next_shift", "next_lb", "prev_shift", "prev_lb").first(),
            prev_people=((pl.col("time_down") >= pl.col("prev_lb")) & (pl.col("time_down") < pl.col("next_lb")))
            .sum().cast(pl.Int64),
            next_down=pl.col("time_down").filter(pl.col("time_down") >= pl.col("next_lb")).min(),
        )
        .filter(pl.col("prev_people") > 0)
    )
    out, area_counts = pl.collect_all([
        base.join(shift_in_force(base, "t", table, key), on=key, how="left", maintain_order="left")
        .join(change, on=key, how="left", maintain_order="left")
        .with_columns(in_change=pl.col("prev_people").is_not_null())
        .select(*SNAPS, "_runs"),
        areas,
    ])
    if (out.get_column("_runs") > 1).any():
        raise ValueError("RYSS positions must come sorted by mine and snapshot time (engine.pipeline)")
    out = out.drop("_runs")
    return People(snaps=out, areas=area_counts, leaders=leaders, table=table, shortest=shortest.item())


# --- judging: rows of (subject, snapshot) through engine.episodes.track -----------------------------------------


def judge(
    state: dict[str, pl.DataFrame],
    rows: pl.LazyFrame,
    *,
    kind: str,
    describe: Callable[[pl.DataFrame], pl.DataFrame],
    grid: pl.DataFrame | None = None,
    mine_level: bool = False,
    keep: dict[str, pl.LazyFrame] | None = None,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Episodes of `kind` from `rows`: mine_code, point_code (the subject), t, `sig` (the condition holds;
    null: neither opens nor ends), `val` (the peak is its maximum), `rank` (an episode's evidence describes
    its row of highest rank, the earliest of equals) and whatever `describe` reads.

    `grid` (mine_code, t: the batch's snapshots): `rows` hold only the subjects present in a snapshot;
    a subject whose condition held in the batch or whose episode is open gets a False row at each
    snapshot of its mine it is absent from. `describe(rows)` adds `evidence` to the rows chosen (one per
    episode whose worst snapshot is new). `mine_level`: point_code is the mine's code and is emitted null.
    `keep`: the rule's other state frames after this batch, computed in the same query as the rows (a batch
    where nothing holds and nothing is open costs that one query)."""
    carried = state["open"]
    names = list(keep or {})
    frames = pl.collect_all([rows, *(keep or {}).values()])
    table = frames[0]
    kept = {**{k: v for k, v in state.items() if k not in ("open", "evidence")},
            **dict(zip(names, frames[1:], strict=True))}
    if carried.is_empty() and not table.get_column("sig").any():  # the usual batch: nothing holds, nothing open
        return {**state, **kept}, no_episodes()
    if grid is not None:
        busy = pl.concat([table.lazy().filter(pl.col("sig")).select(KEY), carried.lazy().select(KEY)]).unique()
        table = (
            busy.join(grid.lazy().select("mine_code", "t"), on="mine_code")
            .join(table.lazy().with_columns(_here=pl.lit(True)), on=[*KEY, "t"], how="left")
            .with_columns(sig=pl.when(pl.col("_here").is_null()).then(False).otherwise(pl.col("sig")))
            .drop("_here")
            .sort([*KEY, "t"])
            .collect()
        )
    tracked = track(table, key=KEY, signal=pl.col("sig"), carried=carried, value=pl.col("val"))
    if tracked.episodes.is_empty():  # nothing opened, changed or ended
        return {**kept, "open": tracked.carried, "evidence": state["evidence"]}, no_episodes()
    best = (
        tracked.rows.lazy().filter(pl.col("active"))
        .sort(["rank", "t"], descending=[True, False], nulls_last=True)
        .group_by([*KEY, "ep_start"], maintain_order=True).first()
        .rename({"ep_start": "start"})
        .drop("active", "pid")
    )
    before = state["evidence"].lazy().rename({"rank": "c_rank", "evidence": "c_evidence"})
    eps = (
        tracked.episodes.lazy().join(best, on=[*KEY, "start"], how="left")
        .join(before, on=[*KEY, "start"], how="left")
        .with_columns(_fresh=pl.col("t").is_not_null()
                      & (pl.col("c_evidence").is_null() | (pl.col("rank") > pl.col("c_rank")).fill_null(False)))
        .collect()
    )
    fresh = eps.filter(pl.col("_fresh"))
    described = (describe(fresh).select(*KEY, "start", _new="evidence") if not fresh.is_empty()
                 else pl.DataFrame(schema={**dict.fromkeys(KEY, pl.String), "start": TIME, "_new": pl.String}))
    eps = eps.join(described, on=[*KEY, "start"], how="left").with_columns(
        evidence=pl.coalesce("_new", "c_evidence", pl.lit("{}")),
        rank=pl.when(pl.col("_fresh")).then(pl.col("rank")).otherwise(pl.col("c_rank")),
    )
    evidence_state = pl.concat([
        state["evidence"].join(eps.select(*KEY, "start"), on=[*KEY, "start"], how="anti"),
        eps.select(list(EVIDENCE)),
    ]).join(tracked.carried.select(*KEY, "start"), on=[*KEY, "start"], how="semi")
    out = eps.select("mine_code", "point_code", "start", "end", "peak", "evidence")
    if mine_level:
        out = out.drop("point_code")
    return ({**kept, "open": tracked.carried, "evidence": evidence_state},
            episodes_out(out, kind, pl.col("evidence")))


def cards_at(batch: RuleInput, chosen: pl.DataFrame, *, on: tuple[str, ...] = ("mine_code", "t"),
             where: pl.Expr | None = None) -> pl.DataFrame:
    """on…, cards (the first MAX_CARDS card codes, in card order), cards_total: the people underground at the
    chosen snapshots (and areas, with on=(…, "area_code")) that `where` keeps."""
    keys = list(on)
    lf = (batch.positions.lazy()
          .filter((pl.col("flag") == UNDERGROUND) & pl.col("header_time").is_in(chosen.get_column("t").implode()))
          .rename({"header_time": "t"})
          .join(chosen.lazy().select(keys).unique(), on=keys, how="semi"))
    if where is not None:
        lf = lf.join(chosen.lazy(), on=keys, how="left").filter(where)
    return lf.group_by(keys).agg(cards=pl.col("card_code").head(MAX_CARDS), cards_total=pl.len().cast(pl.Int64)
                                 ).collect()


def with_cards(eps: pl.DataFrame, cards: pl.DataFrame, on: tuple[str, ...] = ("mine_code", "t")) -> pl.DataFrame:
    return eps.join(cards, on=list(on), how="left").with_columns(
        pl.col("cards").fill_null(pl.lit([], dtype=pl.List(pl.String))), pl.col("cards_total").fill_null(0))


def subject_rows(batch: RuleInput, where: pl.Expr, *columns: Any) -> pl.LazyFrame:
    """Rows of positions that `where` keeps, with t = the snapshot's time and point_code = the card."""
    return batch.positions.lazy().filter(where).select(
        "mine_code", pl.col("card_code").alias("point_code"), pl.col("header_time").alias("t"), *columns)


# the order the rules run in: none reads another's episodes, so any order gives the same alarms; the
# first one prepares the batch for the others (`people`)
from . import (  # noqa: E402 - the rule modules import the helpers above
    face_overcrowded,
    mine_overcrowded,
    no_leader_on_shift,
    overtime_underground,
    restricted_area_entry,
    shift_change_overcrowded,
    sos,
    suspended_mine_activity,
    uncertified_special_operator,
)

RULES: list[tuple[str, Any]] = [
    ("mine_overcrowded", mine_overcrowded),
    ("face_overcrowded", face_overcrowded),
    ("shift_change_overcrowded", shift_change_overcrowded),
    ("no_leader_on_shift", no_leader_on_shift),
    ("overtime_underground", overtime_underground),
    ("sos", sos),
    ("restricted_area_entry", restricted_area_entry),
    ("suspended_mine_activity", suspended_mine_activity),
    ("uncertified_special_operator", uncertified_special_operator),
]
KINDS = [name for name, _ in RULES]
