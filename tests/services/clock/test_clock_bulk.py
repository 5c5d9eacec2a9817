"""The bulk clock agrees with the reference clock to the second, and both obey invariants.

Random calendars (a zone with DST changes near the window, random segments including ones
crossing midnight and whole days, random holidays and closures) and random histories
(pauses, stops, reopenings, changes at the same instant) are replayed by both clocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from openitsms.services.clock import (
    MISSING,
    SEARCH_LIMIT,
    BusinessCalendar,
    ClockPolicy,
    ClockResult,
    PriorityChange,
    StatusChange,
    Target,
    columns_from_histories,
    compute_clock,
    compute_clocks_bulk,
    from_epoch,
    target_seconds,
    to_epoch,
)
from openitsms.services.clock.model import TARGET_KINDS, ReopenPolicy

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "America/Havana", "UTC"]
# Each start is a few weeks before DST changes of the zones above (2024: US and Havana on
# 10 March and 3 November, Europe on 31 March and 27 October, Sydney on 7 April and 6
# October), so that windows of up to ~40 days cross them.
WINDOW_STARTS = [
    datetime(2024, 2, 25, tzinfo=UTC),
    datetime(2024, 3, 20, tzinfo=UTC),
    datetime(2024, 9, 25, tzinfo=UTC),
    datetime(2024, 10, 15, tzinfo=UTC),
]
# Repeats weight the draw towards the statuses that make the clock interesting.
STATUSES = ["New", "Active", "Active", "Pending", "Pending", "Resolved", "Closed"]
GROUPS = [None, "Service Desk", "Network"]
DAY = 86_400


@dataclass(frozen=True)
class Scenario:
    calendar: BusinessCalendar
    policy: ClockPolicy
    histories: list[list[StatusChange]]
    priorities: list[list[PriorityChange]]
    targets: list[list[Target]]
    as_of: list[datetime]


def quarter_hour(quarter: int) -> time:
    return time(quarter % 96 // 4, quarter % 4 * 15)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    window = draw(st.sampled_from(WINDOW_STARTS))
    # A segment of 1 to 96 quarter hours; 96 makes start == end, a whole day.
    segment = st.tuples(st.integers(0, 95), st.integers(1, 96)).map(
        lambda q: (quarter_hour(q[0]), quarter_hour(q[0] + q[1]))
    )
    weekly = {day: draw(st.lists(segment, max_size=2)) for day in range(7)}
    if draw(st.integers(0, 19)) == 0:
        weekly = {}  # now and then a calendar that never opens
    first_day = window.date()
    holidays = draw(
        st.frozensets(st.integers(0, 50).map(lambda n: first_day + timedelta(days=n)), max_size=5)
    )
    closures = draw(
        st.lists(
            st.tuples(st.integers(0, 45 * DAY), st.integers(1, 3 * DAY)).map(
                lambda c: (
                    window + timedelta(seconds=c[0]),
                    window + timedelta(seconds=c[0] + c[1]),
                )
            ),
            max_size=2,
        )
    )
    calendar = BusinessCalendar(draw(st.sampled_from(ZONES)), weekly, holidays, closures)
    reopen: ReopenPolicy = draw(st.sampled_from(["resume", "restart"]))
    policy = ClockPolicy(
        pause_statuses=frozenset({"Pending"}),
        stop_statuses_response=frozenset({"Active", "Pending", "Resolved", "Closed"}),
        stop_statuses_resolution=frozenset({"Resolved", "Closed"}),
        reopen=reopen,
    )
    histories, priorities, targets, as_of = [], [], [], []
    for _ in range(draw(st.integers(1, 6))):
        instant = window + timedelta(seconds=draw(st.integers(0, 20 * DAY)))
        history = []
        for _ in range(draw(st.integers(0, 8))):
            history.append(
                StatusChange(
                    instant, draw(st.sampled_from(STATUSES)), draw(st.sampled_from(GROUPS))
                )
            )
            gap = draw(st.one_of(st.just(0), st.integers(1, 3 * DAY)))
            instant += timedelta(seconds=gap)
        opened = history[0].at if history else window
        histories.append(draw(st.permutations(history)) if draw(st.booleans()) else history)
        priorities.append([PriorityChange(opened, "P")])
        target = st.one_of(st.integers(1, 4 * 3600), st.integers(1, 2 * DAY))
        targets.append([Target(kind, "P", draw(target)) for kind in TARGET_KINDS])
        # Mostly after the opening, sometimes just before it (no clock yet).
        as_of.append(opened + timedelta(seconds=draw(st.integers(-DAY, 25 * DAY))))
    return Scenario(calendar, policy, histories, priorities, targets, as_of)


def epoch_or_missing(instant: datetime | None) -> int:
    return MISSING if instant is None else to_epoch(instant)


def check_invariants(result: ClockResult, calendar: BusinessCalendar, as_of: datetime) -> None:
    assert 0 <= result.elapsed_business_s <= result.elapsed_calendar_s
    window = calendar.business_seconds(result.started_at, as_of)
    assert result.elapsed_business_s + result.paused_s <= window
    assert result.elapsed_calendar_s <= (as_of - result.started_at) // timedelta(seconds=1)
    assert result.deadline is None or result.deadline >= result.started_at
    assert result.breached == (result.percent > 100)
    if result.stopped_at is not None:
        assert result.started_at <= result.stopped_at <= as_of


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
def test_bulk_agrees_with_reference_to_the_second(scenario: Scenario) -> None:
    columns = columns_from_histories(scenario.histories, scenario.policy)
    as_of = np.asarray([to_epoch(instant) for instant in scenario.as_of], dtype=np.int64)
    for kind in TARGET_KINDS:
        goals = [
            next(target.seconds for target in targets if target.kind == kind)
            for targets in scenario.targets
        ]
        bulk = compute_clocks_bulk(
            columns, kind=kind, target_s=goals, calendar=scenario.calendar, as_of=as_of
        )
        for ticket, history in enumerate(scenario.histories):
            expected = [
                result
                for result in compute_clock(
                    history,
                    scenario.priorities[ticket],
                    scenario.targets[ticket],
                    scenario.calendar,
                    scenario.policy,
                    scenario.as_of[ticket],
                )
                if result.kind == kind
            ]
            assert bool(bulk.has_clock[ticket]) == bool(expected)
            if not expected:
                continue
            (reference,) = expected
            event(f"{kind}: {'stopped' if reference.stopped_at else 'live'}")
            event(f"{kind}: {'breached' if reference.breached else 'within target'}")
            if reference.deadline is None:
                event("no deadline within the search limit")
            if reference.paused_s:
                event("paused some time")
            if reference.started_at > min(change.at for change in history):
                event("clock restarted at a reopen")
            check_invariants(reference, scenario.calendar, scenario.as_of[ticket])
            assert {
                "started_at": int(bulk.started_at[ticket]),
                "elapsed_business_s": int(bulk.elapsed_business_s[ticket]),
                "elapsed_calendar_s": int(bulk.elapsed_calendar_s[ticket]),
                "paused_s": int(bulk.paused_s[ticket]),
                "deadline": int(bulk.deadline[ticket]),
                "stopped_at": int(bulk.stopped_at[ticket]),
                "breached": bool(bulk.breached[ticket]),
                "percent": float(bulk.percent[ticket]),
            } == {
                "started_at": to_epoch(reference.started_at),
                "elapsed_business_s": reference.elapsed_business_s,
                "elapsed_calendar_s": reference.elapsed_calendar_s,
                "paused_s": reference.paused_s,
                "deadline": epoch_or_missing(reference.deadline),
                "stopped_at": epoch_or_missing(reference.stopped_at),
                "breached": reference.breached,
                "percent": reference.percent,
            }


POLICY = ClockPolicy(
    pause_statuses=frozenset({"Pending"}),
    stop_statuses_response=frozenset({"Active", "Pending", "Resolved", "Closed"}),
    stop_statuses_resolution=frozenset({"Resolved", "Closed"}),
)
T0 = datetime(2024, 6, 3, 10, tzinfo=UTC)


def test_rows_without_a_clock_are_marked_and_instants_view_as_datetimes() -> None:
    histories = [
        [StatusChange(T0, "Active"), StatusChange(T0 + timedelta(hours=2), "Resolved")],
        [],  # no history
        [StatusChange(T0 + timedelta(days=9), "New")],  # opened after as_of
        [StatusChange(T0, "New")],  # no target
    ]
    columns = columns_from_histories(histories, POLICY)
    results = compute_clocks_bulk(
        columns,
        kind="resolution",
        target_s=[3600, 3600, 3600, 0],
        calendar=BusinessCalendar.always(),
        as_of=T0 + timedelta(days=1),
    )
    assert results.has_clock.tolist() == [True, False, False, False]
    assert results.elapsed_business_s.tolist() == [7200, 0, 0, 0]
    assert results.breached.tolist() == [True, False, False, False]
    assert np.isnan(results.percent[1:]).all()
    deadlines = results.deadline.view("datetime64[s]")
    assert deadlines[0] == np.datetime64("2024-06-03T11:00:00")
    assert np.isnat(deadlines[1:]).all()
    assert from_epoch(int(results.stopped_at[0])) == T0 + timedelta(hours=2)


def test_targets_follow_each_tickets_current_priority() -> None:
    priorities = [
        [PriorityChange(T0, "P3"), PriorityChange(T0 + timedelta(hours=1), "P1")],
        [PriorityChange(T0, "P3"), PriorityChange(T0 + timedelta(days=5), "P1")],
        [],
    ]
    targets = [
        Target.of("resolution", "P1", hours=4),
        Target.of("resolution", "P3", hours=16),
        Target.of("resolution", "P3", hours=12),
    ]
    seconds = target_seconds(priorities, targets, "resolution", T0 + timedelta(days=1))
    assert seconds.tolist() == [4 * 3600, 12 * 3600, 0]


def test_empty_input_and_a_calendar_that_never_opens() -> None:
    empty = compute_clocks_bulk(
        columns_from_histories([], POLICY),
        kind="response",
        target_s=60,
        calendar=BusinessCalendar.always(),
        as_of=T0,
    )
    assert empty.has_clock.size == 0
    closed = compute_clocks_bulk(
        columns_from_histories([[StatusChange(T0, "New")]], POLICY),
        kind="response",
        target_s=60,
        calendar=BusinessCalendar("UTC", {}),
        as_of=T0 + timedelta(hours=1),
    )
    assert closed.deadline.tolist() == [MISSING]
    assert closed.elapsed_calendar_s.tolist() == [3600]


def test_holiday_dates_reach_the_bulk_table(london_office: BusinessCalendar) -> None:
    christmas_eve = datetime(2024, 12, 24, 16, tzinfo=UTC)
    results = compute_clocks_bulk(
        columns_from_histories([[StatusChange(christmas_eve, "Active")]], POLICY),
        kind="resolution",
        target_s=2 * 3600,
        calendar=london_office,
        as_of=datetime(2024, 12, 27, 9, 30, tzinfo=UTC),
    )
    assert results.elapsed_business_s.tolist() == [3600 + 1800]
    # 16:00–17:00 on the 24th, 09:00–09:30 on the 27th; the last half hour runs from as_of.
    assert from_epoch(int(results.deadline[0])) == datetime(2024, 12, 27, 10, tzinfo=UTC)
    assert date(2024, 12, 25) in london_office.holidays


def bulk_and_reference(
    history: list[StatusChange], target: Target, calendar: BusinessCalendar, as_of: datetime
) -> tuple[int, datetime | None]:
    """The deadline from both clocks for one ticket: bulk as epoch seconds, reference as is."""
    bulk = compute_clocks_bulk(
        columns_from_histories([history], POLICY),
        kind=target.kind,
        target_s=target.seconds,
        calendar=calendar,
        as_of=as_of,
    )
    (reference,) = compute_clock(
        history, [PriorityChange(history[0].at, target.priority)], [target], calendar, POLICY, as_of
    )
    return int(bulk.deadline[0]), reference.deadline


def test_target_reached_exactly_at_a_stop_gives_that_instant_on_both_paths() -> None:
    history = [StatusChange(T0, "Active"), StatusChange(T0 + timedelta(hours=2), "Resolved")]
    bulk, reference = bulk_and_reference(
        history,
        Target.of("resolution", "P1", hours=2),
        BusinessCalendar.always(),
        T0 + timedelta(hours=3),
    )
    assert reference == T0 + timedelta(hours=2)
    assert bulk == to_epoch(reference)


def test_deadline_just_past_the_search_limit_is_none_on_both_paths() -> None:
    # Closed for the whole search limit and ten days more, then open 24x7.
    long_closure = (T0, T0 + SEARCH_LIMIT + timedelta(days=10))
    calendar = BusinessCalendar(
        "UTC", {day: [(time(0), time(0))] for day in range(7)}, closures=[long_closure]
    )
    history = [StatusChange(T0, "Active")]
    target = Target.of("resolution", "P1", hours=1)
    assert bulk_and_reference(history, target, calendar, T0) == (MISSING, None)
    # Starting the clock eleven days later brings the deadline inside the limit.
    later = [StatusChange(T0 + timedelta(days=11), "Active")]
    bulk, reference = bulk_and_reference(later, target, calendar, T0 + timedelta(days=11))
    assert reference == long_closure[1] + timedelta(hours=1)
    assert bulk == to_epoch(reference)
