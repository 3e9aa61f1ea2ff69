"""Shape validation of the hazard loop's forms; the rules (five implementations, who may close out)
are checked by the actions and shown beside the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kuangan.core.choices import Perm
from kuangan.core.dates import validate_in_range
from kuangan.core.errors import DomainError
from kuangan.core.uploads import PHOTO_TYPES, check_upload
from kuangan.registry.models import Mine, WorkingFace

from .choices import AttachmentKind, HazardLevel, HazardSource
from .models import HazardStandardItem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class HazardReportForm(forms.Form):
    mine: forms.ModelChoiceField = forms.ModelChoiceField(label=_("矿山"), queryset=Mine.objects.none())
    level = forms.ChoiceField(label=_("隐患级别"), choices=HazardLevel.choices, initial=HazardLevel.MAJOR)
    standard_item: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("判定依据（重大事故隐患必填）"), queryset=HazardStandardItem.objects.none(), required=False)
    source = forms.ChoiceField(label=_("来源"), choices=HazardSource.choices)
    found_at = forms.DateTimeField(label=_("排查时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
                                   validators=[validate_in_range])
    found_by = forms.CharField(label=_("排查单位/人员"), max_length=100)
    face: forms.ModelChoiceField = forms.ModelChoiceField(label=_("工作面"), queryset=WorkingFace.objects.none(),
                                                          required=False)
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    description = forms.CharField(label=_("隐患描述"), widget=TEXT, max_length=4000)
    photos = MultipleFileField(label=_("现场照片（jpg、png）"))

    def __init__(self, *args: Any, mines: Any, items: Any, faces: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = mines  # type: ignore[attr-defined]
        self.fields["standard_item"].queryset = items  # type: ignore[attr-defined]
        self.fields["standard_item"].label_from_instance = lambda i: f"{i.code} {i.text[:60]}"  # type: ignore[attr-defined]
        self.fields["face"].queryset = faces  # type: ignore[attr-defined]
        self.fields["face"].label_from_instance = lambda f: f"{f.mine.name} · {f.name}"  # type: ignore[attr-defined]

    def clean_photos(self) -> list[Any]:
        """A bad photo is named once, beside its field (the action checks again)."""
        photos: list[Any] = self.cleaned_data["photos"]
        for f in photos:
            try:
                check_upload(f, PHOTO_TYPES)
            except DomainError as e:
                raise forms.ValidationError(e.message) from None
        return photos


class FiveImplementationsForm(forms.Form):
    """All optional here: the rule names every missing one of the five (R2.3)."""

    responsible_person = forms.CharField(label=_("整改责任人"), max_length=50, required=False)
    measures = forms.CharField(label=_("整改措施"), widget=TEXT, max_length=4000, required=False)
    funds = forms.DecimalField(label=_("整改资金（万元）"), max_digits=10, decimal_places=2, min_value=0,
                               required=False)
    deadline = forms.DateField(label=_("整改时限"), widget=DATE, required=False, validators=[validate_in_range])
    contingency_plan = forms.CharField(label=_("应急预案"), widget=TEXT, max_length=4000, required=False)


class CloseOutRequestForm(forms.Form):
    evaluation_by = forms.CharField(label=_("评估人员（工程技术人员或专家）"), max_length=200, required=False)
    evaluation = forms.CharField(label=_("评估意见"), widget=TEXT, max_length=4000, required=False)
    resume_evaluation = forms.CharField(label=_("复产评估（停产整改的隐患必填）"), widget=TEXT, max_length=4000,
                                        required=False)
    documents = MultipleFileField(label=_("评估报告与整改材料（pdf、doc、docx、xls、xlsx、jpg、png）"))


class VerifyForm(forms.Form):
    approve = forms.TypedChoiceField(label=_("验收结论"), coerce=lambda v: v == "1",
                                     choices=[("1", _("验收合格，予以销号")), ("0", _("不合格，退回整改"))])
    opinion = forms.CharField(label=_("验收意见"), widget=TEXT, max_length=4000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=TEXT, max_length=2000)
    document_number = forms.CharField(label=_("文书编号"), max_length=60, required=False)


class RootCauseForm(forms.Form):
    cause_analysis = forms.CharField(label=_("原因分析"), widget=TEXT, max_length=4000, required=False)
    prevention_measures = forms.CharField(label=_("源头治理措施"), widget=TEXT, max_length=4000, required=False)
    finder_reward = forms.CharField(label=_("发现人奖励"), max_length=200, required=False)
    cause_penalty = forms.CharField(label=_("责任人处罚"), max_length=200, required=False)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=AttachmentKind.choices)
    documents = MultipleFileField(label=_("文件"))


class InvestigationForm(forms.Form):
    cause = forms.CharField(label=_("原因"), widget=TEXT, max_length=4000, required=False)
    responsibility = forms.CharField(label=_("责任认定"), widget=TEXT, max_length=4000, required=False)
    accountability_proposal = forms.CharField(label=_("追责建议"), widget=TEXT, max_length=4000, required=False)
    conclude = forms.BooleanField(label=_("结案"), required=False)


class MonthlyReportForm(forms.Form):
    month = forms.DateField(label=_("月份"), widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
                            input_formats=["%Y-%m", "%Y-%m-%d"], validators=[validate_in_range])
    is_zero = forms.TypedChoiceField(label=_("报告内容"), coerce=lambda v: v == "1", choices=[
        ("0", _("本月排查发现的重大事故隐患（按已登记的清单报送）")), ("1", _("零报告：本月未发现重大事故隐患"))])
    note = forms.CharField(label=_("说明"), widget=TEXT, max_length=2000, required=False)


class DecisionForm(forms.Form):
    accept = forms.TypedChoiceField(label=_("决定"), coerce=lambda v: v == "1",
                                    choices=[("1", _("提请关闭")), ("0", _("不予提请"))])
    note = forms.CharField(label=_("决定意见"), widget=TEXT, max_length=2000)


# Each hazard action: its form and the permission that shows the form on the page.
ACTION_FORMS: dict[str, tuple[type[forms.Form], str]] = {
    "start_rectification": (FiveImplementationsForm, Perm.HAZARD_RECTIFY),
    "request_close_out": (CloseOutRequestForm, Perm.HAZARD_RECTIFY),
    "verify_close_out": (VerifyForm, Perm.HAZARD_VERIFY),
    "list_for_supervision": (ReasonForm, Perm.HAZARD_SUPERVISE),
    "order_stop_production": (ReasonForm, Perm.HAZARD_SUPERVISE),
    "record_root_cause": (RootCauseForm, Perm.MINE_VIEW),
    "add_attachments": (AttachmentForm, Perm.MINE_VIEW),
    "update_investigation": (InvestigationForm, Perm.HAZARD_SUPERVISE),
}

