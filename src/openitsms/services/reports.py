"""The monthly service report (ISO/IEC 20000-1 9.4): each target against its actual.

One function builds the report for the page and the API alike (:func:`service_report`).
Actuals come from three places:

* availability: from the service's outages (:mod:`openitsms.services.availability`);
* response and resolution times: from the incidents and requests imported by the operations
  app, whose SLA clocks were measured at import, through :func:`time_target_actuals`; when
  that app is not installed every target says "no ticket data" and reports no number;
* other measurable targets (e.g. satisfaction ≥ 4.2 of 5): no measurements are recorded yet,
  which :func:`measurable_target_actuals` says in the same way.

Nothing is estimated: a target without data shows that it has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from openitsms.services.availability import (
    Period,
    ServiceAvailability,
    availability_trend,
    month_period,
    service_availability,
)
from openitsms.services.models import Agreement, MeasurableTarget, Outage, Service, TimeTarget

NO_TICKET_DATA = (
    "No ticket data yet: response and resolution times are measured from incidents and "
    "requests, which the operations app will provide."
)
NO_MEASUREMENT = "No measurement recorded yet."


@dataclass(frozen=True)
class BreachedTicket:
    """A ticket that missed a target: its number, and by how much (business seconds)."""

    number: str
    overrun_s: int
    record_id: int | None = None


@dataclass(frozen=True)
class TimeTargetActual:
    """How the service's tickets of one month did against one time target.

    With ``has_data`` false every count is ``None`` and ``note`` says why: never a made-up
    number.
    """

    time_target: TimeTarget
    has_data: bool
    tickets: int | None = None
    within_target: int | None = None
    percent_within: Decimal | None = None
    breaches: tuple[BreachedTicket, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class MeasurableTargetActual:
    target: MeasurableTarget
    has_data: bool
    actual: Decimal | None = None
    met: bool | None = None
    note: str = ""


def time_target_actuals(
    *, service: Service, agreement: Agreement, start: datetime, end: datetime
) -> list[TimeTargetActual]:
    """Per time target of ``agreement``: the service's tickets due in ``[start, end)``, how
    many met the target, and the ones that breached it.

    This is the one place the service report reads ticket data from: the clock results the
    operations app stored at import (:mod:`openitsms.operations.service_actuals`). Without
    that app every target is returned with ``has_data=False`` and :data:`NO_TICKET_DATA`.
    """
    if apps.is_installed("openitsms.operations"):
        from openitsms.operations.service_actuals import time_target_actuals as from_records

        return from_records(service=service, agreement=agreement, start=start, end=end)
    return [
        TimeTargetActual(time_target=target, has_data=False, note=NO_TICKET_DATA)
        for target in agreement.time_targets.all()
    ]


def measurable_target_actuals(
    *, service: Service, agreement: Agreement, start: datetime, end: datetime
) -> list[MeasurableTargetActual]:
    """Per other measurable target: its actual in the month. Nothing records these yet."""
    return [
        MeasurableTargetActual(target=target, has_data=False, note=NO_MEASUREMENT)
        for target in agreement.measurable_targets.all()
    ]


@dataclass(frozen=True)
class AgreementSection:
    """One agreement covering the service in the month, its targets against the actuals."""

    agreement: Agreement
    availability: list[ServiceAvailability]
    time_targets: list[TimeTargetActual]
    measurable: list[MeasurableTargetActual]

    @property
    def has_targets(self) -> bool:
        return bool(self.availability or self.time_targets or self.measurable)


@dataclass(frozen=True)
class ServiceReport:
    service: Service
    period: Period
    availability: ServiceAvailability
    sections: list[AgreementSection]
    trend: list[ServiceAvailability]
    outages: list[Outage]
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def breaches(self) -> list[tuple[AgreementSection, TimeTargetActual, BreachedTicket]]:
        """Every ticket that missed a time target in the month, agreement by agreement."""
        return [
            (section, row, ticket)
            for section in self.sections
            for row in section.time_targets
            for ticket in row.breaches
        ]

    @property
    def breaches_note(self) -> str:
        """What the breach list means: no data, no breaches, or how many."""
        measured = [row for section in self.sections for row in section.time_targets]
        if not any(row.has_data for row in measured):
            if not measured:
                return "No agreement sets a time target."
            if not apps.is_installed("openitsms.operations"):
                return NO_TICKET_DATA
            return f"No ticket was measured against a time target in {self.period.label}."
        count = len(self.breaches)
        if not count:
            return f"No ticket missed a time target in {self.period.label}."
        tickets = "1 ticket" if count == 1 else f"{count} tickets"
        return f"{tickets} missed a time target in {self.period.label}."


def service_report(
    service: Service, *, year: int, month: int, now: datetime | None = None
) -> ServiceReport:
    """The report for ``service`` in ``year``-``month`` (up to now for the current month)."""
    now = now or timezone.now()
    period = month_period(year, month, now=now)
    headline = service_availability(service, period)
    agreements = (
        Agreement.objects.covering(service)
        .in_force_between(period.first_day, period.last_day)
        .select_related("calendar")
        .prefetch_related(
            "availability_targets",
            "time_targets",
            "measurable_targets",
            "parties",
            "calendar__segments",
            "calendar__closures",
        )
    )
    kind_order = {"sla": 0, "ola": 1, "uc": 2}
    sections = []
    for agreement in sorted(agreements, key=lambda a: (kind_order[a.kind], a.reference)):
        measured = service_availability(service, period, agreement=agreement)
        availability = []
        for target in agreement.availability_targets.all():
            if target.period == period.target_period:
                availability.append(measured)
        sections.append(
            AgreementSection(
                agreement=agreement,
                availability=availability,
                time_targets=time_target_actuals(
                    service=service, agreement=agreement, start=measured.start, end=measured.end
                ),
                measurable=measurable_target_actuals(
                    service=service, agreement=agreement, start=measured.start, end=measured.end
                ),
            )
        )
    outages = list(
        Outage.objects.filter(service=service)
        .overlapping(headline.start, max(headline.end, headline.start))
        .order_by("starts_at")
    )
    trend = availability_trend(service, months=12, ending=date(year, month, 1), now=now)
    return ServiceReport(
        service=service,
        period=period,
        availability=headline,
        sections=sections,
        trend=trend,
        outages=outages,
    )
