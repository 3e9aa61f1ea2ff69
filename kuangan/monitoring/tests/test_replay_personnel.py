"""`kuangan monitoring replay DIR --json` with personnel-positioning, power and seal files: the alarms and the
leads it prints are the ones live processing of the same files gives, whatever their order of arrival
(replay equals live, arrival order does not matter), and a lead prints as the contract says."""

from __future__ import annotations

import io
import json
import random
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from django.core.management import call_command

from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.clock import from_local
from kuangan.engine.formats import Upload
from kuangan.engine.simulate import Face, Incident, MineSpec, merge, positioning_areas, simulate_personnel
from kuangan.monitoring import ingest
from kuangan.monitoring.actions import AreaMapping, map_positioning_area
from kuangan.monitoring.choices import AreaUse, LeadStatus, UploadSource
from kuangan.monitoring.models import (
    Alarm,
    EngineCheckpoint,
    EngineSnapshot,
    Lead,
    PositioningArea,
    StoredBatch,
)
from kuangan.monitoring.models import Upload as UploadRow
from kuangan.registry.actions import change_mine_status
from kuangan.registry.choices import FaceKind, FaceStatus, MineStatus, MiningMethod
from kuangan.registry.models import WorkingFace

T0 = datetime(2024, 6, 8)  # Beijing time, naive like the files
HALT = date(2024, 6, 10)  # the second mine stops building on this day
USE = {"shaft_top": AreaUse.SHAFT_TOP, "pit_bottom": AreaUse.ROADWAY, "face": AreaUse.FACE, "roadway": AreaUse.ROADWAY,
       "chamber": AreaUse.CHAMBER, "restricted": AreaUse.OTHER, "hidden": AreaUse.ROADWAY}
DEFINITIONS = ("RYXX", "RYQY", "RYJZ")
KEYS = ["mine", "point", "kind", "start", "end", "peak", "late", "withdrawn"]


@pytest.fixture(autouse=True)
def _monitoring_dir(tmp_path, settings):
    settings.MONITORING_DIR = tmp_path / "monitoring"
    settings.MONITORING_DROP_DIR = tmp_path / "drop"
    # a hidden working face on 2 days of 2 (3 of 7 by default): two days of snapshots show it
    settings.MONITORING_PERSONNEL = {**settings.MONITORING_PERSONNEL, "hidden_days": 2, "hidden_window_days": 2}


def at(h: float = 0, m: float = 0, *, day: int = 0) -> datetime:
    return T0 + timedelta(days=day, hours=h, minutes=m)


def feed(world, days: int = 2, power_days: int = 5) -> tuple[list[tuple[str, bytes]], str]:
    """`days` of the first mine's snapshots (people in an undeclared roadway each day, an SOS, a restricted
    area, a crowded face) and the second one's power from `power_days` before the first snapshot to the
    last day's evening, around its stop (seven producing days make its baseline), with power drawn and a seal
    passed while stopped. Returns the files and the undeclared area's code."""
    faces = [WorkingFace.objects.create(mine=world.a1, name="1101综采工作面", kind=FaceKind.LONGWALL,
                                        mining_method=MiningMethod.FULLY_MECHANIZED, status=FaceStatus.PRODUCING)]
    a1 = MineSpec(world.a1.code, world.a1.name, crew=20, faces=tuple(Face(f.name) for f in faces))
    a2 = MineSpec(world.a2.code, world.a2.name, crew=20, status=MineStatus.CONSTRUCTION_STOPPED,
                  status_since=datetime.combine(HALT, datetime.min.time()))
    hidden = positioning_areas(a1).filter(pl.col("use") == "hidden")["area_code"][0]
    face = positioning_areas(a1).filter(pl.col("use") == "face")["area_code"][0]
    files = merge(
        simulate_personnel([a1], T0, at(day=days), types=("RYXX", "RYQY", "RYJZ", "RYSS"), incidents=[
            Incident("hidden_working_face", a1.code, at(9), 300, point=hidden, days=days),
            Incident("sos", a1.code, at(15), 15),
            Incident("restricted_area_entry", a1.code, at(11, day=1), 20),
            Incident("face_overcrowded", a1.code, at(10, 30), 30, point=face, peak=30)]),
        simulate_personnel([a2], at(day=-power_days), at(20, day=days), types=("RYXX", "RYQY", "RYJZ", "YDSJ", "DZFT"),
                           incidents=[Incident("power_use_while_suspended", a2.code, at(day=2), 20 * 60),
                                      Incident("seal_activity_while_suspended", a2.code, at(14, day=2), 40)]),
    )
    return list(files), hidden


def registry(world, files: list[tuple[str, bytes]], hidden: str) -> list[tuple[str, bytes]]:
    """What the regulator records before the files are judged: the second mine's stop, and, once the mines'
    first definitions created the positioning areas, their mapping (all but `hidden`). Returns the files
    not yet ingested."""
    change_mine_status(world.a2.pk, by=world.actor(world.county_admin), to_status=MineStatus.CONSTRUCTION_STOPPED,
                       reason="建设手续不全，责令停止建设", effective_on=HALT)
    first = {}
    for name, _ in files:
        code, ftype, stamp = name.split("_")
        if ftype in DEFINITIONS:
            first.setdefault(code, stamp)
    opening = [(n, d) for n, d in files if n.split("_")[1] in DEFINITIONS and n.split("_")[2] == first[n.split("_")[0]]]
    live([opening])
    by = world.actor(world.inspector)
    for mine in (world.a1, world.a2):
        spec = MineSpec(mine.code, mine.name, crew=20, faces=tuple(Face(f.name) for f in mine.faces.all()))
        uses = dict(positioning_areas(spec).select("area_code", "use").iter_rows())
        faces = {f.name: f.pk for f in mine.faces.all()}
        for area in PositioningArea.objects.filter(mine=mine):
            if area.code == hidden:
                continue
            use = uses[area.code]
            face_id = faces.get(area.name) if use == "face" else None
            map_positioning_area(area.pk, by=by, mapping=AreaMapping(
                declared_as=USE[use] if use != "face" or face_id else AreaUse.OTHER, face_id=face_id))
    return [f for f in files if f not in opening]


def live(batches: list[list[tuple[str, bytes]]]) -> None:
    """Each batch as the drop folder would take it, each file arriving when it was sent."""
    for part in batches:
        items = [Upload(n, d) for n, d in part]
        arrived = ingest.as_sent(items, from_local(T0))
        ingest.ingest(items, source=UploadSource.DROP_FOLDER, arrivals=arrived, now=max(arrived),
                      by=Actor.system(Via.INGEST), live=False)


def contract() -> list[tuple]:
    """What live processing left: alarms not withdrawn and leads (mine_silent is judged by arrival, which a
    shuffled order changes on purpose)."""
    alarms = [(a.mine.code, a.point_code or None, a.kind, a.start, a.end, a.peak)
              for a in Alarm.objects.select_related("mine").exclude(kind="mine_silent")
              .filter(withdrawn_at__isnull=True)]
    leads = [(lead.mine.code, lead.subject or None, lead.kind, lead.start, lead.end, lead.peak)
             for lead in Lead.objects.select_related("mine").exclude(status=LeadStatus.WITHDRAWN)]
    return sorted(alarms + leads, key=lambda r: (r[3], r[0], r[1] or "", r[2]))


def fresh_installation(tmp_path, settings) -> None:
    """Nothing of the live run is left but the registry (mines, areas and their mapping, workers)."""
    for model in (Alarm, Lead, UploadRow, EngineSnapshot, EngineCheckpoint, StoredBatch):
        model.objects.all().delete()
    ingest._STATE.clear()
    settings.MONITORING_DIR = tmp_path / "replay-monitoring"


def replay_json(folder) -> list[dict]:
    out = io.StringIO()
    call_command("monitoring", "replay", str(folder), "--json", stdout=out, stderr=io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def as_rows(lines: list[dict]) -> list[tuple]:
    def t(text: str | None) -> datetime | None:
        return None if text is None else from_local(datetime.strptime(text, "%Y-%m-%d %H:%M:%S"))

    return [(d["mine"], d["point"], d["kind"], t(d["start"]), t(d["end"]), d["peak"]) for d in lines
            if d["kind"] != "mine_silent" and not d["withdrawn"]]


def replayed(files: list[tuple[str, bytes]], tmp_path, settings) -> list[dict]:
    """The files replayed from a folder on an installation that kept only the registry."""
    fresh_installation(tmp_path, settings)
    folder = tmp_path / "feed"
    for name, data in files:
        (folder / name.split("_")[0]).mkdir(parents=True, exist_ok=True)
        (folder / name.split("_")[0] / name).write_bytes(data)
    return replay_json(folder)


def test_replay_equals_live_processing_in_shuffled_order(world, tmp_path, settings):
    files, hidden = feed(world)
    rest = registry(world, files, hidden)
    batches = [rest[i:i + 250] for i in range(0, len(rest), 250)]
    random.Random(20).shuffle(batches)  # later hours and days arrive before earlier ones
    live(batches)
    expected = contract()
    kinds = {r[2] for r in expected}
    assert kinds >= {"sos", "restricted_area_entry", "face_overcrowded", "hidden_working_face",
                     "power_use_while_suspended", "seal_activity_while_suspended"}
    [lead] = [r for r in expected if r[2] == "hidden_working_face"]
    assert (lead[0], lead[1]) == (world.a1.code, hidden)

    lines = replayed(files, tmp_path, settings)
    assert as_rows(lines) == expected
    assert [list(d) for d in lines] == [KEYS] * len(lines)
    assert lines == sorted(lines, key=lambda d: (d["start"], d["mine"], d["point"] or "", d["kind"]))


def test_days_of_state_survive_late_data_older_than_the_checkpoints(world, tmp_path, settings):
    """Three days of snapshots and ten of power (days ahead of the snapshots) in smaller shuffled batches: late
    snapshots older than every checkpoint that judged the power still find the days of dwell before them (the
    hidden face, the shifts without a leader), and the replay finds what live processing found."""
    files, hidden = feed(world, days=3, power_days=7)
    rest = registry(world, files, hidden)
    batches = [rest[i:i + 150] for i in range(0, len(rest), 150)]
    random.Random(20).shuffle(batches)
    live(batches)
    expected = contract()
    hidden_leads = [r for r in expected if r[2] == "hidden_working_face"]
    assert [(r[0], r[1]) for r in hidden_leads] == [(world.a1.code, hidden)]
    [lead] = hidden_leads
    assert from_local(at(9)) <= lead[3] < from_local(at(9, 5))  # the first day's dwell, judged after later days
    assert {"no_leader_on_shift", "power_use_while_suspended"} <= {r[2] for r in expected}
    assert as_rows(replayed(files, tmp_path, settings)) == expected


def test_a_lead_prints_its_subject_when_its_signal_stopped_and_its_peak(world, tmp_path):
    a2 = MineSpec(world.a2.code, world.a2.name, status=MineStatus.CONSTRUCTION_STOPPED)
    change_mine_status(world.a2.pk, by=world.actor(world.county_admin), to_status=MineStatus.CONSTRUCTION_STOPPED,
                       reason="建设手续不全，责令停止建设", effective_on=date(2024, 5, 1))
    folder = tmp_path / "seals"
    folder.mkdir()
    # two sightings 20 minutes apart, then the next morning's self-check: more than an hour without one
    for name, data in simulate_personnel([a2], at(12), at(31), types=("DZFT",), incidents=[
            Incident("seal_activity_while_suspended", a2.code, at(14), 20, peak=2)]):
        (folder / name).write_bytes(data)
    [line] = replay_json(folder)
    assert line == {"mine": world.a2.code, "point": f"{world.a2.code}S01", "kind": "seal_activity_while_suspended",
                    "start": "2024-06-08 14:00:00", "end": "2024-06-08 14:10:00", "peak": 2.0, "late": None,
                    "withdrawn": False}
