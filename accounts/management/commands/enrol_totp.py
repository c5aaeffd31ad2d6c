"""manage.py enrol_totp USERNAME [--replace]: give a user a TOTP device and print its otpauth:// URI."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import totp_device_enrol


class Command(BaseCommand):
    help = (
        "Enrol a TOTP authenticator for USERNAME and print the otpauth:// URI to add to an authenticator app "
        "(paste it, or turn it into a QR code offline). From then on the login asks for the app's code."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--replace", action="store_true", help="Discard the user's existing TOTP device.")

    def handle(self, *args, username, replace, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        try:
            device = totp_device_enrol(user=user, replace=replace)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        self.stdout.write(device.config_url)
        self.stderr.write(
            "Add this URI to the user's authenticator app now and keep it secret: it is the second factor. "
            "The login form's 'Authenticator code' field now requires the app's current code."
        )
