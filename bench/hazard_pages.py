"""Benchmark of the hazard pages with a large hazard table (run by hand, not part of the test suite).

    .venv/bin/python bench/hazard_pages.py [--hazards 100000] [--baseline 1000] [--runs 5] [--markdown]
    .venv/bin/python bench/hazard_pages.py --database-url postgresql://postgres@127.0.0.1:55439/postgres
    .venv/bin/python bench/hazard_pages.py --postgres-cluster      # as root: a throwaway cluster on :55439

What it does:
1. a fresh throwaway database: SQLite in a temporary KUANGAN_VAR_DIR (default), or the PostgreSQL
   database of --database-url (it must be empty), or a throwaway PostgreSQL cluster (--postgres-cluster);
   `migrate`, then the demo data set (`kuangan.demo.build.build()`: 30 mines, 114 users);
2. bulk-inserts `--baseline` hazards (a realistic mix, see `HazardFactory`) and measures the pages
   (baseline), then bulk-inserts the rest up to `--hazards` and measures them again (full);
3. each page is fetched with Django's test Client, logged in (force_login) as the county inspector
   zy_inspector (中阳县, 20 of the 30 mines) and as the city inspector ll_inspector (all 30 mines):
   one warm-up fetch, during which the SQL queries are counted, then `--runs` timed fetches;
4. prints one row per page and user: median and max wall time of the timed fetches in the baseline
   and the full database, the ratio of the medians, and the queries per fetch.

Hazards are written with bulk_create, not through the actions: no audit events, transitions or
notifications are written for them. The benchmark measures reads.
"""

from __future__ import annotations

import argparse
import atexit
import io
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
USERS = ("zy_inspector", "ll_inspector")
PAGES = [
    ("ledger", "/hazards/"),
    ("ledger overdue major", "/hazards/?overdue=true&level=major"),
    ("ledger by deadline", "/hazards/?sort=-deadline"),
    ("home", "/"),
    ("analysis", "/hazards/analysis/"),
    ("export major (xlsx)", "/hazards/export/?level=major"),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hazards", type=int, default=100_000, help="hazards in the full database (default 100000)")
    p.add_argument("--baseline", type=int, default=1_000, help="hazards in the baseline database (default 1000)")
    p.add_argument("--runs", type=int, default=5, help="timed fetches per page after one warm-up (default 5)")
    p.add_argument("--batch", type=int, default=2_000, help="bulk_create batch size (default 2000)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--database-url", help="an empty PostgreSQL database to use instead of a temporary SQLite one")
    p.add_argument("--postgres-cluster", action="store_true",
                   help="start a throwaway PostgreSQL cluster (initdb; as root it runs as user postgres)")
    p.add_argument("--pg-port", type=int, default=55439, help="port of --postgres-cluster (default 55439)")
    p.add_argument("--markdown", action="store_true", help="print the results as a Markdown table")
    args = p.parse_args(argv)
    if args.baseline >= args.hazards:
        p.error("--baseline must be smaller than --hazards")
    if args.database_url and args.postgres_cluster:
        p.error("--database-url and --postgres-cluster exclude each other")
    return args


# --------------------------------------------------------------------------------------------------
# Environment: everything here runs before Django is imported, because the settings read os.environ.
# --------------------------------------------------------------------------------------------------

def start_postgres_cluster(port: int) -> str:
    """initdb + pg_ctl start in a temporary directory (the recipe of scripts/test); stopped at exit."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bins:
        sys.exit("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin); see scripts/test")
    pgbin = bins[-1]
    pgdir = Path(tempfile.mkdtemp(prefix="kuangan-bench-pg."))
    pgdir.chmod(0o755)
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(pgdir, "postgres")

    def run(*cmd: str) -> None:
        full = ["runuser", "-u", "postgres", "--", *cmd] if as_root else list(cmd)
        subprocess.run(full, check=True, stdout=subprocess.DEVNULL)

    def stop() -> None:
        try:
            run(str(pgbin / "pg_ctl"), "-D", str(pgdir / "data"), "-m", "fast", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(pgdir, ignore_errors=True)

    run(str(pgbin / "initdb"), "-D", str(pgdir / "data"), "-A", "trust", "-U", "postgres")
    atexit.register(stop)
    # fsync=off as in scripts/test: it only speeds up the bulk load; the pages measured only read.
    run(str(pgbin / "pg_ctl"), "-D", str(pgdir / "data"), "-l", str(pgdir / "log"), "-w", "start",
        "-o", f"-k {pgdir} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off")
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def prepare_environment(args: argparse.Namespace) -> str:
    var_dir = tempfile.mkdtemp(prefix="kuangan-bench.")
    atexit.register(shutil.rmtree, var_dir, True)
    os.environ["KUANGAN_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "kuangan.settings"
    url = args.database_url or (start_postgres_cluster(args.pg_port) if args.postgres_cluster else None)
    if url:
        os.environ["KUANGAN_DATABASE_URL"] = url
    else:  # never the developer's database: SQLite in the temporary var dir
        os.environ.pop("KUANGAN_DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return var_dir


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------

ORDINARY_TEXTS = [
    "皮带机头未设置防护栏", "巷道积水未及时排除", "消防器材过期未更换", "局部通风机未挂牌管理", "电缆吊挂不规范",
    "瓦斯检查记录填写不全", "风门未实现闭锁", "顶板离层仪读数未记录", "人员定位卡未随身携带", "防尘喷雾装置失效",
    "绞车信号不清晰", "避难硐室压风管路漏气", "安全出口标识缺失", "设备接地不良", "支护锚杆托盘松动",
    "井下作业规程未传达到班组", "爆破警戒距离不足", "排水泵备用台数不足", "自救器未按期检查", "配电点照明不足",
]
PLACES = ["+1050水平运输大巷", "+950水平回风巷", "主井井口", "副井井底车场", "中央变电所", "采区水仓", "回风立井",
          "1101综采工作面", "2203掘进工作面", "炸药库", "排土场", "尾矿库坝体", "选矿厂", "地面调度室"]
MEASURES = "制定专项整改方案，落实整改责任人和资金，整改期间加强现场监护，整改完成后组织验收。"
CONTINGENCY = "整改期间停止相关区域作业，设置警戒，启动矿井应急预案，配备应急物资。"
SOURCES = [("self_inspection", 40), ("parent_inspection", 15), ("regulator_inspection", 20),
           ("full_checkup", 5), ("tipoff", 3), ("monitoring_lead", 7), ("ai_video", 10)]
ESCALATION = [("letter", 50), ("circular", 25), ("summons", 15), ("exposure", 10)]


def weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


@dataclass
class MineInfo:
    mine: Any
    items: list[Any]  # the standard items a major hazard of this mine cites
    reporters: list[Any]  # the mine's users
    head: Any
    inspector: Any  # its county's inspector
    faces: list[int]
    earlier: list[int] = field(default_factory=list)  # ids already inserted, for repeats


class HazardFactory:
    """A realistic mix: ~70 % ordinary / 30 % major (citing a coal-2020 item for coal mines, a metal-2022
    item of the matching kind otherwise); ~60 % closed, the rest reported / rectifying /
    close-out requested; found_at uniform from 2022-01-01 to now; open hazards past `reported` have a
    deadline, ~15 % of them overdue; ~25 % of open major ones supervised (escalated when overdue),
    some closed ones supervised in their time; ~1 % repeats; reported by a user of the mine."""

    def __init__(self, seed: int) -> None:
        from kuangan.core import clock
        from kuangan.core.choices import Role
        from kuangan.core.models import User
        from kuangan.hazards.models import HazardStandardItem
        from kuangan.registry.models import Mine, WorkingFace

        self.rng = random.Random(seed)
        self.now = clock.now()
        self.today = clock.today()
        self.start = datetime(2022, 1, 1, tzinfo=clock.SHANGHAI).astimezone(UTC)
        items = list(HazardStandardItem.objects.select_related("standard"))
        coal = [i for i in items if i.standard.code == "coal-2020"]
        metal = {p: [i for i in items if i.standard.code == "metal-2022" and i.category_code == p]
                 for p in ("MU", "MO", "MT")}
        prefix = {"metal_underground": "MU", "metal_open_pit": "MO", "tailings_pond": "MT"}
        inspectors = {u.organization.division.code: u for u in
                      User.objects.filter(role=Role.INSPECTOR).select_related("organization__division")}
        faces: dict[int, list[int]] = {}
        for mine_id, face_id in WorkingFace.objects.values_list("mine_id", "id"):
            faces.setdefault(mine_id, []).append(face_id)
        self.mines: list[MineInfo] = []
        for mine in Mine.objects.select_related("division", "organization").order_by("pk"):
            users = list(User.objects.filter(organization=mine.organization).order_by("pk"))
            head = next(u for u in users if u.role == Role.MINE_HEAD)
            reporters = [u for u in users if u.role in (Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER)]
            its_items = coal if mine.kind.startswith("coal") else (metal[prefix.get(mine.kind, "MU")] or
                                                                   sum(metal.values(), []))
            self.mines.append(MineInfo(mine, its_items, reporters, head, inspectors[mine.division.code],
                                       faces.get(mine.pk, [])))

    def at(self, lo: datetime, hi: datetime) -> datetime:
        return lo + timedelta(seconds=self.rng.uniform(0, max((hi - lo).total_seconds(), 0)))

    def later(self, t: datetime, max_days: float) -> datetime:
        return min(t + timedelta(days=self.rng.uniform(0.02, max_days)), self.now)

    def make(self, n: int) -> list[Any]:
        from kuangan.hazards.models import Hazard

        rng, today = self.rng, self.today
        rows = []
        for found_at in sorted(self.at(self.start, self.now) for _ in range(n)):  # ids follow found_at
            m = rng.choice(self.mines)
            major = rng.random() < 0.30
            item = rng.choice(m.items) if major else None
            r = rng.random()
            status = "closed" if r < 0.60 else "reported" if r < 0.72 else "rectifying" if r < 0.90 \
                else "close_out_requested"
            h = Hazard(mine=m.mine, level="major" if major else "ordinary", standard_item=item,
                       source=weighted(rng, SOURCES), place=rng.choice(PLACES),
                       face_id=rng.choice(m.faces) if m.faces and rng.random() < 0.5 else None,
                       found_by=f"{m.mine.name}安全科", reported_by=rng.choice(m.reporters), status=status)
            h.description = (f"{h.place}：{item.text[:80]}" if item else f"{h.place}{rng.choice(ORDINARY_TEXTS)}")
            if status in ("rectifying", "close_out_requested"):
                if rng.random() < 0.15:  # overdue: the deadline passed and the hazard is still open
                    h.deadline = today - timedelta(days=rng.randint(1, 120))
                else:
                    h.deadline = today + timedelta(days=rng.randint(1, 90))
                latest = datetime.combine(h.deadline, datetime.min.time(), UTC) - timedelta(days=1)
                if found_at > latest:  # a deadline is never before the hazard was found
                    found_at = self.at(max(self.start, latest - timedelta(days=60)), latest)
            h.found_at = found_at
            h.reported_at = self.later(found_at, 2)
            if status != "reported":
                if status == "closed":
                    h.deadline = found_at.date() + timedelta(days=rng.randint(7, 60))
                h.responsible_person = m.head.full_name
                h.measures = MEASURES
                h.funds = Decimal(rng.randrange(50, 20_000)) / 100
                h.contingency_plan = CONTINGENCY
                h.rectification_started_at = self.later(h.reported_at, 3)
            if status in ("close_out_requested", "closed"):
                h.evaluation_by = f"{m.mine.name}总工程师"
                h.evaluation = "整改措施已落实，经现场评估达到销号条件。"
                h.close_out_requested_at = self.later(h.rectification_started_at, 30)
            if status == "closed":
                h.verified_by = m.inspector if major else m.head
                h.verified_at = h.closed_at = self.later(h.close_out_requested_at, 10)
                h.verification_opinion = "经现场验收，同意销号。"
            if major:
                h.stopped_production = rng.random() < 0.05
                if rng.random() < (0.25 if status != "closed" else 0.10):
                    h.supervised, h.supervised_by = True, m.inspector
                    h.supervised_at = self.later(h.reported_at, 10)
                    if status != "closed" and h.deadline and h.deadline < today:
                        h.escalation_step = weighted(rng, ESCALATION)
                    if status != "closed" and h.escalation_step != "exposure":
                        h.next_due_at = self.now + timedelta(days=rng.randint(1, 30))
            if m.earlier and rng.random() < 0.01:
                h.repeat_of_id = rng.choice(m.earlier)
            rows.append(h)
        return rows

    def insert(self, n: int, batch: int) -> float:
        from django.db import transaction

        from kuangan.hazards.models import Hazard

        by_mine = {mi.mine.pk: mi for mi in self.mines}
        started = time.perf_counter()
        done = 0
        while done < n:
            k = min(batch, n - done)
            with transaction.atomic():
                created = Hazard.objects.bulk_create(self.make(k), batch_size=batch)
            for h in created:
                if h.pk is not None:
                    by_mine[h.mine_id].earlier.append(h.pk)
            done += k
        return time.perf_counter() - started


def analyze() -> None:
    """PostgreSQL's autovacuum analyzes a freshly loaded table within a minute; do it now. SQLite is
    left as the app leaves it (nothing in kuangan runs ANALYZE there)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")


# --------------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------------

@dataclass
class Sample:
    median_ms: float
    max_ms: float
    queries: int
    note: str = ""


def xlsx_rows(content: bytes) -> int:
    from openpyxl import load_workbook

    from kuangan.core.excel import HEADER_ROW

    ws = load_workbook(io.BytesIO(content), read_only=True).active
    return sum(1 for _ in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))


def measure(runs: int) -> dict[tuple[str, str], Sample]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kuangan.core.models import User

    results = {}
    for username in USERS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for name, url in PAGES:
            with CaptureQueriesContext(connection) as ctx:  # the warm-up fetch: template cache, query count
                response = client.get(url)
            queries = len(ctx.captured_queries)  # now: the next request clears the connection's log
            if response.status_code != 200:
                raise SystemExit(f"{url} as {username}: HTTP {response.status_code}")
            note = f"{xlsx_rows(response.content)} rows" if "export" in url else ""
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                response = client.get(url)
                _ = response.content
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            results[(username, name)] = Sample(statistics.median(times), max(times), queries, note)
    return results


def database_summary() -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count

    from kuangan.hazards.models import Hazard

    by = dict(Hazard.objects.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {"hazards": Hazard.objects.count(), "major": Hazard.objects.filter(level="major").count(),
            "by_status": by, "vendor": connection.vendor}


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------

def table(base: dict, full: dict, args: argparse.Namespace) -> tuple[list[str], list[list[str]]]:
    headers = ["page", "user", "base ms (med/max)", "full ms (med/max)", "ratio", "queries (base/full)", "note"]
    rows = []
    for name, url in PAGES:
        for username in USERS:
            b, f = base[(username, name)], full[(username, name)]
            q = str(f.queries) if b.queries == f.queries else f"{b.queries}/{f.queries}"
            note = " -> ".join(x for x in (b.note, f.note) if x)
            rows.append([url, username, f"{b.median_ms:.0f} / {b.max_ms:.0f}", f"{f.median_ms:.0f} / {f.max_ms:.0f}",
                         f"{f.median_ms / b.median_ms:.1f}x", q, note])
    headers[2] = f"{args.baseline:,} hazards ms (med / max)"
    headers[3] = f"{args.hazards:,} hazards ms (med / max)"
    return headers, rows


def render(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        right = {2, 3, 4, 5}
        lines = ["| " + " | ".join(headers) + " |",
                 "|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" if i in (0, 1, 6) else f"{{:>{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*headers), "  ".join("-" * w for w in widths)]
    out += [fmt.format(*r) for r in rows]
    return "\n".join(line.rstrip() for line in out)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    began = time.perf_counter()
    prepare_environment(args)
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from kuangan.demo.build import build

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {msg}", file=sys.stderr, flush=True)

    if connection.introspection.table_names():
        sys.exit(f"{settings.DATABASES['default']['NAME']}: the database is not empty; give an empty one")
    call_command("migrate", verbosity=0)
    log(f"migrated ({connection.vendor})")
    log(f"demo data: {build()}")
    factory = HazardFactory(args.seed)
    secs = factory.insert(args.baseline, args.batch)
    analyze()
    base_db = database_summary()
    log(f"inserted {args.baseline} hazards in {secs:.1f}s; measuring the baseline")
    base = measure(args.runs)
    secs = factory.insert(args.hazards - args.baseline, args.batch)
    analyze()
    full_db = database_summary()
    log(f"inserted {args.hazards - args.baseline} more hazards in {secs:.1f}s; measuring the full database")
    full = measure(args.runs)
    log("done")

    db = settings.DATABASES["default"]
    server = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            server = f"PostgreSQL {cur.fetchone()[0]}"
    else:
        import sqlite3

        server = f"SQLite {sqlite3.sqlite_version}"
    mem = ""
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    info = [
        f"database: {server} ({db['ENGINE'].rsplit('.', 1)[-1]}), Django {django.get_version()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs{mem}",
        f"baseline: {base_db['hazards']:,} hazards ({base_db['major']:,} major); "
        f"full: {full_db['hazards']:,} hazards ({full_db['major']:,} major), by status "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(full_db["by_status"].items())),
        f"each page: 1 warm-up fetch (queries counted) + {args.runs} timed fetches; "
        f"wall time of Client.get, ms; ratio = full median / baseline median; "
        f"total run {time.perf_counter() - began:.0f} s",
    ]
    headers, rows = table(base, full, args)
    print("\n".join(info))
    print()
    print(render(headers, rows, args.markdown))


if __name__ == "__main__":
    main()
