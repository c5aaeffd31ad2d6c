from django import forms
from django.contrib import admin

from testimony.admin import PolicyHistoryAdmin

from .models import Narrative, Tag
from .services import narrative_save, quote_tag


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
class NarrativeAdmin(PolicyHistoryAdmin):
    form = NarrativeForm
    list_display = ["code", "name", "parent", "display_order", "colour"]
    list_filter = ["parent"]
    search_fields = ["code", "name", "definition"]
    prepopulated_fields = {"code": ["name"]}
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        narrative_save(narrative=obj, change_note=form.cleaned_data.get("change_note", ""), user=request.user)


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
