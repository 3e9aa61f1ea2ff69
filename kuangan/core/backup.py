"""Backups that restore (docs/security.md, backup): `kuangan backup DIR` and `kuangan restore DIR`.

A backup folder holds
    database.sqlite3 | database.dump   the SQLite online backup | `pg_dump --format=custom`
    monitoring/…                       the Parquet store's committed batches, as placed; the quarantined files
    media/…                            uploaded files (hazard photos, documents)
    audit-anchor.log                   the audit anchor log, when the instance has one
    manifest.json                      written last: each file with its size and SHA-256, the audit chain head

Consistent while the worker ingests: the anchor log is copied first (it only grows, so every head it names
is in the database copied after it); the database is copied as one snapshot (SQLite's backup API in one
step reads in one transaction; pg_dump runs in a snapshot exported by a REPEATABLE READ transaction, which
also reads the batch records); the Parquet files copied are exactly those of the batches committed in
that snapshot (`StoredBatch`), from their place or, for a batch committed but not yet moved, from staging.
A batch that commits later is left out of both. The audit key is never written into a backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from kuangan.engine.io.parquet_store import STAGING, TABLES

from . import clock
from .audit import ChainReport, verify_chain
from .models import AuditEvent, AuditHead, User

MANIFEST = "manifest.json"
FORMAT = 1
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
ANCHOR = "audit-anchor.log"
# the Parquet store's folders of records: copied batch by batch, never as found on disk
RECORD_FOLDERS = {*TABLES, "stats5m", STAGING}
KEY_NOTE = ("The audit key (KUANGAN_AUDIT_KEY) is not in this backup: keep it separately. "
            "The restored audit chain verifies only with the key of the instance backed up.")


class BackupError(Exception):
    """A backup or restore refused or failed, with a message for the operator."""


@dataclass(frozen=True)
class _Snapshot:
    batches: dict[str, list[str]]  # committed batch id -> its Parquet files (relative to the store)
    head: tuple[int, str]  # the audit chain head: seq, hash


def _read_snapshot(cursor: Any) -> _Snapshot:
    # core imports no domain app: the monitoring model by name
    batch_table = apps.get_model("monitoring", "StoredBatch")._meta.db_table
    try:
        cursor.execute(f"SELECT batch_id, parts FROM {batch_table}")
        batches = {b: json.loads(p) if isinstance(p, str) else list(p) for b, p in cursor.fetchall()}
        cursor.execute(f"SELECT seq, hash FROM {AuditHead._meta.db_table}")
        row = cursor.fetchone()
    except (sqlite3.Error, DatabaseError):
        raise BackupError("the database holds no kuangan tables: nothing to back up (run `kuangan migrate` "
                          "to set up an instance)") from None
    return _Snapshot(batches, (int(row[0]), str(row[1])) if row else (0, ""))


# --- backup ------------------------------------------------------------------------------------------------


def backup(folder: Path) -> dict[str, Any]:
    """Write a backup of this instance into `folder` (new or empty); returns the manifest."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} is not an empty folder: give a new or empty folder for the backup")
    for copied in (Path(settings.MEDIA_ROOT), Path(settings.MONITORING_DIR)):
        if folder.resolve().is_relative_to(copied.resolve()):
            raise BackupError(f"{folder} lies inside {copied}, which the backup copies: choose a folder outside it")
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"cannot back up a {vendor} database (sqlite and postgresql only)")
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _backup(folder, vendor)
    except BaseException:
        shutil.rmtree(folder)  # no half-written backup left to be mistaken for one
        if not created:
            folder.mkdir()
        raise


def _backup(folder: Path, vendor: str) -> dict[str, Any]:
    anchor = Path(settings.AUDIT_ANCHOR_PATH)
    if anchor.is_file():  # before the database: see the module's docstring
        shutil.copyfile(anchor, folder / ANCHOR)
    database = folder / DATABASE_FILES[vendor]
    snapshot = _dump_sqlite(database) if vendor == "sqlite" else _dump_postgres(database)
    store = Path(settings.MONITORING_DIR)
    parquet = _copy_batches(store, folder / "monitoring", snapshot.batches)
    _copy_tree(store, folder / "monitoring", skip=RECORD_FOLDERS)  # quarantined files
    _copy_tree(Path(settings.MEDIA_ROOT), folder / "media")
    files = [_describe(folder, p) for p in sorted(folder.rglob("*")) if p.is_file()]
    manifest = {
        "format": FORMAT,
        "created_at": clock.now().astimezone(clock.SHANGHAI).isoformat(timespec="seconds"),
        "kuangan": _version(),
        "database": {"vendor": vendor, "file": database.name},
        "audit_head": {"seq": snapshot.head[0], "hash": snapshot.head[1]},
        "audit_key": KEY_NOTE,
        "parquet": {"batches": len(snapshot.batches), "files": parquet},
        "files": files,
    }
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)  # a folder with a manifest is a finished backup
    return manifest


def _dump_sqlite(target: Path) -> _Snapshot:
    name = Path(str(settings.DATABASES["default"]["NAME"]))
    if not name.is_file():
        raise BackupError(f"the database file {name} does not exist")
    with closing(sqlite3.connect(name, timeout=20)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)  # all pages in one step: one read transaction, consistent while others write
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _read_snapshot(dst.cursor())


def _dump_postgres(target: Path) -> _Snapshot:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot_id,) = cursor.fetchone()
        _pg("pg_dump", "--format=custom", f"--snapshot={snapshot_id}", f"--file={target}")
        return _read_snapshot(cursor)


def _copy_batches(store: Path, target: Path, batches: dict[str, list[str]]) -> int:
    copied = 0
    for batch_id, parts in sorted(batches.items()):
        for part in parts:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            placed, staged = store / part, store / STAGING / batch_id / part
            # a batch committed but not yet placed may be moved meanwhile: in place, in staging, in place again
            for source in (placed, staged, placed):
                try:
                    shutil.copyfile(source, target / part)
                    break
                except FileNotFoundError:
                    continue
            else:
                raise BackupError(f"{part} of the committed batch {batch_id} is missing from {store}")
            copied += 1
    return copied


def _copy_tree(source: Path, target: Path, *, skip: set[str] | frozenset[str] = frozenset()) -> None:
    if not source.is_dir():
        return
    for entry in sorted(source.iterdir()):
        if entry.name in skip:
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, dirs_exist_ok=True)
        elif entry.is_file():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry, target / entry.name)


def _describe(folder: Path, path: Path) -> dict[str, Any]:
    return {"path": path.relative_to(folder).as_posix(), "size": path.stat().st_size, "sha256": _sha256(path)}


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _version() -> dict[str, str | None]:
    try:
        version: str | None = metadata.version("kuangan")
    except metadata.PackageNotFoundError:
        version = None
    git, commit = shutil.which("git"), None
    if git is not None and (Path(settings.BASE_DIR) / ".git").exists():  # an installed copy has no commit
        done = subprocess.run([git, "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],  # noqa: S603  (no shell)
                              capture_output=True, text=True, timeout=10)
        commit = done.stdout.strip() if done.returncode == 0 else None
    return {"version": version, "commit": commit}


# --- PostgreSQL tools --------------------------------------------------------------------------------------


def _pg(tool: str, *args: str) -> None:
    """Run pg_dump or pg_restore on the configured database; the password goes by the environment, not argv."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD"),
                     ("PGDATABASE", "NAME")):
        if db.get(key):
            env[var] = str(db[key])
    done = subprocess.run([_pg_tool(tool), *args], env=env, capture_output=True, text=True)  # noqa: S603  (no shell)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or f'exit status {done.returncode}'}")


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian installs the tools per version; the newest reads the dumps of every older server
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if not versions:
        raise BackupError(f"{name} not found: install the PostgreSQL client programs (Debian: postgresql-client)")
    return str(versions[-1])


# --- restore -----------------------------------------------------------------------------------------------


def check(folder: Path) -> dict[str, Any]:
    """The manifest of a backup whose every file is present with its size and SHA-256; BackupError naming
    the first that is not."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        vendor = manifest["database"]["vendor"]
    except FileNotFoundError:
        raise BackupError(f"{folder} holds no {MANIFEST}: not a backup made by `kuangan backup`, or one that "
                          "did not finish") from None
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{folder / MANIFEST} is not a readable backup manifest") from None
    if manifest.get("format") != FORMAT or vendor not in DATABASE_FILES:
        raise BackupError(f"{folder / MANIFEST}: backup format {manifest.get('format')!r} of a {vendor!r} "
                          f"database is not one this version restores")
    for entry in files:
        name = str(entry["path"])
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()) or name == MANIFEST:
            raise BackupError(f"{folder / MANIFEST} names a file outside the backup: {name}")
        if not path.is_file():
            raise BackupError(f"the backup is incomplete: {name} is missing")
        if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise BackupError(f"the backup is damaged or altered: {name} differs from the manifest")
    if not any(e["path"] == DATABASE_FILES[vendor] for e in files):
        raise BackupError(f"the backup is incomplete: {DATABASE_FILES[vendor]} is missing")
    return dict(manifest)


def occupied() -> list[str]:
    """What this instance holds already. Empty means nothing to lose: no tables yet (never migrated), or
    no accounts and no audit events (migrated only: the divisions and catalogues the migrations load are
    the same in every instance), and no monitoring data or uploaded files."""
    held = []
    if AuditEvent._meta.db_table in connection.introspection.table_names():
        if User.objects.exists():
            held.append("user accounts")
        if AuditEvent.objects.exists():
            held.append("audit events")
    for what, path in (("monitoring data", settings.MONITORING_DIR), ("uploaded files", settings.MEDIA_ROOT)):
        if _has_files(Path(path)):
            held.append(f"{what} in {path}")
    return held


def _has_files(path: Path) -> bool:
    return path.is_dir() and any(p.is_file() for p in path.rglob("*"))


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    set_aside: list[Path]  # where what the instance held before was moved (with --force)
    chain: ChainReport | None  # None: the schema needs `kuangan migrate` first
    note: str = ""


def restore(folder: Path, *, force: bool = False) -> Restored:
    """Restore a checked backup into this instance (its processes stopped): database, Parquet store,
    uploaded files and anchor log; then verify the audit chain."""
    folder = Path(folder)
    manifest = check(folder)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"the backup holds a {vendor} database, this instance uses {connection.vendor}: "
                          "restore it into an instance on the same database system")
    held = occupied()
    if held and not force:
        raise BackupError(f"this instance is not empty ({', '.join(held)}): restore into a new instance, or "
                          "pass --force to replace its data (its files are kept aside)")
    connection.close()
    database = folder / DATABASE_FILES[vendor]
    if vendor == "sqlite":
        _load_sqlite(database)
    else:
        _pg("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
            f"--dbname={settings.DATABASES['default']['NAME']}", str(database))
    targets = {"monitoring": Path(settings.MONITORING_DIR), "media": Path(settings.MEDIA_ROOT)}
    anchor = Path(settings.AUDIT_ANCHOR_PATH)
    stamp = clock.now().astimezone(clock.SHANGHAI).strftime("%Y%m%d-%H%M%S")
    set_aside = [p for p in (_set_aside(p, stamp) for p in (*targets.values(), anchor)) if p is not None]
    for entry in manifest["files"]:
        top, _, rest = str(entry["path"]).partition("/")
        target = targets[top] / rest if top in targets and rest else anchor if top == ANCHOR else None
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / entry["path"], target)
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return Restored(manifest, set_aside, None, "the backup was made by an older version: run `kuangan "
                                                   "migrate`, then `kuangan audit verify`")
    try:
        return Restored(manifest, set_aside, verify_chain())
    except DatabaseError as e:
        return Restored(manifest, set_aside, None, f"the audit chain could not be read ({e}): was the backup "
                                                   "made by a newer version?")


def _load_sqlite(source: Path) -> None:
    # through SQLite's backup API rather than a file copy: the target's -wal and -shm files stay consistent
    name = Path(str(settings.DATABASES["default"]["NAME"]))
    name.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(name, timeout=20)) as dst:
        src.backup(dst)


def _set_aside(path: Path, stamp: str) -> Path | None:
    """Move what the instance held at `path` out of the way (an empty folder is just removed)."""
    if path.is_dir() and not _has_files(path):
        shutil.rmtree(path)
        return None
    if not path.exists():
        return None
    aside = path.with_name(f"{path.name}.replaced-{stamp}")
    os.replace(path, aside)
    return aside
