"""Researchers add later studies and their published figures here."""

from django.contrib import admin

from accounts.admin_policy import AccessPolicyAdmin

from .models import PublishedFigure, Study


class PublishedFigureInline(admin.TabularInline):
    model = PublishedFigure
    extra = 1
    fields = [
        "display_order",
        "key",
        "measure",
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


@admin.register(Study)
class StudyAdmin(AccessPolicyAdmin, admin.ModelAdmin):
    list_display = ["code", "title", "author", "published_on", "window_start", "window_end"]
    search_fields = ["code", "title", "author", "publisher"]
    prepopulated_fields = {"code": ["title"]}
    inlines = [PublishedFigureInline]
    view_on_site = True


@admin.register(PublishedFigure)
class PublishedFigureAdmin(AccessPolicyAdmin, admin.ModelAdmin):
    list_display = ["key", "study", "measure", "kind", "value", "value_text", "qualifier", "status"]
    list_filter = ["study", "kind", "status", "qualifier"]
    search_fields = ["key", "measure", "wording", "outlet", "source"]
    list_select_related = ["study"]
