"""Pages of the dossier: ledger filters and sorting, forms with Chinese messages, history, method rules."""

from __future__ import annotations

from django.test import Client

from kuangan.registry.models import Enterprise, LeadershipMember, Licence, Mine, MineStatusChange
from kuangan.testing import PASSWORD, make_mine, unchanged


def test_ledger_filters_sorts_and_paginates(world, login, django_assert_max_num_queries):
    for i in range(60):
        make_mine(f"14112901{i:02d}", f"批量煤矿{i:02d}", world.ent_a, "141129", approved_capacity=i)
    client = login(world.inspector)
    with django_assert_max_num_queries(12):
        page = client.get("/registry/mines/?sort=-approved_capacity")
    rows = page.context["page"]
    assert rows.paginator.count == 62 and len(rows) == 50
    assert [m.name for m in rows][:2] == ["甲一煤矿", "甲二煤矿"]  # 90 万吨, then 批量煤矿59 ...
    assert client.get("/registry/mines/?status=building").context["page"].paginator.count == 1
    assert client.get("/registry/mines/?q=批量煤矿0").context["page"].paginator.count == 10
    assert client.get(f"/registry/mines/?enterprise={world.group.pk}").context["page"].paginator.count == 62


def test_a_bad_filter_value_is_named_and_ignored(world, login):
    response = login(world.inspector).get("/registry/mines/?status=nonsense&enterprise=abc")
    assert response.status_code == 200
    assert "已忽略无效的筛选条件" in response.content.decode()
    assert response.context["page"].paginator.count == 2


def test_dossier_tabs_show_findings(world, login):
    client = login(world.inspector)
    body = client.get(f"/registry/mines/{world.a1.pk}/?tab=leadership").content.decode()
    assert "矿长空缺" in body and "井工煤矿未配备通风副矿长" in body
    # each tab's own card, with what the test world holds for it
    for tab, shown in (("basic", ["基本信息", "1411290001", "中阳县甲煤业有限公司"]), ("licences", ["证照", "未登记证照。"]),
                       ("workings", ["开采水平", "未登记采掘工作面。"]), ("supervisors", ["驻矿监管专员与包保责任人", "未指派。"]),
                       ("status", ["状态变更记录", "建档"])):
        page = client.get(f"/registry/mines/{world.a1.pk}/?tab={tab}")
        assert page.status_code == 200, tab
        assert all(text in page.content.decode() for text in shown), tab


def test_create_form_reports_errors_in_chinese_and_keeps_the_input(world, login):
    response = login(world.inspector).post("/registry/mines/new/", {"code": "abc", "name": "新矿"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "矿山编码应为 6–20 位数字" in body and "这个字段是必填项" in body
    assert 'value="新矿"' in body
    assert not Mine.objects.filter(name="新矿").exists()


def test_the_edit_form_has_no_supervision_class_and_a_posted_one_is_ignored(world, login):
    """R3.1: a regulator's dossier form no longer offers the class (enforcement computes it); a value
    posted anyway is not a field of the form and changes nothing."""
    client = login(world.inspector)
    form = client.get(f"/registry/mines/{world.a1.pk}/edit/").context["form"]
    assert "supervision_class" not in form.fields and "gas_class" in form.fields
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(address="中阳县宁乡镇", supervision_class="A")
    data["has_upgrade_project"] = "on" if data.pop("has_upgrade_project", False) else ""
    response = client.post(f"/registry/mines/{world.a1.pk}/edit/", {k: v for k, v in data.items() if v != ""})
    assert response.status_code == 302
    mine = Mine.objects.get(pk=world.a1.pk)
    assert (mine.address, mine.supervision_class) == ("中阳县宁乡镇", "B")
    assert "supervision_class" in client.get("/registry/mines/new/").context["form"].fields  # set at creation


def test_edit_form_and_history(world, login):
    client = login(world.mine_head)
    form = client.get(f"/registry/mines/{world.a1.pk}/edit/").context["form"]
    assert "supervision_class" not in form.fields and "status" not in form.fields
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(address="中阳县宁乡镇新地址", has_upgrade_project="on")
    response = client.post(f"/registry/mines/{world.a1.pk}/edit/", data)
    assert response.status_code == 302
    history = client.get(f"/registry/mines/{world.a1.pk}/history/").content.decode()
    assert "修改矿山档案" in history and "registry.mine.updated" not in history and "中阳县宁乡镇新地址" in history


def test_status_change_through_the_page(world, login):
    client = login(world.inspector)
    response = client.post(f"/registry/mines/{world.a1.pk}/status/", {
        "to_status": "suspended_for_rectification", "effective_on": "2024-07-01", "reason": "停产整顿",
        "document_number": ""})
    assert response.status_code == 302
    body = client.get(f"/registry/mines/{world.a1.pk}/?tab=status").content.decode()
    assert "停产整顿" in body and "王检查" in body
    with unchanged(world.a1, MineStatusChange):
        same = client.post(f"/registry/mines/{world.a1.pk}/status/", {
            "to_status": "suspended_for_rectification", "effective_on": "2024-07-01", "reason": "再次"})
    assert "新状态与当前状态相同" in same.content.decode()


def test_record_forms_validate(world, login):
    client = login(world.mine_head)
    with unchanged(Licence):
        response = client.post(f"/registry/mines/{world.a1.pk}/licence/new/", {
            "kind": "mining", "number": "C1", "issued_on": "2024-01-01", "expires_on": "2023-01-01"})
    assert "有效期须晚于发证日期" in response.content.decode()
    with unchanged(LeadershipMember):
        response = client.post(f"/registry/mines/{world.a1.pk}/leadership/new/", {
            "post": "mine_head", "name": "矿长", "id_number": "123", "education": "bachelor", "frontline_years": "12"})
    assert "身份证号应为 18 位" in response.content.decode()
    assert client.get(f"/registry/mines/{world.a1.pk}/unknown/new/").status_code == 404


def test_mutating_urls_refuse_get(world, login):
    client = login(world.inspector)
    assert client.get("/inbox/read/").status_code == 405
    assert client.get(f"/registry/mines/{world.a1.pk}/licence/1/delete/").status_code == 405


def test_forms_are_csrf_protected(world):
    client = Client(enforce_csrf_checks=True)
    client.login(username="inspector", password=PASSWORD)
    with unchanged(world.a1, MineStatusChange):
        response = client.post(f"/registry/mines/{world.a1.pk}/status/", {
            "to_status": "closed", "effective_on": "2024-07-01", "reason": "x"})
    assert response.status_code == 403
    world.a1.refresh_from_db()
    assert world.a1.status == "producing"


def test_personal_data_is_masked_until_revealed(world, login):
    from kuangan.registry import actions

    member = actions.save_mine_record("leadership", world.a1.pk, by=world.actor(world.mine_head), data={
        "post": "mine_head", "name": "甲一矿长", "id_number": "141129197001011234", "phone": "13912345678",
        "education": "bachelor", "major": "采矿工程", "major_is_mining": True, "frontline_years": 20,
        "appointed_on": None, "holds_mine_head_post": False, "active": True})
    client = login(world.inspector)
    body = client.get(f"/registry/mines/{world.a1.pk}/?tab=leadership").content.decode()
    assert "141129197001011234" not in body and "139****5678" in body
    revealed = client.post(f"/registry/mines/{world.a1.pk}/leadership/{member.pk}/reveal/").content.decode()
    assert "141129197001011234" in revealed
    dispatcher = login(world.mine_dispatcher)
    with unchanged(member):  # no "personal data viewed" event either
        assert dispatcher.post(f"/registry/mines/{world.a1.pk}/leadership/{member.pk}/reveal/").status_code == 403


def test_enterprise_pages(world, login):
    client = login(world.inspector)
    assert "中阳县甲煤业有限公司" in client.get("/registry/enterprises/").content.decode()
    detail = client.get(f"/registry/enterprises/{world.group.pk}/").content.decode()
    assert "甲一煤矿" in detail  # a group's page lists its subsidiaries' mines
    with unchanged(Enterprise):
        response = client.post("/registry/enterprises/new/", {"name": "新企业", "division": world.a1.division.pk,
                                                              "credit_code": "bad"})
    assert "统一社会信用代码应为 18 位" in response.content.decode()
