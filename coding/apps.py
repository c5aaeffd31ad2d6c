from django.apps import AppConfig


class CodingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "coding"
    verbose_name = "Coding and reliability"
