"""Shared builders of the workforce tests: workers and certificates made through the actions, as users make them."""

from __future__ import annotations

from datetime import date
from typing import Any

from kuangan.testing import World
from kuangan.workforce import actions
from kuangan.workforce.models import OperatorCertificate, Worker

ID_NUMBER = "141129198505051234"


def card(world: World, n: int = 1, mine: Any = None) -> str:
    """A person card of the mine (A1 by default): its code and 5 digits."""
    return f"{(mine or world.a1).code}{n:05d}"


def worker_data(world: World, n: int = 1, **overrides: Any) -> dict[str, Any]:
    data = {"card_code": card(world, n, overrides.pop("mine", None)), "name": "张三", "id_number": ID_NUMBER,
            "post": "电工", "team": "机电一队", "trade": "井下电钳工", "leader_flag": False, "special_flag": True}
    data.update(overrides)
    return data


def make_worker(world: World, n: int = 1, **overrides: Any) -> Worker:
    return actions.create_worker(world.a1.pk, by=world.actor(world.mine_safety_officer), data=worker_data(world, n, **overrides))


def make_certificate(world: World, worker: Worker, *, issued: date = date(2022, 1, 10), expires: date = date(2028, 1, 9),
                     operation_type: str = "underground_electrical", number: str = "T141129198505051234") -> OperatorCertificate:
    return actions.add_certificate(worker.pk, by=world.actor(world.mine_safety_officer), data={
        "operation_type": operation_type, "number": number, "issued": issued, "expires": expires})
