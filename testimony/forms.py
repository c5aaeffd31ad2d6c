"""The forms of the case entry page (/entry/): one article's source, one defector, its quotes.

They only validate; ``services.case_entry_save`` writes. Model forms run the
models' own ``full_clean()``, so a bad value is reported beside its field before
anything is written, with the same messages as the admin and the API.
"""

from django import forms
from django.forms import formset_factory

from accounts.access import can_view_identity
from narratives.models import Narrative

from .imports.cells import PARTIAL_DATE_ACCEPTED, parse_partial_date
from .imports.result import CellError
from .models import Defector, Outlet, Quote, Source

# Free text in any script: the browser sets each field's direction from what is typed.
RTL_AWARE = {"dir": "auto"}


class SourceChoiceForm(forms.Form):
    """An existing source, or the fields of a new one (its outlet by name: an existing
    outlet when the name matches one, otherwise a new outlet)."""

    source = forms.ModelChoiceField(
        queryset=Source.objects.select_related("outlet"),
        required=False,
        empty_label="— a new source (fill in below) —",
        label="Existing source",
    )


class NewSourceForm(forms.ModelForm):
    outlet_name = forms.CharField(
        label="Outlet",
        max_length=Outlet._meta.get_field("name").max_length,
        help_text="An existing outlet's name (suggested as you type), or a new outlet's.",
        widget=forms.TextInput(attrs={"list": "outlet-names", "autocomplete": "off", **RTL_AWARE}),
    )

    class Meta:
        model = Source
        fields = ["title", "url", "published_on", "language", "archived_url"]
        widgets = {
            "title": forms.TextInput(attrs=RTL_AWARE),
            "published_on": forms.DateInput(attrs={"type": "date"}),
        }

    field_order = ["outlet_name", "title", "url", "published_on", "language", "archived_url"]

    def clean_outlet_name(self):
        return " ".join(self.cleaned_data["outlet_name"].split())

    def _post_clean(self):
        # The outlet is found or made at save time; validate the rest of the source now.
        self.instance.outlet = Outlet(name=self.cleaned_data.get("outlet_name") or "")
        super()._post_clean()

    def outlet(self) -> Outlet:
        name = self.cleaned_data["outlet_name"]
        return Outlet.objects.filter(name=name).first() or Outlet(name=name)


class PartialDateField(forms.CharField):
    """``2015``, ``2015-08`` or ``2015-08-14``: the press often gives a month or a year only.
    Cleans to (date, precision), read the same way as the importer's cells."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", PARTIAL_DATE_ACCEPTED + ".")
        super().__init__(max_length=10, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_partial_date(value)
        except CellError as error:
            raise forms.ValidationError(f"{error.reason}: use {error.accepted}.") from None


class ExistingDefectorForm(forms.Form):
    existing_case_id = forms.CharField(
        label="Existing case ID",
        required=False,
        max_length=Defector._meta.get_field("case_id").max_length,
        help_text="To add quotes to a case already in the database (suggested as you type: case ID or name). "
        "Leave empty to enter a new case below.",
        widget=forms.TextInput(attrs={"list": "case-ids", "autocomplete": "off"}),
    )

    def __init__(self, *args, defectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.defectors = defectors

    def clean_existing_case_id(self):
        case_id = self.cleaned_data["existing_case_id"].strip()
        if not case_id:
            return None
        # Restricted cases are not in ``defectors`` for users who may not see them: the same message as an unknown one.
        defector = self.defectors.filter(case_id__iexact=case_id).first()
        if defector is None:
            raise forms.ValidationError(
                f"No case \u201c{case_id}\u201d: check the ID, or leave this empty to enter a new case."
            )
        return defector


class NewDefectorForm(forms.ModelForm):
    reported = PartialDateField(
        label="Reported on",
        help_text="When the defection was first publicly reported: " + PARTIAL_DATE_ACCEPTED + ".",
    )

    class Meta:
        model = Defector
        fields = [
            "case_id",
            "name",
            "sex",
            "country",
            "role",
            "status",
            "notes",
            "visibility",
            "provenance",
            *Defector.IDENTITY_FIELDS,
        ]
        widgets = {"name": forms.TextInput(attrs=RTL_AWARE), "notes": forms.Textarea(attrs={"rows": 3, **RTL_AWARE})}

    field_order = ["case_id", "name", "sex", "country", "reported"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_view_identity(user):
            # Like the admin: the fields are not on the form at all, so they can be neither seen nor set.
            for name in Defector.IDENTITY_FIELDS:
                del self.fields[name]

    def _post_clean(self):
        reported = self.cleaned_data.get("reported")
        if reported:
            self.instance.reported_on, self.instance.reported_precision = reported
        super()._post_clean()

    def _update_errors(self, errors):
        # The model reports its date under reported_on/_precision, which this form fills from ``reported``.
        if hasattr(errors, "error_dict"):
            for moved in ("reported_on", "reported_precision"):
                if moved in errors.error_dict:
                    messages = errors.error_dict.pop(moved)
                    # A date that did not parse leaves the precision without a date: say only the first.
                    if "reported" not in self.errors:
                        errors.error_dict.setdefault("reported", []).extend(messages)
            if not errors.error_dict:
                return
        super()._update_errors(errors)


class QuoteEntryForm(forms.ModelForm):
    """One quote of the article; its defector and source are the page's."""

    narratives = forms.ModelMultipleChoiceField(
        queryset=Narrative.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every narrative of the codebook this quote expresses.",
    )

    class Meta:
        model = Quote
        fields = ["text", "language", "translation", "locator", "narratives"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 4, **RTL_AWARE}),
            "translation": forms.Textarea(attrs={"rows": 3, **RTL_AWARE}),
        }


class BaseQuoteFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        # Browsers would refuse to submit an empty extra quote; empty quotes are left out instead.
        return {**super().get_form_kwargs(index), "use_required_attribute": False}


QuoteFormSet = formset_factory(QuoteEntryForm, formset=BaseQuoteFormSet, extra=1, max_num=50, validate_max=True)
