"""The catalogue API: requirements with conformity and evidence, assessments, standards."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from openitsms.audit.models import AuditEvent
from openitsms.catalogue.models import Conformity
from tests.catalogue.factories import conformity, evidence, process, req, today


def _base(org):
    return f"/api/v1/orgs/{org.slug}"


def test_list_gives_every_requirement_with_conformity_and_evidence(viewer, org, token_for, api):
    conformity(org, "8.3.4.1", "partial", operated_by="external_supplier", operator_name="Bluefin")
    evidence(org, "8.6.1", expires_in_days=-1)
    process(org, "incident-management", "8.6.1")
    data = api("get", f"{_base(org)}/requirements", token_for(viewer)).json()
    assert data["count"] == 77 and len(data["items"]) == 77
    items = {i["number"]: i for i in data["items"]}
    assert [i["number"] for i in data["items"]][:3] == ["4", "4.1", "4.2"]
    supplier = items["8.3.4.1"]
    assert supplier["depth"] == 3 and supplier["parent_id"] == req("8.3.4").pk
    assert supplier["conformity"]["status"] == "partial"
    assert supplier["conformity"]["operator_name"] == "Bluefin"
    assert items["8.6.1"]["evidence_count"] == 1
    assert items["8.6.1"]["evidence_freshness"] == "stale"
    assert items["8.6.1"]["processes"] == ["incident-management"]
    assert items["4"]["conformity"] == {
        "requirement_id": req("4").pk,
        "number": "4",
        "status": "not_assessed",
        "operated_by": "organisation",
        "operator_name": "",
        "notes": "",
        "assessed_by": None,
        "assessed_on": None,
    }
    assert items["4"]["evidence_freshness"] == "none"


def test_list_filters(viewer, org, token_for, api):
    token = token_for(viewer)
    conformity(org, "6.3", "nonconformant")
    evidence(org, "4.1", expires_in_days=-1)
    process(org, "incident-management", "8.6.1")

    def numbers(query):
        return [
            i["number"]
            for i in api("get", f"{_base(org)}/requirements?{query}", token).json()["items"]
        ]

    assert numbers("status=nonconformant") == ["6.3"]
    assert numbers("clause=8.3.4") == ["8.3.4", "8.3.4.1", "8.3.4.2"]
    assert numbers("process=incident-management") == ["8.6.1"]
    assert numbers("evidence=stale") == ["4.1"]
    assert "4.1" not in numbers("evidence=missing") and len(numbers("evidence=missing")) == 76
    assert numbers("status=nonconformant&evidence=missing") == ["6.3"]


def test_list_refuses_unknown_filter_values(viewer, org, token_for, api):
    token = token_for(viewer)
    response = api("get", f"{_base(org)}/requirements?status=great", token)
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    response = api("get", f"{_base(org)}/requirements?clause=11", token)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "clause", "message": "ISO/IEC 20000-1:2018 has no clause 11."}
    ]


def test_list_is_paginated(viewer, org, token_for, api):
    data = api("get", f"{_base(org)}/requirements?page=2&page_size=30", token_for(viewer)).json()
    assert data["count"] == 77 and len(data["items"]) == 30
    assert data["items"][0]["number"] == "8.2"  # the 31st entry


def test_list_query_count_is_flat(
    viewer, owner, org, token_for, api, django_assert_max_num_queries
):
    token = token_for(viewer)
    url = f"{_base(org)}/requirements"
    api("get", url, token)  # the first call also records when the token was last used
    with CaptureQueriesContext(connection) as empty:
        api("get", url, token)
    for i in range(20):
        evidence(
            org, "8.6.1", "4.1", "9.2", title=f"E{i}", expires_in_days=[-1, 10, 100, None][i % 4]
        )
    for number in ["4.1", "6.3", "8.6.1", "9.2", "10.1"]:
        conformity(org, number, "partial", assessed_by=owner)
    for i in range(5):
        process(org, f"p{i}", "8.6.1", "9.2", owner=owner)
    with django_assert_max_num_queries(5):
        api("get", url, token)
    with CaptureQueriesContext(connection) as full:
        api("get", url, token)
    assert len(full) == len(empty)


def test_detail_has_guidance_crosswalks_conformity_and_evidence(viewer, org, token_for, api):
    item = evidence(org, "8.6.1")
    evidence(org, "8.6.1", title="Gone", deleted=True)
    conformity(org, "8.6.1", "conformant", notes="fine")
    data = api("get", f"{_base(org)}/requirements/{req('8.6.1').pk}", token_for(viewer)).json()
    assert data["number"] == "8.6.1" and data["guidance"] == req("8.6.1").guidance
    assert data["evidence_ids"] == [item.pk] and data["evidence_count"] == 1
    assert data["conformity"]["status"] == "conformant" and data["conformity"]["notes"] == "fine"
    iso27001 = [c for c in data["crosswalks"] if c["standard_key"] == "iso27001-2022"]
    assert [c["clause"] for c in iso27001] == ["A.5.24", "A.5.25", "A.5.26", "A.5.27", "A.5.28"]
    assert iso27001[0]["standard"] == "ISO/IEC 27001:2022" and iso27001[0]["relation"] == "related"
    assert data["typical_evidence"] and data["children"] == []
    parent = api("get", f"{_base(org)}/requirements/{req('8.6').pk}", token_for(viewer)).json()
    assert parent["children"] == [req("8.6.1").pk, req("8.6.2").pk, req("8.6.3").pk]


def test_detail_of_an_unknown_requirement_is_404(viewer, org, token_for, api):
    response = api("get", f"{_base(org)}/requirements/999999", token_for(viewer))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_put_records_the_assessment(manager, org, token_for, api):
    url = f"{_base(org)}/requirements/{req('8.3.4.1').pk}/conformity"
    body = {
        "status": "partial",
        "operated_by": "external_supplier",
        "operator_name": "Bluefin Hosting Ltd",
        "notes": "SLA reviews missing",
    }
    response = api("put", url, token_for(manager), body)
    assert response.status_code == 200
    assert response.json() == {
        "requirement_id": req("8.3.4.1").pk,
        "number": "8.3.4.1",
        "status": "partial",
        "operated_by": "external_supplier",
        "operator_name": "Bluefin Hosting Ltd",
        "notes": "SLA reviews missing",
        "assessed_by": "mark",
        "assessed_on": today().isoformat(),
    }
    row = Conformity.all_orgs.get(organisation=org)
    assert (row.status, row.operator_name, row.assessed_by) == (
        "partial",
        "Bluefin Hosting Ltd",
        manager,
    )
    event = AuditEvent.objects.for_object(row).get()
    assert event.action == "create" and event.actor_label == "mark (API token)"
    # PUT replaces the whole assessment: omitted fields take their defaults
    api("put", url, token_for(manager), {"status": "conformant"})
    row.refresh_from_db()
    assert (row.status, row.operated_by, row.operator_name, row.notes) == (
        "conformant",
        "organisation",
        "",
        "",
    )


def test_put_with_an_unnamed_other_party_is_422_and_saves_nothing(manager, org, token_for, api):
    url = f"{_base(org)}/requirements/{req('8.3.4.1').pk}/conformity"
    response = api(
        "put", url, token_for(manager), {"status": "conformant", "operated_by": "internal_supplier"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "operator_name", "message": "Name the party that operates this requirement."}
    ]
    bad = api("put", url, token_for(manager), {"status": "brilliant"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "payload.status"
    assert not Conformity.all_orgs.exists()


def test_put_by_viewer_or_auditor_is_403(viewer, auditor, org, token_for, api):
    url = f"{_base(org)}/requirements/{req('6.3').pk}/conformity"
    for user in (viewer, auditor):
        response = api("put", url, token_for(user), {"status": "conformant"})
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Conformity.all_orgs.exists()


def test_put_on_an_unknown_requirement_is_404(manager, org, token_for, api):
    response = api(
        "put",
        f"{_base(org)}/requirements/999999/conformity",
        token_for(manager),
        {"status": "conformant"},
    )
    assert response.status_code == 404


def test_bulk_sets_several_requirements_and_keeps_null_fields(owner, org, token_for, api):
    conformity(org, "8.6.1", "partial", notes="keep")
    ids = [req(n).pk for n in ("8.6.1", "8.6.2", "8.6.3")]
    response = api(
        "post",
        f"{_base(org)}/conformity/bulk",
        token_for(owner),
        {"requirement_ids": ids, "status": "conformant"},
    )
    assert response.status_code == 200
    assert [r["number"] for r in response.json()] == ["8.6.1", "8.6.2", "8.6.3"]
    rows = {c.requirement.number: c for c in Conformity.all_orgs.select_related("requirement")}
    assert {n: c.status for n, c in rows.items()} == dict.fromkeys(
        ["8.6.1", "8.6.2", "8.6.3"], "conformant"
    )
    assert rows["8.6.1"].notes == "keep"


def test_bulk_refuses_unknown_ids_and_bad_input_with_422(owner, org, token_for, api):
    token = token_for(owner)
    url = f"{_base(org)}/conformity/bulk"
    unknown = api(
        "post", url, token, {"requirement_ids": [req("4.1").pk, 999999], "status": "conformant"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "requirement_ids", "message": "No such requirement: 999999."}
    ]
    nothing = api("post", url, token, {"requirement_ids": [req("4.1").pk]})
    assert nothing.status_code == 422
    empty = api("post", url, token, {"requirement_ids": [], "status": "conformant"})
    assert empty.status_code == 422
    unnamed = api(
        "post", url, token, {"requirement_ids": [req("4.1").pk], "operated_by": "external_supplier"}
    )
    assert unnamed.status_code == 422 and unnamed.json()["errors"][0]["field"] == "operator_name"
    assert not Conformity.all_orgs.exists()


def test_bulk_by_viewer_is_403(viewer, org, token_for, api):
    response = api(
        "post",
        f"{_base(org)}/conformity/bulk",
        token_for(viewer),
        {"requirement_ids": [req("4.1").pk], "status": "conformant"},
    )
    assert response.status_code == 403
    assert not Conformity.all_orgs.exists()


def test_process_owner_bulk_outside_their_processes_is_403(process_owner, org, token_for, api):
    process(org, "incident-management", "8.6.1", owner=process_owner)
    token = token_for(process_owner)
    url = f"{_base(org)}/conformity/bulk"
    refused = api(
        "post",
        url,
        token,
        {"requirement_ids": [req("8.6.1").pk, req("4.1").pk], "status": "partial"},
    )
    assert refused.status_code == 403 and "4.1" in refused.json()["detail"]
    assert not Conformity.all_orgs.exists()
    ok = api("post", url, token, {"requirement_ids": [req("8.6.1").pk], "status": "partial"})
    assert ok.status_code == 200 and Conformity.all_orgs.get().status == "partial"


def test_outsider_gets_404_everywhere(outsider, org, token_for, api):
    token = token_for(outsider)
    pk = req("4.1").pk
    assert api("get", f"{_base(org)}/requirements", token).status_code == 404
    assert api("get", f"{_base(org)}/requirements/{pk}", token).status_code == 404
    assert (
        api(
            "put", f"{_base(org)}/requirements/{pk}/conformity", token, {"status": "conformant"}
        ).status_code
        == 404
    )
    assert (
        api(
            "post",
            f"{_base(org)}/conformity/bulk",
            token,
            {"requirement_ids": [pk], "status": "conformant"},
        ).status_code
        == 404
    )
    assert api("get", f"{_base(org)}/conformity.csv", token).status_code == 404
    assert api("get", f"{_base(org)}/conformity.xlsx", token).status_code == 404
    assert not Conformity.all_orgs.exists()


def test_standards_lists_the_loaded_standards_with_their_data_version(viewer, token_for, api):
    data = api("get", "/api/v1/standards", token_for(viewer)).json()
    by_key = {s["key"]: s for s in data}
    assert by_key["iso20000-1-2018"]["data_version"] == "2026.1"
    assert by_key["iso20000-1-2018"]["requirement_count"] == 77
    assert by_key["iso20000-1-2018"]["has_requirements"] is True
    assert by_key["iso27001-2022"]["requirement_count"] == 0
    assert set(by_key) == {"iso20000-1-2018", "iso9001-2015", "iso27001-2022", "iso22301-2019"}


def test_standards_need_authentication(api):
    assert api("get", "/api/v1/standards").status_code == 401
