"""Writes for accounts: creating users in roles, enrolling and checking TOTP devices."""

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import ANALYST, ROLE_NAMES

# Researchers and custodians work in the admin; analysts only read the site.
STAFF_ROLES = frozenset(ROLE_NAMES) - {ANALYST}


@transaction.atomic
def user_create(*, username: str, password: str, roles: Sequence[str], email: str = "", is_staff: bool = False):
    """Create a user in the given role groups, with a password that passes AUTH_PASSWORD_VALIDATORS."""
    user_model = get_user_model()
    unknown = [role for role in roles if role not in ROLE_NAMES]
    if unknown:
        raise ValidationError(
            {"roles": f"Unknown role {', '.join(map(repr, unknown))}; choose from {', '.join(ROLE_NAMES)}."}
        )
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"A user named {username!r} already exists."})
    user = user_model(username=username, email=email, is_staff=is_staff or bool(STAFF_ROLES.intersection(roles)))
    user.full_clean(exclude=["password"])
    validate_password(password, user)  # ValidationError listing every failed rule
    user.set_password(password)
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


@transaction.atomic
def totp_device_enrol(*, user, name: str = "authenticator", replace: bool = False) -> TOTPDevice:
    """A confirmed TOTP device for ``user``; from now on the login asks for its code.

    One device per user keeps the login form to a single code field.
    """
    existing = TOTPDevice.objects.filter(user=user)
    if existing.exists():
        if not replace:
            raise ValidationError(f"{user.get_username()} already has a TOTP device; use --replace to issue a new one.")
        existing.delete()
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)


def login_device_verify(*, user, token: str):
    """The user's TOTP device if ``token`` is its current code, else None.

    Users without a device pass with no code (returns None too); the caller
    tells the two apart with ``user_requires_token``. Verification goes through
    django-otp, which throttles repeated wrong codes per device.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None or not token:
            return None
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            return device
    return None


def user_requires_token(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
