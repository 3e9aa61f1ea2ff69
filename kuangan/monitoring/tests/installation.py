"""Fresh installations of kuangan, run as real `kuangan` processes (the exactly-once tests of ingestion,
test_exactly_once.py): processes that are killed, crash or run side by side need a database and a
monitoring folder of their own, not pytest-django's test database.

An installation is a folder (its KUANGAN_VAR_DIR, monitoring folder and drop folder) and a database: a
SQLite file in the folder, or, when the tests run against PostgreSQL (KUANGAN_DATABASE_URL=postgresql://…
in the environment), a database of its own created on that server and dropped afterwards. Migrating takes
seconds, so `Installations` migrates one template per test session and each installation starts as a copy
of it (the SQLite file copied; CREATE DATABASE … TEMPLATE).

`python -m kuangan.monitoring.tests.installation FAULT N ARGS…` runs `kuangan ARGS…` with a fault
(`FAULTS`): killing itself (SIGKILL, nothing cleaned up) at a chosen step of the Nth batch that stores
records, or taking N ms to register a mine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:
    import polars as pl

KUANGAN = str(Path(sys.executable).with_name("kuangan"))
TIMEOUT = 120  # seconds: any one command of these tests
RECORD_TABLES = ("readings", "status", "events", "definitions")  # engine.io.parquet_store.TABLES
STAGING = ".staging"
FAULTS = {
    "staged": "killed once the batch's Parquet files are staged, its transaction not committed",
    "committed": "killed once the transaction is committed, none of the batch's files placed",
    "placing": "killed once the transaction is committed, one of the batch's files placed, the others staged",
    "slow-register": "N ms between creating a mine from the feed and committing it",
}
_PROGRESS = re.compile(r"(\d+)/(\d+) files")


def server_url() -> str | None:
    """The PostgreSQL server the tests run against, or None (SQLite)."""
    url = os.environ.get("KUANGAN_DATABASE_URL", "")
    return url if urlparse(url).scheme in ("postgres", "postgresql") else None


def _with_database(url: str, name: str) -> str:
    return urlparse(url)._replace(path=f"/{name}").geturl()


def _admin(url: str, statement: str, *, retry_in_use: float = 0.0) -> None:
    """One statement on the server, outside a transaction (CREATE/DROP DATABASE)."""
    import psycopg

    deadline = time.monotonic() + retry_in_use
    while True:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(statement)  # type: ignore[arg-type]
            return
        except psycopg.errors.ObjectInUse:
            # the template's last user (a `kuangan` process that just exited) is still leaving
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@dataclass
class Dump:
    """What an installation stored: the database's alarms, uploads and batch records, and the Parquet store
    as found on disk."""

    alarms: list[tuple[Any, ...]]  # (mine, point_code, kind, start, end, peak, withdrawn), sorted
    uploads: list[tuple[Any, ...]]  # (name, sha256, status, mine, records, rejected), sorted
    sources: dict[str, int]  # accepted uploads by source (replay, drop_folder, api)
    batches: dict[str, dict[str, Any]]  # StoredBatch: batch id -> {"parts", "placed", "rows"}
    tables: dict[str, pl.DataFrame]  # every record table's rows (with their mine), sorted
    stats: pl.DataFrame  # stats5m per (mine_code, point_code, bucket): sum(n), sum(sum), min(min), max(max)
    placed: set[str]  # the Parquet files in place, relative to the monitoring folder
    staged: dict[str, set[str]]  # what is under .staging: batch id -> its files (relative to the batch folder)
    temporary: list[str]  # files ending in .tmp anywhere under the monitoring folder

    def statuses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.uploads:
            out[row[2]] = out.get(row[2], 0) + 1
        return out

    @property
    def readings(self) -> pl.DataFrame:
        return self.tables["readings"]


# printed by `kuangan shell` in the installation
_DUMP = """
import json
from kuangan.monitoring.models import Alarm, StoredBatch, Upload
alarms = [(a.mine.code, a.point_code, a.kind, a.start.isoformat(), a.end.isoformat() if a.end else None,
           a.peak, a.withdrawn) for a in Alarm.objects.select_related("mine")]
uploads = list(Upload.objects.values_list("name", "sha256", "status", "mine_code", "records", "rejected"))
sources = list(Upload.objects.filter(status="accepted").values_list("source", flat=True))
batches = {b.batch_id: {"parts": b.parts, "placed": b.placed, "rows": b.rows} for b in StoredBatch.objects.all()}
print("DUMP " + json.dumps({"alarms": alarms, "uploads": uploads, "sources": sources, "batches": batches}))
"""


@dataclass
class Run:
    """A `kuangan` process started in the background; its output goes to files (no pipe to fill up)."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    files: list[IO[bytes]] = field(default_factory=list)

    def poll(self) -> int | None:
        return self.process.poll()

    def progress(self) -> int:
        """Files a replay has done so far (its `\\r<done>/<total> files …` line on stderr)."""
        found = _PROGRESS.findall(self.stderr.read_text(errors="replace"))
        return int(found[-1][0]) if found else 0

    def kill(self) -> int:
        """SIGKILL: the process ends wherever it is, nothing cleaned up."""
        os.kill(self.process.pid, signal.SIGKILL)
        return self.wait()

    def wait(self, timeout: float = TIMEOUT) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            for f in self.files:
                f.close()
        return code

    def output(self) -> str:
        return f"stdout:\n{self.stdout.read_text(errors='replace')}\nstderr:\n{self.stderr.read_text(errors='replace')}"


@dataclass
class Installation:
    root: Path
    database_url: str
    database: str | None = None  # the PostgreSQL database to drop afterwards
    runs: int = 0

    @property
    def var(self) -> Path:
        return self.root / "var"

    @property
    def monitoring(self) -> Path:
        return self.root / "monitoring"

    @property
    def drop(self) -> Path:
        return self.root / "drop"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "KUANGAN_VAR_DIR": str(self.var), "KUANGAN_DATABASE_URL": self.database_url,
                "KUANGAN_MONITORING_DIR": str(self.monitoring), "KUANGAN_DROP_DIR": str(self.drop),
                "PYTHONUNBUFFERED": "1"}  # a background process's output seen as it comes

    def run(self, *args: str, timeout: float = TIMEOUT, check: bool = True, fault: tuple[str, int] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """`kuangan ARGS…` to its end; `check`: fail with its output unless it exited 0."""
        done = subprocess.run(self._command(args, fault), env=self.env, cwd=self.root, capture_output=True,
                              text=True, timeout=timeout, input=stdin)
        if check and done.returncode != 0:
            raise AssertionError(f"kuangan {' '.join(args)} exited {done.returncode}\n"
                                 f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
        return done

    def start(self, *args: str, fault: tuple[str, int] | None = None) -> Run:
        """`kuangan ARGS…` in the background."""
        self.runs += 1
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        out, err = logs / f"{self.runs}.out", logs / f"{self.runs}.err"
        files = [open(out, "wb"), open(err, "wb")]  # closed by Run.wait
        process = subprocess.Popen(self._command(args, fault), env=self.env, cwd=self.root, stdout=files[0],
                                   stderr=files[1])
        return Run(process, out, err, files)

    def _command(self, args: tuple[str, ...], fault: tuple[str, int] | None) -> list[str]:
        if fault is None:
            return [KUANGAN, *args]
        assert fault[0] in FAULTS
        return [sys.executable, "-m", __name__, fault[0], str(fault[1]), *args]

    def shell(self, code: str) -> str:
        return self.run("shell", "-v", "0", "-c", code).stdout

    def staging(self) -> dict[str, set[str]]:
        """What is under .staging: batch id -> its files (relative to the batch's folder)."""
        out: dict[str, set[str]] = {}
        folder = self.monitoring / STAGING
        for path in _files(folder):
            batch, _, rest = path.partition("/")
            out.setdefault(batch, set())
            if rest:
                out[batch].add(rest)
        try:
            out.update({name: set() for name in os.listdir(folder) if name not in out})  # empty folders
        except OSError:
            pass
        return out

    def placed(self) -> set[str]:
        """The Parquet files in place (relative to the monitoring folder)."""
        return {p for p in _files(self.monitoring, skip=STAGING) if p.endswith(".parquet")}

    def dump(self) -> Dump:
        import polars as pl

        line = next(x for x in self.shell(_DUMP).splitlines() if x.startswith("DUMP "))
        db = json.loads(line[len("DUMP "):])
        alarms = sorted((tuple(a) for a in db["alarms"]), key=lambda a: tuple("" if v is None else str(v) for v in a))
        uploads = sorted(tuple(u) for u in db["uploads"])
        tables = {}
        for table in RECORD_TABLES:
            # readings are partitioned by mine too; the smaller tables keep the mine as a column
            frames = ([pl.read_parquet(p).with_columns(mine=pl.lit(p.parent.name.removeprefix("mine=")))
                       for p in sorted(self.monitoring.glob(f"{table}/date=*/mine=*/part-*.parquet"))]
                      if table == "readings" else
                      [pl.read_parquet(p).rename({"mine_code": "mine"})
                       for p in sorted(self.monitoring.glob(f"{table}/date=*/part-*.parquet"))])
            frame = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame({"mine": []}, {"mine": pl.String})
            tables[table] = frame.select("mine", *sorted(set(frame.columns) - {"mine"}))
            tables[table] = tables[table].sort(tables[table].columns, nulls_last=True)
        stats_files = sorted(self.monitoring.glob("stats5m/date=*/part-*.parquet"))
        stats = (pl.concat([pl.read_parquet(p) for p in stats_files]) if stats_files else
                 pl.DataFrame(schema={"mine_code": pl.String, "point_code": pl.String, "bucket": pl.Datetime("us"),
                                      "n": pl.UInt32, "min": pl.Float64, "max": pl.Float64, "sum": pl.Float64}))
        stats = (stats.group_by("mine_code", "point_code", "bucket")
                 .agg(pl.col("n").sum(), pl.col("sum").sum(), pl.col("min").min(), pl.col("max").max())
                 .sort("mine_code", "point_code", "bucket"))
        temporary = [p for p in _files(self.monitoring) if p.endswith(".tmp")]
        sources: dict[str, int] = {}
        for source in db["sources"]:
            sources[source] = sources.get(source, 0) + 1
        return Dump(alarms=alarms, uploads=uploads, sources=sources, batches=db["batches"], tables=tables, stats=stats,
                    placed=self.placed(), staged=self.staging(), temporary=temporary)

    def destroy(self, server: str | None) -> None:
        if self.database is not None and server is not None:
            _admin(server, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


class Installations:
    """Makes fresh installations from one migrated template (made at the first request)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server = server_url()
        self.template: Installation | None = None

    def new(self, root: Path) -> Installation:
        template = self._template()
        root.mkdir(parents=True, exist_ok=True)
        if self.server is None:
            db = root / "var" / "kuangan.sqlite3"
            db.parent.mkdir(parents=True)
            source = template.var / "kuangan.sqlite3"
            for suffix in ("", "-wal"):  # a cleanly closed database has no WAL left, but copy one if it has
                if Path(f"{source}{suffix}").exists():
                    shutil.copyfile(f"{source}{suffix}", f"{db}{suffix}")
            return Installation(root, f"sqlite:///{db}")
        assert template.database is not None
        name = f"kuangan_eo_{uuid.uuid4().hex}"
        _admin(self.server, f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"', retry_in_use=10)
        return Installation(root, _with_database(self.server, name), name)

    def _template(self) -> Installation:
        if self.template is None:
            root = self.root / "template"
            root.mkdir(parents=True, exist_ok=True)
            if self.server is None:
                template = Installation(root, f"sqlite:///{root / 'var' / 'kuangan.sqlite3'}")
            else:
                name = f"kuangan_eo_{uuid.uuid4().hex}"
                _admin(self.server, f'CREATE DATABASE "{name}"')
                template = Installation(root, _with_database(self.server, name), name)
            self.template = template  # dropped by close() even if migrating fails
            template.run("migrate", "-v", "0")
        return self.template

    def close(self) -> None:
        if self.template is not None:
            self.template.destroy(self.server)


def _files(folder: Path, *, skip: str = "") -> list[str]:
    """Every file under `folder` (relative paths), read while a process may be moving them: what goes
    meanwhile is left out."""
    out = []
    for parent, dirs, names in os.walk(folder):
        if parent == str(folder):
            dirs[:] = [d for d in dirs if d != skip]
        out += [os.path.relpath(os.path.join(parent, n), folder) for n in names]
    return out


def wait_until(condition: Callable[[], bool], *, timeout: float = 60, every: float = 0.001, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s in vain{': ' + what if what else ''}")
        time.sleep(every)


# --- a `kuangan` process with a fault ----------------------------------------------------------------------


def _faulty_main() -> None:
    fault, nth = sys.argv[1], int(sys.argv[2])
    assert fault in FAULTS, f"a fault, one of {', '.join(FAULTS)}"
    sys.argv = ["kuangan", *sys.argv[3:]]
    from kuangan.core import batchprocess

    batchprocess.polars_allocator_settings()  # as the `kuangan` command does, before Polars loads
    from kuangan.cli import main

    if fault == "slow-register":
        _slow_register(nth / 1000)
    else:
        _crash_at(fault, nth)
    main()


def _slow_register(seconds: float) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuangan.settings")
    django.setup()
    from kuangan.registry.models import MineStatusChange

    manager = MineStatusChange.objects  # one instance: the manager of every access
    create = manager.create

    def slowly(**kwargs: Any) -> Any:  # registering a mine from the feed makes its first status change
        made = create(**kwargs)
        time.sleep(seconds)
        return made

    manager.create = slowly  # type: ignore[method-assign]


def _crash_at(step: str, nth: int) -> None:
    from kuangan.engine.io.parquet_store import ParquetStore

    stage, place, sweep = ParquetStore.stage, ParquetStore.place, ParquetStore.sweep
    calls = {"stage": 0, "place": 0, "sweeping": 0}

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    def staging(self: ParquetStore, records: Any, batch_id: str) -> list[str]:
        parts = stage(self, records, batch_id)
        calls["stage"] += 1
        if step == "staged" and calls["stage"] == nth:
            die()
        return parts

    def placing(self: ParquetStore, batch_id: str, parts: Any) -> None:
        parts = list(parts)
        if not calls["sweeping"]:  # a batch placing its own files after its commit
            calls["place"] += 1
            if step == "committed" and calls["place"] == nth:
                die()
            if step == "placing" and calls["place"] == nth:
                assert len(parts) > 1
                target = self.root / parts[0]
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.root / STAGING / batch_id / parts[0], target)
                die()
        place(self, batch_id, parts)

    def sweeping(self: ParquetStore, committed: Any) -> tuple[int, int]:
        calls["sweeping"] += 1
        try:
            return sweep(self, committed)
        finally:
            calls["sweeping"] -= 1

    ParquetStore.stage = staging  # type: ignore[method-assign]
    ParquetStore.place = placing  # type: ignore[method-assign]
    ParquetStore.sweep = sweeping  # type: ignore[method-assign]


if __name__ == "__main__":
    _faulty_main()
