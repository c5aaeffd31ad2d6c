"""Who runs a command: the account named by ``--user``, and the operating-system
login for the access log when there is none. (Django skips command modules
whose names start with an underscore.)"""

import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from audit.services import record_access


def user_option(username: str | None):
    """The user named by ``--user``, None when not given; unknown names stop the command."""
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"--user {username}: no such user.") from None


def record_command_access(*, user, command: str, **event):
    """Log a command's export or backup as the ``--user`` account or, without one, the OS login."""
    return record_access(request_or_user=user, username=_os_operator(), path=f"manage.py {command}", **event)


def _os_operator() -> str:
    """The access log's name for a command run without --user."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no USER variable and no passwd entry, as in some containers
        login = "unknown user"
    return f"{login} (command line)"
