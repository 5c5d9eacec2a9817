"""Choices of the operations app, in our vocabulary (the ingest library's)."""

from django.db import models


class RecordKind(models.TextChoices):
    INCIDENT = "incident", "Incident"
    REQUEST = "request", "Service request"
    PROBLEM = "problem", "Problem"
    CHANGE = "change", "Change"


class RecordStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Source(models.TextChoices):
    SERVICENOW = "servicenow", "ServiceNow"
    JIRA = "jira", "Jira Service Management"
    GLPI = "glpi", "GLPI"
    ITOP = "itop", "iTop"
    CSV = "csv", "Other CSV or XLSX (column mapping)"
    OPENITSMS = "openitsms", "Raised in OpenITSMS"


IMPORT_SOURCES = [(value, label) for value, label in Source.choices if value != "openitsms"]


class RunStatus(models.TextChoices):
    MAPPING = "mapping", "Waiting for a column mapping"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SlaBasis(models.TextChoices):
    AGREEMENT = "agreement", "Agreement target"
    NONE = "none", "No applicable target (24×7 times only)"
