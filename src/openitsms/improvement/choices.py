from django.db import models


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


# An action in one of these states still needs someone to do something.
ACTIVE_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class ActionKind(models.TextChoices):
    """What an action is for. Corrective actions remove the cause of a nonconformity (10.1)."""

    CORRECTION = "correction", "Correction (fix this occurrence)"
    CORRECTIVE = "corrective", "Corrective action (remove the cause)"
    IMPROVEMENT = "improvement", "Improvement"
    FOLLOW_UP = "follow_up", "Follow-up"


class NonconformitySource(models.TextChoices):
    INTERNAL_AUDIT = "internal_audit", "Internal audit"
    EXTERNAL_AUDIT = "external_audit", "External (certification) audit"
    INCIDENT = "incident", "Incident or problem"
    COMPLAINT = "complaint", "Complaint"
    MANAGEMENT_REVIEW = "management_review", "Management review"
    SELF_IDENTIFIED = "self_identified", "Self-identified"


class Severity(models.TextChoices):
    """Major: affects the ability of the SMS to achieve its intended results; minor: does not."""

    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class NonconformityStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Stage(models.TextChoices):
    """Where an open nonconformity stands on its way to closure (derived, never stored)."""

    ANALYSIS = "analysis", "Root cause analysis"
    ACTION = "action", "Corrective action"
    VERIFICATION = "verification", "Effectiveness check"
    READY = "ready", "Ready to close"
    CLOSED = "closed", "Closed"


class CauseCategory(models.TextChoices):
    PEOPLE = "people", "People and competence"
    PROCESS = "process", "Process or procedure"
    TECHNOLOGY = "technology", "Technology and tools"
    INFORMATION = "information", "Information and documentation"
    SUPPLIER = "supplier", "Supplier or other party"
    RESOURCES = "resources", "Resources and capacity"
    GOVERNANCE = "governance", "Governance and management"
    EXTERNAL = "external", "External factor"


class CheckResult(models.TextChoices):
    PENDING = "pending", "Planned"
    PASSED = "passed", "Effective (passed)"
    FAILED = "failed", "Not effective (failed)"


class NoteKind(models.TextChoices):
    """Entries of a nonconformity's timeline."""

    COMMENT = "comment", "Comment"
    RAISED = "raised", "Raised"
    CLOSURE_REFUSED = "closure_refused", "Closure refused"
    CHECK = "check", "Effectiveness check"
    REOPENED = "reopened", "Reopened"
    CLOSED = "closed", "Closed"


class ImprovementSource(models.TextChoices):
    INTERNAL_AUDIT = "internal_audit", "Internal audit"
    EXTERNAL_AUDIT = "external_audit", "External audit"
    MANAGEMENT_REVIEW = "management_review", "Management review"
    NONCONFORMITY = "nonconformity", "Nonconformity or corrective action"
    INCIDENT = "incident", "Incident or problem trend"
    CUSTOMER = "customer", "Customer or interested-party feedback"
    STAFF = "staff", "Staff suggestion"
    MEASUREMENT = "measurement", "Monitoring and measurement"
    RISK = "risk", "Risk and opportunity assessment"
    OTHER = "other", "Other"


class ImprovementStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class TargetArea(models.TextChoices):
    """What an improvement aims to improve (ISO/IEC 20000-1:2018 10.2 lists these areas)."""

    QUALITY = "quality", "Quality"
    VALUE = "value", "Value"
    CAPABILITY = "capability", "Capability"
    COST = "cost", "Cost"
    PRODUCTIVITY = "productivity", "Productivity"
    RESOURCE_USE = "resource_use", "Resource use"
    RISK_REDUCTION = "risk_reduction", "Risk reduction"


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


RATING_CHOICES = [
    (1, "1 — very low"),
    (2, "2 — low"),
    (3, "3 — medium"),
    (4, "4 — high"),
    (5, "5 — very high"),
]
