"""Operational records imported from ITSM tools, the import runs that brought them, and
monthly rollups that the pages read instead of the raw records.

One :class:`Record` table holds incidents, service requests, problems and changes (``kind``),
with the change and problem fields left empty for the other kinds: one table keeps imports,
rollups and links simple, and at a million rows the empty columns cost little. Status and
priority histories are stored as compact JSON on the record (``[[epoch_s, status, group],
...]``) rather than as child rows: they are written once per import and always read whole, so
a million records stay a million rows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from openitsms.audit.models import AuditedModel
from openitsms.operations.choices import RecordKind, RecordStatus, RunStatus, SlaBasis, Source
from openitsms.tenancy.scoping import OrgScopedModel


class ImportRun(OrgScopedModel, AuditedModel):
    """One import of one file: who, when, what file, what came of it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.BigIntegerField(default=0)
    source = models.CharField(max_length=12, choices=Source.choices)
    kind = models.CharField(max_length=10, choices=RecordKind.choices)
    mapping_name = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    date_order = models.CharField(max_length=12, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    duration_s = models.FloatField(default=0)
    description = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    upload_path = models.CharField(
        max_length=500, blank=True, editable=False, help_text="The uploaded file until imported."
    )

    audit_exclude = frozenset({"upload_path"})

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "import run"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RunStatus.values), name="importrun_status_valid"
            ),
        ]

    def __str__(self) -> str:
        mode = " (dry run)" if self.dry_run else ""
        return f"Import of {self.file_name}{mode}"

    def get_absolute_url(self) -> str:
        return reverse(
            "operations:run_detail", kwargs={"org_slug": self.organisation.slug, "pk": self.pk}
        )

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if self.job is not None and self.job.progress_total:
            return min(100, int(100 * self.job.progress_done / self.job.progress_total))
        return 0

    @property
    def rows_per_second(self) -> float | None:
        return self.rows_read / self.duration_s if self.duration_s else None


class ImportRejection(OrgScopedModel, AuditedModel):
    """A row of an import's file that gave no record, with its row number and reason."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField(help_text="As a spreadsheet shows it; header is 1.")
    source_id = models.CharField(max_length=100, blank=True)
    reason = models.TextField()
    columns = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "row_number", "pk"]
        verbose_name = "rejected row"

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.reason[:80]}"

    def get_absolute_url(self) -> str:
        return self.run.get_absolute_url()


class ColumnMapping(OrgScopedModel, AuditedModel):
    """A saved column mapping (our field -> the file's header) and value maps, by name."""

    name = models.CharField(max_length=100)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.CSV)
    kind = models.CharField(max_length=10, choices=RecordKind.choices, blank=True)
    columns = models.JSONField(default=dict, help_text="Field name -> column header.")
    value_maps = models.JSONField(
        default=dict, blank=True, help_text="Field name -> {source value: our value}."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "column mapping"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="columnmapping_unique_name_per_org",
                violation_error_message="Another mapping already has this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("operations:import", kwargs={"org_slug": self.organisation.slug})


class Record(OrgScopedModel, AuditedModel):
    """An incident, service request, problem or change as its source system last knew it,
    with our SLA results.

    Times are aware UTC instants. ``history`` is ``[[epoch_s, status, group, source_status],
    ...]`` in time order and ``priority_history`` ``[[epoch_s, priority], ...]``. Links hold
    the source's ids (``problem_ref``: the incident's problem; ``change_ref``: the change an
    incident or problem is linked to or fixed by; ``caused_by_change_ref``: the change that
    caused an incident).

    SLA results: ``sla_basis`` says whether an agreement target applied; when none did the
    business times are empty and only the 24×7 (calendar) times are kept.
    """

    kind = models.CharField(max_length=10, choices=RecordKind.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    source_id = models.CharField(max_length=100)
    title = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=RecordStatus.choices)
    source_status = models.CharField(max_length=100, blank=True)
    service = models.ForeignKey(
        "services.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="operational_records",
    )
    service_name = models.CharField(max_length=150, blank=True)
    configuration_item = models.CharField(max_length=200, blank=True)
    priority = models.CharField(max_length=2, blank=True)
    impact = models.CharField(max_length=6, blank=True)
    urgency = models.CharField(max_length=6, blank=True)
    category = models.CharField(max_length=200, blank=True)
    assignment_group = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    reassignment_count = models.PositiveIntegerField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(null=True, blank=True)
    resolution_code = models.CharField(max_length=200, blank=True)
    problem_ref = models.CharField(max_length=100, blank=True)
    change_ref = models.CharField(max_length=100, blank=True)
    caused_by_change_ref = models.CharField(max_length=100, blank=True)
    source_made_sla = models.BooleanField(null=True, blank=True)
    # Changes
    change_type = models.CharField(max_length=10, blank=True)
    risk = models.CharField(max_length=6, blank=True)
    cab_required = models.BooleanField(null=True, blank=True)
    approval = models.CharField(max_length=14, blank=True)
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=24, blank=True)
    rolled_back = models.BooleanField(null=True, blank=True)
    # Problems
    root_cause = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    known_error = models.BooleanField(null=True, blank=True)
    # Histories
    history = models.JSONField(default=list, blank=True)
    priority_history = models.JSONField(default=list, blank=True)
    history_source = models.CharField(max_length=10, blank=True)
    # Our SLA results
    sla_basis = models.CharField(max_length=10, choices=SlaBasis.choices, default=SlaBasis.NONE)
    sla_agreement = models.ForeignKey(
        "services.Agreement", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    response_target_s = models.PositiveIntegerField(null=True, blank=True)
    response_business_s = models.BigIntegerField(null=True, blank=True)
    response_24x7_s = models.BigIntegerField(null=True, blank=True)
    response_breached = models.BooleanField(null=True, blank=True)
    resolution_target_s = models.PositiveIntegerField(null=True, blank=True)
    resolution_business_s = models.BigIntegerField(null=True, blank=True)
    resolution_24x7_s = models.BigIntegerField(null=True, blank=True)
    resolution_breached = models.BooleanField(null=True, blank=True)
    sla_note = models.CharField(max_length=200, blank=True)
    # Import bookkeeping: a digest of the imported values, to tell unchanged from updated.
    fingerprint = models.CharField(max_length=32, editable=False)
    last_run = models.ForeignKey(
        ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    audit_exclude = frozenset({"fingerprint"})

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = "operational record"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source", "kind", "source_id"],
                name="record_unique_source_id",
                violation_error_message="A record with this source id was already imported.",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RecordKind.values), name="record_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RecordStatus.values), name="record_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "kind", "opened_at"], name="record_kind_opened"),
            models.Index(fields=["organisation", "kind", "status"], name="record_kind_status"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}{': ' + self.title[:60] if self.title else ''}"

    def get_absolute_url(self) -> str:
        return reverse(
            "operations:record_detail", kwargs={"org_slug": self.organisation.slug, "pk": self.pk}
        )

    def history_rows(self) -> list[dict[str, Any]]:
        """The status history for display: instant, status, group, the source's status."""
        from datetime import UTC, datetime

        rows = []
        for entry in self.history:
            at, status, group, source_status = (list(entry) + [None, None, None, None])[:4]
            rows.append(
                {
                    "at": datetime.fromtimestamp(at, UTC),
                    "status": status,
                    "status_label": RecordStatus(status).label,
                    "group": group or "",
                    "source_status": source_status or "",
                }
            )
        return rows


class Rollup(OrgScopedModel):
    """Monthly figures for one kind, service, priority and assignment group.

    Derived data: recomputed from the records at every import (and never edited by hand), so
    it is not audited itself; the import run's audit entry names the months recomputed.

    Two groups of figures, each counted in its own month:

    * **opened in the month** (by ``opened_at``): volume, reopens, reassignments, major
      (P1), responses, links to problems and changes, change types, problems with a root
      cause or known error, and ``opened_at_sum_s`` (the opening instants, in seconds since
      1970, for the age of the backlog);
    * **ended in the month**: records now resolved, closed or cancelled, by their resolution
      time (their closing time when they have none, their last update when they have
      neither). ``ended`` counts them all (they leave the backlog); ``resolved`` and the
      resolution figures leave out cancelled ones; changes' outcomes are counted here.

    Times are sums (means add up across rows) and sorted lists of single durations in seconds
    (``*_values``), so that medians stay exact when rows of several services or groups are
    merged. The backlog at a month's end and its age follow from the running totals of
    ``opened``/``ended`` and of ``opened_at_sum_s``/``ended_opened_at_sum_s`` (see
    :mod:`openitsms.operations.kpis`).
    """

    month = models.DateField(help_text="First day of the month (UTC).")
    kind = models.CharField(max_length=10, choices=RecordKind.choices)
    service = models.ForeignKey(
        "services.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    priority = models.CharField(max_length=2, blank=True)
    assignment_group = models.CharField(max_length=200, blank=True)
    opened = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    reassignments = models.PositiveIntegerField(default=0)
    major = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    response_24x7_sum_s = models.BigIntegerField(default=0)
    response_business_sum_s = models.BigIntegerField(default=0)
    response_with_target = models.PositiveIntegerField(default=0)
    response_within = models.PositiveIntegerField(default=0)
    resolution_24x7_sum_s = models.BigIntegerField(default=0)
    resolution_business_sum_s = models.BigIntegerField(default=0)
    resolution_with_target = models.PositiveIntegerField(default=0)
    resolution_within = models.PositiveIntegerField(default=0)
    # Backlog age: opening instants (seconds since 1970) of the records opened / ended.
    opened_at_sum_s = models.BigIntegerField(default=0)
    ended = models.PositiveIntegerField(default=0)
    ended_opened_at_sum_s = models.BigIntegerField(default=0)
    # Sorted single durations (seconds), for exact medians of merged rows.
    response_24x7_values = models.JSONField(default=list, blank=True)
    response_business_values = models.JSONField(default=list, blank=True)
    resolution_24x7_values = models.JSONField(default=list, blank=True)
    resolution_business_values = models.JSONField(default=list, blank=True)
    # Incidents: first-contact resolution (resolved records whose reassignments are known /
    # of those, never reassigned) and links.
    first_contact_measured = models.PositiveIntegerField(default=0)
    first_contact_resolved = models.PositiveIntegerField(default=0)
    linked_to_problem = models.PositiveIntegerField(default=0)
    caused_by_change = models.PositiveIntegerField(default=0)
    # Problems opened in the month: root cause recorded, known errors, time to known error.
    with_root_cause = models.PositiveIntegerField(default=0)
    known_errors = models.PositiveIntegerField(default=0)
    known_error_values = models.JSONField(default=list, blank=True)
    # Changes: types (opened in the month) and outcomes (ended in the month).
    changes_normal = models.PositiveIntegerField(default=0)
    changes_standard = models.PositiveIntegerField(default=0)
    changes_emergency = models.PositiveIntegerField(default=0)
    with_outcome = models.PositiveIntegerField(default=0)
    successful = models.PositiveIntegerField(default=0)
    successful_with_issues = models.PositiveIntegerField(default=0)
    unsuccessful = models.PositiveIntegerField(default=0)
    rolled_back = models.PositiveIntegerField(default=0)
    caused_incidents = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["month", "kind", "priority", "assignment_group"]
        verbose_name = "monthly rollup"
        indexes = [models.Index(fields=["organisation", "kind", "month"], name="rollup_month")]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m} {self.priority} {self.assignment_group}"

    def get_absolute_url(self) -> str:
        return reverse("operations:runs", kwargs={"org_slug": self.organisation.slug})
