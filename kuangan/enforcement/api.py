"""/api/v1/enforcement/: plans, supervision classes, statistics, inspections (open, arrive, findings, on-site measures, rectification orders, exams,
referrals, leave, close, cancel) and documents (versions, a new signed version, the PDF of each version).
The same actions and the same scope as the pages: a mine sees its inspections from the team's arrival and
the documents served on it; a 404 for "missing" and "not yours" alike."""

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from kuangan.core import clock
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.registry.api import Pages

from . import actions, queries, statistics
from .filters import CaseFilter, DocumentFilter, InspectionFilter
from .schemas import (
    ArrivalIn,
    CancelIn,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    ClassOut,
    DecisionIn,
    DepartureIn,
    DocumentDetailOut,
    DocumentOut,
    ExamIn,
    ExamOut,
    InspectionDetailOut,
    InspectionFindingIn,
    InspectionFindingOut,
    InspectionIn,
    InspectionOut,
    MeasureIn,
    MeasureOut,
    NoteIn,
    OrderIn,
    OverrideIn,
    PaymentIn,
    PersonScoreOut,
    PlanDetailOut,
    PlanIn,
    PlanItemIn,
    PlanOut,
    ReasonIn,
    ReferralIn,
    ReferralOut,
    ReinspectionIn,
    RevisionIn,
    ScoreFilter,
    ScoreIn,
    ScoreOut,
    StatisticsFilter,
    StatisticsOut,
)

router = Router(tags=["enforcement"])
PDF = {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
       "description": "该版本的 PDF 文书"}


def _detail(request: HttpRequest, inspection_id: int) -> Any:
    page = queries.inspection_page(request.user, inspection_id, clock.now())
    page.inspection.page = page  # type: ignore[attr-defined]  # InspectionDetailOut reads the lists from here
    return page.inspection


def _visible(request: HttpRequest, inspection_id: int) -> int:
    """404 for an inspection that is missing or not the caller's, before any action is tried."""
    return queries.get_visible_inspection(request.user, inspection_id).pk


def _by(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.get("/inspections", response=list[InspectionOut], operation_id="enforcement_inspection_list")
@paginate(Pages, page_size=50)
def inspection_list(request: HttpRequest, filters: Query[InspectionFilter]) -> Any:
    return filters.apply(queries.visible_inspections(request.user)).order_by("-planned_on", "-id")


@router.post("/inspections", response={201: InspectionDetailOut}, operation_id="enforcement_inspection_open")
def inspection_open(request: HttpRequest, payload: InspectionIn) -> Any:
    order = actions.InspectionOrder(
        mine_id=payload.mine_id, method=payload.method, planned_on=payload.planned_on, leader_id=payload.leader_id,
        team=[(m.user_id, m.credential) for m in payload.team], source=payload.source,
        plan_item_id=payload.plan_item_id, alarm_id=payload.alarm_id, source_note=payload.source_note,
        notice=payload.notice)
    inspection = actions.open_inspection(by=_by(request), order=order)
    return 201, _detail(request, inspection.pk)


@router.get("/inspections/{inspection_id}", response=InspectionDetailOut, operation_id="enforcement_inspection_detail")
def inspection_detail(request: HttpRequest, inspection_id: int) -> Any:
    """The inspection with its team, briefing (live before arrival, frozen on arrival), findings, measures,
    exams, referrals and documents."""
    return _detail(request, inspection_id)


@router.post("/inspections/{inspection_id}/arrival", response=InspectionDetailOut,
             operation_id="enforcement_inspection_arrive")
def inspection_arrive(request: HttpRequest, inspection_id: int, payload: ArrivalIn) -> Any:
    pk = _visible(request, inspection_id)
    actions.arrive(pk, by=_by(request), **payload.dict())
    return _detail(request, pk)


@router.post("/inspections/{inspection_id}/findings", response={201: InspectionFindingOut},
             operation_id="enforcement_finding_record")
def finding_record(request: HttpRequest, inspection_id: int, payload: InspectionFindingIn) -> Any:
    """A hazard or violation found on site; a hazard enters the hazard ledger in the same transaction."""
    pk = _visible(request, inspection_id)
    return 201, actions.record_finding(pk, by=_by(request), finding=actions.Finding(**payload.dict()))


@router.post("/inspections/{inspection_id}/measures", response={201: MeasureOut},
             operation_id="enforcement_measure_order")
def measure_order(request: HttpRequest, inspection_id: int, payload: MeasureIn) -> Any:
    """An on-site measure (the leader): served as a numbered decision; stopping production changes the mine's
    status with its number."""
    pk = _visible(request, inspection_id)
    return 201, actions.order_measure(pk, by=_by(request), **payload.dict())


@router.post("/inspections/{inspection_id}/orders", response={201: DocumentOut},
             operation_id="enforcement_order_issue")
def order_issue(request: HttpRequest, inspection_id: int, payload: OrderIn) -> Any:
    """A rectification order (the leader) for findings of this inspection: its deadline caps the hazards'."""
    pk = _visible(request, inspection_id)
    return 201, actions.issue_order(pk, by=_by(request), **payload.dict())


@router.post("/inspections/{inspection_id}/exams", response={201: ExamOut}, operation_id="enforcement_exam_record")
def exam_record(request: HttpRequest, inspection_id: int, payload: ExamIn) -> Any:
    pk = _visible(request, inspection_id)
    return 201, actions.record_exam(pk, by=_by(request), **payload.dict())


@router.post("/inspections/{inspection_id}/referrals", response={201: ReferralOut},
             operation_id="enforcement_referral_make")
def referral_make(request: HttpRequest, inspection_id: int, payload: ReferralIn) -> Any:
    pk = _visible(request, inspection_id)
    return 201, actions.refer(pk, by=_by(request), **payload.dict())


@router.post("/inspections/{inspection_id}/departure", response=InspectionDetailOut,
             operation_id="enforcement_inspection_leave")
def inspection_leave(request: HttpRequest, inspection_id: int, payload: DepartureIn) -> Any:
    """The team leaves (the leader): the on-site record is signed and served."""
    pk = _visible(request, inspection_id)
    actions.leave_site(pk, by=_by(request), **payload.dict())
    return _detail(request, pk)


@router.post("/inspections/{inspection_id}/close", response=InspectionDetailOut,
             operation_id="enforcement_inspection_close")
def inspection_close(request: HttpRequest, inspection_id: int, payload: NoteIn) -> Any:
    pk = _visible(request, inspection_id)
    actions.close_inspection(pk, by=_by(request), note=payload.note)
    return _detail(request, pk)


@router.post("/inspections/{inspection_id}/cancel", response=InspectionDetailOut,
             operation_id="enforcement_inspection_cancel")
def inspection_cancel(request: HttpRequest, inspection_id: int, payload: CancelIn) -> Any:
    pk = _visible(request, inspection_id)
    actions.cancel_inspection(pk, by=_by(request), reason=payload.reason)
    return _detail(request, pk)


@router.get("/documents", response=list[DocumentOut], operation_id="enforcement_document_list")
@paginate(Pages, page_size=50)
def document_list(request: HttpRequest, filters: Query[DocumentFilter]) -> Any:
    return filters.apply(queries.visible_documents(request.user)).order_by("-created_at", "-id")


def _document(request: HttpRequest, document_id: int) -> Any:
    page = queries.document_page(request.user, document_id)
    page.document.page = page  # type: ignore[attr-defined]
    return page.document


@router.get("/documents/{document_id}", response=DocumentDetailOut, operation_id="enforcement_document_detail")
def document_detail(request: HttpRequest, document_id: int) -> Any:
    """The document with every signed version: content, what changed, why, the signer and the SHA-256."""
    return _document(request, document_id)


@router.post("/documents/{document_id}/versions", response={201: DocumentDetailOut},
             operation_id="enforcement_document_revise")
def document_revise(request: HttpRequest, document_id: int, payload: RevisionIn) -> Any:
    """修改留痕: a new version signed by the inspection's leader; the old ones stay as they were signed."""
    pk = queries.document_page(request.user, document_id).document.pk
    actions.revise_document(pk, by=_by(request), changes=payload.changes, reason=payload.reason)
    return 201, _document(request, pk)


@router.get("/documents/{document_id}/versions/{n}/pdf", response={200: None},
            openapi_extra={"responses": {200: PDF}}, operation_id="enforcement_document_pdf")
def document_pdf(request: HttpRequest, document_id: int, n: int) -> HttpResponse:
    document, version = queries.document_pdf(request.user, document_id, n)
    response = HttpResponse(bytes(version.pdf), content_type="application/pdf")
    name = f"{document.get_kind_display()}-{document.number}-第{version.n}版.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


# --- plans, classes, statistics ---------------------------------------------------------------------------


def _plan(request: HttpRequest, plan_id: int) -> Any:
    page = queries.plan_page(request.user, plan_id, clock.now())
    page.plan.page = page  # type: ignore[attr-defined]
    return page.plan


@router.get("/plans", response=list[PlanOut], operation_id="enforcement_plan_list")
@paginate(Pages, page_size=50)
def plan_list(request: HttpRequest) -> Any:
    """The plans of the caller's organization and the levels below it (regulators only: 四不两直)."""
    return queries.visible_plans(request.user).order_by("-year", "-month", "pk")


@router.post("/plans", response={201: PlanDetailOut}, operation_id="enforcement_plan_generate")
def plan_generate(request: HttpRequest, payload: PlanIn) -> Any:
    plan = actions.generate_plan(by=_by(request), **payload.dict())
    return 201, _plan(request, plan.pk)


@router.get("/plans/{plan_id}", response=PlanDetailOut, operation_id="enforcement_plan_detail")
def plan_detail(request: HttpRequest, plan_id: int) -> Any:
    return _plan(request, plan_id)


@router.post("/plans/{plan_id}/items", response={201: PlanDetailOut}, operation_id="enforcement_plan_item_add")
def plan_item_add(request: HttpRequest, plan_id: int, payload: PlanItemIn) -> Any:
    pk = queries.plan_page(request.user, plan_id, clock.now()).plan.pk
    actions.add_plan_item(pk, by=_by(request), **payload.dict())
    return 201, _plan(request, pk)


@router.post("/plans/{plan_id}/items/{item_id}/removal", response=PlanDetailOut,
             operation_id="enforcement_plan_item_remove")
def plan_item_remove(request: HttpRequest, plan_id: int, item_id: int, payload: ReasonIn) -> Any:
    item = queries.get_visible_plan_item(request.user, item_id)
    if item.plan_id != plan_id:
        raise Http404
    actions.remove_plan_item(item.pk, by=_by(request), reason=payload.reason)
    return _plan(request, plan_id)


def _class(request: HttpRequest, mine_id: int) -> dict[str, Any]:
    page = queries.class_page(request.user, mine_id, clock.now())
    result = page.outcome.result
    return {"mine_id": page.mine.pk, "current": page.mine.supervision_class, "computed": page.outcome.klass,
            "score": result.score, "reasons": list(page.outcome.reasons),
            "factors": [{"code": f.code, "name": f.name, "points": f.points, "weight": f.weight, "notes": list(f.notes)}
                        for f in result.factors],
            "changes": page.changes}


@router.get("/classes/{mine_id}", response=ClassOut, operation_id="enforcement_class_detail")
def class_detail(request: HttpRequest, mine_id: int) -> Any:
    """A mine's supervision class (R3.1): the current one, what the facts give now and why, every factor's
    points (None: no data), and the history of changes."""
    return _class(request, mine_id)


@router.post("/classes/{mine_id}/override", response=ClassOut, operation_id="enforcement_class_override")
def class_override(request: HttpRequest, mine_id: int, payload: OverrideIn) -> Any:
    pk = queries.class_page(request.user, mine_id, clock.now()).mine.pk
    actions.override_class(pk, by=_by(request), to_class=payload.to_class, reason=payload.reason)
    return _class(request, pk)


def _day(at: datetime | None) -> date:
    assert at is not None  # statistics count inspections that arrived
    return at.astimezone(SHANGHAI).date()


@router.get("/statistics", response=StatisticsOut, operation_id="enforcement_statistics")
def enforcement_statistics(request: HttpRequest, filters: Query[StatisticsFilter]) -> Any:
    """Per county and inspector (R3.6): inspections, on-site hours, major hazards, penalties, rates per 100 hours,
    and the flags 零处罚, 只检查不处罚 and 倒查. Regulators with the statistics permission; others get nothing."""
    if filters.until < filters.since:
        raise DomainError(_("截止日不能早于起始日。"), field="until")
    s = statistics.enforcement_statistics(request.user, filters.since, filters.until + timedelta(days=1))

    def row(r: statistics.Row) -> dict[str, Any]:
        return {"label": r.label, "inspections": r.inspections, "hours": r.hours, "major_hazards": r.major_hazards,
                "penalties": r.penalties, "fines": float(r.fines), "soft": r.soft,
                "majors_per_100h": r.majors_per_100h, "penalties_per_100h": r.penalties_per_100h, "flags": r.flags}

    return {"since": filters.since, "until": filters.until, "counties": [row(r) for r in s.counties],
            "inspectors": [row(r) for r in s.inspectors], "total": row(s.total),
            "soft_inspection_ids": [i.pk for i in s.soft_inspections],
            "lookbacks": [{"hazard_id": b.finding.hazard_id, "mine_name": b.finding.inspection.mine.name,
                           "found_by": b.finding.inspection.organization.name,
                           "found_on": _day(b.finding.inspection.on_site_start),
                           "county_inspection_id": b.county_inspection.pk,
                           "county_inspected_on": _day(b.county_inspection.on_site_start)}
                          for b in s.lookbacks]}


# --- penalty cases, mine-head scores, re-inspection --------------------------------------------------------


def _case(request: HttpRequest, case_id: int) -> Any:
    page = queries.case_page(request.user, case_id)
    page.case.page = page  # type: ignore[attr-defined]
    return page.case


def _visible_case(request: HttpRequest, case_id: int) -> int:
    return queries.get_visible_case(request.user, case_id).pk


@router.get("/cases", response=list[CaseOut], operation_id="enforcement_case_list")
@paginate(Pages, page_size=50)
def case_list(request: HttpRequest, filters: Query[CaseFilter]) -> Any:
    """Penalty cases (a mine sees its own from the notice on)."""
    return queries.case_ledger(request.user, filters)


@router.post("/cases", response={201: CaseDetailOut}, operation_id="enforcement_case_file")
def case_file(request: HttpRequest, payload: CaseIn) -> Any:
    """立案: the tier is chosen by the discretion benchmark's rule and kept with every criterion; fines must lie in
    its range; the enterprise and its principal are the parties (一案双罚)."""
    data = payload.dict()
    principal = data.pop("principal")
    case = actions.file_case(by=_by(request), principal=actions.Principal(**principal) if principal else None, **data)
    return 201, _case(request, case.pk)


@router.get("/cases/{case_id}", response=CaseDetailOut, operation_id="enforcement_case_detail")
def case_detail(request: HttpRequest, case_id: int) -> Any:
    return _case(request, case_id)


@router.post("/cases/{case_id}/notice", response=CaseDetailOut, operation_id="enforcement_case_notify")
def case_notify(request: HttpRequest, case_id: int) -> Any:
    """行政处罚告知书, signed and served (陈述、申辩、听证)."""
    pk = _visible_case(request, case_id)
    actions.notify_case(pk, by=_by(request))
    return _case(request, pk)


@router.post("/cases/{case_id}/approval", response=CaseDetailOut, operation_id="enforcement_case_approve")
def case_approve(request: HttpRequest, case_id: int, payload: NoteIn) -> Any:
    """The agency's head approves the decision (行政处罚法 第五十七条), after the notice period."""
    pk = _visible_case(request, case_id)
    actions.approve_case(pk, by=_by(request), note=payload.note)
    return _case(request, pk)


@router.post("/cases/{case_id}/decision", response=CaseDetailOut, operation_id="enforcement_case_decide")
def case_decide(request: HttpRequest, case_id: int, payload: DecisionIn) -> Any:
    pk = _visible_case(request, case_id)
    actions.decide_case(pk, by=_by(request), payment_account=payload.payment_account)
    return _case(request, pk)


@router.post("/cases/{case_id}/payment", response=CaseDetailOut, operation_id="enforcement_case_pay")
def case_pay(request: HttpRequest, case_id: int, payload: PaymentIn) -> Any:
    pk = _visible_case(request, case_id)
    actions.record_payment(pk, by=_by(request), amount=payload.amount, paid_at=payload.paid_at)
    return _case(request, pk)


@router.post("/cases/{case_id}/close", response=CaseDetailOut, operation_id="enforcement_case_close")
def case_close(request: HttpRequest, case_id: int, payload: NoteIn) -> Any:
    pk = _visible_case(request, case_id)
    actions.close_case(pk, by=_by(request), note=payload.note)
    return _case(request, pk)


@router.get("/scores", response=list[PersonScoreOut], operation_id="enforcement_score_list")
def score_list(request: HttpRequest, filters: Query[ScoreFilter]) -> Any:
    """Mine heads' points of a calendar year (RULES §7: 12 points → the exam retake), ID numbers masked."""
    return queries.score_board(request.user, filters.year)


@router.post("/scores", response={201: ScoreOut}, operation_id="enforcement_score_give")
def score_give(request: HttpRequest, payload: ScoreIn) -> Any:
    return 201, actions.score_mine_head(by=_by(request), **payload.dict())


@router.post("/documents/{document_id}/reinspection", response={201: DocumentDetailOut},
             operation_id="enforcement_document_reinspect")
def document_reinspect(request: HttpRequest, document_id: int, payload: ReinspectionIn) -> Any:
    """整改复查: the order's leader signs the re-inspection opinion, served on the mine."""
    pk = queries.document_page(request.user, document_id).document.pk
    opinion = actions.reinspect(pk, by=_by(request), rectified=payload.rectified, opinion=payload.opinion)
    return 201, _document(request, opinion.pk)
