from django.db import models


class EvidenceKind(models.TextChoices):
    DOCUMENT = "document", "Document"
    RECORD = "record", "Record"
    REPORT = "report", "Report"
    SCREENSHOT = "screenshot", "Screenshot"
    EXPORT = "export", "Export"
    LINK = "link", "Link"


class Freshness(models.TextChoices):
    CURRENT = "current", "Current"
    DUE_SOON = "due_soon", "Review due soon"
    STALE = "stale", "Out of date"
    UNDATED = "undated", "No review date"
