"""Helpers every app's services share."""

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import get_script_prefix, get_urlconf, reverse


def model_update(*, instance: models.Model, fields: Iterable[str], data: Mapping[str, Any]) -> list[str]:
    """Set on ``instance`` those of ``fields`` that ``data`` gives, and return the
    names of those whose value changed.

    It does not save: unlike HackSoft's model_update, each model has its own save
    service (testimony.services.defector_save, quote_save, ...,
    narratives.services.narrative_save) holding its rules, so an update is
    ``model_update(...)`` then that service. Many-to-many fields are left to it too.
    """
    changed = []
    for name in fields:
        if name not in data:
            continue
        if getattr(instance, name) != data[name]:
            changed.append(name)
        setattr(instance, name, data[name])
    return changed


def record_url(name: str, key: str) -> str:
    """``reverse(name, args=[key])``, remembered: list pages link every row (a case, each
    narrative badge), and reverse() was a fifth of a warm page's time. The key holds
    the URLconf and script prefix in force, so an override (tests, a sub-path
    deployment) never gets another's URL."""
    return _record_url(name, key, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=16384)
def _record_url(name, key, urlconf, prefix):
    return reverse(name, args=[key])
