"""Monitoring that no mine and no network fault can defeat, on the platform: one mine speaks only for
itself, late and out-of-order files are judged, the clock of a file is not trusted, limits hold on every
path, and the platform's own downtime or processing order is not a mine's silence."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.clock import from_local
from kuangan.core.models import AuditEvent, Notification
from kuangan.engine.formats import Upload
from kuangan.engine.simulate import Incident, MineSpec, simulate
from kuangan.monitoring import ingest
from kuangan.monitoring.actions import acknowledge_alarm
from kuangan.monitoring.choices import AlarmAction, UploadSource
from kuangan.monitoring.models import Alarm, EngineSnapshot, MonitoringPoint, RejectedRecord
from kuangan.monitoring.models import Upload as UploadRow

START = datetime(2024, 6, 1, 8, 0, 0)
POINT_KINDS_ONLY = {"over_limit", "feed_failure", "point_fault", "stuck_value", "out_of_range", "calibration_abuse",
                    "unreported_event"}


@pytest.fixture(autouse=True)
def _monitoring_dir(tmp_path, settings):
    settings.MONITORING_DIR = tmp_path / "monitoring"
    settings.MONITORING_DROP_DIR = tmp_path / "drop"


def stamp(name):
    return datetime.strptime(name.rsplit("_", 1)[-1][:14], "%Y%m%d%H%M%S")


def deliver(files, *, at=None, live=False):
    """One batch, each file arriving at its header time (or at `at`, naive Beijing)."""
    arrived = [from_local(at or stamp(n)) for n, _d in files]
    return ingest.ingest([Upload(n, d) for n, d in files], source=UploadSource.DROP_FOLDER, arrivals=arrived,
                         now=max(arrived) if arrived else from_local(at), by=Actor.system(Via.INGEST), live=live)


def feed(world, *incidents, minutes=60, start=START, mines=None):
    specs = mines or [MineSpec(world.a1.code, world.a1.name, points=12, outstations=1)]
    return list(simulate(specs, start, start + timedelta(minutes=minutes), incidents=list(incidents)))


def standing():
    rows = Alarm.objects.filter(withdrawn_at__isnull=True, kind__in=POINT_KINDS_ONLY).select_related("mine")
    return sorted((a.mine.code, a.point_code, a.kind, a.start, a.end, a.peak) for a in rows)


def text(mine, name, records, t, system=""):
    """A family-A file; `system`: the CDDY header's system fields (model;name;maker;date;)."""
    return f"{mine};{name};{system}{t:%Y-%m-%d %H:%M:%S}~" + "".join(r + "~" for r in records) + "||"


KJ = "KJ95X;KJ95X煤矿安全监控系统;天地（常州）自动化股份有限公司;2026-06-28;"


# --- one mine speaks only for itself -------------------------------------------------------------------


def test_no_upload_of_one_mine_changes_anything_of_another(world, django_capture_on_commit_callbacks):
    b = MineSpec(world.b1.code, world.b1.name, points=6, outstations=1)
    deliver(feed(world, minutes=5, mines=[b]))
    victim = MonitoringPoint.objects.filter(mine=world.b1, sensor_type="0001").order_by("code").first()
    before = {p.code: (p.upper_alarm, p.upper_power_off, p.relations, p.updated_at)
              for p in MonitoringPoint.objects.filter(mine=world.b1)}
    state_before = ingest._load_state(bytes(EngineSnapshot.objects.get(key="live").state)).of_mine(world.b1.code)
    t = START + timedelta(minutes=6)
    a = world.a1.code
    # named and headed as a1, redefining b1's methane point with thresholds of 99 and sending its readings
    own = [f"{a}01MN00010000001{i};01;{a}00001;0001;MN;%;4.00;0.00;1.00;1.00;;;1.50;1.00;;;;;本矿;0;0;0;;"
           f"{t:%Y-%m-%d %H:%M:%S}" for i in range(3)]
    cddy = text(a, world.a1.name, [*own,
        f"{victim.code};01;{world.b1.code}00001;0001;MN;%;100.00;0.00;99.00;99.00;;;99.00;99.00;;;;;偷换阈值;0;0;0;;"
        f"{t:%Y-%m-%d %H:%M:%S}",
        f"{a}01MN000100000099;01;{a}00001;0001;MN;%;4.00;0.00;1.00;1.00;;;1.50;1.00;;;;;本矿测点;0;0;0;"
        f"D-{world.b1.code}01KG100900100002;{t:%Y-%m-%d %H:%M:%S}",
    ], t, KJ)
    cdss = text(a, world.a1.name, [f"{victim.code};甲烷;偷换;0.2;%;0;{t:%Y-%m-%d %H:%M:%S}",
                                   f"{a}01MN000100000099;甲烷;本矿;0.2;%;0;{t:%Y-%m-%d %H:%M:%S}"], t)
    with django_capture_on_commit_callbacks(execute=True):
        result = deliver([(f"{a}_CDDY_{t:%Y%m%d%H%M%S}.txt", cddy.encode()),
                          (f"{a}_CDSS_{t + timedelta(seconds=1):%Y%m%d%H%M%S}.txt", cdss.encode())])
    assert result.accepted == 2 and result.rejected_records == 3  # two of b1's records and the b1 relation
    reasons = set(RejectedRecord.objects.values_list("reason", flat=True))
    assert all(r.startswith("属于其他矿井的测点") for r in reasons)
    after = {p.code: (p.upper_alarm, p.upper_power_off, p.relations, p.updated_at)
             for p in MonitoringPoint.objects.filter(mine=world.b1)}
    assert after == before
    state_after = ingest._load_state(bytes(EngineSnapshot.objects.get(key="live").state)).of_mine(world.b1.code)
    assert all(x.equals(y) for (_, x), (_, y) in zip(state_before._frames(), state_after._frames(), strict=True))
    # the county of the uploading mine hears of it once per file, and it is an audited event
    told = Notification.objects.filter(title__contains="属于其他矿井", recipient__username="inspector")
    assert told.count() == 2
    assert not Notification.objects.filter(title__contains="属于其他矿井", recipient__username="foreign_inspector")
    assert AuditEvent.objects.filter(verb="monitoring.upload.foreign_records").count() == 2
    # b1's own over-limit is still alarmed at its own thresholds
    t2 = START + timedelta(minutes=8)
    own = text(world.b1.code, world.b1.name, [f"{victim.code};甲烷;上隅角;1.8;%;0;{t2:%Y-%m-%d %H:%M:%S}"], t2)
    deliver([(f"{world.b1.code}_CDSS_{t2:%Y%m%d%H%M%S}.txt", own.encode())])
    assert Alarm.objects.filter(mine=world.b1, point_code=victim.code, kind="over_limit").exists()


def test_upload_api_quarantines_a_file_whose_header_names_another_mine(world, client):
    from kuangan.core.actions import create_token
    from kuangan.core.choices import Role
    from kuangan.testing import make_user, unchanged

    user = make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM, is_machine=True)
    _token, secret = create_token(user.pk, by=Actor.system(Via.SHELL), name="KJ95N")
    t = START
    body = text(world.b1.code, world.b1.name, [f"{world.b1.code}01MN000100000001;甲烷;x;0.2;%;0;2024-06-01 08:00:00"], t)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/v1/monitoring/uploads",
                           {"file": SimpleUploadedFile(f"{world.a1.code}_CDSS_20240601080000.txt", body.encode())},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json()["status"] == "quarantined"
    assert world.b1.code in response.json()["reason"]  # the header's mine is not the name's (the token's)
    # named and headed as b1: refused before it is read
    with unchanged(UploadRow, MonitoringPoint, Alarm):
        response = client.post("/api/v1/monitoring/uploads",
                               {"file": SimpleUploadedFile(f"{world.b1.code}_CDSS_20240601080000.txt", body.encode())},
                               headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403
    assert not MonitoringPoint.objects.exists() and not Alarm.objects.exists()


# --- the clock of a file is not trusted ----------------------------------------------------------------


def test_a_file_from_the_future_is_quarantined_and_never_moves_now(world):
    files = feed(world, minutes=10)
    deliver(files)
    newest = EngineSnapshot.objects.get(key="live").newest_header
    a = world.a1.code
    future = datetime(2099, 1, 1, 8, 0, 0)
    bad = text(a, world.a1.name, [f"{a}01MN000100100003;甲烷;x;0.2;%;0;2099-01-01 08:00:00"], future)
    result = deliver([(f"{a}_CDSS_20990101080000.txt", bad.encode())], at=START + timedelta(minutes=10))
    assert result.quarantined == 1 and "时钟故障" in result.outcome[0]["reason"]
    assert EngineSnapshot.objects.get(key="live").newest_header == newest
    # the next over-limit is still raised, and no mine fell silent for the year 2099
    later = feed(world, Incident("over_limit", a, START + timedelta(minutes=12), 3, peak=1.8), minutes=10,
                 start=START + timedelta(minutes=10))
    deliver(later)
    assert "over_limit" in {kind for _m, _p, kind, *_rest in standing()}
    assert not Alarm.objects.filter(kind="mine_silent").exists()


def test_a_record_from_the_future_is_rejected_with_its_reason(world):
    a = world.a1.code
    t = START
    body = text(a, world.a1.name, [f"{a}01MN000100100003;甲烷;x;0.2;%;0;2024-06-01 08:00:00",
                                   f"{a}01MN000100100004;甲烷;x;0.3;%;0;2024-06-01 09:30:00"], t)
    result = deliver([(f"{a}_CDSS_20240601080000.txt", body.encode())])
    assert result.accepted == 1 and result.readings == 1 and result.rejected_records == 1
    assert "超前于到达时间" in RejectedRecord.objects.get().reason


def test_old_data_is_judged_marked_late_and_the_county_told_of_the_back_fill(world, django_capture_on_commit_callbacks):
    a = world.a1.code
    files = feed(world, Incident("over_limit", a, START + timedelta(minutes=5), 3, peak=1.9), minutes=15)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(files, at=START + timedelta(days=30))
    alarm = Alarm.objects.get(kind="over_limit")
    assert alarm.late and alarm.delay > timedelta(days=29)
    assert alarm.transitions.first().note.startswith("迟到数据")
    assert Notification.objects.filter(title__contains="补传", recipient__username="inspector").exists()
    assert AuditEvent.objects.filter(verb="monitoring.upload.backfilled").exists()


# --- arrival order does not change the result ----------------------------------------------------------


def test_an_hour_delivered_after_the_next_one_keeps_its_alarms_and_marks_them_late(world):
    a = world.a1.code
    files = feed(world, Incident("over_limit", a, START + timedelta(minutes=20), 4, peak=1.7),
                 Incident("over_limit", a, START + timedelta(minutes=80), 4, peak=2.1), minutes=120)
    first = [f for f in files if stamp(f[0]) < START + timedelta(hours=1)]
    second = [f for f in files if stamp(f[0]) >= START + timedelta(hours=1)]
    for f in first:
        deliver([f])
    for f in second:
        deliver([f])
    in_order = standing()
    Alarm.objects.all().delete()
    EngineSnapshot.objects.all().delete()
    UploadRow.objects.all().delete()
    ingest._STATE.clear()
    import shutil

    from django.conf import settings

    shutil.rmtree(settings.MONITORING_DIR)
    from kuangan.monitoring.models import CheckpointMine, EngineCheckpoint

    CheckpointMine.objects.all().delete()
    EngineCheckpoint.objects.all().delete()
    for f in second:
        deliver([f])
    backlog_at = START + timedelta(hours=2, minutes=5)
    deliver(first, at=backlog_at)  # the first hour re-sent after an outage
    assert standing() == in_order
    late = Alarm.objects.get(kind="over_limit", start=from_local(START + timedelta(minutes=20)))
    assert late.late and late.received_at == from_local(backlog_at)
    on_time = Alarm.objects.get(kind="over_limit", start=from_local(START + timedelta(minutes=80)))
    assert not on_time.late


def test_a_late_report_withdraws_the_unreported_alarm_and_keeps_its_handling(world):
    a = world.a1.code
    files = feed(world, Incident("over_limit", a, START + timedelta(minutes=5), 4, peak=1.6), minutes=30)
    reports = [f for f in files if "_YCBJ_" in f[0]]
    assert reports
    deliver([f for f in files if "_YCBJ_" not in f[0]])
    unreported = Alarm.objects.get(kind="unreported_event")
    acknowledge_alarm(unreported.pk, by=world.actor(world.inspector), note="已电话核实")
    deliver(reports, at=START + timedelta(minutes=31))  # the mine's YCBJ was held up on the network
    unreported.refresh_from_db()
    assert unreported.withdrawn and "不成立" in unreported.withdrawn_reason
    assert unreported.acknowledged_by == world.inspector  # its handling is kept
    assert list(unreported.transitions.values_list("action", flat=True)) == [
        AlarmAction.RAISED, AlarmAction.CLEARED, AlarmAction.ACKNOWLEDGED, AlarmAction.WITHDRAWN]
    assert Alarm.objects.filter(kind="over_limit", withdrawn_at__isnull=True).count() == 1


def test_the_same_records_under_another_name_are_stored_once(world):
    files = feed(world, minutes=5)
    deliver(files)
    renamed = [(n.replace(".txt", ".TXT"), d) for n, d in files]
    result = deliver(renamed)
    assert result.duplicates == len(files) and result.readings == 0
    assert UploadRow.objects.count() == len(files)


# --- silence is the mine's, not the platform's ---------------------------------------------------------


def test_the_platforms_own_downtime_is_no_silence(world):
    a = world.a1.code
    files = feed(world, minutes=90)
    early = [f for f in files if stamp(f[0]) < START + timedelta(minutes=10)]
    rest = [f for f in files if stamp(f[0]) >= START + timedelta(minutes=10)]
    for f in early:
        deliver([f], live=True)
    # the worker was down for 80 minutes: everything the mine sent meanwhile is found at the restart
    deliver(rest, at=START + timedelta(minutes=90), live=True)
    assert not Alarm.objects.filter(mine__code=a, kind="mine_silent").exists()


def test_a_file_that_arrived_in_time_but_was_processed_late_withdraws_the_silence(world):
    files = feed(world, minutes=20)
    cut = START + timedelta(minutes=10)
    deliver([f for f in files if stamp(f[0]) < cut], live=True)
    # another batch judges at 10:06 while the mine's 10:00-10:06 files wait behind it (arrived in time)
    deliver([], at=cut + timedelta(minutes=6), live=True)
    silent = Alarm.objects.get(kind="mine_silent")
    waiting = [f for f in files if cut <= stamp(f[0]) < cut + timedelta(minutes=6)]
    arrived = [from_local(stamp(n)) for n, _d in waiting]
    ingest.ingest([Upload(n, d) for n, d in waiting], source=UploadSource.API, arrivals=arrived,
                  now=from_local(cut + timedelta(minutes=6, seconds=5)), by=Actor.system(Via.INGEST))
    silent.refresh_from_db()
    assert silent.withdrawn
    assert not Alarm.objects.filter(kind="mine_silent", withdrawn_at__isnull=True).exists()


# --- limits on every path ------------------------------------------------------------------------------


def test_every_file_in_the_drop_folder_ends_accepted_duplicate_or_quarantined(world, settings):
    settings.UPLOAD_MAX_BYTES = 4096
    a = world.a1.code
    folder = settings.MONITORING_DROP_DIR / a
    folder.mkdir(parents=True)
    good = feed(world, minutes=1)
    for n, d in good:
        (folder / n).write_bytes(d)
    big_name = f"{a}_CDSS_20240601080200.txt"
    (folder / big_name).write_bytes(text(a, world.a1.name, [f"{a}01MN000100100003;甲烷;x;0.2;%;0;2024-06-01 08:02:00"]
                                         * 200, START + timedelta(minutes=2)).encode())
    junk_name = f"{a}_CDSS_20240601080300.txt"
    (folder / junk_name).write_bytes(text(a, world.a1.name, ["a;b;c"] * 30 + [
        f"{a}01MN000100100003;甲烷;x;0.2;%;0;2024-06-01 08:03:00"], START + timedelta(minutes=3)).encode())
    (folder / "readme.csv").write_bytes(b"hello")
    call_command("worker", "--once", stdout=io.StringIO(), stderr=io.StringIO())
    assert not any(folder.iterdir())  # nothing left lying there
    rows = {u.name: u for u in UploadRow.objects.all()}
    assert "超过大小上限" in rows[big_name].reason and rows[big_name].status == "quarantined"
    assert "无效记录过多" in rows[junk_name].reason and rows[junk_name].status == "quarantined"
    assert rows["readme.csv"].status == "quarantined" and "文件名不符合" in rows["readme.csv"].reason
    assert not RejectedRecord.objects.filter(upload=rows[junk_name]).exists()  # counts, not 30 rows
    assert all(rows[n].status == "accepted" for n, _d in good)


def test_a_backlog_does_not_undo_a_silence_and_is_recorded_with_it(world):
    files = feed(world, minutes=30)
    cut = START + timedelta(minutes=10)
    deliver([f for f in files if stamp(f[0]) < cut], live=True)
    for minute in range(11, 31):  # the worker judges every minute; nothing comes from the mine
        deliver([], at=START + timedelta(minutes=minute), live=True)
    back = START + timedelta(minutes=30, seconds=5)
    backlog = [f for f in files if stamp(f[0]) >= cut]
    deliver(backlog, at=back, live=True)  # the mine's system re-sends what it held back
    silent = Alarm.objects.get(kind="mine_silent")
    assert not silent.withdrawn and silent.end == from_local(back)
    assert silent.evidence["backlog_files"] == len([f for f in backlog if stamp(f[0]) < back])  # written meanwhile
    assert silent.evidence["backlog_from"].startswith("2024-06-01 08:10")


def test_a_replay_rejects_another_mines_records_and_a_file_from_the_future(world, tmp_path):
    a, t = world.a1.code, START
    folder = tmp_path / "replayed"
    folder.mkdir()
    foreign = text(a, world.a1.name, [f"{a}01MN000100100003;甲烷;x;0.2;%;0;2024-06-01 08:00:00",
                                      f"{a}01MN000100100004;甲烷;x;0.2;%;0;2024-06-01 08:00:00",
                                      f"{world.b1.code}01MN000100100003;甲烷;x;3.0;%;0;2024-06-01 08:00:00"], t)
    (folder / f"{a}_CDSS_20240601080000.txt").write_bytes(foreign.encode())
    future = text(a, world.a1.name, [f"{a}01MN000100100003;甲烷;x;0.2;%;0;2099-01-01 08:00:00"],
                  datetime(2099, 1, 1, 8))
    (folder / f"{a}_CDSS_20990101080000.txt").write_bytes(future.encode())
    call_command("monitoring", "replay", str(folder), stdout=io.StringIO(), stderr=io.StringIO())
    rows = {u.name: u for u in UploadRow.objects.all()}
    assert rows[f"{a}_CDSS_20240601080000.txt"].rejected == 1
    assert RejectedRecord.objects.get().reason.startswith("属于其他矿井的测点")
    assert rows[f"{a}_CDSS_20990101080000.txt"].status == "quarantined"
    assert EngineSnapshot.objects.get(key="live").newest_header == from_local(t)  # 2099 never became "now"
    assert not MonitoringPoint.objects.filter(mine=world.b1).exists() and not Alarm.objects.filter(mine=world.b1)
