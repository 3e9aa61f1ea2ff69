"""Shape validation of the monitoring forms; the rules (the 两停一撤六查 checklist of a gas over-limit,
a planned window declared ahead, its length and the county's approval) are checked by the actions and
shown beside the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kuangan.core.dates import validate_in_range
from kuangan.core.models import User
from kuangan.hazards.choices import HazardLevel
from kuangan.hazards.models import HazardStandardItem
from kuangan.registry.models import Mine

from .choices import GAS_RESPONSE, AreaUse, WindowKind

TEXT = forms.Textarea(attrs={"rows": 3})
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _datetime(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, input_formats=DATETIME_FORMATS, validators=[validate_in_range],
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=2000, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("可不填")}))


class AssignForm(forms.Form):
    assignee: forms.ModelChoiceField = forms.ModelChoiceField(label=_("处置人"), queryset=User.objects.none())

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users  # type: ignore[attr-defined]
        self.fields["assignee"].label_from_instance = (  # type: ignore[attr-defined]
            lambda u: f"{u.display_name}（{u.organization or ''} · {u.get_role_display()}）")


class DisposeForm(forms.Form):
    cause = forms.CharField(label=_("原因"), widget=TEXT, max_length=4000)
    measures = forms.CharField(label=_("处置措施"), widget=TEXT, max_length=4000)
    checklist = forms.MultipleChoiceField(label=_("两停一撤六查"), choices=GAS_RESPONSE, required=False,
                                          widget=forms.CheckboxSelectMultiple)


class HazardFromAlarmForm(forms.Form):
    """登记为隐患: the hazard's description is prefilled from the alarm."""

    level = forms.ChoiceField(label=_("隐患级别"), choices=HazardLevel.choices, initial=HazardLevel.ORDINARY)
    standard_item: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("判定依据（重大事故隐患必填）"), queryset=HazardStandardItem.objects.none(), required=False)
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    description = forms.CharField(label=_("隐患描述"), widget=TEXT, max_length=4000)

    def __init__(self, *args: Any, items: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standard_item"].queryset = items  # type: ignore[attr-defined]
        self.fields["standard_item"].label_from_instance = lambda i: f"{i.code} {i.text[:60]}"  # type: ignore[attr-defined]


class PlannedWindowForm(forms.Form):
    mine: forms.ModelChoiceField = forms.ModelChoiceField(label=_("矿山"), queryset=Mine.objects.none())
    kind = forms.ChoiceField(label=_("类别"), choices=WindowKind.choices)
    start = _datetime(_("开始时间"))
    end = _datetime(_("结束时间"))
    points = forms.CharField(label=_("测点编码"), widget=TEXT, max_length=4000, required=False,
                             help_text=_("每行一个；留空表示全部测点。"))
    reason = forms.CharField(label=_("事由"), max_length=300)

    def __init__(self, *args: Any, mines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = mines  # type: ignore[attr-defined]


class WindowDecisionForm(forms.Form):
    """批准 / 驳回 a pending window; a rejection needs the note (the action says so)."""

    note = forms.CharField(label=_("审批意见"), max_length=300, required=False)


# --- leads and personnel positioning (issue 20) -------------------------------------------------------------


class LeadReviewForm(forms.Form):
    note = forms.CharField(label=_("研判说明"), max_length=2000, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("可不填")}))


class LeadDismissForm(forms.Form):
    reason = forms.CharField(label=_("排除理由"), widget=TEXT, max_length=4000,
                             error_messages={"required": _("排除线索须填写理由。")})


class AlarmToLeadForm(forms.Form):
    note = forms.CharField(label=_("转为线索的理由"), max_length=2000, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("转为线索的理由（可不填）"), "size": 20}))


class AreaMappingForm(forms.Form):
    """What a positioning area is underground; a mine's edit waits for a regulator's confirmation."""

    area: forms.ModelChoiceField = forms.ModelChoiceField(label=_("定位区域"), queryset=Mine.objects.none(),
                                                          error_messages={"required": _("请选择定位区域。")})
    declared_as = forms.ChoiceField(label=_("实际用途"), required=False,
                                    choices=[("", _("未申报"))] + list(AreaUse.choices))
    face: forms.ModelChoiceField = forms.ModelChoiceField(label=_("对应工作面"), queryset=Mine.objects.none(),
                                                          required=False, help_text=_("用途为采掘工作面时必选。"))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args: Any, areas: Any, faces: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["area"].label_from_instance = lambda a: f"{a.name or a.code}（{a.code}）"  # type: ignore[attr-defined]
        self.fields["face"].queryset = faces  # type: ignore[attr-defined]
        self.fields["face"].label_from_instance = (  # type: ignore[attr-defined]
            lambda f: f"{f.name}（{f.get_kind_display()}，{f.get_status_display()}）")


class FenceForm(forms.Form):
    name = forms.CharField(label=_("围栏名称"), max_length=100, error_messages={"required": _("请填写围栏名称。")})
    areas = forms.MultipleChoiceField(label=_("禁止进入的定位区域"), required=False, widget=forms.CheckboxSelectMultiple)
    stations = forms.CharField(label=_("禁止进入的基站编码"), widget=TEXT, max_length=4000, required=False,
                               help_text=_("每行一个，须以本矿编码开头。"))
    start = _datetime(_("生效时间"))
    end = _datetime(_("结束时间"))
    reason = forms.CharField(label=_("划定理由"), max_length=300, error_messages={"required": _("请填写划定理由。")})

    def __init__(self, *args: Any, areas: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["end"].required = False
        self.fields["end"].help_text = _("留空表示长期有效，直至解除。")
        self.fields["start"].error_messages["required"] = _("请填写生效时间。")
        self.fields["areas"].choices = [  # type: ignore[attr-defined]
            (a.code, f"{a.name or a.code}（{a.code}）") for a in areas]

    def station_codes(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("stations", "").splitlines() if line.strip()]


class ShiftsForm(forms.Form):
    starts = forms.CharField(label=_("班次开始时间"), max_length=100,
                             help_text=_("用逗号或空格分隔，如 00:00, 08:00, 16:00（三八制）。"),
                             error_messages={"required": _("请填写班次开始时间。")})
    maintenance = forms.CharField(label=_("检修班开始时间"), max_length=5, required=False,
                                  help_text=_("没有检修班时留空。"))

    def start_list(self) -> list[str]:
        return [s for s in self.cleaned_data.get("starts", "").replace("，", ",").replace(",", " ").split() if s]
