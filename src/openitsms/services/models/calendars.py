"""Business calendars: the service hours that SLA clocks and availability are measured in."""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from datetime import date, time, timedelta
from functools import cache
from typing import Any

import holidays as holiday_package
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.models import AuditedModel
from openitsms.services.choices import Weekday
from openitsms.services.clock import BusinessCalendar
from openitsms.services.models.catalogue import org_slug
from openitsms.tenancy.scoping import OrgScopedManager, OrgScopedModel, OrgScopedQuerySet

DAY_S = 86_400
WEEK_S = 7 * DAY_S
MIDNIGHT = time(0)
BUILTIN_NAME = "24×7 (built in)"


# --- time zones and public holidays ------------------------------------------------------


def validate_time_zone(value: str) -> None:
    """Refuse anything that is not an IANA time zone name known to ``zoneinfo``."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Use an IANA name such as Europe/London "
            "or America/New_York.",
            code="unknown_time_zone",
            params={"value": value},
        ) from None


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone name, for suggestions in forms."""
    return tuple(sorted(zoneinfo.available_timezones()))


@cache
def holiday_countries() -> tuple[tuple[str, str], ...]:
    """``(ISO 3166 alpha-2 code, English name)`` of every country the holidays package knows."""
    from holidays.registry import COUNTRIES

    found = {
        entry[1]: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0]) for entry in COUNTRIES.values()
    }
    return tuple(sorted(found.items(), key=lambda item: item[1]))


def holiday_subdivisions(country: str) -> tuple[str, ...]:
    """The subdivision codes the holidays package knows for ``country`` (may be empty)."""
    return tuple(holiday_package.list_supported_countries().get(country, ()))


def holiday_region_errors(country: str, subdivision: str) -> dict[str, str]:
    """Field errors for a country and subdivision the holidays package does not know."""
    if not country:
        if subdivision:
            return {"holiday_subdivision": "Choose the country of this subdivision first."}
        return {}
    if country not in dict(holiday_countries()):
        return {
            "holiday_country": (
                f"“{country}” is not a country with public holidays we know. Use an ISO code "
                "such as GB or US."
            )
        }
    known = holiday_subdivisions(country)
    if subdivision and subdivision not in known:
        listed = ", ".join(known) if known else "none"
        return {
            "holiday_subdivision": (
                f"“{subdivision}” is not a subdivision of {country} we know. Known: {listed}."
            )
        }
    return {}


# --- weekly segments ---------------------------------------------------------------------


def seconds_of(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def segment_length_s(starts_at: time, ends_at: time) -> int:
    """Length of a segment; an end at or before the start is on the next day."""
    length = (seconds_of(ends_at) - seconds_of(starts_at)) % DAY_S
    return length or DAY_S


def is_empty_segment(starts_at: time, ends_at: time) -> bool:
    """Equal ends make an empty segment, except 00:00–24:00 (stored 00:00–00:00): a whole day."""
    return starts_at == ends_at and starts_at != MIDNIGHT


def week_span(weekday: int, starts_at: time, ends_at: time) -> tuple[int, int]:
    """Seconds from Monday 00:00 at which a segment starts and ends (the end may pass Sunday)."""
    start = weekday * DAY_S + seconds_of(starts_at)
    return start, start + segment_length_s(starts_at, ends_at)


def spans_overlap(first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether two spans of the weekly cycle overlap (touching is fine); Sunday wraps to Monday."""
    return any(
        first[0] < second[1] + shift and second[0] + shift < first[1]
        for shift in (-WEEK_S, 0, WEEK_S)
    )


def format_segment(weekday: int, starts_at: time, ends_at: time) -> str:
    """``Monday 22:00–06:00 (next day)``; an end at midnight reads 24:00."""
    end = "24:00" if ends_at == MIDNIGHT else ends_at.strftime("%H:%M")
    next_day = ends_at != MIDNIGHT and ends_at <= starts_at
    return (
        f"{Weekday(weekday).label} {starts_at.strftime('%H:%M')}–{end}"
        f"{' (next day)' if next_day else ''}"
    )


# --- models ------------------------------------------------------------------------------


class CalendarQuerySet(OrgScopedQuerySet["Calendar"]):
    def with_details(self) -> CalendarQuerySet:
        """Segments and closures loaded, for :meth:`Calendar.to_business_calendar`."""
        return self.prefetch_related("segments", "closures")


class Calendar(OrgScopedModel, AuditedModel):
    """A business calendar: working hours per weekday in one time zone, less public holidays and
    the organisation's own closures. Agreements measure their targets in it."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="The IANA time zone its hours are in, e.g. Europe/London.",
    )
    holiday_country = models.CharField(
        max_length=2,
        blank=True,
        help_text="Close on this country's public holidays (ISO code, e.g. GB). Empty for none.",
    )
    holiday_subdivision = models.CharField(
        max_length=10,
        blank=True,
        help_text="And its region's, e.g. ENG for England or NY for New York. Optional.",
    )
    is_builtin = models.BooleanField(
        default=False,
        editable=False,
        help_text="The built-in 24×7 calendar: always open, cannot be changed or deleted.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgScopedManager.from_queryset(CalendarQuerySet)()

    class Meta:
        ordering = ["-is_builtin", "name"]
        verbose_name = "business calendar"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="calendar_unique_name_per_org",
                violation_error_message="Another calendar already has this name.",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(is_builtin=True),
                name="calendar_one_builtin_per_org",
                violation_error_message="The organisation already has its built-in calendar.",
            ),
            models.CheckConstraint(
                condition=Q(holiday_subdivision="") | ~Q(holiday_country=""),
                name="calendar_subdivision_needs_country",
                violation_error_message="A holiday subdivision needs its country.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "services:calendar_detail", kwargs={"org_slug": org_slug(self), "pk": self.pk}
        )

    def clean(self) -> None:
        super().clean()
        self.holiday_country = self.holiday_country.strip().upper()
        self.holiday_subdivision = self.holiday_subdivision.strip().upper()
        errors = holiday_region_errors(self.holiday_country, self.holiday_subdivision)
        if errors:
            raise ValidationError(errors)

    @property
    def holiday_region(self) -> str:
        """``GB-ENG``, ``US`` or empty."""
        if not self.holiday_country:
            return ""
        return "-".join(filter(None, [self.holiday_country, self.holiday_subdivision]))

    def weekly(self) -> dict[int, list[tuple[time, time]]]:
        """The segments by weekday, as the clock library wants them."""
        if self.is_builtin:
            return {day: [(MIDNIGHT, MIDNIGHT)] for day in range(7)}
        week: dict[int, list[tuple[time, time]]] = {}
        for segment in self.segments.all():
            week.setdefault(segment.weekday, []).append((segment.starts_at, segment.ends_at))
        return week

    def public_holidays(self, years: Iterable[int]) -> dict[date, str]:
        """The public holidays of the calendar's country and subdivision in ``years``."""
        if not self.holiday_country:
            return {}
        found = holiday_package.country_holidays(
            self.holiday_country, subdiv=self.holiday_subdivision or None, years=list(years)
        )
        return dict(found.items())

    def closure_dates(self) -> dict[date, str]:
        """Every date of the organisation's own closures, with the closure's name."""
        dates: dict[date, str] = {}
        for closure in self.closures.all():
            day = closure.starts_on
            while day <= closure.ends_on:
                dates.setdefault(day, closure.name)
                day += timedelta(days=1)
        return dates

    def to_business_calendar(self, years: Iterable[int] | None = None) -> BusinessCalendar:
        """The clock library's calendar for this row.

        Public holidays are looked up for ``years`` (default: two years either side of this
        one); pass every year the clock or the availability figures will ask about. Closures are
        whole local dates, treated like holidays.
        """
        if self.is_builtin:
            return BusinessCalendar.always(self.time_zone)
        if years is None:
            this_year = timezone.localdate().year
            years = range(this_year - 2, this_year + 3)
        closed = frozenset(self.public_holidays(years)) | frozenset(self.closure_dates())
        return BusinessCalendar(self.time_zone, self.weekly(), holidays=closed)

    def business_day_seconds(self) -> int:
        """The length of the calendar's usual working day, for targets given in business days.

        The most common non-zero daily total of the week (the longest of equally common ones);
        0 for a calendar without hours. A 24×7 calendar's day is 24 hours.
        """
        totals: Counter[int] = Counter()
        for weekday, segments in self.weekly().items():
            total = sum(segment_length_s(start, end) for start, end in segments)
            if total:
                totals[weekday] = total
        if not totals:
            return 0
        frequency = Counter(totals.values())
        return max(frequency, key=lambda length: (frequency[length], length))

    def weekly_hours(self) -> float:
        """Working hours in a week without holidays."""
        return (
            sum(
                segment_length_s(start, end)
                for segments in self.weekly().values()
                for start, end in segments
            )
            / 3600
        )


class CalendarSegment(OrgScopedModel, AuditedModel):
    """One stretch of working hours on a weekday. An end at or before the start runs past
    midnight into the next day; 00:00 to 24:00 is the whole day."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="segments")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField(help_text="24:00 for midnight at the end of the day.")

    class Meta:
        ordering = ["weekday", "starts_at"]
        verbose_name = "working-hours segment"
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="calendarsegment_weekday_valid",
                violation_error_message="The weekday must be Monday to Sunday.",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at"))
                | Q(starts_at__gt=F("ends_at"))
                | Q(starts_at=MIDNIGHT, ends_at=MIDNIGHT),
                name="calendarsegment_not_empty",
                violation_error_message=(
                    "A segment needs some length: end after the start, before it to run past "
                    "midnight, or 00:00 to 24:00 for the whole day."
                ),
            ),
            models.UniqueConstraint(
                fields=["calendar", "weekday", "starts_at"],
                name="calendarsegment_unique_start",
                violation_error_message="The calendar already has a segment starting then.",
            ),
        ]

    def __str__(self) -> str:
        return format_segment(self.weekday, self.starts_at, self.ends_at)

    def get_absolute_url(self) -> str:
        return self.calendar.get_absolute_url()

    @property
    def span(self) -> tuple[int, int]:
        return week_span(self.weekday, self.starts_at, self.ends_at)

    @property
    def ends_label(self) -> str:
        if self.ends_at == MIDNIGHT:
            return "24:00"
        label = self.ends_at.strftime("%H:%M")
        return f"{label} (next day)" if self.ends_at <= self.starts_at else label

    @property
    def hours(self) -> float:
        return segment_length_s(self.starts_at, self.ends_at) / 3600


class CalendarClosure(OrgScopedModel, AuditedModel):
    """Days on which the organisation itself is closed (e.g. a company shutdown), in the
    calendar's time zone, first and last day included."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="closures")
    name = models.CharField(max_length=120)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["starts_on"]
        verbose_name = "closure"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="calendarclosure_ends_after_start",
                violation_error_message="A closure cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        if self.starts_on == self.ends_on:
            return f"{self.name} ({self.starts_on:%d %b %Y})"
        return f"{self.name} ({self.starts_on:%d %b %Y} – {self.ends_on:%d %b %Y})"

    def get_absolute_url(self) -> str:
        return self.calendar.get_absolute_url()

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


def overlap_message(
    weekday: int, starts_at: time, ends_at: time, others: Iterable[Any]
) -> str | None:
    """Why a new segment cannot join ``others`` (segments of the same calendar), or ``None``."""
    if is_empty_segment(starts_at, ends_at):
        return (
            "This segment is empty: its end equals its start. Use an end after the start, before "
            "it to run past midnight, or 00:00 to 24:00 for the whole day."
        )
    span = week_span(weekday, starts_at, ends_at)
    for other in others:
        if spans_overlap(span, week_span(other.weekday, other.starts_at, other.ends_at)):
            existing = format_segment(other.weekday, other.starts_at, other.ends_at)
            return f"This overlaps {existing}."
    return None
