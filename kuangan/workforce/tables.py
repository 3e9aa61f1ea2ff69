"""The workers ledger's columns, shared by the Excel export and the Excel import: one row per certificate
(a worker without one takes one row), so that an exported ledger imports again as it was."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop as N_


@dataclass(frozen=True)
class Column:
    key: str  # a Worker or OperatorCertificate field, or a derived name
    label: str  # Chinese, as the workbook has it; pages translate it
    imported: bool = True
    required: bool = False  # the import refuses a workbook without this column
    width: int = 12


WORKER_COLUMNS = [
    Column("card_code", N_("人员卡编码"), required=True, width=20),
    Column("name", N_("姓名"), required=True, width=10),
    Column("id_number", N_("身份证号"), width=20),
    Column("post", N_("岗位")),
    Column("team", N_("班组")),
    Column("trade", N_("工种")),
    Column("leader_flag", N_("矿领导（名册标注）"), width=10),
    Column("special_flag", N_("特种作业人员（名册标注）"), width=10),
    Column("active", N_("在册"), imported=False, width=6),
    Column("operation_type", N_("作业类别"), width=18),
    Column("number", N_("操作证号"), width=22),
    Column("issued", N_("发证日期")),
    Column("expires", N_("有效期至")),
    Column("state", N_("证件状态"), imported=False, width=10),
]
WORKER_KEYS = ("card_code", "name", "id_number", "post", "team", "trade", "leader_flag", "special_flag")
CERTIFICATE_KEYS = ("operation_type", "number", "issued", "expires")
