"""Admin for the coding records, and the bulk tag/untag actions the quote admin mixes in."""

from django.contrib import admin, messages

from narratives.models import Narrative
from narratives.services import quote_tag, quote_untag

from .models import Adjudication, CodebookVersion, CodingDecision, StudyTagRule


class QuoteTaggingActionsMixin:
    """Admin actions "Tag with <narrative>" and "Untag <narrative>" on selected
    quotes, one pair per code of the codebook. Tags are written through the
    narratives services with the acting user as coder (so the user has coded
    those quotes); untagging removes only that user's own tags."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("narratives.add_tag"):
            return actions
        for narrative in Narrative.objects.order_by("display_order", "code"):
            for verb, function in (("tag", self._tag_action), ("untag", self._untag_action)):
                name = f"{verb}_{narrative.code}"
                label = (
                    f"Tag selected quotes with \u201c{narrative.name}\u201d"
                    if verb == "tag"
                    else f"Remove my \u201c{narrative.name}\u201d tag from selected quotes"
                )
                actions[name] = (function(narrative), name, label)
        return actions

    @staticmethod
    def _tag_action(narrative):
        def action(modeladmin, request, queryset):
            for quote in queryset:
                quote_tag(quote=quote, narrative=narrative, coder=request.user)
            modeladmin.message_user(
                request, f"Tagged {queryset.count()} quotes with {narrative.code}.", messages.SUCCESS
            )

        return action

    @staticmethod
    def _untag_action(narrative):
        def action(modeladmin, request, queryset):
            removed = sum(quote_untag(quote=quote, narrative=narrative, coder=request.user) for quote in queryset)
            modeladmin.message_user(request, f"Removed {removed} of your {narrative.code} tags.", messages.SUCCESS)

        return action


@admin.register(CodebookVersion)
class CodebookVersionAdmin(admin.ModelAdmin):
    list_display = ["number", "created_at", "note", "created_by"]
    readonly_fields = ["number", "created_at", "created_by", "snapshot"]

    def has_add_permission(self, request):
        return False  # versions are made by changing a definition


@admin.register(CodingDecision)
class CodingDecisionAdmin(admin.ModelAdmin):
    list_display = ["quote", "coder", "codebook_version", "coded_at"]
    list_filter = ["coder", "codebook_version"]
    list_select_related = ["quote__defector", "coder", "codebook_version"]
    raw_id_fields = ["quote"]

    def get_queryset(self, request):
        from testimony.models import Quote

        return super().get_queryset(request).filter(quote__in=Quote.objects.visible_to(request.user))


@admin.register(Adjudication)
class AdjudicationAdmin(admin.ModelAdmin):
    list_display = ["quote", "reviewer", "decided_at"]
    list_select_related = ["quote__defector", "reviewer"]
    raw_id_fields = ["quote"]

    def get_queryset(self, request):
        from testimony.models import Quote

        return super().get_queryset(request).filter(quote__in=Quote.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False  # adjudicate on /coding/adjudication/, through the service


@admin.register(StudyTagRule)
class StudyTagRuleAdmin(admin.ModelAdmin):
    list_display = ["study", "rule"]
