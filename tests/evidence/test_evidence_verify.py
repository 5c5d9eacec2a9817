"""`itsms evidence verify` and the per-organisation verification job."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from openitsms.jobs.models import Job
from tests.evidence.helpers import add_version, item, stored_files


@pytest.fixture
def files(org, other_org, manager, outsider):
    intact = add_version(item(org, manager, title="Capacity plan"), b"plan", "plan.xlsx").version
    altered = add_version(item(org, manager, title="SLA report"), b"sla", "sla.pdf").version
    missing = add_version(item(other_org, outsider, title="Harbour audit"), b"x", "a.txt").version
    return intact, altered, missing


def _break(altered, missing):
    from django.core.files.storage import default_storage

    with default_storage.open(altered.file.name, "wb") as fh:
        fh.write(b"changed after upload")
    default_storage.delete(missing.file.name)


def test_verify_passes_when_every_file_is_intact(files):
    out = StringIO()
    call_command("evidence_verify", "--quiet", stdout=out, stderr=StringIO())
    assert "intact: 3 file(s) verified" in out.getvalue()


def test_verify_fails_naming_each_altered_and_missing_file(files):
    intact, altered, missing = files
    _break(altered, missing)
    err = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("evidence_verify", "--quiet", stdout=StringIO(), stderr=err)
    assert "2 of 3 file(s)" in str(exc.value)
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("MISSING harbour: “Harbour audit” version 1 (")
    assert missing.file.name in lines[0]
    assert lines[1].startswith("ALTERED northwind: “SLA report” version 1 (")
    assert altered.file.name in lines[1]
    assert "Capacity plan" not in err.getvalue()


def test_verify_can_be_limited_to_one_organisation(files):
    intact, altered, missing = files
    _break(altered, missing)
    with pytest.raises(CommandError):
        call_command(
            "evidence_verify", "--quiet", "--org", "harbour", stdout=StringIO(), stderr=StringIO()
        )
    _restore = altered  # noqa: F841  (northwind is broken too, but not asked about)
    out = StringIO()
    call_command("evidence_verify", "--quiet", "--org", "nobody", stdout=out, stderr=StringIO())
    assert "0 file(s)" in out.getvalue()


def test_the_itsms_command_exits_non_zero_when_a_file_is_missing(files, capsys):
    from openitsms.cli import main

    intact, altered, missing = files
    _break(altered, missing)
    with pytest.raises(SystemExit) as exc:
        main(["evidence", "verify", "--quiet"])
    assert exc.value.code == 1
    assert "SLA report" in capsys.readouterr().err


def test_the_verification_job_reports_only_this_organisations_files(
    files, auditor_client, org, auditor, django_capture_on_commit_callbacks
):
    intact, altered, missing = files
    _break(altered, missing)
    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post(
            reverse("evidence:evidence_verify", kwargs={"org_slug": org.slug})
        )
    job = Job.all_orgs.get(kind="evidence_verify")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.created_by == auditor and job.organisation == org
    assert job.result["checked"] == 2 and job.result["intact"] is False
    assert len(job.result["own_problems"]) == 1
    assert "SLA report" in job.result["own_problems"][0]
    page = auditor_client.get(job.get_absolute_url()).content.decode()
    assert "1 of 2 evidence file(s) are missing or altered" in page
    assert "SLA report" in page and "Harbour" not in page


def test_the_verification_job_says_intact_when_it_is(
    files, viewer_client, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        viewer_client.post(reverse("evidence:evidence_verify", kwargs={"org_slug": org.slug}))
    job = Job.all_orgs.get(kind="evidence_verify")
    assert job.status == "succeeded" and job.result["intact"] is True
    assert job.message == "Every evidence file is intact: 2 file(s) re-hashed."
    assert len(stored_files()) == 3
