from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TestimonyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "testimony"
    verbose_name = "Testimony"

    def ready(self):
        from accounts.roles import sync_role_permissions

        # Permissions are created in post_migrate, after data migrations run,
        # so the roles receive theirs here (idempotent, every migrate).
        post_migrate.connect(sync_role_permissions, dispatch_uid="testimony.sync_role_permissions")
