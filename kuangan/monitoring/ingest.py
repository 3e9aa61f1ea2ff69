"""The one ingestion path: drop folder, HTTP upload and replay all call `ingest`.

Order of a batch (docs/architecture.md "Arrival order and exactly once"): the files are parsed with their
arrival times and the limits (size, clock, share of bad records, each mine's own codes); then, holding the
engine's lock (a row lock on the live snapshot; SQLite takes the database lock at BEGIN), what earlier
batches left in the Parquet staging folder is finished or removed, files already stored (by content)
are skipped, and the engine runs with the saved state and the history (stored records, checkpoints) that
late data needs. The records it decided are new are staged as Parquet in a thread while one transaction
writes the upload rows, rejected records, point definitions, alarms (raised, updated, withdrawn), the
engine's new state, its checkpoints and the record of the staged files; once committed the files are
moved into place. A crash anywhere leaves either the whole batch or nothing of it.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from kuangan.core import audit
from kuangan.core.actor import Actor
from kuangan.core.clock import SHANGHAI, from_local, local
from kuangan.core.notify import notify
from kuangan.engine.formats import Limits, ParsedBatch, Upload, parse_uploads
from kuangan.engine.formats.envelope import stamp_text
from kuangan.engine.io.parquet_store import ParquetStore
from kuangan.engine.pipeline import RECORD_TABLES, EngineState, Judged, Records, run_batch, usable
from kuangan.registry.actions import register_mine_from_feed
from kuangan.registry.models import Mine
from kuangan.registry.people import county_inspectors

from . import alarms, configuration, facts, leads, personnel
from .choices import UploadStatus
from .models import (
    CheckpointMine,
    EngineCheckpoint,
    EngineSnapshot,
    MonitoringPoint,
    RejectedRecord,
    StoredBatch,
)
from .models import Upload as UploadRow

_LOCK = threading.Lock()  # one batch at a time in a process; the snapshot's row lock serialises processes
# The Parquet files of a batch are written while the database rows are made (the writer is mostly Polars,
# which works outside the GIL); the transaction commits only once they are staged on disk.
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet")
_STATE: dict[bytes, EngineState] = {}  # the state this process saved last, by the digest of its bytes
DEFINITIONS_KEY = "definitions"  # the EngineSnapshot row of the live state's point definitions
TABLES = ("definitions", "readings", "outstations", "outstation_status", "statistics", "events", "people", "areas",
          "stations", "positions", "snapshots", "station_status", "personnel_events", "power", "seals")
REASON_UNKNOWN_MINE = "矿山编码未在矿山档案中登记：%(code)s"
REASON_TIMED_OUT = "文件超时仍未写完（缺少结束符 ||）"
REASON_NOT_YOURS = "文件头中的矿山编码 %(code)s 与上传账号所属矿山不符"


@dataclass
class IngestResult:
    files: int = 0
    accepted: int = 0
    quarantined: int = 0
    incomplete: list[int] = field(default_factory=list)  # indices of files to retry later
    duplicates: int = 0
    readings: int = 0
    rejected_records: int = 0
    alarms: list[int] = field(default_factory=list)  # pks of alarms raised or changed
    leads: list[int] = field(default_factory=list)  # pks of leads raised or changed
    outcome: list[dict[str, Any]] = field(default_factory=list)  # per input file: status, reason, counts


def monitoring_dir() -> Path:
    return Path(settings.MONITORING_DIR)


def store() -> ParquetStore:
    return ParquetStore(monitoring_dir())


def aware(t: datetime | None) -> datetime | None:
    """An engine time (naive Beijing) as an aware datetime, None kept."""
    return None if t is None else from_local(t)


def limits() -> Limits:
    return Limits(max_bytes=settings.UPLOAD_MAX_BYTES,
                  future_tolerance=timedelta(seconds=settings.MONITORING_FUTURE_TOLERANCE_S),
                  max_rejected_share=settings.MONITORING_MAX_REJECTED_SHARE)


def stamp_time(stamp: str) -> datetime | None:
    """A name's 14 digits (`envelope.stamp_text`) as an aware Beijing time (None: not a time, e.g. month 13).
    Built from the digits: `strptime` per file took 3 s of a 20-mine day's replay."""
    try:
        return datetime(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]), int(stamp[8:10]), int(stamp[10:12]),
                        int(stamp[12:14]), tzinfo=SHANGHAI)
    except ValueError:
        return None


def as_sent(items: Sequence[Upload], default: datetime) -> list[datetime]:
    """Arrivals as if each file had come live at the time in its name (the demo's history, simulated
    feeds); `default` for a name without one."""
    return [stamp_time(stamp_text(u.name)) or default for u in items]


def parse(items: Sequence[Upload], arrivals: Sequence[datetime]) -> ParsedBatch:
    """`parse_uploads` with this installation's limits; `arrivals` aware."""
    return parse_uploads(items, arrivals=[local(a) for a in arrivals], limits=limits())


def _only(parsed: ParsedBatch, files: list[dict[str, Any]]) -> ParsedBatch:
    """The batch with the files' statuses as decided here (duplicates, unknown or foreign mines) and only
    the accepted files' records."""
    file_ids = {f["file_id"] for f in files if f["status"] == "accepted"}
    if len(file_ids) == parsed.files.height:  # every file accepted (the usual batch): nothing to drop
        return parsed
    keep = pl.Series(sorted(file_ids), dtype=pl.UInt32)
    tables = {name: getattr(parsed, name).filter(pl.col("file_id").is_in(keep.implode())) for name in TABLES}
    statuses = pl.Series("status", [f["status"] for f in files], dtype=pl.String)
    return ParsedBatch(files=parsed.files.with_columns(statuses), rejects=parsed.rejects, **tables)


def ingest(
    items: Sequence[Upload],
    *,
    source: str,
    now: datetime | None = None,
    by: Actor,
    arrivals: Sequence[datetime] | None = None,
    register_unknown: bool = False,
    expired: Sequence[int] = (),
    parsed: ParsedBatch | None = None,
    mine_code: str | None = None,
    live: bool = True,
) -> IngestResult:
    """`now` (aware) is when silence is judged: the wall clock live, the replay's clock in a replay (None:
    the newest header time seen so far). `arrivals` (aware): when each file reached the platform (the
    upload request, the first drop-folder scan that saw it, the replay's clock); default `now` or by.at.
    `expired`: indices of files that stayed incomplete for too long: quarantined instead of retried.
    `parsed`: `parse(items, arrivals)` done beforehand (a replay parses the next batch meanwhile).
    `mine_code`: the only mine these files may come from (an upload API token's). `live`: the platform's
    own downtime is told from the mines' silence (not in a replay, whose clock follows the data)."""
    arrived = list(arrivals) if arrivals is not None else [now or by.at] * len(items)
    if parsed is None:
        parsed = parse(items, arrived)
    _ensure_snapshot(by)
    with _LOCK:
        return _ingest(list(items), arrived, source=source, now=now, by=by, register_unknown=register_unknown,
                       expired=set(expired), parsed=parsed, mine_code=mine_code, live=live)


def _ensure_snapshot(by: Actor) -> None:
    """The live snapshot row exists before any batch locks it (two first batches at once would both
    create it)."""
    if EngineSnapshot.objects.filter(key="live").exists():
        return
    try:
        with transaction.atomic():
            EngineSnapshot.objects.create(key="live", state=EngineState.empty().to_bytes(definitions=True),
                                          saved_at=by.at)
    except IntegrityError:
        pass  # another process made it meanwhile


def _ingest(items: list[Upload], arrived: list[datetime], *, source: str, now: datetime | None, by: Actor,
            register_unknown: bool, expired: set[int], parsed: ParsedBatch, mine_code: str | None,
            live: bool) -> IngestResult:
    result = IngestResult(files=len(items))
    result.outcome = [{"name": u.name, "status": "", "reason": "", "records": 0, "rejected": 0} for u in items]
    files = parsed.files.to_dicts()
    codes = {f["mine_code"] for f in files if f["mine_code"]}
    mines = {m.code: m for m in Mine.objects.filter(code__in=codes)}
    if register_unknown:  # each in its own transaction, before the batch's
        for f in files:
            if f["status"] == "accepted" and f["mine_code"] not in mines:
                mines[f["mine_code"]] = register_mine_from_feed(f["mine_code"], f["mine_name"] or "", by=by)
    batch_id = uuid.uuid4().hex
    parquet = store()
    staged: Any = None
    try:
        with transaction.atomic(durable=True):
            snapshot = EngineSnapshot.objects.select_for_update().get(key="live")
            placed, _removed = parquet.sweep(_committed)  # what crashed batches left: finished or removed
            if placed:
                StoredBatch.objects.filter(batch_id__in=placed).update(placed=True)
            # files already stored, by content whatever their name (checked under the lock: two ingesters
            # given the same file store it once)
            stored_before = set(UploadRow.objects.filter(sha256__in=[u.sha256 for u in items],
                                                         status=UploadStatus.ACCEPTED).values_list("sha256", flat=True))
            seen_here: set[str] = set()
            for f, u in zip(files, items, strict=True):
                if u.sha256 in stored_before or (f["status"] == "accepted" and u.sha256 in seen_here):
                    f["status"], f["reason"] = "duplicate", _("重复上传的文件（内容相同），已忽略")
                elif f["status"] == "accepted":
                    seen_here.add(u.sha256)
                if f["status"] == "accepted" and mine_code is not None and f["mine_code"] != mine_code:
                    f["status"], f["reason"] = "quarantined", _(REASON_NOT_YOURS) % {"code": f["mine_code"]}
                if f["status"] == "accepted" and f["mine_code"] not in mines:
                    f["status"], f["reason"] = "quarantined", _(REASON_UNKNOWN_MINE) % {"code": f["mine_code"]}
                if f["status"] == "incomplete" and f["file_id"] in expired:
                    f["status"], f["reason"] = "quarantined", _(REASON_TIMED_OUT)
            accepted_ids = {f["file_id"] for f in files if f["status"] == "accepted"}
            parsed = _only(parsed, files)
            state = _load_state(bytes(snapshot.state))
            headers = [f["header_time"] for f in files if f["file_id"] in accepted_ids and f["header_time"]]
            prior = [local(snapshot.newest_header)] if snapshot.newest_header else []
            newest = max([*prior, *headers], default=None)
            judged_at = local(now) if now is not None else (newest or local(by.at))
            engine_settings = configuration.engine_settings()
            if live:
                engine_settings = dataclasses.replace(
                    engine_settings, platform_gap=timedelta(seconds=settings.MONITORING_PLATFORM_GAP_S))
            personnel.before_engine(parsed, mines, by=by)
            outcome = run_batch(state, parsed, judged_at, engine_settings, _History(parquet), facts.current())
            if not _empty(outcome.stored):
                staged = _WRITER.submit(parquet.stage, outcome.stored, batch_id)
            uploads = _record_uploads(items, arrived, files, parsed, mines, source=source, by=by)
            rejected_records = uploads.rejected
            # the points' definitions in force now (a late CDDY does not overwrite a newer one)
            _update_points(outcome.state.definitions.join(parsed.definitions.select("mine_code", "point_code"),
                                                          on=["mine_code", "point_code"], how="semi"), mines, by=by)
            _tell_county(uploads, mines, by=by)
            personnel.after_engine(outcome.stored, mines, by=by)
            receipts = _Receipts(files, arrived, aware(judged_at) or by.at)
            alarm_episodes, lead_episodes = leads.lead_episodes(outcome.episodes)
            result.alarms = alarms.apply_result(dataclasses.replace(outcome, episodes=alarm_episodes), mines,
                                                receipts, by=by)
            result.leads = leads.apply_leads(lead_episodes, mines, by=by, rejudged=outcome.rejudged_mines)
            blob = _save_state(state, outcome.state, at=by.at)
            _save_checkpoints(outcome, state, snapshot, newest, at=by.at)
            snapshot.state, snapshot.newest_header = blob, aware(newest)
            snapshot.batches += 1
            snapshot.saved_at = by.at
            snapshot.save()
            if staged is not None:
                parts = staged.result()  # the commit waits for the records on disk
                StoredBatch.objects.create(batch_id=batch_id, parts=parts, rows=outcome.stored.readings.height,
                                           committed_at=by.at)
    except BaseException:
        if staged is not None:
            staged.exception()  # let the writer finish before its folder goes
        parquet.discard(batch_id)
        raise
    if staged is not None:
        parquet.place(batch_id, parts)
        StoredBatch.objects.filter(batch_id=batch_id).update(placed=True)
    for f, i in zip(files, range(len(items)), strict=True):
        result.outcome[i].update(status=f["status"], reason=f["reason"] or "", records=f["records"] or 0,
                                 rejected=f["rejected"] or 0)
        if f["status"] == "incomplete":
            result.incomplete.append(i)
    result.accepted = sum(1 for f in files if f["status"] == "accepted")
    result.quarantined = sum(1 for f in files if f["status"] == "quarantined")
    result.duplicates = sum(1 for f in files if f["status"] == "duplicate")
    result.readings = outcome.stored.readings.height
    result.rejected_records = rejected_records
    return result


def _empty(records: Records) -> bool:
    return all(getattr(records, name).is_empty() for name in RECORD_TABLES)


def _committed(ids: list[str]) -> dict[str, list[str]]:
    return {b.batch_id: list(b.parts) for b in StoredBatch.objects.filter(batch_id__in=ids)}


class _History:
    """The engine's history (engine.pipeline.History): stored records from Parquet, checkpoints from the
    database (each decoded once per batch: one checkpoint serves every mine that crossed an hour with it)."""

    def __init__(self, parquet: ParquetStore) -> None:
        self.parquet = parquet
        self.decoded: dict[int, EngineState] = {}

    def stored(self, mine_code: str, since: datetime | None, until: datetime | None = None,
               tables: tuple[str, ...] = RECORD_TABLES) -> Records:
        return self.parquet.records(mine_code, since, until, tables)

    def checkpoint(self, mine_code: str, late: dict[str, datetime]) -> tuple[EngineState, Judged] | None:
        rows = CheckpointMine.objects.filter(mine_code=mine_code).order_by("-checkpoint_id")
        for checkpoint_id, streams in rows.values_list("checkpoint_id", "streams").iterator():
            judged = _judged(streams)
            if not usable(judged, late):
                continue
            if checkpoint_id not in self.decoded:
                blob = bytes(EngineCheckpoint.objects.values_list("state", flat=True).get(pk=checkpoint_id))
                self.decoded[checkpoint_id] = EngineState.from_bytes(blob, without_definitions=True)
            return self.decoded[checkpoint_id], judged
        return None


def _judged(streams: dict[str, str]) -> Judged:
    """A checkpoint's streams as saved (ISO Beijing times, as the engine keeps them)."""
    return {stream: datetime.fromisoformat(t) for stream, t in streams.items()}


def _save_checkpoints(outcome: Any, before: EngineState, snapshot: EngineSnapshot, newest: datetime | None, *,
                      at: datetime) -> None:
    """Checkpoints that late data made stale (they had judged some of it) go; the batch's new ones are kept;
    those older than the back-fill window are dropped (late data older than that is judged from an empty
    state over the mine's stored records)."""
    for mine, late in outcome.late.items():
        stale = [pk for pk, streams in CheckpointMine.objects.filter(mine_code=mine).values_list("pk", "streams")
                 if not usable(_judged(streams), late)]
        CheckpointMine.objects.filter(pk__in=stale).delete()
    for c in outcome.checkpoints:
        # the state before the batch is the snapshot's saved bytes: not encoded again
        blob = bytes(snapshot.state) if c.state is before else c.state.to_bytes(definitions=False)
        row = EngineCheckpoint.objects.create(state=blob, created_at=at)
        CheckpointMine.objects.bulk_create(
            CheckpointMine(checkpoint=row, mine_code=m, seen_until=from_local(max(judged.values())),
                           streams={stream: t.isoformat() for stream, t in judged.items()})
            for m, judged in c.seen_until.items())
    if outcome.checkpoints and newest is not None:
        horizon = from_local(newest) - timedelta(days=settings.MONITORING_BACKFILL_DAYS + 1)
        CheckpointMine.objects.filter(seen_until__lt=horizon).delete()
        EngineCheckpoint.objects.filter(mines__isnull=True).delete()


class _Receipts:
    """When the data of an episode reached the platform: the arrival of the mine's first file in the batch
    with a header time at or after the episode's start (the file that brought its first data)."""

    def __init__(self, files: list[dict[str, Any]], arrived: list[datetime], default: datetime) -> None:
        self.default = default
        by_mine: dict[str, list[tuple[datetime, datetime]]] = {}
        for f, a in zip(files, arrived, strict=True):
            if f["status"] == "accepted" and f["mine_code"] and f["header_time"] is not None:
                by_mine.setdefault(f["mine_code"], []).append((f["header_time"], a))
        self.mines = {m: sorted(v) for m, v in by_mine.items()}

    def __call__(self, mine_code: str, start: datetime) -> datetime:
        """`start` naive Beijing time; the answer aware."""
        files = self.mines.get(mine_code)
        if not files:
            return self.default
        i = bisect.bisect_left(files, (start, datetime.min.replace(tzinfo=SHANGHAI)))
        return files[min(i, len(files) - 1)][1]


def _load_state(blob: bytes) -> EngineState:
    """The saved engine state; the one this process saved last is reused instead of read again (a
    replay or a busy worker saves and loads it every batch). Another process's save has other bytes.
    The points' definitions are read from their own row only when the state is not the cached one."""
    key = hashlib.blake2b(blob, digest_size=16).digest()
    if key in _STATE:
        return _STATE[key]
    if EngineState.saved_definitions_digest(blob) is None:  # saved with its definitions (by an earlier version)
        return EngineState.from_bytes(blob)
    definitions = EngineSnapshot.objects.get(key=DEFINITIONS_KEY)
    return EngineState.from_bytes(blob, bytes(definitions.state))


def _save_state(before: EngineState, after: EngineState, *, at: datetime) -> bytes:
    """The state's bytes for the live row; the definitions go to a row of their own, written only when
    they changed (a county's 30,000 points are 3 MB, and most batches bring no definition)."""
    changed = (after.definitions is not before.definitions  # before's encoded first: after's stays cached
               and before.definitions_digest() != after.definitions_digest())
    blob = after.to_bytes(definitions=False)
    if changed or not EngineSnapshot.objects.filter(key=DEFINITIONS_KEY).exists():
        EngineSnapshot.objects.update_or_create(
            key=DEFINITIONS_KEY, defaults={"state": after.definitions_bytes(), "saved_at": at})
    _STATE.clear()
    _STATE[hashlib.blake2b(blob, digest_size=16).digest()] = after
    return blob


@dataclass
class _Recorded:
    rows: list[dict[str, Any]]  # the upload rows written (their columns)
    notes: list[tuple[int, datetime | None, datetime]]  # per row: records of other mines, header, arrival (naive)
    rejected: int


def _record_uploads(uploads: list[Upload], arrived: list[datetime], files: list[dict[str, Any]],
                    parsed: ParsedBatch, mines: dict[str, Mine], *, source: str, by: Actor) -> _Recorded:
    """Upload rows for every file but the incomplete ones (they come back) and the duplicates; quarantined
    files are kept on disk with their reason; rejected records of accepted files are kept with theirs."""
    quarantine = monitoring_dir() / "quarantine" / by.at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    adapt = connection.ops.adapt_datetimefield_value
    received = adapt(by.at)
    # by naive Beijing time: a batch's files share few header times, and a file replayed in order arrives at
    # its header time (adapting a time costs 13 µs on SQLite)
    times: dict[datetime | None, Any] = {}
    accepted, quarantined = UploadStatus.ACCEPTED.value, UploadStatus.QUARANTINED.value
    rows, notes = [], []
    for u, f, a in zip(uploads, files, arrived, strict=True):
        if f["status"] in ("incomplete", "duplicate"):
            continue
        header, arrival = f["header_time"], local(a)
        if header not in times:
            times[header] = adapt(aware(header))
        if arrival not in times:
            times[arrival] = adapt(a)
        stored = ""
        if f["status"] == "quarantined":
            quarantine.mkdir(parents=True, exist_ok=True)
            path = quarantine / f"{u.sha256[:12]}-{Path(f['name']).name}"
            path.write_bytes(u.data)
            stored = str(path)
        mine = mines.get(f["mine_code"] or "")
        rows.append({
            "mine_id": mine.pk if mine else None, "mine_code": (f["mine_code"] or "")[:40], "name": u.name[:200],
            "sha256": u.sha256, "file_type": (f["file_type"] or "")[:10], "family": (f["family"] or "")[:40],
            "header_time": times[header], "received_at": received, "arrived_at": times[arrival], "source": source,
            "status": accepted if f["status"] == "accepted" else quarantined,
            "reason": (f["reason"] or "")[:300], "encoding": f["encoding"] or "", "records": f["records"] or 0,
            "rejected": f["rejected"] or 0, "stored_as": stored,
        })
        notes.append((f.get("foreign") or 0, header, arrival))
    _insert_many(UploadRow, rows)
    records = parsed.rejects.filter(pl.col("record_no").is_not_null())
    if records.height:
        names = records.get_column("name").unique().to_list()
        by_file = {r.name: r for r in UploadRow.objects.filter(name__in=names, received_at=by.at,
                                                               sha256__in={r["sha256"] for r in rows})}
        RejectedRecord.objects.bulk_create(
            RejectedRecord(upload=by_file[r["name"]], record_no=r["record_no"], reason=r["reason"][:300],
                           raw=r["raw"] or "")
            for r in records.iter_rows(named=True) if r["name"] in by_file
        )
    return _Recorded(rows=rows, notes=notes, rejected=sum(int(f["rejected"] or 0) for f in files
                                                          if f["status"] in ("accepted", "quarantined")))


def _tell_county(recorded: _Recorded, mines: dict[str, Mine], *, by: Actor) -> None:
    """The county of the uploading mine hears of records naming another mine's points (once per file) and
    of back-filled data (补传: a file older than the back-fill window at its arrival), each an audited event."""
    backfill = timedelta(days=settings.MONITORING_BACKFILL_DAYS)
    flagged = []
    for row, (foreign, header, arrival) in zip(recorded.rows, recorded.notes, strict=True):
        late = header is not None and arrival - header > backfill
        if row["mine_id"] and (foreign or late):
            flagged.append({**row, "_foreign": foreign, "_header": header, "_backfill": late})
    if not flagged:
        return
    uploads = {(u.sha256, u.name): u for u in UploadRow.objects.filter(
        sha256__in=[r["sha256"] for r in flagged], received_at=by.at).select_related("mine")}
    for r in flagged:
        upload = uploads.get((r["sha256"], r["name"]))
        mine = mines.get(r["mine_code"])
        if upload is None or mine is None:
            continue
        if r["_foreign"]:
            audit.record("monitoring.upload.foreign_records", upload, by=by, parent=mine,
                         after={"records": r["_foreign"]})
            notify(county_inspectors(mine), by=by, url="",
                   title=_("%(mine)s 上传了属于其他矿井的测点数据") % {"mine": mine.name},
                   body=_("文件 %(name)s 中 %(n)d 条记录的测点编码不属于本矿，已拒收。") % {
                       "name": upload.name, "n": r["_foreign"]})
        if r["_backfill"]:
            audit.record("monitoring.upload.backfilled", upload, by=by, parent=mine,
                         after={"header_time": upload.header_time, "arrived_at": upload.arrived_at})
            notify(county_inspectors(mine), by=by, url="",
                   title=_("%(mine)s 补传了历史监测数据") % {"mine": mine.name},
                   body=_("文件 %(name)s 的数据时间为 %(at)s，晚于 %(days)d 天后才上传；已按迟到数据研判。") % {
                       "name": upload.name, "at": r["_header"].strftime("%Y-%m-%d %H:%M"),
                       "days": settings.MONITORING_BACKFILL_DAYS})


def _insert_many(model: Any, rows: list[dict[str, Any]]) -> None:
    """Multi-row INSERTs of as many rows as the backend takes, the values already in their database
    form (times through `adapt_datetimefield_value`). bulk_create builds each row's SQL in Python (for
    a replay batch of 2,000 files it cost as much as the whole engine); `executemany` steps SQLite once
    per row, and each step hands the GIL over: next to the thread parsing the next batch, 2,000 rows
    took 1.1 s instead of 10 ms (this way: 22 ms)."""
    if not rows:
        return
    columns = list(rows[0])
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES "
    row = f"({', '.join(['%s'] * len(columns))})"
    per = max(1, connection.ops.bulk_batch_size(columns, rows))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            part = rows[start:start + per]
            cursor.execute(head + ", ".join([row] * len(part)), [r[c] for r in part for c in columns])


POINT_FIELDS = ["sensor_type", "value_type", "unit", "location", "outstation_code", "range_low", "range_high",
                "upper_alarm", "upper_alarm_clear", "lower_alarm", "lower_alarm_clear", "upper_power_off",
                "upper_power_restore", "relations"]


def _update_points(definitions: pl.DataFrame, mines: dict[str, Mine], *, by: Actor) -> None:
    """The points as their newest CDDY defines them (a definition is data from the mine, not an action).
    A point is its mine's: another mine's file can never name it (the parser rejects such records)."""
    if definitions.is_empty():
        return
    latest = definitions.sort("header_time").group_by("mine_code", "point_code").agg(pl.all().last())
    mine_ids = {mines[c].pk for c in latest["mine_code"].unique().to_list() if c in mines}
    existing = {(p.mine_id, p.code): p for p in MonitoringPoint.objects.filter(
        mine_id__in=mine_ids, code__in=latest["point_code"].to_list())}
    new, changed = [], []
    for d in latest.iter_rows(named=True):
        mine = mines.get(d["mine_code"])
        if mine is None:
            continue
        values = {k: (d[k] if d[k] is not None else ("" if k in ("unit", "location", "outstation_code", "relations")
                                                      else None)) for k in POINT_FIELDS}
        values["defined_at"] = aware(d["defined_at"])
        point = existing.get((mine.pk, d["point_code"]))
        if point is None:
            new.append(MonitoringPoint(mine=mine, code=d["point_code"], updated_at=by.at, **values))
        elif any(getattr(point, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(point, k, v)
            point.updated_at = by.at
            changed.append(point)
    MonitoringPoint.objects.bulk_create(new)
    if changed:
        MonitoringPoint.objects.bulk_update(changed, [*POINT_FIELDS, "defined_at", "updated_at"])
