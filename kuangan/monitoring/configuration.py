"""The engine's settings for this installation: the defaults of kuangan.engine.settings, with the
lateness of each file type from the environment (KUANGAN_LATENESS_CDSS=300 and friends, seconds)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from kuangan.engine.settings import DEFAULT_LATENESS, PersonnelSettings, PointSettings, Settings

from .constants import DURATION_SETTINGS


def personnel_settings() -> PersonnelSettings:
    """settings.MONITORING_PERSONNEL as the engine takes them (durations given in minutes, counts whole)."""
    types = {name: type(value) for name, value in vars(PersonnelSettings()).items()}
    values: dict[str, timedelta | int | float] = {}
    for name, value in settings.MONITORING_PERSONNEL.items():
        if name in DURATION_SETTINGS:
            values[name] = timedelta(minutes=value)
        else:
            values[name] = int(value) if types[name] is int else float(value)
    return PersonnelSettings(**values)  # type: ignore[arg-type]


def engine_settings() -> Settings:
    lateness = {t: timedelta(seconds=s) for t, s in settings.MONITORING_LATENESS.items()}
    default = PointSettings(**settings.MONITORING_POINT_DEFAULTS)  # type: ignore[arg-type]
    return Settings(default=default, lateness=lateness or dict(DEFAULT_LATENESS), personnel=personnel_settings())
