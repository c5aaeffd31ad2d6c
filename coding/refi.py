"""REFI-QDA exchange (QDA-XML 1.0): the codebook as ``.qdc`` and a set of
coded quotes as a ``.qdpx`` project, so a team can continue in QualCoder,
ATLAS.ti, MAXQDA or NVivo; and the ``.qdc`` import, which proposes new codes
and reports conflicts but never overwrites a definition.

Schemas: coding/schemas/ (README there). GUIDs are stable: a narrative's is
stored (Narrative.guid); users, cases, quotes and codings get uuid5 GUIDs
from their usernames and keys, so two exports of the same data are alike.
"""

import io
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from lxml import etree

from narratives.models import Narrative, Tag

SCHEMAS = Path(__file__).resolve().parent / "schemas"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
ORIGIN = "Defector testimony database"
GUIDS = uuid.UUID("0b8f3a52-5d0e-4b8e-9c61-7a6d2f0e4c93")
# Case attributes exported as variables; never the identity fields (Defector.IDENTITY_FIELDS).
CASE_VARIABLES = ("sex", "country", "reported_on", "reported_precision", "role", "status", "provenance")
INCLUDE, EXCLUDE = "Include: ", "Exclude: "


class QDAError(Exception):
    """A file that is not valid QDA-XML; the message names the line."""


def guid(kind: str, key) -> str:
    return str(uuid.uuid5(GUIDS, f"{kind}:{key}"))


def validate(document: bytes, schema: str) -> None:
    """Raise QDAError unless ``document`` is valid against ``schema`` (``Codebook.xsd`` or ``Project-mrt2019.xsd``)."""
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / schema)))
    try:
        tree = etree.fromstring(document)
    except etree.XMLSyntaxError as error:
        raise QDAError(f"not XML: {error}") from error
    if not xsd.validate(tree):
        raise QDAError("; ".join(f"line {e.line}: {e.message}" for e in xsd.error_log))


def _description(narrative: Narrative) -> str:
    parts = [narrative.definition]
    if narrative.inclusion_notes:
        parts.append(INCLUDE + narrative.inclusion_notes)
    if narrative.exclusion_notes:
        parts.append(EXCLUDE + narrative.exclusion_notes)
    return "\n\n".join(parts)


def _parse_description(text: str) -> dict:
    """Definition and notes back from a Description written by _description (other tools: all definition)."""
    fields = {"definition": [], "inclusion_notes": [], "exclusion_notes": []}
    current = "definition"
    for part in (text or "").split("\n\n"):
        if part.startswith(INCLUDE):
            current, part = "inclusion_notes", part.removeprefix(INCLUDE)
        elif part.startswith(EXCLUDE):
            current, part = "exclusion_notes", part.removeprefix(EXCLUDE)
        fields[current].append(part)
    return {k: "\n\n".join(v).strip() for k, v in fields.items()}


def _codes(parent, ns: str, narratives, children_of) -> None:
    for narrative in narratives:
        code = etree.SubElement(
            parent,
            f"{{{ns}}}Code",
            guid=str(narrative.guid),
            name=narrative.name,
            isCodable="true",
            color=narrative.colour,
        )
        etree.SubElement(code, f"{{{ns}}}Description").text = _description(narrative)
        _codes(code, ns, children_of.get(narrative.pk, []), children_of)


def _codebook_tree(parent, ns: str) -> None:
    narratives = list(Narrative.objects.order_by("display_order", "code"))
    children_of: dict = {}
    for n in narratives:
        children_of.setdefault(n.parent_id, []).append(n)
    codes = etree.SubElement(parent, f"{{{ns}}}Codes")
    _codes(codes, ns, children_of.get(None, []), children_of)


def codebook_qdc() -> bytes:
    """The codebook as a REFI-QDA ``.qdc``: one Code per narrative (sub-themes nested)."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=ORIGIN)
    _codebook_tree(root, CODEBOOK_NS)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


@dataclass
class CodebookImport:
    """What a ``.qdc`` would change: codes matched by GUID, new codes, and conflicts (never applied)."""

    matched: list = field(default_factory=list)
    new: list = field(default_factory=list)  # dicts: name, guid, colour, parent guid, definition...
    conflicts: list = field(default_factory=list)  # dicts: code, field, ours, theirs
    created: list = field(default_factory=list)


def codebook_import(document: bytes, *, apply: bool = False, user=None) -> CodebookImport:
    """Read a ``.qdc``. Codes are matched by GUID; a matched code whose name,
    colour or definition differs is a conflict, reported and left as it is;
    unknown codes are proposed, and created only with ``apply``."""
    validate(document, "Codebook.xsd")
    root = etree.fromstring(document)
    ours = {str(n.guid): n for n in Narrative.objects.all()}
    result = CodebookImport()

    def walk(element, parent_guid):
        for code in element.findall(f"{{{CODEBOOK_NS}}}Code"):
            key = code.get("guid").strip("{}").lower()
            description = code.findtext(f"{{{CODEBOOK_NS}}}Description") or ""
            theirs = {
                "name": code.get("name"),
                "colour": (code.get("color") or "").lower(),
                **_parse_description(description),
            }
            if key in ours:
                narrative = ours[key]
                result.matched.append(narrative.code)
                for name, value in theirs.items():
                    stored = getattr(narrative, name)
                    if name == "colour":
                        stored = stored.lower()
                        if not value:
                            continue
                    if stored != value:
                        result.conflicts.append(
                            {"code": narrative.code, "field": name, "ours": stored, "theirs": value}
                        )
            else:
                result.new.append({"guid": key, "parent": parent_guid, **theirs})
            walk(code, key)

    walk(root.find(f"{{{CODEBOOK_NS}}}Codes"), None)
    if apply and result.new:
        _create_codes(result, ours, user)
    return result


@transaction.atomic
def _create_codes(result: CodebookImport, ours: dict, user) -> None:
    from narratives.services import narrative_save

    taken = set(Narrative.objects.values_list("code", flat=True))
    order = max((n.display_order for n in ours.values()), default=0)
    for proposal in result.new:
        base = slugify(proposal["name"])[:40] or "code"
        code, i = base, 2
        while code in taken:
            code, i = f"{base}-{i}", i + 1
        taken.add(code)
        order += 1
        parent = ours.get(proposal["parent"])
        narrative = Narrative(
            code=code,
            name=proposal["name"][:100],
            definition=proposal["definition"] or proposal["name"],
            inclusion_notes=proposal["inclusion_notes"],
            exclusion_notes=proposal["exclusion_notes"],
            colour=proposal["colour"] if re.fullmatch(r"#[0-9a-f]{6}", proposal["colour"] or "") else "#555555",
            parent=parent,
            display_order=order,
            guid=uuid.UUID(proposal["guid"]),
        )
        narrative_save(narrative=narrative, change_note=f"{code}: added from a REFI-QDA codebook.", user=user)
        ours[proposal["guid"]] = narrative
        result.created.append(code)


def _variable_value(case, ns, variable_guid, value) -> None:
    element = etree.SubElement(case, f"{{{ns}}}VariableValue")
    etree.SubElement(element, f"{{{ns}}}VariableRef", targetGUID=variable_guid)
    etree.SubElement(element, f"{{{ns}}}TextValue").text = value


def project_qde(quotes, *, name: str) -> bytes:
    """``project.qde``: coders as Users, the codebook, defectors as Cases with
    their attributes as Variables, quotes as TextSources (plain text inline),
    every coder's tags as Codings of the whole quote with its creatingUser."""
    ns = PROJECT_NS
    quotes = list(quotes.select_related("defector").order_by("pk"))
    tags = list(
        Tag.objects.filter(quote__in=[q.pk for q in quotes])
        .select_related("coder", "narrative")
        .order_by("quote_id", "pk")
    )
    root = etree.Element(
        f"{{{ns}}}Project",
        nsmap={None: ns},
        name=name,
        origin=ORIGIN,
        creationDateTime=timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    coders = sorted({t.coder.username for t in tags if t.coder})
    if coders:
        users = etree.SubElement(root, f"{{{ns}}}Users")
        for username in coders:
            etree.SubElement(users, f"{{{ns}}}User", guid=guid("user", username), name=username)
    codebook = etree.SubElement(root, f"{{{ns}}}CodeBook")
    _codebook_tree(codebook, ns)
    defectors = {q.defector.case_id: q.defector for q in quotes}
    if defectors:
        variables = etree.SubElement(root, f"{{{ns}}}Variables")
        for variable in CASE_VARIABLES:
            etree.SubElement(
                variables, f"{{{ns}}}Variable", guid=guid("variable", variable), name=variable, typeOfVariable="Text"
            )
        cases = etree.SubElement(root, f"{{{ns}}}Cases")
        for case_id, defector in sorted(defectors.items()):
            case = etree.SubElement(cases, f"{{{ns}}}Case", guid=guid("case", case_id), name=case_id)
            etree.SubElement(case, f"{{{ns}}}Description").text = defector.name
            for variable in CASE_VARIABLES:
                value = getattr(defector, variable)
                _variable_value(case, ns, guid("variable", variable), str(value) if value is not None else "")
            for quote in quotes:
                if quote.defector.case_id == case_id:
                    etree.SubElement(case, f"{{{ns}}}SourceRef", targetGUID=guid("quote", quote.pk))
        sources = etree.SubElement(root, f"{{{ns}}}Sources")
        by_quote: dict = {}
        for tag in tags:
            by_quote.setdefault(tag.quote_id, []).append(tag)
        for quote in quotes:
            source = etree.SubElement(
                sources,
                f"{{{ns}}}TextSource",
                guid=guid("quote", quote.pk),
                name=f"quote {quote.pk} ({quote.defector.case_id})",
            )
            if quote.translation:
                etree.SubElement(source, f"{{{ns}}}Description").text = "English translation: " + quote.translation
            etree.SubElement(source, f"{{{ns}}}PlainTextContent").text = quote.text
            if by_quote.get(quote.pk):
                selection = etree.SubElement(
                    source,
                    f"{{{ns}}}PlainTextSelection",
                    guid=guid("selection", quote.pk),
                    startPosition="0",
                    endPosition=str(len(quote.text)),
                )
                for tag in by_quote[quote.pk]:
                    attributes = {"guid": guid("tag", tag.pk)}
                    if tag.coder:
                        attributes["creatingUser"] = guid("user", tag.coder.username)
                    attributes["creationDateTime"] = tag.coded_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                    coding = etree.SubElement(selection, f"{{{ns}}}Coding", **attributes)
                    etree.SubElement(coding, f"{{{ns}}}CodeRef", targetGUID=str(tag.narrative.guid))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def project_qdpx(quotes, *, name: str) -> bytes:
    """A ``.qdpx``: a zip holding ``project.qde`` (sources are inline, so no ``sources/`` folder)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", project_qde(quotes, name=name))
    return out.getvalue()
