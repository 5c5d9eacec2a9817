"""The date rules of the certification cycle (audits/cycle.py): pure functions, no database."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openitsms.audits import cycle


def test_add_months_keeps_the_day_inside_the_target_month():
    assert cycle.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert cycle.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert cycle.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert cycle.add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)
    assert cycle.add_months(date(2025, 3, 15), -3) == date(2024, 12, 15)


def test_expiry_is_the_day_before_the_third_anniversary():
    assert cycle.default_expiry(date(2024, 3, 15)) == date(2027, 3, 14)
    assert cycle.default_expiry(date(2025, 1, 1)) == date(2027, 12, 31)


def test_decision_on_29_february_expires_on_28_february():
    # The anniversary of 29 February in a common year is 1 March: the day before is 28 Feb.
    assert cycle.anniversary(date(2024, 2, 29), 3) == date(2027, 3, 1)
    assert cycle.default_expiry(date(2024, 2, 29)) == date(2027, 2, 28)


def test_first_surveillance_after_a_29_february_decision_is_due_by_28_february():
    window = cycle.surveillance_1_window(date(2024, 2, 29))
    # "No later than 12 months after" never moves into March.
    assert window.closes == date(2025, 2, 28)
    assert window.opens == date(2024, 11, 28)
    assert window.contains(date(2025, 2, 28))
    assert not window.contains(date(2025, 3, 1))


def test_first_surveillance_is_no_later_than_twelve_months_after_the_decision():
    window = cycle.surveillance_1_window(date(2024, 6, 10), lead_months=3)
    assert window.closes == date(2025, 6, 10)
    assert window.target == date(2025, 6, 10)
    assert window.opens == date(2025, 3, 10)
    assert "12 months" in window.rule


def test_second_surveillance_closes_at_the_end_of_the_next_calendar_year():
    window = cycle.surveillance_2_window(date(2025, 6, 2))
    assert window.target == date(2026, 6, 2)
    assert window.closes == date(2026, 12, 31)
    assert window.opens == date(2026, 3, 2)
    assert "calendar year" in window.rule


def test_second_surveillance_never_closes_after_the_recertification_audit():
    window = cycle.surveillance_2_window(date(2025, 6, 2), recertification_closes=date(2026, 4, 30))
    assert window.closes == date(2026, 4, 30)
    assert window.target == date(2026, 4, 30)


def test_recertification_ends_a_closure_window_before_expiry():
    window = cycle.recertification_window(date(2027, 3, 14), close_days=90, lead_months=3)
    assert window.closes == date(2026, 12, 14)
    assert window.opens == date(2026, 9, 14)
    assert "before the certificate expires" in window.rule


def test_cycle_windows_time_the_second_surveillance_from_the_day_the_first_was_held():
    planned = cycle.cycle_windows(date(2024, 3, 15), date(2027, 3, 14))
    assert planned["surveillance1"].closes == date(2025, 3, 15)
    assert planned["surveillance2"].target == date(2026, 3, 15)
    held = cycle.cycle_windows(
        date(2024, 3, 15), date(2027, 3, 14), surveillance_1_held=date(2025, 1, 20)
    )
    assert held["surveillance2"].target == date(2026, 1, 20)
    # 31 December 2026 would be after the recertification audit must end (90 days before expiry).
    assert held["surveillance2"].closes == date(2026, 12, 14)
    assert held["stage2"].closes == date(2024, 3, 15)
    assert held["special"].closes is None


def test_every_calendar_year_needs_an_audit():
    decision = date(2024, 3, 15)
    assert cycle.years_without_audit(decision, 2027, [date(2025, 3, 1), date(2027, 1, 10)]) == [
        2026
    ]
    assert (
        cycle.years_without_audit(
            decision, 2026, [date(2025, 3, 1), date(2026, 2, 1), date(2026, 11, 1)]
        )
        == []
    )


def test_finding_deadlines_count_from_the_day_raised():
    deadlines = cycle.finding_deadlines(date(2025, 5, 1), plan_days=30, close_days=90)
    assert deadlines.plan_due == date(2025, 5, 31)
    assert deadlines.close_due == date(2025, 7, 30)
    assert not deadlines.shortened


def test_expiry_inside_the_closure_window_shortens_the_deadline():
    deadlines = cycle.finding_deadlines(
        date(2027, 1, 20), plan_days=30, close_days=90, expires_on=date(2027, 3, 14)
    )
    assert deadlines.plan_due == date(2027, 2, 19)
    assert deadlines.close_due == date(2027, 3, 14)
    assert deadlines.shortened


def test_expiry_inside_the_plan_window_shortens_both_deadlines():
    deadlines = cycle.finding_deadlines(
        date(2027, 3, 1), plan_days=30, close_days=90, expires_on=date(2027, 3, 14)
    )
    assert deadlines.plan_due == date(2027, 3, 14)
    assert deadlines.close_due == date(2027, 3, 14)
    assert deadlines.shortened


def test_a_finding_raised_after_expiry_is_not_capped():
    deadlines = cycle.finding_deadlines(
        date(2027, 4, 1), plan_days=30, close_days=90, expires_on=date(2027, 3, 14)
    )
    assert deadlines.close_due == date(2027, 6, 30)
    assert not deadlines.shortened


def test_a_stage_two_major_must_be_verified_within_six_months():
    assert cycle.major_verification_limit(date(2024, 8, 31)) == date(2025, 2, 28)


def test_days_left_is_negative_when_overdue():
    assert cycle.days_left(date(2025, 1, 10), date(2025, 1, 1)) == 9
    assert cycle.days_left(date(2025, 1, 1), date(2025, 1, 10)) == -9


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_for_any_decision_date_the_windows_are_in_order(decision):
    expiry = cycle.default_expiry(decision)
    windows = cycle.cycle_windows(decision, expiry)
    s1, s2, recert = windows["surveillance1"], windows["surveillance2"], windows["recertification"]
    assert decision < s1.closes <= cycle.add_months(decision, 12)
    assert (s1.closes - decision).days <= 366
    assert s1.closes.year == decision.year + 1
    assert s1.opens <= s1.closes
    assert s2.opens <= s2.target <= s2.closes
    assert s2.closes.year <= s1.closes.year + 1
    assert recert.closes < expiry
    assert expiry.year == decision.year + 3 or (decision.month, decision.day) == (1, 1)


@pytest.mark.parametrize(
    ("raised", "expected_close"),
    [(date(2027, 2, 1), date(2027, 3, 14)), (date(2026, 11, 1), date(2027, 1, 30))],
)
def test_closure_deadline_is_the_earlier_of_window_and_expiry(raised, expected_close):
    deadlines = cycle.finding_deadlines(raised, expires_on=date(2027, 3, 14))
    assert deadlines.close_due == expected_close
