"""Demo hazards: every state of the loop, overdue ones at several escalation steps, a repeat, a
2023 stock hazard still open, a supervised listing, a stop-production order, an investigation, a
closure proposal, monthly reports with zero reports, and mines that did not report."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from kuangan.core import periodic
from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.clock import SHANGHAI
from kuangan.core.models import User
from kuangan.hazards import actions, queries, rules
from kuangan.hazards.models import Hazard, HazardStandardItem
from kuangan.registry.models import Mine

DESCRIPTIONS = {
    "C01-04": "三个水平同时生产，+750 水平未按设计关闭",
    "C02-02": "1201 综采工作面回风隅角瓦斯超限后未停止作业",
    "C04-02": "2103 掘进工作面甲烷传感器未按规定标校，断电功能失效",
    "C05-01": "矿井有效风量不足，2 号采区风量低于设计值",
    "C05-06": "采区进、回风巷未贯穿整个采区即开始回采",
    "C06-03": "未按规定开展探放水，2201 工作面超前钻孔数量不足",
    "C09-01": "开采容易自燃煤层未建立防灭火系统",
    "C11-01": "矿井只有单回路供电",
    "C13-01": "将井下采掘作业承包给无资质队伍",
}


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _item(code: str) -> HazardStandardItem:
    return HazardStandardItem.objects.get(standard__code="coal-2020", code=code)


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def _report(mine: Mine, code: str, found: datetime, *, by: User, source: str = "self_inspection",
            level: str = "major", description: str = "") -> Hazard:
    return actions.report_hazard(mine.pk, by=Actor(user=by, at=found + timedelta(hours=1), via=Via.IMPORT),
                                 report=actions.HazardReport(
                                     level=level, source=source, description=description or DESCRIPTIONS[code],
                                     found_at=found, found_by=str(by.organization), standard_item_id=_item(code).pk
                                     if level == "major" else None))


def _rectify(h: Hazard, by: User, at: datetime, deadline: date, rng: random.Random) -> Hazard:
    return actions.start_rectification(h.pk, by=Actor(user=by, at=at, via=Via.IMPORT), plan=rules.FiveImplementations(
        responsible_person=by.display_name, measures="制定专项整改方案，落实整改措施并组织验收",
        funds=Decimal(rng.randrange(5, 200)), deadline=deadline, contingency_plan="编制现场处置方案，明确撤人路线"))


def build_hazards(today: date) -> int:
    rng = random.Random(7)
    mines = {m.name: m for m in Mine.objects.all()}
    zy, xy = _user("zy_inspector"), _user("xy_inspector")
    count = 0

    def mine_users(slug: str) -> tuple[User, User]:
        return _user(f"{slug}_safety"), _user(f"{slug}_head")

    # 鑫岩煤矿: the full loop, closed out by the county inspector.
    safety, head = mine_users("xinyan")
    h = _report(mines["鑫岩煤矿"], "C04-02", _at(today - timedelta(days=75)), by=safety)
    _rectify(h, safety, _at(today - timedelta(days=74)), today - timedelta(days=40), rng)
    actions.request_close_out(h.pk, by=Actor(user=head, at=_at(today - timedelta(days=45)), via=Via.IMPORT),
                              evaluation_by="总工程师、通风副矿长", evaluation="传感器已更换标校，断电试验合格")
    actions.verify_close_out(h.pk, by=Actor(user=zy, at=_at(today - timedelta(days=43)), via=Via.IMPORT),
                             approve=True, opinion="现场核查整改到位，同意销号")
    count += 1
    # 鑫岩煤矿: a close-out request waiting for the inspector.
    h = _report(mines["鑫岩煤矿"], "C05-01", _at(today - timedelta(days=20)), by=safety)
    _rectify(h, safety, _at(today - timedelta(days=19)), today + timedelta(days=10), rng)
    actions.request_close_out(h.pk, by=Actor(user=head, at=_at(today - timedelta(days=2)), via=Via.IMPORT),
                              evaluation_by="煤炭科学研究院 专家组", evaluation="风量复测达到设计要求")
    count += 1
    # 张子山煤矿: overdue at several steps (letter+circular+summons), supervised.
    safety, head = mine_users("zhangzishan")
    h = _report(mines["张子山煤矿"], "C06-03", _at(today - timedelta(days=90)), by=safety)
    _rectify(h, safety, _at(today - timedelta(days=89)), today - timedelta(days=35), rng)
    actions.list_for_supervision(h.pk, by=Actor(user=zy, at=_at(today - timedelta(days=30)), via=Via.IMPORT),
                                 reason="超期未整改，县局挂牌督办")
    count += 1
    # 梗阳煤矿: overdue by a few days (letter), and a regulator-found hazard under investigation.
    safety, head = mine_users("gengyang")
    h = _report(mines["梗阳煤矿"], "C05-06", _at(today - timedelta(days=40)), by=safety)
    _rectify(h, safety, _at(today - timedelta(days=39)), today - timedelta(days=5), rng)
    _report(mines["梗阳煤矿"], "C02-02", _at(today - timedelta(days=12)), by=zy, source="regulator_inspection")
    count += 2
    # 南山煤矿: the same item twice within a year (a repeat), the second still being rectified.
    safety, head = mine_users("nanshan")
    first = _report(mines["南山煤矿"], "C09-01", _at(today - timedelta(days=300)), by=safety)
    _rectify(first, safety, _at(today - timedelta(days=299)), today - timedelta(days=250), rng)
    actions.request_close_out(first.pk, by=Actor(user=head, at=_at(today - timedelta(days=255)), via=Via.IMPORT),
                              evaluation_by="总工程师", evaluation="已建立注氮防灭火系统")
    actions.verify_close_out(first.pk, by=Actor(user=zy, at=_at(today - timedelta(days=252)), via=Via.IMPORT),
                             approve=True, opinion="同意销号")
    again = _report(mines["南山煤矿"], "C09-01", _at(today - timedelta(days=15)), by=safety,
                    description="注氮系统停运，防灭火措施未落实（再次出现）")
    _rectify(again, safety, _at(today - timedelta(days=14)), today + timedelta(days=20), rng)
    count += 2
    # 金辉煤矿 (safety licence expired): two major hazards within three months → a closure proposal.
    safety, head = mine_users("jinhui")
    _report(mines["金辉煤矿"], "C11-01", _at(today - timedelta(days=60)), by=safety)
    _report(mines["金辉煤矿"], "C13-01", _at(today - timedelta(days=8)), by=zy, source="regulator_inspection")
    count += 2
    # 枝柯煤矿: a 2023 hazard still open (the stock of R2.7), overdue to exposure.
    safety, head = mine_users("zhike")
    old = _report(mines["枝柯煤矿"], "C01-04", _at(date(2023, 9, 12)), by=safety)
    _rectify(old, safety, _at(date(2023, 9, 13)), date(2023, 12, 31), rng)
    count += 1
    # 弓阳煤矿: found by the regulator this month, stopped production; reported, five implementations pending.
    safety, head = mine_users("gongyang")
    h = _report(mines["弓阳煤矿"], "C02-02", _at(today - timedelta(days=3)), by=zy, source="regulator_inspection")
    actions.order_stop_production(h.pk, by=Actor(user=zy, at=_at(today - timedelta(days=3), 11), via=Via.IMPORT),
                                  reason="回风隅角瓦斯超限仍组织生产，危及作业人员安全")
    count += 1
    # 西辛庄煤矿 (孝义市): a reported hazard; ordinary hazards at several mines.
    safety, head = mine_users("xixinzhuang")
    _report(mines["西辛庄煤矿"], "C05-01", _at(today - timedelta(days=6)), by=xy, source="regulator_inspection")
    count += 1
    for slug, name in (("wujiamao", "吴家峁煤矿"), ("fengshan", "凤山煤矿"), ("duizhen", "兑镇煤矿")):
        safety, head = mine_users(slug)
        h = _report(mines[name], "C04-02", _at(today - timedelta(days=rng.randrange(5, 40))), by=safety,
                    level="ordinary", description=rng.choice(["巷道支护不及时", "消防器材过期", "风门未关闭"]))
        _rectify(h, safety, _at(today - timedelta(days=4)), today + timedelta(days=15), rng)
        count += 1

    # Monthly reports of every month each mine owed one: every mine files (zero or not), in time, except
    # that 下枣林 and 高阳 have not filed the latest one, which is overdue.
    owed = queries.owed_months(rules.day_start(today))
    for mine in Mine.objects.filter(pk__in=owed).select_related("organization"):
        signer = mine.organization.users.filter(role="mine_head").first() if mine.organization else None
        months = owed[mine.pk]
        if signer is None or not months:
            continue
        if mine.name in ("下枣林煤矿", "高阳煤矿"):
            months = months[:-1]
        for month in months:
            start, end = rules.day_start(month), rules.day_start(rules.next_month(month))
            found = Hazard.objects.filter(mine=mine, level="major", found_at__gte=start, found_at__lt=end).exists()
            actions.submit_monthly_report(mine.pk, month=month, is_zero=not found, by=Actor(
                user=signer, at=_at(rules.next_month(month) + timedelta(days=2)), via=Via.IMPORT))
    # Escalations, missing reports and proposals as of now.
    periodic.run(rules.day_start(today) + timedelta(hours=7))
    return count
