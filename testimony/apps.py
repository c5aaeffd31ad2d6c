from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TestimonyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "testimony"
    verbose_name = "Testimony"

    def ready(self):
        from django.db.backends.signals import connection_created

        from accounts.roles import sync_role_permissions

        from .search import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="testimony.search_functions")

        # Permissions are created in post_migrate, after data migrations run,
        # so the roles receive theirs here (idempotent, every migrate).
        post_migrate.connect(sync_role_permissions, dispatch_uid="testimony.sync_role_permissions")
