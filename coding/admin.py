"""Admin for the coding records (the bulk tag/untag actions on quotes: narratives.admin_actions)."""

from django.contrib import admin

from .models import Adjudication, CodebookVersion, CodingDecision, StudyTagRule


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
