"""Benchmark of the hazard pages at the scale of a province (issue 18, R2.11; run by hand, not by the tests).

    .venv/bin/python bench/hazard_pages.py --hazards 100000 [--database sqlite|postgresql] [--markdown]
    .venv/bin/python bench/hazard_pages.py --hazards 1000000 --database postgresql --markdown

What it does:
1. a fresh throwaway database: SQLite in a temporary KUANGAN_VAR_DIR (default); for PostgreSQL the
   empty database of KUANGAN_DATABASE_URL (or --database-url), else a throwaway cluster started like
   scripts/test does (initdb in /tmp, as user postgres through runuser when run as root, port 55530);
   `migrate`, the demo data set (`kuangan.demo.build.build()`), then a province-sized registry around it
   (`--mines`, default 1,000 more mines over 10 more cities of 10 counties each and the demo's counties,
   bulk_create: Shanxi registers about 900 coal mines in 11 cities and 117 counties);
2. bulk-inserts `--baseline` hazards (default 10,000; a realistic mix of levels, statuses, sources, dates
   from 2022 on, see `HazardFactory`) spread over all mines, measures the pages (baseline), inserts the
   rest up to `--hazards` and measures again (full): the ratio is full / baseline of the same run;
3. each page is fetched with Django's test Client logged in (force_login) as the county inspector
   zy_inspector (中阳县), the city inspector ll_inspector (吕梁市) and the mine's safety officer
   xinyan_safety: one warm-up fetch (its SQL queries counted), then `--runs` (default 20) timed fetches,
   p50 and p95 of the wall time;
4. the Excel export of the whole visible ledger per user: `--export-runs` timed downloads (rows/s of the
   median) and one more under tracemalloc (the peak of Python's allocations during the request).

Hazards are written with bulk_create, not through the actions: no audit events, transitions or
notifications are written for them. The benchmark measures reads.
"""

from __future__ import annotations

import argparse
import atexit
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
USERS = ("zy_inspector", "ll_inspector", "xinyan_safety")
PAGES = [
    ("ledger", "/hazards/"),
    ("ledger overdue major", "/hazards/?overdue=true&level=major"),
    ("ledger by deadline", "/hazards/?sort=-deadline"),
    ("ledger rectifying self-inspection", "/hazards/?status=rectifying&source=self_inspection"),
    ("home", "/"),
    ("analysis", "/hazards/analysis/"),
]
EXPORT = "/hazards/export/"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hazards", type=int, default=100_000, help="hazards in the full database (default 100000)")
    p.add_argument("--baseline", type=int, default=10_000, help="hazards in the baseline database (default 10000)")
    p.add_argument("--mines", type=int, default=1_000, help="mines added to the demo's 30 (default 1000)")
    p.add_argument("--runs", type=int, default=20, help="timed fetches per page and user (default 20)")
    p.add_argument("--export-runs", type=int, default=3, help="timed exports per user (default 3)")
    p.add_argument("--batch", type=int, default=5_000, help="bulk_create batch size (default 5000)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--database-url", default=os.environ.get("KUANGAN_DATABASE_URL"),
                   help="an empty PostgreSQL database (default: KUANGAN_DATABASE_URL; else a throwaway cluster)")
    p.add_argument("--pg-port", type=int, default=55530, help="port of the throwaway cluster (default 55530)")
    p.add_argument("--markdown", action="store_true", help="print the results as Markdown tables")
    p.add_argument("--keep", metavar="DIR", help="SQLite: build the database in DIR (a new directory) and keep it "
                   "there, to look at a slow page afterwards with KUANGAN_VAR_DIR=DIR")
    args = p.parse_args(argv)
    if args.baseline >= args.hazards:
        p.error("--baseline must be smaller than --hazards")
    if args.runs < 20:
        print("note: fewer than 20 timed fetches per page: p95 is the largest but one", file=sys.stderr)
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
    pgdir = Path(tempfile.mkdtemp(prefix="kuangan-bench18-pg."))
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


def prepare_environment(args: argparse.Namespace) -> None:
    if args.keep:
        var_dir = args.keep
        os.makedirs(var_dir)  # a new directory: never someone's database
    else:
        var_dir = tempfile.mkdtemp(prefix="kuangan-bench18.")
        atexit.register(shutil.rmtree, var_dir, True)
    os.environ["KUANGAN_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "kuangan.settings"
    os.environ["KUANGAN_DEBUG"] = "0"  # as in production: no query log, no debug pages
    import secrets

    os.environ["KUANGAN_SECRET_KEY"] = secrets.token_urlsafe(50)  # throwaway keys for the throwaway database
    os.environ["KUANGAN_AUDIT_KEY"] = secrets.token_urlsafe(32)
    os.environ.pop("KUANGAN_HTTPS", None)
    if args.database == "postgresql":
        os.environ["KUANGAN_DATABASE_URL"] = args.database_url or start_postgres_cluster(args.pg_port)
    else:  # never the developer's database: SQLite in the temporary var dir
        os.environ.pop("KUANGAN_DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------

def build_registry(extra: int, seed: int) -> tuple[int, int]:
    """A province around the demo: 10 more cities of 10 counties, and `extra` mines cloned from the demo's
    (same kinds and facts, no accounts) spread over all counties. Returns (counties, mines)."""
    from django.db import transaction

    from kuangan.core.models import Division
    from kuangan.registry.models import Mine

    rng = random.Random(seed)
    with transaction.atomic():
        county = Division.objects.filter(level="county").first()
        city = county.parent if county else None
        assert county is not None and city is not None and city.parent is not None
        taken = set(Division.objects.values_list("code", flat=True))
        cities, counties = [], []
        for cc in range(1, 14):
            code = f"{city.code[:2]}{cc:02d}00"
            if code in taken or len(cities) == 10:
                continue
            cities.append(Division(code=code, name=f"第{cc}市", level=city.level, parent=city.parent,
                                   path=f"{city.parent.path}{code[:4]}/"))
        Division.objects.bulk_create(cities)
        for c in Division.objects.filter(code__in=[c.code for c in cities]):
            for kk in range(1, 11):
                code = f"{c.code[:4]}{kk:02d}"
                counties.append(Division(code=code, name=f"{c.name}第{kk}县", level=county.level, parent=c,
                                         path=f"{c.path}{code}/"))
        Division.objects.bulk_create(counties)
        all_counties = list(Division.objects.filter(level=county.level))
        templates = list(Mine.objects.order_by("pk"))
        clones = []
        for n in range(extra):
            m = templates[n % len(templates)]
            clone = Mine(**{f.attname: getattr(m, f.attname) for f in Mine._meta.concrete_fields if not f.primary_key})
            clone.code = f"149{n:08d}"
            clone.name = f"{rng.choice('东西南北中新大小')}{n}号{'煤矿' if m.kind.startswith('coal') else '矿'}"
            clone.division = rng.choice(all_counties)
            clone.organization_id = None
            clones.append(clone)
        Mine.objects.bulk_create(clones, batch_size=1000)
    return len(all_counties), Mine.objects.count()


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
    close-out requested; found_at uniform from 2022-01-01 to now (hazards still `reported` within the last
    14 days); open hazards past `reported` have a deadline, ~15 % of them overdue; the due day, the paused
    clock and the regulator's answer day as the actions set them; ~25 % of open major ones supervised
    (escalated when overdue), some closed ones supervised in their time; ~1 % repeats; reported by a user
    of the mine."""

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
        by_org: dict[int, list[Any]] = {}
        for u in User.objects.filter(role__in=(Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER)).order_by("pk"):
            by_org.setdefault(u.organization_id, []).append(u)
        demo = [m for m in Mine.objects.filter(organization__isnull=False).order_by("pk") if m.organization_id in by_org]
        any_inspector = next(iter(inspectors.values()))
        for mine in Mine.objects.select_related("division").order_by("pk"):
            # a registry mine without accounts reports through the accounts of a demo mine (reporter only)
            users = by_org.get(mine.organization_id) or by_org[demo[mine.pk % len(demo)].organization_id]
            head = next(u for u in users if u.role == Role.MINE_HEAD)
            reporters = users
            its_items = coal if mine.kind.startswith("coal") else (metal[prefix.get(mine.kind, "MU")] or
                                                                   sum(metal.values(), []))
            self.mines.append(MineInfo(mine, its_items, reporters, head, inspectors.get(mine.division.code, any_inspector),
                                       faces.get(mine.pk, [])))

    def at(self, lo: datetime, hi: datetime) -> datetime:
        return lo + timedelta(seconds=self.rng.uniform(0, max((hi - lo).total_seconds(), 0)))

    def later(self, t: datetime, max_days: float) -> datetime:
        return min(t + timedelta(days=self.rng.uniform(0.02, max_days)), self.now)

    def make(self, n: int) -> list[Any]:
        from django.conf import settings

        from kuangan.core.clock import SHANGHAI
        from kuangan.hazards import rules
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
            if status == "reported":  # a hazard waits days, not years, for its plan
                found_at = self.at(self.now - timedelta(days=14), self.now)
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
            # the clock fields the actions keep (issue 18): the due day, the plan's, the regulator's
            reported_on = h.reported_at.astimezone(SHANGHAI).date()
            h.due_on = h.deadline if h.deadline else \
                rules.plan_due_on(reported_on, settings.HAZARD_PLAN_DAYS) if major else None
            if status == "close_out_requested" and major:
                requested_on = h.close_out_requested_at.astimezone(SHANGHAI).date()
                h.paused = rules.pauses_clock(level=h.level, requested_on=requested_on, due_on=h.due_on)
                h.verify_due_on = rules.verify_due_on(requested_on, settings.HAZARD_VERIFY_DAYS)
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
    """PostgreSQL's autovacuum vacuums and analyzes a freshly loaded table within a minute (the vacuum
    sets the visibility map that index-only scans need); do both now. SQLite is left as the app leaves
    it (nothing in kuangan runs ANALYZE there: the plans must not depend on statistics)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")


# --------------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------------

@dataclass
class Sample:
    p50: float
    p95: float
    queries: int


@dataclass
class ExportSample:
    rows: int
    seconds: float  # median of the timed downloads
    peak_mib: float  # tracemalloc peak during one download

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]  # nearest rank: the 19th of 20


def body(response: Any) -> bytes:
    """The first bytes of the download, read to its end chunk by chunk (as a browser saves it): the peak
    memory measured is the server's, not a copy of the whole file held by the benchmark."""
    if not response.streaming:
        return response.content[:4]
    head = b""
    for chunk in response.streaming_content:
        head = head or bytes(chunk[:4])
    return head


def measure(runs: int, export_runs: int) -> tuple[dict[tuple[str, str], Sample], dict[str, ExportSample]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kuangan.core.models import AuditEvent, User

    results, exports = {}, {}
    for username in USERS:
        client = Client()
        user = User.objects.get(username=username)
        client.force_login(user)
        for name, url in PAGES:
            with CaptureQueriesContext(connection) as ctx:  # the warm-up fetch: template cache, query count
                response = client.get(url)
            queries = len(ctx.captured_queries)
            if response.status_code != 200:
                raise SystemExit(f"{url} as {username}: HTTP {response.status_code}")
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                response = client.get(url)
                _ = response.content
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            results[(username, name)] = Sample(statistics.median(times), p95(times), queries)
        times = []
        for _ in range(export_runs):
            t0 = time.perf_counter()
            response = client.get(EXPORT)
            data = body(response)
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200 and data[:2] == b"PK"
        tracemalloc.start()
        response = client.get(EXPORT)
        body(response)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        event = AuditEvent.objects.filter(verb="core.export.downloaded", target_id=str(user.pk)).order_by("-seq")[0]
        exports[username] = ExportSample(event.after["rows"], statistics.median(times), peak / 2**20)
    return results, exports


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

def render(headers: list[str], rows: list[list[str]], markdown: bool, left: int = 2) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |",
                 "|" + "|".join("---" if i < left else "---:" for i in range(len(headers))) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" if i < left else f"{{:>{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*headers), "  ".join("-" * w for w in widths)]
    out += [fmt.format(*r) for r in rows]
    return "\n".join(line.rstrip() for line in out)


def pages_table(base: dict, full: dict, args: argparse.Namespace) -> tuple[list[str], list[list[str]]]:
    headers = ["page", "user", f"{args.baseline:,} hazards ms (p50 / p95)", f"{args.hazards:,} hazards ms (p50 / p95)",
               "ratio p95", "queries (base/full)"]
    rows = []
    for name, url in PAGES:
        for username in USERS:
            b, f = base[(username, name)], full[(username, name)]
            q = str(f.queries) if b.queries == f.queries else f"{b.queries}/{f.queries}"
            rows.append([url, username, f"{b.p50:.0f} / {b.p95:.0f}", f"{f.p50:.0f} / {f.p95:.0f}",
                         f"{f.p95 / b.p95:.1f}x", q])
    return headers, rows


def export_table(base: dict, full: dict) -> tuple[list[str], list[list[str]]]:
    headers = ["export", "user", "rows (base / full)", "s (base / full)", "rows/s (base / full)",
               "peak MiB (base / full)", "ratio s"]
    rows = []
    for username in USERS:
        b, f = base[username], full[username]
        rows.append([EXPORT, username, f"{b.rows:,} / {f.rows:,}", f"{b.seconds:.2f} / {f.seconds:.2f}",
                     f"{b.rows_per_s:,.0f} / {f.rows_per_s:,.0f}", f"{b.peak_mib:.1f} / {f.peak_mib:.1f}",
                     f"{f.seconds / b.seconds:.1f}x"])
    return headers, rows


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
    counties, mines = build_registry(args.mines, args.seed)
    log(f"registry: {mines:,} mines in {counties} counties")
    factory = HazardFactory(args.seed)
    secs = factory.insert(args.baseline, args.batch)
    analyze()
    base_db = database_summary()
    log(f"inserted {args.baseline:,} hazards in {secs:.1f}s; measuring the baseline")
    base, base_x = measure(args.runs, args.export_runs)
    secs = factory.insert(args.hazards - args.baseline, args.batch)
    analyze()
    full_db = database_summary()
    log(f"inserted {args.hazards - args.baseline:,} more hazards in {secs:.1f}s; measuring the full database")
    full, full_x = measure(args.runs, args.export_runs)
    log("done")

    db = settings.DATABASES["default"]
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
        f"registry: {mines:,} mines in {counties} counties; baseline: {base_db['hazards']:,} hazards "
        f"({base_db['major']:,} major); full: {full_db['hazards']:,} hazards ({full_db['major']:,} major), by status "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(full_db["by_status"].items())),
        f"each page: 1 warm-up fetch (queries counted) + {args.runs} timed fetches, wall time of Client.get in ms; "
        f"ratio = full p95 / baseline p95; export: median of {args.export_runs} downloads, peak of one more under "
        f"tracemalloc; total run {time.perf_counter() - began:.0f} s",
    ]
    print("\n".join(info))
    print()
    print(render(*pages_table(base, full, args), args.markdown))
    print()
    print(render(*export_table(base_x, full_x), args.markdown))


if __name__ == "__main__":
    main()
