"""A pytest plugin for the mutation runs only (`-p tests.mutation_db` in [tool.mutmut] of pyproject.toml).

Every mutant is a pytest session of its own, and migrating a fresh test database takes 7 to 15 s, far more
than the tests that judge a mutant. The database is therefore migrated once into a template file, exactly
as pytest-django would create it, and each session works on its own copy of that file. The template's name
carries a hash of the migrations, so a changed migration builds a new one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


def _migrations_hash(base: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(base.glob("kuangan/*/migrations/*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _TemplateDatabase:
    """Registered at configure time, after pytest-django: a plugin's fixture overrides those of the plugins
    registered before it, and a module given with -p is registered before the installed plugins."""

    @pytest.fixture(scope="session")
    def django_db_setup(self, django_test_environment: None, django_db_blocker: object) -> Iterator[None]:
        yield from _template_copy(django_db_blocker)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_TemplateDatabase(), "kuangan-mutation-db")


def _template_copy(django_db_blocker: object) -> Iterator[None]:
    from django.conf import settings
    from django.db import connection

    folder = Path.cwd() / ".mutation-db"  # mutmut runs the tests in mutants/
    folder.mkdir(exist_ok=True)
    template = folder / f"template-{_migrations_hash(Path(settings.BASE_DIR))}.sqlite3"
    copy = folder / f"{os.getpid()}.sqlite3"
    with django_db_blocker.unblock(), open(folder / "lock", "w") as lock:  # type: ignore[attr-defined]
        fcntl.flock(lock, fcntl.LOCK_EX)
        # copies left by workers that the timeout killed
        for stale in folder.glob("[0-9]*.sqlite3*"):
            if not _alive(int(stale.name.split(".")[0])):
                stale.unlink(missing_ok=True)
        if not template.exists():
            for old in folder.glob("template-*.sqlite3"):
                old.unlink()
            building = folder / f"building-{os.getpid()}.sqlite3"
            connection.settings_dict["TEST"]["NAME"] = str(building)
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            connection.close()
            os.replace(building, template)
        fcntl.flock(lock, fcntl.LOCK_UN)
        shutil.copyfile(template, copy)
        connection.close()
        settings.DATABASES[connection.alias]["NAME"] = connection.settings_dict["NAME"] = str(copy)
    yield
    connection.close()
    for path in folder.glob(f"{copy.name}*"):
        path.unlink(missing_ok=True)
