"""REFI-QDA: the .qdc and .qdpx validate against the vendored schemas; the .qdc imports back."""

import io
import zipfile

import pytest
from django.core.management import call_command
from lxml import etree

from coding.refi import CODEBOOK_NS, QDAError, codebook_import, codebook_qdc, project_qde, validate
from coding.services import coding_decide
from narratives.models import Narrative
from narratives.services import narrative_save
from testimony.models import Quote

MARKER = "IDENTITY-MARKER-7f3"


def test_qdc_validates_and_imports_back_to_the_same_codebook(db):
    document = codebook_qdc()
    validate(document, "Codebook.xsd")
    codes = etree.fromstring(document).findall(f".//{{{CODEBOOK_NS}}}Code")
    assert [c.get("name") for c in codes] == [n.name for n in Narrative.objects.order_by("display_order")]
    result = codebook_import(document)
    assert sorted(result.matched) == sorted(Narrative.objects.values_list("code", flat=True))
    assert result.conflicts == [] and result.new == []


def test_qdc_nests_sub_themes(db):
    parent = Narrative.objects.get(code="brutality")
    narrative_save(narrative=Narrative(code="executions", name="Executions", definition="Killings.", parent=parent))
    document = codebook_qdc()
    validate(document, "Codebook.xsd")
    nested = etree.fromstring(document).find(f".//{{{CODEBOOK_NS}}}Code[@guid='{parent.guid}']/{{{CODEBOOK_NS}}}Code")
    assert nested.get("name") == "Executions"


def test_qdc_import_reports_conflicts_and_proposes_new_codes_without_overwriting(db):
    document = codebook_qdc().decode()
    brutality = Narrative.objects.get(code="brutality")
    changed = document.replace(brutality.definition[:40], "Something else entirely")
    extra = changed.replace(
        "</Codes>",
        '<Code guid="11111111-2222-3333-4444-555555555555" name="Boredom" isCodable="true" color="#123456">'
        "<Description>Nothing to do.</Description></Code></Codes>",
    )
    result = codebook_import(extra.encode())
    assert [(c["code"], c["field"]) for c in result.conflicts] == [("brutality", "definition")]
    assert [n["name"] for n in result.new] == ["Boredom"]
    assert not Narrative.objects.filter(name="Boredom").exists()
    brutality.refresh_from_db()
    assert not brutality.definition.startswith("Something else")
    applied = codebook_import(extra.encode(), apply=True)
    assert applied.created == ["boredom"]
    assert str(Narrative.objects.get(code="boredom").guid) == "11111111-2222-3333-4444-555555555555"
    brutality.refresh_from_db()
    assert not brutality.definition.startswith("Something else")


def test_an_invalid_qdc_is_refused_with_the_line(db):
    with pytest.raises(QDAError, match="line"):
        codebook_import(b'<?xml version="1.0"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')


def test_qdpx_validates_and_never_holds_identity_fields(coders, codebook, quotes, tmp_path):
    defector = quotes[0].defector
    defector.legal_name = defector.current_location = defector.contact_notes = MARKER
    defector.save()
    coding_decide(quote=quotes[0], coder=coders[0], narratives=[codebook["brutality"]])
    coding_decide(quote=quotes[0], coder=coders[1], narratives=[codebook["brutality"], codebook["corruption"]])
    path = tmp_path / "study.qdpx"
    call_command("export_codings", "--format", "qdpx", "--output", str(path))
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["project.qde"]
        document = archive.read("project.qde")
    validate(document, "Project-mrt2019.xsd")
    assert MARKER.encode() not in document
    tree = etree.fromstring(document)
    ns = {"q": "urn:QDA-XML:project:1.0"}
    assert [u.get("name") for u in tree.findall("q:Users/q:User", ns)] == ["amina", "boris"]
    assert len(tree.findall("q:Cases/q:Case", ns)) == len(quotes)
    assert len(tree.findall(".//q:TextSource", ns)) == len(quotes)
    users = {u.get("guid"): u.get("name") for u in tree.findall("q:Users/q:User", ns)}
    codings = sorted(users[c.get("creatingUser")] for c in tree.findall(".//q:Coding", ns))
    assert codings == ["amina", "boris", "boris"]


def test_qde_of_the_chosen_quotes_only(coders, quotes):
    document = project_qde(Quote.objects.filter(pk=quotes[0].pk), name="one")
    validate(document, "Project-mrt2019.xsd")
    assert len(etree.fromstring(document).findall(".//{urn:QDA-XML:project:1.0}TextSource")) == 1


def test_export_codings_writes_the_codebook(db):
    out = io.StringIO()
    call_command("export_codings", "--format", "qdc", stdout=out)
    validate(out.getvalue().encode(), "Codebook.xsd")
