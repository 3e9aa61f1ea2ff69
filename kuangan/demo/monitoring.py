"""Demo monitoring: a machine account per active coal mine (for the upload API) and the last two
hours of their networking files, ingested as a replay would, with incidents of every kind; after
that `kuangan monitoring simulate --live --demo-incidents` (scripts/demo) carries on in real time,
with the incidents of `live_incidents`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.models import User
from kuangan.engine.formats import Upload
from kuangan.engine.simulate import Incident, MineSpec, simulate
from kuangan.monitoring import demo_feed, ingest
from kuangan.monitoring.choices import UploadSource
from kuangan.registry.models import Mine

POINTS = 40
BACKFILL = timedelta(hours=2)
BATCH = 2000
# the mine logins the demo hands out (build.logins_text): the live incidents start at their mine, so
# each demo role (the mine's, its group's, the county's and the city's) has an alarm within minutes
ROLE_LOGINS = ("xinyan_head", "xinyan_safety", "xinyan_dispatch")


def build_monitoring() -> int:
    """Returns the number of alarms raised by the backfill."""
    specs = demo_feed.mine_specs(None, points=POINTS)
    for mine in Mine.objects.filter(code__in=[s.code for s in specs]).select_related("organization"):
        user = User(username=f"m{mine.code}_system", full_name=f"{mine.name}联网系统", organization=mine.organization,
                    role=Role.MINE_SYSTEM, is_machine=True, password_changed_at=clock.now())
        user.set_unusable_password()
        user.save()
    now = clock.local(clock.now()).replace(microsecond=0, second=0)
    start = now - BACKFILL
    incidents = [
        Incident("over_limit", specs[1].code, start + timedelta(minutes=20), 6, peak=1.58),
        Incident("feed_failure", specs[2].code, start + timedelta(minutes=35), 4, peak=1.82),
        Incident("unreported_over_limit", specs[3].code, start + timedelta(minutes=50), 5, peak=1.21),
        Incident("calibration_abuse", specs[4].code, start + timedelta(minutes=30), 45),
        Incident("silence", specs[5].code, start + timedelta(minutes=70), 15),
        Incident("over_limit", specs[6].code, now - timedelta(minutes=10), 30, peak=1.12),  # still open
    ]
    files = list(simulate(specs, start, now, incidents=incidents))
    raised: set[int] = set()
    for i in range(0, len(files), BATCH):
        items = [Upload(n, d) for n, d in files[i:i + BATCH]]
        arrived = ingest.as_sent(items, clock.now())  # the history came in live, as it was sent
        result = ingest.ingest(items, source=UploadSource.REPLAY, arrivals=arrived, now=max(arrived),
                               by=Actor.system(Via.INGEST), live=False)
        raised.update(result.alarms)
    return len(raised)


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
