"""Bad input: a history out of order, or one that ends before it starts, is reported for that
ticket by both clocks, never raised, and every other ticket is still computed."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from openitsms.services.clock import (
    MISSING,
    BusinessCalendar,
    ClockPolicy,
    CumulativeIntervals,
    PriorityChange,
    StatusChange,
    Target,
    columns_from_histories,
    compute_clock,
    compute_clocks_bulk,
    current_priority,
    history_problem,
    ola_clocks,
    target_for,
    to_epoch,
)
from openitsms.services.clock.model import HISTORY_PROBLEM_MESSAGES, TARGET_KINDS
from tests.services.clock.test_clock_bulk import Scenario, epoch_or_missing, scenarios

POLICY = ClockPolicy(
    pause_statuses=frozenset({"Pending"}),
    stop_statuses_response=frozenset({"Active", "Pending", "Resolved", "Closed"}),
    stop_statuses_resolution=frozenset({"Resolved", "Closed"}),
)
T0 = datetime(2024, 6, 3, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)
TARGETS = [Target.of("response", "P1", hours=1), Target.of("resolution", "P1", hours=8)]


def numbered(*changes: tuple[timedelta, str]) -> list[StatusChange]:
    """A history numbered 1, 2, 3... in the order given, at T0 plus each offset."""
    return [
        StatusChange(T0 + offset, status, seq=index)
        for index, (offset, status) in enumerate(changes, start=1)
    ]


GOOD = numbered((timedelta(0), "New"), (HOUR, "Active"), (3 * HOUR, "Resolved"))
OUT_OF_ORDER = numbered(
    (timedelta(0), "New"), (2 * HOUR, "Active"), (HOUR, "Pending"), (3 * HOUR, "Resolved")
)
ENDS_BEFORE_START = numbered((5 * HOUR, "New"), (HOUR, "Resolved"))


def reference(history: list[StatusChange], as_of: datetime = T0 + 10 * HOUR):  # type: ignore[no-untyped-def]
    return compute_clock(
        history, [PriorityChange(T0, "P1")], TARGETS, BusinessCalendar.always(), POLICY, as_of
    )


def test_a_history_out_of_order_is_reported_on_every_clock_not_raised() -> None:
    results = reference(OUT_OF_ORDER)
    assert [(r.kind, r.error) for r in results] == [
        ("response", "out_of_order"),
        ("resolution", "out_of_order"),
    ]
    for result in results:
        assert (result.elapsed_business_s, result.paused_s, result.deadline) == (0, 0, None)
        assert result.breached is False and math.isnan(result.percent)
        assert result.started_at == T0


def test_a_history_that_ends_before_it_starts_is_reported_as_such() -> None:
    assert history_problem(ENDS_BEFORE_START) == "ends_before_start"
    (response, resolution) = reference(ENDS_BEFORE_START)
    assert response.error == resolution.error == "ends_before_start"
    assert response.started_at == T0 + 5 * HOUR  # the first change by sequence
    assert "ends before it starts" in HISTORY_PROBLEM_MESSAGES["ends_before_start"]


def test_a_history_numbered_only_in_part_is_reported() -> None:
    partly = [*GOOD[:2], replace(GOOD[2], seq=None)]
    assert history_problem(partly) == "incomplete_sequence"
    assert {r.error for r in reference(partly)} == {"incomplete_sequence"}


def test_the_check_covers_changes_after_as_of() -> None:
    (response, resolution) = reference(OUT_OF_ORDER, as_of=T0 + timedelta(minutes=30))
    assert response.error == resolution.error == "out_of_order"


def test_a_good_numbered_history_gives_the_same_clock_as_an_unnumbered_one() -> None:
    plain = [replace(change, seq=None) for change in GOOD]
    assert history_problem(GOOD) is None and history_problem(plain) is None
    assert reference(GOOD) == reference(plain)
    (response, resolution) = reference(GOOD)
    assert response.error is None and response.elapsed_business_s == 3600
    assert resolution.elapsed_business_s == 3 * 3600


def test_sequence_numbers_order_changes_at_the_same_instant() -> None:
    # Given in the wrong order, but the numbers say Active came after New.
    history = [StatusChange(T0, "Active", seq=2), StatusChange(T0, "New", seq=1)]
    (response, _) = reference(history, as_of=T0 + HOUR)
    assert response.stopped_at == T0 and response.elapsed_business_s == 0
    assert response.error is None


def test_without_sequence_numbers_an_unsorted_list_is_simply_sorted_by_time() -> None:
    shuffled = [replace(change, seq=None) for change in reversed(GOOD)]
    assert history_problem(shuffled) is None
    assert reference(shuffled)[1].elapsed_business_s == 3 * 3600


def test_ola_clocks_report_the_problem_for_each_group_in_the_history() -> None:
    history = [
        StatusChange(T0, "New", "Service Desk", seq=1),
        StatusChange(T0 - HOUR, "Active", "Network", seq=2),
    ]
    results = ola_clocks(
        history,
        [PriorityChange(T0, "P1")],
        {"Service Desk": TARGETS, "Network": TARGETS, "Database": TARGETS},
        BusinessCalendar.always(),
        POLICY,
        T0 + HOUR,
    )
    assert {(r.group, r.kind, r.error) for r in results} == {
        (group, kind, "ends_before_start")
        for group in ("Service Desk", "Network")
        for kind in ("response", "resolution")
    }


def test_bulk_reports_bad_tickets_and_still_computes_the_others() -> None:
    histories = [GOOD, OUT_OF_ORDER, [], ENDS_BEFORE_START, GOOD]
    columns = columns_from_histories(histories, POLICY)
    results = compute_clocks_bulk(
        columns,
        kind="resolution",
        target_s=8 * 3600,
        calendar=BusinessCalendar.always(),
        as_of=T0 + 10 * HOUR,
    )
    assert [results.problem(i) for i in range(5)] == [
        None,
        "out_of_order",
        None,
        "ends_before_start",
        None,
    ]
    assert results.has_clock.tolist() == [True, False, False, False, True]
    assert results.elapsed_business_s.tolist() == [3 * 3600, 0, 0, 0, 3 * 3600]
    assert results.started_at[1] == MISSING and np.isnan(results.percent[1])


def test_bulk_reports_bad_tickets_even_without_a_target() -> None:
    results = compute_clocks_bulk(
        columns_from_histories([OUT_OF_ORDER, GOOD], POLICY),
        kind="response",
        target_s=0,
        calendar=BusinessCalendar.always(),
        as_of=T0,
    )
    assert results.error.tolist()[0] != 0 and results.problem(1) is None
    assert not results.has_clock.any()


@st.composite
def numbered_scenarios(draw: st.DrawFn) -> tuple[Scenario, list[list[StatusChange]]]:
    """The bulk test's random scenarios, numbered in time order and then now and then spoiled."""
    scenario = draw(scenarios())
    histories = []
    for history in scenario.histories:
        ordered = sorted(history, key=lambda change: change.at)
        changes = [replace(change, seq=10 * index) for index, change in enumerate(ordered)]
        spoil = draw(st.sampled_from(["none", "none", "swap", "unnumber", "shift"]))
        if spoil == "swap" and len(changes) >= 2:
            i, j = draw(st.permutations(range(len(changes))))[:2]
            changes[i], changes[j] = (
                replace(changes[i], at=changes[j].at),
                replace(changes[j], at=changes[i].at),
            )
        elif spoil == "unnumber" and changes:
            index = draw(st.integers(0, len(changes) - 1))
            changes[index] = replace(changes[index], seq=None)
        elif spoil == "shift" and changes:
            index = draw(st.integers(0, len(changes) - 1))
            seconds = draw(st.integers(-5 * 86_400, 5 * 86_400))
            changes[index] = replace(
                changes[index], at=changes[index].at + timedelta(seconds=seconds)
            )
        histories.append(draw(st.permutations(changes)))
    return scenario, histories


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(drawn=numbered_scenarios())
def test_bulk_and_reference_agree_on_numbered_histories_good_and_bad(
    drawn: tuple[Scenario, list[list[StatusChange]]],
) -> None:
    scenario, histories = drawn
    columns = columns_from_histories(histories, scenario.policy)
    as_of = np.asarray([to_epoch(instant) for instant in scenario.as_of], dtype=np.int64)
    for kind in TARGET_KINDS:
        # The target in force at as_of: none before the ticket's first priority (the spoiling
        # above can move a change before it).
        goals = [
            target.seconds if (target := target_for(targets, kind, current_priority(p, at))) else 0
            for targets, p, at in zip(
                scenario.targets, scenario.priorities, scenario.as_of, strict=True
            )
        ]
        bulk = compute_clocks_bulk(
            columns, kind=kind, target_s=goals, calendar=scenario.calendar, as_of=as_of
        )
        for ticket, history in enumerate(histories):
            as_of_ticket = scenario.as_of[ticket]
            problem = history_problem(history)
            event(f"problem: {problem}")
            assert bulk.problem(ticket) == problem
            expected = [
                r
                for r in compute_clock(
                    history,
                    scenario.priorities[ticket],
                    scenario.targets[ticket],
                    scenario.calendar,
                    scenario.policy,
                    scenario.as_of[ticket],
                )
                if r.kind == kind
            ]
            if problem is not None:
                assert not bulk.has_clock[ticket]
                # No result at all only when no target applies yet (no priority by as_of).
                has_priority = min(p.at for p in scenario.priorities[ticket]) <= as_of_ticket
                assert [r.error for r in expected] == ([problem] if has_priority else [])
                continue
            assert bool(bulk.has_clock[ticket]) == bool(expected)
            if not expected:
                continue
            (ref,) = expected
            assert ref.error is None
            assert (
                int(bulk.started_at[ticket]),
                int(bulk.elapsed_business_s[ticket]),
                int(bulk.elapsed_calendar_s[ticket]),
                int(bulk.paused_s[ticket]),
                int(bulk.deadline[ticket]),
                int(bulk.stopped_at[ticket]),
            ) == (
                to_epoch(ref.started_at),
                ref.elapsed_business_s,
                ref.elapsed_calendar_s,
                ref.paused_s,
                epoch_or_missing(ref.deadline),
                epoch_or_missing(ref.stopped_at),
            )


def test_rows_given_in_any_order_give_the_same_results_as_rows_in_replay_order() -> None:
    generator = random.Random(7)
    histories = []
    for _ticket in range(300):
        at = T0 + timedelta(minutes=generator.randrange(0, 20_000))
        history = []
        for _ in range(generator.randrange(1, 7)):
            history.append(
                StatusChange(at, generator.choice(["New", "Active", "Pending", "Resolved"]))
            )
            at += timedelta(minutes=generator.randrange(0, 3_000))
        histories.append(history)
    ordered = columns_from_histories(histories, POLICY)
    shuffle = np.random.default_rng(3).permutation(ordered.ticket.size)
    shuffled = replace(
        ordered,
        **{
            name: getattr(ordered, name)[shuffle]
            for name in (
                "ticket",
                "at",
                "is_pause",
                "is_stop_response",
                "is_stop_resolution",
                "status",
                "group",
            )
        },
    )
    calendar = BusinessCalendar(
        "Europe/London", {day: [(T0.time(), T0.time())] for day in range(5)}
    )
    for kind in TARGET_KINDS:
        first, second = (
            compute_clocks_bulk(
                c, kind=kind, target_s=4 * 3600, calendar=calendar, as_of=T0 + timedelta(days=30)
            )
            for c in (ordered, shuffled)
        )
        # Ties at one instant keep the given order, which the shuffle changes: compare only
        # tickets whose changes all have distinct instants.
        distinct = np.asarray([len({c.at for c in h}) == len(h) for h in histories])
        for name in ("elapsed_business_s", "paused_s", "deadline", "stopped_at", "started_at"):
            assert np.array_equal(getattr(first, name)[distinct], getattr(second, name)[distinct])


@settings(max_examples=60, deadline=None, database=None)
@given(
    lengths=st.lists(
        st.tuples(st.integers(0, 20_000), st.integers(1, 20_000)), min_size=0, max_size=60
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_many_look_ups_at_once_agree_with_a_binary_search(
    lengths: list[tuple[int, int]], seed: int
) -> None:
    pairs, cursor = [], 0
    for gap, length in lengths:
        pairs.append((cursor + gap + 1, cursor + gap + 1 + length))
        cursor = pairs[-1][1]
    table = CumulativeIntervals.from_pairs(pairs, window_start=0, window_end=cursor + 1)
    probes = np.random.default_rng(seed).integers(-50_000, cursor + 50_000, 10_000)
    index = np.searchsorted(table.ends, probes, side="right")
    expected = np.asarray(
        [
            (int(table.cumulative[i - 1]) if i else 0)
            + (max(0, p - int(table.starts[i])) if i < table.starts.size else 0)
            for p, i in zip(probes.tolist(), index.tolist(), strict=True)
        ]
    )
    assert np.array_equal(table.measure_until(probes), expected)


def test_rows_spanning_centuries_are_sorted_too() -> None:
    # More than 2**32 seconds between the earliest and the latest change: the clock cannot pack
    # (ticket, time) into one sort key and falls back to a plain multi-key sort.
    early = [StatusChange(datetime(1901, 1, 1, tzinfo=UTC), "New", seq=1)]
    late = [
        StatusChange(datetime(2099, 1, 1, 1, tzinfo=UTC), "Resolved", seq=2),
        StatusChange(datetime(2099, 1, 1, tzinfo=UTC), "Active", seq=1),
    ]
    for histories in ([late, early], [[replace(c, seq=None) for c in h] for h in (late, early)]):
        results = compute_clocks_bulk(
            columns_from_histories(histories, POLICY),
            kind="resolution",
            target_s=7200,
            calendar=BusinessCalendar.always(),
            as_of=datetime(2099, 1, 2, tzinfo=UTC),
        )
        assert results.elapsed_business_s.tolist()[0] == 3600
        assert results.problem(0) is None
