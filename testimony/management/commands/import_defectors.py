"""import_defectors FILE [--dry-run] (docs/contract.md): all or nothing.

Prints every bad row and exits 1 without writing; otherwise imports in one
transaction and prints the summary (created, updated, unchanged). A progress
bar shows on stderr when the import takes more than a moment.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from testimony.imports.service import defector_import

from ._operator import user_option


class Command(BaseCommand):
    help = "Import defectors from a long-form CSV (UTF-8, header row, one row per quote)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and count, write nothing.")
        parser.add_argument("--user", help="Username recorded in the change history as the importer.")

    def handle(self, *args, file, dry_run, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        importer = user_option(user)

        bars = {}

        def progress(stage, done, total):
            bar = bars.get(stage)
            if bar is None:
                for other in bars.values():  # one bar at a time: validating, then writing
                    other.close()
                label = "validating" if stage == "validate" else "writing"
                bar = bars[stage] = tqdm(total=total, desc=label, unit=" rows", file=self.stderr._out, delay=1)
            bar.update(done - bar.n)

        try:
            result = defector_import(
                rows=path,
                user=importer,
                dry_run=dry_run,
                progress=progress,
                change_reason=f"import_defectors {path.name}" + (f" by {user}" if user else ""),
            )
        finally:
            for bar in bars.values():
                bar.close()
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            self.stderr.write(f"{len(result.errors)} problem(s) in {file}; nothing was imported.")
            raise SystemExit(1)
        prefix = "Dry run, nothing written: " if dry_run else "Imported: "
        self.stdout.write(prefix + result.summary())
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
