"""Logging in: django-axes locks out password guessing, the TOTP code is asked of enrolled users."""

from urllib.parse import quote

import pytest
from django.urls import reverse
from django_otp.oath import totp

from accounts.services import totp_device_enrol

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def current_code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def logged_in_username(client):
    user_id = client.session.get("_auth_user_id")
    if user_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user_id).username


LOGIN_PAGES = [("/accounts/login/", "analyst"), ("/admin/login/", "researcher")]


@pytest.mark.parametrize("url, role", LOGIN_PAGES)
def test_the_right_password_logs_in(client, request, url, role):
    user = request.getfixturevalue(role)
    response = client.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_username(client) == user.username


@pytest.mark.parametrize("url, role", LOGIN_PAGES)
def test_five_wrong_passwords_lock_the_username_out_from_that_address(client, request, url, role):
    user = request.getfixturevalue(role)
    for attempt in range(1, 6):
        response = client.post(url, {"username": user.username, "password": f"wrong guess {attempt}"})
        assert response.status_code == (200 if attempt < 5 else 429), attempt
    response = client.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert logged_in_username(client) is None
    # The lockout is per username and address: the same user elsewhere still gets in.
    response = client.post(url, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, analyst):
    for _ in range(4):
        client.post("/accounts/login/", {"username": "analyst", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(4):
        client.post("/accounts/login/", {"username": "analyst", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_login_pages_offer_the_authenticator_code_field(client, url):
    body = client.get(url).content.decode()
    assert 'name="otp_token"' in body and 'autocomplete="one-time-code"' in body


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_an_enrolled_user_needs_the_current_code(client, custodian, url):
    device = totp_device_enrol(user=custodian)
    response = client.post(url, {"username": "custodian", "password": PASSWORD, "otp_token": ""})
    assert response.status_code == 200
    # The same message as a wrong password: a guesser learns nothing.
    assert "Please enter a correct username and password" in response.content.decode()
    assert logged_in_username(client) is None
    response = client.post(url, {"username": "custodian", "password": PASSWORD, "otp_token": current_code(device)})
    assert response.status_code == 302
    assert logged_in_username(client) == "custodian"


def test_wrong_codes_count_as_failed_logins(client, custodian):
    device = totp_device_enrol(user=custodian)
    wrong = "123456" if current_code(device) != "123456" else "654321"
    for attempt in range(1, 6):
        response = client.post("/accounts/login/", {"username": "custodian", "password": PASSWORD, "otp_token": wrong})
        assert response.status_code == (200 if attempt < 5 else 429)
    device.refresh_from_db()
    device.throttling_failure_count = 0  # django-otp's own back-off would refuse too; show that axes does
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(
        "/accounts/login/", {"username": "custodian", "password": PASSWORD, "otp_token": current_code(device)}
    )
    assert response.status_code == 429
    assert logged_in_username(client) is None


def test_users_without_a_device_leave_the_code_empty(client, analyst):
    response = client.post(reverse("login"), {"username": "analyst", "password": PASSWORD, "otp_token": ""})
    assert response.status_code == 302


# --- returning to the page the login was asked from ---


@pytest.mark.parametrize("page", ["/defectors/?sex=female&country=GB", "/narratives/", "/reports/icsr-2015/"])
def test_the_login_link_carries_the_current_page(client, db, page):
    body = client.get(page).content.decode()
    assert f'href="/accounts/login/?next={quote(page, safe="")}"' in body


def test_the_login_page_links_to_itself_without_a_next(client, db):
    assert 'href="/accounts/login/">Log in</a>' in client.get("/accounts/login/").content.decode()


def test_logging_in_returns_to_the_page_with_its_filters(client, analyst):
    page = "/defectors/?sex=female&country=GB"
    login_url = "/accounts/login/?next=" + quote(page, safe="")
    response = client.post(login_url, {"username": "analyst", "password": PASSWORD, "next": page})
    assert response.status_code == 302
    assert response["Location"] == page


def test_the_totp_step_also_returns_to_the_page(client, custodian):
    device = totp_device_enrol(user=custodian)
    page = "/defectors/?sex=female"
    response = client.post(
        "/accounts/login/", {"username": "custodian", "password": PASSWORD, "otp_token": "", "next": page}
    )
    assert response.status_code == 200  # a missing code keeps the next on the form for the retry
    assert f'name="next" value="{page}"' in response.content.decode().replace("&amp;", "&")
    response = client.post(
        "/accounts/login/",
        {"username": "custodian", "password": PASSWORD, "otp_token": current_code(device), "next": page},
    )
    assert response["Location"] == page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/defectors/", "http://testserver.evil/"])
def test_a_next_off_this_site_is_ignored(client, analyst, target):
    response = client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert target not in client.get("/accounts/login/?next=" + quote(target, safe="")).content.decode()
