"""What a batch's personnel files change in the database, inside the ingestion transaction: the positioning
areas (RYQY; an area seen in RYSS but never defined is kept as undeclared), the workers (RYXX, by the
workforce app) and each mine's people underground now (the newest snapshot by data time: a late snapshot
never replaces a newer one). Positions themselves go to Parquet (engine.io.parquet_store)."""

from __future__ import annotations

from typing import Any

import polars as pl

from kuangan.core.actor import Actor
from kuangan.core.clock import from_local
from kuangan.engine.formats import ParsedBatch
from kuangan.engine.pipeline import Records
from kuangan.registry.models import LeadershipMember, Mine
from kuangan.workforce.feed import upsert_from_feed

from .models import PersonnelNow, PositioningArea


def before_engine(parsed: ParsedBatch, mines: dict[str, Mine], *, by: Actor) -> None:
    """Areas and workers first: the engine's facts of this very batch know an area its RYQY declares
    restricted and a card its RYXX lists."""
    _areas(parsed.areas, parsed.positions, mines, by=by)
    if not parsed.people.is_empty():
        upsert_from_feed(parsed.people, mines, by=by)


def after_engine(stored: Records, mines: dict[str, Mine], *, by: Actor) -> None:
    """People underground now, from the snapshots the engine judged new."""
    _now(stored.snapshots, stored.positions, mines, by=by)


def _areas(areas: pl.DataFrame, positions: pl.DataFrame, mines: dict[str, Mine], *, by: Actor) -> None:
    """Areas as their newest RYQY defines them; codes people were seen in, created undeclared."""
    defined = (areas.sort("header_time").group_by("mine_code", "area_code").agg(pl.all().last())
               if not areas.is_empty() else areas)
    seen = (positions.filter(pl.col("area_code").is_not_null()).select("mine_code", "area_code").unique()
            if not positions.is_empty() else positions.select("mine_code", "area_code"))
    if defined.is_empty() and seen.is_empty():
        return
    codes = set(defined.get_column("area_code")) | set(seen.get_column("area_code"))
    mine_ids = {mines[c].pk for c in set(defined.get_column("mine_code")) | set(seen.get_column("mine_code"))
                if c in mines}
    existing = {(a.mine_id, a.code): a for a in PositioningArea.objects.filter(mine_id__in=mine_ids, code__in=codes)}
    new: dict[tuple[int, str], PositioningArea] = {}
    changed = []
    for d in defined.iter_rows(named=True):
        mine = mines.get(d["mine_code"])
        if mine is None:
            continue
        at = from_local(d["header_time"])
        values: dict[str, Any] = {"area_type": (d["area_type"] or "")[:20], "headcount": d["headcount"],
                                  "name": (d["area_name"] or "")[:100], "seen_in_files": True, "defined_at": at}
        area = existing.get((mine.pk, d["area_code"]))
        if area is None:
            new[(mine.pk, d["area_code"])] = PositioningArea(mine=mine, code=d["area_code"], updated_at=by.at,
                                                             **values)
        elif area.defined_at is None or area.defined_at <= at:  # a late RYQY does not overwrite a newer one
            if any(getattr(area, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(area, k, v)
                area.updated_at = by.at
                changed.append(area)
    for mine_code, code in seen.iter_rows():
        mine = mines.get(mine_code)
        if mine is not None and (mine.pk, code) not in existing and (mine.pk, code) not in new:
            new[(mine.pk, code)] = PositioningArea(mine=mine, code=code, seen_in_files=False, updated_at=by.at)
    PositioningArea.objects.bulk_create(new.values())
    if changed:
        PositioningArea.objects.bulk_update(changed, ["area_type", "headcount", "name", "seen_in_files",
                                                      "defined_at", "updated_at"])


def _now(snapshots: pl.DataFrame, positions: pl.DataFrame, mines: dict[str, Mine], *, by: Actor) -> None:
    if snapshots.is_empty():
        return
    newest = snapshots.group_by("mine_code").agg(at=pl.col("header_time").max())
    ids = {mines[c].pk: c for c in newest.get_column("mine_code") if c in mines}
    current = {p.mine_id: p for p in PersonnelNow.objects.filter(mine_id__in=ids)}
    down = (positions.join(newest, left_on=["mine_code", "header_time"], right_on=["mine_code", "at"], how="semi")
            .filter(pl.col("flag") == 1))
    by_area = {(m, a or ""): n for m, a, n in down.group_by("mine_code", "area_code").len().iter_rows()}
    leaders: dict[str, set[str]] = {}
    for mine_id, card in LeadershipMember.objects.filter(mine_id__in=ids, active=True).exclude(
            card_code="").values_list("mine_id", "card_code"):
        leaders.setdefault(ids[mine_id], set()).add(card)
    cards: dict[str, list[str]] = {}
    for mine_code, card in down.select("mine_code", "card_code").iter_rows():
        if card in leaders.get(mine_code, ()):
            cards.setdefault(mine_code, []).append(card)
    for mine_code, at in newest.iter_rows():
        mine = mines.get(mine_code)
        if mine is None:
            continue
        at = from_local(at)
        row = current.get(mine.pk)
        if row is not None and row.at >= at:
            continue
        areas = {a: n for (m, a), n in by_area.items() if m == mine_code}
        values = {"at": at, "count": sum(areas.values()), "by_area": areas,
                  "leaders": sorted(cards.get(mine_code, [])), "updated_at": by.at}
        PersonnelNow.objects.update_or_create(mine=mine, defaults=values)
