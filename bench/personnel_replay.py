"""Benchmark of personnel positioning: a day of RYSS replayed (run by hand, not part of the test suite).

    .venv/bin/python bench/personnel_replay.py                       # 100 mines x 293 a shift: 8.6 M rows
    .venv/bin/python bench/personnel_replay.py --mines 5 --hours 2 --runs 1   # a quick check
    .venv/bin/python bench/personnel_replay.py --markdown

What it does (the monitoring replay benchmark's machinery, bench/monitoring_replay.py, reused):
1. data: `python -m kuangan.engine.simulate` writes `--mines` mines (140000000001, ...) with `--crew` people
   a shift (三八制, one leader a shift) over `--hours`: a folder of their RYXX, RYQY and RYJZ (the day's
   definitions) and a folder of their RYSS, a snapshot every 5 minutes of everyone underground (and, once,
   of those who came up): a day of 100 mines x 293 a shift is 28,800 files and some 8.6 million rows;
   generated once into /tmp/kuangan-bench-data/personnel-<mines>x<crew>x<span> and reused;
2. parse only (the baseline, in this process): every RYSS file read once untimed (page cache), then read
   and parsed as the replay reads and parses them (`_read`, `ingest.parse` with each file's arrival, the
   replay's batches of 2,000 files or one hour of header time); rows = position rows accepted;
3. end to end: a fresh database (SQLite in a temporary KUANGAN_VAR_DIR, or `--database-url`), migrated, the
   definitions replayed (`--register-unknown`: the mines, their positioning areas and workers) and the
   registry completed as a county would have it (untimed): each mine's approved capacity (500万t/a: a
   single-shift limit of 850/450), its leaders' cards on the leadership roster, its areas confirmed as
   the simulator laid them out (faces declared on faces of its own, roadways, chambers, the shaft top);
   then `kuangan monitoring replay <RYSS folder>` as a SUBPROCESS, timed: wall time (with the start of
   Python and Django), CPU time, peak RSS; rows/s = rows / wall time; ratio = wall time / parse-only time;
   2 and 3 are made `--runs` times, alternately (the figures: the median run; each ratio from a parse-only
   pass and the end-to-end pass right after it);
4. engine only (in this process, no database, once): the same batches through parse -> run_batch (with the
   registry's facts as the setup of 3 leaves them, built directly as engine.facts frames, and a history of
   the ParquetStore) -> ParquetStore.stage + place, the state encoded as `ingest` saves it; each step timed
   (the breakdown; end to end minus their sum is the database, the process start and the positions'
   bookkeeping of `monitoring.personnel`, less what the replay overlaps);
5. prints the machine, the code's fingerprint, the data, the figures, the alarms raised by kind.

The monitoring replay benchmark is a separate run (its targets: >= 500,000 readings/s end to end, <= 2x
parse-only): `.venv/bin/python bench/monitoring_replay.py --skip memory --skip latency --skip shuffled`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import monitoring_replay as mr  # noqa: E402 - the shared machinery, imported once the path is set

CACHE = mr.CACHE
CAPACITY = 500  # 万t/a: the top tier of the 2019 limits, 850 (disaster-severe) / 450, above a shift of 280
SETUP = """
import polars as pl
from datetime import date
from kuangan.core import clock
from kuangan.engine.simulate import MineSpec, positioning_areas, roster
from kuangan.monitoring.models import PositioningArea
from kuangan.registry.models import LeadershipMember, Mine, WorkingFace
USE = {{"shaft_top": "shaft_top", "pit_bottom": "roadway", "face": "face", "roadway": "roadway", "chamber": "chamber",
        "hidden": "roadway", "restricted": "other"}}
now = clock.now()
mines = list(Mine.objects.all())
Mine.objects.update(approved_capacity={capacity})
areas = []
for mine in mines:
    spec = MineSpec(mine.code, mine.name, crew={crew})
    people = roster(spec)
    LeadershipMember.objects.bulk_create([
        LeadershipMember(mine=mine, post="mine_head", name=name, card_code=card, active=True, education="bachelor",
                         frontline_years=15)
        for card, name in people.filter("leader").select("card", "name").iter_rows()])
    layout = positioning_areas(spec)
    faces = {{name: WorkingFace.objects.create(mine=mine, name=name, kind="longwall" if "综采" in name else "heading",
                                             mining_method="fully_mechanized" if "综采" in name else "mechanized_heading",
                                             status="producing")
             for name in layout.filter(pl.col("use") == "face")["face"]}}
    use = dict(layout.select("area_code", "use").iter_rows())
    for area in PositioningArea.objects.filter(mine=mine):
        area.declared_as = USE[use[area.code]]
        area.face = faces.get(area.name) if use[area.code] == "face" else None
        area.confirmed_at = area.mapped_at = now
        areas.append(area)
PositioningArea.objects.bulk_update(areas, ["declared_as", "face", "confirmed_at", "mapped_at"])
print(len(mines), "mines", len(areas), "areas")
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mines", type=int, default=100)
    p.add_argument("--crew", type=int, default=293, help="people underground a shift (default 293: ~300 a snapshot)")
    p.add_argument("--hours", type=float, default=24)
    p.add_argument("--start", default=mr.START)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--database-url", help="an empty PostgreSQL database instead of temporary SQLite ones")
    p.add_argument("--no-snapshot", action="store_true", help="import kuangan/ where it is, not a copy")
    p.add_argument("--keep", action="store_true", help="keep the temporary var directories")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    args.postgres_cluster, args.pg_port = False, 0  # what prepare_environment reads
    if min(args.mines, args.crew, args.runs) < 1 or args.hours <= 0:
        p.error("--mines, --crew, --runs and --hours must be positive")
    return args


@dataclass(frozen=True)
class Data:
    path: Path  # defs/ and ryss/ below it
    files: int  # RYSS files
    rows: int  # RYSS rows (records)
    size: int  # RYSS bytes

    def describe(self, mines: int, crew: int, hours: float) -> str:
        return (f"{mines} mines x {crew} a shift x {mr.span_name(hours)}: {self.files:,} RYSS files, "
                f"{self.rows:,} rows, {self.size / 1e9:.2f} GB ({self.path})")


def ensure_data(args: argparse.Namespace) -> Data:
    path = CACHE / f"personnel-{args.mines}x{args.crew}x{mr.span_name(args.hours)}"
    meta_path = path.with_name(path.name + ".json")
    params = {"mines": args.mines, "crew": args.crew, "hours": args.hours, "start": args.start, "seed": args.seed}
    if not args.regenerate and meta_path.exists() and path.is_dir():
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == params:
            return Data(path, meta["files"], meta["rows"], meta["bytes"])
    meta_path.unlink(missing_ok=True)
    shutil.rmtree(path, ignore_errors=True)
    for sub, types in (("defs", "RYXX,RYQY,RYJZ"), ("ryss", "RYSS")):
        cmd = [sys.executable, "-m", "kuangan.engine.simulate", str(path / sub), "--mines", str(args.mines),
               "--crew", str(args.crew), "--hours", f"{args.hours:g}", "--start", args.start, "--seed",
               str(args.seed), "--only", types]
        mr.log(f"generating {path.name}/{sub}: {' '.join(cmd[1:])}")
        mr.run_child(cmd, dict(__import__("os").environ))
    files = rows = size = 0
    for f in (path / "ryss").rglob("*_RYSS_*.txt"):
        data = f.read_bytes()
        files, size, rows = files + 1, size + len(data), rows + data.count(b"~") - 1
    meta_path.write_text(json.dumps({"params": params, "files": files, "rows": rows, "bytes": size}, indent=1))
    return Data(path, files, rows, size)


@dataclass
class Parse:
    seconds: float
    cpu_s: float
    rows: int
    files: int


def parse_only(batches: list[mr.Batch]) -> Parse:
    """Reading and parsing as the replay does it (`_read`, `ingest.parse`), timed; rows = positions accepted."""
    from kuangan.core import batchprocess
    from kuangan.monitoring import ingest
    from kuangan.monitoring.management.commands.monitoring import _read

    rows = files = 0
    with batchprocess.batches():
        cpu0, t0 = mr.cpu_seconds(), time.perf_counter()
        for paths, arrived in batches:
            items = [_read(path, size) for path, size in paths]
            parsed = ingest.parse(items, arrived)
            rows += parsed.positions.height
            files += len(items)
        return Parse(time.perf_counter() - t0, mr.cpu_seconds() - cpu0, rows, files)


@dataclass
class EndToEnd:
    seconds: float
    cpu_s: float
    rss_mb: float
    setup_s: float
    alarms: dict[str, int]


def end_to_end(data: Data, root: Path, url: str | None, n: int, crew: int) -> EndToEnd:
    t0 = time.perf_counter()
    db = mr.Database(root, f"e2e-{n}", url)
    db.run(mr.kuangan_cmd("monitoring", "replay", str(data.path / "defs"), "--register-unknown"))
    setup = db.run(mr.kuangan_cmd("shell", "-c", SETUP.format(capacity=CAPACITY, crew=crew)))
    mr.log(f"registry: {setup.stdout.strip()}")
    setup_s = time.perf_counter() - t0
    child = db.run(mr.kuangan_cmd("monitoring", "replay", str(data.path / "ryss")))
    if not re.search(r"\d+ files", child.stdout):
        raise SystemExit(f"unexpected output of the replay: {child.stdout!r}")
    alarms = db.alarms_by_kind()
    db.close()
    return EndToEnd(child.seconds, child.cpu_s, child.max_rss_mb, setup_s, alarms)


@dataclass
class Engine:
    parse: float = 0.0
    engine: float = 0.0
    parquet: float = 0.0
    state: float = 0.0
    cpu_s: float = 0.0
    episodes: int = 0

    @property
    def total(self) -> float:
        return self.parse + self.engine + self.parquet + self.state


def facts(mines: int, crew: int) -> Any:
    """engine.facts as the end-to-end setup leaves the registry (capacity 500: limit 450; leaders; areas)."""
    import polars as pl

    from kuangan.engine import facts as F
    from kuangan.engine.simulate import generated_mines, positioning_areas, roster

    specs = generated_mines(mines, crew=crew)
    use = {"shaft_top": "shaft_top", "pit_bottom": "roadway", "face": "face", "roadway": "roadway",
           "chamber": "chamber", "hidden": "roadway", "restricted": "other"}
    areas, leaders = [], []
    for spec in specs:
        layout = positioning_areas(spec)
        areas.append(layout.select(
            mine_code=pl.lit(spec.code), area_code="area_code", area_type="area_type", headcount="headcount",
            declared_as=pl.col("use").replace_strict(use), face_status=pl.when(pl.col("use") == "face").then(
                pl.lit("producing")), face_limit=pl.when(pl.col("use") == "face").then(
                pl.when(pl.col("face").str.contains("综采")).then(20).otherwise(16)),
            face_limit_maintenance=pl.lit(None, pl.Int32)))
        leaders.append(roster(spec).filter("leader").select(mine_code=pl.lit(spec.code), card_code="card"))
    return F.Facts(
        mines=pl.DataFrame([(s.code, float(CAPACITY), False, 450, False) for s in specs], schema=F.MINES, orient="row"),
        areas=pl.concat(areas), leaders=pl.concat(leaders))


def engine_only(batches: list[mr.Batch], store_dir: Path, registry: Any) -> Engine:
    import uuid

    from kuangan.core import batchprocess
    from kuangan.core.clock import local
    from kuangan.engine.io.parquet_store import ParquetStore
    from kuangan.engine.pipeline import EngineState, run_batch
    from kuangan.monitoring import configuration, ingest
    from kuangan.monitoring.management.commands.monitoring import _read

    settings = configuration.engine_settings()
    store = ParquetStore(store_dir)
    history = mr.memory_history(store)
    e = Engine()
    state = EngineState.empty()
    blob = state.to_bytes(definitions=True)
    with batchprocess.batches():
        cpu0 = mr.cpu_seconds()
        for paths, arrived in batches:
            t0 = time.perf_counter()
            parsed = ingest.parse([_read(path, size) for path, size in paths], arrived)
            t1 = time.perf_counter()
            outcome = run_batch(state, parsed, local(max(arrived)), settings, history, registry)
            t2 = time.perf_counter()
            if not ingest._empty(outcome.stored):
                batch_id = uuid.uuid4().hex
                store.place(batch_id, store.stage(outcome.stored, batch_id))
            t3 = time.perf_counter()
            saved = outcome.state.to_bytes(definitions=False)
            history.commit(outcome, state, blob)
            state, blob = outcome.state, saved
            t4 = time.perf_counter()
            e.parse, e.engine, e.parquet, e.state = e.parse + t1 - t0, e.engine + t2 - t1, e.parquet + t3 - t2, \
                e.state + t4 - t3
            e.episodes += outcome.episodes.height
        e.cpu_s = mr.cpu_seconds() - cpu0
    return e


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    root, url = mr.prepare_environment(args)
    import kuangan

    code_root = Path(kuangan.__file__).resolve().parent.parent
    code = mr.sources(code_root)
    info = [mr.machine(url), f"code: kuangan/**/*.py fingerprint {code[0]}, newest file changed {code[1]}"]
    data = ensure_data(args)
    info.append(f"data: {data.describe(args.mines, args.crew, args.hours)}")
    batches = mr.batches_of(data.path / "ryss", 2000)
    paths = [path for files, _arrived in batches for path, _size in files]
    parses: list[Parse] = []
    e2es: list[EndToEnd] = []
    for n in range(args.runs):
        mr.log(f"run {n + 1}/{args.runs}: parse only ({len(batches)} batches) ...")
        mr.warm(paths)
        parses.append(parse_only(batches))
        mr.log(f"  {parses[-1].seconds:.1f} s, {parses[-1].rows:,} rows; end to end ...")
        mr.warm(paths)
        e2es.append(end_to_end(data, root, url, n, args.crew))
        mr.log(f"  {e2es[-1].seconds:.1f} s (setup {e2es[-1].setup_s:.0f} s, untimed)")
    mr.log("engine only ...")
    mr.warm(paths)
    engine = engine_only(batches, root / "engine-only", facts(args.mines, args.crew))
    rows = parses[0].rows
    parse = mr.middle(parses, key=lambda p: p.seconds)
    e2e = mr.middle(e2es, key=lambda e: e.seconds)
    assert parse is not None and e2e is not None
    ratios = [e.seconds / p.seconds for p, e in zip(parses, e2es, strict=True)]
    table = [
        ["parse only", f"{parse.seconds:.1f}", f"{parse.cpu_s:.1f}", "", f"{rows / parse.seconds:,.0f}", ""],
        ["end to end (replay)", f"{e2e.seconds:.1f}", f"{e2e.cpu_s:.1f}", f"{e2e.rss_mb:,.0f}",
         f"{rows / e2e.seconds:,.0f}", f"{statistics.median(ratios):.2f}x"],
        [f"engine only: parse {engine.parse:.1f} + engine {engine.engine:.1f} + Parquet {engine.parquet:.1f} "
         f"+ state {engine.state:.1f}", f"{engine.total:.1f}", f"{engine.cpu_s:.1f}", "",
         f"{rows / engine.total:,.0f}", f"{engine.total / parse.seconds:.2f}x"],
    ]
    print("\n".join(info))
    print(f"runs: {args.runs}; parse only: {', '.join(f'{p.seconds:.1f}' for p in parses)} s; end to end: "
          f"{', '.join(f'{e.seconds:.1f}' for e in e2es)} s; ratios: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(mr.render(["pass", "wall s", "CPU s", "peak RSS MB", "rows/s", "vs parse only"], table, args.markdown,
                    {1, 2, 3, 4, 5}))
    print(f"alarms raised (last run): {mr.kinds(e2e.alarms)}")


if __name__ == "__main__":
    main()
