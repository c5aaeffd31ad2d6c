"""Load the ICSR 2015 study fixture once, so that `make run` can be repeated
without overwriting what researchers have since edited."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from testimony.models import Defector

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "icsr_2015.json"


class Command(BaseCommand):
    help = "Load fixtures/icsr_2015.json unless the study's defectors are already in the database."

    def handle(self, *args, **options):
        if not FIXTURE.exists():
            self.stdout.write("No study fixture yet; nothing to load.")
            return
        if Defector.objects.filter(case_id__startswith="ICSR15-").exists():
            self.stdout.write("The ICSR 2015 defectors are already loaded; leaving the data as it is.")
            return
        call_command("loaddata", FIXTURE.stem, verbosity=1)
