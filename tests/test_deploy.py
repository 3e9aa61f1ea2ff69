"""Deployment hardening (issue 17 item 9): no start without a secret key, `check --deploy` clean with
KUANGAN_HTTPS=1, a Content-Security-Policy that allows no inline script (and no page that needs one), and
`Cache-Control: no-store` on what authenticated requests receive."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from kuangan.core.models import User
from kuangan.testing import World

BIN = Path(sys.executable).parent / "kuangan"
TEMPLATES = sorted(Path(settings.BASE_DIR, "kuangan").glob("*/templates/**/*.html"))
# an executable <script> without src (JSON data blocks are not run), an inline handler, a javascript: URL
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*?\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _kuangan(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it: a clean environment, not pytest's."""
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "KUANGAN_VAR_DIR": str(tmp_path / "var"),
            "KUANGAN_DEBUG": "0", "LANG": "C.UTF-8"}
    return subprocess.run([str(BIN), *args], env={**base, **env}, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.nodb
def test_without_a_secret_key_the_platform_refuses_to_start(tmp_path: Path) -> None:
    result = _kuangan(tmp_path, "check")
    assert result.returncode != 0
    assert "KUANGAN_SECRET_KEY is not set" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr  # and how to make one


def _keys(tmp_path: Path) -> dict[str, str]:
    audit_key = tmp_path / "audit.key"
    audit_key.write_text(secrets.token_urlsafe(50))
    return {"KUANGAN_SECRET_KEY": secrets.token_urlsafe(50), "KUANGAN_AUDIT_KEY": str(audit_key)}


@pytest.mark.nodb
def test_the_deploy_check_is_clean_with_https(tmp_path: Path) -> None:
    result = _kuangan(tmp_path, "check", "--deploy", "--fail-level", "WARNING", KUANGAN_HTTPS="1", **_keys(tmp_path))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "identified no issues" in result.stdout


@pytest.mark.nodb
def test_without_https_the_deploy_check_names_what_is_missing(tmp_path: Path) -> None:
    result = _kuangan(tmp_path, "check", "--deploy", "--fail-level", "WARNING", KUANGAN_HTTPS="0", **_keys(tmp_path))
    assert result.returncode != 0
    for code in ("W004", "W008", "W012", "W016"):  # HSTS, SSL redirect, secure session and CSRF cookies
        assert f"security.{code}" in result.stderr + result.stdout, code


@pytest.mark.nodb
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_no_template_holds_inline_script(template: Path) -> None:
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text), "an inline <script>: move it to a static file"
    assert not INLINE_HANDLER.search(text), "an inline event handler: use a listener in a static file"
    assert not JS_URL.search(text)


def _pages(client: Client) -> dict[str, str]:
    """The home page and every page its navigation and links lead to (one step), rendered."""
    seen: dict[str, str] = {}
    home = client.get("/", follow=True)
    seen["/"] = home.content.decode()
    for href in dict.fromkeys(re.findall(r'href="(/[^"#]*)"', seen["/"])):
        path = urlsplit(href).path
        if path.startswith(("/static/", "/media/")) or "export" in path or "template" in path or path in seen:
            continue
        response = client.get(href)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            seen[path] = response.content.decode()
    return seen


def test_every_page_of_every_role_runs_under_the_policy(world: World, client: Client) -> None:
    users = User.objects.exclude(role="").filter(is_machine=False)
    assert users.count() >= 9
    rendered = 0
    for user in users:
        client.force_login(user)
        for path, html in _pages(client).items():
            where = f"{user.username} {path}"
            assert not INLINE_SCRIPT.search(html), where
            assert not INLINE_HANDLER.search(html), where
            assert not JS_URL.search(html), where
            rendered += 1
    assert rendered > 30  # the crawl reached the ledgers, not only the home pages
    detail = client.get(f"/registry/mines/{world.a1.pk}/")
    assert "script-src 'self'" in detail["Content-Security-Policy"]


def test_the_policy_allows_only_our_own_scripts(world: World, client: Client) -> None:
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in directives["style-src"] and directives["default-src"] == "'self'"
    client.force_login(world.inspector)
    for url in ("/api/v1/registry/mines", "/api/v1/docs", "/static/core/kuangan.js"):
        assert "Content-Security-Policy" in client.get(url), url


def test_the_api_docs_load_their_scripts_from_our_origin(world: World, client: Client) -> None:
    client.force_login(world.inspector)
    html = client.get("/api/v1/docs").content.decode()
    assert not INLINE_SCRIPT.search(html) and not INLINE_HANDLER.search(html)
    for src in re.findall(r'<script[^>]*src="([^"]+)"', html):
        assert src.startswith("/static/"), src
        script = client.get(src)
        assert script.status_code == 200 and "javascript" in script["Content-Type"], src
        assert len(b"".join(script.streaming_content)) > 1000, src  # the docs' script itself, not an empty file


def test_authenticated_answers_are_not_stored_and_static_files_are(world: World, client: Client) -> None:
    client.force_login(world.inspector)
    for url in (f"/registry/mines/{world.a1.pk}/", "/registry/mines/export/", "/api/v1/registry/mines"):
        assert client.get(url)["Cache-Control"] == "no-store", url
    static = client.get("/static/core/kuangan.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


def test_a_token_answer_is_not_stored(world: World, client: Client) -> None:
    from kuangan.core.actions import create_token
    from kuangan.core.actor import Actor

    _row, secret = create_token(world.inspector.pk, by=Actor.system("shell"), name="t")
    response = client.get("/api/v1/registry/mines", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
