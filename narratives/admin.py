from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from testimony.admin import VisibleHistoryAdmin
from testimony.models import Quote
from testimony.selectors import latest_value, quote_visible_to

from .models import Narrative, Tag
from .services import quote_tag


@admin.register(Narrative)
class NarrativeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "parent", "display_order", "colour"]
    list_filter = ["parent"]
    search_fields = ["code", "name", "definition"]
    prepopulated_fields = {"code": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Tag)
class TagAdmin(VisibleHistoryAdmin):
    list_display = ["narrative", "quote", "coder", "coded_at"]
    list_filter = ["narrative", "coder", "coded_at"]
    search_fields = ["quote__text", "quote__defector__case_id", "narrative__code"]
    autocomplete_fields = ["quote", "narrative"]
    list_select_related = ["narrative", "quote__defector", "coder"]
    readonly_fields = ["coded_at"]

    def get_queryset(self, request):
        # Tags of restricted defectors stay as hidden as the defectors themselves.
        visible_quotes = Quote.objects.visible_to(request.user)
        return super().get_queryset(request).filter(quote__in=visible_quotes)

    def history_visible(self, request, object_id) -> bool:
        return quote_visible_to(request.user, latest_value(Tag, object_id, "quote_id"))

    def save_model(self, request, obj, form, change):
        if change:
            obj.full_clean()
            super().save_model(request, obj, form, change)
            return
        # A new tag is coded through the service, by the signed-in researcher unless the form names a coder.
        tag = quote_tag(quote=obj.quote, narrative=obj.narrative, coder=obj.coder or request.user, note=obj.note)
        obj.pk = tag.pk  # the admin logs and redirects to ``obj``
        obj.refresh_from_db()
