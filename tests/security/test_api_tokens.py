"""REST API tokens expire and are revoked with the password or the account (issue 12,
finding 10: tokens never expired and survived a password change)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/defectors/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def no_public_read(settings):
    settings.TESTIMONY_PUBLIC_READ = False  # a token that does not authenticate then gets a 401


@pytest.fixture
def reader(db):
    return UserFactory(username="reader", roles=["Analyst"])


def issue(username: str, *args) -> str:
    out = io.StringIO()
    call_command("issue_token", username, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def status_with(key: str) -> int:
    return APIClient().get(URL, HTTP_AUTHORIZATION=f"Token {key}").status_code


def age(key: str, days: float) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(days=days))


def test_a_token_expires_after_its_lifetime_with_a_clear_401(reader, no_public_read, settings):
    assert settings.API_TOKEN_LIFETIME_DAYS == 30
    key = issue("reader")
    age(key, 29.9)
    assert status_with(key) == 200
    age(key, 30.1)
    response = APIClient().get(URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    detail = response.json()["detail"]
    assert detail.startswith("This token expired on ") and "(tokens last 30 days)" in detail
    assert "manage.py issue_token USERNAME --rotate" in detail


def test_the_lifetime_is_a_setting_and_0_means_no_expiry(reader, no_public_read, settings):
    key = issue("reader")
    age(key, 3)
    settings.API_TOKEN_LIFETIME_DAYS = 2
    assert status_with(key) == 401
    settings.API_TOKEN_LIFETIME_DAYS = 0
    age(key, 3650)
    assert status_with(key) == 200


def test_issue_token_rotates_as_before_and_replaces_an_expired_token(reader, no_public_read):
    key = issue("reader")
    assert issue("reader") == key  # the same key again while it is valid
    rotated = issue("reader", "--rotate")
    assert rotated != key and status_with(key) == 401 and status_with(rotated) == 200
    age(rotated, 31)
    fresh = issue("reader")  # without --rotate: an expired key would be no use
    assert fresh != rotated and status_with(fresh) == 200 and status_with(rotated) == 401


def test_set_password_in_a_service_or_script_revokes_the_token(reader, no_public_read):
    key = issue("reader")
    reader.set_password("a new and different passphrase")
    reader.save()
    assert not Token.objects.filter(user=reader).exists()
    assert status_with(key) == 401


def test_changing_ones_own_password_on_the_site_revokes_the_token(client, reader, no_public_read):
    key = issue("reader")
    client.force_login(reader)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "an entirely new passphrase",
            "new_password2": "an entirely new passphrase",
        },
    )
    assert response.status_code == 302
    assert status_with(key) == 401


def test_an_admin_setting_a_users_password_revokes_the_token(client, reader, no_public_read):
    key = issue("reader")
    client.force_login(UserFactory(username="site-admin", is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:auth_user_password_change", args=[reader.pk]),
        {
            "password1": "an entirely new passphrase",
            "password2": "an entirely new passphrase",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert status_with(key) == 401


def test_deactivating_the_account_revokes_the_token_for_good(reader, no_public_read):
    key = issue("reader")
    reader.is_active = False
    reader.save()
    assert not Token.objects.filter(user=reader).exists()
    reader.is_active = True
    reader.save()
    assert status_with(key) == 401  # reactivation does not bring the old key back


def test_other_saves_keep_the_token(client, reader, no_public_read):
    key = issue("reader")
    reader.email = "new@example.org"
    reader.save()
    assert client.post(reverse("login"), {"username": "reader", "password": PASSWORD}).status_code == 302
    reader.refresh_from_db()
    assert reader.last_login is not None  # the login saved the user
    # The same password under a fresh hash (what a hasher upgrade at login does) is no change.
    reader.set_password(PASSWORD)
    reader.save(update_fields=["password"])
    assert status_with(key) == 200
