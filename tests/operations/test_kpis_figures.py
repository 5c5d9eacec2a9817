"""Every KPI of itsm-data.md §5 per kind equals figures computed by hand from small exports
imported through run_import (times in UTC unless said otherwise)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from openitsms.operations.actions import refresh_rollups, run_import, save_mapping
from openitsms.operations.kpis import monthly_kpis
from openitsms.operations.models import Record, Rollup
from openitsms.operations.recurring import raise_problem
from openitsms.tenancy.scoping import org_scope
from tests.operations.helpers import HEADER, import_csv, write
from tests.operations.test_import_actions import ROWS

pytestmark = pytest.mark.django_db


def import_kind(
    org: Any,
    user: Any,
    tmp_path: Any,
    text: str,
    *,
    kind: str,
    columns: dict[str, str],
    value_maps: dict[str, dict[str, str]] | None = None,
    tz: str = "UTC",
    name: str = "export.csv",
) -> Any:
    with org_scope(org):
        mapping = save_mapping(
            organisation=org,
            name=f"KPI {kind}",
            source="csv",
            kind=kind,
            columns=columns,
            value_maps=value_maps,
        )
        run = run_import(
            organisation=org,
            user=user,
            file=write(tmp_path, text, name),
            source="csv",
            kind=kind,
            mapping=mapping,
            tz=tz,
        )
    assert run.status == "succeeded", run.message
    return run


def kpis(org: Any, **filters: Any) -> list[Any]:
    with org_scope(org):
        return monthly_kpis(**filters)


# -- incidents ----------------------------------------------------------------------------------

INCIDENT_COLUMNS = {
    "source_id": "Ref",
    "title": "Summary",
    "status": "State",
    "opened_at": "Opened",
    "responded_at": "Responded",
    "resolved_at": "Resolved",
    "closed_at": "Closed",
    "priority": "Priority",
    "assignment_group": "Team",
    "reassignment_count": "Reassigned",
    "reopen_count": "Reopened",
    "problem_id": "Problem",
    "caused_by_change": "Caused by",
}
INCIDENT_HEADER = (
    "Ref,Summary,State,Opened,Responded,Resolved,Closed,Priority,Team,Reassigned,Reopened,"
    "Problem,Caused by\n"
)
INCIDENTS = (
    # March: four resolved (10 h, 4 h, 24 h, 6 h), two still open.
    "I1,a,Resolved,2024-03-01 00:00,2024-03-01 01:00,2024-03-01 10:00,,P2,A,0,0,,\n"
    "I2,b,Resolved,2024-03-02 00:00,2024-03-02 02:00,2024-03-02 04:00,,P3,A,1,0,,\n"
    "I3,c,Resolved,2024-03-03 00:00,2024-03-03 03:00,2024-03-04 00:00,,P3,B,0,0,,\n"
    "I4,d,Resolved,2024-03-04 00:00,2024-03-04 00:30,2024-03-04 06:00,,P1,B,2,1,,\n"
    "I5,e,Active,2024-03-10 00:00,2024-03-10 04:00,,,P3,A,,,,\n"
    "I6,f,New,2024-03-20 12:00,,,,P4,B,0,0,PRB1,CHG9\n"
    # April: one resolved in 2 h, one cancelled (leaves the backlog, not resolved).
    "I7,g,Resolved,2024-04-05 00:00,,2024-04-05 02:00,,P3,A,0,0,,\n"
    "I8,h,Cancelled,2024-04-06 00:00,,,2024-04-07 00:00,P3,A,0,0,,\n"
    # Nothing in May; June: one more open.
    "I9,i,New,2024-06-01 00:00,,,,P3,A,0,0,,\n"
)


@pytest.fixture
def incidents(org, manager, tmp_path):
    return import_kind(
        org,
        manager,
        tmp_path,
        INCIDENT_HEADER + INCIDENTS,
        kind="incident",
        columns=INCIDENT_COLUMNS,
    )


def test_incident_volume_times_medians_and_rates(org, incidents):
    march, april, may, june = kpis(org, kind="incident")

    assert [m.month for m in (march, april, may, june)] == [
        date(2024, 3, 1),
        date(2024, 4, 1),
        date(2024, 5, 1),
        date(2024, 6, 1),
    ]
    assert (march.opened, march.resolved, march.ended, march.major) == (6, 4, 4, 1)
    # Resolution 4, 6, 10, 24 h: mean 11, median (6 + 10) / 2 = 8.
    assert (march.mean_resolution_24x7_h, march.median_resolution_24x7_h) == (11.0, 8.0)
    # Response 0.5, 1, 2, 3, 4 h (I6 was never responded to): mean 2.1, median 2.
    assert (march.mean_response_24x7_h, march.median_response_24x7_h) == (2.1, 2.0)
    # No agreement applies: no business times, no targets.
    assert march.median_resolution_business_h is None and march.resolution_within_pct is None
    assert march.reopen_rate_pct == round(100 / 6, 2)
    assert march.reassignments_per_record == 0.5  # 0 + 1 + 0 + 2 + 0 over six
    # Share of March's incidents linked to a problem / caused by a change: I6 of six.
    assert march.linked_to_problem_pct == march.caused_by_change_pct == round(100 / 6, 2)
    # Change and problem figures do not apply to incidents.
    assert march.success_rate_pct is None and march.known_errors is None
    assert (april.opened, april.resolved, april.ended) == (2, 1, 2)
    assert april.median_resolution_24x7_h == 2.0
    assert (may.opened, may.resolved, may.median_resolution_24x7_h) == (0, 0, None)
    assert june.opened == 1


def test_first_contact_resolution_counts_incidents_resolved_without_reassignment(org, incidents):
    march, april, *_ = kpis(org, kind="incident")

    # Resolved in March with a known count: I1 (0), I2 (1), I3 (0), I4 (2).
    assert (march.first_contact_resolved, march.first_contact_measured) == (2, 4)
    assert march.first_contact_resolution_pct == 50.0
    # April: I7 resolved without reassignment; cancelled I8 is not resolved.
    assert (april.first_contact_resolved, april.first_contact_measured) == (1, 1)


def test_backlog_and_its_age_at_each_month_end(org, incidents):
    march, april, may, june = kpis(org, kind="incident")

    # End of March: I5 (opened 10 March, 22 days old) and I6 (20 March 12:00, 11.5 days).
    assert (march.backlog, march.backlog_mean_age_days) == (2, 16.75)
    # End of April: the same two (I8 was cancelled): 52 and 41.5 days.
    assert (april.backlog, april.backlog_mean_age_days) == (2, 46.75)
    # May has no records but its backlog still ages: 83 and 72.5 days.
    assert (may.backlog, may.backlog_mean_age_days) == (2, 77.75)
    # End of June: I9 (30 days) joins them (113, 102.5).
    assert (june.backlog, june.backlog_mean_age_days) == (3, round((113 + 102.5 + 30) / 3, 2))


def test_medians_stay_exact_when_groups_are_merged_or_filtered(org, incidents):
    (team_a, *_rest) = kpis(org, kind="incident", assignment_group="A")
    (team_b,) = [m for m in kpis(org, kind="incident", assignment_group="B") if m.opened]
    (p3,) = [m for m in kpis(org, kind="incident", priority="P3") if m.month.month == 3]

    # A resolved 10 h and 4 h (median 7), B 24 h and 6 h (median 15); all four give 8, not
    # the mean of the two medians.
    assert team_a.median_resolution_24x7_h == 7.0
    assert team_b.median_resolution_24x7_h == 15.0
    assert p3.median_resolution_24x7_h == 14.0  # I2 (4 h) and I3 (24 h)
    with org_scope(org):
        rows = Rollup.objects.filter(kind="incident", month=date(2024, 3, 1))
        assert sorted(v for r in rows for v in r.resolution_24x7_values) == [
            4 * 3600,
            6 * 3600,
            10 * 3600,
            24 * 3600,
        ]
        assert all(r.resolution_24x7_values == sorted(r.resolution_24x7_values) for r in rows)


def test_business_hour_medians_come_from_the_agreement_calendar(org, manager, portal_sla, tmp_path):
    # INC-1: 3 business h (19 h 24×7), INC-2: 6 h (6 h), INC-6: Wednesday 09:00–10:00, 1 h.
    extra = "INC-6,Quick,Resolved,06/03/2024 09:00,06/03/2024 10:00,P1,Team A,Customer portal\n"
    import_csv(org, manager, write(tmp_path, HEADER + ROWS + extra))

    (march,) = kpis(org, kind="incident", service_id=portal_sla.services.get().pk)

    assert march.median_resolution_business_h == 3.0
    assert march.mean_resolution_business_h == round(10 / 3, 2)
    assert (march.median_resolution_24x7_h, march.mean_resolution_24x7_h) == (6.0, round(26 / 3, 2))
    assert (march.resolution_with_target, march.resolution_within_pct) == (3, round(200 / 3, 2))


def test_a_newer_export_moves_the_figures_of_every_later_month(org, manager, incidents, tmp_path):
    # I5 is closed (no resolution time) in June: it leaves the backlog of June only.
    newer = INCIDENTS.replace(
        "I5,e,Active,2024-03-10 00:00,2024-03-10 04:00,,,",
        "I5,e,Closed,2024-03-10 00:00,2024-03-10 04:00,,2024-06-15 00:00,",
    )
    import_kind(
        org,
        manager,
        tmp_path,
        INCIDENT_HEADER + newer,
        kind="incident",
        columns=INCIDENT_COLUMNS,
        name="newer.csv",
    )

    march, april, may, june = kpis(org, kind="incident")
    assert (march.backlog, april.backlog, may.backlog) == (2, 2, 2)
    assert (june.backlog, june.ended, june.resolved) == (2, 1, 1)
    # Closed 15 June, 97 days after opening.
    assert june.median_resolution_24x7_h == 97 * 24


# -- service requests ---------------------------------------------------------------------------

REQUEST_COLUMNS = {
    "source_id": "Ref",
    "title": "Summary",
    "status": "State",
    "opened_at": "Opened",
    "resolved_at": "Resolved",
    "closed_at": "Closed",
    "priority": "Priority",
    "service": "Service",
}


def test_request_fulfilment_against_its_target_and_backlog(org, manager, portal_sla, tmp_path):
    # Office hours in London (GMT in March); the portal agreement gives P1 four hours.
    text = (
        "Ref,Summary,State,Opened,Resolved,Closed,Priority,Service\n"
        # 2 business hours, 2 h round the clock: within target.
        "R1,Laptop,Resolved,2024-03-04 09:00,2024-03-04 11:00,,P1,Customer portal\n"
        # Closed without a resolution time: 16–17 Monday and 9–13 Tuesday = 5 business h.
        "R2,Access,Closed,2024-03-04 16:00,,2024-03-05 13:00,P1,Customer portal\n"
        "R3,Phone,New,2024-03-05 10:00,,,P1,Customer portal\n"
    )
    import_kind(
        org,
        manager,
        tmp_path,
        text,
        kind="request",
        columns=REQUEST_COLUMNS,
        tz="Europe/London",
    )

    (march,) = kpis(org, kind="request")

    assert (march.opened, march.resolved, march.backlog) == (3, 2, 1)
    assert (march.resolution_with_target, march.resolution_within_pct) == (2, 50.0)
    assert (march.median_resolution_business_h, march.median_resolution_24x7_h) == (3.5, 11.5)
    assert march.mean_resolution_business_h == 3.5
    # Incident-only figures are not given for requests.
    assert march.first_contact_resolution_pct is None and march.major is None
    assert kpis(org, kind="incident") == []


# -- problems ------------------------------------------------------------------------------------

PROBLEM_COLUMNS = {
    "source_id": "Ref",
    "title": "Summary",
    "status": "State",
    "opened_at": "Opened",
    "updated_at": "Updated",
    "priority": "Priority",
    "assignment_group": "Team",
    "root_cause": "Root cause",
    "known_error": "Known error",
}
# One row per update (an audit-log export): the history shows when a problem became a
# known error.
PROBLEMS = (
    "Ref,Summary,State,Opened,Updated,Priority,Team,Root cause,Known error\n"
    "PRB1,Login,New,2024-03-01 00:00,2024-03-01 00:00,P2,Apps,,\n"
    "PRB1,Login,Known error,2024-03-01 00:00,2024-03-05 00:00,P2,Apps,Expired cert,true\n"
    "PRB2,Mail,New,2024-03-02 00:00,2024-03-02 00:00,P3,Mail,,\n"
    "PRB2,Mail,Known error,2024-03-02 00:00,2024-03-12 12:00,P3,Mail,Full disk,true\n"
    "PRB2,Mail,Resolved,2024-03-02 00:00,2024-03-20 00:00,P3,Mail,Full disk,true\n"
    "PRB3,Print,New,2024-03-10 00:00,2024-03-10 00:00,P3,Apps,,true\n"
    "PRB4,VPN,New,2024-03-15 00:00,2024-03-15 00:00,P3,Apps,,false\n"
    "PRB5,Wifi,New,2024-03-20 00:00,2024-03-20 00:00,P3,Apps,,\n"
    "PRB5,Wifi,Known error,2024-03-20 00:00,2024-03-21 00:00,P3,Apps,,\n"
)


def test_problems_opened_open_age_root_cause_and_time_to_known_error(org, manager, tmp_path):
    import_kind(
        org,
        manager,
        tmp_path,
        PROBLEMS,
        kind="problem",
        columns=PROBLEM_COLUMNS,
        value_maps={"status": {"Known error": "in_progress"}},
    )

    (march,) = kpis(org, kind="problem")

    assert (march.opened, march.resolved) == (5, 1)
    # Root cause recorded: PRB1 and PRB2 of five.
    assert (march.with_root_cause, march.root_cause_pct) == (2, 40.0)
    # Known errors: PRB1, PRB2 (flag and history), PRB3 (flag only), PRB5 (history only);
    # PRB4 is flagged as not one.
    assert (march.known_errors, march.known_error_pct) == (4, 80.0)
    # Timed from the history: PRB5 1 day, PRB1 4 days, PRB2 10.5 days.
    assert march.known_errors_timed == 3
    assert march.median_time_to_known_error_days == 4.0
    assert march.mean_time_to_known_error_days == round(15.5 / 3, 2)
    # Open at the end of March: PRB1 (31 days old), PRB3 (22), PRB4 (17), PRB5 (12).
    assert (march.backlog, march.backlog_mean_age_days) == (4, 20.5)
    assert march.success_rate_pct is None and march.first_contact_resolution_pct is None


# -- changes ------------------------------------------------------------------------------------

CHANGE_COLUMNS = {
    "source_id": "Ref",
    "title": "Summary",
    "status": "State",
    "opened_at": "Opened",
    "closed_at": "Closed",
    "change_type": "Type",
    "outcome": "Outcome",
    "rolled_back": "Rolled back",
    "assignment_group": "Team",
}
CHANGES = (
    "Ref,Summary,State,Opened,Closed,Type,Outcome,Rolled back,Team\n"
    "C1,Patch,Closed,2024-03-01 00:00,2024-03-05 00:00,Normal,Successful,false,Ops\n"
    "C2,Upgrade,Closed,2024-03-02 00:00,2024-03-03 00:00,Emergency,Unsuccessful,true,Ops\n"
    "C3,Config,Closed,2024-03-03 00:00,2024-03-10 00:00,Standard,Successful with issues,,Ops\n"
    "C4,Release,Closed,2024-03-04 00:00,2024-03-12 00:00,Normal,Successful,false,Dev\n"
    "C5,Hotfix,New,2024-03-20 00:00,,Emergency,,,Dev\n"
    "C6,Move,Cancelled,2024-03-05 00:00,2024-03-06 00:00,Normal,,,Ops\n"
)
CAUSED = (
    "Ref,Summary,State,Opened,Responded,Resolved,Closed,Priority,Team,Reassigned,Reopened,"
    "Problem,Caused by\n"
    "X1,Broken after release,New,2024-03-13 00:00,,,,P2,Dev,0,0,,C4\n"
    "X2,Also broken,New,2024-04-02 00:00,,,,P2,Dev,0,0,,C4\n"
)


def test_change_success_rate_emergency_share_and_failed_changes(org, manager, tmp_path):
    import_kind(org, manager, tmp_path, CHANGES, kind="change", columns=CHANGE_COLUMNS)
    # Incidents imported afterwards name C4 as their cause: C4's month is recomputed.
    import_kind(
        org,
        manager,
        tmp_path,
        CAUSED,
        kind="incident",
        columns=INCIDENT_COLUMNS,
        name="caused.csv",
    )

    (march,) = kpis(org, kind="change")

    assert (march.opened, march.changes_normal, march.changes_standard) == (6, 3, 1)
    assert (march.changes_emergency, march.emergency_pct) == (2, round(200 / 6, 2))
    # Closed in March: C1–C4 with an outcome, C6 cancelled without one.
    assert (march.ended, march.with_outcome) == (5, 4)
    assert (march.successful, march.successful_with_issues, march.unsuccessful) == (2, 1, 1)
    assert march.success_rate_pct == 50.0
    assert (march.rolled_back, march.rolled_back_pct) == (1, 20.0)
    assert march.caused_incidents == 1  # C4, named by two incidents
    # Failed: C2 (unsuccessful and rolled back) and C4 (caused incidents), once each.
    assert (march.failed, march.failure_rate_pct) == (2, 40.0)
    assert march.backlog == 1  # C5
    assert [m.caused_incidents for m in kpis(org, kind="change", assignment_group="Ops")] == [0]


def test_a_change_stops_counting_as_a_cause_when_its_incidents_no_longer_name_it(
    org, manager, tmp_path
):
    import_kind(org, manager, tmp_path, CHANGES, kind="change", columns=CHANGE_COLUMNS)
    import_kind(
        org, manager, tmp_path, CAUSED, kind="incident", columns=INCIDENT_COLUMNS, name="a.csv"
    )
    assert kpis(org, kind="change")[0].caused_incidents == 1

    import_kind(
        org,
        manager,
        tmp_path,
        CAUSED.replace(",C4\n", ",\n"),
        kind="incident",
        columns=INCIDENT_COLUMNS,
        name="b.csv",
    )

    (march,) = kpis(org, kind="change")
    assert (march.caused_incidents, march.failed) == (0, 1)


def test_a_problem_raised_from_incidents_reaches_the_kpis_once_the_rollups_are_refreshed(
    org, manager, incidents
):
    with org_scope(org):
        linked = list(Record.objects.filter(source_id__in=["I1", "I2"]))
        problem = raise_problem(
            organisation=org, user=manager, incident_ids=[r.pk for r in linked], title="Disk"
        )
        refresh_rollups(
            organisation=org,
            records=[problem, *Record.objects.filter(pk__in=[r.pk for r in linked])],
        )

    (raised,) = kpis(org, kind="problem")
    assert (raised.month, raised.opened, raised.backlog) == (
        problem.opened_at.date().replace(day=1),
        1,
        1,
    )
    march = kpis(org, kind="incident")[0]
    assert march.linked_to_problem_pct == 50.0  # I1, I2 and I6 of six
