"""The access log: who exported which filtered set and who opened which identity fields.

Change history of the records themselves is django-simple-history's (every
model's ``history``); this log covers reads that history cannot see.
"""

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    EXPORT_CSV = "export_csv", "CSV export"
    EXPORT_JSON = "export_json", "JSON export"
    IDENTITY_VIEW = "identity_view", "Identity fields viewed (web or admin)"
    API_IDENTITY_VIEW = "api_identity_view", "Identity fields viewed (API)"
    REPORT_DOWNLOAD = "report_download", "Report download"
    BACKUP = "backup", "Database backup (identity fields included)"
    REPORT_SUBSET = "report_subset", "Report subset (without identity access)"


class AccessEvent(models.Model):
    Action = Action

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The username is kept beside the key so the log still names a deleted user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="access_events"
    )
    username = models.CharField(max_length=150, blank=True, help_text="Empty for anonymous visitors.")
    action = models.CharField(max_length=30, choices=Action.choices)
    path = models.CharField(max_length=2000, blank=True)
    query_string = models.TextField(blank=True)
    parameters = models.JSONField(default=dict, blank=True, help_text="The filter parameters, name -> list of values.")
    record_count = models.PositiveIntegerField(null=True, blank=True, help_text="Rows or records handed out.")
    case_ids = models.JSONField(default=list, blank=True, help_text="Defectors whose identity fields were shown.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["action", "occurred_at"]), models.Index(fields=["user", "occurred_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=Action.values), name="audit_accessevent_action_valid"),
        ]

    def __str__(self):
        who = self.username or "anonymous"
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {who} {self.action}"
