"""Shared fixtures: the world (jurisdiction, mines, personas) and the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from django.utils import translation

from kuangan.core import clock
from kuangan.testing import World, build_world

T0 = datetime(2024, 6, 30, 8, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """Each test starts in the default language: a request that switched to English leaves its
    language active on the thread."""
    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def audit_anchor_log(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test anchors the audit chain in a log of its own: a tick in one test must not leave an
    anchor that another test's database (or the demo's) then fails to match."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.log"


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def frozen_clock() -> Iterator[datetime]:
    with clock.frozen(T0) as at:
        yield at


@pytest.fixture
def login(client):  # type: ignore[no-untyped-def]
    """login(user) -> a Django test client logged in as that user."""

    def _login(user):  # type: ignore[no-untyped-def]
        client.force_login(user)
        return client

    return _login
