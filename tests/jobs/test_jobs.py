from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from openitsms.jobs.models import Job


def test_starting_verification_from_the_page_runs_a_job_and_shows_its_outcome(
    owner_client, org, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("audit:verify", kwargs={"org_slug": org.slug}))
    job = Job.all_orgs.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["intact"] is True
    assert job.created_by == owner
    page = owner_client.get(job.get_absolute_url()).content.decode()
    assert "The audit trail is intact" in page
    partial = owner_client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="job-progress"')


def test_a_viewer_sees_only_the_jobs_they_started(
    viewer_client, owner_client, org, owner, viewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("audit:verify", kwargs={"org_slug": org.slug}))
    job = Job.all_orgs.get()
    assert viewer_client.get(job.get_absolute_url()).status_code == 404
    assert owner_client.get(job.get_absolute_url()).status_code == 200


def test_a_failing_job_records_the_failure(org, owner, django_capture_on_commit_callbacks):
    from openitsms.jobs.actions import HANDLERS, start_job

    def boom(job, progress):
        raise ValueError("the input file is empty")

    HANDLERS["test_boom"] = boom
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = start_job(organisation=org, user=owner, kind="test_boom", title="Boom")
    finally:
        del HANDLERS["test_boom"]
    job.refresh_from_db()
    assert job.status == "failed" and "the input file is empty" in job.message


def test_unknown_job_kinds_are_refused(org, owner):
    from openitsms.jobs.actions import start_job

    with pytest.raises(ValueError):
        start_job(organisation=org, user=owner, kind="nope", title="x")


def test_database_backend_queues_the_job_until_a_worker_runs_it(settings, transactional_audit):
    # Transactional: the worker closes and reopens connections like a real worker process.
    from django.contrib.auth import get_user_model

    from openitsms.jobs.actions import start_job
    from openitsms.tenancy.models import Organisation

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    org = Organisation.objects.create(name="Queue", slug="queue")
    owner = get_user_model().objects.create_user("queuer")
    job = start_job(organisation=org, user=owner, kind="audit_verify", title="Verify")
    job.refresh_from_db()
    assert job.status == "queued" and job.task_id
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["checked"] >= 1


def test_jobs_api_starts_and_reports_a_job(
    owner, org, token_for, api, django_capture_on_commit_callbacks
):
    token = token_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = api("post", f"/api/v1/orgs/{org.slug}/jobs/audit-verify", token)
    assert response.status_code == 202
    job_id = response.json()["id"]
    detail = api("get", f"/api/v1/orgs/{org.slug}/jobs/{job_id}", token).json()
    assert detail["status"] == "succeeded" and detail["percent"] == 100
