"""Every state change of the mine dossier: permission, validation, write, audit, notification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from kuangan.core import audit, clock
from kuangan.core.access import can, locked_for_action, require, visible
from kuangan.core.actor import Actor
from kuangan.core.choices import OrganizationKind, Perm, Role
from kuangan.core.errors import DomainError
from kuangan.core.notify import notify
from kuangan.core.text import join_list
from kuangan.core.transitions import transition
from kuangan.core.uploads import check_upload

from . import rules
from .choices import MineChangeProposalStatus, MineChangeProposalTarget, MineStatus
from .forms import COMPUTED_FIELDS, REGULATOR_ONLY_FIELDS
from .models import (
    Enterprise,
    LeadershipMember,
    Licence,
    Mine,
    MineChangeProposal,
    MineChangeProposalAttachment,
    MineStatusChange,
    MineSupervisor,
    MiningLevel,
    ProductionReturn,
    WorkingFace,
)
from .people import county_inspectors, mine_users

# Child records of a dossier, edited through one pair of actions; the permission each one needs.
MINE_RECORDS: dict[str, tuple[type[models.Model], str]] = {
    "licence": (Licence, Perm.MINE_EDIT),
    "leadership": (LeadershipMember, Perm.MINE_EDIT),
    "level": (MiningLevel, Perm.MINE_EDIT),
    "face": (WorkingFace, Perm.MINE_EDIT),
    "supervisor": (MineSupervisor, Perm.SUPERVISION_EDIT),
}


def _is_regulator(by: Actor) -> bool:
    return by.org is not None and by.org.kind == OrganizationKind.REGULATOR


def _ensure_visible(by: Actor, obj: models.Model) -> None:
    """Re-check scope after a write that creates or re-parents a row (the write is rolled back)."""
    if not visible(by.user, type(obj)).filter(pk=obj.pk).exists():
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))


def _beijing_date(by: Actor) -> date:
    """The Beijing date of the action's moment: the date the regulations count (issue 18)."""
    return by.at.astimezone(clock.SHANGHAI).date()


def _mine_for_update(by: Actor, mine_id: int, perm: str) -> Mine:
    return locked_for_action(by.user, Mine, mine_id, perm)


def _create_mine(data: dict[str, Any], *, by: Actor, reason: str) -> Mine:
    mine = Mine(**data)
    mine.save()
    _ensure_visible(by, mine)
    MineStatusChange.objects.create(mine=mine, from_status="", to_status=mine.status, at=by.at,
                                    effective_on=_beijing_date(by), by=by.user, by_name=by.name, reason=reason)
    audit.record("registry.mine.created", mine, by=by, after=audit.snapshot(mine), reason=reason)
    return mine


@transaction.atomic(durable=True)
def create_mine(*, by: Actor, data: dict[str, Any]) -> Mine:
    require(by.user, Perm.MINE_CREATE)
    return _create_mine(data, by=by, reason=_("建档"))


@transaction.atomic(durable=True)
def update_mine(mine_id: int, *, by: Actor, data: dict[str, Any]) -> Mine:
    mine = _mine_for_update(by, mine_id, Perm.MINE_EDIT)
    if any(f in data for f in COMPUTED_FIELDS):
        raise DomainError(_("分级分类由系统按评分和否决项计算，不能在矿山档案中修改；执法人员可在“分级分类”页面写明理由后调整。"),
                          field="supervision_class")
    _refuse_regulated_facts(by, mine, data)
    if "status" in data:
        raise DomainError(_("矿山状态只能通过“变更状态”办理，并须写明原因。"), field="status")
    if not _is_regulator(by) and any(f in data for f in REGULATOR_ONLY_FIELDS):
        raise PermissionDenied(_("编码、企业、区划和类型只能由监管部门修改。"))
    return _update_mine(mine, by=by, data=data)


def _update_mine(mine: Mine, *, by: Actor, data: dict[str, Any], reason: str = "") -> Mine:
    """The write of a dossier edit, shared by a regulator's direct edit and an approved proposal."""
    before = audit.snapshot(mine)
    changed = [k for k, v in data.items() if getattr(mine, k) != v]
    for k in changed:
        setattr(mine, k, data[k])
    if not changed:
        return mine
    mine.save(update_fields=[*changed, "updated_at"])
    _ensure_visible(by, mine)
    audit.record("registry.mine.updated", mine, by=by, before=before, after=audit.snapshot(mine), reason=reason)
    return mine


def _label(model: type[models.Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _refuse_regulated_facts(by: Actor, mine: Mine, data: dict[str, Any]) -> None:
    """Issue 17: a mine or enterprise may not change a regulated fact itself, on any channel."""
    if _is_regulator(by):
        return
    fields = rules.regulated_changes({f: getattr(mine, f) for f in rules.REGULATED_MINE_FIELDS}, data)
    if fields:
        raise DomainError(_("%(fields)s属于监管事项，只能由县级以上监管部门变更；请提交档案变更申请并附证明材料。")
                          % {"fields": join_list(_label(Mine, f) for f in fields)},
                          field=fields[0])


def _refuse_regulated_record(by: Actor, kind: str) -> None:
    if kind in rules.REGULATED_RECORDS and not _is_regulator(by):
        raise DomainError(_("%(record)s属于监管事项，只能由县级以上监管部门登记、修改和删除；请提交档案变更申请并附证明材料。")
                          % {"record": MineChangeProposalTarget(kind).label})


@transaction.atomic(durable=True)
def change_mine_status(mine_id: int, *, by: Actor, to_status: str, reason: str, effective_on: date | None = None,
                       document_number: str = "") -> Mine:
    """R1.5: a status changes with who, when and why; the mine's people are told. Without an effective
    date it takes effect on the Beijing date of the change."""
    mine = _mine_for_update(by, mine_id, Perm.MINE_STATUS_CHANGE)
    return _change_status(mine, by=by, to_status=to_status, reason=reason, effective_on=effective_on,
                         document_number=document_number)


def _change_status(mine: Mine, *, by: Actor, to_status: str, reason: str, effective_on: date | None = None,
                  document_number: str = "") -> Mine:
    """The shared step of every status change, inside the calling action's transaction (the hazard
    loop's stop-production order uses it too). The caller has checked permission and scope."""
    if to_status not in MineStatus.values:
        raise DomainError(_("未知的矿山状态。"), field="to_status")
    if to_status == mine.status:
        raise DomainError(_("新状态与当前状态相同。"), field="to_status")
    if not reason.strip():
        raise DomainError(_("请写明变更原因。"), field="reason")
    if mine.status == MineStatus.CLOSED:
        raise DomainError(_("已关闭的矿山不能再变更状态。"), field="to_status")
    before = audit.snapshot(mine)
    change = MineStatusChange.objects.create(
        mine=mine, from_status=mine.status, to_status=to_status, at=by.at, effective_on=effective_on or _beijing_date(by),
        by=by.user, by_name=by.name, reason=reason.strip(), document_number=document_number.strip())
    mine.status = to_status
    mine.save(update_fields=["status", "updated_at"])
    audit.record("registry.mine.status_changed", mine, by=by, before=before, after=audit.snapshot(mine),
                 reason=change.reason)
    if mine.organization is not None:
        notify(mine.organization.users.all(), by=by, url=mine.get_absolute_url(),
               title=_("%(mine)s 状态变更为“%(status)s”") % {"mine": mine.name,
                                                          "status": MineStatus(to_status).label},
               body=change.reason)
    return mine


@transaction.atomic(durable=True)
def save_mine_record(kind: str, mine_id: int, *, by: Actor, data: dict[str, Any],
                     record_id: int | None = None) -> models.Model:
    """Create or update one licence, roster member, level, face or supervisor of a mine."""
    mine = _mine_for_update(by, mine_id, MINE_RECORDS[kind][1])
    _refuse_regulated_record(by, kind)
    return _save_record(kind, mine, by=by, data=data, record_id=record_id)


def _save_record(kind: str, mine: Mine, *, by: Actor, data: dict[str, Any], record_id: int | None,
                 reason: str = "") -> models.Model:
    model, perm = MINE_RECORDS[kind]
    if record_id is None:
        obj = model(mine=mine, **data)
        before = None
        verb = f"registry.{model._meta.model_name}.created"
    else:
        found = model._default_manager.filter(mine=mine, pk=record_id).first()
        if found is None:
            raise PermissionDenied(perm)
        obj = found
        before = audit.snapshot(obj)
        for k, v in data.items():
            setattr(obj, k, v)
        verb = f"registry.{model._meta.model_name}.updated"
    if isinstance(obj, LeadershipMember):
        _check_leader_card(obj, mine)
    try:
        obj.validate_constraints()
    except ValidationError as e:  # a unique rule broken by this row
        raise DomainError(_("同一矿山已有相同的记录（名称或证照类型重复）。")) from e
    obj.save()
    audit.record(verb, obj, by=by, before=before, after=audit.snapshot(obj), parent=mine, reason=reason)
    return obj


@transaction.atomic(durable=True)
def delete_mine_record(kind: str, mine_id: int, record_id: int, *, by: Actor, reason: str = "") -> None:
    mine = _mine_for_update(by, mine_id, MINE_RECORDS[kind][1])
    _refuse_regulated_record(by, kind)
    _delete_record(kind, mine, record_id, by=by, reason=reason)


def _delete_record(kind: str, mine: Mine, record_id: int, *, by: Actor, reason: str) -> None:
    model, perm = MINE_RECORDS[kind]
    obj = model._default_manager.filter(mine=mine, pk=record_id).first()
    if obj is None:
        raise PermissionDenied(perm)
    if isinstance(obj, MiningLevel) and obj.faces.exists():
        raise DomainError(_("该水平下还有工作面，请先调整工作面。"))
    before = audit.snapshot(obj)
    audit.record(f"registry.{model._meta.model_name}.deleted", obj, by=by, before=before, reason=reason,
                 parent=mine)
    obj.delete()


@transaction.atomic(durable=True)
def save_enterprise(*, by: Actor, data: dict[str, Any], enterprise_id: int | None = None) -> Enterprise:
    require(by.user, Perm.ENTERPRISE_EDIT)
    if enterprise_id is None:
        ent = Enterprise(**data)
        before = None
    else:
        ent = locked_for_action(by.user, Enterprise, enterprise_id, Perm.ENTERPRISE_EDIT)
        before = audit.snapshot(ent)
        for k, v in data.items():
            setattr(ent, k, v)
    if ent.parent_id is not None and ent.parent_id == ent.pk:
        raise DomainError(_("企业不能是自己的上级公司。"), field="parent")
    ent.save()
    _ensure_visible(by, ent)
    audit.record("registry.enterprise.created" if before is None else "registry.enterprise.updated", ent,
                 by=by, before=before, after=audit.snapshot(ent))
    return ent


@dataclass(frozen=True)
class RowError:
    row: int  # the row number as Excel shows it
    column: str
    message: str


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@transaction.atomic(durable=True)
def import_mines(rows: list[tuple[int, dict[str, Any], list[dict[str, Any]]]], *, by: Actor) -> list[Mine]:
    """All or nothing: rows are (row number, mine data, licences), already validated by the caller.
    Any failure here (a code taken meanwhile, a row outside the jurisdiction) rolls back every row."""
    require(by.user, Perm.MINE_IMPORT)
    errors: list[RowError] = []
    created = []
    for number, data, licences in rows:
        if not can(by.user, Perm.MINE_CREATE):
            raise PermissionDenied(Perm.MINE_CREATE)
        if Mine.objects.filter(code=data["code"]).exists():
            errors.append(RowError(number, "矿山编码", _("矿山编码 %(code)s 已存在。") % {"code": data["code"]}))
            continue
        mine = _create_mine(data, by=by, reason=_("台账导入"))
        for lic in licences:
            obj = Licence.objects.create(mine=mine, **lic)
            audit.record("registry.licence.created", obj, by=by, after=audit.snapshot(obj), parent=mine)
        created.append(mine)
    if errors:
        raise ImportRejected(errors)
    return created


@transaction.atomic(durable=True)
def reveal_personal_data(mine_id: int, member_id: int, *, by: Actor) -> LeadershipMember:
    """R10.8: the full ID and phone number of a roster member, shown only to roles that need them;
    each viewing is recorded."""
    require(by.user, Perm.PERSONAL_DATA_VIEW)
    member = visible(by.user, LeadershipMember).filter(mine_id=mine_id, pk=member_id).select_related("mine").first()
    if member is None:
        raise PermissionDenied(Perm.PERSONAL_DATA_VIEW)
    audit.record("registry.leadershipmember.personal_data_viewed", member, by=by, parent=member.mine)
    return member


FEED_ENTERPRISE = "待核实企业（联网数据登记）"


@transaction.atomic(durable=True)
def register_mine_from_feed(code: str, name: str, *, by: Actor) -> Mine:
    """A minimal record for a mine known only from its networking files (`kuangan monitoring replay
    --register-unknown`): code and name from the file header, the county from the code's first six
    digits when it names one (else the province), every other field to be checked by a regulator.
    Only the system (ingestion) may call it."""
    from kuangan.core.models import Division

    from .choices import (
        DisasterGrade,
        GasClass,
        HydroType,
        MineKind,
        SpontaneousCombustion,
        StandardizationGrade,
        SupervisionClass,
    )

    if by.user is not None:
        raise PermissionDenied(Perm.MINE_CREATE)
    existing = Mine.objects.filter(code=code).first()
    if existing is not None:
        return existing
    division = (Division.objects.filter(code=code[:6]).first()
                or Division.objects.filter(code=code[:2] + "0000").first()
                or Division.objects.order_by("path").first())
    assert division is not None  # the divisions are loaded by a migration
    enterprise, _created = Enterprise.objects.get_or_create(
        name=FEED_ENTERPRISE, defaults={"division": division})
    data = {
        "code": code, "name": name or code, "enterprise": enterprise, "division": division,
        "kind": MineKind.COAL_UNDERGROUND,  # family A is the coal-mine safety-monitoring format
        "status": MineStatus.PRODUCING, "approved_capacity": 0, "gas_class": GasClass.NOT_APPLICABLE,
        "hydro_type": HydroType.SIMPLE, "spontaneous_combustion": SpontaneousCombustion.NOT_APPLICABLE,
        "disaster_grade": DisasterGrade.SIMPLE, "standardization_grade": StandardizationGrade.BELOW,
        "supervision_class": SupervisionClass.D, "address": _("由联网数据自动登记，档案待核实"),
    }
    try:
        with transaction.atomic():  # two ingesters meeting the same unknown mine: the second finds it
            mine = Mine.objects.create(**data)
    except IntegrityError:
        return Mine.objects.get(code=code)
    reason = _("由联网数据自动登记，档案待核实")
    MineStatusChange.objects.create(mine=mine, from_status="", to_status=mine.status, at=by.at,
                                    effective_on=_beijing_date(by), by=None, by_name=by.name, reason=reason)
    audit.record("registry.mine.registered_from_feed", mine, by=by, after=audit.snapshot(mine), reason=reason)
    return mine


# Proposals of regulated facts (issue 17): a mine or enterprise proposes with evidence; the county
# approves (the change is written by the same steps as a regulator's own edit) or rejects.

PROPOSAL_RECORDS = {"licence": Licence, "face": WorkingFace}


def _json(value: Any) -> Any:
    """A form value as it is kept in a proposal: what `to_python` of its field reads back."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _revive(model: type[models.Model], mine: Mine, values: dict[str, Any]) -> dict[str, Any]:
    """A proposal's kept values as model values; a referenced row (a face's level) must still be the mine's."""
    data = {}
    for name, value in values.items():
        field = model._meta.get_field(name)
        if field.is_relation and value is not None:
            related = field.related_model._default_manager.filter(mine=mine, pk=value).first()  # type: ignore[union-attr]
            if related is None:
                raise DomainError(_("申请所选的%(field)s已不存在，请驳回，由矿山重新申请。")
                                  % {"field": _label(model, name)})
            value = related
        elif isinstance(field, models.Field):
            value = field.to_python(value)
        data[name] = value
    return data


def _proposal_for_update(by: Actor, proposal_id: int) -> MineChangeProposal:
    p = locked_for_action(by.user, MineChangeProposal, proposal_id, Perm.MINE_EDIT, "mine", "proposed_by")
    if p.status != MineChangeProposalStatus.PENDING:
        raise DomainError(_("该申请已%(status)s，不能再办理。") % {"status": p.get_status_display()})
    return p


@transaction.atomic(durable=True)
def propose_mine_change(mine_id: int, *, by: Actor, target: str, changes: dict[str, Any], reason: str,
                        files: list[Any], record_id: int | None = None, delete: bool = False) -> MineChangeProposal:
    """A mine's or enterprise's proposal: the changes, the values they replace (for the stale check),
    a reason and evidence. The county's inspectors are told."""
    mine = _mine_for_update(by, mine_id, Perm.MINE_EDIT)
    if _is_regulator(by):
        raise DomainError(_("监管部门可直接修改档案，无需提交变更申请。"))
    if target not in MineChangeProposalTarget.values:
        raise DomainError(_("未知的变更对象。"))
    if not reason.strip():
        raise DomainError(_("请写明申请理由。"), field="reason")
    if not files:
        raise DomainError(_("请上传证明材料（批复文件、鉴定报告、证照扫描件等）。"), field="evidence")
    for f in files:
        check_upload(f)
    if target == MineChangeProposalTarget.MINE:
        if delete or record_id is not None or set(changes) - set(rules.REGULATED_MINE_FIELDS):
            raise DomainError(_("只能申请变更瓦斯等级、水文地质类型、冲击地压、煤层自燃倾向性、核定生产能力和生产状态。"))
        record: models.Model = mine
    elif record_id is None:
        if delete:
            raise DomainError(_("未选择要删除的记录。"))
        record = PROPOSAL_RECORDS[target](mine=mine)
    else:
        found = PROPOSAL_RECORDS[target]._default_manager.filter(mine=mine, pk=record_id).first()
        if found is None:
            raise PermissionDenied(Perm.MINE_EDIT)
        record = found
    if delete:
        changes = {}
        current = {f.name: _json(getattr(record, f.name)) for f in record._meta.concrete_fields
                   if f.editable and f.name not in ("id", "mine")}
    else:
        changes = {k: v for k, v in changes.items() if record.pk is None or getattr(record, k) != v}
        if not changes:
            raise DomainError(_("申请的值与档案现有的值相同，没有需要变更的内容。"))
        current = {k: _json(getattr(record, k)) for k in changes} if record.pk is not None else {}
    proposal = MineChangeProposal.objects.create(
        mine=mine, target=target, record_id=record_id, delete_record=delete, changes={k: _json(v) for k, v in changes.items()},
        current=current, reason=reason.strip(), proposed_by=by.user, proposed_at=by.at)
    names = []
    for f in files:
        att = MineChangeProposalAttachment.objects.create(proposal=proposal, file=f, name=str(f.name)[:200],
                                                          size=f.size, uploaded_by=by.user, uploaded_at=by.at)
        names.append(att.name)
    audit.record("registry.minechangeproposal.proposed", proposal, by=by, after={
        **audit.snapshot(proposal), "evidence": names}, reason=proposal.reason, parent=mine)
    notify(county_inspectors(mine), by=by, url=proposal.get_absolute_url(),
           title=_("%(mine)s 提交了档案变更申请（%(target)s），请审核") % {
               "mine": mine.name, "target": proposal.get_target_display()}, body=proposal.reason)
    return proposal


def _apply_proposal(p: MineChangeProposal, *, by: Actor) -> None:
    """Write an approved proposal with the steps of a regulator's own edit, refusing a stale one."""
    mine = p.mine
    reason = _("依据档案变更申请（第 %(n)d 号）：%(reason)s") % {"n": p.pk, "reason": p.reason}
    model: type[models.Model] = Mine if p.target == MineChangeProposalTarget.MINE else PROPOSAL_RECORDS[p.target]
    record: models.Model | None = mine
    if model is not Mine and p.record_id is not None:
        record = model._default_manager.filter(mine=mine, pk=p.record_id).first()
        if record is None:
            raise DomainError(_("申请所涉的记录已被删除，不能按此申请变更；请驳回。"))
    if record is not None:
        stale = rules.stale_fields(p.current, {k: _json(getattr(record, k)) for k in p.current})
        if stale:
            raise DomainError(_("申请提交后，%(fields)s已被修改，不能按此申请变更；请驳回，由矿山按现状重新申请。")
                              % {"fields": join_list(_label(model, f) for f in stale)})
    if model is not Mine:
        if p.delete_record:
            assert p.record_id is not None
            _delete_record(p.target, mine, p.record_id, by=by, reason=reason)
        else:
            _save_record(p.target, mine, by=by, data=_revive(model, mine, p.changes), record_id=p.record_id,
                         reason=reason)
        return
    data = _revive(Mine, mine, p.changes)
    to_status = data.pop("status", None)
    _update_mine(mine, by=by, data=data, reason=reason)
    if to_status is not None:
        require(by.user, Perm.MINE_STATUS_CHANGE)
        _change_status(mine, by=by, to_status=to_status, reason=reason,
                       effective_on=_beijing_date(by))


@transaction.atomic(durable=True)
def decide_mine_change(proposal_id: int, *, by: Actor, approve: bool, note: str = "") -> MineChangeProposal:
    """A regulator of the mine's county or above approves (the change takes effect in this
    transaction) or rejects (with a note); the mine's people are told."""
    if not _is_regulator(by):
        raise PermissionDenied(Perm.MINE_EDIT)
    p = _proposal_for_update(by, proposal_id)
    note = note.strip()
    if not approve and not note:
        raise DomainError(_("驳回须填写审核意见。"), field="note")
    if approve:
        _apply_proposal(p, by=by)
    p.decided_by, p.decided_at, p.decision_note = by.user, by.at, note
    transition(p, to=MineChangeProposalStatus.APPROVED if approve else MineChangeProposalStatus.REJECTED,
               fields=("decided_by", "decided_at", "decision_note"))
    audit.record("registry.minechangeproposal.approved" if approve else "registry.minechangeproposal.rejected", p,
                 by=by, before={"status": MineChangeProposalStatus.PENDING},
                 after={"status": p.status, "decision_note": note}, reason=note, parent=p.mine)
    title = _("%(mine)s 的档案变更申请已批准并生效") if approve else _("%(mine)s 的档案变更申请被驳回")
    recipients = {u.pk: u for u in [*mine_users(p.mine, Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER), p.proposed_by]}
    notify(recipients.values(), by=by, url=p.get_absolute_url(), title=title % {"mine": p.mine.name}, body=note)
    return p


@transaction.atomic(durable=True)
def withdraw_mine_change(proposal_id: int, *, by: Actor) -> MineChangeProposal:
    """The mine (or its enterprise) takes back its pending proposal; the county is told."""
    if _is_regulator(by):
        raise PermissionDenied(Perm.MINE_EDIT)
    p = _proposal_for_update(by, proposal_id)
    p.decided_by, p.decided_at = by.user, by.at
    transition(p, to=MineChangeProposalStatus.WITHDRAWN, fields=("decided_by", "decided_at"))
    audit.record("registry.minechangeproposal.withdrawn", p, by=by, before={"status": MineChangeProposalStatus.PENDING},
                 after={"status": p.status}, parent=p.mine)
    notify(county_inspectors(p.mine), by=by, url=p.get_absolute_url(),
           title=_("%(mine)s 撤回了档案变更申请") % {"mine": p.mine.name})
    return p


# --- leaders' cards and production returns (issue 20) ------------------------------------------------------

def _check_leader_card(member: LeadershipMember, mine: Mine) -> None:
    """A leader's card (blank allowed) is the mine's, and no other member of the mine holds it."""
    member.card_code = (member.card_code or "").strip()
    if not member.card_code:
        return
    problem = rules.card_code_problem(member.card_code, mine.code)
    if problem:
        raise DomainError(problem, field="card_code")
    other = LeadershipMember.objects.filter(mine=mine, card_code=member.card_code).exclude(pk=member.pk).first()
    if other is not None:
        raise DomainError(_("人员卡编码 %(card)s 已登记给本矿领导班子成员 %(name)s。")
                          % {"card": member.card_code, "name": other.name}, field="card_code")


@transaction.atomic(durable=True)
def submit_production_return(mine_id: int, *, by: Actor, month: date, tonnes: Decimal,
                             note: str = "") -> ProductionReturn:
    """The mine head signs a month's raw-coal output (月度产量). A month already returned is corrected: the row
    takes the new figure and signer, the audit event keeps the old ones in `before`. A month not yet begun
    (Beijing) is refused."""
    mine = _mine_for_update(by, mine_id, Perm.PRODUCTION_RETURN_SUBMIT)
    problem = rules.production_month_problem(month, _beijing_date(by))
    if problem:
        raise DomainError(problem, field="month")
    if tonnes < 0:
        raise DomainError(_("产量不能为负数。"), field="tonnes")
    note = note.strip()
    existing = ProductionReturn.objects.select_for_update().filter(mine=mine, month=month).first()
    if existing is None:
        ret = ProductionReturn.objects.create(mine=mine, month=month, tonnes=tonnes, signed_by=by.user,
                                              signed_at=by.at, note=note)
        audit.record("registry.productionreturn.submitted", ret, by=by, after=audit.snapshot(ret), parent=mine,
                     reason=note)
        return ret
    if existing.tonnes == tonnes and existing.note == note:
        raise DomainError(_("%(month)s 的产量已按此数填报，无需更正。") % {"month": month.strftime("%Y-%m")},
                          field="tonnes")
    before = audit.snapshot(existing)
    existing.tonnes, existing.signed_by, existing.signed_at, existing.note = tonnes, by.user, by.at, note
    existing.save(update_fields=["tonnes", "signed_by", "signed_at", "note"])
    audit.record("registry.productionreturn.corrected", existing, by=by, before=before,
                 after=audit.snapshot(existing), parent=mine, reason=note)
    return existing
