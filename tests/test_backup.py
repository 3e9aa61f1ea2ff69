"""Backups that restore (`kuangan backup` / `kuangan restore`, kuangan.core.backup): a backup of a working
instance, restored into an empty one, gives the same data, an intact audit chain, the same readings and the
same uploaded files; a damaged backup and a non-empty target are refused.

Real `kuangan` processes on installations of their own (monitoring/tests/installation.py): a SQLite file, or
a database of their own on the PostgreSQL server of the PostgreSQL pass, so this runs on both backends. The
source is caught mid-ingestion: one batch committed but not yet moved into place, and another being staged
(not committed) while the backup runs.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from kuangan.core import clock
from kuangan.engine.simulate import MineSpec, simulate
from kuangan.monitoring.tests.installation import STAGING, Dump, Installation, Installations

MINES = {"140000000021": "丙矿", "140000000022": "丁矿"}
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

# run in the source by `kuangan shell`: the world, audited actions, a hazard with a photo
_LOAD = """
from decimal import Decimal
from django.core.files.uploadedfile import SimpleUploadedFile
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards.models import HazardStandardItem
from kuangan.registry import actions
from kuangan.testing import build_world

world = build_world()
by = world.actor(world.inspector)
actions.update_mine(world.a1.pk, by=by, data={"approved_capacity": Decimal("120"), "name": "甲一煤矿（改）"})
item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
hazard_actions.report_hazard(world.a1.pk, by=by, photos=[SimpleUploadedFile("现场.png", PHOTO)],
    report=hazard_actions.HazardReport(level="major", source="regulator_inspection", description="瓦斯传感器未标校",
                                       found_at=by.at, found_by="中阳县应急管理局", standard_item_id=item.pk))
"""

# what a user of the instance would find: rows per table, the audit head, some of the rows themselves
_FACTS = """
import json
from django.apps import apps
from kuangan.core.models import AuditHead
from kuangan.hazards.models import Hazard, HazardAttachment
from kuangan.registry.models import Mine
head = AuditHead.objects.filter(pk=1).first() or AuditHead(seq=0, hash="")
print("FACTS " + json.dumps({
    "rows": {m._meta.label: m.objects.count() for m in apps.get_models()},
    "head": [head.seq, head.hash],
    "mines": sorted([m.code, m.name, str(m.approved_capacity)] for m in Mine.objects.all()),
    "hazards": sorted(h.description for h in Hazard.objects.all()),
    "attachments": sorted(a.file.name for a in HazardAttachment.objects.all()),
}, ensure_ascii=False))
"""

# in the source after the backup: its own recovery (what its next batch does first) places the committed
# batch and removes the uncommitted one, so its store is then what the backup should hold
_RECOVER = """
from kuangan.monitoring import ingest
print(ingest.store().sweep(ingest._committed))
"""


@dataclass
class Scene:
    installations: Installations
    source: Installation
    backup: Path
    backup_output: str
    committed_unplaced: str  # the batch committed in the source but still in staging at the backup
    in_flight: str  # the batch being staged, not committed, during the backup
    source_facts: dict[str, object]
    source_dump: Dump
    target: Installation
    restore_output: str
    seconds: dict[str, float]


def facts(inst: Installation) -> dict[str, object]:
    line = next(x for x in inst.shell(_FACTS).splitlines() if x.startswith("FACTS "))
    return dict(json.loads(line[len("FACTS "):]))


def files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    root = tmp_path_factory.mktemp("backup")
    key = root / "audit.key"
    key.write_text(secrets.token_hex(32))
    seconds: dict[str, float] = {}
    with pytest.MonkeyPatch.context() as env:
        # explicit keys for every process (the same audit key for source and target), debug off
        env.setenv("KUANGAN_SECRET_KEY", secrets.token_urlsafe(50))
        env.setenv("KUANGAN_AUDIT_KEY", str(key))
        env.setenv("KUANGAN_DEBUG", "0")
        made = _Tracked(root / "installations")
        try:
            yield _build(made, root, seconds)
        finally:
            for inst in made.made:
                inst.destroy(made.server)
            made.close()


class _Tracked(Installations):
    """Installations that remember what they made, to drop their databases afterwards."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.made: list[Installation] = []

    def new(self, root: Path) -> Installation:
        self.made.append(super().new(root))
        return self.made[-1]


def _build(made: Installations, root: Path, seconds: dict[str, float]) -> Scene:
    started = time.monotonic()
    source = made.new(root / "source")
    source.shell(_LOAD.replace("PHOTO", repr(PHOTO)))
    # an hour of two mines' files, replayed until the 3rd batch that stores records has committed: killed
    # before moving its files into place
    start = clock.local(clock.now()).replace(second=0, microsecond=0) - timedelta(hours=1, minutes=10)
    feed = root / "feed"
    feed.mkdir()
    for name, data in simulate([MineSpec(c, n, points=10, outstations=1) for c, n in MINES.items()],
                               start, start + timedelta(hours=1)):
        (feed / name).write_bytes(data)
    killed = source.run("monitoring", "replay", str(feed), "--register-unknown", "--batch-files", "20",
                        fault=("committed", 3), check=False)
    assert killed.returncode != 0, killed.stdout
    staged = source.staging()
    assert len(staged) == 1, staged
    (committed_unplaced,) = staged
    # a batch staged while the backup runs, its transaction not committed (another ingester's)
    in_flight = uuid.uuid4().hex
    shutil.copytree(source.monitoring / STAGING / committed_unplaced, source.monitoring / STAGING / in_flight)
    for part in (source.monitoring / STAGING / in_flight).rglob("*.parquet"):
        part.rename(part.with_name(part.name.replace(committed_unplaced, in_flight)))
    source.run("tick")  # writes the audit anchor log
    seconds["source"] = time.monotonic() - started

    started = time.monotonic()
    backup = root / "the-backup"
    backup_output = source.run("backup", str(backup)).stdout
    seconds["backup"] = time.monotonic() - started

    source.shell(_RECOVER)
    source_facts, source_dump = facts(source), source.dump()

    started = time.monotonic()
    target = made.new(root / "target")
    restore_output = target.run("restore", str(backup)).stdout
    seconds["restore"] = time.monotonic() - started
    return Scene(made, source, backup, backup_output, committed_unplaced, in_flight, source_facts, source_dump,
                 target, restore_output, seconds)


def test_restore_into_an_empty_instance_gives_the_same_data(scene: Scene) -> None:
    started = time.monotonic()
    assert "audit chain intact" in scene.restore_output, scene.restore_output
    restored = facts(scene.target)
    assert restored == scene.source_facts
    rows = restored["rows"]
    assert isinstance(rows, dict)
    assert rows["core.AuditEvent"] > 5 and rows["hazards.HazardAttachment"] == 1 and rows["monitoring.Upload"] > 40
    verified = scene.target.run("audit", "verify")
    assert "intact" in verified.stdout
    # the same uploaded files and anchor log
    assert files(scene.target.var / "media") == files(scene.source.var / "media")
    assert any(p.endswith(".png") for p in files(scene.target.var / "media"))
    anchor = scene.source.var / "audit-anchor.log"
    if anchor.exists():  # written by `kuangan tick`
        assert (scene.target.var / "audit-anchor.log").read_bytes() == anchor.read_bytes()
    print(f"round trip: source {scene.seconds['source']:.1f} s, backup {scene.seconds['backup']:.1f} s, "
          f"restore {scene.seconds['restore']:.1f} s, checks {time.monotonic() - started:.1f} s")


def test_restored_readings_are_those_of_the_committed_batches(scene: Scene) -> None:
    restored = scene.target.dump()
    assert restored.readings.height > 200
    for table, frame in scene.source_dump.tables.items():
        assert_frame_equal(restored.tables[table], frame)
    assert_frame_equal(restored.stats, scene.source_dump.stats)
    assert restored.placed == scene.source_dump.placed
    assert restored.alarms == scene.source_dump.alarms and restored.uploads == scene.source_dump.uploads
    assert restored.staged == {}
    # the batch committed but not yet placed is in, placed; the one being staged is not
    assert any(scene.committed_unplaced in p for p in restored.placed)
    assert not any(scene.in_flight in p for p in files(scene.backup))


def test_backup_says_the_audit_key_is_kept_apart(scene: Scene) -> None:
    manifest = json.loads((scene.backup / "manifest.json").read_text(encoding="utf-8"))
    assert "KUANGAN_AUDIT_KEY" in scene.backup_output and "not in this backup" in scene.backup_output
    assert "not in this backup" in manifest["audit_key"]
    assert manifest["database"]["vendor"] in ("sqlite", "postgresql")
    assert manifest["created_at"].endswith("+08:00")
    assert manifest["audit_head"]["seq"] == scene.source_facts["head"][0]  # type: ignore[index]
    assert {f["path"] for f in manifest["files"]} == set(files(scene.backup)) - {"manifest.json"}
    key = (scene.backup.parent / "audit.key").read_bytes().strip()
    assert not any(key in p.read_bytes() for p in scene.backup.rglob("*") if p.is_file())


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["database", "parquet", "missing", "manifest"])
def test_damaged_backup_is_refused_naming_the_file(scene: Scene, tmp_path: Path, damage: str) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(scene.backup, copy)
    parquet = sorted(copy.glob("monitoring/readings/**/*.parquet"))[0]
    database = next(p for p in copy.glob("database.*"))
    expected = {"database": database.name, "parquet": parquet.relative_to(copy).as_posix(),
                "missing": parquet.relative_to(copy).as_posix(), "manifest": "no manifest.json"}[damage]
    if damage == "database":
        _flip(database)
    elif damage == "parquet":
        _flip(parquet)
    elif damage == "missing":
        parquet.unlink()
    else:
        (copy / "manifest.json").unlink()
    empty = scene.installations.new(tmp_path / "empty")
    refused = empty.run("restore", str(copy), "--force", check=False)
    assert refused.returncode != 0
    assert "restore refused" in refused.stderr and expected in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (empty.var / "media").exists() and not (empty.monitoring / "readings").exists()  # nothing restored


def test_restore_into_a_non_empty_instance_needs_force(scene: Scene, tmp_path: Path) -> None:
    inst = scene.installations.new(tmp_path / "busy")
    inst.run("restore", str(scene.backup))
    refused = inst.run("restore", str(scene.backup), check=False)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr and "--force" in refused.stderr, refused.stderr
    forced = inst.run("restore", str(scene.backup), "--force")
    assert "audit chain intact" in forced.stdout
    assert "kept aside in" in forced.stdout
    assert list(inst.var.glob("media.replaced-*")), "the replaced uploaded files are kept"
    assert facts(inst) == scene.source_facts


def test_backup_into_a_non_empty_folder_is_refused(scene: Scene, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    refused = scene.source.run("backup", str(tmp_path), check=False)
    assert refused.returncode != 0
    assert "not an empty folder" in refused.stderr and "Traceback" not in refused.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
