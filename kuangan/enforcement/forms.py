"""Shape validation of the inspection pages' forms. The rules (who may sign, the team's size and reach,
deadlines, what a status allows) are the actions'; their refusals are shown beside these forms."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kuangan.core.clock import SHANGHAI
from kuangan.core.dates import validate_in_range
from kuangan.core.masking import mask_id_number
from kuangan.core.models import User
from kuangan.hazards.models import HazardStandardItem
from kuangan.monitoring.models import Alarm
from kuangan.registry.choices import SupervisionClass
from kuangan.registry.models import LeadershipMember, Mine, WorkingFace

from . import rules
from .choices import FindingKind, InspectionMethod, InspectionSource, MeasureKind
from .models import PenaltyBenchmark, PlanItem, ScoreDeduction

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})
INSTANT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
DATE_ERRORS = {"invalid": _("请输入有效的日期。")}
INSTANT_ERRORS = {"invalid": _("请输入有效的日期和时间。")}


def _instant(label: Any, required: bool = False) -> forms.DateTimeField:
    """A Beijing wall-clock time (the site's time zone), typed or picked."""
    return forms.DateTimeField(label=label, required=required, input_formats=INSTANT_FORMATS,
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                               validators=[validate_in_range], error_messages=INSTANT_ERRORS)


def _day(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DATE, validators=[validate_in_range],
                           error_messages=DATE_ERRORS)


def _required(message: Any) -> dict[str, Any]:
    return {"required": message}


def person_label(user: User) -> str:
    org = user.organization
    return f"{user.display_name}（{org.name}）" if org is not None else str(user.display_name)


# --- opening an inspection --------------------------------------------------------------------------------

_CREDENTIAL_LINE = re.compile(r"^\s*(?P<name>[^:：]+?)\s*[:：]\s*(?P<credential>\S.*?)\s*$")


class OpenInspectionForm(forms.Form):
    mine: forms.ModelChoiceField = forms.ModelChoiceField(label=_("矿山"), queryset=Mine.objects.none())
    method = forms.ChoiceField(label=_("检查方式"), choices=InspectionMethod.choices,
                               initial=InspectionMethod.UNANNOUNCED)
    planned_on = _day(_("计划日期"))
    leader: forms.ModelChoiceField = forms.ModelChoiceField(label=_("带队人"), queryset=User.objects.none(),
                                                            help_text=_("签发文书并对检查负责。"))
    team: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("检查组"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text=_("执法人员不得少于两人（含带队人）。"),
        error_messages=_required(_("请选择检查组成员。")))
    credentials = forms.CharField(label=_("执法证号"), widget=TEXT, max_length=2000, required=False,
                                  help_text=_("每行一人，格式为“姓名：执法证号”，可不填。"))
    source = forms.ChoiceField(label=_("来源"), choices=InspectionSource.choices)
    plan_item: forms.ModelChoiceField = forms.ModelChoiceField(label=_("计划检查项"), required=False,
                                                               queryset=PlanItem.objects.none(),
                                                               help_text=_("来源为执法计划时选择。"))
    alarm = forms.CharField(widget=forms.HiddenInput, required=False)  # read by the view: never an error here
    lead = forms.CharField(widget=forms.HiddenInput, required=False)  # a lead of illegal production, as `alarm`
    source_note = forms.CharField(label=_("线索说明"), widget=TEXT, max_length=4000, required=False,
                                  help_text=_("来源为举报线索或研判线索时填写。"))
    notice = forms.CharField(label=_("检查通知"), widget=TEXT, max_length=4000, required=False,
                             help_text=_("四不两直、暗查暗访等不事先通知的检查留空。"))

    def __init__(self, *args: Any, mines: Any, people: Any, plan_items: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = mines  # type: ignore[attr-defined]
        for name in ("leader", "team"):
            self.fields[name].queryset = people  # type: ignore[attr-defined]
            self.fields[name].label_from_instance = person_label  # type: ignore[attr-defined]
        self.fields["plan_item"].queryset = plan_items  # type: ignore[attr-defined]
        self.fields["plan_item"].label_from_instance = (  # type: ignore[attr-defined]
            lambda i: f"{i.plan.year}年{i.plan.month}月 · {i.mine.name} · {i.get_method_display()}")

    def clean(self) -> dict[str, Any]:
        """The credentials typed as "姓名：证号" lines, keyed by the team member they name."""
        data = super().clean() or {}
        people = [*(data.get("team") or []), *([data["leader"]] if data.get("leader") else [])]
        by_name = {str(u.display_name): u.pk for u in people}
        credentials: dict[int, str] = {}
        for line in (data.get("credentials") or "").splitlines():
            if not line.strip():
                continue
            m = _CREDENTIAL_LINE.match(line)
            if m is None:
                self.add_error("credentials", _("“%(line)s”的格式应为“姓名：执法证号”。") % {"line": line.strip()})
                continue
            pk = by_name.get(m.group("name"))
            if pk is None:
                self.add_error("credentials", _("“%(name)s”不在检查组中。") % {"name": m.group("name")})
                continue
            credentials[pk] = m.group("credential")[:40]
        data["credential_of"] = credentials
        return data


# --- the steps of an inspection ----------------------------------------------------------------------------


class ArriveForm(forms.Form):
    at = _instant(_("到达时间"))
    place = forms.CharField(label=_("检查地点"), max_length=200, required=False)
    mine_representative = forms.CharField(label=_("被检查单位陪同人员"), max_length=100, required=False)


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=FindingKind.choices, initial=FindingKind.MAJOR_HAZARD)
    description = forms.CharField(label=_("问题描述"), widget=TEXT, max_length=4000,
                                  error_messages=_required(_("请填写问题描述。")))
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    standard_item: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("判定依据（重大事故隐患必填）"), queryset=HazardStandardItem.objects.none(), required=False)
    face: forms.ModelChoiceField = forms.ModelChoiceField(label=_("工作面"), queryset=WorkingFace.objects.none(),
                                                          required=False)
    benchmark: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("违法行为（违法行为必选）"), queryset=PenaltyBenchmark.objects.none(), required=False)
    legal_basis = forms.CharField(label=_("违反条款"), max_length=300, required=False,
                                  help_text=_("留空时取裁量基准的违法依据。"))
    deadline = _day(_("整改期限"), required=False)

    def __init__(self, *args: Any, items: Any, faces: Any, benchmarks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standard_item"].queryset = items  # type: ignore[attr-defined]
        self.fields["standard_item"].label_from_instance = lambda i: f"{i.code} {i.text[:60]}"  # type: ignore[attr-defined]
        self.fields["face"].queryset = faces  # type: ignore[attr-defined]
        self.fields["benchmark"].queryset = benchmarks  # type: ignore[attr-defined]
        self.fields["benchmark"].label_from_instance = lambda b: f"{b.code} {b.violation[:60]}"  # type: ignore[attr-defined]


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("措施"), choices=MeasureKind.choices)
    face: forms.ModelChoiceField = forms.ModelChoiceField(label=_("工作面"), queryset=WorkingFace.objects.none(),
                                                          required=False)
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    reason = forms.CharField(label=_("理由（发现的问题和依据）"), widget=TEXT, max_length=4000,
                             error_messages=_required(_("请写明理由（发现的问题和依据）。")))

    def __init__(self, *args: Any, faces: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["face"].queryset = faces  # type: ignore[attr-defined]


class OrderForm(forms.Form):
    findings = forms.TypedMultipleChoiceField(label=_("整改事项"), coerce=int, widget=forms.CheckboxSelectMultiple,
                                              error_messages=_required(_("请选择要下达整改指令的问题。")))
    deadline = _day(_("整改完成期限"))
    reinspect_on = _day(_("复查日期"), required=False)

    def __init__(self, *args: Any, findings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["findings"].choices = [  # type: ignore[attr-defined]
            (f.pk, f"{f.get_kind_display()}：{f.description[:80]}") for f in findings]


class ExamForm(forms.Form):
    member: forms.ModelChoiceField = forms.ModelChoiceField(label=_("受考人"),
                                                            queryset=LeadershipMember.objects.none())
    score = forms.IntegerField(label=_("成绩"), min_value=0, max_value=100)

    def __init__(self, *args: Any, examinees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = examinees  # type: ignore[attr-defined]
        self.fields["member"].label_from_instance = lambda m: f"{m.name}（{m.get_post_display()}）"  # type: ignore[attr-defined]


class ReferForm(forms.Form):
    department = forms.CharField(label=_("移送部门"), max_length=100)
    matter = forms.CharField(label=_("移送事项"), widget=TEXT, max_length=4000)


class LeaveForm(forms.Form):
    at = _instant(_("离开时间"))
    summary = forms.CharField(label=_("检查情况"), widget=TEXT, max_length=4000,
                              error_messages=_required(_("请填写检查情况。")))


class CloseForm(forms.Form):
    note = forms.CharField(label=_("结案说明"), widget=TEXT, max_length=2000, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消理由"), widget=TEXT, max_length=2000,
                             error_messages=_required(_("请写明取消理由。")))


# Each step of an inspection: its form, the heading of its card and the label of its button.
ACTION_FORMS: dict[str, tuple[type[forms.Form], Any, Any]] = {
    "arrive": (ArriveForm, _("到达现场"), _("到达现场")),
    "record_finding": (FindingForm, _("记录问题"), _("记录")),
    "order_measure": (MeasureForm, _("现场处理措施"), _("作出决定并送达")),
    "issue_order": (OrderForm, _("下达整改指令"), _("签发并送达")),
    "record_exam": (ExamForm, _("逢查必考"), _("记录成绩")),
    "refer": (ReferForm, _("移送"), _("移送")),
    "leave_site": (LeaveForm, _("离开现场"), _("离开现场并签发检查记录")),
    "close_inspection": (CloseForm, _("结案"), _("结案")),
    "cancel_inspection": (CancelForm, _("取消检查"), _("取消检查")),
}


# --- documents ----------------------------------------------------------------------------------------------


class ReinspectForm(forms.Form):
    rectified = forms.TypedChoiceField(label=_("整改是否到位"), choices=[("1", _("是")), ("0", _("否"))],
                                       coerce=lambda v: v == "1", initial="1")
    opinion = forms.CharField(label=_("复查意见"), widget=TEXT, max_length=4000,
                              error_messages=_required(_("请填写复查意见。")))


class ReviseForm(forms.Form):
    """A field per text item of the document's current version, then the reason; only changed items are sent."""

    PREFIX = "c_"

    def __init__(self, *args: Any, content: dict[str, Any], labels: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.content = content
        editable = rules.editable_content(content)
        for key, value in content.items():
            if key in editable:
                long = len(value) > 40 or key in {"basis", "summary", "facts", "opinion", "rights"}
                self.fields[self.PREFIX + key] = forms.CharField(
                    label=labels.get(key, key), initial=value, required=False, max_length=4000,
                    widget=TEXT if long else forms.TextInput)
        self.fields["reason"] = forms.CharField(label=_("修改理由"), widget=TEXT, max_length=2000,
                                                error_messages=_required(_("请写明修改理由。")))

    def changes(self) -> dict[str, str]:
        """The items whose submitted text differs from the current version's (an item not sent is unchanged)."""
        out = {}
        for name, value in self.cleaned_data.items():
            if name.startswith(self.PREFIX) and name in self.data:
                key = name.removeprefix(self.PREFIX)
                if value.strip() != str(self.content.get(key, "")).strip():
                    out[key] = value
        return out


def alarm_label(alarm: Alarm) -> str:
    return (f"{alarm.get_kind_display()} #{alarm.pk} · {alarm.start.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
            + (f" · {alarm.location}" if alarm.location else ""))


# --- penalty cases ----------------------------------------------------------------------------------------

MONEY_ERRORS = {"invalid": _("请输入金额（元）。"), "min_value": _("金额不能为负数。"),
                "max_digits": _("金额过大。"), "max_decimal_places": _("金额最多保留两位小数（分）。")}


def _money(label: Any, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=14, decimal_places=2,
                              help_text=help_text, error_messages=MONEY_ERRORS,
                              widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}))


def benchmark_label(b: PenaltyBenchmark) -> str:
    found = "" if b.tiers_found else str(_("（裁量档次未找到）"))
    return f"{b.violation[:60]}{found}"


def head_label(m: LeadershipMember) -> str:
    number = mask_id_number(m.id_number) if m.id_number else str(_("未登记身份证号"))
    return f"{m.name}（{m.get_post_display()}，{number}）"


class CaseFileForm(forms.Form):
    """立案: the violation, its circumstance and the proposed fines; the tier and its range are the rules'."""

    finding = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    mine: forms.ModelChoiceField = forms.ModelChoiceField(label=_("矿山"), queryset=Mine.objects.none(),
                                                          required=False)
    benchmark: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("违法行为（裁量基准）"), queryset=PenaltyBenchmark.objects.none(),
        error_messages=_required(_("请选择裁量基准中的违法行为。")))
    circumstance = forms.ChoiceField(label=_("情形"), choices=(), error_messages=_required(_("请选择情形。")))
    illegal_gains = _money(_("违法所得（元）"), _("没有违法所得填 0；按违法所得定档的违法行为必填。"))
    unit_fine = _money(_("单位罚款（元）"))
    person_fine = _money(_("主要负责人罚款（元）"))
    member: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("主要负责人"), queryset=LeadershipMember.objects.none(), required=False,
        help_text=_("从领导班子中选择；没有登记的，在下面填写姓名和身份证号。"))
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False,
                                help_text=_("一案双罚按身份证号认定个人；页面和审计记录中只显示部分号码。"))
    facts = forms.CharField(label=_("违法事实"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
                            error_messages=_required(_("请填写违法事实。")))

    def __init__(self, *args: Any, mines: Any, benchmarks: Any, circumstances: Any, heads: Any,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = mines  # type: ignore[attr-defined]
        self.fields["benchmark"].queryset = benchmarks  # type: ignore[attr-defined]
        self.fields["benchmark"].label_from_instance = benchmark_label  # type: ignore[attr-defined]
        self.fields["circumstance"].choices = [("", _("—— 请选择 ——")), *circumstances]  # type: ignore[attr-defined]
        self.fields["member"].queryset = heads  # type: ignore[attr-defined]
        self.fields["member"].label_from_instance = head_label  # type: ignore[attr-defined]


class NotifyCaseForm(forms.Form):
    pass


class ApproveCaseForm(forms.Form):
    note = forms.CharField(label=_("审批意见"), widget=TEXT, max_length=2000, required=False)


class DecideCaseForm(forms.Form):
    payment_account = forms.CharField(label=_("缴款账户"), max_length=200, required=False,
                                      help_text=_("写入决定书；可留空由当事人到指定银行缴纳。"))


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("缴纳金额（元）"), min_value=0, max_digits=14, decimal_places=2,
                                error_messages={**MONEY_ERRORS, "required": _("请填写缴纳金额。")})
    paid_at = _instant(_("缴款时间"))


class CloseCaseForm(forms.Form):
    note = forms.CharField(label=_("结案说明"), widget=TEXT, max_length=2000, required=False)


# Each step of a case: its form, the heading of its card, the label of its button, the permission it needs.
CASE_FORMS: dict[str, tuple[type[forms.Form], Any, Any]] = {
    "notify": (NotifyCaseForm, _("送达行政处罚告知书"), _("签发并送达告知书")),
    "approve": (ApproveCaseForm, _("负责人审批"), _("批准作出处罚决定")),
    "decide": (DecideCaseForm, _("作出行政处罚决定"), _("签发并送达决定书")),
    "pay": (PaymentForm, _("登记缴纳罚款"), _("登记")),
    "close": (CloseCaseForm, _("结案"), _("结案")),
}


# --- mine-head scoring ------------------------------------------------------------------------------------


def deduction_label(d: ScoreDeduction) -> str:
    basis = "" if d.basis_found else str(_("，分值未找到依据"))
    return f"{d.violation}（{_('%(n)d 分') % {'n': d.points}}{basis}）"


class ScoreForm(forms.Form):
    deduction: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("记分情形"), queryset=ScoreDeduction.objects.none(), error_messages=_required(_("请选择记分情形。")))
    member: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("矿长"), queryset=LeadershipMember.objects.none(), required=False,
        help_text=_("矿长、董事长或总经理；没有登记的，在下面填写姓名和身份证号。"))
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False,
                                help_text=_("记分按身份证号认定个人；页面和审计记录中只显示部分号码。"))

    def __init__(self, *args: Any, deductions: Any, heads: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deduction"].queryset = deductions  # type: ignore[attr-defined]
        self.fields["deduction"].label_from_instance = deduction_label  # type: ignore[attr-defined]
        self.fields["member"].queryset = heads  # type: ignore[attr-defined]
        self.fields["member"].label_from_instance = head_label  # type: ignore[attr-defined]


# --- supervision classes ----------------------------------------------------------------------------------


class OverrideClassForm(forms.Form):
    to_class = forms.ChoiceField(label=_("调整为"), choices=SupervisionClass.choices)
    reason = forms.CharField(label=_("调整理由"), widget=TEXT, max_length=2000,
                             error_messages=_required(_("请写明调整理由。")),
                             help_text=_("调整在本年度内有效；其间计算结果变差时系统仍会调低类别，但不会高于调整的类别。"))


# --- plans ------------------------------------------------------------------------------------------------


class GeneratePlanForm(forms.Form):
    month = forms.RegexField(label=_("计划月份"), regex=r"^\d{4}-(0[1-9]|1[0-2])$",
                             widget=forms.TextInput(attrs={"type": "month"}),
                             error_messages={"required": _("请选择月份。"), "invalid": _("请选择月份。")})
    method = forms.ChoiceField(label=_("检查方式"), choices=InspectionMethod.choices,
                               initial=InspectionMethod.UNANNOUNCED)
    note = forms.CharField(label=_("说明"), widget=TEXT, max_length=2000, required=False)

    def clean_month(self) -> tuple[int, int]:
        year, month = self.cleaned_data["month"].split("-")
        return int(year), int(month)


class PlanItemForm(forms.Form):
    mine: forms.ModelChoiceField = forms.ModelChoiceField(label=_("矿山"), queryset=Mine.objects.none(),
                                                          error_messages=_required(_("请选择矿山。")))
    method = forms.ChoiceField(label=_("检查方式"), choices=InspectionMethod.choices,
                               initial=InspectionMethod.UNANNOUNCED)
    reason = forms.CharField(label=_("列入理由"), widget=TEXT, max_length=2000,
                             error_messages=_required(_("请写明列入理由。")))

    def __init__(self, *args: Any, mines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = mines  # type: ignore[attr-defined]
        self.fields["mine"].label_from_instance = (  # type: ignore[attr-defined]
            lambda m: f"{m.name}（{m.division.name} · {m.get_supervision_class_display()}）")


class RemovePlanItemForm(forms.Form):
    reason = forms.CharField(label=_("移出理由"), max_length=2000, error_messages=_required(_("请写明移出理由。")))
