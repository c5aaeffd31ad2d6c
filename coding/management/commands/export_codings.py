"""``manage.py export_codings [--format csv|wide|qdpx|qdc] [--output FILE] [quote filters]``."""

import sys

from django.core.management.base import BaseCommand, CommandError

from coding.agreement import quote_filterset
from coding.commands import add_quote_filter_arguments, errors_line, quote_filter_params
from coding.exchange import codings_export, codings_spreadsheet
from coding.refi import codebook_qdc, project_qdpx


class Command(BaseCommand):
    help = (
        "Coding decisions as the CSV import_codings reads (csv), one row per quote and a column per narrative "
        "per coder (wide), a REFI-QDA project (qdpx, needs --output) or the codebook (qdc). Never identity fields."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "wide", "qdpx", "qdc"], default="csv")
        parser.add_argument("--output", help="File to write (default: standard output).")
        parser.add_argument("--name", default="Defector testimony", help="Project name in a .qdpx.")
        add_quote_filter_arguments(parser)

    def handle(self, *args, **options):
        # A custodian's tool like export_defectors: restricted quotes included.
        filterset = quote_filterset(quote_filter_params(options), include_restricted=True)
        if not filterset.is_valid():
            raise CommandError(errors_line(filterset.errors))
        quotes, kind = filterset.qs, options["format"]
        if kind == "qdpx":
            if not options["output"]:
                raise CommandError("--format qdpx writes a zip file: give --output FILE.qdpx")
            content = project_qdpx(quotes, name=options["name"])
        elif kind == "qdc":
            content = codebook_qdc()
        else:
            content = (codings_export if kind == "csv" else codings_spreadsheet)(quotes).encode("utf-8")
        if options["output"]:
            with open(options["output"], "wb") as out:
                out.write(content)
        else:
            sys.stdout.flush()
            self.stdout.write(content.decode("utf-8"), ending="")
