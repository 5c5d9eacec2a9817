"""Writing a batch of imported records, column by column: :class:`BatchWriter`.

A batch arrives as a record frame (:mod:`openitsms.operations.ingest.frames`: one row per
record). Everything a record needs before it is stored is computed for the whole batch at
once — its service, SLA clocks and results, the values the model stores, their digest — and
new records are written as prepared rows with their audit entries
(:func:`openitsms.audit.actions.record_created_many`). Only records whose stored digest
differs are handled one by one (their change is diffed field by field for the audit trail),
which is what a re-import of a newer export costs, not a first import.

See :mod:`openitsms.operations.actions` for the run around it (transaction, rollups).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from json.encoder import encode_basestring_ascii
from typing import Any, Final

import numpy as np
import polars as pl
from django.db import connection
from django.utils import timezone

from openitsms.audit.actions import (
    PendingEvent,
    db_adapters,
    insert_rows,
    record_created_many,
    record_many,
)
from openitsms.audit.choices import AuditAction
from openitsms.operations.choices import RecordKind, RecordStatus, SlaBasis
from openitsms.operations.ingest import DEFAULT_CLOCK_POLICY, Rejection
from openitsms.operations.ingest.frames import history_json
from openitsms.operations.models import ImportRun, Record
from openitsms.services.clock import MISSING, BusinessCalendar, compute_clocks_bulk
from openitsms.services.clock.bulk import columns_from_codes
from openitsms.services.models import Agreement, Service, strictest_target
from openitsms.tenancy.models import Organisation

DRY_RUN_SAMPLE: Final = 50
# A target no ticket reaches: the 24×7 clock must run for every ticket.
_NO_LIMIT_S: Final = 10**11
# Agreement time targets are about incidents and service requests, not problems or changes.
MEASURED_KINDS: Final = frozenset({"incident", "request"})
_ALWAYS: Final = BusinessCalendar.always("UTC")

# Record fields filled from the imported values (compared to tell updated from unchanged).
_TEXT: Final = (
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
# Record frame column -> stored text field, for the fields stored under another name.
_RENAMED: Final = {
    "service_name": "service",
    "problem_ref": "problem_id",
    "change_ref": "change_id",
    "caused_by_change_ref": "caused_by_change",
}
_VALUES: Final = (
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
_SLA: Final = (
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
STORED_FIELDS: Final[tuple[str, ...]] = (
    *_TEXT,
    "problem_ref",
    "change_ref",
    "caused_by_change_ref",
    "source_made_sla",
    "source_updated_at",
    *_VALUES,
    "history",
    "priority_history",
    "service_id",
    *_SLA,
)
_JSON_FIELDS: Final = frozenset({"history", "priority_history"})
_TIME_FIELDS: Final = frozenset(
    {
        f.attname
        for f in Record._meta.concrete_fields
        if f.get_internal_type() == "DateTimeField" and f.attname in STORED_FIELDS
    }
)
# Column lengths: text is cut to them (source ids and names are short in practice).
_LIMITS: Final[dict[str, int]] = {
    f.name: int(f.max_length or 0)
    for f in Record._meta.concrete_fields
    if getattr(f, "max_length", None) and f.get_internal_type() == "CharField"
}
_RECORD_TYPE: Final = Record._meta.label_lower
# The record table's CHECK constraints, which a bulk insert on SQLite checks for the whole
# batch in columns (holds_checks) instead of having SQLite check them row by row: they took
# a third of the insert's time. The histories' JSON (JSON_VALID) is JSON by construction
# (ingest.frames.history_json). A check added to the model must be added here too (a test
# compares the two).
CHECKED_CONSTRAINTS: Final = frozenset({"record_kind_valid", "record_status_valid"})
_NOT_NEGATIVE: Final = tuple(
    f.attname
    for f in Record._meta.concrete_fields
    if f.get_internal_type().startswith("Positive") and f.attname in STORED_FIELDS
)
# Source ids per ``IN (...)`` on SQLite (far below its limit on parameters).
_IN_LIMIT: Final = 5000
_NULL: Final = "\x00"


@dataclass
class Outcome:
    """What a run did so far (counts, rejections, months to roll up, dry-run samples)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    months: set[tuple[str, date]] = field(default_factory=set)
    would_create: list[str] = field(default_factory=list)
    would_update: list[dict[str, Any]] = field(default_factory=list)


def fingerprints(stored: pl.DataFrame) -> list[str]:
    """A 128-bit digest per row of the stored values, to tell unchanged records from updated.

    Polars' row hash (two seeds) rather than a cryptographic digest: it only has to notice
    a change, and a digest that differs while the values do not (another Polars version, an
    older kind of digest) costs a comparison, not a wrong update — see BatchWriter._change.
    """
    first = stored.hash_rows(seed=0x5EED).to_list()
    second = stored.hash_rows(seed=0xF00D).to_list()
    return [f"{a:016x}{b:016x}" for a, b in zip(first, second, strict=True)]


def holds_checks(stored: pl.DataFrame, kind: str) -> bool:
    """Whether every record of ``stored`` (stored values) of ``kind`` meets the record
    table's CHECK constraints: kind and status among their choices, counts and targets not
    negative."""
    if kind not in RecordKind.values:
        return False
    conditions = [pl.col("status").is_in(RecordStatus.values).all()] + [
        (pl.col(name).is_null() | (pl.col(name) >= 0)).all() for name in _NOT_NEGATIVE
    ]
    return all(stored.select(conditions).row(0))


@contextmanager
def _checked_in_columns(checked: bool) -> Iterator[None]:
    """While inside, SQLite does not evaluate CHECK constraints if ``checked`` (the batch was
    checked by :func:`holds_checks`); they hold again for every other write after it."""
    if not checked:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            yield
        finally:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


@dataclass
class Prepared:
    """A batch ready to be written (see :meth:`BatchWriter.prepare`)."""

    stored: pl.DataFrame
    digests: list[str]
    source_ids: list[str]
    # The insert, should every record be new: columns bound per row, the rows, and the
    # columns with one value in the whole batch.
    columns: list[str]
    rows: list[tuple[Any, ...]]
    constants: dict[str, Any]
    # Per record: the audit entry's object text and changes (JSON in the chain's form).
    audit: list[tuple[str, str]]
    # Checked in columns, so SQLite need not check each row (see holds_checks).
    checked: bool = False


class BatchWriter:
    """Writes batches of records for one run (or compares them, in a dry run)."""

    def __init__(
        self, organisation: Organisation, run: ImportRun, *, dry_run: bool, outcome: Outcome
    ) -> None:
        self.organisation = organisation
        self.run = run
        self.dry_run = dry_run
        self.outcome = outcome
        self.services = {
            service.name.casefold(): service
            for service in Service.all_orgs.filter(organisation=organisation)
        }
        # Everything the SLA step reads from the database is read here, so that preparing
        # a batch (prepare) needs no database and can run in the reading thread.
        agreements = list(
            Agreement.all_orgs.filter(organisation=organisation)
            .select_related("calendar")
            .prefetch_related(
                "services", "time_targets", "calendar__segments", "calendar__closures"
            )
            .order_by("reference")
        )
        self._agreements: dict[int, list[Agreement]] = {
            service.pk: [a for a in agreements if service in a.services.all()]
            for service in self.services.values()
        }
        self._calendars: dict[int, BusinessCalendar] = {}
        this_year = timezone.now().year
        for agreement in agreements:
            if agreement.calendar.pk not in self._calendars:
                self._calendars[agreement.calendar.pk] = agreement.calendar.to_business_calendar(
                    range(2000, this_year + 3)
                )
        self._vendor = connection.vendor
        # A first import of this source and kind: no stored record to compare with (the
        # readers never hand over one source id twice), so nothing to look up.
        self._first_import = not Record.all_orgs.filter(
            organisation=organisation, source=run.source, kind=run.kind
        ).exists()

    # -- SLA ----------------------------------------------------------------------------

    def agreements_for(self, service: Service, on: date) -> tuple[Agreement, ...]:
        return tuple(
            agreement
            for agreement in self._agreements.get(service.pk, ())
            if agreement.valid_from <= on
            and (agreement.valid_until is None or agreement.valid_until >= on)
        )

    def calendar_for(self, agreement: Agreement) -> BusinessCalendar:
        return self._calendars[agreement.calendar.pk]

    def sla(self, frame: pl.DataFrame, service_ids: pl.Series) -> dict[str, pl.Series]:
        """SLA results per record (see the module docstring of ``actions``), as columns."""
        n = frame.height
        results: dict[str, list[Any]] = {
            name: [None] * n for name in _SLA if name not in ("sla_basis", "sla_note")
        }
        basis: list[str] = [SlaBasis.NONE] * n
        notes: list[str] = [""] * n
        results["sla_basis"], results["sla_note"] = basis, notes
        always_24x7: dict[str, pl.Series] = {}
        if not n:
            return {
                name: pl.Series(name, values, dtype=_SLA_TYPES[name])
                for name, values in results.items()
            }
        columns = _clock_columns(frame)
        last_at = frame.select(
            pl.max_horizontal(
                pl.coalesce("updated_at", "opened_at"),
                pl.coalesce(pl.col("history").list.last().struct.field("at"), "opened_at"),
            ).alias("as_of")
        )["as_of"]
        as_of = last_at.dt.epoch("s").to_numpy().astype(np.int64)
        chosen = self._targets(frame, service_ids)
        for clock in ("response", "resolution"):
            always = compute_clocks_bulk(
                columns, kind=clock, target_s=_NO_LIMIT_S, calendar=_ALWAYS, as_of=as_of
            )
            stopped = (always.stopped_at != MISSING) & always.has_clock
            always_24x7[clock] = pl.Series(always.elapsed_business_s, dtype=pl.Int64).zip_with(
                pl.Series(stopped), pl.repeat(None, n, dtype=pl.Int64, eager=True)
            )
            by_calendar: dict[int, tuple[BusinessCalendar, np.ndarray]] = {}
            for i, (_agreements, targets) in chosen.items():
                found = targets.get(clock)
                if found is None:
                    continue
                agreement, target_seconds = found
                calendar = agreement.calendar
                if calendar.pk not in by_calendar:
                    by_calendar[calendar.pk] = (
                        self.calendar_for(agreement),
                        np.zeros(n, dtype=np.int64),
                    )
                by_calendar[calendar.pk][1][i] = target_seconds
            for business_calendar, target_array in by_calendar.values():
                clocks = compute_clocks_bulk(
                    columns,
                    kind=clock,
                    target_s=target_array,
                    calendar=business_calendar,
                    as_of=as_of,
                )
                for i in np.flatnonzero(target_array > 0).tolist():
                    agreement, target_seconds = chosen[i][1][clock]
                    basis[i] = SlaBasis.AGREEMENT
                    results["sla_agreement_id"][i] = agreement.pk
                    results[f"{clock}_target_s"][i] = target_seconds
                    if clocks.has_clock[i]:
                        results[f"{clock}_breached"][i] = bool(clocks.breached[i])
                        if clocks.stopped_at[i] != MISSING:
                            results[f"{clock}_business_s"][i] = int(clocks.elapsed_business_s[i])
                    elif clocks.error[i]:
                        notes[i] = f"history problem: {clocks.problem(i)}"[:200]
        series = {
            name: pl.Series(name, values, dtype=_SLA_TYPES[name], strict=False)
            for name, values in results.items()
            if not name.endswith("_24x7_s")
        }
        for clock, values in always_24x7.items():
            series[f"{clock}_24x7_s"] = values.alias(f"{clock}_24x7_s")
        none = series["sla_basis"] == SlaBasis.NONE
        measured = frame["kind"].is_in(list(MEASURED_KINDS))
        series["sla_note"] = (
            pl.DataFrame({"none": none, "measured": measured, "note": series["sla_note"]})
            .select(
                pl.when(pl.col("none") & pl.col("measured"))
                .then(pl.lit("No agreement target applies: 24×7 times only."))
                .when(pl.col("none"))
                .then(pl.lit("Agreement targets apply to incidents and requests: 24×7 times only."))
                .otherwise(pl.col("note"))
                .alias("sla_note")
            )
            .to_series()
        )
        return series

    def _targets(
        self, frame: pl.DataFrame, service_ids: pl.Series
    ) -> dict[int, tuple[tuple[Agreement, ...], dict[str, tuple[Agreement, int]]]]:
        """Per record with an applicable target: its agreements and, per clock, the strictest
        target's agreement and seconds. Worked out once per distinct (service, day) and
        (agreements, priority, request type), not per record."""
        keys = frame.select(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("i"),
            service_ids.alias("service_id"),
            pl.col("opened_at").dt.date().alias("day"),
            "priority",
            pl.col("category").fill_null("").alias("category"),
        ).filter(
            frame["kind"].is_in(list(MEASURED_KINDS))
            & frame["priority"].is_not_null()
            & service_ids.is_not_null()
        )
        if not keys.height:
            return {}
        services = {service.pk: service for service in self.services.values()}
        chosen: dict[int, tuple[tuple[Agreement, ...], dict[str, tuple[Agreement, int]]]] = {}
        in_force: dict[tuple[int, date], tuple[Agreement, ...]] = {}
        strictest: dict[tuple[tuple[int, ...], str, str], dict[str, tuple[Agreement, int]]] = {}
        for i, service_id, day, priority, category in keys.iter_rows():
            agreements = in_force.get((service_id, day))
            if agreements is None:
                agreements = self.agreements_for(services[service_id], day)
                in_force[(service_id, day)] = agreements
            if not agreements:
                continue
            key = (tuple(a.pk for a in agreements), priority, category)
            targets = strictest.get(key)
            if targets is None:
                targets = {}
                for clock in ("response", "resolution"):
                    found = strictest_target(
                        agreements, kind=clock, priority=priority, request_type=category
                    )
                    if found is not None:
                        targets[clock] = (found.agreement, found.target.seconds)
                strictest[key] = targets
            if targets:
                chosen[i] = (agreements, targets)
        return chosen

    # -- values -------------------------------------------------------------------------

    def stored_values(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The stored fields of every record (as the model holds them; histories as JSON
        text), before the SLA results."""
        names = frame["service"]
        distinct = names.drop_nulls().unique().to_list()
        table = {
            name: self.services[name.casefold()].pk
            for name in distinct
            if name.casefold() in self.services
        }
        service_ids = names.replace_strict(table, default=None, return_dtype=pl.Int64)
        history, priority_history = history_json(frame)
        columns: list[pl.Expr] = []
        for name in (*_TEXT, "problem_ref", "change_ref", "caused_by_change_ref"):
            source = _RENAMED.get(name, name)
            limit = _LIMITS.get(name)
            text = pl.col(source).fill_null("")
            columns.append((text.str.slice(0, limit) if limit else text).alias(name))
        columns += [
            pl.col("made_sla").alias("source_made_sla"),
            pl.col("updated_at").alias("source_updated_at"),
            *[pl.col(name) for name in _VALUES],
        ]
        stored = frame.select(columns).with_columns(
            history=history,
            priority_history=priority_history,
            service_id=service_ids,
        )
        return stored

    # -- storing ------------------------------------------------------------------------

    def store(self, frame: pl.DataFrame) -> None:
        """Prepare and write one batch."""
        self.write(self.prepare(frame))

    def prepare(self, frame: pl.DataFrame) -> Prepared:
        """Everything about a batch that needs no database: services, SLA results, stored
        values, digests, the rows to insert should every record be new, and their audit
        entries' text. Safe to run in another thread than :meth:`write`."""
        run = self.run
        stored = self.stored_values(frame)
        sla = self.sla(frame, stored["service_id"])
        stored = stored.with_columns(list(sla.values())).select(STORED_FIELDS)
        digests = fingerprints(stored)
        n = stored.height
        table = pl.concat(
            [
                pl.DataFrame(
                    {
                        "organisation_id": pl.Series([self.organisation.pk] * n, dtype=pl.Int64),
                        "kind": [run.kind] * n,
                        "source": [run.source] * n,
                        "source_id": frame["source_id"],
                        "fingerprint": digests,
                        "last_run_id": pl.Series([run.pk] * n, dtype=pl.Int64),
                    }
                ),
                _for_database(stored, self._vendor),
            ],
            how="horizontal",
        )
        constants: dict[str, Any] = {}
        if self._vendor == "sqlite" and n > 1:
            # Columns with one value throughout the batch (the organisation, the change
            # fields of incidents...) go into the statement once instead of every row.
            counts = table.select(pl.all().n_unique()).row(0, named=True)
            constants = {name: table[name][0] for name, count in counts.items() if count == 1}
        varying = [name for name in table.columns if name not in constants]
        # The audit entries' object text and changes (see record_created_many).
        head = (
            f'{{"file_sha256":{encode_basestring_ascii(run.sha256)},'
            f'"import_run":{int(run.pk)},"source_id":'
        )
        source_ids = frame["source_id"].to_list()
        titles = stored["title"].to_list()
        statuses = stored["status"].to_list()
        audit = [
            (
                f"{source_id}{': ' + title[:60] if title else ''}",
                f"{head}{encode_basestring_ascii(source_id)},"
                f'"status":{encode_basestring_ascii(status)}}}',
            )
            for source_id, title, status in zip(source_ids, titles, statuses, strict=True)
        ]
        return Prepared(
            stored=stored,
            digests=digests,
            source_ids=source_ids,
            columns=varying,
            rows=table.select(varying).rows(),
            constants=constants,
            audit=audit,
            checked=self._vendor == "sqlite" and holds_checks(stored, run.kind),
        )

    def write(self, prepared: Prepared) -> None:
        """Compare a prepared batch with the stored records; create and update them."""
        if not prepared.stored.height:
            return
        outcome = self.outcome
        stored, digests = prepared.stored, prepared.digests
        source_ids = prepared.source_ids
        existing = {} if self._first_import else dict(self._lookup("fingerprint", source_ids))
        create: list[int] = []
        changed: list[int] = []
        for i, (source_id, digest) in enumerate(zip(source_ids, digests, strict=True)):
            found = existing.get(source_id)
            if found is None:
                create.append(i)
            elif found != digest:
                changed.append(i)
            else:
                outcome.unchanged += 1
        if create:
            self._create(prepared, create)
        if changed:
            self._change(stored, digests, source_ids, changed)

    def _create(self, prepared: Prepared, rows: list[int]) -> None:
        outcome, run = self.outcome, self.run
        source_ids = prepared.source_ids
        outcome.created += len(rows)
        if self.dry_run:
            room = max(DRY_RUN_SAMPLE - len(outcome.would_create), 0)
            outcome.would_create.extend(source_ids[i] for i in rows[:room])
            return
        new = prepared.stored if len(rows) == prepared.stored.height else prepared.stored[rows]
        ids_new = [source_ids[i] for i in rows]
        before = self._last_id()
        with _checked_in_columns(prepared.checked):
            insert_rows(
                Record,
                prepared.columns,
                [prepared.rows[i] for i in rows]
                if len(rows) < len(prepared.rows)
                else prepared.rows,
                prepared.constants,
            )
        after = self._last_id()
        if before is not None and after == before + len(ids_new):
            # SQLite gives AUTOINCREMENT ids one after another, in the order of the rows.
            ids = range(before + 1, after + 1)
        else:
            found = dict(self._lookup("id", ids_new))
            ids = [found[source_id] for source_id in ids_new]  # type: ignore[assignment]
        self._touch(run.kind, new)
        audit = prepared.audit
        record_created_many(
            organisation_id=self.organisation.pk,
            object_type=_RECORD_TYPE,
            items=((str(pk), *audit[i]) for pk, i in zip(ids, rows, strict=True)),
        )

    def _change(
        self, stored: pl.DataFrame, digests: list[str], source_ids: list[str], rows: list[int]
    ) -> None:
        outcome, run = self.outcome, self.run
        olds = {old["source_id"]: old for old in self._olds([source_ids[i] for i in rows])}
        updates: list[tuple[int, dict[str, Any], str]] = []
        events: list[PendingEvent] = []
        changed = stored[rows]
        for i, values in zip(rows, changed.iter_rows(named=True), strict=True):
            old = olds[source_ids[i]]
            for name in _JSON_FIELDS:
                values[name] = json.loads(values[name])
            if not values["problem_ref"] and old["problem_ref"]:
                # A link made here (a raised problem) stays until the source sets one.
                values["problem_ref"] = old["problem_ref"]
            diff = _diff(old, values)
            if not diff:
                # Same values under an older kind of digest: refresh the digest only.
                outcome.unchanged += 1
                if not self.dry_run:
                    updates.append((old["id"], values, digests[i]))
                continue
            outcome.updated += 1
            if self.dry_run:
                if len(outcome.would_update) < DRY_RUN_SAMPLE:
                    outcome.would_update.append(
                        {"source_id": source_ids[i], "fields": sorted(diff)}
                    )
                continue
            self._touch_one(old["kind"], old["opened_at"], old["resolved_at"])
            self._touch_one(old["kind"], values["opened_at"], values["resolved_at"])
            updates.append((old["id"], values, digests[i]))
            events.append(
                PendingEvent(
                    action=AuditAction.UPDATE,
                    organisation_id=self.organisation.pk,
                    object_type=_RECORD_TYPE,
                    object_id=str(old["id"]),
                    object_repr=f"{source_ids[i]}"
                    + (f": {values['title'][:60]}" if values["title"] else ""),
                    changes={**diff, "import_run": run.pk, "file_sha256": run.sha256},
                )
            )
        if updates:
            self._update(updates)
        if events:
            record_many(events)

    # Records are written with prepared statements (executemany on SQLite, COPY on
    # PostgreSQL) rather than through model instances and bulk_create: at some 55 columns a
    # record, Django's per-field preparation was most of an import's time. The values are
    # the ones the model would store (see openitsms.audit.actions.db_adapters).

    def _lookup(self, column: str, source_ids: list[str]) -> list[tuple[str, Any]]:
        """(source id, ``column``) of this run's organisation, source and kind's records."""
        if not source_ids:
            return []
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('source_id')}, {quote(column)} FROM {quote(Record._meta.db_table)} "
            f"WHERE {quote('organisation_id')} = %s AND {quote('source')} = %s "
            f"AND {quote('kind')} = %s AND {quote('source_id')} "
        )
        head: list[Any] = [self.organisation.pk, self.run.source, self.run.kind]
        found: list[tuple[str, Any]] = []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(sql + "= ANY(%s)", [*head, source_ids])
                found.extend(cursor.fetchall())
            else:
                for start in range(0, len(source_ids), _IN_LIMIT):
                    chunk = source_ids[start : start + _IN_LIMIT]
                    cursor.execute(sql + f"IN ({', '.join(['%s'] * len(chunk))})", head + chunk)
                    found.extend(cursor.fetchall())
        return found

    @staticmethod
    def _last_id() -> int | None:
        """The last id SQLite gave a record (``None`` elsewhere: look the ids up instead)."""
        if connection.vendor != "sqlite":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = %s", [Record._meta.db_table]
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def _olds(self, source_ids: list[str]) -> list[dict[str, Any]]:
        """The stored values of records about to be updated (as the model reads them)."""
        return list(
            Record.all_orgs.filter(
                organisation=self.organisation,
                source=self.run.source,
                kind=self.run.kind,
                source_id__in=source_ids,
            ).values("id", "source_id", "kind", *STORED_FIELDS)
        )

    def _update(self, rows: list[tuple[int, dict[str, Any], str]]) -> None:
        adapters = db_adapters(Record, STORED_FIELDS)
        quote = connection.ops.quote_name
        fields = {f.attname: f.column for f in Record._meta.concrete_fields}
        assignments = ", ".join(
            f"{quote(fields[name])} = %s" for name in (*STORED_FIELDS, "fingerprint", "last_run_id")
        )
        sql = f"UPDATE {quote(Record._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"
        run_pk = self.run.pk
        prepared = [
            (
                *[
                    values[name] if adapt is None else adapt(values[name])
                    for name, adapt in zip(STORED_FIELDS, adapters, strict=True)
                ],
                fingerprint,
                run_pk,
                pk,
            )
            for pk, values, fingerprint in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)

    def _touch(self, kind: str, stored: pl.DataFrame) -> None:
        """Note the months that the records of ``stored`` were opened and resolved in."""
        for name in ("opened_at", "resolved_at"):
            for month in stored[name].drop_nulls().dt.truncate("1mo").dt.date().unique():
                self.outcome.months.add((kind, month))

    def _touch_one(self, kind: str, opened_at: Any, resolved_at: Any) -> None:
        for moment in (opened_at, resolved_at):
            if moment is not None:
                self.outcome.months.add((kind, date(moment.year, moment.month, 1)))


_SLA_TYPES: Final[dict[str, pl.DataType]] = {
    "sla_basis": pl.String(),
    "sla_agreement_id": pl.Int64(),
    "response_target_s": pl.Int64(),
    "response_business_s": pl.Int64(),
    "response_24x7_s": pl.Int64(),
    "response_breached": pl.Boolean(),
    "resolution_target_s": pl.Int64(),
    "resolution_business_s": pl.Int64(),
    "resolution_24x7_s": pl.Int64(),
    "resolution_breached": pl.Boolean(),
    "sla_note": pl.String(),
}


def _clock_columns(frame: pl.DataFrame) -> Any:
    """The batch's status histories as the bulk clock's columns (ticket ``i`` is row ``i``)."""
    entries = (
        frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("ticket"), "history")
        .explode("history")
        .filter(pl.col("history").is_not_null())
        .unnest("history")
    )
    status_names = entries["status"].unique(maintain_order=True).to_list()
    group_names = entries["group"].drop_nulls().unique(maintain_order=True).to_list()
    status_codes = {name: code for code, name in enumerate(status_names)}
    group_codes = {name: code for code, name in enumerate(group_names)}
    instants = entries.select(pl.col("at").dt.epoch("us") // 1_000_000)["at"].to_numpy()
    return columns_from_codes(
        n_tickets=frame.height,
        tickets=entries["ticket"].to_numpy(),
        instants=instants,
        statuses=entries["status"].replace_strict(status_codes, return_dtype=pl.Int32).to_numpy(),
        groups=entries["group"]
        .replace_strict(group_codes, default=-1, return_dtype=pl.Int32)
        .to_numpy(),
        status_codes=status_codes,
        group_codes=group_codes,
        policy=DEFAULT_CLOCK_POLICY,
    )


def _for_database(stored: pl.DataFrame, vendor: str) -> pl.DataFrame:
    """The stored values as the database driver takes them: instants as naive UTC text on
    SQLite (what Django writes there) and ISO text with the offset on PostgreSQL."""
    sqlite = vendor == "sqlite"
    columns = []
    for name in STORED_FIELDS:
        if name in _TIME_FIELDS:
            column = pl.col(name)
            micro = column.dt.microsecond()
            if sqlite:
                text = (
                    pl.when(micro == 0)
                    .then(column.dt.strftime("%Y-%m-%d %H:%M:%S"))
                    .otherwise(column.dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
                )
            else:
                text = column.dt.strftime("%Y-%m-%d %H:%M:%S%.6f+00:00")
            columns.append(text.alias(name))
        else:
            columns.append(pl.col(name))
    return stored.select(columns)


def _diff(old: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The fields that change, ``[before, after]`` (histories as their lengths)."""
    diff: dict[str, Any] = {}
    for name, after in values.items():
        before = old[name]
        if before == after:
            continue
        if name in _JSON_FIELDS:
            diff[name] = [f"{len(before)} entries", f"{len(after)} entries"]
        else:
            diff[name] = [before, after]
    return diff
