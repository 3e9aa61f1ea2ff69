"""`kuangan monitoring replay DIR [--json] [--register-unknown]` and `kuangan monitoring simulate …`."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kuangan.core import batchprocess, clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.demo import monitoring as demo_monitoring
from kuangan.engine.formats import ParsedBatch, Upload
from kuangan.engine.io.drop_folder import header_order, read_upload
from kuangan.engine.simulate import (
    INCIDENT_KINDS,
    PERSONNEL_INCIDENT_KINDS,
    Incident,
    merge,
    simulate,
    simulate_personnel,
)

from ... import demo_feed, ingest
from ...choices import LeadStatus, UploadSource
from ...models import Alarm, EngineSnapshot, Lead

BATCH_FILES = 2000  # files per ingestion batch in a replay: bounded memory, few Parquet files
BATCH_BYTES = 256 * 2**20
# A batch never spans two hours of header time (the name's YYYYMMDDHH): live processing takes minutes at
# a time, and the memory of a batch then follows how many mines send, not how long a span is replayed.
# One mine's day in batches of 2,000 files was 2.3 batches of 8 hours; its peak RSS was reached only
# after a few (the allocator's reuse and the next batch read meanwhile), 1.14-1.21x for 3 days of 1.
BATCH_HOUR = len("YYYYMMDDHH")
# The parsing thread takes the GIL back after every file read and every Polars step; at Python's default
# interval of 5 ms it waited up to that long whenever the engine's thread ran Python (the database work).
# Reading 10,000 files: 0.44 s alone, 269 s next to a thread running Python at 5 ms, 21 s at 0.5 ms.
SWITCH_INTERVAL = 0.0005


class Command(BaseCommand):
    help = "Monitoring data: replay a folder of networking files, or simulate mines' uploads."
    # a batch process: Django's system checks (URLs, templates, admin) import every view and took 0.3 s
    # of its 0.9 s start; `scripts/test` runs them (`kuangan check`)
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True, metavar="{replay,simulate}")
        replay = sub.add_parser("replay", help="process every file under DIR exactly as live ingestion would")
        replay.add_argument("dir")
        replay.add_argument("--json", action="store_true",
                            help="print one JSON object per alarm or lead raised or changed, as it stands at the end: "
                                 "mine, point (the subject: point, card, area, station, seal; null for the mine), "
                                 "kind, start, end, peak, late (null for a lead), withdrawn")
        replay.add_argument("--register-unknown", action="store_true",
                            help="create a minimal mine record for files of a mine not in the registry")
        replay.add_argument("--batch-files", type=int, default=BATCH_FILES)
        sim = sub.add_parser("simulate", help="write the registered coal mines' safety-monitoring files (producing "
                             "and building mines) and personnel-positioning, power and seal files (suspended ones too)")
        sim.add_argument("--out", default=str(settings.MONITORING_DROP_DIR), help="folder (default: the drop folder)")
        sim.add_argument("--live", action="store_true",
                         help="keep writing in real time, every file when its upload time comes")
        sim.add_argument("--start", help="first data time, YYYY-MM-DDTHH:MM:SS Beijing time (default: now)")
        sim.add_argument("--hours", type=float, default=1.0, help="span to write when not --live (default 1)")
        sim.add_argument("--points", type=int, default=40, help="points per mine (default 40)")
        sim.add_argument("--period", type=int, default=30, help="seconds between real-time values (default 30)")
        sim.add_argument("--mines", help="comma-separated mine codes (default: every producing coal mine)")
        sim.add_argument("--no-personnel", action="store_true",
                         help="only the safety-monitoring files (no RYXX/RYQY/RYJZ/RYSS/JZSS, YDSJ, DZFT)")
        sim.add_argument("--incident", action="append", default=[],
                         help=f"KIND:MINE_CODE:MINUTES_FROM_START:MINUTES[:PEAK], KIND one of {', '.join(INCIDENT_KINDS)}")
        sim.add_argument("--demo-incidents", action="store_true",
                         help="a rolling schedule of every kind of incident (for the demo)")
        sim.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sub"] == "replay":
            self.replay(Path(options["dir"]), as_json=options["json"], register=options["register_unknown"],
                        batch_files=max(1, options["batch_files"]))
        else:
            self.simulate(options)

    # --- replay ---------------------------------------------------------------------------------------

    def replay(self, root: Path, *, as_json: bool, register: bool, batch_files: int) -> None:
        if not root.is_dir():
            raise CommandError(f"{root}: 不是目录")
        files = _listing(root)
        arrivals = _arrivals(files)
        touched: set[int] = set()
        leads: set[int] = set()
        started, done, readings = time.monotonic(), 0, 0
        # reading and parsing the next batch overlaps the engine and the database work on this one
        # (Polars and file reads release the GIL; the two cores both work)
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            with batchprocess.batches(), ThreadPoolExecutor(max_workers=1) as pool:
                batches = iter(_batches(files, arrivals, batch_files))
                ahead = pool.submit(_read_and_parse, *next(batches, ([], [])))
                while True:
                    items, arrived, parsed = ahead.result()
                    if not items:
                        break
                    ahead = pool.submit(_read_and_parse, *next(batches, ([], [])))
                    # a file still without its end mark in a replay never completes: quarantine it now;
                    # the replay's clock is the newest plausible header time: silence follows the data
                    result = ingest.ingest(items, source=UploadSource.REPLAY, now=max(arrived), arrivals=arrived,
                                           register_unknown=register, by=Actor.system(Via.INGEST),
                                           expired=range(len(items)), parsed=parsed, live=False)
                    touched.update(result.alarms)
                    leads.update(result.leads)
                    done += len(items)
                    readings += result.readings
                    rate = readings / max(time.monotonic() - started, 1e-9)
                    print(f"\r{done}/{len(files)} files, {readings:,} readings, {rate:,.0f}/s", end="", file=sys.stderr)
        finally:
            sys.setswitchinterval(switch)
        print(file=sys.stderr)
        alarms = Alarm.objects.filter(pk__in=touched).select_related("mine")
        found = Lead.objects.filter(pk__in=leads).select_related("mine")
        lines = sorted([*(_contract(a) for a in alarms), *(_lead_contract(lead) for lead in found)],
                       key=lambda d: (d["start"], d["mine"], d["point"] or "", d["kind"]))
        if as_json:
            for line in lines:
                self.stdout.write(json.dumps(line, ensure_ascii=False))
        else:
            self.stdout.write(f"{done} files, {readings} readings, {len(touched)} alarms, {len(leads)} leads")

    # --- simulate -------------------------------------------------------------------------------------

    def simulate(self, options: dict[str, Any]) -> None:
        mines = demo_feed.mine_specs(options["mines"], points=options["points"])
        personnel = [] if options["no_personnel"] else demo_feed.mine_specs(options["mines"], points=options["points"],
                                                                             suspended=True)
        if not mines and not personnel:
            raise CommandError("没有可模拟的矿山（正常生产、建设或停产停建的井工煤矿）")
        now = clock.local(clock.now()).replace(microsecond=0)
        start = datetime.fromisoformat(options["start"]).replace(tzinfo=None) if options["start"] else now
        codes = [m.code for m in mines]
        incidents = [_incident(text, codes, [m.code for m in personnel], start) for text in options["incident"]]
        if options["demo_incidents"]:
            hours = 24 if options["live"] else options["hours"]
            # the demo's own mine (its logins) first: an alarm to handle 2 minutes after the start
            incidents += demo_monitoring.live_incidents(mines, start, hours=hours,
                                                        first=demo_monitoring.role_mine_codes())
            incidents += demo_monitoring.live_personnel_incidents(personnel, start, hours=hours)
        end = start + timedelta(hours=24 * 365 if options["live"] else options["hours"])
        out = Path(options["out"])
        streams = []
        if mines:
            streams.append(simulate(mines, start, end, period_s=options["period"], incidents=incidents,
                                    seed=options["seed"]))
        if personnel:
            streams.append(simulate_personnel(personnel, start, end, incidents=incidents, seed=options["seed"]))
        files = merge(*streams)
        written = 0
        for name, data in files:
            if options["live"]:
                stamp = clock.from_local(datetime.strptime(name.rsplit("_", 1)[-1][:14], "%Y%m%d%H%M%S"))  # noqa: DTZ007
                wait = (stamp - clock.now()).total_seconds()
                if wait > 0:
                    time.sleep(wait)
            _write(out / name.split("_", 1)[0], name, data)
            written += 1
        self.stdout.write(f"{written} files written to {out}")


def _read_and_parse(files: list[tuple[str, int]], arrived: list[datetime]
                    ) -> tuple[list[Upload], list[datetime], ParsedBatch | None]:
    items = [_read(p, n) for p, n in files]
    return items, arrived, (ingest.parse(items, arrived) if items else None)


def _read(path: str, size: int) -> Upload:
    """A whole file, unbuffered (one read of its size; no Path object per file); a file over the upload
    limit only by its beginning, its size and its digest (it is quarantined unread, as live)."""
    if size > settings.UPLOAD_MAX_BYTES:
        upload = read_upload(Path(path), settings.UPLOAD_MAX_BYTES)
        if upload is not None:
            return upload
    with open(path, "rb", buffering=0) as f:
        return Upload(os.path.basename(path), f.readall())


def _arrivals(files: list[tuple[str, int, str]]) -> list[datetime]:
    """When each file reaches the platform in the replay: the replay's clock, i.e. the newest plausible
    header time so far (the time in the name; the files come in that order). It starts where the last
    ingestion left the clock, so a file replayed after newer ones is late. A time further ahead of the
    real clock than the tolerance is a clock fault: it does not move the replay's clock (and the parser
    quarantines its file). Worked on the names' 14 digits, which sort as the times do (a county's day
    is some 500,000 files)."""
    snapshot = EngineSnapshot.objects.filter(key="live").first()
    now = clock.now()
    latest = _stamp(now + timedelta(seconds=settings.MONITORING_FUTURE_TOLERANCE_S))
    current = _stamp(snapshot.newest_header) if snapshot is not None and snapshot.newest_header else ""
    times: dict[str, datetime] = {"": now}
    out = []
    for _path, _size, stamp in files:
        if current < stamp <= latest and ingest.stamp_time(stamp) is not None:
            current = stamp
        t = times.get(current)
        if t is None:
            t = times[current] = ingest.stamp_time(current) or now
        out.append(t)
    return out


def _stamp(t: datetime) -> str:
    return clock.local(t).strftime("%Y%m%d%H%M%S")



def _listing(root: Path) -> list[tuple[str, int, str]]:
    """Every file under `root` (its path, its size and the time in its name) in header order (a
    directory scan gives path and size without a second system call per file: a county's day is some
    500,000 files)."""
    found: list[tuple[str, str, str, int]] = []
    folders = [str(root)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.is_file():
                    stamp, name = header_order(entry.name)
                    found.append((stamp, name, entry.path, entry.stat().st_size))
    found.sort()  # flat tuples: comparing nested ones took 0.16 s for a 20-mine day
    return [(path, size, stamp) for stamp, _name, path, size in found]


def _batches(files: list[tuple[str, int, str]], arrivals: list[datetime], size: int
             ) -> Iterator[tuple[list[tuple[str, int]], list[datetime]]]:
    """(path, size) and arrival in batches of at most `size` files, BATCH_BYTES and one hour of header time."""
    batch: list[tuple[str, int]] = []
    arrived: list[datetime] = []
    total, hour = 0, ""
    for (path, n, stamp), at in zip(files, arrivals, strict=True):
        if batch and (len(batch) >= size or total + n > BATCH_BYTES or stamp[:BATCH_HOUR] != hour):
            yield batch, arrived
            batch, arrived, total = [], [], 0
        batch.append((path, n))
        arrived.append(at)
        total += min(n, settings.UPLOAD_MAX_BYTES)
        hour = stamp[:BATCH_HOUR]
    if batch:
        yield batch, arrived


def _local(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _contract(a: Alarm) -> dict[str, Any]:
    return {"mine": a.mine.code, "point": a.point_code or None, "kind": a.kind, "start": _local(a.start),
            "end": _local(a.end), "peak": a.peak, "late": a.late, "withdrawn": a.withdrawn}


def _lead_contract(lead: Lead) -> dict[str, Any]:
    """A lead as a replay prints it: its subject (area, seal; null for a mine-level kind), when its signal began
    and stopped, its peak (people, kWh share %, tonnes or sightings), withdrawn when later data disproved it (late does not
    apply)."""
    return {"mine": lead.mine.code, "point": lead.subject or None, "kind": lead.kind, "start": _local(lead.start),
            "end": _local(lead.end), "peak": lead.peak, "late": None, "withdrawn": lead.status == LeadStatus.WITHDRAWN}


def _incident(text: str, codes: list[str], personnel: list[str], start: datetime) -> Incident:
    parts = text.split(":")
    try:
        kind, mine, offset, minutes = parts[0], parts[1], float(parts[2]), float(parts[3])
        peak = float(parts[4]) if len(parts) > 4 else None
    except (IndexError, ValueError) as e:
        raise CommandError(f"--incident {text!r}: 应为 KIND:MINE_CODE:MINUTES_FROM_START:MINUTES[:PEAK]") from e
    if kind not in INCIDENT_KINDS:
        raise CommandError(f"--incident {text!r}: 未知类型 {kind}")
    if mine not in (personnel if kind in PERSONNEL_INCIDENT_KINDS else codes):
        raise CommandError(f"--incident {text!r}: 矿山 {mine} 不在模拟范围内")
    return Incident(kind, mine, start + timedelta(minutes=offset), minutes, peak=peak)


def _write(folder: Path, name: str, data: bytes) -> None:
    """Write under a hidden name, then rename: the worker never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, folder / name)
