"""The personnel-positioning files (RYXX, RYQY, RYJZ, RYSS, JZSS and the mine's own alarms RYCS, RYCY,
RYQJ, RYXZ): golden files field by field with every bad input, empty snapshots, the duplicate-card rule,
the trust rules, the fast path for RYSS and JZSS, Hypothesis invariants and an opt-in speed measurement
(KUANGAN_BENCH_RYSS=1)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuangan.engine import schema
from kuangan.engine.formats import TABLES, Limits, ParsedBatch, Upload, family_a, parse_uploads
from kuangan.engine.formats.envelope import FAMILY_A_TYPES
from kuangan.engine.tests import factories
from kuangan.engine.tests.factories import ryss_body, ryss_name
from kuangan.engine.tests.test_formats import (
    ARRIVALS,
    LIMITS,
    MUTATIONS,
    _mutate,
    _options,
    assert_accounted,
    assert_same_as_the_general_path,
)

pytestmark = pytest.mark.nodb

GOLDEN = Path(__file__).parent / "golden"
M, OTHER = "140000000001", "140000000002"
C1, C2, C3, C4 = f"{M}00123", f"{M}00124", f"{M}00125", f"{M}00126"  # cards: mine code + 5
A1, A2, A3 = f"{M}0001", f"{M}0002", f"{M}0003"  # areas: mine code + 4
S1, S2 = f"{A1}000001", f"{A2}000002"  # base stations: area code + 6
HEADER_TIME = datetime(2024, 6, 1, 8, 0, 10)
HDR = f"{M};示例煤矿;2024-06-01 08:00:10"
RYXX_HDR = f"{M};示例煤矿;300;KJ69J;人员定位系统;示例科技;2026-12-31;2024-06-01 08:00:10"
TRACK = f"{S1}&2024-06-01 07:32:00,{S2}&2024-06-01 07:55:00"


def t(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def golden(case: str) -> list[Upload]:
    return [Upload(p.name, p.read_bytes()) for p in sorted((GOLDEN / case).iterdir())]


def doc(header: str, records: list[str]) -> bytes:
    return ("".join(f"{s}~\r\n" for s in [header, *records]) + "||").encode()


def upload(file_type: str, records: list[str], *, mine: str = M, at: datetime = HEADER_TIME) -> Upload:
    stamp = at.strftime("%Y-%m-%d %H:%M:%S")
    header = f"{mine};示例煤矿;{stamp}" if file_type != "RYXX" else RYXX_HDR.replace(M, mine, 1)
    return Upload(f"{mine}_{file_type}_{at:%Y%m%d%H%M%S}.txt", doc(header, records))


def ryss(**fields: str) -> str:
    """An RYSS record of card C1 underground in area A2 at station S2, the given fields changed."""
    values = {"card": C1, "name": "张伟", "flag": "1", "down": "2024-06-01 07:30:00", "up": "", "area": A2,
              "entered": "2024-06-01 07:40:00", "station": S2, "reached": "2024-06-01 07:55:00", "shift": "三八制",
              "distance": "12.5", "state": "正常", "leader": "0", "special": "1", "track": TRACK} | fields  # fmt: skip
    return ";".join(values.values())


def parse(uploads: list[Upload], **options: Any) -> ParsedBatch:
    """Parsed, accounted for (every record a row or a reject), and the same by the fast path as record by
    record."""
    batch = parse_uploads(uploads, **options)
    assert_accounted(uploads, batch)
    assert_same_as_the_general_path(uploads, batch, **options)
    return batch


def only_file(batch: ParsedBatch) -> dict[str, Any]:
    assert batch.files.height == 1
    return batch.files.row(0, named=True)


def reasons(batch: ParsedBatch) -> list[tuple[int | None, str]]:
    return [(r["record_no"], r["reason"]) for r in batch.rejects.iter_rows(named=True)]


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The rows without what every row of one file repeats (file id, mine code, header time)."""
    return frame.drop("file_id", "mine_code", "header_time").to_dicts()


def row(columns: schema.Schema, **values: Any) -> dict[str, Any]:
    """An expected row: every column of the schema but the file's, null unless given."""
    keep = [c for c in columns if c not in ("file_id", "mine_code", "header_time")]
    assert set(values) <= set(keep), set(values) - set(keep)
    return {c: values.get(c) for c in keep}


# --- the interface ------------------------------------------------------------------------------------


def test_every_family_a_type_has_a_layout_and_a_table() -> None:
    assert set(family_a.LAYOUTS) == FAMILY_A_TYPES
    assert {TABLES[t] for t in ("RYCS", "RYCY", "RYQJ", "RYXZ")} == {"personnel_events"}
    for file_type, layout in family_a.LAYOUTS.items():
        assert layout.schema == getattr(schema, {
            "people": "PEOPLE", "areas": "AREAS", "stations": "STATIONS", "positions": "POSITIONS",
            "station_status": "STATION_STATUS", "personnel_events": "PERSONNEL_EVENTS", "definitions": "DEFINITIONS",
            "readings": "READINGS", "outstations": "OUTSTATIONS", "outstation_status": "OUTSTATION_STATUS",
            "statistics": "STATISTICS", "events": "EVENTS"}[TABLES[file_type]])  # fmt: skip


def test_a_batch_built_with_the_safety_tables_only_has_every_other_table_empty_with_its_schema() -> None:
    empty = pl.DataFrame(schema=schema.READINGS)
    batch = ParsedBatch(files=pl.DataFrame(schema=schema.FILES), definitions=pl.DataFrame(schema=schema.DEFINITIONS),
                        readings=empty, outstations=pl.DataFrame(schema=schema.OUTSTATIONS),
                        outstation_status=pl.DataFrame(schema=schema.OUTSTATION_STATUS),
                        statistics=pl.DataFrame(schema=schema.STATISTICS), events=pl.DataFrame(schema=schema.EVENTS),
                        rejects=pl.DataFrame(schema=schema.REJECTS))  # fmt: skip
    for table, columns in [("people", schema.PEOPLE), ("areas", schema.AREAS), ("stations", schema.STATIONS),
                           ("positions", schema.POSITIONS), ("snapshots", schema.SNAPSHOTS),
                           ("station_status", schema.STATION_STATUS), ("personnel_events", schema.PERSONNEL_EVENTS),
                           ("power", schema.POWER), ("seals", schema.SEALS)]:  # fmt: skip
        frame = getattr(batch, table)
        assert frame.is_empty() and dict(frame.schema) == columns, table
    built = factories.batch(readings=factories.readings(factories.CH4, [0.5]))  # the rule tests' builder
    assert built.readings.height == 1 and built.positions.is_empty()


# --- golden files, one per type -----------------------------------------------------------------------


def test_ryxx_people_field_by_field() -> None:
    batch = parse(golden("ryxx"))
    f = only_file(batch)
    assert (f["status"], f["file_type"], f["mine_name"], f["header_time"]) == (
        "accepted", "RYXX", "示例煤矿", t("2024-06-01 00:00:10"),
    )  # fmt: skip
    assert (f["records"], f["rejected"], f["foreign"]) == (8, 5, 1)
    p = schema.PEOPLE
    assert rows(batch.people) == [
        row(p, card_code=C1, name="张伟", trade="采煤机司机", post="班长", team="综采一队", birth_month="1985-03",
            education="高中", leader_flag=False, special_flag=True),
        # `未设置` is no trade; an empty team is null
        row(p, card_code=C2, name="李强", post="矿长", birth_month="1972-11", education="本科", leader_flag=True,
            special_flag=False),
        # flags that are neither 0 nor 1 read as null: the person stays on the roster
        row(p, card_code=C3, name="王磊", trade="电工", team="机电队", birth_month="1990-07", education="大专"),
    ]  # fmt: skip
    assert reasons(batch) == [
        (4, f"属于其他矿井的测点：{OTHER}00126"),
        (5, "人员卡编码为空"),
        (6, "字段数应为 9，实为 8"),
        (7, "空记录"),
        (8, "使用了全角分号"),
    ]


def test_ryxx_has_an_eight_field_header() -> None:
    batch = parse([Upload(f"{M}_RYXX_20240601080010.txt", doc(HDR, [f"{C1};张伟;;;;;;0;0"]))])
    assert (only_file(batch)["status"], only_file(batch)["reason"]) == ("quarantined", "文件头字段数应为 8，实为 3")
    batch = parse([upload("RYXX", [f"{C1};张伟;;;;;;0;0"])])
    assert (only_file(batch)["mine_name"], batch.people.get_column("card_code").to_list()) == ("示例煤矿", [C1])


def test_ryqy_areas_field_by_field() -> None:
    batch = parse(golden("ryqy"))
    a = schema.AREAS
    assert rows(batch.areas) == [
        row(a, area_type="井口区域", area_code=A1, headcount=0, area_name="主井口"),
        row(a, area_type="重点区域", area_code=A2, headcount=25, area_name="1101综采工作面"),
        row(a, area_type="限制区域", area_code=A3, area_name="东翼采空区密闭"),  # no approved headcount
    ]
    assert reasons(batch) == [
        (4, f"属于其他矿井的测点：{OTHER}0001"),
        (5, "核定人数无法识别：十"),
        (6, "核定人数无法识别：-3"),
        (7, "区域编码为空"),
        (8, "字段数应为 4，实为 3"),
    ]


def test_ryjz_stations_field_by_field() -> None:
    batch = parse(golden("ryjz"))
    s = schema.STATIONS
    assert rows(batch.stations) == [
        row(s, station_code=S1, name="主井口基站", x=100.5, y=200.0, z=-10.0),
        row(s, station_code=S2, name="1101综采工作面基站", note="新装"),
    ]
    assert reasons(batch) == [
        (3, f"属于其他矿井的测点：{OTHER}0001000001"),
        (4, "X 坐标无法识别：东"),
        (5, "字段数应为 6，实为 5"),
    ]


def test_ryss_positions_field_by_field_with_every_bad_input() -> None:
    batch = parse(golden("ryss"))
    f = only_file(batch)
    assert (f["status"], f["records"], f["rejected"], f["foreign"]) == ("accepted", 14, 10, 3)
    p = schema.POSITIONS
    down, entered, reached = t("2024-06-01 07:30:00"), t("2024-06-01 07:40:00"), t("2024-06-01 07:55:00")
    assert rows(batch.positions) == [
        row(p, card_code=C1, name="张伟", flag=1, time_down=down, area_code=A2, area_entered=entered,
            station_code=S2, station_reached=reached, shift_system="三八制", distance=12.5, state="正常",
            leader_flag=False, special_flag=True, track=TRACK),
        # came up: the time up; an empty track
        row(p, card_code=C2, name="李强", flag=2, time_down=down, time_up=t("2024-06-01 07:58:00"), area_code=A1,
            area_entered=entered, station_code=S1, station_reached=t("2024-06-01 07:58:00"), shift_system="三八制",
            distance=-3.0, state="正常", leader_flag=True, special_flag=False),
        # at the shaft top with SOS: empty times are null; a distance and flags that do not read are null
        row(p, card_code=C3, name="王磊", flag=0, area_code=A1, station_code=S1,
            station_reached=t("2024-06-01 07:10:00"), shift_system="三八制", state="求救"),
        # an area and a station the platform does not know are the mine's own: accepted (undeclared)
        row(p, card_code=C4, name="赵六", flag=1, time_down=down, area_code=f"{M}0099", area_entered=entered,
            station_code=f"{M}0099000001", station_reached=reached, shift_system="三八制", distance=12.5,
            state="正常", leader_flag=False, special_flag=True, track=TRACK),
    ]  # fmt: skip
    assert reasons(batch) == [
        (5, "出入井标志（应为 0、1 或 2）无法识别：3"),
        (6, "出入井标志（应为 0、1 或 2）为空"),
        (7, "入井时间无法识别：2024-06-01 7:30"),
        (8, f"同一快照中人员卡重复：{C1}"),  # the second occurrence
        (9, f"属于其他矿井的测点：{OTHER}00123"),  # a card,
        (10, f"属于其他矿井的测点：{OTHER}0002"),  # an area,
        (11, f"属于其他矿井的测点：{OTHER}0002000002"),  # a station of another mine
        (12, "字段数应为 15，实为 14"),
        (13, "字段数应为 15，实为 16"),
        (14, "空记录"),
    ]
    assert batch.snapshots.to_dicts() == [
        {"file_id": 0, "mine_code": M, "header_time": HEADER_TIME, "people": 4}
    ]


def test_an_empty_snapshot_is_a_snapshot_of_nobody_underground() -> None:
    batch = parse(golden("ryss_empty"))
    f = only_file(batch)
    assert (f["status"], f["records"], f["rejected"]) == ("accepted", 0, 0)
    assert batch.positions.is_empty() and batch.rejects.is_empty()
    assert batch.snapshots.to_dicts() == [
        {"file_id": 0, "mine_code": M, "header_time": t("2024-06-01 08:10:10"), "people": 0}
    ]


def test_gb18030_personnel_files_are_decoded_before_splitting() -> None:
    """葉 ends with `~` and 東 with `|` in GB18030."""
    batch = parse(golden("ryss_gb18030"))
    f = only_file(batch)
    assert (f["status"], f["encoding"], f["mine_name"]) == ("accepted", "gb18030", "葉家坪煤矿")
    assert batch.positions.select("card_code", "name", "area_code").rows() == [(C1, "葉東", A2)]


def test_line_breaks_anywhere_in_a_personnel_file_are_noise() -> None:
    batch = parse(golden("ryss_crlf_noise"))
    f = only_file(batch)
    assert (f["status"], f["mine_name"], f["records"], f["rejected"]) == ("accepted", "示例煤矿", 2, 0)
    assert batch.positions.select("card_code", "time_down", "track").rows() == [
        (C1, t("2024-06-01 07:30:00"), TRACK),
        (C2, t("2024-06-01 07:30:00"), None),
    ]
    assert batch.snapshots.get_column("people").to_list() == [2]


def test_jzss_station_status_field_by_field() -> None:
    batch = parse(golden("jzss"))
    s = schema.STATION_STATUS
    assert rows(batch.station_status) == [
        row(s, station_code=S1, running_status=0, power_status=1, data_time=t("2024-06-01 08:00:00")),
        row(s, station_code=S2, running_status=1, power_status=0, data_time=t("2024-06-01 08:00:00")),
        row(s, station_code=f"{A2}000003", running_status=9, power_status=9, data_time=t("2024-06-01 08:00:01")),
    ]  # fmt: skip
    assert reasons(batch) == [
        (4, f"属于其他矿井的测点：{OTHER}0001000001"),
        (5, "基站运行状态无法识别：正常"),
        (6, "数据时间无法识别：2024-06-01 25:00:00"),
        (7, "字段数应为 4，实为 3"),
    ]


def _raw(case: str, record_no: int) -> str:
    """A record of a golden file as written."""
    (u,) = golden(case)
    return u.data.decode().split("~\r\n")[record_no]


@pytest.mark.parametrize(
    ("case", "file_type", "expected", "rejected"),
    [
        ("rycs", "RYCS", [
            (C1, A2, t("2024-06-01 06:00:00"), t("2024-06-01 07:10:00")),
            (C2, A2, t("2024-06-01 08:00:00"), None),  # open: re-sent with its end
            (C3, A2, t("2024-06-01 08:00:00"), None),  # a time down that does not read is no reason to reject
        ], [(4, f"属于其他矿井的测点：{OTHER}00123"), (5, "字段数应为 9，实为 4"), (6, "空记录")]),
        ("rycy", "RYCY", [
            (None, A2, t("2024-06-01 07:30:00"), t("2024-06-01 07:50:00")),
            (None, A1, t("2024-06-01 08:00:00"), None),
        ], [(3, f"属于其他矿井的测点：{OTHER}0002"), (4, "字段数应为 8，实为 6")]),
        ("ryqj", "RYQJ", [
            (C1, A3, t("2024-06-01 07:45:00"), t("2024-06-01 07:52:00")),
            (C2, A3, t("2024-06-01 07:59:00"), None),
            (C3, A3, None, None),  # the start does not read where the guessed order puts it: null
        ], [(4, f"属于其他矿井的测点：{OTHER}00123"), (5, "字段数应为 9，实为 3")]),
        ("ryxz", "RYXZ", [
            (C1, A3, t("2024-06-01 07:01:00"), t("2024-06-01 07:20:00")),
            (C2, A3, t("2024-06-01 07:30:00"), None),
        ], [(3, f"属于其他矿井的测点：{OTHER}0003000001"), (4, "空记录")]),  # a station of another mine
    ],
)  # fmt: skip
def test_the_mines_own_personnel_alarms_keep_codes_times_and_the_raw_record(
    case: str, file_type: str, expected: list[tuple[Any, ...]], rejected: list[tuple[int, str]]
) -> None:
    batch = parse(golden(case))
    events = batch.personnel_events
    assert events.select("card_code", "area_code", "start", "end").rows() == expected
    assert set(events.get_column("event_type")) == {file_type}
    assert events.get_column("raw").to_list() == [_raw(case, i) for i in range(1, len(expected) + 1)]
    assert reasons(batch) == rejected


def test_personnel_alarms_of_several_types_share_their_table_in_file_order() -> None:
    uploads = [*golden("ryxz"), *golden("rycs"), *golden("rycy")]
    batch = parse(uploads)
    assert batch.personnel_events.select("file_id", "event_type").unique(maintain_order=True).rows() == [
        (0, "RYXZ"), (1, "RYCS"), (2, "RYCY"),
    ]  # fmt: skip


# --- snapshots and the duplicate card ------------------------------------------------------------------


def test_one_snapshot_row_per_accepted_ryss_file_with_its_accepted_people() -> None:
    later = HEADER_TIME + timedelta(minutes=5)
    uploads = [
        upload("RYSS", [ryss(), ryss(card=C2), ryss(card=C3, flag="7")]),
        upload("RYSS", [], at=later),
        upload("RYSS", [ryss()], mine=OTHER, at=later),  # another mine's own file: its own snapshot
        Upload(f"{M}_RYSS_20240601081010.txt", doc(f"{M};示例煤矿", [ryss()])),  # bad header: no snapshot
        Upload(f"{M}_RYSS_20240601081510.txt", doc(HDR, [ryss()])[:-2]),  # incomplete: none either
        upload("JZSS", [f"{S1};0;1;2024-06-01 08:00:00"]),
    ]
    batch = parse(uploads)
    assert batch.snapshots.rows() == [(0, M, HEADER_TIME, 2), (1, M, later, 0), (2, OTHER, later, 0)]


def test_a_snapshot_quarantined_for_its_bad_records_is_no_snapshot() -> None:
    batch = parse([upload("RYSS", [ryss(flag="x"), ryss(card=C2, flag="x"), ryss(card=C3)])],
                  limits=Limits(max_rejected_share=0.5))  # fmt: skip
    assert only_file(batch)["reason"] == "无效记录过多（2/3 条，超过 50%）：出入井标志（应为 0、1 或 2）无法识别 2 条"
    assert batch.snapshots.is_empty() and batch.positions.is_empty()


def test_the_first_good_occurrence_of_a_card_is_kept_and_each_later_one_rejected() -> None:
    records = [ryss(down="junk"), ryss(name="first good"), ryss(card=C2), ryss(name="again"), ryss(name="thrice")]
    batch = parse([upload("RYSS", records)])
    assert batch.positions.select("card_code", "name").rows() == [(C1, "first good"), (C2, "张伟")]
    assert reasons(batch) == [
        (1, "入井时间无法识别：junk"),
        (4, f"同一快照中人员卡重复：{C1}"),
        (5, f"同一快照中人员卡重复：{C1}"),
    ]
    assert batch.snapshots.get_column("people").to_list() == [2]


def test_the_same_card_in_two_snapshots_is_no_duplicate() -> None:
    later = HEADER_TIME + timedelta(minutes=5)
    batch = parse([upload("RYSS", [ryss()]), upload("RYSS", [ryss()], at=later)])
    assert batch.rejects.is_empty() and batch.positions.height == 2


# --- trust: one mine speaks only for itself, clocks ----------------------------------------------------------


@pytest.mark.parametrize(
    ("file_type", "record", "foreign"),
    [
        ("RYSS", ryss(card=f"{OTHER}00123"), f"{OTHER}00123"),
        ("RYSS", ryss(area=f"{OTHER}0002"), f"{OTHER}0002"),
        ("RYSS", ryss(station=f"{OTHER}0002000002"), f"{OTHER}0002000002"),
        ("RYXX", f"{OTHER}00123;张伟;;;;;;0;0", f"{OTHER}00123"),
        ("RYQY", f"重点区域;{OTHER}0002;10;1101", f"{OTHER}0002"),
        ("RYJZ", f"{OTHER}0002000002;基站;1;2;3;", f"{OTHER}0002000002"),
        ("JZSS", f"{OTHER}0002000002;0;1;2024-06-01 08:00:00", f"{OTHER}0002000002"),
        ("RYQJ", f"{C1};张伟;2024-06-01 07:45:00;;;{A2};;{OTHER}0002000002;", f"{OTHER}0002000002"),
        ("RYCY", f"区域超员;25;26;{OTHER}0002;外矿;2024-06-01 07:30:00;;", f"{OTHER}0002"),
    ],
)  # fmt: skip
def test_a_record_naming_another_mines_card_area_or_station_is_rejected_and_counted(
    file_type: str, record: str, foreign: str
) -> None:
    records = [record, record.replace(OTHER, M)]  # the same record of the file's own mine is read
    batch = parse([upload(file_type, records)], limits=Limits(max_rejected_share=0.5))
    assert reasons(batch) == [(1, f"属于其他矿井的测点：{foreign}")]
    f = only_file(batch)
    assert (f["status"], f["records"], f["rejected"], f["foreign"]) == ("accepted", 2, 1, 1)
    assert getattr(batch, TABLES[file_type]).height == 1


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("down", "入井时间 2024-06-02 00:00:00 超前于到达时间（超过 600 秒）"),
        ("up", "出井时间 2024-06-02 00:00:00 超前于到达时间（超过 600 秒）"),
        ("entered", "进入区域时间 2024-06-02 00:00:00 超前于到达时间（超过 600 秒）"),
        ("reached", "进入基站时间 2024-06-02 00:00:00 超前于到达时间（超过 600 秒）"),
    ],
)
def test_every_time_of_a_position_is_judged_against_the_arrival(field: str, reason: str) -> None:
    records = [ryss(**{field: "2024-06-02 00:00:00"}), ryss(card=C2)]
    arrival = HEADER_TIME + timedelta(seconds=5)
    batch = parse([upload("RYSS", records)], arrivals=[arrival], limits=Limits(future_tolerance=timedelta(seconds=600)))
    assert reasons(batch) == [(1, reason)]
    assert batch.positions.get_column("card_code").to_list() == [C2]
    assert parse([upload("RYSS", records)]).rejects.is_empty()  # no arrival, no tolerance: no clock check


def test_a_station_status_ahead_of_the_arrival_is_a_clock_fault() -> None:
    records = [f"{S1};0;1;2024-06-01 08:20:00", f"{S2};0;1;2024-06-01 08:00:00"]
    batch = parse([upload("JZSS", records)], arrivals=[HEADER_TIME],
                  limits=Limits(future_tolerance=timedelta(seconds=600)))  # fmt: skip
    assert reasons(batch) == [(1, "数据时间 2024-06-01 08:20:00 超前于到达时间（超过 600 秒）")]


def test_the_mines_own_alarms_are_not_judged_against_the_arrival() -> None:
    """Their field order is a guess: only the field count, an empty record and a foreign code reject."""
    record = f"{C1};张伟;2030-01-01 00:00:00;;;{A2};;{S2};"
    batch = parse([upload("RYQJ", [record])], arrivals=[HEADER_TIME],
                  limits=Limits(future_tolerance=timedelta(seconds=0)))  # fmt: skip
    assert batch.rejects.is_empty() and batch.personnel_events.get_column("start").to_list() == [
        t("2030-01-01 00:00:00")
    ]


# --- the fast path ------------------------------------------------------------------------------------------


def test_regular_ryss_and_jzss_files_never_reach_record_by_record_checking(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    general = family_a.parse_records

    def spy(layout: family_a.Layout, *args: Any, **kwargs: Any) -> Any:
        calls.append(layout.file_type)
        return general(layout, *args, **kwargs)

    monkeypatch.setattr("kuangan.engine.formats.parse_records", spy)
    at = datetime(2024, 6, 1, 8, 0)
    uploads = [Upload(ryss_name(M, at), ryss_body(M, 300, at)), upload("JZSS", [f"{S1};0;1;2024-06-01 08:00:00"])]
    batch = parse_uploads(uploads)
    assert calls == [] and batch.positions.height == 300 and batch.station_status.height == 1
    assert batch.positions.get_column("track").null_count() == 100  # every third track is empty
    assert family_a.has_fast_path(family_a.RYSS) and family_a.has_fast_path(family_a.JZSS)
    assert not family_a.has_fast_path(family_a.RYCS)  # the raw record is kept: the general path


@pytest.mark.parametrize(
    ("records", "rejected"),
    [
        # a record one field short (no track) and one a field long: the file's `;` count is right
        ([ryss(card=C1), ";".join(ryss(card=C2).split(";")[:14]), ryss(card=C3) + ";", ryss(card=C4)],
         [(2, "字段数应为 15，实为 14"), (3, "字段数应为 15，实为 16")]),
        # the same with the long record's extra field holding the marker's text
        ([";".join(ryss(card=C2).split(";")[:14]), ryss(card=C3) + ";\x01"],
         [(1, "字段数应为 15，实为 14"), (2, "字段数应为 15，实为 16")]),
        # the marker's text as a track
        ([ryss(track="\x01"), ryss(card=C2)], []),
        # a repeated card in an otherwise regular file
        ([ryss(), ryss(card=C2), ryss()], [(3, f"同一快照中人员卡重复：{C1}")]),
    ],
)  # fmt: skip
def test_irregular_ryss_records_that_look_regular_are_found(
    records: list[str], rejected: list[tuple[int, str]]
) -> None:
    batch = parse([upload("RYSS", records)])
    assert reasons(batch) == rejected
    assert batch.positions.height == len(records) - len(rejected)


# --- invariants (Hypothesis) ----------------------------------------------------------------------------

TIME = st.one_of(
    st.just(""),
    st.datetimes(datetime(2024, 5, 1), datetime(2024, 7, 31)).map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
)
CARD = st.integers(1, 20).map(lambda n: f"{M}{n:05d}")  # few cards: repeats happen
AREA = st.integers(1, 5).map(lambda n: f"{M}{n:04d}")
STATION = st.integers(1, 5).map(lambda n: f"{M}{n:04d}{n:06d}")
TEXT = st.sampled_from(["", "张伟", "葉東", "三八制", "求救", "正常", "未设置", "1101综采工作面"])
FLAG = st.sampled_from(["0", "1", "", "是", "2"])
TRACK_ITEMS = st.lists(st.tuples(STATION, TIME).map("&".join), max_size=3).map(",".join)


def _personnel_records(file_type: str) -> st.SearchStrategy[str]:
    parts: list[st.SearchStrategy[str]]
    if file_type == "RYSS":
        parts = [CARD, TEXT, st.sampled_from(["0", "1", "2"]), TIME, TIME, AREA, TIME, STATION, TIME, TEXT,
                 st.sampled_from(["", "12.5", "-3", "0"]), TEXT, FLAG, FLAG, TRACK_ITEMS]  # fmt: skip
    else:  # RYXX
        parts = [CARD, TEXT, TEXT, TEXT, TEXT, st.just("1985-03"), TEXT, FLAG, FLAG]
    return st.tuples(*parts).map(";".join)


@st.composite
def valid_personnel_files(draw: st.DrawFn) -> tuple[str, str]:
    file_type = draw(st.sampled_from(["RYSS", "RYXX"]))
    records = draw(st.lists(_personnel_records(file_type), max_size=8))
    header = HDR if file_type == "RYSS" else RYXX_HDR
    return f"{M}_{file_type}_20240601080010.txt", "".join(f"{s}~\r\n" for s in [header, *records]) + "||"


def _mutated(items: list[tuple[tuple[str, str], list[str]]], rng: random.Random) -> list[Upload]:
    uploads = []
    for (name, text), kinds in items:
        data = text.encode()
        for kind in kinds:
            try:
                current = data.decode()
            except UnicodeDecodeError:
                current = data.decode("gb18030")
            data = _mutate(current, kind, rng)
        uploads.append(Upload(name, data))
    return uploads


NAMES = st.sampled_from([f"{M}_{t}_20240601080010.txt" for t in sorted(FAMILY_A_TYPES - {"CDDY"})])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(NAMES, st.binary(max_size=300)), max_size=6))
def test_random_bytes_under_personnel_names_never_raise_and_are_accounted_for(
    items: list[tuple[str, bytes]],
) -> None:
    uploads = [Upload(name, data) for name, data in items]
    assert_accounted(uploads, parse_uploads(uploads))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(NAMES, st.lists(st.text(alphabet=";~|\r\n0123456789-: 张", max_size=12), max_size=16)),
                max_size=4))  # fmt: skip
def test_random_segments_under_a_good_header_never_raise_and_are_accounted_for(
    items: list[tuple[str, list[str]]],
) -> None:
    uploads = [Upload(n, doc(RYXX_HDR if "_RYXX_" in n else HDR, ["".join(r)])) for n, r in items]
    batch = parse_uploads(uploads)
    assert_accounted(uploads, batch)
    assert_same_as_the_general_path(uploads, batch)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(valid_personnel_files(), st.lists(st.sampled_from(MUTATIONS), max_size=3)), min_size=1,
                max_size=5), st.randoms(use_true_random=False), st.one_of(st.none(), LIMITS), ARRIVALS)  # fmt: skip
def test_mutated_personnel_files_never_raise_and_the_fast_path_reads_what_the_general_path_reads(
    items: list[tuple[tuple[str, str], list[str]]],
    rng: random.Random,
    limits: Limits | None,
    arrivals: list[datetime | None],
) -> None:
    uploads = _mutated(items, rng)
    options = _options(limits, arrivals, len(uploads))
    batch = parse_uploads(uploads, **options)
    assert_accounted(uploads, batch)
    assert_same_as_the_general_path(uploads, batch, **options)
    accepted = batch.files.filter((pl.col("file_type") == "RYSS") & (pl.col("status") == "accepted"))
    assert batch.snapshots.get_column("file_id").to_list() == accepted.get_column("file_id").to_list()
    counts = batch.positions.group_by("file_id").len()
    assert batch.positions.select(pl.struct("file_id", "card_code").is_duplicated().any()).item() is False
    for file_id, people in batch.snapshots.select("file_id", "people").iter_rows():
        assert people == counts.filter(pl.col("file_id") == file_id).get_column("len").sum()


@settings(max_examples=60, deadline=None)
@given(valid_personnel_files(), st.sampled_from(["crlf", "bom", "gb18030"]), st.randoms(use_true_random=False))
def test_line_breaks_bom_and_gb18030_change_nothing_in_a_personnel_file(
    file: tuple[str, str], kind: str, rng: random.Random
) -> None:
    name, text = file
    plain, noisy = parse_uploads([Upload(name, text.encode())]), parse_uploads([Upload(name, _mutate(text, kind, rng))])
    for table in ("positions", "people", "snapshots", "rejects"):
        assert getattr(noisy, table).equals(getattr(plain, table)), table
