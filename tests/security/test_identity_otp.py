"""TESTIMONY_REQUIRE_OTP_FOR_IDENTITY: custodians see identity fields only after the TOTP step."""

import pytest
from django.urls import reverse

from accounts.access import can_view_identity
from accounts.services import totp_device_enrol
from audit.models import AccessEvent
from tests.accounts.test_login import PASSWORD, current_code
from tests.factories import DefectorFactory

pytestmark = pytest.mark.django_db

MARKER = "IDENTITY-MARKER-otp-51c2"


@pytest.fixture
def defector():
    """A defector whose identity fields hold a marker string."""
    return DefectorFactory(case_id="OTP-1", legal_name=MARKER, current_location=MARKER, contact_notes=MARKER)


def change_page(client, defector) -> str:
    return client.get(reverse("admin:testimony_defector_change", args=[defector.pk])).content.decode()


@pytest.mark.parametrize(
    "role, require_otp, expected",
    [
        ("researcher", False, False),
        ("researcher", True, False),
        ("custodian", False, True),
        ("custodian", True, False),  # a user object without the TOTP step (token auth, shell)
    ],
)
def test_can_view_identity_for_users_outside_a_request(request, settings, role, require_otp, expected):
    settings.TESTIMONY_REQUIRE_OTP_FOR_IDENTITY = require_otp
    assert can_view_identity(request.getfixturevalue(role)) is expected


def test_without_the_setting_a_custodian_sees_identity_after_a_password_login(client, settings, custodian, defector):
    settings.TESTIMONY_REQUIRE_OTP_FOR_IDENTITY = False
    client.force_login(custodian)
    assert MARKER in change_page(client, defector)


def test_with_the_setting_a_password_only_session_hides_identity(client, settings, custodian, defector):
    settings.TESTIMONY_REQUIRE_OTP_FOR_IDENTITY = True
    client.force_login(custodian)
    body = change_page(client, defector)
    assert "OTP-1" in body  # the record itself is shown ...
    assert MARKER not in body and 'name="legal_name"' not in body  # ... without its identity fields
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_with_the_setting_a_totp_login_shows_identity(client, settings, custodian, defector, login_url):
    settings.TESTIMONY_REQUIRE_OTP_FOR_IDENTITY = True
    device = totp_device_enrol(user=custodian)
    response = client.post(
        login_url, {"username": "custodian", "password": PASSWORD, "otp_token": current_code(device)}
    )
    assert response.status_code == 302
    assert MARKER in change_page(client, defector)
    assert AccessEvent.objects.get().case_ids == ["OTP-1"]
