"""The leadership findings of a stored roster (R1.2): only serving members (在任) count, on the dossier and in
the facts of the supervision class alike; a member who left neither fills a post nor is found unqualified."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuangan.core import clock
from kuangan.enforcement.queries import class_facts
from kuangan.registry import queries, rules
from kuangan.registry.choices import Education, LeadershipPost
from kuangan.registry.models import LeadershipMember, Mine

from .test_rules import expected_leadership_codes

TODAY = date(2024, 6, 30)
NOON = datetime(2024, 6, 30, 12, tzinfo=clock.SHANGHAI)
LEADERSHIP_CODES = {"post_vacant", "unqualified_head", "unqualified_section_head", "ventilation_deputy_missing",
                    "construction_deputy_missing", "post_above_head"}

stored_members = st.lists(st.fixed_dictionaries({
    "post": st.sampled_from(LeadershipPost.values), "education": st.sampled_from(Education.values),
    "major_is_mining": st.booleans(), "frontline_years": st.integers(0, 40), "holds_mine_head_post": st.booleans(),
    "active": st.booleans(),
}), max_size=14)


# One world for all examples: each example writes its roster inside a savepoint it rolls back.
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(roster=stored_members)
def test_only_serving_members_count(world, roster):
    with transaction.atomic():
        for i, member in enumerate(roster):
            LeadershipMember.objects.create(mine=world.a1, name=f"成员{i:02d}", **member)
        mine = Mine.objects.get(pk=world.a1.pk)
        dossier = [f for f in queries.mine_findings(mine, TODAY) if f.code in LEADERSHIP_CODES]
        classed = class_facts([mine], NOON).get(mine.pk)
        transaction.set_rollback(True)
    serving = [rules.Member(m["post"], f"成员{i:02d}", m["education"], m["major_is_mining"], m["frontline_years"],
                            m["holds_mine_head_post"]) for i, m in enumerate(roster) if m["active"]]
    facts = rules.MineFacts(world.a1.kind, world.a1.status, world.a1.has_upgrade_project)
    assert Counter(f.code for f in dossier) == expected_leadership_codes(facts, serving)
    left = {f"成员{i:02d}：" for i, m in enumerate(roster) if not m["active"]}
    assert not [f.message for f in dossier if any(name in f.message for name in left)]  # never named
    assert classed is not None and sorted(classed.leadership_findings) == sorted(f.message for f in dossier)
