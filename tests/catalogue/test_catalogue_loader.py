"""Loading the catalogue is idempotent and never touches an organisation's assessments."""

import json
import shutil
from io import StringIO

from django.core.management import call_command

from openitsms.catalogue.loader import DATA_DIR, load_catalogue
from openitsms.catalogue.models import Conformity, Crosswalk, Requirement, Standard
from tests.catalogue.factories import conformity, req


def _counts():
    return (Standard.objects.count(), Requirement.objects.count(), Crosswalk.objects.count())


def test_migrate_has_loaded_the_77_requirements_and_the_crosswalks(db):
    assert Requirement.objects.primary().count() == 77
    assert set(Standard.objects.values_list("key", flat=True)) == {
        "iso20000-1-2018",
        "iso9001-2015",
        "iso27001-2022",
        "iso22301-2019",
    }
    assert Crosswalk.objects.count() > 100


def test_loading_twice_changes_nothing_and_keeps_conformity(org, owner):
    row = conformity(org, "8.6.1", "partial", notes="our own words", assessed_by=owner)
    before = _counts()
    ids = dict(Requirement.objects.values_list("key", "pk"))
    first = load_catalogue()
    second = load_catalogue()
    assert _counts() == before
    assert dict(Requirement.objects.values_list("key", "pk")) == ids
    assert first.created == second.created == 0
    assert second.updated == 0 and second.unchanged == 77
    row.refresh_from_db()
    assert (row.status, row.notes, row.requirement_id) == (
        "partial",
        "our own words",
        ids["iso20000-1-2018:8.6.1"],
    )
    assert Conformity.all_orgs.count() == 1


def test_changed_guidance_is_updated_in_place(org, tmp_path):
    for name in DATA_DIR.glob("*.json"):
        shutil.copy(name, tmp_path / name.name)
    path = tmp_path / "iso20000-1-2018.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    item = next(r for r in data["requirements"] if r["number"] == "8.6.1")
    item["guidance"] = "Rewritten guidance for incidents."
    path.write_text(json.dumps(data), encoding="utf-8")
    pk = req("8.6.1").pk
    conformity(org, "8.6.1")

    result = load_catalogue(tmp_path)

    assert result.updated == 1 and result.created == 0
    assert req("8.6.1").pk == pk
    assert req("8.6.1").guidance == "Rewritten guidance for incidents."
    assert Conformity.all_orgs.get().requirement_id == pk


def test_itsms_catalogue_load_command_reports_and_is_idempotent(org):
    conformity(org, "6.3", "nonconformant")
    before = _counts()
    out = StringIO()
    call_command("catalogue_load", stdout=out)
    call_command("catalogue_load", stdout=out)
    assert "0 requirement(s) created" in out.getvalue()
    assert "77 unchanged" in out.getvalue()
    assert _counts() == before
    assert Conformity.all_orgs.get().status == "nonconformant"


def test_itsms_cli_runs_the_catalogue_load(org, capsys):
    from openitsms.cli import main

    main(["catalogue", "load"])
    assert "Catalogue loaded: 1 standard(s): 0 requirement(s) created" in capsys.readouterr().out
    assert Requirement.objects.primary().count() == 77


def test_a_later_edition_loads_beside_this_one_and_keeps_every_assessment(org, tmp_path):
    """A new edition gets its own keys; `supersedes` maps them to the old ones."""
    for name in DATA_DIR.glob("*.json"):
        shutil.copy(name, tmp_path / name.name)
    old = json.loads((tmp_path / "iso20000-1-2018.json").read_text(encoding="utf-8"))
    new = {
        "schema": 1,
        "standard": {**old["standard"], "key": "iso20000-1-2030", "edition": "2030"},
        "requirements": [
            {
                **r,
                "key": r["key"].replace("2018", "2030"),
                "supersedes": [r["key"]],
            }
            for r in old["requirements"]
        ],
    }
    (tmp_path / "iso20000-1-2030.json").write_text(json.dumps(new), encoding="utf-8")
    conformity(org, "8.6.1", "partial")
    before = Conformity.all_orgs.get()

    result = load_catalogue(tmp_path)

    assert result.standards == 2 and result.created == 77
    successor = Requirement.objects.get(key="iso20000-1-2030:8.6.1")
    assert list(successor.supersedes.values_list("key", flat=True)) == ["iso20000-1-2018:8.6.1"]
    after = Conformity.all_orgs.get()
    assert (after.pk, after.requirement_id, after.status) == (
        before.pk,
        before.requirement_id,
        "partial",
    )
    assert Requirement.objects.primary().count() == 77
