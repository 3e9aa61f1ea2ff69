"""The file parser (kuangan.engine.formats): golden files per type and per envelope case, the
record and file rules of FORMATS.md §1/§2, and Hypothesis invariants (never raises; every file
and every record is accounted for)."""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuangan.engine import schema
from kuangan.engine.formats import Limits, ParsedBatch, Upload, parse_uploads
from kuangan.engine.formats.envelope import parse_name

pytestmark = pytest.mark.nodb

GOLDEN = Path(__file__).parent / "golden"
M = "140000000001"
OS1, OS2 = f"{M}00001", f"{M}00002"
CH4 = f"{M}01MN000100000001"  # 12 mine + 01 safety monitoring + MN analog + 0001 methane + 8 id
CO = f"{M}01MN000400000002"
O2 = f"{M}01MN001200000003"
FEED = f"{M}01KG100900000011"
FAN = f"{M}01KG100100000012"
ODD = f"{M}01MN099900000013"  # sensor type 0999: not in the dictionary
HDR = f"{M};示例煤矿;2024-06-01 08:00:10"
OTHER_MINE = "140000000002"

TABLES = {
    "files": schema.FILES,
    "definitions": schema.DEFINITIONS,
    "readings": schema.READINGS,
    "outstations": schema.OUTSTATIONS,
    "outstation_status": schema.OUTSTATION_STATUS,
    "statistics": schema.STATISTICS,
    "events": schema.EVENTS,
    "rejects": schema.REJECTS,
    "people": schema.PEOPLE,
    "areas": schema.AREAS,
    "stations": schema.STATIONS,
    "positions": schema.POSITIONS,
    "snapshots": schema.SNAPSHOTS,
    "station_status": schema.STATION_STATUS,
    "personnel_events": schema.PERSONNEL_EVENTS,
    "power": schema.POWER,
    "seals": schema.SEALS,
}
DATA_TABLES = ("definitions", "readings", "outstations", "outstation_status", "statistics", "events",
               "people", "areas", "stations", "positions", "station_status", "personnel_events", "power", "seals")


def t(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def row(columns: dict[str, Any], **values: Any) -> dict[str, Any]:
    """An expected row: every column of the schema, null unless given."""
    assert set(values) <= set(columns), set(values) - set(columns)
    return {c: values.get(c) for c in columns}


def doc(header: str, records: list[str], end: str = "||") -> bytes:
    return ("".join(f"{s}~\r\n" for s in [header, *records]) + end).encode()


def golden(case: str) -> list[Upload]:
    return [Upload(p.name, p.read_bytes()) for p in sorted((GOLDEN / case).iterdir())]


def parse(uploads: list[Upload], **options: Any) -> ParsedBatch:
    """parse_uploads(uploads, **options), checked by `assert_accounted`."""
    batch = parse_uploads(uploads, **options)
    assert_accounted(uploads, batch)
    return batch


def assert_accounted(uploads: list[Upload], batch: ParsedBatch) -> None:
    """The invariants: exact schemas; one FILES row per upload; every record segment of an
    accepted file is either a row of a data table or a reject; a quarantined file is exactly one
    reject row; an incomplete file leaves nothing anywhere else."""
    for table, columns in TABLES.items():
        assert dict(getattr(batch, table).schema) == columns, table
    files = batch.files
    assert files.get_column("file_id").to_list() == list(range(len(uploads)))
    assert files.get_column("sha256").to_list() == [u.sha256 for u in uploads]
    data = Counter[int]()
    for table in DATA_TABLES:
        data.update(getattr(batch, table).get_column("file_id").to_list())
    rejects = batch.rejects
    by_record = Counter(rejects.filter(pl.col("record_no").is_not_null()).get_column("file_id").to_list())
    whole = Counter(rejects.filter(pl.col("record_no").is_null()).get_column("file_id").to_list())
    assert rejects.select(pl.struct("file_id", "record_no").is_duplicated().any()).item() is False
    for f in files.iter_rows(named=True):
        fid = f["file_id"]
        assert f["name"] is not None and f["status"] in {"accepted", "quarantined", "incomplete"}
        assert f["foreign"] <= f["rejected"], f
        if f["status"] == "accepted":
            assert f["reason"] is None and whole[fid] == 0
            assert f["records"] == data[fid] + f["rejected"], f
            assert f["rejected"] == by_record[fid], f
            numbers = rejects.filter(pl.col("file_id") == fid).get_column("record_no")
            assert numbers.is_empty() or (numbers.min() >= 1 and numbers.max() <= f["records"])  # type: ignore[operator]
        elif f["status"] == "quarantined":
            assert f["reason"], f
            # no reject row per record, even when the file was quarantined for its bad records
            assert (whole[fid], by_record[fid], data[fid]) == (1, 0, 0), f
            assert f["rejected"] <= f["records"], f
            reject = rejects.filter(pl.col("file_id") == fid).row(0, named=True)
            assert reject["reason"] == f["reason"] and len(reject["raw"]) <= 200
        else:
            assert f["reason"] == "文件未写完（缺少结束符 ||）"
            assert (whole[fid], by_record[fid], data[fid]) == (0, 0, 0), f
    for r in rejects.iter_rows(named=True):
        f = files.row(r["file_id"], named=True)
        assert (r["name"], r["mine_code"], r["file_type"]) == (f["name"], f["mine_code"], f["file_type"])


def assert_same_as_the_general_path(uploads: list[Upload], batch: ParsedBatch, **options: Any) -> None:
    """`batch` (read with the fast path where it applies) equals the reading of the general path, which
    judges every record on its own (family_a.parse_records); `options`: those `batch` was read with."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("kuangan.engine.formats.has_fast_path", lambda layout: False)
        general = parse_uploads(uploads, **options)
    for table in TABLES:
        assert getattr(batch, table).equals(getattr(general, table)), table


def only_file(batch: ParsedBatch) -> dict[str, Any]:
    assert batch.files.height == 1
    return batch.files.row(0, named=True)


def reasons(batch: ParsedBatch) -> list[tuple[int | None, str]]:
    return [(r["record_no"], r["reason"]) for r in batch.rejects.iter_rows(named=True)]


# --- schemas ---------------------------------------------------------------------------------


def test_an_upload_hashes_its_bytes() -> None:
    assert Upload("a.txt", b"abc").sha256 == hashlib.sha256(b"abc").hexdigest()


def test_an_empty_batch_has_every_table_with_its_schema() -> None:
    batch = parse([])
    for table in TABLES:
        assert getattr(batch, table).is_empty()


def test_the_whole_golden_set_parses_in_one_batch_and_is_accounted_for() -> None:
    uploads = [u for case in sorted(p.name for p in GOLDEN.iterdir()) for u in golden(case)]
    batch = parse(uploads)
    assert batch.files.group_by("status").len().sort("status").rows() == [
        ("accepted", 31),
        ("incomplete", 1),
        ("quarantined", 6),
    ]


# --- one golden file per type ----------------------------------------------------------------


def test_cddy_definitions_field_by_field() -> None:
    batch = parse(golden("cddy"))
    f = only_file(batch)
    assert (f["status"], f["family"], f["file_type"], f["mine_code"], f["mine_name"]) == (
        "accepted",
        "A",
        "CDDY",
        M,
        "示例煤矿",
    )
    assert (f["header_time"], f["records"], f["rejected"], f["encoding"]) == (
        t("2024-06-01 08:00:00"),
        5,
        0,
        "utf-8",
    )
    d = schema.DEFINITIONS
    common = {"file_id": 0, "mine_code": M, "system_code": "01", "header_time": t("2024-06-01 08:00:00")}
    assert batch.definitions.to_dicts() == [
        row(d, **common, point_code=CH4, outstation_code=OS1, sensor_type="0001", value_type="MN", unit="%CH4",
            range_high=4.0, range_low=0.0, upper_alarm=0.8, upper_alarm_clear=0.75, upper_power_off=1.2,
            upper_power_restore=1.0, location="1101综采工作面上隅角", x=1203.5, y=856.2, z=-420.0,
            relations=f"D-{FEED}", defined_at=t("2024-05-01 10:00:00")),
        row(d, **common, point_code=O2, outstation_code=OS1, sensor_type="0012", value_type="MN", unit="%",
            range_high=25.0, range_low=0.0, lower_alarm=18.5, lower_alarm_clear=19.0, lower_power_off=18.0,
            lower_power_restore=18.5, location="1101综采工作面回风巷", x=1190.0, y=860.0, z=-418.5,
            defined_at=t("2024-05-01 10:00:00")),
        # a switch: fields 6-15 empty -> null, on/off as text
        row(d, **common, point_code=FEED, outstation_code=OS1, sensor_type="1009", value_type="KG",
            on_text="有电", off_text="无电", location="1101综采工作面馈电开关", x=1210.0, y=850.0, z=-421.0,
            defined_at=t("2024-05-01 10:00:00")),
        # on/off written as 0/1 by one producer: kept as strings; coordinates left empty
        row(d, **common, point_code=FAN, outstation_code=OS2, sensor_type="1001", value_type="KG",
            on_text="1", off_text="0", location="1101局部通风机", defined_at=t("2024-05-02 09:30:00")),
        # an unknown sensor type is kept as written; relation groups joined by ◇ kept raw
        row(d, **common, point_code=ODD, outstation_code=OS2, sensor_type="0999", value_type="MN", unit="mg/m3",
            range_high=100.0, range_low=0.0, location="东翼辅助运输巷", x=1300.0, y=700.0, z=-400.0,
            relations=f"B-{FAN}◇D-{FEED}", defined_at=t("2024-05-03 14:00:00")),
    ]  # fmt: skip
    assert batch.rejects.is_empty()


def test_cdss_readings_field_by_field() -> None:
    batch = parse(golden("cdss"))
    f = only_file(batch)
    assert (f["status"], f["file_type"], f["header_time"], f["records"], f["rejected"]) == (
        "accepted",
        "CDSS",
        t("2024-06-01 08:00:10"),
        4,
        0,
    )
    r = schema.READINGS
    common = {"file_id": 0, "mine_code": M, "header_time": t("2024-06-01 08:00:10")}
    # the sensor name, location and unit each record repeats belong to the point's definition
    assert batch.readings.to_dicts() == [
        row(r, **common, point_code=CH4, value=0.52, status=0, data_time=t("2024-06-01 08:00:05")),
        row(r, **common, point_code=CO, value=24.0, status=1, data_time=t("2024-06-01 08:00:05")),
        # a switch: 0/1 value
        row(r, **common, point_code=FEED, value=1.0, status=0, data_time=t("2024-06-01 08:00:06")),
        # unknown sensor: kept; status bitmask kept raw (128 sensor fault + 2 power-off)
        row(r, **common, point_code=ODD, value=12.5, status=130, data_time=t("2024-06-01 08:00:07")),
    ]  # fmt: skip
    assert batch.rejects.is_empty()


def test_fzdy_outstations_field_by_field_with_optional_z_and_time() -> None:
    batch = parse(golden("fzdy"))
    o = schema.OUTSTATIONS
    common = {"file_id": 0, "mine_code": M, "header_time": t("2024-06-01 08:00:00")}
    assert batch.outstations.to_dicts() == [
        row(o, **common, outstation_code=OS1, location="1101综采工作面分站", x=1200.0, y=855.0),
        row(o, **common, outstation_code=OS2, location="中央变电所分站", x=980.5, y=640.0, z=-390.0),
        # five fields, the fifth a time: the data time, not Z
        row(o, **common, outstation_code=f"{M}00003", location="主斜井井底分站", x=900.0, y=600.0,
            data_time=t("2024-05-01 10:00:00")),
        row(o, **common, outstation_code=f"{M}00004", location="东翼回风大巷分站", x=1500.0, y=720.0, z=-410.0,
            data_time=t("2024-05-01 10:00:00")),
    ]  # fmt: skip
    assert only_file(batch)["records"] == 4


def test_fzss_outstation_status_field_by_field() -> None:
    batch = parse(golden("fzss"))
    s = schema.OUTSTATION_STATUS
    common = {"file_id": 0, "mine_code": M, "header_time": t("2024-06-01 08:00:10")}
    assert batch.outstation_status.to_dicts() == [
        row(s, **common, outstation_code=OS1, running_status=0, power_status=1, data_time=t("2024-06-01 08:00:00")),
        row(s, **common, outstation_code=OS2, running_status=1, power_status=0, data_time=t("2024-06-01 08:00:00")),
        row(s, **common, outstation_code=f"{M}00003", running_status=9, power_status=2,
            data_time=t("2024-06-01 08:00:01")),
    ]  # fmt: skip


def test_tjsj_statistics_field_by_field() -> None:
    batch = parse(golden("tjsj"))
    s = schema.STATISTICS
    common = {"file_id": 0, "mine_code": M, "header_time": t("2024-06-01 08:05:00"),
              "start": t("2024-06-01 08:00:00"), "end": t("2024-06-01 08:05:00"), "data_time": t("2024-06-01 08:05:00")}  # fmt: skip
    assert batch.statistics.to_dicts() == [
        row(s, **common, point_code=CH4, sensor_name="甲烷", location="1101综采工作面上隅角", unit="%CH4",
            max=0.61, max_time=t("2024-06-01 08:03:12"), min=0.42, min_time=t("2024-06-01 08:00:40"), avg=0.5),
        row(s, **common, point_code=CO, sensor_name="一氧化碳", location="1101综采工作面回风巷", unit="ppm",
            max=26.0, max_time=t("2024-06-01 08:01:00"), min=12.0, min_time=t("2024-06-01 08:04:30"), avg=18.4),
    ]  # fmt: skip


def test_ycbj_events_field_by_field_with_an_open_event() -> None:
    batch = parse(golden("ycbj"))
    e = schema.EVENTS
    common = {"file_id": 0, "mine_code": M, "header_time": t("2024-06-01 08:10:00"), "data_time": t("2024-06-01 08:10:00")}  # fmt: skip
    assert batch.events.to_dicts() == [
        # open: empty end -> null; cause, measures, entered at / by not typed in yet
        row(e, **common, point_code=CH4, sensor_name="甲烷", location="1101综采工作面上隅角", unit="%CH4",
            event_type="001", start=t("2024-06-01 08:03:00"), max=1.25, max_time=t("2024-06-01 08:04:10"),
            min=0.82, min_time=t("2024-06-01 08:03:00"), avg=1.02),
        row(e, **common, point_code=CO, sensor_name="一氧化碳", location="1101综采工作面回风巷", unit="ppm",
            event_type="001", start=t("2024-06-01 07:40:00"), end=t("2024-06-01 07:52:00"), max=38.0,
            max_time=t("2024-06-01 07:45:00"), min=24.0, min_time=t("2024-06-01 07:40:00"), avg=30.5,
            cause="割煤时煤体氧化", measures="加强通风，停止割煤", entered_at=t("2024-06-01 08:05:00"),
            entered_by="张伟"),
        # a feed failure has no values
        row(e, **common, point_code=FEED, sensor_name="馈电传感器", location="1101综采工作面馈电开关",
            event_type="003", start=t("2024-06-01 08:04:10")),
    ]  # fmt: skip


# --- envelope cases ---------------------------------------------------------------------------


def test_cr_and_lf_anywhere_are_stripped_before_splitting() -> None:
    batch = parse(golden("crlf_noise"))
    f = only_file(batch)
    assert (f["status"], f["header_time"], f["records"], f["rejected"]) == (
        "accepted",
        t("2024-06-01 08:05:10"),
        2,
        0,
    )
    assert batch.readings.select("point_code", "value").rows() == [(CH4, 0.53), (CO, 24.0)]


def test_a_utf8_bom_is_stripped() -> None:
    batch = parse(golden("bom"))
    f = only_file(batch)
    assert (f["status"], f["encoding"], f["mine_code"]) == ("accepted", "utf-8", M)
    assert batch.readings.get_column("point_code").to_list() == [CH4]


def test_gb18030_is_decoded_before_splitting_and_recorded() -> None:
    """葉 is C8 7E (`~`) and 東 is 96 7C (`|`) in GB18030: splitting the bytes would cut them."""
    uploads = golden("gb18030")
    assert "葉".encode("gb18030")[-1:] == b"~" and "東".encode("gb18030")[-1:] == b"|"
    batch = parse(uploads)
    f = only_file(batch)
    assert (f["status"], f["encoding"], f["mine_name"], f["records"]) == (
        "accepted",
        "gb18030",
        "葉家坪煤矿",
        1,
    )
    assert batch.readings.select("point_code", "value").rows() == [(CH4, 0.55)]


def test_a_file_without_the_terminator_is_incomplete_and_leaves_nothing_else() -> None:
    batch = parse(golden("incomplete"))
    f = only_file(batch)
    assert (f["status"], f["reason"], f["records"], f["rejected"]) == (
        "incomplete",
        "文件未写完（缺少结束符 ||）",
        0,
        0,
    )
    assert (f["family"], f["file_type"], f["mine_code"]) == ("A", "CDSS", M)
    assert batch.rejects.is_empty() and batch.readings.is_empty()


@pytest.mark.parametrize("data", [b"", b"   ", b"\r\n", f"{HDR}~".encode(), f"{HDR}~\r\n|".encode()])
def test_empty_or_half_written_files_are_incomplete(data: bytes) -> None:
    assert only_file(parse([Upload(f"{M}_CDSS_20240601080010.txt", data)]))["status"] == "incomplete"


def test_text_after_the_terminator_quarantines_the_file() -> None:
    data = doc(HDR, [f"{CH4};甲烷;上隅角;0.5;%CH4;0;2024-06-01 08:00:05"], end="||garbage")
    f = only_file(parse([Upload(f"{M}_CDSS_20240601080010.txt", data)]))
    assert (f["status"], f["reason"]) == ("quarantined", "结束符 || 之后还有内容")


def test_the_last_segment_may_miss_its_tilde_before_the_terminator() -> None:
    data = f"{HDR}~{CH4};甲烷;上隅角;0.5;%CH4;0;2024-06-01 08:00:05||".encode()
    batch = parse([Upload(f"{M}_CDSS_20240601080010.txt", data)])
    assert batch.readings.get_column("value").to_list() == [0.5]


def test_an_empty_segment_is_a_rejected_record() -> None:
    data = doc(HDR, [f"{CH4};甲烷;上隅角;0.5;%CH4;0;2024-06-01 08:00:05", ""])
    batch = parse([Upload(f"{M}_CDSS_20240601080010.txt", data)])
    assert reasons(batch) == [(2, "空记录")]


def test_wrong_field_counts_reject_only_their_record() -> None:
    batch = parse(golden("field_count"))
    assert only_file(batch)["records"] == 3
    assert reasons(batch) == [(2, "字段数应为 7，实为 6"), (3, "字段数应为 7，实为 8")]
    assert batch.readings.get_column("value").to_list() == [0.57]
    assert batch.rejects.row(0, named=True)["raw"] == f"{CO};一氧化碳;0.0;ppm;0;2024-06-01 08:25:05"


CDSS_OK = f"{CH4};甲烷;1101综采工作面上隅角;0.52;%CH4;0;2024-06-01 08:00:00"


@pytest.mark.parametrize(
    ("files", "rejected"),
    [
        # the last record of the batch with an empty field too many
        ([[CDSS_OK, CDSS_OK + ";"]], [(0, 2, "字段数应为 7，实为 8")]),
        # one record a field short and one a field long: the file's separator count is right
        ([[CDSS_OK, CDSS_OK.replace(";%CH4", "%CH4"), CDSS_OK + ";x"]],
         [(0, 2, "字段数应为 7，实为 6"), (0, 3, "字段数应为 7，实为 8")]),
        # a full-width separator in one file and a long record in another
        ([[CDSS_OK.replace(";0;", "；0;")], [CDSS_OK, CDSS_OK + ";1"], [CDSS_OK]],
         [(0, 1, "使用了全角分号"), (1, 2, "字段数应为 7，实为 8")]),
        # a long record in one file and a short one in another: the batch's separator count is right
        ([[CDSS_OK + ";x", CDSS_OK], [CDSS_OK.replace(";%CH4", "%CH4"), CDSS_OK]],
         [(0, 1, "字段数应为 7，实为 8"), (1, 1, "字段数应为 7，实为 6")]),
        # an empty record first, last and in the middle
        ([["", CDSS_OK], [CDSS_OK, "", CDSS_OK], [CDSS_OK, ""]], [(0, 1, "空记录"), (1, 2, "空记录"), (2, 2, "空记录")]),
    ],
)  # fmt: skip
def test_irregular_records_among_regular_files_are_found_and_nothing_else(
    files: list[list[str]], rejected: list[tuple[int, int, str]]
) -> None:
    """The fast path (family_a.read_regular) must set aside exactly the files that need record-by-record
    checking: its result equals the general path's."""
    uploads = [
        Upload(f"{M}_CDSS_2024060108{i:04d}.txt", doc(HDR, records)) for i, records in enumerate(files)
    ]
    batch = parse(uploads)
    assert [
        (r["file_id"], r["record_no"], r["reason"]) for r in batch.rejects.iter_rows(named=True)
    ] == rejected
    assert batch.readings.height == sum(len(records) for records in files) - len(rejected)
    assert_same_as_the_general_path(uploads, batch)


def test_a_full_width_separator_rejects_the_record_with_its_own_reason() -> None:
    batch = parse(golden("full_width"))
    assert reasons(batch) == [(1, "使用了全角分号"), (2, "使用了全角分号")]
    assert batch.readings.get_column("point_code").to_list() == [O2]


def test_junk_values_reject_only_their_record_and_the_file_goes_on() -> None:
    batch = parse(golden("junk"))
    f = only_file(batch)
    assert (f["status"], f["records"], f["rejected"]) == ("accepted", 9, 8)
    assert reasons(batch) == [
        (1, "数值无法识别：abc"),
        (2, "数值无法识别：NaN"),
        (3, "数值为空"),
        (4, "测点状态无法识别：正常"),
        (5, "测点状态无法识别：-1"),
        (6, "数据时间无法识别：2024-13-01 08:35:05"),
        (7, "数据时间为空"),
        (8, "测点编码为空"),
    ]
    assert batch.readings.get_column("point_code").to_list() == [CO]
    first = batch.rejects.row(0, named=True)
    assert (first["name"], first["mine_code"], first["file_type"]) == (
        f"{M}_CDSS_20240601083510.txt",
        M,
        "CDSS",
    )
    assert first["raw"] == f"{CH4};甲烷;1101综采工作面上隅角;abc;%CH4;0;2024-06-01 08:35:05"


@pytest.mark.parametrize(
    ("file_type", "record", "reason"),
    [
        ("CDDY", f"{CH4};01;{OS1};0001;MN;%CH4;四;0;;;;;;;;;;;上隅角;;;;;2024-05-01 10:00:00", "量程上限无法识别：四"),
        ("CDDY", f"{CH4};01;{OS1};0001;MN;%CH4;4;0;;;;;;;;;;;上隅角;;;;;", "定义时间为空"),
        ("CDSS", f"{CH4};甲烷;上隅角;0.5;%CH4;0;24-06-01 08:00:05", "数据时间无法识别：24-06-01 08:00:05"),
        ("CDSS", f"{CH4};甲烷;上隅角;0.5;%CH4;0;2024-06-01T08:00:05", "数据时间无法识别：2024-06-01T08:00:05"),
        ("CDSS", f"{CH4};甲烷;上隅角;0.5;%CH4;99999999999;2024-06-01 08:00:05", "测点状态无法识别：99999999999"),
        ("CDSS", f"{CH4};甲烷;上隅角;1e999;%CH4;0;2024-06-01 08:00:05", "数值无法识别：1e999"),
        ("FZDY", f"{OS1};1101分站;1200", "字段数应为 4～6，实为 3"),
        ("FZDY", f"{OS1};1101分站;1200;850;-400;2024-05-01 10:00:00;x", "字段数应为 4～6，实为 7"),
        ("FZDY", f"{OS1};1101分站;东;850", "X 坐标无法识别：东"),
        ("FZDY", f"{OS1};1101分站;1200;850;高", "Z 坐标无法识别：高"),
        ("FZSS", f"{OS1};0;1", "字段数应为 4，实为 3"),
        ("FZSS", f"{OS1};正常;1;2024-06-01 08:00:00", "分站运行状态无法识别：正常"),
        ("FZSS", f"{OS1};0;;2024-06-01 08:00:00", "供电状态为空"),
        ("TJSJ", f"{CH4};甲烷;上隅角;%CH4;2024-06-01 08:00:00;2024-06-01 08:05:00;0.6;;0.4;2024-06-01 08:01:00;0.5;2024-06-01 08:05:00", "最大值时刻为空"),
        ("YCBJ", f"{CH4};甲烷;上隅角;%CH4;001;;;;;;;;;;;;2024-06-01 08:10:00", "异常开始时间为空"),
        ("YCBJ", f"{CH4};甲烷;上隅角;%CH4;001;2024-06-01 08:03:00;昨天;;;;;;;;;;2024-06-01 08:10:00", "异常结束时间无法识别：昨天"),
    ],
)  # fmt: skip
def test_record_errors_of_each_type(file_type: str, record: str, reason: str) -> None:
    header = (
        HDR if file_type != "CDDY" else f"{M};示例煤矿;KJ95X;监控系统;厂家;2026-12-31;2024-06-01 08:00:10"
    )
    batch = parse([Upload(f"{M}_{file_type}_20240601080010.txt", doc(header, [record]))])
    assert reasons(batch) == [(1, reason)]


def test_unknown_sensor_codes_are_kept_not_rejected() -> None:
    batch = parse([*golden("cddy"), *golden("cdss")])
    assert batch.definitions.filter(pl.col("point_code") == ODD).get_column("sensor_type").to_list() == [
        "0999"
    ]
    assert batch.readings.filter(pl.col("point_code") == ODD).get_column("value").to_list() == [12.5]
    assert batch.rejects.is_empty()


def test_a_header_only_file_is_a_legal_empty_snapshot() -> None:
    batch = parse(golden("empty_snapshot"))
    f = only_file(batch)
    assert (f["status"], f["records"], f["rejected"], f["header_time"]) == (
        "accepted",
        0,
        0,
        t("2024-06-01 08:40:10"),
    )
    assert batch.rejects.is_empty() and batch.outstation_status.is_empty()


def test_an_upper_case_txt_extension_is_accepted() -> None:
    batch = parse(golden("upper_case_txt"))
    assert only_file(batch)["status"] == "accepted"
    assert batch.outstation_status.get_column("outstation_code").to_list() == [OS1]


def test_a_20_character_mine_code_is_read_whole() -> None:
    batch = parse(golden("mine_code_20"))
    f = only_file(batch)
    assert (f["status"], f["mine_code"], f["mine_name"]) == ("accepted", "14000000000000000001", "长编码煤矿")
    assert batch.readings.select("mine_code", "point_code").rows() == [
        ("14000000000000000001", "1400000000000000000101MN000100000001")
    ]


@pytest.mark.parametrize("mine", ["140000001", "14000000001", M, "14000000000000000001"])
def test_mine_code_length_is_not_fixed(mine: str) -> None:
    name = f"{mine}_FZSS_20240601080010.txt"
    parsed = parse_name(name)
    assert parsed is not None and parsed.mine_code == mine
    data = doc(f"{mine};示例煤矿;2024-06-01 08:00:10", [f"{mine}00001;0;1;2024-06-01 08:00:00"])
    batch = parse([Upload(name, data)])
    assert batch.outstation_status.get_column("mine_code").to_list() == [mine]


# --- other families and types -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "family", "file_type", "reason"),
    [
        ("non_coal", "non_coal", "NCDSS", "非煤矿山格式（N 开头的类型，^ 分段，]]] 结尾）暂不支持：NCDSS"),
        ("old_national", "old_national", "AQSS", "旧版国家标准格式（MT/T 1116，文件头 KJ;<表名>|，以 ‖ 结尾）暂不支持：AQSS"),
        ("huainan", "huainan", "AQSS", "淮南（安徽）逐行格式（省;市;县;矿; 前缀）暂不支持：AQSS"),
        ("unknown_type", "A", "AQJC", "未知的文件类型 AQJC"),
    ],
)  # fmt: skip
def test_other_families_and_types_are_quarantined_with_a_reason_naming_them(
    case: str, family: str, file_type: str, reason: str
) -> None:
    uploads = golden(case)
    batch = parse(uploads)
    f = only_file(batch)
    assert (f["status"], f["family"], f["file_type"], f["reason"]) == (
        "quarantined",
        family,
        file_type,
        reason,
    )
    (reject,) = batch.rejects.iter_rows(named=True)
    assert reject["record_no"] is None and reject["reason"] == reason
    assert reject["raw"] == uploads[0].data.decode()[:200]


@pytest.mark.parametrize(
    "file_type", ["RYXX", "RYQY", "RYJZ", "RYSS", "JZSS", "RYCS", "RYCY", "RYQJ", "RYXZ"]
)
def test_every_personnel_positioning_type_is_read(file_type: str) -> None:
    header = HDR if file_type != "RYXX" else f"{M};示例煤矿;300;KJ69J;人员定位系统;厂家;2026-12-31;2024-06-01 08:00:10"
    batch = parse([Upload(f"{M}_{file_type}_20240601080010.txt", doc(header, []))])
    assert (only_file(batch)["status"], only_file(batch)["reason"]) == ("accepted", None)


@pytest.mark.parametrize("file_type", ["NCDDY", "NCDSS", "NRYSS", "NFZSS"])
def test_non_coal_types_are_recognised_by_name(file_type: str) -> None:
    batch = parse([Upload(f"{M}_{file_type}_20240601080010.txt", f"{HDR}^{CH4};0.1^]]]".encode())])
    assert only_file(batch)["family"] == "non_coal"


def test_a_non_coal_file_is_recognised_by_its_end_marker_even_under_a_family_a_name() -> None:
    batch = parse([Upload(f"{M}_CDSS_20240601080010.txt", f"{HDR}^\r\n{CH4};甲烷;0.1^\r\n]]]".encode())])
    assert only_file(batch)["family"] == "non_coal"


@pytest.mark.parametrize(
    ("name", "family"),
    [("340400000001RYSS.txt", "huainan"), ("*AQSS", "huainan"), (f"{M}_RYSS_202406010800.txt", None)],
)
def test_huainan_files_are_recognised_by_the_end_of_their_name(name: str, family: str | None) -> None:
    assert only_file(parse([Upload(name, "潘一矿".encode())]))["family"] == family


def test_an_old_national_file_is_recognised_by_its_header_whatever_its_name() -> None:
    batch = parse([Upload("20240601080010.txt", "KJ;AQMC|140000000001;示例煤矿~‖".encode())])
    f = only_file(batch)
    assert (f["family"], f["file_type"]) == ("old_national", "AQMC")


# --- duplicates, names, headers, encodings -----------------------------------------------------


def test_a_file_sent_twice_in_one_batch_is_counted_once() -> None:
    (upload,) = golden("cdss")
    batch = parse([upload, Upload(upload.name, upload.data)])
    assert batch.files.select("status", "reason").rows() == [
        ("accepted", None),
        ("quarantined", "重复上传的文件"),
    ]
    assert batch.readings.get_column("file_id").unique().to_list() == [0]
    assert batch.readings.height == 4


def test_same_name_with_other_content_is_not_a_duplicate() -> None:
    (upload,) = golden("cdss")
    other = Upload(upload.name, upload.data.replace(b"0.52", b"0.61"))
    batch = parse([upload, other])
    assert batch.files.get_column("status").to_list() == ["accepted", "accepted"]


def test_a_bad_file_name_quarantines_the_file() -> None:
    batch = parse(golden("bad_name"))
    f = only_file(batch)
    assert (f["status"], f["reason"], f["mine_code"], f["file_type"]) == (
        "quarantined",
        "文件名不符合 <矿山编码>_<类型>_<时间>.txt",
        None,
        None,
    )


@pytest.mark.parametrize(
    "name",
    [
        f"{M}_CDSS_2024060108001.txt",
        f"{M}_CDSS_20241301080010.txt",  # month 13
        f"{M}_CDSS_20240601250010.txt",  # hour 25
        f"{M}_cdss_20240601080010.txt",
        "_CDSS_20240601080010.txt",
        f"dir/{M}_CDSS_20240601080010.txt",
        "readme.dat",
        "\udcff.txt",  # a name decoded with surrogate escapes
    ],
)
def test_names_that_do_not_match_the_pattern(name: str) -> None:
    batch = parse([Upload(name, doc(HDR, []))])
    assert only_file(batch)["reason"] == "文件名不符合 <矿山编码>_<类型>_<时间>.txt"


@pytest.mark.parametrize(
    ("suffix", "reason"),
    [
        ("", "文件名缺少扩展名 .txt"),
        (".csv", "文件扩展名应为 .txt，实为 .csv"),
        (".dat", "文件扩展名应为 .txt，实为 .dat"),
        (".Txt", "文件扩展名应为 .txt，实为 .Txt"),
        (".txt.bak", "文件扩展名应为 .txt，实为 .txt.bak"),
    ],
)
def test_a_well_formed_name_with_another_suffix_is_quarantined_naming_the_suffix(
    suffix: str, reason: str
) -> None:
    batch = parse([Upload(f"{M}_CDSS_20240601080010{suffix}", doc(HDR, []))])
    f = only_file(batch)
    assert (f["status"], f["reason"], f["family"]) == ("quarantined", reason, None)


def test_a_header_mine_code_other_than_the_names_quarantines_the_file() -> None:
    batch = parse(golden("mine_mismatch"))
    f = only_file(batch)
    assert (f["status"], f["reason"]) == (
        "quarantined",
        "文件头的煤矿编码 140000000001 与文件名中的 140000000002 不一致",
    )
    assert batch.readings.is_empty()


@pytest.mark.parametrize(
    ("file_type", "header", "reason"),
    [
        ("CDSS", f"{M};示例煤矿", "文件头字段数应为 3，实为 2"),
        ("CDSS", f"{M};示例煤矿;KJ95X;2024-06-01 08:00:10", "文件头字段数应为 3，实为 4"),
        ("CDDY", HDR, "文件头字段数应为 7，实为 3"),
        ("CDSS", f"{M};示例煤矿;2024/06/01 08:00:10", "文件头的数据上传时间无法识别：2024/06/01 08:00:10"),
        ("CDSS", f"{M};示例煤矿;", "文件头的数据上传时间无法识别："),
        ("CDSS", f"{M}；示例煤矿;2024-06-01 08:00:10", "文件头使用了全角分号"),
    ],
)
def test_a_bad_header_quarantines_the_whole_file(file_type: str, header: str, reason: str) -> None:
    record = f"{CH4};甲烷;上隅角;0.5;%CH4;0;2024-06-01 08:00:05"
    batch = parse([Upload(f"{M}_{file_type}_20240601080010.txt", doc(header, [record]))])
    assert (only_file(batch)["status"], only_file(batch)["reason"]) == ("quarantined", reason)


def test_a_file_neither_utf8_nor_gb18030_is_quarantined() -> None:
    data = doc(HDR, []) + b"\xff\x80\xfe"
    batch = parse([Upload(f"{M}_CDSS_20240601080010.txt", data), *golden("cdss")])
    f = batch.files.row(0, named=True)
    assert (f["status"], f["reason"], f["encoding"]) == (
        "quarantined",
        "文件编码无法识别（既不是 UTF-8 也不是 GB18030）",
        None,
    )
    assert batch.rejects.row(0, named=True)["raw"].startswith(HDR)
    assert batch.files.row(1, named=True)["status"] == "accepted"  # the other file of the batch is read


def test_gb18030_and_utf8_files_in_one_batch() -> None:
    batch = parse([*golden("gb18030"), *golden("cdss"), *golden("bom")])
    assert batch.files.get_column("encoding").to_list() == ["gb18030", "utf-8", "utf-8"]
    assert batch.readings.height == 6


# --- invariants (Hypothesis) -------------------------------------------------------------------

NAMES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [f"{M}_{t}_20240601080010.txt" for t in ("CDSS", "CDDY", "FZDY", "FZSS", "TJSJ", "YCBJ", "RYSS")]
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(NAMES, st.binary(max_size=300)), max_size=6))
def test_random_bytes_and_names_never_raise_and_are_accounted_for(items: list[tuple[str, bytes]]) -> None:
    uploads = [Upload(name, data) for name, data in items]
    assert_accounted(uploads, parse_uploads(uploads))


CHINESE = st.sampled_from(
    ["1101综采工作面上隅角", "1101综采工作面回风巷", "東翼运输大巷", "中央变电所", "葉家坪主斜井"]
)
NUMBER = st.one_of(
    st.integers(-500, 5000).map(str), st.floats(-1000, 1000, allow_nan=False).map(lambda v: f"{v:.2f}")
)
TIME = st.datetimes(datetime(2024, 1, 1), datetime(2024, 12, 31)).map(
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
)
STATUS = st.sampled_from(["0", "1", "2", "4", "8", "16", "32", "64", "128", "130"])


def _records(file_type: str) -> st.SearchStrategy[str]:
    point = st.integers(1, 99).map(lambda n: f"{M}01MN0001{n:08d}")
    outstation = st.integers(1, 99).map(lambda n: f"{M}{n:05d}")
    parts: list[st.SearchStrategy[str]]
    if file_type == "CDSS":
        parts = [point, st.just("甲烷"), CHINESE, NUMBER, st.just("%CH4"), STATUS, TIME]
    elif file_type == "CDDY":
        relations = st.one_of(st.just(""), point.map(lambda p: f"D-{p}"), point.map(lambda p: f"B-{p}◇D-{p}"))
        parts = [point, st.just("01"), outstation, st.just("0001"), st.just("MN"), st.just("%CH4"),
                 *[NUMBER] * 10, st.just(""), st.just(""), CHINESE, NUMBER, NUMBER, NUMBER, relations, TIME]  # fmt: skip
    elif file_type == "FZSS":
        parts = [
            outstation,
            st.sampled_from(["0", "1", "2", "9"]),
            st.sampled_from(["0", "1", "2", "9"]),
            TIME,
        ]
    elif file_type == "FZDY":
        parts = [outstation, CHINESE, NUMBER, NUMBER, NUMBER, TIME]
    elif file_type == "TJSJ":
        parts = [
            point,
            st.just("甲烷"),
            CHINESE,
            st.just("%CH4"),
            TIME,
            TIME,
            NUMBER,
            TIME,
            NUMBER,
            TIME,
            NUMBER,
            TIME,
        ]
    else:  # YCBJ
        parts = [point, st.just("甲烷"), CHINESE, st.just("%CH4"), st.just("001"), TIME, st.one_of(st.just(""), TIME),
                 NUMBER, TIME, NUMBER, TIME, NUMBER, st.just(""), st.just(""), st.just(""), st.just(""), TIME]  # fmt: skip
    return st.tuples(*parts).map(";".join)


@st.composite
def valid_files(draw: st.DrawFn) -> tuple[str, str]:
    """(name, text) of a well-formed family-A file."""
    file_type = draw(st.sampled_from(["CDSS", "CDDY", "FZSS", "FZDY", "TJSJ", "YCBJ"]))
    records = draw(st.lists(_records(file_type), max_size=8))
    header = (
        HDR if file_type != "CDDY" else f"{M};葉家坪煤矿;KJ95X;监控系统;厂家;2026-12-31;2024-06-01 08:00:10"
    )
    return f"{M}_{file_type}_20240601080010.txt", "".join(f"{s}~\r\n" for s in [header, *records]) + "||"


def _mutate(text: str, kind: str, rng: random.Random) -> bytes:
    at = rng.randrange(len(text) + 1)
    if kind == "drop_separator" and ";" in text:
        positions = [i for i, c in enumerate(text) if c == ";"]
        i = rng.choice(positions)
        text = text[:i] + text[i + 1 :]
    elif kind == "full_width":
        text = text[:at] + "；" + text[at:]
    elif kind == "cut":
        text = text[:at]
    elif kind == "crlf":
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(["\r", "\n", "\r\n"]) + text[at:]
    elif kind == "junk":
        fields = text.split(";")
        fields[rng.randrange(len(fields))] = rng.choice(["abc", "NaN", "", "inf", "--", "1,5", "２"])
        text = ";".join(fields)
    elif kind == "add_separator":
        text = text[:at] + ";" + text[at:]
    elif kind == "extra_field" and text.count("~") > 1:  # at the end of a record, after the header
        ends = [i for i, c in enumerate(text) if c == "~"][1:]
        i = rng.choice(ends)
        text = text[:i] + ";" + rng.choice(["", "0", "x"]) + text[i:]
    elif kind == "empty_record":
        text = text[:at] + "~" + text[at:]
    elif kind == "foreign" and text.count(M) > 1:  # a code of another mine in a record (not the header)
        i = rng.choice([m.start() for m in re.finditer(M, text)][1:])
        text = text[:i] + OTHER_MINE + text[i + len(M) :]
    elif kind == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    elif kind == "gb18030":
        return text.encode("gb18030")
    return text.encode()


MUTATIONS = [
    "none",
    "drop_separator",
    "add_separator",
    "extra_field",
    "empty_record",
    "full_width",
    "cut",
    "crlf",
    "junk",
    "foreign",
    "bom",
    "gb18030",
]

# Limits and arrivals: record times lie in 2024, headers at 2024-06-01 08:00:10.
LIMITS = st.builds(
    Limits,
    max_bytes=st.one_of(st.none(), st.integers(0, 3000)),
    future_tolerance=st.one_of(st.none(), st.integers(0, 90 * 86400).map(lambda s: timedelta(seconds=s))),
    max_rejected_share=st.one_of(st.none(), st.floats(0, 1)),
)
ARRIVALS = st.lists(
    st.one_of(st.none(), st.datetimes(datetime(2024, 5, 1), datetime(2024, 7, 31))), min_size=8, max_size=8
)


def _options(limits: Limits | None, arrivals: list[datetime | None], n: int) -> dict[str, Any]:
    """parse_uploads' keyword arguments: none at all, or limits with an arrival (or none) per upload."""
    return {} if limits is None else {"limits": limits, "arrivals": arrivals[:n]}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(valid_files(), st.lists(st.sampled_from(MUTATIONS), max_size=3)), min_size=1, max_size=5),
       st.randoms(use_true_random=False), st.one_of(st.none(), LIMITS), ARRIVALS)  # fmt: skip
def test_mutated_valid_files_never_raise_and_are_accounted_for(
    items: list[tuple[tuple[str, str], list[str]]],
    rng: random.Random,
    limits: Limits | None,
    arrivals: list[datetime | None],
) -> None:
    uploads = _mutated(items, rng)
    assert_accounted(uploads, parse_uploads(uploads, **_options(limits, arrivals, len(uploads))))


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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(valid_files(), st.lists(st.sampled_from(MUTATIONS), max_size=2)), min_size=1, max_size=8),
       st.randoms(use_true_random=False), st.one_of(st.none(), LIMITS), ARRIVALS)  # fmt: skip
def test_the_fast_path_reads_exactly_what_record_by_record_checking_reads(
    items: list[tuple[tuple[str, str], list[str]]],
    rng: random.Random,
    limits: Limits | None,
    arrivals: list[datetime | None],
) -> None:
    """Files whose records all look regular are split by the CSV reader (family_a.read_regular); the
    result must be the one of the general path, which judges each record, whatever the input, under
    any limits (a record of another mine or from the future sends its file to the general path)."""
    uploads = _mutated(items, rng)
    options = _options(limits, arrivals, len(uploads))
    fast = parse_uploads(uploads, **options)
    assert_same_as_the_general_path(uploads, fast, **options)


@settings(max_examples=100, deadline=None)
@given(valid_files(), st.sampled_from(["none", "crlf", "bom", "gb18030"]), st.randoms(use_true_random=False))
def test_line_breaks_bom_and_gb18030_change_nothing_that_is_read(
    file: tuple[str, str], kind: str, rng: random.Random
) -> None:
    name, text = file
    plain = parse_uploads([Upload(name, text.encode())])
    noisy = parse_uploads([Upload(name, _mutate(text, kind, rng))])
    assert only_file(plain)["status"] == "accepted" and plain.rejects.is_empty()
    assert only_file(noisy)["encoding"] == ("gb18030" if kind == "gb18030" else "utf-8")
    for table in (*DATA_TABLES, "rejects"):
        assert getattr(noisy, table).equals(getattr(plain, table)), table
    keep = pl.exclude("sha256", "encoding")
    assert noisy.files.select(keep).equals(plain.files.select(keep))
