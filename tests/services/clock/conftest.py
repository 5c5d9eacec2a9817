"""Calendars and policies shared by the clock tests (the clock itself is pure Python)."""

from __future__ import annotations

from datetime import time

import pytest

from openitsms.services.clock import BusinessCalendar, ClockPolicy

WEEKDAYS = range(5)


@pytest.fixture
def london_office() -> BusinessCalendar:
    """09:00–17:00 Monday to Friday in London, closed on English bank holidays."""
    office = BusinessCalendar("Europe/London", {day: [(time(9), time(17))] for day in WEEKDAYS})
    return office.with_public_holidays("GB", "ENG", years=range(2023, 2027))


@pytest.fixture
def policy() -> ClockPolicy:
    """New awaits a response; Pending pauses; Resolved and Closed stop the resolution clock."""
    return ClockPolicy(
        pause_statuses=frozenset({"Pending"}),
        stop_statuses_response=frozenset({"Active", "Pending", "Resolved", "Closed"}),
        stop_statuses_resolution=frozenset({"Resolved", "Closed"}),
    )
