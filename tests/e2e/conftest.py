"""Browser fixtures: Debian's headless Chromium driven by Playwright's sync API, against `live_server`."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

AUDIT_MIGRATION = "kuangan.core.migrations.0002_divisions_and_append_only"


def _audit_triggers_off_and_on(vendor: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        return (["ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_truncate"],
                ["ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_no_truncate"])
    if vendor == "sqlite":
        create = [sql for sql in importlib.import_module(AUDIT_MIGRATION).SQLITE_TRIGGERS
                  if "core_auditevent_no_delete" in sql]
        return ["DROP TRIGGER IF EXISTS core_auditevent_no_delete"], create
    return [], []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """`live_server` tests are transactional: their data is committed, and their teardown flushes every table.
    The audit table refuses that in the database itself (a TRUNCATE trigger on PostgreSQL, row DELETE triggers
    on SQLite). So, during such a teardown only, the flush switches those triggers off and back on around its
    own statements, in its own transaction: they are never left off, whatever fails."""
    if "live_server" not in getattr(item, "fixturenames", ()):
        return (yield)
    from django.db.backends.base.operations import BaseDatabaseOperations

    flush = BaseDatabaseOperations.execute_sql_flush

    def flush_with_audit_triggers_off(self: BaseDatabaseOperations, sql_list: list[str]) -> None:
        off, on = _audit_triggers_off_and_on(self.connection.vendor)
        flush(self, [*off, *sql_list, *on])

    BaseDatabaseOperations.execute_sql_flush = flush_with_audit_triggers_off  # type: ignore[method-assign]
    try:
        return (yield)
    finally:
        BaseDatabaseOperations.execute_sql_flush = flush  # type: ignore[method-assign]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (never `playwright install`)")
    # Playwright's sync API keeps an event loop running in this thread, so Django's async-safety check would
    # refuse ORM calls made by the test body while the browser is up (the live server's threads are not
    # affected). Allowed only for that time. Such calls get a connection of their own (Django keys connections
    # by context while a loop runs): fine here, where every write is committed (transactional test).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught JavaScript errors and 5xx responses the browser met; a test asserts it stays empty."""
    return []


@pytest.fixture
def page(browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(f"JavaScript: {exc}"))
    page.on("response", lambda r: page_errors.append(f"HTTP {r.status} {r.url}") if r.status >= 500 else None)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """screenshot("step") saves test-artifacts/screenshots/<test>-<nn>-<step>.png, the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shot(step: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shot
