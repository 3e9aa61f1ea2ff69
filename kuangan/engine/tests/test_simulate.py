"""The simulator of family-A monitoring files: valid envelopes, one record per point, the period, and
each incident as the rules will see it. Parsed here with a few lines of splitting (the real parser
lives in kuangan.engine.formats and is tested there)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta

import polars as pl
import pytest

from kuangan.engine.simulate import ANALOG_ROLES, Incident, MineSpec, main, point_table, simulate, write_files

pytestmark = pytest.mark.nodb

T0 = datetime(2024, 6, 3, 8, 0)
T1 = T0 + timedelta(hours=1)
FMT = "%Y-%m-%d %H:%M:%S"
MINES = (
    MineSpec("140000000001", "山西测试一号煤业有限公司", points=40, outstations=4),
    MineSpec("140000000002", "山西测试二号煤业有限公司", points=40, outstations=4),
    MineSpec("141129000003", "山西测试三号煤业有限公司", points=40, outstations=4),
    MineSpec("14112900004", "山西测试四号煤业有限公司", points=30, outstations=3),  # 11 characters
)
A, B, C, D = (m.code for m in MINES)
INCIDENTS = (
    Incident("over_limit", A, T0 + timedelta(minutes=10), 10, peak=1.62),
    Incident("stuck", A, T0 + timedelta(minutes=40), 15),
    Incident("unreported_over_limit", B, T0 + timedelta(minutes=10), 10, peak=1.7),
    Incident("calibration_abuse", B, T0 + timedelta(minutes=30), 20),
    Incident("feed_failure", C, T0 + timedelta(minutes=30), 8, peak=1.8),
    Incident("silence", D, T0 + timedelta(minutes=20), 15),
)
FIELDS = {"CDDY": 24, "CDSS": 7, "FZDY": 6, "FZSS": 4, "TJSJ": 12, "YCBJ": 17}
NAME = re.compile(r"^(\w+)_(CDDY|CDSS|FZDY|FZSS|TJSJ|YCBJ)_(\d{14})\.txt$")


def split(data: bytes) -> tuple[list[str], list[list[str]]]:
    text = data.decode("utf-8")
    assert text.endswith("||")
    body = text[:-2].replace("\r", "").replace("\n", "")
    assert body.endswith("~")
    segments = body[:-1].split("~")
    return segments[0].split(";"), [s.split(";") for s in segments[1:]]


class Run:
    def __init__(self, files: list[tuple[str, bytes]]) -> None:
        self.files = files
        self.parsed = []  # (mine, type, header time, header, records)
        for name, data in files:
            m = NAME.match(name)
            assert m, name
            header, records = split(data)
            self.parsed.append((m[1], m[2], datetime.strptime(m[3], "%Y%m%d%H%M%S"), header, records))

    def of(self, mine: str, ftype: str) -> list[tuple[datetime, list[list[str]]]]:
        return [(t, recs) for code, ty, t, _, recs in self.parsed if code == mine and ty == ftype]

    def series(self, mine: str) -> dict[str, list[tuple[datetime, float, int]]]:
        """point -> [(data time, value, status)] from the CDSS files."""
        out: dict[str, list[tuple[datetime, float, int]]] = defaultdict(list)
        for _, recs in self.of(mine, "CDSS"):
            for r in recs:
                out[r[0]].append((datetime.strptime(r[6], FMT), float(r[3]), int(r[5])))
        return out

    def events(self, mine: str) -> list[list[str]]:
        return [r for _, recs in self.of(mine, "YCBJ") for r in recs]


@pytest.fixture(scope="module")
def run() -> Run:
    return Run(list(simulate(MINES, T0, T1, incidents=INCIDENTS, seed=7)))


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return {m.code: point_table(m, 7) for m in MINES}


def between(
    series: list[tuple[datetime, float, int]], a: datetime, b: datetime
) -> list[tuple[datetime, float, int]]:
    return [s for s in series if a <= s[0] < b]


def test_file_names_and_envelopes_are_family_a(run: Run) -> None:
    assert run.files
    for (name, data), (code, ftype, t, header, records) in zip(run.files, run.parsed, strict=True):
        assert not data.startswith(b"\xef\xbb\xbf")
        assert "；" not in data.decode()
        assert header[0] == code
        assert len(header) == (7 if ftype == "CDDY" else 3), name
        assert header[-1] == t.strftime(FMT), name  # the name carries the header's upload time
        assert records, name
        for r in records:
            assert len(r) == FIELDS[ftype], (name, r)
    assert {ty for _, ty, *_ in run.parsed} == set(FIELDS)


def test_files_come_in_header_time_order(run: Run) -> None:
    times = [t for _, _, t, _, _ in run.parsed]
    assert times == sorted(times)
    assert len({name for name, _ in run.files}) == len(run.files)


def test_some_producers_add_crlf(run: Run) -> None:
    crlf = {name.split("_")[0] for name, data in run.files if b"~\r\n" in data}
    assert crlf and crlf != {m.code for m in MINES}
    for name, data in run.files:  # one style per mine
        assert (b"~\r\n" in data) == (name.split("_")[0] in crlf)


def test_every_cdss_file_has_one_record_per_point(run: Run, tables: dict[str, pl.DataFrame]) -> None:
    for mine in MINES:
        codes = tables[mine.code]["point_code"].to_list()
        assert len(codes) == mine.points
        for upload, recs in run.of(mine.code, "CDSS"):
            assert [r[0] for r in recs] == codes
            data_times = {datetime.strptime(r[6], FMT) for r in recs}
            assert len(data_times) == 1
            (data_time,) = data_times
            assert timedelta(0) < upload - data_time < timedelta(seconds=30)
        for code in codes:
            assert code.startswith(mine.code + "01")
            assert len(code) == len(mine.code) + 16


def test_the_period_is_respected(run: Run) -> None:
    for mine in (A, B, C):
        times = sorted(t for t, *_ in run.series(mine)[run.of(mine, "CDSS")[0][1][0][0]])
        assert len(times) == 120
        assert all(b - a == timedelta(seconds=30) for a, b in zip(times, times[1:], strict=False))
        assert times[0] == T0 and times[-1] == T1 - timedelta(seconds=30)
    assert len(run.of(A, "FZSS")) == 60 and len(run.of(A, "TJSJ")) == 12
    assert len(run.of(A, "CDDY")) == 1 and len(run.of(A, "FZDY")) == 1


def test_normal_operation_looks_real(run: Run, tables: dict[str, pl.DataFrame]) -> None:
    t = tables[D]
    kinds = dict(zip(t["point_code"], t["sensor_type"], strict=True))
    roles = dict(zip(t["point_code"], t["role"], strict=True))
    limits = {"0001": (0, 0.6), "0004": (0, 10), "0003": (18, 28), "0002": (0.5, 4)}
    for code, series in run.series(D).items():
        values = [v for _, v, _ in series]
        assert {s for *_, s in series} == {0}
        if kinds[code] in limits:
            lo, hi = limits[kinds[code]]
            assert lo <= min(values) and max(values) <= hi, (code, min(values), max(values))
        if t.filter(pl.col("point_code") == code)["value_type"][0] == "MN":
            assert len(set(values)) > 1, code  # a real sensor jitters
        elif roles[code] in ("feed", "power", "fan_main", "main_fan", "duct", "equip"):
            assert set(values) == {1.0}, code
    cdss = run.of(D, "CDSS")[0][1]
    assert any(re.fullmatch(r"\d\.\d\d", r[3]) and r[1] == "甲烷" for r in cdss)
    assert all(re.fullmatch(r"\d+", r[3]) for r in cdss if r[1] == "一氧化碳")


def test_point_table_follows_the_rules(tables: dict[str, pl.DataFrame]) -> None:
    t = point_table(MineSpec("140000000009", "山西测试煤业有限公司"), 3)
    assert t.height == 300
    assert 190 <= t.filter(pl.col("value_type") == "MN").height <= 210
    assert t["point_code"].n_unique() == 300
    assert t["sensor_type"].is_in(["0001", "0002", "0003", "0004", "0012", "0014"]).sum() > 150
    by_code = {r["point_code"]: r for r in t.iter_rows(named=True)}
    face = t.filter(pl.col("role").is_in(["corner_ch4", "face_ch4", "heading_ch4", "shearer_ch4"]))
    assert face.height >= 6
    for r in face.iter_rows(named=True):
        assert (r["upper_alarm"], r["upper_power_off"], r["upper_power_restore"]) == (1.0, 1.5, 1.0)
        targets = [g.removeprefix("D-") for g in r["relations"].split("◇")]
        assert targets and all(g.startswith("D-") for g in r["relations"].split("◇"))
        for code in targets:
            assert by_code[code]["sensor_type"] in ("1009", "1011")
            assert by_code[code]["area"] == r["area"]
    returns = t.filter(pl.col("role") == "return_ch4")
    assert returns["upper_alarm"].to_list() == returns["upper_power_off"].to_list() == [1.0] * returns.height
    assert t.filter(pl.col("sensor_type") == "0004")["upper_alarm"].unique().to_list() == [24.0]
    assert t["location"].str.contains(";|~").sum() == 0
    assert t.filter(pl.col("location").str.contains("工作面上隅角")).height > 0
    # the same seed gives the same table; another mine code another layout
    assert t.equals(point_table(MineSpec("140000000009", "山西测试煤业有限公司"), 3))


def test_normal_values_never_sit_on_a_clip_bound() -> None:
    for role, (_, _, (base_lo, base_hi, amp, jit, lo, hi)) in ANALOG_ROLES.items():
        assert lo <= base_lo - amp - jit and base_hi + amp + jit <= hi, role


def over_limit_point(run: Run, mine: str) -> str:
    hits = {code for code, s in run.series(mine).items() if any(st & 1 for *_, st in s)}
    assert len(hits) == 1
    return hits.pop()


def test_over_limit_cuts_power_and_is_reported(run: Run, tables: dict[str, pl.DataFrame]) -> None:
    series = run.series(A)
    code = over_limit_point(run, A)
    row = tables[A].filter(pl.col("point_code") == code).row(0, named=True)
    assert row["sensor_type"] == "0001" and row["relations"]
    start, stop = T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)
    window = between(series[code], start, stop)
    assert len(window) == 20
    assert all(v >= row["upper_alarm"] and st & 1 for _, v, st in window)
    assert max(v for _, v, _ in window) == 1.62
    outside = [s for s in series[code] if not start <= s[0] < stop]
    assert all(v < 1.0 and st == 0 for _, v, st in outside)
    crossed = min(t for t, v, _ in series[code] if v >= 1.5)
    for target in (g.removeprefix("D-") for g in row["relations"].split("◇")):
        sw = dict((t, v) for t, v, _ in series[target])
        cut = [t for t, v in sw.items() if v == 0]
        assert cut and min(cut) - crossed <= timedelta(seconds=30)
        for t, _, st in series[code]:
            if st & 2 and t >= crossed + timedelta(seconds=30):
                assert sw[t] == 0
            if t >= stop:
                assert sw[t] == 1  # restored below 1.0
    events = [r for r in run.events(A) if r[4] == "001"]
    assert [e[0] for e in events] == [code, code]
    opened, closed = events
    assert opened[5] == closed[5] == start.strftime(FMT)
    assert opened[6] == "" and closed[6] == stop.strftime(FMT)
    assert float(closed[7]) == 1.62 and float(closed[9]) >= 1.0 and closed[12] and closed[15]


def test_unreported_over_limit_cuts_power_without_ycbj_001(run: Run, tables: dict[str, pl.DataFrame]) -> None:
    series = run.series(B)
    code = over_limit_point(run, B)
    assert max(v for _, v, _ in series[code]) == 1.7
    row = tables[B].filter(pl.col("point_code") == code).row(0, named=True)
    target = row["relations"].split("◇")[-1].removeprefix("D-")
    assert 0.0 in {v for _, v, _ in series[target]}
    assert not [r for r in run.events(B) if r[4] in ("001", "002")]


def test_feed_failure_leaves_the_switch_on(run: Run, tables: dict[str, pl.DataFrame]) -> None:
    series = run.series(C)
    code = over_limit_point(run, C)
    assert any(st & 2 for *_, st in series[code])
    row = tables[C].filter(pl.col("point_code") == code).row(0, named=True)
    for target in (g.removeprefix("D-") for g in row["relations"].split("◇")):
        assert {v for _, v, _ in series[target]} == {1.0}
    types = {r[4] for r in run.events(C)}
    assert "001" in types and "003" not in types


def test_silence_sends_nothing_in_the_window(run: Run) -> None:
    start, stop = T0 + timedelta(minutes=20), T0 + timedelta(minutes=35)
    times = [t for code, _, t, _, _ in run.parsed if code == D]
    assert not [t for t in times if start <= t < stop]
    assert any(t < start for t in times) and any(t >= stop for t in times)
    assert len(run.of(D, "CDSS")) == 120 - 30


def test_stuck_sensor_is_exactly_constant(run: Run, tables: dict[str, pl.DataFrame]) -> None:
    start, stop = T0 + timedelta(minutes=40), T0 + timedelta(minutes=55)
    series = run.series(A)
    co = tables[A].filter(pl.col("sensor_type") == "0004")["point_code"].to_list()
    flat = [c for c in co if len({v for _, v, _ in between(series[c], start, stop)}) == 1]
    assert len(flat) == 1
    (code,) = flat
    assert len(between(series[code], start, stop)) == 30
    assert len({v for _, v, _ in series[code]}) > 1
    assert "工作面" in tables[A].filter(pl.col("point_code") == code)["area"][0]


def test_calibration_abuse_holds_the_calibration_bit(run: Run) -> None:
    start, stop = T0 + timedelta(minutes=30), T0 + timedelta(minutes=50)
    series = run.series(B)
    held = [c for c, s in series.items() if any(st & 4 for *_, st in s)]
    assert len(held) == 1
    window = between(series[held[0]], start, stop)
    assert len(window) == 40 and all(st == 4 for *_, st in window)
    assert 1.4 <= max(v for _, v, _ in window) <= 2.1
    assert all(st & 4 == 0 for t, _, st in series[held[0]] if not start <= t < stop)
    events = [r for r in run.events(B) if r[4] == "007"]
    assert [e[6] for e in events] == ["", stop.strftime(FMT)]


def test_statistics_match_the_readings(run: Run) -> None:
    series = run.series(D)
    for _, recs in run.of(D, "TJSJ")[:3]:
        for r in recs:
            a, b = datetime.strptime(r[4], FMT), datetime.strptime(r[5], FMT)
            values = [v for _, v, _ in between(series[r[0]], a, b)]
            assert b - a == timedelta(minutes=5) and r[11] == r[5]
            assert float(r[6]) == max(values) and float(r[8]) == min(values)
            assert abs(float(r[10]) - sum(values) / len(values)) < 0.051


def test_same_seed_same_bytes() -> None:
    mines = MINES[:2]
    incidents = INCIDENTS[:2]
    first = list(simulate(mines, T0, T0 + timedelta(minutes=20), incidents=incidents, seed=11))
    again = list(simulate(mines, T0, T0 + timedelta(minutes=20), incidents=incidents, seed=11))
    other = list(simulate(mines, T0, T0 + timedelta(minutes=20), incidents=incidents, seed=12))
    assert first == again
    assert [d for n, d in first if "CDSS" in n] != [d for n, d in other if "CDSS" in n]


def test_definitions_are_resent_at_midnight() -> None:
    mine = MineSpec("140000000001", "山西测试煤业有限公司", points=12, outstations=2)
    files = list(simulate([mine], datetime(2024, 6, 1, 23, 30), datetime(2024, 6, 2, 0, 30), period_s=60))
    cddy = [n for n, _ in files if "_CDDY_" in n]
    assert cddy == ["140000000001_CDDY_20240601233001.txt", "140000000001_CDDY_20240602000001.txt"]
    assert len([n for n, _ in files if "_CDSS_" in n]) == 60


def test_bad_incidents_are_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        simulate(MINES[:1], T0, T1, incidents=[Incident("flood", A, T0, 5)])
    with pytest.raises(ValueError, match="140000000002"):
        simulate(MINES[:1], T0, T1, incidents=[Incident("over_limit", B, T0, 5)])
    with pytest.raises(ValueError, match="测点"):
        simulate(
            MINES[:1], T0, T1, incidents=[Incident("over_limit", A, T0, 5, point=A + "01MN000100000000")]
        )
    with pytest.raises(ValueError, match="after"):
        simulate(MINES[:1], T1, T0)


def test_main_writes_a_folder_per_mine(tmp_path, capsys) -> None:
    out = tmp_path / "sim"
    assert (
        main(
            [
                str(out),
                "--mines",
                "2",
                "--points",
                "20",
                "--hours",
                "0.25",
                "--incident",
                "over_limit:2:00:05:5",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["140000000001", "140000000002"]
    assert len(list((out / "140000000001").glob("140000000001_CDSS_*.txt"))) == 30
    assert list((out / "140000000002").glob("*_YCBJ_*.txt"))
    printed = capsys.readouterr().out
    assert "1200 readings" in printed


def test_write_files_flat(tmp_path) -> None:
    assert write_files([("x_CDSS_20240601000000.txt", b"h~r~||")], tmp_path, per_mine=False) == (1, 6, 1)
    assert (tmp_path / "x_CDSS_20240601000000.txt").read_bytes() == b"h~r~||"
