"""Helpers every app's services share."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models


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
