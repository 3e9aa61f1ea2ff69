"""Which mines the simulator plays, and the incidents the demo injects (scheduled by kuangan.demo.monitoring)."""

from __future__ import annotations

from datetime import timedelta

from kuangan.engine.simulate import MineSpec
from kuangan.registry.choices import MineKind, MineStatus
from kuangan.registry.models import Mine

ACTIVE = (MineStatus.PRODUCING, MineStatus.BUILDING)

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


def mine_specs(codes: str | None, *, points: int) -> list[MineSpec]:
    mines = Mine.objects.filter(kind=MineKind.COAL_UNDERGROUND, status__in=ACTIVE).order_by("code")
    if codes:
        mines = mines.filter(code__in=[c.strip() for c in codes.split(",") if c.strip()])
    return [MineSpec(code=m.code, name=m.name, points=points, outstations=max(2, points // 20)) for m in mines]

