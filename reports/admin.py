"""Researchers add later studies, their published figures and case lists here."""

from django import forms
from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_policy import AccessPolicyAdmin

from .measures import SelectionError, parse_selection
from .models import PublishedFigure, Study, StudyMembership
from .services import study_add_members


class PublishedFigureInline(admin.TabularInline):
    model = PublishedFigure
    extra = 1
    fields = [
        "display_order",
        "key",
        "measure",
        "aggregate",
        "selection",
        "denominator",
        "kind",
        "value",
        "value_text",
        "qualifier",
        "wording",
        "outlet",
        "source",
        "source_url",
        "status",
        "notes",
    ]


class StudyMembershipInline(admin.TabularInline):
    """The case list: remove a member with "Delete"; each change is kept in the membership's history."""

    model = StudyMembership
    extra = 0
    fields = ["defector", "note", "source"]
    raw_id_fields = ["defector"]
    verbose_name = "member (case list)"
    verbose_name_plural = "case list (members)"


class StudyForm(forms.ModelForm):
    add_members = forms.CharField(
        required=False,
        label="Add members by filter",
        help_text=(
            "Defector filters as on /defectors/, e.g. study=icsr-2015&country=DE or reported_after=2015-07-01: "
            "every defector they choose joins the case list."
        ),
        widget=forms.TextInput(attrs={"size": 80}),
    )
    add_members_note = forms.CharField(required=False, label="Note for the added members", max_length=300)
    add_members_source = forms.CharField(required=False, label="Source for the added members", max_length=300)

    class Meta:
        model = Study
        fields = [
            "code",
            "title",
            "author",
            "publisher",
            "published_on",
            "url",
            "notes",
            "window_start",
            "window_end",
            "criteria",
            "frozen_at",
        ]

    def clean_add_members(self):
        value = self.cleaned_data["add_members"]
        try:
            parse_selection(value)
        except SelectionError as error:
            raise forms.ValidationError(str(error)) from error
        return value


@admin.register(Study)
class StudyAdmin(AccessPolicyAdmin, SimpleHistoryAdmin):
    form = StudyForm
    list_display = ["code", "title", "author", "published_on", "window_start", "window_end", "frozen_at"]
    search_fields = ["code", "title", "author", "publisher"]
    prepopulated_fields = {"code": ["title"]}
    inlines = [StudyMembershipInline, PublishedFigureInline]
    view_on_site = True
    fieldsets = [
        (None, {"fields": ["code", "title", "author", "publisher", "published_on", "url", "notes"]}),
        ("Inclusion criteria", {"fields": [("window_start", "window_end"), "criteria", "frozen_at"]}),
        ("Case list", {"fields": ["add_members", "add_members_note", "add_members_source"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if selection := form.cleaned_data.get("add_members"):
            added = study_add_members(
                study=form.instance,
                selection=selection,
                note=form.cleaned_data["add_members_note"],
                source=form.cleaned_data["add_members_source"],
                user=request.user,
            )
            self.message_user(request, f"{added} member(s) added to the case list ({selection}).", messages.SUCCESS)


@admin.register(StudyMembership)
class StudyMembershipAdmin(SimpleHistoryAdmin):
    list_display = ["defector", "study", "note", "source"]
    list_filter = ["study"]
    search_fields = ["defector__case_id", "note", "source"]
    raw_id_fields = ["defector"]
    list_select_related = ["study", "defector"]


@admin.register(PublishedFigure)
class PublishedFigureAdmin(AccessPolicyAdmin, admin.ModelAdmin):
    list_display = ["key", "study", "aggregate", "selection", "kind", "value", "value_text", "qualifier", "status"]
    list_filter = ["study", "aggregate", "kind", "status", "qualifier"]
    search_fields = ["key", "measure", "selection", "wording", "outlet", "source"]
    list_select_related = ["study"]
