"""kuangan's own CSV files (docs/formats-kuangan.md) through `parse_uploads`: YDSJ power use and DZFT
seals. Golden files field by field with every bad input, names and suffixes, headers, quoting, line ends,
encodings, the trust rules and Hypothesis invariants."""

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
from kuangan.engine.formats import Limits, ParsedBatch, Upload, kuangan_csv, parse_uploads
from kuangan.engine.formats.envelope import parse_name
from kuangan.engine.tests.test_formats import ARRIVALS, LIMITS, _options, assert_accounted

pytestmark = pytest.mark.nodb

GOLDEN = Path(__file__).parent / "golden"
M, OTHER = "140000000001", "140000000002"
STAMP = datetime(2024, 6, 1, 8, 15, 0)
POWER_HEADER = "电表编码,开始时间,结束时间,用电量(kWh)"
SEAL_HEADER = "封条编码,位置,事件,时间,人数,车辆数"
METER = f"{M}M01"
GOOD_POWER = f"{METER},2024-06-01 08:00:00,2024-06-01 08:15:00,125.5"
GOOD_SEAL = f"{M}S01,主斜井井口,人员靠近,2024-06-01 08:05:00,2,0"


def t(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def golden(case: str) -> list[Upload]:
    return [Upload(p.name, p.read_bytes()) for p in sorted((GOLDEN / case).iterdir())]


def csv(
    file_type: str,
    lines: list[str],
    *,
    header: str | None = None,
    at: datetime = STAMP,
    suffix: str = ".csv",
    newline: str = "\r\n",
    mine: str = M,
) -> Upload:
    if header is None:
        header = POWER_HEADER if file_type == "YDSJ" else SEAL_HEADER
    text = newline.join([header, *lines]) + newline
    return Upload(f"{mine}_{file_type}_{at:%Y%m%d%H%M%S}{suffix}", text.encode())


def parse(uploads: list[Upload], **options: Any) -> ParsedBatch:
    batch = parse_uploads(uploads, **options)
    assert_accounted(uploads, batch)
    return batch


def only_file(batch: ParsedBatch) -> dict[str, Any]:
    assert batch.files.height == 1
    return batch.files.row(0, named=True)


def reasons(batch: ParsedBatch) -> list[tuple[int | None, str]]:
    return [(r["record_no"], r["reason"]) for r in batch.rejects.iter_rows(named=True)]


# --- golden files --------------------------------------------------------------------------------------------


def test_ydsj_power_use_field_by_field_with_every_bad_input() -> None:
    batch = parse(golden("ydsj"))
    f = only_file(batch)
    assert (f["status"], f["family"], f["file_type"], f["mine_code"], f["mine_name"], f["header_time"]) == (
        "accepted", "kuangan", "YDSJ", M, None, STAMP,
    )  # fmt: skip
    assert (f["records"], f["rejected"], f["foreign"], f["encoding"]) == (14, 11, 1, "utf-8")
    start, end = t("2024-06-01 08:00:00"), t("2024-06-01 08:15:00")
    assert batch.power.to_dicts() == [
        {"file_id": 0, "mine_code": M, "meter_code": METER, "start": start, "end": end, "kwh": 125.5,
         "header_time": STAMP},
        # a quoted code; zero kWh is a reading
        {"file_id": 0, "mine_code": M, "meter_code": f"{M}M02", "start": start, "end": end, "kwh": 0.0,
         "header_time": STAMP},
        # blanks around fields are dropped; an exponent is a number
        {"file_id": 0, "mine_code": M, "meter_code": f"{M}M03", "start": start, "end": end, "kwh": 300.0,
         "header_time": STAMP},
    ]  # fmt: skip
    assert reasons(batch) == [
        (4, f"属于其他矿井的测点：{OTHER}M01"),
        (5, "开始时间无法识别：2024/06/01 08:00:00"),
        (6, "结束时间不晚于开始时间：2024-06-01 08:15:00 ～ 2024-06-01 08:15:00"),
        (7, "结束时间不晚于开始时间：2024-06-01 08:15:00 ～ 2024-06-01 08:00:00"),
        (8, "用电量无法识别（应为不小于 0 的数）：-1"),
        (9, "用电量无法识别（应为不小于 0 的数）：abc"),
        (10, "用电量无法识别（应为不小于 0 的数）：NaN"),
        (11, "用电量为空"),
        (12, "字段数应为 4，实为 3"),
        (13, "字段数应为 4，实为 5"),  # a comma after the last field is a fifth, empty field
        (14, "电表编码为空"),  # the blank line before it is no record
    ]
    assert batch.rejects.row(0, named=True)["raw"] == f"{OTHER}M01,2024-06-01 08:00:00,2024-06-01 08:15:00,10"


def test_dzft_seals_field_by_field_with_quoting_and_every_bad_input() -> None:
    batch = parse(golden("dzft"))
    f = only_file(batch)
    assert (f["status"], f["family"], f["file_type"], f["records"], f["rejected"], f["foreign"]) == (
        "accepted", "kuangan", "DZFT", 9, 6, 1,
    )  # fmt: skip
    assert batch.seals.drop("file_id", "mine_code", "header_time").rows() == [
        # a comma inside quotes, doubled quotes inside quotes
        (f"{M}S01", "主斜井井口,东侧", '人员"靠近"', t("2024-06-01 08:05:00"), 2, 0),
        # a line break inside quotes is part of the field
        (f"{M}S02", "副立井井口", "车辆进入\n（夜间）", t("2024-06-01 08:06:00"), 0, 1),
        # no event
        (f"{M}S03", "风井井口", None, t("2024-06-01 08:07:00"), 0, 0),
    ]
    assert reasons(batch) == [
        (4, "人数无法识别（应为不小于 0 的整数）：1.5"),
        (5, "车辆数无法识别（应为不小于 0 的整数）：-1"),
        (6, "人数为空"),
        (7, "时间无法识别：昨天"),
        (8, f"属于其他矿井的测点：{OTHER}S01"),
        (9, "字段数应为 6，实为 5"),
    ]


def test_a_gb18030_csv_file_is_decoded_and_recorded() -> None:
    batch = parse(golden("csv_gb18030"))
    f = only_file(batch)
    assert (f["status"], f["encoding"]) == ("accepted", "gb18030")
    assert batch.power.select("meter_code", "kwh").rows() == [(METER, 98.25)]


def test_a_rejected_record_shows_its_fields_as_csv_writes_them() -> None:
    batch = parse([csv("DZFT", [f'{M}S01,"井口,东","说""有人""",2024-06-01 08:05:00,x,0'])])
    assert batch.rejects.row(0, named=True)["raw"] == f'{M}S01,"井口,东","说""有人""",2024-06-01 08:05:00,x,0'


# --- lines, encodings, headers --------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"])
def test_any_line_end_reads_the_same(newline: str) -> None:
    lines = [GOOD_POWER, "", f"{M}M02,2024-06-01 08:00:00,2024-06-01 08:15:00,x"]
    plain = parse([csv("YDSJ", lines, newline="\r\n")])
    batch = parse([csv("YDSJ", lines, newline=newline)])
    for table in ("power", "rejects"):
        assert getattr(batch, table).equals(getattr(plain, table)), table
    assert (only_file(batch)["records"], only_file(batch)["rejected"]) == (2, 1)


def test_the_last_line_needs_no_line_end_and_a_bom_is_dropped() -> None:
    upload = Upload(f"{M}_YDSJ_20240601081500.csv", ("\ufeff" + POWER_HEADER + "\n" + GOOD_POWER).encode())
    batch = parse([upload])
    assert (only_file(batch)["status"], batch.power.get_column("kwh").to_list()) == ("accepted", [125.5])


@pytest.mark.parametrize(
    ("file_type", "header"),
    [
        ("YDSJ", "meter_code,start,end,kwh"),
        ("YDSJ", " Meter_Code , START,End,KWH"),
        ("YDSJ", "电表编码, 开始时间 ,结束时间,用电量（kWh）"),
        ("YDSJ", '"电表编码","开始时间","结束时间","用电量(kWh)"'),
        ("DZFT", "seal_code,place,event,time,people,vehicles"),
        ("DZFT", SEAL_HEADER),
    ],
)
def test_the_chinese_or_the_english_header(file_type: str, header: str) -> None:
    line = GOOD_POWER if file_type == "YDSJ" else GOOD_SEAL
    batch = parse([csv(file_type, [line], header=header)])
    assert (only_file(batch)["status"], only_file(batch)["records"], batch.rejects.is_empty()) == ("accepted", 1, True)


@pytest.mark.parametrize(
    ("file_type", "header"),
    [
        ("YDSJ", "开始时间,电表编码,结束时间,用电量(kWh)"),  # another order
        ("YDSJ", "电表编码,开始时间,结束时间"),
        ("YDSJ", SEAL_HEADER),
        ("YDSJ", GOOD_POWER),  # no header line at all: the first record is taken for it
        ("DZFT", "seal_code,place,event,time,people"),
    ],
)
def test_any_other_first_line_quarantines_the_file_naming_both_headers(file_type: str, header: str) -> None:
    line = GOOD_POWER if file_type == "YDSJ" else GOOD_SEAL
    batch = parse([csv(file_type, [line], header=header)])
    layout = kuangan_csv.LAYOUTS[file_type]
    assert (only_file(batch)["status"], only_file(batch)["reason"]) == (
        "quarantined",
        f"表头应为“{layout.header}”或“{layout.english_header}”，实为“{header}”",
    )
    assert batch.power.is_empty() and batch.seals.is_empty()


@pytest.mark.parametrize("data", [b"", b"\r\n", b"  \n\n"])
def test_an_empty_file_is_quarantined(data: bytes) -> None:
    batch = parse([Upload(f"{M}_YDSJ_20240601081500.csv", data)])
    assert (only_file(batch)["status"], only_file(batch)["reason"]) == ("quarantined", "文件为空（缺少表头行）")


def test_a_header_only_file_is_accepted_with_no_record() -> None:
    batch = parse([csv("DZFT", [])])
    assert (only_file(batch)["status"], only_file(batch)["records"]) == ("accepted", 0)


@pytest.mark.parametrize(
    "line",
    [
        f'{M}S01,"主斜井井口,2024-06-01 08:05:00,2,0',  # a quote never closed
        f'{M}S01,"主斜井"井口,人员靠近,2024-06-01 08:05:00,2,0',  # text after a closing quote
    ],
)
def test_broken_quoting_quarantines_the_file_with_a_reason(line: str) -> None:
    batch = parse([csv("DZFT", [GOOD_SEAL, line, GOOD_SEAL])])
    assert (only_file(batch)["status"], only_file(batch)["reason"]) == ("quarantined", kuangan_csv.REASON_QUOTES)


def test_a_record_with_very_many_fields_says_so() -> None:
    batch = parse([csv("YDSJ", [GOOD_POWER + ",x" * 30])])
    assert reasons(batch) == [(1, "字段数应为 4，实为 21 个以上")]


def test_a_file_holding_every_marker_character_is_quarantined() -> None:
    junk = "".join(kuangan_csv.MARKERS)
    batch = parse([csv("DZFT", [GOOD_SEAL.replace("人员靠近", junk)])])
    assert only_file(batch)["reason"] == "文件含有过多控制字符，无法读取"
    batch = parse([csv("DZFT", [GOOD_SEAL.replace("人员靠近", junk[1:])])])  # one left: read
    assert batch.seals.get_column("event").to_list() == [junk[1:]]


# --- names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (f"{M}_YDSJ_20240601081500.txt", "YDSJ 文件的扩展名应为 .csv（kuangan CSV 格式），实为 .txt"),
        (f"{M}_DZFT_20240601081500.TXT", "DZFT 文件的扩展名应为 .csv（kuangan CSV 格式），实为 .TXT"),
        (f"{M}_YDSJ_20240601081500.Csv", "YDSJ 文件的扩展名应为 .csv（kuangan CSV 格式），实为 .Csv"),
        (f"{M}_YDSJ_20240601081500", "YDSJ 文件名缺少扩展名 .csv（kuangan CSV 格式）"),
        (f"{M}_YDSJ_20241301081500.csv", "文件名不符合 <矿山编码>_<类型>_<时间>.csv"),  # month 13
        (f"{M}_CDSS_20240601081500.csv", "文件扩展名应为 .txt，实为 .csv"),
        (f"{M}_RYSS_20240601081500.CSV", "文件扩展名应为 .txt，实为 .CSV"),
        (f"{M}_ydsj_20240601081500.csv", "文件名不符合 <矿山编码>_<类型>_<时间>.txt"),
    ],
)
def test_csv_only_for_the_csv_types_and_only_csv(name: str, reason: str) -> None:
    batch = parse([Upload(name, f"{POWER_HEADER}\n{GOOD_POWER}\n".encode())])
    assert (only_file(batch)["status"], only_file(batch)["reason"]) == ("quarantined", reason)
    assert parse_name(name) is None


def test_an_upper_case_csv_suffix_is_accepted_and_the_name_gives_mine_and_time() -> None:
    batch = parse([csv("YDSJ", [GOOD_POWER], suffix=".CSV", at=datetime(2024, 6, 2, 0, 0, 1))])
    f = only_file(batch)
    assert (f["status"], f["mine_code"], f["header_time"]) == ("accepted", M, datetime(2024, 6, 2, 0, 0, 1))
    name = parse_name(f["name"])
    assert name is not None and (name.family, name.file_type) == ("kuangan", "YDSJ")


# --- trust ----------------------------------------------------------------------------------------------------

TRUST = Limits(max_bytes=2**20, future_tolerance=timedelta(seconds=600), max_rejected_share=0.5)


def test_a_record_time_ahead_of_the_arrival_is_a_clock_fault() -> None:
    power = csv("YDSJ", [GOOD_POWER, f"{METER},2024-06-01 08:15:00,2024-06-01 08:40:00,1"])
    seals = csv("DZFT", [GOOD_SEAL, f"{M}S01,井口,人员靠近,2024-06-01 08:40:00,1,0"])
    batch = parse([power, seals], arrivals=[STAMP, STAMP], limits=TRUST)
    assert [(r["file_id"], r["record_no"], r["reason"]) for r in batch.rejects.iter_rows(named=True)] == [
        (0, 2, "结束时间 2024-06-01 08:40:00 超前于到达时间（超过 600 秒）"),
        (1, 2, "时间 2024-06-01 08:40:00 超前于到达时间（超过 600 秒）"),
    ]
    assert (batch.power.height, batch.seals.height) == (1, 1)
    assert parse([power, seals]).rejects.is_empty()  # no limits: no clock check


def test_a_name_time_ahead_of_the_arrival_quarantines_the_file() -> None:
    arrival = STAMP - timedelta(minutes=11)
    batch = parse([csv("YDSJ", [GOOD_POWER])], arrivals=[arrival], limits=TRUST)
    assert (only_file(batch)["status"], only_file(batch)["reason"]) == (
        "quarantined",
        "文件名中的时间 2024-06-01 08:15:00 超前于到达时间 2024-06-01 08:04:00（超过 600 秒）：时钟故障，未采用",
    )
    on_the_edge = parse([csv("YDSJ", [GOOD_POWER])], arrivals=[STAMP - timedelta(minutes=10)], limits=TRUST)
    assert only_file(on_the_edge)["status"] == "accepted"


def test_a_csv_file_over_the_size_limit_is_quarantined_unread() -> None:
    batch = parse([csv("YDSJ", [GOOD_POWER] * 20)], limits=Limits(max_bytes=500))
    f = only_file(batch)
    assert (f["status"], f["reason"], f["mine_code"], f["file_type"]) == (
        "quarantined", "文件超过大小上限（500 字节）", M, "YDSJ",
    )  # fmt: skip


def test_a_mostly_bad_csv_file_is_quarantined_whole_with_counts() -> None:
    foreign = GOOD_POWER.replace(M, OTHER)
    lines = [foreign] * 3 + [GOOD_POWER.replace("125.5", "-1")] * 2 + [GOOD_POWER]
    batch = parse([csv("YDSJ", lines), csv("YDSJ", [GOOD_POWER], at=STAMP + timedelta(minutes=15))],
                  limits=TRUST)  # fmt: skip
    f = batch.files.row(0, named=True)
    assert (f["status"], f["records"], f["rejected"], f["foreign"]) == ("quarantined", 6, 5, 3)
    assert f["reason"] == "无效记录过多（5/6 条，超过 50%）：属于其他矿井的测点 3 条；用电量无法识别 2 条"
    assert batch.power.get_column("file_id").to_list() == [1]


def test_csv_and_family_a_files_in_one_batch() -> None:
    uploads = [*golden("ydsj"), *golden("ryss"), *golden("dzft"), *golden("cdss")]
    batch = parse(uploads)
    assert batch.files.select("family", "file_type").rows() == [
        ("kuangan", "YDSJ"), ("A", "RYSS"), ("kuangan", "DZFT"), ("A", "CDSS"),
    ]  # fmt: skip
    assert (batch.power.height, batch.positions.height, batch.seals.height, batch.readings.height) == (3, 4, 3, 4)


# --- invariants (Hypothesis) ----------------------------------------------------------------------------------

CSV_NAMES = st.sampled_from(
    [f"{M}_YDSJ_20240601081500.csv", f"{M}_DZFT_20240601081500.CSV", f"{M}_YDSJ_20240601081500.txt"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(CSV_NAMES, st.binary(max_size=300)), max_size=6))
def test_random_bytes_under_csv_names_never_raise_and_are_accounted_for(items: list[tuple[str, bytes]]) -> None:
    uploads = [Upload(name, data) for name, data in items]
    assert_accounted(uploads, parse_uploads(uploads))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(CSV_NAMES, st.text(alphabet=',"\r\n x0123456789-:.电表', max_size=120)), max_size=4))
def test_random_csv_like_text_never_raises_and_is_accounted_for(items: list[tuple[str, str]]) -> None:
    uploads = [Upload(n, (POWER_HEADER + "\n" + text).encode()) for n, text in items]
    assert_accounted(uploads, parse_uploads(uploads))


TIME = st.datetimes(datetime(2024, 5, 1), datetime(2024, 7, 31)).map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S"))
PLACE = st.sampled_from(["主斜井井口", '"井口,东侧"', '"说""有人"""', '"两行\n文字"', "", "葉東"])


@st.composite
def valid_csv_files(draw: st.DrawFn) -> tuple[str, str]:
    file_type = draw(st.sampled_from(["YDSJ", "DZFT"]))
    code = st.integers(1, 9).map(lambda n: f"{M}{'M' if file_type == 'YDSJ' else 'S'}{n:02d}")
    if file_type == "YDSJ":
        line = st.tuples(code, TIME, TIME, st.floats(0, 1e4).map(lambda v: f"{v:.2f}"))
        header = draw(st.sampled_from([POWER_HEADER, "meter_code,start,end,kwh"]))
    else:
        count = st.integers(0, 50).map(str)
        line = st.tuples(code, PLACE, PLACE, TIME, count, count)
        header = draw(st.sampled_from([SEAL_HEADER, "seal_code,place,event,time,people,vehicles"]))
    lines = draw(st.lists(line.map(",".join), max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return f"{M}_{file_type}_20240601081500.csv", newline.join([header, *lines]) + newline


def _mutate_csv(text: str, kind: str, rng: random.Random) -> bytes:
    at = rng.randrange(len(text) + 1)
    if kind == "drop_comma" and "," in text:
        i = rng.choice([i for i, c in enumerate(text) if c == ","])
        text = text[:i] + text[i + 1 :]
    elif kind in ("add_comma", "quote", "newline", "blank_line"):
        text = text[:at] + {"add_comma": ",", "quote": '"', "newline": "\n", "blank_line": "\n \n"}[kind] + text[at:]
    elif kind == "cut":
        text = text[:at]
    elif kind == "junk":
        fields = text.split(",")
        fields[rng.randrange(len(fields))] = rng.choice(["abc", "NaN", "", "inf", "-1", "1.5", "２", "\x01"])
        text = ",".join(fields)
    elif kind == "foreign" and M in text:
        i = rng.choice([m for m in range(len(text)) if text.startswith(M, m)])
        text = text[:i] + OTHER + text[i + len(M) :]
    elif kind == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    elif kind == "gb18030":
        return text.encode("gb18030")
    return text.encode()


CSV_MUTATIONS = ["none", "drop_comma", "add_comma", "quote", "newline", "blank_line", "cut", "junk", "foreign",
                 "bom", "gb18030"]  # fmt: skip


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(valid_csv_files(), st.lists(st.sampled_from(CSV_MUTATIONS), max_size=3)), min_size=1,
                max_size=5), st.randoms(use_true_random=False), st.one_of(st.none(), LIMITS), ARRIVALS)  # fmt: skip
def test_mutated_csv_files_never_raise_and_every_accepted_row_keeps_the_rules(
    items: list[tuple[tuple[str, str], list[str]]],
    rng: random.Random,
    limits: Limits | None,
    arrivals: list[datetime | None],
) -> None:
    uploads = []
    for k, ((name, text), kinds) in enumerate(items):
        data = text.encode()
        for kind in kinds:
            try:
                current = data.decode()
            except UnicodeDecodeError:
                current = data.decode("gb18030")
            data = _mutate_csv(current, kind, rng)
        uploads.append(Upload(name.replace("081500", f"0815{k:02d}"), data))
    batch = parse_uploads(uploads, **_options(limits, arrivals, len(uploads)))
    assert_accounted(uploads, batch)
    assert set(batch.files.get_column("family").drop_nulls()) <= {"kuangan"}
    power, seals = batch.power, batch.seals
    assert power.filter(~pl.col("meter_code").str.starts_with(M) | (pl.col("end") <= pl.col("start"))
                        | (pl.col("kwh") < 0) | ~pl.col("kwh").is_finite()).is_empty()  # fmt: skip
    assert seals.filter(~pl.col("seal_code").str.starts_with(M) | (pl.col("people") < 0)
                        | (pl.col("vehicles") < 0) | pl.col("data_time").is_null()).is_empty()  # fmt: skip
    for table, columns in (("power", schema.POWER), ("seals", schema.SEALS)):
        assert dict(getattr(batch, table).schema) == columns
