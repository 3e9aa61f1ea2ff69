"""Personnel-positioning files through ingestion: areas and workers kept, people underground now from the
newest snapshot by data time (a late one never replaces it), positions stored in Parquet, and alarms judged
with what the same batch declared (an area its RYQY calls restricted)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.models import Notification
from kuangan.monitoring.choices import AlarmKind, UploadSource
from kuangan.monitoring.ingest import ingest, monitoring_dir
from kuangan.monitoring.models import Alarm, PersonnelNow, PositioningArea
from kuangan.registry.choices import MineStatus
from kuangan.registry.models import MineStatusChange
from kuangan.workforce.models import Worker

from .personnel_files import Down, area, card, ryqy, ryss, ryxx

T0 = datetime(2024, 6, 3, 8, 0)  # noqa: DTZ001 - Beijing wall-clock time, as the files write it


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def send(uploads, received: datetime, *, live: bool = True):  # type: ignore[no-untyped-def]
    with clock.frozen(clock.from_local(received)):
        return ingest(uploads, source=UploadSource.API, by=Actor.system(Via.INGEST), live=live)


@pytest.fixture(autouse=True)
def folder(settings, tmp_path):
    settings.MONITORING_DIR = tmp_path / "monitoring"


def test_personnel_files_keep_areas_workers_people_now_and_raise_a_restricted_entry(world, django_capture_on_commit_callbacks):
    mine = world.a1.code
    crew = [Down(1, 1, at(-20)), Down(2, 1, at(-20)), Down(3, 2, at(-10)), Down(4, 7, at(-15))]
    uploads = [ryqy(mine, at(-60), [(1, "其它区域", 20, "1303综采工作面"), (2, "限制区域", 2, "3号密闭前")]),
               ryxx(mine, at(-60), [(1, "张伟"), (2, "李强"), (3, "王磊")]),
               ryss(mine, at(0), crew), ryss(mine, at(5), crew)]
    with django_capture_on_commit_callbacks(execute=True):
        result = send(uploads, at(6))
    assert (result.accepted, result.quarantined) == (4, 0), result.outcome
    areas = {a.code: a for a in PositioningArea.objects.filter(mine=world.a1)}
    assert set(areas) == {area(mine, 1), area(mine, 2), area(mine, 7)}
    assert (areas[area(mine, 2)].area_type, areas[area(mine, 2)].headcount, areas[area(mine, 2)].name) == (
        "限制区域", 2, "3号密闭前")
    assert not areas[area(mine, 7)].seen_in_files and areas[area(mine, 7)].declared_as == ""  # undeclared
    assert set(Worker.objects.filter(mine=world.a1).values_list("name", flat=True)) == {"张伟", "李强", "王磊"}
    now = PersonnelNow.objects.get(mine=world.a1)
    assert (now.at, now.count) == (clock.from_local(at(5)), 4)
    assert now.by_area == {area(mine, 1): 2, area(mine, 2): 1, area(mine, 7): 1}
    entry = Alarm.objects.get(kind=AlarmKind.RESTRICTED_AREA_ENTRY)
    assert (entry.mine, entry.point_code, entry.start) == (world.a1, card(mine, 3), clock.from_local(at(0)))
    assert entry.location == "王磊"  # the roster's name, not the card code
    assert Notification.objects.filter(recipient=world.mine_dispatcher, url=entry.get_absolute_url()).exists()
    assert list((monitoring_dir() / "positions").glob(f"date=2024-06-03/mine={mine}/*.parquet"))


def test_a_late_snapshot_never_replaces_the_newest(world):
    mine = world.a1.code
    send([ryss(mine, at(10), [Down(1, 1, at(-20))])], at(11))
    send([ryss(mine, at(5), [Down(1, 1, at(-20)), Down(2, 1, at(-20))])], at(12))
    now = PersonnelNow.objects.get(mine=world.a1)
    assert (now.at, now.count) == (clock.from_local(at(10)), 1)


def test_more_than_ten_in_an_area_of_a_suspended_mine(world):
    mine = world.a1.code
    MineStatusChange.objects.create(mine=world.a1, from_status=MineStatus.PRODUCING,
                                    to_status=MineStatus.SUSPENDED_FOR_RECTIFICATION, at=clock.from_local(at(-1440)),
                                    effective_on=date(2024, 6, 1), by_name="王检查", reason="责令停产整顿")
    ten = [Down(n, 1, at(-30)) for n in range(1, 11)]
    send([ryss(mine, at(0), ten), ryss(mine, at(5), ten)], at(6))
    assert not Alarm.objects.filter(kind=AlarmKind.SUSPENDED_MINE_ACTIVITY).exists()  # 10 is not more than 10
    eleven = ten + [Down(11, 1, at(-30))]
    send([ryss(mine, at(10), eleven), ryss(mine, at(15), eleven)], at(16))
    alarm = Alarm.objects.get(kind=AlarmKind.SUSPENDED_MINE_ACTIVITY)
    assert (alarm.point_code, alarm.start, alarm.peak) == (area(mine, 1), clock.from_local(at(10)), 11)
    assert alarm.location == area(mine, 1)  # no RYQY named it: its code


def test_while_ryss_is_late_the_mine_is_silent_and_no_personnel_alarm_comes_of_the_gap(world):
    """Snapshots stop at 07:55 and resume at 10:30: the mine was silent (断线) for the RYSS type, and the
    shift that began at 08:00 is not judged for its leader (a leader may have gone down unseen)."""
    mine = world.a1.code
    crew = [Down(n, 1, at(-20)) for n in range(1, 6)]  # the 08:00 shift, down at 07:40
    # not live: between two batches the platform was looking (live, a gap between judgements is its own downtime)
    send([ryss(mine, at(-10), crew), ryss(mine, at(-5), crew)], at(-4), live=False)
    result = send([ryss(mine, at(150), crew), ryss(mine, at(155), crew)], at(156), live=False)
    assert result.accepted == 2
    silent = Alarm.objects.get(kind=AlarmKind.MINE_SILENT)
    assert (silent.start, silent.end) == (clock.from_local(at(-4) + timedelta(minutes=15)),
                                          clock.from_local(at(156)))
    assert not Alarm.objects.filter(kind=AlarmKind.NO_LEADER_ON_SHIFT).exists()
    # the next shift, covered from its start, is judged: 2 h in without a leader
    later = [ryss(mine, at(480 + 5 * i), [Down(n, 1, at(470)) for n in range(10, 15)]) for i in range(0, 26)]
    send(later, at(480 + 5 * 25 + 1), live=False)
    alarm = Alarm.objects.get(kind=AlarmKind.NO_LEADER_ON_SHIFT)
    assert (alarm.point_code, alarm.start) == ("", clock.from_local(at(600)))
