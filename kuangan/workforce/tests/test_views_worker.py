"""The workforce pages as their users see them: the workers ledger with its filters, paging and export, a
worker's file with certificates and history, the forms; and the same 404 on every page for a user of another
mine or another county."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kuangan.core import clock
from kuangan.core.models import AuditEvent
from kuangan.testing import unchanged
from kuangan.workforce import actions
from kuangan.workforce.models import OperatorCertificate, Worker

from .helpers import ID_NUMBER, card, make_certificate, make_worker

NOW = datetime(2024, 7, 1, 9)  # Beijing


@pytest.fixture
def roster(world):  # type: ignore[no-untyped-def]
    """张三 (electrician, certificate expiring 2024-07-20), 李四 (blaster, certificate lapsed 2024-06-30),
    王五 (special operator without certificate), 赵六 (not a special operator), all of 甲一煤矿."""
    with clock.frozen(clock.from_local(datetime(2024, 1, 5, 9))):
        zhang = make_worker(world, 1, name="张三")
        make_certificate(world, zhang, expires=date(2024, 7, 20))
        li = make_worker(world, 2, name="李四", team="掘进二队", id_number="")
        make_certificate(world, li, operation_type="blasting", number="B-0002", expires=date(2024, 6, 30))
        wang = make_worker(world, 3, name="王五", id_number="")
        zhao = make_worker(world, 4, name="赵六", special_flag=False, id_number="")
    with clock.frozen(clock.from_local(NOW)):
        yield {"zhang": zhang, "li": li, "wang": wang, "zhao": zhao}


def page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def listed(html: str) -> list[str]:
    return re.findall(r'<tr id="worker-\d+"><td class="num">\d+</td>\s*<td><a href="[^"]+">([^<]+)</a>', html)


def test_the_ledger_shows_each_worker_with_the_state_of_their_certificates(world, login, roster):
    html = page(login(world.mine_head), f"/workforce/mines/{world.a1.pk}/workers/")
    assert "从业人员与特种作业操作证" in html and "甲一煤矿" in html
    assert sorted(listed(html)) == sorted(["张三", "李四", "王五", "赵六"])
    assert "141129********1234" in html and ID_NUMBER not in html  # masked on the page
    row = html[html.index(f'id="worker-{roster["zhang"].pk}"'):]
    assert "井下电气作业 至 2024-07-20" in row[:800] and "即将到期" in row[:800]
    row = html[html.index(f'id="worker-{roster["li"].pk}"'):]
    assert "已过期" in row[:800]
    row = html[html.index(f'id="worker-{roster["wang"].pk}"'):]
    assert "无有效证件" in row[:800]
    assert "操作证到期前 30 天通知矿长和安全员" in html and "未找到依据" in html
    assert f'href="/workforce/mines/{world.a1.pk}/workers/new/"' in html  # the editor's button


@pytest.mark.parametrize("query, names", [
    ("q=张", ["张三"]),
    ("q=141129000100002", ["李四"]),
    ("team=掘进", ["李四"]),
    ("special=false", ["赵六"]),
    ("certificate=expiring", ["张三"]),
    ("certificate=expired", ["李四"]),
    ("certificate=uncertified", ["李四", "王五"]),
])
def test_the_filters(world, login, roster, query, names):
    html = page(login(world.mine_head), f"/workforce/mines/{world.a1.pk}/workers/?{query}")
    assert sorted(listed(html)) == sorted(names)


def test_workers_off_the_roster_are_listed_on_request(world, login, roster):
    actions.deactivate_worker(roster["zhao"].pk, by=world.actor(world.mine_head), reason="离职")
    client = login(world.inspector)
    assert "赵六" not in listed(page(client, f"/workforce/mines/{world.a1.pk}/workers/"))
    assert listed(page(client, f"/workforce/mines/{world.a1.pk}/workers/?roster=inactive")) == ["赵六"]
    html = page(client, f"/workforce/mines/{world.a1.pk}/workers/?certificate=bogus")
    assert "已忽略无效的筛选条件：证件" in html  # a bad value is named, never a 500


def test_a_regulator_reads_but_does_not_edit(world, login, roster):
    client = login(world.inspector)
    html = page(client, f"/workforce/mines/{world.a1.pk}/workers/")
    assert "张三" in html and "登记人员" not in html
    assert client.get(f"/workforce/mines/{world.a1.pk}/workers/new/").status_code == 403
    with unchanged(roster["zhang"]):
        assert client.post(f"/workforce/mines/{world.a1.pk}/workers/{roster['zhang'].pk}/edit/",
                           {"name": "改名"}).status_code == 403


def test_the_ledger_pages_by_fifty_in_few_queries(world, login, django_assert_max_num_queries):
    for n in range(1, 56):
        Worker.objects.create(mine=world.a1, card_code=card(world, n), name=f"工人{n:02d}")
    client = login(world.mine_head)
    url = f"/workforce/mines/{world.a1.pk}/workers/"
    client.get(url)  # warm the session
    with django_assert_max_num_queries(14):
        html = page(client, url)
    assert len(listed(html)) == 50 and "第 1 / 2 页，共 55 条" in html
    assert len(listed(page(client, url + "?page=2"))) == 5


def test_the_export_is_the_filtered_ledger_with_ids_masked(world, login, roster):
    response = login(world.mine_head).get(f"/workforce/mines/{world.a1.pk}/workers/export/?certificate=expiring")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    header = list(next(ws.iter_rows(min_row=3, max_row=3, values_only=True)))
    assert header[:3] == ["人员卡编码", "姓名", "身份证号"] and "证件状态" in header
    assert [r[1] for r in rows] == ["张三"]
    assert rows[0][2] == "141129********1234" and rows[0][9] == "井下电气作业" and rows[0][-1] == "即将到期"
    assert AuditEvent.objects.filter(verb="core.export.downloaded", actor=world.mine_head).exists()


def test_the_worker_page_shows_certificates_history_and_the_reveal(world, login, roster):
    zhang = roster["zhang"]
    actions.update_worker(zhang.pk, by=world.actor(world.mine_head), data={"team": "机电三队"})
    html = page(login(world.inspector), zhang.get_absolute_url())
    assert "141129000100001" in html and "机电三队" in html
    assert "T141129********1234" in html and "2024-07-20" in html and "即将到期" in html  # the number holds the ID
    assert "登记特种作业操作证" in html and "修改从业人员信息" in html  # history of the worker and its certificate
    assert "141129********1234" in html and ID_NUMBER not in html
    reveal = f"/workforce/mines/{world.a1.pk}/workers/{zhang.pk}/reveal/"
    assert reveal in html
    body = login(world.inspector).post(reveal).content.decode()
    assert ID_NUMBER in body and "已记录查看" in body
    assert AuditEvent.objects.filter(verb="workforce.worker.personal_data_viewed", actor=world.inspector).count() == 1
    # a mine user without the permission has no button, and pressing it anyway shows nothing
    officer = login(world.mine_safety_officer)
    assert reveal not in page(officer, zhang.get_absolute_url())
    with unchanged(zhang):  # and no "personal data viewed" event
        assert officer.post(reveal).status_code in (403, 404)


def test_register_edit_and_deactivate_through_the_forms(world, login):
    client = login(world.mine_safety_officer)
    base = f"/workforce/mines/{world.a1.pk}/workers/"
    form = page(client, base + "new/")
    assert 'value="1411290001"' in form  # the card starts with the mine's code
    with unchanged(Worker):
        bad = client.post(base + "new/", {"card_code": "141181000100001", "name": "张三"}).content.decode()
    assert "不是以本矿编码 1411290001 开头" in bad and not Worker.objects.exists()
    response = client.post(base + "new/", {"card_code": "141129000100007", "name": "孙七", "id_number": ID_NUMBER,
                                           "team": "通风队", "special_flag": "on"})
    worker = Worker.objects.get(card_code="141129000100007")
    assert response.status_code == 302 and response["Location"] == worker.get_absolute_url()
    edit = page(client, base + f"{worker.pk}/edit/")
    assert "141129********1234" in edit and ID_NUMBER not in edit  # the form never shows the full number
    client.post(base + f"{worker.pk}/edit/", {"card_code": "141129000100007", "name": "孙七", "id_number": "141129********1234",
                                              "team": "通风二队", "special_flag": "on"})
    worker.refresh_from_db()
    assert (worker.team, worker.id_number) == ("通风二队", ID_NUMBER)  # the mask sent back keeps the number
    with unchanged(worker, OperatorCertificate):
        client.post(base + f"{worker.pk}/certificates/new/", {"operation_type": "safety_monitoring", "number": "M-1",
                                                             "issued": "2024-01-01", "expires": "2023-01-01"})
    client.post(base + f"{worker.pk}/certificates/new/", {"operation_type": "safety_monitoring", "number": "M-1",
                                                         "issued": "2023-01-01", "expires": "2029-01-01"})
    assert worker.certificates.get().number == "M-1"
    assert client.get(base + f"{worker.pk}/deactivate/").status_code == 405
    client.post(base + f"{worker.pk}/deactivate/", {"reason": "调离"})
    worker.refresh_from_db()
    assert not worker.active
    assert "不在册" in page(client, worker.get_absolute_url())


# --- access: every page of ours is a 404 to another mine's or another county's user ----------------------

def _our_urls(world, roster) -> list[str]:  # type: ignore[no-untyped-def]
    zhang = roster["zhang"]
    cert = zhang.certificates.get()
    m = world.a1.pk
    return [f"/workforce/mines/{m}/workers/", f"/workforce/mines/{m}/workers/export/",
            f"/workforce/mines/{m}/workers/new/", f"/workforce/mines/{m}/workers/import/",
            f"/workforce/mines/{m}/workers/import/template/", f"/workforce/mines/{m}/workers/{zhang.pk}/",
            f"/workforce/mines/{m}/workers/{zhang.pk}/edit/", f"/workforce/mines/{m}/workers/{zhang.pk}/deactivate/",
            f"/workforce/mines/{m}/workers/{zhang.pk}/reactivate/", f"/workforce/mines/{m}/workers/{zhang.pk}/reveal/",
            f"/workforce/mines/{m}/workers/{zhang.pk}/certificates/new/", f"/workforce/mines/{m}/certificates/{cert.pk}/",
            f"/workforce/mines/{m}/certificates/{cert.pk}/delete/", f"/registry/mines/{m}/production/"]


@pytest.mark.parametrize("persona", ["foreign_mine_head", "foreign_inspector"])
def test_every_new_page_is_a_404_to_another_mine_or_county(world, login, roster, persona):
    client = login(getattr(world, persona))
    for url in _our_urls(world, roster):
        assert client.get(url).status_code in (404, 405), url
        with unchanged(Worker, OperatorCertificate):
            assert client.post(url, {"name": "改名", "reason": "x", "month": "2024-06",
                                     "tonnes": "1"}).status_code == 404, url
    assert OperatorCertificate.objects.count() == 2


def test_our_worker_is_a_404_under_another_mines_address(world, login, roster):
    """The mine in the address must be the worker's: A1's worker under A2's address is not found."""
    client = login(world.inspector)
    assert client.get(f"/workforce/mines/{world.a2.pk}/workers/{roster['zhang'].pk}/").status_code == 404
    ours = client.get(f"/workforce/mines/{world.a1.pk}/workers/{roster['zhang'].pk}/")
    assert ours.status_code == 200 and "张三" in ours.content.decode()


def test_the_dossier_links_the_workers_list(world, login):
    html = page(login(world.inspector), f"/registry/mines/{world.a1.pk}/")
    assert f'href="{reverse("workforce:worker_list", args=[world.a1.pk])}"' in html and ">从业人员</a>" in html


def test_the_certificate_form_never_shows_the_id_number_in_its_number(world, login, roster):
    cert = roster["zhang"].certificates.get()
    client = login(world.mine_head)
    url = f"/workforce/mines/{world.a1.pk}/certificates/{cert.pk}/"
    html = page(client, url)
    assert 'value="T141129********1234"' in html and ID_NUMBER not in html
    sent = {"operation_type": "underground_electrical", "number": "T141129********1234", "issued": "2022-01-10",
            "expires": "2030-01-09"}
    assert client.post(url, sent).status_code == 302
    cert.refresh_from_db()
    assert (cert.number, cert.expires) == ("T141129198505051234", date(2030, 1, 9))  # the mask kept the number
    refused = client.post(url, {**sent, "number": "T141129****0000"}).content.decode()
    assert "请填写完整的操作证号" in refused
    cert.refresh_from_db()
    assert cert.number == "T141129198505051234"


def test_the_workers_page_is_english_too(world, login, roster):
    client = login(world.mine_head)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    try:
        html = page(client, f"/workforce/mines/{world.a1.pk}/workers/")
        detail = page(client, roster["zhang"].get_absolute_url())
    finally:
        client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "Workers and special operation certificates" in html and "Expiring soon" in html
    assert "Underground electrical work" in detail and "Special operation certificate" in detail
    for chinese in ("从业人员与特种作业操作证", "即将到期", "人员卡编码", "特种作业操作证"):
        assert chinese not in html + detail


def test_the_django_admin_shows_and_audits_numbers_masked(world, login, roster):
    """The system administrator (staff) sees the worker's ID and the certificate's number masked, and a change
    made there is audited with the number masked."""
    world.county_admin.is_staff = True
    world.county_admin.save(update_fields=["is_staff"])
    admin = login(world.county_admin)
    zhang = roster["zhang"]
    cert = zhang.certificates.get()
    for url in (f"/admin/workforce/worker/{zhang.pk}/change/", f"/admin/workforce/operatorcertificate/{cert.pk}/change/",
                "/admin/workforce/operatorcertificate/", "/admin/workforce/worker/"):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert ID_NUMBER not in response.content.decode(), url
    assert "T141129********1234" in admin.get(f"/admin/workforce/operatorcertificate/{cert.pk}/change/").content.decode()
    response = admin.post(f"/admin/workforce/operatorcertificate/{cert.pk}/change/", {
        "worker": zhang.pk, "operation_type": "underground_electrical", "issued": "2022-01-10", "expires": "2031-01-09"})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert (cert.expires, cert.number) == (date(2031, 1, 9), "T141129198505051234")
    event = AuditEvent.objects.filter(verb="workforce.operatorcertificate.updated", via="admin").get()
    assert event.after["number"] == "T141129********1234" and ID_NUMBER not in str(event.before)
