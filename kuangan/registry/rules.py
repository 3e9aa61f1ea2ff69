"""Pure rules of the mine dossier: leadership qualification (R1.2), mining levels (R1.3) and
licences (R1.1). They take plain facts and return findings; no ORM, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from .choices import Education, LeadershipPost, LevelStatus, LicenceKind, MineKind, MineStatus
from .constants import (
    ANNUAL_CAPACITY_PERCENT,
    CARD_SUFFIX_LENGTH,
    FIVE_HEADS_MIN_FRONTLINE_YEARS,
    LICENCE_EXPIRY_WARNING_DAYS,
    MAX_PRODUCING_LEVELS,
    MONTHLY_CAPACITY_PERCENT,
    SECTION_HEADS_MIN_FRONTLINE_YEARS,
)

FIVE_HEADS = (
    LeadershipPost.MINE_HEAD, LeadershipPost.CHIEF_ENGINEER, LeadershipPost.SAFETY_DEPUTY,
    LeadershipPost.PRODUCTION_DEPUTY, LeadershipPost.ELECTROMECHANICAL_DEPUTY,
)
FIVE_SECTIONS = (
    LeadershipPost.SAFETY_SECTION, LeadershipPost.PRODUCTION_SECTION, LeadershipPost.ELECTROMECHANICAL_SECTION,
    LeadershipPost.VENTILATION_SECTION, LeadershipPost.SURVEY_WATER_SECTION,
)
POSTS_ABOVE_HEAD = (LeadershipPost.CHAIRMAN, LeadershipPost.GENERAL_MANAGER)
COLLEGE_OR_ABOVE = (Education.JUNIOR_COLLEGE, Education.BACHELOR, Education.POSTGRADUATE)
COAL_KINDS = (MineKind.COAL_UNDERGROUND, MineKind.COAL_OPEN_PIT)
REQUIRED_LICENCES = (LicenceKind.MINING, LicenceKind.SAFETY_PRODUCTION, LicenceKind.BUSINESS)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # "violation" or "warning"
    message: str
    source: str  # the requirement and seed it comes from, shown beside the finding


@dataclass(frozen=True)
class MineFacts:
    kind: str
    status: str
    has_upgrade_project: bool


@dataclass(frozen=True)
class Member:
    post: str
    name: str
    education: str
    major_is_mining: bool
    frontline_years: int
    holds_mine_head_post: bool = False


@dataclass(frozen=True)
class LicenceFacts:
    kind: str
    number: str
    expires_on: date | None


def _label(post: str) -> str:
    return str(LeadershipPost(post).label)


def _qualification_gaps(m: Member, *, college: bool, min_years: int) -> list[str]:
    gaps = []
    if college and m.education not in COLLEGE_OR_ABOVE:
        gaps.append(_("学历低于大专"))
    if not m.major_is_mining:
        gaps.append(_("非矿山主体专业"))
    if m.frontline_years < min_years:
        gaps.append(_("一线从业经历 %(years)d 年，不足 %(min)d 年") % {"years": m.frontline_years, "min": min_years})
    return gaps


def _gaps(post: str, name: str, gaps: list[str]) -> str:
    return _("%(post)s %(name)s：%(gaps)s") % {"post": _label(post), "name": name, "gaps": _("；").join(gaps)}


def leadership_findings(mine: MineFacts, roster: Iterable[Member]) -> list[Finding]:
    """R1.2: the roster's gaps and unqualified members (only active members are passed in)."""
    if mine.status == MineStatus.CLOSED:
        return []
    members = list(roster)
    by_post: dict[str, list[Member]] = {}
    for m in members:
        by_post.setdefault(m.post, []).append(m)
    findings: list[Finding] = []
    if mine.kind in COAL_KINDS:
        for post in FIVE_HEADS:
            if post not in by_post:
                findings.append(Finding("post_vacant", "violation", _("%(post)s空缺（“五职”矿长须配齐）") % {"post": _label(post)},
                                        "R1.2 · 中阳县要点 5"))
        # (posts, code, needs college, minimum front-line years, source)
        for posts, code, college, years, source in (
                (FIVE_HEADS, "unqualified_head", True, FIVE_HEADS_MIN_FRONTLINE_YEARS, "R1.2 · 晋城市三年行动 1"),
                (FIVE_SECTIONS, "unqualified_section_head", False, SECTION_HEADS_MIN_FRONTLINE_YEARS,
                 "R1.2 · 晋城市三年行动 2")):
            for post in posts:
                for m in by_post.get(post, []):
                    gaps = _qualification_gaps(m, college=college, min_years=years)
                    if gaps:
                        findings.append(Finding(code, "violation", _gaps(post, m.name, gaps), source))
    if mine.kind == MineKind.COAL_UNDERGROUND and LeadershipPost.VENTILATION_DEPUTY not in by_post:
        findings.append(Finding("ventilation_deputy_missing", "violation", _("井工煤矿未配备通风副矿长"),
                                "R1.2 · 中阳县要点 5"))
    if (mine.kind in COAL_KINDS and mine.status == MineStatus.PRODUCING and mine.has_upgrade_project
            and LeadershipPost.CONSTRUCTION_DEPUTY not in by_post):
        findings.append(Finding("construction_deputy_missing", "violation",
                                _("生产煤矿存在技改（基建）项目，未配备基建副矿长"), "R1.2 · 中阳县要点 5"))
    for post in POSTS_ABOVE_HEAD:
        for m in by_post.get(post, []):
            if not m.holds_mine_head_post:
                findings.append(Finding("post_above_head", "violation",
                                        _("在矿长之上设%(post)s（%(name)s），应由矿长兼任")
                                        % {"post": _label(post), "name": m.name},
                                        "R1.2 · 忻州转发省“学铁规”活动 3"))
    return findings


def level_findings(mine: MineFacts, level_statuses: Iterable[str]) -> list[Finding]:
    """R1.3: more than MAX_PRODUCING_LEVELS levels in production at once."""
    producing = sum(1 for s in level_statuses if s == LevelStatus.PRODUCING)
    if producing > MAX_PRODUCING_LEVELS and mine.status != MineStatus.CLOSED:
        return [Finding("too_many_levels", "violation",
                        _("同时生产的水平有 %(n)d 个，超过 %(max)d 个") % {"n": producing, "max": MAX_PRODUCING_LEVELS}, "R1.3 · 中阳县要点 10")]
    return []


def licence_findings(mine: MineFacts, licences: Iterable[LicenceFacts], today: date) -> list[Finding]:
    """R1.1: missing, expired and soon-expiring licences of a mine that is not closed."""
    if mine.status == MineStatus.CLOSED:
        return []
    findings = []
    by_kind = {lic.kind: lic for lic in licences}
    for kind in REQUIRED_LICENCES:
        label = str(LicenceKind(kind).label)
        lic = by_kind.get(kind)
        if lic is None:
            findings.append(Finding("licence_missing", "violation", _("缺少%(licence)s") % {"licence": label}, "R1.1"))
        elif lic.expires_on is not None and lic.expires_on < today:
            findings.append(Finding("licence_expired", "violation",
                                    _("%(licence)s（%(number)s）已于 %(date)s 过期")
                                    % {"licence": label, "number": lic.number, "date": lic.expires_on.isoformat()}, "R1.1"))
        elif lic.expires_on is not None and (lic.expires_on - today).days <= LICENCE_EXPIRY_WARNING_DAYS:
            findings.append(Finding("licence_expiring", "warning",
                                    _("%(licence)s（%(number)s）将于 %(date)s 到期")
                                    % {"licence": label, "number": lic.number, "date": lic.expires_on.isoformat()}, "R1.1"))
    return findings


def licences_complete(licences: Iterable[LicenceFacts], today: date) -> bool:
    """All required licences present and in force (used by the closure-proposal rule of R2.8)."""
    in_force = {lic.kind for lic in licences if lic.expires_on is None or lic.expires_on >= today}
    return all(k in in_force for k in REQUIRED_LICENCES)


# Regulated facts (issue 17): set by the regulator of the mine's county or above; a mine or
# enterprise proposes a change with evidence and the county approves it. The supervision class is
# the enforcement module's: computed there, or overridden there with a reason (COMPUTED_FIELDS in forms.py).
REGULATED_MINE_FIELDS = ("status", "approved_capacity", "gas_class", "hydro_type", "rock_burst",
                         "spontaneous_combustion")
REGULATED_RECORDS = ("licence", "face")


def regulated_changes(current: Mapping[str, object], data: Mapping[str, object]) -> list[str]:
    """The regulated mine fields that `data` would change."""
    return [f for f in REGULATED_MINE_FIELDS if f in data and data[f] != current.get(f)]


def stale_fields(then: Mapping[str, object], now: Mapping[str, object]) -> list[str]:
    """The fields that changed since a proposal was made, so that approving it does not silently
    overwrite a newer value."""
    return [f for f, v in then.items() if now.get(f) != v]


# --- person cards and production returns (issue 20) -----------------------------------------------------

def card_code_problem(card_code: str, mine_code: str) -> str | None:
    """Why `card_code` cannot be a person card of the mine coded `mine_code` (None: it can). A card is the
    mine's code followed by CARD_SUFFIX_LENGTH digits or letters (FORMATS.md §1): a mine speaks only for its
    own people."""
    length = len(mine_code) + CARD_SUFFIX_LENGTH
    if not card_code.startswith(mine_code):
        return _("人员卡编码 %(card)s 不是以本矿编码 %(code)s 开头：人员卡编码为矿山编码加 %(n)d 位。") % {
            "card": card_code, "code": mine_code, "n": CARD_SUFFIX_LENGTH}
    suffix = card_code[len(mine_code):]
    if len(card_code) != length or not suffix.isascii() or not suffix.isalnum():
        return _("人员卡编码应为本矿编码 %(code)s 加 %(n)d 位数字或字母（共 %(length)d 位），“%(card)s”不符。") % {
            "code": mine_code, "n": CARD_SUFFIX_LENGTH, "length": length, "card": card_code}
    return None


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def production_month_problem(month: date, today: date) -> str | None:
    """A production return is for a month that has begun (Beijing date `today`), named by its first day."""
    if month.day != 1:
        return _("月份应写成该月的第一天（如 2024-06-01）。")
    if month > first_of_month(today):
        return _("%(month)s 尚未到来，不能填报未来月份的产量。") % {"month": month.strftime("%Y-%m")}
    return None


def monthly_capacity_line(capacity: Decimal) -> Decimal:
    """C01-01: the tonnes a month may not exceed, MONTHLY_CAPACITY_PERCENT of the annual approved capacity
    (万吨/年, so × 10,000 t)."""
    return capacity * 10000 * MONTHLY_CAPACITY_PERCENT / 100


def annual_capacity_line(capacity: Decimal) -> Decimal:
    """C01-01: the tonnes a year reaches over-capacity at, ANNUAL_CAPACITY_PERCENT of the approved capacity."""
    return capacity * 10000 * ANNUAL_CAPACITY_PERCENT / 100
