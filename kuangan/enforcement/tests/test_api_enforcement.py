"""/api/v1/enforcement/: an inspection, its order and PDF, a penalty case to its decision, a plan, a class override,
scores and statistics through the API, with the same scope and refusals as the pages (四不两直 included)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from kuangan.core import clock
from kuangan.core.choices import Role
from kuangan.core.clock import SHANGHAI
from kuangan.enforcement.models import EnforcementPlan, Inspection, PenaltyBenchmark
from kuangan.registry import actions as registry_actions
from kuangan.testing import assert_audited, make_user

BASE = "/api/v1/enforcement"
NOW = datetime(2024, 6, 12, 9, 30, tzinfo=SHANGHAI)
ID_NUMBER = "141129197001011234"


def _msg(response: Any) -> str:
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else " ".join(d["msg"] for d in detail)


@pytest.fixture
def api(client):  # type: ignore[no-untyped-def]
    def call(method: str, path: str, user: Any, body: dict[str, Any] | None = None) -> Any:
        client.force_login(user)
        if method == "GET":
            return client.get(f"{BASE}{path}")
        return client.post(f"{BASE}{path}", json.dumps(body or {}), content_type="application/json")
    return call


@pytest.fixture
def people(world):  # type: ignore[no-untyped-def]
    head = registry_actions.save_mine_record("leadership", world.a1.pk, by=world.actor(world.inspector), data={
        "post": "mine_head", "name": "赵矿长", "id_number": ID_NUMBER, "phone": "", "education": "bachelor",
        "major": "采矿工程", "major_is_mining": True, "frontline_years": 12, "appointed_on": None,
        "holds_mine_head_post": False, "active": True})
    return {"second": make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法"),
            "leader": make_user("county_leader", world.county, Role.REGULATOR_LEADER), "head": head}


def test_an_inspection_to_its_order_and_pdf(world, api, people):
    with clock.frozen(NOW):
        opened = api("POST", "/inspections", world.inspector, {
            "mine_id": world.a1.pk, "method": "unannounced", "planned_on": "2024-06-12",
            "leader_id": world.inspector.pk, "source": "tip_off", "source_note": "举报夜间生产",
            "team": [{"user_id": world.inspector.pk, "credential": "14110001"}, {"user_id": people["second"].pk}]})
        assert opened.status_code == 201, opened.content
        pk = opened.json()["id"]
        assert opened.json()["status"] == "planned" and len(opened.json()["team"]) == 2
        # 四不两直: the mine head gets a 404 and an empty list until the team arrives
        assert api("GET", f"/inspections/{pk}", world.mine_head).status_code == 404
        assert api("GET", "/inspections", world.mine_head).json()["items"] == []
        assert api("GET", f"/inspections/{pk}", world.foreign_inspector).status_code == 404
        arrived = api("POST", f"/inspections/{pk}/arrival", people["second"], {"place": "1303工作面"})
        assert arrived.status_code == 200 and arrived.json()["briefing"]["class"]["klass"] == "B"
        assert api("GET", f"/inspections/{pk}", world.mine_head).json()["status"] == "on_site"
        bad = api("POST", f"/inspections/{pk}/findings", people["second"], {
            "kind": "ordinary_hazard", "description": "皮带机头无防护栏", "deadline": "2024-06-01"})
        assert bad.status_code == 422 and "整改期限不能早于今天" in _msg(bad)
        finding = api("POST", f"/inspections/{pk}/findings", people["second"], {
            "kind": "ordinary_hazard", "description": "皮带机头无防护栏", "deadline": "2024-06-20"})
        assert finding.status_code == 201 and finding.json()["hazard_id"]
        refused = api("POST", f"/inspections/{pk}/orders", people["second"], {
            "finding_ids": [finding.json()["id"]], "deadline": "2024-06-20"})
        assert refused.status_code == 422 and "只有带队人" in _msg(refused)
        order = api("POST", f"/inspections/{pk}/orders", world.inspector, {
            "finding_ids": [finding.json()["id"]], "deadline": "2024-06-20"})
        assert order.status_code == 201 and order.json()["number"] == "中阳应急责改〔2024〕1号"
        document = api("GET", f"/documents/{order.json()['id']}", world.mine_head).json()
        assert document["versions"][0]["sha256"] and document["versions"][0]["signed_by_name"] == "王检查"
        pdf = api("GET", f"/documents/{order.json()['id']}/versions/1/pdf", world.mine_head)
        assert pdf["Content-Type"] == "application/pdf"
        assert "中阳应急责改〔2024〕1号" in "".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
        assert api("GET", f"/documents/{order.json()['id']}/versions/1/pdf", world.foreign_mine_head).status_code == 404
        left = api("POST", f"/inspections/{pk}/departure", world.inspector, {"summary": "检查完毕"})
        assert left.json()["status"] == "findings_recorded"
        reinspected = api("POST", f"/documents/{order.json()['id']}/reinspection", world.inspector,
                          {"rectified": True, "opinion": "已整改到位"})
        assert reinspected.status_code == 201 and reinspected.json()["kind"] == "reinspection_opinion"
        closed = api("POST", f"/inspections/{pk}/close", world.inspector, {"note": "归档"})
        assert closed.json()["status"] == "closed"
    assert_audited("enforcement.inspection.closed", Inspection.objects.get(pk=pk), world.inspector)


def test_a_penalty_case_to_its_decision(world, api, people):
    benchmark = PenaltyBenchmark.objects.get(code="SAFE-44")
    with clock.frozen(NOW):
        out = api("POST", "/cases", world.inspector, {
            "mine_id": world.a1.pk, "benchmark_id": benchmark.pk, "circumstance": "ordinary_worker",
            "facts": "井下人员违章作业", "unit_fine": "9999.99", "person_fine": "2000",
            "principal": {"member_id": people["head"].pk}})
        assert out.status_code == 422 and "10,000–20,000 元" in _msg(out)
        filed = api("POST", "/cases", world.inspector, {
            "mine_id": world.a1.pk, "benchmark_id": benchmark.pk, "circumstance": "ordinary_worker",
            "facts": "井下人员违章作业", "unit_fine": "10000", "person_fine": "2000",
            "principal": {"member_id": people["head"].pk}})
        assert filed.status_code == 201, filed.content
        case = filed.json()
        assert case["tier_order"] == 1 and [c["met"] for c in case["criteria"]] == [True, False]
        assert ID_NUMBER not in filed.content.decode() and "141129********1234" in filed.content.decode()
        assert api("GET", f"/cases/{case['id']}", world.mine_head).status_code == 404  # filed: not yet the mine's
        api("POST", f"/cases/{case['id']}/notice", world.inspector)
        assert api("GET", f"/cases/{case['id']}", world.mine_head).json()["status"] == "notified"
        early = api("POST", f"/cases/{case['id']}/approval", people["leader"], {})
        assert early.status_code == 422
    with clock.frozen(NOW + timedelta(days=6)):
        assert api("POST", f"/cases/{case['id']}/approval", world.inspector, {}).status_code == 403
        approved = api("POST", f"/cases/{case['id']}/approval", people["leader"], {})
        assert approved.status_code == 200 and approved.json()["approved_at"] is not None
        decided = api("POST", f"/cases/{case['id']}/decision", world.inspector, {})
        assert decided.json()["status"] == "decided" and decided.json()["payment_due_on"] == "2024-07-03"
        assert len(decided.json()["document_ids"]) == 2  # the notice and the decision


def test_plans_classes_scores_and_statistics(world, api, people):
    with clock.frozen(NOW):
        plan = api("POST", "/plans", world.inspector, {"year": 2024, "month": 6})
        assert plan.status_code == 201, plan.content
        assert api("POST", "/plans", world.inspector, {"year": 2024, "month": 6}).status_code == 422
        assert api("GET", f"/plans/{plan.json()['id']}", world.mine_head).status_code == 404
        assert api("GET", "/plans", world.mine_head).json()["items"] == []
        assert api("GET", "/plans", world.foreign_inspector).json()["items"] == []
        override = api("POST", f"/classes/{world.a1.pk}/override", world.inspector, {"to_class": "C", "reason": "多次举报"})
        assert override.status_code == 200 and override.json()["current"] == "C"
        assert api("GET", f"/classes/{world.a1.pk}", world.mine_head).json()["current"] == "C"
        assert api("POST", f"/classes/{world.a1.pk}/override", world.mine_head,
                   {"to_class": "A", "reason": "x"}).status_code == 403
        assert api("GET", f"/classes/{world.b1.pk}", world.mine_head).status_code == 404
        stats = api("GET", "/statistics?since=2024-01-01&until=2024-06-12", world.inspector)
        assert stats.status_code == 200 and [r["label"] for r in stats.json()["counties"]] == ["中阳县"]
        assert api("GET", "/statistics?since=2024-06-12&until=2024-01-01", world.inspector).status_code == 422
        assert api("GET", "/statistics?since=2024-01-01&until=2024-06-12", world.mine_head).json()["counties"] == []
        assert api("GET", "/scores?year=2024", world.inspector).json() == []
    assert EnforcementPlan.objects.count() == 1


def test_the_ledger_filters_count_beijing_months(world, api, people):
    """The month filters of the inspection, document and case ledgers (pages and API alike) count Beijing time:
    a document numbered at 00:30 on 1 June, Beijing, is June's, though it is still 31 May in UTC."""
    def open_on(day: str) -> int:
        return api("POST", "/inspections", world.inspector, {
            "mine_id": world.a1.pk, "method": "night_raid", "planned_on": day, "leader_id": world.inspector.pk,
            "source": "tip_off", "source_note": "夜查", "team": [{"user_id": world.inspector.pk},
                                                                {"user_id": people["second"].pk}]}).json()["id"]

    night = datetime(2024, 6, 1, 0, 30, tzinfo=SHANGHAI)
    with clock.frozen(night - timedelta(minutes=10)):
        may, june = open_on("2024-05-31"), open_on("2024-06-01")
    with clock.frozen(night):
        arrived = api("POST", f"/inspections/{may}/arrival", world.inspector, {})
        assert arrived.status_code == 200 and arrived.json()["status"] == "on_site"
        left = api("POST", f"/inspections/{may}/departure", world.inspector, {"summary": "夜查完毕"})
        assert left.status_code == 200, left.content
    ids = lambda r: [x["id"] for x in r.json()["items"]]  # noqa: E731
    assert ids(api("GET", "/inspections?month=2024-06", world.inspector)) == [june]
    assert ids(api("GET", "/inspections?month=2024-05&status=findings_recorded", world.inspector)) == [may]
    assert ids(api("GET", "/inspections?mine=甲一&method=night_raid", world.inspector)) == [june, may]
    assert ids(api("GET", "/inspections?mine=乙一", world.inspector)) == []
    record = ids(api("GET", "/documents?month=2024-06&kind=inspection_record", world.inspector))
    assert len(record) == 1 and ids(api("GET", "/documents?month=2024-05", world.inspector)) == []
    assert api("GET", "/inspections?month=2024-13", world.inspector).status_code == 422
