"""``manage.py reliability [--coder NAME ...] [--narrative CODE ...] [quote filters] --format json|text``."""

import json

from django.core.management.base import BaseCommand, CommandError

from coding.agreement import agreement_report
from coding.commands import add_quote_filter_arguments, errors_line, quote_filter_params
from coding.reliability import RESAMPLES
from coding.views import reliability_request


class Command(BaseCommand):
    help = "Inter-coder reliability per narrative and over the codebook, for any set of coders and quotes."

    def add_arguments(self, parser):
        parser.add_argument("--coder", action="append", default=[], help="Username; repeat (default: all who coded).")
        parser.add_argument("--narrative", action="append", default=[], help="Narrative code; repeat (default: all).")
        parser.add_argument("--resamples", type=int, default=RESAMPLES, help="Bootstrap resamples (default 1000).")
        parser.add_argument("--format", choices=["json", "text"], default="text")
        add_quote_filter_arguments(parser)

    def handle(self, *args, **options):
        params = quote_filter_params(options)
        params.setlist("coder", options["coder"])
        params.setlist("narrative", options["narrative"])
        # A custodian's tool, like export_defectors: restricted quotes count.
        filterset, coders, narratives, errors = reliability_request(params, include_restricted=True)
        if errors:
            raise CommandError(errors_line(errors))
        report = agreement_report(
            quotes=filterset.qs, coders=coders, narratives=narratives, resamples=options["resamples"]
        )
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
            return
        self.stdout.write(
            f"Coders: {', '.join(report['coders']) or 'none'}; units (quotes coded by two or more): {report['units']}"
        )
        self.stdout.write(
            f"{'narrative':<20} {'units':>5} {'alpha':>7} {'95% CI':>17} {'verdict':<13} {'agree':>6} {'kappa':>7}"
        )
        for code, stats in [*report["narratives"].items(), ("(whole codebook)", report["overall"])]:
            self.stdout.write(
                f"{code:<20} {stats['units']:>5} {_num(stats['alpha']):>7} {_ci(stats['alpha_ci']):>17} "
                f"{stats['verdict'] or '-':<13} {_num(stats['percent_agreement']):>6} {_num(stats['kappa']):>7}"
            )
        self.stdout.write("alpha >= 0.800 reliable, >= 0.667 tentative (Krippendorff 2004).")


def _num(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _ci(interval) -> str:
    return "-" if not interval else f"[{interval[0]:.3f}, {interval[1]:.3f}]"
