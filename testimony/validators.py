"""Validation rules for defector records, with messages that say what to fix."""

import calendar
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


def _period_end(value, precision):
    """The last day a partial date may stand for: 31 Aug 2015 for "Aug 2015"."""
    if precision == "year":
        return value.replace(month=12, day=31)
    if precision == "month":
        return value.replace(day=calendar.monthrange(value.year, value.month)[1])
    return value


def clean_defection_before_report(defector) -> None:
    """A defector is reported after defecting: a defection whose earliest possible
    day is after the report's latest possible day is a typing error ("Aug 2015"
    defected and "2015-08-20" reported may both be right)."""
    defected, reported = defector.defected_on, defector.reported_on
    if defected is None or reported is None:
        return
    if defected > _period_end(reported, defector.reported_precision):
        from .templatetags.testimony_tags import partial_date

        raise ValidationError(
            {
                "defected_on": (
                    f"The defection ({partial_date(defected, defector.defected_precision)}) is dated after the "
                    f"first report of it ({partial_date(reported, defector.reported_precision)}): "
                    "check both dates."
                )
            },
            code="defected_after_report",
        )
