"""Which mines the simulator plays, and the incidents the demo injects (scheduled by kuangan.demo.monitoring).

The safety-monitoring feed plays the producing and building coal mines; the personnel-positioning, power and
seal feeds play the suspended ones too (停产整顿, 停建, 长期停产停建: their positioning systems, meters and
seals still report, and what they report is the point), never a closed mine. A spec carries what the
registry knows and the files need: the working faces (positioning areas are named after them), the
leadership roster's card codes (a leader on shift is one of those cards), the approved capacity, the status
and since when, and the single-shift headcount limit (StaffingLimit for the capacity and disaster class)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from kuangan.engine.simulate import Face, MineSpec
from kuangan.registry.choices import FaceKind, FaceStatus, MineKind, MineStatus
from kuangan.registry.models import LeadershipMember, Mine, MineStatusChange, WorkingFace

from .facts import disaster_severe, mine_limit
from .models import StaffingLimit

ACTIVE = (MineStatus.PRODUCING, MineStatus.BUILDING)
# the personnel, power and seal feeds: the active mines and the suspended ones still equipped
REPORTING = (*ACTIVE, MineStatus.SUSPENDED_FOR_RECTIFICATION, MineStatus.CONSTRUCTION_STOPPED,
             MineStatus.LONG_TERM_STOPPED)
CREW_SHARE = 0.4  # people a shift as a share of the mine's single-shift limit
CREW_MIN, CREW_MAX, CREW_UNKNOWN = 20, 120, 40

# (kind, minutes, peak): one every 7 minutes, rotating over the mines, so a watcher sees each kind soon
SCHEDULE = [
    ("over_limit", 6, 1.62),
    ("feed_failure", 4, 1.85),
    ("unreported_over_limit", 5, 1.24),
    ("calibration_abuse", 40, None),
    ("silence", 12, None),
    ("over_limit", 3, 1.05),
]
EVERY = timedelta(minutes=7)
# the personnel kinds that show within minutes of their start, one every PERSONNEL_EVERY at the producing
# mines in turn (minutes, peak: the simulator's default when None)
PERSONNEL_SCHEDULE = [
    ("sos", 10, None),
    ("restricted_area_entry", 15, None),
    ("face_overcrowded", 20, None),
]
# and at the suspended mines in turn: people gathering underground, someone at a seal
SUSPENDED_SCHEDULE = [
    ("suspended_mine_activity", 30, None),
    ("seal_activity_while_suspended", 30, None),
]
PERSONNEL_EVERY = timedelta(minutes=20)


def mine_specs(codes: str | None, *, points: int, suspended: bool = False) -> list[MineSpec]:
    """Specs of the coal mines (underground) the registry holds as producing or building, and with
    `suspended` those suspended but not closed too; `codes`: comma-separated, only those."""
    mines = Mine.objects.filter(kind=MineKind.COAL_UNDERGROUND, status__in=REPORTING if suspended else ACTIVE
                                ).order_by("code")
    if codes:
        mines = mines.filter(code__in=[c.strip() for c in codes.split(",") if c.strip()])
    mines_list = list(mines)
    ids = [m.pk for m in mines_list]
    faces: dict[int, list[Face]] = {}
    for f in WorkingFace.objects.filter(mine_id__in=ids).order_by("mine_id", "kind", "name"):
        faces.setdefault(f.mine_id, []).append(
            Face(f.name, "longwall" if f.kind == FaceKind.LONGWALL else "heading", f.status == FaceStatus.PRODUCING))
    leaders: dict[int, list[tuple[str, str]]] = {}
    for mine_id, card, name in LeadershipMember.objects.filter(mine_id__in=ids, active=True).exclude(
            card_code="").order_by("mine_id", "card_code").values_list("mine_id", "card_code", "name"):
        leaders.setdefault(mine_id, []).append((card, name))
    since: dict[int, datetime] = {}
    for mine_id, effective in MineStatusChange.objects.filter(mine_id__in=ids).order_by(
            "mine_id", "effective_on", "at", "pk").values_list("mine_id", "effective_on"):
        since[mine_id] = datetime.combine(effective, time())  # the latest change: the status in force
    limits = list(StaffingLimit.objects.all())
    out = []
    for m in mines_list:
        row = mine_limit(limits, m.approved_capacity)
        limit = None if row is None else (row.disaster_limit if disaster_severe(m) else row.other_limit)
        crew = CREW_UNKNOWN if limit is None else min(CREW_MAX, max(CREW_MIN, round(limit * CREW_SHARE)))
        out.append(MineSpec(
            code=m.code, name=m.name, points=points, outstations=max(2, points // 20), status=m.status,
            status_since=since.get(m.pk), capacity=float(m.approved_capacity), crew=crew, limit=limit,
            faces=tuple(faces.get(m.pk, ())), leaders=tuple(leaders.get(m.pk, ())),
            counter=m.status == MineStatus.PRODUCING))
    return out
