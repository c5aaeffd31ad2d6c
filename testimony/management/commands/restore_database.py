"""manage.py restore_database FILE [--replace]: see testimony/backup.py and README "Backups"."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from testimony.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup_database file into an empty database (pg_restore on PostgreSQL, migrate + loaddata on "
        "SQLite). --replace (PostgreSQL) drops and recreates the objects of a database that is not empty."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--replace", action="store_true")

    def handle(self, *args, file, replace, **options):
        try:
            restore(file, replace=replace)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored {file}.")
