"""The access policy of accounts/access.py, applied to everything the Django admin accepts.

The admin takes a lot from the query string and the forms: lookups (``?legal_name__regex=...``),
searches, orderings, object ids in URLs, choices in foreign-key fields, reverts of old
versions. Each of them could select, count, show or write a record or a field the user may not
see, and a count is as good as a read: a changelist that answers "2 defectors" or "0" to
``?legal_name__startswith=X`` gives the name away letter by letter. So every ModelAdmin of the
site is an :class:`AccessPolicyAdmin` (``TestimonyAdminSite.register`` mixes it into those of
other apps), and the admin accepts:

- in the query string, only the lookups its own list filters and date hierarchy produce
  (Django's default also accepts any lookup on the model's own fields, such as
  ``legal_name__startswith`` or ``name__regex``), and never one that reaches an identity
  field for a user without identity access, directly or through a relation;
- searches and sortable columns without identity fields for such users;
- only records the user may see in changelists, autocomplete, foreign-key choices, history,
  delete confirmations and "view on site"; a deletion that would take records the user may
  not see with it is refused, naming none of them;
- no write of identity fields by a user without identity access: a save (a revert of an old
  version included) keeps the values the database holds.
"""

import itertools
from collections import defaultdict

from django.apps import apps
from django.contrib.admin.filters import SimpleListFilter
from django.contrib.admin.utils import NestedObjects, unquote
from django.contrib.admin.widgets import url_params_from_lookup_dict
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import router
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404
from simple_history.template_utils import HistoricalRecordContextHelper
from simple_history.utils import get_history_model_for_model

from .access import can_view_identity, can_view_restricted

# What the admin's own list filters put in the query string after a field's path
# (ChoicesFieldListFilter, RelatedFieldListFilter, DateFieldListFilter, BooleanFieldListFilter,
# AllValuesFieldListFilter, EmptyFieldListFilter), and what its date hierarchy adds.
FILTER_LOOKUPS = frozenset({"exact", "isnull", "gte", "lt", "isempty"})
DATE_HIERARCHY_LOOKUPS = frozenset({"year", "month", "day"})

HIDDEN_RECORDS = "records you may not see (restricted cases): ask an identity custodian"
HIDDEN_VALUE = "(a record you may not see)"


# --- which fields and records are protected ---------------------------------------------


def _record_model(model):
    """The model whose rules apply: a history model (simple_history) follows its record's."""
    return getattr(model, "instance_type", model)


def identity_fields_of(model) -> tuple:
    return tuple(getattr(_record_model(model), "IDENTITY_FIELDS", ()))


def _fields_along(model, path: str):
    """(model, field) for each field a lookup path walks through; the parts after the first
    field that is not a relation are lookups and transforms (``legal_name__lower__regex``)."""
    for part in path.split(LOOKUP_SEP):
        if part == "pk":
            part = model._meta.pk.name
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return
        yield model, field
        if not getattr(field, "path_infos", None):
            return
        model = field.path_infos[-1].to_opts.model


def touches_identity(model, path: str) -> bool:
    """Whether a lookup, search field or ordering reaches an identity field, on this model
    or through any relation (a quote's ``defector__legal_name``, a tag's
    ``quote__defector__contact_notes``, a source's ``defectors__current_location``)."""
    path = path.lstrip("-^=@")
    return any(field.name in identity_fields_of(m) for m, field in _fields_along(model, path))


def _restricted_scopes():
    """For each model whose records can be restricted, how to keep only those a user may see.
    Defectors decide, through ``visible_to``; their quotes and tags follow them."""
    Defector = apps.get_model("testimony", "Defector")
    Quote = apps.get_model("testimony", "Quote")
    Tag = apps.get_model("narratives", "Tag")
    return {
        Defector: lambda qs, user: qs.visible_to(user),
        Quote: lambda qs, user: qs.visible_to(user),
        Tag: lambda qs, user: qs.filter(quote__in=Quote.objects.visible_to(user)),
    }


def visible_records(queryset, user):
    """The queryset without the records the user may not see (all of them for custodians)."""
    if can_view_restricted(user):
        return queryset
    scope = _restricted_scopes().get(queryset.model)
    return scope(queryset, user) if scope else queryset


def record_visible(user, model, object_id) -> bool:
    """Whether the user may see a record, deleted or not (history pages, "view on site").
    An id that is not one (``abc`` for an integer key) names no record: not visible."""
    model = _record_model(model)
    try:
        object_id = model._meta.pk.to_python(object_id)
    except ValidationError:
        return False
    if can_view_restricted(user) or model not in _restricted_scopes():
        return True
    Quote = apps.get_model("testimony", "Quote")
    if model._meta.label == "testimony.Defector":
        return _defector_visible(object_id)
    quote_id = object_id if model is Quote else _latest_value(model, object_id, "quote_id")
    return _defector_visible(_latest_value(Quote, quote_id, "defector_id"))


def _latest_value(model, pk, field):
    """``field`` of a record, or of its last history row once it has been deleted
    (deleted records keep their history pages, and their visibility with them)."""
    current = model._default_manager.filter(pk=pk).values_list(field, flat=True).first()
    if current is not None:
        return current
    return model.history.filter(id=pk).order_by("-history_date").values_list(field, flat=True).first()


def _defector_visible(defector_id) -> bool:
    return _latest_value(apps.get_model("testimony", "Defector"), defector_id, "visibility") == "public"


def hidden_ids(user, model, ids) -> set:
    """The ids among ``ids`` of records of ``model`` that the user may not see (one query)."""
    ids = {i for i in ids if i is not None}
    if not ids or can_view_restricted(user) or model not in _restricted_scopes():
        return set()
    visible = visible_records(model._default_manager.filter(pk__in=ids), user).values_list("pk", flat=True)
    return ids - set(visible)


def hidden_among(user, objects) -> bool:
    """Whether any of these instances is a record the user may not see (one query per model)."""
    by_model = defaultdict(set)
    for obj in objects:
        by_model[type(obj)].add(obj.pk)
    return any(hidden_ids(user, model, ids) for model, ids in by_model.items())


def versions_pointing_at_hidden(user, model, historical_records) -> list:
    """The history rows (of ``model``) whose foreign keys name a record the user may not see."""
    links = [
        f.attname
        for f in model._meta.concrete_fields
        if f.is_relation and f.many_to_one and f.related_model in _restricted_scopes()
    ]
    if not links or can_view_restricted(user):
        return []
    related = {f.attname: f.related_model for f in model._meta.concrete_fields if f.attname in links}
    hidden = {
        attname: hidden_ids(user, related[attname], {getattr(r, attname) for r in historical_records})
        for attname in links
    }
    return [r for r in historical_records if any(getattr(r, a) in ids for a, ids in hidden.items())]


# --- the admin ----------------------------------------------------------------------------


class PolicyHistoryContextHelper(HistoricalRecordContextHelper):
    """History diffs name related records by their ``str()``; one the user may not see (a quote
    once attached to a restricted case) is shown as a placeholder instead."""

    def __init__(self, model, historical_record, *, user, **kwargs):
        super().__init__(model, historical_record, **kwargs)
        self.user = user

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        related = value if isinstance(value, list) else [value]
        if hidden_among(self.user, [obj for obj in related if hasattr(obj, "_meta")]):
            return HIDDEN_VALUE
        return value


class RestrictedChoicesMixin:
    """Foreign-key and many-to-many choices (autocomplete, select, raw id) offer and accept only
    records the user may see: a quote cannot be put on a restricted case by a user who may
    not see it (the form says "Select a valid choice"). For ModelAdmins and inlines alike."""

    def get_queryset(self, request):
        return visible_records(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = visible_records(formfield.queryset, request.user)
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = visible_records(formfield.queryset, request.user)
        return formfield


class AccessPolicyAdmin(RestrictedChoicesMixin):
    """Mixed into every ModelAdmin of the site, first in the MRO (see the module docstring)."""

    # Query string

    def lookup_allowed(self, lookup, value, request):
        if touches_identity(self.model, lookup) and not can_view_identity(request.user):
            return False
        if not self._offered_lookup(lookup, value, request):
            return False
        return super().lookup_allowed(lookup, value, request)

    def _offered_lookup(self, lookup, value, request) -> bool:
        """Whether the admin itself produces this lookup: a list filter's, the date
        hierarchy's, or a raw-id popup's ``limit_choices_to`` (Django's own exception)."""
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
                return True
        if self.date_hierarchy and lookup in {f"{self.date_hierarchy}__{part}" for part in DATE_HIERARCHY_LOOKUPS}:
            return True
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                if lookup == item.parameter_name:
                    return True
                continue
            path = item[0] if isinstance(item, (list, tuple)) else item
            if not isinstance(path, str):
                continue
            if lookup == path:  # ?action=x means ?action__exact=x: a link a person may well type
                return True
            if not lookup.startswith(path + LOOKUP_SEP):
                continue
            rest = lookup[len(path) + len(LOOKUP_SEP) :].split(LOOKUP_SEP)
            if len(rest) == 1 and rest[0] in FILTER_LOOKUPS:
                return True
            # RelatedFieldListFilter: <path>__<target field>__exact
            fields = list(_fields_along(self.model, path))
            if len(rest) == 2 and rest[1] == "exact" and fields and fields[-1][1].is_relation:
                target_model = fields[-1][1].related_model
                if rest[0] in (target_model._meta.pk.name, "pk") or rest[0] == getattr(
                    getattr(fields[-1][1], "target_field", None), "name", None
                ):
                    return True
        return False

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if can_view_identity(request.user):
            return fields
        return [f for f in fields if not touches_identity(self.model, f)]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if can_view_identity(request.user):
            return filters
        return [f for f in filters if not self._names_identity(f)]

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if can_view_identity(request.user):
            return columns
        return [c for c in columns if not self._names_identity(c)]

    def _names_identity(self, item) -> bool:
        """A list_display or list_filter entry that shows or sorts by an identity field."""
        if isinstance(item, (list, tuple)):
            item = item[0]
        if isinstance(item, str):
            member = getattr(self, item, None) or getattr(self.model, item, None)
            order_field = getattr(member, "admin_order_field", None)
            return touches_identity(self.model, item) or bool(
                isinstance(order_field, str) and touches_identity(self.model, order_field)
            )
        order_field = getattr(item, "admin_order_field", None)
        return isinstance(order_field, str) and touches_identity(self.model, order_field)

    # Writes

    def save_model(self, request, obj, form, change):
        self.keep_identity_fields(request, obj)
        super().save_model(request, obj, form, change)

    def keep_identity_fields(self, request, obj) -> None:
        """A user without identity access never writes identity fields: whatever the form or
        an old version (a history revert) carries, the record keeps the values the database
        holds, and a record that does not exist yet gets them empty."""
        fields = identity_fields_of(type(obj))
        if not fields or can_view_identity(request.user):
            return
        current = type(obj)._default_manager.filter(pk=obj.pk).values(*fields).first() if obj.pk else None
        for name in fields:
            setattr(obj, name, current[name] if current else type(obj)._meta.get_field(name).get_default())

    # Deletion

    def get_deleted_objects(self, objs, request):
        """Refuse a deletion that would take (or is blocked by) records the user may not see,
        without listing, naming or counting them; deletions among visible records are as usual."""
        objs = list(objs)
        if objs and not can_view_restricted(request.user):
            collector = NestedObjects(using=router.db_for_write(self.model), origin=objs)
            collector.collect(objs)
            if hidden_among(request.user, itertools.chain(*collector.data.values(), collector.protected)):
                return [], {}, {HIDDEN_RECORDS}, []
        return super().get_deleted_objects(objs, request)

    # History (django-simple-history's pages)

    def history_view(self, request, object_id, extra_context=None):
        # simple_history falls back to a record's history when get_queryset lacks it (so that
        # deleted records keep theirs); that would show restricted records, hence the check.
        if not record_visible(request.user, self.model, unquote(object_id)):
            raise Http404
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not record_visible(request.user, self.model, unquote(object_id)):
            raise Http404
        if not str(version_id).isdigit():
            raise Http404
        # A version that pointed at a record the user may not see is neither shown (its title
        # names that record) nor restored.
        version = (
            get_history_model_for_model(self.model)
            .objects.filter(**{self.model._meta.pk.attname: unquote(object_id), "history_id": version_id})
            .first()
        )
        if version is not None and versions_pointing_at_hidden(request.user, self.model, [version]):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # simple_history diffs every field; identity values stay out of the diff for users
        # who may not read them.
        hidden = [] if can_view_identity(request.user) else list(identity_fields_of(self.model))
        historical_records = list(historical_records)
        self.mask_versions_of_hidden_records(request, historical_records)
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, excluded_fields=hidden, foreign_keys_are_objs=foreign_keys_are_objs
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def mask_versions_of_hidden_records(self, request, historical_records) -> None:
        """An old version names the records it pointed at (a quote's ``str()`` starts with its
        case ID); a version that pointed at a record the user may not see (a quote since moved
        off a restricted case) is listed without its name."""
        pk_name = self.model._meta.pk.attname
        for record in versions_pointing_at_hidden(request.user, self.model, historical_records):
            record.history_object = f"{self.model._meta.verbose_name} {getattr(record, pk_name)}, {HIDDEN_VALUE}"

    def get_historical_record_context_helper(self, request, historical_record):
        return PolicyHistoryContextHelper(self.model, historical_record, user=request.user)


def with_access_policy(admin_class):
    """``admin_class`` with AccessPolicyAdmin first in its MRO (itself if it already has it)."""
    if issubclass(admin_class, AccessPolicyAdmin):
        return admin_class
    return type(admin_class.__name__, (AccessPolicyAdmin, admin_class), {"__module__": admin_class.__module__})
