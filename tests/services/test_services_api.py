"""The services API: the organisation wall, roles, 422 errors naming the field, nested
targets, availability and the monthly report."""

from __future__ import annotations

from datetime import date

from openitsms.services import actions
from openitsms.services.models import (
    Agreement,
    Calendar,
    CalendarSegment,
    Outage,
    Service,
    TimeTarget,
)
from openitsms.tenancy.scoping import org_scope
from tests.services.conftest import london

BASE = "/api/v1/orgs/northwind"


def test_lists_are_paginated_in_a_fixed_number_of_queries(
    org, owner, token_for, api, portal, sla, django_assert_max_num_queries
) -> None:
    token = token_for(owner)
    with org_scope(org):
        actions.ensure_builtin_calendar(organisation=org)  # created once, on first use
        for number in range(12):
            actions.save_service(service=Service(name=f"S{number}"), organisation=org)
            actions.save_outage(
                outage=Outage(
                    service=portal,
                    kind="planned",
                    title=f"Patch {number}",
                    starts_at=london(2024, 6, number + 1, 22),
                    ends_at=None,
                ),
                organisation=org,
            )
    for path, limit in (
        ("/services", 12),
        ("/agreements", 14),
        ("/calendars", 12),
        ("/outages", 8),
        ("/parties", 8),
    ):
        with django_assert_max_num_queries(limit):
            response = api("get", BASE + path, token)
        assert response.status_code == 200, path
    services = api("get", BASE + "/services?page_size=50", token).json()
    assert services["count"] == 13
    portal_row = next(item for item in services["items"] if item["name"] == "Customer portal")
    assert portal_row["agreement_ids"] == [sla.pk] and portal_row["owner"] == "petra"


def test_an_outsider_gets_404_and_a_viewer_403_on_writes(
    org, outsider, viewer, token_for, api, portal
) -> None:
    outsider_token, viewer_token = token_for(outsider), token_for(viewer)
    assert api("get", f"{BASE}/services/{portal.pk}", outsider_token).status_code == 404
    response = api("post", BASE + "/services", viewer_token, {"name": "Nope"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    patch = api("patch", f"{BASE}/services/{portal.pk}", viewer_token, {"name": "Hacked"})
    assert patch.status_code == 403
    assert not Service.all_orgs.filter(name__in=["Nope", "Hacked"]).exists()


def test_a_service_is_created_with_links_and_changed_by_its_owner(
    org, manager, process_owner, token_for, api, customer
) -> None:
    created = api(
        "post",
        BASE + "/services",
        token_for(manager),
        {
            "name": "Email",
            "owner_id": process_owner.pk,
            "lifecycle": "live",
            "customer_ids": [customer.pk],
            "configuration_items": ["mx-01", " ", "mx-02"],
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["customer_ids"] == [customer.pk] and body["configuration_items"] == [
        "mx-01",
        "mx-02",
    ]
    changed = api(
        "patch", f"{BASE}/services/{body['id']}", token_for(process_owner), {"criticality": "high"}
    )
    assert changed.status_code == 200 and changed.json()["criticality"] == "high"
    assert Service.all_orgs.get(pk=body["id"]).criticality == "high"


def test_a_circular_dependency_is_a_422_on_the_field(org, owner, token_for, api, portal) -> None:
    token = token_for(owner)
    hosting = api(
        "post", BASE + "/services", token, {"name": "Hosting", "depends_on_ids": [portal.pk]}
    )
    response = api(
        "patch", f"{BASE}/services/{portal.pk}", token, {"depends_on_ids": [hosting.json()["id"]]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "depends_on"
    assert list(portal.depends_on.all()) == []


def test_another_organisations_ids_are_refused(org, other_org, owner, token_for, api) -> None:
    with org_scope(other_org):
        foreign = actions.save_service(service=Service(name="Theirs"), organisation=other_org)
    response = api(
        "post",
        BASE + "/services",
        token_for(owner),
        {"name": "Mine", "depends_on_ids": [foreign.pk]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "depends_on_ids"


def test_an_agreement_with_nested_targets_all_or_nothing(
    org, owner, token_for, api, customer, portal, office
) -> None:
    token = token_for(owner)
    payload = {
        "reference": "SLA-100",
        "title": "Portal",
        "kind": "sla",
        "party_ids": [customer.pk],
        "service_ids": [portal.pk],
        "valid_from": "2024-01-01",
        "calendar_id": office.pk,
        "pause_statuses": ["Awaiting customer", ""],
        "time_targets": [
            {"kind": "response", "priority": "P1", "amount": 30, "unit": "minutes"},
            {"kind": "resolution", "priority": "P1", "amount": 0, "unit": "hours"},
        ],
    }
    refused = api("post", BASE + "/agreements", token, payload)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "time_targets.1.amount", "message": "Enter a target above zero."}
    ]
    assert not Agreement.all_orgs.filter(reference="SLA-100").exists()

    payload["time_targets"][1]["amount"] = 2  # type: ignore[index]
    payload["time_targets"][1]["unit"] = "business_days"  # type: ignore[index]
    payload["availability_targets"] = [{"period": "month", "percent": 99.5}]
    created = api("post", BASE + "/agreements", token, payload)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["pause_statuses"] == ["Awaiting customer"]
    assert [t["seconds"] for t in body["time_targets"]] == [16 * 3600, 1800]
    assert body["status"] == "in_force" and body["availability_targets"][0]["percent"] == "99.500"

    replaced = api(
        "patch",
        f"{BASE}/agreements/{body['id']}",
        token,
        {"time_targets": [{"kind": "response", "priority": "P2", "amount": 1, "unit": "hours"}]},
    )
    assert replaced.status_code == 200
    assert list(
        TimeTarget.all_orgs.filter(agreement_id=body["id"]).values_list("priority", flat=True)
    ) == ["P2"]


def test_an_agreement_defaults_to_the_built_in_calendar(org, owner, token_for, api) -> None:
    response = api(
        "post",
        BASE + "/agreements",
        token_for(owner),
        {"reference": "UC-1", "title": "Hosting", "kind": "uc", "valid_from": "2024-01-01"},
    )
    assert response.status_code == 201
    calendar = Calendar.all_orgs.get(pk=response.json()["calendar_id"])
    assert calendar.is_builtin
    flags = {flag["code"] for flag in response.json()["flags"]}
    assert {"no_party", "no_services", "no_targets"} <= flags


def test_a_calendar_with_segments_and_field_errors(org, owner, token_for, api) -> None:
    token = token_for(owner)
    bad = api(
        "post",
        BASE + "/calendars",
        token,
        {"name": "Bad", "time_zone": "Nowhere/City", "holiday_country": "ZZ"},
    )
    assert bad.status_code == 422
    fields = {error["field"] for error in bad.json()["errors"]}
    assert fields == {"time_zone", "holiday_country"}

    overlap = api(
        "post",
        BASE + "/calendars",
        token,
        {
            "name": "Shifts",
            "time_zone": "Europe/London",
            "segments": [
                {"weekday": 0, "starts_at": "22:00", "ends_at": "06:00"},
                {"weekday": 1, "starts_at": "05:00", "ends_at": "09:00"},
            ],
        },
    )
    assert overlap.status_code == 422
    assert "Tuesday: This overlaps Monday 22:00–06:00 (next day)." in overlap.json()["detail"]
    assert not Calendar.all_orgs.filter(name="Shifts").exists()

    created = api(
        "post",
        BASE + "/calendars",
        token,
        {
            "name": "Shifts",
            "time_zone": "Europe/London",
            "holiday_country": "gb",
            "segments": [
                {"weekday": 0, "starts_at": "22:00", "ends_at": "06:00"},
                {"weekday": 5, "starts_at": "00:00", "ends_at": "24:00"},
            ],
            "closures": [{"name": "Shutdown", "starts_on": "2024-12-27", "ends_on": "2024-12-31"}],
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["holiday_country"] == "GB"
    assert [(s["weekday"], s["starts_at"], s["ends_at"]) for s in body["segments"]] == [
        (0, "22:00", "06:00"),
        (5, "00:00", "24:00"),
    ]
    assert body["business_day_seconds"] == 86_400
    empty = api(
        "patch",
        f"{BASE}/calendars/{body['id']}",
        token,
        {"segments": [{"weekday": 2, "starts_at": "00:00", "ends_at": "00:00"}]},
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "segments.0.ends_at"
    assert CalendarSegment.all_orgs.filter(calendar_id=body["id"]).count() == 2


def test_outages_by_the_service_owner_and_availability_over_the_api(
    org, process_owner, viewer, token_for, api, portal, sla
) -> None:
    token = token_for(process_owner)
    refused = api(
        "post",
        BASE + "/outages",
        token,
        {
            "service_id": portal.pk,
            "title": "Down",
            "starts_at": "2024-06-04T11:00:00+01:00",
            "ends_at": "2024-06-04T10:00:00+01:00",
        },
    )
    assert refused.status_code == 422
    created = api(
        "post",
        BASE + "/outages",
        token,
        {
            "service_id": portal.pk,
            "title": "Down",
            "starts_at": "2024-06-04T09:00:00+01:00",
            "ends_at": "2024-06-04T13:00:00+01:00",
        },
    )
    assert created.status_code == 201
    assert Outage.all_orgs.get().starts_at == london(2024, 6, 4, 9)

    viewer_token = token_for(viewer)
    availability = api(
        "get", f"{BASE}/services/{portal.pk}/availability?period=2024-06", viewer_token
    ).json()
    assert availability["committed_seconds"] == 160 * 3600
    assert availability["downtime_seconds"] == 4 * 3600
    assert availability["availability_percent"] == 97.5
    assert availability["target_percent"] == 99.5 and availability["target_met"] is False
    assert availability["agreement_reference"] == "SLA-001"
    bad = api("get", f"{BASE}/services/{portal.pk}/availability?period=someday", viewer_token)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"

    assert (
        api(
            "post",
            BASE + "/outages",
            viewer_token,
            {"service_id": portal.pk, "title": "X", "starts_at": "2024-06-04T09:00:00Z"},
        ).status_code
        == 403
    )


def test_the_report_api_says_there_is_no_ticket_data_yet(
    org, viewer, token_for, api, portal, sla
) -> None:
    with org_scope(org):
        actions.save_outage(
            outage=Outage(
                service=portal,
                kind="unplanned",
                title="Down",
                starts_at=london(2024, 6, 4, 9),
                ends_at=london(2024, 6, 4, 9, 30),
            ),
            organisation=org,
        )
    response = api("get", f"{BASE}/services/{portal.pk}/report?month=2024-06", token_for(viewer))
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2024-06" and len(body["trend"]) == 12
    (section,) = body["agreements"]
    assert section["reference"] == "SLA-001"
    assert section["availability"][0]["target_met"] is True
    (time_target,) = section["time_targets"]
    assert time_target["has_data"] is False and time_target["tickets"] is None
    assert "No imported incident or request" in time_target["note"]
    assert time_target["breached"] == []
    assert [o["title"] for o in body["outages"]] == ["Down"]
    bad = api("get", f"{BASE}/services/{portal.pk}/report?month=June", token_for(viewer))
    assert bad.status_code == 422


def test_deletes_are_refused_while_still_referenced(
    org, owner, token_for, api, sla, office
) -> None:
    token = token_for(owner)
    response = api("delete", f"{BASE}/calendars/{office.pk}", token)
    assert response.status_code == 422 and "SLA-001" in response.json()["detail"]
    assert api("delete", f"{BASE}/agreements/{sla.pk}", token).status_code == 204
    assert api("delete", f"{BASE}/calendars/{office.pk}", token).status_code == 204
    assert not Agreement.all_orgs.filter(pk=sla.pk).exists()
    assert date.today().year > 2000
