"""Issue 18, "seen by the user": one message per upload error, one highlighted menu entry, Chinese
messages without internal names, a message after unlocking, no source notes on the standards page."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from kuangan.core import clock
from kuangan.hazards.models import HazardStandardItem
from kuangan.testing import mine_data


def _active_entries(body: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" class="active">([^<]*)</a>', body)


def test_a_bad_photo_is_named_once(world, login):
    client = login(world.mine_safety_officer)
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
    bad = SimpleUploadedFile("现场记录.txt", b"not a photo", content_type="text/plain")
    response = client.post("/hazards/report/", {
        "mine": world.a1.pk, "level": "major", "standard_item": item.pk, "source": "self_inspection",
        "found_at": "2024-06-30T07:00", "found_by": "安全科", "description": "传感器未标校", "photos": [bad]})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("“现场记录.txt”的类型不受支持") == 1


def test_one_menu_entry_is_highlighted(world, login):
    client = login(world.mine_safety_officer)
    assert _active_entries(client.get("/hazards/report/").content.decode()) == ["登记隐患"]
    assert _active_entries(client.get("/hazards/").content.decode()) == ["隐患台账"]
    assert _active_entries(client.get("/").content.decode()) == ["首页"]


def test_a_dropped_filter_is_named_by_its_label(world, login):
    body = login(world.inspector).get("/hazards/?found_from=2024-13-45").content.decode()
    assert "已忽略无效的筛选条件：排查日期（起）" in body
    assert "found_from" not in body.split("已忽略无效的筛选条件")[1][:50]


def test_a_taken_mine_code_is_said_in_plain_chinese(world, login):
    data = {k: v for k, v in mine_data().items()}
    data.update(code=world.a1.code, name="重名煤矿", enterprise=world.ent_a.pk, division=world.a1.division_id)
    body = login(world.inspector).post("/registry/mines/new/", data).content.decode()
    assert "该矿山编码已存在。" in body and "具有" not in body


def test_unlocking_says_so(world, login):
    world.inspector.locked_until = clock.now() + timedelta(minutes=30)
    world.inspector.save(update_fields=["locked_until"])
    response = login(world.sec_admin).post(f"/system/security/{world.inspector.pk}/unlock/", follow=True)
    assert f"已解锁 {world.inspector.username}。" in response.content.decode()


def test_the_standards_page_shows_no_notes_on_sources(world, login):
    body = login(world.mine_head).get("/hazards/standards/").content.decode()
    assert "C04-02" in body and "原文待核对" in body
    for internal in ("GitHub", "falvchangshi", "RULES.md", "[S]", "回译"):
        assert internal not in body, internal
