"""run_import: SLA results, rollups, idempotence, updates, dry runs and bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from openitsms.audit.models import AuditEvent
from openitsms.operations.actions import run_import, save_mapping
from openitsms.operations.models import ImportRejection, ImportRun, Record, Rollup
from openitsms.tenancy.scoping import org_scope
from tests.operations.helpers import (
    COLUMNS,
    HEADER,
    import_csv,
    import_servicenow,
    mapping_for,
    write,
)

pytestmark = pytest.mark.django_db

# Monday 4 March 2024, London (GMT = UTC).
ROWS = (
    "INC-1,Portal slow,Resolved,04/03/2024 16:00,05/03/2024 11:00,P1,Team A,Customer portal\n"
    "INC-2,Portal down,Resolved,04/03/2024 09:00,04/03/2024 15:00,P1,Team A,Customer portal\n"
    "INC-3,Mail bounce,Open,04/03/2024 10:00,,P3,Team B,Email\n"
)


def test_sla_results_are_measured_against_the_strictest_applicable_target(
    org, manager, portal_sla, tmp_path
):
    run = import_csv(org, manager, write(tmp_path, HEADER + ROWS))

    assert run.status == "succeeded", run.message
    with org_scope(org):
        one, two, three = (Record.objects.get(source_id=f"INC-{n}") for n in (1, 2, 3))
    # 16:00–17:00 Monday and 09:00–11:00 Tuesday: 3 business hours, 19 hours 24×7.
    assert (one.sla_basis, one.sla_agreement_id) == ("agreement", portal_sla.pk)
    assert one.resolution_target_s == 4 * 3600
    assert (one.resolution_business_s, one.resolution_24x7_s) == (3 * 3600, 19 * 3600)
    assert one.resolution_breached is False
    assert (two.resolution_business_s, two.resolution_breached) == (6 * 3600, True)
    assert one.response_breached is None  # the agreement has no response target
    # Email is not covered by any agreement: honest 24×7 figures only.
    assert three.sla_basis == "none"
    assert three.resolution_target_s is None and three.resolution_breached is None
    assert "24×7" in three.sla_note
    assert three.service_id is None and three.service_name == "Email"


def test_rollups_hold_the_month_per_service_priority_and_group(org, manager, portal_sla, tmp_path):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))

    with org_scope(org):
        rollups = {(r.service_id, r.priority, r.assignment_group): r for r in Rollup.objects.all()}
    assert set(rollups) == {(portal_sla.services.get().pk, "P1", "Team A"), (None, "P3", "Team B")}
    portal = rollups[(portal_sla.services.get().pk, "P1", "Team A")]
    assert portal.month == date(2024, 3, 1)
    assert (portal.opened, portal.resolved, portal.major) == (2, 2, 2)
    assert portal.resolution_24x7_sum_s == (19 + 6) * 3600
    assert portal.resolution_business_sum_s == (3 + 6) * 3600
    assert (portal.resolution_with_target, portal.resolution_within) == (2, 1)
    email = rollups[(None, "P3", "Team B")]
    assert (email.opened, email.resolved, email.resolution_with_target) == (1, 0, 0)


def test_a_newer_export_updates_by_source_id_and_the_audit_trail_says_what_changed(
    org, manager, tmp_path
):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    newer = (
        ROWS.replace(
            "INC-3,Mail bounce,Open,04/03/2024 10:00,,",
            "INC-3,Mail bounce,Resolved,04/03/2024 10:00,02/04/2024 10:00,",
        )
        + "INC-4,New one,Open,05/04/2024 10:00,,P2,Team B,Email\n"
    )

    run = import_csv(org, manager, write(tmp_path, HEADER + newer, "newer.csv"))

    assert (run.created, run.updated, run.unchanged) == (1, 1, 2)
    with org_scope(org):
        assert Record.objects.count() == 4
        three = Record.objects.get(source_id="INC-3")
        assert three.status == "resolved"
        assert three.last_run_id == run.pk
        # April's rollup now exists (INC-3 resolved, INC-4 opened).
        april = Rollup.objects.filter(month=date(2024, 4, 1))
        assert sum(r.resolved for r in april) == 1
        assert sum(r.opened for r in april) == 1
    entry = AuditEvent.objects.get(
        object_type="operations.record", object_id=str(three.pk), action="update"
    )
    assert entry.changes["status"] == ["new", "resolved"]
    assert entry.changes["import_run"] == run.pk
    assert entry.changes["file_sha256"] == run.sha256


def test_a_dry_run_lists_what_would_change_and_stores_nothing(org, manager, tmp_path):
    import_csv(org, manager, write(tmp_path, HEADER + ROWS))
    newer = ROWS.replace("Portal slow", "Portal very slow")

    run = import_csv(org, manager, write(tmp_path, HEADER + newer, "n.csv"), dry_run=True)

    assert run.status == "succeeded" and run.dry_run
    assert (run.created, run.updated, run.unchanged) == (0, 1, 2)
    assert run.description["would_update"] == [{"source_id": "INC-1", "fields": ["title"]}]
    with org_scope(org):
        assert Record.objects.get(source_id="INC-1").title == "Portal slow"
        assert ImportRun.objects.get(pk=run.pk).message.startswith("Dry run")


def _assert_nothing_stored(org, run: ImportRun) -> None:
    assert run.status == "failed"
    with org_scope(org):
        assert not Record.objects.exists()
        assert not Rollup.objects.exists()
    assert not AuditEvent.objects.filter(object_type="operations.record").exists()


def test_a_missing_required_column_stops_the_run_naming_it(org, manager, tmp_path):
    text = "Ref,Summary,State,Resolved,Priority,Team,Service\nINC-1,x,Open,,P1,A,B\n"

    run = import_csv(org, manager, write(tmp_path, text))

    _assert_nothing_stored(org, run)
    assert "Opened" in run.message


def test_a_date_that_cannot_be_read_is_rejected_naming_row_and_column(org, manager, tmp_path):
    text = HEADER + ROWS + "INC-9,x,Open,31/02/2024 10:00,,P3,Team B,Email\n"

    run = import_csv(org, manager, write(tmp_path, text))

    _assert_nothing_stored(org, run)
    with org_scope(org):
        rejection = ImportRejection.objects.get(run=run)
    assert rejection.row_number == 5
    assert rejection.source_id == "INC-9"
    assert rejection.columns == ["Opened"]
    assert "row 5" in run.message


def test_a_duplicate_source_id_in_a_table_export_is_rejected_naming_the_first(
    org, manager, tmp_path
):
    text = HEADER + ROWS + ROWS.splitlines()[0].replace("Portal slow", "again") + "\n"

    run = import_csv(org, manager, write(tmp_path, text))

    _assert_nothing_stored(org, run)
    with org_scope(org):
        rejection = ImportRejection.objects.get(run=run)
    assert rejection.row_number == 5
    assert "row 2" in rejection.reason


def test_an_empty_file_stops_the_run(org, manager, tmp_path):
    run = import_csv(org, manager, write(tmp_path, ""))

    _assert_nothing_stored(org, run)
    assert "empty" in run.message


def test_bytes_in_an_unexpected_encoding_late_in_the_file_store_nothing(org, manager, tmp_path):
    rows = "".join(
        f"INC-{n},plain,Open,04/03/2024 10:00,,P3,Team B,Email\n" for n in range(1, 6000)
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        (HEADER + rows).encode() + "INC-X,Café,Open,04/03/2024 10:00,,P3,B,E\n".encode("latin-1")
    )

    run = import_csv(org, manager, path)

    _assert_nothing_stored(org, run)
    assert "row 6001" in run.message
    assert "utf-8" in run.message


def test_a_spreadsheet_with_a_formula_is_rejected_naming_the_cell(org, manager, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(["INC-1", "ok", "Open", "04/03/2024 10:00", "", "P3", "B", "E"])
    sheet.append(["INC-2", "=1+1", "Open", "04/03/2024 10:00", "", "P3", "B", "E"])
    path = tmp_path / "export.xlsx"
    workbook.save(path)

    run = import_csv(org, manager, path)

    _assert_nothing_stored(org, run)
    with org_scope(org):
        rejection = ImportRejection.objects.get(run=run)
    assert rejection.row_number == 3
    assert "formula" in rejection.reason


def test_cells_that_look_like_formulas_in_a_csv_are_stored_as_text(org, manager, tmp_path):
    text = HEADER + '"=HYPERLINK(""http://x"")",@sum,Open,04/03/2024 10:00,,P3,-B,+E\n'

    run = import_csv(org, manager, write(tmp_path, text))

    assert run.status == "succeeded", run.message
    with org_scope(org):
        record = Record.objects.get()
    assert record.source_id == '=HYPERLINK("http://x")'
    assert (record.title, record.assignment_group, record.service_name) == ("@sum", "-B", "+E")


def test_latin1_semicolon_files_with_month_first_dates_import(org, manager, tmp_path):
    text = (HEADER + ROWS.replace("Portal slow", "Portail lent é")).replace(",", ";")
    text = text.replace("04/03/2024", "03/04/2024").replace("05/03/2024", "03/05/2024")
    path = write(tmp_path, text, encoding="latin-1")

    run = import_csv(org, manager, path, date_order="month_first")

    assert run.status == "succeeded", run.message
    assert run.description["encoding"] in ("cp1252", "latin-1", "iso-8859-1")
    with org_scope(org):
        one = Record.objects.get(source_id="INC-1")
    assert one.title == "Portail lent é"
    assert one.opened_at.isoformat() == "2024-03-04T16:00:00+00:00"


def test_a_second_mapping_name_is_kept_apart(org):
    first = mapping_for(org, "One")
    again = mapping_for(org, "One")
    assert first.pk == again.pk


def test_service_actuals_count_tickets_measured_against_each_target(
    org, manager, portal_sla, tmp_path
):
    from datetime import UTC, datetime

    from openitsms.operations.service_actuals import time_target_actuals

    import_csv(org, manager, write(tmp_path, HEADER + ROWS))

    with org_scope(org):
        (actual,) = time_target_actuals(
            service=portal_sla.services.get(),
            agreement=portal_sla,
            start=datetime(2024, 3, 1, tzinfo=UTC),
            end=datetime(2024, 4, 1, tzinfo=UTC),
        )
        (empty,) = time_target_actuals(
            service=portal_sla.services.get(),
            agreement=portal_sla,
            start=datetime(2024, 4, 1, tzinfo=UTC),
            end=datetime(2024, 5, 1, tzinfo=UTC),
        )
    assert (actual.has_data, actual.tickets, actual.within_target) == (True, 2, 1)
    assert actual.percent_within == Decimal("50.0")
    assert [(b.number, b.overrun_s) for b in actual.breaches] == [("INC-2", 2 * 3600)]
    assert empty.has_data is False and empty.tickets is None


def test_agreement_targets_are_not_applied_to_problems(org, manager, portal_sla, tmp_path):
    with org_scope(org):
        mapping = save_mapping(
            organisation=org, name="Problems", source="csv", kind="problem", columns=COLUMNS
        )
        run = run_import(
            organisation=org,
            user=manager,
            file=write(tmp_path, HEADER + ROWS.replace("INC-", "PRB-"), "problems.csv"),
            source="csv",
            kind="problem",
            mapping=mapping,
            tz="Europe/London",
        )
        assert run.status == "succeeded", run.message
        problem = Record.objects.get(source_id="PRB-2")
    # A P1 problem on the portal is not an incident: the SLA's 4-hour target does not apply.
    assert (problem.sla_basis, problem.resolution_target_s) == ("none", None)
    assert problem.resolution_breached is None and problem.resolution_24x7_s == 6 * 3600
    assert "incidents and requests" in problem.sla_note


def test_an_audit_log_export_is_read_in_columns_and_again_row_by_row_when_a_row_is_bad(
    org, manager, servicenow_sample, tmp_path
):
    """The sample goes through the columnar reader; the same file with one unreadable date
    is read again by the reference reader, whose rejection names the row, and nothing is
    stored from either attempt."""
    run = import_servicenow(org, manager, servicenow_sample)
    assert run.status == "succeeded", run.message
    assert run.created == 890
    assert run.description["reader"] == "columnar"
    with org_scope(org):
        assert Record.objects.count() == 890
        first_ids = set(Record.objects.values_list("source_id", flat=True))
        # Each record's creation is in the audit trail under its own id.
        created = dict(
            AuditEvent.objects.filter(object_type="operations.record", action="create").values_list(
                "object_id", "changes__source_id"
            )
        )
        assert created == {
            str(pk): sid for pk, sid in Record.objects.values_list("pk", "source_id")
        }

    broken = _with_unreadable_opened_time(servicenow_sample, 3001, tmp_path)
    other = import_servicenow(org, manager, broken)
    assert other.status == "failed"
    assert other.description["reader"].startswith("row by row (")
    with org_scope(org):
        rejection = ImportRejection.objects.get(run=other, row_number=3001)
        assert rejection.columns == ["opened_at"]
        assert set(Record.objects.values_list("source_id", flat=True)) == first_ids


def test_a_large_export_is_read_by_a_process_of_its_own_with_the_same_result(
    org, manager, servicenow_sample, tmp_path, monkeypatch
):
    """Above ingest.process.MIN_BYTES the columnar reader runs in a child process; the
    records are those of the reader in this process, and a file the child cannot read in
    columns is still read row by row, naming the bad row."""
    from openitsms.operations.ingest import process

    monkeypatch.setattr(process, "MIN_BYTES", 0)
    run = import_servicenow(org, manager, servicenow_sample)
    assert run.status == "succeeded", run.message
    assert run.description["reader"] == "columnar, in a process of its own"
    assert (run.created, run.rows_read) == (890, 5998)
    with org_scope(org):
        here = {
            r.source_id: (r.status, r.reopen_count, r.history, r.resolved_at)
            for r in Record.objects.all()
        }
        assert len(here) == 890

    broken = _with_unreadable_opened_time(servicenow_sample, 11, tmp_path)
    other = import_servicenow(org, manager, broken)
    assert other.status == "failed"
    assert other.description["reader"].startswith("row by row (")
    with org_scope(org):
        assert ImportRejection.objects.get(run=other, row_number=11).columns == ["opened_at"]

    monkeypatch.setattr(process, "MIN_BYTES", 1 << 60)
    again = tmp_path / "again.csv"
    again.write_bytes(servicenow_sample.read_bytes())
    with org_scope(org):
        Record.objects.all().delete()
    same = import_servicenow(org, manager, again)
    assert same.description["reader"] == "columnar"
    with org_scope(org):
        assert {
            r.source_id: (r.status, r.reopen_count, r.history, r.resolved_at)
            for r in Record.objects.all()
        } == here


def _with_unreadable_opened_time(sample, row_number, tmp_path):
    """A copy of the ServiceNow sample whose row ``row_number`` has an opened time that is
    no day (31 February)."""
    lines = sample.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[row_number - 1].split(",")
    cells[9] = "31/02/2016 10:00"  # opened_at
    lines[row_number - 1] = ",".join(cells)
    broken = tmp_path / "broken.csv"
    broken.write_text("".join(lines), encoding="utf-8")
    return broken


def test_a_reading_process_that_fails_leaves_the_file_to_the_row_by_row_reader(
    org, manager, servicenow_sample, monkeypatch
):
    """If the reading process dies (killed for memory, say), the run reads the file again in
    this process, row by row, and imports it whole."""
    from openitsms.operations.ingest import process

    def failing(self, stream):
        yield from ()
        raise process.ChildFailed("the reading process ended (exit code -9)")

    monkeypatch.setattr(process, "MIN_BYTES", 0)
    monkeypatch.setattr(process.ReadingProcess, "frames", failing)
    run = import_servicenow(org, manager, servicenow_sample)
    assert run.status == "succeeded", run.message
    assert run.created == 890
    assert run.description["reader"] == "row by row (the reading process ended (exit code -9))"


def test_the_checks_made_in_columns_are_the_record_tables_checks():
    """A bulk insert on SQLite checks the batch in columns (importing.holds_checks) instead
    of row by row: the checks it makes must be all the table has."""
    from django.db.models import CheckConstraint, JSONField

    from openitsms.operations import importing

    assert {
        c.name for c in Record._meta.constraints if isinstance(c, CheckConstraint)
    } == importing.CHECKED_CONSTRAINTS
    # JSON by construction (ingest.frames.history_json), the only JSON the import writes.
    assert {f.attname for f in Record._meta.concrete_fields if isinstance(f, JSONField)} == {
        "history",
        "priority_history",
    }
    assert {"reassignment_count", "reopen_count", "response_target_s"} <= set(
        importing._NOT_NEGATIVE
    )


def test_holds_checks_refuses_what_the_database_would():
    import polars as pl

    from openitsms.operations.importing import _NOT_NEGATIVE, holds_checks

    good = pl.DataFrame(
        {"status": ["new", "closed"], **{name: [0, None] for name in _NOT_NEGATIVE}},
        schema_overrides={name: pl.Int64 for name in _NOT_NEGATIVE},
    )
    assert holds_checks(good, "incident")
    assert not holds_checks(good, "ticket")
    assert not holds_checks(good.with_columns(status=pl.lit("bogus")), "incident")
    assert not holds_checks(good.with_columns(reopen_count=pl.lit(-1)), "incident")


def test_after_an_import_the_database_checks_every_write_again(
    org, manager, servicenow_sample, monkeypatch
):
    """The import's inserts skip SQLite's row-by-row checks only for batches checked in
    columns; after it the constraints hold for every write, and a batch that is not checked
    is inserted with the database checking it, to the same result."""
    from django.db import IntegrityError, connection, transaction

    from openitsms.operations import importing

    run = import_servicenow(org, manager, servicenow_sample)
    assert run.created == 890
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints")
            assert cursor.fetchone()[0] == 0
    with org_scope(org):
        record = Record.objects.order_by("pk").first()
        with pytest.raises(IntegrityError), transaction.atomic():
            Record.objects.filter(pk=record.pk).update(status="bogus")
        before = {r.source_id: (r.status, r.history) for r in Record.objects.all()}
        Record.objects.all().delete()

    checked = []
    original = importing.holds_checks

    def refuse(stored, kind):
        checked.append(original(stored, kind))
        return False

    monkeypatch.setattr(importing, "holds_checks", refuse)
    again = import_servicenow(org, manager, servicenow_sample)
    assert again.created == 890
    with org_scope(org):
        assert {r.source_id: (r.status, r.history) for r in Record.objects.all()} == before
    assert checked and all(checked) if connection.vendor == "sqlite" else not checked


def test_a_failure_inside_polars_leaves_the_file_to_the_row_by_row_reader(
    org, manager, servicenow_sample, monkeypatch
):
    """Polars' panics are not Exceptions: one in the columnar reader (a bug of ours or of
    Polars) must not lose the import but hand the file to the row-by-row reader."""
    import polars as pl

    from openitsms.operations.ingest import fast

    def panicking(self, raw, *, final):
        raise pl.exceptions.PanicException("assertion failed: i < self.len()")

    monkeypatch.setattr(fast._FastReader, "_records", panicking)
    run = import_servicenow(org, manager, servicenow_sample)
    assert run.status == "succeeded", run.message
    assert run.created == 890
    assert run.description["reader"] == (
        "row by row (the columnar reader stopped (PanicException))"
    )
