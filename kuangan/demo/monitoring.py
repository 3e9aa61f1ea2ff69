"""Demo monitoring: a machine account per active coal mine (for the upload API) and the last two
hours of their networking files, ingested as a replay would, with incidents of every kind; after
that `kuangan monitoring simulate --live` (scripts/demo) carries on in real time."""

from __future__ import annotations

from datetime import timedelta

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.models import User
from kuangan.engine.formats import Upload
from kuangan.engine.simulate import Incident, simulate
from kuangan.monitoring import demo_feed, ingest
from kuangan.monitoring.choices import UploadSource
from kuangan.registry.models import Mine

POINTS = 40
BACKFILL = timedelta(hours=2)
BATCH = 2000


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
