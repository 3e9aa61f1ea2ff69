"""What users see of an alarm beyond its kind: one count of "未确认" everywhere (cleared ones included,
withdrawn and planned ones not), the 迟到数据 and 已撤销 marks, the 计划作业 mark, the history from the
event to its raising, the feed failure's chart (断电值 and the switch's power state) and the length of
a calibration."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from kuangan.core import clock
from kuangan.engine.simulate import Incident
from kuangan.monitoring import actions, queries, rules
from kuangan.monitoring.choices import AlarmKind, WindowKind
from kuangan.monitoring.models import Alarm

from .alarm_data import A1, UPPER_CORNER_CH4, UPPER_CORNER_CO, at, aware, ingest_between, over_limit

NOW = aware(at(9, 5))
FACE_CH4 = "141129000101MN000100100006"
WITHDRAWN_REASON = "补传数据表明该时段测点处于标校状态"


@pytest.fixture(autouse=True)
def monitoring_dir(settings, tmp_path):
    settings.MONITORING_DIR = tmp_path / "monitoring"


@pytest.fixture
def alarms(world):  # type: ignore[no-untyped-def]
    """An hour of mine A1 with a CO calibration window declared at 07:00 for 08:45-09:00: methane at the
    upper corner 08:20-08:30 (cleared, nobody acknowledged it, its data came late), methane at the face
    08:05-08:10 (later withdrawn), CO 08:50-08:55 (inside the window: planned), methane at the face from
    08:58 (still going). The clock stands at 09:05."""
    with clock.frozen(aware(at(7))):
        actions.declare_planned_window(world.a1.pk, by=world.actor(world.mine_head), window=actions.Window(
            WindowKind.CALIBRATION, aware(at(8, 45)), aware(at(9)), UPPER_CORNER_CO, "一氧化碳传感器调校"))
    ingest_between(at(8), at(9), [over_limit(at(8, 20), 10, peak=1.8),
                                  over_limit(at(8, 5), 5, point=FACE_CH4, peak=1.2),
                                  over_limit(at(8, 50), 5, point=UPPER_CORNER_CO, peak=50),
                                  over_limit(at(8, 58), 30, point=FACE_CH4, peak=1.3)])
    by_start = {a.start: a for a in Alarm.objects.all()}
    gas, early, co, active = (by_start[aware(t)] for t in (at(8, 20), at(8, 5), at(8, 50), at(8, 58)))
    # Late data and withdrawal are the ingestion's to decide (kuangan.monitoring.alarms); here they are set
    # on the rows directly, one alarm each, so that each mark can be told apart: the pages only show them.
    Alarm.objects.exclude(pk=gas.pk).update(late=False)
    Alarm.objects.filter(pk=gas.pk).update(late=True, received_at=aware(at(9)))
    Alarm.objects.filter(pk=early.pk).update(withdrawn_at=aware(at(9)), withdrawn_reason=WITHDRAWN_REASON)
    with clock.frozen(NOW):
        yield {k: Alarm.objects.get(pk=a.pk) for k, a in
               {"gas": gas, "early": early, "co": co, "active": active}.items()}


def _row(body: str, alarm: Alarm) -> str:
    row = body[body.index(f'id="alarm-{alarm.pk}"'):]
    return row[:row.index("</tr>")]


def test_the_home_page_and_the_list_count_the_same_unacknowledged_alarms(world, alarms, login):
    assert alarms["co"].planned and alarms["early"].withdrawn
    client = login(world.inspector)
    home = client.get("/")
    overview = home.context["alarms"]
    # the one still going and the cleared one nobody acknowledged; not the withdrawn nor the planned one
    assert overview.unacknowledged_count == 2
    assert overview.unacknowledged == [alarms["active"], alarms["gas"]]
    body = home.content.decode()
    assert "未确认的报警 2 条" in body
    link = html.unescape(re.search(r'id="home-unacknowledged-link" href="([^"]+)"', body).group(1))
    listed = client.get(link)
    assert listed.context["page"].paginator.count == 2
    assert {a.pk for a in listed.context["page"]} == {alarms["active"].pk, alarms["gas"].pk}
    assert listed.context["pending"] == 2
    everything = client.get("/monitoring/alarms/")
    assert everything.context["page"].paginator.count == 4  # withdrawn and planned ones stay visible
    assert everything.context["pending"] == 2 and "2 条报警未确认" in everything.content.decode()
    assert overview.today_total == 3  # the withdrawn one is not one of today's alarms

    actions.acknowledge_alarm(alarms["gas"].pk, by=world.actor(world.inspector))
    assert client.get("/").context["alarms"].unacknowledged_count == 1
    assert client.get(link).context["page"].paginator.count == 1
    assert client.get("/monitoring/alarms/").context["pending"] == 1
    assert queries.unacknowledged(Alarm.objects.all()).count() == 1


def test_late_withdrawn_and_planned_alarms_carry_their_marks_in_the_list(world, alarms, login):
    body = login(world.inspector).get("/monitoring/alarms/").content.decode()
    gas = _row(body, alarms["gas"])
    assert "迟到 40 分" in gas and "已解除" in gas  # the data of 08:20 reached the platform at 09:00
    early = _row(body, alarms["early"])
    assert 'class="alarm-withdrawn"' in early and "已撤销" in early and WITHDRAWN_REASON in early
    assert "迟到" not in early
    co = _row(body, alarms["co"])
    assert 'class="alarm-planned"' in co and "计划作业 · 标校" in co
    client = login(world.inspector)
    assert client.get("/monitoring/alarms/?withdrawn=true").context["page"].paginator.count == 1
    assert client.get("/monitoring/alarms/?withdrawn=false").context["page"].paginator.count == 3
    assert [a.pk for a in client.get("/monitoring/alarms/?late=true").context["page"]] == [alarms["gas"].pk]
    # the dossier's open alarms and the export show the same
    assert [a.pk for a in client.get(f"/monitoring/mine/{world.a1.pk}/").context["m"].open_alarms] == [
        alarms["active"].pk]


def test_the_alarm_page_shows_the_late_mark_and_the_history_from_the_event(world, alarms, login):
    gas = alarms["gas"]
    body = login(world.inspector).get(f"/monitoring/alarms/{gas.pk}/").content.decode()
    assert re.search(r'id="alarm-late"[^>]*>迟到 40 分<', body)
    history = body[body.index('id="history"'):]
    history = history[:history.index("</table>")]
    rows = [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)]
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", history, flags=re.S)[1:]]
    assert [r[:2] for r in rows[:3]] == [
        ["2024-06-01 08:20:00", "事件开始（数据时间）"], ["2024-06-01 09:00:00", "数据到达平台"],
        ["2024-06-01 09:00:00", "报警产生"]]
    assert rows[1][3] == "迟到 40 分"
    assert 'id="alarm-received"' in body and 'id="alarm-withdrawn"' not in body


def test_a_withdrawn_alarm_shows_why_and_asks_for_nothing(world, alarms, login):
    early = alarms["early"]
    body = login(world.inspector).get(f"/monitoring/alarms/{early.pk}/").content.decode()
    assert 'id="alarm-withdrawn"' in body
    banner = body[body.index('id="alarm-withdrawn-reason"'):]
    assert banner.startswith(f'id="alarm-withdrawn-reason">该报警已于 2024-06-01 09:00:00 撤销：{WITHDRAWN_REASON}')
    assert 'id="action-acknowledge"' not in body


def test_a_planned_alarm_is_marked_on_its_page(world, alarms, login):
    body = login(world.inspector).get(f"/monitoring/alarms/{alarms['co'].pk}/").content.decode()
    assert re.search(r'id="alarm-planned"[^>]*>计划作业<', body) and "一氧化碳传感器调校" in body


def test_the_feed_failure_chart_shows_the_power_off_value_and_the_switch(world, login):
    ingest_between(at(8), at(9), [Incident("feed_failure", A1, at(8, 20), 10, point=UPPER_CORNER_CH4, peak=1.8)])
    alarm = Alarm.objects.get(kind=AlarmKind.FEED_FAILURE)
    switches = alarm.evidence["switches_on"]
    assert switches
    with clock.frozen(NOW):
        response = login(world.inspector).get(f"/monitoring/alarms/{alarm.pk}/")
    body = response.content.decode()
    chart = response.context["chart"]
    assert chart["threshold"] == 1.5 and chart["threshold_label"] == "断电值"
    assert chart["switch_axis"] == "馈电状态（1 有电）"
    codes = [s["code"] for s in chart["switches"]]
    assert codes[:len(switches)] == switches and set(codes) == set(rules.power_off_switches(
        alarm.evidence, alarm.point.relations))
    values = {v for s in chart["switches"] for _t, v in s["values"]}
    assert values <= {0, 1} and 1 in values and len(chart["switches"][0]["values"]) > 100
    # the chart is drawn by the page's own static script (no inline script under the CSP)
    script = (Path(__file__).parents[1] / "static" / "monitoring" / "alarm_detail.js").read_text()
    assert "断电值" in body and "monitoring/alarm_detail.js" in body
    assert "d.threshold_label" in script and "yAxisIndex: 1" in script


def test_a_calibrations_length_is_the_span_of_its_alarm(world, login):
    """Raised while the calibration went on (the engine saw 35 minutes), ended at 50: the page says 50."""
    calibration = Incident("calibration_abuse", A1, at(8, 5), 50, point=UPPER_CORNER_CH4)
    ingest_between(at(8), at(8, 40), [calibration])
    ingest_between(at(8, 40), at(9, 30), [calibration])
    alarm = Alarm.objects.get(kind=AlarmKind.CALIBRATION_ABUSE)
    span = (alarm.end - alarm.start).total_seconds()
    assert alarm.evidence["minutes"] < span / 60  # what the engine knew when it raised the alarm
    with clock.frozen(aware(at(9, 30))):
        page = login(world.inspector).get(f"/monitoring/alarms/{alarm.pk}/").context["p"]
    assert page.duration == rules.duration(span) == "50 分"
    assert dict(page.evidence)["标校时长"] == "50 分钟（上限 30 分钟）"
