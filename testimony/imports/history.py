"""The django-simple-history records an import writes, as a ``save()`` would.

django-simple-history does not see ``bulk_create``/``bulk_update``. Updated
sources and quotes go through its ``bulk_update_with_history`` (cases.py).
New rows (and updated defectors) get their historical rows from
:meth:`Recorder.copy`, an ``INSERT ... SELECT`` from the rows just written:
the equivalent of ``bulk_create_with_history`` without building a second
Python object per row. Defector records also get the snapshot of their
sources (the m2m history the utilities skip). Every record carries the
importing user and a change reason. The PostgreSQL path writes the same
records with :func:`insert_sql`, set by set.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.db import connection
from django.utils import timezone

from ..models import Defector


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def quote_name(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_sql(model, rows: str, history_type: str, extra: dict[str, str] | None = None) -> str:
    """``INSERT INTO`` the historical table ``SELECT`` from ``rows`` (a FROM
    clause naming ``r`` a CTE or table with the model's columns); the date,
    user and reason are the parameters ``now``, ``user`` and ``reason``."""
    history = model.history.model
    columns = [f.column for f in history.tracked_fields]
    extra = extra or {}
    names = ", ".join(quote_name(c) for c in [*columns, *extra])
    values = ", ".join([*(f"r.{quote_name(c)}" for c in columns), *extra.values()])
    return (
        f"INSERT INTO {quote_name(history._meta.db_table)} "
        f"({names}, history_date, history_user_id, history_change_reason, history_type) "
        f"SELECT {values}, %(now)s, %(user)s, %(reason)s, '{history_type}' FROM {rows}"
    )


class Recorder:
    """History records of one import: its user and change reason."""

    def __init__(self, user, reason: str):
        self.user = user
        self.reason = reason
        self.m2m_history = apps.get_model("testimony", "HistoricalDefector_sources")

    def bulk_options(self, **kwargs) -> dict:
        """Keyword arguments of simple_history's ``bulk_update_with_history``."""
        return {"default_user": self.user, "default_change_reason": self.reason, "batch_size": 2000, **kwargs}

    def delete(self, objects) -> None:
        # Deleting object by object lets simple_history record who deleted what;
        # only corrected files take this path, never a first import.
        for obj in objects:
            obj._history_user = self.user
            obj._change_reason = self.reason
            obj.delete()

    def copy(self, model, pks: list[int], history_type: str = "+") -> str:
        """Historical rows for ``pks`` copied from the stored rows by the database.

        Returns the (adapted) history date shared by these records, so that
        defector records can be joined to their m2m snapshot.
        """
        history = model.history.model
        columns = ", ".join(quote_name(f.column) for f in history.tracked_fields)
        date = connection.ops.adapt_datetimefield_value(timezone.now())
        user_id = self.user.pk if self.user is not None else None
        sql = (
            f"INSERT INTO {quote_name(history._meta.db_table)} ({columns}, history_date, history_user_id, "
            f"history_change_reason, history_type) SELECT {columns}, %s, %s, %s, %s "
            f"FROM {quote_name(model._meta.db_table)} WHERE {quote_name(model._meta.pk.column)} IN "
        )
        with connection.cursor() as cursor:
            for chunk in chunks(pks, 900):  # SQLite allows 999 parameters per statement
                placeholders = ", ".join(["%s"] * len(chunk))
                cursor.execute(sql + f"({placeholders})", [date, user_id, self.reason, history_type, *chunk])
        return date

    def defectors(self, defectors: list[Defector], *, update: bool) -> None:
        """Historical defector rows plus the snapshot of their sources, as a save() would make."""
        if not defectors:
            return
        pks = [d.pk for d in defectors]
        date = self.copy(Defector, pks, "~" if update else "+")
        through = Defector.sources.through
        sql = (
            f"INSERT INTO {quote_name(self.m2m_history._meta.db_table)} (id, defector_id, source_id, history_id) "
            f"SELECT link.id, link.defector_id, link.source_id, record.history_id "
            f"FROM {quote_name(through._meta.db_table)} link "
            f"JOIN {quote_name(Defector.history.model._meta.db_table)} record ON record.id = link.defector_id "
            f"WHERE record.history_date = %s AND link.defector_id IN "
        )
        with connection.cursor() as cursor:
            for chunk in chunks(pks, 900):
                cursor.execute(sql + f"({', '.join(['%s'] * len(chunk))})", [date, *chunk])

    def create(self, model, objects: list) -> list:
        created = model.objects.bulk_create(objects, batch_size=2000)
        self.copy(model, [obj.pk for obj in created])
        return created
