"""The registry facts the engine judges personnel and production by (engine.facts.Facts), built from the
database and kept until one of them changes.

A few aggregate queries give the version of the facts (row counts and last changes of the tables they come
from); the frames are built again only when it moves, so a replay's thousands of batches build them once.
Facts are read at processing time: a replay equals live only while they are unchanged.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import polars as pl
from django.db.models import Count, Max, QuerySet, Sum

from kuangan.core.clock import SHANGHAI, local
from kuangan.engine import facts as F
from kuangan.registry.choices import GasClass, HydroType, MineStatus, RockBurst
from kuangan.registry.models import LeadershipMember, Mine, MineStatusChange, WorkingFace
from kuangan.workforce.models import OperatorCertificate, Worker

from . import rules
from .choices import AreaUse, LimitScope, ShiftKind
from .models import AreaMappingChange, Fence, PersonnelProfile, PositioningArea, StaffingLimit

SUSPENDED = frozenset({MineStatus.SUSPENDED_FOR_RECTIFICATION, MineStatus.CONSTRUCTION_STOPPED,
                       MineStatus.LONG_TERM_STOPPED, MineStatus.CLOSED})
BEGINNING = local(datetime(1970, 1, 1, tzinfo=SHANGHAI))  # engine times are naive Beijing time
_CACHE: dict[str, Any] = {}


def _version() -> tuple[Any, ...]:
    def of(qs: QuerySet[Any], *fields: str) -> tuple[Any, ...]:
        return tuple(qs.aggregate(n=Count("pk"), pk=Max("pk"), **{f: Max(f) for f in fields}).values())

    return (
        of(Mine.objects.all(), "updated_at"),
        of(MineStatusChange.objects.all()),
        of(PersonnelProfile.objects.all(), "updated_at"),
        # a limit edited in the admin changes no count or pk: its numbers are part of the version
        tuple(StaffingLimit.objects.aggregate(n=Count("pk"), d=Sum("disaster_limit"), o=Sum("other_limit"),
                                              lo=Sum("capacity_above"), hi=Sum("capacity_upto")).values()),
        of(PositioningArea.objects.all(), "updated_at"),
        of(WorkingFace.objects.all(), "updated_at"),
        of(LeadershipMember.objects.all(), "updated_at"),
        of(Worker.objects.all(), "updated_at"),
        of(OperatorCertificate.objects.all(), "updated_at"),
        of(Fence.objects.all()),
        # a mapping or a fence's end touches no count, pk or updated_at above: each mapping adds a change row,
        # an ended fence counts among those with an end
        of(AreaMappingChange.objects.all()),
        of(Fence.objects.exclude(end=None), "end"),
    )


def current() -> F.Facts:
    """The facts as the database holds them now (cached per process until a source table changes)."""
    version = _version()
    if _CACHE.get("version") != version:
        _CACHE["facts"] = build()
        _CACHE["version"] = version
    facts: F.Facts = _CACHE["facts"]
    return facts


def disaster_severe(mine: Mine) -> bool:
    """RULES.md §4: high gas, outburst, hydrogeology complex or extreme, or rock burst."""
    return (mine.gas_class in (GasClass.HIGH, GasClass.OUTBURST)
            or mine.hydro_type in (HydroType.COMPLEX, HydroType.EXTREME)
            or mine.rock_burst == RockBurst.ROCK_BURST)


def mine_limit(limits: list[StaffingLimit], capacity: Decimal) -> StaffingLimit | None:
    for row in limits:
        if row.scope != LimitScope.MINE:
            continue
        if (row.capacity_above is None or capacity > row.capacity_above) and (
                row.capacity_upto is None or capacity <= row.capacity_upto):
            return row
    return None


def face_limit(limits: list[StaffingLimit], face: WorkingFace, severe: bool, shift: str) -> int | None:
    """The face's limit on a shift of that kind: a row for the shift before one for any shift."""
    rows = [r for r in limits if r.scope == LimitScope.FACE and r.face_kind == face.kind
            and face.mining_method in r.mining_methods and r.shift in (shift, "")]
    rows.sort(key=lambda r: r.shift == "")
    if not rows:
        return None
    return rows[0].disaster_limit if severe else rows[0].other_limit


def build() -> F.Facts:
    mines = list(Mine.objects.all())
    limits = list(StaffingLimit.objects.all())
    severe = {m.pk: disaster_severe(m) for m in mines}
    code = {m.pk: m.code for m in mines}
    with_certificates = set(OperatorCertificate.objects.values_list("worker__mine_id", flat=True).distinct())
    mine_rows = []
    for m in mines:
        row = mine_limit(limits, m.approved_capacity)
        mine_rows.append({"mine_code": m.code, "capacity": float(m.approved_capacity),
                          "disaster_severe": severe[m.pk],
                          "mine_limit": None if row is None else (row.disaster_limit if severe[m.pk]
                                                                  else row.other_limit),
                          "certificates_on_file": m.pk in with_certificates})
    return F.Facts(
        status=pl.DataFrame(_status_rows(mines), schema=F.STATUS, orient="row"),
        mines=pl.DataFrame(mine_rows, schema=F.MINES),
        shifts=pl.DataFrame(_shift_rows(code), schema=F.SHIFTS, orient="row"),
        areas=pl.DataFrame(_area_rows(limits, severe, code), schema=F.AREAS, orient="row"),
        leaders=pl.DataFrame([(code[m], c) for m, c in LeadershipMember.objects.filter(active=True).exclude(
            card_code="").values_list("mine_id", "card_code")], schema=F.LEADERS, orient="row"),
        operators=pl.DataFrame(_operator_rows(code), schema=F.OPERATORS, orient="row"),
        fences=pl.DataFrame(_fence_rows(code), schema=F.FENCES, orient="row"),
    )


def _day(d: date) -> datetime:
    return datetime.combine(d, time())


def _status_rows(mines: list[Mine]) -> list[tuple[str, datetime, datetime | None, str, bool]]:
    """Each mine's status intervals: from the start of each change's effective day to the next one's; before
    its first change the status it changed from (or today's, without changes)."""
    changes: dict[int, list[MineStatusChange]] = {}
    for c in MineStatusChange.objects.order_by("mine_id", "effective_on", "at", "pk"):
        changes.setdefault(c.mine_id, []).append(c)
    rows: list[tuple[str, datetime, datetime | None, str, bool]] = []
    for m in mines:
        mine_changes = changes.get(m.pk, [])
        first = mine_changes[0].from_status if mine_changes and mine_changes[0].from_status else None
        status, start = first or (mine_changes[0].to_status if mine_changes else m.status), BEGINNING
        for c in mine_changes:
            at = _day(c.effective_on)
            if at > start:
                rows.append((m.code, start, at, status, status in SUSPENDED))
            status, start = c.to_status, max(at, start)
        rows.append((m.code, start, None, status, status in SUSPENDED))
    return rows


def _shift_rows(code: dict[int, str]) -> list[tuple[Any, ...]]:
    rows = []
    for p in PersonnelProfile.objects.all():
        maintenance = rules.shift_minutes(p.maintenance_shift) if p.maintenance_shift else None
        starts = sorted({m for m in (rules.shift_minutes(str(s)) for s in p.shift_starts) if m is not None})
        rows += [(code[p.mine_id], m, m == maintenance) for m in starts]
    return rows


def _area_rows(limits: list[StaffingLimit], severe: dict[int, bool], code: dict[int, str]) -> list[tuple[Any, ...]]:
    rows = []
    for a in PositioningArea.objects.select_related("face"):
        confirmed = a.confirmed_at is not None and a.declared_as != ""
        face = a.face if confirmed and a.declared_as == AreaUse.FACE else None
        rows.append((
            code[a.mine_id], a.code, a.area_type, a.headcount, a.declared_as if confirmed else None,
            face.status if face is not None else None,
            face_limit(limits, face, severe[a.mine_id], ShiftKind.PRODUCTION) if face else None,
            face_limit(limits, face, severe[a.mine_id], ShiftKind.MAINTENANCE) if face else None,
        ))
    return rows


def _operator_rows(code: dict[int, str]) -> list[tuple[Any, ...]]:
    certificates: dict[int, list[tuple[date, date]]] = {}
    for worker_id, issued, expires in OperatorCertificate.objects.values_list("worker_id", "issued", "expires"):
        certificates.setdefault(worker_id, []).append((issued, expires))
    rows: list[tuple[Any, ...]] = []
    for pk, mine_id, card in Worker.objects.filter(special_flag=True, active=True).values_list(
            "pk", "mine_id", "card_code"):
        rows += [(code[mine_id], card, i, e) for i, e in certificates.get(pk, [(None, None)])]
    return rows


def _fence_rows(code: dict[int, str]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for f in Fence.objects.all():
        start, end = local(f.start), (local(f.end) if f.end else None)
        rows += [(code[f.mine_id], f.name, a, None, start, end) for a in f.area_codes]
        rows += [(code[f.mine_id], f.name, None, s, start, end) for s in f.station_codes]
    return rows


