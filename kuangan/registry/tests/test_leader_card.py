"""A leadership member's person card (LeadershipMember.card_code, issue 20): optional; when set, the mine's code
and 5 characters, and held by one member of the mine at most; edited in the leadership form, shown in the table."""

from __future__ import annotations

import re

import pytest

from kuangan.core.errors import DomainError
from kuangan.registry import actions
from kuangan.registry.models import LeadershipMember
from kuangan.testing import assert_audited

MEMBER = {"post": "mine_head", "name": "刘矿长", "id_number": "", "phone": "", "education": "bachelor", "major": "采矿工程",
          "major_is_mining": True, "frontline_years": 15, "appointed_on": None, "holds_mine_head_post": False,
          "active": True}


def save(world, record_id=None, user=None, **data):  # type: ignore[no-untyped-def]
    return actions.save_mine_record("leadership", world.a1.pk, by=world.actor(user or world.mine_head),
                                    data={**MEMBER, **data}, record_id=record_id)


def test_a_member_may_have_no_card_or_one_of_the_mine(world):
    first = save(world)
    second = save(world, name="陈副矿长", post="safety_deputy", card_code="141129000100001")
    assert (first.card_code, LeadershipMember.objects.get(pk=second.pk).card_code) == ("", "141129000100001")
    event = assert_audited("registry.leadershipmember.created", second, by=world.mine_head)
    assert event.after["card_code"] == "141129000100001"


@pytest.mark.parametrize("card, message", [
    ("141181000100001", "不是以本矿编码 1411290001 开头"),
    ("1411290001001", "共 15 位"),
])
def test_a_card_of_another_mine_or_the_wrong_length_is_refused(world, card, message):
    member = save(world)
    with pytest.raises(DomainError) as refused:
        save(world, record_id=member.pk, card_code=card)
    assert message in refused.value.message and refused.value.field == "card_code"
    assert LeadershipMember.objects.get(pk=member.pk).card_code == ""
    with pytest.raises(DomainError, match=re.escape(message)):
        save(world, name="新成员", card_code=card)
    assert LeadershipMember.objects.count() == 1


def test_one_card_one_member_per_mine(world):
    save(world, card_code="141129000100001")
    with pytest.raises(DomainError) as refused:
        save(world, name="陈副矿长", post="safety_deputy", card_code="141129000100001")
    assert "已登记给本矿领导班子成员 刘矿长" in refused.value.message
    assert LeadershipMember.objects.count() == 1
    save(world, name="陈副矿长", post="safety_deputy", card_code="")  # several without a card are fine
    assert LeadershipMember.objects.count() == 2


def test_the_form_edits_it_and_the_table_shows_it(world, login):
    member = save(world)
    client = login(world.mine_head)
    url = f"/registry/mines/{world.a1.pk}/leadership/{member.pk}/"
    form = client.get(url).content.decode()
    assert 'name="card_code"' in form and "人员卡编码" in form
    data = {**{k: v for k, v in MEMBER.items() if v not in (None, False)}, "major_is_mining": "on", "active": "on"}
    bad = client.post(url, {**data, "card_code": "141181000100001"}).content.decode()
    assert "不是以本矿编码 1411290001 开头" in bad
    assert client.post(url, {**data, "card_code": "141129000100009"}).status_code == 302
    assert LeadershipMember.objects.get(pk=member.pk).card_code == "141129000100009"
    table = client.get(f"/registry/mines/{world.a1.pk}/?tab=leadership").content.decode()
    row = table[table.index(f'id="leader-{member.pk}"'):][:400]
    assert "刘矿长" in row and "141129000100009" in row
