"""The bulk tag/untag actions the quote admin (testimony.admin) mixes in. Kept out of
narratives.admin, which shows quotes and so sits above testimony: these only need
the codebook and its services, which sit below it (pyproject.toml, import-linter)."""

from django.contrib import messages

from .models import Narrative
from .services import quote_tag, quote_untag


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
