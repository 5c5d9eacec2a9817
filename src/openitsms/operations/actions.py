"""Importing ITSM exports: :func:`run_import`.

**All or nothing.** The whole run is one transaction. Records are written batch by batch as
the file streams in (memory stays flat), and if any row is rejected or the file cannot be
read the transaction is rolled back: nothing of the run is stored except the run record
itself, marked failed, with every rejected row listed.

**Idempotent.** Records are keyed by (organisation, source, kind, source id). Each stored
record keeps a digest of its imported values and SLA results (``fingerprint``): the same
file again finds every digest equal (all unchanged); a newer export updates the records
whose values moved. SLA times are measured up to the record's last update in the source,
not up to "now", so that re-importing the same file gives the same numbers.

**Audit trail.** Saving one record at a time through the signals would write one chained
entry per row under its own lock. Instead records are written with ``bulk_create`` /
``bulk_update`` and, in the same transaction, :func:`openitsms.audit.actions.record_many`
appends one entry per created record (its source id, status and the run) and one per
updated record (each changed field, before and after; histories as their length), batch by
batch inside the run's transaction (same chain, memory flat). Unchanged records get no
entry. The run record itself is an audited model, so its creation and its final counts,
file name and SHA-256 are in the trail too: together every change to a record can be traced
to the run and the exact file that made it.

**SLA results.** Per record, the agreements covering its service (matched by name) and in
force on the day it was opened give the strictest response and resolution targets
(:func:`openitsms.services.models.strictest_target`); the bulk clock measures business time
in that agreement's calendar. A 24×7 clock is measured for every record. With no applicable
target ``sla_basis`` is ``none`` and only the 24×7 times are kept.

**Rollups.** After the records, the monthly :class:`~.models.Rollup` rows of every month
the run touched (opened or resolved, before or after) are recomputed from the records.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from openitsms.audit.actions import PendingEvent, record_many
from openitsms.audit.choices import AuditAction
from openitsms.jobs.actions import start_job
from openitsms.operations.choices import RunStatus, SlaBasis
from openitsms.operations.ingest import (
    DEFAULT_CLOCK_POLICY,
    IngestError,
    NormalisedRecord,
    Rejection,
    clock_columns,
    open_records,
)
from openitsms.operations.models import ColumnMapping, ImportRejection, ImportRun, Record, Rollup
from openitsms.services.clock import MISSING, BusinessCalendar, compute_clocks_bulk
from openitsms.services.models import Agreement, Service, strictest_target
from openitsms.tenancy.models import Organisation

Progress = Callable[[int, int], None]

BATCH = 2000
DRY_RUN_SAMPLE = 50
# A target no ticket reaches: the 24×7 clock must run for every ticket.
_NO_LIMIT_S = 10**11
_ALWAYS = BusinessCalendar.always("UTC")

# Record fields filled from the imported values (compared to tell updated from unchanged).
_TEXT = (
    "title",
    "source_status",
    "service_name",
    "configuration_item",
    "priority",
    "impact",
    "urgency",
    "category",
    "assignment_group",
    "resolution_code",
    "change_type",
    "risk",
    "approval",
    "outcome",
    "root_cause",
    "workaround",
)
_LINKS = {"problem_id": "problem_ref", "change_id": "change_ref"}
_VALUES = (
    "status",
    "opened_at",
    "responded_at",
    "resolved_at",
    "closed_at",
    "reassignment_count",
    "reopen_count",
    "cab_required",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "rolled_back",
    "known_error",
    "history_source",
)
_SLA = (
    "sla_basis",
    "sla_agreement_id",
    "response_target_s",
    "response_business_s",
    "response_24x7_s",
    "response_breached",
    "resolution_target_s",
    "resolution_business_s",
    "resolution_24x7_s",
    "resolution_breached",
    "sla_note",
)
STORED_FIELDS: tuple[str, ...] = (
    *_TEXT,
    *_LINKS.values(),
    "caused_by_change_ref",
    "source_made_sla",
    "source_updated_at",
    *_VALUES,
    "history",
    "priority_history",
    "service_id",
    *_SLA,
)
_UPDATE_FIELDS = [name.removesuffix("_id") for name in STORED_FIELDS] + ["fingerprint", "last_run"]


class ImportFailed(Exception):
    """Raised inside the run's transaction to roll it back."""


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    months: set[tuple[str, date]] = field(default_factory=set)
    would_create: list[str] = field(default_factory=list)
    would_update: list[dict[str, Any]] = field(default_factory=list)


def file_digest(file: str | Path | IO[bytes]) -> tuple[str, int, int]:
    """SHA-256, size in bytes and line count (an estimate of rows, for progress)."""
    digest = hashlib.sha256()
    size = lines = 0
    handle: IO[bytes] = open(file, "rb") if isinstance(file, str | Path) else file  # noqa: SIM115
    try:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    finally:
        if isinstance(file, str | Path):
            handle.close()
        else:
            handle.seek(0)
    return digest.hexdigest(), size, lines


def run_import(
    *,
    organisation: Organisation,
    user: Any,
    file: str | Path | IO[bytes],
    source: str,
    kind: str,
    mapping: ColumnMapping | None = None,
    dry_run: bool = False,
    tz: str = "UTC",
    date_order: str | None = None,
    file_name: str | None = None,
    progress: Progress | None = None,
    run: ImportRun | None = None,
) -> ImportRun:
    """Import ``file`` (a path or a binary file) as ``kind`` records from ``source``.

    Returns the run, succeeded or failed (never raises for bad input: the run says what was
    wrong). With ``dry_run`` the records are compared but nothing is stored; the run's
    ``description`` lists a sample of what would be created and updated. ``run`` is an
    existing running run to fill in (a background job creates it first).
    """
    started = time.monotonic()
    if file_name is None:
        file_name = Path(file).name if isinstance(file, str | Path) else getattr(file, "name", "")
    sha256, size, lines = file_digest(file)
    if run is None:
        run = ImportRun(organisation=organisation, user=user)
    run.file_name = Path(file_name or "upload").name[:255]
    run.sha256, run.file_size = sha256, size
    run.source, run.kind, run.dry_run, run.time_zone = source, kind, dry_run, tz
    run.mapping_name = mapping.name if mapping else ""
    run.date_order = date_order or ""
    run.status = RunStatus.RUNNING
    run.save()
    total = max(lines - 1, 1)

    outcome = _Outcome()
    stream = None
    try:
        with transaction.atomic():
            stream = open_records(
                file,
                source=source,  # type: ignore[arg-type]
                kind=kind,  # type: ignore[arg-type]
                tz=tz,
                columns=mapping.columns if mapping else None,
                value_maps=mapping.value_maps if mapping else None,
                date_order=date_order,  # type: ignore[arg-type]
            )
            run.description = stream.describe()
            importer = _Importer(organisation, run, dry_run=dry_run, outcome=outcome)
            for batch in _batches(stream, outcome):
                importer.store(batch)
                if progress:
                    # The total is a line count (an estimate): stop short of it until done.
                    progress(min(stream.rows_read, total - 1), total)
            run.rows_read = stream.rows_read
            run.description = stream.describe()
            if outcome.rejections:
                raise ImportFailed
            if not dry_run:
                _recompute_rollups(organisation, outcome.months)
            run.status = RunStatus.SUCCEEDED
            _finish(run, outcome, started)
            if dry_run:
                raise ImportFailed  # nothing of a dry run is kept but the run
    except ImportFailed:
        pass
    except IngestError as error:
        row = f" (row {error.row_number})" if error.row_number else ""
        run.message = f"The file cannot be imported{row}: {error.message}"
        run.status = RunStatus.FAILED
    finally:
        if stream is not None:
            stream.close()
    if run.status == RunStatus.RUNNING or outcome.rejections:
        run.status = RunStatus.FAILED
    if run.status == RunStatus.FAILED:
        _fail(run, outcome, started)
    elif dry_run:
        run.save()
    if progress:
        progress(total, total)
    return run


def _finish(run: ImportRun, outcome: _Outcome, started: float) -> None:
    run.created, run.updated, run.unchanged = outcome.created, outcome.updated, outcome.unchanged
    run.rejected = len(outcome.rejections)
    run.finished_at = timezone.now()
    run.duration_s = round(time.monotonic() - started, 3)
    if run.dry_run:
        run.description = {
            **run.description,
            "would_create": outcome.would_create,
            "would_update": outcome.would_update,
        }
        run.message = (
            f"Dry run: {outcome.created} would be created, {outcome.updated} updated, "
            f"{outcome.unchanged} unchanged. Nothing was stored."
        )
    else:
        run.message = (
            f"{outcome.created} created, {outcome.updated} updated, {outcome.unchanged} unchanged."
        )
    run.save()


def _fail(run: ImportRun, outcome: _Outcome, started: float) -> None:
    """Record the failed run and its rejections (the records were rolled back)."""
    rejections = outcome.rejections
    if not run.message:
        first = rejections[0] if rejections else None
        run.message = (
            f"Nothing was imported: {len(rejections)} row(s) rejected"
            + (f", the first at row {first.row_number}: {first.reason}" if first else "")
            + ". Correct the file and import it again."
        )
    run.created = run.updated = run.unchanged = 0
    run.rejected = len(rejections)
    run.finished_at = timezone.now()
    run.duration_s = round(time.monotonic() - started, 3)
    run.status = RunStatus.FAILED
    with transaction.atomic():
        run.save()
        for start in range(0, len(rejections), BATCH):
            ImportRejection.all_orgs.bulk_create(
                ImportRejection(
                    organisation_id=run.organisation_id,
                    run=run,
                    row_number=item.row_number,
                    source_id=(item.source_id or "")[:100],
                    reason=item.reason,
                    columns=list(item.columns),
                )
                for item in rejections[start : start + BATCH]
            )


def _batches(stream: Iterable[Any], outcome: _Outcome) -> Iterator[list[NormalisedRecord]]:
    batch: list[NormalisedRecord] = []
    for item in stream:
        if isinstance(item, Rejection):
            outcome.rejections.append(item)
            continue
        if outcome.rejections:
            continue  # the run fails: read on only to list every rejection
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch and not outcome.rejections:
        yield batch
    elif not batch:
        yield []


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _month(value: datetime | None) -> date | None:
    return None if value is None else date(value.year, value.month, 1)


class _Importer:
    """Writes batches of records for one run (or compares them, in a dry run)."""

    def __init__(
        self, organisation: Organisation, run: ImportRun, *, dry_run: bool, outcome: _Outcome
    ) -> None:
        self.organisation = organisation
        self.run = run
        self.dry_run = dry_run
        self.outcome = outcome
        self.services = {
            service.name.casefold(): service
            for service in Service.all_orgs.filter(organisation=organisation)
        }
        self._agreements: dict[int, list[Agreement]] = {}
        self._calendars: dict[int, BusinessCalendar] = {}

    # -- SLA ----------------------------------------------------------------------------

    def agreements_for(self, service: Service | None, on: date) -> list[Agreement]:
        if service is None:
            return []
        if service.pk not in self._agreements:
            self._agreements[service.pk] = list(
                Agreement.all_orgs.filter(organisation=self.organisation, services=service)
                .select_related("calendar")
                .prefetch_related("time_targets", "calendar__segments", "calendar__closures")
                .order_by("reference")
            )
        return [
            agreement
            for agreement in self._agreements[service.pk]
            if agreement.valid_from <= on
            and (agreement.valid_until is None or agreement.valid_until >= on)
        ]

    def calendar_for(self, agreement: Agreement) -> BusinessCalendar:
        calendar = agreement.calendar
        if calendar.pk not in self._calendars:
            this_year = timezone.now().year
            self._calendars[calendar.pk] = calendar.to_business_calendar(range(2000, this_year + 3))
        return self._calendars[calendar.pk]

    def sla(self, records: list[NormalisedRecord], services: list[Service | None]) -> list[dict]:
        """SLA results per record (see the module docstring)."""
        n = len(records)
        results: list[dict[str, Any]] = [
            {
                "sla_basis": SlaBasis.NONE,
                "sla_agreement_id": None,
                "response_target_s": None,
                "response_business_s": None,
                "response_24x7_s": None,
                "response_breached": None,
                "resolution_target_s": None,
                "resolution_business_s": None,
                "resolution_24x7_s": None,
                "resolution_breached": None,
                "sla_note": "",
            }
            for _ in range(n)
        ]
        if not n:
            return results
        columns = clock_columns(records, DEFAULT_CLOCK_POLICY)
        as_of = np.array(
            [
                _epoch(
                    max(
                        (r.updated_at or r.opened_at),
                        r.history[-1].at if r.history else r.opened_at,
                    )
                )
                for r in records
            ],
            dtype=np.int64,
        )
        for clock in ("response", "resolution"):
            always = compute_clocks_bulk(
                columns, kind=clock, target_s=_NO_LIMIT_S, calendar=_ALWAYS, as_of=as_of
            )
            stopped = always.stopped_at != MISSING
            for hit in np.flatnonzero(stopped & always.has_clock):
                results[int(hit)][f"{clock}_24x7_s"] = int(always.elapsed_business_s[hit])
            # Targets per record, grouped by calendar.
            by_calendar: dict[int, tuple[BusinessCalendar, np.ndarray]] = {}
            chosen: dict[int, tuple[Agreement, int]] = {}
            for i, (record, service) in enumerate(zip(records, services, strict=True)):
                if not record.priority:
                    continue
                agreements = self.agreements_for(service, record.opened_at.date())
                if not agreements:
                    continue
                found = strictest_target(
                    agreements,
                    kind=clock,
                    priority=record.priority,
                    request_type=record.category or "",
                )
                if found is None:
                    continue
                calendar = found.agreement.calendar
                if calendar.pk not in by_calendar:
                    by_calendar[calendar.pk] = (
                        self.calendar_for(found.agreement),
                        np.zeros(n, dtype=np.int64),
                    )
                by_calendar[calendar.pk][1][i] = found.target.seconds
                chosen[i] = (found.agreement, found.target.seconds)
            for business_calendar, targets in by_calendar.values():
                clocks = compute_clocks_bulk(
                    columns,
                    kind=clock,
                    target_s=targets,
                    calendar=business_calendar,
                    as_of=as_of,
                )
                for hit in np.flatnonzero(targets > 0):
                    i = int(hit)
                    result = results[i]
                    agreement, seconds = chosen[i]
                    result["sla_basis"] = SlaBasis.AGREEMENT
                    result["sla_agreement_id"] = agreement.pk
                    result[f"{clock}_target_s"] = seconds
                    if clocks.has_clock[i]:
                        result[f"{clock}_breached"] = bool(clocks.breached[i])
                        if clocks.stopped_at[i] != MISSING:
                            result[f"{clock}_business_s"] = int(clocks.elapsed_business_s[i])
                    elif clocks.error[i]:
                        problem = clocks.problem(int(i))
                        result["sla_note"] = f"history problem: {problem}"[:200]
        for result in results:
            if result["sla_basis"] == SlaBasis.NONE:
                result["sla_note"] = "No agreement target applies: 24×7 times only."
        return results

    # -- values ---------------------------------------------------------------------------

    def values(self, record: NormalisedRecord, service: Service | None) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: _clip(name, getattr(record, name, None) or "") for name in _TEXT
        }
        for name, target in _LINKS.items():
            values[target] = _clip(target, getattr(record, name) or "")
        values["caused_by_change_ref"] = _clip(
            "caused_by_change_ref", record.caused_by_change or ""
        )
        values["source_made_sla"] = record.made_sla
        values["source_updated_at"] = record.updated_at
        for name in _VALUES:
            values[name] = getattr(record, name)
        values["service_name"] = (record.service or "")[:150]
        values["history"] = [
            [_epoch(e.at), e.status, e.group, e.source_status] for e in record.history
        ]
        values["priority_history"] = [[_epoch(e.at), e.priority] for e in record.priority_history]
        values["service_id"] = service.pk if service else None
        return values

    @staticmethod
    def fingerprint(values: dict[str, Any]) -> str:
        text = repr([values[name] for name in STORED_FIELDS])
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    # -- storing --------------------------------------------------------------------------

    def store(self, records: list[NormalisedRecord]) -> None:
        if not records:
            return
        org, run, outcome = self.organisation, self.run, self.outcome
        services = [self.services.get(r.service.casefold()) if r.service else None for r in records]
        slas = self.sla(records, services)
        rows = []
        for record, service, sla in zip(records, services, slas, strict=True):
            values = self.values(record, service)
            values.update(sla)
            rows.append((record.source_id, values, self.fingerprint(values)))
        existing = dict(
            Record.all_orgs.filter(
                organisation=org,
                source=run.source,
                kind=run.kind,
                source_id__in=[source_id for source_id, _v, _f in rows],
            ).values_list("source_id", "fingerprint")
        )
        to_create: list[Record] = []
        changed: dict[str, tuple[dict[str, Any], str]] = {}
        for source_id, values, fingerprint in rows:
            if source_id not in existing:
                to_create.append(
                    Record(
                        organisation=org,
                        kind=run.kind,
                        source=run.source,
                        source_id=source_id,
                        fingerprint=fingerprint,
                        last_run=None if self.dry_run else run,
                        **values,
                    )
                )
            elif existing[source_id] != fingerprint:
                changed[source_id] = (values, fingerprint)
            else:
                outcome.unchanged += 1
        outcome.created += len(to_create)
        outcome.updated += len(changed)
        events: list[PendingEvent] = []
        if self.dry_run:
            room = DRY_RUN_SAMPLE - len(outcome.would_create)
            outcome.would_create.extend(r.source_id for r in to_create[: max(room, 0)])
        else:
            Record.all_orgs.bulk_create(to_create)
            for obj in to_create:
                self._touch(obj.kind, obj.opened_at, obj.resolved_at)
                events.append(
                    PendingEvent(
                        action=AuditAction.CREATE,
                        obj=obj,
                        organisation_id=org.pk,
                        changes={
                            "source_id": obj.source_id,
                            "status": obj.status,
                            "import_run": run.pk,
                            "file_sha256": run.sha256,
                        },
                    )
                )
        if changed:
            olds = list(
                Record.all_orgs.filter(
                    organisation=org,
                    source=run.source,
                    kind=run.kind,
                    source_id__in=list(changed),
                )
            )
            for old in olds:
                values, fingerprint = changed[old.source_id]
                if not values["problem_ref"] and old.problem_ref:
                    # A link made here (a raised problem) stays until the source sets one.
                    values["problem_ref"] = old.problem_ref
                diff = _diff(old, values)
                if self.dry_run:
                    if len(outcome.would_update) < DRY_RUN_SAMPLE:
                        outcome.would_update.append(
                            {"source_id": old.source_id, "fields": sorted(diff)}
                        )
                    continue
                self._touch(old.kind, old.opened_at, old.resolved_at)
                for name, value in values.items():
                    setattr(old, name, value)
                old.fingerprint, old.last_run = fingerprint, run
                self._touch(old.kind, old.opened_at, old.resolved_at)
                events.append(
                    PendingEvent(
                        action=AuditAction.UPDATE,
                        obj=old,
                        organisation_id=org.pk,
                        changes={**diff, "import_run": run.pk, "file_sha256": run.sha256},
                    )
                )
            if not self.dry_run:
                Record.all_orgs.bulk_update(olds, _UPDATE_FIELDS, batch_size=500)
        if events:
            record_many(events)

    def _touch(self, kind: str, opened_at: datetime, resolved_at: datetime | None) -> None:
        for moment in (opened_at, resolved_at):
            month = _month(moment)
            if month is not None:
                self.outcome.months.add((kind, month))


def _clip(name: str, value: str) -> str:
    """``value`` cut to the column's length (source ids and names are short in practice)."""
    limit = _LIMITS.get(name)
    return value[:limit] if limit else value


_LIMITS: dict[str, int] = {
    f.name: int(f.max_length or 0)
    for f in Record._meta.concrete_fields
    if getattr(f, "max_length", None) and f.get_internal_type() == "CharField"
}


def _diff(old: Record, values: dict[str, Any]) -> dict[str, Any]:
    """The fields that change, ``[before, after]`` (histories as their lengths)."""
    diff: dict[str, Any] = {}
    for name, after in values.items():
        before = getattr(old, name)
        if before == after:
            continue
        if name in ("history", "priority_history"):
            diff[name] = [f"{len(before)} entries", f"{len(after)} entries"]
        else:
            diff[name] = [before, after]
    return diff


# -- rollups --------------------------------------------------------------------------------


def _recompute_rollups(organisation: Organisation, months: set[tuple[str, date]]) -> None:
    """Recompute the monthly rollups of ``months`` (kind, first day) from the records."""
    by_kind: dict[str, set[date]] = defaultdict(set)
    for kind, month in months:
        by_kind[kind].add(month)
    for kind, wanted in by_kind.items():
        _recompute_kind(organisation, kind, wanted)


def _recompute_kind(organisation: Organisation, kind: str, wanted: set[date]) -> None:
    """Recompute one kind's rollups of the months ``wanted``."""
    Rollup.all_orgs.filter(organisation=organisation, kind=kind, month__in=wanted).delete()
    first = min(wanted)
    last = max(wanted)
    end = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    start_dt = datetime(first.year, first.month, 1, tzinfo=UTC)
    end_dt = datetime(end.year, end.month, 1, tzinfo=UTC)
    records = Record.all_orgs.filter(organisation=organisation, kind=kind)
    keys = ("service_id", "priority", "assignment_group")
    rollups: dict[tuple[Any, ...], Rollup] = {}

    def rollup_for(row: dict[str, Any], month_field: str) -> Rollup | None:
        month = row[month_field].date() if row[month_field] else None
        if month is None or month not in wanted:
            return None
        key = (month, *(row[k] for k in keys))
        if key not in rollups:
            rollups[key] = Rollup(
                organisation=organisation,
                kind=kind,
                month=month,
                service_id=row["service_id"],
                priority=row["priority"],
                assignment_group=row["assignment_group"],
            )
        return rollups[key]

    opened = (
        records.filter(opened_at__gte=start_dt, opened_at__lt=end_dt)
        .annotate(m=TruncMonth("opened_at", tzinfo=UTC))
        .values("m", *keys)
        .annotate(
            opened=Count("pk"),
            reopened=Count("pk", filter=Q(reopen_count__gt=0)),
            reassignments=Sum("reassignment_count"),
            major=Count("pk", filter=Q(priority="P1")),
            responded=Count("pk", filter=Q(response_24x7_s__isnull=False)),
            response_24x7=Sum("response_24x7_s"),
            response_business=Sum("response_business_s"),
            response_with_target=Count("pk", filter=Q(response_breached__isnull=False)),
            response_within=Count("pk", filter=Q(response_breached=False)),
        )
        .order_by()
    )
    for row in opened:
        rollup = rollup_for(row, "m")
        if rollup is None:
            continue
        rollup.opened = row["opened"]
        rollup.reopened = row["reopened"]
        rollup.reassignments = row["reassignments"] or 0
        rollup.major = row["major"]
        rollup.responded = row["responded"]
        rollup.response_24x7_sum_s = row["response_24x7"] or 0
        rollup.response_business_sum_s = row["response_business"] or 0
        rollup.response_with_target = row["response_with_target"]
        rollup.response_within = row["response_within"]
    resolved = (
        records.filter(resolved_at__gte=start_dt, resolved_at__lt=end_dt)
        .annotate(m=TruncMonth("resolved_at", tzinfo=UTC))
        .values("m", *keys)
        .annotate(
            resolved=Count("pk"),
            resolution_24x7=Sum("resolution_24x7_s"),
            resolution_business=Sum("resolution_business_s"),
            resolution_with_target=Count("pk", filter=Q(resolution_breached__isnull=False)),
            resolution_within=Count("pk", filter=Q(resolution_breached=False)),
        )
        .order_by()
    )
    for row in resolved:
        rollup = rollup_for(row, "m")
        if rollup is None:
            continue
        rollup.resolved = row["resolved"]
        rollup.resolution_24x7_sum_s = row["resolution_24x7"] or 0
        rollup.resolution_business_sum_s = row["resolution_business"] or 0
        rollup.resolution_with_target = row["resolution_with_target"]
        rollup.resolution_within = row["resolution_within"]
    Rollup.all_orgs.bulk_create(rollups.values(), batch_size=1000)


def save_mapping(
    *,
    organisation: Organisation,
    name: str,
    source: str,
    kind: str,
    columns: dict[str, str],
    value_maps: dict[str, dict[str, str]] | None = None,
) -> ColumnMapping:
    """Save (or replace) the column mapping called ``name``."""
    with transaction.atomic():
        mapping = ColumnMapping.all_orgs.filter(organisation=organisation, name=name).first()
        if mapping is None:
            mapping = ColumnMapping(organisation=organisation, name=name)
        mapping.source, mapping.kind = source, kind
        mapping.columns = dict(columns)
        mapping.value_maps = dict(value_maps or {})
        mapping.save()
    return mapping


def save_upload(upload: Any) -> Path:
    """Keep an uploaded file (Django ``UploadedFile``) until its import job has read it."""
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.upload"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def queue_import(
    *,
    organisation: Organisation,
    user: Any,
    upload: Any,
    source: str,
    kind: str,
    mapping: ColumnMapping | None = None,
    dry_run: bool = False,
    tz: str = "UTC",
    date_order: str = "",
) -> ImportRun:
    """Keep the upload and create its run; start the import job unless the file needs a
    column mapping first (``source="csv"`` without ``mapping``: :func:`start_import` later)."""
    with transaction.atomic():
        run = ImportRun.objects.create(
            organisation=organisation,
            user=user,
            file_name=Path(upload.name or "upload").name[:255],
            source=source,
            kind=kind,
            time_zone=tz,
            date_order=date_order or "",
            dry_run=dry_run,
            upload_path=str(save_upload(upload)),
            status=RunStatus.MAPPING,
        )
        if source != "csv" or mapping is not None:
            start_import(run=run, user=user, mapping=mapping)
    return run


def start_import(*, run: ImportRun, user: Any, mapping: ColumnMapping | None) -> ImportRun:
    """Start the background job that imports ``run``'s upload."""
    with transaction.atomic():
        run.job = start_job(
            organisation=run.organisation,
            user=user,
            kind="operations_import",
            title=f"Import {run.file_name}",
            params={"run_id": run.pk, "mapping_id": mapping.pk if mapping else None},
        )
        run.mapping_name = mapping.name if mapping else ""
        run.status = RunStatus.RUNNING
        run.save()
    return run
