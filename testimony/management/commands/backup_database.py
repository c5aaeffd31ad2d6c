"""manage.py backup_database [--output FILE]: see testimony/backup.py and README "Backups"."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from testimony.backup import BackupError, backup, default_filename


class Command(BaseCommand):
    help = "Back up the whole database: pg_dump -Fc on PostgreSQL, dumpdata (JSON) on SQLite."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="File to write (default: backups/testimony-<time>.dump|json).")

    def handle(self, *args, output, **options):
        path = output or Path(settings.BASE_DIR) / "backups" / default_filename()
        try:
            backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(path))
