"""Benchmark of the monitoring engine: replay of generated data (run by hand, not part of the test suite).

    .venv/bin/python bench/monitoring_replay.py [--mines 20] [--points 300] [--hours 24] [--markdown]
    .venv/bin/python bench/monitoring_replay.py --mines 100                       # county scale
    .venv/bin/python bench/monitoring_replay.py --mines 2 --hours 2 --memory-hours 2   # a quick check
    .venv/bin/python bench/monitoring_replay.py --database-url postgresql://postgres@127.0.0.1:55439/postgres
    .venv/bin/python bench/monitoring_replay.py --postgres-cluster      # as root: a throwaway cluster on :55439

What it does:
1. data: `python -m kuangan.engine.simulate` writes `--mines` mines (140000000001, ...) x `--points`
   points x `--hours` at a `--period` s period, one subfolder per mine, with a few incidents (over-limit,
   unreported over-limit, silence, stuck sensor, feed failure, calibration abuse) so that alarms are
   really raised; generated once into a cache folder (default
   /tmp/kuangan-bench-data/<mines>x<points>x<days>d) and reused while its parameters match
   (`--regenerate` writes it again);
2. parse only (the baseline, in this process): every file read once untimed (so that every pass reads
   from the page cache), then every file read and parsed as the replay reads and parses it (`_read`,
   `ingest.parse`: `parse_uploads` with each file's arrival, the replay's clock of `_arrivals` for a
   fresh database, and this installation's `limits()`) in the batches the replay makes (`_batches` of
   the replay command: 2000 files, 256 MiB or one hour of header time); only reading and parsing are
   timed;
3. bare (a second baseline, in this process): every file read, its envelope cut (the header up to the
   first `~`, the records up to `||`, CR/LF taken out), the records of all files joined into one buffer
   and split by ONE `polars.read_csv` (`~` ends a record, `;` separates fields, the 7 fields of a CDSS
   record as strings: nothing typed, checked or joined; other types' records are cut or filled to 7);
   no step per record in Python. The floor of any parser of these files (the whole data is in this
   process's memory at once: for the 20-mine day the files' 1.8 GB, the joined records and the frame);
4. end to end: a fresh database (SQLite in a temporary KUANGAN_VAR_DIR, or `--database-url`), migrated,
   then `kuangan monitoring replay DIR --register-unknown` run as a SUBPROCESS (its memory is its own);
   its wall time (including the start of Python and Django, some 0.9 s with the listing of the files),
   CPU time and peak RSS (VmHWM);
   2, 3 and 4 are made `--runs` times, alternately: on a shared virtual machine one pass may take 15 %
   longer than the next for no reason of its own. The figures are those of the median run, each ratio
   is the median of the runs' ratios (each from a baseline pass and the end-to-end pass right after
   it, so that a slower phase of the machine weighs on both), and every run's figures are printed;
   the installation of the last end-to-end run is kept for 6;
5. engine only (in this process, no database): the same batches through parse (as in 2) -> run_batch
   (with a history: the stored records from the ParquetStore itself, the checkpoints in a list in
   memory) -> ParquetStore.stage + place, with the engine state encoded after each batch as `ingest`
   saves it; each step timed (the breakdown; end to end minus their sum is the database and the process
   start, less whatever the replay overlaps);
6. shuffled hours: the data's files split by the hour in their names into one folder of hard links per
   hour, the hours shuffled (`--shuffle-seed`), and `kuangan monitoring replay <hour> --register-unknown`
   run once per hour in that order into ONE fresh database (the replay's clock persists in the database:
   an hour replayed after a later one arrives late and is judged again from checkpoints); the wall time
   of the sequence (with a Python start per hour), then its installation compared with the in-order
   one of 4: the stored readings (every readings/ Parquet file, per mine, sorted by point and data
   time: equal?) and the point-level alarms (mine, point, kind, start, end, peak of those not
   withdrawn, mine_silent left out: it is judged by arrival, which the order changes; read from each
   database right after its replay, so that a `--database-url` one, emptied in between, compares too);
7. memory: one mine x `--memory-hours` and one mine x 3 times as long, each replayed `--memory-runs`
   times into a fresh database by a subprocess; the median peak RSS of each (a single peak varies by
   about +-5 % from run to run; the comparison means something once the short span fills more than
   one batch: a day of one mine is about 4,600 files);
8. latency: a fresh database where the mine's CDDY and FZDY were ingested (by a replay), `kuangan worker
   --interval 0.2` as a subprocess on its drop folder; a warm-up file, then `--latency-runs` times: a
   full CDSS scan (all points, the current time) with one methane point at 1.80 % is written under a
   hidden name and renamed into the drop folder, and the database is polled (every 10 ms) until that
   point's over_limit alarm row exists; seconds from the rename to the row;
9. prints the machine, the code's fingerprint, the data, each figure with its target and PASS/FAIL,
   and the breakdown.

The code measured is a copy of kuangan/ taken at the start (`--no-snapshot`: the tree itself),
imported here and, through PYTHONPATH, by every subprocess: an edit during the run cannot mix two
versions of the code into one set of figures.
"""

from __future__ import annotations

import argparse
import atexit
import compileall
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
CODE_ROOT = [ROOT]  # where the measured kuangan package is (a copy unless --no-snapshot); the children's cwd
CACHE = Path("/tmp/kuangan-bench-data")
START = "2024-06-01T00:00:00"

# Targets of issue 4 (on a 2-core machine).
TARGET_RATE = 500_000  # readings/s end to end
TARGET_RATIO = 2.0  # end-to-end time / parse-only time
TARGET_MEMORY_GROWTH = 1.10  # peak RSS of 3 days / of 1 day: "does not grow" = within 10 %
TARGET_LATENCY_S = 2.0  # drop-to-alarm, median and max

# kind, mine number (1-based, wrapped to --mines), start as a fraction of the span, minutes, peak
INCIDENTS: list[tuple[str, int, float, float, float | None]] = [
    ("over_limit", 1, 0.30, 10, 1.8),
    ("unreported_over_limit", 2, 0.40, 5, 1.3),
    ("silence", 3, 0.50, 15, None),
    ("stuck", 4, 0.20, 420, None),  # stuck_value needs 6 h unchanged: only in a span of 10 h or more
    ("feed_failure", 5, 0.60, 10, None),
    ("calibration_abuse", 6, 0.70, 45, None),
    ("over_limit", 7, 0.80, 20, 2.2),
]
MEMORY_INCIDENTS: list[tuple[str, int, float, float, float | None]] = [("over_limit", 1, 0.30, 10, 1.8)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mines", type=int, default=20, help="mines in the replayed data (default 20; 100: county)")
    p.add_argument("--points", type=int, default=300, help="points per mine (default 300)")
    p.add_argument("--hours", type=float, default=24, help="span of the replayed data (default 24)")
    p.add_argument("--period", type=int, default=30, help="seconds between real-time values (default 30)")
    p.add_argument("--start", default=START, help=f"first data time, Beijing (default {START})")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", type=Path, help=f"the data folder (default {CACHE}/<mines>x<points>x<span>)")
    p.add_argument("--regenerate", action="store_true", help="write the data again even if it is cached")
    p.add_argument("--batch-files", type=int, default=2000, help="files per replay batch (default 2000)")
    p.add_argument("--runs", type=int, default=3,
                   help="parse-only, bare and end-to-end passes, made alternately; the medians count (default 3)")
    p.add_argument("--memory-hours", type=float, default=24,
                   help="span of the short memory run; the long one is 3 times as long (default 24)")
    p.add_argument("--memory-runs", type=int, default=3,
                   help="replays of each memory data set; the median peak is compared (default 3)")
    p.add_argument("--latency-runs", type=int, default=5, help="timed drops in the latency test (default 5)")
    p.add_argument("--shuffle-seed", type=int, default=1,
                   help="seed of the order of the hours in the shuffled replay (default 1)")
    p.add_argument("--skip", action="append", default=[],
                   choices=["parse", "bare", "end-to-end", "engine", "shuffled", "memory", "latency"],
                   help="leave a measurement out (repeatable)")
    p.add_argument("--database-url", help="an empty PostgreSQL database to use instead of temporary SQLite ones "
                                          "(emptied again before each measurement)")
    p.add_argument("--postgres-cluster", action="store_true",
                   help="start a throwaway PostgreSQL cluster (initdb; as root it runs as user postgres)")
    p.add_argument("--pg-port", type=int, default=55439, help="port of --postgres-cluster (default 55439)")
    p.add_argument("--no-snapshot", action="store_true",
                   help="import kuangan/ where it is instead of a copy taken at the start")
    p.add_argument("--keep", action="store_true", help="keep the temporary var directories (printed)")
    p.add_argument("--markdown", action="store_true", help="print the results as Markdown tables")
    args = p.parse_args(argv)
    if args.database_url and args.postgres_cluster:
        p.error("--database-url and --postgres-cluster exclude each other")
    if min(args.mines, args.points, args.batch_files, args.latency_runs, args.memory_runs, args.runs) < 1 \
            or args.hours <= 0:
        p.error("--mines, --points, --batch-files, --runs, --latency-runs, --memory-runs and --hours must be positive")
    return args


def span_name(hours: float) -> str:
    return f"{hours / 24:g}d" if hours % 24 == 0 else f"{hours:g}h"


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - BEGAN:7.1f}s] {msg}", file=sys.stderr, flush=True)


BEGAN = time.perf_counter()


# --------------------------------------------------------------------------------------------------
# Environment: everything here runs before Django is imported, because the settings read os.environ.
# --------------------------------------------------------------------------------------------------

def prepare_environment(args: argparse.Namespace) -> tuple[Path, str | None]:
    """A temporary var directory for this process (in-process measurements write their Parquet files
    there) and the subprocesses' var directories below it; Django set up on a SQLite database in it,
    migrated (the replay's clock, `_arrivals`, is read from it: that of a fresh database). Unless
    --no-snapshot, kuangan/ is copied there first and every measurement (in this process and in the
    subprocesses, through PYTHONPATH) imports that copy."""
    var_dir = Path(tempfile.mkdtemp(prefix="kuangan-bench-monitoring."))
    if args.keep:
        atexit.register(lambda: print(f"kept {var_dir}", file=sys.stderr))
    else:
        atexit.register(shutil.rmtree, var_dir, True)
    url = args.database_url
    if args.postgres_cluster:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from hazard_pages import start_postgres_cluster

        url = start_postgres_cluster(args.pg_port)
    for name in ("KUANGAN_DATABASE_URL", "KUANGAN_MONITORING_DIR", "KUANGAN_DROP_DIR"):
        os.environ.pop(name, None)  # never the developer's database or folders
    os.environ["KUANGAN_VAR_DIR"] = str(var_dir / "self")
    os.environ["DJANGO_SETTINGS_MODULE"] = "kuangan.settings"
    # the code measured: a copy, so that edits during the run do not mix versions
    code_root = ROOT if args.no_snapshot else snapshot_code(var_dir / "code")
    CODE_ROOT[0] = code_root
    os.environ["PYTHONPATH"] = os.pathsep.join([str(code_root), *filter(None, [os.environ.get("PYTHONPATH")])])
    sys.path.insert(0, str(code_root))
    from kuangan.core import batchprocess

    batchprocess.polars_allocator_settings()  # the in-process passes allocate as the kuangan command does
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return var_dir, url


def snapshot_code(dest: Path, rev: str | None = None) -> Path:
    """dest/kuangan: kuangan/ of the working tree (rev None: copied) or of a commit (`git archive`, which
    touches neither the checkout's branch nor its index); compiled as scripts/setup compiles the
    installed code, node_modules linked beside it (the settings name static folders in it: system
    checks). Returns dest, the tree to put on PYTHONPATH."""
    if rev is None:
        shutil.copytree(ROOT / "kuangan", dest / "kuangan", ignore=shutil.ignore_patterns("__pycache__"))
    else:
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "kuangan"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    compileall.compile_dir(dest / "kuangan", quiet=1)
    if (ROOT / "node_modules").is_dir():
        (dest / "node_modules").symlink_to(ROOT / "node_modules")
    return dest


def kuangan_cmd(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "kuangan"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "kuangan.cli", *args]


@dataclass
class Child:
    returncode: int
    seconds: float
    cpu_s: float  # user + system, of the child (and its own children)
    max_rss_mb: float
    stdout: str
    stderr: str


def run_child(cmd: list[str], env: dict[str, str], *, check: bool = True, cwd: Path | None = None) -> Child:
    """Run a command; its wall time and its own peak RSS: VmHWM of /proc/<pid>/status, read every 20 ms
    while it runs. (Not ru_maxrss: Linux carries the high-water mark of the forking process over
    exec into the child's, so a child of this process, grown by the in-process passes, would report
    this process's peak.) `cwd`: default the measured code's tree."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd or CODE_ROOT[0], stdout=out, stderr=err)
        status_file = Path(f"/proc/{proc.pid}/status")
        peak_kb = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                hwm = next(line for line in status_file.read_text().splitlines() if line.startswith("VmHWM:"))
                peak_kb = max(peak_kb, int(hwm.split()[1]))
            except (OSError, StopIteration, ValueError):
                pass  # exiting (a zombie has no memory left to report)
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        child = Child(proc.returncode, seconds, usage.ru_utime + usage.ru_stime, peak_kb / 1024, out.read().decode(errors="replace"),
                      err.read().decode(errors="replace"))
    if check and child.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({child.returncode}):\n{child.stderr[-4000:]}")
    return child


# --------------------------------------------------------------------------------------------------
# Databases: one fresh database per measurement
# --------------------------------------------------------------------------------------------------

class Database:
    """A fresh database for one measurement: SQLite in its own var directory, or the PostgreSQL database
    of the URL emptied (its public schema dropped) and migrated again. `code_root`: the tree of the
    kuangan package its commands run (PYTHONPATH and cwd; default the measured code)."""

    def __init__(self, root: Path, name: str, url: str | None, code_root: Path | None = None) -> None:
        self.var_dir = root / name
        self.var_dir.mkdir(parents=True)
        self.url = url
        self.code_root = code_root or CODE_ROOT[0]
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("KUANGAN_DATABASE_URL", "KUANGAN_MONITORING_DIR", "KUANGAN_DROP_DIR")}
        self.env.update(KUANGAN_VAR_DIR=str(self.var_dir), DJANGO_SETTINGS_MODULE="kuangan.settings",
                        PYTHONUNBUFFERED="1")
        if code_root is not None:
            self.env["PYTHONPATH"] = str(code_root)
        if url:
            self.env["KUANGAN_DATABASE_URL"] = url
            with self.connect() as con:
                con.execute("DROP SCHEMA public CASCADE")
                con.execute("CREATE SCHEMA public")
        self.run(kuangan_cmd("migrate", "--verbosity", "0"))
        self._con: Any = None

    def run(self, cmd: list[str]) -> Child:
        return run_child(cmd, self.env, cwd=self.code_root)

    @property
    def drop_dir(self) -> Path:
        return self.var_dir / "drop"

    @property
    def monitoring_dir(self) -> Path:
        return self.var_dir / "monitoring"

    def connect(self) -> Any:
        if self.url:
            import psycopg

            return psycopg.connect(self.url, autocommit=True)
        return sqlite3.connect(self.var_dir / "kuangan.sqlite3", isolation_level=None, timeout=20)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """`%s` placeholders; one connection kept open (autocommit: every query sees the latest commit)."""
        if self._con is None:
            self._con = self.connect()
        if not self.url:
            sql = sql.replace("%s", "?")
        return list(self._con.execute(sql, params).fetchall())

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def alarms_by_kind(self) -> dict[str, int]:
        return dict(self.query("SELECT kind, COUNT(*) FROM monitoring_alarm GROUP BY kind ORDER BY kind"))

    def point_alarms(self) -> list[tuple[Any, ...]]:
        """(mine code, point, kind, start, end, peak) of every alarm in force (not withdrawn) but the mines'
        silence (judged by arrival), sorted; times as the backend gives them."""
        rows = self.query(
            'SELECT m.code, a.point_code, a.kind, a.start, a."end", a.peak FROM monitoring_alarm a '
            "JOIN registry_mine m ON m.id = a.mine_id WHERE a.withdrawn_at IS NULL AND a.kind != 'mine_silent'")
        return sorted(rows, key=lambda r: tuple((v is not None, str(v)) for v in r))


def empty_check(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        n = con.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()
    if n and n[0]:
        raise SystemExit(f"{url}: the database is not empty; give an empty one (it is emptied between runs)")


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------

@dataclass
class DataSet:
    path: Path
    mines: int
    points: int
    hours: float
    files: int
    readings: int
    bytes: int
    generated_s: float | None  # None: taken from the cache

    def describe(self) -> str:
        how = f"generated in {self.generated_s:.0f} s" if self.generated_s is not None else "cached"
        return (f"{self.mines} mines x {self.points} points x {self.hours:g} h: {self.files:,} files, "
                f"{self.readings:,} readings, {self.bytes / 1e9:.2f} GB ({how}, {self.path})")


def incident_args(incidents: list[tuple[str, int, float, float, float | None]], mines: int, hours: float,
                  start: datetime) -> list[str]:
    """`--incident KIND:MINE:HH:MM:MINUTES[:PEAK]` within the first day of the span, each ending at least
    10 minutes before the span's end (an incident that would not fit is left out)."""
    span_min = min(hours, 24) * 60
    out = []
    for kind, mine, frac, minutes, peak in incidents:
        offset = frac * span_min
        minutes = min(minutes, span_min - offset - 10)
        if minutes < 1 or (kind == "stuck" and minutes < 6 * 60 + 30):
            continue
        at = start + timedelta(minutes=offset)
        text = f"{kind}:{(mine - 1) % mines + 1}:{at:%H:%M}:{minutes:g}"
        out.append(text + (f":{peak:g}" if peak is not None else ""))
    return out


def ensure_data(path: Path, *, mines: int, points: int, hours: float, period: int, start: str, seed: int,
                incidents: list[tuple[str, int, float, float, float | None]], regenerate: bool) -> DataSet:
    """The data folder, generated unless a complete one with the same parameters is there. Its
    description is kept beside it (<path>.json), not inside (the replay takes every file under it)."""
    meta_path = path.with_name(path.name + ".json")
    params: dict[str, Any] = {"mines": mines, "points": points, "hours": hours, "period": period, "start": start, "seed": seed,
              "incidents": incident_args(incidents, mines, hours, datetime.fromisoformat(start))}
    if not regenerate and meta_path.exists() and path.is_dir():
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == params:
            return DataSet(path, mines, points, hours, meta["files"], meta["readings"], meta["bytes"], None)
        log(f"{path}: cached with other parameters; generating again")
    if path.exists() and not meta_path.exists():  # not written by this benchmark: never delete it
        raise SystemExit(f"{path} exists and is not a data folder of this benchmark ({meta_path.name} is "
                         "missing beside it); give another --data-dir or remove it")
    meta_path.unlink(missing_ok=True)
    shutil.rmtree(path, ignore_errors=True)
    partial = path.with_name(path.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "kuangan.engine.simulate", str(partial), "--mines", str(mines),
           "--points", str(points), "--hours", f"{hours:g}", "--start", start, "--period", str(period),
           "--seed", str(seed)]
    for text in params["incidents"]:
        cmd += ["--incident", text]
    log(f"generating {path.name}: {' '.join(cmd[1:])}")
    child = run_child(cmd, dict(os.environ))
    m = re.search(r"^(\d+) files, (\d+) readings, (\d+) bytes", child.stdout, re.M)
    if not m:
        raise SystemExit(f"unexpected output of the simulator: {child.stdout!r}")
    files, readings, size = (int(g) for g in m.groups())
    partial.rename(path)
    meta_path.write_text(json.dumps({"params": params, "files": files, "readings": readings, "bytes": size},
                                    indent=1))
    return DataSet(path, mines, points, hours, files, readings, size, child.seconds)


Batch = tuple[list[tuple[str, int]], list[datetime]]  # (path, size) of each file and its arrival


def batches_of(root: Path, batch_files: int) -> list[Batch]:
    """Exactly the batches of `kuangan monitoring replay` into a fresh database (same listing, order,
    arrivals and `_batches`)."""
    from kuangan.monitoring.management.commands.monitoring import _arrivals, _batches, _listing

    files = _listing(root)
    return list(_batches(files, _arrivals(files), batch_files))


def data_files(root: Path) -> list[str]:
    """Every file under root."""
    return [os.path.join(folder, name) for folder, _dirs, names in os.walk(root) for name in names]


def warm(paths: list[str]) -> None:
    """Every file read once, untimed, so that each timed pass reads from the page cache alike (on this
    machine the cache does not keep 1.8 GB for long: read before every pass)."""
    for path in paths:
        with open(path, "rb", buffering=0) as f:
            f.readall()


# --------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------

@dataclass
class Stages:
    """Seconds per step of the in-process passes."""

    read: float = 0.0
    parse: float = 0.0
    engine: float = 0.0
    state: float = 0.0
    parquet: float = 0.0
    cpu_s: float = 0.0  # user + system of this process during the pass (every thread)
    readings: int = 0
    files: int = 0
    accepted: int = 0
    batches: int = 0
    alarms: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return self.read + self.parse + self.engine + self.state + self.parquet


T = TypeVar("T")


def middle(items: list[T], key: Callable[[T], float]) -> T | None:
    """The median item by `key` (of an even number, the lower of the two in the middle)."""
    return sorted(items, key=key)[(len(items) - 1) // 2] if items else None


def cpu_seconds() -> float:
    import resource

    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def parse_only(batches: list[Batch]) -> Stages:
    """Reading and parsing, in a process set up as the replay sets itself up (`batchprocess.batches`)."""
    from kuangan.core import batchprocess

    s = Stages()
    with batchprocess.batches():
        cpu0 = cpu_seconds()
        for batch in batches:
            read_and_parse(batch, s)
        s.cpu_s = cpu_seconds() - cpu0
    return s


def read_and_parse(batch: Batch, s: Stages) -> tuple[list[Any], Any]:
    """One batch read and parsed as the replay reads and parses it (`_read`; `ingest.parse`: the files'
    arrivals and the installation's limits), both timed and counted in `s`; returns (uploads, parsed)."""
    import polars as pl

    from kuangan.monitoring import ingest
    from kuangan.monitoring.management.commands.monitoring import _read

    files, arrived = batch
    t0 = time.perf_counter()
    items = [_read(path, size) for path, size in files]
    t1 = time.perf_counter()
    parsed = ingest.parse(items, arrived)
    s.parse += time.perf_counter() - t1
    s.read += t1 - t0
    s.readings += parsed.readings.height
    s.files += len(items)
    s.accepted += parsed.files.filter(pl.col("status") == "accepted").height
    s.batches += 1
    return items, parsed


@dataclass
class Bare:
    """Seconds of the bare pass and what it read."""

    read: float
    cut: float
    split: float
    cpu_s: float
    files: int
    records: int

    @property
    def total(self) -> float:
        return self.read + self.cut + self.split


CDSS_FIELDS = 7  # point code; sensor type name; location; value; unit; status; data time (FORMATS.md)


def bare(paths: list[str]) -> Bare:
    """The floor of parsing these files: every file read, its envelope cut (the header up to the first
    `~`, the records up to `||`; the CR/LF that some producers put after `~` taken out), the records of
    every file joined into one buffer and split into fields by ONE `polars.read_csv`, as strings
    (nothing typed or checked). A record ends with `~`, fields are separated by `;` (FORMATS.md,
    family A); a CDSS record has 7 fields, the few other types' records are cut to 7 or filled up with
    nulls. Nothing is done per record in Python, only per file (two searches and a slice)."""
    import polars as pl

    from kuangan.core import batchprocess

    with batchprocess.batches():
        cpu0 = cpu_seconds()
        t0 = time.perf_counter()
        datas = []
        for path in paths:
            with open(path, "rb", buffering=0) as f:
                datas.append(f.readall())
        t1 = time.perf_counter()
        bodies: list[bytes | memoryview] = []
        for data in datas:
            start, end = data.find(b"~") + 1, data.rfind(b"||")
            if start and end >= start:  # every generated file has its envelope
                if data.find(b"\r", start, end) >= 0:
                    bodies.append(data[start:end].replace(b"\r\n", b""))
                else:
                    bodies.append(memoryview(data)[start:end])
        text = b"".join(bodies)  # each body's records end with `~`, its last one too
        del bodies, datas
        t2 = time.perf_counter()
        frame = pl.read_csv(text, has_header=False, separator=";", eol_char="~", quote_char=None,
                            schema={f"field_{i}": pl.String for i in range(CDSS_FIELDS)},
                            truncate_ragged_lines=True, missing_columns="insert", extra_columns="ignore")
        t3 = time.perf_counter()
        cpu = cpu_seconds() - cpu0
    records = frame.height
    del frame, text
    return Bare(read=t1 - t0, cut=t2 - t1, split=t3 - t2, cpu_s=cpu, files=len(paths), records=records)


def engine_only(batches: list[Batch], store_dir: Path) -> Stages:
    """What `ingest` does to a replay batch without the database: parse (as `read_and_parse`), the engine
    (`run_batch` at the replay's clock with a history: stored records from the ParquetStore itself,
    checkpoints in a list in memory), the records it decided are new staged and placed in Parquet, the
    state encoded as `ingest` saves it (its definitions apart, only when they changed; the state itself
    is not decoded again: `ingest` keeps the one it saved last)."""
    import uuid

    from kuangan.core import batchprocess
    from kuangan.core.clock import local
    from kuangan.engine.io.parquet_store import ParquetStore
    from kuangan.engine.pipeline import EngineState, merge_episodes, run_batch
    from kuangan.monitoring import configuration, ingest

    settings = configuration.engine_settings()  # a replay: no platform_gap (live=False)
    store = ParquetStore(store_dir)
    history = memory_history(store)
    s = Stages()
    state = EngineState.empty()
    blob = state.to_bytes(definitions=True)  # as `ingest` creates the live snapshot
    episodes = []
    with batchprocess.batches():  # as the replay sets itself up
        cpu0 = cpu_seconds()
        for batch in batches:
            _items, parsed = read_and_parse(batch, s)
            t3 = time.perf_counter()
            outcome = run_batch(state, parsed, local(max(batch[1])), settings, history)
            t4 = time.perf_counter()
            if not ingest._empty(outcome.stored):
                batch_id = uuid.uuid4().hex
                store.place(batch_id, store.stage(outcome.stored, batch_id))
            t5 = time.perf_counter()
            if (outcome.state.definitions is not state.definitions
                    and state.definitions_digest() != outcome.state.definitions_digest()):
                outcome.state.definitions_bytes()  # saved in a row of their own
            saved = outcome.state.to_bytes(definitions=False)
            history.commit(outcome, state, blob)
            state, blob = outcome.state, saved
            t6 = time.perf_counter()
            s.engine += t4 - t3
            s.parquet += t5 - t4
            s.state += t6 - t5
            episodes.append(outcome.episodes)
        s.cpu_s = cpu_seconds() - cpu0
    merged = merge_episodes(episodes)
    s.alarms = merged.height
    s.by_kind = dict(merged.group_by("kind").len().sort("kind").iter_rows())
    return s


def memory_history(store: Any) -> Any:
    """`ingest`'s history (the stored records from the ParquetStore) with the checkpoints in a list in
    memory instead of the database (engine.checkpoints), as the engine's tests keep them; `commit` does
    what `ingest._save_checkpoints` does (the back-fill horizon left out)."""
    from kuangan.engine.checkpoints import MemoryCheckpoints
    from kuangan.monitoring.ingest import _History

    class MemoryHistory(MemoryCheckpoints, _History):
        def __init__(self, parquet: Any) -> None:
            _History.__init__(self, parquet)
            MemoryCheckpoints.__init__(self)

        def commit(self, outcome: Any, before: Any, before_blob: bytes) -> None:
            self.keep(outcome, before, before_blob)

    return MemoryHistory(store)


@dataclass
class Replay:
    seconds: float
    cpu_s: float
    max_rss_mb: float
    files: int
    readings: int
    alarms: int
    by_kind: dict[str, int]


def replay(data: Path, db: Database, batch_files: int | None, *, count: bool = True) -> Replay:
    """`kuangan monitoring replay DATA --register-unknown` into the database (`batch_files` None: the
    command's default); `count`: the alarms by kind counted afterwards (else left empty)."""
    cmd = kuangan_cmd("monitoring", "replay", str(data), "--register-unknown")
    if batch_files is not None:
        cmd += ["--batch-files", str(batch_files)]
    child = db.run(cmd)
    m = re.search(r"(\d+) files, (\d+) readings, (\d+) alarms", child.stdout)
    if not m:
        raise SystemExit(f"unexpected output of the replay: {child.stdout!r}")
    files, readings, alarms = (int(g) for g in m.groups())
    by_kind = db.alarms_by_kind() if count else {}
    db.close()
    return Replay(child.seconds, child.cpu_s, child.max_rss_mb, files, readings, alarms, by_kind)


def hour_folders(data: Path, dest: Path) -> dict[str, Path]:
    """The data's files split by the hour of the time in their names (`<mine>_<TYPE>_<YYYYMMDDHHMMSS>.txt`)
    into dest/<YYYYMMDDHH>/: hard links (symbolic ones where a hard link cannot be made)."""
    from kuangan.monitoring.management.commands.monitoring import BATCH_HOUR, _listing

    folders: dict[str, Path] = {}
    for path, _size, stamp in _listing(data):
        hour = stamp[:BATCH_HOUR] or "none"
        if hour not in folders:
            folders[hour] = dest / hour
            folders[hour].mkdir(parents=True)
        target = folders[hour] / os.path.basename(path)
        try:
            os.link(path, target)
        except OSError:
            os.symlink(path, target)
    return folders


@dataclass
class Shuffled:
    hours: list[str]  # in the order replayed
    seconds: float  # wall time of the whole sequence
    cpu_s: float
    max_rss_mb: float  # the largest of the replays'
    files: int
    readings: int  # stored, over all the replays
    by_kind: dict[str, int]
    db: Database


def shuffled(data: Path, root: Path, url: str | None, batch_files: int, seed: int) -> Shuffled:
    """The data replayed hour by hour in a shuffled order, one `kuangan monitoring replay <hour folder>`
    after the other into one fresh database; timed from the first replay's start to the last one's end."""
    import random

    folders = hour_folders(data, root / "hours")
    hours = sorted(folders)
    random.Random(seed).shuffle(hours)
    db = Database(root, "shuffled", url)
    warm(data_files(data))
    runs = []
    t0 = time.perf_counter()
    for i, hour in enumerate(hours):
        runs.append(replay(folders[hour], db, batch_files, count=False))
        log(f"shuffled: {i + 1}/{len(hours)} hour {hour}: {runs[-1].seconds:.1f} s, {runs[-1].readings:,} readings")
    seconds = time.perf_counter() - t0
    shutil.rmtree(root / "hours", ignore_errors=True)
    return Shuffled(hours, seconds, sum(r.cpu_s for r in runs), max(r.max_rss_mb for r in runs),
                    sum(r.files for r in runs), sum(r.readings for r in runs), db.alarms_by_kind(), db)


@dataclass
class Comparison:
    equal: bool
    rows: tuple[int, int]  # of the in-order installation, of the other
    differences: list[str]  # the first few, each side's rows that the other lacks


def compare_readings(in_order: Path, other: Path, show: int = 5) -> Comparison:
    """The stored readings of two monitoring folders: every readings/date=*/mine=*/part-*.parquet read with
    Polars (the mine added from the path), mine by mine, sorted by mine, point and data time (ties by
    the other columns), compared with `equals`."""
    import polars as pl

    def mines(folder: Path) -> set[str]:
        return {p.name.removeprefix("mine=") for p in (folder / "readings").glob("date=*/mine=*")}

    def stored(folder: Path, mine: str) -> pl.DataFrame:
        files = sorted(str(p) for p in (folder / "readings").glob(f"date=*/mine={mine}/part-*.parquet"))
        if not files:
            return pl.DataFrame()
        frame = pl.read_parquet(files, hive_partitioning=False).with_columns(mine=pl.lit(mine))
        keys = ["mine", "point_code", "data_time"]
        return frame.select(*keys, pl.exclude(keys)).sort(pl.all())

    equal, rows, diffs = True, [0, 0], list[str]()
    for mine in sorted(mines(in_order) | mines(other)):
        a, b = stored(in_order, mine), stored(other, mine)
        rows[0] += a.height
        rows[1] += b.height
        if a.equals(b):
            continue
        equal = False
        if len(diffs) < 2 * show:
            if a.is_empty() or b.is_empty():
                diffs.append(f"mine {mine}: {a.height:,} readings in order, {b.height:,} shuffled")
                continue
            only_a = a.join(b, on=a.columns, how="anti", nulls_equal=True)
            only_b = b.join(a, on=a.columns, how="anti", nulls_equal=True)
            diffs += [f"only in order: {row}" for row in only_a.head(show).iter_rows()]
            diffs += [f"only shuffled: {row}" for row in only_b.head(show).iter_rows()]
            if only_a.is_empty() and only_b.is_empty():  # the same rows, some of them more than once
                diffs.append(f"mine {mine}: the same readings, {a.height:,} rows in order, {b.height:,} shuffled")
    return Comparison(equal, (rows[0], rows[1]), diffs[:2 * show])


def compare_alarms(in_order: list[tuple[Any, ...]], other: list[tuple[Any, ...]], show: int = 5) -> Comparison:
    """Two sorted lists of `Database.point_alarms`."""
    from collections import Counter

    a, b = Counter(in_order), Counter(other)
    diffs = [f"only in order: {row}" for row in sorted((a - b).elements(), key=str)][:show]
    diffs += [f"only shuffled: {row}" for row in sorted((b - a).elements(), key=str)][:show]
    return Comparison(in_order == other, (len(in_order), len(other)), diffs)


@dataclass
class Latency:
    seconds: list[float]
    error: str = ""


def latency(root: Path, url: str | None, runs: int, points: int) -> Latency:
    """The live path: drop folder -> worker -> ingest -> alarm row."""
    from kuangan.core import clock
    from kuangan.engine.formats import Upload, parse_uploads
    from kuangan.engine.simulate import generated_mines, simulate, write_files

    db = Database(root, "latency", url)
    spec = generated_mines(1, points)[0]
    now = clock.local(clock.now()).replace(microsecond=0)
    files = list(simulate([spec], now - timedelta(minutes=10), now - timedelta(minutes=9)))
    defs = root / "latency-definitions"
    write_files([(n, d) for n, d in files if "_CDDY_" in n or "_FZDY_" in n], defs)
    db.run(kuangan_cmd("monitoring", "replay", str(defs), "--register-unknown"))
    cdss = next((n, d) for n, d in files if "_CDSS_" in n)
    encoding = "utf-8"
    try:
        template = cdss[1].decode("utf-8")
    except UnicodeDecodeError:
        template, encoding = cdss[1].decode("gb18030"), "gb18030"
    definitions = parse_uploads([Upload(n, d) for n, d in files if "_CDDY_" in n]).definitions
    methane = [c for c, t, a in definitions.select("point_code", "sensor_type", "upper_alarm").iter_rows()
               if t == "0001" and a is not None and a <= 1.5]
    if len(methane) < runs:
        return Latency([], f"only {len(methane)} methane points with an alarm threshold; use more --points")

    def scan(over: str | None) -> tuple[str, bytes]:
        """The template scan at the current time (strictly after the previous one), `over` at 1.80 %."""
        time.sleep(max(0.0, 1.05 - (time.time() % 1)))  # a new second: a new data time
        at = clock.local(clock.now()).replace(microsecond=0)
        text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", at.strftime("%Y-%m-%d %H:%M:%S"), template)
        if over is not None:
            text, n = re.subn(rf"({re.escape(over)};[^;~]*;[^;~]*;)[^;~]*(;[^;~]*;)[^;~]*(;)", r"\g<1>1.80\g<2>1\3",
                              text)
            assert n == 1, over
        return f"{spec.code}_CDSS_{at:%Y%m%d%H%M%S}.txt", text.encode(encoding)

    def drop(name: str, data: bytes) -> float:
        folder = db.drop_dir / spec.code
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.part"
        tmp.write_bytes(data)
        t0 = time.perf_counter()
        os.replace(tmp, folder / name)
        return t0

    log_path = root / "latency-worker.log"
    with open(log_path, "wb") as worker_log:
        worker = subprocess.Popen(kuangan_cmd("worker", "--interval", "0.2"), env=db.env, cwd=db.code_root,
                                  stdout=worker_log, stderr=subprocess.STDOUT)
    result = Latency([])

    def alive() -> bool:
        if worker.poll() is None:
            return True
        result.error = f"the worker exited ({worker.returncode}): {log_path.read_text(errors='replace')[-3000:]}"
        return False

    try:
        name, data = scan(None)  # warm-up: the worker's start, its first tick, imports
        drop(name, data)
        deadline = time.monotonic() + 60
        while (db.drop_dir / spec.code / name).exists() and alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        for i in range(runs):
            if not alive():
                break
            point = methane[i * len(methane) // runs]
            name, data = scan(point)
            t0 = drop(name, data)
            deadline = time.monotonic() + 30
            while alive():
                if db.query("SELECT 1 FROM monitoring_alarm WHERE kind = 'over_limit' AND point_code = %s",
                            (point,)):
                    result.seconds.append(time.perf_counter() - t0)
                    break
                if time.monotonic() > deadline:
                    result.error = f"no over_limit alarm for {point} 30 s after the drop"
                    break
                time.sleep(0.01)
            if result.error:
                break
            time.sleep(0.5)
    finally:
        db.close()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    return result


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------

def render(headers: list[str], rows: list[list[str]], markdown: bool, right: set[int]) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |",
                 "|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:>{w}}}" if i in right else f"{{:<{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*headers), "  ".join("-" * w for w in widths)]
    out += [fmt.format(*r) for r in rows]
    return "\n".join(line.rstrip() for line in out)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else "PASS" if ok else "FAIL"


def kinds(by_kind: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())) or "none"


def sources(root: Path) -> tuple[str, str]:
    """A fingerprint of root/kuangan/**/*.py and its newest change."""
    import hashlib

    h = hashlib.sha256()
    newest = 0.0
    for p in sorted((root / "kuangan").rglob("*.py")):
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
        newest = max(newest, p.stat().st_mtime)
    return h.hexdigest()[:12], datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%d %H:%M UTC")


def loadavg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def machine(url: str | None) -> str:
    import django
    import polars as pl

    mem = ""
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    if url:
        import psycopg

        with psycopg.connect(url) as con:
            row = con.execute("SHOW server_version").fetchone()
        db = f"PostgreSQL {row[0] if row else '?'}"
    else:
        db = f"SQLite {sqlite3.sqlite_version}"
    load = f", load {loadavg()}"
    return (f"machine: {os.cpu_count()} CPUs{mem}{load}; Python {platform.python_version()}, "
            f"polars {pl.__version__}, Django {django.get_version()}, {db}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    root, url = prepare_environment(args)
    if url:
        empty_check(url)
    skip = set(args.skip)
    start = datetime.fromisoformat(args.start)
    import kuangan

    code_root = Path(kuangan.__file__).resolve().parent.parent
    code = sources(code_root)
    copied = " (the copy taken at the start)" if code_root != ROOT else ""
    info = [machine(url), f"code: {ROOT}/kuangan{copied}: **/*.py fingerprint {code[0]}, newest file changed {code[1]}"]
    results: list[list[str]] = []

    data_path = args.data_dir or CACHE / f"{args.mines}x{args.points}x{span_name(args.hours)}"
    if args.period != 30:
        data_path = data_path.with_name(f"{data_path.name}-{args.period}s")
    data = ensure_data(data_path, mines=args.mines, points=args.points, hours=args.hours, period=args.period,
                       start=args.start, seed=args.seed, incidents=INCIDENTS, regenerate=args.regenerate)
    info.append(f"data: {data.describe()}")
    info.append("incidents: " + " ".join(incident_args(INCIDENTS, args.mines, args.hours, start)))
    batches = batches_of(data.path, args.batch_files)
    paths = [path for files, _arrived in batches for path, _size in files]  # in the replay's order
    log(f"data: {data.describe()}; {len(batches)} batches; reading every file once (page cache) ...")
    warm(paths)

    parses: list[Stages] = []
    bares: list[Bare] = []
    replays: list[Replay] = []
    in_order: Database | None = None  # the installation of the last end-to-end run (for 6)
    in_order_alarms: list[tuple[Any, ...]] = []  # read right after its replay (a PostgreSQL one is emptied next)
    for run in range(args.runs if {"parse", "bare", "end-to-end"} - skip else 0):
        tag = f"run {run + 1}/{args.runs}: " if args.runs > 1 else ""
        if "parse" not in skip:
            log(tag + "parse only ...")
            if run:
                warm(paths)
            parses.append(parse_only(batches))
            p = parses[-1]
            log(f"{tag}parse only: {p.total:.1f} s ({p.read:.1f} s reading), {p.readings / p.total:,.0f} readings/s")
        if "bare" not in skip:
            log(tag + "bare: read, cut, one read_csv ...")
            warm(paths)
            bares.append(bare(paths))
            b = bares[-1]
            log(f"{tag}bare: {b.total:.2f} s ({b.read:.2f} s reading, {b.cut:.2f} s cutting, {b.split:.2f} s "
                f"read_csv), {b.records:,} records, {data.readings / b.total:,.0f} readings/s")
        if "end-to-end" not in skip:
            db = Database(root, f"end-to-end-{run}", url)
            log(tag + "end to end: kuangan monitoring replay ...")
            warm(paths)
            replays.append(replay(data.path, db, args.batch_files))
            if "shuffled" not in skip and run == args.runs - 1:
                in_order, in_order_alarms = db, db.point_alarms()
                db.close()
            else:
                shutil.rmtree(db.var_dir, ignore_errors=True)
            r = replays[-1]
            log(f"{tag}end to end: {r.seconds:.1f} s, {r.readings / r.seconds:,.0f} readings/s, peak RSS "
                f"{r.max_rss_mb:,.0f} MB, {r.alarms} alarms ({kinds(r.by_kind)})")
            for label, base_s in (("parse only", parses[-1].total if parses else None),
                                  ("bare", bares[-1].total if bares else None)):
                if base_s is not None:
                    log(f"{tag}end to end / {label}: {r.seconds / base_s:.2f}x")

    eng: Stages | None = None
    if "engine" not in skip:
        log("engine only ...")
        warm(paths)
        eng = engine_only(batches, root / "engine-only")
        shutil.rmtree(root / "engine-only", ignore_errors=True)
        log(f"engine only: {eng.total:.1f} s, {eng.readings / eng.total:,.0f} readings/s, {eng.alarms} alarms "
            f"({kinds(eng.by_kind)})")

    sh: Shuffled | None = None
    in_order_s: float | None = None
    if "shuffled" not in skip:
        if in_order is None:  # no end-to-end runs: one in-order replay to compare with
            log("shuffled: an in-order replay to compare with ...")
            in_order = Database(root, "in-order", url)
            warm(paths)
            in_order_s = replay(data.path, in_order, args.batch_files).seconds
            in_order_alarms = in_order.point_alarms()
            in_order.close()
        log(f"shuffled: the hours in a shuffled order (seed {args.shuffle_seed}), one replay each ...")
        sh = shuffled(data.path, root, url, args.batch_files, args.shuffle_seed)
        log(f"shuffled: {sh.seconds:.1f} s, {data.readings / sh.seconds:,.0f} readings/s; comparing ...")
        same_readings = compare_readings(in_order.monitoring_dir, sh.db.monitoring_dir)
        same_alarms = compare_alarms(in_order_alarms, sh.db.point_alarms())
        sh.db.close()
        if not args.keep:
            shutil.rmtree(in_order.var_dir, ignore_errors=True)
            shutil.rmtree(sh.db.var_dir, ignore_errors=True)

    # the table: end to end and its baselines, the engine, the shuffled replay; memory and latency follow
    of_runs = f"; median of {args.runs}: " if args.runs > 1 else ""
    e2e = middle(replays, lambda r: r.seconds)
    if e2e is not None:
        rate = e2e.readings / e2e.seconds
        runs = of_runs + ", ".join(f"{r.seconds:.1f}" for r in replays) + " s" if of_runs else ""
        results.append(["end to end (kuangan monitoring replay, subprocess)",
                        f"{rate:,.0f} readings/s ({e2e.seconds:.1f} s; CPU {e2e.cpu_s:.0f} s{runs})",
                        f">= {TARGET_RATE:,} readings/s", verdict(rate >= TARGET_RATE)])
    base = middle(parses, lambda p: p.total)
    if base is not None:
        runs = of_runs + ", ".join(f"{p.total:.1f}" for p in parses) + " s" if of_runs else ""
        results.append(["parse only (baseline; read + parse_uploads with arrivals and limits, in-process)",
                        f"{base.readings / base.total:,.0f} readings/s ({base.total:.1f} s; CPU {base.cpu_s:.0f} s{runs})",
                        "", ""])
        if e2e is not None:
            ratios = [r.seconds / p.total for p, r in zip(parses, replays, strict=True)]
            runs = of_runs + ", ".join(f"{x:.2f}x" for x in ratios) if of_runs else ""
            ratio = statistics.median(ratios)
            results.append(["end to end / parse only (time)", f"{ratio:.2f}x{runs}", f"<= {TARGET_RATIO:g}x",
                            verdict(ratio <= TARGET_RATIO)])
    floor = middle(bares, lambda b: b.total)
    if floor is not None:
        runs = of_runs + ", ".join(f"{b.total:.2f}" for b in bares) + " s" if of_runs else ""
        results.append(["bare (read + cut envelopes + ONE polars.read_csv of all records as strings, in-process)",
                        f"{data.readings / floor.total:,.0f} readings/s ({floor.total:.2f} s: read {floor.read:.2f}, "
                        f"cut {floor.cut:.2f}, read_csv {floor.split:.2f}; {floor.records:,} records; "
                        f"CPU {floor.cpu_s:.0f} s{runs})", "", ""])
        if e2e is not None:
            ratios = [r.seconds / b.total for b, r in zip(bares, replays, strict=True)]
            runs = of_runs + ", ".join(f"{x:.2f}x" for x in ratios) if of_runs else ""
            results.append(["end to end / bare (time)",
                            f"{statistics.median(ratios):.2f}x ({e2e.seconds:.1f} s / {floor.total:.2f} s{runs})",
                            "", ""])
    if eng is not None:
        results.append(["engine only (parse + engine + Parquet, no database, in-process)",
                        f"{eng.readings / eng.total:,.0f} readings/s ({eng.total:.1f} s; CPU {eng.cpu_s:.0f} s)",
                        "", ""])
    if e2e is not None:
        results.append(["peak RSS of that replay", f"{e2e.max_rss_mb:,.0f} MB", "", ""])
        info.append(f"alarms raised by the replay: {e2e.alarms} ({kinds(e2e.by_kind)})")
        if any(r.by_kind != e2e.by_kind for r in replays):
            info.append("NOTE: the end-to-end runs raised different alarms: "
                        + "; ".join(kinds(r.by_kind) for r in replays))
        if eng is not None and eng.alarms != e2e.alarms:
            info.append(f"NOTE: the engine-only pass found {eng.alarms} alarm episodes ({kinds(eng.by_kind)})")
    if sh is not None:
        ordered_s = e2e.seconds if e2e is not None else in_order_s
        assert ordered_s is not None
        results.append([f"shuffled hours: {len(sh.hours)} replays, one per hour, in a shuffled order (seed "
                        f"{args.shuffle_seed}), into one database (subprocesses)",
                        f"{data.readings / sh.seconds:,.0f} readings/s ({sh.seconds:.1f} s wall; CPU {sh.cpu_s:.0f} s; "
                        f"peak RSS {sh.max_rss_mb:,.0f} MB; {sh.seconds / ordered_s:.2f}x the in-order replay's "
                        f"{ordered_s:.1f} s)", "", ""])
        for what, c in (("stored readings (sorted by mine, point, data time)", same_readings),
                        ("point alarms in force (not withdrawn; mine_silent left out)", same_alarms)):
            value = (f"EQUAL ({c.rows[0]:,} each)" if c.equal else
                     f"DIFFERENT ({c.rows[0]:,} in order, {c.rows[1]:,} shuffled)")
            results.append([f"shuffled vs in order: {what}", value, "equal", verdict(c.equal)])
            info += [f"shuffled vs in order, {what.split(' (')[0]}: {d}" for d in c.differences]
        info.append("shuffled order of the hours: " + " ".join(sh.hours))
        info.append(f"alarm rows of the shuffled replay (the withdrawn too): {kinds(sh.by_kind)}; {sh.readings:,} readings stored "
                    f"(of {data.readings:,})")

    if "memory" not in skip:
        peaks = []
        for factor in (1, 3):
            hours = args.memory_hours * factor
            mem_data = ensure_data(CACHE / f"1x{args.points}x{span_name(hours)}", mines=1, points=args.points,
                                   hours=hours, period=args.period, start=args.start, seed=args.seed,
                                   incidents=MEMORY_INCIDENTS, regenerate=args.regenerate)
            log(f"memory: {args.memory_runs} replays of {mem_data.describe()} ...")
            rss = []
            for run in range(args.memory_runs):
                db = Database(root, f"memory-{factor}-{run}", url)
                r = replay(mem_data.path, db, args.batch_files)
                shutil.rmtree(db.var_dir, ignore_errors=True)
                rss.append(r.max_rss_mb)
                log(f"memory: {span_name(hours)}: peak RSS {r.max_rss_mb:,.0f} MB in {r.seconds:.1f} s")
            peaks.append((hours, rss, mem_data))
        (h1, rss1, d1), (h3, rss3, d3) = peaks
        m1, m3 = statistics.median(rss1), statistics.median(rss3)
        growth = m3 / m1

        def spread(rss: list[float]) -> str:
            return f" ({min(rss):,.0f}-{max(rss):,.0f})" if len(rss) > 1 else ""

        what = f"median of {args.memory_runs}" if args.memory_runs > 1 else "one run"
        results.append([f"peak RSS, replay of 1 mine x {span_name(h1)} ({d1.files:,} files; {what})",
                        f"{m1:,.0f} MB{spread(rss1)}", "", ""])
        results.append([f"peak RSS, replay of 1 mine x {span_name(h3)} ({d3.files:,} files; {what})",
                        f"{m3:,.0f} MB{spread(rss3)}; {growth:.2f}x",
                        f"does not grow (<= {TARGET_MEMORY_GROWTH:.2f}x)", verdict(growth <= TARGET_MEMORY_GROWTH)])

    if "latency" not in skip:
        log("latency: worker on a drop folder ...")
        lat = latency(root, url, args.latency_runs, args.points)
        shutil.rmtree(root / "latency", ignore_errors=True)
        if lat.seconds:
            med, mx = statistics.median(lat.seconds), max(lat.seconds)
            log("latency: " + ", ".join(f"{s:.2f}" for s in lat.seconds) + " s")
            ok = mx < TARGET_LATENCY_S and len(lat.seconds) == args.latency_runs
            results.append([f"drop-to-alarm latency, worker --interval 0.2 (median / max of {len(lat.seconds)})",
                            f"{med:.2f} s / {mx:.2f} s", f"< {TARGET_LATENCY_S:g} s", verdict(ok)])
            info.append("latency runs: " + ", ".join(f"{s:.2f} s" for s in lat.seconds))
        if lat.error:
            log(f"latency: {lat.error}")
            results.append(["drop-to-alarm latency", "error: " + lat.error.splitlines()[0][:120],
                            f"< {TARGET_LATENCY_S:g} s", "FAIL"])

    info.append(f"total run {time.perf_counter() - BEGAN:.0f} s; load at the end {loadavg()}")
    now_code = sources(ROOT)
    if now_code != code:
        info.append(f"note: {ROOT}/kuangan changed during the run (now {now_code[0]}); "
                    + ("the run measured its copy taken at the start" if code_root != ROOT else "MEASURE AGAIN"))
    print("\n".join(info))
    print()
    print(render(["figure", "value", "target", "result"], results, args.markdown, {1}))
    if eng is not None:
        rows = []
        for name, secs in (("read files", eng.read), ("parse_uploads (arrivals, limits)", eng.parse), ("run_batch (rules)", eng.engine),
                           ("engine state to bytes, checkpoints", eng.state), ("ParquetStore.stage + place", eng.parquet)):
            rows.append([name, f"{secs:.1f}", f"{secs / eng.total:.0%}", f"{eng.readings / secs:,.0f}"])
        rows.append(["= engine only (sum of the steps)", f"{eng.total:.1f}", "100%", f"{eng.readings / eng.total:,.0f}"])
        if e2e is not None:
            rest = e2e.seconds - eng.total
            rows.append(["end to end (wall)", f"{e2e.seconds:.1f}", f"{e2e.seconds / eng.total:.0%}",
                         f"{e2e.readings / e2e.seconds:,.0f}"])
            rows.append(["end to end - engine only: database, process start, less any overlap of steps",
                         f"{rest:+.1f}", f"{rest / eng.total:+.0%}", ""])
        print()
        print(f"breakdown of the engine-only pass ({eng.batches} batches of up to {args.batch_files} files, "
              "in-process, one step after the other):")
        print(render(["step", "s", "share of engine only", "readings/s"], rows, args.markdown, {1, 2, 3}))

if __name__ == "__main__":
    main()
