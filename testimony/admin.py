"""Data entry for researchers.

Identity fields are gated in ``get_fieldsets`` (which also decides the form's
fields); everything else the admin accepts (lookups, searches, choices, history,
reverts, deletions) goes through accounts/admin_policy.py, shared by every admin.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from simple_history.admin import SimpleHistoryAdmin

from accounts.access import can_view_identity
from accounts.admin_policy import AccessPolicyAdmin, RestrictedChoicesMixin
from audit.services import record_identity_view
from narratives.admin_actions import QuoteTaggingActionsMixin
from narratives.models import Narrative
from narratives.services import quote_set_narratives

from .models import Defector, Outlet, Quote, Source
from .services import defector_attach_quote_sources, quote_save


class PolicyHistoryAdmin(AccessPolicyAdmin, SimpleHistoryAdmin):
    """A record with a change history (django-simple-history), under the admin's access policy."""


class QuoteForm(forms.ModelForm):
    """A quote with its narrative tags edited in the same form."""

    narratives = forms.ModelMultipleChoiceField(
        queryset=Narrative.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every narrative this quote expresses.",
    )

    class Meta:
        model = Quote
        fields = ["defector", "source", "text", "language", "translation", "locator", "narratives"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # From the tags the inline prefetched, when it did: no query per quote.
            self.fields["narratives"].initial = sorted({tag.narrative_id for tag in self.instance.tags.all()})


def save_quote_form(request, quote_form) -> Quote:
    """One path for saving a quote from the admin: the same services as the importer and API."""
    quote = quote_save(quote=quote_form.instance)
    quote_set_narratives(quote=quote, narratives=quote_form.cleaned_data["narratives"], coder=request.user)
    return quote


class LoadedSourceAutocomplete(AutocompleteSelect):
    """The source autocomplete of one inline quote, labelled from the source the inline
    already loaded (``loaded``) instead of one query per quote to read it again."""

    loaded = None

    def optgroups(self, name, value, attr=None):
        source = self.loaded
        if source is None or [str(v) for v in value if v not in ("", None)] != [str(source.pk)]:
            return super().optgroups(name, value, attr)
        return [(None, [self.create_option(name, source.pk, str(source), {str(source.pk)}, 0)], 0)]


class QuoteInline(RestrictedChoicesMixin, admin.StackedInline):
    model = Quote
    form = QuoteForm
    extra = 0
    autocomplete_fields = ["source"]
    fields = ["source", "text", "language", "translation", "locator", "narratives"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("defector", "source__outlet").prefetch_related("tags")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # The codebook's checkboxes, read once for every quote of the page rather than once each.
        choices = [(n.pk, str(n)) for n in Narrative.objects.all()]
        form = formset.form

        class QuoteInlineForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["narratives"].choices = choices
                widget = getattr(self.fields["source"].widget, "widget", None)
                if isinstance(widget, LoadedSourceAutocomplete) and self.instance.source_id:
                    widget.loaded = self.instance.source

        formset.form = QuoteInlineForm
        return formset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "source":
            kwargs["widget"] = LoadedSourceAutocomplete(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Outlet)
class OutletAdmin(PolicyHistoryAdmin):
    list_display = ["name", "kind", "country", "website"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "website"]


@admin.register(Source)
class SourceAdmin(PolicyHistoryAdmin):
    list_display = ["title", "outlet", "published_on", "language"]
    list_filter = ["outlet", "language", "published_on"]
    search_fields = ["title", "url", "outlet__name"]
    autocomplete_fields = ["outlet"]
    date_hierarchy = "published_on"
    list_select_related = ["outlet"]


@admin.register(Defector)
class DefectorAdmin(PolicyHistoryAdmin):
    list_display = [
        "case_id",
        "name",
        "sex",
        "country",
        "reported_on",
        "reported_precision",
        "provenance",
        "visibility",
    ]
    list_filter = ["sex", "provenance", "visibility", "reported_precision", "role", "status", "country"]
    search_fields = ["case_id", "name"]
    autocomplete_fields = ["sources"]
    date_hierarchy = "reported_on"
    inlines = [QuoteInline]
    readonly_fields = ["created_at", "updated_at"]
    change_list_template = "admin/testimony/defector/change_list.html"  # adds "Import CSV"
    fieldsets = [
        (None, {"fields": ["case_id", "name", "sex", "country", "role", "status"]}),
        ("Dates", {"fields": [("reported_on", "reported_precision"), ("defected_on", "defected_precision")]}),
        ("Sources and notes", {"fields": ["sources", "notes"]}),
        ("Publication", {"fields": ["provenance", "visibility", ("created_at", "updated_at")]}),
    ]
    identity_fieldset = (
        "Identity (protected)",
        {
            "fields": list(Defector.IDENTITY_FIELDS),
            "classes": ["collapse"],
            "description": "Visible only to holders of the identity permission. Never shown on public pages.",
        },
    )

    def get_urls(self):
        from .admin_import import import_urls

        return import_urls(self) + super().get_urls()

    def get_readonly_fields(self, request, obj=None):
        # A saved case ID never changes (services.defector_case_id_check).
        readonly = super().get_readonly_fields(request, obj)
        return readonly if obj is None else [*readonly, "case_id"]

    def get_fieldsets(self, request, obj=None):
        if can_view_identity(request.user):
            return [*self.fieldsets, self.identity_fieldset]
        return self.fieldsets

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        record_identity_view(request=request, defectors=[obj])  # audit log; only if identity fields are shown
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Quote:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        for quote in formset.deleted_objects:
            quote.delete()
        for quote_form in formset.forms:
            if quote_form in formset.deleted_forms or not quote_form.has_changed():
                continue
            save_quote_form(request, quote_form)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The sources field was just set from the form; keep every quoted source attached.
        defector_attach_quote_sources(defector=form.instance)


@admin.register(Quote)
class QuoteAdmin(QuoteTaggingActionsMixin, PolicyHistoryAdmin):
    form = QuoteForm
    list_display = ["__str__", "defector", "source", "language"]
    list_filter = ["language", "narratives", "source__outlet"]
    search_fields = ["text", "translation", "defector__case_id", "defector__name"]
    autocomplete_fields = ["defector", "source"]
    list_select_related = ["defector", "source__outlet"]

    def save_model(self, request, obj, form, change):
        quote_save(quote=obj)

    def save_related(self, request, form, formsets, change):
        quote_set_narratives(quote=form.instance, narratives=form.cleaned_data["narratives"], coder=request.user)
