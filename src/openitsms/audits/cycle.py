"""The date rules of a three-year certification cycle (ISO/IEC 17021-1 with ISO/IEC 20000-6).

Pure functions of dates: no database, no clock. Each window says when an audit of the cycle may
take place and why:

* The cycle starts on the **certification decision** date. Unless the certification body (CB)
  says otherwise, the certificate **expires** on the day before the third anniversary of the
  decision (the anniversary of 29 February is 1 March, so such a certificate expires on
  28 February). The expiry date is the last day the certificate is valid.
* Stage 1 and stage 2 take place **before the decision**.
* The **first surveillance** is no later than 12 months after the decision. "Twelve months
  after" 29 February is 28 February: a deadline never moves past the month it falls in.
* There is **at least one audit every calendar year** of the cycle; the recertification
  audit is the audit of its year. The second surveillance therefore closes on 31 December of
  the year after the first surveillance. Its target is twelve months after the first.
* **Recertification** is decided before expiry, so its audit closes early enough for the
  findings to be closed within the CB's closure window before the certificate expires.
* Windows open ``lead_months`` before their target: common CB practice, configurable per
  certificate, like every window the CB sets differently (the windows are editable).

External findings get a deadline for the action plan and one for closure (``plan_days``,
``close_days``: configurable per certificate). When the certificate expires inside a window,
the deadline moves back to the expiry date.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_LEAD_MONTHS = 3
DEFAULT_PLAN_DAYS = 30
DEFAULT_CLOSE_DAYS = 90
# A major nonconformity found at stage 2 that is not verified within this many months of the
# last day of stage 2 means stage 2 is repeated.
MAJOR_VERIFICATION_MONTHS = 6


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, kept inside the target month (31 January
    + 1 month = 28 or 29 February; 29 February + 12 months = 28 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def anniversary(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February's anniversary in a common year is 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def default_expiry(decision: date) -> date:
    """The day before the third anniversary of the certification decision."""
    return anniversary(decision, 3) - timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """When an audit of the cycle may take place; any part may be unknown (None)."""

    opens: date | None
    target: date | None
    closes: date | None
    rule: str

    def contains(self, day: date) -> bool:
        if self.opens is not None and day < self.opens:
            return False
        return not (self.closes is not None and day > self.closes)


def initial_window(decision: date | None) -> Window:
    """Stage 1 and stage 2: before the certification decision."""
    return Window(
        opens=None,
        target=None,
        closes=decision,
        rule="Before the certification decision.",
    )


def surveillance_1_window(decision: date, lead_months: int = DEFAULT_LEAD_MONTHS) -> Window:
    closes = add_months(decision, 12)
    return Window(
        opens=add_months(closes, -lead_months),
        target=closes,
        closes=closes,
        rule="The first surveillance is no later than 12 months after the certification decision.",
    )


def surveillance_2_window(
    surveillance_1: date,
    lead_months: int = DEFAULT_LEAD_MONTHS,
    recertification_closes: date | None = None,
) -> Window:
    """``surveillance_1`` is the day the first surveillance ended (or, before it is held, the
    day its window closes)."""
    target = add_months(surveillance_1, 12)
    closes = date(surveillance_1.year + 1, 12, 31)
    if recertification_closes is not None and recertification_closes < closes:
        closes = recertification_closes
    target = min(target, closes)
    return Window(
        opens=add_months(target, -lead_months),
        target=target,
        closes=closes,
        rule="At least one audit each calendar year: by 31 December of the year after the "
        "first surveillance; usually twelve months after it.",
    )


def recertification_window(
    expires_on: date,
    close_days: int = DEFAULT_CLOSE_DAYS,
    lead_months: int = DEFAULT_LEAD_MONTHS,
) -> Window:
    closes = expires_on - timedelta(days=close_days)
    return Window(
        opens=add_months(closes, -lead_months),
        target=closes,
        closes=closes,
        rule=f"Recertification is decided before expiry: the audit ends at least {close_days} "
        "days (the closure window for findings) before the certificate expires.",
    )


def cycle_windows(
    decision: date,
    expires_on: date,
    *,
    close_days: int = DEFAULT_CLOSE_DAYS,
    lead_months: int = DEFAULT_LEAD_MONTHS,
    surveillance_1_held: date | None = None,
) -> dict[str, Window]:
    """The window of each audit of the cycle, by kind (the values of ``ExternalAuditKind``)."""
    recert = recertification_window(expires_on, close_days, lead_months)
    s1 = surveillance_1_window(decision, lead_months)
    s2 = surveillance_2_window(
        surveillance_1_held or s1.closes or decision, lead_months, recert.closes
    )
    initial = initial_window(decision)
    return {
        "stage1": initial,
        "stage2": initial,
        "surveillance1": s1,
        "surveillance2": s2,
        "recertification": recert,
        "special": Window(None, None, None, "Arranged by the certification body when needed."),
    }


def years_without_audit(decision: date, last_year: int, audit_days: Iterable[date]) -> list[int]:
    """Calendar years after the decision year, up to ``last_year`` (the year of the
    recertification audit), with no audit held or planned in them."""
    held = {d.year for d in audit_days}
    return [year for year in range(decision.year + 1, last_year + 1) if year not in held]


@dataclass(frozen=True)
class Deadlines:
    plan_due: date
    close_due: date
    shortened: bool  # the expiry of the certificate moved a deadline earlier


def finding_deadlines(
    raised_on: date,
    *,
    plan_days: int = DEFAULT_PLAN_DAYS,
    close_days: int = DEFAULT_CLOSE_DAYS,
    expires_on: date | None = None,
) -> Deadlines:
    """When the CB wants the action plan and the closure of a finding raised on ``raised_on``.

    A certificate that expires inside the window pulls the deadline back to its expiry date
    (a finding raised after expiry belongs to the next certificate and is not capped).
    """
    plan_due = raised_on + timedelta(days=plan_days)
    close_due = raised_on + timedelta(days=close_days)
    shortened = False
    if expires_on is not None and expires_on >= raised_on:
        if close_due > expires_on:
            close_due, shortened = expires_on, True
        if plan_due > expires_on:
            plan_due, shortened = expires_on, True
    return Deadlines(plan_due=plan_due, close_due=close_due, shortened=shortened)


def major_verification_limit(stage2_last_day: date) -> date:
    """The last day a stage-2 major nonconformity may be verified before stage 2 is repeated."""
    return add_months(stage2_last_day, MAJOR_VERIFICATION_MONTHS)


def days_left(due: date, today: date) -> int:
    """Whole days from ``today`` to ``due``; negative when overdue."""
    return (due - today).days
