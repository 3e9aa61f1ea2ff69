"""The workers ledger's filters, shared by the page and its Excel export (one definition)."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import field_validator

from .choices import CertificateFilter, RosterFilter


def _title(text: str) -> str:
    """A filter's label in the user's language when the page names a dropped value (translated when shown)."""
    return cast(str, _(text))


class WorkerFilter(Schema):
    q: str | None = Field(None, title=_title("姓名或人员卡编码"))  # name or card contains
    team: str | None = Field(None, title=_title("班组"))  # team contains
    special: bool | None = Field(None, title=_title("特种作业人员"))  # the roster's special-operator mark
    certificate: CertificateFilter | None = Field(None, title=_title("证件"))
    roster: RosterFilter | None = Field(None, title=_title("在册"))  # None: on the roster

    @field_validator("q", "team", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return v.strip()[:50] or None if isinstance(v, str) else v

    def apply(self, qs: QuerySet[Any], certificate_q: Q | None) -> QuerySet[Any]:
        """`certificate_q`: the filter of `certificate` for the day (queries.certificate_q)."""
        if self.q:
            qs = qs.filter(Q(name__icontains=self.q) | Q(card_code__icontains=self.q))
        if self.team:
            qs = qs.filter(team__icontains=self.team)
        if self.special is not None:
            qs = qs.filter(special_flag=self.special)
        if certificate_q is not None:
            qs = qs.filter(certificate_q)
        roster = self.roster or RosterFilter.ACTIVE
        if roster != RosterFilter.ALL:
            qs = qs.filter(active=roster == RosterFilter.ACTIVE)
        return qs
