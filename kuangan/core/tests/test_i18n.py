"""The English interface: the language switch, translated pages and choices, error pages, and a complete
catalog (kuangan/locale/en). Chinese stays the default."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LOCALE_EN = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{\s*\w+\s*\}\}")


@pytest.fixture(autouse=True)
def _keep_the_language_of_the_thread():  # type: ignore[no-untyped-def]
    """LocaleMiddleware leaves the last request's language active on the thread: without this, the English
    requests below would turn messages English in whatever test runs next in this process."""
    with translation.override(translation.get_language()):
        yield


def switch_language(client, language: str, next_url: str = "/"):  # type: ignore[no-untyped-def]
    response = client.post(reverse("set_language"), {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    return response


# --- pages -------------------------------------------------------------------------------------------------


def test_pages_are_chinese_by_default(world, login):
    client = login(world.inspector)
    page = client.get(reverse("registry:mine_list")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "矿山台账" in page
    assert ">井工煤矿</option>" in page  # the mine-kind filter
    assert "执法人员" in page  # the role in the top bar
    assert "Mine ledger" not in page


def test_the_language_switch_turns_the_interface_english(world, login):
    client = login(world.inspector)
    url = reverse("registry:mine_list")
    switch_language(client, "en", url)
    page = client.get(url).content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Mine ledger</h1>" in page
    assert "<title>Mine ledger · Kuangan</title>" in page
    assert "矿山台账" not in page
    # choices' labels: the mine-kind filter, the cells of the ledger and the role in the top bar
    assert '<option value="coal_underground">Underground coal mine</option>' in page
    assert '<option value="tailings_pond">Tailings pond</option>' in page
    assert "井工煤矿" not in page
    assert "Producing" in page and "正常生产" not in page
    assert "(Inspector)" in page
    assert "Mine dossiers" in page  # navigation section
    # The switch offers the way back, labelled in the language it leads to.
    assert 'value="zh-hans">中文</button>' in page


def test_switching_back_restores_chinese(world, login):
    client = login(world.inspector)
    url = reverse("registry:mine_list")
    switch_language(client, "en", url)
    switch_language(client, "zh-hans", url)
    page = client.get(url).content.decode()
    assert "<h1>矿山台账</h1>" in page
    assert "Mine ledger" not in page


def test_the_mine_dossier_is_english_too(world, login):
    client = login(world.inspector)
    switch_language(client, "en")
    page = client.get(world.a1.get_absolute_url()).content.decode()
    assert "Basic information" in page
    assert "<dt>Mine type</dt><dd>Underground coal mine</dd>" in page
    assert "<dt>Gas class</dt><dd>Low gas</dd>" in page
    assert "<dt>Supervision class</dt><dd>Class B</dd>" in page
    assert "<dt>Approved capacity</dt><dd>90.00 ×10 kt/year</dd>" in page
    for chinese in ("基本信息", "<dd>井工煤矿</dd>", "低瓦斯", "B类", "瓦斯等级", "分级分类", "核定生产能力"):
        assert chinese not in page


def test_a_404_page_is_in_the_users_language(world, login):
    client = login(world.inspector)
    missing = reverse("registry:mine_detail", args=[999_999])

    response = client.get(missing)
    assert response.status_code == 404
    assert "未找到" in response.content.decode()

    switch_language(client, "en")
    for url in (missing, "/no-such-page/"):
        response = client.get(url)
        assert response.status_code == 404
        page = response.content.decode()
        assert "404 · Not found" in page
        assert "outside your jurisdiction" in page
        assert "Back to home" in page
        assert "未找到" not in page


def test_a_404_page_for_a_visitor_follows_the_language_cookie(client, db):
    assert "未找到" in client.get("/no-such-page/").content.decode()
    switch_language(client, "en")
    page = client.get("/no-such-page/").content.decode()
    assert "404 · Not found" in page and "未找到" not in page


# --- the catalog -------------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def read_po(path: Path) -> list[Entry]:
    """A small reader for the subset of the PO format that makemessages writes (obsolete #~ entries skipped)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None

    def close() -> None:
        nonlocal entry, target
        if entry is not None and target is not None:
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            close()
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = Entry(line=number)
        if line.startswith("#,"):
            entry.flags.update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif m := re.fullmatch(r'(msgid|msgid_plural|msgstr)(?:\[(\d+)\])?\s+(".*")', line):
            keyword, index, text = m.group(1), m.group(2), ast.literal_eval(m.group(3))
            if keyword == "msgid":
                entry.msgid, target = text, ("msgid", 0)
            elif keyword == "msgid_plural":
                entry.msgid_plural, target = text, ("msgid_plural", 0)
            else:
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = text
        elif line.startswith('"') and target is not None:
            text = ast.literal_eval(line)
            if target[0] == "msgid":
                entry.msgid += text
            elif target[0] == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + text
            else:
                entry.msgstr[target[1]] += text
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    close()
    return entries


@pytest.fixture(scope="module")
def catalog() -> tuple[Entry, list[Entry]]:
    header, *messages = read_po(LOCALE_EN / "django.po")
    assert header.msgid == ""
    return header, messages


@pytest.mark.nodb
def test_the_catalog_header_is_english_with_two_plural_forms(catalog):
    header, messages = catalog
    assert "fuzzy" not in header.flags
    assert "Language: en\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header.msgstr[0]
    assert len(messages) > 300


@pytest.mark.nodb
def test_every_message_is_translated_and_none_is_fuzzy(catalog):
    _header, messages = catalog
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    expected_forms = {0, 1}
    for e in messages:
        forms = expected_forms if e.msgid_plural is not None else {0}
        assert set(e.msgstr) == forms, f"line {e.line}: {e.msgid!r} has forms {sorted(e.msgstr)}"
        assert all(s.strip() for s in e.msgstr.values()), f"line {e.line}: {e.msgid!r} is untranslated"
        # English for a Chinese interface: a msgstr that is still Chinese was not translated.
        for s in e.msgstr.values():
            assert not re.search(r"[\u4e00-\u9fff]", s), f"line {e.line}: {s!r} is not English"


@pytest.mark.nodb
def test_translations_keep_the_placeholders(catalog):
    _header, messages = catalog
    for e in messages:
        for s in e.msgstr.values():
            assert sorted(PLACEHOLDER.findall(s)) == sorted(PLACEHOLDER.findall(e.msgid)), (
                f"line {e.line}: {e.msgid!r} -> {s!r}")


@pytest.mark.nodb
def test_the_committed_mo_file_matches_the_po_file(catalog):
    """The .mo is committed so that no machine needs gettext: it must be compiled from the current .po."""
    _header, messages = catalog
    with (LOCALE_EN / "django.mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)
    for e in messages:
        if e.msgid_plural is None:
            assert mo.gettext(e.msgid) == e.msgstr[0], f"django.mo is stale for {e.msgid!r}: run compilemessages"
        else:
            assert mo.ngettext(e.msgid, e.msgid_plural, 1) == e.msgstr[0], f"django.mo is stale for {e.msgid!r}"
            assert mo.ngettext(e.msgid, e.msgid_plural, 2) == e.msgstr[1], f"django.mo is stale for {e.msgid!r}"
    assert len(mo._catalog) >= len(messages)  # type: ignore[attr-defined]
