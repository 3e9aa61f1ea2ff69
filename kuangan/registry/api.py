"""/api/v1/registry/: mines (list, detail, create, update, status) and enterprises (list, detail)."""


from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import PageNumberPagination, paginate
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from kuangan.core import clock
from kuangan.core.access import require, visible
from kuangan.core.choices import Perm
from kuangan.core.errors import DomainError
from kuangan.hazards import queries as hazard_queries

from . import actions, queries, rules
from .filters import MineFilter
from .forms import COMPUTED_FIELDS, MineForm, division_choices_for
from .models import Enterprise, Mine
from .schemas import EnterpriseOut, MineDetailOut, MineIn, MineOut, MinePatch, MineStatusIn

router = Router(tags=["registry"])
MAX_PAGE = 1_000_000


class Pages(PageNumberPagination):
    """Page numbers the database can take: the offset is a 64-bit integer on SQLite and PostgreSQL."""

    class Input(PageNumberPagination.Input):
        @field_validator("page")
        @classmethod
        def _page_in_range(cls, v: int) -> int:
            if v > MAX_PAGE:
                raise PydanticCustomError("page_too_large", "页码超出范围（最大 {max}）。", {"max": MAX_PAGE})
            return v


def _detail(request: HttpRequest, mine: Mine) -> Mine:
    dossier = queries.mine_dossier(request.user, mine.pk, clock.today())
    missing = [rules.Finding("monthly_report_missing", "violation",  # R2.6: a missing report is a finding
                             _("%(month)s 的月度重大事故隐患报告逾期未报") % {"month": f"{m.month:%Y-%m}"},
                             "R2.6 · JC 10")
               for m in hazard_queries.missing_reports(request.user).filter(mine=mine)]
    dossier.mine.findings = [*dossier.findings, *missing]  # type: ignore[attr-defined]
    return dossier.mine


def _validated(request: HttpRequest, payload: dict[str, Any], instance: Mine | None) -> dict[str, Any]:
    """Resolve references within the caller's scope and run the same form validation as the page."""
    user = request.user
    data = dict(payload)
    if "division_code" in data:
        code = data.pop("division_code")
        division = division_choices_for(user).filter(code=code, level="county").first()
        if division is None:
            raise DomainError(_("区划代码 %(code)s 不是您管辖范围内的县（区）。") % {"code": code}, field="division_code")
        data["division"] = division.pk
    if "enterprise_id" in data:
        data["enterprise"] = data.pop("enterprise_id")
    base: dict[str, Any] = {}
    if instance is not None:
        base = {f: getattr(instance, f) for f in MineForm.Meta.fields if f not in {"division", "enterprise"}}
        base["division"], base["enterprise"] = instance.division_id, instance.enterprise_id
    merged = {**base, **data}
    # Form data as a browser would send it: checkboxes "on" or absent.
    form = MineForm(data={k: ("on" if v is True else v) for k, v in merged.items() if v is not None and v is not False},
                    instance=instance, divisions=division_choices_for(user), enterprises=visible(user, Enterprise),
                    creating=instance is None)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise DomainError(f"{errors[0]}", field=field if field != "__all__" else None)
    return {k: form.cleaned_data[k] for k in data if k in form.cleaned_data}


@router.get("/mines", response=list[MineOut], operation_id="registry_mine_list")
@paginate(Pages, page_size=50)
def mine_list(request: HttpRequest, filters: Query[MineFilter]) -> Any:
    return queries.visible_mines(request.user, filters)


@router.get("/mines/{mine_id}", response=MineDetailOut, operation_id="registry_mine_detail")
def mine_detail(request: HttpRequest, mine_id: int) -> Any:
    return _detail(request, queries.get_visible_mine(request.user, mine_id))


@router.post("/mines", response={201: MineDetailOut}, operation_id="registry_mine_create")
def mine_create(request: HttpRequest, payload: MineIn) -> Any:
    require(request.user, Perm.MINE_CREATE)  # before the form, as on the page: a refusal, not the form's rules
    data = _validated(request, payload.dict(), None)
    mine = actions.create_mine(by=request.actor, data=data)  # type: ignore[attr-defined]
    return 201, _detail(request, mine)


@router.patch("/mines/{mine_id}", response=MineDetailOut, operation_id="registry_mine_update")
def mine_update(request: HttpRequest, mine_id: int, payload: MinePatch) -> Any:
    mine = queries.get_visible_mine(request.user, mine_id)
    sent = payload.dict(exclude_unset=True)
    data = _validated(request, sent, mine)
    # The class is computed (R3.1): the edit form has no such field, so the action sees it and refuses it.
    data = {**data, **{f: sent[f] for f in COMPUTED_FIELDS if sent.get(f) is not None}}
    mine = actions.update_mine(mine.pk, by=request.actor, data=data)  # type: ignore[attr-defined]
    return _detail(request, mine)


@router.post("/mines/{mine_id}/status", response=MineDetailOut, operation_id="registry_mine_status")
def mine_status(request: HttpRequest, mine_id: int, payload: MineStatusIn) -> Any:
    mine = queries.get_visible_mine(request.user, mine_id)
    mine = actions.change_mine_status(mine.pk, by=request.actor, **payload.dict())  # type: ignore[attr-defined]
    return _detail(request, mine)


@router.get("/enterprises", response=list[EnterpriseOut], operation_id="registry_enterprise_list")
@paginate(Pages, page_size=50)
def enterprise_list(request: HttpRequest) -> Any:
    return queries.visible_enterprises(request.user)


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut, operation_id="registry_enterprise_detail")
def enterprise_detail(request: HttpRequest, enterprise_id: int) -> Any:
    return queries.get_visible_enterprise(request.user, enterprise_id)
