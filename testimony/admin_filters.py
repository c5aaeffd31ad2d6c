"""Admin list filters that offer only the values the records hold."""

from django.contrib import admin


class PresentValuesListFilter(admin.AllValuesFieldListFilter):
    """Django's AllValuesFieldListFilter (the distinct values present, so 30
    countries rather than all 251, and 8 languages rather than every ISO code),
    shown by their labels ("Syria", "Arabic") and in the labels' order. It uses
    the field's own ``?country=SY`` parameter, which the admin's access policy
    (accounts/admin_policy.py) accepts for a list filter on that field."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.labels = {str(value): str(label) for value, label in field.flatchoices}
        self.lookup_choices = sorted(self.lookup_choices, key=lambda value: self.labels.get(str(value), str(value)))

    def choices(self, changelist):
        # "All" and the empty value's entry keep their display; a value's code becomes its name.
        for choice in super().choices(changelist):
            code = str(choice["display"])
            yield {**choice, "display": self.labels[code]} if code in self.labels else choice
