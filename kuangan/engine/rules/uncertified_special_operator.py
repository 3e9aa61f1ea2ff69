"""uncertified_special_operator: a card the roster marks as a special operator (facts.operators) underground
with no operator certificate valid on the snapshot's date (issued <= date <= expires: a certificate
expiring that day is valid all that day). Judged only at mines whose certificates are on file
(facts.mines.certificates_on_file); elsewhere the platform cannot tell an uncertified operator from a
missing record. A certificate row without dates is no certificate; one without an expiry never expires.

The episode is the card's (point_code); it ends at the first snapshot where the person is not underground
(absent, came up) or holds a valid certificate (a new one on file, read at processing time). peak: none.
Evidence: the first snapshot: the date, the certificates on file and why none is valid (none / expired /
not yet valid). Gaps: each snapshot is judged on its own rows, so missing snapshots cannot open an episode."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..facts import Facts
from .base import RuleInput, evidence
from .personnel import (
    UNDERGROUND,
    derived,
    fmt,
    judge,
    new_state,
    people,
    quiet,
    subject_rows,
    unchanged,
)

KIND = "uncertified_special_operator"
KEY_CARD = ["mine_code", "point_code"]
DATE = "%Y-%m-%d"


def _operators(facts: Facts) -> tuple[pl.DataFrame, pl.Series]:
    """The special operators' certificates at mines with certificates on file, and their card codes."""
    on_file = facts.mines.filter(pl.col("certificates_on_file").fill_null(False)).select("mine_code")
    operators = facts.operators.join(on_file, on="mine_code", how="semi")
    return operators, operators.get_column("card_code").unique().implode()


def empty_state() -> dict[str, pl.DataFrame]:
    return new_state()


def evaluate(state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
             ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if quiet(batch):
        return unchanged(state)
    operators, cards = derived(batch.facts, KIND, _operators)
    if operators.is_empty() and state["open"].is_empty():
        return unchanged(state)
    candidates = (
        subject_rows(batch, (pl.col("flag") == UNDERGROUND)
                     & pl.col("card_code").is_in(cards),
                     "name", "area_code", "station_code")
        .join(operators.lazy().select("mine_code", point_code="card_code").unique(), on=KEY_CARD, how="semi")
        .with_columns(date=pl.col("t").dt.date())
    )
    day = pl.col("date")
    dated = pl.col("issued").is_not_null() | pl.col("expires").is_not_null()
    valid = dated & (pl.col("issued").is_null() | (pl.col("issued") <= day)) & (
        pl.col("expires").is_null() | (day <= pl.col("expires")))
    certified = (candidates.select("mine_code", "point_code", "date").unique()
                 .join(operators.lazy().rename({"card_code": "point_code"}), on=KEY_CARD)
                 .filter(valid).select("mine_code", "point_code", "date").unique())
    rows = candidates.join(certified, on=["mine_code", "point_code", "date"], how="anti").with_columns(
        sig=pl.lit(True), val=pl.lit(None, pl.Float64), rank=pl.lit(0.0))

    def describe(eps: pl.DataFrame) -> pl.DataFrame:
        certificate = pl.when(dated).then(pl.concat_str(
            pl.col("issued").dt.strftime(DATE).fill_null("?"), pl.lit("~"),
            pl.col("expires").dt.strftime(DATE).fill_null("")))
        on_file = (
            eps.lazy().select("mine_code", "point_code", "date").unique()  # a card's two episodes of a day
            .join(operators.lazy().rename({"card_code": "point_code"}), on=KEY_CARD)
            .group_by("mine_code", "point_code", "date")
            .agg(certificates=certificate.drop_nulls().sort(),
                 problem=pl.when(~dated.any()).then(pl.lit("none"))
                 .when((pl.col("expires") < day).fill_null(False).any()).then(pl.lit("expired"))
                 .otherwise(pl.lit("not_yet_valid")))
        )
        return eps.lazy().join(on_file, on=["mine_code", "point_code", "date"], how="left").with_columns(
            evidence=evidence(
                card=pl.col("point_code"), name=pl.col("name"), t=fmt("t"), date=pl.col("date").dt.strftime(DATE),
                certificates=pl.col("certificates"), problem=pl.col("problem"),
                area=pl.col("area_code"), station=pl.col("station_code"),
            )).collect()

    return judge(state, rows, kind=KIND, describe=describe, grid=people(batch).snaps)
