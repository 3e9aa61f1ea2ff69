"""The seeded single-shift headcount limits (RULES.md §4). The 2023 rules (矿安〔2023〕129号) replaced the
2019 试行 table, but their table was not found: these rows are the 2019 ones, shown with that source on
every page that uses them and editable in the admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

SOURCE_2019 = "《煤矿井下单班作业人数限员规定（试行）》（2019）；已被矿安〔2023〕129号取代，新标准数值未找到"

# (capacity above, capacity up to] in 万t/a → (disaster-severe, other)   第四条
MINE_TIERS = [
    (None, 30, 100, 80),
    (30, 60, 200, 100),
    (60, 120, 300, 180),
    (120, 180, 400, 200),
    (180, 300, 600, 280),
    (300, 500, 800, 400),
    (500, None, 850, 450),
]

MECHANIZED_LONGWALL = ["fully_mechanized", "top_coal_caving"]
# face kind, methods, shift ("" = any), disaster-severe, other   第五条、第六条
FACE_ROWS = [
    ("longwall", MECHANIZED_LONGWALL, "production", 25, 20),
    ("longwall", MECHANIZED_LONGWALL, "maintenance", 40, 30),
    ("longwall", ["blasting", "conventional"], "", 25, 25),
    ("heading", ["mechanized_heading", "continuous_miner"], "", 18, 16),
    ("heading", ["blast_heading"], "", 15, 12),
]


def rows() -> list[dict[str, Any]]:
    def dec(v: int | None) -> Decimal | None:
        return None if v is None else Decimal(v)

    out: list[dict[str, Any]] = [{"scope": "mine", "capacity_above": dec(lo), "capacity_upto": dec(hi), "face_kind": "",
            "mining_methods": [], "shift": "", "disaster_limit": d, "other_limit": o, "source": SOURCE_2019}
           for lo, hi, d, o in MINE_TIERS]
    out += [{"scope": "face", "capacity_above": None, "capacity_upto": None, "face_kind": kind,
             "mining_methods": methods, "shift": shift, "disaster_limit": d, "other_limit": o, "source": SOURCE_2019}
            for kind, methods, shift, d, o in FACE_ROWS]
    return out
