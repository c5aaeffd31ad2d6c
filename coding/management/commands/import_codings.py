"""``manage.py import_codings FILE``: coders' decisions from CSV (``quote_id, coder, narratives``), all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coding.exchange import CodingImportError, codings_import


class Command(BaseCommand):
    help = "Import coding decisions (quote_id, coder, narratives); empty narratives: coded, none applies."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        try:
            text = Path(options["file"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {options['file']}: {error}") from error
        try:
            result = codings_import(text)
        except CodingImportError as error:
            for line in error.errors:
                self.stderr.write(line)
            raise CommandError(f"{len(error.errors)} bad line(s): nothing imported.") from error
        self.stdout.write(
            f"{result.created} decisions created, {result.changed} changed, {result.unchanged} unchanged."
        )
