from django.contrib import admin

from testimony.admin import PolicyHistoryAdmin

from .models import Narrative, Tag
from .services import quote_tag


@admin.register(Narrative)
class NarrativeAdmin(PolicyHistoryAdmin):
    list_display = ["code", "name", "parent", "display_order", "colour"]
    list_filter = ["parent"]
    search_fields = ["code", "name", "definition"]
    prepopulated_fields = {"code": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Tag)
class TagAdmin(PolicyHistoryAdmin):
    list_display = ["narrative", "quote", "coder", "coded_at"]
    list_filter = ["narrative", "coder", "coded_at"]
    search_fields = ["quote__text", "quote__defector__case_id", "narrative__code"]
    autocomplete_fields = ["quote", "narrative"]
    list_select_related = ["narrative", "quote__defector", "coder"]
    readonly_fields = ["coded_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.full_clean()
            super().save_model(request, obj, form, change)
            return
        # A new tag is coded through the service, by the signed-in researcher unless the form names a coder.
        tag = quote_tag(quote=obj.quote, narrative=obj.narrative, coder=obj.coder or request.user, note=obj.note)
        obj.pk = tag.pk  # the admin logs and redirects to ``obj``
        obj.refresh_from_db()
