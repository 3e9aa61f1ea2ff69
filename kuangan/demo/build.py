"""The demo data set: deterministic (a fixed seed), realistic, built through the actions so that the
audit chain and the status history look as they would after real use.

Lüliang city (吕梁市) with 中阳县 and its neighbour 孝义市: three regulators, an expert body, four
enterprise groups with their subsidiaries, 30 mines with licences, rosters, workings and supervisors,
and one user per role per organization. Some mines carry dossier findings on purpose.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import OrganizationKind, Role, Via
from kuangan.core.models import Division, Organization, User
from kuangan.demo.enforcement import build_enforcement
from kuangan.demo.hazards import build_hazards
from kuangan.demo.monitoring import build_monitoring
from kuangan.registry import actions
from kuangan.registry.choices import (
    DisasterGrade,
    Education,
    FaceKind,
    FaceStatus,
    GasClass,
    HydroType,
    IntelligentStatus,
    LeadershipPost,
    LevelStatus,
    LicenceKind,
    MineKind,
    MineStatus,
    MiningMethod,
    RockBurst,
    SpontaneousCombustion,
    StandardizationGrade,
    SupervisionClass,
    SupervisorKind,
)
from kuangan.registry.models import Mine

DEMO_PASSWORD = "Kuangan@2024"
SEED = 20240601
CITY, ZHONGYANG, XIAOYI = "141100", "141129", "141181"

REGULATORS = [
    ("ll", "吕梁市应急管理局", CITY),
    ("zy", "中阳县应急管理局", ZHONGYANG),
    ("xy", "孝义市应急管理局", XIAOYI),
]
EXPERT_ORG = ("ll_expert", "吕梁市矿山安全技术服务中心", CITY)

# group name, credit-code stem, county, subsidiaries [(slug, name, county)]
GROUPS = [
    ("hongtai", "吕梁宏泰能源集团有限公司", CITY, [
        ("xinyan_co", "中阳县鑫岩煤业有限公司", ZHONGYANG),
        ("gengyang_co", "山西梗阳煤业有限公司", ZHONGYANG),
        ("nanshan_co", "中阳县南山煤业有限公司", ZHONGYANG),
    ]),
    ("jinzhong", "山西晋中阳能源投资集团有限公司", ZHONGYANG, [
        ("zhangzishan_co", "中阳县张子山煤业有限公司", ZHONGYANG),
        ("taoyuan_co", "中阳县桃园鑫隆煤业有限公司", ZHONGYANG),
        ("zhongyang_steel", "中阳县华兴钢铁有限公司", ZHONGYANG),
    ]),
    ("xiaoyi_group", "孝义市鹏飞实业集团有限公司", XIAOYI, [
        ("xixinzhuang_co", "孝义市西辛庄煤业有限公司", XIAOYI),
        ("duizhen_co", "孝义市兑镇煤业有限公司", XIAOYI),
        ("aluminium_co", "孝义市兴安铝土矿业有限公司", XIAOYI),
    ]),
    ("lvliang_coal", "吕梁市地方煤炭投资有限公司", CITY, [
        ("liujiaping_co", "中阳县刘家坪煤业有限公司", ZHONGYANG),
    ]),
]


@dataclass(frozen=True)
class MineSpec:
    slug: str
    name: str
    owner: str  # subsidiary slug
    county: str
    kind: str = MineKind.COAL_UNDERGROUND
    status: str = MineStatus.PRODUCING
    capacity: int = 90
    gas: str = GasClass.LOW
    quirk: str = ""  # the dossier finding this mine shows on purpose


C, S = MineKind, MineStatus
MINES = [
    MineSpec("xinyan", "鑫岩煤矿", "xinyan_co", ZHONGYANG, capacity=120, gas=GasClass.HIGH),
    MineSpec("gengyang", "梗阳煤矿", "gengyang_co", ZHONGYANG, capacity=90, quirk="unqualified_deputy"),
    MineSpec("zhangzishan", "张子山煤矿", "zhangzishan_co", ZHONGYANG, capacity=150, gas=GasClass.HIGH,
             quirk="no_ventilation_deputy"),
    MineSpec("nanshan", "南山煤矿", "nanshan_co", ZHONGYANG, capacity=60, quirk="chairman_above_head"),
    MineSpec("taoyuan", "桃园煤矿", "taoyuan_co", ZHONGYANG, capacity=120, quirk="three_levels"),
    MineSpec("jinhui", "金辉煤矿", "xinyan_co", ZHONGYANG, capacity=90, quirk="expired_safety_licence"),
    MineSpec("shangqiao", "上桥煤矿", "gengyang_co", ZHONGYANG, capacity=60, quirk="mining_licence_expiring"),
    MineSpec("nuanquan", "暖泉煤矿", "nanshan_co", ZHONGYANG, capacity=90, quirk="upgrade_without_deputy"),
    MineSpec("zhike", "枝柯煤矿", "zhangzishan_co", ZHONGYANG, capacity=120, gas=GasClass.OUTBURST),
    MineSpec("chemingyu", "车鸣峪煤矿", "taoyuan_co", ZHONGYANG, status=S.SUSPENDED_FOR_RECTIFICATION, capacity=60),
    MineSpec("ningxiang", "宁乡煤矿", "xinyan_co", ZHONGYANG, status=S.LONG_TERM_STOPPED, capacity=45),
    MineSpec("wujiazhuang", "武家庄煤矿", "gengyang_co", ZHONGYANG, status=S.BUILDING, capacity=240,
             gas=GasClass.HIGH),
    MineSpec("wujiamao", "吴家峁煤矿", "nanshan_co", ZHONGYANG, capacity=90),
    MineSpec("gongyang", "弓阳煤矿", "zhangzishan_co", ZHONGYANG, capacity=180, gas=GasClass.HIGH),
    MineSpec("fengshan", "凤山煤矿", "taoyuan_co", ZHONGYANG, capacity=60),
    MineSpec("xiazaolin", "下枣林煤矿", "xinyan_co", ZHONGYANG, capacity=90),
    MineSpec("chenjiawan", "陈家湾煤矿", "gengyang_co", ZHONGYANG, status=S.CONSTRUCTION_STOPPED, capacity=120),
    MineSpec("liujiaping", "刘家坪煤矿", "liujiaping_co", ZHONGYANG, status=S.CLOSED, capacity=30),
    MineSpec("wangjiagou", "王家沟铁矿", "zhongyang_steel", ZHONGYANG, kind=C.METAL_UNDERGROUND, capacity=30,
             gas=GasClass.NOT_APPLICABLE),
    MineSpec("zhongyang_tailings", "华兴钢铁尾矿库", "zhongyang_steel", ZHONGYANG, kind=C.TAILINGS_POND,
             capacity=0, gas=GasClass.NOT_APPLICABLE),
    MineSpec("xixinzhuang", "西辛庄煤矿", "xixinzhuang_co", XIAOYI, capacity=150),
    MineSpec("duizhen", "兑镇煤矿", "duizhen_co", XIAOYI, capacity=120, gas=GasClass.HIGH),
    MineSpec("zhupu", "柱濮煤矿", "xixinzhuang_co", XIAOYI, capacity=90),
    MineSpec("ducun", "杜村煤矿", "duizhen_co", XIAOYI, capacity=60, status=S.SUSPENDED_FOR_RECTIFICATION),
    MineSpec("gaoyang", "高阳煤矿", "xixinzhuang_co", XIAOYI, capacity=300, gas=GasClass.HIGH),
    MineSpec("yima", "驿马煤矿", "duizhen_co", XIAOYI, capacity=90),
    MineSpec("xiabao", "下堡煤矿", "xixinzhuang_co", XIAOYI, capacity=60, status=S.BUILDING),
    MineSpec("wutong", "梧桐煤矿", "duizhen_co", XIAOYI, capacity=120),
    MineSpec("yangquanqu", "阳泉曲铝土矿", "aluminium_co", XIAOYI, kind=C.METAL_OPEN_PIT, capacity=50,
             gas=GasClass.NOT_APPLICABLE),
    MineSpec("xiaoyi_tailings", "兴安铝业尾矿库", "aluminium_co", XIAOYI, kind=C.TAILINGS_POND, capacity=0,
             gas=GasClass.NOT_APPLICABLE),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = ["建国", "志强", "海军", "卫东", "晓明", "国华", "文斌", "永刚", "红伟", "振华", "俊峰", "利民", "忠义",
         "宏亮", "建平", "勇", "涛", "磊", "鹏", "军", "斌", "浩", "杰", "亮", "强", "晋生", "二虎", "保平", "云龙", "富贵"]
MAJORS_MINING = ["采矿工程", "安全工程", "矿井通风与安全", "地质工程", "矿山机电", "测绘工程", "煤矿开采技术"]
MAJORS_OTHER = ["工商管理", "会计", "法学", "汉语言文学"]
FIVE_HEADS = [LeadershipPost.MINE_HEAD, LeadershipPost.CHIEF_ENGINEER, LeadershipPost.SAFETY_DEPUTY,
              LeadershipPost.PRODUCTION_DEPUTY, LeadershipPost.ELECTROMECHANICAL_DEPUTY]
SECTIONS = [LeadershipPost.SAFETY_SECTION, LeadershipPost.PRODUCTION_SECTION, LeadershipPost.ELECTROMECHANICAL_SECTION,
            LeadershipPost.VENTILATION_SECTION, LeadershipPost.SURVEY_WATER_SECTION]

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def _id_number(rng: random.Random, county: str) -> str:
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 25))
    body = f"{county}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3579')}{rng.randrange(0, 10)}{rng.randrange(0, 10**8):08d}"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _credit_code(rng: random.Random, county: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "91" + county + "".join(rng.choice(alphabet) for _ in range(10))


def present() -> bool:
    """Each action commits on its own, so "present" means the last mine was written."""
    return Mine.objects.filter(name=MINES[-1].name).exists()


@functools.cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)  # hashed once: Argon2 is slow on purpose


def _user(username: str, full_name: str, org: Organization, role: str, rng: random.Random, at: Any) -> User:
    user = User(username=username, full_name=full_name, organization=org, role=role, phone=_phone(rng),
                password_changed_at=at, password=_demo_password_hash())
    user.save()
    return user


def build() -> str:
    rng = random.Random(SEED)
    now = clock.now()
    today = clock.today()
    div = {d.code: d for d in Division.objects.filter(code__in=[CITY, ZHONGYANG, XIAOYI])}

    admins: dict[str, User] = {}
    inspectors: dict[str, User] = {}
    for prefix, name, code in REGULATORS:
        org = Organization.objects.create(name=name, kind=OrganizationKind.REGULATOR, division=div[code])
        admins[code] = _user(f"{prefix}_admin", _person(rng), org, Role.REGULATOR_ADMIN, rng, now)
        inspectors[code] = _user(f"{prefix}_inspector", _person(rng), org, Role.INSPECTOR, rng, now)
        _user(f"{prefix}_auditor", _person(rng), org, Role.AUDITOR, rng, now)
        _user(f"{prefix}_secadmin", _person(rng), org, Role.SECURITY_ADMIN, rng, now)
    expert_org = Organization.objects.create(name=EXPERT_ORG[1], kind=OrganizationKind.EXPERT, division=div[CITY])
    _user(EXPERT_ORG[0], _person(rng), expert_org, Role.EXPERT, rng, now)

    city_admin = Actor(user=admins[CITY], at=now, via=Via.IMPORT)
    enterprises: dict[str, Any] = {}
    for slug, name, county, subsidiaries in GROUPS:
        org = Organization.objects.create(name=name, kind=OrganizationKind.ENTERPRISE, division=div[county])
        group = actions.save_enterprise(by=city_admin, data={
            "name": name, "credit_code": _credit_code(rng, county), "division": div[county], "organization": org,
            "legal_representative": _person(rng), "address": f"{div[county].full_name}"})
        _user(f"{slug}_manager", _person(rng), org, Role.ENTERPRISE_SAFETY_MANAGER, rng, now)
        for sub_slug, sub_name, sub_county in subsidiaries:
            sub_org = Organization.objects.create(name=sub_name, kind=OrganizationKind.ENTERPRISE,
                                                  division=div[sub_county])
            enterprises[sub_slug] = actions.save_enterprise(by=city_admin, data={
                "name": sub_name, "credit_code": _credit_code(rng, sub_county), "division": div[sub_county],
                "parent": group, "organization": sub_org, "legal_representative": _person(rng),
                "address": div[sub_county].full_name})
            _user(f"{sub_slug}_manager", _person(rng), sub_org, Role.ENTERPRISE_SAFETY_MANAGER, rng, now)

    capacities_expiry_years = [1, 2, 3, 4, 5]
    for number, spec in enumerate(MINES, start=1):
        division = div[spec.county]
        by = Actor(user=admins[spec.county], at=now, via=Via.IMPORT)
        org = Organization.objects.create(name=spec.name, kind=OrganizationKind.MINE, division=division)
        coal = spec.kind in (MineKind.COAL_UNDERGROUND, MineKind.COAL_OPEN_PIT)
        initial_status = spec.status if spec.status in (S.PRODUCING, S.BUILDING) else S.PRODUCING
        registered = Actor(user=admins[spec.county], at=now - timedelta(days=3 * 365), via=Via.IMPORT)
        mine = actions.create_mine(by=registered, data={
            "code": f"{spec.county}{number:04d}", "name": spec.name, "enterprise": enterprises[spec.owner],
            "division": division, "organization": org, "kind": spec.kind, "status": initial_status,
            "approved_capacity": Decimal(spec.capacity), "gas_class": spec.gas,
            "hydro_type": rng.choice([HydroType.MEDIUM, HydroType.MEDIUM, HydroType.SIMPLE, HydroType.COMPLEX]),
            "rock_burst": RockBurst.NONE if rng.random() < 0.85 else RockBurst.TENDENCY,
            "spontaneous_combustion": rng.choice([SpontaneousCombustion.POSSIBLE, SpontaneousCombustion.UNLIKELY,
                                                   SpontaneousCombustion.PRONE]) if coal
            else SpontaneousCombustion.NOT_APPLICABLE,
            "disaster_grade": rng.choice([DisasterGrade.MEDIUM, DisasterGrade.SIMPLE, DisasterGrade.COMPLEX]),
            "standardization_grade": rng.choice([StandardizationGrade.FIRST, StandardizationGrade.SECOND,
                                                 StandardizationGrade.SECOND, StandardizationGrade.THIRD]),
            "intelligent_status": rng.choice([IntelligentStatus.NONE, IntelligentStatus.BUILDING,
                                              IntelligentStatus.ACCEPTED_BASIC]),
            "supervision_class": rng.choice([SupervisionClass.A, SupervisionClass.B, SupervisionClass.B,
                                             SupervisionClass.C]) if spec.status in (S.PRODUCING, S.BUILDING)
            else SupervisionClass.D,
            "has_upgrade_project": spec.quirk == "upgrade_without_deputy",
            "address": f"{division.full_name}{spec.name[:-2]}村",
            "longitude": (division.longitude or Decimal("111.18")) + Decimal(rng.randrange(-150, 150)) / 1000,
            "latitude": (division.latitude or Decimal("37.36")) + Decimal(rng.randrange(-150, 150)) / 1000,
        })
        if spec.status not in (S.PRODUCING, S.BUILDING):
            reason: str = {
                S.SUSPENDED_FOR_RECTIFICATION: "检查发现重大事故隐患，责令停产整顿",
                S.LONG_TERM_STOPPED: "资源整合后长期停产，未申请复产",
                S.CONSTRUCTION_STOPPED: "建设手续不全，责令停止建设",
                S.CLOSED: "列入化解过剩产能关闭退出名单，已完成关闭验收",
            }[MineStatus(spec.status)]
            actions.change_mine_status(mine.pk, by=by, to_status=spec.status, reason=reason,
                                       effective_on=today - timedelta(days=rng.randrange(20, 400)),
                                       document_number=f"中应急停〔{today.year}〕{number}号")
        mine_users = {}
        for role, suffix in ((Role.MINE_HEAD, "head"), (Role.MINE_SAFETY_OFFICER, "safety"),
                             (Role.MINE_DISPATCHER, "dispatch")):
            mine_users[role] = _user(f"{spec.slug}_{suffix}", _person(rng), org, role, rng, now)
        if number % 5 == 1:
            mine.expert_orgs.add(expert_org)
        _licences(by, mine, spec, rng, today, capacities_expiry_years)
        if spec.kind != MineKind.TAILINGS_POND:
            _roster(by, mine, spec, rng, coal)
        if spec.kind in (MineKind.COAL_UNDERGROUND, MineKind.METAL_UNDERGROUND) and spec.status != S.CLOSED:
            _workings(by, mine, spec, rng)
        if spec.status != S.CLOSED:
            _supervisors(by, mine, rng, inspectors[spec.county], today)
        if spec.slug == "xinyan":  # one proposal waiting for zy_inspector (issue 17: regulated facts)
            _capacity_proposal(mine, mine_users[Role.MINE_SAFETY_OFFICER], now)
    # enforcement needs a second inspector per bureau (teams of two) and the bureau's head (penalty approval);
    # their own generator, so the names above stay what they were
    staff_rng = random.Random(SEED + 1)
    for prefix, _name, code in REGULATORS:
        bureau = admins[code].organization
        assert bureau is not None
        _user(f"{prefix}_inspector2", _person(staff_rng), bureau, Role.INSPECTOR, staff_rng, now)
        _user(f"{prefix}_leader", _person(staff_rng), bureau, Role.REGULATOR_LEADER, staff_rng, now)
    inspections = build_enforcement(today)  # before the hazards' tick at today 07:00: the year comes first
    hazards = build_hazards(today)
    alarms, leads = build_monitoring()
    return (f"{Mine.objects.count()} mines, {User.objects.count()} users, {inspections} inspections, "
            f"{hazards} hazards, {alarms} alarms, {leads} leads")


def _licences(by: Actor, mine: Mine, spec: MineSpec, rng: random.Random, today: date, years: list[int]) -> None:
    year = today.year
    expiry = {
        LicenceKind.MINING: today + timedelta(days=365 * rng.choice(years) + rng.randrange(0, 200)),
        LicenceKind.SAFETY_PRODUCTION: today + timedelta(days=365 * rng.choice(years[:3]) + rng.randrange(0, 200)),
        LicenceKind.BUSINESS: None,
    }
    if spec.quirk == "expired_safety_licence":
        expiry[LicenceKind.SAFETY_PRODUCTION] = today - timedelta(days=23)
    if spec.quirk == "mining_licence_expiring":
        expiry[LicenceKind.MINING] = today + timedelta(days=40)
    numbers = {
        LicenceKind.MINING: f"C14000020{rng.randrange(10**9, 10**10)}",
        LicenceKind.SAFETY_PRODUCTION: f"（晋）MK安许证字〔{year - rng.randrange(1, 3)}〕{rng.choice('ABCDG')}{rng.randrange(100, 999)}",
        LicenceKind.BUSINESS: mine.enterprise.credit_code or "",
    }
    for kind, expires in expiry.items():
        issued = (expires or today) - timedelta(days=365 * 3)
        actions.save_mine_record("licence", mine.pk, by=by, data={
            "kind": kind, "number": numbers[kind], "issued_on": issued if expires else today - timedelta(days=2000),
            "expires_on": expires})


def _roster(by: Actor, mine: Mine, spec: MineSpec, rng: random.Random, coal: bool) -> None:
    posts = list(FIVE_HEADS) if coal else [LeadershipPost.MINE_HEAD, LeadershipPost.CHIEF_ENGINEER,
                                           LeadershipPost.SAFETY_DEPUTY]
    if spec.kind == MineKind.COAL_UNDERGROUND and spec.quirk != "no_ventilation_deputy":
        posts.append(LeadershipPost.VENTILATION_DEPUTY)
    if coal:
        posts += SECTIONS
    if spec.quirk == "chairman_above_head":
        posts.insert(0, LeadershipPost.CHAIRMAN)
    for post in posts:
        head = post in FIVE_HEADS or post in (LeadershipPost.VENTILATION_DEPUTY, LeadershipPost.CHAIRMAN)
        years = rng.randrange(12, 28) if head else rng.randrange(6, 20)
        if spec.quirk == "unqualified_deputy" and post == LeadershipPost.SAFETY_DEPUTY:
            years = 8
        mining_major = post != LeadershipPost.CHAIRMAN
        actions.save_mine_record("leadership", mine.pk, by=by, data={
            "post": post, "name": _person(rng), "id_number": _id_number(rng, mine.division.code),
            "phone": _phone(rng),
            "education": rng.choice([Education.BACHELOR, Education.JUNIOR_COLLEGE, Education.BACHELOR,
                                     Education.POSTGRADUATE]),
            "major": rng.choice(MAJORS_MINING if mining_major else MAJORS_OTHER), "major_is_mining": mining_major,
            "frontline_years": years, "appointed_on": date(2018, 1, 1) + timedelta(days=rng.randrange(0, 2000)),
            "holds_mine_head_post": False, "active": True})


def _workings(by: Actor, mine: Mine, spec: MineSpec, rng: random.Random) -> None:
    elevations = [1050, 950, 850, 750]
    count = 3 if spec.quirk == "three_levels" else rng.choice([1, 2, 2])
    levels = []
    for i in range(count):
        status = LevelStatus.PRODUCING if (spec.status == S.PRODUCING and (i < 2 or spec.quirk == "three_levels")) \
            else LevelStatus.PREPARING
        levels.append(actions.save_mine_record("level", mine.pk, by=by, data={
            "name": f"+{elevations[i]}水平", "elevation": elevations[i], "status": status}))
    producing = spec.status == S.PRODUCING
    faces = [(f"{i + 1}{rng.randrange(1, 9)}0{j + 1}综采工作面", FaceKind.LONGWALL, MiningMethod.FULLY_MECHANIZED)
             for i in range(len(levels)) for j in range(1)]
    faces += [(f"{i + 1}{rng.randrange(1, 9)}0{j + 2}回风顺槽掘进工作面", FaceKind.HEADING,
               rng.choice([MiningMethod.MECHANIZED_HEADING, MiningMethod.MECHANIZED_HEADING, MiningMethod.BLAST_HEADING]))
              for i in range(len(levels)) for j in range(2)]
    for n, (name, kind, method) in enumerate(faces):
        actions.save_mine_record("face", mine.pk, by=by, data={
            "name": name, "kind": kind, "level": levels[n % len(levels)], "mining_method": method,
            "status": FaceStatus.PRODUCING if producing else FaceStatus.STOPPED})


def _supervisors(by: Actor, mine: Mine, rng: random.Random, inspector: User, today: date) -> None:
    actions.save_mine_record("supervisor", mine.pk, by=by, data={
        "kind": SupervisorKind.RESIDENT_SUPERVISOR, "name": inspector.display_name,
        "position": f"{inspector.organization} 驻矿监管专员", "phone": inspector.phone,
        "start_on": today - timedelta(days=rng.randrange(30, 600)), "end_on": None})
    actions.save_mine_record("supervisor", mine.pk, by=by, data={
        "kind": SupervisorKind.ASSIGNED_OFFICIAL, "name": _person(rng),
        "position": f"{mine.division.name}人民政府 副县长（包保）", "phone": _phone(rng),
        "start_on": date(today.year, 1, 1), "end_on": None})


def _capacity_proposal(mine: Mine, officer: User, now: datetime) -> None:
    report = SimpleUploadedFile("生产能力核定报告.pdf", b"%PDF-1.4\n% demo: capacity assessment report\n")
    actions.propose_mine_change(
        mine.pk, by=Actor(user=officer, at=now - timedelta(days=2), via=Via.WEB), target="mine",
        changes={"approved_capacity": Decimal("150")}, files=[report],
        reason="综采工作面智能化改造完成，经生产能力核定，申请核定生产能力由 120 万吨/年调整为 150 万吨/年。")


def logins_text() -> str:
    rows = [
        ("县系统管理员", "zy_admin"), ("县安全管理员", "zy_secadmin"), ("县审计管理员", "zy_auditor"),
        ("县执法人员", "zy_inspector"), ("县局负责人", "zy_leader"),
        ("市执法人员", "ll_inspector"), ("企业安全管理人员", "hongtai_manager"), ("矿长", "xinyan_head"),
        ("矿山安全员", "xinyan_safety"), ("矿山调度员", "xinyan_dispatch"), ("专家", "ll_expert"),
    ]
    lines = [f"演示账户（密码均为 {DEMO_PASSWORD}）："]
    lines += [f"  {label:<10} {username}" for label, username in rows]
    return "\n".join(lines)
