"""REST API tokens that expire, and die with the password that earned them.

*Lifetime.* A token authenticates for ``API_TOKEN_LIFETIME_DAYS`` after it was
issued (``Token.created``); after that the API answers 401 saying when it
expired and how to get a new one. ``manage.py issue_token USER --rotate``
issues a new key at any time; without ``--rotate`` it replaces an expired
token rather than print a key that no longer works. 0 days: no expiry.

*Revocation.* A user's tokens are deleted when the user's password changes
or the account is deactivated, by whatever path: the admin's user form and
password form, ``changepassword``, ``set_password()`` in a service, a script.
All of them end in ``User.save()``, so the rule is one pair of signal
receivers on the user model rather than a check in each path. The
alternative, comparing ``Token.created`` with the time of the last password
change, would need that time stored: Django keeps none, and recording it
would be the same receiver plus a table. Deleting also means a reactivated
account does not get its old key back. A password re-hashed with the same
password (Django upgrading its hasher at login) keeps the tokens. Only
``QuerySet.update()`` bypasses ``save()``: DRF still refuses the tokens of
inactive users, and nothing in the project sets passwords that way.
"""

import datetime

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def token_expires_at(token) -> datetime.datetime | None:
    days = settings.API_TOKEN_LIFETIME_DAYS
    return token.created + datetime.timedelta(days=days) if days else None


def token_has_expired(token) -> bool:
    expires = token_expires_at(token)
    return expires is not None and expires <= timezone.now()


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, refusing keys older than the lifetime."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_has_expired(token):
            raise AuthenticationFailed(
                f"This token expired on {token_expires_at(token):%Y-%m-%d %H:%M} UTC "
                f"(tokens last {settings.API_TOKEN_LIFETIME_DAYS} days). "
                "Ask for a new one: manage.py issue_token USERNAME --rotate."
            )
        return user, token


REVOKING_FIELDS = {"password", "is_active"}


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.tokens.note_revocation")
def note_revocation(sender, instance, update_fields=None, **kwargs):
    instance._revoke_api_tokens = False
    if instance.pk is None or (update_fields is not None and not REVOKING_FIELDS & set(update_fields)):
        return  # a new user has no token; saving last_login alone changes nothing here
    stored = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    deactivated = stored["is_active"] and not instance.is_active
    instance._revoke_api_tokens = deactivated or _password_changed(instance, stored["password"])


def _password_changed(user, stored_hash: str) -> bool:
    if user.password == stored_hash:
        return False
    raw = getattr(user, "_password", None)  # set by set_password() until the save completes
    # The same password under a new hash (hasher upgrade at login) is no change.
    return raw is None or not check_password(raw, stored_hash)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.tokens.revoke")
def revoke(sender, instance, **kwargs):
    if getattr(instance, "_revoke_api_tokens", False):
        Token.objects.filter(user=instance).delete()
        instance._revoke_api_tokens = False
