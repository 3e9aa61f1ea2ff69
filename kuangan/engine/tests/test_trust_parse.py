"""Trust in the mines' files (kuangan.engine.formats.Limits, the drop folder): a file larger than the
limit is not read, a clock ahead of the file's arrival moves no time, one mine's file speaks only for
that mine, a mostly bad file is quarantined whole, and the drop folder hands over every file."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from kuangan.engine import schema
from kuangan.engine.formats import Limits, ParsedBatch, Upload, envelope, parse_uploads
from kuangan.engine.io import drop_folder
from kuangan.engine.io.drop_folder import DropFolder
from kuangan.engine.simulate import MineSpec, simulate
from kuangan.engine.tests.factories import MINE, code
from kuangan.engine.tests.test_formats import assert_accounted, assert_same_as_the_general_path

pytestmark = pytest.mark.nodb

OTHER = "141129000002"
HEADER_TIME = datetime(2024, 6, 1, 8, 0, 10)
ARRIVAL = HEADER_TIME + timedelta(seconds=5)
STAMP = HEADER_TIME.strftime("%Y%m%d%H%M%S")
CH4, CO = code("0001", 1), code("0004", 2)
FOREIGN_CH4 = code("0001", 1, mine=OTHER)
SWITCH = code("1009", 4, "KG")
FOREIGN_SWITCH = code("1009", 4, "KG", mine=OTHER)
TRUST = Limits(max_bytes=2**20, future_tolerance=timedelta(seconds=600), max_rejected_share=0.5)


def header(mine: str = MINE, at: datetime = HEADER_TIME, file_type: str = "CDSS") -> str:
    upload = at.strftime(envelope.TIME_FORMAT)
    if file_type == "CDDY":
        return f"{mine};示例煤矿;KJ95X;监控系统;厂家;2026-12-31;{upload}"
    return f"{mine};示例煤矿;{upload}"


def upload(file_type: str, records: list[str], *, mine: str = MINE, at: datetime = HEADER_TIME) -> Upload:
    text = "".join(f"{s}~\r\n" for s in [header(mine, at, file_type), *records]) + "||"
    return Upload(f"{mine}_{file_type}_{at:%Y%m%d%H%M%S}.txt", text.encode())


def reading(point: str = CH4, value: str = "0.52", at: str = "2024-06-01 08:00:05") -> str:
    return f"{point};甲烷;1101综采工作面上隅角;{value};%CH4;0;{at}"


def definition(
    point: str = CH4,
    outstation: str = f"{MINE}00001",
    relations: str = "",
    defined_at: str = "2024-05-01 10:00:00",
) -> str:
    return (f"{point};01;{outstation};0001;MN;%CH4;4;0;1;0.8;;;1.5;1;;;;;1101综采工作面上隅角;1;2;3;{relations};"
            f"{defined_at}")  # fmt: skip


def parse(uploads: list[Upload], **options: Any) -> ParsedBatch:
    """Parsed, accounted for, and the same by the fast path as record by record."""
    batch = parse_uploads(uploads, **options)
    assert_accounted(uploads, batch)
    assert_same_as_the_general_path(uploads, batch, **options)
    return batch


def file_row(batch: ParsedBatch, file_id: int = 0) -> dict[str, Any]:
    return batch.files.row(file_id, named=True)


def reasons(batch: ParsedBatch) -> list[tuple[int, int | None, str]]:
    return [(r["file_id"], r["record_no"], r["reason"]) for r in batch.rejects.iter_rows(named=True)]


# --- the interface -----------------------------------------------------------------------------------


def test_files_carry_the_arrival_and_the_count_of_foreign_records() -> None:
    assert schema.FILES["arrival"] == schema.TIME and schema.FILES["foreign"] == pl.UInt32
    batch = parse([upload("CDSS", [reading()]), upload("FZSS", [])], arrivals=[ARRIVAL, None], limits=TRUST)
    assert batch.files.select("arrival", "foreign").rows() == [(ARRIVAL, 0), (None, 0)]


def test_without_limits_only_the_mine_code_is_checked() -> None:
    uploads = [upload("CDSS", [reading(at="2030-01-01 00:00:00"), reading(FOREIGN_CH4)] * 40)]
    for batch in (parse(uploads), parse(uploads, arrivals=[ARRIVAL])):  # no tolerance: no clock check
        assert (batch.readings.height, batch.rejects.height, file_row(batch)["foreign"]) == (40, 40, 40)


def test_bad_arguments_are_errors_of_the_caller() -> None:
    with pytest.raises(ValueError, match="arrivals"):
        parse_uploads([upload("CDSS", [])], arrivals=[])
    with pytest.raises(ValueError, match="naive"):
        parse_uploads([upload("CDSS", [])], arrivals=[datetime(2024, 6, 1, 8, tzinfo=UTC)])
    with pytest.raises(ValueError):
        Limits(max_rejected_share=1.5)
    with pytest.raises(ValueError):
        Limits(future_tolerance=timedelta(seconds=-1))
    with pytest.raises(ValueError):
        Upload("a.txt", b"abc", size=2)
    with pytest.raises(ValueError, match="digest"):
        Upload("a.txt", b"abc", size=10)


# --- simulated mines pass every limit -------------------------------------------------------------------


def test_simulated_files_arriving_on_time_pass_every_limit_unchanged() -> None:
    mines = [
        MineSpec(MINE, "测试一号煤矿", points=12, outstations=2),
        MineSpec(OTHER, "测试二号煤矿", points=12, outstations=2),
    ]
    files = list(simulate(mines, datetime(2024, 6, 3, 8, 0), datetime(2024, 6, 3, 8, 10)))
    uploads = [Upload(name, data) for name, data in files]
    arrivals = [envelope.parse_name(u.name).stamp + timedelta(seconds=3) for u in uploads]  # type: ignore[union-attr]
    trusted = parse(uploads, arrivals=arrivals, limits=TRUST)
    plain = parse_uploads(uploads)
    assert set(trusted.files.get_column("status")) == {"accepted"}
    assert trusted.rejects.is_empty() and trusted.files.get_column("foreign").sum() == 0
    assert trusted.definitions.get_column("relations").str.contains("D-", literal=True).any()
    for table in ("definitions", "readings", "outstations", "outstation_status", "statistics", "events"):
        assert getattr(trusted, table).equals(getattr(plain, table)), table


# --- size ----------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_quarantined_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    big = upload("CDSS", [reading()] * 20_000)
    assert len(big.data) > 2**20
    decoded: list[list[bytes]] = []
    decode_all = envelope.decode_all
    monkeypatch.setattr(envelope, "decode_all", lambda datas: decoded.append(datas) or decode_all(datas))
    batch = parse([big, upload("CDSS", [reading()], at=HEADER_TIME + timedelta(seconds=30))], limits=TRUST)
    f = file_row(batch)
    assert (f["status"], f["reason"], f["encoding"], f["records"], f["mine_code"], f["file_type"]) == (
        "quarantined", "文件超过大小上限（1 MB）", None, 0, MINE, "CDSS",
    )  # fmt: skip
    assert decoded[0][0] == b""  # not decoded
    (reject,) = batch.rejects.iter_rows(named=True)
    assert reject["raw"] == big.data.decode()[:200]
    assert batch.readings.get_column("file_id").to_list() == [1]  # the other file is read


def test_a_size_limit_below_one_mb_is_given_in_bytes() -> None:
    batch = parse([upload("CDSS", [reading()] * 20)], limits=Limits(max_bytes=1000))
    assert file_row(batch)["reason"] == "文件超过大小上限（1000 字节）"


def test_an_upload_of_a_files_beginning_is_known_by_the_whole_files_digest_and_never_parsed() -> None:
    whole = upload("CDSS", [reading()] * 100)
    head = Upload(
        whole.name, whole.data[:1000], size=len(whole.data), digest=hashlib.sha256(whole.data).hexdigest()
    )
    assert head.sha256 == whole.sha256 and head.partial and head.nbytes == len(whole.data)
    assert not Upload("a.txt", b"abc").partial and Upload("a.txt", b"abc").nbytes == 3
    too_large = parse([head], limits=Limits(max_bytes=1000))
    assert file_row(too_large)["reason"] == "文件超过大小上限（1000 字节）"
    unlimited = parse([head])  # cut short for a limit the parser was not given: still not read as a whole
    assert file_row(unlimited)["reason"] == f"只收到文件的前 1000 字节（共 {len(whole.data)} 字节），未解析"
    assert unlimited.readings.is_empty()


# --- clocks --------------------------------------------------------------------------------------------


def test_a_header_ahead_of_the_arrival_is_a_clock_fault_and_the_file_is_quarantined() -> None:
    late_clock = upload("CDSS", [reading()])
    arrival = HEADER_TIME - timedelta(minutes=11)
    batch = parse([late_clock], arrivals=[arrival], limits=TRUST)
    f = file_row(batch)
    assert (f["status"], f["reason"], f["arrival"]) == (
        "quarantined",
        "文件头时间 2024-06-01 08:00:10 超前于到达时间 2024-06-01 07:49:10（超过 600 秒）：时钟故障，未采用",
        arrival,
    )
    assert batch.readings.is_empty()
    # up to the tolerance it is a clock a little fast, accepted
    on_the_edge = parse([late_clock], arrivals=[HEADER_TIME - timedelta(minutes=10)], limits=TRUST)
    assert file_row(on_the_edge)["status"] == "accepted"


def test_a_record_ahead_of_the_arrival_is_rejected_and_the_rest_of_the_file_read() -> None:
    records = [reading(CH4), reading(CO, at="2024-06-01 08:20:00")]
    batch = parse([upload("CDSS", records)], arrivals=[ARRIVAL], limits=TRUST)
    assert reasons(batch) == [(0, 2, "数据时间 2024-06-01 08:20:00 超前于到达时间（超过 600 秒）")]
    assert batch.readings.get_column("point_code").to_list() == [CH4]
    assert (file_row(batch)["rejected"], file_row(batch)["foreign"]) == (1, 0)


@pytest.mark.parametrize(
    ("file_type", "record", "reason"),
    [
        ("CDDY", definition(defined_at="2024-06-02 00:00:00"), "定义时间 2024-06-02 00:00:00 超前于到达时间（超过 600 秒）"),
        ("FZSS", f"{MINE}00001;0;1;2024-06-02 00:00:00", "数据时间 2024-06-02 00:00:00 超前于到达时间（超过 600 秒）"),
        ("FZDY", f"{MINE}00001;分站;1;2;3;2024-06-02 00:00:00", "数据时间 2024-06-02 00:00:00 超前于到达时间（超过 600 秒）"),
        ("TJSJ", f"{CH4};甲烷;上隅角;%CH4;2024-06-01 08:00:00;2024-06-01 08:05:00;0.6;2024-06-01 08:01:00;0.4;"
                 "2024-06-01 08:02:00;0.5;2024-06-02 00:00:00", "数据时间 2024-06-02 00:00:00 超前于到达时间（超过 600 秒）"),
        ("YCBJ", f"{CH4};甲烷;上隅角;%CH4;001;2024-06-01 08:03:00;;;;;;;;;;;2024-06-02 00:00:00",
         "数据时间 2024-06-02 00:00:00 超前于到达时间（超过 600 秒）"),
    ],
)  # fmt: skip
def test_every_type_judges_its_records_time_against_the_arrival(
    file_type: str, record: str, reason: str
) -> None:
    records = [record, record.replace("2024-06-02 00:00:00", "2024-06-01 08:00:00")]
    batch = parse([upload(file_type, records)], arrivals=[ARRIVAL], limits=TRUST)
    assert reasons(batch) == [(0, 1, reason)]
    assert parse([upload(file_type, records)], arrivals=[None], limits=TRUST).rejects.is_empty()  # no arrival


# --- one mine speaks only for itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_type", "record", "foreign"),
    [
        ("CDSS", reading(FOREIGN_CH4), FOREIGN_CH4),
        ("FZSS", f"{OTHER}00001;0;1;2024-06-01 08:00:00", f"{OTHER}00001"),
        ("FZDY", f"{OTHER}00001;分站;1;2", f"{OTHER}00001"),
        ("TJSJ", f"{FOREIGN_CH4};甲烷;上隅角;%CH4;2024-06-01 08:00:00;2024-06-01 08:05:00;0.6;2024-06-01 08:01:00;"
                 "0.4;2024-06-01 08:02:00;0.5;2024-06-01 08:05:00", FOREIGN_CH4),
        ("YCBJ", f"{FOREIGN_CH4};甲烷;上隅角;%CH4;001;2024-06-01 08:03:00;;;;;;;;;;;2024-06-01 08:05:00", FOREIGN_CH4),
        ("CDDY", definition(FOREIGN_CH4), FOREIGN_CH4),
        ("CDDY", definition(outstation=f"{OTHER}00001"), f"{OTHER}00001"),
        ("CDDY", definition(relations=f"D-{FOREIGN_SWITCH}"), FOREIGN_SWITCH),
        ("CDDY", definition(relations=f"B-{SWITCH}◇D-{FOREIGN_SWITCH}"), FOREIGN_SWITCH),
        ("CDDY", definition(relations=f"ZD-{FOREIGN_SWITCH}"), FOREIGN_SWITCH),  # what the feed rule reads too
    ],
)  # fmt: skip
def test_a_record_naming_another_mines_code_is_rejected_and_counted(
    file_type: str, record: str, foreign: str
) -> None:
    records = [record, record.replace(OTHER, MINE)]  # the same record of the file's own mine is read
    batch = parse([upload(file_type, records)], limits=Limits(max_rejected_share=0.5))
    assert reasons(batch) == [(0, 1, f"属于其他矿井的测点：{foreign}")]
    f = file_row(batch)
    assert (f["status"], f["records"], f["rejected"], f["foreign"]) == ("accepted", 2, 1, 1)
    table = {"CDSS": "readings", "CDDY": "definitions", "FZSS": "outstation_status", "FZDY": "outstations",
             "TJSJ": "statistics", "YCBJ": "events"}[file_type]  # fmt: skip
    assert getattr(batch, table).get_column("file_id").to_list() == [0]


def test_a_foreign_record_is_foreign_whatever_else_is_wrong_with_it() -> None:
    batch = parse([upload("CDSS", [reading(FOREIGN_CH4, value="abc"), reading(CH4, value="abc")])])
    assert reasons(batch) == [(0, 1, f"属于其他矿井的测点：{FOREIGN_CH4}"), (0, 2, "数值无法识别：abc")]
    assert (file_row(batch)["rejected"], file_row(batch)["foreign"]) == (2, 1)


def test_the_reason_constant_for_others() -> None:
    assert envelope.REASON_FOREIGN == "属于其他矿井的测点"


# --- mostly bad files ------------------------------------------------------------------------------------


def test_a_mostly_bad_file_is_quarantined_whole_with_counts_per_reason() -> None:
    records = [reading(value="abc")] * 6 + [reading(FOREIGN_CH4)] * 3 + [reading(CH4)]
    good = upload("CDSS", [reading(CO)], at=HEADER_TIME + timedelta(seconds=30))
    batch = parse([upload("CDSS", records), good], limits=TRUST)
    f = file_row(batch)
    assert (f["status"], f["reason"], f["records"], f["rejected"], f["foreign"]) == (
        "quarantined",
        "无效记录过多（9/10 条，超过 50%）：数值无法识别 6 条；属于其他矿井的测点 3 条",
        10,
        9,
        3,
    )
    assert reasons(batch) == [(0, None, f["reason"])]  # one row for the file, none per record
    assert batch.readings.get_column("file_id").to_list() == [1]  # the other file of the batch is read


def test_a_large_junk_file_leaves_one_reject_row() -> None:
    junk = upload("CDSS", [reading(value="abc")] * 20_000 + [reading()] * 10)
    batch = parse([junk], limits=Limits(max_rejected_share=0.5))
    assert batch.rejects.height == 1 and batch.readings.is_empty()
    assert file_row(batch)["reason"] == "无效记录过多（20000/20010 条，超过 50%）：数值无法识别 20000 条"


@pytest.mark.parametrize("bad", [4, 5])  # 40 %, and exactly the limit: not more than it
def test_a_file_with_some_bad_records_is_still_read(bad: int) -> None:
    records = [reading(value="abc")] * bad + [reading(FOREIGN_CH4)] + [reading(CH4)] * (9 - bad)
    batch = parse([upload("CDSS", records)], limits=Limits(max_rejected_share=0.6))
    f = file_row(batch)
    assert (f["status"], f["rejected"], f["foreign"]) == ("accepted", bad + 1, 1)
    assert batch.readings.height == 9 - bad and batch.rejects.height == bad + 1


def test_records_ahead_of_the_arrival_count_towards_a_mostly_bad_file() -> None:
    records = [reading(at="2024-06-02 00:00:00")] * 2 + [reading()]
    batch = parse([upload("CDSS", records)], arrivals=[ARRIVAL], limits=TRUST)
    assert file_row(batch)["reason"] == "无效记录过多（2/3 条，超过 50%）：数据时间超前于到达时间 2 条"


# --- the drop folder --------------------------------------------------------------------------------------


def test_the_drop_folder_hands_over_every_file_but_hidden_ones(tmp_path: Path) -> None:
    good = upload("CDSS", [reading()])
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / good.name).write_bytes(good.data)
    (tmp_path / "a" / f"{MINE}_CDSS_{STAMP}.csv").write_bytes(good.data)
    (tmp_path / "a" / "readme.dat").write_bytes(b"hello")
    (tmp_path / f".{good.name}.part").write_bytes(good.data)  # being written
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / good.name).write_bytes(good.data)
    (tmp_path / "link.txt").symlink_to(tmp_path / "a" / good.name)
    os.mkfifo(tmp_path / "fifo.txt")
    found = DropFolder(tmp_path).scan()
    assert sorted(d.upload.name for d in found) == sorted(
        [good.name, f"{MINE}_CDSS_{STAMP}.csv", "readme.dat"]
    )
    batch = parse([d.upload for d in found])
    by_name = {r["name"]: (r["status"], r["reason"]) for r in batch.files.iter_rows(named=True)}
    assert by_name == {
        good.name: ("accepted", None),
        f"{MINE}_CDSS_{STAMP}.csv": ("quarantined", "文件扩展名应为 .txt，实为 .csv"),
        "readme.dat": ("quarantined", "文件名不符合 <矿山编码>_<类型>_<时间>.txt"),
    }


def test_first_seen_is_the_first_scan_that_saw_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {"now": 1000.0}
    monkeypatch.setattr(drop_folder.time, "time", lambda: clock["now"])
    first = tmp_path / f"{MINE}_CDSS_{STAMP}.txt"
    first.write_bytes(b"half written")
    os.utime(first, (900.0, 900.0))
    folder = DropFolder(tmp_path)
    (d,) = folder.scan()
    assert (d.first_seen, d.age_s) == (1000.0, 100.0)
    clock["now"] = 2000.0
    second = tmp_path / f"{MINE}_FZSS_{STAMP}.txt"
    second.write_bytes(b"another")
    os.utime(second, (1900.0, 1900.0))
    seen = {d.path: d for d in folder.scan()}
    assert (seen[first].first_seen, seen[first].age_s) == (1000.0, 1100.0)  # age from mtime, for giving up
    assert seen[second].first_seen == 2000.0
    folder.consume(seen[first])
    clock["now"] = 3000.0
    first.write_bytes(b"sent again")  # the same path once consumed is a new file
    assert {d.path: d.first_seen for d in folder.scan()} == {first: 3000.0, second: 2000.0}


def test_the_drop_folder_reads_only_the_beginning_of_a_file_over_max_bytes(tmp_path: Path) -> None:
    big = upload("CDSS", [reading()] * 5000)
    (tmp_path / big.name).write_bytes(big.data)
    (d,) = DropFolder(tmp_path).scan(max_bytes=100_000)
    assert len(big.data) > 100_000
    assert d.upload.data == big.data[: drop_folder.HEAD_BYTES]
    assert (d.upload.nbytes, d.upload.sha256) == (len(big.data), big.sha256)
    batch = parse([d.upload], limits=Limits(max_bytes=100_000))
    assert file_row(batch)["reason"] == "文件超过大小上限（100000 字节）"
    (whole,) = DropFolder(tmp_path).scan(max_bytes=len(big.data))
    assert whole.upload == big


def test_the_drop_folder_reads_at_most_limit_files_in_header_order(tmp_path: Path) -> None:
    names = [f"{MINE}_CDSS_2024060108{m:02d}00.txt" for m in (3, 1, 2)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    assert [d.upload.name for d in DropFolder(tmp_path).scan(limit=2)] == sorted(names)[:2]
