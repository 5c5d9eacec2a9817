"""Agreements and their measurable targets (ISO/IEC 20000-1 8.3.3, 8.3.4).

SLAs are made with customers, OLAs with internal teams and underpinning contracts with
external suppliers; all three measure their time targets with the same SLA clock, in the
agreement's business calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.models import AuditedModel
from openitsms.services.choices import (
    COMPARATOR_SYMBOLS,
    PARTY_KIND_FOR_AGREEMENT,
    AgreementKind,
    AgreementStatus,
    AvailabilityPeriod,
    ClockKind,
    Comparator,
    DurationUnit,
    PartyKind,
    ReopenPolicy,
)
from openitsms.services.clock import ClockPolicy, Target, strictest
from openitsms.services.models.calendars import Calendar
from openitsms.services.models.catalogue import Party, Service, org_slug
from openitsms.tenancy.scoping import OrgScopedManager, OrgScopedModel, OrgScopedQuerySet

EXPIRY_WARNING_DAYS = 30
UNIT_SECONDS = {DurationUnit.MINUTES: 60, DurationUnit.HOURS: 3600}


@dataclass(frozen=True)
class Flag:
    """Something about an agreement that needs attention."""

    code: str
    label: str


class AgreementQuerySet(OrgScopedQuerySet["Agreement"]):
    def in_force(self, on: date | None = None) -> AgreementQuerySet:
        """Valid on ``on`` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on)

    def in_force_between(self, start: date, end: date) -> AgreementQuerySet:
        """Valid on at least one day of ``[start, end]``."""
        return self.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=start), valid_from__lte=end
        )

    def expired(self, today: date | None = None) -> AgreementQuerySet:
        return self.filter(valid_until__lt=today or timezone.localdate())

    def review_overdue(self, today: date | None = None) -> AgreementQuerySet:
        return self.filter(review_due__lt=today or timezone.localdate())

    def covering(self, service: Service) -> AgreementQuerySet:
        return self.filter(services=service)

    def applicable_to(self, service: Service, on: date | None = None) -> AgreementQuerySet:
        """The agreements in force on ``on`` that cover ``service``, targets loaded."""
        return (
            self.in_force(on)
            .covering(service)
            .select_related("calendar")
            .prefetch_related("time_targets")
        )


class Agreement(OrgScopedModel, AuditedModel):
    """An SLA with customers, an OLA with internal teams, or an underpinning contract with an
    external supplier: the services it covers, its service hours and its targets."""

    reference = models.CharField(max_length=30, help_text="Your identifier, e.g. SLA-001.")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=3, choices=AgreementKind.choices)
    parties = models.ManyToManyField(
        Party,
        blank=True,
        related_name="agreements",
        help_text="Who the agreement is with: customers (SLA), internal teams (OLA), external "
        "suppliers (underpinning contract).",
    )
    services = models.ManyToManyField(
        Service, blank=True, related_name="agreements", help_text="The services it covers."
    )
    valid_from = models.DateField()
    valid_until = models.DateField(
        null=True, blank=True, help_text="Last day it is valid. Empty when open-ended."
    )
    review_due = models.DateField(
        null=True, blank=True, help_text="When it must next be reviewed with the parties."
    )
    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name="service hours",
        help_text="The business calendar its targets are measured in.",
    )
    pause_statuses = models.TextField(
        blank=True,
        help_text="Ticket statuses that pause the clock, one per line (e.g. Awaiting customer).",
    )
    reopen_policy = models.CharField(
        max_length=10, choices=ReopenPolicy.choices, default=ReopenPolicy.RESUME
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_agreements",
        help_text="Who manages the agreement and its reviews.",
    )
    notes = models.TextField(blank=True)
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem",
        blank=True,
        related_name="service_agreements",
        help_text="The signed agreement, review minutes and other evidence.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgScopedManager.from_queryset(AgreementQuerySet)()

    class Meta:
        ordering = ["reference"]
        verbose_name = "agreement"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"],
                name="agreement_unique_reference_per_org",
                violation_error_message="Another agreement already has this reference.",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="agreement_valid_until_after_from",
                violation_error_message="An agreement cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AgreementKind.values),
                name="agreement_kind_valid",
                violation_error_message="Choose SLA, OLA or underpinning contract.",
            ),
            models.CheckConstraint(
                condition=Q(reopen_policy__in=ReopenPolicy.values),
                name="agreement_reopen_policy_valid",
                violation_error_message="Choose resume or restart.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            "services:agreement_detail", kwargs={"org_slug": org_slug(self), "pk": self.pk}
        )

    @property
    def pause_status_list(self) -> list[str]:
        return [line.strip() for line in self.pause_statuses.splitlines() if line.strip()]

    def status(self, today: date | None = None) -> AgreementStatus:
        today = today or timezone.localdate()
        if self.valid_from > today:
            return AgreementStatus.NOT_YET
        if self.valid_until is not None and self.valid_until < today:
            return AgreementStatus.EXPIRED
        return AgreementStatus.IN_FORCE

    def is_expired(self, today: date | None = None) -> bool:
        return self.status(today) == AgreementStatus.EXPIRED

    def review_overdue(self, today: date | None = None) -> bool:
        return self.review_due is not None and self.review_due < (today or timezone.localdate())

    def flags(self, today: date | None = None) -> list[Flag]:
        """What an auditor would ask about this agreement today. Reads ``parties``,
        ``services`` and the targets: prefetch them on lists."""
        today = today or timezone.localdate()
        flags = []
        if self.is_expired(today):
            flags.append(Flag("expired", f"Expired on {self.valid_until:%d %b %Y}"))
        elif self.valid_until and self.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS):
            flags.append(Flag("expiring", f"Expires on {self.valid_until:%d %b %Y}"))
        if self.review_overdue(today):
            flags.append(Flag("review_overdue", f"Review was due on {self.review_due:%d %b %Y}"))
        if self.review_due is None:
            flags.append(Flag("no_review_date", "No review date"))
        expected = PARTY_KIND_FOR_AGREEMENT[AgreementKind(self.kind)]
        if not any(party.kind == expected for party in self.parties.all()):
            flags.append(Flag("no_party", f"No {PartyKind(expected).label.lower()} named"))
        if not self.services.all():
            flags.append(Flag("no_services", "Covers no service"))
        if not (
            self.time_targets.all()
            or self.availability_targets.all()
            or self.measurable_targets.all()
        ):
            flags.append(Flag("no_targets", "No targets"))
        return flags

    def clock_policy(
        self, *, stop_statuses_response: Iterable[str], stop_statuses_resolution: Iterable[str]
    ) -> ClockPolicy:
        """The clock's policy: the agreement's pause statuses and reopen policy, with the stop
        statuses of the ticket workflow (which belong to the ticket system, not the agreement)."""
        return ClockPolicy(
            pause_statuses=frozenset(self.pause_status_list),
            stop_statuses_response=frozenset(stop_statuses_response),
            stop_statuses_resolution=frozenset(stop_statuses_resolution),
            reopen=ReopenPolicy(self.reopen_policy).value,  # type: ignore[arg-type]
        )

    def availability_target_for(self, period: str) -> AvailabilityTarget | None:
        for target in self.availability_targets.all():
            if target.period == period:
                return target
        return None


class TimeTarget(OrgScopedModel, AuditedModel):
    """A time to respond or to resolve for one priority (and optionally one request type),
    kept as entered and in whole seconds of service time."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="time_targets")
    kind = models.CharField(max_length=10, choices=ClockKind.choices)
    priority = models.CharField(max_length=30, help_text="As your ticket system names it, e.g. P1.")
    request_type = models.CharField(
        max_length=60,
        blank=True,
        help_text="Only for this request type (e.g. Password reset). Empty for every type.",
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    unit = models.CharField(max_length=14, choices=DurationUnit.choices)
    seconds = models.PositiveIntegerField(
        editable=False, help_text="The target in seconds of service time."
    )

    class Meta:
        ordering = ["agreement", "kind", "priority", "request_type"]
        verbose_name = "time target"
        constraints = [
            models.CheckConstraint(
                condition=Q(seconds__gt=0),
                name="timetarget_seconds_positive",
                violation_error_message="A target must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="timetarget_amount_positive",
                violation_error_message="A target must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ClockKind.values),
                name="timetarget_kind_valid",
                violation_error_message="Choose time to respond or time to resolve.",
            ),
            models.CheckConstraint(
                condition=Q(unit__in=DurationUnit.values),
                name="timetarget_unit_valid",
                violation_error_message="Choose minutes, hours or business days.",
            ),
            models.UniqueConstraint(
                fields=["agreement", "kind", "priority", "request_type"],
                name="timetarget_unique_per_priority",
                violation_error_message=(
                    "The agreement already has this target for this priority and request type."
                ),
            ),
        ]

    def __str__(self) -> str:
        scope = f" ({self.request_type})" if self.request_type else ""
        return f"{ClockKind(self.kind).label} {self.priority}{scope}: {self.amount_label}"

    def get_absolute_url(self) -> str:
        return self.agreement.get_absolute_url()

    @property
    def amount_label(self) -> str:
        """``4 hours``, ``1.5 business days``, ``1 minute``."""
        text = format(self.amount.normalize(), "f")
        unit = DurationUnit(self.unit).label
        return f"{text} {unit.removesuffix('s') if text == '1' else unit}"

    def to_target(self) -> Target:
        """The clock library's target (seconds of service time)."""
        return Target(kind=ClockKind(self.kind).value, priority=self.priority, seconds=self.seconds)  # type: ignore[arg-type]

    def matches(self, *, kind: str, priority: str, request_type: str = "") -> bool:
        """Whether it applies to a ticket: same clock and priority, and either no request type
        or the ticket's own."""
        return (
            self.kind == kind
            and self.priority == priority
            and self.request_type in ("", request_type)
        )


def seconds_for(amount: Decimal, unit: str, business_day_s: int) -> int:
    """A target entered as ``amount`` ``unit`` in whole seconds (rounded to the nearest).

    A business day is ``business_day_s``, the calendar's usual working day.
    """
    per_unit = (
        business_day_s if unit == DurationUnit.BUSINESS_DAYS else UNIT_SECONDS[DurationUnit(unit)]
    )
    return int((amount * per_unit).to_integral_value(rounding=ROUND_HALF_UP))


class AvailabilityTarget(OrgScopedModel, AuditedModel):
    """The least availability promised over a month, quarter or year, within service hours."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="availability_targets"
    )
    period = models.CharField(max_length=8, choices=AvailabilityPeriod.choices)
    percent = models.DecimalField(
        max_digits=6, decimal_places=3, help_text="At least this % of the service hours, e.g. 99.5."
    )

    class Meta:
        ordering = ["agreement", "period"]
        verbose_name = "availability target"
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gt=0, percent__lte=100),
                name="availabilitytarget_percent_range",
                violation_error_message="Availability must be more than 0 %% and at most 100 %%.",
            ),
            models.CheckConstraint(
                condition=Q(period__in=AvailabilityPeriod.values),
                name="availabilitytarget_period_valid",
                violation_error_message="Choose month, quarter or year.",
            ),
            models.UniqueConstraint(
                fields=["agreement", "period"],
                name="availabilitytarget_one_per_period",
                violation_error_message="The agreement already has a target for this period.",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Availability ≥ {self.percent.normalize():f} % per {self.get_period_display().lower()}"
        )

    def get_absolute_url(self) -> str:
        return self.agreement.get_absolute_url()


class MeasurableTarget(OrgScopedModel, AuditedModel):
    """Any other measurable promise, e.g. customer satisfaction at least 4.2 of 5."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="measurable_targets"
    )
    name = models.CharField(
        max_length=120, help_text="What is measured, e.g. Customer satisfaction."
    )
    comparator = models.CharField(
        max_length=3, choices=Comparator.choices, default=Comparator.AT_LEAST
    )
    value = models.DecimalField(max_digits=14, decimal_places=4)
    unit = models.CharField(max_length=40, blank=True, help_text="e.g. of 5, %, calls.")

    class Meta:
        ordering = ["agreement", "name"]
        verbose_name = "measurable target"
        constraints = [
            models.CheckConstraint(
                condition=Q(comparator__in=Comparator.values),
                name="measurabletarget_comparator_valid",
                violation_error_message="Choose how the value is compared.",
            ),
            models.UniqueConstraint(
                fields=["agreement", "name"],
                name="measurabletarget_unique_name",
                violation_error_message="The agreement already has a target with this name.",
            ),
        ]

    def __str__(self) -> str:
        value = f"{self.value.normalize():f}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name} {COMPARATOR_SYMBOLS[Comparator(self.comparator)]} {value}{unit}"

    def get_absolute_url(self) -> str:
        return self.agreement.get_absolute_url()

    def is_met(self, actual: Decimal) -> bool:
        comparator = Comparator(self.comparator)
        if comparator == Comparator.AT_LEAST:
            return actual >= self.value
        if comparator == Comparator.MORE_THAN:
            return actual > self.value
        if comparator == Comparator.AT_MOST:
            return actual <= self.value
        if comparator == Comparator.LESS_THAN:
            return actual < self.value
        return actual == self.value


@dataclass(frozen=True)
class ApplicableTarget:
    """The target that governs a ticket's clock, and the agreement (hence calendar) it is from."""

    agreement: Agreement
    time_target: TimeTarget
    target: Target


def strictest_target(
    agreements: Iterable[Agreement], *, kind: str, priority: str, request_type: str = ""
) -> ApplicableTarget | None:
    """Of every target of ``agreements`` that matches a ticket, the strictest.

    A target matches when it is for the clock ``kind`` and the ticket's ``priority``, and is
    either for every request type or for the ticket's ``request_type``. The strictest is the
    fewest seconds of service time (the clock library's :func:`strictest`; the first of equals,
    in the order of ``agreements`` and of their targets). Note that the seconds of two
    agreements are compared as they are even when their calendars differ, as iTop does.
    ``None`` when nothing matches. Prefetch ``time_targets`` to avoid a query per agreement.
    """
    found: list[tuple[Agreement, TimeTarget, Target]] = []
    for agreement in agreements:
        for time_target in agreement.time_targets.all():
            if time_target.matches(kind=kind, priority=priority, request_type=request_type):
                found.append((agreement, time_target, time_target.to_target()))
    best = strictest(target for _agreement, _row, target in found)
    for agreement, time_target, target in found:
        if target is best:
            return ApplicableTarget(agreement, time_target, target)
    return None
