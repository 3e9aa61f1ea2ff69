"""Scoped reads of the mine dossier: ledger, dossier, findings, statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, QuerySet
from django.utils.translation import gettext as _

from kuangan.core.access import get_visible_or_404, visible
from kuangan.core.audit import history

from . import rules
from .choices import LeadershipPost, MineChangeProposalStatus, MineChangeProposalTarget, MineStatus
from .filters import MineFilter
from .models import (
    Enterprise,
    Licence,
    Mine,
    MineChangeProposal,
    ProductionReturn,
    WorkingFace,
)

POST_ORDER = {post: i for i, post in enumerate(LeadershipPost.values)}


def visible_mines(user: Any, filters: MineFilter | None = None) -> QuerySet[Mine]:
    qs = visible(user, Mine).select_related("division", "enterprise__parent")
    return filters.apply(qs) if filters is not None else qs


def ledger_mines(user: Any, filters: MineFilter) -> QuerySet[Mine]:
    """The ledger page and its Excel export: mines with their licences in one extra query."""
    return visible_mines(user, filters).prefetch_related("licences")


def get_visible_mine(user: Any, pk: int) -> Mine:
    qs = visible(user, Mine).select_related("division__parent", "enterprise__parent", "organization")
    return get_visible_or_404(user, qs, pk=pk)


def visible_enterprises(user: Any) -> QuerySet[Enterprise]:
    return visible(user, Enterprise).select_related("division", "parent").annotate(mine_count=Count("mines")) \
        .order_by("name")


def get_visible_enterprise(user: Any, pk: int) -> Enterprise:
    return get_visible_or_404(user, visible(user, Enterprise).select_related("division", "parent"), pk=pk)


def _facts(mine: Mine) -> rules.MineFacts:
    return rules.MineFacts(kind=mine.kind, status=mine.status, has_upgrade_project=mine.has_upgrade_project)


def mine_findings(mine: Mine, today: date) -> list[rules.Finding]:
    facts = _facts(mine)
    roster = [rules.Member(m.post, m.name, m.education, m.major_is_mining, m.frontline_years,
                           m.holds_mine_head_post) for m in mine.leadership.all() if m.active]
    return [
        *rules.licence_findings(facts, [rules.LicenceFacts(x.kind, x.number, x.expires_on)
                                        for x in mine.licences.all()], today),
        *rules.leadership_findings(facts, roster),
        *rules.level_findings(facts, [lvl.status for lvl in mine.levels.all()]),
    ]


@dataclass
class Dossier:
    mine: Mine
    findings: list[rules.Finding]
    licences: list[Any]
    leadership: list[Any]
    levels: list[Any]
    faces: list[Any]
    supervisors: list[Any]
    status_changes: list[Any]
    pending_proposals: int = 0


def mine_dossier(user: Any, pk: int, today: date) -> Dossier:
    mine = get_visible_mine(user, pk)
    dossier = Dossier(
        mine=mine,
        findings=[],
        licences=list(mine.licences.all()),
        leadership=sorted(mine.leadership.all(), key=lambda m: POST_ORDER.get(m.post, 99)),
        levels=list(mine.levels.all()),
        faces=list(mine.faces.select_related("level")),
        supervisors=list(mine.supervisors.select_related("user")),
        status_changes=list(mine.status_changes.select_related("by")),
    )
    dossier.findings = mine_findings(mine, today)
    dossier.pending_proposals = visible_proposals(user).filter(
        mine=mine, status=MineChangeProposalStatus.PENDING).count()
    return dossier


def mine_history(user: Any, pk: int) -> tuple[Mine, Any]:
    mine = get_visible_mine(user, pk)
    return mine, history(mine)


def mine_counts_by_status(user: Any) -> list[tuple[str, str, int]]:
    counts = dict(visible(user, Mine).order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    return [(s.value, str(s.label), counts.get(s.value, 0)) for s in MineStatus]


def findings_overview(user: Any, today: date, limit: int = 10) -> tuple[int, list[tuple[Mine, list[rules.Finding]]]]:
    """Mines (not closed) with dossier findings, for the home page: count and the first few."""
    mines = visible(user, Mine).exclude(status=MineStatus.CLOSED).select_related("division") \
        .prefetch_related("licences", "leadership", "levels")
    flagged = [(m, f) for m in mines if (f := [x for x in mine_findings(m, today) if x.severity == "violation"])]
    return len(flagged), flagged[:limit]


def visible_proposals(user: Any) -> QuerySet[MineChangeProposal]:
    return visible(user, MineChangeProposal).select_related("mine__division", "proposed_by", "decided_by")


def get_visible_proposal(user: Any, pk: int) -> MineChangeProposal:
    return get_visible_or_404(user, visible_proposals(user), pk=pk)


def get_visible_proposal_attachment(user: Any, pk: int, attachment_pk: int) -> Any:
    return get_visible_or_404(user, get_visible_proposal(user, pk).attachments.all(), pk=attachment_pk)


RECORD_MODELS: dict[str, Any] = {MineChangeProposalTarget.MINE: Mine, MineChangeProposalTarget.LICENCE: Licence,
                                 MineChangeProposalTarget.FACE: WorkingFace}


def _shown(model: Any, mine: Mine, name: str, value: Any) -> str:
    """A kept value as the user reads it: the choice's label, the level's name, 是/否, — for empty."""
    field = model._meta.get_field(name)
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return str(field.related_model._default_manager.filter(mine=mine, pk=value).first() or "—")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(field, DecimalField):  # 120.00 and 120 read alike
        return f"{Decimal(value).normalize():f}"
    return str(value)


@dataclass
class ProposalLine:
    label: str
    old: str
    new: str


def proposal_lines(p: MineChangeProposal) -> tuple[str, list[ProposalLine]]:
    """What a proposal changes, in the user's words: the record it concerns and field by field
    the value at proposal time → the proposed value."""
    model = RECORD_MODELS[p.target]
    subject = str(p.get_target_display())
    if p.record_id is not None:
        record = model._default_manager.filter(mine=p.mine, pk=p.record_id).first()
        subject = f"{subject}：{record}" if record else _("%(what)s（记录已删除）") % {"what": subject}
    elif model is not Mine:
        subject = _("新增%(what)s") % {"what": subject}
    names = list(p.current) if p.delete_record else list(p.changes)
    lines = [ProposalLine(str(model._meta.get_field(n).verbose_name), _shown(model, p.mine, n, p.current.get(n)),
                          _("（删除）") if p.delete_record else _shown(model, p.mine, n, p.changes.get(n))) for n in names]
    return subject, lines


# --- production returns (issue 20) ----------------------------------------------------------------------------

@dataclass
class ReturnRow:
    ret: Any  # ProductionReturn
    over: bool  # above the month's line (RULES.md C01-01)


@dataclass
class YearRow:
    year: int
    months: int
    tonnes: Decimal
    over: bool  # at or above the year's line


@dataclass
class ProductionReturns:
    mine: Mine
    monthly_line: Decimal  # tonnes
    annual_line: Decimal
    rows: list[ReturnRow]
    years: list[YearRow]


def production_returns(user: Any, pk: int) -> ProductionReturns:
    """A mine's monthly returns, newest first, against the approved capacity's lines (C01-01): a month above
    10 % of the annual capacity, a year's returns adding up to 110 % or more. The capacity is the dossier's
    present one."""
    mine = get_visible_mine(user, pk)
    returns = list(visible(user, ProductionReturn).filter(mine=mine).select_related("signed_by").order_by("-month"))
    monthly, annual = rules.monthly_capacity_line(mine.approved_capacity), rules.annual_capacity_line(mine.approved_capacity)
    years: dict[int, YearRow] = {}
    for r in returns:
        y = years.setdefault(r.month.year, YearRow(r.month.year, 0, Decimal(0), False))
        y.months += 1
        y.tonnes += r.tonnes
    for y in years.values():
        y.over = annual > 0 and y.tonnes >= annual
    return ProductionReturns(mine, monthly, annual, [ReturnRow(r, monthly > 0 and r.tonnes > monthly) for r in returns],
                             sorted(years.values(), key=lambda y: -y.year))
