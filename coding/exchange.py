"""Coding decisions as files: the CSV of ``import_codings`` / ``export_codings``
(one row per quote and coder: ``quote_id, coder, narratives``) and the wide
spreadsheet (one row per quote, one column per narrative per coder).

The import is all or nothing like the defector import: every line is checked
first, each problem reported as ``line N: reason``, and nothing is written
unless every line is good. Re-importing a file (or an export) changes nothing.
"""

import csv
import io
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from narratives.models import Narrative, Tag
from testimony.models import Quote

from .models import CodingDecision
from .services import coding_decide

COLUMNS = ("quote_id", "coder", "narratives")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CodingImportError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class CodingImportResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


def _codes(value: str) -> list[str]:
    return [code.strip().lower() for code in value.split(";") if code.strip()]


def codings_import(text: str, *, include_restricted: bool = True, user=None) -> CodingImportResult:
    """Import coders' decisions from CSV text (see the module docstring)."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        problems = [
            f"missing column {', '.join(missing)}" if missing else "",
            f"unknown column {', '.join(unknown)}" if unknown else "",
        ]
        raise CodingImportError([f"line 1: {'; '.join(p for p in problems if p)} (expected: {', '.join(COLUMNS)})"])
    reader.fieldnames = header
    narratives = {n.code: n for n in Narrative.objects.all()}
    users = {u.username: u for u in get_user_model().objects.all()}
    quotes = Quote.objects.all() if include_restricted else Quote.objects.visible_to(user)
    rows, errors, seen = [], [], {}
    for row in reader:
        line = reader.line_num
        raw_id, coder, codes = (
            (row.get("quote_id") or "").strip(),
            (row.get("coder") or "").strip(),
            _codes(row.get("narratives") or ""),
        )
        problems = []
        if not raw_id.isdigit():
            problems.append(f"quote_id {raw_id!r} is not a quote number")
        if coder not in users:
            problems.append(f"coder {coder!r} is not a user (create the account first)" if coder else "coder is empty")
        bad = [c for c in codes if c not in narratives]
        if bad:
            problems.append(f"unknown narrative {', '.join(bad)} (codes: {', '.join(narratives)})")
        if raw_id.isdigit() and coder:
            key = (int(raw_id), coder)
            if key in seen:
                problems.append(f"quote {raw_id} and coder {coder} are already on line {seen[key]}")
            seen.setdefault(key, line)
        if problems:
            errors.append(f"line {line}: {'; '.join(problems)}")
        else:
            rows.append((line, int(raw_id), users[coder], [narratives[c] for c in codes]))
    found = set(quotes.filter(pk__in=[r[1] for r in rows]).values_list("pk", flat=True))
    errors += [f"line {line}: no quote {quote_id}" for line, quote_id, _, _ in rows if quote_id not in found]
    if errors:
        raise CodingImportError(sorted(errors, key=lambda e: int(e.split(":")[0].removeprefix("line "))))
    result = CodingImportResult()
    with transaction.atomic():
        for _line, quote_id, coder, chosen in rows:
            decided = CodingDecision.objects.filter(quote_id=quote_id, coder=coder).exists()
            current = set(Tag.objects.filter(quote_id=quote_id, coder=coder).values_list("narrative__code", flat=True))
            if decided and current == {n.code for n in chosen}:
                result.unchanged += 1
                continue
            coding_decide(quote=Quote(pk=quote_id), coder=coder, narratives=chosen)
            result.changed += decided
            result.created += not decided
    return result


def _decisions(quotes):
    """(quote id, coder username, [codes in codebook order]) for every decision on ``quotes``."""
    order = {n.pk: (n.display_order, n.code) for n in Narrative.objects.all()}
    applied: dict[tuple, list] = {}
    for quote_id, coder, narrative_id in Tag.objects.filter(quote__in=quotes, coder__isnull=False).values_list(
        "quote_id", "coder__username", "narrative_id"
    ):
        applied.setdefault((quote_id, coder), []).append(order[narrative_id])
    for quote_id, coder in (
        CodingDecision.objects.filter(quote__in=quotes)
        .order_by("quote_id", "coder__username")
        .values_list("quote_id", "coder__username")
    ):
        yield quote_id, coder, [code for _, code in sorted(applied.get((quote_id, coder), []))]


def codings_export(quotes) -> str:
    """The CSV ``codings_import`` reads: one row per decision, ordered by quote and coder."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for quote_id, coder, codes in _decisions(quotes):
        writer.writerow([quote_id, coder, ";".join(codes)])
    return out.getvalue()


def _cell(value: str) -> str:
    """A spreadsheet would run a cell starting with = + - @ as a formula: prefix it with '."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def codings_spreadsheet(quotes) -> str:
    """One row per quote, one column ``<code>:<coder>`` per narrative per coder:
    1 applied, 0 coded without it, empty not coded by that coder. No identity field."""
    decisions = list(_decisions(quotes))
    coders = sorted({coder for _, coder, _ in decisions})
    narratives = list(Narrative.objects.order_by("display_order", "code").values_list("code", flat=True))
    by_quote: dict[int, dict] = {}
    for quote_id, coder, codes in decisions:
        by_quote.setdefault(quote_id, {})[coder] = set(codes)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["quote_id", "case_id", "language", "text", "translation", *(f"{n}:{c}" for n in narratives for c in coders)]
    )
    for quote in quotes.select_related("defector").order_by("pk"):
        coded = by_quote.get(quote.pk, {})
        cells = [("" if c not in coded else int(n in coded[c])) for n in narratives for c in coders]
        writer.writerow(
            [quote.pk, quote.defector.case_id, quote.language, _cell(quote.text), _cell(quote.translation), *cells]
        )
    return out.getvalue()
