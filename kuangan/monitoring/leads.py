"""Leads of illegal production from the engine's episodes, inside the ingestion transaction (R4.7).

A lead is for the regulator: its events carry no mine parent (the mine's history page never shows them),
and only the county's inspectors holding LEAD_VIEW hear of it; the mine and its enterprise never do. One
open lead per (mine, subject, kind): a new episode while a lead is new or under review extends it; later
batches update the episode that last fed a lead, whatever its status (a dismissed lead is not raised again
by the same signal, only by a new one)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from kuangan.core import audit
from kuangan.core.access import perms_of
from kuangan.core.actor import Actor
from kuangan.core.choices import Perm
from kuangan.core.clock import from_local, local
from kuangan.core.notify import notify
from kuangan.core.transitions import transition
from kuangan.registry.models import Mine
from kuangan.registry.people import county_inspectors

from .choices import OPEN_LEAD, LeadAction, LeadKind, LeadStatus
from .models import Lead, LeadTransition

LEAD_KINDS = frozenset(LeadKind.values)
MAX_EPISODES = 50  # the episodes kept in a lead's evidence (newest last)


def lead_episodes(episodes: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(alarm episodes, lead episodes) of a batch."""
    is_lead = pl.col("kind").is_in(sorted(LEAD_KINDS))
    if episodes.is_empty():
        return episodes, episodes
    return episodes.filter(~is_lead), episodes.filter(is_lead & ~pl.col("void"))


def lead_readers(mine: Mine) -> list[Any]:
    return [u for u in county_inspectors(mine) if Perm.LEAD_VIEW in perms_of(u)]


def apply_leads(episodes: pl.DataFrame, mines: dict[str, Mine], *, by: Actor) -> list[int]:
    """Raise or update leads from lead episodes (engine.schema.EPISODES rows). Returns the pks touched."""
    if episodes.is_empty():
        return []
    missing = set(episodes.get_column("mine_code")) - set(mines)
    if missing:
        mines = {**mines, **{m.code: m for m in Mine.objects.filter(code__in=missing)}}
    touched = []
    for r in episodes.sort("start").iter_rows(named=True):
        mine = mines.get(r["mine_code"])
        if mine is None:
            continue
        lead = _apply(mine, r, by=by)
        if lead is not None:
            touched.append(lead.pk)
    return touched


def _apply(mine: Mine, r: dict[str, Any], *, by: Actor) -> Lead | None:
    subject, kind = r["point_code"] or "", r["kind"]
    start = from_local(r["start"])
    end = from_local(r["end"]) if r["end"] is not None else None
    evidence = json.loads(r["evidence"] or "{}")
    episode = {"start": local(start).isoformat(sep=" "), "end": local(end).isoformat(sep=" ") if end else None,
               "peak": r["peak"]}
    same = Lead.objects.filter(mine=mine, subject=subject, kind=kind, episode_start=start).first()
    if same is not None:
        return _update(same, end, r["peak"], evidence, episode, by=by)
    current = Lead.objects.filter(mine=mine, subject=subject, kind=kind, status__in=OPEN_LEAD).first()
    if current is not None:
        current.episode_start = start
        current.save(update_fields=["episode_start"])
        return _update(current, end, r["peak"], evidence, episode, by=by, new_episode=True)
    lead = Lead.objects.create(mine=mine, kind=kind, subject=subject, start=start, end=end, peak=r["peak"],
                               evidence={**evidence, "episodes": [episode]}, episode_start=start, raised_at=by.at)
    LeadTransition.objects.create(lead=lead, action=LeadAction.RAISED, at=by.at)
    # no parent: a lead's events never show on the mine's history page
    audit.record("monitoring.lead.raised", lead, by=by, after={"kind": kind, "subject": subject, "start": start,
                                                               "end": end, "peak": r["peak"]})
    notify(lead_readers(mine), by=by, url=lead.get_absolute_url(),
           title=_("违法生产线索：%(mine)s %(kind)s") % {"mine": mine.name, "kind": lead.get_kind_display()},
           body=_("信号开始于 %(start)s") % {"start": local(start).strftime("%Y-%m-%d %H:%M")})
    return lead


def _update(lead: Lead, end: Any, peak: float | None, evidence: dict[str, Any], episode: dict[str, Any], *,
            by: Actor, new_episode: bool = False) -> Lead | None:
    episodes = [e for e in lead.evidence.get("episodes", []) if e.get("start") != episode["start"]]
    episodes = (episodes + [episode])[-MAX_EPISODES:]
    peaks = [e["peak"] for e in episodes if e.get("peak") is not None]
    new_peak = max(peaks) if peaks else None
    before = {"end": lead.end, "peak": lead.peak}
    if not new_episode and lead.end == end and lead.peak == new_peak:
        return None
    lead.end, lead.peak = end, new_peak
    lead.evidence = {**evidence, "episodes": episodes}
    lead.save(update_fields=["end", "peak", "evidence"])
    LeadTransition.objects.create(lead=lead, action=LeadAction.UPDATED, at=by.at,
                                  note=_("同类信号再次出现") if new_episode else "")
    audit.record("monitoring.lead.updated", lead, by=by, before=before, after={"end": end, "peak": new_peak})
    return lead


def lead_inspection_opened(lead: Lead, inspection_id: int, *, by: Actor) -> None:
    """An inspection opened from the lead (enforcement.actions.open_inspection, inside its transaction)."""
    before = {"status": lead.status}
    transition(lead, to=LeadStatus.INSPECTION_OPENED)
    LeadTransition.objects.create(lead=lead, action=LeadAction.INSPECTION_OPENED, at=by.at, by=by.user,
                                  note=str(inspection_id))
    audit.record("monitoring.lead.inspection_opened", lead, by=by, before=before,
                 after={"status": lead.status, "inspection": inspection_id})
