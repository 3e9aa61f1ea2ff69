"""Regulated facts (issue 17): gas class, hydrogeology, rock burst, spontaneous combustion, approved
capacity, status, licences and working faces are changed by the county. A mine's direct change is
refused on every channel; the mine proposes with evidence and a county inspector decides."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.registry import actions
from kuangan.registry.models import (
    Licence,
    Mine,
    MineChangeProposal,
    MineChangeProposalAttachment,
    MineStatusChange,
    WorkingFace,
)
from kuangan.testing import assert_audited, unchanged

REFUSED = "属于监管事项，只能由县级以上监管部门"


def evidence(name: str = "瓦斯等级鉴定报告.pdf", content: bytes = b"%PDF-1.4 report") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def mine(world):  # type: ignore[no-untyped-def]
    """甲一煤矿 as the county registered it: 高瓦斯, 120 万吨/年, one licence and one face."""
    by = world.actor(world.inspector)
    actions.update_mine(world.a1.pk, by=by, data={"gas_class": "high", "approved_capacity": Decimal("120")})
    world.licence = actions.save_mine_record("licence", world.a1.pk, by=by, data={
        "kind": "mining", "number": "C1400002009", "issued_on": None, "expires_on": date(2030, 1, 1)})
    world.level = actions.save_mine_record("level", world.a1.pk, by=by, data={
        "name": "+950水平", "elevation": 950, "status": "producing"})
    world.face = actions.save_mine_record("face", world.a1.pk, by=by, data={
        "name": "1201综采工作面", "kind": "longwall", "level": world.level, "mining_method": "fully_mechanized",
        "status": "producing"})
    return Mine.objects.get(pk=world.a1.pk)


def _facts(pk: int) -> tuple[str, Decimal, str, list[tuple[str, str]], list[tuple[str, str]]]:
    m = Mine.objects.get(pk=pk)
    return (m.gas_class, m.approved_capacity, m.status, list(Licence.objects.filter(mine=m).values_list("kind", "number")),
            list(WorkingFace.objects.filter(mine=m).values_list("name", "status")))


def _propose(world, **kwargs):  # type: ignore[no-untyped-def]
    args = {"target": "mine", "changes": {"gas_class": "low", "approved_capacity": Decimal("300")},
            "reason": "经鉴定为低瓦斯矿井；技改后核定能力提高", "files": [evidence()], **kwargs}
    return actions.propose_mine_change(world.a1.pk, by=world.actor(world.mine_safety_officer), **args)


# The adversary first: the safety officer changes regulated facts directly.

@pytest.mark.parametrize("attempt", [
    lambda w, by: actions.update_mine(w.a1.pk, by=by, data={"gas_class": "low"}),
    lambda w, by: actions.update_mine(w.a1.pk, by=by, data={"approved_capacity": Decimal("300")}),
    lambda w, by: actions.update_mine(w.a1.pk, by=by, data={"status": "suspended_for_rectification"}),
    lambda w, by: actions.update_mine(w.a1.pk, by=by, data={"rock_burst": "strong", "address": "新地址"}),
    lambda w, by: actions.save_mine_record("licence", w.a1.pk, by=by, record_id=w.licence.pk,
                                           data={"number": "C1400009999"}),
    lambda w, by: actions.save_mine_record("licence", w.a1.pk, by=by, data={
        "kind": "safety_production", "number": "（晋）MK安许证字〔2024〕1", "issued_on": None, "expires_on": None}),
    lambda w, by: actions.delete_mine_record("licence", w.a1.pk, w.licence.pk, by=by),
    lambda w, by: actions.save_mine_record("face", w.a1.pk, by=by, record_id=w.face.pk, data={"status": "stopped"}),
    lambda w, by: actions.save_mine_record("face", w.a1.pk, by=by, data={
        "name": "1202隐蔽工作面", "kind": "longwall", "level": None, "mining_method": "fully_mechanized",
        "status": "producing"}),
    lambda w, by: actions.delete_mine_record("face", w.a1.pk, w.face.pk, by=by),
], ids=["gas_class", "capacity", "status", "rock_burst_with_address", "licence_edit", "licence_new",
        "licence_delete", "face_edit", "face_new", "face_delete"])
@pytest.mark.parametrize("persona", ["mine_safety_officer", "mine_head", "group_manager"])
def test_a_mine_users_direct_change_of_a_regulated_fact_is_refused(world, mine, attempt, persona):
    before = _facts(mine.pk)
    with unchanged(mine, Licence, WorkingFace), pytest.raises(DomainError, match=REFUSED):
        attempt(world, world.actor(getattr(world, persona)))
    assert _facts(mine.pk) == before
    assert Mine.objects.get(pk=mine.pk).address == mine.address


def test_a_mine_still_edits_its_other_dossier_fields(world, mine):
    actions.update_mine(mine.pk, by=world.actor(world.mine_safety_officer), data={
        "address": "中阳县宁乡镇", "gas_class": "high"})  # the unchanged gas class goes along unharmed
    assert Mine.objects.get(pk=mine.pk).address == "中阳县宁乡镇"


def test_the_api_patch_of_a_regulated_fact_is_refused_in_chinese(world, mine, client):
    client.force_login(world.mine_safety_officer)
    with unchanged(mine, MineChangeProposal):
        response = client.patch(f"/api/v1/registry/mines/{mine.pk}",
                                json.dumps({"gas_class": "low", "approved_capacity": "300"}),
                                content_type="application/json")
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    assert "瓦斯等级" in message and "核定生产能力" in message and "变更申请" in message
    assert _facts(mine.pk)[:2] == ("high", Decimal("120.00"))


def test_the_pages_offer_no_direct_change_and_refuse_a_forged_one(world, mine, login):
    client = login(world.mine_safety_officer)
    form = client.get(f"/registry/mines/{mine.pk}/edit/").context["form"]
    assert not {"gas_class", "approved_capacity", "hydro_type", "rock_burst", "spontaneous_combustion"} & set(form.fields)
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    client.post(f"/registry/mines/{mine.pk}/edit/", {**data, "gas_class": "low", "approved_capacity": "300"})
    assert client.get(f"/registry/mines/{mine.pk}/licence/new/")["Location"] == \
        f"/registry/mines/{mine.pk}/proposals/licence/new/"
    licences = client.get(f"/registry/mines/{mine.pk}/?tab=licences").content.decode()
    assert "申请新增证照" in licences and f"/registry/mines/{mine.pk}/licence/new/" not in licences
    forged = client.post(f"/registry/mines/{mine.pk}/licence/{world.licence.pk}/", {
        "kind": "mining", "number": "C1400009999", "issued_on": "", "expires_on": "2031-01-01"})
    assert forged.status_code == 200 and REFUSED in forged.content.decode()
    deleted = client.post(f"/registry/mines/{mine.pk}/face/{world.face.pk}/delete/", follow=True)
    assert REFUSED in deleted.content.decode()
    assert _facts(mine.pk)[:2] == ("high", Decimal("120.00"))
    assert Licence.objects.get(pk=world.licence.pk).number == "C1400002009"
    assert WorkingFace.objects.filter(pk=world.face.pk).exists()


# The mine proposes with evidence.

def test_a_proposal_without_evidence_or_reason_is_refused_in_chinese(world, mine):
    nothing_proposed = (MineChangeProposal, MineChangeProposalAttachment, mine)
    with unchanged(*nothing_proposed), pytest.raises(DomainError, match="请上传证明材料"):
        _propose(world, files=[])
    with unchanged(*nothing_proposed), pytest.raises(DomainError, match="类型不受支持"):
        _propose(world, files=[SimpleUploadedFile("报告.exe", b"MZ...")])
    with unchanged(*nothing_proposed), pytest.raises(DomainError, match="请写明申请理由"):
        _propose(world, reason="  ")
    with unchanged(*nothing_proposed), pytest.raises(DomainError, match="没有需要变更的内容"):
        _propose(world, changes={"gas_class": "high"})
    assert not MineChangeProposal.objects.exists()


def test_the_officer_proposes_on_the_page_and_the_county_inspector_is_told(
        world, mine, login, django_capture_on_commit_callbacks):
    client = login(world.mine_safety_officer)
    page = client.get(f"/registry/mines/{mine.pk}/proposals/new/")
    assert page.status_code == 200 and "申请变更监管事项" in page.content.decode() and "甲一煤矿" in page.content.decode()
    data = {"status": "producing", "gas_class": "low", "approved_capacity": "300", "hydro_type": mine.hydro_type,
            "rock_burst": mine.rock_burst, "spontaneous_combustion": mine.spontaneous_combustion,
            "reason": "经鉴定为低瓦斯矿井"}
    missing = client.post(f"/registry/mines/{mine.pk}/proposals/new/", data)
    assert "请上传证明材料" in missing.content.decode() and not MineChangeProposal.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/registry/mines/{mine.pk}/proposals/new/", {**data, "evidence": evidence()})
    p = MineChangeProposal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/registry/proposals/{p.pk}/"
    assert p.changes == {"gas_class": "low", "approved_capacity": "300"}
    assert p.current == {"gas_class": "high", "approved_capacity": "120.00"}
    assert p.attachments.get().name == "瓦斯等级鉴定报告.pdf"
    assert_audited("registry.minechangeproposal.proposed", p, by=world.mine_safety_officer)
    told = set(Notification.objects.filter(url=p.get_absolute_url()).values_list("recipient__username", flat=True))
    assert told == {"inspector"}  # the county's inspectors, not the city's nor the foreign county's
    assert _facts(mine.pk)[:2] == ("high", Decimal("120.00"))  # nothing changes before approval


def test_licence_and_face_proposals_on_the_page_keep_only_what_changes(world, mine, login):
    client = login(world.mine_safety_officer)
    url = f"/registry/mines/{mine.pk}/proposals/licence/{world.licence.pk}/"
    assert 'value="C1400002009"' in client.get(url).content.decode()
    client.post(url, {"kind": "mining", "number": "C1400002010", "issued_on": "", "expires_on": "2030-01-01",
                      "reason": "采矿许可证延续换证", "evidence": evidence("采矿许可证.jpg", b"\xff\xd8\xff scan")})
    p = MineChangeProposal.objects.get()
    assert (p.target, p.record_id, p.changes, p.current) == (
        "licence", world.licence.pk, {"number": "C1400002010"}, {"number": "C1400002009"})
    assert Licence.objects.get(pk=world.licence.pk).number == "C1400002009"
    client.post(f"/registry/mines/{mine.pk}/proposals/face/{world.face.pk}/", {
        "name": "1201综采工作面", "kind": "longwall", "level": world.level.pk, "mining_method": "fully_mechanized",
        "status": "producing", "delete": "on", "reason": "工作面已回采完毕并封闭",
        "evidence": evidence("封闭验收.pdf")})
    removal = MineChangeProposal.objects.get(target="face")
    assert removal.delete_record and removal.current["name"] == "1201综采工作面"
    body = client.get(removal.get_absolute_url()).content.decode()
    assert "采掘工作面：1201综采工作面" in body and "（删除）" in body and "+950水平" in body


def test_the_proposal_page_speaks_chinese(world, mine, login):
    p = _propose(world)
    for user in (world.mine_safety_officer, world.inspector):
        body = login(user).get(f"/registry/proposals/{p.pk}/").content.decode()
        assert "高瓦斯" in body and "低瓦斯" in body and "瓦斯等级" in body and "核定生产能力" in body
        assert "待审核" in body and "瓦斯等级鉴定报告.pdf" in body
        for code in ("gas_class", "approved_capacity", ">high<", ">low<", "pending", "minechangeproposal"):
            assert code not in body, code
    assert "批准" in body  # the inspector is offered the decision
    dossier = login(world.mine_safety_officer).get(f"/registry/mines/{world.a1.pk}/").content.decode()
    assert "申请变更监管事项" in dossier and "1 项档案变更申请待县级监管部门审核" in dossier
    listing = login(world.inspector).get("/registry/proposals/").content.decode()
    assert "甲一煤矿" in listing and "矿山基本信息" in listing


# The county decides.

def test_a_foreign_inspector_neither_sees_nor_decides(world, mine, client):
    p = _propose(world)
    client.force_login(world.foreign_inspector)
    assert client.get(f"/registry/proposals/{p.pk}/").status_code == 404
    with unchanged(p, mine):
        assert client.post(f"/registry/proposals/{p.pk}/approve/", {"note": ""}).status_code == 404
    assert client.get(f"/registry/proposals/{p.pk}/attachments/{p.attachments.get().pk}/").status_code == 404
    assert "甲一煤矿" not in client.get("/registry/proposals/").content.decode()
    with unchanged(p, mine), pytest.raises(PermissionDenied):
        actions.decide_mine_change(p.pk, by=world.actor(world.foreign_inspector), approve=True)
    assert MineChangeProposal.objects.get(pk=p.pk).status == "pending"
    assert _facts(mine.pk)[:2] == ("high", Decimal("120.00"))


def test_the_mine_cannot_approve_its_own_proposal(world, mine, client):
    p = _propose(world)
    with unchanged(p, mine), pytest.raises(PermissionDenied):
        actions.decide_mine_change(p.pk, by=world.actor(world.mine_head), approve=True)
    client.force_login(world.mine_head)
    with unchanged(p, mine):
        assert client.post(f"/registry/proposals/{p.pk}/approve/").status_code == 403
    assert _facts(mine.pk)[:2] == ("high", Decimal("120.00"))


def test_the_county_inspector_approves_and_the_mine_is_told(world, mine, login, django_capture_on_commit_callbacks):
    p = _propose(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.inspector).post(f"/registry/proposals/{p.pk}/approve/", {"note": "鉴定报告属实"})
    assert response.status_code == 302
    assert _facts(mine.pk)[:2] == ("low", Decimal("300.00"))
    p.refresh_from_db()
    assert (p.status, p.decided_by, p.decision_note) == ("approved", world.inspector, "鉴定报告属实")
    assert_audited("registry.minechangeproposal.approved", p, by=world.inspector)
    update = assert_audited("registry.mine.updated", mine, by=world.inspector)
    assert (update.before["gas_class"], update.after["gas_class"]) == ("high", "low")
    assert f"第 {p.pk} 号" in update.reason and "经鉴定为低瓦斯矿井" in update.reason
    verbs = list(AuditEvent.objects.filter(parent_id=str(mine.pk), parent_type="registry.mine")
                 .order_by("seq").values_list("verb", flat=True))
    assert verbs[-2:] == ["registry.minechangeproposal.proposed", "registry.minechangeproposal.approved"]
    told = set(Notification.objects.filter(url=p.get_absolute_url()).values_list("recipient__username", flat=True))
    assert told == {"mine_head", "mine_safety_officer"}
    assert "已批准" in login(world.mine_safety_officer).get(f"/registry/proposals/{p.pk}/").content.decode()


def test_the_city_inspector_may_decide_too(world, mine):
    p = _propose(world)
    actions.decide_mine_change(p.pk, by=world.actor(world.city_inspector), approve=True)
    assert _facts(mine.pk)[0] == "low"


def test_a_rejection_needs_a_reason_changes_nothing_and_is_told(world, mine, django_capture_on_commit_callbacks):
    p = _propose(world)
    with unchanged(p, mine), pytest.raises(DomainError, match="驳回须填写审核意见"):
        actions.decide_mine_change(p.pk, by=world.actor(world.inspector), approve=False)
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_mine_change(p.pk, by=world.actor(world.inspector), approve=False, note="鉴定报告未盖章")
    assert MineChangeProposal.objects.get(pk=p.pk).status == "rejected"
    assert _facts(mine.pk)[:2] == ("high", Decimal("120.00"))
    assert Notification.objects.filter(recipient=world.mine_safety_officer, body="鉴定报告未盖章").exists()
    with unchanged(p, mine), pytest.raises(DomainError, match="已驳回"):
        actions.decide_mine_change(p.pk, by=world.actor(world.inspector), approve=True)


def test_a_stale_proposal_is_refused_not_silently_applied(world, mine, login):
    p = _propose(world)
    actions.update_mine(mine.pk, by=world.actor(world.inspector), data={"gas_class": "outburst"})
    with unchanged(p, mine), pytest.raises(DomainError, match="瓦斯等级已被修改"):
        actions.decide_mine_change(p.pk, by=world.actor(world.inspector), approve=True)
    page = login(world.inspector).post(f"/registry/proposals/{p.pk}/approve/", follow=True).content.decode()
    assert "瓦斯等级已被修改" in page and "请驳回" in page
    assert _facts(mine.pk)[:2] == ("outburst", Decimal("120.00"))  # nothing of it applied, capacity included
    assert MineChangeProposal.objects.get(pk=p.pk).status == "pending"


def test_the_mine_withdraws_its_pending_proposal(world, mine):
    p = _propose(world)
    actions.withdraw_mine_change(p.pk, by=world.actor(world.mine_head))
    assert MineChangeProposal.objects.get(pk=p.pk).status == "withdrawn"
    assert_audited("registry.minechangeproposal.withdrawn", p, by=world.mine_head)
    with unchanged(p, mine), pytest.raises(DomainError, match="已撤回"):
        actions.decide_mine_change(p.pk, by=world.actor(world.inspector), approve=True)
    assert _facts(mine.pk)[0] == "high"


def test_licence_face_and_status_proposals_take_effect_on_approval(world, mine):
    by = world.actor(world.inspector)
    new = _propose(world, target="licence", changes={
        "kind": "safety_production", "number": "（晋）MK安许证字〔2024〕1", "issued_on": date(2024, 1, 2),
        "expires_on": date(2027, 1, 1)})
    face = _propose(world, target="face", record_id=world.face.pk, changes={"status": "stopped"})
    gone = _propose(world, target="licence", record_id=world.licence.pk, delete=True)
    status = _propose(world, changes={"status": "suspended_for_rectification"})
    for p in (new, face, gone, status):
        actions.decide_mine_change(p.pk, by=by, approve=True)
    assert Licence.objects.get(mine=mine, kind="safety_production").expires_on == date(2027, 1, 1)
    assert not Licence.objects.filter(pk=world.licence.pk).exists()
    assert WorkingFace.objects.get(pk=world.face.pk).status == "stopped"
    change = MineStatusChange.objects.filter(mine=mine).first()
    assert change is not None and change.to_status == "suspended_for_rectification"
    assert f"第 {status.pk} 号" in change.reason and change.by == world.inspector
    event = assert_audited("registry.workingface.updated", world.face, by=world.inspector)
    assert f"第 {face.pk} 号" in event.reason
