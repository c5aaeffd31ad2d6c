"""The Content-Security-Policy header (config.middleware) on every kind of response."""

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from config.middleware import HEADER, ContentSecurityPolicyMiddleware, build_policy, csp_override
from tests.factories import DefectorFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def directives(response) -> dict:
    return {part.split()[0]: part.split()[1:] for part in response[HEADER].split("; ")}


PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/defectors/"),
    ("anonymous", "/accounts/login/"),
    ("anonymous", "/admin/login/"),
    ("anonymous", "/no-such-page/"),
    ("researcher", "/admin/"),
    ("researcher", "/admin/testimony/defector/"),
    ("researcher", "/admin/testimony/defector/add/"),
    ("custodian", "defector-change"),
]


@pytest.mark.parametrize("role, url", PAGES)
def test_every_page_carries_the_policy_and_no_inline_script(client, request, role, url):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    if url == "defector-change":
        url = reverse("admin:testimony_defector_change", args=[DefectorFactory().pk])
    response = client.get(url)
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response[HEADER] and "'unsafe-eval'" not in response[HEADER]
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body), INLINE_SCRIPT.search(body)
    assert not INLINE_HANDLER.search(body), INLINE_HANDLER.search(body)


def test_the_policy_follows_the_setting(client, settings):
    settings.SECURE_CSP = {"default-src": ["'self'"], "img-src": ["'self'", "https://tiles.example.org"]}
    assert client.get("/")[HEADER] == "default-src 'self'; img-src 'self' https://tiles.example.org"


def test_a_view_can_override_the_policy_and_keeps_its_own_header():
    request = RequestFactory().get("/api/docs/")
    docs = csp_override({"default-src": ["'self'"], "worker-src": ["'self'", "blob:"]})(lambda r: HttpResponse())
    assert ContentSecurityPolicyMiddleware(docs)(request)[HEADER] == "default-src 'self'; worker-src 'self' blob:"

    def own_header(r):
        response = HttpResponse()
        response[HEADER] = "default-src 'none'"
        return response

    assert ContentSecurityPolicyMiddleware(own_header)(request)[HEADER] == "default-src 'none'"


def test_build_policy_writes_bare_directives():
    assert build_policy({"upgrade-insecure-requests": [], "default-src": ["'self'"]}) == (
        "upgrade-insecure-requests; default-src 'self'"
    )
