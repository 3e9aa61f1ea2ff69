"""Pure rules of the dossier (R1.1–R1.3), including their boundaries."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuangan.registry import rules
from kuangan.registry.choices import Education, LeadershipPost, LevelStatus, LicenceKind, MineKind, MineStatus

pytestmark = pytest.mark.nodb

COAL = rules.MineFacts(kind=MineKind.COAL_UNDERGROUND, status=MineStatus.PRODUCING, has_upgrade_project=False)
TODAY = date(2024, 6, 30)


def qualified(post: str, name: str = "张三", years: int = 12) -> rules.Member:
    return rules.Member(post, name, Education.BACHELOR, True, years)


def full_roster() -> list[rules.Member]:
    return [qualified(p) for p in rules.FIVE_HEADS + (LeadershipPost.VENTILATION_DEPUTY,) + rules.FIVE_SECTIONS]


def codes(findings: list[rules.Finding]) -> list[str]:
    return [f.code for f in findings]


def test_a_complete_qualified_roster_has_no_findings():
    assert rules.leadership_findings(COAL, full_roster()) == []


def test_each_vacant_head_post_is_named():
    roster = [m for m in full_roster() if m.post != LeadershipPost.CHIEF_ENGINEER]
    findings = rules.leadership_findings(COAL, roster)
    assert codes(findings) == ["post_vacant"]
    assert "总工程师" in findings[0].message


@pytest.mark.parametrize("years,flagged", [(9, True), (10, False)])
def test_five_heads_need_ten_years_at_the_front_line(years, flagged):
    roster = [m for m in full_roster() if m.post != LeadershipPost.SAFETY_DEPUTY]
    roster.append(qualified(LeadershipPost.SAFETY_DEPUTY, "李四", years))
    assert ("unqualified_head" in codes(rules.leadership_findings(COAL, roster))) is flagged


@pytest.mark.parametrize("years,flagged", [(4, True), (5, False)])
def test_section_heads_need_five_years(years, flagged):
    roster = [m for m in full_roster() if m.post != LeadershipPost.VENTILATION_SECTION]
    roster.append(qualified(LeadershipPost.VENTILATION_SECTION, "王五", years))
    assert ("unqualified_section_head" in codes(rules.leadership_findings(COAL, roster))) is flagged


def test_a_head_below_college_or_outside_mining_is_flagged_with_both_gaps():
    roster = [m for m in full_roster() if m.post != LeadershipPost.MINE_HEAD]
    roster.append(rules.Member(LeadershipPost.MINE_HEAD, "赵六", Education.TECHNICAL_SECONDARY, False, 20))
    [finding] = rules.leadership_findings(COAL, roster)
    assert "学历低于大专" in finding.message and "非矿山主体专业" in finding.message


def test_underground_coal_needs_a_ventilation_deputy_open_pit_does_not():
    roster = [m for m in full_roster() if m.post != LeadershipPost.VENTILATION_DEPUTY]
    assert codes(rules.leadership_findings(COAL, roster)) == ["ventilation_deputy_missing"]
    open_pit = rules.MineFacts(MineKind.COAL_OPEN_PIT, MineStatus.PRODUCING, False)
    assert rules.leadership_findings(open_pit, roster) == []


def test_a_producing_mine_with_an_upgrade_project_needs_a_construction_deputy():
    upgrading = rules.MineFacts(MineKind.COAL_UNDERGROUND, MineStatus.PRODUCING, True)
    assert codes(rules.leadership_findings(upgrading, full_roster())) == ["construction_deputy_missing"]
    roster = [*full_roster(), qualified(LeadershipPost.CONSTRUCTION_DEPUTY)]
    assert rules.leadership_findings(upgrading, roster) == []


def test_a_chairman_above_the_mine_head_is_flagged_unless_the_head_holds_it():
    chairman = rules.Member(LeadershipPost.CHAIRMAN, "钱七", Education.BACHELOR, False, 0)
    assert codes(rules.leadership_findings(COAL, [*full_roster(), chairman])) == ["post_above_head"]
    held = rules.Member(LeadershipPost.CHAIRMAN, "钱七", Education.BACHELOR, False, 0, holds_mine_head_post=True)
    assert rules.leadership_findings(COAL, [*full_roster(), held]) == []


def test_a_closed_mine_has_no_roster_findings():
    closed = rules.MineFacts(MineKind.COAL_UNDERGROUND, MineStatus.CLOSED, False)
    assert rules.leadership_findings(closed, []) == []


# An oracle of R1.2 written from the requirement itself (ZY 5, JC 1–2, XZ 3), not from rules.py: posts and
# education by their values, the front-line minimums as numbers.
HEAD_POSTS = {"mine_head", "chief_engineer", "safety_deputy", "production_deputy", "electromechanical_deputy"}
SECTION_POSTS = {"safety_section", "production_section", "electromechanical_section", "ventilation_section",
                 "survey_water_section"}
COLLEGE = {"junior_college", "bachelor", "postgraduate"}


def member_gaps(m: rules.Member) -> set[str]:
    """The gaps a member of the five heads (大专+, mining major, 10 years) or five sections (mining major,
    5 years) has, as the words the finding uses; no gaps for any other post."""
    if m.post in HEAD_POSTS:
        needs_college, min_years = True, 10
    elif m.post in SECTION_POSTS:
        needs_college, min_years = False, 5
    else:
        return set()
    gaps = set()
    if needs_college and m.education not in COLLEGE:
        gaps.add("学历低于大专")
    if not m.major_is_mining:
        gaps.add("非矿山主体专业")
    if m.frontline_years < min_years:
        gaps.add(f"不足 {min_years} 年")
    return gaps


def expected_leadership_codes(mine: rules.MineFacts, roster: list[rules.Member]) -> Counter[str]:
    """How many findings of each kind the roster (its serving members) should have."""
    if mine.status == "closed":
        return Counter()
    coal = mine.kind in ("coal_underground", "coal_open_pit")
    posts = {m.post for m in roster}
    found: Counter[str] = Counter()
    if coal:
        found["post_vacant"] = len(HEAD_POSTS - posts)
        for m in roster:
            if member_gaps(m):
                found["unqualified_head" if m.post in HEAD_POSTS else "unqualified_section_head"] += 1
    if mine.kind == "coal_underground" and "ventilation_deputy" not in posts:
        found["ventilation_deputy_missing"] += 1
    if coal and mine.status == "producing" and mine.has_upgrade_project and "construction_deputy" not in posts:
        found["construction_deputy_missing"] += 1
    found["post_above_head"] = sum(1 for m in roster
                                   if m.post in ("chairman", "general_manager") and not m.holds_mine_head_post)
    return +found  # drop the zero counts


def member_facts(post: str) -> st.SearchStrategy[tuple]:
    """Qualified and unqualified alike: any education, major, years around both minimums, held or not."""
    return st.tuples(st.just(post), st.sampled_from(Education.values), st.booleans(), st.integers(0, 40),
                     st.booleans())


@st.composite
def rosters(draw: st.DrawFn) -> list[rules.Member]:
    """0–2 members per post (so complete, partial and doubled rosters all occur), each named uniquely."""
    facts = [draw(member_facts(post)) for post in LeadershipPost.values for _ in range(draw(st.integers(0, 2)))]
    return [rules.Member(post, f"成员{i:02d}", education, mining, years, holds)
            for i, (post, education, mining, years, holds) in enumerate(facts)]


mines = st.builds(rules.MineFacts, st.sampled_from(MineKind.values), st.sampled_from(MineStatus.values), st.booleans())


@settings(max_examples=300, deadline=None)
@given(mines, rosters())
def test_the_roster_findings_are_what_the_requirement_says(mine, roster):
    findings = rules.leadership_findings(mine, roster)
    assert Counter(codes(findings)) == expected_leadership_codes(mine, roster)
    assert all(f.severity == "violation" for f in findings)
    applies = mine.status != "closed" and mine.kind in ("coal_underground", "coal_open_pit")
    unqualified = [f.message for f in findings if f.code in ("unqualified_head", "unqualified_section_head")]
    for m in roster:  # each unqualified member is named once, with exactly the gaps it has
        named = [text for text in unqualified if f"{m.name}：" in text]
        gaps = member_gaps(m) if applies else set()
        if not gaps:
            assert named == [], (m, named)
            continue
        [message] = named
        assert {g for g in ("学历低于大专", "非矿山主体专业", "不足 10 年", "不足 5 年") if g in message} == gaps, message
        assert message.startswith(f"{LeadershipPost(m.post).label} {m.name}：")
    vacant = [f.message for f in findings if f.code == "post_vacant"]
    for post in HEAD_POSTS - {m.post for m in roster}:  # each vacant head post is named
        assert sum(text.startswith(f"{LeadershipPost(post).label}空缺") for text in vacant) == int(applies), post


@given(st.lists(st.sampled_from(LevelStatus.values), max_size=8))
def test_more_than_two_producing_levels_is_a_finding(statuses):
    producing = statuses.count(LevelStatus.PRODUCING)
    assert bool(rules.level_findings(COAL, statuses)) is (producing > 2)


def lic(kind: str, expires: date | None) -> rules.LicenceFacts:
    return rules.LicenceFacts(kind, "X-1", expires)


@pytest.mark.parametrize("expires,expected", [
    (TODAY - timedelta(days=1), "licence_expired"),
    (TODAY, "licence_expiring"),  # still valid on its last day
    (TODAY + timedelta(days=90), "licence_expiring"),
    (TODAY + timedelta(days=91), None),
    (None, None),
])
def test_licence_expiry_boundaries(expires, expected):
    licences = [lic(LicenceKind.MINING, expires), lic(LicenceKind.SAFETY_PRODUCTION, None),
                lic(LicenceKind.BUSINESS, None)]
    assert codes(rules.licence_findings(COAL, licences, TODAY)) == ([expected] if expected else [])
    assert rules.licences_complete(licences, TODAY) is (expected != "licence_expired")


def test_missing_licences_are_named():
    findings = rules.licence_findings(COAL, [lic(LicenceKind.BUSINESS, None)], TODAY)
    assert [f.message for f in findings] == ["缺少采矿许可证", "缺少安全生产许可证"]
    assert not rules.licences_complete([lic(LicenceKind.BUSINESS, None)], TODAY)


def test_only_changed_regulated_fields_count_as_regulated_changes():
    current = {"gas_class": "high", "approved_capacity": 120, "status": "producing"}
    data = {"gas_class": "high", "approved_capacity": 300, "address": "新地址", "supervision_class": "A"}
    assert rules.regulated_changes(current, data) == ["approved_capacity"]
    assert rules.regulated_changes(current, {"address": "新地址"}) == []


@given(st.dictionaries(st.sampled_from(rules.REGULATED_MINE_FIELDS), st.integers(0, 3), min_size=1),
       st.sampled_from(rules.REGULATED_MINE_FIELDS))
def test_a_proposal_is_stale_exactly_in_the_fields_changed_since(then, touched):
    assert rules.stale_fields(then, dict(then)) == []
    now = {**then, touched: 99}
    assert rules.stale_fields(then, now) == ([touched] if touched in then else [])
