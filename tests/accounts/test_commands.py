"""create_user and enrol_totp, run as an operator would."""

import io
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

STRONG = "violet kestrel ledger 42"


def create_user(monkeypatch, *args, password=STRONG):
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("create_user", *args, "--password-stdin", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    "args, groups, is_staff",
    [
        (["--role", "Researcher"], {"Researcher"}, True),
        (["--role", "Identity custodian"], {"Identity custodian"}, True),
        (["--role", "Analyst"], {"Analyst"}, False),
        (["--role", "Analyst", "--staff"], {"Analyst"}, True),
        (["--role", "Researcher", "--role", "Identity custodian"], {"Researcher", "Identity custodian"}, True),
    ],
)
def test_create_user_puts_the_user_in_its_roles(monkeypatch, args, groups, is_staff):
    out = create_user(monkeypatch, "nadia", *args, "--email", "nadia@example.org")
    user = get_user_model().objects.get(username="nadia")
    assert set(user.groups.values_list("name", flat=True)) == groups
    assert (user.is_staff, user.is_superuser, user.email) == (is_staff, False, "nadia@example.org")
    assert user.check_password(STRONG)
    assert "Created nadia" in out


def test_a_weak_password_is_refused_with_every_reason(monkeypatch):
    with pytest.raises(CommandError) as error:
        create_user(monkeypatch, "nadia", "--role", "Analyst", password="12345678")
    message = str(error.value)
    assert "too short" in message and "too common" in message and "entirely numeric" in message
    assert not get_user_model().objects.filter(username="nadia").exists()


def test_a_password_like_the_username_is_refused(monkeypatch):
    with pytest.raises(CommandError, match="too similar to the username"):
        create_user(monkeypatch, "kestrelviolet", "--role", "Analyst", password="kestrelviolet1")


def test_an_existing_username_is_refused(monkeypatch, analyst):
    with pytest.raises(CommandError, match="A user named 'Analyst' already exists"):
        create_user(monkeypatch, "Analyst", "--role", "Researcher")
    assert get_user_model().objects.get(username="analyst").groups.get().name == "Analyst"


def test_an_unknown_role_is_refused(monkeypatch):
    with pytest.raises(CommandError, match="invalid choice: 'Admin'"):
        create_user(monkeypatch, "nadia", "--role", "Admin")


def test_an_empty_password_is_refused(monkeypatch):
    with pytest.raises(CommandError, match="password is empty"):
        create_user(monkeypatch, "nadia", "--role", "Analyst", password="")


def test_enrol_totp_prints_the_uri_once(custodian):
    out, err = io.StringIO(), io.StringIO()
    call_command("enrol_totp", "custodian", stdout=out, stderr=err)
    device = TOTPDevice.objects.get(user=custodian)
    assert out.getvalue().strip() == device.config_url
    assert out.getvalue().startswith("otpauth://totp/") and "custodian" in out.getvalue()
    with pytest.raises(CommandError, match="already has a TOTP device; use --replace"):
        call_command("enrol_totp", "custodian", stdout=io.StringIO(), stderr=io.StringIO())
    call_command("enrol_totp", "custodian", "--replace", stdout=io.StringIO(), stderr=io.StringIO())
    assert TOTPDevice.objects.get(user=custodian).key != device.key


def test_enrol_totp_names_a_missing_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("enrol_totp", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
