"""History and audit rows read in Chinese: every verb has a name, fields have labels, values are
shown as a user reads them (choices, 是/否, Beijing time), never codes, field names or dict text."""

from __future__ import annotations

import ast
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from kuangan.core import clock
from kuangan.core.audit_labels import ACTIONS, field_label, value_text, verb_label
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards import rules as hazard_rules
from kuangan.hazards.models import HazardStandardItem
from kuangan.registry import actions

ROOT = Path(django_settings.BASE_DIR) / "kuangan"
APPS = {c.label for c in apps.get_app_configs() if c.name.startswith("kuangan.")}
VERB = re.compile(rf"^({'|'.join(sorted(APPS))})\.[a-z_]+\.[a-z_]+$")
T0 = datetime(2024, 6, 30, 8, 0, tzinfo=clock.SHANGHAI)


def _sources() -> list[tuple[Path, ast.AST]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in ROOT.rglob("*.py")
            if "tests" not in p.parts and "migrations" not in p.parts]


def _literal_verbs() -> set[str]:
    return {node.value for _p, tree in _sources() for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and VERB.match(node.value)}


def _built_verb_actions() -> set[str]:
    """The last part of verbs built in f-strings: f"registry.{model}.deleted", f"{app}.{model}.{'updated' ...}"."""
    found = set()
    for _p, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr) or len(node.values) < 3:
                continue
            dots = [v for v in node.values if isinstance(v, ast.Constant) and str(v.value).startswith(".")]
            if len(dots) < 1 or not all(isinstance(v, ast.Constant | ast.FormattedValue) for v in node.values):
                continue
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            if not re.fullmatch(r"([a-z_]+|\{\})\.\{\}\.([a-z_]+|\{\})", text):
                continue
            last = node.values[-1]
            if isinstance(last, ast.Constant):
                found.add(str(last.value).lstrip("."))
            else:
                found |= {n.value for n in ast.walk(last) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return found


def test_every_verb_written_anywhere_has_a_name():
    verbs = _literal_verbs()
    assert "hazards.hazard.close_out_requested" in verbs and len(verbs) > 40  # the scan finds them
    assert not [v for v in sorted(verbs) if not verb_label(v)], "verbs without a name in core/audit_labels.py"


def _snapshot_keys() -> set[str]:
    """The literal keys of the before=/after= dicts that actions write next to model snapshots."""
    keys = set()
    for _p, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in {"before", "after"} and isinstance(node.value, ast.Dict):
                keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return keys


def test_every_key_written_beside_a_snapshot_has_a_label():
    keys = _snapshot_keys()
    assert {"address", "locked_until", "rows"} <= keys  # the scan finds them
    assert not sorted(k for k in keys if field_label(None, k) == "其他"), "add these to FIELD_WORDS in core/audit_labels.py"


def test_every_verb_built_from_a_models_name_has_a_name_for_every_model():
    built = _built_verb_actions()
    assert {"created", "updated", "deleted"} <= built  # the registry's records and the admin
    assert not built - set(ACTIONS), "add these to ACTIONS in core/audit_labels.py"
    # The models those verbs are built for: the admin's and the mine records'.
    models = {m for m in admin.site._registry if m.__module__.startswith("kuangan.")}
    models |= {model for model, _perm in actions.MINE_RECORDS.values()}
    assert len(models) > 10
    for model in models:
        for action in built:
            label = verb_label(f"{model._meta.app_label}.{model._meta.model_name}.{action}")
            assert label and not re.search(r"[a-z_.]", label), (model, action, label)


def test_values_read_as_a_user_reads_them():
    assert value_text(True) == "是" and value_text(False) == "否" and value_text(None) == "—"
    assert value_text("2024-06-30T00:30:00+00:00") == "2024-06-30 08:30"
    assert value_text({"month": "2024-06-01", "is_zero": True}) == "月份：2024-06-01；零报告：是"
    assert value_text([1, 2]) == "1、2"
    assert value_text("141129197001011234", "id_number") == "141129********1234"


# --- the pages ------------------------------------------------------------------------------------

PLAN = hazard_rules.FiveImplementations("李安全", "更换并标校甲烷传感器", Decimal("8.5"), date(2024, 7, 31), "超限撤人预案")
CODE = re.compile(r"\b(core|registry|hazards|monitoring)\.[a-z_]+(\.[a-z_]+)?\b")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
UTC_OR_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|[+-]00:00")


@pytest.fixture
def history(world, settings, tmp_path):  # type: ignore[no-untyped-def]
    """A hazard through its loop up to close-out, then escalated by the tick; a mine edit."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.log"
    with clock.frozen(T0):
        item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
        h = hazard_actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer),
                                         report=hazard_actions.HazardReport(
                                             level="major", source="self_inspection", description="甲烷传感器未标校",
                                             found_at=T0, found_by="安全科", standard_item_id=item.pk))
        hazard_actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=PLAN)
        actions.update_mine(world.a1.pk, by=world.actor(world.inspector), data={"address": "中阳县宁乡镇"})
    call_command("tick", "--at", "2024-08-16T09:00")  # escalated by the system, stamped with due times
    with clock.frozen(datetime(2024, 8, 20, 9, 0, tzinfo=clock.SHANGHAI)):
        hazard_actions.request_close_out(h.pk, by=world.actor(world.mine_head), evaluation_by="总工程师",
                                         evaluation="传感器已更换并标校")
    return h


def _text(html: str) -> str:
    """What the user reads in the table of events."""
    table = html.split('<table class="ledger diff">', 1)[1].split("</table>\n", 1)[0]
    return re.sub(r"<[^>]+>", " ", table)


def _assert_readable(text: str, world) -> None:  # type: ignore[no-untyped-def]
    for persona in ("mine_safety_officer", "mine_head"):  # test accounts named after their role
        text = text.replace(persona, "")
    assert not CODE.search(text), CODE.search(text)
    assert not SNAKE.search(text), SNAKE.search(text)
    assert not UTC_OR_ISO.search(text), UTC_OR_ISO.search(text)
    assert "system:" not in text and "{'" not in text and '{"' not in text and "None" not in text


def test_the_audit_log_reads_in_chinese(world, history, login):
    text = _text(login(world.auditor).get(reverse("core:audit_log")).content.decode())
    _assert_readable(text, world)
    for shown in ("申请销号", "逾期升级督办", "系统（定时任务）", "开始整改", "修改矿山档案", "整改中", "隐患",
                  "下次到期时间", "2024-08-15 00:00"):
        assert shown in text, shown


def test_a_mines_history_reads_in_chinese(world, history, login):
    text = _text(login(world.inspector).get(reverse("registry:mine_history", args=[world.a1.pk])).content.decode())
    _assert_readable(text, world)
    assert "上报隐患" in text and "系统（定时任务）" in text and "2024-06-30 08:00" in text
