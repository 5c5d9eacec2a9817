"""The import, run and record pages; the API; the CLI command."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from openitsms.operations.models import ColumnMapping, ImportRun, Record
from openitsms.operations.views import escape_cell
from openitsms.tenancy.scoping import org_scope
from tests.operations.helpers import HEADER, import_csv, mapping_for, write

pytestmark = pytest.mark.django_db

ROWS = (
    "INC-1,Portal slow,Resolved,04/03/2024 16:00,05/03/2024 11:00,P1,Team A,Customer portal\n"
    "INC-2,=cmd|' /C calc'!A0,Open,04/03/2024 09:00,,P2,Team A,Customer portal\n"
)


def _upload(text: str, name: str = "export.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_a_manager_uploads_a_csv_maps_its_columns_and_the_job_imports_it(
    org, manager_client, django_capture_on_commit_callbacks
):
    response = manager_client.post(
        f"/o/{org.slug}/operations/import/",
        {
            "file": _upload(HEADER + ROWS),
            "source": "csv",
            "kind": "incident",
            "time_zone": "Europe/London",
            "date_order": "day_first",
        },
    )
    with org_scope(org):
        run = ImportRun.objects.get()
    assert run.status == "mapping"
    assert response.status_code == 302
    assert response["Location"].endswith(f"/runs/{run.pk}/mapping/")

    page = manager_client.get(response["Location"])
    assert page.status_code == 200
    form = page.context["form"]
    # Suggested from the headers.
    assert form.initial["col_source_id"] == "Ref"
    assert form.initial["col_opened_at"] == "Opened"
    data = {name: form.initial.get(name, "") for name in form.fields}
    data["name"] = "Our tool"
    with django_capture_on_commit_callbacks(execute=True):
        done = manager_client.post(response["Location"], data)
    assert done.status_code == 302

    with org_scope(org):
        run.refresh_from_db()
        assert run.status == "succeeded", run.message
        assert (run.created, run.mapping_name) == (2, "Our tool")
        assert ColumnMapping.objects.get().columns["source_id"] == "Ref"
        assert Record.objects.count() == 2
        assert run.upload_path == ""
    detail = manager_client.get(f"/o/{org.slug}/operations/runs/{run.pk}/")
    assert b"Succeeded" in detail.content
    # A one-row-per-record export is read by the row-by-row reader, and the page says so.
    assert b"<dt>Reader</dt><dd>row by row</dd>" in detail.content
    partial = manager_client.get(f"/o/{org.slug}/operations/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert b"run-status" in partial.content and b"<html" not in partial.content


def test_a_servicenow_upload_starts_the_job_at_once(
    org, manager_client, django_capture_on_commit_callbacks, tmp_path
):
    text = (
        "number,incident_state,active,sys_mod_count,opened_at,sys_updated_at,priority\n"
        "INC1,New,true,0,29-02-2016 01:16,29-02-2016 01:16,3 - Moderate\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            f"/o/{org.slug}/operations/import/",
            {"file": _upload(text), "source": "servicenow", "kind": "incident", "time_zone": "UTC"},
        )
    with org_scope(org):
        run = ImportRun.objects.get()
        assert run.status == "succeeded", run.message
        assert Record.objects.get().priority == "P3"
    assert response["Location"] == run.get_absolute_url()


def test_a_viewer_cannot_import(org, viewer_client):
    response = viewer_client.post(
        f"/o/{org.slug}/operations/import/",
        {"file": _upload(HEADER + ROWS), "source": "csv", "kind": "incident", "time_zone": "UTC"},
    )
    assert response.status_code == 403
    with org_scope(org):
        assert not ImportRun.objects.exists()


def test_the_rejections_download_escapes_formulas(org, manager, manager_client, tmp_path):
    text = HEADER + ROWS + "=1+1,x,Open,not a date,,P3,Team B,Email\n"
    run = import_csv(org, manager, write(tmp_path, text))
    assert run.status == "failed"

    response = manager_client.get(f"/o/{org.slug}/operations/runs/{run.pk}/rejections.csv")
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0] == "row,source_id,reason,columns"
    assert "4,'=1+1," in body
    assert escape_cell("@x") == "'@x" and escape_cell("-1") == "'-1" and escape_cell("ok") == "ok"


def test_records_list_filters_and_keeps_a_flat_query_count(
    org, manager, viewer_client, tmp_path, django_assert_max_num_queries
):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    many = "".join(f"INC-{n},t,Open,04/03/2024 10:00,,P3,Team B,Email\n" for n in range(10, 60))
    import_csv(org, manager, write(tmp_path, HEADER + ROWS + many, "more.csv"))

    with django_assert_max_num_queries(12):
        response = viewer_client.get(f"/o/{org.slug}/operations/records/?priority=P1")
    assert response.status_code == 200
    assert [r.source_id for r in response.context["page"].object_list] == ["INC-1"]
    with org_scope(org):
        record = Record.objects.get(source_id="INC-1")
    detail = viewer_client.get(f"/o/{org.slug}/operations/records/{record.pk}/")
    assert detail.status_code == 200
    assert b"Status history" in detail.content
    assert viewer_client.get(f"/o/{org.slug}/operations/runs/").status_code == 200


def test_an_outsider_sees_nothing(org, manager, outsider_client, tmp_path):
    run = import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    with org_scope(org):
        record = Record.objects.first()
    assert record is not None
    for url in (
        f"/o/{org.slug}/operations/runs/{run.pk}/",
        f"/o/{org.slug}/operations/records/{record.pk}/",
        f"/o/{org.slug}/operations/records/",
    ):
        assert outsider_client.get(url).status_code == 404


def test_api_lists_runs_and_records_and_saves_mappings(
    org, manager, viewer, api, token_for, tmp_path
):
    run = import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    token = token_for(manager)

    runs = api("get", f"/api/v1/orgs/{org.slug}/import-runs", token).json()
    assert runs["items"][0]["id"] == run.pk and runs["items"][0]["created"] == 2
    records = api("get", f"/api/v1/orgs/{org.slug}/records?priority=P1", token).json()
    assert [r["source_id"] for r in records["items"]] == ["INC-1"]
    one = api("get", f"/api/v1/orgs/{org.slug}/records/{records['items'][0]['id']}", token)
    assert one.json()["history"][0][1] == "new"

    body = {"name": "Other", "columns": {"source_id": "Ref", "opened_at": "Opened"}}
    assert api("post", f"/api/v1/orgs/{org.slug}/column-mappings", token, body).status_code == 201
    viewer_post = api("post", f"/api/v1/orgs/{org.slug}/column-mappings", token_for(viewer), body)
    assert viewer_post.status_code == 403
    bad = api(
        "post",
        f"/api/v1/orgs/{org.slug}/column-mappings",
        token,
        {"name": "x", "columns": {"nope": "A"}},
    )
    assert bad.status_code == 422
    with org_scope(org):
        assert set(ColumnMapping.objects.values_list("name", flat=True)) == {"Generic", "Other"}


def test_api_upload_imports_in_the_background(
    org, manager, viewer, client, token_for, django_capture_on_commit_callbacks
):
    mapping_for(org)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/orgs/{org.slug}/import-runs",
            {
                "file": _upload(HEADER + ROWS),
                "source": "csv",
                "kind": "incident",
                "mapping": "Generic",
                "tz": "UTC",
            },
            HTTP_AUTHORIZATION=f"Bearer {token_for(manager)}",
        )
    assert response.status_code == 202, response.content
    with org_scope(org):
        run = ImportRun.objects.get(pk=response.json()["id"])
        assert run.status == "succeeded" and run.created == 2
    denied = client.post(
        f"/api/v1/orgs/{org.slug}/import-runs",
        {"file": _upload(HEADER), "source": "csv", "kind": "incident", "mapping": "Generic"},
        HTTP_AUTHORIZATION=f"Bearer {token_for(viewer)}",
    )
    assert denied.status_code == 403


def test_the_import_command_imports_and_fails_loudly(org, tmp_path):
    mapping_for(org, "Generic")
    out = io.StringIO()
    call_command(
        "import_records",
        str(write(tmp_path, HEADER + ROWS)),
        "--org",
        org.slug,
        "--source",
        "csv",
        "--kind",
        "incident",
        "--mapping",
        "Generic",
        "--quiet",
        stdout=out,
    )
    assert "2 created" in out.getvalue()
    with org_scope(org):
        assert Record.objects.count() == 2

    bad = write(tmp_path, HEADER + "X,y,Open,never,,P1,A,B\n", "bad.csv")
    err = io.StringIO()
    with pytest.raises(CommandError, match="failed"):
        call_command(
            "import_records",
            str(bad),
            "--org",
            org.slug,
            "--source",
            "csv",
            "--kind",
            "incident",
            "--mapping",
            "Generic",
            "--quiet",
            stderr=err,
        )
    assert "row 2:" in err.getvalue()
    with pytest.raises(CommandError, match="No saved column mapping"):
        call_command(
            "import_records",
            str(bad),
            "--org",
            org.slug,
            "--source",
            "csv",
            "--kind",
            "incident",
            "--mapping",
            "Nope",
            "--quiet",
        )


def test_the_cli_parses_the_import_subcommand():
    from openitsms.cli import build_parser

    opts = build_parser().parse_args(
        [
            "import",
            "f.csv",
            "--org",
            "nw",
            "--source",
            "jira",
            "--kind",
            "request",
            "--dry-run",
            "--tz",
            "Europe/Paris",
        ]
    )
    assert (opts.file, opts.source, opts.kind, opts.dry_run, opts.tz) == (
        "f.csv",
        "jira",
        "request",
        True,
        "Europe/Paris",
    )


def test_an_unexpected_error_in_the_job_marks_the_run_failed(
    org, manager_client, django_capture_on_commit_callbacks, monkeypatch
):
    from openitsms.operations import jobs

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "run_import", boom)
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            f"/o/{org.slug}/operations/import/",
            {
                "file": _upload("number\n"),
                "source": "servicenow",
                "kind": "incident",
                "time_zone": "UTC",
            },
        )
    with org_scope(org):
        run = ImportRun.objects.get()
    assert run.status == "failed"
    assert "unexpected error (RuntimeError)" in run.message
    assert run.upload_path == ""
