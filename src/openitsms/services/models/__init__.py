"""Models of the services app: the catalogue, agreements, business calendars and outages."""

from openitsms.services.models.agreements import (
    Agreement,
    AgreementQuerySet,
    ApplicableTarget,
    AvailabilityTarget,
    Flag,
    MeasurableTarget,
    TimeTarget,
    seconds_for,
    strictest_target,
)
from openitsms.services.models.calendars import (
    Calendar,
    CalendarClosure,
    CalendarQuerySet,
    CalendarSegment,
)
from openitsms.services.models.catalogue import Party, Service, ServiceQuerySet
from openitsms.services.models.outages import Outage, OutageQuerySet

__all__ = [
    "Agreement",
    "AgreementQuerySet",
    "ApplicableTarget",
    "AvailabilityTarget",
    "Calendar",
    "CalendarClosure",
    "CalendarQuerySet",
    "CalendarSegment",
    "Flag",
    "MeasurableTarget",
    "Outage",
    "OutageQuerySet",
    "Party",
    "Service",
    "ServiceQuerySet",
    "TimeTarget",
    "seconds_for",
    "strictest_target",
]
