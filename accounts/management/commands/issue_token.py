"""manage.py issue_token USERNAME [--rotate]: print the user's REST API token.

Tokens expire after API_TOKEN_LIFETIME_DAYS (accounts/tokens.py): an expired
one is replaced, since printing a key that no longer works helps no one.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from accounts.tokens import token_expires_at, token_has_expired


class Command(BaseCommand):
    help = (
        "Print the REST API token of a user (created on first use), for scripts: "
        "send it as 'Authorization: Token <key>'. --rotate replaces an existing token; "
        "an expired one is replaced anyway."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="Delete the old token and issue a new one.")

    def handle(self, *args, username, rotate, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"{username} is inactive; no token issued.")
        existing = Token.objects.filter(user=user).first()
        if existing is not None and not rotate and token_has_expired(existing):
            self.stderr.write(
                f"The token of {username} expired on {token_expires_at(existing):%Y-%m-%d}; issuing a new one."
            )
            rotate = True
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        expires = token_expires_at(token)
        if expires is not None:
            self.stderr.write(f"Valid until {expires:%Y-%m-%d %H:%M} UTC.")
        self.stdout.write(token.key)
