"""``regenerate_report icsr-2015 --format text|json|csv|markdown [--scope published|today] [--strict]``
(docs/contract.md)."""

from django.core.management.base import BaseCommand, CommandError

from reports.models import Study
from reports.reconcile import NOT_COMPUTABLE
from reports.render import RENDERERS
from reports.scopes import SCOPES
from reports.selectors import study_get, study_report


class Command(BaseCommand):
    help = "Regenerate a study's published figures from the database and judge each against its wording."

    def add_arguments(self, parser):
        parser.add_argument("study", help="Study code, e.g. icsr-2015.")
        parser.add_argument("--format", choices=sorted(RENDERERS), default="text")
        parser.add_argument(
            "--strict", action="store_true", help="Exit 1 unless every computable figure is consistent."
        )
        parser.add_argument(
            "--scope",
            choices=SCOPES,
            help=(
                "published: the case list as recorded when the study was frozen (default for a study with one); "
                "today: the inclusion criteria over the whole database now (a study without a case list)."
            ),
        )
        parser.add_argument(
            "--include-synthetic", action="store_true", help="Count synthetic records too (load tests)."
        )

    def handle(self, *args, **options):
        try:
            study = study_get(code=options["study"])
        except Study.DoesNotExist:
            known = ", ".join(Study.objects.values_list("code", flat=True)) or "none; run migrate"
            raise CommandError(f"Unknown study {options['study']!r}. Known studies: {known}.") from None
        report = study_report(study=study, include_synthetic=options["include_synthetic"], scope=options["scope"])
        self.stdout.write(RENDERERS[options["format"]](report), ending="")
        off = [f for f in report["figures"] if f["verdict"] not in ("consistent", NOT_COMPUTABLE)]
        if off and options["strict"]:
            keys = ", ".join(f"{f['key']} ({f['verdict']})" for f in off)
            raise CommandError(f"{len(off)} figure(s) not consistent: {keys}.", returncode=1)
