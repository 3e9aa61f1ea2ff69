"""Settings, read from KUANGAN_* environment variables (documented in the README).

Parsing is strict: a malformed value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KUANGAN_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def database_from_url(url: str) -> dict[str, object]:
    """Turn sqlite:///path or postgresql://user:pass@host:port/name into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)  # sqlite:////abs/path.sqlite3 or sqlite:///abs/path.sqlite3
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path or str(VAR_DIR / "kuangan.sqlite3"),
                # WAL: pages read while the worker writes; IMMEDIATE: a writer takes the lock at BEGIN, so
                # two ingestion batches never read the same engine state (monitoring.ingest). A 64 MiB page
                # cache (default 2 MiB): the upload ledger's indexes of a county's day (460,000 files) stay
                # in it; inserting a batch's 2,000 upload rows took 66 ms with the default, 33 ms with it
                "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA cache_size=-65536;",
                            "transaction_mode": "IMMEDIATE"}}
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "kuangan",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ValueError(f"KUANGAN_DATABASE_URL: unsupported scheme {parsed.scheme!r} (use sqlite or postgresql)")


DEBUG = _env_bool("KUANGAN_DEBUG", False)
# Where a missing key may fall back to a development one (the secret key, the audit key): debug, tests,
# and mypy's Django plugin (which imports the settings to read them and serves nothing).
DEV_KEYS_ALLOWED = DEBUG or bool(os.environ.get("PYTEST_VERSION")) or "mypy" in sys.modules
SECRET_KEY = os.environ.get("KUANGAN_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEV_KEYS_ALLOWED:
        # A key known to anyone with the source would let them forge sessions and password-reset links.
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "KUANGAN_SECRET_KEY is not set. With KUANGAN_DEBUG off the platform needs its own secret key: "
            "create one with `python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`, keep it outside "
            "the repository and export it as KUANGAN_SECRET_KEY (scripts/demo and scripts/test create "
            "var/secret.key for you).")
    # Development (debug on) and tests only.
    SECRET_KEY = "kuangan-dev-only-" + str(BASE_DIR)
ALLOWED_HOSTS = [h for h in os.environ.get("KUANGAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

DATABASES = {
    "default": database_from_url(
        os.environ.get("KUANGAN_DATABASE_URL", f"sqlite:///{VAR_DIR / 'kuangan.sqlite3'}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs' Swagger UI from local static files, not a CDN
    "kuangan.core",
    "kuangan.registry",
    "kuangan.hazards",
    "kuangan.monitoring",
    "kuangan.enforcement",
    "kuangan.workforce",
    "kuangan.dashboard",
    "kuangan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kuangan.core.headers.SecurityHeadersMiddleware",  # outside WhiteNoise: static files get the CSP too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kuangan.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kuangan.core.middleware.IdleSessionMiddleware",
    "kuangan.core.middleware.ActorMiddleware",
    "kuangan.core.middleware.PasswordExpiryMiddleware",
]

ROOT_URLCONF = "kuangan.urls"
WSGI_APPLICATION = "kuangan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kuangan.core.context_processors.navigation",
            ],
            "builtins": ["kuangan.core.templatetags.kuangan"],
        },
    },
]

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["kuangan.core.auth.LockoutBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if os.environ.get("PYTEST_VERSION"):  # set by pytest itself before any plugin loads
    # Tests only: hashing every fixture password with Argon2 would dominate the run.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "kuangan.core.passwords.ComplexityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "core:login"

# R10.7: accounts. Values are settings because the 等保 level-3 guidance gives ranges, not one number.
PASSWORD_MAX_AGE_DAYS = _env_int("KUANGAN_PASSWORD_MAX_AGE_DAYS", 90)
LOGIN_MAX_FAILURES = _env_int("KUANGAN_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = _env_int("KUANGAN_LOGIN_LOCKOUT_MINUTES", 30)
SESSION_IDLE_MINUTES = _env_int("KUANGAN_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_ENGINE = "kuangan.core.sessions"
# The idle timer restarts only with requests a person makes (core.middleware.IdleSessionMiddleware saves
# the session then); the pages' polling does not keep a session alive.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

# Security (等保 2.0 level 3, docs/security.md).
# KUANGAN_HTTPS=1: secure cookies, HSTS and the redirect to HTTPS (behind a TLS-terminating proxy).
HTTPS = _env_bool("KUANGAN_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading is a submission to the browsers' lists, which a host on a government intranet cannot join:
# the operator decides (KUANGAN_HSTS_PRELOAD=1); without it the deploy check's reminder is silenced.
SECURE_HSTS_PRELOAD = _env_bool("KUANGAN_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# KUANGAN_BEHIND_PROXY=1: the TLS-terminating proxy says the original scheme in X-Forwarded-Proto (it must
# overwrite any such header from the client) and appends the client's address to X-Forwarded-For (the log-in
# limits count by that address); without it, the redirect to HTTPS would loop behind the proxy and every
# client would share the proxy's address.
BEHIND_PROXY = _env_bool("KUANGAN_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The audit chain's HMAC key lives outside the database: KUANGAN_AUDIT_KEY is the key itself or the path
# of a file holding it (the scripts create var/audit.key when none is set).
AUDIT_KEY = os.environ.get("KUANGAN_AUDIT_KEY", "")
# Append-only log of the chain head, written at every tick, outside the database.
AUDIT_ANCHOR_PATH = Path(os.environ.get("KUANGAN_AUDIT_ANCHOR", VAR_DIR / "audit-anchor.log"))


def _env_rate(name: str, default: str) -> tuple[int, int]:
    """"20/600" -> (20 attempts, per 600 seconds)."""
    raw = os.environ.get(name) or default
    try:
        count, seconds = (int(x) for x in raw.split("/"))
    except ValueError:
        raise ValueError(f"{name} must be attempts/seconds, e.g. 20/600, got {raw!r}") from None
    if count < 1 or seconds < 1:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return count, seconds


# Log-in attempts per client address (per 10 minutes by default), whatever the account.
LOGIN_RATE = _env_rate("KUANGAN_LOGIN_RATE", "20/600")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "kuangan" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root at every start
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
WHITENOISE_USE_FINDERS = True  # serve straight from the finders: no collectstatic step for the demo
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
UPLOAD_MAX_BYTES = _env_int("KUANGAN_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES

NINJA_PAGINATION_PER_PAGE = 50


def _env_ints(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        values = tuple(int(x) for x in raw.split(","))
    except ValueError:
        raise ValueError(f"{name} must be comma-separated integers, got {raw!r}") from None
    if len(values) != len(default) or list(values) != sorted(values):
        raise ValueError(f"{name} must hold {len(default)} increasing integers, got {raw!r}")
    return values


# The hazard loop's numbers (R2.5, R2.6, R2.8); defaults and sources in kuangan/hazards/constants.py.
from kuangan.hazards import constants as _hazard_defaults  # noqa: E402  (plain numbers, no Django)

HAZARD_ESCALATION_DAYS = _env_ints("KUANGAN_ESCALATION_DAYS", _hazard_defaults.ESCALATION_DAYS)
HAZARD_REPORT_DUE_DAY = _env_int("KUANGAN_MONTHLY_REPORT_DUE_DAY", _hazard_defaults.MONTHLY_REPORT_DUE_DAY)
HAZARD_REPEATS_FOR_CLOSURE = _env_int("KUANGAN_REPEATS_FOR_CLOSURE", _hazard_defaults.REPEATS_FOR_CLOSURE)
HAZARD_CLOSURE_WINDOW_DAYS = _env_int("KUANGAN_CLOSURE_WINDOW_DAYS", _hazard_defaults.CLOSURE_WINDOW_DAYS)
HAZARD_CLOSURE_MIN_MAJOR = _env_int("KUANGAN_CLOSURE_MIN_MAJOR_HAZARDS", _hazard_defaults.CLOSURE_MIN_MAJOR_HAZARDS)
HAZARD_PLAN_DAYS = _env_int("KUANGAN_PLAN_DAYS", _hazard_defaults.PLAN_DAYS)
HAZARD_VERIFY_DAYS = _env_int("KUANGAN_VERIFY_DAYS", _hazard_defaults.VERIFY_DAYS)

# Enforcement's numbers (R3); defaults and sources in kuangan/enforcement/constants.py.
from kuangan.enforcement import constants as _enforcement_defaults  # noqa: E402  (plain numbers, no Django)

ENFORCEMENT_MIN_TEAM = _env_int("KUANGAN_MIN_TEAM", _enforcement_defaults.MIN_TEAM)
ENFORCEMENT_EXAM_PASS_MARK = _env_int("KUANGAN_EXAM_PASS_MARK", _enforcement_defaults.EXAM_PASS_MARK)
ENFORCEMENT_REINSPECT_REMIND_DAYS = _env_int("KUANGAN_REINSPECT_REMIND_DAYS", _enforcement_defaults.REINSPECT_REMIND_DAYS)
ENFORCEMENT_PAYMENT_DAYS = _env_int("KUANGAN_PAYMENT_DAYS", _enforcement_defaults.PAYMENT_DAYS)
ENFORCEMENT_NOTICE_DAYS = _env_int("KUANGAN_NOTICE_DAYS", _enforcement_defaults.NOTICE_DAYS)
ENFORCEMENT_SCORE_THRESHOLD = _env_int("KUANGAN_SCORE_THRESHOLD", _enforcement_defaults.SCORE_THRESHOLD)
ENFORCEMENT_LOOKBACK_MONTHS = _env_int("KUANGAN_LOOKBACK_MONTHS", _enforcement_defaults.LOOKBACK_MONTHS)
ENFORCEMENT_SCREEN_MONTHS = _env_int("KUANGAN_SCREEN_MONTHS", _enforcement_defaults.SCREEN_MONTHS)
ENFORCEMENT_SCREEN = {
    "majors_12m": _env_int("KUANGAN_SCREEN_MAJORS", _enforcement_defaults.SCREEN_MAJORS),
    "overdue_open": _env_int("KUANGAN_SCREEN_OVERDUE", _enforcement_defaults.SCREEN_OVERDUE),
    "repeats_12m": _env_int("KUANGAN_SCREEN_REPEATS", _enforcement_defaults.SCREEN_REPEATS),
    "alarms_12m": _env_int("KUANGAN_SCREEN_ALARMS", _enforcement_defaults.SCREEN_ALARMS),
}

# The workforce's numbers (R5); defaults and sources in kuangan/workforce/constants.py.
from kuangan.workforce import constants as _workforce_defaults  # noqa: E402  (plain numbers, no Django)

WORKFORCE_CERTIFICATE_NOTICE_DAYS = _env_int("KUANGAN_CERTIFICATE_NOTICE_DAYS",
                                             _workforce_defaults.CERTIFICATE_NOTICE_DAYS)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KUANGAN_LOG_LEVEL", "WARNING")},
}

# Monitoring (R4): where readings, quarantined files and the drop folder live; the engine's settings.
MONITORING_DIR = Path(os.environ.get("KUANGAN_MONITORING_DIR", VAR_DIR / "monitoring"))
MONITORING_DROP_DIR = Path(os.environ.get("KUANGAN_DROP_DIR", VAR_DIR / "drop"))
# lateness per file type, seconds (FORMATS.md: no official rule; a mine silent this long is 断线)
MONITORING_LATENESS = {
    "CDSS": _env_int("KUANGAN_LATENESS_CDSS", 300),
    "FZSS": _env_int("KUANGAN_LATENESS_FZSS", 300),
    "TJSJ": _env_int("KUANGAN_LATENESS_TJSJ", 900),
    "RYSS": _env_int("KUANGAN_LATENESS_RYSS", 900),
    "JZSS": _env_int("KUANGAN_LATENESS_JZSS", 300),
}
# Trust in what the mines send (docs/architecture.md "Arrival order and exactly once"); defaults and their
# sources (none was found: settings) in kuangan/monitoring/constants.py.
from kuangan.monitoring import constants as _monitoring_defaults  # noqa: E402  (plain numbers, no Django)

MONITORING_FUTURE_TOLERANCE_S = _env_int("KUANGAN_FUTURE_TOLERANCE_SECONDS", _monitoring_defaults.FUTURE_TOLERANCE_S)
MONITORING_BACKFILL_DAYS = _env_int("KUANGAN_BACKFILL_DAYS", _monitoring_defaults.BACKFILL_DAYS)
MONITORING_MAX_REJECTED_SHARE = float(os.environ.get("KUANGAN_MAX_REJECTED_SHARE",
                                                     _monitoring_defaults.MAX_REJECTED_SHARE))
MONITORING_WINDOW_MAX_HOURS = _env_int("KUANGAN_WINDOW_MAX_HOURS", _monitoring_defaults.WINDOW_MAX_HOURS)
MONITORING_WINDOW_DAILY_HOURS = _env_int("KUANGAN_WINDOW_DAILY_HOURS", _monitoring_defaults.WINDOW_DAILY_HOURS)
MONITORING_PLATFORM_GAP_S = _monitoring_defaults.PLATFORM_GAP_S
# personnel and lead checks: KUANGAN_LEADER_GRACE, KUANGAN_SUSPENDED_AREA_MAX … (durations in minutes)
MONITORING_PERSONNEL = {name: float(os.environ.get(f"KUANGAN_{name.upper()}", default))
                        for name, (default, _source) in _monitoring_defaults.PERSONNEL_DEFAULTS.items()}
MONITORING_POINT_DEFAULTS = {
    "feed_grace_s": float(_env_int("KUANGAN_FEED_GRACE_SECONDS", 60)),
    "stuck_hours": float(_env_int("KUANGAN_STUCK_HOURS", 6)),
    "calibration_max_min": float(_env_int("KUANGAN_CALIBRATION_MAX_MINUTES", 30)),
    "calibration_per_day": _env_int("KUANGAN_CALIBRATIONS_PER_DAY", 2),
    "report_grace_s": float(_env_int("KUANGAN_REPORT_GRACE_SECONDS", 600)),
}
