from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import tokens  # noqa: F401  (connects the receivers that revoke API tokens)


class TestimonyAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin whose default site asks for the TOTP code at login
    (Django's documented way to replace ``admin.site``)."""

    default = False
    default_site = "accounts.admin_site.TestimonyAdminSite"
