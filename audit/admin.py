"""The access log in the admin: site admins (superusers) only, read-only."""

from django.contrib import admin

from accounts.admin_policy import AccessPolicyAdmin

from .models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(AccessPolicyAdmin, admin.ModelAdmin):
    list_display = ["occurred_at", "username", "action", "path", "record_count", "short_case_ids", "ip_address"]
    list_filter = ["action", "occurred_at", "username"]
    search_fields = ["username", "path", "query_string", "case_ids"]
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AccessEvent._meta.fields]

    @admin.display(description="case IDs")
    def short_case_ids(self, event):
        ids = event.case_ids or []
        return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")

    # The log is evidence: nobody edits it, and only site admins read it, whatever
    # model permissions a group may have been given.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
