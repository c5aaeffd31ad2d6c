"""Batches of complete defectors compared with the database and written with the
ORM's bulk operations: the portable path's writer, and the PostgreSQL path's
for cases already stored (both then compare a stored case the same way).

A new case is created with its sources, quotes and tags. A stored case takes
the file's values: its sources become exactly the file's; its quotes are
matched on (source, text), a match keeps its id and history, every other file
quote is created and every unmatched stored quote deleted; a kept quote's tags
become the file's codes. A case the file repeats exactly is left alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from accounts.access import can_view_restricted
from coding.versions import current_codebook_version
from narratives.models import Narrative, Tag

from ..models import Defector, Outlet, Quote, Source, Visibility
from .columns import QUOTE_COMPARED
from .history import Recorder, chunks
from .result import ImportResult, RowError

BATCH_DEFECTORS = 1000  # defectors written per batch: a few thousand rows


@dataclass
class DefectorPlan:
    case_id: str
    line: int
    remaining: int
    fields: dict[str, Any]
    sources: dict[tuple, dict] = field(default_factory=dict)
    quotes: list[dict] = field(default_factory=list)


@dataclass
class _Changes:
    """What one batch will write."""

    new_defectors: list = field(default_factory=list)
    new_links: list = field(default_factory=list)  # (defector, source id)
    new_quotes: list = field(default_factory=list)  # (defector, quote, codes)
    updated: list = field(default_factory=list)
    updated_fields: set = field(default_factory=lambda: {"updated_at"})
    quote_updates: list = field(default_factory=list)
    quote_fields: set = field(default_factory=set)
    removed_links: list = field(default_factory=list)  # (defector id, source id)
    removed_quotes: list = field(default_factory=list)
    removed_tags: list = field(default_factory=list)
    new_tags: list = field(default_factory=list)


def _stored(defector: Defector, name: str):
    value = getattr(defector, name)
    return value.code or "" if name == "country" else value


class Writer:
    """Writes batches of complete defectors, caching outlet ids across batches."""

    def __init__(self, *, user, reason: str, result: ImportResult):
        self.user = user
        self.reason = reason
        self.result = result
        self.history = Recorder(user, reason)
        self.may_change_restricted = user is None or can_view_restricted(user)
        self.narrative_ids = dict(Narrative.objects.values_list("code", "pk"))
        self.outlet_ids: dict[str, int] = {}
        self.source_ids: dict[tuple, int] = {}
        self.through = Defector.sources.through

    # ----- outlets and sources

    def resolve_sources(self, plans: list[DefectorPlan]) -> None:
        wanted: dict[tuple, dict] = {}
        for plan in plans:
            for key, values in plan.sources.items():
                if key not in self.source_ids:
                    wanted.setdefault(key, values)
        if not wanted:
            return
        self._resolve_outlets({values["outlet"] for values in wanted.values()})
        found = self._find_sources(wanted)
        to_create, to_update, changed_fields = [], [], set()
        for key, values in wanted.items():
            attrs = {k: v for k, v in values.items() if k != "outlet"}
            attrs["outlet_id"] = self.outlet_ids[values["outlet"]]
            existing = found.get(key)
            if existing is None:
                to_create.append((key, Source(**attrs)))
                continue
            if key[0] == "title":
                attrs.pop("url")  # a file without the URL does not erase a stored one
            changes = {k for k, v in attrs.items() if getattr(existing, k) != v}
            for name in changes:
                setattr(existing, name, attrs[name])
            if changes:
                to_update.append(existing)
                changed_fields |= changes
            self.source_ids[key] = existing.pk
        created = self.history.create(Source, [s for _, s in to_create])
        for (key, _), source in zip(to_create, created, strict=True):
            self.source_ids[key] = source.pk
        if to_update:
            bulk_update_with_history(to_update, Source, sorted(changed_fields), **self.history.bulk_options())
        self.result.sources_created += len(to_create)
        self.result.sources_updated += len(to_update)

    def _resolve_outlets(self, names: set[str]) -> None:
        names -= self.outlet_ids.keys()
        if not names:
            return
        # Outlets are one per name ignoring case (the model's constraint). They
        # are few (hundreds), so they are compared here rather than with the
        # database's lower(), which on SQLite folds ASCII letters only.
        stored = {name.casefold(): pk for name, pk in Outlet.objects.values_list("name", "pk")}
        new: dict[str, Outlet] = {}
        for name in sorted(names):
            if name.casefold() not in stored:
                new.setdefault(name.casefold(), Outlet(name=name))
        for outlet in self.history.create(Outlet, list(new.values())):
            stored[outlet.name.casefold()] = outlet.pk
        self.outlet_ids.update((name, stored[name.casefold()]) for name in names)
        self.result.outlets_created += len(new)

    def _find_sources(self, wanted: dict[tuple, dict]) -> dict[tuple, Source]:
        found: dict[tuple, Source] = {}
        urls = [key[1] for key in wanted if key[0] == "url"]
        for chunk in chunks(urls, 1000):
            found.update((("url", s.url), s) for s in Source.objects.filter(url__in=chunk))
        titled = [key for key in wanted if key[0] == "title"]
        if titled:
            names_by_id = {self.outlet_ids[key[1]]: key[1] for key in titled}
            for chunk in chunks(titled, 1000):
                candidates = Source.objects.filter(
                    title__in={key[2] for key in chunk}, outlet_id__in={self.outlet_ids[key[1]] for key in chunk}
                ).order_by("pk")
                for candidate in candidates:
                    key = ("title", names_by_id.get(candidate.outlet_id), candidate.title)
                    # Several sources may share an outlet and title: prefer one without URL, then the oldest.
                    if key in wanted and (key not in found or (found[key].url and not candidate.url)):
                        found[key] = candidate
        return found

    # ----- defectors, quotes and tags

    def flush(self, plans: list[DefectorPlan]) -> None:
        if not plans:
            return
        # Source ids are looked up again for every batch (one query) rather than
        # remembered for the whole file, so that memory does not grow with it.
        self.source_ids.clear()
        self.resolve_sources(plans)
        tags = Prefetch("tags", queryset=Tag.objects.order_by("id"))
        existing = {
            d.case_id: d
            for d in Defector.objects.filter(case_id__in=[p.case_id for p in plans]).prefetch_related(
                Prefetch("quotes", queryset=Quote.objects.order_by("id").prefetch_related(tags))
            )
        }
        links = defaultdict(set)
        for defector_id, source_id in self.through.objects.filter(
            defector_id__in=[d.pk for d in existing.values()]
        ).values_list("defector_id", "source_id"):
            links[defector_id].add(source_id)
        changes = _Changes()
        for plan in plans:
            self._plan(plan, existing.get(plan.case_id), links, changes)
        if self.result.errors:
            return  # the transaction will be rolled back; skip the writes
        self._write(changes)

    def _plan(self, plan: DefectorPlan, defector: Defector | None, links, changes: _Changes) -> None:
        source_ids = [self.source_ids[key] for key in plan.sources]
        quotes = [self._quote(q) for q in plan.quotes]
        if defector is None:
            defector = Defector(case_id=plan.case_id, **plan.fields)
            changes.new_defectors.append(defector)
            changes.new_links.extend((defector, sid) for sid in source_ids)
            changes.new_quotes.extend((defector, quote, codes) for quote, codes, _ in quotes)
            self.result.count("created", plan.case_id)
            return
        if defector.visibility == Visibility.RESTRICTED and not self.may_change_restricted:
            self.result.errors.append(
                RowError(
                    plan.line,
                    "case_id",
                    f"case {plan.case_id} is restricted and you may not change it",
                    "case IDs of cases you can see",
                )
            )
            return
        changed = {name for name, value in plan.fields.items() if _stored(defector, name) != value}
        for name in changed:
            setattr(defector, name, plan.fields[name])
        current_links = links[defector.pk]
        add_links = [sid for sid in dict.fromkeys(source_ids) if sid not in current_links]
        drop_links = current_links - set(source_ids)
        quote_changed = self._compare_quotes(defector, quotes, changes)
        if not (changed or add_links or drop_links or quote_changed):
            self.result.count("unchanged", plan.case_id)
            return
        self.result.count("updated", plan.case_id)
        defector.updated_at = timezone.now()
        changes.updated.append(defector)
        changes.updated_fields |= changed
        changes.new_links.extend((defector, sid) for sid in add_links)
        changes.removed_links.extend((defector.pk, sid) for sid in drop_links)

    def _compare_quotes(self, defector: Defector, quotes: list, changes: _Changes) -> bool:
        """Quotes are matched on (source, text): a match keeps its id and history,
        everything else in the file is new, everything unmatched is deleted.
        Returns whether anything about the case's quotes changes."""
        pool = defaultdict(list)
        for stored in defector.quotes.all():
            pool[(stored.source_id, stored.text)].append(stored)
        quote_changed = False
        for quote, codes, given in quotes:
            matches = pool.get((quote.source_id, quote.text))
            if not matches:
                changes.new_quotes.append((defector, quote, codes))
                quote_changed = True
                continue
            stored = matches.pop(0)
            fields = {
                name for name in QUOTE_COMPARED if name in given and getattr(stored, name) != getattr(quote, name)
            }
            for name in fields:
                setattr(stored, name, getattr(quote, name))
            if fields:
                stored.updated_at = timezone.now()
                changes.quote_updates.append(stored)
                changes.quote_fields |= fields | {"updated_at"}
            stored_tags = list(stored.tags.all())
            wanted_ids = {self.narrative_ids[code] for code in codes}
            drop = [tag for tag in stored_tags if tag.narrative_id not in wanted_ids]
            have = {tag.narrative_id for tag in stored_tags}
            add = [Tag(quote=stored, narrative_id=nid) for nid in wanted_ids - have]
            changes.removed_tags.extend(drop)
            changes.new_tags.extend(add)
            quote_changed |= bool(fields or drop or add)
        leftovers = [q for matches in pool.values() for q in matches]
        changes.removed_quotes.extend(leftovers)
        return quote_changed or bool(leftovers)

    def _write(self, changes: _Changes) -> None:
        Defector.objects.bulk_create(changes.new_defectors, batch_size=2000)
        if changes.updated:
            Defector.objects.bulk_update(changes.updated, sorted(changes.updated_fields), batch_size=1000)
        for defector_id, source_id in changes.removed_links:
            self.through.objects.filter(defector_id=defector_id, source_id=source_id).delete()
        self.through.objects.bulk_create(
            [self.through(defector_id=d.pk, source_id=sid) for d, sid in changes.new_links], batch_size=5000
        )
        self.history.defectors(changes.new_defectors, update=False)
        self.history.defectors(changes.updated, update=True)

        self.history.delete(changes.removed_tags)
        for quote in changes.removed_quotes:
            self.history.delete(quote.tags.all())
        self.history.delete(changes.removed_quotes)
        if changes.quote_updates:
            options = self.history.bulk_options()
            bulk_update_with_history(changes.quote_updates, Quote, sorted(changes.quote_fields), **options)
        for defector, quote, _ in changes.new_quotes:
            quote.defector_id = defector.pk
        created_quotes = self.history.create(Quote, [q for _, q, _ in changes.new_quotes])
        new_tags = changes.new_tags
        for quote, (_, _, codes) in zip(created_quotes, changes.new_quotes, strict=True):
            new_tags.extend(Tag(quote_id=quote.pk, narrative_id=self.narrative_ids[code]) for code in codes)
        version = current_codebook_version()  # imported tags are read under today's codebook, like typed ones
        for tag in new_tags:
            tag.codebook_version = version
        self.history.create(Tag, new_tags)

    def _quote(self, values: dict) -> tuple[Quote, tuple[str, ...], set[str]]:
        """The quote to create, its narrative codes, and the fields the file gives."""
        attrs = {k: v for k, v in values.items() if k not in ("narratives", "source_key")}
        return Quote(source_id=self.source_ids[values["source_key"]], **attrs), values["narratives"], set(attrs)
