"""Validation rules for defector records, with messages that say what to fix."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone


def validate_not_future(value: datetime.date) -> None:
    # A CHECK constraint cannot compare with today's date portably (SQLite
    # rejects non-deterministic functions in CHECK), so this rule lives here
    # and runs wherever full_clean() runs: admin, services, importer, API.
    if value and value > timezone.localdate():
        raise ValidationError(
            "%(value)s is in the future; enter the date the press actually reported.",
            code="future_date",
            params={"value": value.isoformat()},
        )


def clean_partial_date(instance, date_field: str, precision_field: str) -> None:
    """Normalise a partial date to the first day of its month or year and check
    that a date and its precision come together."""
    value = getattr(instance, date_field)
    precision = getattr(instance, precision_field)
    if value is None:
        if precision:
            raise ValidationError({precision_field: "Leave the precision empty when there is no date."})
        return
    if not precision:
        raise ValidationError({precision_field: "Say whether the date is known to the day, month or year."})
    if precision == "month":
        setattr(instance, date_field, value.replace(day=1))
    elif precision == "year":
        setattr(instance, date_field, value.replace(month=1, day=1))
