"""Leads of illegal production from the engine's episodes, inside the ingestion transaction (R4.7).

A lead is for the regulator: its events carry no mine parent (the mine's history page never shows them),
and only the county's inspectors holding LEAD_VIEW hear of it; the mine and its enterprise never do. One
open lead per (mine, subject, kind): a new episode while a lead is new or under review extends it; later
batches update the episode that last fed a lead, whatever its status (a dismissed lead is not raised again
by the same signal, only by a new one). Late data that judges a lead's stream again strikes the episodes it
disproved (`strike_disproved`): a lead left without any is withdrawn, so arrival order does not change the
leads either."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import polars as pl
from django.db.models import Q
from django.utils.translation import gettext as _

from kuangan.core import audit
from kuangan.core.access import perms_of
from kuangan.core.actor import Actor
from kuangan.core.choices import Perm
from kuangan.core.clock import from_local, local
from kuangan.core.notify import notify
from kuangan.core.transitions import transition
from kuangan.engine.pipeline import REJUDGED_MINES
from kuangan.registry.models import Mine
from kuangan.registry.people import county_inspectors

from .choices import OPEN_LEAD, LeadAction, LeadKind, LeadStatus
from .models import Lead, LeadTransition

LEAD_KINDS = frozenset(LeadKind.values)
DISPROVED = "迟到数据表明该信号不成立"
MAX_EPISODES = 50  # the episodes kept in a lead's evidence (newest last)


def lead_episodes(episodes: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(alarm episodes, lead episodes) of a batch."""
    is_lead = pl.col("kind").is_in(sorted(LEAD_KINDS))
    if episodes.is_empty():
        return episodes, episodes
    return episodes.filter(~is_lead), episodes.filter(is_lead & ~pl.col("void"))


def lead_readers(mine: Mine) -> list[Any]:
    return [u for u in county_inspectors(mine) if Perm.LEAD_VIEW in perms_of(u)]


def apply_leads(episodes: pl.DataFrame, mines: dict[str, Mine], *, by: Actor,
                rejudged: pl.DataFrame | None = None) -> list[int]:
    """Raise or update leads from lead episodes (engine.schema.EPISODES rows), then strike the episodes that
    `rejudged` (engine BatchResult.rejudged_mines) disproved. Returns the pks touched."""
    rejudged = (rejudged if rejudged is not None else pl.DataFrame(schema=REJUDGED_MINES)).filter(
        pl.col("kind").is_in(sorted(LEAD_KINDS)))
    if episodes.is_empty() and rejudged.is_empty():
        return []
    missing = (set(episodes.get_column("mine_code")) | set(rejudged.get_column("mine_code"))) - set(mines)
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
    kept = {(r["mine_code"], r["point_code"] or "", r["kind"], r["start"]) for r in episodes.iter_rows(named=True)}
    for mine_code, kind, since in rejudged.iter_rows():
        if mine_code in mines:
            touched += strike_disproved(mines[mine_code], kind, since, kept, by=by)
    return touched


def _naive(text: str) -> datetime:
    """An episode's time as the evidence holds it (Beijing, with its offset) as the engine's naive time."""
    return datetime.fromisoformat(text).replace(tzinfo=None)


def strike_disproved(mine: Mine, kind: str, since: datetime, kept: set[tuple[str, str, str, datetime]], *,
                     by: Actor) -> list[int]:
    """The mine's leads of `kind` lose the episodes open at or after `since` (when late data judged their
    stream again from) that the new judgement did not derive again (`kept`: (mine, subject, kind, start)); a
    return's over-capacity episode is not the engine's to strike. A lead's start, end and peak come from
    the episodes left; an open lead left with none is withdrawn, a decided one keeps its decision with a note."""
    touched = []
    leads = (Lead.objects.filter(mine=mine, kind=kind).exclude(status=LeadStatus.WITHDRAWN)
             .filter(Q(end__isnull=True) | Q(end__gt=from_local(since))))
    for lead in leads:
        episodes = lead.evidence.get("episodes", [])
        gone = [e for e in episodes if not e.get("from_return")
                and (e["end"] is None or _naive(e["end"]) > since)
                and (mine.code, lead.subject, kind, _naive(e["start"])) not in kept]
        if not gone:
            continue
        left = [e for e in episodes if e not in gone]
        before = {"start": lead.start, "end": lead.end, "peak": lead.peak}
        lead.evidence = {**lead.evidence, "episodes": left}
        if left:
            newest = max(left, key=lambda e: _naive(e["start"]))
            if any(_naive(e["start"]) == local(lead.start).replace(tzinfo=None) for e in gone):
                lead.start = from_local(min(_naive(e["start"]) for e in left))
            lead.end = from_local(_naive(newest["end"])) if newest["end"] else None
            lead.episode_start = from_local(_naive(newest["start"]))
            peaks = [e["peak"] for e in left if e.get("peak") is not None]
            lead.peak = max(peaks) if peaks else None
        lead.save(update_fields=["start", "end", "peak", "evidence", "episode_start"])
        if not left and lead.is_open:
            transition(lead, to=LeadStatus.WITHDRAWN)
            LeadTransition.objects.create(lead=lead, action=LeadAction.WITHDRAWN, at=by.at, note=_(DISPROVED))
            audit.record("monitoring.lead.withdrawn", lead, by=by, before=before, after={"status": lead.status})
        else:
            LeadTransition.objects.create(lead=lead, action=LeadAction.UPDATED, at=by.at, note=_(DISPROVED))
            audit.record("monitoring.lead.updated", lead, by=by, before=before,
                         after={"start": lead.start, "end": lead.end, "peak": lead.peak})
        touched.append(lead.pk)
    return touched


def _apply(mine: Mine, r: dict[str, Any], *, by: Actor) -> Lead | None:
    subject, kind = r["point_code"] or "", r["kind"]
    start = from_local(r["start"])
    end = from_local(r["end"]) if r["end"] is not None else None
    evidence = json.loads(r["evidence"] or "{}")
    episode = {"start": local(start).isoformat(sep=" "), "end": local(end).isoformat(sep=" ") if end else None,
               "peak": r["peak"]}
    if evidence.get("source") == "production_return":
        episode["from_return"] = True
    leads = Lead.objects.filter(mine=mine, subject=subject, kind=kind).exclude(status=LeadStatus.WITHDRAWN)
    same = leads.filter(episode_start=start).first()
    if same is not None:
        return _update(same, evidence, episode, by=by)
    current = leads.filter(status__in=OPEN_LEAD).first()
    if current is not None:
        return _update(current, evidence, episode, by=by, new_episode=True,
                       # late data can bring an episode before the lead's first: the lead begins with it
                       earlier=start < current.start and not leads.filter(start=start).exists())
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


def _update(lead: Lead, evidence: dict[str, Any], episode: dict[str, Any], *,
            by: Actor, new_episode: bool = False, earlier: bool = False) -> Lead | None:
    episodes = [e for e in lead.evidence.get("episodes", []) if e.get("start") != episode["start"]]
    episodes = (episodes + [episode])[-MAX_EPISODES:]
    peaks = [e["peak"] for e in episodes if e.get("peak") is not None]
    new_peak = max(peaks) if peaks else None
    # the lead's signal stops when its latest episode does (a late one may be an earlier episode)
    latest = max(episodes, key=lambda e: _naive(e["start"]))
    end = from_local(_naive(latest["end"])) if latest["end"] else None
    before = {"start": lead.start, "end": lead.end, "peak": lead.peak}
    if not new_episode and lead.end == end and lead.peak == new_peak:
        return None
    start = from_local(_naive(episode["start"]))
    if earlier:
        lead.start = start
    lead.end, lead.peak, lead.episode_start = end, new_peak, max(lead.episode_start, start)
    lead.evidence = {**evidence, "episodes": episodes}
    lead.save(update_fields=["start", "end", "peak", "evidence", "episode_start"])
    LeadTransition.objects.create(lead=lead, action=LeadAction.UPDATED, at=by.at,
                                  note=_("同类信号再次出现") if new_episode else "")
    audit.record("monitoring.lead.updated", lead, by=by, before=before,
                 after={"start": lead.start, "end": end, "peak": new_peak})
    return lead


def lead_inspection_opened(lead: Lead, inspection_id: int, *, by: Actor) -> None:
    """An inspection opened from the lead (enforcement.actions.open_inspection, inside its transaction)."""
    before = {"status": lead.status}
    transition(lead, to=LeadStatus.INSPECTION_OPENED)
    LeadTransition.objects.create(lead=lead, action=LeadAction.INSPECTION_OPENED, at=by.at, by=by.user,
                                  note=str(inspection_id))
    audit.record("monitoring.lead.inspection_opened", lead, by=by, before=before,
                 after={"status": lead.status, "inspection": inspection_id})
