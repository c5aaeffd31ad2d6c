"""What the coding commands share: the quote and defector filters as options."""

from django.http import QueryDict

from testimony.filters import QUOTE_DEFECTOR_FILTERS, QuoteFilterSet

QUOTE_FILTERS = sorted({*QuoteFilterSet.base_filters, *QUOTE_DEFECTOR_FILTERS} - {"narrative", "ordering"})


def add_quote_filter_arguments(parser) -> None:
    group = parser.add_argument_group("quote filters (as on /api/v1/quotes/; repeat an option for several values)")
    for name in QUOTE_FILTERS:
        group.add_argument(f"--{name.replace('_', '-')}", dest=f"filter_{name}", action="append", default=[])


def quote_filter_params(options) -> QueryDict:
    params = QueryDict(mutable=True)
    for key, values in options.items():
        if key.startswith("filter_") and values:
            params.setlist(key.removeprefix("filter_"), values)
    return params


def errors_line(errors: dict) -> str:
    return "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in errors.items())
