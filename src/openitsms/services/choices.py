"""Fixed sets of values of the service catalogue, agreements, calendars and outages."""

from django.db import models


class Lifecycle(models.TextChoices):
    """Where a service is in its life (ISO/IEC 20000-1 8.2.4 lists services in every stage)."""

    PIPELINE = "pipeline", "Pipeline"
    LIVE = "live", "Live"
    RETIRED = "retired", "Retired"


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class PartyKind(models.TextChoices):
    """Who an agreement is with: SLAs with customers, OLAs with internal teams, underpinning
    contracts with external suppliers."""

    CUSTOMER = "customer", "Customer"
    INTERNAL = "internal", "Internal team"
    SUPPLIER = "supplier", "External supplier"


class AgreementKind(models.TextChoices):
    SLA = "sla", "Service level agreement (SLA)"
    OLA = "ola", "Operational level agreement (OLA)"
    UC = "uc", "Underpinning contract"


# The kind of party each kind of agreement is normally made with (8.3.3, 8.3.4).
PARTY_KIND_FOR_AGREEMENT = {
    AgreementKind.SLA: PartyKind.CUSTOMER,
    AgreementKind.OLA: PartyKind.INTERNAL,
    AgreementKind.UC: PartyKind.SUPPLIER,
}


class AgreementStatus(models.TextChoices):
    """Where an agreement stands today, from its validity period."""

    NOT_YET = "not_yet", "Not yet in force"
    IN_FORCE = "in_force", "In force"
    EXPIRED = "expired", "Expired"


class ClockKind(models.TextChoices):
    """The two clocks of a ticket (the values of the clock library's ``TargetKind``)."""

    RESPONSE = "response", "Time to respond"
    RESOLUTION = "resolution", "Time to resolve"


class DurationUnit(models.TextChoices):
    """How a time target was entered; it is always stored in seconds as well."""

    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    BUSINESS_DAYS = "business_days", "business days"


class ReopenPolicy(models.TextChoices):
    """What a reopened ticket's resolution clock does (the clock library's ``ReopenPolicy``)."""

    RESUME = "resume", "Resume: go on from the time already used"
    RESTART = "restart", "Restart: start again from zero at the reopen"


class AvailabilityPeriod(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class Comparator(models.TextChoices):
    AT_LEAST = "gte", "at least (≥)"
    MORE_THAN = "gt", "more than (>)"
    AT_MOST = "lte", "at most (≤)"
    LESS_THAN = "lt", "less than (<)"
    EXACTLY = "eq", "exactly (=)"


COMPARATOR_SYMBOLS = {
    Comparator.AT_LEAST: "≥",
    Comparator.MORE_THAN: ">",
    Comparator.AT_MOST: "≤",
    Comparator.LESS_THAN: "<",
    Comparator.EXACTLY: "=",
}


class OutageKind(models.TextChoices):
    """Only unplanned outages count against availability (less any planned overlap)."""

    UNPLANNED = "unplanned", "Unplanned outage"
    PLANNED = "planned", "Planned outage (maintenance)"
    DEGRADATION = "degradation", "Degradation"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeekPattern(models.TextChoices):
    """Working hours to start a new calendar with; segments can be changed afterwards."""

    OFFICE = "office", "Office hours: Monday to Friday, 09:00–17:00"
    EXTENDED = "extended", "Extended hours: Monday to Saturday, 08:00–20:00"
    ALWAYS = "always", "Around the clock: every day, 00:00–24:00"
    NONE = "none", "None yet: I will add the hours myself"
