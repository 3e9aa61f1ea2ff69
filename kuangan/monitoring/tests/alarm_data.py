"""Alarms the way they arise: simulated networking files of mine A1 (the world's 甲一煤矿), ingested
through the one ingestion path. Shared by the action, page and browser tests of alarms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.engine.formats import Upload
from kuangan.engine.simulate import Incident, MineSpec, simulate
from kuangan.monitoring.choices import UploadSource
from kuangan.monitoring.ingest import IngestResult, ingest

A1 = "1411290001"  # world.a1.code
B1 = "1411810001"  # world.b1.code (the foreign county's mine)
NAMES = {A1: "甲一煤矿", B1: "乙一煤矿"}
POINTS = 40
DAY = datetime(2024, 6, 1)  # naive Beijing time, as the simulator and the engine count
# The simulated layout of a 40-point mine (the same for every run with the same code and seed):
UPPER_CORNER_CH4 = "141129000101MN000100100005"  # 1303综采工作面上隅角 methane: alarm 1.0 %, power-off 1.5 %
UPPER_CORNER_CO = "141129000101MN000400100008"  # 1303综采工作面上隅角 CO: alarm 24 ppm


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A naive Beijing time on DAY."""
    return DAY.replace(hour=hour, minute=minute, second=second)


def aware(t: datetime) -> datetime:
    return t.replace(tzinfo=clock.SHANGHAI)


def over_limit(start: datetime, minutes: float = 10, *, mine: str = A1, point: str | None = None,
               peak: float = 1.8) -> Incident:
    """A methane over-limit at the working face's upper corner unless `point` names another point."""
    return Incident("over_limit", mine, start, minutes, point=point, peak=peak)


def files(start: datetime, end: datetime, incidents: Sequence[Incident] = (), mines: Sequence[str] = (A1,)
          ) -> list[Upload]:
    specs = [MineSpec(code, NAMES[code], points=POINTS) for code in mines]
    return [Upload(name, data) for name, data in simulate(specs, start, end, incidents=incidents)]


def ingest_between(start: datetime, end: datetime, incidents: Sequence[Incident] = (),
                   mines: Sequence[str] = (A1,)) -> IngestResult:
    """What the mines upload in [start, end), received at `end` (the clock is frozen there)."""
    with clock.frozen(aware(end)):
        return ingest(files(start, end, incidents, mines), source=UploadSource.REPLAY,
                      by=Actor.system(Via.INGEST))


def edit_definitions(uploads: list[Upload], code: str, **fields: str) -> list[Upload]:
    """The uploads with one point's CDDY record changed, as a mine misconfiguring its system would send it.
    `fields`: upper_alarm, upper_alarm_clear, relations (FORMATS.md §1, CDDY fields 8, 9 and 22)."""
    index = {"upper_alarm": 8, "upper_alarm_clear": 9, "relations": 22}
    out = []
    for u in uploads:
        if "_CDDY_" in u.name:
            records = u.data.decode("utf-8").split("~")
            for i, record in enumerate(records):
                parts = record.split(";")
                if parts[0].strip() == code:
                    for name, value in fields.items():
                        parts[index[name]] = value
                    records[i] = ";".join(parts)
            u = Upload(u.name, "~".join(records).encode("utf-8"))
        out.append(u)
    return out
