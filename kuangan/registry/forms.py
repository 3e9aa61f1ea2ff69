"""Shape validation of user input; the same MineForm validates every row of an Excel import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kuangan.core.choices import DivisionLevel
from kuangan.core.masking import PERSONAL_FIELDS, mask_value
from kuangan.core.models import Division

from .choices import MineStatus
from .models import Enterprise, LeadershipMember, Licence, Mine, MineSupervisor, MiningLevel, WorkingFace
from .rules import REGULATED_MINE_FIELDS


def _limit(form: forms.BaseForm, name: str, queryset: Any) -> None:
    """Scope a model choice field to what the user may pick."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Fields that only a regulator may set; a mine or enterprise edits the rest of its dossier.
REGULATOR_ONLY_FIELDS = ("code", "enterprise", "division", "kind")
# Set once at registration (creation, Excel import); afterwards written only by enforcement.actions: the
# class is computed from the mine's facts, or overridden there by an inspector with a reason (R3.1).
COMPUTED_FIELDS = ("supervision_class",)


class MineForm(forms.ModelForm):
    class Meta:
        model = Mine
        fields = [
            "code", "name", "enterprise", "division", "kind", "status", "approved_capacity", "gas_class",
            "hydro_type", "rock_burst", "spontaneous_combustion", "disaster_grade", "standardization_grade",
            "intelligent_status", "supervision_class", "has_upgrade_project", "address", "longitude", "latitude",
        ]
        error_messages = {"code": {"unique": _("该矿山编码已存在。")}}

    def __init__(self, *args: Any, divisions: Any, enterprises: Any, regulator: bool = True,
                 creating: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit(self, "division", divisions.filter(level=DivisionLevel.COUNTY))
        _limit(self, "enterprise", enterprises)
        if not creating:
            del self.fields["status"]  # a status changes only through the status-change form (R1.5)
            for name in COMPUTED_FIELDS:  # the class is the enforcement module's (R3.1)
                del self.fields[name]
        if not regulator:  # regulated facts: the mine proposes a change instead (MineFactsProposalForm)
            for name in (*REGULATOR_ONLY_FIELDS, *REGULATED_MINE_FIELDS):
                self.fields.pop(name, None)


class MineStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("新状态"), choices=MineStatus.choices)
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE_WIDGET, required=False,
                                   help_text=_("不填则为办理当天（北京时间）。"))
    document_number = forms.CharField(label=_("文书编号"), max_length=60, required=False)
    reason = forms.CharField(label=_("变更原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = ["name", "credit_code", "parent", "division", "legal_representative", "address"]
        error_messages = {"name": {"unique": _("该企业名称已存在。")},
                          "credit_code": {"unique": _("该统一社会信用代码已存在。")}}

    def __init__(self, *args: Any, divisions: Any, enterprises: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit(self, "division", divisions)
        parents = enterprises
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        _limit(self, "parent", parents)


class LicenceForm(forms.ModelForm):
    class Meta:
        model = Licence
        fields = ["kind", "number", "issued_on", "expires_on"]
        widgets = {"issued_on": DATE_WIDGET, "expires_on": DATE_WIDGET}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires <= issued:
            self.add_error("expires_on", _("有效期须晚于发证日期。"))
        return data


class MaskedPersonalForm(forms.ModelForm):
    """R10.8: an edit form shows stored personal data masked, never in full. The mask sent back
    unchanged keeps the stored value; a new value replaces it (and is validated); any other value
    with * is refused, so a mask is never stored. An emptied field removes the value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored: dict[str, str] = {}
        for name in PERSONAL_FIELDS.keys() & self.fields.keys():
            stored = getattr(self.instance, name, "") if self.instance.pk else ""
            if stored:
                self.stored[name] = stored
                self.initial[name] = mask_value(name, stored)
                self.fields[name].help_text = _("已隐去部分内容；不修改则保留原值，改为新值或清空均可。")

    def _personal(self, name: str) -> str:
        value: str = self.cleaned_data.get(name) or ""
        stored = self.stored.get(name, "")
        if stored and value == mask_value(name, stored):
            return stored
        if "*" in value:
            raise forms.ValidationError(_("请填写完整的%(label)s，或保留原来显示的内容不做修改。")
                                        % {"label": self.fields[name].label})
        return value

    def clean_id_number(self) -> str:
        return self._personal("id_number")

    def clean_phone(self) -> str:
        return self._personal("phone")


class LeadershipMemberForm(MaskedPersonalForm):
    class Meta:
        model = LeadershipMember
        fields = ["post", "name", "id_number", "phone", "education", "major", "major_is_mining",
                  "frontline_years", "appointed_on", "holds_mine_head_post", "active", "card_code"]
        widgets = {"appointed_on": DATE_WIDGET}


class MiningLevelForm(forms.ModelForm):
    class Meta:
        model = MiningLevel
        fields = ["name", "elevation", "status"]


class WorkingFaceForm(forms.ModelForm):
    class Meta:
        model = WorkingFace
        fields = ["name", "kind", "level", "mining_method", "status"]

    def __init__(self, *args: Any, mine: Mine, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit(self, "level", MiningLevel.objects.filter(mine=mine))


class MineSupervisorForm(MaskedPersonalForm):
    class Meta:
        model = MineSupervisor
        fields = ["kind", "name", "position", "phone", "start_on", "end_on"]
        widgets = {"start_on": DATE_WIDGET, "end_on": DATE_WIDGET}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_on") and data.get("end_on") and data["end_on"] < data["start_on"]:
            self.add_error("end_on", _("结束日期不能早于起始日期。"))
        return data


class MineFactsProposalForm(forms.ModelForm):
    """The regulated facts a mine proposes to change, starting from the dossier's values."""

    class Meta:
        model = Mine
        fields = list(REGULATED_MINE_FIELDS)


class ProposalReasonForm(forms.Form):
    reason = forms.CharField(label=_("申请理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    delete = forms.BooleanField(label=_("申请删除该记录"), required=False)

    def __init__(self, *args: Any, record: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not record:
            del self.fields["delete"]


class ProposalDecisionForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                           required=False)


def division_choices_for(user: Any) -> Any:
    """Divisions a user may place records in: its regulator's jurisdiction, or its own mines' counties."""
    org = user.organization
    if org is not None and org.kind == "regulator":
        return Division.objects.filter(path__startswith=org.division.path)
    return Division.objects.filter(mines__in=Mine.objects.visible_to(user)).distinct()


class ProductionReturnForm(forms.Form):
    """A month's output as the mine head signs it; the month is named by any day of it (a month input)."""

    month = forms.DateField(label=_("月份"), input_formats=["%Y-%m", "%Y-%m-%d"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
                            error_messages={"invalid": _("请选择月份（如 2024-06）。")})
    tonnes = forms.DecimalField(label=_("原煤产量（吨）"), min_value=0, max_digits=12, decimal_places=2,
                                error_messages={"min_value": _("产量不能为负数。")})
    note = forms.CharField(label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("更正已填报的月份时请写明原因。"))

    def clean_month(self) -> Any:
        month = self.cleaned_data["month"]
        return month.replace(day=1)
