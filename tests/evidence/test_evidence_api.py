"""The evidence API: list and filters, create, change, delete, upload versions, download."""

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from openitsms.evidence.models import EvidenceFile, EvidenceItem
from tests.evidence.helpers import add_version, item, req, stored_files

BASE = "/api/v1/orgs/northwind"


def _upload(client: Client, token, evidence_id, content, name="file.txt", note=""):
    return client.post(
        f"{BASE}/evidence/{evidence_id}/versions",
        {"file": SimpleUploadedFile(name, content), "note": note},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_create_with_json_links_clauses_and_processes(api, token_for, manager, org):
    from openitsms.processes.models import Process

    p = Process(organisation=org, slug="sla", name="Service level management", kind="operational")
    p.save()
    response = api(
        "post",
        f"{BASE}/evidence",
        token_for(manager),
        {
            "title": "SLA with Contoso",
            "kind": "document",
            "effective_on": "2026-01-01",
            "valid_until": "2027-01-01",
            "owner_id": manager.pk,
            "requirements": ["8.3.3"],
            "processes": [p.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    evidence = EvidenceItem.all_orgs.get(pk=body["id"])
    assert evidence.title == "SLA with Contoso" and evidence.owner == manager
    assert body["requirements"] == [
        {"id": req("8.3.3").pk, "number": "8.3.3", "title": req("8.3.3").title}
    ]
    assert body["processes"][0]["slug"] == "sla" and body["versions"] == []
    assert body["expires_on"] == "2027-01-01" and body["freshness"] in {
        "current",
        "due_soon",
        "stale",
    }


def test_create_refuses_unknown_clauses_and_non_member_owners_with_422(
    api, token_for, manager, outsider
):
    token = token_for(manager)
    base = {"title": "x", "kind": "record", "effective_on": "2026-01-01"}
    response = api("post", f"{BASE}/evidence", token, {**base, "requirements": ["99.9"]})
    assert response.status_code == 422 and "99.9" in response.json()["detail"]
    response = api("post", f"{BASE}/evidence", token, {**base, "owner_id": outsider.pk})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "owner_id"
    response = api("post", f"{BASE}/evidence", token, {**base, "kind": "link"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "url"
    assert not EvidenceItem.all_orgs.exists()


def test_viewers_and_auditors_get_403_on_writes(api, token_for, viewer, auditor, manager, org):
    evidence = item(org, manager, title="Kept")
    for user in (viewer, auditor):
        token = token_for(user)
        assert (
            api(
                "post",
                f"{BASE}/evidence",
                token,
                {"title": "x", "kind": "record", "effective_on": "2026-01-01"},
            ).status_code
            == 403
        )
        assert (
            api("patch", f"{BASE}/evidence/{evidence.pk}", token, {"title": "y"}).status_code == 403
        )
        assert api("delete", f"{BASE}/evidence/{evidence.pk}", token).status_code == 403
    evidence.refresh_from_db()
    assert evidence.title == "Kept" and evidence.deleted_at is None
    assert EvidenceItem.all_orgs.count() == 1


def test_patch_changes_only_what_is_sent(api, token_for, manager, org):
    evidence = item(org, manager, title="Policy", requirements=[req("5.2")], description="keep me")
    response = api(
        "patch",
        f"{BASE}/evidence/{evidence.pk}",
        token_for(manager),
        {"title": "SM policy", "requirements": ["5.2.1", "5.2.2"]},
    )
    assert response.status_code == 200
    evidence.refresh_from_db()
    assert evidence.title == "SM policy" and evidence.description == "keep me"
    assert sorted(evidence.requirements.values_list("number", flat=True)) == ["5.2.1", "5.2.2"]
    response = api("patch", f"{BASE}/evidence/{evidence.pk}", token_for(manager), {"title": None})
    assert response.status_code == 422


def test_list_filters_and_constant_queries(
    api, token_for, viewer, manager, org, django_assert_max_num_queries
):
    token = token_for(viewer)
    for i in range(3):
        ev = item(org, manager, title=f"Report {i}", kind="report", requirements=[req("9.1")])
        add_version(ev, f"x{i}".encode())
    item(org, manager, title="Policy", kind="document")
    with django_assert_max_num_queries(12) as first:
        body = api("get", f"{BASE}/evidence", token).json()
    assert body["count"] == 4
    for i in range(3, 15):
        add_version(
            item(org, manager, title=f"Report {i}", kind="report", requirements=[req("9.1")]),
            f"x{i}".encode(),
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        body = api("get", f"{BASE}/evidence", token).json()
    assert body["count"] == 16
    assert api("get", f"{BASE}/evidence?kind=document", token).json()["count"] == 1
    assert api("get", f"{BASE}/evidence?clause=9&freshness=undated", token).json()["count"] == 15
    assert api("get", f"{BASE}/evidence?owner=none&q=policy", token).json()["count"] == 1
    assert api("get", f"{BASE}/evidence?owner=bob", token).status_code == 422


def test_upload_a_version_returns_201_with_its_sha256(client, token_for, manager, org):
    evidence = item(org, manager)
    token = token_for(manager)
    response = _upload(client, token, evidence.pk, b"minutes v1", "minutes.md", note="Draft")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(b"minutes v1").hexdigest()
    assert body["version"] == 1 and body["note"] == "Draft" and body["size"] == 10
    assert body["uploaded_by"] == "mark" and body["same_content_as"] == []
    assert EvidenceFile.all_orgs.get().sha256 == body["sha256"]


def test_upload_reports_same_content_as_another_item(client, token_for, manager, org):
    first = item(org, manager, title="Original")
    add_version(first, b"same")
    body = _upload(client, token_for(manager), item(org, manager, title="Copy").pk, b"same").json()
    assert body["same_content_as"] == ["Original v1"]
    assert "same content as “Original” version 1" in body["message"]


def test_upload_refusals_are_422_with_the_reason_and_store_nothing(
    client, token_for, manager, org, settings
):
    evidence = item(org, manager)
    token = token_for(manager)
    add_version(evidence, b"first")
    settings.EVIDENCE_MAX_BYTES = 100
    cases = [
        (b"x" * 101, "big.txt", "larger than"),
        (b"<svg/>", "a.svg", "not accepted"),
        (b"first", "again.txt", "identical to version 1"),
    ]
    for content, name, reason in cases:
        response = _upload(client, token, evidence.pk, content, name)
        assert response.status_code == 422, name
        body = response.json()
        assert reason in body["detail"] and body["errors"][0]["field"] == "file"
    assert EvidenceFile.all_orgs.count() == 1 and len(stored_files()) == 1


def test_upload_needs_edit_rights(client, token_for, viewer, manager, org):
    evidence = item(org, manager)
    assert _upload(client, token_for(viewer), evidence.pk, b"x").status_code == 403
    assert not EvidenceFile.all_orgs.exists()


def test_delete_is_soft_and_download_works_for_members(
    api, client, token_for, manager, viewer, outsider, org
):
    evidence = item(org, manager)
    version = add_version(evidence, b"keep me", "keep.txt").version
    assert api("delete", f"{BASE}/evidence/{evidence.pk}", token_for(manager)).status_code == 204
    evidence.refresh_from_db()
    assert evidence.deleted_at is not None
    assert api("get", f"{BASE}/evidence", token_for(viewer)).json()["count"] == 0
    assert api("get", f"{BASE}/evidence?deleted=true", token_for(viewer)).json()["count"] == 1
    response = client.get(
        f"{BASE}/evidence-files/{version.pk}/download",
        HTTP_AUTHORIZATION=f"Bearer {token_for(viewer)}",
    )
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"keep me"
    assert response["Content-Disposition"] == 'attachment; filename="keep.txt"'
    response = client.get(
        f"{BASE}/evidence-files/{version.pk}/download",
        HTTP_AUTHORIZATION=f"Bearer {token_for(outsider)}",
    )
    assert response.status_code == 404
    restored = api("post", f"{BASE}/evidence/{evidence.pk}/restore", token_for(manager))
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
