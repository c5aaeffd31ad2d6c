from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from testimony.admin import VisibleHistoryAdmin
from testimony.models import Quote
from testimony.selectors import latest_value, quote_visible_to

from .models import Narrative, Tag
from .services import narrative_save


class NarrativeForm(forms.ModelForm):
    change_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A change to the definition or the inclusion/exclusion notes makes a new codebook version: "
        "say what changed and why.",
    )

    class Meta:
        model = Narrative
        fields = ["code", "name", "definition", "inclusion_notes", "exclusion_notes", "display_order", "colour"]
        fields += ["parent"]


@admin.register(Narrative)
class NarrativeAdmin(SimpleHistoryAdmin):
    form = NarrativeForm
    list_display = ["code", "name", "parent", "display_order", "colour"]
    list_filter = ["parent"]
    search_fields = ["code", "name", "definition"]
    prepopulated_fields = {"code": ["name"]}
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        narrative_save(narrative=obj, change_note=form.cleaned_data.get("change_note", ""), user=request.user)


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
        if obj.coder_id is None and not change:
            obj.coder = request.user
        obj.full_clean()
        super().save_model(request, obj, form, change)
