"""The dossier's 人员定位 tab: people underground now by area against the mine's and each face's limit, the
day's headcount (DuckDB over Parquet) with a date picker, a person's track, the areas and their mapping
(a mine's edit waits for the county's confirmation), fences, shifts, the mine's own personnel alarm files;
the personnel alarms' evidence in words; the home page's people underground. Data come the way they arise:
RYXX/RYQY/RYSS files of mine A1 ingested through the one ingestion path, mappings and fences through the
actions."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import polars as pl
import pytest
from django.test import Client

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.models import Notification
from kuangan.engine.formats import Upload
from kuangan.engine.schema import EPISODES
from kuangan.hazards.models import HazardStandardItem
from kuangan.monitoring import actions
from kuangan.monitoring.choices import AlarmKind, AreaUse, UploadSource
from kuangan.monitoring.ingest import IngestResult, ingest
from kuangan.monitoring.leads import apply_leads
from kuangan.monitoring.models import Alarm, AreaMappingChange, Fence, Lead, PersonnelProfile, PositioningArea
from kuangan.registry import actions as registry_actions
from kuangan.testing import assert_audited, unchanged

A1, A1_NAME = "1411290001", "甲一煤矿"
DAY = datetime(2024, 6, 3)  # naive Beijing time, as the files write it


def at(hour: int, minute: int = 0, *, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


def card(n: int) -> str:
    return f"{A1}{n:05d}"


def area(n: int) -> str:
    return f"{A1}{n:04d}"


def station(n: int, s: int = 1) -> str:
    return f"{area(n)}{s:06d}"


# The mine's areas as its RYQY file defines them: (number, RYQY type, approved headcount, name).
AREAS = [(1, "重点区域", 25, "1303综采工作面"), (2, "井口区域", None, "主井口"),
         (3, "其它区域", None, "+950北翼运输大巷"), (9, "限制区域", None, "东翼采空区密闭")]
NAMES = {1: "张伟", 2: "李强", 3: "王磊", 4: "赵六", 5: "钱七", 6: "孙八", 7: "周九", 8: "吴十",
         31: "郑一", 32: "冯二", 33: "陈三", 34: "褚四"}


@dataclass(frozen=True)
class Person:
    n: int
    area: int | None
    down: datetime
    flag: int = 1  # 1 underground, 2 came up, 0 at the shaft top
    state: str = "正常"
    station: int = 1
    up: datetime | None = None


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def _file(kind: str, header: datetime, records: Iterable[str], head: str | None = None) -> Upload:
    top = head if head is not None else f"{A1};{A1_NAME};{_t(header)}"
    text = "~".join([top, *records]) + "~||"
    return Upload(f"{A1}_{kind}_{header:%Y%m%d%H%M%S}.txt", text.encode("utf-8"))


def ryqy(header: datetime) -> Upload:
    return _file("RYQY", header, [f"{kind};{area(n)};{'' if cap is None else cap};{name}"
                                  for n, kind, cap, name in AREAS])


def ryxx(header: datetime, cards: Iterable[int] = NAMES) -> Upload:
    head = f"{A1};{A1_NAME};300;KJ69J;人员定位系统;示例科技;2026-12-31;{_t(header)}"
    return _file("RYXX", header, [f"{card(n)};{NAMES.get(n, f'工人{n}')};采煤工;;综采一队;1985-03;高中;0;0"
                                  for n in cards], head=head)


def ryss(header: datetime, people: Sequence[Person]) -> Upload:
    rows = []
    for p in people:
        where = [area(p.area) if p.area else "", _t(p.down), station(p.area, p.station) if p.area else "",
                 _t(p.down + timedelta(minutes=5))]
        rows.append(";".join([card(p.n), NAMES.get(p.n, f"工人{p.n}"), str(p.flag), _t(p.down), _t(p.up),
                              *where, "三八制", "12.5", p.state, "0", "0", ""]))
    return _file("RYSS", header, rows)


def ingest_files(files: Sequence[Upload], received: datetime) -> IngestResult:
    """What the mine uploaded, received at `received` (naive Beijing time; the clock is frozen there)."""
    when = received.replace(tzinfo=clock.SHANGHAI)
    with clock.frozen(when):
        return ingest(list(files), source=UploadSource.REPLAY, by=Actor.system(Via.INGEST))


def shift_day(crowd: int = 12, *, start: datetime | None = None, end: datetime | None = None, every: int = 5,
              mover: bool = True, leader: bool = True) -> list[Upload]:
    """Snapshots every `every` minutes in [start, end) (08:00-10:00): `crowd` people (cards 100…) at the longwall
    (area 1), two on the main roadway (area 3); card 1 (张伟) moves from the roadway to the face at 09:00 when
    `mover`; card 8 (吴十, the mine head's card when the roster names it) at the longwall when `leader`."""
    files = []
    t, end = start or at(8), end or at(10)
    while t < end:
        people = [Person(n, 1, at(7, 40)) for n in range(100, 100 + crowd)]
        people += [Person(2, 3, at(7, 30)), Person(3, 3, at(7, 30))]
        if mover:
            people.append(Person(1, 3 if t < at(9) else 1, at(7, 35), station=1 if t < at(9) else 2))
        if leader:
            people.append(Person(8, 1, at(7, 45)))
        files.append(ryss(t, people))
        t += timedelta(minutes=every)
    return files


@pytest.fixture(autouse=True)
def monitoring_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MONITORING_DIR = tmp_path / "monitoring"




def hidden_face_days(days: Iterable[int] = (0, 1, 2), *, people: int = 4, area_n: int = 7) -> list[Upload]:
    """`people` workers (cards 31…) in area `area_n` (no RYQY defines it: undeclared) from 08:00 to 13:00 on
    each of `days`, snapshots every 15 minutes, and nobody underground at 13:15: 5 hours a day each, the
    pattern of a hidden working face."""
    files = []
    for d in days:
        t, end = at(8, day=d), at(13, day=d)
        while t <= end:
            files.append(ryss(t, [Person(n, area_n, at(7, 50, day=d)) for n in range(31, 31 + people)]))
            t += timedelta(minutes=15)
        files.append(ryss(t, []))
    return files


def aware(t: datetime) -> datetime:
    return t.replace(tzinfo=clock.SHANGHAI)


def text(response: Any) -> str:
    """The page as a user reads it: no tags, no scripts, whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


class _Section(HTMLParser):
    """The text inside the element with a given id."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr", "area", "base"})

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id, self.depth, self.parts = element_id, 0, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            if self.depth and tag == "br":
                self.parts.append(" ")
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def section(response: Any, element_id: str) -> str:
    """The text of the element with that id, as a user reads it."""
    parser = _Section(element_id)
    parser.feed(re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S))
    assert parser.parts, f"no element {element_id}"
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


def as_user(user: Any) -> Client:
    """A client of its own (the `login` fixture's client is one for the whole test)."""
    client = Client()
    client.force_login(user)
    return client


@dataclass
class Scene:
    face: Any
    area: Any  # the longwall's positioning area, confirmed as the face by the county
    roadway: Any
    url: str


def build_scene(world: Any) -> Scene:
    """Mine A1 on 2024-06-03: a longwall (1303综采工作面) in the registry, the mine head 吴十 on the roster with
    card 8; its positioning system's roster, areas and two hours of snapshots 08:00-10:00 (24 workers and the
    mine head at the longwall, 张伟 moving there at 09:00 from the roadway where two others stay), after the
    county confirmed the longwall's area as the face."""
    with clock.frozen(aware(at(0, 1))):
        by = world.actor(world.inspector)
        level = registry_actions.save_mine_record("level", world.a1.pk, by=by, data={
            "name": "+950水平", "elevation": 950, "status": "producing"})
        face = registry_actions.save_mine_record("face", world.a1.pk, by=by, data={
            "name": "1303综采工作面", "kind": "longwall", "level": level, "mining_method": "fully_mechanized",
            "status": "producing"})
        registry_actions.save_mine_record("leadership", world.a1.pk, by=by, data={
            "post": "mine_head", "name": "吴十", "id_number": "141129197001011234", "phone": "13912345678",
            "education": "bachelor", "major": "采矿工程", "major_is_mining": True, "frontline_years": 20,
            "appointed_on": None, "holds_mine_head_post": False, "active": True, "card_code": card(8)})
    ingest_files([ryxx(at(0)), ryqy(at(0))], at(0, 1))
    longwall = PositioningArea.objects.get(mine=world.a1, code=area(1))
    with clock.frozen(aware(at(0, 2))):
        actions.map_positioning_area(longwall.pk, by=world.actor(world.inspector),
                                     mapping=actions.AreaMapping(AreaUse.FACE, face.pk, "1303综采工作面"))
    ingest_files(shift_day(crowd=24), at(10, 1))
    return Scene(face=face, area=PositioningArea.objects.get(pk=longwall.pk),
                 roadway=PositioningArea.objects.get(mine=world.a1, code=area(3)),
                 url=f"/monitoring/mine/{world.a1.pk}/personnel/")


@pytest.fixture
def scene(world):  # type: ignore[no-untyped-def]
    """`build_scene`, the clock standing at 10:02."""
    built = build_scene(world)
    with clock.frozen(aware(at(10, 2))):
        yield built


def test_the_tab_shows_who_is_underground_by_area_against_the_limits(world, scene, login,
                                                                      django_assert_max_num_queries):
    client = login(world.inspector)
    with django_assert_max_num_queries(22):  # 21 today: the session, the mine, the snapshot, limits, areas, roster …
        response = client.get(scene.url)
    assert response.status_code == 200
    stats = section(response, "personnel-stats")
    # 24 workers and the mine head at the longwall, 张伟 there since 09:00, two on the roadway
    assert "28 井下人数 （快照 2024-06-03 09:55:00）" in stats
    assert "180 矿井单班限员 核定能力 90 万吨/年，非灾害严重矿井" in stats
    assert "井下带班矿领导：吴十（矿长）" in stats
    assert "28 2024-06-03 最多井下人数 （08:00:00）" in stats
    rows = section(response, "underground")
    # the face: 26 people now, its limits 20 (production) / 30 (maintenance) from the 2019 table, RYQY's 25
    assert "1303综采工作面 14112900010001 监管已确认 采掘工作面 · 1303综采工作面 26 20 / 30 25 26 09:00 超员" in rows
    assert "+950北翼运输大巷 14112900010003 未申报 2 — — 3 08:00" in rows
    assert "已被矿安〔2023〕129号取代" in text(response)  # the limit's source is shown
    assert "UTC" not in text(response) and "None" not in text(response)


def test_the_days_headcount_comes_from_the_stored_snapshots_with_a_date_picker(world, scene, login):
    client = login(world.inspector)
    response = client.get(scene.url)
    chart = response.context["chart"]
    assert len(chart["total"]) == 24 and chart["total"][0] == ["2024-06-03 08:00:00", 28]
    assert chart["total"][-1] == ["2024-06-03 09:55:00", 28] and chart["limit"] == 180
    face = next(a for a in chart["areas"] if a["name"] == "1303综采工作面")
    assert face["limit"] == 20 and face["values"][0] == ["2024-06-03 08:00:00", 25]
    assert "共 24 个快照" in text(response)
    other_day = client.get(scene.url + "?day=2024-06-02")
    assert other_day.context["chart"] is None
    assert "2024-06-02 没有收到该矿的实时人员（RYSS）数据。" in text(other_day)
    bad = client.get(scene.url + "?day=2024-13-40")
    assert bad.status_code == 200 and "已忽略无效的筛选条件：日期" in text(bad)
    assert bad.context["t"].day.isoformat() == "2024-06-03"  # the day of the newest snapshot


def test_a_persons_track_lists_the_areas_and_stations_with_times(world, scene, login):
    client = login(world.inspector)
    response = client.get(scene.url + f"?day=2024-06-03&card={card(1)}")
    track = section(response, "track")
    assert f"张伟 {card(1)} · 2024-06-03" in track
    assert ("08:00:00 ～ 08:55:00 12 个快照 井下 +950北翼运输大巷（14112900010003） 2024-06-03 07:35:00 "
            f"{station(3)} 2024-06-03 07:40:00 2024-06-03 07:35:00 —") in track
    assert f"09:00:00 ～ 09:55:00 12 个快照 井下 1303综采工作面（14112900010001） 2024-06-03 07:35:00 {station(1, 2)}" in track
    nobody = client.get(scene.url + f"?card={card(77)}")
    assert "该人员当日没有定位记录。" in text(nobody)
    foreign = client.get(scene.url + "?card=141181000100001")
    assert "人员卡编码须以本矿编码 1411290001 开头：141181000100001" in text(foreign)
    assert not foreign.context["t"].track


def test_a_mines_mapping_is_evidence_until_the_county_confirms_it(world, scene, login):
    client = login(world.mine_head)
    url = f"/monitoring/mine/{world.a1.pk}/personnel/map/"
    # refused: a face without naming it; the area is unchanged
    with unchanged(scene.roadway, AreaMappingChange):
        refused = client.post(url, {"area": scene.roadway.pk, "declared_as": "face", "face": "", "note": ""})
    assert refused.status_code == 400 and "用途为采掘工作面时，须选择对应的工作面。" in text(refused)
    scene.roadway.refresh_from_db()
    assert (scene.roadway.declared_as, scene.roadway.mapped_at) == ("", None)
    response = client.post(url, {"area": scene.roadway.pk, "declared_as": "roadway", "note": "北翼运输大巷"},
                           follow=True)
    assert "已保存“+950北翼运输大巷”的用途，待监管部门确认后才作为申报。" in text(response)
    areas = section(response, "areas")
    assert "1 个区域的用途待监管确认" in areas
    assert "+950北翼运输大巷 14112900010003 其它区域 — 巷道 — 待监管确认 矿方 甲一矿长 于 2024-06-03 10:02 修改" in areas
    assert "申报区域用途（待监管确认）" in areas  # the mine's form says so
    change = AreaMappingChange.objects.filter(area=scene.roadway).get()
    assert (change.declared_as, change.confirmed, change.by) == ("roadway", False, world.mine_head)
    assert_audited("monitoring.area.mapped", scene.roadway, world.mine_head)
    confirmed = login(world.inspector).post(url, {"area": scene.roadway.pk, "declared_as": "roadway"}, follow=True)
    assert "已确认“+950北翼运输大巷”的用途。" in text(confirmed)
    assert "+950北翼运输大巷 14112900010003 其它区域 — 巷道 — 监管已确认 王检查 2024-06-03 10:02" in section(
        confirmed, "areas")
    # a dispatcher may not map; nothing changes
    with unchanged(scene.roadway, AreaMappingChange):
        assert login(world.mine_dispatcher).post(url, {"area": scene.roadway.pk,
                                                       "declared_as": "other"}).status_code == 403


def test_inspectors_draw_and_end_fences_the_mine_sees(world, scene, login, django_capture_on_commit_callbacks):
    client = login(world.inspector)
    url = f"/monitoring/mine/{world.a1.pk}/personnel/fences/"
    with unchanged(Fence):
        bad = client.post(url, {"name": "东翼密闭", "areas": [area(9)], "stations": "141181000100010000001",
                                "start": "2024-06-03T10:00", "reason": "密闭区域禁止进入"})
    assert bad.status_code == 400 and "编码须以本矿编码 1411290001 开头：141181000100010000001" in text(bad)
    assert not Fence.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        drawn = client.post(url, {"name": "东翼密闭", "areas": [area(9)], "stations": station(9),
                                  "start": "2024-06-03T10:00", "end": "", "reason": "密闭区域禁止进入"}, follow=True)
    assert "已划定电子围栏“东翼密闭”，矿山已收到通知。" in text(drawn)
    fence = Fence.objects.get()
    assert (fence.area_codes, fence.station_codes, fence.end) == ([area(9)], [station(9)], None)
    assert f"东翼密闭 生效中 {area(9)} ；{station(9)} 2024-06-03 10:00 ～ 长期 密闭区域禁止进入 王检查 解除" in section(drawn, "fences")
    told = set(Notification.objects.filter(title__contains="东翼密闭").values_list("recipient__username", flat=True))
    assert told == {"mine_dispatcher", "inspector"}  # the mine's dispatchers and the county
    # the mine sees the fence but may neither draw nor end one
    mine = as_user(world.mine_head)
    page = mine.get(scene.url)
    assert "东翼密闭 生效中" in section(page, "fences") and "fence" not in page.context["forms"]
    with unchanged(Fence):
        assert mine.post(f"{url}{fence.pk}/end/").status_code == 403
        assert mine.post(url, {"name": "矿方自划", "areas": [area(3)], "start": "2024-06-03T10:00",
                               "reason": "x"}).status_code == 403
    assert mine.get(f"{url}{fence.pk}/end/").status_code == 403  # the role is checked before the method
    fence.refresh_from_db()
    assert fence.end is None and Fence.objects.count() == 1
    assert login(world.inspector).get(f"{url}{fence.pk}/end/").status_code == 405
    ended = login(world.inspector).post(f"{url}{fence.pk}/end/", follow=True)
    assert "电子围栏“东翼密闭”已解除。" in text(ended)
    fence.refresh_from_db()
    assert fence.end == aware(at(10, 2))
    assert "东翼密闭 已结束" in section(ended, "fences")
    assert_audited("monitoring.fence.ended", fence, world.inspector)


def test_the_mine_sets_its_shifts(world, scene, login):
    client = login(world.mine_head)
    url = f"/monitoring/mine/{world.a1.pk}/personnel/shifts/"
    assert "00:00 08:00 16:00 （未设置，按三八制计）" in section(client.get(scene.url), "shifts")
    with unchanged(PersonnelProfile):
        bad = client.post(url, {"starts": "06:00, 25:00", "maintenance": ""})
    assert bad.status_code == 400 and "班次开始时间须为 1～6 个，格式如 08:00。" in text(bad)
    assert not PersonnelProfile.objects.exists()
    saved = client.post(url, {"starts": "06:00，14:00 22:00", "maintenance": "22:00"}, follow=True)
    assert "班次已保存：06:00、14:00、22:00。" in text(saved)
    assert "06:00 14:00 22:00 检修班" in section(saved, "shifts")
    assert_audited("monitoring.shifts.set", PersonnelProfile.objects.get(), world.mine_head)


def test_the_mines_own_personnel_alarm_files_are_listed(world, scene, login):
    record = f"{card(2)};李强;2024-06-02 20:00:00;2024-06-03 06:00:00;;{area(3)};2024-06-02 21:00:00;{station(3)};2024-06-03 05:00:00"
    ingest_files([_file("RYCS", at(10), [record, record.replace(card(2), card(3))])], at(10, 1))
    files = section(login(world.inspector).get(scene.url), "personnel-files")
    assert "超时报警 RYCS 1 2" in files and "求救报警 RYQJ 0 0" in files
    assert "超时报警 1411290001_RYCS_20240603100000.txt 2024-06-03 10:00:00 2 已接收" in files


def test_the_mine_sees_its_own_tab_without_leads_and_others_see_nothing(world, scene, login):
    apply_leads(pl.DataFrame([{
        "mine_code": A1, "point_code": area(7), "kind": "hidden_working_face", "start": at(8), "end": None,
        "peak": 4.0, "evidence": "{}", "void": False}], schema=EPISODES), {A1: world.a1},
        by=Actor.system(Via.INGEST))
    inspector = login(world.inspector).get(scene.url)
    assert "疑似隐蔽工作面" in section(inspector, "mine-leads")
    for user in (world.mine_head, world.mine_dispatcher, world.group_manager):
        response = login(user).get(scene.url)
        assert response.status_code == 200 and "28 井下人数" in text(response), user
        page = text(response)
        assert "违法生产线索" not in page and "隐蔽" not in page, user
    for user in (world.foreign_inspector, world.foreign_mine_head):
        assert login(user).get(scene.url).status_code == 404, user
    with unchanged(scene.roadway, AreaMappingChange):
        assert login(world.foreign_inspector).post(f"{scene.url}map/", {"area": scene.roadway.pk,
                                                                          "declared_as": "other"}).status_code == 404
    scene.roadway.refresh_from_db()
    assert scene.roadway.declared_as == ""


def test_personnel_alarms_read_in_words_with_names(world, scene, login):
    """The face alarm (25 non-leaders at a limit of 20 at its worst: 25 % over, a major hazard) names the area
    and preselects C01-06 in the hazard form; an SOS names the person and where they were."""
    face = Alarm.objects.get(kind=AlarmKind.FACE_OVERCROWDED)
    page = login(world.inspector).get(f"/monitoring/alarms/{face.pk}/")
    evidence = section(page, "alarm-evidence")
    assert "区域 1303综采工作面（14112900010001）" in evidence
    assert "快照时间 2024-06-03 09:00:00" in evidence  # the worst snapshot: 张伟 came to the face
    assert "区域内人数 26 人（不含矿领导 25 人，矿领导 1 人）" in evidence
    assert "班次 生产班 工作面限员 20 人 区域核定人数（定位系统） 25 人 超员情况 " in evidence
    assert "超过工作面限员、超过区域核定人数 超出比例 25% 是否重大事故隐患 是：超过限员 20% 以上（判定标准 C01-06）" in evidence
    assert "在场人员 郑" not in evidence and "吴十（矿长）（141129000100008）" in evidence
    assert "人员或区域 1303综采工作面（14112900010001）" in text(page)
    form = page.context["forms"]["hazard"]
    assert form.initial["level"] == "major"
    assert HazardStandardItem.objects.get(pk=form.initial["standard_item"]).code == "C01-06"
    ingest_files([ryss(at(10, 5), [Person(2, 3, at(7, 30), state="求救")])], at(10, 6))
    sos = Alarm.objects.get(kind=AlarmKind.SOS)
    evidence = section(login(world.inspector).get(f"/monitoring/alarms/{sos.pk}/"), "alarm-evidence")
    assert f"人员 李强（{card(2)}） 快照时间 2024-06-03 10:05:00 出入井标志 井下" in evidence
    assert "所在区域 +950北翼运输大巷（14112900010003）" in evidence and "距基站距离 12.5 米" in evidence
    assert not re.search(r"\b(card|area|flag|station|t)\b", evidence)


def test_an_inspector_keeps_an_alarm_as_a_lead_the_mine_cannot(world, scene, login):
    alarm = Alarm.objects.get(kind=AlarmKind.FACE_OVERCROWDED)
    url = f"/monitoring/alarms/{alarm.pk}/"
    mine = as_user(world.mine_head)
    assert 'id="alarm-to-lead"' not in mine.get(url).content.decode()
    with unchanged(alarm, Lead):
        assert mine.post(url + "lead/", {"note": "x"}).status_code == 403
    assert not Lead.objects.exists()
    client = login(world.inspector)
    assert 'id="alarm-to-lead"' in client.get(url).content.decode()
    response = client.post(url + "lead/", {"note": "连续超员，核查是否超定员组织生产"}, follow=True)
    lead = Lead.objects.get()
    assert response.redirect_chain[-1][0] == f"/monitoring/leads/{lead.pk}/"
    assert "已转为违法生产线索，进入研判。" in text(response) and "研判中" in text(response)
    assert "是否重大事故隐患 是：超过限员 20% 以上（判定标准 C01-06）" in section(response, "lead-evidence")
    again = client.get(url)
    assert f"已转为线索 #{lead.pk} · 研判中" in text(again) and 'id="alarm-to-lead"' not in again.content.decode()
    assert f"已转为线索 #{lead.pk}" not in text(mine.get(url))


def test_the_home_page_shows_people_underground_against_the_limits(world, scene, login):
    home = login(world.inspector).get("/")
    block = section(home, "home-underground")
    assert "井下 28 人（1 座矿山有定位数据）" in block and "甲一煤矿 28 180 06-03 09:55" in block
    assert "home-leads" in home.content.decode()  # the inspector holds LEAD_VIEW
    mine_home = login(world.mine_head).get("/")
    assert "甲一煤矿 28 180" in section(mine_home, "home-underground")
    assert "home-leads" not in mine_home.content.decode() and "线索" not in text(mine_home)
    assert "尚未收到人员定位数据。" in section(login(world.foreign_inspector).get("/"), "home-underground")
