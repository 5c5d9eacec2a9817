"""The services pages: what each role may do, errors next to the field, htmx partials, and
query counts that do not grow with the rows."""

from __future__ import annotations

from datetime import date

import pytest

from openitsms.services import actions
from openitsms.services.models import (
    Agreement,
    Calendar,
    CalendarSegment,
    Outage,
    Party,
    Service,
    TimeTarget,
)
from openitsms.tenancy.scoping import org_scope
from tests.services.conftest import london

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(org, path: str) -> str:  # type: ignore[no-untyped-def]
    return f"/o/{org.slug}/{path}"


# --- the catalogue -------------------------------------------------------------------------


def test_the_catalogue_lists_services_in_a_fixed_number_of_queries(
    org, owner_client, portal, django_assert_max_num_queries
) -> None:
    with org_scope(org):
        for number in range(15):
            actions.save_service(service=Service(name=f"Service {number}"), organisation=org)
    with django_assert_max_num_queries(14):
        response = owner_client.get(url(org, "services/"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Service 14" in body and "Customer portal" in body and "Add a service" in body


def test_filters_return_only_the_table_to_htmx(org, owner_client, portal) -> None:
    with org_scope(org):
        actions.save_service(
            service=Service(name="Retired thing", lifecycle="retired"), organisation=org
        )
    response = owner_client.get(url(org, "services/?lifecycle=retired"), **HTMX)
    body = response.content.decode()
    assert "Retired thing" in body and "Customer portal" not in body
    assert "<html" not in body and 'id="service-table"' in body


def test_an_empty_catalogue_says_what_to_do(org, owner_client, viewer_client) -> None:
    assert "Add your first service" in owner_client.get(url(org, "services/")).content.decode()
    body = viewer_client.get(url(org, "services/")).content.decode()
    assert "Owners and managers add services here" in body and "Add a service" not in body


def test_a_manager_adds_a_service(org, manager_client, manager, customer) -> None:
    response = manager_client.post(
        url(org, "services/new/"),
        {
            "name": "Email",
            "description": "Mail for staff",
            "owner": manager.pk,
            "lifecycle": "live",
            "criticality": "high",
            "customers": [customer.pk],
            "configuration_items": "mx-01\nmx-02",
        },
    )
    service = Service.all_orgs.get(name="Email")
    assert response.status_code == 302 and response["Location"] == service.get_absolute_url()
    assert service.owner == manager and service.ci_names == ["mx-01", "mx-02"]
    assert list(service.customers.all()) == [customer]


def test_a_duplicate_name_is_shown_next_to_the_field(org, owner_client, portal) -> None:
    response = owner_client.post(
        url(org, "services/new/"),
        {"name": "Customer portal", "lifecycle": "live", "criticality": "low"},
    )
    assert response.status_code == 200
    assert "Another service already has this name." in response.content.decode()
    assert Service.all_orgs.filter(name="Customer portal").count() == 1


def test_another_organisations_party_is_not_a_choice(org, other_org, owner_client) -> None:
    with org_scope(other_org):
        actions.save_party(
            party=Party(name="Harbour customer", kind="customer"), organisation=other_org
        )
    body = owner_client.get(url(org, "services/new/")).content.decode()
    assert "Harbour customer" not in body


def test_a_viewer_cannot_add_or_change_services(org, viewer_client, portal) -> None:
    assert viewer_client.post(url(org, "services/new/"), {"name": "X"}).status_code == 403
    response = viewer_client.post(url(org, f"services/{portal.pk}/edit/"), {"name": "Renamed"})
    assert response.status_code == 403
    assert viewer_client.post(url(org, f"services/{portal.pk}/delete/")).status_code == 403
    assert not Service.all_orgs.filter(name__in=["X", "Renamed"]).exists()


def test_the_process_owner_changes_their_own_service_only(org, process_owner, portal) -> None:
    from django.test import Client

    client = Client()
    client.force_login(process_owner)
    response = client.post(
        url(org, f"services/{portal.pk}/edit/"),
        {
            "name": "Customer portal",
            "lifecycle": "live",
            "criticality": "critical",
            "owner": process_owner.pk,
        },
    )
    assert response.status_code == 302
    portal.refresh_from_db()
    assert portal.criticality == "critical"
    with org_scope(org):
        other = actions.save_service(service=Service(name="Other"), organisation=org)
    assert client.get(url(org, f"services/{other.pk}/edit/")).status_code == 403


def test_an_outsider_gets_404_everywhere(org, outsider_client, portal, sla) -> None:
    for path in (
        "services/",
        f"services/{portal.pk}/",
        f"services/{portal.pk}/report/",
        f"agreements/{sla.pk}/",
        f"calendars/{sla.calendar_id}/",
    ):
        assert outsider_client.get(url(org, path)).status_code == 404


def test_the_service_page_shows_availability_agreements_and_outages(
    org, auditor_client, portal, sla
) -> None:
    with org_scope(org):
        actions.save_outage(
            outage=Outage(
                service=portal,
                kind="unplanned",
                title="Checkout errors",
                starts_at=london(2024, 6, 4, 10),
                ends_at=london(2024, 6, 4, 11),
            ),
            organisation=org,
        )
    body = auditor_client.get(url(org, f"services/{portal.pk}/")).content.decode()
    assert "SLA-001" in body and "Checkout errors" in body
    assert "This month" not in body or "Availability" in body
    assert 'data-testid="availability-summary"' in body
    assert "Change</a>" not in body  # the auditor reads only


def test_the_availability_panel_answers_htmx_and_refuses_a_bad_period(
    org, viewer_client, portal, sla
) -> None:
    good = viewer_client.get(url(org, f"services/{portal.pk}/availability/?period=2024-06"), **HTMX)
    assert good.status_code == 200
    body = good.content.decode()
    assert "June 2024" in body and "London office" in body and "<html" not in body
    bad = viewer_client.get(url(org, f"services/{portal.pk}/availability/?period=June"), **HTMX)
    assert bad.status_code == 400 and "is not a period" in bad.content.decode()


def test_a_service_that_is_still_referenced_is_not_deleted(org, owner_client, portal, sla) -> None:
    response = owner_client.post(url(org, f"services/{portal.pk}/delete/"), follow=True)
    assert "Agreements cover this service" in response.content.decode()
    assert Service.all_orgs.filter(pk=portal.pk).exists()


# --- the service report --------------------------------------------------------------------


def test_the_report_compares_targets_with_actuals_and_is_honest_about_tickets(
    org, viewer_client, portal, sla
) -> None:
    with org_scope(org):
        actions.save_outage(
            outage=Outage(
                service=portal,
                kind="unplanned",
                title="Database full",
                starts_at=london(2024, 6, 4, 9),
                ends_at=london(2024, 6, 4, 13),
            ),
            organisation=org,
        )
    response = viewer_client.get(url(org, f"services/{portal.pk}/report/?month=2024-06"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Service report: Customer portal, June 2024" in body
    assert "97.5 %" in body  # 4 of 160 hours down
    assert "Missed" in body and "No ticket data" in body
    assert "Database full" in body
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in body and 'data-testid="trend-table"' in body


def test_a_bad_month_falls_back_to_last_month_with_a_message(org, viewer_client, portal) -> None:
    response = viewer_client.get(url(org, f"services/{portal.pk}/report/?month=2024-13"))
    assert response.status_code == 200
    assert "is not a month" in response.content.decode()


# --- parties -------------------------------------------------------------------------------


def test_parties_are_added_by_editors_only(org, owner_client, viewer_client) -> None:
    response = owner_client.post(url(org, "parties/"), {"name": "Acme", "kind": "supplier"})
    assert response.status_code == 302
    assert Party.all_orgs.filter(organisation=org, name="Acme").exists()
    assert (
        viewer_client.post(url(org, "parties/"), {"name": "Evil", "kind": "customer"}).status_code
        == 403
    )
    assert not Party.all_orgs.filter(name="Evil").exists()


# --- agreements and targets ------------------------------------------------------------------


def test_agreements_list_with_flags_in_a_fixed_number_of_queries(
    org, owner_client, sla, office, django_assert_max_num_queries
) -> None:
    with org_scope(org):
        for number in range(10):
            actions.save_agreement(
                agreement=Agreement(
                    reference=f"OLA-{number}",
                    title="Team",
                    kind="ola",
                    valid_from=date(2024, 1, 1),
                    valid_until=date(2024, 12, 31),
                    calendar=office,
                ),
                organisation=org,
            )
    with django_assert_max_num_queries(14):
        response = owner_client.get(url(org, "agreements/"))
    body = response.content.decode()
    assert "OLA-9" in body and "Expired on 31 Dec 2024" in body
    expired = owner_client.get(url(org, "agreements/?status=expired"), **HTMX).content.decode()
    assert "OLA-3" in expired and "SLA-001" not in expired


def test_a_manager_adds_an_agreement_with_the_24x7_calendar_by_default(
    org, manager_client, customer, portal
) -> None:
    form = manager_client.get(url(org, "agreements/new/?kind=uc")).content.decode()
    builtin = Calendar.all_orgs.get(organisation=org, is_builtin=True)
    assert f'<option value="{builtin.pk}" selected>' in form
    response = manager_client.post(
        url(org, "agreements/new/"),
        {
            "reference": "SLA-010",
            "title": "Portal",
            "kind": "sla",
            "parties": [customer.pk],
            "services": [portal.pk],
            "valid_from": "2025-01-01",
            "valid_until": "2024-12-31",
            "calendar": builtin.pk,
            "reopen_policy": "resume",
        },
    )
    assert "The agreement cannot end before it starts." in response.content.decode()
    assert not Agreement.all_orgs.filter(reference="SLA-010").exists()


def test_a_zero_target_is_refused_next_to_its_field_in_the_htmx_partial(
    org, owner_client, sla
) -> None:
    response = owner_client.post(
        url(org, f"agreements/{sla.pk}/time-targets/add/"),
        {"time-kind": "response", "time-priority": "P1", "time-amount": "0", "time-unit": "hours"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Enter a target above zero." in body
    assert not TimeTarget.all_orgs.filter(agreement=sla, kind="response").exists()


def test_a_target_in_business_days_is_added_and_removed_with_htmx(org, owner_client, sla) -> None:
    response = owner_client.post(
        url(org, f"agreements/{sla.pk}/time-targets/add/"),
        {
            "time-kind": "resolution",
            "time-priority": "P3",
            "time-amount": "2",
            "time-unit": "business_days",
        },
        **HTMX,
    )
    target = TimeTarget.all_orgs.get(agreement=sla, priority="P3")
    assert target.seconds == 16 * 3600
    assert "2 business days" in response.content.decode()
    owner_client.post(url(org, f"time-targets/{target.pk}/delete/"), **HTMX)
    assert not TimeTarget.all_orgs.filter(pk=target.pk).exists()


def test_availability_and_other_targets_from_the_agreement_page(org, owner_client, sla) -> None:
    owner_client.post(
        url(org, f"agreements/{sla.pk}/availability-targets/add/"),
        {"availability-period": "year", "availability-percent": "99.9"},
    )
    owner_client.post(
        url(org, f"agreements/{sla.pk}/measurable-targets/add/"),
        {
            "other-name": "Satisfaction",
            "other-comparator": "gte",
            "other-value": "4.2",
            "other-unit": "of 5",
        },
    )
    body = owner_client.get(url(org, f"agreements/{sla.pk}/")).content.decode()
    assert "99.9 %" in body and "Satisfaction ≥ 4.2 of 5" in body
    duplicate = owner_client.post(
        url(org, f"agreements/{sla.pk}/availability-targets/add/"),
        {"availability-period": "month", "availability-percent": "99"},
    )
    assert duplicate.status_code == 400
    assert "already has a target for this period" in duplicate.content.decode()


def test_a_viewer_cannot_touch_targets(org, viewer_client, sla) -> None:
    target = TimeTarget.all_orgs.get(agreement=sla)
    assert viewer_client.post(url(org, f"time-targets/{target.pk}/delete/")).status_code == 403
    response = viewer_client.post(
        url(org, f"agreements/{sla.pk}/time-targets/add/"),
        {"time-kind": "response", "time-priority": "P1", "time-amount": "1", "time-unit": "hours"},
    )
    assert response.status_code == 403
    assert TimeTarget.all_orgs.filter(agreement=sla).count() == 1


# --- calendars -----------------------------------------------------------------------------


def test_the_calendar_list_always_has_the_built_in_24x7_calendar(
    org, viewer_client, django_assert_max_num_queries
) -> None:
    viewer_client.get(url(org, "calendars/"))
    with django_assert_max_num_queries(12):
        body = viewer_client.get(url(org, "calendars/")).content.decode()
    assert "24×7 (built in)" in body
    assert Calendar.all_orgs.filter(organisation=org, is_builtin=True).count() == 1


def test_a_new_calendar_starts_with_office_hours(org, owner_client) -> None:
    response = owner_client.post(
        url(org, "calendars/new/"),
        {
            "name": "Dublin",
            "time_zone": "Europe/Dublin",
            "holiday_country": "IE",
            "week_pattern": "office",
        },
    )
    calendar = Calendar.all_orgs.get(name="Dublin")
    assert response.status_code == 302
    assert CalendarSegment.all_orgs.filter(calendar=calendar).count() == 5


def test_unknown_zone_and_subdivision_are_errors_on_their_fields(org, owner_client) -> None:
    response = owner_client.post(
        url(org, "calendars/new/"),
        {
            "name": "Bad",
            "time_zone": "Mars/Olympus",
            "holiday_country": "GB",
            "holiday_subdivision": "ZZZ",
            "week_pattern": "none",
        },
    )
    body = response.content.decode()
    assert "“Mars/Olympus” is not a time zone we know." in body
    assert "“ZZZ” is not a subdivision of GB we know." in body
    assert not Calendar.all_orgs.filter(name="Bad").exists()


def test_overlapping_hours_are_refused_in_the_htmx_partial(org, owner_client, office) -> None:
    response = owner_client.post(
        url(org, f"calendars/{office.pk}/segments/add/"),
        {"segment-weekdays": ["0", "1"], "segment-starts_at": "16:00", "segment-ends_at": "18:00"},
        **HTMX,
    )
    body = response.content.decode()
    assert "Monday: This overlaps Monday 09:00–17:00." in body and "<html" not in body
    assert office.segments.count() == 5


def test_hours_are_added_to_several_days_at_once_and_24_00_is_midnight(
    org, owner_client, office
) -> None:
    owner_client.post(
        url(org, f"calendars/{office.pk}/segments/add/"),
        {"segment-weekdays": ["5", "6"], "segment-starts_at": "18:00", "segment-ends_at": "24:00"},
        **HTMX,
    )
    weekend = office.segments.filter(weekday__in=[5, 6])
    assert weekend.count() == 2 and all(s.hours == 6 for s in weekend)
    empty = owner_client.post(
        url(org, f"calendars/{office.pk}/segments/add/"),
        {"segment-weekdays": ["4"], "segment-starts_at": "20:00", "segment-ends_at": "20:00"},
        **HTMX,
    )
    assert "This segment is empty" in empty.content.decode()


def test_the_calendar_page_shows_the_chosen_week_as_a_picture_and_a_table(
    org, viewer_client, office
) -> None:
    body = viewer_client.get(url(org, f"calendars/{office.pk}/?week=2024-12-25")).content.decode()
    assert "The week of 23 December 2024" in body
    assert "Public holiday: Christmas Day" in body
    assert 'data-testid="week-picture"' in body and 'data-testid="week-table"' in body
    partial = viewer_client.get(url(org, f"calendars/{office.pk}/?week=2025-01-06"), **HTMX)
    assert "<html" not in partial.content.decode() and "6 January 2025" in partial.content.decode()


def test_the_built_in_calendar_cannot_be_edited(org, owner_client) -> None:
    with org_scope(org):
        builtin = actions.ensure_builtin_calendar(organisation=org)
    body = owner_client.get(url(org, f"calendars/{builtin.pk}/")).content.decode()
    assert "cannot be changed" in body and "Add working hours" not in body
    owner_client.post(
        url(org, f"calendars/{builtin.pk}/segments/add/"),
        {"segment-weekdays": ["0"], "segment-starts_at": "09:00", "segment-ends_at": "17:00"},
    )
    assert not CalendarSegment.all_orgs.filter(calendar=builtin).exists()


def test_closures_are_added_with_their_dates_checked(org, owner_client, office) -> None:
    bad = owner_client.post(
        url(org, f"calendars/{office.pk}/closures/add/"),
        {
            "closure-name": "Shutdown",
            "closure-starts_on": "2024-12-31",
            "closure-ends_on": "2024-12-27",
        },
    )
    assert (
        bad.status_code == 400
        and "The last day cannot be before the first." in bad.content.decode()
    )
    owner_client.post(
        url(org, f"calendars/{office.pk}/closures/add/"),
        {
            "closure-name": "Shutdown",
            "closure-starts_on": "2024-12-27",
            "closure-ends_on": "2024-12-31",
        },
    )
    assert office.closures.get().days == 5


# --- outages -------------------------------------------------------------------------------


def test_the_service_owner_records_an_outage_in_the_organisations_time_zone(
    org, process_owner, portal
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(process_owner)
    response = client.post(
        url(org, "outages/new/"),
        {
            "service": portal.pk,
            "kind": "unplanned",
            "title": "Checkout down",
            "starts_at": "2024-07-01T10:00",
            "ends_at": "2024-07-01T10:45",
        },
    )
    outage = Outage.all_orgs.get(title="Checkout down")
    assert response.status_code == 302
    assert outage.starts_at == london(2024, 7, 1, 10)  # 09:00 UTC, stored in UTC


def test_an_outage_ending_before_it_starts_is_an_error_on_the_end(
    org, owner_client, portal
) -> None:
    response = owner_client.post(
        url(org, "outages/new/"),
        {
            "service": portal.pk,
            "kind": "planned",
            "title": "Patch",
            "starts_at": "2024-07-01T10:00",
            "ends_at": "2024-07-01T09:00",
        },
    )
    assert "An outage cannot end before it starts." in response.content.decode()
    assert not Outage.all_orgs.exists()


def test_viewers_and_auditors_cannot_record_outages(
    org, viewer_client, auditor_client, portal
) -> None:
    data = {
        "service": portal.pk,
        "kind": "unplanned",
        "title": "X",
        "starts_at": "2024-07-01T10:00",
    }
    assert viewer_client.post(url(org, "outages/new/"), data).status_code == 403
    assert auditor_client.post(url(org, "outages/new/"), data).status_code == 403
    assert not Outage.all_orgs.exists()


def test_the_outage_list_filters_by_service_kind_and_month(
    org, viewer_client, portal, django_assert_max_num_queries
) -> None:
    with org_scope(org):
        for day in range(1, 11):
            actions.save_outage(
                outage=Outage(
                    service=portal,
                    kind="unplanned" if day % 2 else "planned",
                    title=f"Outage {day}",
                    starts_at=london(2024, 7, day, 10),
                    ends_at=london(2024, 7, day, 11),
                ),
                organisation=org,
            )
        actions.save_outage(
            outage=Outage(
                service=portal,
                kind="unplanned",
                title="August one",
                starts_at=london(2024, 8, 1, 10),
                ends_at=None,
            ),
            organisation=org,
        )
    with django_assert_max_num_queries(12):
        body = viewer_client.get(url(org, "outages/")).content.decode()
    assert "Outage 10" in body and "Still going on" in body
    july = viewer_client.get(
        url(org, "outages/?month=2024-07&kind=planned"), **HTMX
    ).content.decode()
    assert "Outage 2" in july and "Outage 3" not in july and "August one" not in july


@pytest.mark.parametrize("path", ["outages/", "agreements/", "calendars/", "parties/", "services/"])
def test_every_list_page_has_the_services_tabs(org, viewer_client, path) -> None:
    body = viewer_client.get(url(org, path)).content.decode()
    assert 'aria-label="Services and agreements"' in body and 'aria-current="page"' in body
