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
entry per row under its own lock. Instead records are written as prepared rows (``COPY``
on PostgreSQL, ``executemany`` on SQLite; updates by id) and, in the same transaction,
one entry per created record (its source id, status, the run and the file's SHA-256:
:func:`openitsms.audit.actions.record_created_many`) and one per updated record (each changed
field, before and after; histories as their length: ``record_many``) are appended batch by
batch (same chain, memory flat). Unchanged records get no entry. The run record itself is an
audited model, so its creation and its final counts, file name and SHA-256 are in the trail
too: together every change to a record can be traced to the run and the exact file that
made it.

**Readers.** Audit-log CSV exports are read in columns (:mod:`.ingest.fast`; in a process of
their own from :data:`.ingest.process.MIN_BYTES` on), everything else row by row
(:mod:`.ingest.stream`); a file the columnar reader leaves, or whose reading process fails,
is read again row by row. Batches are written by :class:`.importing.BatchWriter` while the
next is read and prepared in a thread. The run's ``description["reader"]`` says which.

**SLA results.** Per record, the agreements covering its service (matched by name) and in
force on the day it was opened give the strictest response and resolution targets
(:func:`openitsms.services.models.strictest_target`); the bulk clock measures business time
in that agreement's calendar. A 24×7 clock is measured for every record. With no applicable
target ``sla_basis`` is ``none`` and only the 24×7 times are kept.

**Rollups.** After the records, the monthly :class:`~.models.Rollup` rows are recomputed
from the records, from the first month the run touched (opened or resolved, before or
after) on; after incidents, also the months of the changes they name as a cause.
"""

from __future__ import annotations

import gc
import hashlib
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import IO, Any, Final

import polars as pl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    BigIntegerField,
    CharField,
    Count,
    Func,
    Q,
    Sum,
    TextField,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from openitsms.jobs.actions import start_job
from openitsms.lib.readahead import read_ahead
from openitsms.operations.choices import RecordKind, RecordStatus, RunStatus
from openitsms.operations.importing import BatchWriter, Outcome
from openitsms.operations.ingest import (
    IngestError,
    NormalisedRecord,
    Rejection,
    open_records,
)
from openitsms.operations.ingest import process as _process
from openitsms.operations.ingest.fast import Unsuitable, fast_frames
from openitsms.operations.ingest.frames import frame_from_records
from openitsms.operations.models import ColumnMapping, ImportRejection, ImportRun, Record, Rollup
from openitsms.operations.value_tables import (
    check_columns,
    check_value_maps,
    source_kind_errors,
)
from openitsms.tenancy.models import Organisation

Progress = Callable[[int, int], None]

BATCH = 20_000


class ImportFailed(Exception):
    """Raised inside the run's transaction to roll it back."""


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
    options: dict[str, Any] = {
        "source": source,
        "kind": kind,
        "tz": tz,
        "columns": mapping.columns if mapping else None,
        "value_maps": mapping.value_maps if mapping else None,
        "date_order": date_order,
    }
    # A large file is read by a process of its own (see ingest.process), started first so
    # that it reads while the file is hashed. It is stopped in any case below.
    reading = None
    if _read_in_a_process(file):
        reading = _process.ReadingProcess(str(file), options)
    try:
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
    except BaseException:
        if reading is not None:
            reading.close()
        raise
    total = max(lines - 1, 1)

    outcome = Outcome()
    stream = None
    # The cyclic garbage collector is paused while the file streams in: the records of a
    # batch make no reference cycles worth finding, and its passes over the many young
    # objects of each batch took a tenth of the time. Memory stays flat (bench/operations).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with transaction.atomic():
            opener = partial(open_records, file, **options)
            stream = opener()
            run.description = stream.describe()
            frames = fast_frames(stream, file)
            reader = "columnar"
            if frames is not None and reading is not None:
                frames = reading.frames(stream)
                reader = "columnar, in a process of its own"
            if frames is not None:
                try:
                    with transaction.atomic():  # a savepoint, for going back to the reference
                        _store_all(frames, stream, run, dry_run, outcome, progress, total)
                except (Unsuitable, _process.ChildFailed) as why:
                    # Read again row by row: the reference names what it rejects, and a
                    # reading process that failed (out of memory, say) loses nothing.
                    stream.close()
                    if not isinstance(file, str | Path):
                        file.seek(0)
                    outcome = Outcome()
                    stream, frames, reader = opener(), None, f"row by row ({why})"
            else:
                reader = "row by row"
            if frames is None:
                _store_all(
                    _batches(stream, outcome), stream, run, dry_run, outcome, progress, total
                )
            run.rows_read = stream.rows_read
            run.description = {**stream.describe(), "reader": reader}
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
        if reading is not None:
            reading.close()
        if gc_was_enabled:
            gc.enable()
    if run.status == RunStatus.RUNNING or outcome.rejections:
        run.status = RunStatus.FAILED
    if run.status == RunStatus.FAILED:
        _fail(run, outcome, started)
    elif dry_run:
        run.save()
    if progress:
        progress(total, total)
    return run


def _read_in_a_process(file: str | Path | IO[bytes]) -> bool:
    """Whether ``file`` is a file large enough for a reading process, and not a spreadsheet
    (a ZIP archive: the columnar reader is for CSV)."""
    if not isinstance(file, str | Path):
        return False
    path = Path(file)
    if path.stat().st_size < _process.MIN_BYTES:
        return False
    with path.open("rb") as handle:
        return handle.read(4) != b"PK\x03\x04"


def _finish(run: ImportRun, outcome: Outcome, started: float) -> None:
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


def _fail(run: ImportRun, outcome: Outcome, started: float) -> None:
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


def _store_all(
    frames: Iterable[pl.DataFrame],
    stream: Any,
    run: ImportRun,
    dry_run: bool,
    outcome: Outcome,
    progress: Progress | None,
    total: int,
) -> None:
    writer = BatchWriter(run.organisation, run, dry_run=dry_run, outcome=outcome)
    # Batches are read and prepared in a thread while the ones before them are written.
    for prepared in read_ahead(map(writer.prepare, frames), depth=1):
        writer.write(prepared)
        if progress:
            # The total is a line count (an estimate): stop short of it until done.
            progress(min(stream.rows_read, total - 1), total)


def _batches(stream: Iterable[Any], outcome: Outcome) -> Iterator[pl.DataFrame]:
    """Frames of up to :data:`BATCH` records; rejections go to ``outcome`` (once one is met,
    the rest of the file is only read to list every rejection)."""
    batch: list[NormalisedRecord] = []
    for item in stream:
        if isinstance(item, Rejection):
            outcome.rejections.append(item)
            continue
        if outcome.rejections:
            continue  # the run fails: read on only to list every rejection
        batch.append(item)
        if len(batch) >= BATCH:
            yield frame_from_records(batch)
            batch = []
    if batch and not outcome.rejections:
        yield frame_from_records(batch)


# -- rollups --------------------------------------------------------------------------------

# A record has ended (left the backlog) in these statuses; cancelled ones are not resolved.
_ENDED_STATUSES = (RecordStatus.RESOLVED, RecordStatus.CLOSED, RecordStatus.CANCELLED)
_ROLLUP_KEYS = ("service_id", "priority", "assignment_group")


class _EpochSeconds(Func):
    """A date-time column as whole seconds since 1970 (SQLite and PostgreSQL)."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


class _MonthOf(Func):
    """The UTC month of a date-time column as text, ``"2024-03"``: SQLite keeps date-times as
    UTC ISO text, so this is a substring there, where ``TruncMonth`` would call Python for
    every row."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "substr(%(expressions)s, 1, 7)"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM')"
        return self.as_sql(compiler, connection, template=template, **extra_context)


class _Joined(Aggregate):
    """An integer column's values in a group as text, ``"7,3,12"`` (NULLs left out, in no
    order): the single durations behind exact medians, without a row per record."""

    function = "GROUP_CONCAT"
    name = "Joined"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        clone = self.copy()
        clone.function = "STRING_AGG"
        clone.template = "%(function)s(CAST(%(expressions)s AS TEXT), ',')"
        return clone.as_sql(compiler, connection, **extra_context)


def _ended_at() -> Coalesce:
    """When a record that has ended did: resolved, else closed, else its last update."""
    return Coalesce("resolved_at", "closed_at", "source_updated_at")


def _month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def _month_of(text: str) -> date:
    """The first day of the month ``"2024-03"``."""
    return date(int(text[:4]), int(text[5:7]), 1)


def _month_after(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _recompute_rollups(organisation: Organisation, months: set[tuple[str, date]]) -> None:
    """Recompute the monthly rollups after an import touched ``months`` (kind, first day).

    The touched months are those a created or updated record was opened or resolved in,
    before and after. A record can also end without a resolution time (closed, cancelled) and
    that moment can move too; it is never before the opening, so each kind is recomputed from
    its first touched month to its newest. Changes are also recomputed after incidents: an
    incident naming a change as its cause (or no longer naming it) moves the change's figures.
    """
    by_kind: dict[str, set[date]] = defaultdict(set)
    for kind, month in months:
        by_kind[kind].add(month)
    for kind, wanted in by_kind.items():
        _recompute_kind(organisation, kind, wanted)
    if RecordKind.INCIDENT in by_kind:
        _recompute_changes_named_by(organisation, by_kind[RecordKind.INCIDENT])


def _month(value: datetime | None) -> date | None:
    return None if value is None else date(value.year, value.month, 1)


def refresh_rollups(*, organisation: Organisation, records: Iterable[Record]) -> None:
    """Bring the rollups up to date after ``records`` were created or changed outside an
    import (a problem raised from recurring incidents and the incidents linked to it)."""
    months = {
        (record.kind, month)
        for record in records
        for month in (_month(record.opened_at), _month(record.resolved_at))
        if month is not None
    }
    if months:
        with transaction.atomic():
            _recompute_rollups(organisation, months)


def _recompute_changes_named_by(organisation: Organisation, incident_months: set[date]) -> None:
    """Recompute the months of the changes named as a cause by incidents opened in
    ``incident_months``, and of those counted as having caused incidents until now."""
    records = Record.all_orgs.filter(organisation=organisation)
    named = (
        records.filter(
            kind=RecordKind.INCIDENT,
            opened_at__gte=_month_start(min(incident_months)),
            opened_at__lt=_month_start(_month_after(max(incident_months))),
        )
        .exclude(caused_by_change_ref="")
        .values("caused_by_change_ref")
    )
    months = {
        _month_of(text)
        for text in records.filter(
            kind=RecordKind.CHANGE, status__in=_ENDED_STATUSES, source_id__in=named
        )
        .alias(ended_at=_ended_at())
        .annotate(m=_MonthOf("ended_at"))
        .order_by()
        .values_list("m", flat=True)
        .distinct()
    }
    months.update(
        Rollup.all_orgs.filter(
            organisation=organisation, kind=RecordKind.CHANGE, caused_incidents__gt=0
        )
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )
    if months:
        _recompute_kind(organisation, RecordKind.CHANGE, months, only_wanted=True)


def _opened_figures(kind: str) -> dict[str, Any]:
    """Aggregates of the records opened in a month, named ``r_`` + the rollup's field."""
    figures: dict[str, Any] = {
        "r_opened": Count("pk"),
        "r_opened_at_sum_s": Sum(_EpochSeconds("opened_at")),
        "r_reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "r_reassignments": Sum("reassignment_count"),
        "r_major": Count("pk", filter=Q(priority="P1")),
        "r_responded": Count("pk", filter=Q(response_24x7_s__isnull=False)),
        "r_response_24x7_sum_s": Sum("response_24x7_s"),
        "r_response_business_sum_s": Sum("response_business_s"),
        "r_response_with_target": Count("pk", filter=Q(response_breached__isnull=False)),
        "r_response_within": Count("pk", filter=Q(response_breached=False)),
        "r_response_24x7_values": _Joined("response_24x7_s"),
        "r_response_business_values": _Joined("response_business_s"),
    }
    if kind == RecordKind.INCIDENT:
        figures["r_linked_to_problem"] = Count("pk", filter=~Q(problem_ref=""))
        figures["r_caused_by_change"] = Count("pk", filter=~Q(caused_by_change_ref=""))
    elif kind == RecordKind.PROBLEM:
        figures["r_with_root_cause"] = Count("pk", filter=~Q(root_cause=""))
    elif kind == RecordKind.CHANGE:
        for change_type in ("normal", "standard", "emergency"):
            figures[f"r_changes_{change_type}"] = Count("pk", filter=Q(change_type=change_type))
    return figures


def _ended_figures(organisation: Organisation, kind: str) -> dict[str, Any]:
    """Aggregates of the records that ended in a month, named ``r_`` + the rollup's field.

    First-contact resolution: resolved with no reassignment (a record never reassigned was
    resolved by the group it was first assigned to), of those whose reassignments are known.
    """
    resolved = ~Q(status=RecordStatus.CANCELLED)
    figures: dict[str, Any] = {
        "r_ended": Count("pk"),
        "r_ended_opened_at_sum_s": Sum(_EpochSeconds("opened_at")),
        "r_resolved": Count("pk", filter=resolved),
        "r_resolution_24x7_sum_s": Sum("resolution_24x7_s", filter=resolved),
        "r_resolution_business_sum_s": Sum("resolution_business_s", filter=resolved),
        "r_resolution_with_target": Count(
            "pk", filter=resolved & Q(resolution_breached__isnull=False)
        ),
        "r_resolution_within": Count("pk", filter=resolved & Q(resolution_breached=False)),
        "r_resolution_24x7_values": _Joined("resolution_24x7_s", filter=resolved),
        "r_resolution_business_values": _Joined("resolution_business_s", filter=resolved),
    }
    if kind == RecordKind.INCIDENT:
        figures["r_first_contact_measured"] = Count(
            "pk", filter=resolved & Q(reassignment_count__isnull=False)
        )
        figures["r_first_contact_resolved"] = Count("pk", filter=resolved & Q(reassignment_count=0))
    elif kind == RecordKind.CHANGE:
        caused = Q(
            source_id__in=Record.all_orgs.filter(
                organisation=organisation, kind=RecordKind.INCIDENT
            )
            .exclude(caused_by_change_ref="")
            .values("caused_by_change_ref")
        )
        figures.update(
            r_with_outcome=Count("pk", filter=~Q(outcome="")),
            r_successful=Count("pk", filter=Q(outcome="successful")),
            r_successful_with_issues=Count("pk", filter=Q(outcome="successful_with_issues")),
            r_unsuccessful=Count("pk", filter=Q(outcome="unsuccessful")),
            r_rolled_back=Count("pk", filter=Q(rolled_back=True)),
            r_caused_incidents=Count("pk", filter=caused),
            r_failed=Count("pk", filter=Q(outcome="unsuccessful") | Q(rolled_back=True) | caused),
        )
    return figures


def _by_month(
    *streams: Iterator[dict[str, Any]],
) -> Iterator[tuple[date, list[list[dict[str, Any]]]]]:
    """Rows of several streams ordered by month (``m``), one month at a time: the month and
    each stream's rows of it."""
    grouped = [groupby(stream, key=lambda row: _month_of(row["m"])) for stream in streams]
    heads = [next(group, None) for group in grouped]
    while any(head is not None for head in heads):
        month = min(head[0] for head in heads if head is not None)
        parts: list[list[dict[str, Any]]] = []
        for index, head in enumerate(heads):
            if head is not None and head[0] == month:
                parts.append(list(head[1]))
                heads[index] = next(grouped[index], None)
            else:
                parts.append([])
        yield month, parts


def _sorted_seconds(joined: str | None) -> list[int]:
    return sorted(map(int, joined.split(","))) if joined else []


def _known_error_at(history: list[list[Any]]) -> int | None:
    """When the status history first shows a "Known error" status (seconds since 1970)."""
    for entry in history:
        source_status = entry[3] if len(entry) > 3 else None
        if source_status and " ".join(str(source_status).replace("_", " ").split()).casefold() == (
            "known error"
        ):
            return int(entry[0])
    return None


def _recompute_kind(
    organisation: Organisation, kind: str, wanted: set[date], *, only_wanted: bool = False
) -> None:
    """Recompute one kind's rollups from the first month ``wanted`` to the newest on record
    (only the months ``wanted`` with ``only_wanted``).

    Two grouped queries (records opened, records ended) are read as streams ordered by month
    and written a month at a time, so memory stays flat however many months there are.
    """
    first, last = min(wanted), max(wanted)
    start = _month_start(first)
    records = Record.all_orgs.filter(organisation=organisation, kind=kind)
    stale = Rollup.all_orgs.filter(organisation=organisation, kind=kind, month__gte=first)
    opened = records.filter(opened_at__gte=start)
    ended = (
        records.filter(status__in=_ENDED_STATUSES)
        .alias(ended_at=_ended_at())
        .filter(ended_at__gte=start)
    )
    if only_wanted:
        end = _month_start(_month_after(last))
        stale = stale.filter(month__in=wanted)
        opened = opened.filter(opened_at__lt=end)
        ended = ended.filter(ended_at__lt=end)
    # Derived and not audited: deleted in one statement, without loading each row for the
    # delete signals.
    stale._raw_delete(stale.db)
    opened_rows = (
        opened.annotate(m=_MonthOf("opened_at"))
        .values("m", *_ROLLUP_KEYS)
        .annotate(**_opened_figures(kind))
        .order_by("m")
    )
    ended_rows = (
        ended.annotate(m=_MonthOf("ended_at"))
        .values("m", *_ROLLUP_KEYS)
        .annotate(**_ended_figures(organisation, kind))
        .order_by("m")
    )
    for month, (opened_part, ended_part) in _by_month(
        opened_rows.iterator(chunk_size=BATCH), ended_rows.iterator(chunk_size=BATCH)
    ):
        if only_wanted and month not in wanted:
            continue
        rollups = _MonthRollups(organisation, kind, month)
        for row in (*opened_part, *ended_part):
            rollup = rollups.get((row["service_id"], row["priority"], row["assignment_group"]))
            for alias, value in row.items():
                if not alias.startswith("r_"):
                    continue
                name = alias[2:]
                if name.endswith("_values"):
                    rollup[name] = _sorted_seconds(value)
                else:
                    rollup[name] = value or 0
        if kind == RecordKind.PROBLEM:
            _add_known_errors(records, month, rollups)
        _insert_rollups(list(rollups.by_key.values()))


# A rollup being built is a dict of its column values by attname (no model instance: a
# thousand rows a month of them took longer to make than the queries behind them).
_ROLLUP_FIELDS: Final = tuple(f for f in Rollup._meta.concrete_fields if not f.primary_key)
_ROLLUP_LISTS: Final = tuple(
    f.attname for f in _ROLLUP_FIELDS if f.get_internal_type() == "JSONField"
)
_ROLLUP_ZEROS: Final = {
    f.attname: f.get_default()
    for f in _ROLLUP_FIELDS
    if f.has_default() and f.attname not in _ROLLUP_LISTS
}


def _insert_rollups(rollups: list[dict[str, Any]]) -> None:
    """Insert ``rollups`` (column values by attname) with one ``executemany``."""
    if not rollups:
        return
    ops = connection.ops
    adapters: list[Callable[[Any], Any] | None] = []
    for f in _ROLLUP_FIELDS:
        internal = f.get_internal_type()
        if internal == "JSONField":
            adapters.append(partial(ops.adapt_json_value, encoder=f.encoder))  # type: ignore[attr-defined]
        elif internal == "DateField":
            adapters.append(ops.adapt_datefield_value)
        else:
            adapters.append(None)
    named = [(f.attname, adapt) for f, adapt in zip(_ROLLUP_FIELDS, adapters, strict=True)]
    rows = [
        [adapt(rollup[name]) if adapt else rollup[name] for name, adapt in named]
        for rollup in rollups
    ]
    columns = ", ".join(ops.quote_name(f.column) for f in _ROLLUP_FIELDS)
    sql = (
        f"INSERT INTO {ops.quote_name(Rollup._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(_ROLLUP_FIELDS))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class _MonthRollups:
    """The rollups of one kind and month being built, by (service, priority, group)."""

    def __init__(self, organisation: Organisation, kind: str, month: date) -> None:
        self.organisation_id, self.kind, self.month = organisation.pk, kind, month
        self.by_key: dict[tuple[Any, ...], dict[str, Any]] = {}

    def get(self, key: tuple[Any, ...]) -> dict[str, Any]:
        rollup = self.by_key.get(key)
        if rollup is None:
            service_id, priority, group = key
            rollup = self.by_key[key] = {
                **_ROLLUP_ZEROS,
                **{name: [] for name in _ROLLUP_LISTS},
                "organisation_id": self.organisation_id,
                "kind": self.kind,
                "month": self.month,
                "service_id": service_id,
                "priority": priority,
                "assignment_group": group,
            }
        return rollup


def _add_known_errors(problems: Any, month: date, rollups: _MonthRollups) -> None:
    """Known errors among the problems opened in ``month``, and their time to known error.

    A problem is a known error when its source flags it so, or (without a flag) when its
    status history shows a "Known error" status; the time to known error is measured only
    when the history shows that status (a flag alone does not say when).
    """
    rows = problems.filter(
        opened_at__gte=_month_start(month), opened_at__lt=_month_start(_month_after(month))
    ).values_list(*_ROLLUP_KEYS, "opened_at", "known_error", "history")
    for service_id, priority, group, opened_at, flagged, history in rows:
        known_at = _known_error_at(history or [])
        if flagged is False or (flagged is None and known_at is None):
            continue
        rollup = rollups.get((service_id, priority, group))
        rollup["known_errors"] += 1
        if known_at is not None:
            rollup["known_error_values"].append(max(known_at - int(opened_at.timestamp()), 0))
    for rollup in rollups.by_key.values():
        rollup["known_error_values"].sort()


def save_mapping(
    *,
    organisation: Organisation,
    name: str,
    source: str,
    kind: str,
    columns: dict[str, str],
    value_maps: dict[str, dict[str, str]] | None = None,
) -> ColumnMapping:
    """Save (or replace) the column mapping called ``name``.

    Raises ``ValidationError`` naming the field for bad input (:func:`check_mapping`).
    """
    with transaction.atomic():
        mapping = ColumnMapping.all_orgs.filter(
            organisation=organisation, name=name.strip()
        ).first()
        if mapping is None:
            mapping = ColumnMapping(organisation=organisation)
        _fill_mapping(
            mapping,
            organisation=organisation,
            name=name,
            source=source,
            kind=kind,
            columns=columns,
            value_maps=value_maps,
        )
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


# --- saved mappings: checks, create, update, delete ------------------------------------


def check_mapping(
    *,
    organisation: Organisation,
    name: str,
    source: str,
    kind: str,
    columns: Any,
    value_maps: Any,
    mapping: ColumnMapping | None = None,
) -> tuple[str, dict[str, str], dict[str, dict[str, str]]]:
    """The name, columns and value maps of a mapping, cleaned; or one ``ValidationError``
    naming every bad field (``name``, ``source``, ``kind``, ``columns.<field>``,
    ``value_maps.<field>``). ``mapping`` is the one being changed (its own name is free)."""
    errors: dict[str, list[str]] = source_kind_errors(source, kind)
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the mapping a name."]
    elif len(name) > 100:
        errors["name"] = ["The name is longer than 100 characters."]
    elif (
        ColumnMapping.all_orgs.filter(organisation=organisation, name=name)
        .exclude(pk=mapping.pk if mapping is not None else None)
        .exists()
    ):
        errors["name"] = ["Another mapping already has this name."]
    cleaned_columns: dict[str, str] = {}
    cleaned_maps: dict[str, dict[str, str]] = {}
    try:
        cleaned_columns = check_columns(columns or {})
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        cleaned_maps = check_value_maps(value_maps or {}, kind if "kind" not in errors else "")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return name, cleaned_columns, cleaned_maps


def _fill_mapping(
    mapping: ColumnMapping,
    *,
    organisation: Organisation,
    name: str,
    source: str,
    kind: str,
    columns: Any,
    value_maps: Any,
) -> None:
    name, cleaned_columns, cleaned_maps = check_mapping(
        organisation=organisation,
        name=name,
        source=source,
        kind=kind,
        columns=columns,
        value_maps=value_maps,
        mapping=mapping if mapping.pk else None,
    )
    mapping.name, mapping.source, mapping.kind = name, source, kind or ""
    mapping.columns, mapping.value_maps = cleaned_columns, cleaned_maps


def create_mapping(
    *,
    organisation: Organisation,
    name: str,
    source: str,
    kind: str,
    columns: Any = None,
    value_maps: Any = None,
) -> ColumnMapping:
    """A new saved mapping; its name must be free. Raises ``ValidationError`` naming the field."""
    with transaction.atomic():
        mapping = ColumnMapping(organisation=organisation)
        _fill_mapping(
            mapping,
            organisation=organisation,
            name=name,
            source=source,
            kind=kind,
            columns=columns,
            value_maps=value_maps,
        )
        mapping.save()
    return mapping


def update_mapping(
    *,
    mapping: ColumnMapping,
    name: str,
    source: str,
    kind: str,
    columns: Any,
    value_maps: Any,
) -> ColumnMapping:
    """Replace a saved mapping's name, source, kind, columns and value maps (audited, field by
    field). Raises ``ValidationError`` naming the field; nothing is saved then."""
    with transaction.atomic():
        _fill_mapping(
            mapping,
            organisation=mapping.organisation,
            name=name,
            source=source,
            kind=kind,
            columns=columns,
            value_maps=value_maps,
        )
        mapping.save()
    return mapping


def delete_mapping(*, mapping: ColumnMapping) -> None:
    """Delete a saved mapping (audited). Runs that used it keep its name."""
    with transaction.atomic():
        mapping.delete()
