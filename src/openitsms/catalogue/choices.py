from django.db import models


class ConformityStatus(models.TextChoices):
    NOT_ASSESSED = "not_assessed", "Not assessed"
    CONFORMANT = "conformant", "Conformant"
    PARTIAL = "partial", "Partially conformant"
    NONCONFORMANT = "nonconformant", "Nonconformant"


class OperatedBy(models.TextChoices):
    """ISO/IEC 20000-1 allows no exclusions; other parties may operate parts under governance."""

    ORGANISATION = "organisation", "The organisation itself"
    EXTERNAL_SUPPLIER = "external_supplier", "External supplier"
    INTERNAL_SUPPLIER = "internal_supplier", "Internal supplier"
    CUSTOMER_AS_SUPPLIER = "customer_as_supplier", "Customer acting as a supplier"


class CrosswalkRelation(models.TextChoices):
    EQUIVALENT = "equivalent", "Equivalent"
    PARTIAL = "partial", "Partly overlapping"
    RELATED = "related", "Related"


class EvidenceState(models.TextChoices):
    """The worst freshness among a requirement's live evidence items, or that it has none.

    The values other than ``none`` are those of ``evidence.choices.Freshness``.
    """

    NONE = "none", "No evidence"
    STALE = "stale", "Out of date"
    DUE_SOON = "due_soon", "Review due soon"
    UNDATED = "undated", "No review date"
    CURRENT = "current", "Current"


class EvidenceFilter(models.TextChoices):
    MISSING = "missing", "No evidence yet"
    STALE = "stale", "Out-of-date evidence"
