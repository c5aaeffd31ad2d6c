"""Data entry for researchers.

Identity fields are gated in ``get_fieldsets`` (which also decides the form's
fields); everything else the admin accepts (lookups, searches, choices, history,
reverts, deletions) goes through accounts/admin_policy.py, shared by every admin.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from accounts.access import can_view_identity
from accounts.admin_policy import AccessPolicyAdmin, RestrictedChoicesMixin
from audit.services import record_identity_view
from narratives.admin_actions import QuoteTaggingActionsMixin
from narratives.models import Narrative
from narratives.services import quote_set_narratives

from .admin_filters import PresentValuesListFilter
from .duplicates import possible_duplicates
from .models import Defector, DefectorAlias, Outlet, Quote, Source
from .services import case_warnings, defector_attach_quote_sources, defector_merge, quote_save
from .templatetags.testimony_tags import partial_date


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
    list_filter = ["kind", ("country", PresentValuesListFilter)]
    search_fields = ["name", "website"]


@admin.register(Source)
class SourceAdmin(PolicyHistoryAdmin):
    list_display = ["title", "outlet", "published_on", "language"]
    list_filter = ["outlet", ("language", PresentValuesListFilter), "published_on"]
    search_fields = ["title", "url", "outlet__name"]
    autocomplete_fields = ["outlet"]
    date_hierarchy = "published_on"
    list_select_related = ["outlet"]


QUOTE_SOURCE_FIELD = re.compile(r"^quotes-\d+-source$")
QUOTE_SOURCE_ID = re.compile(r"^[0-9]{1,18}$")  # an id a database can compare (64-bit), ASCII digits only


class DefectorForm(forms.ModelForm):
    """The defector form, which lists possible duplicates (testimony/duplicates.py)
    before a new record, or a changed name, country, date or sources, is saved."""

    DUPLICATE_FIELDS = ("name", "country", "reported_on", "sources")

    not_a_duplicate = forms.BooleanField(
        label="This is not a duplicate",
        required=False,
        help_text="Tick to save although possible duplicates are listed; leave it to check them first.",
    )
    user = None  # set per request by DefectorAdmin.get_form

    def quoted_source_ids(self) -> list[int]:
        # The inline quotes' sources become the defector's sources on saving; a
        # shared source is the strongest sign of a duplicate, so they count too.
        values = (v for k in self.data if QUOTE_SOURCE_FIELD.match(k) for v in self.data.getlist(k))
        return [int(v) for v in values if QUOTE_SOURCE_ID.match(v)]  # the inline's own check reports the rest

    def clean(self):
        cleaned = super().clean()
        if self.errors or cleaned.get("not_a_duplicate"):
            return cleaned
        if self.instance.pk and not set(self.DUPLICATE_FIELDS) & set(self.changed_data):
            return cleaned
        sources = [s.pk for s in cleaned.get("sources") or ()] + self.quoted_source_ids()
        values = {
            "pk": self.instance.pk,
            "name": cleaned.get("name", ""),
            "country": cleaned.get("country", ""),
            "reported_on": cleaned.get("reported_on"),
            "sources": sources,
        }
        candidates = possible_duplicates(values, user=self.user)
        if candidates:
            listed = format_html_join(
                "",
                '<li><a href="{}">{} {}</a> ({})</li>',
                (
                    (
                        reverse("admin:testimony_defector_change", args=[c.defector.pk]),
                        c.defector.case_id,
                        c.defector.name,
                        "; ".join(c.reasons),
                    )
                    for c in candidates
                ),
            )
            raise ValidationError(
                format_html(
                    'Possible duplicates of this defector: <ul class="possible-duplicates">{}</ul>'
                    "If this is another person, tick \u201cThis is not a duplicate\u201d and save again; "
                    "if it is the same one, merge the records from the defector list.",
                    listed,
                ),
                code="possible_duplicates",
            )
        return cleaned


@admin.register(Defector)
class DefectorAdmin(PolicyHistoryAdmin):
    list_display = [
        "case_id",
        "name",
        "sex",
        "country",
        "reported",
        "reported_precision",
        "provenance",
        "visibility",
    ]
    list_filter = [
        "sex",
        "provenance",
        "visibility",
        "reported_precision",
        "role",
        "status",
        ("country", PresentValuesListFilter),
    ]
    search_fields = ["case_id", "name"]
    autocomplete_fields = ["sources"]
    date_hierarchy = "reported_on"
    inlines = [QuoteInline]
    readonly_fields = ["created_at", "updated_at"]
    change_list_template = "admin/testimony/defector/change_list.html"  # adds "Import CSV"
    form = DefectorForm
    actions = ["merge_selected"]
    fieldsets = [
        (None, {"fields": ["case_id", "name", "sex", "country", "role", "status"]}),
        ("Dates", {"fields": [("reported_on", "reported_precision"), ("defected_on", "defected_precision")]}),
        ("Sources and notes", {"fields": ["sources", "notes"]}),
        ("Publication", {"fields": ["provenance", "visibility", ("created_at", "updated_at")]}),
    ]
    duplicate_fieldset = ("Duplicate check", {"fields": ["not_a_duplicate"]})
    identity_fieldset = (
        "Identity (protected)",
        {
            "fields": list(Defector.IDENTITY_FIELDS),
            "classes": ["collapse"],
            "description": "Visible only to holders of the identity permission. Never shown on public pages.",
        },
    )

    @admin.display(description="reported", ordering="reported_on")
    def reported(self, obj):
        # "Jan 2014", not "1 Jan 2014": a month-precision date is stored on the 1st.
        return partial_date(obj.reported_on, obj.reported_precision)

    def get_urls(self):
        from .admin_import import import_urls

        return import_urls(self) + super().get_urls()

    def get_readonly_fields(self, request, obj=None):
        # A saved case ID never changes (services.defector_case_id_check).
        readonly = super().get_readonly_fields(request, obj)
        return readonly if obj is None else [*readonly, "case_id"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [*self.fieldsets, self.duplicate_fieldset]
        if can_view_identity(request.user):
            return [*fieldsets, self.identity_fieldset]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a fresh class per request: candidates are those this user may see
        return form

    @admin.action(description="Merge the two selected defectors", permissions=["change", "delete"])
    def merge_selected(self, request, queryset):
        """Choose which of two records keeps its case ID, then services.defector_merge."""
        records = list(queryset.order_by("case_id")[:3])
        if len(records) != 2:
            self.message_user(request, "Select exactly two defectors to merge.", messages.ERROR)
            return None
        keep_pk = request.POST.get("keep")
        if keep_pk in {str(r.pk) for r in records}:
            keep, absorb = sorted(records, key=lambda r: str(r.pk) != keep_pk)
            try:
                kept = defector_merge(keep=keep, absorb=absorb, user=request.user)
            except ValidationError as refused:
                self.message_user(request, " ".join(refused.messages), messages.ERROR)
                return None
            self.message_user(
                request,
                f"Merged {absorb.case_id} into {kept.case_id}; links to {absorb.case_id} now lead to {kept.case_id}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:testimony_defector_change", args=[kept.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge two defectors",
            "opts": self.model._meta,
            "records": Defector.objects.filter(pk__in=[r.pk for r in records]).with_quote_count().order_by("case_id"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/testimony/defector/merge.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        record_identity_view(request=request, defectors=[obj])  # audit log; only if identity fields are shown
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def changeform_view(self, request, *args, **kwargs):
        # The add and change forms end in save_related, which writes the history row;
        # a revert from the history page saves without it and keeps simple-history's own.
        request.defector_history_in_save_related = True
        return super().changeform_view(request, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        # One history row per save (save_related writes it), not one for the save and one
        # more for every change to the sources (simple-history records each m2m_changed:
        # the form's set(), each inline quote's source and the re-attached quoted sources).
        if getattr(request, "defector_history_in_save_related", False):
            obj.skip_history_when_saving = True
            obj._sources_before = set(obj.sources.values_list("pk", flat=True)) if change else set()
        super().save_model(request, obj, form, change)

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
        defector = form.instance
        defector_attach_quote_sources(defector=defector)
        for warning in case_warnings([defector]):  # e.g. a frozen study that does not count this case
            self.message_user(request, warning, messages.WARNING)
        if not hasattr(defector, "skip_history_when_saving"):
            return
        del defector.skip_history_when_saving
        sources_changed = set(defector.sources.values_list("pk", flat=True)) != defector._sources_before
        if not change or form.has_changed() or sources_changed:
            # The row simple-history's post_save receiver writes, now with the final sources.
            defector._history_user = request.user
            post_save.send(sender=Defector, instance=defector, created=not change, update_fields=None, raw=False)


@admin.register(Quote)
class QuoteAdmin(QuoteTaggingActionsMixin, PolicyHistoryAdmin):
    form = QuoteForm
    list_display = ["__str__", "defector", "source", "language"]
    list_filter = [("language", PresentValuesListFilter), "narratives", "source__outlet"]
    search_fields = ["text", "translation", "defector__case_id", "defector__name"]
    autocomplete_fields = ["defector", "source"]
    list_select_related = ["defector", "source__outlet"]

    def save_model(self, request, obj, form, change):
        quote_save(quote=obj)

    def save_related(self, request, form, formsets, change):
        quote_set_narratives(quote=form.instance, narratives=form.cleaned_data["narratives"], coder=request.user)


@admin.register(DefectorAlias)
class DefectorAliasAdmin(AccessPolicyAdmin, admin.ModelAdmin):
    """Case IDs of merged records; written only by the merge. An alias of a
    restricted record is as hidden as the record."""

    list_display = ["case_id", "defector", "merged_at", "merged_by", "reason"]
    search_fields = ["case_id", "defector__case_id"]
    list_select_related = ["defector", "merged_by"]

    def get_queryset(self, request):
        visible = Defector.objects.visible_to(request.user)
        return super().get_queryset(request).filter(defector__in=visible)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
