"""Workflows of the services app. Pages and the API both write through these functions, which
check every constraint (with its message) inside one transaction; the audit trail records each
saved, deleted or relinked row through its signals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from openitsms.evidence.models import EvidenceItem
from openitsms.services.choices import DurationUnit, Weekday, WeekPattern
from openitsms.services.models import (
    Agreement,
    AvailabilityTarget,
    Calendar,
    CalendarClosure,
    CalendarSegment,
    MeasurableTarget,
    Outage,
    Party,
    Service,
    TimeTarget,
    seconds_for,
)
from openitsms.services.models.calendars import (
    BUILTIN_NAME,
    MIDNIGHT,
    is_empty_segment,
    overlap_message,
)
from openitsms.tenancy.models import Membership, Organisation

PATTERNS: dict[str, list[tuple[Sequence[int], time, time]]] = {
    WeekPattern.OFFICE: [(range(5), time(9), time(17))],
    WeekPattern.EXTENDED: [(range(6), time(8), time(20))],
    WeekPattern.ALWAYS: [(range(7), MIDNIGHT, MIDNIGHT)],
    WeekPattern.NONE: [],
}


def _check_same_org(
    records: Iterable[Model] | None, organisation: Organisation, field: str
) -> list[Any]:
    """Refuse links to another organisation's records (a forged id in a form or the API)."""
    chosen = list(records or [])
    if any(getattr(record, "organisation_id", None) != organisation.pk for record in chosen):
        raise ValidationError({field: "Choose records of this organisation only."})
    return chosen


def _validated(record: Any, organisation: Organisation) -> None:
    record.organisation = organisation
    record.full_clean()


# --- parties -----------------------------------------------------------------------------


@transaction.atomic
def save_party(*, party: Party, organisation: Organisation) -> Party:
    """Create or change a customer, internal team or supplier."""
    _validated(party, organisation)
    party.save()
    return party


@transaction.atomic
def delete_party(*, party: Party) -> None:
    """Delete a party; refused while agreements are made with it."""
    if party.agreements.exists():
        raise ValidationError(
            f"{party} is a party to agreements: remove it from them before deleting it."
        )
    party.delete()


# --- services ----------------------------------------------------------------------------


def _check_owner(user: Any, organisation: Organisation, field: str = "owner") -> None:
    if (
        user is not None
        and not Membership.objects.filter(user=user, organisation=organisation).exists()
    ):
        raise ValidationError({field: "The owner must be a member of the organisation."})


@transaction.atomic
def save_service(
    *,
    service: Service,
    organisation: Organisation,
    customers: Iterable[Party] | None = None,
    suppliers: Iterable[Party] | None = None,
    depends_on: Iterable[Service] | None = None,
    evidence: Iterable[EvidenceItem] | None = None,
) -> Service:
    """Create or change a service and, for each list given, replace those links.

    Refuses an owner who is not a member, links to another organisation's records, a
    dependency on itself and a circle of dependencies.
    """
    _validated(service, organisation)
    _check_owner(service.owner, organisation)
    links: dict[str, list[Any]] = {}
    for field, records in (
        ("customers", customers),
        ("suppliers", suppliers),
        ("depends_on", depends_on),
        ("evidence", evidence),
    ):
        if records is not None:
            links[field] = _check_same_org(records, organisation, field)
    if service.pk is not None:
        service.updated_at = timezone.now()
    service.save()
    if "depends_on" in links:
        for other in links["depends_on"]:
            if other.pk == service.pk or service.pk in other.dependency_closure():
                raise ValidationError(
                    {"depends_on": f"{other} already depends on {service}: that is a circle."}
                )
    for field, records in links.items():
        getattr(service, field).set(records)
    return service


@transaction.atomic
def delete_service(*, service: Service) -> None:
    """Delete a service that has no outages and no agreements; retire it otherwise."""
    if service.outages.exists():
        raise ValidationError(
            "This service has outages on record, which its availability history needs: retire "
            "it instead of deleting it."
        )
    if service.agreements.exists():
        raise ValidationError(
            "Agreements cover this service: remove it from them, or retire it instead."
        )
    service.delete()


# --- calendars ---------------------------------------------------------------------------


@transaction.atomic
def ensure_builtin_calendar(*, organisation: Organisation) -> Calendar:
    """The organisation's built-in 24×7 calendar, created the first time it is needed."""
    found = Calendar.all_orgs.filter(organisation=organisation, is_builtin=True).first()
    if found is not None:
        return found  # type: ignore[no-any-return]
    calendar = Calendar(
        name=BUILTIN_NAME,
        description="Always open: every hour of every day counts. Built in; cannot be changed.",
        time_zone=organisation.time_zone,
        is_builtin=True,
    )
    _validated(calendar, organisation)
    calendar.save()
    return calendar


@transaction.atomic
def save_calendar(
    *, calendar: Calendar, organisation: Organisation, pattern: str = WeekPattern.NONE
) -> Calendar:
    """Create or change a calendar; a new one starts with the working hours of ``pattern``."""
    if calendar.is_builtin and calendar.pk is not None:
        raise ValidationError("The built-in 24×7 calendar cannot be changed.")
    is_new = calendar.pk is None
    _validated(calendar, organisation)
    calendar.save()
    if is_new:
        for weekdays, starts_at, ends_at in PATTERNS[WeekPattern(pattern)]:
            add_segments(calendar=calendar, weekdays=weekdays, starts_at=starts_at, ends_at=ends_at)
    return calendar


@transaction.atomic
def delete_calendar(*, calendar: Calendar) -> None:
    if calendar.is_builtin:
        raise ValidationError("The built-in 24×7 calendar cannot be deleted.")
    in_use = list(calendar.agreements.values_list("reference", flat=True))
    if in_use:
        raise ValidationError(
            f"Agreements measure their targets in this calendar ({', '.join(in_use)}): choose "
            "other service hours for them first."
        )
    calendar.delete()


def _editable(calendar: Calendar) -> None:
    if calendar.is_builtin:
        raise ValidationError("The built-in 24×7 calendar cannot be changed.")


@transaction.atomic
def add_segments(
    *,
    calendar: Calendar,
    weekdays: Iterable[int],
    starts_at: time,
    ends_at: time,
) -> list[CalendarSegment]:
    """Add the same working hours to each of ``weekdays``; refuses empty or overlapping ones
    with the reason on ``starts_at``. 00:00 to 00:00 is the whole day."""
    _editable(calendar)
    days = sorted(set(weekdays))
    if not days:
        raise ValidationError({"weekdays": "Choose at least one day."})
    existing: list[Any] = list(calendar.segments.all())
    added = []
    for weekday in days:
        if weekday not in Weekday.values:
            raise ValidationError({"weekdays": f"{weekday} is not a weekday (0 to 6)."})
        message = overlap_message(weekday, starts_at, ends_at, existing)
        if message:
            raise ValidationError({"starts_at": f"{Weekday(weekday).label}: {message}"})
        segment = CalendarSegment(
            calendar=calendar, weekday=weekday, starts_at=starts_at, ends_at=ends_at
        )
        _validated(segment, calendar.organisation)
        segment.save()
        existing.append(segment)
        added.append(segment)
    return added


@transaction.atomic
def replace_segments(
    *, calendar: Calendar, segments: Sequence[tuple[int, time, time]]
) -> list[CalendarSegment]:
    """Replace the whole week (the API's way to set a calendar's hours)."""
    _editable(calendar)
    for segment in calendar.segments.all():
        segment.delete()
    calendar._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    added = []
    for weekday, starts_at, ends_at in segments:
        added += add_segments(
            calendar=calendar, weekdays=[weekday], starts_at=starts_at, ends_at=ends_at
        )
    return added


@transaction.atomic
def delete_segment(*, segment: CalendarSegment) -> None:
    _editable(segment.calendar)
    segment.delete()


@transaction.atomic
def save_closure(*, closure: CalendarClosure, calendar: Calendar) -> CalendarClosure:
    _editable(calendar)
    closure.calendar = calendar
    _validated(closure, calendar.organisation)
    closure.save()
    return closure


@transaction.atomic
def delete_closure(*, closure: CalendarClosure) -> None:
    closure.delete()


def parse_end_time(value: str) -> time:
    """``HH:MM`` or ``24:00`` (midnight at the end of the day, kept as 00:00)."""
    text = value.strip()
    if text in {"24:00", "24:00:00"}:
        return MIDNIGHT
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValidationError({"ends_at": f"“{value}” is not a time such as 17:00."}) from None


def segment_from_text(weekday: int, starts_at: str, ends_at: str) -> tuple[int, time, time]:
    """A segment from API text; ``00:00``–``24:00`` is the whole day, ``00:00``–``00:00``
    is empty (and refused)."""
    try:
        start = time.fromisoformat(starts_at.strip())
    except ValueError:
        raise ValidationError(
            {"starts_at": f"“{starts_at}” is not a time such as 09:00."}
        ) from None
    end = parse_end_time(ends_at)
    if start == end and not (start == MIDNIGHT and ends_at.strip().startswith("24")):
        raise ValidationError(
            {"ends_at": "This segment is empty: its end equals its start (use 24:00 for midnight)."}
        )
    if is_empty_segment(start, end):
        raise ValidationError({"ends_at": "This segment is empty: its end equals its start."})
    return weekday, start, end


# --- agreements and targets --------------------------------------------------------------


@transaction.atomic
def save_agreement(
    *,
    agreement: Agreement,
    organisation: Organisation,
    parties: Iterable[Party] | None = None,
    services: Iterable[Service] | None = None,
    evidence: Iterable[EvidenceItem] | None = None,
) -> Agreement:
    """Create or change an agreement and, for each list given, replace those links."""
    if agreement.calendar_id is not None and agreement.calendar.organisation_id != organisation.pk:
        raise ValidationError({"calendar": "Choose a calendar of this organisation."})
    _validated(agreement, organisation)
    _check_owner(agreement.owner, organisation)
    links = {
        field: _check_same_org(records, organisation, field)
        for field, records in (("parties", parties), ("services", services), ("evidence", evidence))
        if records is not None
    }
    calendar_changed = (
        agreement.pk is not None
        and Agreement.all_orgs.filter(pk=agreement.pk).values_list("calendar_id", flat=True).get()
        != agreement.calendar_id
    )
    agreement.save()
    for field, records in links.items():
        getattr(agreement, field).set(records)
    if calendar_changed:
        # Business days are stored in seconds of the calendar's working day; follow the new one.
        for target in agreement.time_targets.filter(unit=DurationUnit.BUSINESS_DAYS):
            save_time_target(target=target, agreement=agreement)
    return agreement


@transaction.atomic
def delete_agreement(*, agreement: Agreement) -> None:
    """Delete an agreement with its targets."""
    for related in (
        agreement.time_targets.all(),
        agreement.availability_targets.all(),
        agreement.measurable_targets.all(),
    ):
        for target in related:
            target.delete()
    agreement.delete()


@transaction.atomic
def save_time_target(*, target: TimeTarget, agreement: Agreement) -> TimeTarget:
    """Create or change a time target, converting its amount to seconds of service time.

    Refuses zero or less (on ``amount``) and business days on a calendar without hours.
    """
    target.agreement = agreement
    target.priority = target.priority.strip()
    target.request_type = target.request_type.strip()
    if target.amount is None or target.amount <= 0:
        raise ValidationError({"amount": "Enter a target above zero."})
    day = agreement.calendar.business_day_seconds()
    if target.unit == DurationUnit.BUSINESS_DAYS and not day:
        raise ValidationError(
            {"unit": "The agreement's calendar has no working hours: use hours or minutes."}
        )
    target.seconds = seconds_for(target.amount, target.unit, day)
    if target.seconds <= 0:
        raise ValidationError({"amount": "This comes to less than one second."})
    _validated(target, agreement.organisation)
    target.save()
    return target


@transaction.atomic
def save_availability_target(
    *, target: AvailabilityTarget, agreement: Agreement
) -> AvailabilityTarget:
    target.agreement = agreement
    _validated(target, agreement.organisation)
    target.save()
    return target


@transaction.atomic
def save_measurable_target(*, target: MeasurableTarget, agreement: Agreement) -> MeasurableTarget:
    target.agreement = agreement
    target.name = target.name.strip()
    _validated(target, agreement.organisation)
    target.save()
    return target


@transaction.atomic
def delete_target(*, target: TimeTarget | AvailabilityTarget | MeasurableTarget) -> None:
    target.delete()


# --- outages -----------------------------------------------------------------------------


@transaction.atomic
def save_outage(*, outage: Outage, organisation: Organisation) -> Outage:
    """Record or change an outage; it cannot end before it starts."""
    if outage.service_id is not None and outage.service.organisation_id != organisation.pk:
        raise ValidationError({"service": "Choose a service of this organisation."})
    _validated(outage, organisation)
    outage.save()
    return outage


@transaction.atomic
def delete_outage(*, outage: Outage) -> None:
    outage.delete()
