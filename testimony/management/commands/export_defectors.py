"""export_defectors [--format csv|json] [--output FILE] [--user NAME] (docs/contract.md).

Writes every defector, restricted ones included (the command line is the
database's custodian, and import(export(db)) must give the database back),
but never identity fields. Every run is an export in the access log, like the
web's: restricted records leave the database here too. ``--output`` files are
created 0600 (only the operator's account may read them); standard output
redirected by the shell gets the shell's umask.
"""

from django.core.management.base import BaseCommand

from audit.models import Action
from testimony.longform import write_csv, write_json
from testimony.models import Defector
from testimony.private_files import open_private

from ._operator import record_command_access, user_option


class Command(BaseCommand):
    help = "Write all defectors as the long-form CSV (one row per quote) or as nested JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument("--user", help="Username recorded in the access log (default: the operating-system login).")

    def handle(self, *args, format, output, user, **options):
        account = user_option(user)
        writer = write_csv if format == "csv" else write_json
        defectors = Defector.objects.order_by("case_id")
        if output:
            with open_private(output, "w", encoding="utf-8", newline="") as out:
                count = writer(defectors, out)
            self.stderr.write(f"Wrote {count} {'rows' if format == 'csv' else 'defectors'} to {output}.")
        else:
            count = writer(defectors, _Unterminated(self.stdout))
        record_command_access(
            user=account,
            command="export_defectors",
            action=Action.EXPORT_CSV if format == "csv" else Action.EXPORT_JSON,
            parameters={"format": format, "output": output or "stdout"},
            record_count=count,
        )


class _Unterminated:
    """self.stdout adds a newline to every write; the writers bring their own."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, ending="")
