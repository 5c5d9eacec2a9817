from django.db import models


class AuditStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class ItemResult(models.TextChoices):
    """The result of one checklist item of an internal audit."""

    NOT_CHECKED = "not_checked", "Not checked"
    CONFORMS = "conforms", "Conforms"
    MINOR_NC = "minor_nc", "Minor nonconformity"
    MAJOR_NC = "major_nc", "Major nonconformity"
    OBSERVATION = "observation", "Observation"
    OFI = "ofi", "Opportunity for improvement"


class Grade(models.TextChoices):
    """The grade of an audit finding."""

    MAJOR_NC = "major_nc", "Major nonconformity"
    MINOR_NC = "minor_nc", "Minor nonconformity"
    OBSERVATION = "observation", "Observation"
    OFI = "ofi", "Opportunity for improvement"
    GOOD_PRACTICE = "good_practice", "Good practice"


NC_GRADES = (Grade.MAJOR_NC, Grade.MINOR_NC)
# The checklist results that are findings, and the grade each becomes.
RESULT_GRADE = {
    ItemResult.MAJOR_NC: Grade.MAJOR_NC,
    ItemResult.MINOR_NC: Grade.MINOR_NC,
    ItemResult.OBSERVATION: Grade.OBSERVATION,
    ItemResult.OFI: Grade.OFI,
}
GRADE_RESULT = {grade: result for result, grade in RESULT_GRADE.items()}


class Importance(models.IntegerChoices):
    """How much a process matters to the services, for weighting the audit programme."""

    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"


class CoverageState(models.TextChoices):
    AUDITED = "audited", "Audited"
    PARTLY = "partly", "Partly audited"
    PLANNED = "planned", "Planned, not yet audited"
    GAP = "gap", "Not covered in this cycle"


class ExternalAuditKind(models.TextChoices):
    STAGE1 = "stage1", "Stage 1"
    STAGE2 = "stage2", "Stage 2"
    SURVEILLANCE1 = "surveillance1", "Surveillance 1"
    SURVEILLANCE2 = "surveillance2", "Surveillance 2"
    RECERTIFICATION = "recertification", "Recertification"
    SPECIAL = "special", "Special (short-notice or extension)"


# Every kind but "special" happens once per cycle.
ONCE_PER_CYCLE = (
    ExternalAuditKind.STAGE1,
    ExternalAuditKind.STAGE2,
    ExternalAuditKind.SURVEILLANCE1,
    ExternalAuditKind.SURVEILLANCE2,
    ExternalAuditKind.RECERTIFICATION,
)
# Audits that get the preparation checklist of surveillance topics.
PREPARED_KINDS = (
    ExternalAuditKind.SURVEILLANCE1,
    ExternalAuditKind.SURVEILLANCE2,
    ExternalAuditKind.RECERTIFICATION,
)


class ExternalAuditStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class PrepTopic(models.TextChoices):
    """What every surveillance audit looks at (ISO/IEC 17021-1 9.6.2.2), in our words."""

    AUDIT_AND_REVIEW = "audit_and_review", "Internal audits and management review"
    PREVIOUS_NCS = "previous_ncs", "Action on the nonconformities of the last audit"
    COMPLAINTS = "complaints", "Complaints and how they were handled"
    OBJECTIVES = "objectives", "Effectiveness in meeting the objectives"
    IMPROVEMENT = "improvement", "Progress of continual improvement"
    OPERATIONS = "operations", "Operational control of the services"
    CHANGES = "changes", "Changes to the SMS, scope or services"
    MARKS = "marks", "Use of the certificate and certification marks"


PREP_GUIDANCE = {
    PrepTopic.AUDIT_AND_REVIEW: "Internal audits held since the last visit and their reports; "
    "the latest management review with its inputs, decisions and actions.",
    PrepTopic.PREVIOUS_NCS: "Every finding of the last certification audit: the plan, the "
    "actions taken, and evidence that they worked.",
    PrepTopic.COMPLAINTS: "The complaints received, how each was handled, and any trend.",
    PrepTopic.OBJECTIVES: "The service management objectives, their measured results and "
    "what was done where they were missed.",
    PrepTopic.IMPROVEMENT: "The improvement register: approved improvements, progress and "
    "measured results against their targets.",
    PrepTopic.OPERATIONS: "Records that the clause 8 processes run as planned: incidents, "
    "changes, service levels, suppliers, continuity tests.",
    PrepTopic.CHANGES: "Changes since the last visit to the scope, services, organisation, "
    "sites or SMS documentation.",
    PrepTopic.MARKS: "Where the certificate and the CB's marks are used (website, bids, "
    "documents) and that the use follows the CB's rules.",
}


class PrepStatus(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    READY = "ready", "Ready"


class ExternalFindingStatus(models.TextChoices):
    """Derived from the dates of the finding (never stored)."""

    NOTED = "noted", "Noted (no deadline)"
    AWAITING_PLAN = "awaiting_plan", "Awaiting action plan"
    PLAN_SUBMITTED = "plan_submitted", "Plan submitted"
    CLOSED = "closed", "Closed by the CB"
