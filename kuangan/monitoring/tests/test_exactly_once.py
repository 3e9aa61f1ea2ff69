"""Ingestion is exactly once (docs/architecture.md "Monitoring", monitoring.ingest): whatever kills or
crashes an ingesting process, or runs beside it, once the ingestion is run again to its end the readings in
Parquet, the 5-minute statistics, the alarms and the upload rows are those of an undisturbed run, and no
staged or temporary file is left.

Real `kuangan` processes on installations of their own (installation.py): a database of their own on the
backend the tests run on (a SQLite file, or a database created on the PostgreSQL server of the PostgreSQL
pass), so these are no `nodb` tests and use none of pytest-django's database fixtures.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from kuangan.core import clock
from kuangan.engine.simulate import Incident, MineSpec, simulate

from .installation import STAGING, Dump, Installation, Installations, Run, wait_until

MINES = {"140000000011": "甲矿", "140000000012": "乙矿"}
BATCH_FILES = 40  # files per replay batch: some 20 batches
SEED = random.randrange(2**32)  # the moments of the kills; printed with a failure


@dataclass
class Feed:
    """Two mines' networking files of two hours, one sub-folder per mine."""

    folder: Path
    files: list[tuple[str, bytes]]

    @property
    def contents(self) -> int:
        return len({hashlib.sha256(data).hexdigest() for _name, data in self.files})

    def replay(self, *, batch_files: int = BATCH_FILES) -> tuple[str, ...]:
        return ("monitoring", "replay", str(self.folder), "--register-unknown", "--batch-files", str(batch_files))


@pytest.fixture(scope="session")
def installations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installations]:
    made = Installations(tmp_path_factory.mktemp("installations"))
    yield made
    made.close()


@pytest.fixture
def fresh(installations: Installations, tmp_path: Path) -> Iterator[Callable[[str], Installation]]:
    """fresh(name) -> a new installation, migrated, with a database of its own (dropped afterwards)."""
    made: list[Installation] = []

    def make(name: str) -> Installation:
        made.append(installations.new(tmp_path / name))
        return made[-1]

    yield make
    for inst in made:
        inst.destroy(installations.server)


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Feed:
    # recent data (up to ten minutes ago), as a drop folder gets it
    start = clock.local(clock.now()).replace(second=0, microsecond=0) - timedelta(hours=2, minutes=10)
    a, b = MINES
    mines = [MineSpec(code, name, points=20, outstations=2) for code, name in MINES.items()]
    incidents = [Incident("over_limit", a, start + timedelta(minutes=20), 6, peak=1.7),
                 Incident("unreported_over_limit", b, start + timedelta(minutes=50), 5, peak=1.3)]
    files = list(simulate(mines, start, start + timedelta(hours=2), incidents=incidents))
    folder = tmp_path_factory.mktemp("feed")
    write(folder, files)
    return Feed(folder, files)


@pytest.fixture(scope="module")
def baseline(installations: Installations, feed: Feed, tmp_path_factory: pytest.TempPathFactory) -> Dump:
    """What an undisturbed replay stores."""
    inst = installations.new(tmp_path_factory.mktemp("baseline"))
    try:
        inst.run(*feed.replay())
        dump = inst.dump()
    finally:
        inst.destroy(installations.server)
    kinds = {a[2] for a in dump.alarms}
    assert {"over_limit", "unreported_event"} <= kinds, dump.alarms
    assert len(dump.batches) > 10 and dump.readings.height > 5000
    assert dump.statuses() == {"accepted": feed.contents}
    assert_clean(dump)
    return dump


def write(folder: Path, files: list[tuple[str, bytes]]) -> None:
    for name, data in files:
        (folder / name.split("_", 1)[0]).mkdir(parents=True, exist_ok=True)
        (folder / name.split("_", 1)[0] / name).write_bytes(data)


def drop(folder: Path, name: str, data: bytes) -> None:
    """Into a drop folder as the mines' gateways write: under a hidden name, then renamed."""
    mine = folder / name.split("_", 1)[0]
    mine.mkdir(parents=True, exist_ok=True)
    (mine / f".{name}.part").write_bytes(data)
    os.replace(mine / f".{name}.part", mine / name)


def dropped(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")] if folder.is_dir() else []


def register_mines(inst: Installation) -> None:
    """The mines of the feed, as a replay with --register-unknown makes them (the worker does not)."""
    inst.shell("from kuangan.core.actor import Actor\n"
               "from kuangan.core.choices import Via\n"
               "from kuangan.registry.actions import register_mine_from_feed\n"
               f"for code, name in {MINES!r}.items():\n"
               "    register_mine_from_feed(code, name, by=Actor.system(Via.INGEST))\n")


# --- comparisons -----------------------------------------------------------------------------------------


def assert_clean(dump: Dump) -> None:
    """Nothing staged or temporary left; the Parquet files in place are exactly the committed batches'."""
    assert not dump.staged, f"left in {STAGING}: {dump.staged}"
    assert not dump.temporary, f"temporary files left: {dump.temporary}"
    committed = {p for b in dump.batches.values() for p in b["parts"]}
    assert dump.placed == committed, (f"in place but of no committed batch: {sorted(dump.placed - committed)}; "
                                      f"committed but not in place: {sorted(committed - dump.placed)}")
    assert sum(b["rows"] for b in dump.batches.values()) == dump.readings.height


def assert_committed_files(dump: Dump) -> None:
    """What a crash or a failure may leave: the files in place are committed batches' files, and every file
    of a committed batch is in place or still in its staging folder (to be placed by the next batch)."""
    assert not dump.temporary, f"temporary files left: {dump.temporary}"
    committed = {p for b in dump.batches.values() for p in b["parts"]}
    staged = {p for batch, files in dump.staged.items() if batch in dump.batches for p in files}
    assert dump.placed <= committed, f"in place but of no committed batch: {sorted(dump.placed - committed)}"
    assert committed <= dump.placed | staged, f"committed but lost: {sorted(committed - dump.placed - staged)}"


def assert_once(dump: Dump) -> None:
    """No reading stored twice, no file accepted twice."""
    keys = ["mine", "point_code", "data_time"]
    twice = dump.readings.clear() if dump.readings.is_empty() else (
        dump.readings.filter(dump.readings.select(keys).is_duplicated()))
    assert twice.is_empty(), f"{twice.height} readings stored more than once:\n{twice}"
    accepted = [u[1] for u in dump.uploads if u[2] == "accepted"]
    assert len(accepted) == len(set(accepted))


def assert_same_store(dump: Dump, baseline: Dump) -> None:
    """The Parquet store's records and statistics those of the baseline (the statistics' sums up to
    rounding: a 5-minute bucket split between batches is summed in another order)."""
    assert_once(dump)
    for table, expected in baseline.tables.items():
        assert_frames(dump.tables[table], expected, table, check_exact=True)
    assert_frames(dump.stats, baseline.stats, "stats5m", check_exact=False, rel_tol=1e-12, abs_tol=1e-9)


def assert_frames(got: pl.DataFrame, expected: pl.DataFrame, what: str, **how: Any) -> None:
    """assert_frame_equal, the failure naming the table and showing the rows found on one side only."""
    try:
        assert_frame_equal(got, expected, **how)
    except AssertionError as e:
        only = [side.join(other, on=side.columns, how="anti", nulls_equal=True)
                for side, other in ((got, expected), (expected, got))]
        raise AssertionError(f"{what} (seed {SEED}): {e}\n{got.height} rows, expected {expected.height}\n"
                             f"only here:\n{only[0]}\nonly in the baseline:\n{only[1]}") from None


def assert_same(dump: Dump, baseline: Dump) -> None:
    """Everything as the baseline stored it: store, alarms, upload rows; and clean."""
    assert_same_store(dump, baseline)
    assert dump.alarms == baseline.alarms, f"seed {SEED}"
    assert dump.uploads == baseline.uploads, f"seed {SEED}"
    assert_clean(dump)


def point_alarms(dump: Dump) -> list[tuple[object, ...]]:
    """The alarms judged from the data alone: not mine_silent (judged by arrival, which differs between a
    drop folder and a replay), not withdrawn ones."""
    return [a for a in dump.alarms if a[2] != "mine_silent" and not a[6]]


# --- killed from outside ---------------------------------------------------------------------------------


def kill_mid_run(run: Run, inst: Installation, *, after_files: int, rng: random.Random, in_staging: bool) -> str:
    """SIGKILL a replay once it has done `after_files` files: at once when a batch's staging folder next
    appears (`in_staging`), else after a random moment. Returns where the kill landed."""
    wait_until(lambda: run.progress() >= after_files or run.poll() is not None, what=f"{after_files} files")
    if in_staging:
        wait_until(lambda: bool(inst.staging()) or run.poll() is not None, what="a staging folder")
    else:
        time.sleep(rng.uniform(0, 0.15))
    assert run.poll() is None, f"the process ended before it was killed:\n{run.output()}"
    assert run.kill() == -9
    return "in staging" if inst.staging() else "outside staging"


def test_a_replay_killed_mid_run_then_run_again_stores_what_an_undisturbed_one_does(fresh, feed, baseline):
    inst = fresh("killed")
    rng = random.Random(SEED)
    total = len(feed.files)
    landed = []
    for i, share in enumerate((0.25, 0.5, 0.75)):
        run = inst.start(*feed.replay())
        landed.append(kill_mid_run(run, inst, after_files=int(total * share) + rng.randrange(40), rng=rng,
                                   in_staging=i == 1))
    partial = inst.dump()
    assert 0 < partial.statuses().get("accepted", 0) < feed.contents, "the kills came too late"
    assert_once(partial)
    inst.run(*feed.replay())
    dump = inst.dump()
    assert_same(dump, baseline)
    assert dump.statuses() == {"accepted": feed.contents}
    print(f"kills (seed {SEED}): {landed}")


def test_a_replay_crashed_at_each_step_of_a_batch_is_completed_by_the_next_run(fresh, feed, baseline):
    """Deterministic crashes (installation.FAULTS) at the three moments of a batch's files; each crash
    leaves what it should, and the next run's first batch finishes (places) or removes it."""
    inst = fresh("crashed")
    # 1. staged, not committed: an orphan
    crashed = inst.run(*feed.replay(), fault=("staged", 3), check=False)
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    after = inst.dump()
    assert len(after.batches) == 2 and len(after.staged) == 1
    orphan = next(iter(after.staged))
    assert orphan not in after.batches and after.staged[orphan]
    assert_committed_files(after)
    # 2. committed, nothing placed: the orphan was removed by this run's first batch
    crashed = inst.run(*feed.replay(), fault=("committed", 2), check=False)
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    after = inst.dump()
    assert orphan not in after.staged and len(after.staged) == 1
    unplaced = next(iter(after.staged))
    parts = set(after.batches[unplaced]["parts"])
    assert parts and not parts & after.placed and after.staged[unplaced] == parts
    assert not after.batches[unplaced]["placed"]
    assert_committed_files(after)
    # 3. committed, one file placed: the batch before was placed by this run's first batch
    crashed = inst.run(*feed.replay(), fault=("placing", 2), check=False)
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    after = inst.dump()
    assert unplaced not in after.staged and parts <= after.placed
    assert len(after.staged) == 1
    half = next(iter(after.staged))
    half_parts = set(after.batches[half]["parts"])
    assert len(half_parts & after.placed) == 1 and after.staged[half] == half_parts - after.placed
    assert_committed_files(after)
    # 4. to the end
    inst.run(*feed.replay())
    dump = inst.dump()
    assert half not in dump.staged and half_parts <= dump.placed
    assert_same(dump, baseline)


def test_a_batch_placed_by_the_next_batch_is_recorded_as_placed(fresh, feed):
    """A batch killed between its commit and placing its files: the next batch places them and marks it."""
    inst = fresh("sweep-placed")
    crashed = inst.run(*feed.replay(), fault=("committed", 1), check=False)
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    inst.run(*feed.replay())
    dump = inst.dump()
    assert_clean(dump)  # the files are in place
    assert [b for b, v in dump.batches.items() if not v["placed"]] == []


# --- the worker ------------------------------------------------------------------------------------------


class Feeder(threading.Thread):
    """The mines' gateways: the files written into the drop folder in their order, a few at a time."""

    def __init__(self, files: list[tuple[str, bytes]], folder: Path, *, per: int = 20, every: float = 0.1):
        super().__init__(daemon=True)
        self.files, self.folder, self.per, self.every = files, folder, per, every
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for i in range(0, len(self.files), self.per):
                for name, data in self.files[i:i + self.per]:
                    drop(self.folder, name, data)
                time.sleep(self.every)
        except BaseException as e:  # told by the test
            self.error = e


def finish_drop_folder(inst: Installation, *, rounds: int = 5) -> None:
    """`kuangan worker --once` until the drop folder is empty."""
    for _ in range(rounds):
        if not dropped(inst.drop):
            return
        inst.run("worker", "--once")
    assert not dropped(inst.drop), f"{len(dropped(inst.drop))} files still in the drop folder"


def test_a_worker_killed_mid_run_then_run_again_stores_what_a_replay_does(fresh, feed, baseline):
    """The files arrive a few at a time; the worker is killed three times while they do (each time with a
    quarter of them arriving), the last quarter comes while it is down, and `worker --once` finishes."""
    inst = fresh("worker")
    register_mines(inst)
    rng = random.Random(SEED)
    quarter = len(feed.files) // 4 + 1
    landed = []
    for i in range(3):
        run = inst.start("worker", "--interval", "0.2")
        wait_until(lambda: "watching" in run.stdout.read_text() or run.poll() is not None,  # noqa: B023
                   what="the worker's start")
        before = len(inst.placed())
        feeder = Feeder(feed.files[i * quarter:(i + 1) * quarter], inst.drop)
        feeder.start()
        if i == 1:  # at once when a batch is being staged
            wait_until(lambda: bool(inst.staging()) or run.poll() is not None, what="a staging folder")  # noqa: B023
        else:  # a moment after a batch was committed and placed
            wait_until(lambda: len(inst.placed()) > before or run.poll() is not None,  # noqa: B023
                       what="the worker's next batch")
            time.sleep(rng.uniform(0, 0.3))
        assert run.poll() is None, f"the worker ended before it was killed:\n{run.output()}"
        assert run.kill() == -9
        landed.append(("in staging" if inst.staging() else "outside staging", f"{len(dropped(inst.drop))} files left"))
        feeder.join(timeout=60)
        assert feeder.error is None and not feeder.is_alive()
    partial = inst.dump()
    assert 0 < partial.statuses().get("accepted", 0) < 3 * quarter
    assert_once(partial)
    assert_committed_files(partial)
    for name, data in feed.files[3 * quarter:]:
        drop(inst.drop, name, data)
    finish_drop_folder(inst)
    dump = inst.dump()
    assert_same_store(dump, baseline)
    assert point_alarms(dump) == point_alarms(baseline), f"seed {SEED}"
    assert dump.uploads == baseline.uploads
    assert_clean(dump)
    print(f"kills (seed {SEED}): {landed}")


# --- two ingesters at once -------------------------------------------------------------------------------


def stored_readings(run: Run) -> int:
    """The readings a replay stored itself (its summary line: `<files> files, <readings> readings, …`)."""
    found = re.search(r"(\d+) files, (\d+) readings", run.stdout.read_text())
    assert found, run.output()
    return int(found[2])


def test_two_replays_at_once_store_each_file_once(fresh, feed, baseline):
    inst = fresh("two")
    # batches of other sizes: a batch of one holds files the other stored meanwhile, and files it did not
    runs = [inst.start(*feed.replay()), inst.start(*feed.replay(batch_files=27))]
    codes = [run.wait() for run in runs]
    assert codes == [0, 0], "\n".join(run.output() for run in runs)
    assert_same(inst.dump(), baseline)
    # each reading stored by one of the two
    shares = [stored_readings(run) for run in runs]
    assert sum(shares) == baseline.readings.height
    print(f"readings stored by each replay: {shares}")


def test_two_replays_registering_the_same_unknown_mines_at_once_both_succeed(fresh, feed, tmp_path):
    """The race of the test above made certain: each process takes 2 s between creating a mine and committing
    it. On PostgreSQL the second one's INSERT waits for the first's commit and then violates the mine code's
    unique key (register_mine_from_feed then finds the mine); SQLite's second waits at BEGIN."""
    inst = fresh("register")
    first_batch = tmp_path / "first-batch"
    write(first_batch, feed.files[:BATCH_FILES])
    replay = ("monitoring", "replay", str(first_batch), "--register-unknown")
    runs = [inst.start(*replay, fault=("slow-register", 2000)) for _ in range(2)]
    codes = [run.wait() for run in runs]
    assert codes == [0, 0], "\n".join(run.output() for run in runs)
    assert inst.dump().statuses() == {"accepted": BATCH_FILES}


def test_a_replay_and_a_worker_at_once_store_each_file_once(fresh, feed, baseline):
    """The same files in a replayed folder and arriving in the drop folder while the replay runs."""
    inst = fresh("replay-and-worker")
    register_mines(inst)
    worker = inst.start("worker", "--interval", "0.2")
    wait_until(lambda: "watching" in worker.stdout.read_text() or worker.poll() is not None, what="the worker")
    replay = inst.start(*feed.replay())
    wait_until(lambda: replay.progress() > 0 or replay.poll() is not None, what="the replay's first batch")
    for name, data in feed.files:
        drop(inst.drop, name, data)
    assert replay.wait() == 0, replay.output()
    wait_until(lambda: not dropped(inst.drop) or worker.poll() is not None, timeout=60, every=0.05,
               what="the worker emptying the drop folder")
    worker.process.terminate()  # the worker stops after its current pass
    assert worker.wait() == 0, worker.output()
    dump = inst.dump()
    assert_same_store(dump, baseline)
    assert point_alarms(dump) == point_alarms(baseline), f"seed {SEED}"
    # each file accepted once, by one of the two; the other copy a duplicate without a row
    assert dump.uploads == baseline.uploads
    assert sum(dump.sources.values()) == feed.contents  # how they shared the files is the lock's to decide
    assert_clean(dump)
    print(f"files accepted from each: {dump.sources}")


# --- a full disk -----------------------------------------------------------------------------------------


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, timeout=30)
    return done.returncode == 0


def test_a_replay_that_cannot_write_its_files_keeps_nothing_of_the_batch(fresh, feed, baseline):
    """The disk fills up in mid-replay (a small tmpfs as the monitoring folder, when the tests run as root
    and may mount one); elsewhere (no root, or no mount allowed) the staging folder cannot be made (a file
    is in its place). The failed batch keeps nothing; once there is room the replay completes."""
    inst = fresh("full")
    full = _mount_tmpfs(inst.monitoring, "160k")
    try:
        if not full:
            inst.monitoring.mkdir(parents=True, exist_ok=True)
            (inst.monitoring / STAGING).write_text("in the way")
        failed = inst.run(*feed.replay(), check=False)
        assert failed.returncode != 0, failed.stdout + failed.stderr
        assert ("No space left on device" if full else STAGING) in failed.stderr, failed.stderr
        after = inst.dump()
        accepted = after.statuses().get("accepted", 0)
        if full:  # some batches stored before the disk filled up, each reading of them the baseline's
            assert 0 < accepted < feed.contents and after.batches
            # the failed batch's staging folder removed (a batch that committed but could not place its
            # files, had the disk filled up then, would leave its own for the next batch to place)
            assert set(after.staged) <= set(after.batches), f"an uncommitted batch left: {after.staged}"
            assert_committed_files(after)
            keys = ["mine", "point_code", "data_time", "value"]
            assert after.readings.select(keys).join(baseline.readings.select(keys), on=keys, how="anti").is_empty()
        else:
            assert accepted == 0 and not after.batches and not after.uploads and after.readings.is_empty()
        assert_once(after)
        print(f"{'disk full' if full else 'staging blocked'}: {accepted} of {feed.contents} files stored before")
        if full:
            subprocess.run(["mount", "-o", "remount,size=64m", str(inst.monitoring)], check=True, timeout=30)
        else:
            (inst.monitoring / STAGING).unlink()
        inst.run(*feed.replay())
        assert_same(inst.dump(), baseline)
    finally:
        if full:
            subprocess.run(["umount", "-l", str(inst.monitoring)], timeout=30)
