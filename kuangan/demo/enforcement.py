"""Demo enforcement: 中阳县's year, built through the actions at the instants they would have happened.

Every month's plan from the mines' classes and open risks; most planned mines inspected in their month
(unannounced, with a team of two), a few missed (the tick records them); findings that enter the hazard
ledger with rectification orders, the mines rectifying and closing them out; violations filed as penalty
cases, approved by the bureau's head, decided and paid; the mine heads examined on site and scored for
major hazards; one stop-production order on site; one cross-region inspection organised by the city with
孝义's inspectors; this month's plan partly done and a few inspections still planned."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.clock import SHANGHAI
from kuangan.core.models import User
from kuangan.enforcement import actions, periodic
from kuangan.enforcement.actions import Finding, InspectionOrder
from kuangan.enforcement.choices import FindingKind, InspectionMethod, InspectionSource, MeasureKind
from kuangan.enforcement.models import PenaltyBenchmark, ScoreDeduction
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards import rules as hazard_rules
from kuangan.hazards.models import Hazard, HazardStandardItem
from kuangan.registry.choices import LeadershipPost
from kuangan.registry.models import LeadershipMember, Mine

ORDINARY = [
    "皮带机头防护栏缺失", "局部通风机未挂牌管理", "井下消防材料库材料不足", "巷道积水未及时排除",
    "工作面端头支护不规范", "人员定位卡未随身携带", "电缆吊挂不整齐", "采空区密闭前未设栅栏",
]
MAJOR = [("C05-01", "矿井有效风量不足，2 号采区风量低于设计值"),
         ("C04-02", "掘进工作面甲烷传感器未按规定标校，断电功能失效"),
         ("C06-03", "未按规定开展探放水，工作面超前钻孔数量不足")]
VIOLATION = "井下作业人员违章进入未支护区域作业"


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def _actor(user: User, at: datetime) -> Actor:
    return Actor(user=user, at=at, via=Via.IMPORT)


def _months(today: date) -> list[date]:
    """The first days of the last twelve months, this one last."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - 11, index + 1)]


def _head(mine: Mine) -> LeadershipMember | None:
    return LeadershipMember.objects.filter(mine=mine, post=LeadershipPost.MINE_HEAD, active=True).first()


class _Year:
    def __init__(self, today: date, rng: random.Random) -> None:
        self.today, self.rng = today, rng
        self.now = _at(today, 7)
        u = {x.username: x for x in User.objects.filter(username__in=[
            "zy_inspector", "zy_inspector2", "zy_leader", "ll_inspector", "xy_inspector", "xy_inspector2"])}
        self.users = u
        self.leaders = [u["zy_inspector"], u["zy_inspector2"]]
        self.benchmark = PenaltyBenchmark.objects.get(code="SAFE-44")
        self.major_points = ScoreDeduction.objects.get(code="major_hazard")
        self.count = 0

    def past(self, at: datetime) -> bool:
        return at < self.now

    def inspect(self, mine: Mine, day: date, *, leader: User, plan_item_id: int | None = None,
                method: str = InspectionMethod.UNANNOUNCED, stop: bool = False) -> None:
        """One visit from opening to close, each step at its own instant; steps that fall after now are left."""
        second = self.leaders[1] if leader == self.leaders[0] else self.leaders[0]
        opened = min(_at(day - timedelta(days=2), 16), self.now - timedelta(hours=1))
        inspection = actions.open_inspection(by=_actor(leader, opened), order=InspectionOrder(
            mine_id=mine.pk, method=method, planned_on=day, leader_id=leader.pk,
            team=[(leader.pk, f"1411{leader.pk:04d}"), (second.pk, f"1411{second.pk:04d}")],
            source=InspectionSource.PLAN if plan_item_id else InspectionSource.TIP_OFF, plan_item_id=plan_item_id,
            source_note="" if plan_item_id else "群众举报夜间组织生产"))
        self.count += 1
        hour = 22 if method == InspectionMethod.NIGHT_RAID else 9
        arrived = _at(day, hour, 30)
        if not self.past(arrived + timedelta(hours=4)):
            return  # still planned: the team has not gone yet
        actions.arrive(inspection.pk, by=_actor(second, arrived), place="井下各采掘工作面、地面调度室",
                       mine_representative="安全副矿长")
        t = arrived + timedelta(minutes=40)
        findings = []
        for text in self.rng.sample(ORDINARY, self.rng.randrange(0, 3)):
            findings.append(actions.record_finding(inspection.pk, by=_actor(second, t), finding=Finding(
                kind=FindingKind.ORDINARY_HAZARD, description=text, deadline=day + timedelta(days=10))))
            t += timedelta(minutes=20)
        if self.rng.random() < 0.2 and mine.is_coal_underground:
            code, text = self.rng.choice(MAJOR)
            item = HazardStandardItem.objects.get(standard__code="coal-2020", code=code)
            findings.append(actions.record_finding(inspection.pk, by=_actor(leader, t), finding=Finding(
                kind=FindingKind.MAJOR_HAZARD, description=text, standard_item_id=item.pk,
                deadline=day + timedelta(days=20))))
            t += timedelta(minutes=20)
        violation = None
        if self.rng.random() < 0.35:
            violation = actions.record_finding(inspection.pk, by=_actor(second, t), finding=Finding(
                kind=FindingKind.VIOLATION, description=VIOLATION, benchmark_id=self.benchmark.pk))
            t += timedelta(minutes=20)
        if stop:
            actions.order_measure(inspection.pk, by=_actor(leader, t), kind=MeasureKind.STOP_PRODUCTION,
                                  reason="检查发现重大事故隐患，责令停产整顿", place="全矿井")
        head = _head(mine)
        if head is not None:
            actions.record_exam(inspection.pk, by=_actor(second, t + timedelta(minutes=10)), member_id=head.pk,
                                score=self.rng.choice([55, 68, 72, 80, 86, 91]))
        left = arrived + timedelta(hours=3, minutes=self.rng.randrange(0, 90))
        actions.leave_site(inspection.pk, by=_actor(leader, left),
                           summary=f"检查了通风、瓦斯、防治水和机电运输，发现问题 {len(findings) + bool(violation)} 项")
        hazards = [f for f in findings if f.hazard_id]
        if hazards:
            due = max(f.deadline or day for f in hazards)
            actions.issue_order(inspection.pk, by=_actor(leader, left + timedelta(minutes=10)),
                                finding_ids=[f.pk for f in hazards], deadline=due, reinspect_on=due + timedelta(days=1))
        for f in hazards:
            self.rectify(f, mine)
            if f.kind == FindingKind.MAJOR_HAZARD and head is not None and head.id_number:
                actions.score_mine_head(by=_actor(leader, left + timedelta(minutes=20)), finding_id=f.pk,
                                        deduction_id=self.major_points.pk, member_id=head.pk)
        if violation is not None and head is not None and head.id_number:
            self.penalise(violation.pk, leader, left + timedelta(minutes=30), head)
        closing = left + timedelta(days=1)
        if self.past(closing):
            actions.close_inspection(inspection.pk, by=_actor(leader, closing), note="现场检查资料已归档")

    def rectify(self, finding: object, mine: Mine) -> None:
        """The mine's part: the five implementations the day after, close-out before the deadline."""
        hazard = Hazard.objects.get(pk=finding.hazard_id)  # type: ignore[attr-defined]  # with its order's deadline
        safety = User.objects.filter(organization=mine.organization, role="mine_safety_officer").first()
        head = User.objects.filter(organization=mine.organization, role="mine_head").first()
        if safety is None or head is None:
            return
        start = hazard.found_at + timedelta(days=1)
        deadline = hazard.order_deadline
        if deadline is None or not self.past(start):
            return
        hazard_actions.start_rectification(hazard.pk, by=_actor(safety, start), plan=hazard_rules.FiveImplementations(
            responsible_person=str(safety.display_name), measures="按整改指令书逐项整改，整改完成后组织验收",
            funds=Decimal(self.rng.randrange(2, 60)), deadline=deadline, contingency_plan="明确撤人路线和应急处置措施"))
        requested = _at(deadline - timedelta(days=2), 15)
        if not self.past(requested):
            return
        hazard_actions.request_close_out(hazard.pk, by=_actor(head, requested), evaluation_by="总工程师、安全副矿长",
                                         evaluation="已按整改指令书整改完毕，经验收合格")
        verified = requested + timedelta(days=1)
        verifier = head if hazard.level == "ordinary" else self.leaders[0]
        if self.past(verified):
            hazard_actions.verify_close_out(hazard.pk, by=_actor(verifier, verified), approve=True,
                                            opinion="复查整改到位，同意销号")

    def penalise(self, finding_id: int, leader: User, at: datetime, head: LeadershipMember) -> None:
        case = actions.file_case(by=_actor(leader, at), finding_id=finding_id, benchmark_id=self.benchmark.pk,
                                 circumstance="ordinary_worker", facts="检查发现井下作业人员违章进入未支护区域作业",
                                 unit_fine=Decimal(self.rng.choice([10000, 15000, 20000])),
                                 person_fine=Decimal(self.rng.choice([1000, 2000, 3000])),
                                 principal=actions.Principal(member_id=head.pk))
        steps: list[tuple[datetime, Callable[[datetime], object]]] = [
            (at + timedelta(days=1), lambda t: actions.notify_case(case.pk, by=_actor(leader, t))),
            (at + timedelta(days=7), lambda t: actions.approve_case(
                case.pk, by=_actor(self.users["zy_leader"], t), note="同意")),
            (at + timedelta(days=8), lambda t: actions.decide_case(
                case.pk, by=_actor(leader, t), payment_account="中阳县财政局非税收入专户")),
            (at + timedelta(days=15), lambda t: actions.record_payment(
                case.pk, by=_actor(leader, t), amount=sum((p.fine for p in case.parties.all()), Decimal(0)))),
            (at + timedelta(days=16), lambda t: actions.close_case(case.pk, by=_actor(leader, t), note="罚款已缴纳")),
        ]
        for t, step in steps:
            if not self.past(t):
                return
            step(t)


def build_enforcement(today: date) -> int:
    """Returns the number of inspections."""
    rng = random.Random(19)
    year = _Year(today, rng)
    inspector = year.users["zy_inspector"]
    months = _months(today)
    periodic.tick(_at(months[0], 1))  # the classes as the year began
    stop_done = False
    for month in months:
        plan_at = _at(month, 8, 30)
        if not year.past(plan_at):
            continue
        plan = actions.generate_plan(by=_actor(inspector, plan_at), year=month.year, month=month.month)
        items = list(plan.items.select_related("mine").order_by("mine__code"))
        for n, item in enumerate(items):
            day = month + timedelta(days=3 + (n * 23) // max(len(items), 1))
            if rng.random() < 0.1 and day < today - timedelta(days=7):
                continue  # not inspected: the tick records it as missed
            stop = not stop_done and item.mine.status == "producing" and rng.random() < 0.05
            year.inspect(item.mine, day, leader=year.leaders[n % 2], plan_item_id=item.pk, method=item.method,
                         stop=stop)
            stop_done = stop_done or stop
        month_end = (month + timedelta(days=32)).replace(day=1)
        if year.past(_at(month_end, 0, 5)):  # the month's end: missed items, reminders, classes
            periodic.tick(_at(month_end, 0, 5))
    # a night raid on a tip-off, last week
    mines = {m.name: m for m in Mine.objects.filter(division__code="141129")}
    year.inspect(mines["张子山煤矿"], today - timedelta(days=6), leader=inspector, method=InspectionMethod.NIGHT_RAID)
    # a cross-region inspection organised by the city with 孝义's inspectors, planned for next week
    city = year.users["ll_inspector"]
    actions.open_inspection(by=_actor(city, year.now - timedelta(days=1)), order=InspectionOrder(
        mine_id=mines["弓阳煤矿"].pk, method=InspectionMethod.CROSS_REGION, planned_on=today + timedelta(days=5),
        leader_id=city.pk, team=[(city.pk, ""), (year.users["xy_inspector"].pk, ""),
                                 (year.users["xy_inspector2"].pk, "")],
        source=InspectionSource.TIP_OFF, source_note="市局交叉执法专项行动"))
    return year.count + 1
