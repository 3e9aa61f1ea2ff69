"""The one ingestion path on a real database: live batches, replay, duplicates, unknown mines, the
upload API, notifications, the Parquet store and the worker."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings

from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.clock import from_local
from kuangan.core.models import Notification
from kuangan.engine.formats import Upload
from kuangan.engine.simulate import Incident, MineSpec, simulate
from kuangan.monitoring import ingest
from kuangan.monitoring.choices import UploadSource
from kuangan.monitoring.models import Alarm, EngineSnapshot, MonitoringPoint, RejectedRecord
from kuangan.monitoring.models import Upload as UploadRow
from kuangan.registry.models import Mine
from kuangan.testing import assert_audited, make_user, unchanged

START = datetime(2024, 6, 1, 8, 0, 0)


@pytest.fixture(autouse=True)
def _monitoring_dir(tmp_path, settings):
    settings.MONITORING_DIR = tmp_path / "monitoring"
    settings.MONITORING_DROP_DIR = tmp_path / "drop"


def day_files(world, *incidents, minutes=60, points=24):
    mines = [MineSpec(world.a1.code, world.a1.name, points=points, outstations=2),
             MineSpec(world.a2.code, world.a2.name, points=points, outstations=2)]
    return list(simulate(mines, START, START + timedelta(minutes=minutes), incidents=list(incidents)))


def run_live(files, size):
    for i in range(0, len(files), size):
        part = files[i:i + size]
        arrived = ingest.as_sent([Upload(n, d) for n, d in part], from_local(START))  # a simulated live feed
        # live=False: a batch here stands for minutes of a feed, which live would take as the platform's
        # own downtime between judgements (tested on its own)
        ingest.ingest([Upload(n, d) for n, d in part], source=UploadSource.DROP_FOLDER, arrivals=arrived,
                      now=max(arrived), by=Actor.system(Via.INGEST), live=False)


def contract():
    rows = Alarm.objects.select_related("mine").order_by("start", "mine__code", "point_code", "kind")
    return [(a.mine.code, a.point_code, a.kind, a.start, a.end, a.peak) for a in rows]


def replay_json(folder, *args):
    out = io.StringIO()
    call_command("monitoring", "replay", str(folder), "--json", *args, stdout=out, stderr=io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (folder / name).write_bytes(data)


def test_replay_gives_the_alarms_live_processing_gave(world, tmp_path):
    incidents = [Incident("over_limit", world.a1.code, START + timedelta(minutes=10), 5, peak=1.7),
                 Incident("unreported_over_limit", world.a2.code, START + timedelta(minutes=20), 4, peak=1.3),
                 Incident("silence", world.a2.code, START + timedelta(minutes=35), 12)]
    files = day_files(world, *incidents)
    run_live(files, 37)  # many small batches, the state saved and loaded in between
    live = contract()
    assert {k for _m, _p, k, *_ in live} >= {"over_limit", "unreported_event", "mine_silent"}
    # a fresh installation replays the same files in one go
    Alarm.objects.all().delete()
    UploadRow.objects.all().delete()
    EngineSnapshot.objects.all().delete()
    write(tmp_path / "day", files)
    lines = replay_json(tmp_path / "day")
    assert contract() == live
    assert len(lines) == len(live)


def test_a_restarted_worker_goes_on_from_the_saved_state_and_definitions(world):
    files = day_files(world, Incident("over_limit", world.a1.code, START + timedelta(minutes=10), 5, peak=1.7),
                      minutes=30)
    run_live(files, len(files))
    expected = contract()
    definitions = ingest._STATE.popitem()[1].definitions
    Alarm.objects.all().delete()
    UploadRow.objects.all().delete()
    EngineSnapshot.objects.all().delete()
    written = []  # per batch: (it brought definitions, the definitions' row was written)
    for i in range(0, len(files), 25):
        ingest._STATE.clear()  # a new process: the state comes from the database
        before = EngineSnapshot.objects.filter(key=ingest.DEFINITIONS_KEY).values_list("saved_at", flat=True).first()
        run_live(files[i:i + 25], 25)
        after = EngineSnapshot.objects.get(key=ingest.DEFINITIONS_KEY).saved_at
        written.append((any("_CDDY_" in name for name, _ in files[i:i + 25]), after != before))
    assert contract() == expected
    assert written[0] == (True, True) and len(written) > 5
    assert all(w == (False, False) for w in written[1:])  # the 3 MB of a county's points: not every batch
    ingest._STATE.clear()
    live = EngineSnapshot.objects.get(key="live")
    assert ingest._load_state(bytes(live.state)).definitions.equals(definitions)


def test_replay_json_follows_the_contract(world, tmp_path):
    files = day_files(world, Incident("unreported_over_limit", world.a1.code, START + timedelta(minutes=10), 4,
                                      peak=1.31))
    write(tmp_path / "day", files)
    lines = replay_json(tmp_path / "day")
    keys = ["mine", "point", "kind", "start", "end", "peak", "late", "withdrawn"]
    assert [list(line) for line in lines] == [keys] * len(lines)
    assert not any(line["late"] or line["withdrawn"] for line in lines)  # files replayed in order are on time
    assert lines == sorted(lines, key=lambda d: (d["start"], d["mine"], d["point"] or "", d["kind"]))
    over = [d for d in lines if d["kind"] == "over_limit"]
    assert len(over) == 1 and over[0]["mine"] == world.a1.code and over[0]["peak"] == 1.31
    assert over[0]["start"].startswith("2024-06-01 08:1")  # Beijing local time, as in the files
    unreported = [d for d in lines if d["kind"] == "unreported_event"]
    assert [(d["start"], d["end"], d["peak"]) for d in unreported] == [(over[0]["start"], over[0]["end"], 1.31)]


def test_a_replay_batch_holds_at_most_one_hour_of_header_time(tmp_path):
    from kuangan.monitoring.management.commands.monitoring import _batches, _listing

    names = [f"140000000001_CDSS_20240601{hh}{mm}00.txt" for hh in ("08", "09") for mm in ("00", "20", "40")]
    for i, name in enumerate([*reversed(names), "readme.txt"]):
        folder = tmp_path / f"d{i % 2}"  # the listing walks folders, the order is the header's
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(b"x")
    files = _listing(tmp_path)
    batches = [[p.rsplit("/", 1)[-1] for p, _n in b] for b, _at in _batches(files, [START] * len(files), 2)]
    assert batches == [["readme.txt"], names[0:2], names[2:3], names[3:5], names[5:6]]


def test_a_file_sent_twice_counts_once(world):
    files = day_files(world, Incident("over_limit", world.a1.code, START + timedelta(minutes=5), 5, peak=1.6),
                      minutes=20)
    run_live(files, 500)
    before = (contract(), UploadRow.objects.count())
    result = ingest.ingest([Upload(n, d) for n, d in files[:50]], source=UploadSource.API,
                           by=Actor.system(Via.INGEST))
    assert result.duplicates == 50 and result.accepted == 0
    assert (contract(), UploadRow.objects.count()) == before


def test_files_of_an_unknown_mine_are_quarantined_unless_registration_is_asked(world, tmp_path):
    stranger = MineSpec("149900000077", "外来煤矿", points=10, outstations=1)
    files = list(simulate([stranger], START, START + timedelta(minutes=5)))
    write(tmp_path / "x", files)
    replay_json(tmp_path / "x")
    rows = UploadRow.objects.filter(mine_code="149900000077")
    assert rows.count() == len(files)
    assert {r.status for r in rows} == {"quarantined"}
    assert "未在矿山档案中登记" in rows.first().reason
    assert not Mine.objects.filter(code="149900000077").exists()
    # registering: a fresh folder (the quarantined ones are known files now)
    files = list(simulate([stranger], START + timedelta(minutes=5), START + timedelta(minutes=10)))
    write(tmp_path / "y", files)
    replay_json(tmp_path / "y", "--register-unknown")
    mine = Mine.objects.get(code="149900000077")
    assert mine.name == "外来煤矿"
    assert_audited("registry.mine.registered_from_feed", mine)
    assert MonitoringPoint.objects.filter(mine=mine).count() == 10


def test_bad_records_are_kept_with_their_reason_and_the_rest_goes_on(world):
    name = f"{world.a1.code}_CDSS_20240601080010.txt"
    point = f"{world.a1.code}01MN000100000001"
    text = (f"{world.a1.code};甲一煤矿;2024-06-01 08:00:10~"
            f"{point};甲烷;1101综采工作面上隅角;0.31;%;0;2024-06-01 08:00:00~"
            f"{point[:-1]}2;甲烷;1101回风巷;abc;%;0;2024-06-01 08:00:00~||")
    result = ingest.ingest([Upload(name, text.encode())], source=UploadSource.API, by=Actor.system(Via.INGEST))
    assert result.accepted == 1 and result.readings == 1 and result.rejected_records == 1
    record = RejectedRecord.objects.get()
    assert record.record_no == 2 and "abc" in record.raw and record.reason


def test_a_new_alarm_notifies_the_mine_dispatcher_and_the_county_inspector(world, django_capture_on_commit_callbacks):
    files = day_files(world, Incident("over_limit", world.a1.code, START + timedelta(minutes=5), 5, peak=1.6),
                      minutes=20)
    with django_capture_on_commit_callbacks(execute=True):
        run_live(files, 1000)
    alarm = Alarm.objects.get(kind="over_limit")
    assert alarm.mine == world.a1 and alarm.end is not None and alarm.peak == 1.6
    assert alarm.location  # from the point's CDDY definition
    assert_audited("monitoring.alarm.raised", alarm)
    recipients = set(Notification.objects.filter(url=alarm.get_absolute_url()).values_list("recipient__username",
                                                                                           flat=True))
    assert {"mine_dispatcher", "inspector"} <= recipients
    assert "foreign_inspector" not in recipients and "mine_head" not in recipients


def test_readings_land_in_the_parquet_store(world):
    files = day_files(world, minutes=10)
    run_live(files, 1000)
    point = MonitoringPoint.objects.filter(mine=world.a1, sensor_type="0001").first()
    series = ingest.store().point_series(world.a1.code, point.code, START, START + timedelta(minutes=10))
    assert series.height == 20  # a value every 30 s
    assert 0 < series["value"].max() < 1.0


def test_a_long_span_is_charted_from_the_5_minute_statistics(world):
    run_live(day_files(world, minutes=30), 1000)
    point = MonitoringPoint.objects.filter(mine=world.a1, sensor_type="0001").first()
    raw = ingest.store().point_series(world.a1.code, point.code, START, START + timedelta(minutes=30))
    stats = ingest.store().point_series(world.a1.code, point.code, START, START + timedelta(minutes=30),
                                        max_rows=10)
    assert raw.height == 60
    assert stats.columns == ["time", "min", "max", "value"]
    assert stats["time"].to_list() == [START + timedelta(minutes=m) for m in range(0, 30, 5)]
    first = raw.filter(raw["time"] < START + timedelta(minutes=5))["value"]
    assert stats.row(0) == (START, first.min(), first.max(), pytest.approx(first.mean()))


# --- the upload API ---------------------------------------------------------------------------------------


@pytest.fixture
def machine(world):
    from kuangan.core.actions import create_token

    user = make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM, is_machine=True)
    _token, secret = create_token(user.pk, by=Actor.system(Via.SHELL), name="KJ95N")
    return secret


def post_file(client, secret, name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/monitoring/uploads", {"file": SimpleUploadedFile(name, data)},
                       headers={"Authorization": f"Bearer {secret}"})


def test_upload_api_ingests_a_file_of_the_tokens_own_mine(world, client, machine):
    name, data = day_files(world, minutes=1)[0]
    response = post_file(client, machine, name, data)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert UploadRow.objects.get(name=name).source == "api"
    again = post_file(client, machine, name, data)
    assert again.json()["status"] == "duplicate"


def test_upload_api_refuses_another_mines_file_and_anonymous_clients(world, client, machine):
    foreign = list(simulate([MineSpec(world.b1.code, world.b1.name, points=4, outstations=1)],
                            START, START + timedelta(minutes=1)))[0]
    assert post_file(client, machine, *foreign).status_code == 403
    assert client.post("/api/v1/monitoring/uploads", {}).status_code == 401
    assert not UploadRow.objects.exists()


def test_upload_api_answers_a_broken_file_with_its_reason(world, client, machine):
    response = post_file(client, machine, f"{world.a1.code}_CDSS_20240601080010.txt", "乱码;;".encode())
    assert response.status_code == 202  # no end mark: not complete yet, send it again
    full = f"{world.a1.code};甲一煤矿;bad time~||".encode()
    response = post_file(client, machine, f"{world.a1.code}_CDSS_20240601080010.txt", full)
    assert response.status_code == 200 and response.json()["status"] == "quarantined"
    assert response.json()["reason"]


# --- the worker -------------------------------------------------------------------------------------------


def test_worker_takes_the_drop_folder_and_leaves_incomplete_files(world, settings):
    files = day_files(world, minutes=3)
    folder = settings.MONITORING_DROP_DIR / world.a1.code
    write(folder, files)
    half = folder / f"{world.a1.code}_CDSS_20240601090000.txt"
    half.write_bytes(f"{world.a1.code};甲一煤矿;2024-06-01 09:00:00~".encode())
    with override_settings():
        call_command("worker", "--once", stdout=io.StringIO(), stderr=io.StringIO())
    assert UploadRow.objects.filter(status="accepted").count() == len(files)
    assert [p.name for p in folder.iterdir()] == [half.name]  # consumed, but the unfinished one waits


def test_register_mine_from_feed_is_for_the_system_only(world):
    from django.core.exceptions import PermissionDenied

    from kuangan.registry.actions import register_mine_from_feed
    from kuangan.registry.models import Mine

    with unchanged(Mine), pytest.raises(PermissionDenied):
        register_mine_from_feed("141129009999", "人工登记", by=world.actor(world.inspector))
    mine = register_mine_from_feed("141129009999", "联网煤矿", by=Actor.system(Via.INGEST))
    assert mine.division.code == "141129"  # the county from the code's first six digits
    assert "待核实" in mine.address
    assert_audited("registry.mine.registered_from_feed", mine)
    assert register_mine_from_feed("141129009999", "again", by=Actor.system(Via.INGEST)) == mine
