"""The per-ticket clock against hand-worked tickets, one per pitfall other tools hit.

Unless said otherwise the calendar is 09:00–17:00 Monday–Friday in London with English bank
holidays (``london_office``); Pending pauses, Resolved/Closed stop the resolution clock and
anything but New answers the response target (``policy``).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from openitsms.services.clock import (
    BusinessCalendar,
    ClockPolicy,
    ClockResult,
    PriorityChange,
    ReopenPolicy,
    StatusChange,
    Target,
    compute_clock,
    ola_clocks,
    strictest,
)

LONDON = ZoneInfo("Europe/London")
HOUR = 3600
MINUTE = 60


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def only(results: list[ClockResult], kind: str) -> ClockResult:
    (result,) = [result for result in results if result.kind == kind]
    return result


# --- weekends and holidays with day-based targets ------------------------------------------

# Opened Friday 24 May 2024 at 16:00, pending over the weekend and the Spring Bank Holiday
# (Monday 27 May) until Tuesday 10:00, resolved Tuesday 12:00.
BANK_HOLIDAY_TICKET = [
    StatusChange(london(2024, 5, 24, 16), "New"),
    StatusChange(london(2024, 5, 24, 16, 15), "Active"),
    StatusChange(london(2024, 5, 24, 16, 30), "Pending"),
    StatusChange(london(2024, 5, 28, 10), "Active"),
    StatusChange(london(2024, 5, 28, 12), "Resolved"),
]
ONE_WORKING_DAY = Target.of("resolution", "P3", days=1, day_length=timedelta(hours=8))


def test_pending_over_weekend_and_bank_holiday_is_not_double_counted(
    london_office: BusinessCalendar, policy: ClockPolicy
) -> None:
    results = compute_clock(
        BANK_HOLIDAY_TICKET,
        [PriorityChange(london(2024, 5, 24, 16), "P3")],
        [ONE_WORKING_DAY, Target.of("response", "P3", hours=1)],
        london_office,
        policy,
        as_of=london(2024, 6, 3),
    )
    resolution = only(results, "resolution")
    # Running: Fri 16:00–16:30 and Tue 10:00–12:00. Paused: Fri 16:30–17:00 and Tue 09–10.
    assert resolution.elapsed_business_s == 2 * HOUR + 30 * MINUTE
    assert resolution.paused_s == HOUR + 30 * MINUTE
    opened_to_resolved = london_office.business_seconds(
        london(2024, 5, 24, 16), london(2024, 5, 28, 12)
    )
    assert resolution.elapsed_business_s + resolution.paused_s == opened_to_resolved == 4 * HOUR
    assert resolution.elapsed_calendar_s == 2 * HOUR + 30 * MINUTE
    assert resolution.stopped_at == london(2024, 5, 28, 12)
    # Stopped short of the target: the deadline in force when it stopped, 5 h 30 of working
    # time after Tuesday 12:00.
    assert resolution.deadline == london(2024, 5, 29, 9, 30)
    assert (resolution.breached, resolution.percent) == (False, 31.25)
    response = only(results, "response")
    assert (response.elapsed_business_s, response.stopped_at) == (
        15 * MINUTE,
        london(2024, 5, 24, 16, 15),
    )
    assert response.deadline == london(2024, 5, 24, 17)


def test_paused_at_as_of_projects_the_deadline_from_now(
    london_office: BusinessCalendar, policy: ClockPolicy
) -> None:
    (resolution,) = compute_clock(
        BANK_HOLIDAY_TICKET,
        [PriorityChange(london(2024, 5, 24, 16), "P3")],
        [ONE_WORKING_DAY],
        london_office,
        policy,
        as_of=london(2024, 5, 28, 9, 30),  # still pending
    )
    assert resolution.elapsed_business_s == 30 * MINUTE
    assert resolution.paused_s == 30 * MINUTE + 30 * MINUTE
    assert resolution.stopped_at is None
    # 7 h 30 left, counted from 09:30 Tuesday as if work resumed now.
    assert resolution.deadline == london(2024, 5, 28, 17)


# --- priority changed mid-ticket ----------------------------------------------------------


def test_priority_change_swaps_the_target_and_keeps_pending_time(
    london_office: BusinessCalendar, policy: ClockPolicy
) -> None:
    targets = [
        Target.of("resolution", "P3", hours=16),
        Target.of("resolution", "P1", hours=2),
    ]
    # Raised from P3 to P1 on Tuesday 09:15, while the ticket was pending.
    raised = [
        PriorityChange(london(2024, 5, 24, 16), "P3"),
        PriorityChange(london(2024, 5, 28, 9, 15), "P1"),
    ]
    as_of = london(2024, 6, 3)
    (after,) = compute_clock(BANK_HOLIDAY_TICKET, raised, targets, london_office, policy, as_of)
    (p1_all_along,) = compute_clock(
        BANK_HOLIDAY_TICKET,
        [PriorityChange(london(2024, 5, 24, 16), "P1")],
        targets,
        london_office,
        policy,
        as_of,
    )
    assert after == p1_all_along
    assert (after.priority, after.target_s) == ("P1", 2 * HOUR)
    assert after.paused_s == HOUR + 30 * MINUTE  # the pending time survives the change
    assert after.elapsed_business_s == 2 * HOUR + 30 * MINUTE
    assert after.breached and after.percent == 125.0
    # Reached 2 h at Tuesday 11:30 in the actual history.
    assert after.deadline == london(2024, 5, 28, 11, 30)

    (before,) = compute_clock(
        BANK_HOLIDAY_TICKET, raised, targets, london_office, policy, london(2024, 5, 28, 9)
    )
    assert (before.priority, before.target_s) == ("P3", 16 * HOUR)


def test_the_strictest_matching_target_wins(
    london_office: BusinessCalendar, policy: ClockPolicy
) -> None:
    gold = Target.of("resolution", "P3", hours=4)
    silver = Target.of("resolution", "P3", hours=8)
    assert strictest([silver, gold]) == gold
    assert strictest([]) is None
    (result,) = compute_clock(
        BANK_HOLIDAY_TICKET,
        [PriorityChange(london(2024, 5, 24, 16), "P3")],
        [silver, gold, Target.of("resolution", "P1", hours=1)],
        london_office,
        policy,
        london(2024, 6, 3),
    )
    assert result.target_s == 4 * HOUR


# --- reopen ---------------------------------------------------------------------------------

# 24×7 in UTC: open 10:00, resolved 12:00, reopened 15:00, resolved again 16:00.
REOPENED = [
    StatusChange(utc(2024, 6, 3, 10), "Active"),
    StatusChange(utc(2024, 6, 3, 12), "Resolved"),
    StatusChange(utc(2024, 6, 3, 15), "Active"),
    StatusChange(utc(2024, 6, 3, 16), "Resolved"),
]


@pytest.mark.parametrize(
    ("reopen", "started", "elapsed", "deadline"),
    [
        ("resume", utc(2024, 6, 3, 10), 3 * HOUR, utc(2024, 6, 3, 17)),
        ("restart", utc(2024, 6, 3, 15), 1 * HOUR, utc(2024, 6, 3, 19)),
    ],
)
def test_reopen_resumes_or_restarts_by_policy(
    policy: ClockPolicy, reopen: ReopenPolicy, started: datetime, elapsed: int, deadline: datetime
) -> None:
    chosen = dataclasses.replace(policy, reopen=reopen)
    results = compute_clock(
        REOPENED,
        [PriorityChange(utc(2024, 6, 3, 10), "P2")],
        [Target.of("resolution", "P2", hours=4), Target.of("response", "P2", hours=1)],
        BusinessCalendar.always(),
        chosen,
        as_of=utc(2024, 6, 3, 18),
    )
    resolution = only(results, "resolution")
    assert resolution.started_at == started
    assert resolution.elapsed_business_s == resolution.elapsed_calendar_s == elapsed
    assert resolution.stopped_at == utc(2024, 6, 3, 16)
    assert resolution.deadline == deadline  # time spent resolved does not count
    # The response target was met at opening; a reopen never restarts it.
    response = only(results, "response")
    assert (response.elapsed_business_s, response.stopped_at) == (0, utc(2024, 6, 3, 10))


def test_reopened_ticket_that_is_open_now_counts_up_to_as_of(policy: ClockPolicy) -> None:
    (resolution,) = compute_clock(
        REOPENED[:3],
        [PriorityChange(utc(2024, 6, 3, 10), "P2")],
        [Target.of("resolution", "P2", hours=4)],
        BusinessCalendar.always(),
        policy,
        as_of=utc(2024, 6, 3, 17),
    )
    assert resolution.elapsed_business_s == 4 * HOUR
    assert resolution.stopped_at is None
    assert not resolution.breached  # exactly at target is not a breach
    assert resolution.percent == 100.0
    assert resolution.deadline == utc(2024, 6, 3, 17)


# --- reassignment between groups (OLA) ------------------------------------------------------


def test_ola_clocks_count_only_the_time_each_group_held_the_ticket(
    london_office: BusinessCalendar, policy: ClockPolicy
) -> None:
    history = [
        StatusChange(london(2024, 6, 3, 9), "Active", "Service Desk"),
        StatusChange(london(2024, 6, 3, 11), "Active", "Network"),
        StatusChange(london(2024, 6, 3, 13), "Pending", "Network"),
        StatusChange(london(2024, 6, 3, 14), "Active", "Network"),
        StatusChange(london(2024, 6, 3, 15), "Active", "Service Desk"),
        StatusChange(london(2024, 6, 4, 10), "Resolved", "Service Desk"),
    ]
    priorities = [PriorityChange(london(2024, 6, 3, 9), "P2")]
    four_hours = [Target.of("resolution", "P2", hours=4)]
    as_of = london(2024, 6, 5)
    desk, network = ola_clocks(
        history,
        priorities,
        {"Service Desk": four_hours, "Network": four_hours, "Database": four_hours},
        london_office,
        policy,
        as_of,
    )
    # Service Desk: Mon 09–11, Mon 15–17, Tue 09–10.
    assert (desk.group, desk.elapsed_business_s, desk.paused_s) == ("Service Desk", 5 * HOUR, 0)
    assert desk.breached and desk.stopped_at == london(2024, 6, 4, 10)
    assert desk.deadline == london(2024, 6, 3, 17)  # its 4th hour ended at Monday's close
    # Network: Mon 11–13 and 14–15 running, 13–14 pending; it handed the ticket on at 15:00.
    assert (network.group, network.elapsed_business_s, network.paused_s) == (
        "Network",
        3 * HOUR,
        HOUR,
    )
    assert network.started_at == london(2024, 6, 3, 11)
    assert network.stopped_at == london(2024, 6, 3, 15)
    assert network.deadline == london(2024, 6, 3, 16)
    # The SLA clock runs throughout, whoever holds the ticket.
    (sla,) = compute_clock(history, priorities, four_hours, london_office, policy, as_of)
    assert (sla.elapsed_business_s, sla.paused_s) == (8 * HOUR, HOUR)


# --- daylight-saving changes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "opened", "resolved", "hours"),
    [
        ("Europe/London", datetime(2024, 3, 30, 12), datetime(2024, 3, 31, 12), 23),
        ("Europe/London", datetime(2024, 10, 26, 12), datetime(2024, 10, 27, 12), 25),
        ("America/New_York", datetime(2024, 3, 9, 12), datetime(2024, 3, 10, 12), 23),
        ("America/New_York", datetime(2024, 11, 2, 12), datetime(2024, 11, 3, 12), 25),
    ],
)
def test_a_24x7_clock_over_a_dst_change_counts_real_hours(
    policy: ClockPolicy, tz: str, opened: datetime, resolved: datetime, hours: int
) -> None:
    """Noon to noon across the change is 23 h in spring and 25 h in autumn."""
    zone = ZoneInfo(tz)
    start, end = opened.replace(tzinfo=zone), resolved.replace(tzinfo=zone)
    (result,) = compute_clock(
        [StatusChange(start, "Active"), StatusChange(end, "Resolved")],
        [PriorityChange(start, "P1")],
        [Target.of("resolution", "P1", days=1)],
        BusinessCalendar.always(tz),
        policy,
        as_of=end + timedelta(days=2),
    )
    assert result.elapsed_business_s == result.elapsed_calendar_s == hours * HOUR
    assert result.breached == (hours > 24)


@pytest.mark.parametrize(
    ("tz", "saturday"),
    [("Europe/London", date(2024, 3, 30)), ("America/New_York", date(2024, 3, 9))],
)
def test_a_working_day_clock_over_a_dst_weekend_counts_eight_hours_a_day(
    policy: ClockPolicy, tz: str, saturday: date
) -> None:
    zone = ZoneInfo(tz)
    seven_days = BusinessCalendar(tz, {day: [(time(9), time(17))] for day in range(7)})
    opened = datetime.combine(saturday, time(9), zone)
    monday = datetime.combine(saturday + timedelta(days=2), time(9), zone)
    (result,) = compute_clock(
        [StatusChange(opened, "Active"), StatusChange(monday, "Resolved")],
        [PriorityChange(opened, "P1")],
        [Target.of("resolution", "P1", days=2, day_length=timedelta(hours=8))],
        seven_days,
        policy,
        as_of=monday,
    )
    # Saturday and Sunday 09:00–17:00; 47 real hours because Sunday lost one.
    assert result.elapsed_business_s == 16 * HOUR
    assert result.elapsed_calendar_s == 47 * HOUR
    assert not result.breached
    assert result.deadline == datetime.combine(saturday + timedelta(days=1), time(17), zone)


# --- units -------------------------------------------------------------------------------


def test_targets_are_normalised_to_whole_seconds() -> None:
    assert Target.of("response", "P1", hours=4) == Target("response", "P1", 14_400)
    assert Target.of("resolution", "P1", days=1).seconds == 86_400
    assert Target.of("resolution", "P1", days=2, day_length=timedelta(hours=8)).seconds == 57_600
    assert Target.from_timedelta("response", "P1", timedelta(minutes=90)).seconds == 5_400
    with pytest.raises(TypeError):
        Target("response", "P1", 4.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Target("response", "P1", True)
    with pytest.raises(ValueError, match="positive"):
        Target("response", "P1", 0)
    with pytest.raises(ValueError, match="whole number"):
        Target.from_timedelta("response", "P1", timedelta(milliseconds=1500))
    with pytest.raises(ValueError, match="kind"):
        Target("ttr", "P1", 60)  # type: ignore[arg-type]


def test_a_target_in_hours_is_compared_in_seconds(policy: ClockPolicy) -> None:
    # 90 minutes elapsed against a 1-hour target is a breach, not "90 < 3600".
    start = utc(2024, 6, 3, 10)
    (result,) = compute_clock(
        [StatusChange(start, "New")],
        [PriorityChange(start, "P1")],
        [Target.of("response", "P1", hours=1)],
        BusinessCalendar.always(),
        policy,
        as_of=start + timedelta(minutes=90),
    )
    assert result.breached and result.percent == 150.0


# --- edges of the history ----------------------------------------------------------------


def test_no_clock_without_history_or_priority(policy: ClockPolicy) -> None:
    start = utc(2024, 6, 3, 10)
    targets = [Target.of("response", "P1", hours=1)]
    calendar = BusinessCalendar.always()
    assert compute_clock([], [PriorityChange(start, "P1")], targets, calendar, policy, start) == []
    assert compute_clock([StatusChange(start, "New")], [], targets, calendar, policy, start) == []
    # Opened after as_of: no clock yet.
    assert (
        compute_clock(
            [StatusChange(start, "New")],
            [PriorityChange(start, "P1")],
            targets,
            calendar,
            policy,
            start - timedelta(seconds=1),
        )
        == []
    )


def test_history_is_replayed_in_time_order_and_changes_after_as_of_are_ignored(
    policy: ClockPolicy,
) -> None:
    start = utc(2024, 6, 3, 10)
    history = [
        StatusChange(start + timedelta(hours=3), "Resolved"),
        StatusChange(start, "Active"),
        StatusChange(start + timedelta(hours=1), "Pending"),
    ]
    (result,) = compute_clock(
        history,
        [PriorityChange(start, "P1")],
        [Target.of("resolution", "P1", hours=8)],
        BusinessCalendar.always(),
        policy,
        as_of=start + timedelta(hours=2, microseconds=500),
    )
    assert (result.elapsed_business_s, result.paused_s, result.stopped_at) == (HOUR, HOUR, None)
    # Paused at as_of: 7 h left, projected from as_of (microseconds dropped).
    assert result.deadline == start + timedelta(hours=9)


def test_response_clock_can_be_paused_when_pending_does_not_count_as_a_response() -> None:
    policy = ClockPolicy(
        pause_statuses=frozenset({"Pending"}),
        stop_statuses_response=frozenset({"Active"}),
        stop_statuses_resolution=frozenset({"Resolved"}),
    )
    start = utc(2024, 6, 3, 10)
    history = [
        StatusChange(start, "New"),
        StatusChange(start + timedelta(minutes=10), "Pending"),
        StatusChange(start + timedelta(minutes=50), "Active"),
    ]
    (response,) = compute_clock(
        history,
        [PriorityChange(start, "P1")],
        [Target.of("response", "P1", minutes=30)],
        BusinessCalendar.always(),
        policy,
        as_of=start + timedelta(hours=1),
    )
    assert (response.elapsed_business_s, response.paused_s) == (10 * MINUTE, 40 * MINUTE)
    assert response.stopped_at == start + timedelta(minutes=50)
    # Stopped short: 20 more minutes from the response instant.
    assert response.deadline == start + timedelta(minutes=70)


def test_deadline_is_none_when_the_calendar_never_opens(policy: ClockPolicy) -> None:
    start = utc(2024, 6, 3, 10)
    (result,) = compute_clock(
        [StatusChange(start, "Active")],
        [PriorityChange(start, "P1")],
        [Target.of("resolution", "P1", hours=1)],
        BusinessCalendar("UTC", {}),
        policy,
        as_of=start + timedelta(days=3),
    )
    assert (result.elapsed_business_s, result.elapsed_calendar_s) == (0, 3 * 86_400)
    assert result.deadline is None
