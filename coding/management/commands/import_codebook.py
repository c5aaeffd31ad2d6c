"""``manage.py import_codebook FILE.qdc [--apply]``: compare a REFI-QDA codebook with ours."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coding.refi import QDAError, codebook_import


class Command(BaseCommand):
    help = "Codes matched by GUID; new codes proposed (created with --apply); conflicts reported, never applied."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--apply", action="store_true", help="Create the proposed new codes.")

    def handle(self, *args, **options):
        try:
            result = codebook_import(Path(options["file"]).read_bytes(), apply=options["apply"])
        except (OSError, QDAError) as error:
            raise CommandError(f"{options['file']}: {error}") from error
        self.stdout.write(f"{len(result.matched)} codes matched by GUID: {', '.join(result.matched) or '-'}")
        for conflict in result.conflicts:
            self.stdout.write(
                f"conflict, kept ours: {conflict['code']} {conflict['field']}: file says {conflict['theirs']!r}"
            )
        verb = "created" if options["apply"] else "proposed (run with --apply to create)"
        for proposal in result.new:
            self.stdout.write(f"new code {verb}: {proposal['name']} ({proposal['guid']})")
