"""The simulator's personnel-positioning, power and seal feeds (engine.simulate.simulate_personnel) and the
output counter: the files parse without a reject, a normal day raises nothing, and each incident raises
the alarm or lead of its kind, as the engine (parse -> run_batch with the registry's facts) judges them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from kuangan.engine import facts as F
from kuangan.engine.formats import ParsedBatch, Upload, parse_uploads
from kuangan.engine.pipeline import EngineState, merge_episodes, run_batch
from kuangan.engine.settings import Settings
from kuangan.engine.simulate import (
    PERSONNEL_INCIDENT_KINDS,
    PERSONNEL_INCIDENTS,
    Face,
    Incident,
    MineSpec,
    main,
    merge,
    positioning_areas,
    roster,
    simulate,
    simulate_personnel,
)

pytestmark = pytest.mark.nodb

T0 = datetime(2024, 6, 3)  # a Monday midnight: 三八制 shifts at T0, T0 + 8 h, T0 + 16 h
FACE_LIMIT = 20
PRODUCING, SUSPENDED = "producing", "suspended_for_rectification"
A = MineSpec("140000000001", "山西测试甲煤业有限公司", crew=30, limit=60,
             faces=(Face("1101综采工作面"), Face("1102回风顺槽掘进工作面", "heading"),
                    Face("1103运输顺槽掘进工作面", "heading", working=False)))
B = MineSpec("140000000002", "山西测试乙煤业有限公司", crew=30, limit=60)  # a quiet producing mine
D = MineSpec("140000000004", "山西测试丁煤业有限公司", crew=30, status=SUSPENDED)  # suspended all along
USE = {"shaft_top": "shaft_top", "pit_bottom": "roadway", "face": "face", "roadway": "roadway",
       "chamber": "chamber", "restricted": "other", "hidden": "roadway"}


def at(h: float = 0, m: float = 0, *, day: int = 0) -> datetime:
    return T0 + timedelta(days=day, hours=h, minutes=m)


def stamp(name: str) -> datetime:
    return datetime.strptime(name.rsplit("_", 1)[1][:14], "%Y%m%d%H%M%S")


def facts(mines: Sequence[MineSpec], *, undeclared: Iterable[str] = (), uncertified: Iterable[str] = (),
          status: Sequence[tuple[str, datetime, datetime | None, str]] = ()) -> F.Facts:
    """What the regulator's records would say: every area mapped as the simulator made it (a face declared
    on its face, producing or stopped as the spec says) except `undeclared`; the roster's leaders; every
    special operator certified except `uncertified` (an expired certificate); statuses as the specs say
    unless `status` gives intervals."""
    areas, leaders, operators, mine_rows, status_rows = [], [], [], [], list(status)
    for m in mines:
        faces = {f.name: f for f in m.faces}
        areas.append(positioning_areas(m).select(
            mine_code=pl.lit(m.code), area_code="area_code", area_type="area_type", headcount="headcount",
            declared_as=pl.when(pl.col("area_code").is_in(list(undeclared))).then(None)
            .otherwise(pl.col("use").replace_strict(USE)),
            face_status=pl.when(pl.col("use") == "face").then(pl.col("face").replace_strict(
                {n: "producing" if f.working else "stopped" for n, f in faces.items()}, default="producing")),
            face_limit=pl.when(pl.col("use") == "face").then(pl.lit(FACE_LIMIT)),
            face_limit_maintenance=pl.lit(None, pl.Int32)))
        people = roster(m)
        leaders.append(people.filter("leader").select(mine_code=pl.lit(m.code), card_code="card"))
        operators.append(people.filter("special").select(
            mine_code=pl.lit(m.code), card_code="card", issued=pl.lit(date(2020, 1, 1)),
            expires=pl.when(pl.col("card").is_in(list(uncertified))).then(pl.lit(date(2024, 1, 31)))
            .otherwise(pl.lit(date(2027, 1, 31)))))
        mine_rows.append((m.code, m.capacity, False, m.limit, True))
        if not status:
            status_rows.append((m.code, datetime(1970, 1, 1), None, m.status, m.status != PRODUCING))
    return F.Facts(
        status=pl.DataFrame([(*r, r[3] != PRODUCING) for r in status_rows] if status else status_rows,
                            schema=F.STATUS, orient="row"),
        mines=pl.DataFrame(mine_rows, schema=F.MINES, orient="row"),
        areas=pl.concat(areas), leaders=pl.concat(leaders), operators=pl.concat(operators))


def parse(files: Sequence[tuple[str, bytes]]) -> ParsedBatch:
    """As they arrive live: each file at the time in its name."""
    return parse_uploads([Upload(n, d) for n, d in files], arrivals=[stamp(n) for n, _ in files])


def judge(files: Sequence[tuple[str, bytes]], registry: F.Facts, *, per: int = 10) -> pl.DataFrame:
    """The files through the engine in upload order, a batch per hour (per=10 digits of the stamp) or per day
    (per=8), the state carried; the episodes merged (mine_silent left out: the tests skip some types)."""
    state, episodes, batch, key = EngineState.empty(), [], [], None
    rejects = []

    def flush() -> None:
        nonlocal state
        if batch:
            parsed = parse(batch)
            rejects.append(parsed.rejects)
            result = run_batch(state, parsed, max(stamp(n) for n, _ in batch), Settings(), None, registry)
            state = result.state
            episodes.append(result.episodes)

    for name, data in files:
        if name.rsplit("_", 1)[1][:per] != key:
            flush()
            batch, key = [], name.rsplit("_", 1)[1][:per]
        batch.append((name, data))
    flush()
    assert pl.concat(rejects).is_empty(), pl.concat(rejects)
    return merge_episodes(episodes).filter(pl.col("kind") != "mine_silent").select(
        "mine_code", "point_code", "kind", "start", "end", "peak")


def of(episodes: pl.DataFrame, kind: str, mine: str = A.code) -> list[dict]:
    return episodes.filter((pl.col("kind") == kind) & (pl.col("mine_code") == mine)).sort("start").to_dicts()


# --- the files ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def day() -> list[tuple[str, bytes]]:
    return list(simulate_personnel([A, B, D], T0, at(24)))


@pytest.fixture(scope="module")
def parsed(day) -> ParsedBatch:
    return parse(day)


def test_every_type_comes_at_its_period_and_parses_without_a_reject(day, parsed) -> None:
    per_type = Counter((n.split("_")[0], n.split("_")[1]) for n, _ in day)
    for m in (A, B, D):
        assert per_type[(m.code, "RYSS")] == 288  # every 5 minutes
        assert per_type[(m.code, "JZSS")] == 1440  # every minute
        assert per_type[(m.code, "YDSJ")] == 95  # every quarter hour that ended before the day's end
        assert per_type[(m.code, "RYXX")] == per_type[(m.code, "RYQY")] == per_type[(m.code, "RYJZ")] == 1
        assert per_type[(m.code, "DZFT")] == 1  # the seals' daily self-check
    assert [stamp(n) for n, _ in day] == sorted(stamp(n) for n, _ in day)  # in upload order
    assert all(n.endswith(".csv") == (n.split("_")[1] in ("YDSJ", "DZFT")) for n, _ in day)
    assert parsed.rejects.is_empty()
    assert parsed.snapshots.height == 3 * 288
    # three meters a quarter hour, each interval ending before its file's time
    assert parsed.power.group_by("mine_code").len().sort("mine_code")["len"].to_list() == [3 * 95] * 3
    assert (parsed.power["end"] <= parsed.power["header_time"]).all()


def test_the_roster_and_the_areas_are_the_ones_the_files_hold(parsed) -> None:
    people = parsed.people.filter(pl.col("mine_code") == A.code)
    assert people["card_code"].sort().to_list() == roster(A)["card"].sort().to_list()
    areas = parsed.areas.filter(pl.col("mine_code") == A.code)
    named = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    faces = positioning_areas(A).filter(pl.col("use") == "face")
    assert [named[c] for c in faces["area_code"]] == [f.name for f in A.faces]  # named after the registry's faces
    assert areas.filter(pl.col("area_type") == "限制区域").height == 1
    # every card, area and station a snapshot names begins with the mine's code (the trust rules)
    for column in ("card_code", "area_code", "station_code"):
        assert parsed.positions.select((pl.col(column).str.slice(0, 12) == pl.col("mine_code")).all()).item()


def test_three_shifts_go_down_and_come_up_with_a_leader_each(parsed) -> None:
    positions = parsed.positions.filter(pl.col("mine_code") == A.code)
    under = positions.filter(pl.col("flag") == 1).group_by("header_time").len()
    # a shift of 30 and its leader all day; both shifts during a change (a non-working face has nobody)
    assert under.filter(pl.col("header_time").dt.hour().is_in([3, 12, 20]))["len"].unique().to_list() == [31]
    assert under.filter(pl.col("header_time").dt.hour() == 8)["len"].max() > 40
    stays = (positions.filter(pl.col("flag") == 2)
             .select(hours=(pl.col("time_up") - pl.col("time_down")).dt.total_minutes() / 60))
    assert stays["hours"].min() > 7.4 and stays["hours"].max() < 8.9
    leaders = set(roster(A).filter("leader")["card"])
    for h in (3, 12, 20):
        snapshot = positions.filter((pl.col("header_time").dt.hour() == h) & (pl.col("header_time").dt.minute() == 0))
        assert len(leaders & set(snapshot["card_code"])) == 1
    stopped = positioning_areas(A).filter(pl.col("face") == "1103运输顺槽掘进工作面")["area_code"][0]
    assert positions.filter(pl.col("area_code") == stopped).is_empty()


def test_a_suspended_mine_sends_empty_snapshots_and_a_tenth_of_the_power(parsed) -> None:
    assert parsed.positions.filter(pl.col("mine_code") == D.code).is_empty()
    assert parsed.snapshots.filter(pl.col("mine_code") == D.code).height == 288
    kwh = dict(parsed.power.group_by("mine_code").agg(pl.col("kwh").sum()).iter_rows())
    assert 0.05 < kwh[D.code] / kwh[B.code] < 0.15


def test_a_normal_day_raises_nothing(day) -> None:
    assert judge(day, facts([A, B, D])).is_empty()


def test_same_seed_same_bytes_and_a_snapshot_does_not_depend_on_the_start() -> None:
    one = list(simulate_personnel([A], at(8), at(9), seed=3))
    assert one == list(simulate_personnel([A], at(8), at(9), seed=3))
    assert one != list(simulate_personnel([A], at(8), at(9), seed=4))
    later = dict(simulate_personnel([A], at(8, 30), at(9), seed=3, types=("RYSS",)))
    assert all(dict(one)[name] == data for name, data in later.items())


# --- each incident, as the platform sees it -------------------------------------------------------------------

CARDS = roster(A)
SPECIAL = CARDS.filter(pl.col("special") & (pl.col("shift") == 2))["card"][0]  # works the 16:00 shift
ROVER = CARDS.filter(pl.col("shift") == 1)["card"][3]  # a worker of the 08:00 shift
FACE = positioning_areas(A).filter(pl.col("face") == "1101综采工作面")["area_code"][0]
RESTRICTED = positioning_areas(A).filter(pl.col("use") == "restricted")["area_code"][0]


@pytest.fixture(scope="module")
def incidents() -> pl.DataFrame:
    plan = [
        Incident("mine_overcrowded", A.code, at(10), 40),  # default: limit + 10 underground
        Incident("face_overcrowded", A.code, at(11), 30, point=FACE, peak=22),  # 10 % over a limit of 20
        Incident("face_overcrowded", A.code, at(11, 45), 10, peak=24),  # 20 % over: a major hazard (C01-06)
        Incident("shift_change_overcrowded", A.code, at(16), 150),  # a change of 2 h 30 (5 stay behind)
        Incident("no_leader_on_shift", A.code, at(8), 1),
        Incident("overtime_underground", A.code, at(7, 50), 11 * 60, point=ROVER),  # 11 h from 07:50
        Incident("sos", A.code, at(9, 30), 15),
        Incident("restricted_area_entry", A.code, at(10, 30), 20),
        Incident("uncertified_special_operator", A.code, at(12), 60, point=SPECIAL),
        Incident("suspended_mine_activity", D.code, at(10), 60),
        Incident("seal_activity_while_suspended", D.code, at(10), 30),
    ]
    files = simulate_personnel([A, D], T0, at(24), incidents=plan, types=("RYXX", "RYQY", "RYJZ", "RYSS", "DZFT"))
    return judge(list(files), facts([A, D], uncertified=[SPECIAL]))


def test_a_mine_over_its_limit(incidents) -> None:
    [ep] = of(incidents, "mine_overcrowded")
    assert (ep["start"], ep["peak"]) == (at(10, 0) + timedelta(seconds=ep["start"].second), 70)
    assert ep["end"] < at(10, 45) and ep["point_code"] is None


def test_a_face_over_its_limit_and_one_twenty_percent_over(incidents) -> None:
    faces = of(incidents, "face_overcrowded")
    assert [(e["point_code"], e["start"].strftime("%H:%M"), e["peak"]) for e in faces] == [
        (FACE, "11:00", 22), (FACE, "11:45", 24)]


def test_a_shift_change_longer_than_two_hours(incidents) -> None:
    [ep] = of(incidents, "shift_change_overcrowded")
    # from the incoming shift's first down (15:40-15:50) the change runs 2 h 30: alarmed once past 2 h (and it
    # lasts while the overtime worker of the 08:00 shift is down, until 18:50)
    assert at(17, 40) <= ep["start"] <= at(17, 55) and ep["end"] >= at(18, 10)


def test_a_shift_without_a_leader(incidents) -> None:
    [ep] = of(incidents, "no_leader_on_shift")
    assert at(10) <= ep["start"] < at(10, 5) and at(16) <= ep["end"] < at(16, 5)  # 2 h in, to the next shift


def test_a_person_overtime(incidents) -> None:
    [ep] = [e for e in of(incidents, "overtime_underground") if e["point_code"] == ROVER]
    assert at(17, 50) <= ep["start"] < at(17, 55) and at(18, 50) <= ep["end"] < at(18, 55)  # 10 h after 07:50


def test_an_sos_and_a_restricted_area(incidents) -> None:
    [sos] = of(incidents, "sos")
    assert at(9, 30) <= sos["start"] < at(9, 31) and at(9, 45) <= sos["end"] < at(9, 46)
    [entry] = of(incidents, "restricted_area_entry")
    assert at(10, 30) <= entry["start"] < at(10, 31)
    assert of(incidents, "face_overcrowded")[0]["point_code"] != RESTRICTED  # no headcount of 0 to break


def test_an_uncertified_special_operator_whenever_he_is_down(incidents) -> None:
    eps = of(incidents, "uncertified_special_operator")
    assert {e["point_code"] for e in eps} == {SPECIAL}
    assert [e["start"].strftime("%H") for e in eps] == ["12", "16"]  # the incident, then his own shift


def test_more_than_ten_in_an_area_of_a_suspended_mine_and_its_seal(incidents) -> None:
    [ep] = of(incidents, "suspended_mine_activity", D.code)
    assert ep["peak"] == 14 and ep["point_code"] == positioning_areas(D).filter(pl.col("use") == "face")[
        "area_code"][0]
    [seal] = of(incidents, "seal_activity_while_suspended", D.code)
    assert (seal["point_code"], seal["start"], seal["peak"]) == (f"{D.code}S01", at(10), 3)


# --- the leads over days ---------------------------------------------------------------------------------------

C = MineSpec("140000000003", "山西测试丙煤业有限公司", crew=30, limit=80)
HALT = datetime(2024, 6, 10)
P = MineSpec("140000000005", "山西测试戊煤业有限公司", status=SUSPENDED, status_since=HALT)
Q = MineSpec("140000000006", "山西测试己煤业有限公司", points=4, outstations=1, counter=True, capacity=60)


@pytest.fixture(scope="module")
def leads() -> pl.DataFrame:
    hidden = positioning_areas(C).filter(pl.col("use") == "hidden")["area_code"][0]
    files = merge(
        simulate_personnel([C], at(0), at(0, day=3), types=("RYSS",),
                           incidents=[Incident("hidden_working_face", C.code, at(9), 300, days=3)]),
        simulate_personnel([P], datetime(2024, 6, 1), datetime(2024, 6, 13), types=("YDSJ",),
                           incidents=[Incident("power_use_while_suspended", P.code, HALT + timedelta(days=1), 24 * 60)]),
        simulate([Q], datetime(2024, 6, 1), datetime(2024, 7, 1), period_s=3600, types=("CDDY", "CDSS"),
                 incidents=[Incident("over_capacity", Q.code, datetime(2024, 6, 1), 29 * 24 * 60, peak=2)]),
    )
    registry = facts([C, P, Q], undeclared=[hidden], status=[
        (C.code, datetime(1970, 1, 1), None, PRODUCING), (Q.code, datetime(1970, 1, 1), None, PRODUCING),
        (P.code, datetime(1970, 1, 1), HALT, PRODUCING), (P.code, HALT, None, SUSPENDED)])
    return judge(list(files), registry, per=8)


def test_people_in_an_undeclared_area_on_three_days_are_a_hidden_working_face(leads) -> None:
    [ep] = of(leads, "hidden_working_face", C.code)
    assert ep["point_code"] == positioning_areas(C).filter(pl.col("use") == "hidden")["area_code"][0]
    assert at(9) <= ep["start"] < at(9, 5) and ep["peak"] == 4


def test_power_like_a_producing_day_while_suspended(leads) -> None:
    [ep] = of(leads, "power_use_while_suspended", P.code)
    assert ep["start"] == HALT + timedelta(days=1) and ep["point_code"] is None
    assert 80 < ep["peak"] < 100  # % of the producing days' median


def test_output_at_twice_the_normal_rate_passes_a_tenth_of_the_capacity_in_a_month(leads) -> None:
    [ep] = of(leads, "over_capacity", Q.code)
    assert datetime(2024, 6, 18) < ep["start"] < datetime(2024, 6, 22)  # 10 % / (2 x 7.7 % a month) = 19.5 days
    assert ep["peak"] > 60_000  # tonnes in June, over 10 % of 60万t
    assert leads.filter(pl.col("mine_code") != Q.code)["kind"].is_in(
        ["hidden_working_face", "power_use_while_suspended"]).all()  # nothing else


def test_the_output_counter_is_defined_as_lj_3001_in_tonnes() -> None:
    parsed = parse(list(simulate([Q], at(8), at(9), period_s=60, types=("CDDY", "CDSS"))))
    counter = parsed.definitions.filter(pl.col("value_type") == "LJ").row(0, named=True)
    assert (counter["sensor_type"], counter["unit"]) == ("3001", "吨")
    values = parsed.readings.filter(pl.col("point_code") == counter["point_code"]).sort("data_time")["value"]
    assert values.len() == 60 and (values.diff().drop_nulls() > 0).all()  # a producing hour


# --- bad input, the command line -------------------------------------------------------------------------------


def test_every_personnel_kind_is_documented_and_bad_incidents_are_refused() -> None:
    assert set(PERSONNEL_INCIDENTS) == set(PERSONNEL_INCIDENT_KINDS)
    with pytest.raises(ValueError, match="人员卡"):
        simulate_personnel([A], T0, at(1), incidents=[Incident("sos", A.code, at(0, 30), 5, point=f"{A.code}77777")])
    with pytest.raises(ValueError, match="定位区域"):
        simulate_personnel([A], T0, at(1), incidents=[Incident("face_overcrowded", A.code, at(0, 30), 5, point="x")])
    with pytest.raises(ValueError, match="电子封条"):
        simulate_personnel([D], T0, at(1), incidents=[
            Incident("seal_activity_while_suspended", D.code, at(0, 30), 5, point="x")])
    with pytest.raises(ValueError, match="140000000002"):
        simulate_personnel([A], T0, at(1), incidents=[Incident("sos", B.code, at(0, 30), 5)])
    with pytest.raises(ValueError, match="types"):
        simulate_personnel([A], T0, at(1), types=("CDSS",))
    # a personnel incident is not the safety feed's business, and the other way round
    assert list(simulate([A], T0, at(0, 10), incidents=[Incident("sos", B.code, T0, 5)]))
    assert list(simulate_personnel([A], T0, at(0, 10), incidents=[Incident("over_limit", B.code, T0, 5)]))


def test_the_command_line_writes_both_feeds(tmp_path, capsys) -> None:
    out = tmp_path / "sim"
    assert main([str(out), "--mines", "1", "--points", "10", "--hours", "0.5", "--personnel", "--crew", "5"]) == 0
    names = Counter(p.name.split("_")[1] for p in (out / "140000000001").iterdir())
    assert names["CDSS"] == 60 and names["RYSS"] == 6 and names["JZSS"] == 30 and names["YDSJ"] == 1
    assert main([str(out / "only"), "--mines", "1", "--hours", "0.5", "--only", "RYSS"]) == 0
    assert {p.name.split("_")[1] for p in (out / "only" / "140000000001").iterdir()} == {"RYSS"}
