"""manage.py create_user USERNAME --role ROLE [--role ROLE] [--email E] [--staff] [--password-stdin]"""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import ROLE_NAMES
from accounts.services import user_create


def validation_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {message}" for field, errors in error.message_dict.items() for message in errors]
    return list(error.messages)


class Command(BaseCommand):
    help = (
        "Create a user in one or more roles. Researchers and identity custodians are staff (they use the admin); "
        "analysts are not. The password is read from standard input with --password-stdin, or prompted for."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role", action="append", required=True, choices=ROLE_NAMES, dest="roles", help="Repeat for several."
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--staff", action="store_true", help="Make the user staff whatever the roles.")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from the first line of standard input."
        )

    def handle(self, *args, username, roles, email, staff, password_stdin, **options):
        password = self.read_password(password_stdin)
        try:
            user = user_create(username=username, password=password, roles=roles, email=email, is_staff=staff)
        except ValidationError as error:
            raise CommandError("User not created:\n  " + "\n  ".join(validation_messages(error))) from None
        staff_note = "staff" if user.is_staff else "not staff"
        self.stdout.write(f"Created {user.username} ({', '.join(roles)}; {staff_note}).")

    def read_password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ; user not created.")
        else:
            raise CommandError("No terminal to prompt for a password; pass it with --password-stdin.")
        if not password:
            raise CommandError("The password is empty; user not created.")
        return password
