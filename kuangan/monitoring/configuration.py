"""The engine's settings for this installation: the defaults of kuangan.engine.settings, with the
lateness of each file type from the environment (KUANGAN_LATENESS_CDSS=300 and friends, seconds)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from kuangan.engine.settings import DEFAULT_LATENESS, PointSettings, Settings


def engine_settings() -> Settings:
    lateness = {t: timedelta(seconds=s) for t, s in settings.MONITORING_LATENESS.items()}
    default = PointSettings(**settings.MONITORING_POINT_DEFAULTS)  # type: ignore[arg-type]
    return Settings(default=default, lateness=lateness or dict(DEFAULT_LATENESS))
