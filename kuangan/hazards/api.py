"""/api/v1/hazards/: the major-hazard loop (R2): ledger, detail, report, rectification, close-out,
supervision, stop-production, monthly reports (and their findings, escalations and closure proposals, read
only) and the determination standards."""

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from kuangan.core import clock
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.registry import queries as registry_queries
from kuangan.registry.api import Pages
from kuangan.registry.models import Mine

from . import actions, queries, rules
from .filters import HazardFilter
from .schemas import (
    CloseOutIn,
    CloseOutRequestIn,
    ClosureProposalFilter,
    ClosureProposalOut,
    EscalationFilter,
    EscalationListOut,
    FiveImplementationsIn,
    HazardDetailOut,
    HazardIn,
    HazardOut,
    MissingReportFilter,
    MissingReportOut,
    MonthlyReportFilter,
    MonthlyReportIn,
    MonthlyReportOut,
    StandardOut,
    StopProductionIn,
    SupervisionIn,
)

router = Router(tags=["hazards"])
# The fixed paths come before "/hazards/{hazard_id}": Django tries the patterns in this order.


def _detail(request: HttpRequest, hazard_id: int) -> Any:
    page = queries.hazard_page(request.user, hazard_id)
    page.hazard.page = page  # type: ignore[attr-defined]  # HazardDetailOut reads the lists from here
    return page.hazard


def _visible_hazard(request: HttpRequest, hazard_id: int) -> int:
    """404 for a hazard that is missing or not the caller's, before any action is tried."""
    return queries.get_visible_hazard(request.user, hazard_id).pk


def _mine(request: HttpRequest, mine_id: int) -> Mine:
    """A mine named in a request body: one the caller may see, or a 422 on the field."""
    try:
        return registry_queries.get_visible_mine(request.user, mine_id)
    except Http404:
        raise DomainError(_("矿山 %(id)s 不存在或不在您的管辖范围内。") % {"id": mine_id}, field="mine_id") from None


def _report(request: HttpRequest, payload: HazardIn) -> actions.HazardReport:
    """The report with its cited item resolved: a code is looked up in the standard of the mine's industry
    in force on the day the hazard was found."""
    mine = _mine(request, payload.mine_id)
    item_id = payload.standard_item_id
    if payload.standard_item_code is not None:
        found_on = payload.found_at.astimezone(SHANGHAI).date()
        item = queries.items_for_mine(mine, found_on).filter(code=payload.standard_item_code).first()
        if item is None:
            raise DomainError(_("判定标准条目 %(code)s 不在该矿山所在行业 %(day)s 施行的判定标准中。")
                              % {"code": payload.standard_item_code, "day": found_on.isoformat()},
                              field="standard_item_code")
        if item_id is not None and item_id != item.pk:
            raise DomainError(_("standard_item_code 与 standard_item_id 指向不同的条目，请只填写一个。"),
                              field="standard_item_id")
        item_id = item.pk
    return actions.HazardReport(
        level=payload.level, source=payload.source, description=payload.description, found_at=payload.found_at,
        found_by=payload.found_by, standard_item_id=item_id, face_id=payload.face_id, place=payload.place)


# The actions name the page's form fields; the API names its own.
API_FIELDS = {"standard_item": "standard_item_id", "face": "face_id"}


@router.get("/hazards", response=list[HazardOut], operation_id="hazards_hazard_list")
@paginate(Pages, page_size=50)
def hazard_list(request: HttpRequest, filters: Query[HazardFilter]) -> Any:
    return queries.visible_hazards(request.user, filters, clock.today())


@router.get("/hazards/standards", response=list[StandardOut], operation_id="hazards_standard_list")
def standard_list(request: HttpRequest) -> Any:
    """The determination standards with their items: reference data, the same for every user."""
    return queries.standards()


@router.get("/hazards/monthly-reports", response=list[MonthlyReportOut], operation_id="hazards_monthly_report_list")
@paginate(Pages, page_size=50)
def monthly_report_list(request: HttpRequest, filters: Query[MonthlyReportFilter]) -> Any:
    """The monthly reports signed by the mines (`is_zero=true`: the zero reports), newest month first."""
    return filters.apply(queries.monthly_reports(request.user)).order_by("-month", "mine_id")


@router.get("/hazards/missing-reports", response=list[MissingReportOut], operation_id="hazards_missing_report_list")
@paginate(Pages, page_size=50)
def missing_report_list(request: HttpRequest, filters: Query[MissingReportFilter]) -> Any:
    """Missing-report findings: a month's report not filed by its due day (`filed=false`: still missing)."""
    return filters.apply(queries.missing_report_findings(request.user)).order_by("-month", "mine_id")


@router.get("/hazards/escalations", response=list[EscalationListOut], operation_id="hazards_escalation_list")
@paginate(Pages, page_size=50)
def escalation_list(request: HttpRequest, filters: Query[EscalationFilter]) -> Any:
    """The escalation steps the hazards reached, newest first."""
    return filters.apply(queries.escalations(request.user)).order_by("-due_at", "-id")


@router.get("/hazards/closure-proposals", response=list[ClosureProposalOut],
            operation_id="hazards_closure_proposal_list")
@paginate(Pages, page_size=50)
def closure_proposal_list(request: HttpRequest, filters: Query[ClosureProposalFilter]) -> Any:
    """Closure proposals (提请关闭) raised over repeated or unlicensed major hazards, newest first."""
    return filters.apply(queries.visible_proposals(request.user)).order_by("-raised_at", "-id")


@router.post("/hazards/monthly-reports", response={201: MonthlyReportOut}, operation_id="hazards_monthly_report_submit")
def monthly_report_submit(request: HttpRequest, payload: MonthlyReportIn) -> Any:
    """The mine head signs the month's report: the major hazards found that month, or a zero report."""
    mine = _mine(request, payload.mine_id)
    report = actions.submit_monthly_report(mine.pk, by=request.actor,  # type: ignore[attr-defined]
                                           month=payload.month, is_zero=payload.is_zero, note=payload.note)
    return 201, report


@router.get("/hazards/{hazard_id}", response=HazardDetailOut, operation_id="hazards_hazard_detail")
def hazard_detail(request: HttpRequest, hazard_id: int) -> Any:
    return _detail(request, hazard_id)


@router.post("/hazards", response={201: HazardDetailOut}, operation_id="hazards_hazard_report")
def hazard_report(request: HttpRequest, payload: HazardIn) -> Any:
    report = _report(request, payload)
    try:
        hazard = actions.report_hazard(payload.mine_id, by=request.actor, report=report)  # type: ignore[attr-defined]
    except DomainError as e:
        if e.field == "standard_item" and payload.standard_item_code is not None:
            raise DomainError(e.message, field="standard_item_code") from None
        raise DomainError(e.message, field=API_FIELDS.get(e.field or "", e.field)) from None
    return 201, _detail(request, hazard.pk)


@router.post("/hazards/{hazard_id}/rectification", response=HazardDetailOut,
             operation_id="hazards_hazard_rectification")
def hazard_rectification(request: HttpRequest, hazard_id: int, payload: FiveImplementationsIn) -> Any:
    """Start rectification with the five implementations (五落实): person, measures, funds, deadline, plan."""
    pk = _visible_hazard(request, hazard_id)
    actions.start_rectification(pk, by=request.actor,  # type: ignore[attr-defined]
                                plan=rules.FiveImplementations(**payload.dict()))
    return _detail(request, pk)


@router.post("/hazards/{hazard_id}/close-out-request", response=HazardDetailOut,
             operation_id="hazards_hazard_close_out_request")
def hazard_close_out_request(request: HttpRequest, hazard_id: int, payload: CloseOutRequestIn) -> Any:
    """The mine asks for close-out with its evaluation (and the resumption evaluation after a stop)."""
    pk = _visible_hazard(request, hazard_id)
    actions.request_close_out(pk, by=request.actor, **payload.dict())  # type: ignore[attr-defined]
    return _detail(request, pk)


@router.post("/hazards/{hazard_id}/close-out", response=HazardDetailOut, operation_id="hazards_hazard_close_out")
def hazard_close_out(request: HttpRequest, hazard_id: int, payload: CloseOutIn) -> Any:
    """Verify a close-out request: approve closes the hazard, otherwise it goes back to rectification.
    A major hazard is closed out only by the regulator (403 for the mine)."""
    pk = _visible_hazard(request, hazard_id)
    actions.verify_close_out(pk, by=request.actor, **payload.dict())  # type: ignore[attr-defined]
    return _detail(request, pk)


@router.post("/hazards/{hazard_id}/supervision", response=HazardDetailOut, operation_id="hazards_hazard_supervision")
def hazard_supervision(request: HttpRequest, hazard_id: int, payload: SupervisionIn) -> Any:
    """List a major hazard for supervision (挂牌督办)."""
    pk = _visible_hazard(request, hazard_id)
    actions.list_for_supervision(pk, by=request.actor, **payload.dict())  # type: ignore[attr-defined]
    return _detail(request, pk)


@router.post("/hazards/{hazard_id}/stop-production", response=HazardDetailOut,
             operation_id="hazards_hazard_stop_production")
def hazard_stop_production(request: HttpRequest, hazard_id: int, payload: StopProductionIn) -> Any:
    """Order the mine to stop production over a major hazard; the mine's status changes with it."""
    pk = _visible_hazard(request, hazard_id)
    actions.order_stop_production(pk, by=request.actor, **payload.dict())  # type: ignore[attr-defined]
    return _detail(request, pk)
