"""Demo personnel positioning: what the registry must know before the mines' personnel files are judged, set
through the actions as the people responsible would set it, and the incidents that give the demo's history
every personnel alarm and every lead.

- the leaders' card codes on the leadership roster of every reporting coal mine (the five heads and the
  ventilation deputy; a leader on shift is one of these cards underground);
- the positioning areas mapped and confirmed by the county's inspector (each face area on its face, the
  roadways, chambers, shaft top; the restricted area as "other"), once the mines' RYQY created them; only the
  connecting roadway of the hidden-face mine stays undeclared;
- the special operators' certificates of the demo's own mine (鑫岩, its logins), one of them expired;
- fences drawn by inspectors, production returns signed by two mine heads.

The cast (by name, in kuangan.demo.build.MINES): each mine shows one kind, so a page shows it on its own;
the first of a role's candidates whose status fits (the enforcement year may have suspended one) plays it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import polars as pl

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.models import User
from kuangan.engine.simulate import SHIFT, SUSPENDED_STATUSES, Incident, MineSpec, positioning_areas, roster
from kuangan.monitoring import facts as monitoring_facts
from kuangan.monitoring.actions import AreaMapping, FenceSpec, draw_fence, map_positioning_area
from kuangan.monitoring.choices import AreaUse
from kuangan.monitoring.models import PositioningArea
from kuangan.registry.actions import save_mine_record, submit_production_return
from kuangan.registry.choices import LeadershipPost
from kuangan.registry.models import LeadershipMember, Mine, WorkingFace
from kuangan.workforce.actions import add_certificate
from kuangan.workforce.models import Worker

SEED = 20240601
ROLE_MINE = "鑫岩煤矿"  # the demo's logins (xinyan_head, xinyan_safety, xinyan_dispatch)
# role -> candidates; a suspended role takes a suspended mine, the others a producing one
CAST: dict[str, tuple[str, ...]] = {
    "face_overcrowded": ("张子山煤矿", "枝柯煤矿", "兑镇煤矿"),  # 10 % over its limit
    "face_overcrowded_major": (ROLE_MINE,),  # 20 % over: C01-06, a major hazard
    "overtime_underground": ("南山煤矿", "凤山煤矿", "驿马煤矿"),
    "sos": ("桃园煤矿", "下枣林煤矿", "柱濮煤矿"),
    "restricted_area_entry": ("金辉煤矿", "上桥煤矿", "梧桐煤矿"),
    "uncertified_special_operator": (ROLE_MINE,),
    "suspended_mine_activity": ("宁乡煤矿", "陈家湾煤矿"),  # 长期停产停建, 停建
    "seal_activity_while_suspended": ("杜村煤矿", "车鸣峪煤矿"),  # 停产整顿
    "power_use_while_suspended": ("车鸣峪煤矿", "杜村煤矿"),  # 停产整顿: producing days, then the suspension
    "over_capacity": ("弓阳煤矿", "高阳煤矿", "西辛庄煤矿", "暖泉煤矿"),
    # and, on other days, a mine over its limit, a long shift change and a shift without a leader
    "hidden_working_face": ("吴家峁煤矿", "梗阳煤矿", "暖泉煤矿"),
}
SUSPENDED_ROLES = ("suspended_mine_activity", "seal_activity_while_suspended", "power_use_while_suspended")
RETURNS = {ROLE_MINE: Decimal("0.082")}  # last month's return, share of the capacity
OUTPUT_SHARE = Decimal("0.075")  # what the over-capacity mine returns, whatever its counter says
LEADER_POSTS = (LeadershipPost.MINE_HEAD, LeadershipPost.CHIEF_ENGINEER, LeadershipPost.SAFETY_DEPUTY,
                LeadershipPost.PRODUCTION_DEPUTY, LeadershipPost.ELECTROMECHANICAL_DEPUTY,
                LeadershipPost.VENTILATION_DEPUTY)
USE = {"shaft_top": AreaUse.SHAFT_TOP, "pit_bottom": AreaUse.ROADWAY, "face": AreaUse.FACE, "roadway": AreaUse.ROADWAY,
       "chamber": AreaUse.CHAMBER, "hidden": AreaUse.ROADWAY, "restricted": AreaUse.OTHER}
# C01-01's monthly line as days of normal simulated output (10 % of the capacity / 7.7 % a month x 30 days)
LINE_DAYS = 0.10 * 330 / 0.85
COUNTER_PERIOD = 240  # s: the over-capacity mine's counter history (within CDSS's 5-minute lateness)


def _mine(name: str) -> Mine:
    return Mine.objects.select_related("division").get(name=name)


def cast(specs: dict[str, MineSpec]) -> dict[str, MineSpec]:
    """Role -> the spec of the mine that plays it: the first candidate among the reporting mines whose status
    fits the role, not already taken by another role (the role mine excepted)."""
    names = {s.name: s for s in specs.values()}
    out: dict[str, MineSpec] = {}
    taken: set[str] = set()
    for role, candidates in CAST.items():
        for name in candidates:
            spec = names.get(name)
            if spec is None or (spec.status in SUSPENDED_STATUSES) != (role in SUSPENDED_ROLES):
                continue
            if name in taken and name != ROLE_MINE:
                continue
            out[role] = spec
            taken.add(name)
            break
        else:
            raise RuntimeError(f"no demo mine can play {role}: {candidates}")
    return out


def _regulator(mine: Mine, role: str) -> User:
    """The county's first user of the role (zy_inspector before zy_inspector2)."""
    user = User.objects.filter(role=role, organization__division=mine.division).order_by("username").first()
    assert user is not None, f"no {role} for {mine.division}"
    return user


def _mine_user(mine: Mine, role: str) -> User:
    user = User.objects.filter(role=role, organization=mine.organization_id).order_by("username").first()
    assert user is not None, f"no {role} at {mine}"
    return user


def leader_cards(codes: list[str], at: datetime) -> None:
    """Card codes (mine code + 9 + 4 digits) for the five heads and the ventilation deputy of each mine."""
    for mine in Mine.objects.filter(code__in=codes).select_related("division").order_by("code"):
        by = Actor(user=_regulator(mine, Role.REGULATOR_ADMIN), at=at, via=Via.IMPORT)
        members = LeadershipMember.objects.filter(mine=mine, active=True, post__in=LEADER_POSTS).order_by("post", "pk")
        for n, member in enumerate(members, 1):
            save_mine_record("leadership", mine.pk, by=by, record_id=member.pk,
                             data={"card_code": f"{mine.code}9{n:04d}"})


def map_areas(specs: list[MineSpec], hidden: str, at: datetime) -> int:
    """The county inspector confirms what every area is (the areas exist: the mines' RYQY created them); the
    connecting roadway of the mine coded `hidden` stays undeclared. Returns the areas mapped."""
    mapped = 0
    for spec in specs:
        mine = _mine_by_code(spec.code)
        by = Actor(user=_regulator(mine, Role.INSPECTOR), at=at, via=Via.IMPORT)
        faces = dict(WorkingFace.objects.filter(mine=mine).values_list("name", "pk"))
        existing = dict(PositioningArea.objects.filter(mine=mine).values_list("code", "pk"))
        for area in positioning_areas(spec).iter_rows(named=True):
            if area["area_code"] not in existing or (spec.code == hidden and area["use"] == "hidden"):
                continue
            face = faces.get(area["face"]) if area["use"] == "face" else None
            map_positioning_area(existing[area["area_code"]], by=by, mapping=AreaMapping(
                declared_as=USE[area["use"]] if area["use"] != "face" or face else AreaUse.OTHER, face_id=face,
                note="现场核对人员定位区域"))
            mapped += 1
    return mapped


def _mine_by_code(code: str) -> Mine:
    return Mine.objects.select_related("division").get(code=code)


def certificates(spec: MineSpec, at: datetime) -> str:
    """The special operators of the demo's own mine get their certificates from its safety officer; the first
    operator of the 16:00 shift holds only one that expired 40 days ago. Returns that card."""
    mine = _mine_by_code(spec.code)
    by = Actor(user=_mine_user(mine, Role.MINE_SAFETY_OFFICER), at=at, via=Via.IMPORT)
    today = clock.local(at).date()
    people = roster(spec).filter("special")
    lapsed: str = people.filter(pl.col("shift") == 2)["card"][0]
    workers = dict(Worker.objects.filter(mine=mine, card_code__in=people["card"].to_list()).values_list(
        "card_code", "pk"))
    rng = random.Random(SEED)
    for card, operation in people.select("card", "operation").iter_rows():
        if card not in workers:
            continue
        issued = today - timedelta(days=rng.randrange(200, 1800))
        expires = today - timedelta(days=40) if card == lapsed else issued + timedelta(days=6 * 365)
        if card == lapsed:
            issued = expires - timedelta(days=6 * 365)
        add_certificate(workers[card], by=by, data={
            "operation_type": operation, "number": f"T{mine.division.code}{rng.randrange(10**9, 10**10)}",
            "issued": issued, "expires": expires})
    return lapsed


def fences(roles: dict[str, MineSpec], at: datetime) -> None:
    for key, reason, use in (
        ("power_use_while_suspended", "停产整顿期间封闭采掘工作面，禁止人员进入", "face"),
        ("restricted_area_entry", "采空区密闭墙外禁止人员进入", "restricted"),
    ):
        mine = _mine_by_code(roles[key].code)
        areas = positioning_areas(roles[key]).filter(pl.col("use") == use)
        by = Actor(user=_regulator(mine, Role.INSPECTOR), at=at, via=Via.IMPORT)
        draw_fence(mine.pk, by=by, fence=FenceSpec(
            name="封闭区域电子围栏" if use == "face" else "采空区电子围栏", area_codes=areas["area_code"].to_list(),
            station_codes=[], start=at - timedelta(days=30), end=None, reason=reason))


def production_returns(roles: dict[str, MineSpec], at: datetime) -> None:
    """Last month's output, signed by the mine head (the over-capacity mine's return is below what its counter
    shows: the lead's evidence)."""
    first = clock.local(at).date().replace(day=1)
    last_month = (first - timedelta(days=1)).replace(day=1)
    for spec, share in ((roles["face_overcrowded_major"], RETURNS[ROLE_MINE]), (roles["over_capacity"], OUTPUT_SHARE)):
        mine = _mine_by_code(spec.code)
        by = Actor(user=_mine_user(mine, Role.MINE_HEAD), at=at, via=Via.IMPORT)
        submit_production_return(mine.pk, by=by, month=last_month,
                                 tonnes=(mine.approved_capacity * 10000 * share).quantize(Decimal("1")),
                                 note="按矿井月度产量统计台账填报")


# --- the incidents ------------------------------------------------------------------------------------------


def _grid(t: datetime) -> datetime:
    """The first 5-minute mark at or after t (the snapshots' times: an incident's signal starts and ends cleanly)."""
    mark = t.replace(second=0, microsecond=0)
    if mark < t:
        mark += timedelta(minutes=1)
    return mark + timedelta(minutes=-mark.minute % 5)


def _calm(after: datetime, minutes: float, until: datetime) -> datetime:
    """The first 5-minute mark at or after `after` whose window is 40 minutes clear of a shift change (a
    snapshot during a change is judged by its own rule), ending before `until`; `after` when none is."""
    t = _grid(after)
    while t + timedelta(minutes=minutes) <= until:
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        changes = [day + SHIFT * k for k in range(4)]
        margin = timedelta(minutes=40)
        if not any(t - margin <= c <= t + timedelta(minutes=minutes) + margin for c in changes):
            return t
        t += timedelta(minutes=5)
    return _grid(after)


@dataclass(frozen=True)
class History:
    """Feeds before the backfill, each of one mine and the types it needs (the other mines' start with it)."""

    hidden: tuple[MineSpec, datetime, list[Incident]]  # RYSS over three days
    power: tuple[MineSpec, datetime, datetime, list[Incident]]  # YDSJ around the suspension
    output: tuple[MineSpec, datetime, list[Incident]]  # CDDY + CDSS since a month's start, the counter running hot

    @property
    def start(self) -> datetime:
        return min(self.hidden[1], self.power[1], self.output[1])


def history(roles: dict[str, MineSpec], start: datetime, today: date) -> History:
    hidden = roles["hidden_working_face"]
    day = datetime.combine(today, time())
    hidden_from = day - timedelta(days=3)
    area = positioning_areas(hidden).filter(pl.col("use") == "hidden")["area_code"][0]
    hidden_incidents = [
        Incident("hidden_working_face", hidden.code, hidden_from + timedelta(hours=9), 300, point=area, days=3),
        # the day before yesterday at 10:00, first half of the 08:00 shift: not during a shift change
        Incident("mine_overcrowded", hidden.code, day - timedelta(hours=38), 40,
                 peak=(hidden.limit or 2 * hidden.crew) + 8),
        Incident("no_leader_on_shift", hidden.code, day - timedelta(hours=16), 1),  # yesterday's 08:00 shift
        Incident("shift_change_overcrowded", hidden.code, day - timedelta(hours=8), 125),  # yesterday 16:00
    ]
    power = roles["power_use_while_suspended"]
    halt = power.status_since or day - timedelta(days=30)
    power_incidents = [Incident("power_use_while_suspended", power.code, halt + timedelta(days=1), 24 * 60)]
    output = roles["over_capacity"]
    first = today.replace(day=1) if today.day >= 15 else (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    output_from = datetime.combine(first, time())
    month_end = datetime.combine((first + timedelta(days=32)).replace(day=1), time())
    days = (min(month_end, start) - output_from).total_seconds() / 86400
    factor = max(1.5, math.ceil(10 * 1.3 * LINE_DAYS / days) / 10)
    output_incidents = [Incident("over_capacity", output.code, output_from,
                                 (start - output_from).total_seconds() / 60, peak=factor)]
    return History(hidden=(hidden, hidden_from, hidden_incidents),
                   power=(power, halt - timedelta(days=9), halt + timedelta(days=2), power_incidents),
                   output=(output, output_from, output_incidents))


def backfill_incidents(roles: dict[str, MineSpec], start: datetime, now: datetime, lapsed: str) -> list[Incident]:
    """The personnel incidents of the last hours, each at its mine of the cast, clear of shift changes where that
    matters, inside [start, now)."""
    def spec(key: str) -> MineSpec:
        return roles[key]

    areas = monitoring_facts.build().areas  # the face limits, as the engine will judge them
    limit = dict(zip(areas["area_code"], areas["face_limit"], strict=True))

    def face(key: str) -> tuple[str, int]:
        """The mine's first working longwall's area and its limit."""
        s = spec(key)
        name = next(f.name for f in sorted(s.faces, key=lambda f: (f.kind != "longwall", not f.working, f.name)))
        code = positioning_areas(s).filter(pl.col("face") == name)["area_code"][0]
        return code, limit.get(code) or 20

    out = []
    code, face_limit = face("face_overcrowded")
    out.append(Incident("face_overcrowded", spec("face_overcrowded").code,
                        _calm(start + timedelta(minutes=20), 30, now), 30, point=code,
                        peak=math.ceil(face_limit * 1.1 + 0.01)))
    code, face_limit = face("face_overcrowded_major")
    out.append(Incident("face_overcrowded", spec("face_overcrowded_major").code,
                        _calm(start + timedelta(minutes=35), 30, now), 30, point=code, peak=math.ceil(face_limit * 1.2)))
    # down at the start of the shift before last, still underground: overtime from the first snapshot (a
    # card of the shift just before the one in force would keep a shift change open)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    in_force = day + SHIFT * ((now - day) // SHIFT)
    down = in_force - 2 * SHIFT
    out.append(Incident("overtime_underground", spec("overtime_underground").code, down,
                        (now - down).total_seconds() / 60 + 60))
    out.append(Incident("sos", spec("sos").code, _grid(start + timedelta(minutes=40)), 10))
    out.append(Incident("restricted_area_entry", spec("restricted_area_entry").code,
                        _grid(start + timedelta(minutes=50)), 15))
    out.append(Incident("uncertified_special_operator", spec("uncertified_special_operator").code,
                        _grid(start + timedelta(minutes=15)), 60, point=lapsed))
    out.append(Incident("suspended_mine_activity", spec("suspended_mine_activity").code,
                        _grid(start + timedelta(minutes=30)), 40, peak=14))
    out.append(Incident("seal_activity_while_suspended", spec("seal_activity_while_suspended").code,
                        _grid(start + timedelta(minutes=60)), 30))
    return out
