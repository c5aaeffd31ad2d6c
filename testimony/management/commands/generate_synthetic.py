"""generate_synthetic --defectors N [--seed S] (docs/contract.md): synthetic cases through the import service."""

from django.core.management.base import BaseCommand, CommandError

from narratives.models import Narrative
from testimony.imports.service import defector_import
from testimony.synthetic import synthetic_rows


class Command(BaseCommand):
    help = "Create N synthetic defectors (provenance=synthetic) with sources, quotes and narrative tags."

    def add_arguments(self, parser):
        parser.add_argument("--defectors", type=int, required=True, help="How many defectors to generate.")
        parser.add_argument("--seed", type=int, default=0, help="Same seed, same records (case IDs SYN<seed>-...).")

    def handle(self, *args, defectors, seed, **options):
        if defectors < 0:
            raise CommandError("--defectors must be 0 or more.")
        codes = tuple(Narrative.objects.values_list("code", flat=True))
        result = defector_import(
            rows=lambda: synthetic_rows(defectors=defectors, seed=seed, narrative_codes=codes),
            change_reason=f"generate_synthetic --defectors {defectors} --seed {seed}",
        )
        if not result.ok:  # would be a bug in the generator; say so rather than half-write
            raise CommandError("\n".join(map(str, result.errors[:20])))
        self.stdout.write(result.summary())
