"""Shape validation of user input; the rules (the card is the mine's, dates in order, no duplicate) are
checked again by the actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kuangan.registry.forms import DATE_WIDGET, MaskedPersonalForm

from . import rules
from .masking import mask_certificate_number
from .models import OperatorCertificate, Worker


class WorkerForm(MaskedPersonalForm):
    """The ID number is shown masked and kept when sent back unchanged (MaskedPersonalForm, R10.8)."""

    class Meta:
        model = Worker
        fields = ["card_code", "name", "id_number", "post", "team", "trade", "leader_flag", "special_flag"]


class CertificateForm(forms.ModelForm):
    class Meta:
        model = OperatorCertificate
        fields = ["operation_type", "number", "issued", "expires"]
        widgets = {"issued": DATE_WIDGET, "expires": DATE_WIDGET}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """A number holding an ID number is shown masked (masking.py) and kept when sent back unchanged."""
        super().__init__(*args, **kwargs)
        stored = self.instance.number if self.instance.pk else ""
        self.stored_number = stored if stored and mask_certificate_number(stored) != stored else ""
        if self.stored_number:
            self.initial["number"] = mask_certificate_number(self.stored_number)
            self.fields["number"].help_text = _("证号含身份证号，已隐去部分内容；不修改则保留原值。")

    def clean_number(self) -> str:
        value: str = self.cleaned_data.get("number") or ""
        if self.stored_number and value == mask_certificate_number(self.stored_number):
            return self.stored_number
        if "*" in value:
            raise forms.ValidationError(_("请填写完整的操作证号，或保留原来显示的内容不做修改。"))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued, expires = data.get("issued"), data.get("expires")
        if issued and expires:
            problem = rules.certificate_problem(issued, expires)
            if problem:
                self.add_error("expires", problem)
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=2000, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("如离职、调离")}))
