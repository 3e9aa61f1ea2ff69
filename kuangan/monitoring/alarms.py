"""Alarms from the engine's episodes, inside the ingestion transaction (kuangan.monitoring.ingest).

An episode is keyed by (mine, point, kind, start): a new key raises an alarm (audited, the mine's
dispatchers and the county's inspectors notified unless a planned window covers it); a known key
takes the episode's end and peak (an end clears the alarm, audited)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from kuangan.core import audit
from kuangan.core.actor import Actor
from kuangan.core.choices import Role
from kuangan.core.clock import from_local
from kuangan.core.models import User
from kuangan.core.notify import notify
from kuangan.registry.models import Mine
from kuangan.registry.people import county_inspectors, mine_users

from .choices import KIND_SEVERITY, AlarmAction, AlarmKind
from .models import Alarm, AlarmTransition, MonitoringPoint, PlannedWindow


def recipients(mine: Mine) -> list[User]:
    """The mine's dispatchers and the inspectors of the regulator holding the mine's county (R4.8)."""
    return mine_users(mine, Role.MINE_DISPATCHER) + county_inspectors(mine)


def _window_for(windows: list[PlannedWindow], point_code: str, at: datetime) -> PlannedWindow | None:
    for w in windows:
        if w.start <= at <= w.end and (not w.point_codes() or point_code in w.point_codes()):
            return w
    return None


def apply_episodes(episodes: pl.DataFrame, mines: dict[str, Mine], *, by: Actor) -> list[int]:
    """Raise, update or clear alarms; returns the pks touched."""
    if episodes.is_empty():
        return []
    rows = episodes.to_dicts()
    missing = {r["mine_code"] for r in rows} - set(mines)
    if missing:  # a silent mine sends no file: its episodes come with batches of the other mines' files
        mines = {**mines, **{m.code: m for m in Mine.objects.filter(code__in=missing)}}
    mine_ids = {mines[r["mine_code"]].pk for r in rows if r["mine_code"] in mines}
    starts = {from_local(r["start"]) for r in rows}
    existing = {(a.mine_id, a.point_code, a.kind, a.start): a
                for a in Alarm.objects.filter(mine_id__in=mine_ids, start__in=starts)}
    codes = {r["point_code"] for r in rows if r["point_code"]}
    points = {p.code: p for p in MonitoringPoint.objects.filter(code__in=codes)}
    earliest = min(starts)
    windows: dict[int, list[PlannedWindow]] = {}
    for w in PlannedWindow.objects.filter(mine_id__in=mine_ids, end__gte=earliest):
        windows.setdefault(w.mine_id, []).append(w)
    touched = []
    for r in rows:
        mine = mines.get(r["mine_code"])
        if mine is None:
            continue
        code = r["point_code"] or ""
        start, end = from_local(r["start"]), (from_local(r["end"]) if r["end"] is not None else None)
        alarm = existing.get((mine.pk, code, r["kind"], start))
        if alarm is None:
            alarm = _raise(mine, code, r, start, end, points.get(code), windows.get(mine.pk, []), by=by)
        else:
            _update(alarm, end, r["peak"], by=by)
        touched.append(alarm.pk)
    return touched


def _raise(mine: Mine, code: str, r: dict[str, Any], start: datetime, end: datetime | None,
           point: MonitoringPoint | None, windows: list[PlannedWindow], *, by: Actor) -> Alarm:
    if end is None:  # one open alarm per (point or mine, kind): an older open one ends where this starts
        for stale in Alarm.objects.filter(mine=mine, point_code=code, kind=r["kind"], end__isnull=True):
            _update(stale, start, stale.peak, by=by, note=_("同一测点的新报警开始，旧报警结束"))
    window = _window_for(windows, code, start)
    alarm = Alarm.objects.create(
        mine=mine, point=point, point_code=code, kind=r["kind"], severity=KIND_SEVERITY[AlarmKind(r["kind"])],
        start=start, end=end, peak=r["peak"], evidence=json.loads(r["evidence"] or "{}"),
        location=(point.location if point else "")[:200], planned_window=window, raised_at=by.at)
    AlarmTransition.objects.create(alarm=alarm, action=AlarmAction.RAISED, at=by.at)
    audit.record("monitoring.alarm.raised", alarm, by=by, after=audit.snapshot(alarm), parent=mine)
    if end is not None:
        AlarmTransition.objects.create(alarm=alarm, action=AlarmAction.CLEARED, at=by.at)
    if window is None:
        where = point.location if point else mine.name
        notify(recipients(mine), by=by, url=alarm.get_absolute_url(),
               title=_("%(mine)s：%(kind)s") % {"mine": mine.name, "kind": alarm.get_kind_display()},
               body=_("%(where)s，开始于 %(start)s") % {
                   "where": where, "start": start.strftime("%Y-%m-%d %H:%M:%S")})
    return alarm


def _update(alarm: Alarm, end: datetime | None, peak: float | None, *, by: Actor, note: str = "") -> None:
    before = {"end": alarm.end, "peak": alarm.peak}
    if alarm.end == end and alarm.peak == peak:
        return
    cleared = alarm.end is None and end is not None
    alarm.end, alarm.peak = end, peak
    alarm.save(update_fields=["end", "peak"])
    if cleared:
        AlarmTransition.objects.create(alarm=alarm, action=AlarmAction.CLEARED, at=by.at, note=note)
    audit.record("monitoring.alarm.cleared" if cleared else "monitoring.alarm.updated", alarm, by=by,
                 before=before, after={"end": alarm.end, "peak": alarm.peak}, parent=alarm.mine)
