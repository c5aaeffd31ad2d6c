"""manage.py backup_database [--output FILE] [--user NAME]: see testimony/backup.py and README "Backups".

A backup holds every identity field, so each one is an event in the access
log, written before the dump so that the backup carries its own record.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.models import Action
from testimony.backup import BackupError, backup, default_filename

from ._operator import record_command_access, user_option


class Command(BaseCommand):
    help = "Back up the whole database: pg_dump -Fc on PostgreSQL, dumpdata (JSON) on SQLite."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="File to write (default: backups/testimony-<time>.dump|json).")
        parser.add_argument("--user", help="Username recorded in the access log (default: the operating-system login).")

    def handle(self, *args, output, user, **options):
        path = output or Path(settings.BASE_DIR) / "backups" / default_filename()
        record_command_access(
            user=user_option(user),
            command="backup_database",
            action=Action.BACKUP,
            parameters={"output": str(path)},
        )
        try:
            backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(path))
