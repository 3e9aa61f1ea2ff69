"""Leadership rules of a mine that is not a coal mine (R1.2): the coal mines' 五职 and their qualifications do
not apply to it; a post set above the mine head does."""

from __future__ import annotations

import pytest

from kuangan.registry import rules
from kuangan.registry.choices import Education, LeadershipPost, MineKind, MineStatus

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize("kind", [MineKind.METAL_UNDERGROUND, MineKind.METAL_OPEN_PIT, MineKind.TAILINGS_POND])
def test_a_non_coal_mine_needs_no_coal_leadership_and_keeps_the_post_above_head_rule(kind):
    mine = rules.MineFacts(kind=kind, status=MineStatus.PRODUCING, has_upgrade_project=True)
    assert rules.leadership_findings(mine, []) == []  # no post vacant: 五职 is the coal mines' rule
    unqualified_head = rules.Member(LeadershipPost.MINE_HEAD, "赵六", Education.TECHNICAL_SECONDARY, False, 1)
    assert rules.leadership_findings(mine, [unqualified_head]) == []
    chairman = rules.Member(LeadershipPost.CHAIRMAN, "钱七", Education.BACHELOR, True, 20)
    [finding] = rules.leadership_findings(mine, [unqualified_head, chairman])
    assert finding.code == "post_above_head" and "钱七" in finding.message and "应由矿长兼任" in finding.message
