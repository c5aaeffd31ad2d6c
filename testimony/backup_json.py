"""dumpdata's JSON with exact timestamps, for SQLite backups.

Django's JSON encoder cuts datetimes to milliseconds, so a history row saved
at 14:00:39.000123 came back from a restore as 14:00:39: not the same record.
This format (``SERIALIZATION_MODULES["backup-json"]``) writes every
microsecond; its files are ordinary JSON fixtures that ``loaddata`` reads
with the stock deserializer.
"""

import datetime

from django.core.serializers import json as django_json
from django.core.serializers.json import DjangoJSONEncoder


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class Serializer(django_json.Serializer):
    def serialize(self, queryset, **options):
        # The JSON serializer hands unknown options to json.dump, and takes its
        # encoder from ``cls`` when one is given.
        return super().serialize(queryset, **{"cls": ExactJSONEncoder, **options})


Deserializer = django_json.Deserializer
