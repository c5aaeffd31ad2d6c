"""Template helpers for the defector pages."""

from django import template

from testimony.languages import language_name as name_of_language

register = template.Library()

# A month-precision date is stored on the 1st: showing "1 Aug 2015" would invent a day.
PRECISION_FORMATS = {"day": "{0.day} {0:%b %Y}", "month": "{0:%b %Y}", "year": "{0:%Y}"}


@register.filter
def partial_date(value, precision):
    """A date at the precision the press gave it: "14 Aug 2015", "Aug 2015" or "2015"."""
    if not value:
        return ""
    return PRECISION_FORMATS.get(precision or "day", PRECISION_FORMATS["day"]).format(value)


@register.filter
def field_errors(form, name):
    """The errors of one filter field, empty for unknown names."""
    return form.errors.get(name, [])


@register.filter
def get_list_display(query, name):
    """The values a query string gives a parameter, as the user typed them."""
    return ", ".join(query.getlist(name))


@register.filter
def language_name(code):
    """A source's or quote's language by name: ``get_language_display`` walks all 184
    choices on every call, which a detail page with many quotes pays for each."""
    return name_of_language(code)
