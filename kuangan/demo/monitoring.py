"""Demo monitoring: a machine account per active coal mine (for the upload API) and the last two hours of
their networking files, ingested as a replay would, with incidents of every kind; after that `kuangan
monitoring simulate --live --demo-incidents` (scripts/demo) carries on in real time, with the incidents of
`live_incidents` and `live_personnel_incidents`.

Personnel positioning, power and seals (issue 20, kuangan.demo.personnel): the suspended coal mines report
too. Before their files are judged the registry learns what it judges them by: the mines' RYXX, RYQY and
RYJZ come first (they create the workers and the positioning areas), then the leaders' cards, the county's
mapping of the areas, the certificates, fences and production returns; then three histories of one mine
each (days of RYSS for a hidden working face, the power around a suspension, a month of the output counter)
and the last two hours of every feed, all in the order of their upload times."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.models import User
from kuangan.engine.formats import Upload
from kuangan.engine.simulate import (
    SUSPENDED_STATUSES,
    Incident,
    MineSpec,
    merge,
    simulate,
    simulate_personnel,
)
from kuangan.monitoring import demo_feed, ingest
from kuangan.monitoring.choices import UploadSource
from kuangan.registry.models import Mine

from . import personnel

POINTS = 40
BACKFILL = timedelta(hours=2)
BATCH = 2000
# the mine logins the demo hands out (build.logins_text): the live incidents start at their mine, so
# each demo role (the mine's, its group's, the county's and the city's) has an alarm within minutes
ROLE_LOGINS = ("xinyan_head", "xinyan_safety", "xinyan_dispatch")
DEFINITIONS = ("RYXX", "RYQY", "RYJZ")


def build_monitoring() -> tuple[int, int]:
    """Returns the numbers of alarms and of leads raised by the history and the backfill."""
    specs = demo_feed.mine_specs(None, points=POINTS)
    for mine in Mine.objects.filter(code__in=[s.code for s in specs]).select_related("organization"):
        user = User(username=f"m{mine.code}_system", full_name=f"{mine.name}联网系统", organization=mine.organization,
                    role=Role.MINE_SYSTEM, is_machine=True, password_changed_at=clock.now())
        user.set_unusable_password()
        user.save()
    at = clock.now()
    now = clock.local(at).replace(microsecond=0, second=0)
    start = now - BACKFILL
    # the registry first: the leaders' cards, then the specs of every reporting mine carry them
    reporting = demo_feed.mine_specs(None, points=POINTS, suspended=True)
    personnel.leader_cards([s.code for s in reporting], at)
    reporting = demo_feed.mine_specs(None, points=POINTS, suspended=True)
    specs = demo_feed.mine_specs(None, points=POINTS)
    roles = personnel.cast({s.code: s for s in reporting})
    past = personnel.history(roles, start, clock.today())
    # the mines' definitions at the start of the history: workers and positioning areas
    opening = past.start - timedelta(minutes=1)
    raised, leads = _ingest(simulate_personnel(reporting, opening, opening + timedelta(seconds=2), types=DEFINITIONS))
    personnel.map_areas(reporting, roles["hidden_working_face"].code, at)
    lapsed = personnel.certificates(roles["uncertified_special_operator"], at)
    personnel.fences(roles, at)
    personnel.production_returns(roles, at)
    incidents = [
        Incident("over_limit", specs[1].code, start + timedelta(minutes=20), 6, peak=1.58),
        Incident("feed_failure", specs[2].code, start + timedelta(minutes=35), 4, peak=1.82),
        Incident("unreported_over_limit", specs[3].code, start + timedelta(minutes=50), 5, peak=1.21),
        Incident("calibration_abuse", specs[4].code, start + timedelta(minutes=30), 45),
        Incident("silence", specs[5].code, start + timedelta(minutes=70), 15),
        Incident("over_limit", specs[6].code, now - timedelta(minutes=10), 30, peak=1.12),  # still open
        *personnel.backfill_incidents(roles, start, now, lapsed),
    ]
    hidden, hidden_from, hidden_incidents = past.hidden
    power, power_from, power_to, power_incidents = past.power
    output, output_from, output_incidents = past.output
    files = merge(
        simulate_personnel([hidden], hidden_from, start, incidents=hidden_incidents, types=("RYSS",)),
        simulate_personnel([power], power_from, power_to, incidents=power_incidents, types=("YDSJ",)),
        simulate([output], output_from, start, period_s=personnel.COUNTER_PERIOD, incidents=output_incidents,
                 types=("CDDY", "CDSS")),
        simulate(specs, start, now, incidents=incidents),
        simulate_personnel(reporting, start, now, incidents=incidents),
    )
    more_alarms, more_leads = _ingest(files)
    return len(raised | more_alarms), len(leads | more_leads)


def _ingest(files: Iterable[tuple[str, bytes]]) -> tuple[set[int], set[int]]:
    """The files in batches, each arriving when it was sent (the history came in live)."""
    raised: set[int] = set()
    leads: set[int] = set()
    batch: list[Upload] = []

    def flush() -> None:
        if batch:
            arrived = ingest.as_sent(batch, clock.now())
            result = ingest.ingest(batch, source=UploadSource.REPLAY, arrivals=arrived, now=max(arrived),
                                   by=Actor.system(Via.INGEST), live=False)
            raised.update(result.alarms)
            leads.update(result.leads)

    for name, data in files:
        batch.append(Upload(name, data))
        if len(batch) >= BATCH:
            flush()
            batch = []
    flush()
    return raised, leads


def role_mine_codes() -> list[str]:
    """The codes of the mines the demo's mine logins belong to (none outside the demo data)."""
    return sorted(set(Mine.objects.filter(organization__users__username__in=ROLE_LOGINS)
                      .values_list("code", flat=True)))


def live_incidents(mines: Sequence[MineSpec], start: datetime, *, hours: float,
                   first: Collection[str] = ()) -> list[Incident]:
    """The live demo's incidents: demo_feed.SCHEDULE round and round, one every demo_feed.EVERY from
    2 minutes after the start, each at the next mine in turn, the mines with codes in `first` leading
    (so their first alarm comes within minutes, not after a round of every mine: 20 mines at 7 minutes
    are 140 minutes); and a sensor stuck for 7 hours from the first minute at the first other mine."""
    if not mines:
        return []
    order = [m for m in mines if m.code in first] + [m for m in mines if m.code not in first]
    stuck = next((m for m in mines if m.code not in first), mines[0])
    out = [Incident("stuck", stuck.code, start + timedelta(minutes=1), 7 * 60)]
    at, n = start + timedelta(minutes=2), 0
    while at < start + timedelta(hours=hours):
        kind, minutes, peak = demo_feed.SCHEDULE[n % len(demo_feed.SCHEDULE)]
        out.append(Incident(kind, order[n % len(order)].code, at, minutes, peak=peak))
        at += demo_feed.EVERY
        n += 1
    return out


def live_personnel_incidents(mines: Sequence[MineSpec], start: datetime, *, hours: float) -> list[Incident]:
    """The live demo's personnel incidents: demo_feed.PERSONNEL_SCHEDULE at the producing mines in turn, one
    every demo_feed.PERSONNEL_EVERY from 5 minutes after the start, and demo_feed.SUSPENDED_SCHEDULE at the
    suspended ones, one every three of those; each on a 5-minute mark (the snapshots' times)."""
    producing = [m for m in mines if m.status not in SUSPENDED_STATUSES]
    suspended = [m for m in mines if m.status in SUSPENDED_STATUSES]
    out: list[Incident] = []
    at = start + timedelta(minutes=5)
    at += timedelta(minutes=-at.minute % 5, seconds=-at.second)
    n = 0
    while at < start + timedelta(hours=hours):
        if producing:
            kind, minutes, peak = demo_feed.PERSONNEL_SCHEDULE[n % len(demo_feed.PERSONNEL_SCHEDULE)]
            out.append(Incident(kind, producing[n % len(producing)].code, at, minutes, peak=peak))
        if suspended and n % 3 == 0:
            kind, minutes, peak = demo_feed.SUSPENDED_SCHEDULE[n // 3 % len(demo_feed.SUSPENDED_SCHEDULE)]
            out.append(Incident(kind, suspended[n // 3 % len(suspended)].code, at, minutes, peak=peak))
        at += demo_feed.PERSONNEL_EVERY
        n += 1
    return out
