"""Alarms from the engine's result, inside the ingestion transaction (kuangan.monitoring.ingest).

What happens to each alarm is decided by `engine.reconcile` (one place for live, replay and the tests):
a new episode raises an alarm (audited; the mine's dispatchers and the county's inspectors notified; inside
an approved planned window only the county is); a known one takes the episode's end and peak (an end
clears it); an alarm that late data disproved is withdrawn (撤销: kept with its history, acknowledgement
and hazard link, never deleted) and restored if later data proves it again. An alarm raised from data
that reached the platform later than its type's lateness carries the 迟到数据 mark and its delay."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from kuangan.core import audit
from kuangan.core.actor import Actor
from kuangan.core.choices import Role
from kuangan.core.clock import from_local, local
from kuangan.core.models import User
from kuangan.core.notify import notify
from kuangan.engine.pipeline import SUBJECT_KINDS, BatchResult
from kuangan.engine.reconcile import ALARMS, RAISE, RESTORE, UPDATE, WITHDRAW, reconcile
from kuangan.registry.models import Mine
from kuangan.registry.people import county_inspectors, mine_users
from kuangan.workforce.models import Worker

from .choices import AREA_KINDS, CARD_KINDS, KIND_SEVERITY, AlarmAction, AlarmKind, WindowStatus
from .models import Alarm, AlarmTransition, MonitoringPoint, PlannedWindow, PositioningArea

REASON_DISPROVED = "迟到数据重新研判后，该报警不成立"
REASON_SILENCE_VOID = "该时段的文件已按时到达（处理顺序所致），不属于断线"


def recipients(mine: Mine) -> list[User]:
    """The mine's dispatchers and the inspectors of the regulator holding the mine's county (R4.8)."""
    return mine_users(mine, Role.MINE_DISPATCHER) + county_inspectors(mine)


def _window_for(windows: list[PlannedWindow], point_code: str, at: datetime) -> PlannedWindow | None:
    for w in windows:
        if w.start <= at <= w.end and (not w.point_codes() or point_code in w.point_codes()):
            return w
    return None


def apply_result(result: BatchResult, mines: dict[str, Mine], received: Callable[[str, datetime], datetime], *,
                 by: Actor) -> list[int]:
    """Raise, update, withdraw or restore alarms as the batch's episodes and judged-again points say;
    `received(mine code, start)`: when the data of an episode reached the platform. Returns the pks touched."""
    if result.episodes.is_empty() and result.rejudged.is_empty() and result.rejudged_mines.is_empty():
        return []
    codes = (set(result.episodes.get_column("mine_code")) | set(result.rejudged.get_column("mine_code"))
             | set(result.rejudged_mines.get_column("mine_code")))
    missing = codes - set(mines)
    if missing:  # a silent mine sends no file: its episodes come with batches of the other mines' files
        mines = {**mines, **{m.code: m for m in Mine.objects.filter(code__in=missing)}}
    by_id = {m.pk: m for m in mines.values()}
    existing = _existing(result, mines)
    frame = pl.DataFrame(
        [{"mine_code": by_id[a.mine_id].code, "point_code": a.point_code or None, "kind": a.kind,
          "start": local(a.start), "end": local(a.end) if a.end else None, "peak": a.peak,
          "withdrawn": a.withdrawn_at is not None} for a in existing.values()],
        schema=ALARMS)
    actions = reconcile(frame, result)
    if actions.is_empty():
        return []
    rows = actions.to_dicts()
    mine_ids = {mines[r["mine_code"]].pk for r in rows if r["mine_code"] in mines}
    point_codes = {r["point_code"] for r in rows if r["point_code"]}
    points = {(p.mine_id, p.code): p for p in MonitoringPoint.objects.filter(mine_id__in=mine_ids,
                                                                              code__in=point_codes)}
    places = _subject_places(rows, mines)
    earliest = from_local(min(r["start"] for r in rows))
    windows: dict[int, list[PlannedWindow]] = {}
    for w in PlannedWindow.objects.filter(mine_id__in=mine_ids, end__gte=earliest, status=WindowStatus.APPROVED):
        windows.setdefault(w.mine_id, []).append(w)
    judged_again = set(result.rejudged.get_column("mine_code")) | set(result.rejudged_mines.get_column("mine_code"))
    lateness = timedelta(seconds=settings.MONITORING_LATENESS.get("CDSS", 300))
    touched = []
    # withdrawals first: a disproved open alarm must not block the one that replaces it
    for r in sorted(rows, key=lambda r: r["action"] != WITHDRAW):
        mine = mines.get(r["mine_code"])
        if mine is None:
            continue
        code = r["point_code"] or ""
        start, end = from_local(r["start"]), (from_local(r["end"]) if r["end"] is not None else None)
        alarm = existing.get((mine.pk, code, r["kind"], start))
        note = _("迟到数据修正") if mine.code in judged_again else ""
        if r["action"] == WITHDRAW and alarm is not None:
            reason = REASON_SILENCE_VOID if r["kind"] == AlarmKind.MINE_SILENT else REASON_DISPROVED
            _withdraw(alarm, _(reason), by=by)
        elif r["action"] == RESTORE and alarm is not None:
            _restore(alarm, end, r["peak"], by=by)
        elif r["action"] == UPDATE and alarm is not None:
            # a silence that ends records the backlog that ended it; a personnel alarm shows its worst snapshot
            evidence = (json.loads(r["evidence"] or "{}")
                        if r["kind"] == AlarmKind.MINE_SILENT or r["kind"] in SUBJECT_KINDS else None)
            _update(alarm, end, r["peak"], by=by, note=note, evidence=evidence)
        elif r["action"] == RAISE:
            # silence is judged by arrival: it is never late data
            silence = r["kind"] == AlarmKind.MINE_SILENT
            at = by.at if silence else received(mine.code, r["start"])
            alarm = _raise(mine, code, r, start, end, points.get((mine.pk, code)), windows.get(mine.pk, []),
                           received=at, late=not silence and at - start > lateness, by=by,
                           place=places.get((mine.pk, code), ""))
        else:
            continue
        touched.append(alarm.pk)
    return touched


def _existing(result: BatchResult, mines: dict[str, Mine]) -> dict[tuple[int, str, str, datetime], Alarm]:
    """Every alarm the batch may touch: those of its episodes' starts, and those of the points judged again
    that were open at or after the time they were judged from."""
    q = Q(pk__in=[])
    eps = result.episodes
    if not eps.is_empty():
        ids = [mines[c].pk for c in eps.get_column("mine_code").unique().to_list() if c in mines]
        q |= Q(mine_id__in=ids, start__in=[from_local(t) for t in eps.get_column("start").unique().to_list()])
    rejudged = pl.concat([result.rejudged.select("mine_code", "since"), result.rejudged_mines.select("mine_code", "since")])
    for mine_code, since in rejudged.group_by("mine_code").agg(pl.col("since").min()).iter_rows():
        if mine_code not in mines:
            continue
        q |= (Q(mine_id=mines[mine_code].pk) & ~Q(kind=AlarmKind.MINE_SILENT)
              & (Q(end__isnull=True) | Q(end__gt=from_local(since))))
    return {(a.mine_id, a.point_code, a.kind, a.start): a for a in Alarm.objects.filter(q)}


def _subject_places(rows: list[dict[str, Any]], mines: dict[str, Mine]) -> dict[tuple[int, str], str]:
    """Where a personnel alarm's subject is, in words: an area's name, a person's name (and area)."""
    areas = {(r["mine_code"], r["point_code"]) for r in rows if r["kind"] in AREA_KINDS and r["point_code"]}
    cards = {(r["mine_code"], r["point_code"]) for r in rows if r["kind"] in CARD_KINDS and r["point_code"]}
    out: dict[tuple[int, str], str] = {}
    ids = {mines[m].pk for m, _c in areas | cards if m in mines}
    if areas:
        for a in PositioningArea.objects.filter(mine_id__in=ids, code__in={c for _m, c in areas}):
            out[(a.mine_id, a.code)] = a.name or a.code
    if cards:
        for mine_id, card, name in Worker.objects.filter(mine_id__in=ids, card_code__in={c for _m, c in cards}) \
                .values_list("mine_id", "card_code", "name"):
            out[(mine_id, card)] = name
    return out


def _raise(mine: Mine, code: str, r: dict[str, Any], start: datetime, end: datetime | None,
           point: MonitoringPoint | None, windows: list[PlannedWindow], *, received: datetime, late: bool,
           by: Actor, place: str = "") -> Alarm:
    if end is None:  # one open alarm per (point or mine, kind): an older open one ends where this starts
        for stale in Alarm.objects.filter(mine=mine, point_code=code, kind=r["kind"], end__isnull=True,
                                          withdrawn_at__isnull=True):
            _update(stale, start, stale.peak, by=by, note=_("同一测点的新报警开始，旧报警结束"))
    window = _window_for(windows, code, start)
    alarm = Alarm.objects.create(
        mine=mine, point=point, point_code=code, kind=r["kind"], severity=KIND_SEVERITY[AlarmKind(r["kind"])],
        start=start, end=end, peak=r["peak"], evidence=json.loads(r["evidence"] or "{}"),
        location=(point.location if point else place)[:200], planned_window=window, raised_at=by.at,
        received_at=received, late=late)
    note = _("迟到数据：事件发生后 %(delay)s 才收到") % {"delay": _duration(received - start)} if late else ""
    AlarmTransition.objects.create(alarm=alarm, action=AlarmAction.RAISED, at=by.at, note=note)
    audit.record("monitoring.alarm.raised", alarm, by=by, after=audit.snapshot(alarm), parent=mine)
    if end is not None:
        AlarmTransition.objects.create(alarm=alarm, action=AlarmAction.CLEARED, at=by.at)
    where = point.location if point else (place or mine.name)
    # inside an approved planned window the mine is not paged; the county still is, and sees it marked
    notify(county_inspectors(mine) if window is not None else recipients(mine), by=by, url=alarm.get_absolute_url(),
           title=_("%(mine)s：%(kind)s") % {"mine": mine.name, "kind": alarm.get_kind_display()}
           + (_("（计划作业期间）") if window is not None else "") + (_("（迟到数据）") if late else ""),
           body=_("%(where)s，开始于 %(start)s") % {
               "where": where, "start": local(start).strftime("%Y-%m-%d %H:%M:%S")})
    return alarm


def _duration(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} 天"] if days else []
    parts += [f"{hours} 小时"] if hours else []
    parts += [f"{minutes} 分钟"] if minutes or not parts else []
    return " ".join(parts)


def _update(alarm: Alarm, end: datetime | None, peak: float | None, *, by: Actor, note: str = "",
            evidence: dict[str, Any] | None = None) -> None:
    before = {"end": alarm.end, "peak": alarm.peak}
    evidence = {**alarm.evidence, **evidence} if evidence else alarm.evidence
    if alarm.end == end and alarm.peak == peak and evidence == alarm.evidence:
        return
    cleared = alarm.end is None and end is not None
    alarm.end, alarm.peak, alarm.evidence = end, peak, evidence
    alarm.save(update_fields=["end", "peak", "evidence"])
    if cleared:
        AlarmTransition.objects.create(alarm=alarm, action=AlarmAction.CLEARED, at=by.at, note=note)
    elif note:  # late data changed an alarm: its history says so
        AlarmTransition.objects.create(alarm=alarm, action=AlarmAction.CORRECTED, at=by.at, note=note)
    audit.record("monitoring.alarm.cleared" if cleared else "monitoring.alarm.updated", alarm, by=by,
                 before=before, after={"end": alarm.end, "peak": alarm.peak}, parent=alarm.mine)


def _withdraw(alarm: Alarm, reason: str, *, by: Actor) -> None:
    alarm.withdrawn_at, alarm.withdrawn_reason = by.at, reason[:300]
    alarm.save(update_fields=["withdrawn_at", "withdrawn_reason"])
    AlarmTransition.objects.create(alarm=alarm, action=AlarmAction.WITHDRAWN, at=by.at, note=reason)
    audit.record("monitoring.alarm.withdrawn", alarm, by=by, after={"withdrawn_at": by.at, "reason": reason},
                 parent=alarm.mine)


def _restore(alarm: Alarm, end: datetime | None, peak: float | None, *, by: Actor) -> None:
    before = {"withdrawn_at": alarm.withdrawn_at, "end": alarm.end, "peak": alarm.peak}
    alarm.withdrawn_at, alarm.withdrawn_reason, alarm.end, alarm.peak = None, "", end, peak
    alarm.save(update_fields=["withdrawn_at", "withdrawn_reason", "end", "peak"])
    AlarmTransition.objects.create(alarm=alarm, action=AlarmAction.RESTORED, at=by.at,
                                   note=_("迟到数据重新研判后，该报警成立"))
    audit.record("monitoring.alarm.restored", alarm, by=by, before=before,
                 after={"withdrawn_at": None, "end": end, "peak": peak}, parent=alarm.mine)
