"""Production mode (DEBUG=0) as an operator starts it: `manage.py check --deploy` in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3P9vQ-not-a-real-key-but-long-and-varied-enough-for-the-check-x81Zr",
    "ALLOWED_HOSTS": "example.org",
    "DATABASE_URL": "sqlite:///:memory:",
}
# Each test starts Django afresh in a subprocess (half a second or more).
pytestmark = pytest.mark.slow
CONFIG_VARIABLES = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "CSRF_TRUSTED_ORIGINS",
    "TESTIMONY_PUBLIC_READ",
    "TESTIMONY_REQUIRE_OTP_FOR_IDENTITY",
    "LOG_LEVEL",
]


def manage(*args, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {*PRODUCTION, *CONFIG_VARIABLES}}
    # The browser tests switch Django's async-safety guard off for this test process;
    # a production check must not inherit that (it is async.E001 in deployment).
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "extra",
    [
        {},
        # Behind a TLS-terminating proxy that redirects plain HTTP itself.
        {"SECURE_SSL_REDIRECT": "0", "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"},
    ],
    ids=["direct", "behind-proxy"],
)
def test_check_deploy_reports_nothing_in_production_mode(extra):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, **extra)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_mode_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG=0" in result.stderr


SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps({n: getattr(s, n, None) for n in ["
    "'TESTIMONY_PUBLIC_READ', 'TESTIMONY_REQUIRE_OTP_FOR_IDENTITY', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
    "'SESSION_EXPIRE_AT_BROWSER_CLOSE', 'SESSION_COOKIE_AGE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
    "'SECURE_PROXY_SSL_HEADER', 'CSRF_TRUSTED_ORIGINS', 'X_FRAME_OPTIONS']}))"
)


def test_production_defaults_and_their_variables():
    shown = json.loads(manage("shell", "--no-imports", "-c", SHOW, **PRODUCTION).stdout)
    assert shown == {
        "TESTIMONY_PUBLIC_READ": False,
        "TESTIMONY_REQUIRE_OTP_FOR_IDENTITY": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "SESSION_COOKIE_AGE": 8 * 3600,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": None,
        "CSRF_TRUSTED_ORIGINS": [],
        "X_FRAME_OPTIONS": "DENY",
    }
    configured = json.loads(
        manage(
            "shell",
            "--no-imports",
            "-c",
            SHOW,
            **PRODUCTION,
            SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
            CSRF_TRUSTED_ORIGINS="https://testimony.example.org, https://www.example.org",
            TESTIMONY_REQUIRE_OTP_FOR_IDENTITY="0",
        ).stdout
    )
    assert configured["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert configured["CSRF_TRUSTED_ORIGINS"] == ["https://testimony.example.org", "https://www.example.org"]
    assert configured["TESTIMONY_REQUIRE_OTP_FOR_IDENTITY"] is False


def test_development_mode_keeps_the_friendly_defaults():
    shown = json.loads(manage("shell", "--no-imports", "-c", SHOW).stdout)
    assert shown["TESTIMONY_PUBLIC_READ"] is True
    assert shown["TESTIMONY_REQUIRE_OTP_FOR_IDENTITY"] is False
    assert shown["SESSION_COOKIE_SECURE"] is False and shown["SECURE_SSL_REDIRECT"] is False
