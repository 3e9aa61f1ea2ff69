"""Loads the determination standards of catalog_data.py into the database (a data migration calls it;
new versions are added in the Django admin)."""

from __future__ import annotations

from datetime import date
from typing import Any

from .catalog_data import STANDARDS


def load_catalog(standard_model: Any, item_model: Any) -> int:
    """Create or update every standard and item; returns the number of items."""
    count = 0
    for s in STANDARDS:
        std, _ = standard_model.objects.update_or_create(code=s.code, defaults={
            "industry": s.industry, "name": s.name, "document": s.document,
            "effective_from": date.fromisoformat(s.effective_from), "notes": s.notes})
        for i in s.items:
            item_model.objects.update_or_create(standard=std, code=i.code, defaults={
                "category_code": i.category_code, "category_name": i.category_name, "article": i.article,
                "text": i.text, "gap": i.gap})
            count += 1
    return count
