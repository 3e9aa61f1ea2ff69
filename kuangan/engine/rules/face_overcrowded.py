"""face_overcrowded: an area declared as a face (facts.areas.declared_as == "face", a regulator-confirmed
mapping) with more non-leaders underground in it than its face limit, or any area with more people
underground than its RYQY approved headcount (facts.areas.headcount, everyone counted; 0 counts as unset).

The face limit is the StaffingLimit for the face's kind, method and disaster class (facts.areas): face_limit
in a production shift, face_limit_maintenance while the shift in force is a maintenance shift (facts.shifts;
the production limit when no maintenance limit is known). Leaders (roster cards, facts.leaders) are left out
of the face count: the limits exclude transient visits of mine leaders (RULES.md §4). At or beyond
`face_major_share` (20 %) over the face limit the evidence says major = true and item = "C01-06" (a major
hazard, preselected in the hazard form): 24 non-leaders at a limit of 20 are major, 23 are not.

The episode is the area's (point_code = area code); peak = people underground in the area. Evidence: the worst
snapshot (major first, then the most people): counts (people, non-leaders, leaders), the limits applied and
where they come from, which were exceeded, how far, and the cards in the area.
Gaps: each snapshot is judged on the people it lists, so missing snapshots cannot open an episode."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..facts import Facts
from .base import RuleInput, evidence
from .personnel import FACE, cards_at, derived, fmt, judge, new_state, people, quiet, unchanged, with_cards

KIND = "face_overcrowded"
MAJOR_ITEM = "C01-06"  # 采掘作业地点超过限员规定 20 % 以上 (RULES.md §1, §4)
TOLERANCE = 1e-9  # 20 % of a limit computed in floating point: 24 at 20 is exactly 20 % over


def _limits(facts: Facts) -> pl.DataFrame:
    """The areas with a limit: a face's, or a RYQY headcount (0 is a headcount the mine's system left unset, not a
    limit of nobody: restricted areas are a type of their own)."""
    return facts.areas.unique(["mine_code", "area_code"], keep="first").with_columns(
        headcount=pl.when(pl.col("headcount") > 0).then(pl.col("headcount"))).filter(
        pl.col("headcount").is_not_null() | (pl.col("declared_as") == FACE)).select(
        "mine_code", "area_code", "declared_as", "headcount", "face_limit", "face_limit_maintenance")


def empty_state() -> dict[str, pl.DataFrame]:
    return new_state()


def evaluate(state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
             ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if quiet(batch):
        return unchanged(state)
    share = batch.settings.personnel.face_major_share
    prepared = people(batch)
    limits = derived(batch.facts, KIND, _limits).lazy()
    workers = pl.col("people") - pl.col("leaders")
    is_face = (pl.col("declared_as") == FACE).fill_null(False)
    limit = pl.when(is_face).then(pl.when(pl.col("maintenance")).then(
        pl.coalesce("face_limit_maintenance", "face_limit")).otherwise(pl.col("face_limit")))
    over_face = (workers > pl.col("limit")).fill_null(False)
    over_headcount = (pl.col("people") > pl.col("headcount")).fill_null(False)
    major = over_face & ((workers - pl.col("limit")).cast(pl.Float64)
                         >= pl.col("limit").cast(pl.Float64) * share - TOLERANCE)
    rows = (
        prepared.areas.lazy()
        .join(limits, on=["mine_code", "area_code"], how="inner")  # areas without a record have no limits
        .join(prepared.snaps.lazy().select("mine_code", "t", "maintenance"), on=["mine_code", "t"], how="left")
        .with_columns(limit=limit)
        .with_columns(over_face=over_face, over_headcount=over_headcount, major=major,
                      workers=workers)
        .with_columns(
            point_code=pl.col("area_code"), sig=pl.col("over_face") | pl.col("over_headcount"),
            val=pl.col("people").cast(pl.Float64),
            rank=pl.col("major").cast(pl.Float64) * 1e6 + pl.col("people").cast(pl.Float64),
        )
    )

    def describe(eps: pl.DataFrame) -> pl.DataFrame:
        on = ("mine_code", "t", "area_code")
        over = pl.concat_list(pl.when(pl.col("over_face")).then(pl.lit("face_limit")),
                              pl.when(pl.col("over_headcount")).then(pl.lit("headcount"))).list.drop_nulls()
        return with_cards(eps, cards_at(batch, eps, on=on), on).with_columns(evidence=evidence(
            area=pl.col("area_code"), declared_as=pl.col("declared_as"), t=fmt("t"),
            people=pl.col("people"), non_leaders=pl.col("workers"), leaders=pl.col("leaders"),
            shift=pl.when(pl.col("maintenance")).then(pl.lit("maintenance")).otherwise(pl.lit("production")),
            face_limit=pl.col("limit"),
            face_limit_source=pl.when(pl.col("limit").is_not_null()).then(pl.lit("staffing_limit")),
            headcount=pl.col("headcount"), headcount_source=pl.lit("RYQY"),
            over=over,
            over_share=pl.when(pl.col("over_face")).then(
                ((pl.col("workers") - pl.col("limit")) / pl.col("limit")).round(4)),
            major=pl.col("major"), item=pl.when(pl.col("major")).then(pl.lit(MAJOR_ITEM)),
            cards=pl.col("cards"), cards_total=pl.col("cards_total"),
        ))

    return judge(state, rows, kind=KIND, describe=describe, grid=prepared.snaps)
