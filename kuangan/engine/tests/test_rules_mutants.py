"""Cases of the rules the mutation run (scripts/mutation) found no test for."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from kuangan.engine.pipeline import EngineState, merge_episodes, run_batch
from kuangan.engine.rules import personnel

from .factories import CH4, CO, METHANE_FACE, at, batch, readings
from .personnel_factories import facts, shift

pytestmark = pytest.mark.nodb

OTHER_MINE = "141129000002"
H = 3600


def _table(f, *mines: str) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    lf = pl.LazyFrame({"mine_code": list(mines)}, schema={"mine_code": pl.String})
    return personnel.shift_table(f, lf).collect().sort("mine_code", "o", nulls_last=True)


def _rows(mine: str | None, *rows: tuple[int, int, int, int, int, int, bool]) -> pl.DataFrame:
    """(o, end, lb, ub, prev_o, prev_lb, maintenance) in hours from the day's midnight."""
    return pl.DataFrame(
        [(mine, *(int(h * H) for h in r[:6]), r[6]) for r in rows], schema=personnel.SHIFT_TABLE, orient="row")


# --- the shift table ----------------------------------------------------------------------------------------


def test_the_shift_table_of_three_shifts_a_day_is_the_days_starts_and_the_next_midnight():
    f = facts(shifts=[shift(0), shift(8 * 60), shift(16 * 60, maintenance=True)])
    assert_frame_equal(_table(f, "141129000001"), _rows(
        "141129000001",
        (0, 8, -4, 4, -8, -12, False),
        (8, 16, 4, 12, 0, -4, False),
        (16, 24, 12, 20, 8, 4, True),
        (24, 32, 20, 28, 16, 12, False),
    ))


def test_one_shift_a_day_reaches_two_days_back_and_two_ahead():
    f = facts(shifts=[shift(6 * 60)])
    assert_frame_equal(_table(f, "141129000001"), _rows(
        "141129000001",
        (6, 30, -6, 18, -18, -30, False),
        (30, 54, 18, 42, 6, -6, False),
    ))


def test_two_shifts_a_day_end_where_the_next_midnight_is_nearest():
    f = facts(shifts=[shift(8 * 60), shift(20 * 60)])
    assert_frame_equal(_table(f, "141129000001"), _rows(
        "141129000001",
        (-4, 8, -10, 2, -16, -22, False),  # last night's shift: whoever goes down before 02:00 belongs to it
        (8, 20, 2, 14, -4, -10, False),
        (20, 32, 14, 26, 8, 2, False),
    ))


def test_a_start_at_24_00_is_midnight_and_a_shift_without_its_kind_is_a_production_shift():
    f = facts(shifts=[shift(0), {**shift(12 * 60), "maintenance": None}, shift(24 * 60)])
    assert_frame_equal(_table(f, "141129000001"), _rows(
        "141129000001",
        (0, 12, -6, 6, -12, -18, False),
        (12, 24, 6, 18, 0, -6, False),
        (24, 36, 18, 30, 12, 6, False),
    ))


def test_a_mine_without_shifts_on_record_works_three_shifts_from_midnight():
    f = facts(shifts=[shift(6 * 60, mine=OTHER_MINE)])
    table = _table(f, "141129000001", OTHER_MINE)
    assert_frame_equal(table.filter(pl.col("mine_code") == "141129000001"), _rows(
        "141129000001",
        (0, 8, -4, 4, -8, -12, False),
        (8, 16, 4, 12, 0, -4, False),
        (16, 24, 12, 20, 8, 4, False),
        (24, 32, 20, 28, 16, 12, False),
    ))
    assert table.filter(pl.col("mine_code") == OTHER_MINE).get_column("o").to_list() == [6 * H, 30 * H]


# --- CDSS rules, batch by batch ------------------------------------------------------------------------------


def episodes(*batches, kind: str, reload: bool = True, settings=None) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every column of the alarms of `kind` that the batches add up to, run in order (now = the newest
    header time so far), the state saved and loaded between batches as the platform does."""
    state, frames, newest = EngineState.empty(), [], datetime.min
    for b in batches:
        if b.files.height:
            newest = max(newest, b.files["header_time"].max())
        result = run_batch(state, b, newest, settings)
        state = EngineState.from_bytes(result.state.to_bytes()) if reload else result.state
        frames.append(result.episodes)
    return [r for r in merge_episodes(frames).iter_rows(named=True) if r["kind"] == kind]


def _alarm(point: str, kind: str, start: datetime, end: datetime | None, peak: float | None, evidence: str,
           void: bool = False) -> dict:  # type: ignore[type-arg]
    return {"mine_code": point[:12], "point_code": point, "kind": kind, "start": start, "end": end, "peak": peak,
            "evidence": evidence, "void": void}


def _stuck(values: list[float], *, start: float = 0, period: float = 60) -> list[dict]:  # type: ignore[type-arg]
    return readings(CH4, values, start=start, period=period)


def test_a_stuck_run_is_carried_from_batch_to_batch():
    data = _stuck([0.31] + [0.30] * 420 + [0.32])  # 0.30 from 00:01 for seven hours
    expected = [_alarm(CH4, "stuck_value", at(60), at(421 * 60), 0.30, '{"value":0.3,"hours":6.0}')]
    assert episodes(batch(definitions=[METHANE_FACE], readings=data), kind="stuck_value") == expected
    parts = [data[:140], data[140:280], data[280:]]
    assert episodes(batch(definitions=[METHANE_FACE], readings=parts[0]), *(batch(readings=p) for p in parts[1:]),
                    kind="stuck_value") == expected
    # a run already held when a batch ends, and one carried through a batch that only continues it
    parts = [data[:380], data[380:400], data[400:]]
    assert episodes(batch(definitions=[METHANE_FACE], readings=parts[0]), *(batch(readings=p) for p in parts[1:]),
                    kind="stuck_value") == expected


def test_a_point_missing_from_a_batch_keeps_its_run():
    first = _stuck([0.30] * 241)  # 00:00 to 04:00
    other = readings(CO, [3.0], start=241 * 60 - 30)  # another point's file in between
    rest = _stuck([0.30] * 180 + [0.33], start=241 * 60)  # on to 07:01
    found = episodes(batch(definitions=[METHANE_FACE], readings=first), batch(readings=other), batch(readings=rest),
                     kind="stuck_value")
    assert [(r["start"], r["end"]) for r in found] == [(at(0), at(421 * 60))]


def test_a_pause_of_exactly_the_lateness_does_not_break_a_run():
    before = _stuck([0.30] * 181)  # 00:00 to 03:00
    after = _stuck([0.30] * 200 + [0.33], start=180 * 60 + 300)  # five minutes later, on past 06:00
    found = episodes(batch(definitions=[METHANE_FACE], readings=before + after), kind="stuck_value")
    assert [r["start"] for r in found] == [at(0)]
    later = _stuck([0.30] * 200 + [0.33], start=180 * 60 + 301)  # a second more: the run starts again
    assert episodes(batch(definitions=[METHANE_FACE], readings=before + later), kind="stuck_value") == []


def test_a_value_unchanged_for_exactly_the_stuck_hours_is_stuck():
    exactly = _stuck([0.30] * 361 + [0.33])  # 00:00 to 06:00 the same, different at 06:01
    assert [(r["start"], r["end"]) for r in episodes(batch(definitions=[METHANE_FACE], readings=exactly),
                                                     kind="stuck_value")] == [(at(0), at(361 * 60))]
    short = _stuck([0.30] * 360 + [0.33])  # a minute short
    assert episodes(batch(definitions=[METHANE_FACE], readings=short), kind="stuck_value") == []
