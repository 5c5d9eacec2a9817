"""The bulk OLA clock: one clock per (ticket, group) pair, agreeing with ``ola_clocks``.

Hand-worked reassignments first, then random histories (the bulk agreement tests'
scenarios: reassignments, pauses, reopenings, changes at one instant, DST changes, and
numbered histories good and bad) replayed by both clocks.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from openitsms.services.clock import (
    MISSING,
    BulkOlaResults,
    BusinessCalendar,
    ClockPolicy,
    ClockResult,
    PriorityChange,
    StatusChange,
    Target,
    columns_from_histories,
    compute_ola_clocks_bulk,
    from_epoch,
    history_problem,
    ola_clocks,
    ola_target_seconds,
    to_epoch,
)
from openitsms.services.clock.model import TARGET_KINDS, ReopenPolicy, TargetKind
from tests.services.clock.test_clock_bad_input import numbered_scenarios
from tests.services.clock.test_clock_bulk import Scenario, scenarios

LONDON = ZoneInfo("Europe/London")
HOUR = 3600
T0 = datetime(2024, 6, 3, 10, tzinfo=UTC)
H = timedelta(hours=1)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def policy_with(reopen: ReopenPolicy) -> ClockPolicy:
    return ClockPolicy(
        pause_statuses=frozenset({"Pending"}),
        stop_statuses_response=frozenset({"Active", "Pending", "Resolved", "Closed"}),
        stop_statuses_resolution=frozenset({"Resolved", "Closed"}),
        reopen=reopen,
    )


def row_numbers(results: BulkOlaResults, row: int) -> dict[str, object]:
    """One bulk row in the reference's terms (instants as datetimes, ``None`` for none)."""

    def instant(value: int) -> datetime | None:
        return None if value == MISSING else from_epoch(value)

    return {
        "group": results.group_name(row),
        "target_s": int(results.target_s[row]),
        "started_at": instant(int(results.started_at[row])),
        "elapsed_business_s": int(results.elapsed_business_s[row]),
        "elapsed_calendar_s": int(results.elapsed_calendar_s[row]),
        "paused_s": int(results.paused_s[row]),
        "deadline": instant(int(results.deadline[row])),
        "stopped_at": instant(int(results.stopped_at[row])),
        "breached": bool(results.breached[row]),
        "percent": float(results.percent[row]),
    }


def reference_numbers(result: ClockResult) -> dict[str, object]:
    return {
        "group": result.group,
        "target_s": result.target_s,
        "started_at": result.started_at,
        "elapsed_business_s": result.elapsed_business_s,
        "elapsed_calendar_s": result.elapsed_calendar_s,
        "paused_s": result.paused_s,
        "deadline": result.deadline,
        "stopped_at": result.stopped_at,
        "breached": result.breached,
        "percent": result.percent,
    }


def bulk_by_group(results: BulkOlaResults, ticket: int) -> dict[str, dict[str, object]]:
    """The clocks of one ticket's rows that have one, by group name."""
    rows = np.flatnonzero((results.ticket == ticket) & results.has_clock)
    return {results.group_name(int(row)): row_numbers(results, int(row)) for row in rows}


def both_clocks(
    history: list[StatusChange],
    targets_by_group: dict[str, list[Target]],
    calendar: BusinessCalendar,
    policy: ClockPolicy,
    as_of: datetime,
    kind: TargetKind,
) -> tuple[BulkOlaResults, dict[str, dict[str, object]]]:
    """The bulk OLA results for one ticket, and the reference's clocks of ``kind`` by group."""
    priorities = [PriorityChange(history[0].at, "P")]
    columns = columns_from_histories([history], policy)
    results = compute_ola_clocks_bulk(
        columns,
        kind=kind,
        target_s=ola_target_seconds([priorities], targets_by_group, columns.groups, kind, as_of),
        calendar=calendar,
        as_of=as_of,
    )
    reference = {
        str(r.group): reference_numbers(r)
        for r in ola_clocks(history, priorities, targets_by_group, calendar, policy, as_of)
        if r.kind == kind
    }
    return results, reference


# --- hand-worked reassignments ---------------------------------------------------------------


def test_a_ticket_that_goes_back_and_forth_counts_each_groups_holds(
    london_office: BusinessCalendar, policy: ClockPolicy
) -> None:
    # Service Desk → Network (pending 13–14 while with Network) → Service Desk.
    history = [
        StatusChange(london(2024, 6, 3, 9), "Active", "Service Desk"),
        StatusChange(london(2024, 6, 3, 11), "Active", "Network"),
        StatusChange(london(2024, 6, 3, 13), "Pending", "Network"),
        StatusChange(london(2024, 6, 3, 14), "Active", "Network"),
        StatusChange(london(2024, 6, 3, 15), "Active", "Service Desk"),
        StatusChange(london(2024, 6, 4, 10), "Resolved", "Service Desk"),
    ]
    four_hours = [Target.of("resolution", "P", hours=4)]
    results, reference = both_clocks(
        history,
        {"Service Desk": four_hours, "Network": four_hours, "Database": four_hours},
        london_office,
        policy,
        london(2024, 6, 5),
        "resolution",
    )
    # One row per group in the history; Database never held the ticket and has none.
    assert [results.group_name(row) for row in range(results.ticket.size)] == [
        "Service Desk",
        "Network",
    ]
    assert results.has_clock.all() and results.ticket.tolist() == [0, 0]
    desk, network = bulk_by_group(results, 0)["Service Desk"], bulk_by_group(results, 0)["Network"]
    # Service Desk: Mon 09–11, Mon 15–17, Tue 09–10; 4 h reached at Monday's close.
    assert desk["elapsed_business_s"] == 5 * HOUR and desk["paused_s"] == 0
    assert desk["breached"] and desk["percent"] == 125.0
    assert desk["stopped_at"] == london(2024, 6, 4, 10)
    assert desk["deadline"] == london(2024, 6, 3, 17)
    # Network: 11–13 and 14–15 running, 13–14 pending; handed on at 15:00, one hour to go.
    assert (network["elapsed_business_s"], network["paused_s"]) == (3 * HOUR, HOUR)
    assert network["elapsed_calendar_s"] == 3 * HOUR
    assert network["started_at"] == london(2024, 6, 3, 11)
    assert network["stopped_at"] == london(2024, 6, 3, 15)
    assert network["deadline"] == london(2024, 6, 3, 16)
    assert not network["breached"]
    assert bulk_by_group(results, 0) == reference


# A → B, resolved by B, reopened back to A, pending with A, then B again; 24×7 calendar.
REOPENED = [
    StatusChange(T0, "New", "A"),
    StatusChange(T0 + H, "Active", "B"),
    StatusChange(T0 + 3 * H, "Resolved", "B"),
    StatusChange(T0 + 5 * H, "Active", "A"),
    StatusChange(T0 + 6 * H, "Pending", "A"),
    StatusChange(T0 + 7 * H, "Active", "B"),
]
FOUR_HOURS = {
    group: [Target.of("resolution", "P", hours=4), Target.of("response", "P", hours=4)]
    for group in ("A", "B")
}


def test_a_reopen_resumes_each_groups_clock() -> None:
    results, reference = both_clocks(
        REOPENED,
        FOUR_HOURS,
        BusinessCalendar.always(),
        policy_with("resume"),
        T0 + 9 * H,
        "resolution",
    )
    clocks = bulk_by_group(results, 0)
    assert clocks == reference
    a, b = clocks["A"], clocks["B"]
    # A: 0–1 h and 5–6 h running, 6–7 h pending; it handed the ticket to B at 7 h.
    assert (a["started_at"], a["elapsed_business_s"], a["paused_s"]) == (T0, 2 * HOUR, HOUR)
    assert a["stopped_at"] == T0 + 7 * H
    assert a["deadline"] == T0 + 9 * H  # the two hours left, projected from 7 h
    # B: 1–3 h, then (after the stop) 7–9 h; reaches its 4 h exactly at as_of: no breach.
    assert (b["started_at"], b["elapsed_business_s"], b["paused_s"]) == (T0 + H, 4 * HOUR, 0)
    assert b["stopped_at"] is None and b["deadline"] == T0 + 9 * H
    assert not b["breached"] and b["percent"] == 100.0


def test_a_reopen_restarts_each_groups_clock_from_the_reopen() -> None:
    results, reference = both_clocks(
        REOPENED,
        FOUR_HOURS,
        BusinessCalendar.always(),
        policy_with("restart"),
        T0 + 9 * H,
        "resolution",
    )
    clocks = bulk_by_group(results, 0)
    assert clocks == reference
    a, b = clocks["A"], clocks["B"]
    # Everything before the reopen at 5 h is forgotten.
    assert (a["started_at"], a["elapsed_business_s"], a["paused_s"]) == (T0 + 5 * H, HOUR, HOUR)
    assert (a["stopped_at"], a["deadline"]) == (T0 + 7 * H, T0 + 10 * H)
    assert (b["started_at"], b["elapsed_business_s"], b["paused_s"]) == (T0 + 7 * H, 2 * HOUR, 0)
    assert (b["stopped_at"], b["deadline"]) == (None, T0 + 11 * H)


def test_the_response_ola_counts_each_groups_share_before_the_first_response() -> None:
    results, reference = both_clocks(
        REOPENED,
        FOUR_HOURS,
        BusinessCalendar.always(),
        policy_with("resume"),
        T0 + 9 * H,
        "response",
    )
    clocks = bulk_by_group(results, 0)
    assert clocks == reference
    # A held it New for an hour; B took it and responded at once.
    assert (clocks["A"]["elapsed_business_s"], clocks["A"]["stopped_at"]) == (HOUR, T0 + H)
    assert (clocks["B"]["elapsed_business_s"], clocks["B"]["stopped_at"]) == (0, T0 + H)
    assert clocks["B"]["started_at"] == T0 + H


def test_groups_that_never_held_the_ticket_while_its_clock_was_live() -> None:
    history = [
        StatusChange(T0, "Active", "A"),
        StatusChange(T0 + 2 * H, "Resolved", "A"),
        StatusChange(T0 + 3 * H, "Resolved", "C"),  # reassigned for closure while resolved
        StatusChange(T0 + 6 * H, "Closed", "D"),  # after as_of
    ]
    targets = {group: [Target.of("resolution", "P", hours=1)] for group in "ACD"}
    results, reference = both_clocks(
        history, targets, BusinessCalendar.always(), policy_with("resume"), T0 + 5 * H, "resolution"
    )
    assert [results.group_name(row) for row in range(3)] == ["A", "C", "D"]
    assert results.has_clock.tolist() == [True, True, False]  # D only holds it after as_of
    c = bulk_by_group(results, 0)["C"]
    # C's clock starts and stops at its first hold, with nothing counted.
    assert (c["started_at"], c["stopped_at"]) == (T0 + 3 * H, T0 + 3 * H)
    assert (c["elapsed_business_s"], c["paused_s"], c["elapsed_calendar_s"]) == (0, 0, 0)
    assert c["deadline"] == T0 + 4 * H and c["percent"] == 0.0
    assert bulk_by_group(results, 0) == reference
    assert results.target_s.tolist() == [3600, 3600, 3600]
    assert results.deadline[2] == MISSING and math.isnan(results.percent[2])


def test_a_group_that_held_the_ticket_only_before_a_restart_has_no_clock() -> None:
    history = [
        StatusChange(T0, "Active", "A"),
        StatusChange(T0 + H, "Resolved", "A"),
        StatusChange(T0 + 2 * H, "Active", "B"),
    ]
    targets = {group: [Target.of("resolution", "P", hours=4)] for group in "AB"}
    results, reference = both_clocks(
        history,
        targets,
        BusinessCalendar.always(),
        policy_with("restart"),
        T0 + 3 * H,
        "resolution",
    )
    assert results.has_clock.tolist() == [False, True]
    assert bulk_by_group(results, 0) == reference
    assert set(reference) == {"B"}


def test_targets_broadcast_by_group_by_ticket_or_for_every_pair() -> None:
    histories = [
        [StatusChange(T0, "Active", "A"), StatusChange(T0 + H, "Active", "B")],
        [StatusChange(T0, "Active", "B"), StatusChange(T0 + 2 * H, "Resolved", None)],
        [],
        [StatusChange(T0, "Active", None)],  # no group: no row
    ]
    columns = columns_from_histories(histories, policy_with("resume"))
    assert columns.groups == ("A", "B")

    def run(target_s: object) -> BulkOlaResults:
        return compute_ola_clocks_bulk(
            columns,
            kind="resolution",
            target_s=target_s,  # type: ignore[arg-type]
            calendar=BusinessCalendar.always(),
            as_of=T0 + 3 * H,
        )

    everyone = run(7200)
    assert list(zip(everyone.ticket.tolist(), everyone.group.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (1, 1),
    ]
    assert everyone.elapsed_business_s.tolist() == [3600, 7200, 7200]
    assert everyone.stopped_at.tolist() == [to_epoch(T0 + H), MISSING, to_epoch(T0 + 2 * H)]
    assert everyone.breached.tolist() == [False, False, False]
    by_group = run([0, 3600])  # A has no target, B one hour
    assert by_group.has_clock.tolist() == [False, True, True]
    assert by_group.breached.tolist() == [False, True, True]
    assert by_group.row(0, 1) == 1 and by_group.row(2, 0) is None
    by_ticket = run([[3600], [0], [1], [1]])
    assert by_ticket.has_clock.tolist() == [True, True, False]
    assert by_ticket.target_s.tolist() == [3600, 3600, 0]


def test_a_bad_history_is_reported_on_each_of_its_groups_rows() -> None:
    history = [
        StatusChange(T0, "New", "Service Desk", seq=1),
        StatusChange(T0 - H, "Active", "Network", seq=2),
        StatusChange(T0 + H, "Active", "Database", seq=3),
    ]
    good = [StatusChange(T0, "Active", "Network", seq=1)]
    policy = policy_with("resume")
    columns = columns_from_histories([history, good], policy)
    targets = [Target.of("resolution", "P", hours=8)]
    results = compute_ola_clocks_bulk(
        columns,
        kind="resolution",
        target_s=[8 * HOUR, 8 * HOUR, 0],  # Database (code 2) has no target
        calendar=BusinessCalendar.always(),
        as_of=T0 + 2 * H,
    )
    assert [results.problem(row) for row in range(4)] == ["out_of_order"] * 3 + [None]
    assert results.has_clock.tolist() == [False, False, False, True]
    assert results.elapsed_business_s.tolist() == [0, 0, 0, 2 * HOUR]
    reference = ola_clocks(
        history,
        [PriorityChange(T0, "P")],
        {"Service Desk": targets, "Network": targets, "Database": []},
        BusinessCalendar.always(),
        policy,
        T0 + 2 * H,
    )
    errors = {results.group_name(row) for row in range(3) if results.target_s[row] > 0}
    assert {(r.group, r.error) for r in reference} == {(g, "out_of_order") for g in errors}


def test_no_rows_without_groups_or_histories() -> None:
    cases: list[list[list[StatusChange]]] = [[], [[]], [[StatusChange(T0, "New")]]]
    for histories in cases:
        results = compute_ola_clocks_bulk(
            columns_from_histories(histories, policy_with("resume")),
            kind="response",
            target_s=60,
            calendar=BusinessCalendar.always(),
            as_of=T0,
        )
        assert results.ticket.size == results.has_clock.size == 0


# --- agreement with the reference on random histories ---------------------------------------


def group_targets(scenario: Scenario, ticket: int, network_kinds: int) -> dict[str, list[Target]]:
    """Per group: Service Desk the ticket's targets, Network shorter ones (for some kinds)."""
    own = scenario.targets[ticket]
    network = [
        replace(target, seconds=target.seconds // 3 + 1)
        for index, target in enumerate(own)
        if network_kinds >> index & 1
    ]
    return {"Service Desk": own, "Network": network, "Database": own}


def assert_bulk_agrees(
    scenario: Scenario, histories: list[list[StatusChange]], network_kinds: int
) -> None:
    columns = columns_from_histories(histories, scenario.policy)
    as_of = np.asarray([to_epoch(instant) for instant in scenario.as_of], dtype=np.int64)
    per_ticket = [group_targets(scenario, t, network_kinds) for t in range(len(histories))]
    for kind in TARGET_KINDS:
        goals = np.zeros((len(histories), len(columns.groups)), dtype=np.int64)
        for ticket, targets_by_group in enumerate(per_ticket):
            goals[ticket] = ola_target_seconds(
                [scenario.priorities[ticket]],
                targets_by_group,
                columns.groups,
                kind,
                scenario.as_of[ticket],
            )[0]
        bulk = compute_ola_clocks_bulk(
            columns, kind=kind, target_s=goals, calendar=scenario.calendar, as_of=as_of
        )
        assert np.all(np.diff(bulk.ticket * 10 + bulk.group) > 0)  # sorted, one row per pair
        for ticket, history in enumerate(histories):
            rows = np.flatnonzero(bulk.ticket == ticket)
            named = {change.group for change in history if change.group is not None}
            assert {bulk.group_name(int(row)) for row in rows} == named
            problem = history_problem(history)
            assert all(bulk.problem(int(row)) == problem for row in rows)
            reference = [
                r
                for r in ola_clocks(
                    history,
                    scenario.priorities[ticket],
                    per_ticket[ticket],
                    scenario.calendar,
                    scenario.policy,
                    scenario.as_of[ticket],
                )
                if r.kind == kind
            ]
            if problem is not None:
                event("bad history")
                assert not bulk.has_clock[rows].any()
                with_target = {bulk.group_name(int(r)) for r in rows if bulk.target_s[r] > 0}
                assert {(r.group, r.error) for r in reference} == {
                    (group, problem) for group in with_target
                }
                continue
            expected = {str(r.group): reference_numbers(r) for r in reference}
            for result in reference:
                event(f"{kind}: {'stopped' if result.stopped_at else 'live'}")
                if result.paused_s:
                    event("paused some time")
                if result.started_at > history[0].at and len(named) > 1:
                    event("group took over later")
            assert bulk_by_group(bulk, ticket) == expected


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios(), network_kinds=st.integers(0, 3))
def test_bulk_ola_agrees_with_reference_to_the_second(
    scenario: Scenario, network_kinds: int
) -> None:
    assert_bulk_agrees(scenario, scenario.histories, network_kinds)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(drawn=numbered_scenarios(), network_kinds=st.integers(0, 3))
def test_bulk_ola_agrees_with_reference_on_numbered_histories_good_and_bad(
    drawn: tuple[Scenario, list[list[StatusChange]]], network_kinds: int
) -> None:
    scenario, histories = drawn
    assert_bulk_agrees(scenario, histories, network_kinds)


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_rows_given_in_any_order_give_the_same_ola_clocks(kind: TargetKind) -> None:
    rng = np.random.default_rng(11)
    histories = []
    for _ in range(200):
        at = T0 + timedelta(minutes=int(rng.integers(0, 5_000)))
        history = []
        for _ in range(int(rng.integers(1, 7))):
            history.append(
                StatusChange(
                    at,
                    str(rng.choice(["New", "Active", "Pending", "Resolved"])),
                    str(rng.choice(["A", "B", "C"])),
                )
            )
            at += timedelta(minutes=int(rng.integers(1, 3_000)))
        histories.append(history)
    ordered = columns_from_histories(histories, policy_with("restart"))
    shuffle = rng.permutation(ordered.ticket.size)
    names = ("ticket", "at", "is_pause", "is_stop_response", "is_stop_resolution", "status")
    shuffled = replace(
        ordered, **{name: getattr(ordered, name)[shuffle] for name in (*names, "group")}
    )
    first, second = (
        compute_ola_clocks_bulk(
            c,
            kind=kind,
            target_s=4 * HOUR,
            calendar=BusinessCalendar.always(),
            as_of=T0 + timedelta(days=20),
        )
        for c in (ordered, shuffled)
    )
    for name in ("ticket", "group", "elapsed_business_s", "paused_s", "deadline", "stopped_at"):
        assert np.array_equal(getattr(first, name), getattr(second, name))
