"""Production mode logs to standard error, request errors included (issue 12, finding 10:
with DEBUG=0 a 500 was logged nowhere, Django's default sending it only to ADMINS by mail)."""

from tests.security.test_settings import PRODUCTION, manage

REQUEST_A_FAILING_PAGE = (
    "from django.test import Client, override_settings\n"
    "import logging\n"
    "with override_settings(ROOT_URLCONF='tests.security.failing_urls'):\n"
    "    response = Client(raise_request_exception=False).get('/boom/', secure=True, HTTP_HOST='example.org')\n"
    "print(response.status_code)\n"
    "logging.getLogger('testimony.imports').info('an import finished')\n"
    "logging.getLogger('testimony.imports').debug('a detail')\n"
)


def test_a_500_in_production_is_logged_to_stderr_with_its_traceback():
    result = manage("shell", "--no-imports", "-c", REQUEST_A_FAILING_PAGE, **PRODUCTION)
    assert result.stdout.strip() == "500", result.stderr
    assert "ERROR django.request" in result.stderr
    assert "Internal Server Error: /boom/" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert "PlantedError: planted failure for the logging test" in result.stderr
    # The project's own loggers reach stderr too, at LOG_LEVEL (INFO by default).
    assert "INFO testimony.imports" in result.stderr and "an import finished" in result.stderr
    assert "a detail" not in result.stderr


def test_log_level_sets_the_project_loggers_level():
    result = manage("shell", "--no-imports", "-c", REQUEST_A_FAILING_PAGE, **PRODUCTION, LOG_LEVEL="DEBUG")
    assert "DEBUG testimony.imports" in result.stderr and "a detail" in result.stderr
    assert "Internal Server Error: /boom/" in result.stderr
